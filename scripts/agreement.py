#!/usr/bin/env python3
"""Agreement of `stackcheck preflight` with the real kube-scheduler (test tier 4).

For every scenario of tests/fixtures/preflight-scenarios/ (a cluster as kubectl prints it, the
release's manifests, the expected preflight outcome), on the empty control plane KUBECONFIG points
at (scripts/control-plane.sh with STACKCHECK_CP_BARE=1):

  1. build the scenario's cluster: its nodes (kwok plays their kubelets; a node that is not Ready in
     the scenario gets the kwok stage that keeps it NotReady), StorageClasses, RuntimeClasses,
     namespaces, its pods (bound where the scenario binds them; unbound ones kept away from the
     scheduler; terminal ones given their phase), then its LimitRanges and ResourceQuotas, and wait
     until the controllers have done their part (Running pods, node taints, quota usage);
  2. run `stackcheck preflight --cluster live` on it;
  3. create the release's objects (at `--scenario peak`: every HPA's target at maxReplicas; at
     `--scenario rollout`: after they settle, restart every Deployment's rollout), wait for the
     controllers and the scheduler to settle, and read what happened: pods bound, pods Pending with
     the scheduler's FailedScheduling message, pods the API server refused to create;
  4. compare: every pod bound <=> verdict `fits`; for Pending pods, the scheduler's reasons (the
     filter part of the message, counts aside) are the preflight's; for refused pods, the preflight
     has an error finding of the same rule (quota, LimitRange).

Prints the agreement table (Markdown) and the rate, writes it and each scenario's evidence to
--out, and exits 1 when a scenario disagrees and is not in EXPLAINED below. Needs PyYAML;
kubectl from $KUBECTL. Never talks to anything but the API server of KUBECONFIG.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

import yaml  # PyYAML: scripts/test.d/42-agreement.sh installs it when missing

KUBECTL = os.environ.get("KUBECTL", "kubectl")
# Namespaces every cluster has; the others a scenario creates are emptied, not deleted, between
# scenarios (deleting a namespace takes the namespace controller seconds).
SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
NOT_READY_STAGE = "stackcheck.test/kwok-stage"
NO_SCHEDULER = "stackcheck-agreement-none"

# Scenarios where the preflight and the cluster disagree by design: the preflight checks
# something the scheduler does not. Each says why; a disagreement not listed here fails the run.
EXPLAINED = {
    "gpu-memory-does-not-fit": "GPU memory is not a scheduler resource: the scheduler binds the pod "
    "(1 nvidia.com/gpu is free), the model would then fail to load; the preflight says so before.",
    "gpu-tensor-parallel-mismatch": "vLLM shards over exactly --tensor-parallel-size GPUs; the "
    "scheduler binds a pod asking for fewer, which then fails at startup; the preflight says so before.",
    "gpu-mig-slice-memory": "a MIG slice's memory is not a scheduler resource: the scheduler binds "
    "the pod to the slice, the model would not load in it.",
    "gpu-vllm-no-annotations": "GPU memory is not a scheduler resource: the scheduler binds all "
    "three vLLM pods (2 GPUs each), but the 70B server at its default context needs 20 GiB of KV "
    "cache per GPU where vLLM leaves 3.63 GiB, so it would refuse to start; the preflight says so "
    "before, from the flags alone.",
}


class Kubectl(Exception):
    pass


def kubectl(*args, stdin=None, check=True):
    proc = subprocess.run(
        [KUBECTL, "--request-timeout", "30s", *args],
        input=stdin,
        capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        raise Kubectl(f"kubectl {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def kget(*args):
    return json.loads(kubectl("get", *args, "-o", "json"))


def objects_of(path):
    """The objects of a YAML file (documents, or a kubectl List), namespaces as written."""
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    objs = []
    for d in docs:
        objs.extend(d["items"] if d.get("kind") == "List" else [d])
    return objs


def create(objs, namespace=None):
    if not objs:
        return
    args = ["create", "-f", "-"]
    if namespace:
        args += ["-n", namespace]
    kubectl(*args, stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))


def wait_until(what, timeout, probe, interval=0.25):
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout}s")
        time.sleep(interval)


def clean_meta(obj, keep_namespace=True):
    meta = obj.get("metadata", {})
    kept = {k: meta[k] for k in ("name", "labels", "annotations") if k in meta}
    if keep_namespace and "namespace" in meta:
        kept["namespace"] = meta["namespace"]
    obj["metadata"] = kept
    return obj


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ready_of(node):
    for c in node.get("status", {}).get("conditions", []):
        if c.get("type") == "Ready":
            return c.get("status")
    return None


# ---- the scenario's cluster ----------------------------------------------------------------------


def reset():
    """Empties the cluster of everything the previous scenario (or run) made."""
    kubectl("delete", "deploy,sts,ds,rs,job,cronjob,hpa,pdb,pvc,resourcequota,limitrange", "--all",
            "-A", "--wait=false", check=False)
    kubectl("delete", "pods", "--all", "-A", "--force", "--grace-period=0", "--wait=false",
            check=False)
    kubectl("delete", "nodes,storageclasses,runtimeclasses", "--all", "--wait=false", check=False)
    kubectl("delete", "leases", "--all", "-n", "kube-node-lease", check=False)

    def empty():
        left = kget("nodes,pods,pvc", "-A")["items"]
        if not left:
            # Claims gone: their volumes (Retain) go too.
            kubectl("delete", "pv", "--all", "--wait=false", check=False)
            left = kget("pv")["items"]
        if left:
            # Pods of kwok's fake nodes go as soon as they are force-deleted; a controller of the
            # last scenario still being deleted may create one more: delete again.
            kubectl("delete", "pods", "--all", "-A", "--force", "--grace-period=0",
                    "--wait=false", check=False)
        return not left

    wait_until("the previous scenario's objects deleted", 60, empty, 0.5)


PER_CLASS_STORAGE = re.compile(r"^(.+)\.storageclass\.storage\.k8s\.io/requests\.storage$")


def existing_claims(quotas, classes):
    """Claims that account for the storage a scenario's quotas say is used (kubectl's list of a
    cluster has quotas but not claims): one per class with a per-class `used`, and one of the
    default class for what `requests.storage` counts beyond them."""
    default = next((c["metadata"]["name"] for c in classes
                    if c["metadata"].get("annotations", {}).get(
                        "storageclass.kubernetes.io/is-default-class") == "true"), None)
    wanted = {}
    for q in quotas:
        ns = q["metadata"].get("namespace", "default")
        used = q.get("status", {}).get("used", {})
        for key, amount in used.items():
            m = PER_CLASS_STORAGE.match(key)
            if m:
                wanted[(ns, m.group(1))] = amount
        if "requests.storage" in used and default:
            wanted.setdefault((ns, None), used["requests.storage"])
    out = []
    for (ns, cls), amount in sorted(wanted.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if cls is None:
            # The total beyond the per-class claims, with the default class.
            per_class = sum(gib(a) for (n, c), a in wanted.items() if n == ns and c)
            rest = gib(amount) - per_class
            if rest <= 0:
                continue
            cls, amount = default, f"{rest}Gi"
        out.append({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": f"existing-{cls}", "namespace": ns},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": cls,
                     "resources": {"requests": {"storage": amount}}},
        })
    return out


def gib(amount):
    """'150Gi' or '1Ti' in GiB (the scenarios' quotas use whole Gi and Ti)."""
    m = re.fullmatch(r"(\d+)(Gi|Ti)", amount)
    if not m:
        raise ValueError(f"storage amount {amount!r}: the agreement runner reads Gi and Ti only")
    return int(m.group(1)) * (1024 if m.group(2) == "Ti" else 1)


def build_cluster(items, release_ns):
    kinds = {}
    for it in items:
        kinds.setdefault(it["kind"], []).append(it)
    namespaces = {release_ns}
    for kind in ("Pod", "ResourceQuota", "LimitRange"):
        for it in kinds.get(kind, []):
            namespaces.add(it["metadata"].get("namespace", "default"))
    existing = {n["metadata"]["name"] for n in kget("namespaces")["items"]}
    for ns in sorted(namespaces - existing):
        kubectl("create", "namespace", ns)
    for ns in sorted(namespaces):
        wait_until(f"ServiceAccount {ns}/default", 30,
                   lambda ns=ns: kubectl("get", "serviceaccount", "default", "-n", ns,
                                         check=False).strip() != "")

    create([clean_meta(o, False) for o in kinds.get("StorageClass", [])])
    create([clean_meta(o, False) for o in kinds.get("RuntimeClass", [])])

    nodes = []
    for n in kinds.get("Node", []):
        want_ready = ready_of(n)
        n = clean_meta(n, False)
        ann = n["metadata"].setdefault("annotations", {})
        ann["kwok.x-k8s.io/node"] = "fake"
        if want_ready not in (None, "True"):
            ann[NOT_READY_STAGE] = "not-ready"
        status = n.get("status", {})
        # Fresh heartbeats, or the node lifecycle controller takes the node for dead.
        for c in status.get("conditions", []):
            c["lastHeartbeatTime"] = now()
        n["status"] = {k: status[k] for k in ("allocatable", "capacity", "conditions")
                       if k in status}
        nodes.append(n)
    create(nodes)

    pods, terminal = [], []
    for p in kinds.get("Pod", []):
        phase = p.get("status", {}).get("phase", "Pending")
        p = clean_meta(p)
        p.pop("status", None)
        spec = p["spec"]
        if not spec.get("nodeName"):
            # An unbound pod of the scenario: the preflight ignores it; keep the scheduler away.
            spec["schedulerName"] = NO_SCHEDULER
        if phase in ("Succeeded", "Failed"):
            terminal.append((p["metadata"].get("namespace", "default"), p["metadata"]["name"], phase))
        pods.append(p)
    create(pods)
    for ns, name, phase in terminal:
        wait_until(f"pod {ns}/{name} started", 30,
                   lambda ns=ns, name=name: kget("pod", name, "-n", ns)["status"].get("phase") == "Running")
        kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge",
                "-p", json.dumps({"status": {"phase": phase}}))

    def pods_settled():
        for p in kget("pods", "-A")["items"]:
            if p["spec"].get("nodeName") and p["status"].get("phase") not in ("Running", "Succeeded", "Failed"):
                return False
        return True

    wait_until("the scenario's pods running", 60, pods_settled)

    create(existing_claims(kinds.get("ResourceQuota", []), kinds.get("StorageClass", [])))
    create([clean_meta(o) for o in kinds.get("LimitRange", [])])
    quotas = [clean_meta(o) for o in kinds.get("ResourceQuota", [])]
    for q in quotas:
        q.pop("status", None)
    create(quotas)

    def quotas_counted():
        return all(q.get("status", {}).get("used") is not None
                   for q in kget("resourcequota", "-A")["items"])

    wait_until("ResourceQuota usage counted", 60, quotas_counted)

    # The node lifecycle controller's taints (not-ready, unschedulable) and kwok's Ready.
    want = {n["metadata"]["name"]: n for n in kinds.get("Node", [])}

    def nodes_settled():
        live = {n["metadata"]["name"]: n for n in kget("nodes")["items"]}
        for name, n in want.items():
            got = live.get(name)
            if got is None:
                return False
            if (ready_of(n) == "True") != (ready_of(got) == "True"):
                return False
            keys = {(t["key"], t["effect"]) for t in got["spec"].get("taints", [])}
            for t in n.get("spec", {}).get("taints", []):
                if (t["key"], t["effect"]) not in keys:
                    return False
        return True

    wait_until("nodes Ready/NotReady and tainted as in the scenario", 90, nodes_settled, 0.5)
    return sorted(namespaces)


