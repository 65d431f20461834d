#!/usr/bin/env bash
# Probe start-to-exit times against their peers, in one run: `netshoot ping -c 1` vs iputils
# `ping -c 1`, and `netshoot dns NAME @SERVER` vs `dig NAME @SERVER`, each from inside a
# namespace this script builds (10.233.0.0/24; a dnsmasq it starts answers; nothing leaves the
# machine).   Usage (root): bench/probes.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
cargo build -q --release -p netshoot
bin=$PWD/target/release/netshoot
p=nstbp$$
cleanup() {
  pkill -f "dnsmasq.*--listen-address=10.233.0.2" 2>/dev/null || true
  for n in c s; do ip netns del $p$n 2>/dev/null || true; done
}
trap cleanup EXIT
ip netns add ${p}c; ip netns add ${p}s
ip link add ${p}a type veth peer name ${p}b
ip link set ${p}a netns ${p}c; ip link set ${p}b netns ${p}s
ip -n ${p}c addr add 10.233.0.1/24 dev ${p}a; ip -n ${p}c link set ${p}a up; ip -n ${p}c link set lo up
ip -n ${p}s addr add 10.233.0.2/24 dev ${p}b; ip -n ${p}s link set ${p}b up; ip -n ${p}s link set lo up
ip netns exec ${p}s dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --pid-file= --user=root \
  --bind-interfaces --listen-address=10.233.0.2 --local=/bench/ --host-record=web.bench,10.233.0.20
sleep 0.3
# Warm the ARP entry so neither tool pays for resolution.
ip netns exec ${p}c ping -c 1 -q 10.233.0.2 >/dev/null

measure() { # cmd...: mean wall µs over $runs, run inside the client namespace
  local total=0 s e
  for _ in $(seq "$runs"); do
    s=$(date +%s%N); ip netns exec ${p}c "$@" >/dev/null 2>&1; e=$(date +%s%N)
    total=$((total + (e - s) / 1000))
  done
  echo $((total / runs))
}
row() { # label ours_us peer_us
  printf '%-44s %9d µs %9d µs %7.2f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)"
}
printf '%-44s %12s %12s %7s\n' "probe" "netshoot" "peer" "ratio"
row "ping -c 1 10.233.0.2 (vs iputils)" "$(measure "$bin" ping -c 1 10.233.0.2)" "$(measure ping -c 1 10.233.0.2)"
row "dns web.bench @10.233.0.2 (vs dig)" "$(measure "$bin" dns web.bench @10.233.0.2)" "$(measure dig web.bench @10.233.0.2)"
