#!/usr/bin/env bash
# Throughput of BlogServer with OtelGen on and off, in one run: rounds alternate off/on so that load from
# other processes hits both alike. Loopback only, bounded, ends by itself.
#   tests/Benchmarks/aspnetcore/load-check.sh [rounds=3] [seconds=8] [connections=32]
# LOADCHECK_IN_PROCESS=true: one server process, recording switched off and on between measurements
# (alternating order each round); otherwise each mode gets its own server process (OTEL_SDK_DISABLED).
# Prefer the in-process mode: a fresh server's post route can run at twice its settled CPU per request
# for a minute after the JIT looks idle (seen pinned on 2026-12-04: 120-126 µs, then 59 µs after a 58 s
# warm-up), so separate processes compare warm-up states, not tracing.
# Each route is warmed up until the JIT is done (the runtime's tiered-compilation thread used no CPU for
# two 2-second slices in a row; at most LOADCHECK_MAX_WARMUP seconds, default 60): a short fixed warm-up
# measures the JIT instead of the server, and more so with OtelGen on (more methods to tier up).
# The server is stopped with SIGTERM (a background job in a script ignores SIGINT), a graceful shutdown.
# LOADCHECK_TOGGLE=/debug/opentelemetry switches another tracer in process (tests/ServerComparison).
# SERVER=path/to/MeasuredBlogServer checks another build (e.g. the native one from
#   `dotnet publish -c Release -r linux-x64 tests/Benchmarks/aspnetcore/MeasuredBlogServer`), or tests/ServerComparison.
# LOADCHECK_PIN=true: the server runs on CPU 1 and wrk (one thread) on CPU 0 (taskset), so the two never
# take each other's core: CPU per request then follows the server's own work, and the rounds of one mode
# agree within a few percent instead of the ±20 % that sharing both cores gives (docs/benchmarks/aspnetcore.md).
# Needs wrk (Debian: apt-get install -y wrk). Prints a Markdown table for docs/benchmarks/aspnetcore.md.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-3}
seconds=${2:-8}
connections=${3:-32}
port=${LOADCHECK_PORT:-5097}
max_warmup=${LOADCHECK_MAX_WARMUP:-60}
url="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install -y wrk" >&2; exit 1; }
if [ "${LOADCHECK_PIN:-}" = true ]; then
  pin_server=(taskset -c 1); pin_client=(taskset -c 0); wrk_threads=1
else
  pin_server=(); pin_client=(); wrk_threads=2
fi

server=${SERVER:-}
if [ -z "$server" ]; then
  dotnet build -c Release tests/Benchmarks/aspnetcore/MeasuredBlogServer -v q -nologo >/dev/null
  server="tests/Benchmarks/aspnetcore/MeasuredBlogServer/bin/Release/net10.0/MeasuredBlogServer"
fi
results=$(mktemp)
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -f "$results"; }
trap cleanup EXIT