# ---- the release -----------------------------------------------------------------------------------


def release_objects(path, scenario):
    objs = [clean_meta(o) for o in objects_of(path)]
    if scenario != "peak":
        return objs
    # At peak every HorizontalPodAutoscaler is at maxReplicas (what the preflight assumes).
    hpas = [o for o in objs if o["kind"] == "HorizontalPodAutoscaler"]
    for h in hpas:
        ref = h["spec"]["scaleTargetRef"]
        for o in objs:
            if o["kind"] == ref["kind"] and o["metadata"]["name"] == ref["name"]:
                o["spec"]["replicas"] = h["spec"]["maxReplicas"]
    return [o for o in objs if o["kind"] != "HorizontalPodAutoscaler"]


def pod_state(p):
    if p["spec"].get("nodeName"):
        return "bound"
    for c in p.get("status", {}).get("conditions", []):
        if c.get("type") == "PodScheduled" and c.get("status") == "False" and c.get("reason") == "Unschedulable":
            return "pending"
    return "undecided"


def observe(namespaces, before, since):
    pods, refused = [], set()
    for ns in namespaces:
        pods += [p for p in kget("pods", "-n", ns)["items"] if p["metadata"]["uid"] not in before]
        refused |= {
            e["message"] for e in kget("events", "-n", ns)["items"]
            if e.get("reason") == "FailedCreate" and e["metadata"].get("creationTimestamp", "") >= since
        }
    return pods, sorted(refused)


