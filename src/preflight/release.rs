//! A release against a cluster: expand the release's workloads into the pods a scenario runs,
//! apply what admission would (RuntimeClass overhead and scheduling), and place them in Helm's
//! install order on a copy of the cluster.

use std::collections::BTreeMap;

use crate::cluster::{Cluster, Pod, Scheduling, Toleration};
use crate::diagnostic::{Code, Diagnostic};
use crate::quantity::Quantity;
use crate::totals::{Scenario, WorkloadLine};
use crate::workload::objects::{Workload, WorkloadId};

use crate::scheduler::{Cursor, Namespaces, NodeState, Placement, place_from};

/// One pod of the release and where it went.
#[derive(Debug, Clone)]
pub struct PodPlacement {
    /// Shown as `Deployment/name`.
    pub workload: WorkloadId,
    /// `name-0`, `name-1`...: the pod's ordinal within its workload.
    pub pod: String,
    pub namespace: String,
    pub placement: Placement,
}

/// Kinds in the order Helm installs them (`releaseutil.InstallOrder`), restricted to the kinds
/// that run pods: earlier kinds take node resources first.
const INSTALL_ORDER: &[&str] = &[
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "DaemonSet",
    "Deployment",
    "StatefulSet",
    "Job",
    "CronJob",
];

fn install_rank(kind: &str) -> usize {
    INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(INSTALL_ORDER.len())
}

/// Pods of a workload beyond what the cluster could ever hold: counted as unplaced, not
/// simulated one by one (a valid `replicas: 2147483647` must not take the machine's memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsimulated {
    pub workload: WorkloadId,
    pub pods: u64,
}

/// The pods a release asks for, as the scheduler would receive them.
#[derive(Debug, Default)]
pub struct ReleasePods {
    pub pods: Vec<(WorkloadId, Pod)>,
    pub unsimulated: Vec<Unsimulated>,
    pub problems: Vec<Diagnostic>,
}

