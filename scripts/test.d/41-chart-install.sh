#!/usr/bin/env bash
# Test tier 4, chart install: every profile of charts/llm-stack installed for real, with Helm v3 and
# Helm v4, into a real control plane (scripts/control-plane.sh: kube-apiserver, controller-manager,
# scheduler of the pinned release, etcd, kwok nodes from tests/fixtures/control-plane/nodes/).
#
# For every profile (values.yaml alone, and each values-*.yaml layered on it with -f) and each Helm,
# in a fresh namespace that enforces (and warns and audits) Pod Security `restricted`:
#   1. `helm install --dry-run=server` succeeds; Helm sends nothing to the API server on a dry run
#      (it only discovers the APIs and answers lookups), so its manifest, hooks included, then goes
#      through `kubectl create --dry-run=server`: admission and strict field validation of every
#      object. No `would violate PodSecurity` warning in either output.
#   2. `helm install` succeeds without PodSecurity warnings, every controller creates all its pods
#      (no FailedCreate event: PodSecurity, quota and LimitRange refusals show there) and every
#      claim is bound. Pods may stay Pending for want of GPUs or room; they are counted and listed
#      with the scheduler's reason, not failed.
#   3. For the profiles of UPGRADE_PROFILES (default values values-dev values-prod values-openshift:
#      together every kind of generated Secret): `helm upgrade --dry-run=server` renders every
#      generated Secret with the data stored in the cluster (lookup), and `helm upgrade` with the same
#      values and with --reuse-values leave every Secret byte for byte as it was. After the
#      uninstall, a new install adopts the Secrets kept by `helm.sh/resource-policy: keep`, data
#      unchanged.
#   4. `helm uninstall`: once the garbage collector has removed the pods, the namespace holds only
#      what Kubernetes puts in every namespace (ServiceAccount default, ConfigMap kube-root-ca.crt,
#      Events), the StatefulSets' claims, and the objects the chart marks `resource-policy: keep`.
# The OpenShift profile runs while the cluster serves the OpenShift APIs (Route and SCC CRDs of
# ../shared/crds/, and OAuthClient from tests/fixtures/control-plane/openshift-oauthclient-crd.yaml),
# and values.yaml too, to see `global.platform: auto` find OpenShift through Helm's discovery. Those
# CRDs are then removed and the other profiles install on a plain Kubernetes (with the Prometheus
# operator, KEDA, Gateway API and CloudNativePG CRDs still there).
#
# Run by scripts/test.sh; alone: bash scripts/test.d/41-chart-install.sh. PROFILES (space-separated
# file names without .yaml, default every values*.yaml), HELMS (default "v3 v4") and UPGRADE_PROFILES
# narrow a run by hand. STACKCHECK_BIN reuses a stackcheck binary (suite_start builds one otherwise).
# The control plane is always stopped; on a failure its directory (logs) is kept and named.
set -euo pipefail
suite=41-chart-install
# shellcheck source=scripts/lib/control-plane-suite.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/control-plane-suite.sh"
chart="$root/charts/llm-stack"
fixtures="$root/tests/fixtures/control-plane"
crds="$root/../shared/crds"
release=llm
all_profiles=()
for f in "$chart"/values*.yaml; do f="${f##*/}"; all_profiles+=("${f%.yaml}"); done
read -r -a profiles <<<"${PROFILES:-${all_profiles[*]}}"
read -r -a helms <<<"${HELMS:-v3 v4}"
upgrade_profiles=" ${UPGRADE_PROFILES:-values values-dev values-prod values-openshift} "
suite_start
# kubectl's and Helm's discovery cache of this run only: the OpenShift APIs come and go below.
export KUBECACHEDIR="$work/kube-cache"

rows=()
pending_notes=()
declare -A kept_by=()
runs="$work/runs"
mkdir -p "$runs"

# ---- helpers -----------------------------------------------------------------------------------

