#!/usr/bin/env bash
# `netshoot sockets` with 20,000+ established TCP sockets vs `ss -tan` and `netstat -tan`, in one
# run, inside one namespace built here (loopback only; removed at the end). Prints wall time
# (median and spread of the runs), peak RSS and the ratios to ss.
#   Usage (root): bench/sockets.sh [PAIRS] [RUNS]
# (BIN=path to measure another build, e.g. an older commit's, instead of building this tree)
set -euo pipefail
cd "$(dirname "$0")/.."
pairs="${1:-10500}"   # each pair is two ESTAB sockets (client and server side)
runs="${2:-10}"
command -v netstat >/dev/null || { echo "bench: netstat missing (scripts/setup installs net-tools)" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then cargo build -q --release -p netshoot; BIN=$PWD/target/release/netshoot; fi
bin=$BIN
. bench/lib/evict.sh
evict "$bin"
ns=nstbs$$
holder=""
cleanup() { ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $ns 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $ns
ip -n $ns link set lo up
# Two processes (a server holding the accepted side, a client holding the connecting side), so
# neither needs more descriptors than the usual 20,000 hard limit.
ip netns exec $ns python3 - "$pairs" "$ns" <<'PY' &
import os, socket, sys, time, resource
n = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 7201)); srv.listen(4096)
if os.fork() == 0:
    srv.close()
    keep = [socket.create_connection(("127.0.0.1", 7201)) for _ in range(n)]
    open("/dev/shm/nstbs-ready-" + sys.argv[2], "w").close()
    time.sleep(3600)
    sys.exit(0)
keep = [srv.accept()[0] for _ in range(n)]
time.sleep(3600)
PY
holder=$!
for _ in $(seq 600); do [ -e /dev/shm/nstbs-ready-$ns ] && break; sleep 0.1; done
rm -f /dev/shm/nstbs-ready-$ns
for _ in $(seq 100); do
  est=$(ip netns exec $ns ss -Htn state established | wc -l)
  [ "$est" -ge $((2 * pairs)) ] && break; sleep 0.2
done
echo "established TCP sockets in the namespace: $est"

# Each tool runs inside the namespace (the same ip netns exec wrapper for all), output discarded;
# the tools alternate within each round. Per tool: median wall time and spread over the runs, peak
# RSS (the largest of the runs), and the ratio of medians to ss's.
tools=(
  "netshoot sockets -ta|$bin sockets -ta|ss -tan"
  "ss -tan|ss -tan|ss -tan"
  "netstat -tan|netstat -tan|ss -tan"
  "netshoot netstat -tan|$bin netstat -tan|ss -tan"
  "netshoot sockets -a|$bin sockets -a|ss -an"
  "ss -an|ss -an|ss -an"
  "netshoot sockets -tap|$bin sockets -tap|ss -tanp"
  "ss -tanp|ss -tanp|ss -tanp"
)
res=$(mktemp)
# One untimed run of each first (netshoot was just evicted from the page cache).
for t in "${tools[@]}"; do
  IFS='|' read -r _ cmd _ <<<"$t"
  # shellcheck disable=SC2086
  ip netns exec $ns $cmd >/dev/null 2>&1 || true
done
for _ in $(seq "$runs"); do
  for t in "${tools[@]}"; do
    IFS='|' read -r label cmd _ <<<"$t"
    s=$(date +%s%N)
    # shellcheck disable=SC2086
    r=$(ip netns exec $ns /usr/bin/time -f %M $cmd 2>&1 >/dev/null | tail -1)
    e=$(date +%s%N)
    echo "$label|$(((e - s) / 1000))|$r" >>"$res"
  done
done
python3 - "$res" "${tools[@]}" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
tools = [t.split("|") for t in sys.argv[2:]]
us = {}; kb = {}
for label, t, r in rows:
    us.setdefault(label, []).append(int(t)); kb[label] = max(kb.get(label, 0), int(r))
print(f"{'tool':<24} {'median µs':>10} {'spread µs':>15} {'peak KiB':>9} {'vs ss':>6} {'RSS vs ss':>9}  (peer)")
for label, _, peer in tools:
    m, p = statistics.median(us[label]), statistics.median(us[peer])
    print(f"{label:<24} {m:>10.0f} {min(us[label]):>7}-{max(us[label]):<7} {kb[label]:>9} {m / p:>6.2f} {kb[label] / kb[peer]:>9.2f}  ({peer})")
PY
rm -f "$res"
