#!/usr/bin/env bash
# Checks the widget: installs its npm packages from the lock file, type-checks,
# runs its unit tests, rebuilds it into a temporary folder and fails when the
# result differs from the committed build in internal/widget/dist (which is
# what `go build` embeds). Run from anywhere: bash scripts/widget-check.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo/web/widget"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
npm test --silent
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
node build.mjs --outdir "$out"
if ! diff -r "$out" "$repo/internal/widget/dist" >/dev/null; then
  diff -rq "$out" "$repo/internal/widget/dist" || true
  echo "widget: internal/widget/dist is stale; run (cd web/widget && npm run build) and commit it" >&2
  exit 1
fi
echo "widget: committed build matches a fresh build"