# helm_bin v3|v4: the pinned Helm binary.
helm_bin() { case "$1" in v3) echo "$HELM_V3" ;; v4) echo "$HELM_V4" ;; *) fail "unknown Helm $1" ;; esac; }

# ns_create NS: a namespace enforcing, warning and auditing Pod Security restricted (latest).
ns_create() {
  kc create namespace "$1" >/dev/null
  local mode labels=()
  for mode in enforce warn audit; do
    labels+=("pod-security.kubernetes.io/$mode=restricted" "pod-security.kubernetes.io/$mode-version=latest")
  done
  kc label namespace "$1" "${labels[@]}" >/dev/null
}

# no_psa_warnings FILE...: status 1 and the `would violate PodSecurity` lines when there are some
# (Helm and kubectl print the API server's warnings on stderr).
no_psa_warnings() {
  if grep -h 'would violate PodSecurity' "$@"; then return 1; fi
  return 0
}

# release_yaml RELEASE_JSON OUT: the manifest and the hooks of a `helm ... -o json` release as one
# YAML stream.
release_yaml() {
  jq -r '.manifest, (.hooks // [] | .[] | "---\n" + .manifest)' "$1" >"$2"
}

# objects YAML NS: the objects of a YAML stream as a JSON array (kubectl decodes; no validation).
objects() {
  kc create --dry-run=client --validate=false -n "$2" -f "$1" -o json | jq -s .
}

# secrets NS: the namespace's Secrets but Helm's release records, {name, type, data}, sorted.
secrets() {
  kc -n "$1" get secrets -o json \
    | jq -S '[.items[] | select(.type != "helm.sh/release.v1") | {name: .metadata.name, type, data: (.data // {})}] | sort_by(.name)'
}

