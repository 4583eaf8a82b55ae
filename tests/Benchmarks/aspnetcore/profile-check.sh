#!/usr/bin/env bash
# Where recording's CPU goes, natively: BlogServer under wrk on loopback, recording switched on and off in
# one process between measurement windows (alternating order each round), each window sampled with
# `perf record` (cpu-clock, 1999 Hz, all of the server's threads). Prints perf samples per 1,000 requests
# with recording on and off, by part (OtelGen's own methods, other managed code, the runtime, the kernel,
# other native code), and the methods of OtelGen and the functions whose samples differ most.
#   tests/Benchmarks/aspnetcore/profile-check.sh [rounds=2] [seconds=8] [path=/blogs/posts/1]
# SERVER=path/to/MeasuredBlogServer profiles another build (for an A/B: run base and new builds alternately, and
# compare OtelGen's samples per 1,000 requests; on the shared machine these agreed within ~2-20 % between
# runs of one build, while the totals moved more). One sample is ~0.5 ms of CPU, so 1 sample per 1,000
# requests is ~0.5 µs per request. JIT code is named through the runtime's perf map (DOTNET_PerfMapEnabled=1,
# with W^X off so that perf sees the code as anonymous memory). Loopback only, bounded, ends by itself.
# CHECK_PIN=true runs the server on CPU 1 and wrk on CPU 0 (windows.sh): the steady way to compare.
# Needs perf (Debian: apt-get install -y linux-perf), wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-2}
seconds=${2:-8}
path=${3:-/blogs/posts/1}
port=${CHECK_PORT:-5095}
url="http://127.0.0.1:$port"
for tool in perf wrk python3; do command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }; done

server=${SERVER:-}
if [ -z "$server" ]; then
  dotnet build -c Release tests/Benchmarks/aspnetcore/MeasuredBlogServer -v q -nologo >/dev/null
  server="tests/Benchmarks/aspnetcore/MeasuredBlogServer/bin/Release/net10.0/MeasuredBlogServer"
fi
work=$(mktemp -d)
. tests/Benchmarks/aspnetcore/windows.sh
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "/tmp/perf-$pid.map" "/tmp/perfinfo-$pid.map"; rm -rf "$work"; }
trap cleanup EXIT
start_server "$server" DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0

measure() { # $1 mode, $2 round
  local recorder n
  # perf samples the middle of the window; the requests are counted over all of it, so the window is
  # longer than the sampling by a second at each end (the ratio, not the count, is what is compared).
  perf record -q -F 1999 -p "$pid" -o "$work/$1.$2.data" -- sleep "$seconds" >/dev/null 2>&1 &
  recorder=$!
  n=$(client wrk -t1 -c16 -d"$((seconds + 2))s" "$url$path" | awk '/requests in/ {print $1}')
  wait "$recorder" || true
  echo "$1 $2 $((n * seconds / (seconds + 2)))" >>"$work/windows.txt"
}
each_window "$rounds" measure

python3 - "$work" <<'PY'
import collections, re, subprocess, sys
work = sys.argv[1]
samples = {"on": collections.Counter(), "off": collections.Counter()}
requests = collections.Counter()
def part(dso, kind, sym):
    if kind == "k": return "kernel"
    if "[OtelGen" in sym: return "OtelGen"
    if "libcoreclr" in dso: return "runtime (libcoreclr)"
    if dso.startswith("[JIT]") or dso.startswith("perf-") or dso.endswith(".dll"): return "other managed"
    return "other native"
for line in open(work + "/windows.txt"):
    mode, r, n = line.split()
    requests[mode] += int(n)
    out = subprocess.run(["perf", "report", "-i", f"{work}/{mode}.{r}.data", "--no-children", "--sort", "dso,sym",
                          "--stdio", "-n"], capture_output=True, text=True).stdout
    for l in out.splitlines():
        m = re.match(r"^\s+[\d.]+%\s+(\d+)\s+(.*?)\s+\[(.)\]\s+(.*)$", l)
        if m:
            samples[mode][(part(m.group(2), m.group(3), m.group(4)), m.group(4).strip()[:150])] += int(m.group(1))
per = {mode: {k: v * 1000 / requests[mode] for k, v in samples[mode].items()} for mode in samples}
on, off = sum(per["on"].values()), sum(per["off"].values())
windows = sum(1 for _ in open(work + "/windows.txt")) // 2
print("| windows per mode | requests, on | requests, off | samples per 1,000 requests, on | off | on - off |")
print("|---:|---:|---:|---:|---:|---:|")
print("| %d | %d | %d | %.1f | %.1f | %+.1f (%+.0f %%) |" % (windows, requests["on"], requests["off"], on, off, on - off, (on / off - 1) * 100))
print("\n| part | on | off | on - off |")
print("|---|---:|---:|---:|")
parts = collections.defaultdict(lambda: [0.0, 0.0])
for i, mode in enumerate(("on", "off")):
    for (p, _), v in per[mode].items():
        parts[p][i] += v
for p, (a, b) in sorted(parts.items(), key=lambda kv: kv[1][0] - kv[1][1], reverse=True):
    print("| %s | %.2f | %.2f | %+.2f |" % (p, a, b, a - b))
print("\nOtelGen's methods, samples per 1,000 requests with recording on:\n")
own = sorted(((v, k[1]) for k, v in per["on"].items() if k[0] == "OtelGen"), reverse=True)
for v, sym in own[:15]:
    print("%7.2f  %s" % (v, sym))
print("\nLargest differences, on - off:\n")
keys = set(per["on"]) | set(per["off"])
for d, k in sorted(((per["on"].get(k, 0) - per["off"].get(k, 0), k) for k in keys), reverse=True)[:15]:
    print("%+7.2f  %s" % (d, k[1]))
PY
