#!/usr/bin/env bash
# Preflight at scale, end to end through the CLI: wall time (hyperfine) and peak memory
# (/usr/bin/time) of `stackcheck preflight` on synthetic clusters of 500 to 5,000 nodes with
# 30 pods per node, placing a 300-replica Deployment with zone spread and hostname
# anti-affinity. Not part of the test suite (it measures, it does not assert).
#
# usage: scripts/bench-preflight.sh [NODES...]   (default: 500 1000 2000 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(500 1000 2000 5000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/stackcheck
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-6s %-8s %-24s %-10s %-16s %-10s %s\n' nodes pods format file "wall (mean)" "peak RSS" verdict
measure() { # nodes pods format file
  local n=$1 pods=$2 format=$3 snap=$4 size mean rss verdict
  size=$(du -h "$snap" | cut -f1)
  hyperfine -N --warmup 1 --runs 5 --export-json "$work/h.json" -i --style none \
    "$bin preflight --manifests $work/release.yaml --cluster $snap -o json" >/dev/null 2>&1
  mean=$(python3 -c "import json;r=json.load(open('$work/h.json'))['results'][0];print(f\"{r['mean']:.2f} s ± {r['stddev']:.2f}\")")
  rss=$( { /usr/bin/time -f '%M' "$bin" preflight --manifests "$work/release.yaml" --cluster "$snap" -o json >"$work/out.json"; } 2>&1 | tail -1 || true)
  verdict=$(python3 -c "import json;print(json.load(open('$work/out.json'))['verdict'])")
  printf '%-6s %-8s %-24s %-10s %-16s %-10s %s\n' "$n" "$pods" "$format" "$size" "$mean" "$((rss / 1024)) MiB" "$verdict"
}
for n in "${sizes[@]}"; do
  snap=$(python3 benches/synth-cluster.py "$n" "$work")
  measure "$n" "$((n * 30))" "kubectl JSON" "$snap"
  "$bin" snapshot --cluster "$snap" -o "$work/own.json" >/dev/null 2>&1
  measure "$n" "$((n * 30))" "stackcheck snapshot" "$work/own.json"
  rm -f "$snap" "$work/own.json"
done
