//! The preflight report: JSON (the contract in `schemas/preflight-report.schema.json`) and text.

use serde_json::{Value as Json, json};

use crate::model_memory::verdict::Verdict as ModelVerdict;
use crate::preflight::advice::Advice;
use crate::preflight::model_server::CheckedServer;
use crate::preflight::outcome::{NodeUsage, Outcome};
use crate::preflight::release::PodPlacement;
use crate::quantity::human_amount;
use crate::release::{ClusterSummary, Rendered};
use crate::scheduler::UNTOLERATED_TAINTS;
use crate::scheduler::terms::Resources;
use crate::source::Sources;

/// What was checked against what, for the report's header.
pub struct Subject<'a> {
    pub release: &'a str,
    /// The chart or manifests file.
    pub source: &'a str,
    pub namespace: &'a str,
    /// `live: context x (https://…)` or the snapshot files.
    pub cluster: &'a str,
    pub cluster_nodes: usize,
    pub cluster_pods: usize,
    pub gaps: &'a [crate::cluster::Gap],
}

impl<'a> Subject<'a> {
    /// The release, its manifests and the cluster it was placed on.
    pub fn new(cluster: &'a ClusterSummary, release: &'a str, rendered: &'a Rendered) -> Self {
        Subject {
            release,
            source: &rendered.source_name,
            namespace: &rendered.namespace,
            cluster: &cluster.description,
            cluster_nodes: cluster.nodes,
            cluster_pods: cluster.pods,
            gaps: &cluster.gaps,
        }
    }
}

/// The text report followed by every finding of the run.
pub fn to_text_with_findings(
    o: &Outcome,
    s: &Subject<'_>,
    sources: &Sources,
    styled: bool,
) -> String {
    let mut text = to_text(o, s);
    if !o.findings.is_empty() {
        text.push('\n');
        text.push_str(&super::render(
            &o.findings,
            sources,
            super::Format::Text,
            styled,
        ));
    }
    text
}

/// Resource names a node's table shows: cpu, memory, ephemeral-storage when allocatable, pods,
/// then every extended resource with a non-zero allocatable.
fn resource_names(allocatable: &Resources) -> Vec<String> {
    let mut names = vec!["cpu".to_string(), "memory".to_string()];
    if allocatable.ephemeral_storage > 0 {
        names.push("ephemeral-storage".into());
    }
    names.push("pods".into());
    names.extend(
        allocatable
            .scalar
            .iter()
            .filter(|(_, v)| **v > 0)
            .map(|(k, _)| k.clone()),
    );
    names
}

/// What `r` holds of `resource`, with `pods` the pods counted (requests do not count them).
fn amount(r: &Resources, resource: &str, pods: usize) -> i128 {
    if resource == "pods" {
        pods as i128
    } else {
        r.amount(resource)
    }
}

fn quantity(resource: &str, value: i128) -> Json {
    json!({"value": super::exact_json(value), "quantity": human_amount(resource, value)})
}

fn node_json(n: &NodeUsage) -> Json {
    let names = resource_names(&n.allocatable);
    let free = |requested: &Resources, pods: usize| -> Json {
        names
            .iter()
            .map(|r| {
                let alloc = n.allocatable.amount(r);
                let used = amount(requested, r, pods);
                (r.clone(), quantity(r, alloc - used))
            })
            .collect::<serde_json::Map<String, Json>>()
            .into()
    };
    json!({
        "name": n.name,
        "schedulable": n.schedulable,
        "allocatable": names.iter().map(|r| (r.clone(), quantity(r, n.allocatable.amount(r)))).collect::<serde_json::Map<String, Json>>(),
        "freeBefore": free(&n.requested_before, n.pods_before),
        "freeAfter": free(&n.requested_after, n.pods_after),
        "releasePods": n.release_pods,
    })
}

fn advice_json(a: &Advice) -> Json {
    match a {
        Advice::AddNodes {
            like,
            count,
            shape,
            workloads,
        } => json!({
            "action": "add-nodes", "like": like, "count": count, "shape": shape,
            "workloads": workloads, "message": a.message(),
        }),
        Advice::NoShapeFits {
            workload,
            pods,
            why,
        } => json!({
            "action": "no-node-shape-fits", "workloads": [workload], "pods": pods, "why": why,
            "message": a.message(),
        }),
        Advice::GpuMemory {
            workload,
            gpus,
            resource,
            per_gpu,
            nodes,
            ..
        } => json!({
            "action": "larger-gpus", "workloads": [workload], "gpus": gpus, "resource": resource,
            "gpuMemory": quantity("memory", *per_gpu), "nodes": nodes, "message": a.message(),
        }),
    }
}

