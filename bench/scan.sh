#!/usr/bin/env bash
# Full 65,535-port TCP scans of a namespace host, netshoot vs nmap in one run: -sT vs
# `nmap -sT -p- -T4`, -sS vs `nmap -sS -p- -T4`. The host (10.234.0.2, built here) has 4 open
# ports, 101 dropped, 1 rejected; the rest closed. Results must be identical; target ratio <= 0.8.
# Usage (root): bench/scan.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cargo build -q --release -p netshoot
bin=$PWD/target/release/netshoot
p=nstbn$$
cleanup() { ip netns pids ${p}s 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del ${p}c 2>/dev/null || true; ip netns del ${p}s 2>/dev/null || true; }
trap cleanup EXIT
ip netns add ${p}c; ip netns add ${p}s
ip link add ${p}a type veth peer name ${p}b
ip link set ${p}a netns ${p}c; ip link set ${p}b netns ${p}s
ip -n ${p}c addr add 10.234.0.1/24 dev ${p}a; ip -n ${p}c link set ${p}a up
ip -n ${p}s addr add 10.234.0.2/24 dev ${p}b; ip -n ${p}s link set ${p}b up
for port in 22 80 8080 31337; do
  (ip netns exec ${p}s socat TCP-LISTEN:$port,fork,reuseaddr OPEN:/dev/null &)
done
ip netns exec ${p}s iptables -A INPUT -p tcp --dport 81 -j DROP
ip netns exec ${p}s iptables -A INPUT -p tcp --dport 40000:40099 -j DROP
ip netns exec ${p}s iptables -A INPUT -p tcp --dport 82 -j REJECT
sleep 0.5

# Per port: its state, from either tool's output ("Not shown" lines give the counts).
summary() { grep -E '^[0-9]+/tcp|Not shown' "$1" | sed -E 's/\(.*\)//; s/ +/ /g' | sort | tr '\n' ';'; }
measure() { # label cmd...: prints mean ms and leaves the last output in /tmp/$p.out
  local total=0 s e
  for _ in $(seq "$runs"); do
    s=$(date +%s%N); ip netns exec ${p}c "$@" > /tmp/$p.out 2>&1; e=$(date +%s%N)
    total=$((total + (e - s) / 1000000))
  done
  echo $((total / runs))
}
printf '%-36s %10s %10s %7s  %s\n' scan netshoot nmap ratio "same ports and states"
for kind in T S; do
  ours=$(measure "$bin" scan -s$kind -p- --open 10.234.0.2); cp /tmp/$p.out /tmp/$p.ours
  theirs=$(measure nmap -n -Pn -s$kind -p- -T4 --open 10.234.0.2); cp /tmp/$p.out /tmp/$p.theirs
  o=$(grep -E '^[0-9]+/tcp' /tmp/$p.ours | awk '{print $1, $2}' | sort)
  t=$(grep -E '^[0-9]+/tcp' /tmp/$p.theirs | awk '{print $1, $2}' | sort)
  oc=$(grep -o 'Not shown: [0-9]* closed' /tmp/$p.ours | grep -o '[0-9]*'); tc=$(grep -o 'Not shown: [0-9]* closed' /tmp/$p.theirs | grep -o '[0-9]*')
  same=no; [ "$o" = "$t" ] && [ "$oc" = "$tc" ] && same=yes
  printf '%-36s %7d ms %7d ms %7.2f  %s (%s closed)\n' "-s$kind -p- (65,535 ports)" "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)" "$same" "$oc"
done
rm -f /tmp/$p.out /tmp/$p.ours /tmp/$p.theirs
