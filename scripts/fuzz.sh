#!/usr/bin/env bash
# Runs every Go fuzz target (each `func Fuzz…` in a _test.go file, found
# afresh at each run, so a new target is fuzzed without being listed here)
# for FUZZTIME, two at a time with one worker each: CI machines have two
# cores, and nine targets at 60 s each take about 5 minutes that way instead
# of 9. `go test` already runs each target's seed corpus as a unit test;
# this explores beyond it. A failing input is written under the package's
# testdata/fuzz/ and fails the run (commit it: it becomes a seed).
#
#   scripts/fuzz.sh            60 s per target
#   FUZZTIME=5s scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-60s}"
jobs="${FUZZJOBS:-2}"

targets=$(grep -rH --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' internal cmd |
  sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#./\1 \2#' | sort -u)
count=$(printf '%s\n' "$targets" | grep -c .)
echo "--- fuzz: $count targets, $fuzztime each, $jobs at a time"
# Each line is "package target"; every target runs, and xargs exits
# non-zero (123) when any failed.
printf '%s\n' "$targets" | xargs -P "$jobs" -L 1 sh -c '
  out=$(go test -run "^\$" -fuzz "^$1\$" -fuzztime "'"$fuzztime"'" -parallel 1 "$0" 2>&1) \
    && echo "ok   $0 $1: $(printf "%s\n" "$out" | grep "^fuzz: elapsed" | tail -1 | sed "s/^fuzz: //")" \
    || { echo "FAIL $0 $1"; printf "%s\n" "$out"; exit 1; }'