def settle(namespaces, before, since, timeout=90, quiet=3.0):
    """Waits until every new pod is bound or Unschedulable and nothing (pods, claims, refusals)
    changed for `quiet` s; provisions claims meanwhile."""
    deadline = time.monotonic() + timeout
    last, stable_since = None, time.monotonic()
    while True:
        seen = claims(namespaces)
        provision(seen)
        pods, refused = observe(namespaces, before, since)
        pvcs = [c for c in seen if c["metadata"]["uid"] not in before]
        sig = (tuple(sorted((p["metadata"]["name"], pod_state(p)) for p in pods)), tuple(refused),
               tuple(sorted((c["metadata"]["name"], c["status"].get("phase")) for c in pvcs)))
        if sig != last:
            last, stable_since = sig, time.monotonic()
        undecided = any(s == "undecided" for _, s in sig[0])
        if not undecided and time.monotonic() - stable_since >= quiet:
            return pods, refused, pvcs
        if time.monotonic() > deadline:
            return pods, refused, pvcs
        time.sleep(0.3)


PROVISIONER_ANNOTATIONS = ("volume.kubernetes.io/storage-provisioner",
                           "volume.beta.kubernetes.io/storage-provisioner")
BETA_CLASS = "volume.beta.kubernetes.io/storage-class"


