#!/usr/bin/env bash
# Test tier 4, smoke: stackcheck against a real control plane (scripts/control-plane.sh: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler of the pinned release and kwok nodes from
# tests/fixtures/control-plane/nodes/, all on 127.0.0.1).
#
#   a. `stackcheck snapshot --cluster live` lists every fixture node with its allocatable;
#   b. `preflight --cluster live`, `--cluster SNAPSHOT` and `--cluster KUBECTL-JSON` of the same
#      release give the same JSON (but cluster.source), before and after a release runs;
#   c. a user who may only read nodes gets exit 3, verdict `unknown`, and gaps naming each list
#      it could not read;
#   d. a release installed with Helm v4 into a namespace enforcing Pod Security `restricted`: the
#      real scheduler binds its pods to nodes the preflight had found feasible (verdict fits), and a
#      release that cannot fit (GPUs, no toleration) stays Pending with a FailedScheduling message
#      naming the same resources and taints as the preflight's;
#   e. a component that dies at start is named with its exit status or signal, and the start is
#      retried once.
#
# Run by scripts/test.sh (HELM_V4 and the control-plane tools come from tools/tools.sh; built once
# and cached). Alone: bash scripts/test.d/40-control-plane.sh. STACKCHECK_BIN names a stackcheck
# binary to use instead of `cargo build --release`. The control plane is always stopped; on a
# failure its directory (logs) is kept and named.
set -euo pipefail
suite=40-control-plane
# shellcheck source=scripts/lib/control-plane-suite.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/control-plane-suite.sh"
fixtures="$root/tests/fixtures/control-plane"
suite_start

rows=()
row() { rows+=("$(printf '%-42s %-44s %-36s %s' "$1" "$2" "$3" "$4")"); }

