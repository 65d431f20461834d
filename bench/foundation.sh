#!/usr/bin/env bash
# Foundation benchmark: binary and image size, and the time to run a program inside a container's
# network namespace: netshoot -t C exec vs nsenter --net vs the classic `docker run --net
# container:C` workflow. Ours and the peers run in the same run; ratios are printed.
# Usage (root, dockerd running): bench/foundation.sh [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-30}"
bin=$(scripts/build-static | tail -1)
scripts/image netshoot:bench >/dev/null

bytes=$(stat -c %s "$bin")
img=$(docker image inspect netshoot:bench --format '{{.Size}}')
peer_kb=$(dpkg-query -W -f='${Installed-Size}\n' tcpdump iperf3 nmap dnsutils ldnsutils \
  netcat-openbsd socat iproute2 conntrack iptables curl 2>/dev/null | awk '{s+=$1} END {print s}')
printf 'static binary: %.1f MiB   image: %.1f MiB\n' "$(echo "$bytes/1048576" | bc -l)" "$(echo "$img/1048576" | bc -l)"
printf 'the classic tools it replaces (Debian packages alone, without their libraries): %.1f MiB -> ratio %.2f\n' \
  "$(echo "$peer_kb/1024" | bc -l)" "$(echo "$bytes/($peer_kb*1024)" | bc -l)"

name="nstbench$$"
docker run -d --rm --name "$name" netshoot:bench sleep infinity >/dev/null
trap 'docker rm -f "$name" >/dev/null 2>&1' EXIT
pid=$(docker inspect -f '{{.State.Pid}}' "$name")

time_it() { # prints mean milliseconds of N runs of "$@"
  local s e
  s=$(date +%s%N)
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done
  e=$(date +%s%N)
  echo "scale=2; ($e-$s)/1000000/$n" | bc
}
ours=$(time_it "$bin" -t "$name" exec -- true)
nsenter_ms=$(time_it nsenter --net=/proc/"$pid"/ns/net true)
classic=$(time_it docker run --rm --net container:"$name" --entrypoint /usr/local/bin/netshoot netshoot:bench --version)
echo "enter container by name and run true ($n runs, mean):"
echo "  netshoot -t NAME exec -- true        ${ours} ms"
echo "  nsenter --net=/proc/PID/ns/net true  ${nsenter_ms} ms (needs the pid found by hand)"
echo "  docker run --net container:NAME      ${classic} ms (the classic netshoot workflow)"
echo "  ratio ours/nsenter $(echo "scale=2; $ours/$nsenter_ms" | bc)   ours/docker-run $(echo "scale=3; $ours/$classic" | bc)"
