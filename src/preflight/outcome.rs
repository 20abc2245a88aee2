//! One preflight, end to end and pure: the release's objects and a cluster in, the verdict, each
//! pod's node or reason, the nodes' free resources before and after, the checks that are not
//! placement (GPU memory, quotas, storage, LimitRanges), and what would make it fit.
//!
//! ```text
//! objects ─► admission (LimitRanger) ─► totals + inventory ─► release_pods (scenario)
//!         ─► place_release_on (node states) ─► checks ─► verdict ─► advice (when unplaced)
//! ```

use std::collections::BTreeSet;

use crate::cluster::{Cluster, Pod};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::render::manifest::Object;
use crate::totals::{Options, Scenario, Totals, compute};
use crate::workload::objects::{Claim, Inventory, WorkloadId, inventory};

use super::advice::{Advice, advise};
use super::model_server::{self, CheckedServer};
use super::release::{PodPlacement, ReleasePods, Unsimulated, place_release_on, release_pods};
use super::{admission, checks};
use crate::model_memory::verdict::Verdict as ModelVerdict;
use crate::scheduler::terms::Resources;
use crate::scheduler::{NodeState, TaintWording};

/// The answer, as the CLI contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Fits,
    DoesNotFit,
    /// Everything modelled fits, but part of the cluster could not be read.
    Unknown,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::DoesNotFit => "does-not-fit",
            Verdict::Unknown => "unknown",
        }
    }
}

/// A node's resources before and after the release (requested sums, as the scheduler keeps
/// them: `NodeInfo.Requested`).
#[derive(Debug, Clone)]
pub struct NodeUsage {
    pub name: String,
    /// Neither cordoned nor NotReady.
    pub schedulable: bool,
    pub allocatable: Resources,
    pub requested_before: Resources,
    pub requested_after: Resources,
    pub pods_before: usize,
    pub pods_after: usize,
    /// Release pods placed here.
    pub release_pods: Vec<String>,
}

/// Everything a preflight found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: Verdict,
    pub scenario: Scenario,
    pub placements: Vec<PodPlacement>,
    /// Pods beyond the cluster's free pod slots, counted as unplaced without a placement each.
    pub unsimulated: Vec<Unsimulated>,
    pub nodes: Vec<NodeUsage>,
    pub advice: Vec<Advice>,
    /// Whether following every [`Advice::AddNodes`] places every pod (true when all fit).
    pub fits_with_advice: bool,
    /// Findings of admission, totals, placement and the cluster checks.
    pub findings: Vec<Diagnostic>,
    /// The release's totals after admission.
    pub totals: Totals,
    /// The vLLM servers accounted on their node's GPUs (per-rank terms and verdict).
    pub model_servers: Vec<CheckedServer>,
}

impl Outcome {
    /// Release pods without a node, the unsimulated ones included.
    pub fn unplaced(&self) -> u64 {
        self.placements
            .iter()
            .filter(|p| p.placement.node.is_none())
            .count() as u64
            + self.unsimulated.iter().map(|u| u.pods).sum::<u64>()
    }

    /// Every release pod of the scenario, the unsimulated ones included.
    pub fn pods(&self) -> u64 {
        self.placements.len() as u64 + self.unsimulated.iter().map(|u| u.pods).sum::<u64>()
    }
}

