//! Will each placed model server start? The preflight side of [`crate::model_memory`]: for
//! every container of a placed GPU pod that `model_memory` recognises as a vLLM server, the
//! device the pod gets on its node (GPU Feature Discovery's `nvidia.com/gpu.product` and
//! `nvidia.com/gpu.memory`, a MIG profile's `nvidia.com/mig-<profile>.memory`) and the model's
//! config (the bundled catalog) go to [`model_memory::check_container`]; its verdict becomes
//! `gpu-memory` findings (does-not-fit: an error with vLLM's own text and advice; uncertain: a
//! warning; fits: a note with the KV budget; unknown model: a note saying what to provide).
//!
//! Servers `model_memory` does not parse (SGLang, TGI, NIM, Ollama), and pods that state their
//! need with `stackcheck.dev/*` annotations, keep the annotations rule
//! ([`super::checks::check_gpu_memory`]): an annotation is an explicit override.

use serde_json::Value as Json;

use crate::cluster::{Cluster, Node};
use crate::diagnostic::{Code, Diagnostic};
use crate::model_memory::account::{Account, Setup};
use crate::model_memory::config::ModelConfig;
use crate::model_memory::gpus::Device;
use crate::model_memory::server::Container;
use crate::model_memory::verdict::{Verdict, gib2, smallest_fit};
use crate::model_memory::{self, ContainerCheck, catalog};
use crate::render::manifest::Object;
use crate::workload::objects::Workload;

use super::checks::requested_gpu_resources;

/// One vLLM server accounted on its node's GPU: the per-rank terms and vLLM's verdict.
#[derive(Debug, Clone)]
pub struct CheckedServer {
    /// `Kind/name` of the workload.
    pub workload: String,
    pub container: String,
    pub node: String,
    pub account: Account,
    pub verdict: Verdict,
    /// GPU memory each GPU needs for vLLM to start (bytes, `--gpu-memory-utilization`
    /// included): `(requested − kv_available + kv_needed) / utilization` of the tightest rank.
    pub per_gpu_needed: u64,
    /// On a time-sliced GPU (`nvidia.com/gpu.shared`, or GFD's `nvidia.com/gpu.replicas` > 1):
    /// other pods share its memory.
    pub shared: bool,
}

/// What the check found for one workload.
#[derive(Debug, Clone, Default)]
pub struct ServerFindings {
    pub findings: Vec<Diagnostic>,
    pub servers: Vec<CheckedServer>,
    /// A vLLM container was accounted (or its flags refused for its model): the
    /// `stackcheck.dev/model-*` annotations do not decide this workload.
    pub decided: bool,
}

/// The device one GPU of a pod of `pod_spec` is on `node`: a MIG profile the pod requests
/// (its slice's memory), else the node's GPU (product and memory labels). `None` when the
/// labels tell neither.
pub fn pod_device(node: &Node, pod_spec: &Json) -> Option<Device> {
    let label = |k: &str| node.labels.get(k).map(String::as_str);
    let mib = |k: &str| label(k).and_then(|v| v.trim().parse::<u64>().ok());
    let product = label("nvidia.com/gpu.product").unwrap_or("");
    let mig = requested_gpu_resources(pod_spec)
        .into_iter()
        .filter_map(|r| {
            let profile = r.strip_prefix("nvidia.com/mig-")?.to_string();
            let m = mib(&format!("nvidia.com/mig-{profile}.memory"))?;
            Some((m, profile))
        })
        .min();
    if let Some((slice_mib, profile)) = mig {
        return Some(Device::mig(product, &profile, slice_mib));
    }
    Device::from_labels(product, mib("nvidia.com/gpu.memory"))
}

