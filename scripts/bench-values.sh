#!/usr/bin/env bash
# Values parsing and merging at scale, side by side with Helm: wall time (hyperfine) and peak
# memory (/usr/bin/time) of `stackcheck validate` and of `helm template` (the pinned v3 and v4)
# on one chart with values files of flat maps of many sibling keys (the shape that was
# quadratic: issue 17, item 3). Not part of the test suite (it measures, it does not assert).
#
# usage: scripts/bench-values.sh [MEGABYTES...]   (default: 1 8 50)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(1 8 50)
command -v hyperfine >/dev/null || { echo "bench-values: hyperfine is needed (Debian: apt-get install hyperfine)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
eval "$(tools/tools.sh)"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/stackcheck"

chart="$work/chart"
mkdir -p "$chart/templates"
printf 'apiVersion: v2\nname: flat\nversion: 0.1.0\n' >"$chart/Chart.yaml"
printf 'extra: {}\n' >"$chart/values.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flat\ndata:\n  keys: "{{ len .Values.extra }}"\n' >"$chart/templates/cm.yaml"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-8s %-10s %-28s %-18s %s\n' size keys command "wall (mean)" "peak RSS"
for mb in "${sizes[@]}"; do
  values="$work/values-$mb.yaml"
  keys="$(python3 - "$mb" "$values" <<'PY'
import sys
mb, path = int(sys.argv[1]), sys.argv[2]
line = "  key{:09d}: value-{}-abcdefghij\n"
n, size = 0, 0
with open(path, "w") as f:
    f.write("extra:\n")
    while size < mb * 1000 * 1000:
        s = line.format(n, n)
        f.write(s)
        size += len(s)
        n += 1
print(n)
PY
)"
  for cmd in "stackcheck validate" "helm v3 template" "helm v4 template"; do
    case "$cmd" in
      stackcheck*) run=("$bin" validate --chart "$chart" -f "$values") ;;
      "helm v3"*) run=("$HELM_V3" template flat "$chart" -f "$values") ;;
      "helm v4"*) run=("$HELM_V4" template flat "$chart" -f "$values") ;;
    esac
    hyperfine -N --warmup 1 --runs 3 --export-json "$work/h.json" --style none "${run[*]}" >/dev/null 2>&1
    mean="$(python3 -c "import json;r=json.load(open('$work/h.json'))['results'][0];print(f\"{r['mean']:.2f} s ± {r['stddev']:.2f}\")")"
    rss="$( { /usr/bin/time -f '%M' "${run[@]}" >/dev/null 2>"$work/time"; } 2>/dev/null; tail -n1 "$work/time")"
    printf '%-8s %-10s %-28s %-18s %s\n' "${mb} MB" "$keys" "$cmd" "$mean" "$((rss / 1024)) MiB"
  done
  rm -f "$values"
done
