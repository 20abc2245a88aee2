//! Checks beyond the scheduler's filters, each a pure function over the release and the
//! cluster model:
//!
//! - GPU memory by the `stackcheck.dev/*` pod annotations (DESIGN §5) and the node's GPU
//!   Feature Discovery label `nvidia.com/gpu.memory` (MiB): weights per GPU + 2 GiB. A floor,
//!   used only where [`super::model_server`] (vLLM as vLLM accounts it) cannot decide: servers
//!   whose flags are not read (SGLang, TGI, NIM, Ollama), models neither bundled nor given as a
//!   `config.json`; and `stackcheck.dev/gpu-memory-min`, a measured need that overrides both.
//! - Quotas: would the release exceed a ResourceQuota of its namespace.
//! - Storage: does every claim's StorageClass exist (or a default one, when none is named).
//! - GPU nodes without a taint (CPU pods can fill them and starve the GPU pods).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::cluster::{Cluster, Node};
use crate::diagnostic::{Code, Diagnostic};
use crate::quantity::{Quantity, QuantityError, human_amount};
use crate::totals::{Amounts, Scenario, Totals};
use crate::workload::objects::{Claim, Workload};

const GIB: i128 = 1 << 30;
/// Per-GPU memory beyond the weights that any vLLM server needs (CUDA context and graphs,
/// activations, the smallest useful KV cache).
pub const OVERHEAD_PER_GPU: i128 = 2 * GIB;
const MIB: i128 = 1 << 20;

/// Bytes per parameter of a weight dtype (`None`: not a dtype we know).
pub fn dtype_bytes_x2(dtype: &str) -> Option<i128> {
    // Twice the bytes, so 4-bit types stay integral.
    Some(match dtype.to_ascii_lowercase().as_str() {
        "float32" | "fp32" => 8,
        "bfloat16" | "bf16" | "float16" | "fp16" | "half" | "auto" => 4,
        "fp8" | "float8" | "int8" | "fp8_e4m3" | "fp8_e5m2" => 2,
        "int4" | "fp4" | "nf4" | "awq" | "gptq" => 1,
        _ => return None,
    })
}

/// `70B`, `8e9`, `1.5B`, `350M` → a parameter count.
pub fn parse_parameters(text: &str) -> Option<i128> {
    let t = text.trim();
    let (num, mult) = match t.chars().last()? {
        'B' | 'b' => (&t[..t.len() - 1], 1_000_000_000),
        'M' | 'm' => (&t[..t.len() - 1], 1_000_000),
        'K' | 'k' => (&t[..t.len() - 1], 1_000),
        _ => (t, 1),
    };
    let q = Quantity::parse(num).ok()?;
    // Whole parameters, rounded up: nanounits × multiplier / 1e9.
    let nanos = q.nanos().checked_mul(mult)?;
    Some((nanos + 999_999_999) / 1_000_000_000)
}

/// What one GPU must hold for a model server, and how it was worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuNeed {
    pub bytes_per_gpu: i128,
    pub explanation: String,
}

/// A `stackcheck.dev/*` model annotation that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnotationError {
    #[error("stackcheck.dev/gpu-memory-min: {0}")]
    GpuMemoryMin(#[from] QuantityError),
    #[error(
        "stackcheck.dev/model-parameters {0:?} is not a parameter count (e.g. \"70B\", \"8e9\")"
    )]
    Parameters(String),
    #[error(
        "stackcheck.dev/model-dtype {0:?} is not known (bfloat16, float16, fp8, int8, int4, float32)"
    )]
    Dtype(String),
    #[error("stackcheck.dev/tensor-parallel {0:?} is not a positive integer")]
    TensorParallel(String),
}

