#!/usr/bin/env bash
# Runs every test: Go (SQLite, and PostgreSQL + S3 when a PostgreSQL server
# can be started here) and the widget's TypeScript tests. `make test` calls it;
# .ci/run installs the packages first, so in CI nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${INTAKE_TEST_DATABASE_URL:-}" ]; then
  if url=$(scripts/postgres.sh start 2>/dev/null); then
    export INTAKE_TEST_DATABASE_URL="$url"
  else
    echo "note: PostgreSQL is not installed (apt-get install postgresql): its tests are skipped" >&2
  fi
fi

go vet ./...
go test -count=1 -timeout 25m ./...
# The widget: npm ci, type-check, its unit tests (both rule engines on the
# conformance vectors), and a fresh build compared with the committed bundle.
bash scripts/widget-check.sh
