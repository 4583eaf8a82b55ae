#!/usr/bin/env bash
# What recording allocates per request, by type: BlogServer natively (no valgrind), recording switched on
# and off in one process between measurement windows (alternating order each round), wrk as the client.
#   tests/Benchmarks/aspnetcore/allocation-check.sh [rounds=2] [seconds=6] [path=/blogs/posts/1]
# Bytes per request come two ways: exactly, from GC.GetTotalAllocatedBytes (the server's /debug/allocated),
# and by type, sampled by tools/AllocationSampler (a startup hook reading the runtime's GCAllocationTick
# events, one per ~100 KB; the by-type numbers are estimates whose sum tracks the exact total). Also
# prints the CPU per request from /proc, which on a shared machine moves by more than recording costs.
# CHECK_PIN=true runs the server on CPU 1 and wrk on CPU 0 (windows.sh): the steady way to compare.
# SERVER=tests/ServerComparison/bin/Release/net10.0/ServerComparison CHECK_TOGGLE=/debug/opentelemetry measures
# OpenTelemetry .NET on the same routes instead (profile-check.sh takes the same two settings).
# Loopback only, bounded, ends by itself. Needs wrk (Debian: apt-get install -y wrk) and python3.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-2}
seconds=${2:-6}
path=${3:-/blogs/posts/1}
port=${CHECK_PORT:-5096}
url="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install -y wrk" >&2; exit 1; }

server=${SERVER:-}
if [ -z "$server" ]; then
  dotnet build -c Release tests/Benchmarks/aspnetcore/MeasuredBlogServer -v q -nologo >/dev/null
  server="tests/Benchmarks/aspnetcore/MeasuredBlogServer/bin/Release/net10.0/MeasuredBlogServer"
fi
dotnet build -c Release tools/AllocationSampler -v q -nologo >/dev/null
work=$(mktemp -d)
. tests/Benchmarks/aspnetcore/windows.sh
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start_server "$server" \
  DOTNET_STARTUP_HOOKS="$PWD/tools/AllocationSampler/bin/Release/net10.0/AllocationSampler.dll" ALLOCATION_SAMPLER_OUT="$work/types.txt"
. tests/Benchmarks/aspnetcore/process-ticks.sh
# The sampler rewrites its file every half second: wait for a fresh one.
types_now() { sleep 1.1; cp "$work/types.txt" "$1"; }

measure() { # $1 mode
  local m=$1 a0 a1 c0 c1 n
  types_now "$work/before.txt"
  a0=$(curl -sf "$url/debug/allocated"); c0=$(cpu_ticks "$pid")
  n=$(client wrk -t1 -c16 -d"${seconds}s" "$url$path" | awk '/requests in/ {print $1}')
  a1=$(curl -sf "$url/debug/allocated"); c1=$(cpu_ticks "$pid")
  types_now "$work/after.txt"
  echo "$m $n $((a1 - a0)) $((c1 - c0))" >>"$work/windows.txt"
  python3 - "$m" "$n" "$work/before.txt" "$work/after.txt" >>"$work/types-per-window.txt" <<'PY'
import sys
mode, n = sys.argv[1], int(sys.argv[2])
def load(f):
    return {line.split(" ", 1)[1].strip(): int(line.split(" ", 1)[0]) for line in open(f) if line.strip()}
before, after = load(sys.argv[3]), load(sys.argv[4])
for t, v in after.items():
    print(mode, n, v - before.get(t, 0), t)
PY
}
: >"$work/windows.txt"
each_window "$rounds" measure

python3 - "$work/windows.txt" "$work/types-per-window.txt" <<'PY'
import collections, sys
req, exact, ticks = collections.Counter(), collections.Counter(), collections.Counter()
print("| mode | requests | bytes per request (exact) | CPU per request |")
print("|---|---:|---:|---:|")
for line in open(sys.argv[1]):
    m, n, b, t = line.split()
    n, b, t = int(n), int(b), int(t)
    req[m] += n; exact[m] += b; ticks[m] += t
    print("| %s | %d | %.0f | %.1f us |" % (m, n, b / n, t * 10000 / n))
bytes_ = {"on": collections.Counter(), "off": collections.Counter()}
for line in open(sys.argv[2]):
    m, n, v, t = line.rstrip("\n").split(" ", 3)
    bytes_[m][t] += int(v)
per = {m: {t: v / req[m] for t, v in bytes_[m].items()} for m in bytes_}
on_exact, off_exact = exact["on"] / req["on"], exact["off"] / req["off"]
print("\nExact: on %.0f, off %.0f bytes per request (%+.0f). Sampled: on %.0f, off %.0f." % (
    on_exact, off_exact, on_exact - off_exact, sum(per["on"].values()), sum(per["off"].values())))
print("\nBytes per request by type, on minus off (sampled), largest first:\n")
print("| on - off | on | type |")
print("|---:|---:|---|")
rows = sorted(((per["on"].get(t, 0) - per["off"].get(t, 0), per["on"].get(t, 0), t) for t in set(per["on"]) | set(per["off"])), reverse=True)
for d, o, t in rows[:20]:
    print("| %.0f | %.0f | `%s` |" % (d, o, t[:120]))
PY