/// Per-GPU memory a model needs: `gpu-memory-min` when given, else weights (parameters ×
/// dtype bytes) split over the tensor-parallel GPUs, plus [`OVERHEAD_PER_GPU`] for the CUDA
/// context, activations and a minimal KV cache. A floor, not a sizing: vLLM also needs KV cache
/// for at least one `max-model-len` sequence, which depends on the architecture; set
/// `stackcheck.dev/gpu-memory-min` to check a measured figure instead.
pub fn gpu_need(annotations: &Json, gpus: i128) -> Option<Result<GpuNeed, AnnotationError>> {
    let get = |k: &str| annotations[format!("stackcheck.dev/{k}")].as_str();
    if let Some(min) = get("gpu-memory-min") {
        return Some(
            Quantity::parse(min)
                .map(|q| GpuNeed {
                    bytes_per_gpu: q.value_ceil(),
                    explanation: format!("stackcheck.dev/gpu-memory-min {min}"),
                })
                .map_err(AnnotationError::from),
        );
    }
    let params_text = get("model-parameters")?;
    let Some(params) = parse_parameters(params_text) else {
        return Some(Err(AnnotationError::Parameters(params_text.to_string())));
    };
    let dtype = get("model-dtype").unwrap_or("bfloat16");
    let Some(bx2) = dtype_bytes_x2(dtype) else {
        return Some(Err(AnnotationError::Dtype(dtype.to_string())));
    };
    let tp = match get("tensor-parallel") {
        Some(t) => match t.trim().parse::<i128>() {
            Ok(n) if n > 0 => n,
            _ => return Some(Err(AnnotationError::TensorParallel(t.to_string()))),
        },
        None => gpus.max(1),
    };
    let weights = params * bx2 / 2;
    let per_gpu = (weights + tp - 1) / tp;
    let need = per_gpu + OVERHEAD_PER_GPU;
    Some(Ok(GpuNeed {
        bytes_per_gpu: need,
        explanation: format!(
            "{params_text} parameters × {} byte(s) ({dtype}) / {tp} GPU(s) = {} of weights per GPU, + 2Gi for CUDA, activations and KV cache",
            if bx2 % 2 == 0 {
                (bx2 / 2).to_string()
            } else {
                "0.5".to_string()
            },
            human_amount("memory", per_gpu)
        ),
    }))
}

/// GPU memory per device on a node, from GPU Feature Discovery (`nvidia.com/gpu.memory`, MiB).
/// With the `mixed` MIG strategy this is the whole GPU's memory, not a MIG device's: see
/// [`device_memory`] for what one device of a given resource holds.
pub fn node_gpu_memory(node: &Node) -> Option<i128> {
    mib_label(node, "nvidia.com/gpu.memory")
}

/// Memory of one device of the GPU resource `resource` on `node`, from GPU Feature Discovery's
/// labels (MiB):
///
/// - `nvidia.com/mig-<profile>` (the device plugin's `mixed` MIG strategy): GFD labels each
///   profile's own memory as `nvidia.com/mig-<profile>.memory`, while `nvidia.com/gpu.memory`
///   stays the whole GPU's (81920 for an A100-80GB whose 1g.10gb slices have 9728 each);
/// - `nvidia.com/gpu` and `nvidia.com/gpu.shared`: `nvidia.com/gpu.memory` (with the `single`
///   MIG strategy GFD sets it to the MIG device's memory; a time-sliced replica shares the whole
///   GPU's memory);
/// - other vendors' resources: not known (`None`).
pub fn device_memory(node: &Node, resource: &str) -> Option<i128> {
    if let Some(profile) = resource.strip_prefix("nvidia.com/mig-") {
        return mib_label(node, &format!("nvidia.com/mig-{profile}.memory"));
    }
    match resource {
        "nvidia.com/gpu" | "nvidia.com/gpu.shared" => node_gpu_memory(node),
        _ => None,
    }
}

fn mib_label(node: &Node, label: &str) -> Option<i128> {
    node.labels
        .get(label)
        .and_then(|m| m.parse::<i128>().ok())
        .map(|mib| mib * MIB)
}