def provision(claims_seen):
    """Plays every StorageClass's provisioner, one that always succeeds (a cluster's CSI drivers):
    a claim the PV controller handed to a provisioner (it found the class, and for
    WaitForFirstConsumer the scheduler chose a node) gets a PersistentVolume of its size, which the
    PV controller then binds. A claim whose class does not exist is never handed over."""
    for c in claims_seen:
        ann = c["metadata"].get("annotations", {})
        if c["spec"].get("volumeName") or not any(a in ann for a in PROVISIONER_ANNOTATIONS):
            continue
        pv = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": f"pv-{c['metadata']['uid']}"},
            "spec": {
                "capacity": {"storage": c["spec"]["resources"]["requests"]["storage"]},
                "accessModes": c["spec"].get("accessModes", ["ReadWriteOnce"]),
                "storageClassName": ann.get(BETA_CLASS, c["spec"].get("storageClassName", "")),
                "persistentVolumeReclaimPolicy": "Retain",
                "claimRef": {"namespace": c["metadata"]["namespace"], "name": c["metadata"]["name"],
                             "uid": c["metadata"]["uid"]},
                "hostPath": {"path": f"/nonexistent/{c['metadata']['uid']}"},
            },
        }
        kubectl("create", "-f", "-", stdin=json.dumps(pv), check=False)


def claims(namespaces):
    """Every claim in `namespaces`, the scenario's own included."""
    return [c for ns in namespaces for c in kget("pvc", "-n", ns)["items"]]


def waits_for_consumer(c, pods):
    """A WaitForFirstConsumer claim no pod mounts stays Pending by design, not by failure."""
    cls = c["metadata"].get("annotations", {}).get(BETA_CLASS) or c["spec"].get("storageClassName")
    if not cls:
        return False
    sc = json.loads(kubectl("get", "storageclass", cls, "-o", "json", check=False) or "{}")
    if sc.get("volumeBindingMode") != "WaitForFirstConsumer":
        return False
    name = c["metadata"]["name"]
    return not any(v.get("persistentVolumeClaim", {}).get("claimName") == name
                   for p in pods for v in p["spec"].get("volumes", []))


