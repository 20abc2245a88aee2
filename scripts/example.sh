#!/usr/bin/env bash
# The main job on the bundled example: check the production profile of charts/llm-stack the way
# `helm stackcheck` does, against the bundled cluster snapshot (tests/fixtures/clusters/gpu-lab.json
# stands in for a cluster). Builds the pinned Helm into the tool cache on first use.
#
#   bash scripts/example.sh [VALUES-FILE]      (default: charts/llm-stack/values-prod.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
values="${1:-charts/llm-stack/values-prod.yaml}"
eval "$(tools/tools.sh)"
export HELM_BIN="$HELM_V4"
cargo build --release --quiet
bin=target/release/stackcheck
status=0
step() { # run one stage; the script exits with the worst exit code of all stages
    local rc=0
    "$@" || rc=$?
    if ((rc > status)); then status=$rc; fi
}
echo "== validate: are the values what the chart accepts?"
step "$bin" validate "$values"
echo
echo "== totals: what does the release ask of the cluster?"
step "$bin" totals "$values"
echo
echo "== preflight: will every pod be placed on the cluster?"
step "$bin" preflight "$values" --cluster tests/fixtures/clusters/gpu-lab.json
exit "$status"