/// The GPU resources (see [`is_gpu_resource`]) a pod spec's containers and init containers
/// request or limit.
pub fn requested_gpu_resources(pod_spec: &Json) -> std::collections::BTreeSet<String> {
    ["containers", "initContainers"]
        .into_iter()
        .flat_map(|list| pod_spec[list].as_array().into_iter().flatten())
        .flat_map(|c| {
            ["requests", "limits"]
                .into_iter()
                .flat_map(move |k| c["resources"][k].as_object().into_iter().flatten())
        })
        .map(|(name, _)| name)
        .filter(|name| is_gpu_resource(name))
        .cloned()
        .collect()
}

/// Memory of one of the GPU devices a pod of `pod_spec` gets on `node`: the smallest over the
/// GPU resources it requests whose memory the node's labels give, else `nvidia.com/gpu.memory`.
pub fn pod_device_memory(node: &Node, pod_spec: &Json) -> Option<i128> {
    let resources = requested_gpu_resources(pod_spec);
    if resources.is_empty() {
        return node_gpu_memory(node);
    }
    resources
        .iter()
        .filter_map(|r| device_memory(node, r))
        .min()
}

/// The GPUs a pod's containers request (any extended resource that names a GPU).
pub fn gpu_count(requests: &BTreeMap<String, Quantity>) -> i128 {
    requests
        .iter()
        .filter(|(k, _)| is_gpu_resource(k))
        .map(|(_, q)| q.value_ceil())
        .sum()
}

pub fn is_gpu_resource(name: &str) -> bool {
    name == "nvidia.com/gpu"
        || name.starts_with("nvidia.com/mig-")
        || name == "nvidia.com/gpu.shared"
        || name == "amd.com/gpu"
        || name.starts_with("gpu.intel.com/")
}

/// A placed model server whose model does not fit its node's GPUs; and annotation problems.
/// `utilization_pct` is vLLM's `--gpu-memory-utilization` (default 90).
pub fn check_gpu_memory(
    workload: &Workload<'_>,
    gpus: i128,
    node: &Node,
    utilization_pct: i128,
) -> Option<Diagnostic> {
    let annotations = &workload.pod_metadata["annotations"];
    let need = match gpu_need(annotations, gpus)? {
        Ok(n) => n,
        Err(e) => {
            return Some(
                Diagnostic::error(
                    Code::GpuAnnotation,
                    format!("{}: {e}", workload.object.display_with_template()),
                )
                .at(Some(workload.object.span)),
            );
        }
    };
    if let Some(tp) = annotations["stackcheck.dev/tensor-parallel"].as_str()
        && tp.trim().parse::<i128>().ok() != Some(gpus)
    {
        return Some(
            Diagnostic::error(
                Code::TensorParallel,
                format!(
                    "{}: tensor-parallel size {tp} differs from the {gpus} GPU(s) the pod requests",
                    workload.object.display_with_template()
                ),
            )
            .at(Some(workload.object.span))
            .hint(
                "vLLM shards the model over exactly --tensor-parallel-size GPUs; request that many",
            ),
        );
    }
    let per_gpu = pod_device_memory(node, workload.pod_spec)?;
    let usable = per_gpu * utilization_pct / 100;
    (need.bytes_per_gpu > usable).then(|| {
        Diagnostic::error(
            Code::GpuMemory,
            format!(
                "{} on node {}: the model needs {} per GPU but each GPU has {} ({}% usable: {})",
                workload.object.display_with_template(),
                node.name,
                human_amount("memory", need.bytes_per_gpu),
                human_amount("memory", per_gpu),
                utilization_pct,
                human_amount("memory", usable)
            ),
        )
        .at(Some(workload.object.span))
        .hint(format!(
            "{}; use GPUs with at least {} each, more GPUs (tensor parallelism), or a smaller dtype",
            need.explanation,
            human_amount("memory", need.bytes_per_gpu * 100 / utilization_pct)
        ))
    })
}

