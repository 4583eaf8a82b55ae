# Sourced by allocation-check.sh and profile-check.sh: one BlogServer process, recording switched on and
# off (/debug/tracing/{on,off}) between measurement windows under wrk. Set url and path first.
#   start_server BINARY [NAME=VALUE ...]  starts the server with the check's settings and the extra
#                                         environment (sets $pid), and waits until it answers
#   each_window ROUNDS MEASURE            warms both modes up, then per round switches to each mode in
#                                         turn (order alternating by round), drives it for a second and
#                                         calls MEASURE MODE ROUND for that mode's window
#   client ARGS...                        runs a client command (wrk) on the client's CPU
# CHECK_PIN=true: the server runs on CPU 1 and the client on CPU 0 (taskset), as LOADCHECK_PIN does in
# load-check.sh: sharing both cores moves the server's CPU per request by more than recording costs.

pid=""
if [ "${CHECK_PIN:-}" = true ]; then
  pin_server=(taskset -c 1); pin_client=(taskset -c 0)
else
  pin_server=(); pin_client=()
fi
client() { "${pin_client[@]}" "$@"; }

# No artificial database delay and enough effect workers that the queue is not the bottleneck: the
# server is CPU-bound, which is where recording's cost shows.
start_server() {
  local binary=$1
  shift
  env BLOG_EFFECT_WORKERS=64 BLOG_DB_DELAY_MS=0 ASPNETCORE_URLS="$url" "$@" "${pin_server[@]}" "$binary" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$url/stub/comments/1" && return 0; sleep 0.1; done
  echo "server did not start" >&2
  exit 1
}

# CHECK_TOGGLE=/debug/opentelemetry switches the other tracer of tests/ServerComparison instead of OtelGen.
mode() { curl -sf -X POST "$url${CHECK_TOGGLE:-/debug/tracing}/$1" >/dev/null; }

each_window() {
  local rounds=$1 measure=$2 m r order
  for m in on off on off; do mode "$m"; client wrk -t1 -c16 -d5s "$url$path" >/dev/null; done
  for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
    for m in $order; do
      mode "$m"
      client wrk -t1 -c16 -d1s "$url$path" >/dev/null
      "$measure" "$m" "$r"
    done
  done
}
