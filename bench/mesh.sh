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
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maxof() { sort -n | tail -1; }
cpu_med=$(printf '%s\n' "${rows[@]}" | awk '{print $1}' | median)
cpu_max=$(printf '%s\n' "${rows[@]}" | awk '{print $1}' | maxof)
rss_med=$(printf '%s\n' "${rows[@]}" | awk '{print $2}' | median)
rss_max=$(printf '%s\n' "${rows[@]}" | awk '{print $2}' | maxof)
echo "mesh: $n instances, $((n - 1)) peers each, a round every $interval s, measured over $secs s ($(uptime | sed 's/.*load/load/'))"
awk -v m="$cpu_med" -v x="$cpu_max" 'BEGIN { printf "CPU %% of a core per instance: median %.3f, max %.3f   (target < 1: median/target %.3f)\n", m, x, m / 1 }'
awk -v m="$rss_med" -v x="$rss_max" 'BEGIN { printf "peak RSS per instance, MiB:    median %.1f, max %.1f   (target < 20: max/target %.2f)\n", m, x, x / 20 }'