/// GPU nodes without a NoSchedule/NoExecute taint.
pub fn untainted_gpu_nodes(cluster: &Cluster) -> Vec<Diagnostic> {
    cluster
        .nodes
        .iter()
        .filter(|n| n.allocatable.iter().any(|(k, q)| is_gpu_resource(k) && !q.is_zero()))
        .filter(|n| !n.taints.iter().any(|t| t.effect == "NoSchedule" || t.effect == "NoExecute"))
        .map(|n| {
            Diagnostic::warning(Code::GpuNodeUntainted, format!("GPU node {} has no NoSchedule taint", n.name))
                .hint("CPU pods can fill it and leave GPU pods Pending; taint it (e.g. nvidia.com/gpu=present:NoSchedule) and let GPU pods tolerate it")
        })
        .collect()
}

/// Quota keys the release would exceed in its namespace, scenario `scenario`.
pub fn check_quotas(cluster: &Cluster, totals: &Totals, scenario: Scenario) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // DefaultStorageClass admission gives a claim without storageClassName the default class
    // before ResourceQuota admission charges it (several defaults: Kubernetes takes the newest,
    // which a snapshot does not tell; the first is taken here).
    let default_class = cluster
        .storage_classes
        .iter()
        .find(|c| c.is_default)
        .map(|c| c.name.as_str());
    for (ns, by) in &totals.namespaces {
        let Some(amounts) = by.get(&scenario) else {
            continue;
        };
        for quota in cluster.quotas.iter().filter(|q| &q.namespace == ns) {
            for (key, hard) in &quota.hard {
                if let Some(resource) = key.strip_prefix("limits.")
                    && matches!(
                        amounts.limits.get(resource),
                        Some(crate::workload::Limit::Unbounded)
                    )
                {
                    // Admission refuses a pod without this limit, unless a LimitRange of the
                    // namespace gives it a default one (then the total is not known here).
                    let defaulted = cluster.limit_ranges.iter().any(|lr| {
                        &lr.namespace == ns
                            && lr.limits.iter().any(|l| {
                                l["type"] == "Container" && !l["default"][resource].is_null()
                            })
                    });
                    if !defaulted {
                        out.push(
                            Diagnostic::error(
                                Code::Quota,
                                format!("ResourceQuota {ns}/{}: tracks {key}, and some pods of the release set no {resource} limit", quota.name),
                            )
                            .hint(format!("the API server refuses those pods (\"must specify {resource}\"); set a {resource} limit on every container")),
                        );
                    }
                    continue;
                }
                let adds = match counted_kind(key) {
                    Some(kind) => Some(Quantity::from_units(
                        totals
                            .workloads
                            .iter()
                            .filter(|l| l.kind == kind && &l.namespace == ns)
                            .count() as i64,
                        crate::quantity::Format::DecimalSI,
                    )),
                    None => quota_usage(key, amounts, default_class),
                };
                let Some(adds) = adds else {
                    continue;
                };
                let used = quota.used.get(key).copied().unwrap_or(Quantity::ZERO);
                let Ok(after) = used.checked_add(adds) else {
                    continue;
                };
                if after > *hard {
                    out.push(
                        Diagnostic::error(
                            Code::Quota,
                            format!(
                                "ResourceQuota {ns}/{}: {key} would be {} of {} ({} used + {} for this release)",
                                quota.name,
                                after.human(key),
                                hard.human(key),
                                used.human(key),
                                adds.human(key)
                            ),
                        )
                        .hint("the API server refuses the pods (or claims) that exceed it: raise the quota or lower the release's requests"),
                    );
                }
            }
        }
    }
    out
}

