#!/usr/bin/env bash
# OtelGen beside OpenTelemetry .NET on the same span tree, in one run: CPU µs and bytes allocated per request for
# BlogServer's post and stub routes and for GET /bench/nested/{n} (the SERVER span and n nested async spans), from
# which the cost of one span is read as the slope between n=1 and n=50.
#   tests/Benchmarks/aspnetcore/compare-check.sh [rounds=5] [seconds=5] [connections=16]
# Two servers run side by side on CPU 1 (taskset; wrk, one thread, on CPU 0): MeasuredBlogServer (OtelGen) and
# tests/ServerComparison (OpenTelemetry .NET 1.21.0; tests/ServerComparison.Tests proves both record the same tree).
# Each is measured with its tracer on and off (switched in process: OtelGen's /debug/tracing, OpenTelemetry's
# sampler via /debug/opentelemetry), so "off" is the same process with recording switched off. Every route is
# warmed up in every mode until the JIT is idle; then each round measures every (route, tracer, mode) once, the
# order of the four configurations rotating from round to round, so that load from other processes hits all
# alike. The table gives medians and the spread (lowest–highest) over the rounds.
# Loopback only; ends by itself (about rounds × 5 routes × 4 × (seconds + 2) s plus the warm-up).
# Needs wrk (Debian: apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-5}
seconds=${2:-5}
connections=${3:-16}
max_warmup=${LOADCHECK_MAX_WARMUP:-60}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install -y wrk" >&2; exit 1; }
command -v taskset >/dev/null || { echo "taskset is required (util-linux)" >&2; exit 1; }

dotnet build -c Release tests/Benchmarks/aspnetcore/MeasuredBlogServer -v q -nologo >/dev/null
dotnet build -c Release tests/ServerComparison -v q -nologo >/dev/null
otelgen_bin=tests/Benchmarks/aspnetcore/MeasuredBlogServer/bin/Release/net10.0/MeasuredBlogServer
opentelemetry_bin=tests/ServerComparison/bin/Release/net10.0/ServerComparison

declare -A port=([otelgen]=5098 [opentelemetry]=5099)
declare -A toggle=([otelgen]=/debug/tracing [opentelemetry]=/debug/opentelemetry)
declare -A pids=()
results=$(mktemp)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -f "$results"
}
trap cleanup EXIT

start() { # $1 tracer, $2 binary
  local url="http://127.0.0.1:${port[$1]}"
  # No artificial database delay, enough effect workers that the queue is never the bottleneck: CPU-bound.
  BLOG_EFFECT_WORKERS=64 BLOG_DB_DELAY_MS=0 ASPNETCORE_URLS="$url" taskset -c 1 "$2" >/dev/null 2>&1 &
  pids[$1]=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$url/stub/comments/1" && return 0; sleep 0.1; done
  echo "$1 server did not start" >&2
  exit 1
}

. tests/Benchmarks/aspnetcore/process-ticks.sh
set_mode() { curl -sf -X POST "http://127.0.0.1:${port[$1]}${toggle[$1]}/$2" >/dev/null; }
load() { taskset -c 0 wrk -t1 -c"$connections" -d"$2" "$1"; }

