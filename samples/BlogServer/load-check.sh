#!/usr/bin/env bash
# Throughput of BlogServer with OtelGen on and off, in one run: rounds alternate off/on so that load from
# other processes hits both alike. Loopback only, bounded (about 2-3 minutes), ends by itself.
#   samples/BlogServer/load-check.sh [rounds=3] [seconds=8] [connections=32]
# The server is stopped with SIGTERM (a background job in a script ignores SIGINT), a graceful shutdown.
# Needs wrk (Debian: apt-get install -y wrk). Prints a Markdown table for docs/benchmarks/aspnetcore.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
seconds=${2:-8}
connections=${3:-32}
port=${LOADCHECK_PORT:-5097}
url="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install -y wrk" >&2; exit 1; }

dotnet build -c Release samples/BlogServer -v q -nologo >/dev/null
server="samples/BlogServer/bin/Release/net10.0/BlogServer"
results=$(mktemp)
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -f "$results"; }
trap cleanup EXIT

start() { # $1 = on|off
  if [ "$1" = off ]; then export OTEL_SDK_DISABLED=true; else unset OTEL_SDK_DISABLED; fi
  # No artificial database delay: the check is CPU-bound, which is where tracing overhead shows.
  # Enough effect workers that the queue is not the bottleneck: throughput then follows CPU cost.
  BLOG_EFFECT_WORKERS=64 BLOG_DB_DELAY_MS=0 ASPNETCORE_URLS="$url" "$server" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$url/stub/comments/1" && return 0; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

cpu_ticks() { awk '{print $14+$15}' "/proc/$pid/stat"; }
measure() { # $1 mode, $2 route name, $3 path
  wrk -t2 -c"$connections" -d2s "$url$3" >/dev/null 2>&1      # warm-up (JIT, pools)
  c0=$(cpu_ticks)
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" "$url$3")
  c1=$(cpu_ticks)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  # Server CPU time per request (utime+stime, clock ticks of 10 ms): steadier than req/s on a shared machine.
  us=$(awk -v t=$((c1 - c0)) -v n="$n" 'BEGIN { printf "%.1f", t * 10000 / n }')
  echo "$2 $1 $rps $us" >> "$results"
  echo "  $2 $1: $rps req/s, $us us CPU/request" >&2
}

for round in $(seq 1 "$rounds"); do
  for mode in off on; do
    echo "round $round, OtelGen $mode" >&2
    start "$mode"
    measure "$mode" post /blogs/posts/1
    measure "$mode" stub /stub/comments/1
    stop
  done
done

echo
echo "| route | off: req/s | on: req/s | throughput change | off: CPU µs/req | on: CPU µs/req | CPU change |"
echo "|---|---:|---:|---:|---:|---:|---:|"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for route in post stub; do
  off=$(awk -v r="$route" '$1==r && $2=="off" {print $3}' "$results" | median)
  on=$(awk -v r="$route" '$1==r && $2=="on" {print $3}' "$results" | median)
  coff=$(awk -v r="$route" '$1==r && $2=="off" {print $4}' "$results" | median)
  con=$(awk -v r="$route" '$1==r && $2=="on" {print $4}' "$results" | median)
  path=$([ "$route" = post ] && echo "GET /blogs/posts/1 (9 spans, 2 requests)" || echo "GET /stub/comments/1 (1 span)")
  awk -v p="$path" -v off="$off" -v on="$on" -v coff="$coff" -v con="$con" 'BEGIN { printf "| %s | %.0f | %.0f | %+.1f%% | %.1f | %.1f | %+.1f%% |\n", p, off, on, (on - off) / off * 100, coff, con, (con - coff) / coff * 100 }'
done
echo
echo "All rounds (route mode req/s cpu-us/req), medians above:"
cat "$results"