/// The kind of object a `count/<resource>.<group>` quota key counts, for the kinds the release's
/// workloads are (the generic object-count evaluator charges one per object created in the
/// namespace). `count/replicasets.apps` is left out: Deployments create ReplicaSets too.
fn counted_kind(key: &str) -> Option<&'static str> {
    Some(match key.strip_prefix("count/")? {
        "deployments.apps" => "Deployment",
        "statefulsets.apps" => "StatefulSet",
        "daemonsets.apps" => "DaemonSet",
        "jobs.batch" => "Job",
        "cronjobs.batch" => "CronJob",
        "replicationcontrollers" => "ReplicationController",
        _ => return None,
    })
}

/// What the release adds to one quota key, when we know how to count it. `default_class` is the
/// class claims without `storageClassName` get.
fn quota_usage(key: &str, a: &Amounts, default_class: Option<&str>) -> Option<Quantity> {
    let req = |r: &str| a.requests.get(r).copied().unwrap_or(Quantity::ZERO);
    let storage_total = || {
        a.storage
            .values()
            .try_fold(Quantity::ZERO, |acc, q| acc.checked_add(*q))
            .ok()
    };
    if key == "pods" || key == "count/pods" {
        return Some(Quantity::from_units(
            a.pods as i64,
            crate::quantity::Format::DecimalSI,
        ));
    }
    if key == "requests.storage" {
        return storage_total();
    }
    if let Some(class) = key.strip_suffix(".storageclass.storage.k8s.io/requests.storage") {
        let named = a.storage.get(&Some(class.to_string())).copied();
        let defaulted = (default_class == Some(class))
            .then(|| a.storage.get(&None).copied())
            .flatten();
        return named
            .unwrap_or(Quantity::ZERO)
            .checked_add(defaulted.unwrap_or(Quantity::ZERO))
            .ok();
    }
    if let Some(r) = key.strip_prefix("requests.") {
        return Some(req(r));
    }
    if let Some(r) = key.strip_prefix("limits.") {
        return match a.limits.get(r) {
            Some(crate::workload::Limit::Bounded(q)) => Some(*q),
            // Handled by the caller (refused, or defaulted by a LimitRange).
            Some(crate::workload::Limit::Unbounded) => None,
            None => Some(Quantity::ZERO),
        };
    }
    if key == "cpu" || key == "memory" || key == "ephemeral-storage" {
        return Some(req(key));
    }
    None
}

