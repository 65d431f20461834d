#!/usr/bin/env bash
# Throughput against iperf3 in one run, ours and iperf3's alternating within every round:
#   TCP, 1 stream and -P 4, on loopback and between two namespaces over a bridge; TCP -Z
#   (sendfile) against iperf3 -Z; UDP 64-byte and 1400-byte datagrams at full speed over the
#   bridge, end to end (our client and server against iperf3's) and receive only (iperf3's
#   client against our server and against iperf3's server).
# Each row prints the median of the rounds for both tools, the ratio of the medians, and the
# spread (lowest-highest) of the per-round ratios; TCP rows add CPU seconds per GB (client +
# server), UDP rows the datagrams received per second (bytes the receiver counted / datagram
# length / seconds) and the loss; every row the peak RSS over the rounds (the larger of client
# and server; in the receive-only rows the server's, the one side that is ours).
# Namespaces 10.234.0.0/24 made here; nothing leaves the machine.
#   Usage (root): bench/perf.sh [SECONDS] [ROUNDS] [ROWS]   (BIN=path to measure another build;
#   ROWS: a regular expression on the row labels, default all)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-4}"; rounds="${2:-5}"; rows="${3:-.}"
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

# one SERVER CLIENT CLIENT_NS SERVER_NS ADDR ARGS...: SERVER and CLIENT are "ours" or "iperf3";
# prints "bits_per_second received_dgram_per_s lost_percent cpu_s bytes client_rss_kb server_rss_kb"
one() {
  local stool=$1 ctool=$2 cns=$3 sns=$4 addr=$5; shift 5
  local srv cli
  if [ "$stool" = ours ]; then srv=("$bin" perf server -1 -p 5299 --json); else srv=(iperf3 -s -1 -p 5299 -J); fi
  if [ "$ctool" = ours ]; then cli=("$bin" perf client "$addr" -p 5299 --json -i 0); else cli=(iperf3 -c "$addr" -p 5299 -J -i 0); fi
  ip netns exec "$sns" /usr/bin/time -f '%U %S %M' -o "$tmp/srv.time" "${srv[@]}" >"$tmp/srv.json" 2>/dev/null &
  local spid=$!
  for _ in $(seq 50); do ip netns exec "$sns" ss -Htln 'sport = :5299' | grep -q . && break; sleep 0.05; done
  ip netns exec "$cns" /usr/bin/time -f '%U %S %M' -o "$tmp/cli.time" "${cli[@]}" -t "$secs" "$@" >"$tmp/cli.json" 2>/dev/null
  wait $spid || true
  python3 - "$tmp" "$@" <<'PY'
import json, sys
d = sys.argv[1]; args = sys.argv[2:]
c = json.load(open(d + "/cli.json"))
e = c["end"]
r = e.get("sum_received") or e.get("sum")
bps = r["bits_per_second"]
dps = lost = 0.0
if "-u" in args:
    ln = int(args[args.index("-l") + 1])
    dps = r["bytes"] / ln / r["seconds"] if r.get("seconds") else 0.0
    lost = r.get("lost_percent", 0.0)
cu, cs, cm = map(float, open(d + "/cli.time").read().split()[-3:])
su, ss, sm = map(float, open(d + "/srv.time").read().split()[-3:])
print(f"{bps:.0f} {dps:.0f} {lost:.3f} {cu+cs+su+ss:.3f} {r['bytes']} {cm:.0f} {sm:.0f}")
PY
}

