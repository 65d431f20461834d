#!/usr/bin/env bash
# `netshoot stats` vs `docker stats --no-stream`: starts N idle containers (sleep, the test
# image), then times one full snapshot of every container with each, alternating, RUNS times.
# Ours twice: with the same 1 s CPU window docker samples over, and with a 10 ms window (the
# cost of reading: one Docker list call, the cgroup files, /proc/PID/net/dev). Prints the mean
# wall times and the ratios. Every container started here is removed at the end.
#   Usage (root, a Docker engine): bench/stats.sh [N] [RUNS]   (N at most 200; BIN=path to use
#   another netshoot binary than a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10}"; runs="${2:-3}"
[ "$n" -ge 1 ] && [ "$n" -le 200 ] || { echo "bench: N must be 1..200" >&2; exit 2; }
image=${NETSHOOT_TEST_IMAGE:-netshoot:test}
docker image inspect "$image" >/dev/null 2>&1 || { echo "bench: no image $image (scripts/image $image builds it)" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then cargo build -q --release -p netshoot; BIN=$PWD/target/release/netshoot; fi
tag=nstbst$$
cleanup() { docker ps -aq --filter "label=netshoot.bench=$tag" | xargs -r docker rm -f >/dev/null; }
trap cleanup EXIT
for i in $(seq 1 "$n"); do
  docker run -d --name "$tag-$i" --label "netshoot.bench=$tag" --dns 127.0.0.1 "$image" sleep infinity >/dev/null 2>&1
done
total=$(docker ps -q | wc -l)
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
sum_d=0; sum_o=0; sum_r=0
for r in $(seq 1 "$runs"); do
  d=$(ms docker stats --no-stream)
  o=$(ms "$BIN" stats --running --interval 1)
  q=$(ms "$BIN" stats --running --interval 0.01)
  echo "run $r: docker stats --no-stream ${d} ms, netshoot stats ${o} ms (1 s window), ${q} ms (10 ms window)"
  sum_d=$((sum_d + d)); sum_o=$((sum_o + o)); sum_r=$((sum_r + q))
done
md=$((sum_d / runs)); mo=$((sum_o / runs)); mr=$((sum_r / runs))
echo "containers running: $total ($n started here); runs: $runs"
echo "docker stats --no-stream: ${md} ms"
echo "netshoot stats, 1 s window: ${mo} ms (ratio to docker $(awk "BEGIN{printf \"%.2f\", $mo/$md}"))"
echo "netshoot stats, 10 ms window: ${mr} ms (ratio to docker $(awk "BEGIN{printf \"%.3f\", $mr/$md}"))"
