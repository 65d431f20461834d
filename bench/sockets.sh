#!/usr/bin/env bash
# `netshoot sockets` with 20,000+ established TCP sockets vs `ss -tan` and `netstat -tan`, in one
# run, inside one namespace built here (loopback only; removed at the end). Prints mean wall
# time, peak RSS and the ratio to ss.   Usage (root): bench/sockets.sh [PAIRS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs="${1:-10500}"   # each pair is two ESTAB sockets (client and server side)
runs="${2:-10}"
command -v netstat >/dev/null || { echo "bench: netstat missing (scripts/setup installs net-tools)" >&2; exit 2; }
cargo build -q --release -p netshoot
bin=$PWD/target/release/netshoot
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

# Each tool runs inside the namespace (the same ip netns exec wrapper for all), output discarded.
measure() { # label cmd...
  local label=$1; shift
  local total=0 rss=0 s e
  for _ in $(seq "$runs"); do
    s=$(date +%s%N)
    r=$(ip netns exec $ns /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
    e=$(date +%s%N)
    total=$((total + (e - s) / 1000)); [ "$r" -gt "$rss" ] && rss=$r
  done
  echo "$label $((total / runs)) $rss"
}
ours=$(measure "netshoot sockets -ta" "$bin" sockets -ta)
ssr=$(measure "ss -tan" ss -tan)
nst=$(measure "netstat -tan" netstat -tan)
all=$(measure "netshoot sockets -a" "$bin" sockets -a)
ssa=$(measure "ss -an" ss -an)
printf '%-22s %10s %10s %8s\n' tool "mean µs" "peak KiB" "vs ss"
ss_us=$(echo "$ssr" | awk '{print $(NF-1)}')
ssa_us=$(echo "$ssa" | awk '{print $(NF-1)}')
for line in "$ours" "$ssr" "$nst"; do
  us=$(echo "$line" | awk '{print $(NF-1)}'); kb=$(echo "$line" | awk '{print $NF}')
  printf '%-22s %10d %10d %8.2f\n' "$(echo "$line" | awk '{NF-=2; print}')" "$us" "$kb" "$(echo "$us / $ss_us" | bc -l)"
done
for line in "$all" "$ssa"; do
  us=$(echo "$line" | awk '{print $(NF-1)}'); kb=$(echo "$line" | awk '{print $NF}')
  printf '%-22s %10d %10d %8.2f\n' "$(echo "$line" | awk '{NF-=2; print}')" "$us" "$kb" "$(echo "$us / $ssa_us" | bc -l)"
done
