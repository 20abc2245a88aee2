#!/usr/bin/env bash
# Test tier 4, agreement: `stackcheck preflight --cluster live` against the real kube-scheduler,
# for every scenario of tests/fixtures/preflight-scenarios/ (scripts/agreement.py says how), on an
# empty control plane (scripts/control-plane.sh, STACKCHECK_CP_BARE=1). Prints the agreement table
# (scenario, preflight verdict, scheduler outcome, match) and the rate; fails on a disagreement
# that scripts/agreement.py does not explain.
#
# Run by scripts/test.sh. Alone: bash scripts/test.d/42-agreement.sh [SCENARIO...].
# STACKCHECK_BIN names a stackcheck binary to use instead of `cargo build --release`;
# STACKCHECK_AGREEMENT_OUT keeps the table and each scenario's evidence in that directory.
set -euo pipefail
suite=42-agreement
# shellcheck source=scripts/lib/control-plane-suite.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/control-plane-suite.sh"
need_commands python3
# scripts/agreement.py reads the scenarios' YAML with PyYAML.
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check pyyaml >/dev/null 2>&1 \
    || python3 -m pip install --quiet --user --break-system-packages pyyaml >/dev/null 2>&1 || true
  python3 -c 'import yaml' 2>/dev/null || fail "PyYAML is required (pip install pyyaml, or Debian: apt-get install python3-yaml)"
fi
export STACKCHECK_CP_BARE=1
suite_start

step "agreement with kube-scheduler"
out="${STACKCHECK_AGREEMENT_OUT:-$work/agreement}"
agreed=0
python3 scripts/agreement.py --stackcheck "$sc" --scenarios tests/fixtures/preflight-scenarios \
  --out "$out" "$@" || agreed=$?
# The table's last line: "Agreement: A/T scenarios (P%); E explained (...); B mismatched or failed."
if read -r match explained bad < <(sed -n 's/^Agreement: \([0-9]*\)\/.*; \([0-9]*\) explained .*; \([0-9]*\) mismatched or failed\.$/\1 \2 \3/p' "$out/agreement.md" 2>/dev/null); then
  suite_counts "$((match + explained))" "$bad" 0
fi
((agreed == 0)) || fail "the preflight and the scheduler disagree (table above; evidence in $out)"
"$root/scripts/control-plane.sh" status "$work" || fail "a control-plane component died during the tests"
echo "$suite: passed in $((SECONDS - t0))s"
