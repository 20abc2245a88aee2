#!/usr/bin/env bash
# Test tier 5, chart runs: every component of charts/llm-stack started as the real program, with
# exactly what `helm template` renders for a profile, and its scenario run (issue 14).
#
# The programs (tools/apps.sh, pinned in tools/versions.env next to the image tag each stands for)
# are installed once into the tool cache. scripts/podrun.py starts a rendered pod template as local
# processes the way the kubelet would (volumes, env, init containers, probes), each container in a
# mount namespace of its own that has the pod's mounts at their real paths and an /etc/hosts naming
# the release's Services as 127.0.0.1; scripts/chart-runs/images.yaml maps each image to its
# program. Each profile runs in a network namespace of its own (`unshare --net`, loopback only):
# no traffic can leave the machine and no port meets another program's.
#
# For every profile and component the table says started / probes / scenario:
#   ok      passed;   FAIL  failed (the suite exits 1);
#   skip    cannot run here (the program is not installed, or the scenario is not written yet):
#           counted as skipped, never as passed;
#   xfail   a known defect listed in scripts/chart-runs/run.py (KNOWN_DEFECTS): it must fail, and
#           the tier fails once it passes (the list is then out of date).
#
# Run by scripts/test.sh; alone: bash scripts/test.d/43-chart-runs.sh. PROFILES (file names
# without .yaml, default below) and COMPONENTS (comma-separated) narrow a run by hand; KEEP=1 keeps
# the work directory (logs of every container).
set -euo pipefail
suite=43-chart-runs
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
t0=$SECONDS
step() { printf '\n-- %s (+%ss)\n' "$*" "$((SECONDS - t0))"; }
fail() { echo "$suite: FAIL: $*" >&2; exit 1; }
# shellcheck source=scripts/lib/suite-counts.sh
source "$root/scripts/lib/suite-counts.sh"

# PROFILE+OVERLAY[+OVERLAY...]: the profile with scripts/chart-runs/overlays/OVERLAY.yaml layered on it.
#   values-prod+model: prod with the first model NOTES.txt describes (an external provider): chat
#     through Open WebUI and the gateway;
#   +existing-secrets: every password and key from Secrets the user created before the install
#     (existingSecret of the gateway, PostgreSQL, Redis and Open WebUI; existing-objects.yaml);
#   values-dev+r2r: dev with the models R2R's default configuration asks the gateway for (the fake
#     server): R2R ingests a document and retrieves it, its embeddings through the gateway;
#   values-gpu+ports: every port of global.ports changed (gateway 4100, vLLM 8100, Qdrant 6400,
#     Redis 6380, PostgreSQL 5433), with Open WebUI: chat Open WebUI -> gateway -> model server.
default_profiles="values-dev+r2r values-prod values-prod+model+existing-secrets values-openshift values-gpu values-gpu+ports values-litemaas-small values-router-prod values-aiops-prod"
read -r -a profiles <<<"${PROFILES:-$default_profiles}"
components="${COMPONENTS:-}"

step "tools"
command -v python3 >/dev/null || fail "python3 is required"
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check pyyaml >/dev/null 2>&1 \
    || python3 -m pip install --quiet --user --break-system-packages pyyaml >/dev/null 2>&1 || true
  python3 -c 'import yaml' 2>/dev/null || fail "PyYAML is required (pip install pyyaml, or Debian: apt-get install python3-yaml)"
fi
if [[ -z "${HELM_V3:-}" ]]; then
  tools_env="$(tools/tools.sh)" || fail "tools/tools.sh failed"
  eval "$tools_env"
fi
"$HELM_V3" version --short
t_apps=$SECONDS
apps_env="$(tools/apps.sh)" || fail "tools/apps.sh failed"
eval "$apps_env"
# The apps' directory is under $HOME (often mode 700): podrun makes it reachable for the
# containers' users (runAsUser) inside their mount namespaces, read-only.
export PODRUN_SHARE="$STACKCHECK_APPS${PYTHON_HOME:+:$PYTHON_HOME}"
export STACKCHECK_APPS BUSYBOX_BIN REDIS_BIN POSTGRES_BIN LITELLM_VENV LITELLM_SITE OPEN_WEBUI_VENV OPEN_WEBUI_SITE \
  R2R_VENV R2R_SITE PYTHON_HOME