def claim_problem(c):
    """Why claim `c` is not bound: the PV controller's last event on it."""
    events = kget("events", "-n", c["metadata"]["namespace"],
                  "--field-selector", f"involvedObject.uid={c['metadata']['uid']}")["items"]
    warnings = [e["message"] for e in events if e.get("type") == "Warning"]
    return warnings[-1] if warnings else "no event"


FILTER_PART = re.compile(r"^(0/\d+ nodes are available: .*?\.)(?: |$)")


def reasons_of(message):
    """'0/3 nodes are available: 1 Insufficient cpu, 2 node(s) ... .' -> {'Insufficient cpu', ...}"""
    if not message:
        return set()
    m = FILTER_PART.match(message)
    text = m.group(1) if m else message
    text = text.split(": ", 1)[-1].rstrip(".")
    out = set()
    for part in text.split(", "):
        part = part.strip()
        out.add(re.sub(r"^\d+ ", "", part))
    return out


def scheduled_message(p):
    for c in p.get("status", {}).get("conditions", []):
        if c.get("type") == "PodScheduled" and c.get("status") == "False":
            return c.get("message", "")
    return ""


def workload_of(p):
    """`Kind/name` of the object that runs pod `p`, as the preflight's report names it."""
    for ref in p["metadata"].get("ownerReferences", []):
        if ref["kind"] == "ReplicaSet":
            return "Deployment/" + ref["name"].rsplit("-", 1)[0]
        return f"{ref['kind']}/{ref['name']}"
    return "Pod/" + p["metadata"]["name"]


def node_choice(report, expect, bound):
    """For a release of one workload whose every pod the scenario says the scores single out one
    node for (`node:` in expect.yaml): the preflight's nodes and the scheduler's, else None. The
    scheduler picks at random among tied nodes, so the others say nothing."""
    exact = {pod: e["node"] for pod, e in (expect.get("pods") or {}).items() if "node" in e}
    by_workload = {}
    for p in report.get("pods", []):
        by_workload.setdefault(p["workload"], []).append(p)
    # One workload only: the preflight places pods in Helm's install order, the scheduler in the
    # order the controllers create them, so with several workloads competing for the same nodes
    # either may take the better node first (the verdict and the reasons do not depend on it).
    if len(by_workload) != 1:
        return None
    (workload, pods), = by_workload.items()
    if not all(p["pod"] in exact and p.get("node") for p in pods):
        return None
    chosen = sorted(p["spec"]["nodeName"] for p in bound if workload_of(p) == workload)
    if len(chosen) != len(pods):
        return None  # not all created or bound: the verdict and reasons say why
    return {workload: sorted(p["node"] for p in pods)}, {workload: chosen}