/// Claims whose StorageClass does not exist, or that name none while the cluster has no default.
pub fn check_storage(cluster: &Cluster, claims: &[(String, &Claim<'_>)]) -> Vec<Diagnostic> {
    let default = cluster.storage_classes.iter().find(|c| c.is_default);
    let mut out = Vec::new();
    for (owner, claim) in claims {
        match &claim.storage_class {
            None if default.is_none() => out.push(
                Diagnostic::error(Code::StorageClass, format!("{owner}: claim {} names no StorageClass and the cluster has no default one", claim.name))
                    .hint("it stays Pending; set storageClassName or mark a class default (storageclass.kubernetes.io/is-default-class)"),
            ),
            Some(c) if !c.is_empty() && !cluster.storage_classes.iter().any(|s| &s.name == c) => {
                let known: Vec<&str> = cluster.storage_classes.iter().map(|s| s.name.as_str()).collect();
                out.push(
                    Diagnostic::error(Code::StorageClass, format!("{owner}: claim {} uses StorageClass {c}, which the cluster does not have", claim.name))
                        .hint(format!("it stays Pending; classes here: {}", if known.is_empty() { "none".to_string() } else { known.join(", ") })),
                );
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameter_counts_and_dtypes() {
        assert_eq!(parse_parameters("70B"), Some(70_000_000_000));
        assert_eq!(parse_parameters("8e9"), Some(8_000_000_000));
        assert_eq!(parse_parameters("1.5B"), Some(1_500_000_000));
        assert_eq!(parse_parameters("350M"), Some(350_000_000));
        assert_eq!(parse_parameters("lots"), None);
        assert_eq!(dtype_bytes_x2("bfloat16"), Some(4));
        assert_eq!(dtype_bytes_x2("int4"), Some(1));
        assert_eq!(dtype_bytes_x2("float64"), None);
    }

    #[test]
    fn a_70b_model_fits_two_80gb_gpus_in_bfloat16_but_not_one() {
        let ann = json!({"stackcheck.dev/model-parameters": "70B", "stackcheck.dev/model-dtype": "bfloat16"});
        // 70e9 × 2 bytes = 140e9 bytes of weights. Over 2 GPUs: 70e9 + 2Gi = 72,147,483,648
        // bytes (67.2 GiB) per GPU, within 90% of 80 GiB (72 GiB): seed 004's "2x A100-80GB".
        let two = gpu_need(&ann, 2).unwrap().unwrap();
        assert_eq!(two.bytes_per_gpu, 70_000_000_000 + 2 * GIB);
        assert!(two.bytes_per_gpu < 80 * GIB * 90 / 100);
        // On one GPU: 140e9 + 2Gi (132.4 GiB) does not fit 72 GiB.
        let one = gpu_need(&ann, 1).unwrap().unwrap();
        assert!(one.bytes_per_gpu > 80 * GIB * 90 / 100);
        // An 8B model in bfloat16 on one A10 (24 GiB, 21.6 usable): 16e9 + 2Gi = 16.9 GiB fits.
        let small = json!({"stackcheck.dev/model-parameters": "8B"});
        assert!(gpu_need(&small, 1).unwrap().unwrap().bytes_per_gpu < 24 * GIB * 90 / 100);
        // An explicit minimum wins.
        let min = json!({"stackcheck.dev/gpu-memory-min": "20Gi", "stackcheck.dev/model-parameters": "70B"});
        assert_eq!(gpu_need(&min, 2).unwrap().unwrap().bytes_per_gpu, 20 * GIB);
        // No annotations: nothing to check.
        assert!(gpu_need(&json!({}), 1).is_none());
    }

    fn node_with(labels: &[(&str, &str)]) -> Node {
        let mut node = crate::scheduler::tests::node_with("gpu-mig-1", &[]);
        node.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        node
    }

    /// GFD's `mixed` MIG strategy: `nvidia.com/gpu.memory` is the whole A100-80GB, each profile
    /// has its own `nvidia.com/mig-<profile>.memory`. A pod on a 1g.10gb slice gets 9728 MiB,
    /// not 81920 (scenario gpu-mig-slice-memory).
    #[test]
    fn a_mig_device_has_its_profiles_memory_not_the_whole_gpus() {
        let node = node_with(&[
            ("nvidia.com/gpu.memory", "81920"),
            ("nvidia.com/mig-1g.10gb.memory", "9728"),
        ]);
        assert_eq!(
            device_memory(&node, "nvidia.com/mig-1g.10gb"),
            Some(9728 * MIB)
        );
        assert_eq!(device_memory(&node, "nvidia.com/gpu"), Some(81920 * MIB));
        assert_eq!(
            device_memory(&node, "nvidia.com/gpu.shared"),
            Some(81920 * MIB)
        );
        // A profile the node does not label, and other vendors: unknown.
        assert_eq!(device_memory(&node, "nvidia.com/mig-3g.40gb"), None);
        assert_eq!(device_memory(&node, "amd.com/gpu"), None);

        let spec = json!({"containers": [{"name": "vllm", "resources": {
            "requests": {"cpu": "2"}, "limits": {"nvidia.com/mig-1g.10gb": "1"}}}]});
        assert_eq!(
            requested_gpu_resources(&spec)
                .into_iter()
                .collect::<Vec<_>>(),
            ["nvidia.com/mig-1g.10gb"]
        );
        assert_eq!(pod_device_memory(&node, &spec), Some(9728 * MIB));
        // A pod whose spec names no GPU resource falls back to the whole GPU's memory.
        assert_eq!(
            pod_device_memory(&node, &json!({"containers": []})),
            Some(81920 * MIB)
        );
        // 7B in bfloat16 (15.04Gi with overhead) does not fit 90% of a 1g.10gb slice (8.55Gi).
        let need = gpu_need(&json!({"stackcheck.dev/model-parameters": "7B"}), 1)
            .unwrap()
            .unwrap();
        assert!(need.bytes_per_gpu > 9728 * MIB * 90 / 100);
    }

    fn quota(
        ns: &str,
        hard: &[(&str, &str)],
        used: &[(&str, &str)],
    ) -> crate::cluster::ResourceQuota {
        let list = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap()))
                .collect()
        };
        crate::cluster::ResourceQuota {
            namespace: ns.into(),
            name: "q".into(),
            hard: list(hard),
            used: list(used),
        }
    }

    fn totals_of(text: &str, ns: &str) -> Totals {
        crate::totals::compute(
            &crate::test_support::objects(text),
            &crate::totals::Options {
                namespace: ns.into(),
                daemonset_nodes: 1,
            },
        )
    }

    fn messages(d: Vec<Diagnostic>) -> Vec<String> {
        d.into_iter().map(|d| d.message).collect()
    }

    /// `count/deployments.apps` charges one per Deployment the release creates in the namespace
    /// (scenario quota-pods-and-object-counts).
    #[test]
    fn object_count_quotas_count_the_releases_objects() {
        let t = totals_of(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {containers: [{name: c}]}}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\nspec: {template: {spec: {containers: [{name: c}]}}}\n---\n\
             apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {template: {spec: {containers: [{name: c}]}}}\n",
            "team-d",
        );
        let cluster = Cluster {
            quotas: vec![quota(
                "team-d",
                &[
                    ("count/deployments.apps", "3"),
                    ("count/statefulsets.apps", "1"),
                    ("count/pods", "10"),
                ],
                &[
                    ("count/deployments.apps", "2"),
                    ("count/statefulsets.apps", "0"),
                    ("count/pods", "3"),
                ],
            )],
            ..Cluster::default()
        };
        assert_eq!(
            messages(check_quotas(&cluster, &t, Scenario::Steady)),
            [
                "ResourceQuota team-d/q: count/deployments.apps would be 4 of 3 (2 used + 2 for this release)"
            ]
        );
    }

    /// A claim without `storageClassName` is charged to the default class's quota, as
    /// DefaultStorageClass admission runs before ResourceQuota (scenario quota-storage-by-class).
    #[test]
    fn claims_without_a_class_count_under_the_default_class() {
        let t = totals_of(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: uploads}\nspec: {resources: {requests: {storage: 80Gi}}}\n---\n\
             apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: fast}\nspec: {storageClassName: fast-ssd, resources: {requests: {storage: 10Gi}}}\n",
            "team-e",
        );
        let class = |name: &str, is_default: bool| crate::cluster::StorageClass {
            name: name.into(),
            provisioner: "ebs.csi.aws.com".into(),
            is_default,
            binding_mode: "WaitForFirstConsumer".into(),
        };
        let key = "standard.storageclass.storage.k8s.io/requests.storage";
        let mut cluster = Cluster {
            quotas: vec![quota("team-e", &[(key, "200Gi")], &[(key, "150Gi")])],
            storage_classes: vec![class("standard", true), class("fast-ssd", false)],
            ..Cluster::default()
        };
        assert_eq!(
            messages(check_quotas(&cluster, &t, Scenario::Steady)),
            [format!(
                "ResourceQuota team-e/q: {key} would be 230Gi of 200Gi (150Gi used + 80Gi for this release)"
            )]
        );
        // Without a default class the claim has no class and no class quota charges it.
        cluster.storage_classes[0].is_default = false;
        assert!(check_quotas(&cluster, &t, Scenario::Steady).is_empty());
    }
}
