#!/usr/bin/env bash
# Benchmarks the widget in headless Chromium against Papa Parse alone on the
# same file in the same run, with the demo importer's template: each phase
# from the file chosen (parsed, review grid ready, every cell checked, and
# with the upload stored on the server) beside Papa alone and the ratio,
# peak JS heap (page + parsing worker), long tasks while loading and while
# scrolling the grid; for the upload, the time its chunks spent at the
# server, the completion, and the CPU of server and browser meanwhile.
# Figures go to docs/benchmarks.md, "Widget (browser)".
#
#   node ../shared/bench/gen-data.mjs --out /tmp/bench-data --sizes 100k,1m --no-xlsx
#   bash scripts/bench-widget.sh /tmp/bench-data/rows-1m.csv [runs]
#   INTAKE_WIDGET_BENCH_UPLOAD=1 … also times the upload to stored (the server's confirmation)
#   INTAKE_WIDGET_BENCH_E2E=1 … instead imports the file through a stored and an
#     end-to-end encrypted importer in each run: file chosen to stored for both,
#     their ratio and the longest main-thread task (docs/e2e.md, "Cost in the browser")
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