def run_scenario(name, directory, sc, out_dir):
    with open(os.path.join(directory, "expect.yaml")) as f:
        expect = yaml.safe_load(f)
    args = [str(a) for a in expect.get("args", [])]
    # Files given to the fixture's preflight (version.yaml): the live cluster has its own.
    live_args, i = [], 0
    while i < len(args):
        if args[i] == "--cluster":
            i += 2
            continue
        live_args.append(args[i])
        i += 1
    ns = "default"
    scenario = "steady"
    for flag, value in zip(live_args, live_args[1:]):
        if flag in ("--namespace", "-n"):
            ns = value
        if flag == "--scenario":
            scenario = value
    fixture_verdict = expect["verdict"]

    reset()
    items = objects_of(os.path.join(directory, "cluster.yaml"))
    build_cluster(items, ns)

    release = os.path.join(directory, "release.yaml")
    proc = subprocess.run(
        [sc, "preflight", "--manifests", release, "--cluster", "live", "-o", "json", *live_args],
        capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"preflight (exit {proc.returncode}) printed no JSON: {proc.stderr[-2000:]}")
    with open(os.path.join(out_dir, f"{name}.preflight.json"), "w") as f:
        f.write(proc.stdout)

    objs = release_objects(release, scenario)
    # Objects that name their namespace go there (a chart may do that), the others to ns.
    for o in objs:
        o["metadata"].setdefault("namespace", ns)
    namespaces = sorted({o["metadata"]["namespace"] for o in objs} | {ns})
    for other in namespaces:
        if other != ns:
            kubectl("create", "namespace", other, check=False)
    before = {o["metadata"]["uid"] for o in kget("pods,pvc", "-A")["items"]}
    since = now()
    # As `helm install` would, the API server may refuse an object (a claim over its quota):
    # kubectl creates the others and says which it could not.
    proc = subprocess.run([KUBECTL, "--request-timeout", "30s", "create", "-f", "-"],
                          input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}),
                          capture_output=True, text=True)
    rejected = [line for line in proc.stderr.splitlines() if line.startswith("Error from server")]
    if proc.returncode != 0 and not rejected:
        raise Kubectl(f"creating the release: {proc.stderr.strip()}")
    hpas = [o for o in objs if o["kind"] == "HorizontalPodAutoscaler"]
    if hpas:
        # The HPA controller reconciles each HPA within its sync period (15 s); only then has it
        # clamped its target's replicas into [minReplicas, maxReplicas], which is what the
        # preflight counts at steady state. Its first status conditions say it has.
        def reconciled():
            return all(kget("hpa", h["metadata"]["name"], "-n", h["metadata"]["namespace"])
                       .get("status", {}).get("conditions") for h in hpas)
        wait_until("every HorizontalPodAutoscaler reconciled once", 90, reconciled, 1)
    pods, refused, pvcs = settle(namespaces, before, since)
    refused = sorted(set(refused) | set(rejected))
    if scenario == "rollout":
        for o in objs:
            if o["kind"] == "Deployment":
                kubectl("rollout", "restart", f"deployment/{o['metadata']['name']}",
                        "-n", o["metadata"]["namespace"])
        time.sleep(1)
        pods, refused, pvcs = settle(namespaces, before, since)
        refused = sorted(set(refused) | set(rejected))
    with open(os.path.join(out_dir, f"{name}.cluster.json"), "w") as f:
        json.dump({"pods": pods, "refused": refused, "claims": pvcs}, f, indent=1)

    bound = [p for p in pods if pod_state(p) == "bound"]
    pending = [p for p in pods if pod_state(p) != "bound"]
    expected_pods = len(report.get("pods", []))
    unbound = [(c["metadata"]["name"], claim_problem(c)) for c in pvcs
               if c["status"].get("phase") != "Bound" and not waits_for_consumer(c, pods)]
    real_fits = not pending and not refused and not unbound and len(pods) >= expected_pods
    pre_fits = report["verdict"] == "fits"

    real_reasons = set().union(*[reasons_of(scheduled_message(p)) for p in pending]) if pending else set()
    pre_reasons = set()
    for p in report.get("pods", []):
        if p.get("node") is None:
            pre_reasons |= reasons_of(p.get("message"))
    refused_rules = set()
    for msg in refused:
        if "exceeded quota" in msg or "failed quota" in msg:
            refused_rules.add("quota")
        elif "LimitRange" in msg or re.search(r"(minimum|maximum) .* usage per", msg):
            refused_rules.add("limitrange")
        else:
            refused_rules.add("other")
    error_codes = {f.get("code") for f in report.get("findings", []) if f.get("severity") == "error"}

    notes = []
    match = real_fits == pre_fits
    if pending and real_reasons != pre_reasons:
        match = False
        notes.append(f"reasons differ: scheduler {sorted(real_reasons)}, preflight {sorted(pre_reasons)}")
    for rule in refused_rules:
        if rule == "quota" and "quota" not in error_codes:
            match = False
            notes.append("the API server refused pods (quota) and the preflight has no quota error")
        if rule == "limitrange" and not error_codes & {"limitrange", "limit-range"}:
            match = False
            notes.append("the API server refused pods (LimitRange) and the preflight has no LimitRange error")
        if rule == "other":
            match = False
            notes.append(f"the API server refused pods: {refused}")
    if unbound and "storage-class" not in error_codes:
        match = False
        notes.append(f"claims stay Pending ({unbound}) and the preflight has no storage-class error")
    chosen = node_choice(report, expect, bound) if scenario == "steady" else None
    if chosen and chosen[0] != chosen[1]:
        match = False
        notes.append(f"nodes differ: the scheduler chose {chosen[1]}, the preflight {chosen[0]}")
    if report["verdict"] != fixture_verdict:
        notes.append(f"verdict on the fixture file: {fixture_verdict}")

    sched = []
    if bound:
        sched.append(f"{len(bound)} bound" + (" (nodes as predicted)" if chosen and chosen[0] == chosen[1] else ""))
    if pending:
        counts = {}
        for p in pending:
            for r in reasons_of(scheduled_message(p)) or {"(no message)"}:
                counts[r] = counts.get(r, 0) + 1
        sched.append(f"{len(pending)} Pending: " + "; ".join(sorted(counts)))
    if refused:
        sched.append(f"refused: {', '.join(sorted(refused_rules))} ({len(refused)} event(s))")
    if unbound:
        sched.append("claim(s) Pending: " + "; ".join(f"{n}: {m}" for n, m in unbound))
    pre = report["verdict"]
    if pre_reasons:
        pre += ": " + "; ".join(sorted(pre_reasons))
    elif not pre_fits:
        codes = sorted({f.get("code") for f in report.get("findings", []) if f.get("severity") == "error"})
        pre += ": " + ", ".join(c for c in codes if c)
    if match:
        result = "match"
    elif name in EXPLAINED:
        result = "explained"
        notes.append(EXPLAINED[name])
    else:
        result = "MISMATCH"
    return {"scenario": name, "preflight": pre, "scheduler": "; ".join(sched) or "no pods",
            "result": result, "notes": notes}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stackcheck", required=True)
    ap.add_argument("--scenarios", required=True, help="tests/fixtures/preflight-scenarios")
    ap.add_argument("--out", required=True, help="directory for the table and the evidence")
    ap.add_argument("only", nargs="*", help="scenario names (default: all)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    names = sorted(d for d in os.listdir(a.scenarios) if os.path.isdir(os.path.join(a.scenarios, d)))
    if a.only:
        names = [n for n in names if n in a.only]
    rows = []
    for name in names:
        t = time.monotonic()
        try:
            row = run_scenario(name, os.path.join(a.scenarios, name), a.stackcheck, a.out)
        except (Kubectl, TimeoutError, RuntimeError) as e:
            row = {"scenario": name, "preflight": "-", "scheduler": "-", "result": "ERROR",
                   "notes": [str(e)[:400]]}
        row["seconds"] = round(time.monotonic() - t, 1)
        rows.append(row)
        print(f"{row['result']:9} {name} ({row['seconds']}s): preflight {row['preflight']} | "
              f"cluster {row['scheduler']}" + "".join(f"\n          {n}" for n in row["notes"]),
              flush=True)

    agree = sum(r["result"] == "match" for r in rows)
    explained = sum(r["result"] == "explained" for r in rows)
    bad = [r for r in rows if r["result"] in ("MISMATCH", "ERROR")]
    lines = ["| scenario | preflight verdict | scheduler outcome | result |", "|---|---|---|---|"]
    for r in rows:
        cell = lambda s: s.replace("|", "\\|")
        result = r["result"] + (" — " + " ".join(r["notes"]) if r["notes"] else "")
        lines.append(f"| {r['scenario']} | {cell(r['preflight'])} | {cell(r['scheduler'])} | {cell(result)} |")
    total = len(rows)
    lines.append("")
    lines.append(f"Agreement: {agree}/{total} scenarios ({100 * agree // max(total, 1)}%); "
                 f"{explained} explained (the preflight checks what the scheduler does not); "
                 f"{len(bad)} mismatched or failed.")
    table = "\n".join(lines)
    with open(os.path.join(a.out, "agreement.md"), "w") as f:
        f.write(table + "\n")
    print("\n" + table)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
