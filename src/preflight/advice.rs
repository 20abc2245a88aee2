//! What would make a release fit: the nodes to add, found the way cluster-autoscaler finds them —
//! by trying empty copies of the cluster's own node shapes and placing the release again.
//!
//! For each workload with unplaced pods (in install order), a *shape* is a schedulable, Ready
//! node of the cluster; an empty copy of it (new name and hostname, same labels, taints and
//! allocatable) is a candidate when one pod of the workload passes the filters that need no
//! other pod (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit). The candidate
//! needing the fewest copies by resources wins (ties: the smaller node, then the name), and the
//! whole release is placed again with those copies added, one more at a time until the
//! workload's pods all fit (pod anti-affinity or spread can need more copies than resources say).
//! When no shape can take even one pod, the advice says which filter stops it, with the largest
//! amount any node offers for each resource that is short.
//!
//! The cluster's own DaemonSets are not known (the snapshot keeps no owners), so a new node is
//! assumed to carry none of their pods: the advice is a lower bound by their size.

use std::collections::BTreeMap;

use crate::cluster::{Node, Pod};
use crate::quantity::human_amount;
use crate::workload::objects::WorkloadId;

use super::release::{PodPlacement, place_release_on};
use crate::scheduler::filters;
use crate::scheduler::terms::{Incoming, Resources};
use crate::scheduler::{NodeState, Reason, Rejection};

/// At most this many distinct node shapes are tried.
const MAX_SHAPES: usize = 32;
/// At most this many trial placements of the whole release (each costs one preflight).
const MAX_TRIALS: usize = 40;

/// One piece of advice for the workloads that do not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advice {
    /// `count` more nodes like `like` would place the workloads' pods.
    AddNodes {
        like: String,
        count: usize,
        /// The node's shape for people: `8 cpu, 32Gi memory, 4 nvidia.com/gpu (A100 80Gi)`.
        shape: String,
        workloads: Vec<String>,
    },
    /// No node shape of the cluster can take one pod of `workload`.
    NoShapeFits {
        workload: String,
        pods: usize,
        why: String,
    },
    /// A model server placed on GPUs too small for its model.
    GpuMemory {
        workload: String,
        /// GPUs per pod, of `resource`.
        gpus: i128,
        resource: String,
        /// The GPU memory each GPU needs (bytes), utilization included.
        per_gpu: i128,
        /// Nodes of the cluster whose GPUs are that large.
        nodes: Vec<String>,
        /// The largest GPU memory in the cluster, and a node that has it.
        largest: Option<(i128, String)>,
    },
}

impl Advice {
    pub fn message(&self) -> String {
        match self {
            Advice::AddNodes {
                like,
                count,
                shape,
                workloads,
            } => format!(
                "add {count} node(s) like {like} ({shape}) for {}",
                workloads.join(", ")
            ),
            Advice::NoShapeFits {
                workload,
                pods,
                why,
            } => {
                format!(
                    "{workload} ({pods} pod(s)): no node shape of this cluster can take one: {why}"
                )
            }
            Advice::GpuMemory {
                workload,
                gpus,
                resource,
                per_gpu,
                nodes,
                largest,
            } => {
                let need = format!(
                    "{gpus} free {resource} of at least {} each",
                    human_amount("memory", *per_gpu)
                );
                if nodes.is_empty() {
                    let largest = largest.as_ref().map_or(String::new(), |(b, n)| {
                        format!(
                            " (the largest GPUs here have {} on {n})",
                            human_amount("memory", *b)
                        )
                    });
                    format!("{workload}: add node(s) with {need}{largest}")
                } else {
                    format!(
                        "{workload}: needs {need}; node(s) {} have such GPUs: select them (nodeSelector on nvidia.com/gpu.product or nvidia.com/gpu.memory)",
                        nodes.join(", ")
                    )
                }
            }
        }
    }
}

