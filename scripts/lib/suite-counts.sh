#!/usr/bin/env bash
# Sourced by the suites of scripts/test.d/ (through control-plane-suite.sh, or directly), not run.
#
#   suite_counts PASSED FAILED SKIPPED
#
# records this suite's totals for the last line of scripts/test.sh ("tests: N passed, ..."): one
# line "$suite PASSED FAILED SKIPPED" appended to the file STACKCHECK_SUITE_COUNTS names (test.sh
# sets it; a suite run alone has none and records nothing). Call it once, before the exit that
# fails the suite when there are failures; a suite that exits without it counts as one check.

suite_counts() {
  [[ -n "${STACKCHECK_SUITE_COUNTS:-}" ]] || return 0
  echo "${suite:?} $1 $2 $3" >>"$STACKCHECK_SUITE_COUNTS"
}
