#!/usr/bin/env bash
# Instructions the server executes per request with OtelGen on and off, counted by valgrind's callgrind:
# a count, not a time, so it does not move with the load of other processes on the machine (the load
# check's req/s and CPU times moved by more than OtelGen's share on the shared two-core machine).
#   tests/Benchmarks/aspnetcore/instruction-check.sh [rounds=2] [requests=2000] [path=/blogs/posts/1] [connections=1]
# One server process under callgrind with counting off; it is warmed up, in both modes, until two warm-up
# passes of 2,000 requests in a row compile at most 20 methods each (the runtime's perf map, which lists
# each compiled method, almost stops growing; at most 30 passes), and then, each round, recording is
# switched on and off (`/debug/tracing/{on,off}`, in alternating order) and only the requests of a
# measurement are counted. Keep-alive client connections on loopback (Python's http.client, so that
# the client's work is not the server's); one by default, so that requests do not overlap and each takes
# the same paths (with more, how often an await finds its result ready, and so the server's own work,
# moves between measurements by ~8 %). Ends by itself; about 15 minutes with the defaults.
# Prints a Markdown table, and writes the functions whose counts differ most between the modes (names of
# compiled methods from the runtime's perf map) to $OUT/differences.txt (OUT defaults to a temp folder).
# Under valgrind the program runs ~50 times slower, so timers fire early in its terms and the tiered
# compiler can still be at work in a measurement: its share (libclrjit, and the whole of the thread that
# compiles in the background) is shown apart and the rest compared. Dynamic PGO is off
# (DOTNET_TieredPGO=0) and call counting starts at once (DOTNET_TC_CallCountingDelayMs=0), so that
# methods reach their final code within the warm-up instead of passing through instrumented versions for
# minutes.
# CAVEAT (found 2026-11-22, session 7): under valgrind the runtime's JIT cannot emit optimized code. Every
# optimizing compile (tier 1, full opts) fails on an internal check of its address relocations
# (dotnet/runtime#100600) and the release JIT silently compiles the method again without optimizations
# (DOTNET_JitDisasm shows "Tier1 code ... compiling with minopt"); the perf map still says OptimizedTier1.
# So these counts are of unoptimized code: nothing is inlined, not even String.Length. They show which
# code runs and how often; they are not a proxy for native cost, and the ratio between the modes need not
# hold natively. For native numbers use load-check.sh (time) and allocation-check.sh (bytes, by type).
# Needs valgrind (Debian: apt-get install -y valgrind) and python3.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-2}
requests=${2:-2000}
path=${3:-/blogs/posts/1}
connections=${4:-1}
port=${CHECK_PORT:-5098}
url="http://127.0.0.1:$port"
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
command -v valgrind >/dev/null || { echo "valgrind is required: apt-get install -y valgrind" >&2; exit 1; }

dotnet build -c Release tests/Benchmarks/aspnetcore/MeasuredBlogServer -v q -nologo >/dev/null
server="tests/Benchmarks/aspnetcore/MeasuredBlogServer/bin/Release/net10.0/MeasuredBlogServer"