start() { # $1 = on|off
  if [ "$1" = off ]; then export OTEL_SDK_DISABLED=true; else unset OTEL_SDK_DISABLED; fi
  # No artificial database delay: the check is CPU-bound, which is where tracing overhead shows.
  # Enough effect workers that the queue is not the bottleneck: throughput then follows CPU cost.
  # BLOG_DB_DELAY_MS=2 BLOG_EFFECT_WORKERS=4 in the environment checks the sample as it ships instead.
  BLOG_EFFECT_WORKERS=${BLOG_EFFECT_WORKERS:-64} BLOG_DB_DELAY_MS=${BLOG_DB_DELAY_MS:-0} ASPNETCORE_URLS="$url" "${pin_server[@]}" "$server" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$url/stub/comments/1" && return 0; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

. tests/Benchmarks/aspnetcore/process-ticks.sh
allocated() { curl -sf "$url/debug/allocated"; }
collections() { curl -sf "$url/debug/collections"; } # "gen0 gen1 gen2 pause_ms N"
switches() { cat /proc/"$pid"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }

warm_up() { # $1 path; prints the seconds it took
  local waited=0 quiet=0 j0 j1
  while [ "$waited" -lt "$max_warmup" ]; do
    j0=$(jit_ticks "$pid")
    "${pin_client[@]}" wrk -t"$wrk_threads" -c"$connections" -d2s "$url$1" >/dev/null 2>&1
    j1=$(jit_ticks "$pid")
    waited=$((waited + 2))
    if [ $((j1 - j0)) -le 1 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    if [ "$quiet" -ge 2 ] && [ "$waited" -ge 4 ]; then break; fi
  done
  echo "$waited"
}

measure() { # $1 mode, $2 route name, $3 path
  w=$(warm_up "$3")
  a0=$(allocated)
  g0=$(collections)
  x0=$(switches)
  c0=$(cpu_ticks "$pid")
  out=$("${pin_client[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" "$url$3")
  c1=$(cpu_ticks "$pid")
  x1=$(switches)
  g1=$(collections)
  a1=$(allocated)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  # Server CPU time per request (utime+stime, clock ticks of 10 ms): steadier than req/s on a shared machine.
  us=$(awk -v t=$((c1 - c0)) -v n="$n" 'BEGIN { printf "%.1f", t * 10000 / n }')
  bytes=$(awk -v a="$((a1 - a0))" -v n="$n" 'BEGIN { printf "%.0f", a / n }')
  echo "$2 $1 $rps $us $bytes" >> "$results"
  echo "  $2 $1: $rps req/s, $us us CPU/request, $bytes B/request (warm-up ${w}s, load $(cut -d' ' -f1 /proc/loadavg))" >&2
  # Collections and the time the GC paused the process, and context switches (threads that slept), per request.
  echo "    $(echo "$g0 $g1" | awk -v n="$n" '{printf "gen0 collections per 1000 requests %.2f, GC pause %.2f us/request", ($6 - $1) * 1000 / n, ($10 - $5) * 1000 / n}'), context switches per request $(awk -v a=$((x1 - x0)) -v n="$n" 'BEGIN {printf "%.2f", a / n}')" >&2
}

measure_routes() { # $1 mode: the post route, then the one-span stub
  measure "$1" post /blogs/posts/1
  measure "$1" stub /stub/comments/1
}

if [ "${LOADCHECK_IN_PROCESS:-}" = true ]; then
  # One server; recording switched on and off between measurements (POST /debug/tracing/on|off): the
  # differences between two server processes (JIT, heap layout) measured larger than the effect here.
  start on
  toggle() { curl -sf -X POST "$url${LOADCHECK_TOGGLE:-/debug/tracing}/$1" >/dev/null; }
  for mode in off on; do toggle "$mode"; warm_up /blogs/posts/1 >/dev/null; warm_up /stub/comments/1 >/dev/null; done
  for round in $(seq 1 "$rounds"); do
    for mode in $([ $((round % 2)) = 1 ] && echo "off on" || echo "on off"); do
      echo "round $round, OtelGen $mode (in process)" >&2
      toggle "$mode"
      measure_routes "$mode"
    done
  done
  stop
else
  for round in $(seq 1 "$rounds"); do
    for mode in off on; do
      echo "round $round, OtelGen $mode" >&2
      start "$mode"
      measure_routes "$mode"
      stop
    done
  done
fi

echo
echo "| route | off: req/s | on: req/s | throughput change | off: CPU µs/req | on: CPU µs/req | CPU change | off: B/req | on: B/req |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for route in post stub; do
  col() { awk -v r="$route" -v m="$1" -v c="$2" '$1==r && $2==m {print $c}' "$results" | median; }
  path=$([ "$route" = post ] && echo "GET /blogs/posts/1 (9 spans, 2 requests)" || echo "GET /stub/comments/1 (1 span)")
  awk -v p="$path" -v off="$(col off 3)" -v on="$(col on 3)" -v coff="$(col off 4)" -v con="$(col on 4)" -v boff="$(col off 5)" -v bon="$(col on 5)" \
    'BEGIN { printf "| %s | %.0f | %.0f | %+.1f%% | %.1f | %.1f | %+.1f%% | %d | %d |\n", p, off, on, (on - off) / off * 100, coff, con, (con - coff) / coff * 100, boff, bon }'
done
echo
echo "All rounds (route mode req/s cpu-us/req bytes/req), medians above:"
cat "$results"