/// A pod's untolerated taints `(key, value, nodes)`, by key and value.
fn untolerated_taints(p: &PodPlacement) -> impl Iterator<Item = (&str, &str, usize)> {
    p.placement
        .failure
        .iter()
        .flat_map(|f| &f.untolerated_taints)
        .map(|((key, value), n)| (key.as_str(), value.as_str(), *n))
}

/// `stackcheck preflight -o json`.
pub fn to_json(o: &Outcome, s: &Subject<'_>, sources: &Sources) -> Json {
    json!({
        "version": 1,
        "verdict": o.verdict.word(),
        "scenario": o.scenario.name(),
        "release": s.release,
        "source": s.source,
        "namespace": s.namespace,
        "cluster": {"source": s.cluster, "nodes": s.cluster_nodes, "pods": s.cluster_pods},
        "pods": o.placements.iter().map(|p| json!({
            "workload": p.workload.to_string(),
            "pod": p.pod,
            "namespace": p.namespace,
            "node": p.placement.node,
            "reasons": p.placement.reasons().into_iter().map(|(r, n)| json!({"reason": r, "nodes": n})).collect::<Vec<_>>(),
            "untoleratedTaints": untolerated_taints(p).map(|(key, value, n)| json!({"key": key, "value": value, "nodes": n})).collect::<Vec<_>>(),
            "message": p.placement.message(),
        })).collect::<Vec<_>>(),
        "unsimulatedPods": o.unsimulated.iter().map(|u| json!({"workload": u.workload.to_string(), "pods": u.pods})).collect::<Vec<_>>(),
        "nodes": o.nodes.iter().map(node_json).collect::<Vec<_>>(),
        "advice": o.advice.iter().map(advice_json).collect::<Vec<_>>(),
        "fitsWithAdvice": o.fits_with_advice,
        "gaps": s.gaps.iter().map(|g| json!({"what": g.what, "why": g.why, "affects": g.affects})).collect::<Vec<_>>(),
        "findings": o.findings.iter().map(|d| super::diag_json(d, sources)).collect::<Vec<_>>(),
        "modelServers": o.model_servers.iter().map(model_server_json).collect::<Vec<_>>(),
    })
}

/// Bytes as a JSON integer (every term fits an `i64`; saturated otherwise).
fn bytes_i(b: i128) -> Json {
    json!(i64::try_from(b).unwrap_or(if b < 0 { i64::MIN } else { i64::MAX }))
}

/// One vLLM server accounted on its node's GPU: the setup, the per-rank terms in exact bytes
/// and vLLM's verdict.
fn model_server_json(m: &CheckedServer) -> Json {
    let a = &m.account;
    let (message, margin) = match &m.verdict {
        ModelVerdict::DoesNotFit { message, .. } => (Some(message.clone()), None),
        ModelVerdict::Uncertain { margin, .. } => (None, Some(bytes_i(*margin))),
        ModelVerdict::Fits { .. } => (None, None),
    };
    let advice = match &m.verdict {
        ModelVerdict::DoesNotFit { advice, .. }
        | ModelVerdict::Uncertain { advice, .. }
        | ModelVerdict::Fits { advice, .. } => advice,
    };
    json!({
        "workload": m.workload,
        "container": m.container,
        "node": m.node,
        "model": a.model_id,
        "device": {"name": a.device.name, "totalBytes": a.device.total},
        "gpuMemoryUtilization": a.utilization.to_string(),
        "requestedBytes": a.requested,
        "maxModelLen": a.max_model_len,
        "maxNumBatchedTokens": a.max_num_batched_tokens,
        "tensorParallelSize": a.tp,
        "pipelineParallelSize": a.pp,
        "cudaGraphsSubtracted": a.graphs_subtracted,
        "verdict": m.verdict.name(),
        "message": message,
        "marginBytes": margin,
        "largestMaxModelLen": advice.largest_max_model_len,
        "sequencesAtMaxModelLen": advice.sequences_at_max_model_len,
        "perGpuNeededBytes": m.per_gpu_needed,
        "ranks": a.stages.iter().map(|r| json!({
            "ppRank": r.pp_rank,
            "weights": r.weights,
            "activation": r.activation,
            "nonTorch": r.non_torch,
            "cudaGraphs": r.cuda_graphs,
            "kvNeeded": r.kv_needed,
            "kvAvailable": bytes_i(r.kv_available),
            "band": r.band,
        })).collect::<Vec<_>>(),
    })
}