/// Advice for the pods `placements` left unplaced, and whether the release fits once the
/// [`Advice::AddNodes`] are followed.
pub fn advise(
    base: &[NodeState],
    pods: &[(WorkloadId, Pod)],
    placements: &[PodPlacement],
) -> (Vec<Advice>, bool) {
    let cluster_nodes: Vec<Node> = base.iter().map(|s| s.node().clone()).collect();
    let mut unplaced: Vec<(WorkloadId, usize)> = Vec::new();
    for p in placements.iter().filter(|p| p.placement.node.is_none()) {
        match unplaced.iter_mut().find(|(w, _)| *w == p.workload) {
            Some((_, n)) => *n += 1,
            None => unplaced.push((p.workload.clone(), 1)),
        }
    }
    if unplaced.is_empty() {
        return (Vec::new(), true);
    }
    let shapes = shapes(&cluster_nodes);
    let mut added: Vec<(usize, usize)> = Vec::new(); // (shape index, copies)
    let mut advice = Vec::new();
    let trials = std::cell::Cell::new(0usize);
    let mut last_unplaced = unplaced_by_workload(&place_with(base, &shapes, &added, pods));
    for (workload, count) in &unplaced {
        if last_unplaced.get(workload).copied().unwrap_or(0) == 0 {
            continue; // placed on nodes added for an earlier workload
        }
        let Some((_, pod)) = pods.iter().find(|(w, _)| w == workload) else {
            continue;
        };
        let Ok(incoming) = Incoming::new(pod) else {
            continue;
        };
        let missing = last_unplaced.get(workload).copied().unwrap_or(*count);
        let candidates = candidates(&shapes, &incoming, missing);
        let Some(&(shape, per_node)) = candidates.first() else {
            advice.push(Advice::NoShapeFits {
                workload: workload.to_string(),
                pods: *count,
                why: why_no_shape(&cluster_nodes, &incoming),
            });
            continue;
        };
        let first = missing.div_ceil(per_node.max(1));
        // Copies needed: at least `first` (resources), at most one per missing pod more (anti-
        // affinity, spread). Placing again is the costly step: search exponentially, then
        // bisect (more nodes never place fewer pods of a workload).
        let limit = first + missing;
        let try_copies = |copies: usize| {
            trials.set(trials.get() + 1);
            let mut trial = added.clone();
            trial.push((shape, copies));
            let left = unplaced_by_workload(&place_with(base, &shapes, &trial, pods));
            let done = left.get(workload).copied().unwrap_or(0) == 0;
            (done, trial, left)
        };
        let mut low = first - 1; // known (or assumed) not enough
        let mut high = first;
        let mut found = None;
        loop {
            let (done, trial, left) = try_copies(high);
            if done {
                found = Some((high, trial, left));
                break;
            }
            if high >= limit || trials.get() >= MAX_TRIALS {
                break;
            }
            low = high;
            high = (high * 2).min(limit);
        }
        while let Some((copies, _, _)) = &found
            && copies - low > 1
            && trials.get() < MAX_TRIALS
        {
            let mid = low + (copies - low) / 2;
            let (done, trial, left) = try_copies(mid);
            if done {
                found = Some((mid, trial, left));
            } else {
                low = mid;
            }
        }
        match found {
            Some((copies, trial, left)) => {
                added = trial;
                last_unplaced = left;
                merge_advice(&mut advice, &shapes[shape], copies, workload);
            }
            None => advice.push(Advice::NoShapeFits {
                workload: workload.to_string(),
                pods: *count,
                why: if trials.get() >= MAX_TRIALS {
                    format!("not worked out: stopped after {MAX_TRIALS} trial placements")
                } else {
                    format!(
                        "even {high} more node(s) like {} do not place every pod (pod affinity or topology spread keeps them off new nodes)",
                        shapes[shape].name
                    )
                },
            }),
        }
    }
    let fits = last_unplaced.values().all(|n| *n == 0)
        && !advice
            .iter()
            .any(|a| matches!(a, Advice::NoShapeFits { .. }));
    (advice, fits)
}

fn merge_advice(advice: &mut Vec<Advice>, shape: &Node, copies: usize, workload: &WorkloadId) {
    for a in advice.iter_mut() {
        if let Advice::AddNodes {
            like,
            count,
            workloads,
            ..
        } = a
            && *like == shape.name
        {
            *count += copies;
            workloads.push(workload.to_string());
            return;
        }
    }
    advice.push(Advice::AddNodes {
        like: shape.name.clone(),
        count: copies,
        shape: describe(shape),
        workloads: vec![workload.to_string()],
    });
}

fn unplaced_by_workload(placements: &[PodPlacement]) -> BTreeMap<WorkloadId, usize> {
    let mut out = BTreeMap::new();
    for p in placements {
        let e = out.entry(p.workload.clone()).or_insert(0);
        if p.placement.node.is_none() {
            *e += 1;
        }
    }
    out
}

/// The release placed on the cluster (`base`: its nodes before the release) plus `added` empty
/// copies of shapes.
fn place_with(
    base: &[NodeState],
    shapes: &[Node],
    added: &[(usize, usize)],
    pods: &[(WorkloadId, Pod)],
) -> Vec<PodPlacement> {
    let mut states = base.to_vec();
    let mut serial = 0;
    for &(shape, copies) in added {
        for _ in 0..copies {
            serial += 1;
            states.push(NodeState::new(copy_of(&shapes[shape], serial)));
        }
    }
    place_release_on(&mut states, pods)
}

