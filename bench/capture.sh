#!/usr/bin/env bash
# Capture cost against tcpdump in one run, alternating: while an iperf3 flow runs between two
# namespaces over a veth pair, capture every packet of it to a file (same snap length, same
# 4 MiB buffer) with ours and with tcpdump; report the flow's throughput under each, kernel
# drops, and CPU seconds per million packets captured. (a) one TCP flow at full speed;
# (b) small UDP datagrams (64 bytes) from 4 parallel senders. Namespaces 10.235.0.0/24 made
# here; nothing leaves the machine.      Usage (root): bench/capture.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-2}"
cargo build -q --release -p netshoot
bin=$PWD/target/release/netshoot
p=nstbc$$
tmp=$(mktemp -d)
cleanup() {
  pkill -f "iperf3 -s -p 5288" 2>/dev/null || true
  for n in a b; do ip netns del $p$n 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add ${p}a; ip netns add ${p}b
ip link add ${p}x type veth peer name ${p}y
ip link set ${p}x netns ${p}a; ip link set ${p}y netns ${p}b
ip -n ${p}a addr add 10.235.0.1/24 dev ${p}x; ip -n ${p}a link set ${p}x up; ip -n ${p}a link set lo up
ip -n ${p}b addr add 10.235.0.2/24 dev ${p}y; ip -n ${p}b link set ${p}y up; ip -n ${p}b link set lo up
ip netns exec ${p}b iperf3 -s -p 5288 -D
sleep 0.5

# run TOOL FLOWARGS...: prints "bits_per_second received_pps captured received dropped cpu_s"
run() {
  local tool=$1; shift
  local cpid=""
  case $tool in
    ours) ip netns exec ${p}a /usr/bin/time -f '%U %S' -o "$tmp/t" "$bin" capture -i ${p}x -s 128 -B 4096 -w "$tmp/c.pcap" 'host 10.235.0.2' 2>"$tmp/err" & cpid=$! ;;
    tcpdump) ip netns exec ${p}a /usr/bin/time -f '%U %S' -o "$tmp/t" tcpdump -i ${p}x -s 128 -B 4096 -w "$tmp/c.pcap" 'host 10.235.0.2' 2>"$tmp/err" & cpid=$! ;;
    none) : ;;
  esac
  sleep 1
  ip netns exec ${p}a iperf3 -c 10.235.0.2 -p 5288 -t "$secs" -J "$@" > "$tmp/flow.json"
  if [ -n "$cpid" ]; then
    pkill -INT -f -- "-w $tmp/c.pcap" || true
    wait $cpid || true
  else
    echo "0 0" > "$tmp/t"; printf '0 packets captured\n0 packets received by filter\n0 packets dropped by kernel\n' > "$tmp/err"
  fi
  python3 - "$tmp" <<'PY'
import json, re, sys
d = sys.argv[1]
j = json.load(open(d + "/flow.json"))["end"]
r = j.get("sum_received") or j.get("sum")
bps = r["bits_per_second"]
pps = r.get("packets", 0) / r["seconds"] if r.get("packets") else 0
err = open(d + "/err").read()
num = lambda pat: int(re.search(r"(\d+) " + pat, err).group(1)) if re.search(r"(\d+) " + pat, err) else 0
u, s = map(float, open(d + "/t").read().split()[-2:])
print(f"{bps:.0f} {pps:.0f} {num('packets captured')} {num('packets received by filter')} {num('packets dropped by kernel')} {u+s:.3f}")
PY
  rm -f "$tmp/c.pcap"
}

bench() {
  local label=$1; shift
  local o=() t=() n=()
    # The order changes every round, so neither tool always follows the other.
  for r in $(seq "$rounds"); do
    n+=("$(run none "$@")")
    if [ $((r % 2)) -eq 1 ]; then
      o+=("$(run ours "$@")"); t+=("$(run tcpdump "$@")")
    else
      t+=("$(run tcpdump "$@")"); o+=("$(run ours "$@")")
    fi
  done
  python3 - "$label" "${n[@]}" -- "${o[@]}" -- "${t[@]}" <<'PY'
import sys
label = sys.argv[1]; a = sys.argv[2:]
i = a.index("--"); j = a.index("--", i + 1)
def agg(rows):
    rows = [list(map(float, r.split())) for r in rows]
    k = len(rows)
    return dict(bps=sum(r[0] for r in rows)/k, pps=sum(r[1] for r in rows)/k, cap=sum(r[2] for r in rows),
                rcv=sum(r[3] for r in rows), drop=sum(r[4] for r in rows), cpu=sum(r[5] for r in rows))
n, o, t = agg(a[:i]), agg(a[i+1:j]), agg(a[j+1:])
cpm = lambda x: x["cpu"] / (x["cap"] / 1e6) if x["cap"] else float("nan")
udp = "UDP" in label
rate = (lambda x: f"{x['pps']:,.0f} dgram/s") if udp else (lambda x: f"{x['bps']/1e9:.2f} Gbit/s")
key = "pps" if udp else "bps"
print(f"{label}")
print(f"  flow alone {rate(n)};  with ours {rate(o)}, with tcpdump {rate(t)}  -> ratio ours/tcpdump {o[key]/t[key]:.2f}")
print(f"  packets captured ours {o['cap']:.0f} (dropped by kernel {o['drop']:.0f}), tcpdump {t['cap']:.0f} (dropped {t['drop']:.0f})")
print(f"  CPU s per million packets: ours {cpm(o):.3f}, tcpdump {cpm(t):.3f}")
PY
}

echo "capture vs tcpdump $(tcpdump --version 2>&1 | head -1 | awk '{print $3}'): $secs s flows, $rounds rounds alternating, snaplen 128, 4 MiB buffer"
bench "(a) TCP, one iperf3 flow at full speed over a veth pair"
bench "(b) UDP 64-byte datagrams, 4 senders, unlimited rate" -u -b 0 -l 64 -P 4