warm_up() { # $1 tracer, $2 path: until the tiered-compilation thread was idle for two 2-second slices
  local waited=0 quiet=0 j0 j1 pid=${pids[$1]}
  while [ "$waited" -lt "$max_warmup" ]; do
    j0=$(jit_ticks "$pid")
    load "http://127.0.0.1:${port[$1]}$2" 2s >/dev/null 2>&1
    j1=$(jit_ticks "$pid")
    waited=$((waited + 2))
    if [ $((j1 - j0)) -le 1 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    if [ "$quiet" -ge 2 ] && [ "$waited" -ge 4 ]; then break; fi
  done
  echo "$waited"
}

measure() { # $1 tracer, $2 mode, $3 route name, $4 path
  local url="http://127.0.0.1:${port[$1]}" pid=${pids[$1]} a0 a1 c0 c1 out n us bytes
  set_mode "$1" "$2"
  load "$url$4" 1s >/dev/null 2>&1 # settle after the switch
  a0=$(curl -sf "$url/debug/allocated")
  c0=$(cpu_ticks "$pid")
  out=$(load "$url$4" "${seconds}s")
  c1=$(cpu_ticks "$pid")
  a1=$(curl -sf "$url/debug/allocated")
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  us=$(awk -v t=$((c1 - c0)) -v n="$n" 'BEGIN { printf "%.2f", t * 10000 / n }')
  bytes=$(awk -v a=$((a1 - a0)) -v n="$n" 'BEGIN { printf "%.0f", a / n }')
  echo "$3 $1 $2 $us $bytes" >> "$results"
  echo "  $3 $1 $2: $us us CPU/request, $bytes B/request ($n requests, load $(cut -d' ' -f1 /proc/loadavg))" >&2
}

routes=(post stub n1 n10 n50)
declare -A path=([post]=/blogs/posts/1 [stub]=/stub/comments/1 [n1]=/bench/nested/1 [n10]=/bench/nested/10 [n50]=/bench/nested/50)
configs=("otelgen on" "opentelemetry on" "otelgen off" "opentelemetry off")

echo "started $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1 /proc/loadavg)" >&2
start otelgen "$otelgen_bin"
start opentelemetry "$opentelemetry_bin"
for tracer in otelgen opentelemetry; do
  for mode in on off; do
    set_mode "$tracer" "$mode"
    for route in "${routes[@]}"; do
      echo "warm-up $tracer $mode $route: $(warm_up "$tracer" "${path[$route]}") s" >&2
    done
  done
done
for round in $(seq 1 "$rounds"); do
  echo "round $round" >&2
  for route in "${routes[@]}"; do
    for i in 0 1 2 3; do
      read -r tracer mode <<< "${configs[$(((i + round) % 4))]}"
      measure "$tracer" "$mode" "$route" "${path[$route]}"
    done
  done
done
echo "finished $(date -u '+%Y-%m-%d %H:%M UTC')" >&2

# Medians and spread over the rounds; per-span slopes from n=1 to n=50 (49 spans more), per round then median.
awk -v rounds="$rounds" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function lo(list,   n, a, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
  function hi(list,   n, a, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
  {
    key = $1 " " $2 " " $3
    cpu[key] = cpu[key] " " $4; mem[key] = mem[key] " " $5
    count[key]++; seq[key, count[key]] = $4; seqb[key, count[key]] = $5
  }
  END {
    split("post stub n1 n10 n50", routes, " ")
    names["post"] = "GET /blogs/posts/1 (9 spans, 2 requests)"; names["stub"] = "GET /stub/comments/1 (1 span)"
    names["n1"] = "GET /bench/nested/1 (1 + 1 spans)"; names["n10"] = "GET /bench/nested/10 (1 + 10)"; names["n50"] = "GET /bench/nested/50 (1 + 50)"
    print "| route | tracer | off: CPU µs/req | on: CPU µs/req | on − off | off: B/req | on: B/req | on − off |"
    print "|---|---|---:|---:|---:|---:|---:|---:|"
    for (r = 1; r <= 5; r++) for (t = 0; t < 2; t++) {
      tr = t ? "opentelemetry" : "otelgen"; on = routes[r] " " tr " on"; off = routes[r] " " tr " off"
      printf "| %s | %s | %.1f (%.1f–%.1f) | %.1f (%.1f–%.1f) | %+.1f | %d | %d | %+d |\n", names[routes[r]], t ? "OpenTelemetry .NET" : "OtelGen",
        median(cpu[off]), lo(cpu[off]), hi(cpu[off]), median(cpu[on]), lo(cpu[on]), hi(cpu[on]), median(cpu[on]) - median(cpu[off]),
        median(mem[off]), median(mem[on]), median(mem[on]) - median(mem[off])
    }
    print ""
    print "Per span, from n=1 to n=50 (slope = (n50 − n1) / 49, per round, then the median and spread over the rounds;"
    print "\"tracing\" = the on slope minus the off slope: what recording one more nested async span costs):"
    print ""
    print "| tracer | on: CPU µs/span | off: CPU µs/span | tracing: CPU µs/span | on: B/span | off: B/span | tracing: B/span |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (t = 0; t < 2; t++) {
      tr = t ? "opentelemetry" : "otelgen"
      son = ""; soff = ""; snet = ""; bon = ""; boff = ""; bnet = ""
      for (i = 1; i <= rounds; i++) {
        a = (seq["n50 " tr " on", i] - seq["n1 " tr " on", i]) / 49; b = (seq["n50 " tr " off", i] - seq["n1 " tr " off", i]) / 49
        son = son " " a; soff = soff " " b; snet = snet " " (a - b)
        a = (seqb["n50 " tr " on", i] - seqb["n1 " tr " on", i]) / 49; b = (seqb["n50 " tr " off", i] - seqb["n1 " tr " off", i]) / 49
        bon = bon " " a; boff = boff " " b; bnet = bnet " " (a - b)
      }
      net[t] = median(snet); netb[t] = median(bnet)
      printf "| %s | %.3f (%.3f–%.3f) | %.3f | %.3f (%.3f–%.3f) | %.0f | %.0f | %.0f (%.0f–%.0f) |\n", t ? "OpenTelemetry .NET" : "OtelGen",
        median(son), lo(son), hi(son), median(soff), median(snet), lo(snet), hi(snet), median(bon), median(boff), median(bnet), lo(bnet), hi(bnet)
    }
    printf "\nOtelGen / OpenTelemetry .NET, per span: CPU %.2fx, bytes %.2fx (goal: at most 0.5x and 0.33x)\n", net[0] / net[1], (netb[1] != 0 ? netb[0] / netb[1] : 0)
  }' "$results"
echo
echo "All measurements (route tracer mode cpu-us/req bytes/req), medians above:"
cat "$results"
