#!/usr/bin/env bash
# Doctor timing: a healthy target with three destinations (target < 3 s) and a target with an
# unreachable destination (target < 6 s). Builds its own namespaces (10.232.77.0/24, nothing
# leaves the machine) and removes them at the end.  Usage (root): bench/doctor.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cargo build -q --release -p netshoot
bin=target/release/netshoot
p=nstbd$$
cleanup() {
  pkill -f "dnsmasq.*--listen-address=10.232.77.1" 2>/dev/null || true
  pkill -f "socat -u TCP-LISTEN:8080,bind=0.0.0.0" 2>/dev/null || true
  for n in c s g; do ip netns del $p$n 2>/dev/null || true; done
  ip link del ${p}br 2>/dev/null || true
  iptables -D FORWARD -i ${p}br -o ${p}br -j ACCEPT 2>/dev/null || true
  rm -rf /etc/netns/${p}c
}
trap cleanup EXIT
ip link add ${p}br type bridge && ip link set ${p}br up
iptables -I FORWARD -i ${p}br -o ${p}br -j ACCEPT
i=0
for n in c s g; do
  i=$((i+1)); addr=$([ $n = c ] && echo 10 || ([ $n = s ] && echo 20 || echo 1))
  ip netns add $p$n; ip -n $p$n link set lo up
  ip link add ${p}h$i type veth peer name ${p}p$i
  ip link set ${p}p$i netns $p$n; ip -n $p$n link set ${p}p$i name eth0
  ip -n $p$n addr add 10.232.77.$addr/24 dev eth0; ip -n $p$n link set eth0 up
  ip link set ${p}h$i master ${p}br up
done
ip -n ${p}c route add default via 10.232.77.1
mkdir -p /etc/netns/${p}c && echo "nameserver 10.232.77.1" > /etc/netns/${p}c/resolv.conf
ip netns exec ${p}g dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --pid-file= --user=root \
  --bind-interfaces --listen-address=10.232.77.1 --local=/test/ --host-record=web.test,10.232.77.20
(ip netns exec ${p}s socat -u TCP-LISTEN:8080,bind=0.0.0.0,fork,reuseaddr OPEN:/dev/null &)
sleep 0.5

measure() { # label target_ms args...
  local label=$1 target=$2; shift 2
  local total=0 worst=0 s e ms rc
  for _ in $(seq "$runs"); do
    s=$(date +%s%N); set +e; "$bin" -t netns:${p}c doctor "$@" >/dev/null 2>&1; rc=$?; set -e; e=$(date +%s%N)
    ms=$(( (e - s) / 1000000 )); total=$((total + ms)); [ $ms -gt $worst ] && worst=$ms
  done
  printf '%-44s mean %5d ms  worst %5d ms  target %d ms  ratio %.2f  (exit %d)\n' "$label" \
    $((total / runs)) "$worst" "$target" "$(echo "$worst / $target" | bc -l)" "$rc"
}
measure "healthy, 3 destinations" 3000 web.test:8080 10.232.77.20:8080 10.232.77.1
measure "one unreachable destination (nobody at .99)" 6000 web.test:8080 10.232.77.99:8080