# changed_secrets A B: names of the Secrets whose data differ between two snapshots, or that only
# one of them has.
changed_secrets() {
  jq -rn --slurpfile a "$1" --slurpfile b "$2" '
    ($a[0] | map({(.name): .data}) | add // {}) as $x | ($b[0] | map({(.name): .data}) | add // {}) as $y
    | ($x + $y | keys[]) as $k | select($x[$k] != $y[$k]) | $k' | paste -sd' '
}

# settle NS DIR: wait until every controller created all its pods (failing at once on a
# FailedCreate event), every claim is Bound (kwok provisions them), and the scheduler has either
# bound each pod or found it Unschedulable for a reason other than a claim not bound yet. A
# StatefulSet with OrderedReady stops at a pod that is not Ready (Pending: no room or no GPU): that
# counts as settled, its later pods are not created yet by design.
settle() {
  local ns="$1" dir="$2" deadline=$((SECONDS + 120)) waiting
  while :; do
    if kc -n "$ns" get events --field-selector reason=FailedCreate -o json \
      | jq -e '.items | length > 0' >/dev/null; then
      kc -n "$ns" get events --field-selector reason=FailedCreate \
        -o custom-columns=KIND:.involvedObject.kind,NAME:.involvedObject.name,MESSAGE:.message >&2
      return 1
    fi
    kc -n "$ns" get deployments,replicasets,statefulsets,daemonsets,jobs,persistentvolumeclaims,pods -o json >"$dir/settle.json"
    waiting="$(jq -r '.items[] | select(
        if .kind == "Deployment" then (.status.observedGeneration // 0) < .metadata.generation or (.status.replicas // 0) < .spec.replicas
        elif .kind == "ReplicaSet" then (.status.replicas // 0) < .spec.replicas
        elif .kind == "StatefulSet" then (.status.replicas // 0) < .spec.replicas
          and ((.spec.podManagementPolicy // "OrderedReady") != "OrderedReady" or (.status.readyReplicas // 0) >= (.status.replicas // 0))
        elif .kind == "DaemonSet" then (.status.currentNumberScheduled // 0) < (.status.desiredNumberScheduled // 0)
        elif .kind == "Job" then ((.status.active // 0) + (.status.succeeded // 0) + (.status.failed // 0)) == 0
        elif .kind == "PersistentVolumeClaim" then .status.phase != "Bound"
        else .spec.nodeName == null and .status.phase == "Pending"
          and ([(.status.conditions // [])[] | select(.type == "PodScheduled" and .reason == "Unschedulable"
                and (.message | test("PersistentVolumeClaim") | not))] | length == 0)
        end) | "\(.kind)/\(.metadata.name)"' "$dir/settle.json" | paste -sd' ')"
    [[ -z "$waiting" ]] && return 0
    if ((SECONDS >= deadline)); then
      echo "   not settled after 120s (pods not created, claims not bound, pods not scheduled): $waiting" >&2
      return 1
    fi
    sleep 1
  done
}

# pod_counts NS: "TOTAL BOUND PENDING" of the namespace's pods (bound: the scheduler gave a node).
pod_counts() {
  kc -n "$1" get pods -o json \
    | jq -r '[.items | length, (map(select(.spec.nodeName != null)) | length), (map(select(.spec.nodeName == null)) | length)] | @tsv'
}

# note_pending NS LABEL: one line per unbound pod with the scheduler's reason.
note_pending() {
  local ns="$1" label="$2" line
  while IFS= read -r line; do
    pending_notes+=("$label: $line")
  done < <(kc -n "$ns" get pods -o json | jq -r '.items[] | select(.spec.nodeName == null)
    | "\(.metadata.name): \([(.status.conditions // [])[] | select(.type == "PodScheduled")][0].message // "not scheduled yet" | .[0:160])"')
}

# wait_gone NS: after an uninstall, wait until the garbage collector removed the controllers' pods.
wait_gone() {
  local ns="$1" deadline=$((SECONDS + 120)) left
  while :; do
    left="$(kc -n "$ns" get pods,replicasets,jobs -o name | paste -sd' ')"
    [[ -z "$left" ]] && return 0
    ((SECONDS < deadline)) || { echo "   not deleted after 120s: $left" >&2; return 1; }
    sleep 1
  done
}

namespaced_kinds=""
# everything NS: every namespaced object left in NS as "kind/name" lines (all listable resources;
# v1 Endpoints only through their EndpointSlices, as listing them prints a deprecation warning).
everything() {
  if [[ -z "$namespaced_kinds" ]]; then
    namespaced_kinds="$(kc api-resources --verbs=list --namespaced -o name | grep -vx endpoints | paste -sd,)"
  fi
  kc -n "$1" get "$namespaced_kinds" -o json | jq -r '.items[] | "\(.kind)/\(.metadata.name)"' | sort -u
}

# openshift_apis on|off: serve the OpenShift APIs the chart uses (Route, SCC from ../shared/crds,
# OAuthClient from our fixture), or remove them, and wait until discovery says so.
openshift_apis() {
  local files=("$crds/route.openshift.io_routes.yaml" "$crds/security.openshift.io_securitycontextconstraints.yaml"
    "$fixtures/openshift-oauthclient-crd.yaml")
  local groups=(route.openshift.io/v1 security.openshift.io/v1 oauth.openshift.io/v1) deadline=$((SECONDS + 60)) g ok f args=()
  for f in "${files[@]}"; do args+=(-f "$f"); done
  namespaced_kinds=""
  if [[ "$1" == on ]]; then
    kc apply --server-side "${args[@]}" >/dev/null
    kc wait --for condition=Established --timeout 60s "${args[@]}" >/dev/null
  else
    kc delete --wait=true "${args[@]}" >/dev/null
  fi
  while :; do
    ok=true
    for g in "${groups[@]}"; do
      if kc api-versions | grep -qx "$g"; then [[ "$1" == on ]] || ok=false; else [[ "$1" == off ]] || ok=false; fi
    done
    $ok && return 0
    ((SECONDS < deadline)) || fail "discovery still does not show the OpenShift APIs $1 after 60s"
    sleep 1
  done
}

# oauth_secret_matches NS OAUTHCLIENT: the OAuthClient's secret is the LiteMaaS backend's
# oauth-client-secret (the portal logs in with it), both generated once.
oauth_secret_matches() {
  local want got
  want="$(kc -n "$1" get secret "$release-litemaas" -o jsonpath='{.data.oauth-client-secret}' | base64 -d)"
  got="$(kc get oauthclients.oauth.openshift.io "$2" -o jsonpath='{.secret}')"
  [[ -n "$want" && "$want" == "$got" ]]
}

# ---- one profile with one Helm -----------------------------------------------------------------

# run_profile PROFILE HELM APIS: install, check, upgrade, uninstall PROFILE (values or values-X)
# with Helm HELM (v3|v4) while the cluster serves the OpenShift APIs (APIS=openshift) or not
# (kubernetes). Adds a row to the summary; fails the suite on the first broken check.
run_profile() {
  local profile="$1" hv="$2" apis="$3" helm ns label dir t_run=$SECONDS oauthclients=()
  helm="$(helm_bin "$hv")"
  label="$profile"
  [[ "$profile" == values && "$apis" == openshift ]] && label="values (auto on OpenShift)"
  ns="${profile#values-}-$hv"
  [[ "$profile" == values ]] && ns="default-$hv"
  [[ "$profile" == values && "$apis" == openshift ]] && ns="default-ocp-$hv"
  dir="$runs/$ns"
  mkdir -p "$dir"
  local vals=()
  [[ "$profile" == values ]] || vals=(-f "$chart/$profile.yaml")
  step "$label, Helm $hv, namespace $ns"
  ns_create "$ns"

  # 1. dry run: Helm (discovery + lookup), then the API server's admission on its output.
  "$helm" install "$release" "$chart" -n "$ns" "${vals[@]}" --dry-run=server -o json \
    >"$dir/dry.json" 2>"$dir/dry.err" || { cat "$dir/dry.err" >&2; fail "$label/$hv: helm install --dry-run=server failed"; }
  release_yaml "$dir/dry.json" "$dir/dry.yaml"
  kc create --dry-run=server -n "$ns" -f "$dir/dry.yaml" -o name >"$dir/dry-server.out" 2>"$dir/dry-server.err" \
    || { cat "$dir/dry-server.err" >&2; fail "$label/$hv: the API server refuses the dry run's manifest"; }
  no_psa_warnings "$dir/dry.err" "$dir/dry-server.err" >&2 || fail "$label/$hv: PodSecurity warnings on the dry run"
  if grep -q '^Warning:' "$dir/dry-server.err"; then
    echo "   API server warnings on the dry run (not PodSecurity):"
    grep '^Warning:' "$dir/dry-server.err" | sed 's/^/     /'
  fi
  local n_objects
  n_objects="$(wc -l <"$dir/dry-server.out")"
  echo "   dry run: $n_objects objects (hooks included) admitted by the API server, no PodSecurity warning"

  # 2. install.
  "$helm" install "$release" "$chart" -n "$ns" "${vals[@]}" --timeout 3m >"$dir/install.out" 2>"$dir/install.err" \
    || { cat "$dir/install.err" >&2; fail "$label/$hv: helm install failed"; }
  no_psa_warnings "$dir/install.err" >&2 || fail "$label/$hv: PodSecurity warnings on install"
  if grep -q 'warnings.go' "$dir/install.err"; then
    echo "   API server warnings (not PodSecurity):"
    grep 'warnings.go' "$dir/install.err" | sed 's/^/     /'
  fi
  settle "$ns" "$dir" || fail "$label/$hv: a controller could not create its pods (see above)"
  local counts total bound pending
  counts="$(pod_counts "$ns")"
  read -r total bound pending <<<"$counts"
  echo "   pods: $total created, $bound bound, $pending pending"
  ((pending == 0)) || note_pending "$ns" "$label/$hv"

  "$helm" get manifest "$release" -n "$ns" >"$dir/release.yaml"
  objects "$dir/release.yaml" "$ns" >"$dir/release.json"
  if [[ "$apis" == openshift ]]; then
    # The OpenShift flavour: no fixed UIDs (the SCC assigns them), Routes, the OAuthClient.
    if jq -e '[.. | objects | select(has("runAsUser"))] | length > 0' "$dir/release.json" >/dev/null; then
      fail "$label/$hv: the release sets runAsUser although the cluster is OpenShift"
    fi
    local want_routes got_routes
    want_routes="$(jq '[.[] | select(.kind == "Route")] | length' "$dir/release.json")"
    got_routes="$(kc -n "$ns" get routes.route.openshift.io -o name | wc -l)"
    ((got_routes == want_routes)) || fail "$label/$hv: $got_routes Routes in the namespace, $want_routes in the release"
    if [[ "$profile" == values-openshift ]]; then
      ((got_routes > 0)) || fail "$label/$hv: no Route created"
      mapfile -t oauthclients < <(jq -r '.[] | select(.kind == "OAuthClient") | .metadata.name' "$dir/release.json")
      ((${#oauthclients[@]})) || fail "$label/$hv: no OAuthClient in the release"
      kc get oauthclients.oauth.openshift.io "${oauthclients[@]}" >/dev/null || fail "$label/$hv: OAuthClient missing"
      oauth_secret_matches "$ns" "${oauthclients[0]}" || fail "$label/$hv: the OAuthClient's secret is not the portal's oauth-client-secret"
      echo "   OpenShift: $got_routes Route(s): $(kc -n "$ns" get routes.route.openshift.io -o jsonpath='{range .items[*]}{.spec.host} {end}'), OAuthClient ${oauthclients[*]}"
    else
      echo "   OpenShift detected by global.platform=auto (no fixed UIDs), $got_routes Route(s)"
    fi
  fi

  # 3. upgrades keep every generated Secret.
  local upgrade="-"
  if [[ "$upgrade_profiles" == *" $profile "* ]]; then
    secrets "$ns" >"$dir/secrets0.json"
    local n_secrets changed
    n_secrets="$(jq length "$dir/secrets0.json")"
    "$helm" upgrade "$release" "$chart" -n "$ns" "${vals[@]}" --dry-run=server -o json >"$dir/up-dry.json" 2>"$dir/up-dry.err" \
      || { cat "$dir/up-dry.err" >&2; fail "$label/$hv: helm upgrade --dry-run=server failed"; }
    release_yaml "$dir/up-dry.json" "$dir/up-dry.yaml"
    objects "$dir/up-dry.yaml" "$ns" \
      | jq -S '[.[] | select(.kind == "Secret" and .type != "kubernetes.io/service-account-token") | {name: .metadata.name, type, data: (.data // {})}] | sort_by(.name)' \
        >"$dir/secrets-dry.json"
    # Compare the Secrets the dry run renders with the same Secrets in the cluster.
    jq -S --slurpfile r "$dir/secrets-dry.json" '[.[] | select(.name as $n | $r[0] | any(.name == $n))]' \
      "$dir/secrets0.json" >"$dir/secrets0-rendered.json"
    changed="$(changed_secrets "$dir/secrets0-rendered.json" "$dir/secrets-dry.json")"
    [[ -z "$changed" ]] || fail "$label/$hv: helm upgrade --dry-run=server renders other values for Secret(s) $changed"
    "$helm" upgrade "$release" "$chart" -n "$ns" "${vals[@]}" --timeout 3m >/dev/null 2>"$dir/upgrade.err" \
      || { cat "$dir/upgrade.err" >&2; fail "$label/$hv: helm upgrade failed"; }
    secrets "$ns" >"$dir/secrets1.json"
    changed="$(changed_secrets "$dir/secrets0.json" "$dir/secrets1.json")"
    [[ -z "$changed" ]] || fail "$label/$hv: helm upgrade changed Secret(s) $changed"
    "$helm" upgrade "$release" "$chart" -n "$ns" --reuse-values --timeout 3m >/dev/null 2>"$dir/upgrade-reuse.err" \
      || { cat "$dir/upgrade-reuse.err" >&2; fail "$label/$hv: helm upgrade --reuse-values failed"; }
    secrets "$ns" >"$dir/secrets2.json"
    changed="$(changed_secrets "$dir/secrets0.json" "$dir/secrets2.json")"
    [[ -z "$changed" ]] || fail "$label/$hv: helm upgrade --reuse-values changed Secret(s) $changed"
    no_psa_warnings "$dir/upgrade.err" "$dir/upgrade-reuse.err" "$dir/up-dry.err" >&2 || fail "$label/$hv: PodSecurity warnings on upgrade"
    settle "$ns" "$dir" || fail "$label/$hv: after the upgrades a controller could not create its pods"
    if ((${#oauthclients[@]})); then
      oauth_secret_matches "$ns" "${oauthclients[0]}" || fail "$label/$hv: after the upgrades the OAuthClient's secret is not the portal's"
    fi
    upgrade="same ($n_secrets/$n_secrets, dry-run too)"
    echo "   upgrade: the $n_secrets Secrets are unchanged after upgrade --dry-run=server, upgrade, upgrade --reuse-values"
  fi

  # 4. uninstall: what stays.
  jq -r '.[] | select(.metadata.annotations["helm.sh/resource-policy"] == "keep") | "\(.kind)/\(.metadata.name)"' \
    "$dir/release.json" | sort >"$dir/keep"
  jq -r '.[] | select(.kind == "StatefulSet") | .metadata.name as $s | (.spec.volumeClaimTemplates // [])[]
    | "^PersistentVolumeClaim/\(.metadata.name)-\($s)-[0-9]+$"' "$dir/release.json" >"$dir/claims"
  "$helm" uninstall "$release" -n "$ns" --timeout 3m >/dev/null 2>"$dir/uninstall.err" \
    || { cat "$dir/uninstall.err" >&2; fail "$label/$hv: helm uninstall failed"; }
  wait_gone "$ns" || fail "$label/$hv: pods of the release remain after the uninstall"
  everything "$ns" >"$dir/left"
  local obj n_claims=0 kept=() unexpected=()
  while IFS= read -r obj; do
    case "$obj" in
      Event/*) continue ;;
      ServiceAccount/default | ConfigMap/kube-root-ca.crt) continue ;;
    esac
    if [[ -s "$dir/claims" ]] && grep -qEf "$dir/claims" <<<"$obj"; then
      n_claims=$((n_claims + 1))
    elif grep -qxF "$obj" "$dir/keep"; then
      kept+=("$obj")
    else
      unexpected+=("$obj")
    fi
  done <"$dir/left"
  ((${#unexpected[@]} == 0)) || fail "$label/$hv: left behind after helm uninstall: ${unexpected[*]}"
  if ((${#oauthclients[@]})) && [[ -n "$(kc get oauthclients.oauth.openshift.io "${oauthclients[@]}" --ignore-not-found -o name)" ]]; then
    fail "$label/$hv: the OAuthClient is left behind after helm uninstall"
  fi
  local leftovers="${n_claims} claim(s)"
  ((${#kept[@]} == 0)) || leftovers+=", keep: $(printf '%s\n' "${kept[@]}" | sed 's,/.*,,; s,^PersistentVolumeClaim$,PVC,' | sort | uniq -c | awk '{printf "%s%d %s", sep, $1, $2; sep=", "}')"
  echo "   uninstall leaves $leftovers"
  if ((${#kept[@]})); then kept_by["${kept[*]}"]+=" $label/$hv"; fi

  # 3b. a new install adopts the kept Secrets with their data (the kept claims' data needs them).
  if [[ "$upgrade_profiles" == *" $profile "* ]] && grep -q '^Secret/' "$dir/keep"; then
    "$helm" install "$release" "$chart" -n "$ns" "${vals[@]}" --timeout 3m >/dev/null 2>"$dir/reinstall.err" \
      || { cat "$dir/reinstall.err" >&2; fail "$label/$hv: install after uninstall (kept objects) failed"; }
    secrets "$ns" >"$dir/secrets3.json"
    jq -S --rawfile keep "$dir/keep" '[.[] | select(("Secret/" + .name) as $k | $keep | split("\n") | index($k))]' \
      "$dir/secrets0.json" >"$dir/secrets0-kept.json"
    jq -S --slurpfile r "$dir/secrets0-kept.json" '[.[] | select(.name as $n | $r[0] | any(.name == $n))]' \
      "$dir/secrets3.json" >"$dir/secrets3-kept.json"
    changed="$(changed_secrets "$dir/secrets0-kept.json" "$dir/secrets3-kept.json")"
    [[ -z "$changed" ]] || fail "$label/$hv: the reinstall changed kept Secret(s) $changed"
    echo "   reinstall: the $(jq length "$dir/secrets0-kept.json") kept Secrets are adopted unchanged"
    upgrade+=", reinstall keeps $(jq length "$dir/secrets0-kept.json")"
    "$helm" uninstall "$release" -n "$ns" --timeout 3m >/dev/null 2>>"$dir/uninstall.err" || fail "$label/$hv: second uninstall failed"
  fi
  kc delete namespace "$ns" --wait=false >/dev/null

  rows+=("$(printf '%-28s %-4s %-9s %-7s %-22s %-43s %-36s %4ss' "$label" "$hv" "ok($n_objects)" ok \
    "$total/$bound/$pending" "$upgrade" "$leftovers" "$((SECONDS - t_run))")")
}

# ---- the runs ----------------------------------------------------------------------------------

has_profile() { [[ " ${profiles[*]} " == *" $1 "* ]]; }

step "OpenShift APIs: Route and SCC CRDs from ../shared/crds, OAuthClient from our fixture"
for crd in routes.route.openshift.io securitycontextconstraints.security.openshift.io; do
  kc get crd "$crd" >/dev/null || fail "the control plane did not install CRD $crd (../shared/crds)"
done
openshift_apis on
kc api-versions | grep openshift.io | sed 's/^/   served: /'
for hv in "${helms[@]}"; do
  if has_profile values-openshift; then run_profile values-openshift "$hv" openshift; fi
  if has_profile values; then run_profile values "$hv" openshift; fi
done

step "plain Kubernetes: OpenShift CRDs removed"
openshift_apis off
for profile in "${profiles[@]}"; do
  [[ "$profile" == values-openshift ]] && continue
  for hv in "${helms[@]}"; do run_profile "$profile" "$hv" kubernetes; done
done

step "summary"
printf '%-28s %-4s %-9s %-7s %-22s %-43s %-36s %5s\n' PROFILE HELM DRY-RUN INSTALL "PODS all/bound/pending" \
  "UPGRADE: SECRETS" "UNINSTALL LEAVES" TIME
printf '%s\n' "${rows[@]}"
if ((${#pending_notes[@]})); then
  echo
  echo "Pods left Pending (no GPU or no room on the kwok nodes; expected, not checked here):"
  printf '  %s\n' "${pending_notes[@]}"
fi
if ((${#kept_by[@]})); then
  echo
  echo "Kept by helm uninstall (helm.sh/resource-policy: keep; charts/llm-stack/README.md, Upgrades and uninstall):"
  for set in "${!kept_by[@]}"; do printf '  %s\n    in:%s\n' "$set" "${kept_by[$set]}"; done | paste - - | sort | tr '\t' '\n'
fi
scripts/control-plane.sh status "$work" || fail "a control-plane component died during the tests"
echo
suite_counts "${#rows[@]}" 0 0
echo "41-chart-install: ${#rows[@]} installs passed in $((SECONDS - t0))s"
