#!/usr/bin/env bash
# Runs every test: the widget's (npm ci, type-check, unit tests, bundle
# freshness), both linters, then Go (SQLite, and PostgreSQL + S3 when a
# PostgreSQL server can be started here) with the browser tests, then (in
# CI) every fuzz target. `make test` calls it; .ci/run installs the packages
# first, so in CI nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${INTAKE_TEST_DATABASE_URL:-}" ]; then
  if url=$(scripts/postgres.sh start 2>/dev/null); then
    export INTAKE_TEST_DATABASE_URL="$url"
  else
    echo "note: PostgreSQL is not installed (apt-get install postgresql): its tests are skipped" >&2
  fi
fi

# The widget first: its npm ci also brings what the Go browser tests read
# from web/widget/node_modules.
bash scripts/widget-check.sh
bash scripts/lint.sh
go vet ./...
go test -count=1 -timeout 25m ./...
# The deployment's checks (deploy/go.mod keeps BuildKit's Dockerfile parser
# and k8s.io out of the intake module): the container layout test, the
# Kubernetes manifests and the Prometheus alert rules.
(cd deploy && go vet ./... && go test -count=1 -timeout 10m ./...)
# Fuzzing beyond the seed corpora: 60 s a target in CI (about 6 minutes on
# two cores, see docs/security.md#fuzzing); outside CI only when FUZZTIME
# is set (e.g. FUZZTIME=10s make test), the machine being shared.
if [ "${CI:-}" = true ] || [ -n "${FUZZTIME:-}" ]; then
  bash scripts/fuzz.sh
fi