/// The distinct GPU devices of the cluster's nodes and the most GPUs one node offers (for
/// [`smallest_fit`]).
fn cluster_devices(cluster: &Cluster) -> (Vec<Device>, u64) {
    let mut devices: Vec<Device> = Vec::new();
    let mut max_gpus = 0u64;
    for n in &cluster.nodes {
        let gpus = n
            .allocatable
            .get("nvidia.com/gpu")
            .map_or(0, |q| q.value_ceil());
        if gpus <= 0 {
            continue;
        }
        max_gpus = max_gpus.max(u64::try_from(gpus).unwrap_or(0));
        if let Some(d) = pod_device(n, &Json::Null)
            && !devices.contains(&d)
        {
            devices.push(d);
        }
    }
    (devices, max_gpus)
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// Whether the pod states its GPU-memory need with a `stackcheck.dev/*` annotation.
fn annotation(workload: &Workload<'_>, key: &str) -> bool {
    workload.pod_metadata["annotations"][format!("stackcheck.dev/{key}")].is_string()
}

/// `stackcheck.dev/gpu-memory-min`: a measured need, which overrides any accounting.
pub fn measured_override(workload: &Workload<'_>) -> bool {
    annotation(workload, "gpu-memory-min")
}

/// `stackcheck.dev/model-parameters`: the annotations rule can decide when `model_memory`
/// cannot (a server it does not parse, a model it does not know).
pub fn annotated(workload: &Workload<'_>) -> bool {
    annotation(workload, "model-parameters") || measured_override(workload)
}

/// The model's `config.json` from `stackcheck.dev/model-config`: the name of a ConfigMap of
/// the release (the workload's namespace) whose `config.json` key holds it. `None` without
/// the annotation; an error finding when the ConfigMap or its config cannot be read.
fn given_config(
    objects: &[Object],
    workload: &Workload<'_>,
) -> Option<Result<ModelConfig, Diagnostic>> {
    let name = workload.pod_metadata["annotations"]["stackcheck.dev/model-config"].as_str()?;
    let who = workload.object.display_with_template();
    let fail = |why: String| {
        Diagnostic::error(
            Code::GpuAnnotation,
            format!("{who}: stackcheck.dev/model-config {name:?}: {why}"),
        )
        .at(Some(workload.object.span))
        .hint("name a ConfigMap of the release whose data key config.json is the model's Hugging Face config.json")
    };
    let Some(cm) = objects.iter().find(|o| {
        o.kind() == "ConfigMap"
            && o.name() == name
            && o.namespace().unwrap_or(&workload.namespace) == workload.namespace
    }) else {
        return Some(Err(fail(format!(
            "no ConfigMap {name} in namespace {} in the release",
            workload.namespace
        ))));
    };
    let Some(text) = cm.json["data"]["config.json"].as_str() else {
        return Some(Err(fail(
            "the ConfigMap has no data key config.json".to_string(),
        )));
    };
    Some(ModelConfig::from_json(text).map_err(|e| fail(e.to_string())))
}

/// Checks the vLLM containers of `workload` (placed on `node` with `gpus` GPUs per pod).
/// With `annotated`, a model it does not know is left to the annotations rule (no note).
/// `objects` are the release's, for a `stackcheck.dev/model-config` ConfigMap.
pub fn check_workload(
    cluster: &Cluster,
    objects: &[Object],
    workload: &Workload<'_>,
    gpus: i128,
    node: &Node,
    annotated: bool,
) -> ServerFindings {
    let mut out = ServerFindings::default();
    let given = match given_config(objects, workload) {
        Some(Ok(c)) => Some(c),
        Some(Err(d)) => {
            out.findings.push(d);
            None
        }
        None => None,
    };
    let shared = time_sliced(node, workload.pod_spec);
    let who = workload.object.display_with_template();
    let span = Some(workload.object.span);
    for c in workload.pod_spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = c["name"].as_str().unwrap_or("").to_string();
        let command = strings(&c["command"]);
        let args = strings(&c["args"]);
        let env: Vec<(String, String)> = c["env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                Some((
                    e["name"].as_str()?.to_string(),
                    e["value"].as_str()?.to_string(),
                ))
            })
            .collect();
        let container = Container {
            image: c["image"].as_str().unwrap_or(""),
            command: &command,
            args: &args,
            env: &env,
        };
        let Some(device) = pod_device(node, workload.pod_spec) else {
            // Only worth saying for a model server.
            if matches!(
                model_memory::server::detect(container),
                Ok(model_memory::server::Detection::Vllm(_))
            ) {
                out.findings.push(
                    Diagnostic::note(
                        Code::GpuMemory,
                        format!(
                            "{who} container {name} on node {}: vLLM's GPU memory not checked: the node has no nvidia.com/gpu.memory or known nvidia.com/gpu.product label",
                            node.name
                        ),
                    )
                    .at(span)
                    .hint("run GPU Feature Discovery (part of the NVIDIA GPU Operator) or label the node's GPU memory in MiB"),
                );
            }
            continue;
        };
        match model_memory::check_container(container, &device, given.as_ref()) {
            ContainerCheck::NotAModelServer | ContainerCheck::NotParsed { .. } => {}
            ContainerCheck::BadCommand(e) => out.findings.push(
                Diagnostic::warning(
                    Code::GpuMemory,
                    format!("{who} container {name}: vLLM command not read: {e}"),
                )
                .at(span),
            ),
            ContainerCheck::UnknownModel { .. } if annotated => {}
            ContainerCheck::UnknownModel { server, .. } => out.findings.push(
                Diagnostic::note(
                    Code::GpuMemory,
                    format!(
                        "{who} container {name}: vLLM serves {:?}, which stackcheck does not know ({} bundled models): its GPU memory is not checked",
                        server.flags.model,
                        catalog::models().map_or(0, <[_]>::len),
                    ),
                )
                .at(span)
                .hint("provide the model's config.json: a ConfigMap of the release with a config.json key, named by the pod annotation stackcheck.dev/model-config; or state the need with the stackcheck.dev/gpu-memory-min or stackcheck.dev/model-parameters annotations"),
            ),
            ContainerCheck::Rejected { error, .. } => {
                out.decided = true;
                out.findings.push(
                    Diagnostic::error(Code::GpuMemory, format!("{who} container {name}: {error}"))
                        .at(span),
                );
            }
            ContainerCheck::Checked {
                server,
                account,
                verdict,
                model_source,
            } => {
                out.decided = true;
                let ranks = account.tp * account.pp;
                let requested = u64::try_from(gpus).unwrap_or(0);
                if requested != ranks {
                    let message = format!(
                        "{who} container {name}: vLLM runs {ranks} rank(s) (--tensor-parallel-size {} × --pipeline-parallel-size {}) but the pod requests {gpus} GPU(s)",
                        account.tp, account.pp
                    );
                    // Fewer GPUs than ranks: vLLM cannot start; more: the extra GPUs stay idle.
                    out.findings.push(if requested < ranks {
                        Diagnostic::error(Code::TensorParallel, message)
                            .at(span)
                            .hint("vLLM needs one GPU per rank on the node; request that many")
                    } else {
                        Diagnostic::warning(Code::TensorParallel, message)
                            .at(span)
                            .hint("vLLM uses one GPU per rank; the others stay idle but reserved: request as many GPUs as ranks, or raise --tensor-parallel-size")
                    });
                }
                let tight = account
                    .stages
                    .iter()
                    .map(|r| {
                        let non_kv = i128::from(account.requested) - r.kv_available;
                        non_kv + i128::from(r.kv_needed)
                    })
                    .max()
                    .unwrap_or(0)
                    .max(0);
                let u = account.utilization;
                let per_gpu_needed = if u.num == 0 {
                    0
                } else {
                    u64::try_from((tight as u128 * u128::from(u.den)).div_ceil(u128::from(u.num)))
                        .unwrap_or(u64::MAX)
                };
                let rank = account
                    .stages
                    .iter()
                    .min_by_key(|r| r.kv_available - i128::from(r.kv_needed));
                let terms = rank.map_or(String::new(), |r| {
                    format!(
                        "per GPU: {} GiB requested ({} × {} GiB) − weights {} − activation {} − non-torch {}{} = {} GiB for the KV cache; one {}-token request needs {} GiB",
                        gib2(i128::from(account.requested)),
                        account.utilization,
                        gib2(i128::from(account.device.total)),
                        gib2(i128::from(r.weights)),
                        gib2(i128::from(r.activation)),
                        gib2(i128::from(r.non_torch)),
                        if account.graphs_subtracted {
                            format!(" − CUDA graphs {}", gib2(i128::from(r.cuda_graphs)))
                        } else {
                            String::new()
                        },
                        gib2(r.kv_available),
                        account.max_model_len,
                        gib2(i128::from(r.kv_needed)),
                    )
                });
                let at = format!(
                    "{who} container {name} on node {} ({}, {} GPU(s))",
                    node.name, device.name, ranks
                );
                let model = &server.flags.model;
                match &verdict {
                    Verdict::DoesNotFit {
                        message, advice, ..
                    } => {
                        let mut hint = vec![terms.clone()];
                        if advice.largest_max_model_len > 0 {
                            hint.push(format!(
                                "--max-model-len {} fits ({} request(s) of that length at once)",
                                advice.largest_max_model_len, advice.sequences_at_largest
                            ));
                        }
                        if let Some(h) =
                            smallest_fit_hint(cluster, &server, &device, given.as_ref())
                        {
                            hint.push(h);
                        }
                        out.findings.push(
                            Diagnostic::error(
                                Code::GpuMemory,
                                format!("{at}: vLLM will not start: {message}"),
                            )
                            .at(span)
                            .hint(hint.join("; ")),
                        );
                    }
                    Verdict::Uncertain {
                        margin,
                        band,
                        advice,
                        ..
                    } => {
                        let how = if *margin >= 0 {
                            format!("fits with only {} GiB to spare", gib2(*margin))
                        } else {
                            format!("misses by {} GiB", gib2(-*margin))
                        };
                        out.findings.push(
                            Diagnostic::warning(
                                Code::GpuMemory,
                                format!(
                                    "{at}: vLLM may not start: the KV cache of one {}-token request of {model} {how}, within the estimates' error of {} GiB",
                                    account.max_model_len,
                                    gib2(i128::from(*band))
                                ),
                            )
                            .at(span)
                            .hint(format!(
                                "{terms}; --max-model-len {} is the largest that fits by this accounting",
                                advice.largest_max_model_len
                            )),
                        );
                    }
                    Verdict::Fits {
                        max_model_len,
                        advice,
                    } => out.findings.push(
                        Diagnostic::note(
                            Code::GpuMemory,
                            format!(
                                "{at}: vLLM starts with {model} at --max-model-len {max_model_len}: {} request(s) of that length fit in the KV cache at once",
                                advice.sequences_at_max_model_len
                            ),
                        )
                        .at(span)
                        .hint(format!("{terms}; model config: {model_source}")),
                    ),
                }
                out.servers.push(CheckedServer {
                    workload: workload.id().to_string(),
                    container: name,
                    node: node.name.clone(),
                    account: *account,
                    verdict,
                    per_gpu_needed,
                    shared,
                });
            }
        }
    }
    out
}