# bench LABEL MODE CLIENT_NS SERVER_NS ADDR ARGS...: MODE "both" (our client and server
# against iperf3's), "receive" (iperf3's client, our server against iperf3's) or "send" (iperf3's
# server, our client against iperf3's); ours and the peer alternate, the first of each round
# alternating too.
bench() {
  local label=$1 mode=$2; shift 2
  [[ "$label" =~ $rows ]] || return 0
  local o=() i=() k
  for k in $(seq "$rounds"); do
    local a b
    case $mode in
      both) a=(ours ours); b=(iperf3 iperf3) ;;
      receive) a=(ours iperf3); b=(iperf3 iperf3) ;;
      send) a=(iperf3 ours); b=(iperf3 iperf3) ;;
    esac
    if [ $((k % 2)) -eq 1 ]; then
      o+=("$(one "${a[@]}" "$@")"); i+=("$(one "${b[@]}" "$@")")
    else
      i+=("$(one "${b[@]}" "$@")"); o+=("$(one "${a[@]}" "$@")")
    fi
  done
  python3 - "$label" "$mode" "${o[@]}" -- "${i[@]}" <<'PY'
import statistics, sys
label, mode = sys.argv[1:3]; rest = sys.argv[3:]; k = rest.index("--")
o = [list(map(float, r.split())) for r in rest[:k]]
i = [list(map(float, r.split())) for r in rest[k + 1:]]
udp = o[0][1] > 0
col = 1 if udp else 0
med = lambda rows, c: statistics.median(r[c] for r in rows)
ratios = [a[col] / b[col] for a, b in zip(o, i) if b[col] > 0]
ratio = med(o, col) / med(i, col)
spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
# Peak RSS of the processes that are ours in this mode: client and server (the larger), or the
# one side we run (iperf3's runs: the same side).
side = {"both": lambda r: max(r[5], r[6]), "receive": lambda r: r[6], "send": lambda r: r[5]}[mode]
who = {"both": "", "receive": " (server)", "send": " (client)"}[mode]
rss = (f"peak RSS{who} ours {max(map(side, o))/1024:.1f} MiB, "
       f"iperf3 {max(map(side, i))/1024:.1f} MiB")
if udp:
    print(f"{label:<48} ours {med(o,1):>10,.0f} dgram/s  iperf3 {med(i,1):>10,.0f} dgram/s  "
          f"ratio {ratio:.2f} (rounds {spread})  lost ours {med(o,2):.1f} %, iperf3 {med(i,2):.1f} %  {rss}")
else:
    cpu = lambda rows: statistics.median(r[3] / (r[4] / 1e9) for r in rows)
    print(f"{label:<48} ours {med(o,0)/1e9:6.2f} Gbit/s  iperf3 {med(i,0)/1e9:6.2f} Gbit/s  "
          f"ratio {ratio:.2f} (rounds {spread})  CPU s/GB ours {cpu(o):.3f}, iperf3 {cpu(i):.3f}  {rss}")
PY
}

echo "perf vs iperf3 $(iperf3 --version | head -1 | awk '{print $2}'): $secs s per run, median of $rounds rounds, alternating; load $(cut -d' ' -f1-3 /proc/loadavg)"
bench "TCP 1 stream, loopback" both ${p}a ${p}a 127.0.0.1
bench "TCP 1 stream, namespaces over a bridge" both ${p}a ${p}b 10.234.0.2
bench "TCP -P 4, loopback" both ${p}a ${p}a 127.0.0.1 -P 4
bench "TCP -P 4, namespaces over a bridge" both ${p}a ${p}b 10.234.0.2 -P 4
bench "TCP -Z (sendfile), loopback" both ${p}a ${p}a 127.0.0.1 -Z
bench "TCP -Z (sendfile), namespaces over a bridge" both ${p}a ${p}b 10.234.0.2 -Z
bench "UDP 64 B, -b 0, bridge, end to end" both ${p}a ${p}b 10.234.0.2 -u -b 0 -l 64
bench "UDP 64 B, -b 0, bridge, receive (iperf3 sends)" receive ${p}a ${p}b 10.234.0.2 -u -b 0 -l 64
bench "UDP 1400 B, -b 0, bridge, end to end" both ${p}a ${p}b 10.234.0.2 -u -b 0 -l 1400
bench "UDP 1400 B, -b 0, bridge, receive (iperf3 sends)" receive ${p}a ${p}b 10.234.0.2 -u -b 0 -l 1400
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
