#!/usr/bin/env bash
# The linters of `make test`, at pinned versions: golangci-lint (.golangci.yml)
# on the Go code, typescript-eslint (web/widget/lint) on the widget's.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "--- golangci-lint"
go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 run ./...
echo "--- typescript-eslint"
(cd web/widget/lint && npm ci --no-audit --no-fund --loglevel=error && npm run --silent lint)
