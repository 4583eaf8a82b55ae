#!/usr/bin/env bash
# Checks OtelGen's Prometheus page with the real promtool (Debian package "prometheus").
# Runs the test that renders a sample page (OtelGen's live instruments plus awkward names and labels),
# writes it to a file, and fails if `promtool check metrics` prints anything or exits non-zero.
# Needs: dotnet SDK, and `apt-get install -y prometheus` (provides /usr/bin/promtool).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool-check: promtool not found; install it with: apt-get install -y prometheus" >&2
  exit 1
fi

page="$(mktemp -t otelgen-prometheus-XXXXXX.txt)"
trap 'rm -f "$page"' EXIT

# CI=true makes the test itself fail (not pass silently) if promtool were missing.
CI=true OTELGEN_PROMETHEUS_PAGE="$page" dotnet test tests/Runtime.Tests \
  --filter "FullyQualifiedName~Folds.PrometheusTests.Promtool_check_metrics_reports_nothing" --nologo -v q

if [ ! -s "$page" ]; then
  echo "promtool-check: the test wrote no page to $page" >&2
  exit 1
fi

output="$(promtool check metrics < "$page" 2>&1)" || { echo "$output" >&2; echo "promtool-check: promtool failed" >&2; exit 1; }
if [ -n "$output" ]; then
  echo "$output" >&2
  echo "promtool-check: promtool reported problems with the page above" >&2
  exit 1
fi
echo "promtool-check: $(grep -c '^# TYPE' "$page") metric families, promtool reports nothing"
