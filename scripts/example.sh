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
bin="${CARGO_TARGET_DIR:-target}/release/stackcheck"
# What `helm stackcheck VALUES` runs: the values against the chart's schemas, the resources the
# release asks for, and the placement of every pod on the cluster (here the bundled snapshot).
exec "$bin" "$values" --cluster tests/fixtures/clusters/gpu-lab.json