/// An empty, schedulable, Ready copy of `node` under a new name (and hostname label).
fn copy_of(node: &Node, serial: usize) -> Node {
    let name = format!("new-{serial}-like-{}", node.name);
    let mut copy = node.clone();
    for v in copy.labels.values_mut() {
        if *v == node.name {
            *v = name.clone();
        }
    }
    copy.name = name;
    copy.unschedulable = false;
    copy.ready = true;
    copy
}

/// The distinct shapes of the schedulable, Ready nodes: same allocatable, taints and labels
/// (hostname-like labels aside); the first by name stands for each.
fn shapes(nodes: &[Node]) -> Vec<Node> {
    let mut sorted: Vec<&Node> = nodes
        .iter()
        .filter(|n| n.ready && !n.unschedulable)
        .collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<Node> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for n in sorted {
        let labels: Vec<(&String, &String)> =
            n.labels.iter().filter(|(_, v)| **v != n.name).collect();
        let key = format!("{:?}|{:?}|{:?}", n.allocatable, n.taints, labels);
        if seen.insert(key) {
            out.push(n.clone());
            if out.len() == MAX_SHAPES {
                break;
            }
        }
    }
    out
}

/// Shapes an empty copy of which takes one `pod`, with how many such pods fit on it by
/// resources; best first: fewest copies for `missing` pods, then the smaller node, then the name.
fn candidates(shapes: &[Node], pod: &Incoming, missing: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = shapes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let state = NodeState::new(copy_of(n, 0));
            static_filters(&state, pod).ok()?;
            Some((i, per_node(state.allocatable(), &pod.info.requests)))
        })
        .collect();
    out.sort_by(|a, b| {
        let copies = |per: usize| missing.div_ceil(per.max(1));
        copies(a.1)
            .cmp(&copies(b.1))
            .then_with(|| size(&shapes[a.0]).cmp(&size(&shapes[b.0])))
            .then_with(|| shapes[a.0].name.cmp(&shapes[b.0].name))
    });
    out
}

fn static_filters(node: &NodeState, pod: &Incoming) -> Result<(), Rejection> {
    filters::node_unschedulable(node, pod)?;
    filters::taint_toleration(node, pod)?;
    filters::node_affinity(node, pod)?;
    filters::node_resources_fit(node, pod)
}

/// A node's size for ordering: cpu, then memory.
fn size(node: &Node) -> (i128, i128) {
    let r = Resources::from_list(&node.allocatable);
    (r.milli_cpu, r.memory)
}

/// How many pods requesting `req` fit on an empty node with `alloc`, by resources.
fn per_node(alloc: &Resources, req: &Resources) -> usize {
    let mut n = alloc.pods.max(0);
    let mut limit = |have: i128, want: i128| {
        if want > 0 {
            n = n.min(have / want);
        }
    };
    limit(alloc.milli_cpu, req.milli_cpu);
    limit(alloc.memory, req.memory);
    limit(alloc.ephemeral_storage, req.ephemeral_storage);
    for (k, v) in &req.scalar {
        limit(alloc.scalar(k), *v);
    }
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Why no empty copy of any node takes the pod: nodes with room that its constraints exclude
/// (and the fix), and for the nodes it may use, the resources that are short with the most any
/// of them allocates.
fn why_no_shape(nodes: &[Node], pod: &Incoming) -> String {
    let usable: Vec<NodeState> = nodes
        .iter()
        .filter(|n| n.ready && !n.unschedulable)
        .map(|n| NodeState::new(copy_of(n, 0)))
        .collect();
    if usable.is_empty() {
        return "every node is cordoned or NotReady: uncordon or repair nodes".into();
    }
    let constraints = |n: &NodeState| -> Result<(), Rejection> {
        filters::taint_toleration(n, pod)?;
        filters::node_affinity(n, pod)
    };
    let mut parts = Vec::new();
    // Nodes with room for the pod that its tolerations or node selection rule out.
    let mut excluded: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for n in &usable {
        if filters::node_resources_fit(n, pod).is_ok()
            && let Err(r) = constraints(n)
        {
            excluded
                .entry(r.to_string())
                .or_default()
                .push(original_name(n));
        }
    }
    for (reason, names) in &excluded {
        let fix = if reason.contains("untolerated taint") {
            "add a toleration for it"
        } else {
            "its nodeSelector/affinity rules them out"
        };
        parts.push(format!(
            "{} node(s) with room ({}) {}: {fix}",
            names.len(),
            names.join(", "),
            reason.trim_start_matches("node(s) ")
        ));
    }
    let allowed: Vec<&NodeState> = usable.iter().filter(|n| constraints(n).is_ok()).collect();
    if allowed.is_empty() {
        parts.push(match node_selection(&pod.info.pod) {
            Some(wanted) => format!(
                "no schedulable node has the labels it selects ({wanted}) and taints it tolerates: add such nodes, or change the selection"
            ),
            None => "no schedulable node has only taints it tolerates".into(),
        });
        return parts.join("; ");
    }
    let mut short = std::collections::BTreeSet::new();
    for n in &allowed {
        if let Err(r) = filters::node_resources_fit(n, pod) {
            for reason in r.reasons {
                if let Reason::Insufficient(res) = reason {
                    short.insert(res);
                } else if reason == Reason::TooManyPods {
                    short.insert("pods".to_string());
                }
            }
        }
    }
    for res in short {
        let want = if res == "pods" {
            1
        } else {
            pod.info.requests.amount(&res)
        };
        let best = allowed
            .iter()
            .map(|n| (n.allocatable().amount(&res), original_name(n)))
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)));
        if let Some((have, name)) = best {
            parts.push(format!(
                "it requests {} {res}, the nodes it may use allocate at most {} ({name}): add nodes with at least {} {res}",
                human_amount(&res, want),
                human_amount(&res, have),
                human_amount(&res, want)
            ));
        }
    }
    parts.join("; ")
}

