#!/usr/bin/env bash
# Throughput against iperf3 in one run, alternating ours (client and server) and iperf3's:
# single-stream TCP on loopback and between two namespaces over a bridge (bits/s, CPU seconds
# per GB for client + server, peak RSS), and UDP with 64-byte datagrams at full speed
# (datagrams/s received). Namespaces 10.234.0.0/24 made here; nothing leaves the machine.
#   Usage (root): bench/perf.sh [SECONDS] [ROUNDS]   (BIN=path to measure another build)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-3}"
if [ -z "${BIN:-}" ]; then cargo build -q --release -p netshoot; BIN=$PWD/target/release/netshoot; fi
bin=$BIN
. bench/lib/evict.sh
evict "$bin"   # its pages as running it leaves them (see bench/lib/evict.sh)
p=nstbf$$
tmp=$(mktemp -d)
cleanup() {
  for n in a b; do ip netns del $p$n 2>/dev/null || true; done
  ip link del ${p}br 2>/dev/null || true
  iptables -D FORWARD -i ${p}br -o ${p}br -j ACCEPT 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ip link add ${p}br type bridge; ip link set ${p}br up
# dockerd's FORWARD policy is DROP and br_netfilter sends bridged frames through it.
iptables -I FORWARD -i ${p}br -o ${p}br -j ACCEPT
for n in a b; do
  ip netns add $p$n
  ip link add ${p}$n type veth peer name ${p}${n}p
  ip link set ${p}$n netns $p$n; ip link set ${p}${n}p master ${p}br up
  ip -n $p$n link set lo up; ip -n $p$n link set ${p}$n up
done
ip -n ${p}a addr add 10.234.0.1/24 dev ${p}a
ip -n ${p}b addr add 10.234.0.2/24 dev ${p}b
ip netns exec ${p}a ping -c 1 -W 3 -q 10.234.0.2 >/dev/null

# one TOOL CLIENT_NS SERVER_NS ADDR ARGS...: prints "bits_per_second packets cpu_s bytes rss_kb"
one() {
  local tool=$1 cns=$2 sns=$3 addr=$4; shift 4
  local srv cli
  if [ "$tool" = ours ]; then srv=("$bin" perf server -1 -p 5299 --json); cli=("$bin" perf client "$addr" -p 5299 --json -i 0)
  else srv=(iperf3 -s -1 -p 5299 -J); cli=(iperf3 -c "$addr" -p 5299 -J -i 0); fi
  ip netns exec "$sns" /usr/bin/time -f '%U %S %M' -o "$tmp/srv.time" "${srv[@]}" >"$tmp/srv.json" 2>/dev/null &
  local spid=$!
  for _ in $(seq 50); do ip netns exec "$sns" ss -Htln 'sport = :5299' | grep -q . && break; sleep 0.05; done
  ip netns exec "$cns" /usr/bin/time -f '%U %S %M' -o "$tmp/cli.time" "${cli[@]}" -t "$secs" "$@" >"$tmp/cli.json" 2>/dev/null
  wait $spid || true
  python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/cli.json"))
e = c["end"]
r = e.get("sum_received") or e.get("sum")
bps = r["bits_per_second"]
pk = r.get("packets", 0)
pps = pk / r["seconds"] if r.get("seconds") else 0
cu, cs, cm = map(float, open(d + "/cli.time").read().split()[-3:])
su, ss, sm = map(float, open(d + "/srv.time").read().split()[-3:])
print(f"{bps:.0f} {pps:.0f} {cu+cs+su+ss:.3f} {r['bytes']} {max(cm, sm):.0f}")
PY
}

# bench LABEL CLIENT_NS SERVER_NS ADDR ARGS...: alternates the two tools $rounds times
bench() {
  local label=$1; shift
  local o=() i=()
  for _ in $(seq "$rounds"); do
    o+=("$(one ours "$@")"); i+=("$(one iperf3 "$@")")
  done
  python3 - "$label" "${o[@]}" -- "${i[@]}" <<'PY'
import sys
label = sys.argv[1]; rest = sys.argv[2:]; k = rest.index("--")
def agg(rows):
    rows = [list(map(float, r.split())) for r in rows]
    n = len(rows)
    bps = sum(r[0] for r in rows) / n; pps = sum(r[1] for r in rows) / n
    cpu_gb = sum(r[2] for r in rows) / (sum(r[3] for r in rows) / 1e9)
    rss = max(r[4] for r in rows)
    return bps, pps, cpu_gb, rss
o, i = agg(rest[:k]), agg(rest[k + 1:])
if o[1] > 0 and "UDP" in label:
    print(f"{label:<44} ours {o[1]:>12,.0f} dgram/s  iperf3 {i[1]:>12,.0f} dgram/s  ratio {o[1]/i[1]:.2f}   peak RSS ours {o[3]/1024:.1f} MiB, iperf3 {i[3]/1024:.1f} MiB")
else:
    print(f"{label:<44} ours {o[0]/1e9:7.2f} Gbit/s  iperf3 {i[0]/1e9:7.2f} Gbit/s  ratio {o[0]/i[0]:.2f}   CPU s/GB ours {o[2]:.3f}, iperf3 {i[2]:.3f}   peak RSS ours {o[3]/1024:.1f} MiB, iperf3 {i[3]/1024:.1f} MiB")
PY
}

echo "perf vs iperf3 $(iperf3 --version | head -1 | awk '{print $2}'): $secs s per run, $rounds rounds alternating"
bench "TCP 1 stream, loopback" ${p}a ${p}a 127.0.0.1
bench "TCP 1 stream, namespaces over a bridge" ${p}a ${p}b 10.234.0.2
bench "UDP 64-byte datagrams, unlimited, bridge" ${p}a ${p}b 10.234.0.2 -u -b 0 -l 64
