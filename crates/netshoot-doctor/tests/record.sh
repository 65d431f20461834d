#!/usr/bin/env bash
# Re-records tests/facts/*.json from the root scenario tests (real namespaces, real Docker):
# each `doctor` run of crates/netshoot/tests/doctor_scenarios.rs, doctor_docker.rs and
# doctor_kubeproxy.rs writes the
# facts it gathered to tests/facts/<test name>[.N].json (NETSHOOT_DOCTOR_RECORD, --record-facts).
# Needs root and a running dockerd (scripts/setup). Then `cargo test -p netshoot-doctor` replays
# them without root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
facts="$here/facts"
mkdir -p "$facts"
rm -f "$facts"/*.json
cd "$root"
NETSHOOT_DOCTOR_RECORD="$facts" cargo test -p netshoot --no-fail-fast \
  --test doctor_scenarios --test doctor_docker --test doctor_kubeproxy -- --test-threads=2
ls "$facts"
