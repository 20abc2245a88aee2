//! From rendered objects to workloads: which pod template each object runs, how many copies of
//! it exist at steady state, at autoscaling peak and during a rolling update, which claims it
//! makes, and whether it is transient (Jobs, CronJobs, Helm hooks).
//!
//! Replica rules (Kubernetes defaulting and controllers):
//! - `spec.replicas` defaults to 1 (Deployment, StatefulSet, ReplicaSet, ReplicationController).
//! - An HPA (autoscaling/v1, v2) on the object owns the count: steady = `minReplicas` (default 1),
//!   peak = `maxReplicas`. A KEDA ScaledObject likewise: `minReplicaCount` (default 0),
//!   `maxReplicaCount` (default 100).
//! - Rollout = steady + the Deployment's surge ([`super::rollout`]); StatefulSets and Recreate
//!   Deployments replace pods without surge. DaemonSets run one pod per eligible node.

use serde_json::Value as Json;

use super::rollout::{DeploymentStrategy, deployment_rollout};
use crate::render::Object;

/// Kinds that run pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
    Pod,
}

impl WorkloadKind {
    fn of(kind: &str) -> Option<Self> {
        Some(match kind {
            "Deployment" => Self::Deployment,
            "StatefulSet" => Self::StatefulSet,
            "DaemonSet" => Self::DaemonSet,
            "ReplicaSet" => Self::ReplicaSet,
            "ReplicationController" => Self::ReplicationController,
            "Job" => Self::Job,
            "CronJob" => Self::CronJob,
            "Pod" => Self::Pod,
            _ => return None,
        })
    }
}

/// Pod copies per scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Replicas {
    pub steady: u64,
    pub peak: u64,
    pub rollout: u64,
}

/// What scales a workload beyond its `replicas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scaler {
    Hpa { name: String, min: u64, max: u64 },
    Keda { name: String, min: u64, max: u64 },
}

/// Why a workload's pods are not part of the steady state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transient {
    Job,
    CronJob,
    /// A Helm hook (`helm.sh/hook` annotation value, e.g. `pre-upgrade` or `test`).
    Hook(String),
}

/// A claim a workload makes: a volumeClaimTemplate (one per replica) or a standalone PVC.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim<'a> {
    pub name: String,
    /// `storageClassName`; `None` means the cluster's default class.
    pub storage_class: Option<String>,
    /// `spec.resources.requests.storage` as written (parsed by the caller, which reports errors).
    pub size: Option<&'a Json>,
}

/// One object that runs pods.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub object: &'a Object,
    pub kind: WorkloadKind,
    /// The pod template's `metadata` and `spec`.
    pub pod_metadata: &'a Json,
    pub pod_spec: &'a Json,
    pub replicas: Replicas,
    pub scaler: Option<Scaler>,
    pub transient: Option<Transient>,
    /// DaemonSet: `replicas` counts pods per node.
    pub per_node: bool,
    pub claim_templates: Vec<Claim<'a>>,
    /// Why the rollout could not be worked out (an invalid `spec.strategy`); rollout = steady.
    pub rollout_problem: Option<String>,
}

/// What a manifest stream holds, split for the totals.
#[derive(Debug, Default)]
pub struct Inventory<'a> {
    pub workloads: Vec<Workload<'a>>,
    /// Standalone PersistentVolumeClaims.
    pub claims: Vec<(&'a Object, Claim<'a>)>,
    /// PodDisruptionBudgets, for the eviction check.
    pub pdbs: Vec<&'a Object>,
    /// Kinds that neither run pods nor claim storage, by count (listed, never fatal).
    pub other_kinds: std::collections::BTreeMap<String, usize>,
}

/// Sort the objects of a release into workloads, claims and the rest.
pub fn inventory(objects: &[Object]) -> Inventory<'_> {
    let mut inv = Inventory::default();
    let scalers = scalers(objects);
    for o in objects {
        if let Some(kind) = WorkloadKind::of(o.kind()) {
            inv.workloads.push(workload(o, kind, &scalers));
        } else if o.kind() == "PersistentVolumeClaim" {
            inv.claims.push((o, claim(&o.json)));
        } else if o.kind() == "PodDisruptionBudget" {
            inv.pdbs.push(o);
        } else if !matches!(o.kind(), "HorizontalPodAutoscaler" | "ScaledObject") {
            *inv.other_kinds.entry(o.kind().to_string()).or_default() += 1;
        }
    }
    inv
}

/// (namespace, target kind, target name) → scaler.
type Scalers = Vec<(Option<String>, String, String, Scaler)>;