/// The pods `workloads` run in `scenario`, as the scheduler would receive them.
/// No more pods are expanded than `pod_slots` (the free pod slots of every node: the scheduler
/// can never place more) and one more per workload, which shows the scheduler's reason; the
/// rest is counted in [`ReleasePods::unsimulated`] with a finding.
/// `lines` are the totals' per-workload lines (same order as `workloads` for non-skipped ones,
/// matched by [`WorkloadId`]). Transient workloads (Jobs, hooks) are left out.
pub fn release_pods(
    workloads: &[Workload<'_>],
    lines: &[WorkloadLine],
    cluster: &Cluster,
    scenario: Scenario,
    pod_slots: u64,
) -> ReleasePods {
    let mut problems = Vec::new();
    let mut unsimulated = Vec::new();
    let mut slots = pod_slots;
    let mut order: Vec<&WorkloadLine> = lines.iter().filter(|l| l.transient.is_none()).collect();
    order.sort_by(|a, b| {
        (install_rank(&a.kind), &a.namespace, &a.name).cmp(&(
            install_rank(&b.kind),
            &b.namespace,
            &b.name,
        ))
    });
    let mut pods = Vec::new();
    for line in order {
        let workload = line.id();
        let Some(w) = workloads.iter().find(|w| w.id() == workload) else {
            continue;
        };
        let mut scheduling: Scheduling = match crate::cluster::model::scheduling_of(w.pod_spec) {
            Ok(s) => s,
            Err(e) => {
                problems.push(
                    Diagnostic::error(
                        Code::PodSpec,
                        format!("{}: scheduling constraints not understood: {e}", w.object.display_with_template()),
                    )
                    .at(Some(w.object.span))
                    .hint("its pods are placed without nodeSelector, affinity, tolerations or spread constraints"),
                );
                Scheduling::default()
            }
        };
        let mut requests = line.pod.requests.clone();
        let runtime_class = scheduling
            .runtime_class_name
            .as_ref()
            .and_then(|n| cluster.runtime_classes.iter().find(|r| &r.name == n));
        // RuntimeClass admission: overhead added, scheduling constraints merged.
        if let Some(rc) = runtime_class {
            for (k, q) in &rc.overhead {
                let e = requests.entry(k.clone()).or_insert(Quantity::ZERO);
                match e.checked_add(*q) {
                    Ok(sum) => *e = sum,
                    Err(err) => problems.push(
                        Diagnostic::error(
                            Code::Quantity,
                            format!(
                                "{}: {k} request plus the overhead of RuntimeClass {}: {err}",
                                w.object.display_with_template(),
                                rc.name
                            ),
                        )
                        .at(Some(w.object.span))
                        .hint("its pods are placed without that overhead"),
                    ),
                }
            }
            for (k, v) in &rc.node_selector {
                scheduling
                    .node_selector
                    .entry(k.clone())
                    .or_insert_with(|| v.clone());
            }
            scheduling
                .tolerations
                .extend(rc.tolerations.iter().cloned());
        }
        // Scoring weighs each container without requests (plus the RuntimeClass overhead).
        let non_zero = serde_json::from_value::<crate::workload::PodSpec>(w.pod_spec.clone())
            .ok()
            .and_then(|mut spec| {
                if let Some(rc) = runtime_class {
                    spec.overhead = rc.overhead.clone();
                }
                crate::workload::pod_non_zero_requests(&spec).ok()
            });
        let labels: BTreeMap<String, String> = w.pod_metadata["labels"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect();
        let count = match scenario {
            Scenario::Steady => line.replicas.steady,
            Scenario::Peak => line.replicas.peak,
            Scenario::Rollout => line.replicas.rollout,
        };
        if line.per_node {
            // A DaemonSet pod is pinned to each node its selector and tolerations admit; the
            // caller places one per eligible node (see `place_release_on`).
            add_daemon_pod_tolerations(&mut scheduling, w.pod_spec["hostNetwork"] == true);
        }
        let pod = Pod {
            namespace: line.namespace.clone(),
            name: String::new(),
            labels,
            node: None,
            requests,
            non_zero,
            scheduling,
        };
        let names: Vec<String> = if line.per_node {
            vec![format!("{}-*", line.name)]
        } else {
            // One pod past the slots is simulated too: it gets the scheduler's own reason.
            let simulated = count.min(slots.saturating_add(1));
            slots = slots.saturating_sub(simulated);
            if simulated < count {
                let rest = count - simulated;
                problems.push(
                    Diagnostic::error(
                        Code::PodSlots,
                        format!(
                            "{}: {count} pods in scenario {}, but the cluster's nodes have {pod_slots} free pod slots in all: {rest} of them cannot be placed (counted, not simulated)",
                            w.object.display_with_template(),
                            scenario.name()
                        ),
                    )
                    .at(Some(w.object.span))
                    .hint(format!(
                        "lower the replicas, or add nodes with room for at least {} more pods (allocatable `pods`)",
                        count.saturating_sub(pod_slots)
                    )),
                );
                unsimulated.push(Unsimulated {
                    workload: workload.clone(),
                    pods: rest,
                });
            }
            (0..simulated)
                .map(|i| format!("{}-{i}", line.name))
                .collect()
        };
        for name in names {
            pods.push((
                workload.clone(),
                Pod {
                    name,
                    ..pod.clone()
                },
            ));
        }
    }
    ReleasePods {
        pods,
        unsimulated,
        problems,
    }
}

/// Place every release pod, in order, on node states the caller keeps: afterwards they hold the
/// release's pods.
pub fn place_release_on(nodes: &mut [NodeState], pods: &[(WorkloadId, Pod)]) -> Vec<PodPlacement> {
    let mut out = Vec::new();
    let namespaces = Namespaces::default();
    let mut cursor = Cursor::default();
    for (workload, pod) in pods {
        if pod.name.ends_with("-*") {
            // DaemonSet: one pod per node, each pinned with `nodeName`-like affinity.
            let base = pod.name.trim_end_matches("-*").to_string();
            let names: Vec<String> = nodes.iter().map(|n| n.name().to_string()).collect();
            for node in names {
                let mut pinned = pod.clone();
                pinned.name = format!("{base}-{node}");
                pinned.scheduling.affinity = Some(pin_to(&node, pinned.scheduling.affinity.take()));
                let placement = place_from(nodes, &pinned, &namespaces, &mut cursor);
                // Nodes the DaemonSet's own selector or taints exclude get no pod: not a failure.
                if placement.node.is_none() && !only_resources(&placement) {
                    continue;
                }
                out.push(PodPlacement {
                    workload: workload.clone(),
                    pod: pinned.name.clone(),
                    namespace: pinned.namespace.clone(),
                    placement,
                });
            }
            continue;
        }
        let placement = place_from(nodes, pod, &namespaces, &mut cursor);
        out.push(PodPlacement {
            workload: workload.clone(),
            pod: pod.name.clone(),
            namespace: pod.namespace.clone(),
            placement,
        });
    }
    out
}

/// Whether a failed DaemonSet placement failed on resources (a real problem) rather than on the
/// pinning or the DaemonSet's own node constraints (the node is simply not one of its nodes).
fn only_resources(p: &Placement) -> bool {
    p.reasons()
        .keys()
        .any(|r| r.starts_with("Insufficient") || r == "Too many pods")
}

/// `AddOrUpdateDaemonPodTolerations`: the DaemonSet controller lets its pods onto NotReady,
/// unreachable, cordoned and pressured nodes (network-unavailable only with host networking).
fn add_daemon_pod_tolerations(scheduling: &mut Scheduling, host_network: bool) {
    let mut add = |key: &str, effect: &str| {
        let present = scheduling.tolerations.iter().any(|t| {
            t.key.as_deref() == Some(key)
                && t.operator.as_deref() == Some("Exists")
                && t.effect.as_deref() == Some(effect)
        });
        if !present {
            scheduling.tolerations.push(Toleration {
                key: Some(key.to_string()),
                operator: Some("Exists".to_string()),
                value: None,
                effect: Some(effect.to_string()),
                toleration_seconds: None,
            });
        }
    };
    add("node.kubernetes.io/not-ready", "NoExecute");
    add("node.kubernetes.io/unreachable", "NoExecute");
    add("node.kubernetes.io/disk-pressure", "NoSchedule");
    add("node.kubernetes.io/memory-pressure", "NoSchedule");
    add("node.kubernetes.io/pid-pressure", "NoSchedule");
    add("node.kubernetes.io/unschedulable", "NoSchedule");
    if host_network {
        add("node.kubernetes.io/network-unavailable", "NoSchedule");
    }
}

/// The DaemonSet controller's pinning: a required node affinity on `metadata.name`.
fn pin_to(node: &str, affinity: Option<serde_json::Value>) -> serde_json::Value {
    let mut affinity = affinity.unwrap_or_else(|| serde_json::json!({}));
    affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = serde_json::json!({
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]
    });
    affinity
}