# ---- a. snapshot ---------------------------------------------------------------------------------
step "a. stackcheck snapshot --cluster live"
"$sc" snapshot --cluster live -o "$work/snap0.json"
for f in "$fixtures"/nodes/*.yaml; do
  want="$(kc create --dry-run=client -o json -f "$f")"
  node="$(jq -r .metadata.name <<<"$want")"
  want_alloc="$(jq -cS .status.allocatable <<<"$want")"
  got_alloc="$(jq -cS --arg n "$node" '.items[] | select(.kind == "Node" and .metadata.name == $n) | .status.allocatable' "$work/snap0.json")"
  [[ -n "$got_alloc" ]] || fail "snapshot lacks node $node"
  [[ "$got_alloc" == "$want_alloc" ]] || fail "node $node: allocatable $got_alloc in the snapshot, $want_alloc in $f"
  ready="$(jq -r --arg n "$node" '.items[] | select(.kind == "Node" and .metadata.name == $n) | (.status.conditions // [])[] | select(.type == "Ready") | .status' "$work/snap0.json")"
  row "a. node $node" "allocatable as in fixture" "Ready=$ready" ok
done
before="$(jq '[.items[] | select(.kind == "Pod")] | length' "$work/snap0.json")"
nodes_total="$(jq '[.items[] | select(.kind == "Node")] | length' "$work/snap0.json")"
fixtures_total="$(find "$fixtures/nodes" -name '*.yaml' | wc -l)"
((nodes_total == fixtures_total)) || fail "snapshot has $nodes_total nodes, fixtures $fixtures_total"

# ---- releases --------------------------------------------------------------------------------------
ns=smoke
kc create namespace "$ns" >/dev/null
kc label namespace "$ns" pod-security.kubernetes.io/enforce=restricted \
  pod-security.kubernetes.io/enforce-version=latest >/dev/null
chart="$fixtures/smoke-chart"
render() { "$HELM_V4" template "$1" "$chart" -n "$ns" "${@:2}"; }
render web >"$work/web.yaml"
render gpu --set gpus=1 >"$work/gpu.yaml"

# preflight NAME CLUSTER [KUBECONFIG]: JSON report in $work/NAME.json, exit code in $work/NAME.rc.
# CLUSTER: live, or files separated by `|` (each one --cluster).
preflight() {
  local name="$1" rc=0 f args=()
  local IFS='|'
  for f in $2; do args+=(--cluster "$f"); done
  KUBECONFIG="${3:-$KUBECONFIG}" "$sc" preflight --manifests "$work/${name%%.*}.yaml" -n "$ns" \
    "${args[@]}" -o json >"$work/$name.json" 2>"$work/$name.err" || rc=$?
  echo "$rc" >"$work/$name.rc"
}
verdict() { jq -r .verdict "$work/$1.json"; }

# same_report A B: the two reports are equal but for cluster.source (and so are the exit codes).
same_report() {
  local a="$1" b="$2"
  if ! diff <(jq -S 'del(.cluster.source)' "$work/$a.json") <(jq -S 'del(.cluster.source)' "$work/$b.json") >"$work/$a-$b.diff"; then
    head -n 40 "$work/$a-$b.diff" >&2
    fail "preflight reports $a and $b differ (besides cluster.source)"
  fi
  [[ "$(cat "$work/$a.rc")" == "$(cat "$work/$b.rc")" ]] || fail "exit codes differ: $a $(cat "$work/$a.rc"), $b $(cat "$work/$b.rc")"
}

# ---- b. live = snapshot -----------------------------------------------------------------------------
step "b. preflight --cluster live = --cluster snapshot"
for r in web gpu; do
  preflight "$r.live" live
  preflight "$r.snap" "$work/snap0.json"
  same_report "$r.live" "$r.snap"
  row "b. $r: live vs snapshot ($before pods)" "$(verdict "$r.live") (exit $(cat "$work/$r.live.rc"))" "$(verdict "$r.snap") (exit $(cat "$work/$r.snap.rc"))" same
done
[[ "$(verdict web.live)" == fits ]] || fail "web: verdict $(verdict web.live), expected fits"
[[ "$(verdict gpu.live)" == does-not-fit ]] || fail "gpu: verdict $(verdict gpu.live), expected does-not-fit"

# ---- c. a user who may read nodes only -----------------------------------------------------------
step "c. preflight as a user who may only read nodes"
preflight web.reader live "$STACKCHECK_CP_READER_KUBECONFIG"
[[ "$(cat "$work/web.reader.rc")" == 3 ]] || { cat "$work/web.reader.err" >&2; fail "reader: exit $(cat "$work/web.reader.rc"), expected 3"; }
[[ "$(verdict web.reader)" == unknown ]] || fail "reader: verdict $(verdict web.reader), expected unknown"
jq -r '.gaps[] | "   gap: \(.what): \(.why) (affects \(.affects))"' "$work/web.reader.json"
for res in pods storageclasses resourcequotas limitranges runtimeclasses; do
  jq -e --arg r "$res" 'any(.gaps[]; (.what + " " + .why) | test($r; "i"))' "$work/web.reader.json" >/dev/null \
    || fail "reader: no gap names $res"
  jq -e --arg r "$res" 'any(.gaps[]; (.what + " " + .why) | test($r; "i") and test("list"; "i"))' "$work/web.reader.json" >/dev/null \
    || fail "reader: the gap for $res does not name the missing list permission"
done
if jq -e 'any(.gaps[]; (.what + " " + .why) | test("\\bnodes\\b"; "i"))' "$work/web.reader.json" >/dev/null; then
  fail "reader: nodes are readable, yet a gap names them"
fi
row "c. reader (get/list/watch nodes only)" "exit 3, verdict unknown" "$(jq '.gaps | length' "$work/web.reader.json") gaps: pods, storageclasses, ..." ok

# ---- d. the real scheduler ------------------------------------------------------------------------
step "d. Pod Security restricted is enforced"
if kc -n "$ns" run psa-probe --image registry.k8s.io/pause:3.10 --privileged --dry-run=server >"$work/psa.out" 2>&1; then
  fail "a privileged pod was admitted in namespace $ns (enforce=restricted)"
fi
grep -q 'violates PodSecurity "restricted' "$work/psa.out" || { cat "$work/psa.out" >&2; fail "privileged pod refused, but not by PodSecurity"; }
row "d. privileged pod in $ns" "refused by PodSecurity restricted" "-" ok

step "d. helm install web: where the scheduler binds its pods"
"$HELM_V4" install web "$chart" -n "$ns" >/dev/null
deadline=$((SECONDS + 90))
until [[ "$(kc -n "$ns" get pods -l app.kubernetes.io/instance=web -o json \
  | jq '[.items[] | select(.spec.nodeName != null and .status.phase == "Running")] | length')" == 2 ]]; do
  ((SECONDS < deadline)) || { kc -n "$ns" get pods -o wide >&2; fail "web's 2 pods were not bound and Running within 90s"; }
  sleep 0.5
done
mapfile -t bound < <(kc -n "$ns" get pods -l app.kubernetes.io/instance=web -o json | jq -r '.items[].spec.nodeName' | sort)
mapfile -t predicted < <(jq -r '.pods[].node // empty' "$work/web.live.json" | sort)
# Feasible: the preflight, on the same (pre-install) snapshot, fits the release pinned to that node.
for node in $(printf '%s\n' "${bound[@]}" | sort -u); do
  render web --set node="$node" >"$work/web-pinned.yaml"
  rc=0
  "$sc" preflight --manifests "$work/web-pinned.yaml" -n "$ns" --cluster "$work/snap0.json" -o json >"$work/web-pinned.json" || rc=$?
  v="$(jq -r .verdict "$work/web-pinned.json")"
  [[ "$v" == fits ]] || fail "the scheduler bound a web pod to $node, but the preflight pinned there says $v (exit $rc)"
  row "d. web pod bound by kube-scheduler" "node $node" "preflight pinned to $node: $v" ok
done
same=$([[ "${bound[*]}" == "${predicted[*]}" ]] && echo "same nodes" || echo "other feasible nodes (ties)")
row "d. web: nodes chosen" "scheduler: ${bound[*]}" "preflight: ${predicted[*]}" "$same"

step "b. again, with web running: live = snapshot = kubectl get -o json + kubectl version -o json"
"$sc" snapshot --cluster live -o "$work/snap1.json"
kc get nodes,pods,storageclasses,resourcequotas,limitranges,runtimeclasses -A -o json >"$work/kubectl1.json"
# With the server's version, as the README says, so messages are worded as its scheduler words them.
kc version -o json >"$work/version1.json"
running="$(jq '[.items[] | select(.kind == "Pod")] | length' "$work/snap1.json")"
((running == before + 2)) || fail "the snapshot after install lists $running running pods, before it $before (+2 of web expected)"
for r in web gpu; do
  preflight "$r.live1" live
  preflight "$r.snap1" "$work/snap1.json"
  preflight "$r.kubectl1" "$work/kubectl1.json|$work/version1.json"
  same_report "$r.live1" "$r.snap1"
  same_report "$r.live1" "$r.kubectl1"
  row "b. $r: live vs snapshot ($running pods)" "$(verdict "$r.live1") (exit $(cat "$work/$r.live1.rc"))" "$(verdict "$r.snap1") (exit $(cat "$work/$r.snap1.rc"))" same
  row "b. $r: live vs kubectl get -A -o json" "$(verdict "$r.live1") (exit $(cat "$work/$r.live1.rc"))" "$(verdict "$r.kubectl1") (exit $(cat "$work/$r.kubectl1.rc"))" same
done

step "d. helm install gpu (1 GPU per pod, no toleration): FailedScheduling vs preflight"
[[ "$(verdict gpu.live1)" == does-not-fit ]] || fail "gpu: verdict $(verdict gpu.live1), expected does-not-fit"
"$HELM_V4" install gpu "$chart" -n "$ns" --set gpus=1 >/dev/null
deadline=$((SECONDS + 60))
while :; do
  events="$(kc -n "$ns" get events --field-selector reason=FailedScheduling -o json \
    | jq -r '.items[] | select(.involvedObject.name | startswith("gpu-")) | .message')"
  [[ -n "$events" ]] && break
  ((SECONDS < deadline)) || { kc -n "$ns" get pods,events >&2; fail "no FailedScheduling event for gpu's pods within 60s"; }
  sleep 0.5
done
pending="$(kc -n "$ns" get pods -l app.kubernetes.io/instance=gpu -o json \
  | jq '[.items[] | select(.status.phase == "Pending" and .spec.nodeName == null)] | length')"
[[ "$pending" == 2 ]] || fail "gpu: $pending of 2 pods Pending"
# Both messages as "COUNT REASON" lines: the part before the PostFilter plugins' postscript
# ("preemption: ..."), equal reasons added up.
reasons() {
  sed -e 's/^[^:]*: //' -e 's/\. .*$//' -e 's/\.$//' | tr ',' '\n' | sed -e 's/^ *//' \
    | awk '{ n = $1; $1 = ""; sub(/^ /, ""); c[$0] += n } END { for (r in c) print c[r], r }' | sort
}
sched_msg="$(head -n1 <<<"$events")"
pre_msg="$(jq -r '[.pods[] | select(.node == null)][0].message' "$work/gpu.live1.json")"
echo "   scheduler: $sched_msg"
echo "   preflight: $pre_msg"
if [[ "$(reasons <<<"$sched_msg")" != "$(reasons <<<"$pre_msg")" ]]; then
  diff <(reasons <<<"$sched_msg") <(reasons <<<"$pre_msg") >&2 || true
  fail "gpu: the scheduler's reasons differ from the preflight's"