fn scalers(objects: &[Object]) -> Scalers {
    let mut out = Vec::new();
    for o in objects {
        let spec = &o.json["spec"];
        let target = &spec["scaleTargetRef"];
        let name = target["name"].as_str().unwrap_or_default().to_string();
        let ns = o.namespace().map(str::to_string);
        match (o.kind(), o.api_version()) {
            ("HorizontalPodAutoscaler", v) if v.starts_with("autoscaling/") => {
                let min = count(&spec["minReplicas"]).unwrap_or(1);
                let max = count(&spec["maxReplicas"]).unwrap_or(min).max(min);
                let kind = target["kind"].as_str().unwrap_or_default().to_string();
                let s = Scaler::Hpa {
                    name: o.name().to_string(),
                    min,
                    max,
                };
                out.push((ns, kind, name, s));
            }
            ("ScaledObject", v) if v.starts_with("keda.sh/") => {
                let min = count(&spec["minReplicaCount"]).unwrap_or(0);
                let max = count(&spec["maxReplicaCount"]).unwrap_or(100).max(min);
                let kind = target["kind"].as_str().unwrap_or("Deployment").to_string();
                let s = Scaler::Keda {
                    name: o.name().to_string(),
                    min,
                    max,
                };
                out.push((ns, kind, name, s));
            }
            _ => {}
        }
    }
    out
}

/// A non-negative whole number field (numbers or numeric strings, as the API server accepts).
fn count(v: &Json) -> Option<u64> {
    match v {
        Json::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15)
                .map(|f| f as u64)
        }),
        _ => None,
    }
}

fn workload<'a>(o: &'a Object, kind: WorkloadKind, scalers: &Scalers) -> Workload<'a> {
    let spec = &o.json["spec"];
    let (template, job_spec) = match kind {
        WorkloadKind::Pod => (&o.json, None),
        WorkloadKind::CronJob => (
            &spec["jobTemplate"]["spec"]["template"],
            Some(&spec["jobTemplate"]["spec"]),
        ),
        WorkloadKind::Job => (&spec["template"], Some(spec)),
        _ => (&spec["template"], None),
    };
    let scaler = scalers
        .iter()
        .find(|(ns, k, n, _)| ns.as_deref() == o.namespace() && k == o.kind() && n == o.name())
        .map(|(_, _, _, s)| s.clone());
    let declared = count(&spec["replicas"]).unwrap_or(1);
    let mut rollout_problem = None;
    let replicas = match kind {
        WorkloadKind::Pod | WorkloadKind::DaemonSet => Replicas {
            steady: 1,
            peak: 1,
            rollout: 1,
        },
        WorkloadKind::Job | WorkloadKind::CronJob => {
            let n = job_spec.map_or(1, job_pods);
            Replicas {
                steady: n,
                peak: n,
                rollout: n,
            }
        }
        _ => {
            let (steady, peak) = match &scaler {
                Some(Scaler::Hpa { min, max, .. } | Scaler::Keda { min, max, .. }) => (*min, *max),
                None => (declared, declared),
            };
            let rollout = if kind == WorkloadKind::Deployment {
                match deployment_peak(steady, &spec["strategy"]) {
                    Ok(pods) => pods,
                    Err(problem) => {
                        rollout_problem = Some(problem);
                        steady
                    }
                }
            } else {
                steady
            };
            Replicas {
                steady,
                peak,
                rollout,
            }
        }
    };
    let transient = hook(o).map(Transient::Hook).or(match kind {
        WorkloadKind::Job => Some(Transient::Job),
        WorkloadKind::CronJob => Some(Transient::CronJob),
        _ => None,
    });
    let claim_templates = if kind == WorkloadKind::StatefulSet {
        spec["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(claim)
            .collect()
    } else {
        Vec::new()
    };
    Workload {
        object: o,
        kind,
        pod_metadata: &template["metadata"],
        pod_spec: &template["spec"],
        replicas,
        scaler,
        transient,
        per_node: kind == WorkloadKind::DaemonSet,
        claim_templates,
        rollout_problem,
    }
}

/// Pods a Deployment runs at once while rolling out `replicas` pods (replicas + surge).
fn deployment_peak(replicas: u64, strategy: &Json) -> Result<u64, String> {
    let strategy: DeploymentStrategy = if strategy.is_null() {
        DeploymentStrategy::default()
    } else {
        serde_json::from_value(strategy.clone())
            .map_err(|e| format!("spec.strategy not understood: {e}"))?
    };
    let replicas = i32::try_from(replicas).map_err(|_| "spec.replicas out of range".to_string())?;
    let rollout = deployment_rollout(replicas, &strategy).map_err(|e| e.to_string())?;
    u64::try_from(rollout.peak_pods).map_err(|_| "negative rollout size".to_string())
}

/// Pods a Job runs at once: `parallelism` (default 1), at most `completions` when set.
fn job_pods(job: &Json) -> u64 {
    let parallelism = count(&job["parallelism"]).unwrap_or(1);
    match count(&job["completions"]) {
        Some(c) => parallelism.min(c),
        None => parallelism,
    }
}

fn hook(o: &Object) -> Option<String> {
    o.json["metadata"]["annotations"]["helm.sh/hook"]
        .as_str()
        .map(str::to_string)
}

fn claim(pvc: &Json) -> Claim<'_> {
    let spec = &pvc["spec"];
    let size = &spec["resources"]["requests"]["storage"];
    Claim {
        name: pvc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        storage_class: spec["storageClassName"].as_str().map(str::to_string),
        size: (!size.is_null()).then_some(size),
    }
}
