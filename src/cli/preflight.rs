//! `stackcheck preflight`: will every pod of this release be placed on this cluster?

use serde_json::json;

use super::totals::{Rendered, rendered_release};
use super::{Exit, PreflightArgs, PreflightFormat, out, styled};
use crate::cluster::read_snapshot;
use crate::preflight::release::{PodPlacement, place_release, release_pods};
use crate::report::{self, Format};
use crate::totals::{Options, compute};
use crate::workload::objects::inventory;

/// The answer, as the CLI contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Fits,
    DoesNotFit,
    Unknown,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::DoesNotFit => "does-not-fit",
            Verdict::Unknown => "unknown",
        }
    }
}

pub(super) fn run(args: PreflightArgs) -> Exit {
    let Rendered {
        mut sources,
        objects,
        diagnostics: mut diags,
        source_name,
        from_file,
        namespace,
    } = match rendered_release(&args.release) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let (cluster, cluster_diags) = match read_snapshot(&mut sources, &args.cluster) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    diags.extend(cluster_diags);
    let scenario: crate::totals::Scenario = args.scenario.into();
    let totals = compute(
        &objects,
        &Options {
            namespace: namespace.clone(),
            daemonset_nodes: cluster.nodes.len() as u64,
        },
    );
    diags.extend(totals.findings.iter().cloned());
    if !from_file {
        for d in &mut diags {
            if d.span
                .is_some_and(|s| sources.name(s.source).starts_with("helm template"))
            {
                d.span = None;
            }
        }
    }
    let inv = inventory(&objects, &namespace);
    let (pods, problems) = release_pods(&inv.workloads, &totals.workloads, &cluster, scenario);
    diags.extend(problems);
    let placements = place_release(&cluster, &pods);
    let unplaced = placements
        .iter()
        .filter(|p| p.placement.node.is_none())
        .count();
    let blocking = cluster_checks(&cluster, &inv, &totals, &pods, &placements, scenario);
    let blocked = blocking
        .iter()
        .any(|d| d.severity == crate::report::Severity::Error);
    diags.extend(blocking);
    let verdict = if unplaced > 0 || blocked {
        Verdict::DoesNotFit
    } else if !cluster.gaps.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Fits
    };
    let cluster_name = args
        .cluster
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    match args.output {
        PreflightFormat::Json => {
            let report = json!({
                "version": 1,
                "verdict": verdict.word(),
                "scenario": scenario.name(),
                "release": args.release.release,
                "source": source_name,
                "namespace": namespace,
                "cluster": {"source": cluster_name, "nodes": cluster.nodes.len(), "pods": cluster.pods.len()},
                "pods": placements.iter().map(|p| json!({
                    "workload": p.workload,
                    "pod": p.pod,
                    "namespace": p.namespace,
                    "node": p.placement.node,
                    "reasons": p.placement.reasons().into_iter().map(|(r, n)| json!({"reason": r, "nodes": n})).collect::<Vec<_>>(),
                    "message": p.placement.message(),
                })).collect::<Vec<_>>(),
                "gaps": cluster.gaps.iter().map(|g| json!({"what": g.what, "why": g.why, "affects": g.affects})).collect::<Vec<_>>(),
                "findings": diags.iter().map(|d| report::diag_json(d, &sources)).collect::<Vec<_>>(),
            });
            out(&(serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"));
        }
        PreflightFormat::Text => {
            out(&format!(
                "Preflight of release {} ({source_name}) on cluster {cluster_name}: {} node(s), {} running pod(s); scenario {}\n\n",
                args.release.release,
                cluster.nodes.len(),
                cluster.pods.len(),
                scenario.name()
            ));
            out(&text_table(&placements));
            for g in &cluster.gaps {
                out(&format!("unknown: {}: {} ({})\n", g.what, g.why, g.affects));
            }
            out(&format!(
                "\nverdict: {} — {} of {} pod(s) placed\n",
                verdict.word(),
                placements.len() - unplaced,
                placements.len()
            ));
            if !diags.is_empty() {
                out("\n");
                out(&report::render(&diags, &sources, Format::Text, styled()));
            }
        }
    }
    match verdict {
        Verdict::Fits => Exit::Ok,
        Verdict::DoesNotFit => Exit::Failed,
        Verdict::Unknown => Exit::ClusterUnreadable,
    }
}

/// GPU memory of placed model servers, quotas, storage classes, untainted GPU nodes.
fn cluster_checks(
    cluster: &crate::cluster::Cluster,
    inv: &crate::workload::objects::Inventory<'_>,
    totals: &crate::totals::Totals,
    pods: &[(String, crate::cluster::Pod)],
    placements: &[PodPlacement],
    scenario: crate::totals::Scenario,
) -> Vec<crate::report::Diagnostic> {
    use crate::preflight::checks;
    let mut out = Vec::new();
    let mut checked = std::collections::BTreeSet::new();
    for (p, (_, pod)) in placements.iter().zip(pods) {
        let Some(node) = p
            .placement
            .node
            .as_ref()
            .and_then(|n| cluster.nodes.iter().find(|x| &x.name == n))
        else {
            continue;
        };
        let gpus = checks::gpu_count(&pod.requests);
        if gpus == 0 || !checked.insert(p.workload.clone()) {
            continue;
        }
        let Some(w) = inv
            .workloads
            .iter()
            .find(|w| w.object.display() == p.workload)
        else {
            continue;
        };
        if let Some(d) = checks::check_gpu_memory(w, gpus, node, gpu_memory_utilization(w.pod_spec))
        {
            out.push(d);
        }
    }
    out.extend(checks::untainted_gpu_nodes(cluster));
    out.extend(checks::check_quotas(cluster, totals, scenario));
    let mut claims: Vec<(String, &crate::workload::objects::Claim<'_>)> =
        inv.claims.iter().map(|(o, c)| (o.display(), c)).collect();
    for w in &inv.workloads {
        for c in &w.claim_templates {
            claims.push((w.object.display(), c));
        }
    }
    out.extend(checks::check_storage(cluster, &claims));
    out
}

/// vLLM's `--gpu-memory-utilization` from the containers' args, in percent (default 90).
fn gpu_memory_utilization(pod_spec: &serde_json::Value) -> i128 {
    let args = pod_spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| {
            ["command", "args"]
                .into_iter()
                .flat_map(move |f| c[f].as_array().into_iter().flatten())
        })
        .filter_map(serde_json::Value::as_str)
        .collect::<Vec<_>>();
    let value = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--gpu-memory-utilization=").or_else(|| {
            (*a == "--gpu-memory-utilization")
                .then(|| args.get(i + 1).copied())
                .flatten()
        })
    });
    value
        .and_then(|v| crate::quantity::Quantity::parse(v).ok())
        .map(|q| q.milli_ceil() / 10)
        .filter(|p| *p > 0 && *p <= 100)
        .unwrap_or(90)
}

fn text_table(placements: &[PodPlacement]) -> String {
    let width = placements
        .iter()
        .map(|p| p.pod.len())
        .max()
        .unwrap_or(3)
        .max(3);
    let mut s = format!("{:width$}  NODE\n", "POD");
    for p in placements {
        let node = match (&p.placement.node, p.placement.message()) {
            (Some(n), _) => n.clone(),
            (None, Some(m)) => format!("unschedulable: {m}"),
            (None, None) => "unschedulable".to_string(),
        };
        s.push_str(&format!("{:width$}  {node}\n", p.pod));
    }
    s
}