fi
for word in 'Insufficient nvidia.com/gpu' 'untolerated taint(s)'; do
  grep -qF "$word" <<<"$sched_msg" || fail "gpu: the scheduler's message lacks '$word'"
done
while read -r n reason; do
  row "d. gpu pods Pending, $n node(s):" "scheduler: $reason" "preflight: $n, same reason" ok
done < <(reasons <<<"$sched_msg")
# The server is v1.34.4: the preflight words taints as that scheduler does, so the filter part
# (up to the PostFilter plugins' "no new claims to deallocate, preemption: ...") is equal.
[[ "${sched_msg%%. *}." == "$pre_msg" ]] || fail "gpu: FailedScheduling text differs from the preflight's message"
jq -e '[.pods[] | select(.node == null)][0].untoleratedTaints | length > 0' "$work/gpu.live1.json" >/dev/null \
  || fail "gpu: the report does not name the untolerated taints"
row "d. gpu: FailedScheduling text" "scheduler v1.34.4" "preflight" "same text"

# ---- e. a component that dies at start -----------------------------------------------------------
# (issue 17, item 21): the start names the component and how it ended (exit status, signal),
# stops what it started, and retries once.
step "e. a control-plane component that dies at start"
printf '#!/bin/sh\nexit 7\n' >"$work/etcd-exit-7"
printf '#!/bin/sh\nkill -KILL $$\n' >"$work/etcd-killed"
chmod +x "$work/etcd-exit-7" "$work/etcd-killed"
for fake in exit-7:'etcd exited with status 7' killed:'etcd was killed by signal KILL'; do
  if ETCD="$work/etcd-${fake%%:*}" "$root/scripts/control-plane.sh" start "$work/dead-${fake%%:*}" \
    >/dev/null 2>"$work/dead-${fake%%:*}.err"; then
    fail "a control plane whose etcd dies (${fake%%:*}) started"
  fi
  tries="$(grep -cF "${fake#*:}" "$work/dead-${fake%%:*}.err" || true)"
  ((tries == 2)) || fail "etcd ${fake%%:*}: '${fake#*:}' said $tries time(s), want 2 (one retry): $(cat "$work/dead-${fake%%:*}.err")"
  row "e. etcd ${fake%%:*} at start" "${fake#*:}" "named, retried once" ok
done

step "summary"
printf '%-42s %-44s %-36s %s\n' CHECK OBSERVED EXPECTED/PREDICTED RESULT
printf '%s\n' "${rows[@]}"
scripts/control-plane.sh status "$work" || fail "a control-plane component died during the tests"
suite_counts "${#rows[@]}" 0 0
echo "40-control-plane: ${#rows[@]} checks passed in $((SECONDS - t0))s"