echo "apps ready in $((SECONDS - t_apps))s:"
for f in "$STACKCHECK_APPS"/*.missing; do
  [[ -f "$f" ]] && echo "   not installed: $(basename "$f" .missing): $(cat "$f")"
done
printf '%s\n' "$apps_env" | sed -n 's/^export \([A-Z_]*\)=.*/   \1/p'

work="$(mktemp -d "${TMPDIR:-/tmp}/stackcheck-runs.XXXXXX")"
results="$work/results.jsonl"
: >"$results"
cleanup() {
  local status=$?
  # podrun stops every process it started (its finally blocks); a leftover namespace dies with
  # its last process. Nothing else to stop here.
  if ((status == 0)) && [[ -z "${KEEP:-}" ]]; then rm -rf "$work"; else echo "$suite: work directory kept: $work" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The isolation every run needs: a network namespace with loopback, mount namespaces.
netns_ok=true
if ! unshare --net sh -c 'ip link set lo up' 2>/dev/null && ! unshare --user --map-root-user --net sh -c 'ip link set lo up' 2>/dev/null; then
  netns_ok=false
fi
unshare_net=(unshare --net)
if [[ "$(id -u)" != 0 ]]; then unshare_net=(unshare --user --map-root-user --net); fi

for profile in "${profiles[@]}"; do
  step "profile $profile"
  rendered="$work/$profile.yaml"
  files=(-f "charts/llm-stack/${profile%%+*}.yaml")
  IFS=+ read -r -a overlays <<<"${profile#"${profile%%+*}"}"
  for o in "${overlays[@]}"; do
    [[ -n "$o" ]] && files+=(-f "scripts/chart-runs/overlays/$o.yaml")
  done
  "$HELM_V3" template llm charts/llm-stack "${files[@]}" >"$rendered" \
    || fail "helm template of $profile failed"
  if ! $netns_ok; then
    echo "{\"profile\": \"$profile\", \"component\": \"*\", \"started\": \"skip\", \"probes\": \"skip\", \"scenario\": \"skip\", \"detail\": \"no network/mount namespaces here (unshare)\", \"seconds\": 0}" >>"$results"
    continue
  fi
  # shellcheck disable=SC2016 # expanded by the inner shell
  "${unshare_net[@]}" bash -c 'ip link set lo up && exec "$@"' inner \
    python3 scripts/chart-runs/run.py --profile "${profile#values-}" -f "$rendered" \
    --images scripts/chart-runs/images.yaml --work "$work/$profile" --results "$results" --only "$components" \
    || fail "the scenarios of $profile crashed"
done

step "summary"
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
wp = max([16] + [len(r["profile"]) for r in rows])  # profiles with overlays are long
wc = max([18] + [len(r["component"]) for r in rows])
print(f"{'PROFILE':<{wp}} {'COMPONENT':<{wc}} {'STARTED':<8} {'PROBES':<8} {'SCENARIO':<8} {'TIME':>7}  DETAIL")
for r in rows:
    print(f"{r['profile']:<{wp}} {r['component']:<{wc}} {r['started']:<8} {r['probes']:<8} {r['scenario']:<8} {r['seconds']:>6}s  {r['detail'][:150]}")
PY
read -r passed failed skipped xfail < <(python3 - "$results" <<'PY'
import json, sys
c = {"ok": 0, "FAIL": 0, "skip": 0, "xfail": 0}
for l in open(sys.argv[1]):
    if l.strip():
        r = json.loads(l)
        for f in ("started", "probes", "scenario"):
            if r[f] in c:
                c[r[f]] += 1
print(c["ok"], c["FAIL"], c["skip"], c["xfail"])
PY
)
echo
echo "$suite: $passed passed, $failed failed, $skipped skipped, $xfail known defects (xfail) in $((SECONDS - t0))s"
# A known defect that still fails is not a pass: test.sh's summary counts it with the skipped.
suite_counts "$passed" "$failed" "$((skipped + xfail))"
((failed == 0)) || fail "$failed check(s) failed (table above; container logs in $work)"