/// Runs the preflight of `objects` (the release, namespace `namespace`) on `cluster`. The
/// cluster's pods move into the scheduler's node states (on 150,000 pods a copy costs half a
/// second and a third of the memory); everything else of it is only read.
pub fn evaluate(
    objects: &[Object],
    mut cluster: Cluster,
    namespace: &str,
    scenario: Scenario,
) -> Outcome {
    let cluster_pods = std::mem::take(&mut cluster.pods);
    let cluster = &cluster;
    let mut admitted = objects.to_vec();
    let mut findings = admission::apply_limit_ranges(&mut admitted, cluster, namespace);
    let totals = compute(
        &admitted,
        &Options {
            namespace: namespace.to_string(),
            daemonset_nodes: cluster.nodes.len() as u64,
        },
    );
    findings.extend(totals.findings.iter().cloned());
    let inv = inventory(&admitted, namespace);
    let mut states = NodeState::from_parts(cluster.nodes.clone(), cluster_pods);
    let pod_slots: i128 = states
        .iter()
        .map(|s| (s.allocatable().pods - s.pod_count() as i128).max(0))
        .sum();
    let ReleasePods {
        pods,
        unsimulated,
        problems,
    } = release_pods(
        &inv.workloads,
        &totals.workloads,
        cluster,
        scenario,
        u64::try_from(pod_slots).unwrap_or(u64::MAX),
    );
    findings.extend(problems);
    let before: Vec<(Resources, usize)> = states
        .iter()
        .map(|s| (s.requested().clone(), s.pod_count()))
        .collect();
    let mut placements = place_release_on(&mut states, &pods);
    let (blocking, gpu_advice, model_servers) = cluster_checks(
        cluster,
        &admitted,
        &inv,
        &totals,
        &pods,
        &placements,
        scenario,
    );
    // Any error is an object the API server would refuse, or a check that failed.
    // Pods past the pod slots are unplaced pods, judged with the others below (on a cluster
    // read in part, unknown rather than does-not-fit).
    let blocked = blocking
        .iter()
        .chain(&findings)
        .any(|d| d.severity == Severity::Error && d.code != Code::PodSlots);
    findings.extend(blocking);
    let unplaced = !unsimulated.is_empty() || placements.iter().any(|p| p.placement.node.is_none());
    // Pods without a node on a cluster whose nodes or pods were not all read: maybe the unread
    // part had room. Unknown, not "does not fit".
    let placement_inputs_missing = cluster.gaps.iter().any(|g| {
        matches!(g.what.as_str(), "nodes" | "pods")
            || g.what.starts_with("Node/")
            || g.what.starts_with("Pod/")
    });
    let verdict = if unplaced && placement_inputs_missing && !blocked {
        Verdict::Unknown
    } else if unplaced || blocked {
        Verdict::DoesNotFit
    } else if !cluster.gaps.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Fits
    };
    let nodes: Vec<NodeUsage> = states
        .iter()
        .zip(before)
        .map(|(s, (requested_before, pods_before))| NodeUsage {
            name: s.name().to_string(),
            schedulable: !s.node().unschedulable && s.node().ready,
            allocatable: s.allocatable().clone(),
            requested_before,
            requested_after: s.requested().clone(),
            pods_before,
            pods_after: s.pod_count(),
            release_pods: placements
                .iter()
                .filter(|p| p.placement.node.as_deref() == Some(s.name()))
                .map(|p| p.pod.clone())
                .collect(),
        })
        .collect();
    // Advice places the simulated pods again; with pods left unsimulated it would plan for
    // part of the release (the finding says how many pod slots are missing instead).
    let (mut advice, fits_with_advice) = if !unsimulated.is_empty() {
        (Vec::new(), false)
    } else if unplaced {
        // The nodes as they were before the release: each node's first pods.
        let base: Vec<NodeState> = states
            .iter()
            .zip(&nodes)
            .map(|(s, usage): (&NodeState, &NodeUsage)| {
                let mut b = NodeState::new(s.node().clone());
                for p in &s.pods()[..usage.pods_before] {
                    b.add_pod_info(p.clone());
                }
                b
            })
            .collect();
        advise(&base, &pods, &placements)
    } else {
        (Vec::new(), true)
    };
    advice.extend(gpu_advice);
    // Last, as the advice reads the taints: messages worded as the cluster's scheduler words them.
    let wording = TaintWording::for_server_version(cluster.server_version.as_deref());
    for p in &mut placements {
        if let Some(failure) = &mut p.placement.failure {
            failure.word_taints(wording);
        }
    }
    Outcome {
        verdict,
        scenario,
        placements,
        unsimulated,
        nodes,
        advice,
        fits_with_advice,
        findings,
        totals,
        model_servers,
    }
}

