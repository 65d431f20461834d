#!/usr/bin/env bash
# Capture cost against tcpdump in one run, alternating: while an iperf3 flow runs between two
# namespaces over a veth pair, capture every packet of it to a file (same snap length, same
# 4 MiB buffer) with ours and with tcpdump; report the flow's throughput under each, kernel
# drops, and CPU seconds per million packets captured. (a) one TCP flow at full speed;
# (b) small UDP datagrams (64 bytes) from 4 parallel senders; (c) the TCP flow of (a) while a
# second, uncaptured iperf3 TCP flow on a third namespace's loopback competes for the same
# cores (the capture's reader must keep up while it gets less CPU). Each row prints medians
# over the rounds and every round's kernel drops for both tools. Namespaces 10.235.0.0/24 made
# here; nothing leaves the machine.  Usage (root): bench/capture.sh [SECONDS] [ROUNDS] [ROWS]
# (ROWS: a regular expression on the row labels, default all)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-5}"; rows="${3:-.}"
if [ -z "${BIN:-}" ]; then cargo build -q --release -p netshoot; BIN=$PWD/target/release/netshoot; fi
bin=$BIN
p=nstbc$$
tmp=$(mktemp -d)
cleanup() {
  pkill -f "iperf3 -s -p 5288" 2>/dev/null || true
  pkill -f "iperf3 -s -p 5287" 2>/dev/null || true
  for n in a b c; do ip netns del $p$n 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add ${p}a; ip netns add ${p}b
ip link add ${p}x type veth peer name ${p}y
ip link set ${p}x netns ${p}a; ip link set ${p}y netns ${p}b
ip -n ${p}a addr add 10.235.0.1/24 dev ${p}x; ip -n ${p}a link set ${p}x up; ip -n ${p}a link set lo up
ip -n ${p}b addr add 10.235.0.2/24 dev ${p}y; ip -n ${p}b link set ${p}y up; ip -n ${p}b link set lo up
ip netns exec ${p}b iperf3 -s -p 5288 -D
# (c)'s competitor: its own namespace, its own loopback flow, not seen by the capture.
ip netns add ${p}c; ip -n ${p}c link set lo up
ip netns exec ${p}c iperf3 -s -p 5287 -D
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
  local rival=""
  if [ -n "${COMPETE:-}" ]; then
    ip netns exec ${p}c iperf3 -c 127.0.0.1 -p 5287 -t $((secs + 2)) >/dev/null 2>&1 & rival=$!
  fi
  sleep 1
  ip netns exec ${p}a iperf3 -c 10.235.0.2 -p 5288 -t "$secs" -J "$@" > "$tmp/flow.json"
  if [ -n "$rival" ]; then wait "$rival" || true; fi
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
  [[ "$label" =~ $rows ]] || return 0
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
import statistics, sys
label = sys.argv[1]; a = sys.argv[2:]
i = a.index("--"); j = a.index("--", i + 1)
rows = lambda x: [list(map(float, r.split())) for r in x]
n, o, t = rows(a[:i]), rows(a[i+1:j]), rows(a[j+1:])
udp = "UDP" in label
k = 1 if udp else 0
med = lambda rs, c: statistics.median(r[c] for r in rs)
cpm = lambda rs: statistics.median(r[5] / (r[2] / 1e6) for r in rs if r[2])
rate = (lambda v: f"{v:,.0f} dgram/s") if udp else (lambda v: f"{v/1e9:.2f} Gbit/s")
ratios = [x[k] / y[k] for x, y in zip(o, t) if y[k]]
drops = lambda rs: " ".join(str(int(r[4])) for r in rs)
print(f"{label}")
print(f"  flow alone {rate(med(n, k))};  with ours {rate(med(o, k))}, with tcpdump {rate(med(t, k))}"
      f"  -> ratio ours/tcpdump {med(o, k) / med(t, k):.2f} (rounds {min(ratios):.2f}-{max(ratios):.2f})")
print(f"  packets captured (median) ours {med(o, 2):,.0f}, tcpdump {med(t, 2):,.0f};"
      f"  dropped by kernel, each round: ours [{drops(o)}], tcpdump [{drops(t)}]")
print(f"  CPU s per million packets (median): ours {cpm(o):.3f}, tcpdump {cpm(t):.3f}")
PY
}

echo "capture vs tcpdump $(tcpdump --version 2>&1 | head -1 | awk '{print $3}'): $secs s flows, median of $rounds rounds alternating, snaplen 128, 4 MiB buffer; load $(cut -d' ' -f1-3 /proc/loadavg)"
bench "(a) TCP, one iperf3 flow at full speed over a veth pair"
bench "(b) UDP 64-byte datagrams, 4 senders, unlimited rate" -u -b 0 -l 64 -P 4
COMPETE=1 bench "(c) TCP as (a), with a competing iperf3 flow on the same cores"
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