/// `stackcheck preflight` for people: placements, the nodes the release lands on, advice.
pub fn to_text(o: &Outcome, s: &Subject<'_>) -> String {
    let mut out = format!(
        "Preflight of release {} ({}) in namespace {} on cluster {}: {} node(s), {} running pod(s); scenario {}\n\n",
        s.release,
        s.source,
        s.namespace,
        s.cluster,
        s.cluster_nodes,
        s.cluster_pods,
        o.scenario.name()
    );
    out.push_str(&placements_table(o));
    let touched: Vec<&NodeUsage> = o
        .nodes
        .iter()
        .filter(|n| !n.release_pods.is_empty())
        .collect();
    if !touched.is_empty() {
        out.push_str("\nFree on the nodes the release uses (before → after, of allocatable):\n");
        out.push_str(&nodes_table(&touched));
        let others = o.nodes.len() - touched.len();
        if others > 0 {
            out.push_str(&format!(
                "({others} other node(s) unchanged; -o json lists every node)\n"
            ));
        }
    }
    for g in s.gaps {
        out.push_str(&format!("unknown: {}: {} ({})\n", g.what, g.why, g.affects));
    }
    out.push_str(&format!(
        "\nverdict: {} — {} of {} pod(s) placed\n",
        o.verdict.word(),
        o.pods() - o.unplaced(),
        o.pods()
    ));
    if !o.advice.is_empty() {
        out.push_str("\nWhat would make it fit:\n");
        for a in &o.advice {
            out.push_str(&format!("  - {}\n", a.message()));
        }
        let adds = o
            .advice
            .iter()
            .any(|a| matches!(a, Advice::AddNodes { .. }));
        if adds && o.fits_with_advice {
            out.push_str("  (placing the release again with these nodes added places every pod)\n");
        }
    }
    out
}

fn placements_table(o: &Outcome) -> String {
    let width = o
        .placements
        .iter()
        .map(|p| p.pod.len())
        .max()
        .unwrap_or(3)
        .max(3);
    let mut s = format!("{:width$}  NODE\n", "POD");
    for p in &o.placements {
        let node = match (&p.placement.node, p.placement.message()) {
            (Some(n), _) => n.clone(),
            // The scheduler's message no longer names the taints (v1.34.2+): say which they are.
            (None, Some(m)) if m.contains(UNTOLERATED_TAINTS) => {
                let taints: Vec<String> = untolerated_taints(p)
                    .map(|(key, value, n)| format!("{{{key}: {value}}} on {n}"))
                    .collect();
                format!(
                    "unschedulable: {m} (untolerated taints: {})",
                    taints.join(", ")
                )
            }
            (None, Some(m)) => format!("unschedulable: {m}"),
            (None, None) => "unschedulable".to_string(),
        };
        s.push_str(&format!("{:width$}  {node}\n", p.pod));
    }
    s
}

fn nodes_table(nodes: &[&NodeUsage]) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for n in nodes {
        let mut row = vec![n.name.clone()];
        for r in resource_names(&n.allocatable) {
            let alloc = n.allocatable.amount(&r);
            let before = alloc - amount(&n.requested_before, &r, n.pods_before);
            let after = alloc - amount(&n.requested_after, &r, n.pods_after);
            row.push(format!(
                "{r} {} → {} of {}",
                human_amount(&r, before),
                human_amount(&r, after),
                human_amount(&r, alloc)
            ));
        }
        rows.push(row);
    }
    let widths = super::column_widths(&rows);
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:w$}", w = widths[i]))
            .collect();
        out.push_str("  ");
        out.push_str(cells.join("   ").trim_end());
        out.push('\n');
    }
    out
}