/// GPU memory of placed model servers (vLLM accounted by `model_memory`; pods with
/// `stackcheck.dev/*` annotations and servers it does not parse by the annotations rule),
/// quotas, storage classes, untainted GPU nodes.
fn cluster_checks(
    cluster: &Cluster,
    objects: &[Object],
    inv: &Inventory<'_>,
    totals: &Totals,
    pods: &[(WorkloadId, Pod)],
    placements: &[PodPlacement],
    scenario: Scenario,
) -> (Vec<Diagnostic>, Vec<Advice>, Vec<CheckedServer>) {
    let mut out = Vec::new();
    let mut advice = Vec::new();
    let mut servers = Vec::new();
    let mut checked = BTreeSet::new();
    for p in placements {
        let Some(node) = p
            .placement
            .node
            .as_ref()
            .and_then(|n| cluster.nodes.iter().find(|x| &x.name == n))
        else {
            continue;
        };
        // DaemonSet pods are expanded per node: find the pod spec by workload.
        let Some((_, pod)) = pods.iter().find(|(w, _)| *w == p.workload) else {
            continue;
        };
        let gpus = checks::gpu_count(&pod.requests);
        if gpus == 0 || !checked.insert(p.workload.clone()) {
            continue;
        }
        let Some(w) = inv.workloads.iter().find(|w| w.id() == p.workload) else {
            continue;
        };
        // vLLM accounted by model_memory unless a measured need overrides it; the annotations
        // rule for what model_memory cannot decide (other servers, unknown models).
        let annotated = model_server::annotated(w);
        let found = if model_server::measured_override(w) {
            model_server::ServerFindings::default()
        } else {
            model_server::check_workload(cluster, objects, w, gpus, node, annotated)
        };
        if found.decided || !annotated {
            for s in &found.servers {
                if matches!(s.verdict, ModelVerdict::DoesNotFit { .. }) {
                    advice.push(gpu_memory_advice(
                        cluster,
                        pod,
                        &p.workload,
                        gpus,
                        i128::from(s.per_gpu_needed),
                    ));
                }
            }
            out.extend(found.findings);
            servers.extend(found.servers);
            continue;
        }
        let utilization = gpu_memory_utilization(w.pod_spec);
        if let Some(d) = checks::check_gpu_memory(w, gpus, node, utilization) {
            if d.code == Code::GpuMemory
                && let Some(Ok(need)) = checks::gpu_need(&w.pod_metadata["annotations"], gpus)
            {
                advice.push(gpu_memory_advice(
                    cluster,
                    pod,
                    &p.workload,
                    gpus,
                    need.bytes_per_gpu * 100 / utilization,
                ));
            }
            out.push(d);
        }
    }
    out.extend(model_server::shared_gpus(cluster, placements, &servers));
    out.extend(checks::untainted_gpu_nodes(cluster));
    out.extend(checks::check_quotas(cluster, totals, scenario));
    let mut claims: Vec<(String, &Claim<'_>)> =
        inv.claims.iter().map(|(o, c)| (o.display(), c)).collect();
    for w in &inv.workloads {
        for c in &w.claim_templates {
            claims.push((w.object.display(), c));
        }
    }
    out.extend(checks::check_storage(cluster, &claims));
    (out, advice, servers)
}

/// Where GPUs large enough for a model are, or how large the largest are.
fn gpu_memory_advice(
    cluster: &Cluster,
    pod: &Pod,
    workload: &WorkloadId,
    gpus: i128,
    per_gpu: i128,
) -> Advice {
    let resource = pod
        .requests
        .iter()
        .find(|(k, q)| checks::is_gpu_resource(k) && !q.is_zero())
        .map_or("nvidia.com/gpu".to_string(), |(k, _)| k.clone());
    let has_gpus = |n: &&crate::cluster::Node| {
        n.allocatable
            .get(&resource)
            .is_some_and(|q| q.value_ceil() >= gpus)
    };
    let nodes = cluster
        .nodes
        .iter()
        .filter(has_gpus)
        .filter(|n| checks::device_memory(n, &resource).is_some_and(|m| m >= per_gpu))
        .map(|n| n.name.clone())
        .collect();
    let largest = cluster
        .nodes
        .iter()
        .filter_map(|n| checks::device_memory(n, &resource).map(|m| (m, n.name.clone())))
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
    Advice::GpuMemory {
        workload: workload.to_string(),
        gpus,
        resource,
        per_gpu,
        nodes,
        largest,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Gap;
    use crate::scheduler::tests::{in_ns, node_with, on, pod};
    use crate::test_support::objects;

    fn release() -> Vec<Object> {
        objects(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {cpu: 100m}}\n",
        )
    }

    #[test]
    fn unplaced_pods_on_a_partly_read_cluster_are_unknown_not_does_not_fit() {
        let forbidden = Cluster {
            gaps: vec![Gap {
                what: "nodes".into(),
                why: "403 Forbidden: list nodes (cluster-wide)".into(),
                affects: "placement".into(),
            }],
            ..Cluster::default()
        };
        let o = evaluate(&release(), forbidden, "default", Scenario::Steady);
        assert_eq!(o.unplaced(), 1);
        assert_eq!(o.verdict, Verdict::Unknown);
        // A gap elsewhere does not excuse an unplaced pod.
        let quota_gap = Cluster {
            gaps: vec![Gap {
                what: "resourcequotas".into(),
                why: "403 Forbidden".into(),
                affects: "quota check".into(),
            }],
            ..Cluster::default()
        };
        let o = evaluate(&release(), quota_gap, "default", Scenario::Steady);
        assert_eq!(o.verdict, Verdict::DoesNotFit);
    }

    fn node(name: &str, cpu: &str) -> crate::cluster::Node {
        node_with(name, &[("cpu", cpu), ("memory", "32Gi"), ("pods", "110")])
    }

    fn busy(name: &str, node: &str, cpu: &str) -> Pod {
        on(in_ns(pod(name, &[("cpu", cpu)]), "other"), node)
    }

    fn deployment(replicas: u32, cpu: &str) -> Vec<Object> {
        objects(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: batch}}\nspec:\n  replicas: {replicas}\n  template:\n    spec:\n      containers:\n      - name: c\n        resources: {{requests: {{cpu: '{cpu}'}}}}\n"
        ))
    }

    /// Workloads are matched by kind, namespace and name: two Deployments `web` in two
    /// namespaces each place their own pod spec (matching by `Kind/name` gave both the first).
    #[test]
    fn same_named_workloads_of_two_namespaces_keep_their_own_pods() {
        let web = |ns: &str, cpu: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        resources: {{requests: {{cpu: '{cpu}'}}}}\n"
            )
        };
        let objects = objects(&format!("{}---\n{}", web("a", "1"), web("b", "3")));
        let cluster = Cluster {
            nodes: vec![node("n", "2")],
            ..Cluster::default()
        };
        let o = evaluate(&objects, cluster, "default", Scenario::Steady);
        let placed: Vec<(String, String, Option<String>)> = o
            .placements
            .iter()
            .map(|p| {
                (
                    p.workload.to_string(),
                    p.namespace.clone(),
                    p.placement.node.clone(),
                )
            })
            .collect();
        assert_eq!(
            placed,
            [
                ("Deployment/web".into(), "a".into(), Some("n".into())),
                ("Deployment/web".into(), "b".into(), None),
            ]
        );
    }

    #[test]
    fn advice_adds_the_fewest_copies_of_a_node_shape_that_place_every_pod() {
        // Two 8-cpu nodes with 4 cpu taken each: one 3-cpu pod fits on each, four do not. An
        // empty 8-cpu node takes two: two more nodes place them all.
        let cluster = Cluster {
            nodes: vec![node("b", "8"), node("a", "8")],
            pods: vec![busy("x", "a", "4"), busy("y", "b", "4")],
            ..Cluster::default()
        };
        let o = evaluate(&deployment(6, "3"), cluster, "default", Scenario::Steady);
        assert_eq!(o.unplaced(), 4);
        assert_eq!(
            o.advice,
            vec![Advice::AddNodes {
                like: "a".into(),
                count: 2,
                shape: "8 cpu, 32Gi memory".into(),
                workloads: vec!["Deployment/batch".into()],
            }]
        );
        assert!(o.fits_with_advice);
        // Free resources before and after, per node.
        let a = o.nodes.iter().find(|n| n.name == "a").expect("node a");
        assert_eq!(
            (a.requested_before.milli_cpu, a.requested_after.milli_cpu),
            (4000, 7000)
        );
        assert_eq!((a.pods_before, a.pods_after), (1, 2));
    }

    /// `replicas: 2147483647` is valid; expanding every replica ran until the kernel killed the
    /// process (24 GB). Only the cluster's free pod slots are simulated, the rest is counted.
    #[test]
    fn pods_beyond_the_free_pod_slots_are_counted_not_simulated() {
        let cluster = || Cluster {
            nodes: vec![node("b", "8"), node("a", "8")],
            pods: vec![busy("x", "a", "1")],
            ..Cluster::default()
        };
        // 2 × 110 slots, one taken: 219 placed (each 1m cpu fits), one more simulated to show
        // the scheduler's reason (Too many pods), the rest counted.
        let o = evaluate(
            &deployment(i32::MAX as u32, "1m"),
            cluster(),
            "default",
            Scenario::Steady,
        );
        assert_eq!(o.placements.len(), 220);
        assert_eq!(o.pods(), i32::MAX as u64);
        assert_eq!(o.unplaced(), i32::MAX as u64 - 219);
        assert_eq!(o.verdict, Verdict::DoesNotFit);
        assert_eq!(o.unsimulated[0].pods, i32::MAX as u64 - 220);
        let finding = o
            .findings
            .iter()
            .find(|d| d.code == Code::PodSlots)
            .expect("pod-slots finding");
        assert_eq!(
            finding.message,
            "Deployment/batch: 2147483647 pods in scenario steady, but the cluster's nodes have 219 free pod slots in all: 2147483427 of them cannot be placed (counted, not simulated)"
        );
        assert!(
            o.advice.is_empty(),
            "advice would plan for part of the release"
        );
        // Within the slots nothing changes.
        let o = evaluate(
            &deployment(200, "1m"),
            cluster(),
            "default",
            Scenario::Steady,
        );
        assert!(
            o.unsimulated.is_empty() && o.unplaced() == 0,
            "{:?}",
            o.findings
        );
    }

    #[test]
    fn a_pod_larger_than_every_node_gets_no_nodes_to_add_but_the_reason() {
        let cluster = Cluster {
            nodes: vec![node("a", "8"), node("big", "16")],
            ..Cluster::default()
        };
        let o = evaluate(&deployment(1, "24"), cluster, "default", Scenario::Steady);
        match o.advice.as_slice() {
            [
                Advice::NoShapeFits {
                    workload,
                    pods,
                    why,
                },
            ] => {
                assert_eq!((workload.as_str(), *pods), ("Deployment/batch", 1));
                assert_eq!(
                    why,
                    "it requests 24 cpu, the nodes it may use allocate at most 16 (big): add nodes with at least 24 cpu"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(!o.fits_with_advice);
    }

    fn vllm(name: &str, args: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: vllm\n        image: vllm/vllm-openai:v0.11.0\n        command: [vllm, serve, meta-llama/Llama-3.2-1B-Instruct]\n        args: [{args}]\n        resources: {{requests: {{cpu: '1', nvidia.com/gpu.shared: '1'}}, limits: {{nvidia.com/gpu.shared: '1'}}}}\n"
        )
    }

    /// Two vLLM servers time-sliced on one T4 (GFD: one GPU, 4 replicas): each alone fits
    /// (Llama-3.2-1B at 4096 tokens), but their `--gpu-memory-utilization` add up to 1.1, so
    /// the second finds 0.4 × 14.75 GiB free where it asks for 0.5 × 14.75 and refuses to
    /// start (vLLM's free-memory check, VLLM-MEMORY §1).
    #[test]
    fn vllm_servers_sharing_one_time_sliced_gpu_cannot_reserve_more_than_all_of_it() {
        let mut t4 = node_with(
            "gpu-t4-1",
            &[
                ("cpu", "8"),
                ("memory", "32Gi"),
                ("pods", "110"),
                ("nvidia.com/gpu.shared", "4"),
            ],
        );
        for (k, v) in [
            ("nvidia.com/gpu.count", "1"),
            ("nvidia.com/gpu.replicas", "4"),
            ("nvidia.com/gpu.product", "Tesla-T4"),
            ("nvidia.com/gpu.memory", "15360"),
        ] {
            t4.labels.insert(k.into(), v.into());
        }
        let cluster = || Cluster {
            nodes: vec![t4.clone()],
            pods: vec![busy("x", "gpu-t4-1", "100m")],
            ..Cluster::default()
        };
        let release = objects(&format!(
            "{}---\n{}",
            vllm(
                "chat",
                "--max-model-len, '4096', --gpu-memory-utilization, '0.6'"
            ),
            vllm(
                "draft",
                "--max-model-len, '4096', --gpu-memory-utilization, '0.5'"
            ),
        ));
        let o = evaluate(&release, cluster(), "default", Scenario::Steady);
        assert_eq!(o.model_servers.len(), 2);
        assert!(
            o.model_servers
                .iter()
                .all(|s| s.shared && s.verdict.name() == "fits")
        );
        let shared: Vec<&str> = o
            .findings
            .iter()
            .filter(|d| d.code == Code::GpuMemory && d.severity == Severity::Error)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            shared,
            [
                "Deployment/draft pod draft-0 container vllm on node gpu-t4-1 (one time-sliced GPU): vLLM will not start: Free memory on device cuda:0 (5.9/14.75 GiB) on startup is less than desired GPU memory utilization (0.5, 7.38 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes."
            ]
        );
        assert_eq!(o.verdict, Verdict::DoesNotFit);
        // Two replicas of one server at 0.6 each: the second pod does not start.
        let two = objects(
            &vllm(
                "chat",
                "--max-model-len, '4096', --gpu-memory-utilization, '0.6'",
            )
            .replace("spec:\n  template:", "spec:\n  replicas: 2\n  template:"),
        );
        let o = evaluate(&two, cluster(), "default", Scenario::Steady);
        let refused: Vec<&str> = o
            .findings
            .iter()
            .filter(|d| d.code == Code::GpuMemory && d.severity == Severity::Error)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].starts_with("Deployment/chat pod chat-1 container vllm"));
        // 0.6 + 0.4 = 1: both start.
        let release = objects(&format!(
            "{}---\n{}",
            vllm(
                "chat",
                "--max-model-len, '4096', --gpu-memory-utilization, '0.6'"
            ),
            vllm(
                "draft",
                "--max-model-len, '4096', --gpu-memory-utilization, '0.4'"
            ),
        ));
        let o = evaluate(&release, cluster(), "default", Scenario::Steady);
        assert!(
            !o.findings
                .iter()
                .any(|d| d.code == Code::GpuMemory && d.severity == Severity::Error),
            "{:?}",
            o.findings
        );
    }

    /// A model the catalog does not know, served from a local path: its `config.json` given as
    /// a ConfigMap of the release named by `stackcheck.dev/model-config` is accounted; without
    /// it, a note says what to provide; a ConfigMap that is not there is an error.
    #[test]
    fn a_config_json_in_a_configmap_of_the_release_checks_an_unknown_model() {
        let mut a10 = node_with(
            "gpu-a10-1",
            &[
                ("cpu", "8"),
                ("memory", "32Gi"),
                ("pods", "110"),
                ("nvidia.com/gpu", "1"),
            ],
        );
        for (k, v) in [
            ("nvidia.com/gpu.product", "NVIDIA-A10"),
            ("nvidia.com/gpu.memory", "23028"),
        ] {
            a10.labels.insert(k.into(), v.into());
        }
        let cluster = || Cluster {
            nodes: vec![a10.clone()],
            pods: vec![busy("x", "gpu-a10-1", "100m")],
            ..Cluster::default()
        };
        let config = r#"{"model_type":"llama","num_hidden_layers":16,"hidden_size":2048,"num_attention_heads":32,"num_key_value_heads":8,"head_dim":64,"intermediate_size":8192,"vocab_size":128256,"max_position_embeddings":131072,"tie_word_embeddings":true,"torch_dtype":"bfloat16"}"#;
        let release = |annotation: &str| {
            objects(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: custom-config}}\ndata:\n  config.json: '{config}'\n---\n\
                 apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: custom}}\nspec:\n  template:\n    metadata: {{annotations: {{{annotation}}}}}\n    spec:\n      containers:\n      - name: vllm\n        image: vllm/vllm-openai:v0.11.0\n        args: [--model, /models/custom, --max-model-len, '8192']\n        resources: {{limits: {{nvidia.com/gpu: '1'}}}}\n"
            ))
        };
        let gpu_findings = |o: &Outcome| -> Vec<(Severity, Code, String)> {
            o.findings
                .iter()
                .filter(|d| matches!(d.code, Code::GpuMemory | Code::GpuAnnotation))
                .map(|d| (d.severity, d.code, d.message.clone()))
                .collect()
        };
        let given = evaluate(
            &release("stackcheck.dev/model-config: custom-config"),
            cluster(),
            "default",
            Scenario::Steady,
        );
        assert_eq!(given.model_servers.len(), 1, "{:?}", gpu_findings(&given));
        assert_eq!(given.model_servers[0].account.model_id, "/models/custom");
        assert_eq!(given.model_servers[0].verdict.name(), "fits");
        assert!(
            gpu_findings(&given)
                .iter()
                .all(|(s, _, _)| *s == Severity::Note)
        );
        let unknown = evaluate(&release(""), cluster(), "default", Scenario::Steady);
        assert!(unknown.model_servers.is_empty());
        let f = gpu_findings(&unknown);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].0, f[0].1), (Severity::Note, Code::GpuMemory));
        assert!(
            f[0].2
                .contains("\"/models/custom\", which stackcheck does not know")
        );
        let missing = evaluate(
            &release("stackcheck.dev/model-config: other"),
            cluster(),
            "default",
            Scenario::Steady,
        );
        assert!(gpu_findings(&missing).iter().any(|(s, c, m)| *s == Severity::Error
            && *c == Code::GpuAnnotation
            && m.ends_with("stackcheck.dev/model-config \"other\": no ConfigMap other in namespace default in the release")));
    }
}
