#!/usr/bin/env bash
# Peak resident memory (RSS, /usr/bin/time's %M) of ours against the peer doing the same work,
# in one run, the two alternating within each round:
#   start-up: `netshoot --version` vs `ss -V`, `iperf3 -v`, `tcpdump --version`;
#   capture: PACKETS packets written to a file (`capture -w` vs `tcpdump -w`) and printed as
#     summary lines (`capture -n` vs `tcpdump -n`, to /dev/null), same snap length and buffer;
#   top: one snapshot over a fixed window of the same flow (`top --count 1` vs `iftop -t -s`).
# Traffic: iperf3 UDP 64-byte datagrams at full speed on the loopback of a namespace made here
# (removed at the end); nothing leaves the machine.
#   Usage (root): bench/memory.sh [PACKETS] [ROUNDS]   (BIN=path to measure another build)
set -euo pipefail
cd "$(dirname "$0")/.."
packets="${1:-1000000}"; rounds="${2:-5}"
if [ -z "${BIN:-}" ]; then cargo build -q --release -p netshoot; BIN=$PWD/target/release/netshoot; fi
bin=$BIN
. bench/lib/evict.sh
evict "$bin"
ns=nstbm$$
tmp=$(mktemp -d)
cleanup() {
  ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del $ns 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add $ns
ip -n $ns link set lo up
ip netns exec $ns iperf3 -s -p 5287 -D
sleep 0.3
res=$tmp/res

# one LABEL CMD...: runs CMD in the namespace; appends "LABEL|peak KiB|seconds" to $res.
one() {
  local label=$1; shift
  ip netns exec $ns /usr/bin/time -f '%M %e' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || true
  read -r kb secs <"$tmp/t"
  echo "$label|$kb|$secs" >>"$res"
}

# flow_while LABEL CMD...: one CMD (a capture that stops by itself) while a UDP flow runs.
flow_while() {
  local label=$1; shift
  ip netns exec $ns iperf3 -c 127.0.0.1 -p 5287 -u -b 0 -l 64 -t 60 >/dev/null 2>&1 &
  local fpid=$!
  sleep 0.5
  one "$label" "$@"
  kill "$fpid" 2>/dev/null || true
  wait "$fpid" 2>/dev/null || true
  rm -f "$tmp/c.pcap"
  sleep 0.3
}

for r in $(seq "$rounds"); do
  one "netshoot --version" "$bin" --version
  one "ss -V" ss -V
  one "iperf3 -v" iperf3 -v
  one "tcpdump --version" tcpdump --version
  # The order of ours and the peer changes every round.
  pair() { # LABEL_OURS LABEL_PEER -- OURS... -- PEER...
    local lo=$1 lp=$2; shift 3
    local o=() p=()
    while [ "$1" != "--" ]; do o+=("$1"); shift; done; shift
    p=("$@")
    if [ $((r % 2)) -eq 1 ]; then flow_while "$lo" "${o[@]}"; flow_while "$lp" "${p[@]}"
    else flow_while "$lp" "${p[@]}"; flow_while "$lo" "${o[@]}"; fi
  }
  pair "netshoot capture -w" "tcpdump -w" -- \
    "$bin" capture -i lo -c "$packets" -s 128 -B 4096 -w "$tmp/c.pcap" udp -- \
    tcpdump -i lo -c "$packets" -s 128 -B 4096 -w "$tmp/c.pcap" udp
  pair "netshoot capture -n" "tcpdump -n" -- \
    "$bin" capture -i lo -c "$packets" -s 128 -B 4096 -n udp -- \
    tcpdump -i lo -c "$packets" -s 128 -B 4096 -n udp
  pair "netshoot top (3 s)" "iftop -t -s 3" -- \
    "$bin" top -i lo --interval 3 --count 1 -- \
    iftop -t -s 3 -i lo -n -N -P
done

python3 - "$res" "$packets" "$rounds" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
kb, secs = {}, {}
for label, k, s in rows:
    kb.setdefault(label, []).append(int(k)); secs.setdefault(label, []).append(float(s))
print(f"peak RSS, {sys.argv[3]} rounds; capture: {int(sys.argv[2]):,} packets of a UDP 64-byte flow on lo")
print(f"{'run':<22} {'median KiB':>10} {'spread KiB':>15} {'median s':>9}   ratio of medians")
pairs = {"netshoot --version": ["ss -V", "iperf3 -v", "tcpdump --version"],
         "netshoot capture -w": ["tcpdump -w"], "netshoot capture -n": ["tcpdump -n"],
         "netshoot top (3 s)": ["iftop -t -s 3"]}
for label in kb:
    m = statistics.median(kb[label])
    ratio = ""
    if label in pairs:
        ratio = ", ".join(f"{m / statistics.median(kb[p]):.2f} vs {p}" for p in pairs[label])
    print(f"{label:<22} {m:>10.0f} {min(kb[label]):>7}-{max(kb[label]):<7} {statistics.median(secs[label]):>9.2f}   {ratio}")
PY