/// Whether a pod of `pod_spec` on `node` gets a time-sliced GPU replica.
fn time_sliced(node: &Node, pod_spec: &Json) -> bool {
    let resources = requested_gpu_resources(pod_spec);
    resources.contains("nvidia.com/gpu.shared")
        || (resources.contains("nvidia.com/gpu")
            && node
                .labels
                .get("nvidia.com/gpu.replicas")
                .and_then(|r| r.parse::<u64>().ok())
                .is_some_and(|r| r > 1))
}

/// vLLM's free-memory check for release servers time-sliced on one GPU (a node whose GFD
/// label `nvidia.com/gpu.count` is 1, so every replica is that GPU): each reserves
/// `utilization × total` at start, in Helm's install order, and a server whose request exceeds
/// what is still free refuses to start ([`crate::model_memory::verdict::shared_gpu`]). Pods of
/// the cluster already on the GPU are not counted (their reservation is not known).
pub fn shared_gpus(
    cluster: &Cluster,
    placements: &[super::release::PodPlacement],
    servers: &[CheckedServer],
) -> Vec<Diagnostic> {
    let mut by_node: std::collections::BTreeMap<&str, Vec<(&str, &CheckedServer)>> =
        std::collections::BTreeMap::new();
    for p in placements {
        let Some(node) = p.placement.node.as_deref() else {
            continue;
        };
        let workload = p.workload.to_string();
        // A workload is accounted once (on its first pod's node); its other pods share the
        // flags, so they count wherever they land.
        for s in servers
            .iter()
            .filter(|s| s.shared && s.workload == workload)
        {
            by_node.entry(node).or_default().push((p.pod.as_str(), s));
        }
    }
    let mut out = Vec::new();
    for (node, list) in by_node {
        let Some(n) = cluster.nodes.iter().find(|n| n.name == node) else {
            continue;
        };
        let one_gpu = n
            .labels
            .get("nvidia.com/gpu.count")
            .is_some_and(|c| c.trim() == "1");
        let Some(total) = pod_device(n, &Json::Null).map(|d| d.total) else {
            continue;
        };
        if !one_gpu || list.len() < 2 {
            continue;
        }
        let utilizations: Vec<_> = list.iter().map(|(_, s)| s.account.utilization).collect();
        let sum = utilizations
            .iter()
            .skip(1)
            .fold(utilizations[0], |a, u| a.plus(*u));
        for start in model_memory::verdict::shared_gpu(total, &utilizations) {
            let (Some(message), Some((pod, s))) = (start.message, list.get(start.index)) else {
                continue;
            };
            out.push(
                Diagnostic::error(
                    Code::GpuMemory,
                    format!(
                        "{} pod {pod} container {} on node {node} (one time-sliced GPU): vLLM will not start: {message}",
                        s.workload, s.container
                    ),
                )
                .hint(format!(
                    "the {} vLLM servers of the release on this GPU reserve --gpu-memory-utilization {sum} of it in all; lower each one's so that they add up to less than 1 (each CUDA context also takes a few hundred MiB), or give them GPUs of their own",
                    list.len()
                )),
            );
        }
    }
    out
}

/// The smallest GPUs of this cluster on which the server starts as configured (its
/// `--tensor-parallel-size` aside), for the does-not-fit hint.
fn smallest_fit_hint(
    cluster: &Cluster,
    server: &model_memory::server::VllmServer,
    device: &Device,
    given: Option<&ModelConfig>,
) -> Option<String> {
    let (id, config) = match given {
        Some(c) => (server.flags.model.as_str(), c),
        None => {
            let m = catalog::lookup(&server.flags.model).ok()?;
            (m.id.as_str(), &m.config)
        }
    };
    let (devices, max_gpus) = cluster_devices(cluster);
    let setup = Setup {
        model_id: id,
        model: config,
        flags: &server.flags,
        device,
        version: server.version,
        estimate_cudagraphs_env: server.estimate_cudagraphs_env,
    };
    Some(match smallest_fit(&setup, &devices, max_gpus).ok()? {
        Some((d, tp)) => format!(
            "the smallest GPUs of this cluster that fit as configured: {tp} × {} (--tensor-parallel-size {tp})",
            d.name
        ),
        None => {
            "no GPU kind of this cluster fits it as configured, up to the most GPUs one node has"
                .to_string()
        }
    })
}