/// The pod's nodeSelector and required node affinity for people: `a=b, c In [x, y]`, terms of
/// the affinity ORed with `or`.
fn node_selection(pod: &Pod) -> Option<String> {
    let mut parts: Vec<String> = pod
        .scheduling
        .node_selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let terms = pod
        .scheduling
        .affinity
        .as_ref()
        .map(|a| &a["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"])
        .and_then(serde_json::Value::as_array);
    let mut alternatives = Vec::new();
    for term in terms.into_iter().flatten() {
        let mut reqs = Vec::new();
        for field in ["matchExpressions", "matchFields"] {
            for e in term[field].as_array().into_iter().flatten() {
                let values: Vec<&str> = e["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(serde_json::Value::as_str)
                    .collect();
                let key = e["key"].as_str().unwrap_or("?");
                let op = e["operator"].as_str().unwrap_or("?");
                reqs.push(if values.is_empty() {
                    format!("{key} {op}")
                } else {
                    format!("{key} {op} [{}]", values.join(", "))
                });
            }
        }
        if !reqs.is_empty() {
            alternatives.push(reqs.join(", "));
        }
    }
    if !alternatives.is_empty() {
        parts.push(alternatives.join(" or "));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The name of the node a [`copy_of`] was made from.
fn original_name(n: &NodeState) -> &str {
    n.name()
        .split_once("-like-")
        .map_or(n.name(), |(_, original)| original)
}

/// `8 cpu, 32Gi memory, 4 nvidia.com/gpu (NVIDIA-A100-SXM4-80GB, 80Gi)`.
fn describe(node: &Node) -> String {
    let r = Resources::from_list(&node.allocatable);
    let mut parts = vec![
        format!("{} cpu", human_amount("cpu", r.milli_cpu)),
        format!("{} memory", human_amount("memory", r.memory)),
    ];
    for (k, v) in &r.scalar {
        if *v == 0 {
            continue;
        }
        let mut part = format!("{v} {k}");
        if super::checks::is_gpu_resource(k) {
            let product = node.labels.get("nvidia.com/gpu.product");
            let memory = super::checks::device_memory(node, k).map(|b| human_amount("memory", b));
            match (product, memory) {
                (Some(p), Some(m)) => part.push_str(&format!(" ({p}, {m})")),
                (Some(p), None) => part.push_str(&format!(" ({p})")),
                (None, Some(m)) => part.push_str(&format!(" ({m})")),
                (None, None) => {}
            }
        }
        parts.push(part);
    }
    if !node.taints.is_empty() {
        let taints: Vec<String> = node
            .taints
            .iter()
            .map(|t| match &t.value {
                Some(v) => format!("{}={v}:{}", t.key, t.effect),
                None => format!("{}:{}", t.key, t.effect),
            })
            .collect();
        parts.push(format!("taints {}", taints.join(" ")));
    }
    parts.join(", ")
}
