#!/usr/bin/env bash
# Benchmarks the widget in headless Chromium against Papa Parse alone on the
# same file in the same run: time from file chosen to review grid ready (and
# to every cell validated), peak JS heap (page + parsing worker), long tasks
# while loading and while scrolling the grid. Figures go to docs/benchmarks.md.
#
#   node ../shared/bench/gen-data.mjs --out /tmp/bench-data --sizes 100k,1m --no-xlsx
#   bash scripts/bench-widget.sh /tmp/bench-data/rows-1m.csv [runs]
#   INTAKE_WIDGET_BENCH_UPLOAD=1 … also times the upload to the server's confirmation
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
file="$(realpath "${1:?usage: bench-widget.sh ROWS.csv [runs]}")"
runs="${2:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$repo/web/widget"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npx esbuild bench/papa.ts --bundle --minify --outfile="$tmp/papa.js" --log-level=warning
cd "$repo"
INTAKE_WIDGET_BENCH_FILE="$file" INTAKE_WIDGET_BENCH_PAPA="$tmp/papa.js" INTAKE_WIDGET_BENCH_RUNS="$runs" \
  go test ./internal/widget/ -run '^TestBenchWidget$' -count=1 -v -timeout 60m
