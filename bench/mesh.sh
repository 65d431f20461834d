#!/usr/bin/env bash
# `netshoot mesh serve` at scale: N instances (30 by default), each in its own namespace on one
# bridge (10.97.0.0/16, built here, removed at the end), each probing all the others (static
# peers) every INTERVAL seconds, for SECS seconds after a first full round. Prints each
# instance's CPU (% of one core over the window) and peak RSS, their median and maximum, and
# the targets of issue 18 (< 1 % of a core and < 20 MiB per instance at 30 peers, 10 s).
#   Usage (root): bench/mesh.sh [N] [SECS] [INTERVAL]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-30}"; secs="${2:-60}"; interval="${3:-10}"
cargo build -q --release -p netshoot
bin=$PWD/target/release/netshoot
tag=nstbm$$
br=${tag}br
hz=$(getconf CLK_TCK)
cleanup() {
  for i in $(seq 1 "$n"); do
    ip netns pids "$tag$i" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$tag$i" 2>/dev/null || true
  done
  iptables -D FORWARD -i "$br" -o "$br" -j ACCEPT 2>/dev/null || true
  ip link del "$br" 2>/dev/null || true
}
trap cleanup EXIT
ip link add "$br" type bridge && ip link set "$br" up
iptables -I FORWARD -i "$br" -o "$br" -j ACCEPT
peers=""
for i in $(seq 1 "$n"); do peers="$peers${peers:+,}10.97.$((i / 250)).$((i % 250 + 1))"; done
for i in $(seq 1 "$n"); do
  ns=$tag$i
  ip netns add "$ns"
  ip link add "${tag}v$i" type veth peer name eth0 netns "$ns"
  ip link set "${tag}v$i" master "$br" up
  ip -n "$ns" addr add "10.97.$((i / 250)).$((i % 250 + 1))/16" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done
pids=()
for i in $(seq 1 "$n"); do
  ip netns exec "$tag$i" "$bin" mesh serve --peers "$peers" --interval "$interval" >/dev/null 2>&1 &
  pids+=($!)
done
sleep $((interval + 3))
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A start
for p in "${pids[@]}"; do start[$p]=$(cpu "$p"); done
sleep "$secs"
rows=()
for p in "${pids[@]}"; do
  used=$(( $(cpu "$p") - ${start[$p]} ))
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$p/status")
  rows+=("$(awk -v u="$used" -v hz="$hz" -v s="$secs" -v h="$hwm" 'BEGIN { printf "%.3f %.1f", 100 * u / hz / s, h / 1024 }')")
done
printf '%s\n' "${rows[@]}" | sort -n | awk -v n="$n" -v secs="$secs" -v iv="$interval" '
  { cpu[NR] = $1; rss[NR] = $2; if ($2 > maxr) maxr = $2; if ($1 > maxc) maxc = $1 }
  END {
    asort(rss, r)
    printf "mesh: %d instances, %d peers each, a round every %s s, measured over %s s\n", n, n - 1, iv, secs
    printf "CPU %% of a core per instance: median %.3f, max %.3f   (target < 1; ratio median/target %.3f)\n", cpu[int((NR + 1) / 2)], maxc, cpu[int((NR + 1) / 2)] / 1
    printf "peak RSS per instance, MiB:    median %.1f, max %.1f   (target < 20; ratio max/target %.2f)\n", r[int((NR + 1) / 2)], maxr, maxr / 20
  }'