client() { # $1 = requests: GETs of $path over $connections keep-alive connections; prints how many answered 200
  python3 - "$port" "$path" "$1" "$connections" <<'PY'
import http.client, sys, threading
port, path, n, k = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ok = [0] * k
def run(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    for _ in range(n // k):
        c.request("GET", path); r = c.getresponse(); r.read()
        ok[i] += r.status == 200
threads = [threading.Thread(target=run, args=(i,)) for i in range(k)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(ok))
PY
}

# The server GC reserves 256 GiB of address space by default, more than valgrind allows: 8 GiB here.
BLOG_EFFECT_WORKERS=64 BLOG_DB_DELAY_MS=0 ASPNETCORE_URLS="$url" \
  DOTNET_GCRegionRange=0x200000000 DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
  DOTNET_TieredPGO=0 DOTNET_TC_CallCountingDelayMs=0 \
  valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes --callgrind-out-file="$out/server.%p.cg" "$server" \
  >"$out/server.out" 2>"$out/server.err" &
pid=$!
# The perf map is kept beside the counts (as $OUT/perf.map) so that they can be read again later.
cleanup() { cp "/tmp/perf-$pid.map" "$out/perf.map" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "/tmp/perf-$pid.map"; }
trap cleanup EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "$url/stub/comments/1" && break; sleep 1; done
curl -sf -o /dev/null "$url/stub/comments/1" || { echo "server did not start; see $out/server.err" >&2; exit 1; }
perfmap="/tmp/perf-$pid.map"
methods() { wc -l <"$perfmap"; }
mode() { curl -sf -X POST "$url/debug/tracing/$1" >/dev/null; }

passes=0
quiet=0
while :; do
  before=$(methods)
  for m in on off; do mode "$m"; client 1000 >/dev/null; done
  passes=$((passes + 1))
  after=$(methods)
  echo "warm-up pass $passes: $((after - before)) methods compiled" >&2
  if [ $((after - before)) -le 20 ]; then quiet=$((quiet + 1)); else quiet=0; fi
  if [ "$quiet" -ge 2 ] || [ "$passes" -ge 30 ]; then break; fi
done

measure() { # $1 mode; prints "mode total jit requests files", files: the threads counted as work
  mode "$1"
  client 200 >/dev/null
  callgrind_control -z "$pid" >/dev/null 2>&1
  callgrind_control -i on "$pid" >/dev/null 2>&1
  local ok
  ok=$(client "$requests")
  callgrind_control -i off "$pid" >/dev/null 2>&1
  callgrind_control --dump="$1" "$pid" >/dev/null 2>&1
  sleep 2
  # The newest dump's number (measure runs in a subshell of the pipeline below: no counter survives it).
  local part
  part=$(ls "$out"/server."$pid".cg.*-* | sed 's/.*\.cg\.\([0-9]*\)-.*/\1/' | sort -n | tail -1)
  # One file per thread. A thread that spent over a fifth of its instructions in the JIT is the tiered
  # compiler's: all of it (the runtime's side of compiling, its allocations and unwinding) counts as the
  # JIT's. In the other threads only libclrjit itself does.
  local file t j total=0 jit=0 files=""
  for file in "$out"/server."$pid".cg."$part"-*; do
    t=$(awk '/^totals:/ {print $2}' "$file")
    j=$(callgrind_annotate --inclusive=no --threshold=100 "$file" 2>/dev/null | awk '/libclrjit/ { v = $1; gsub(",", "", v); s += v } END { print s + 0 }')
    total=$((total + t))
    if [ $((j * 5)) -gt "$t" ]; then jit=$((jit + t)); else jit=$((jit + j)); files="$files,$file"; fi
  done
  echo "$1 $total $jit $ok ${files#,}"
}

: >"$out/runs.txt"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
  for m in $order; do measure "$m" | tee -a "$out/runs.txt" >&2; done
done

echo "| mode | requests | instructions per request | of which the JIT | without the JIT |"
echo "|---|---:|---:|---:|---:|"
awk '{ printf "| %s | %d | %d | %d | %d |\n", $1, $4, $2 / $4, $3 / $4, ($2 - $3) / $4 }' "$out/runs.txt"
# Means and medians per mode (a measurement that met a late compilation moves the mean, not the median).
awk '{ n[$1] += $4; t[$1] += $2 - $3 } END { if (n["off"] > 0 && n["on"] > 0) { on = t["on"] / n["on"]; off = t["off"] / n["off"]; printf "\nWithout the JIT, means: on %d, off %d instructions per request (%+.1f %%).\n", on, off, (on - off) * 100 / off } }' "$out/runs.txt"
for m in on off; do awk -v m="$m" '$1 == m { print int(($2 - $3) / $4) }' "$out/runs.txt" | sort -n | awk -v m="$m" '{ v[NR] = $1 } END { printf "median %s %d\n", m, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; done |
  awk '{ v[$2] = $3 } END { printf "Without the JIT, medians: on %d, off %d instructions per request (%+.1f %%).\n", v["on"], v["off"], (v["on"] - v["off"]) * 100 / v["off"] }'

# The functions whose counts differ most, per request, with compiled methods named from the perf map.
python3 - "$perfmap" "$out/runs.txt" >"$out/differences.txt" <<'PY'
import bisect, collections, re, subprocess, sys
starts, ends, names = [], [], []
for line in open(sys.argv[1]):
    p = line.rstrip("\n").split(" ", 2)
    if len(p) == 3:
        starts.append(int(p[0], 16)); ends.append(int(p[0], 16) + int(p[1], 16)); names.append(p[2])
order = sorted(range(len(starts)), key=starts.__getitem__)
starts = [starts[i] for i in order]; ends = [ends[i] for i in order]; names = [names[i] for i in order]
def method(address):
    i = bisect.bisect_right(starts, address) - 1
    return names[i] if i >= 0 and address < ends[i] else "0x%x" % address
counts = {"on": collections.Counter(), "off": collections.Counter()}
requests = collections.Counter()
for run in open(sys.argv[2]):
    mode, _, _, ok, files = run.split()
    requests[mode] += int(ok)
    text = "\n".join(subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", f], capture_output=True, text=True).stdout for f in files.split(","))
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)(?: \[(.*)\])?$", line)
        if not m or m.group(2) == "PROGRAM":
            continue
        where = m.group(3) or "???"
        address = re.search(r"0x([0-9a-f]+)", m.group(2))
        key = method(int(address.group(1), 16)) if where.startswith("???") and address else where.split("/")[-1] + " " + m.group(2)
        counts[mode][key] += int(m.group(1).replace(",", ""))
rows = sorted(((counts["on"][k] / requests["on"] - counts["off"][k] / requests["off"], k) for k in set(counts["on"]) | set(counts["off"])), reverse=True)
print("instructions per request, on minus off, by function (exclusive)")
for d, k in rows[:60]:
    print("%9.0f  %s" % (d, k[:200]))
PY
echo "Function differences: $out/differences.txt" >&2
