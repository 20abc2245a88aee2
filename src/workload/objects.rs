//! From rendered objects to workloads: which pod template each object runs, how many copies of
//! it exist at steady state, at autoscaling peak and during a rolling update, which claims it
//! makes, and whether it is transient (Jobs, CronJobs, Helm hooks).
//!
//! Replica rules (Kubernetes defaulting and controllers):
//! - `spec.replicas` defaults to 1 (Deployment, StatefulSet, ReplicaSet, ReplicationController).
//! - An HPA (autoscaling/v1, v2) on the object bounds the count: steady = the object's own
//!   replicas clamped into [`minReplicas` (default 1), `maxReplicas`] — what the cluster holds
//!   right after `helm install`, before metrics move it (measured on the test control plane:
//!   `replicas: 3` with an HPA 2..10 stays 3) — and peak = `maxReplicas`. A KEDA ScaledObject
//!   owns it: steady `minReplicaCount` (default 0),
//!   `maxReplicaCount` (default 100). An HPA leaves a target whose `spec.replicas` is 0 alone
//!   ("scaling is disabled since the replica count of the target is zero",
//!   `podautoscaler.reconcileAutoscaler`), so such a workload runs no pods at all.
//! - Rollout = steady + the Deployment's surge ([`super::rollout`]); StatefulSets and Recreate
//!   Deployments replace pods without surge. DaemonSets run one pod per eligible node; during a
//!   rolling update with `maxSurge` (a count or a percentage of the nodes, rounded up:
//!   `daemon/util.SurgeCount`) that many nodes briefly run a second pod ([`daemonset_rollout`]).
//!
//! Objects without `metadata.namespace` are in the release namespace; an autoscaler or a
//! PodDisruptionBudget only applies to workloads of its own namespace.

use serde_json::Value as Json;

use super::rollout::{
    DeploymentStrategy, IntOrPercent, IntOrString, RolloutError, deployment_rollout, scaled_value,
};
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
    pub fn of(kind: &str) -> Option<Self> {
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

    /// Where the pod template is, as a JSON pointer into the object (a Pod is its own).
    pub fn template_pointer(self) -> &'static str {
        match self {
            Self::Pod => "",
            Self::CronJob => "/spec/jobTemplate/spec/template",
            _ => "/spec/template",
        }
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
    /// `metadata.namespace`, else the release namespace.
    pub namespace: String,
    /// The pod template's `metadata` and `spec`.
    pub pod_metadata: &'a Json,
    pub pod_spec: &'a Json,
    pub replicas: Replicas,
    pub scaler: Option<Scaler>,
    pub transient: Option<Transient>,
    /// DaemonSet: `replicas` counts pods per node.
    pub per_node: bool,
    pub claim_templates: Vec<Claim<'a>>,
    /// Why the rollout could not be worked out (a `spec.strategy` or `spec.updateStrategy` the
    /// API server rejects); rollout = steady.
    pub rollout_problem: Option<RolloutError>,
    /// Why the API server refuses `spec.replicas` (not an int32, or negative); counted as the
    /// default of 1.
    pub replicas_problem: Option<String>,
    /// DaemonSet: the validated `maxSurge` of a rolling update, when it is not 0.
    pub daemonset_surge: Option<IntOrPercent>,
}

impl Workload<'_> {
    pub fn id(&self) -> WorkloadId {
        WorkloadId {
            kind: self.object.kind().to_string(),
            namespace: self.namespace.clone(),
            name: self.object.name().to_string(),
        }
    }
}

/// Which workload a release pod or placement belongs to. Shown as `Kind/name`, the form every
/// report uses; compared with its namespace, so same-named workloads of two namespaces differ.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadId {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for WorkloadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// What a manifest stream holds, split for the totals.
#[derive(Debug, Default)]
pub struct Inventory<'a> {
    pub workloads: Vec<Workload<'a>>,
    /// Standalone PersistentVolumeClaims.
    pub claims: Vec<(&'a Object, Claim<'a>)>,
    /// PodDisruptionBudgets, for the eviction check, with their namespace.
    pub pdbs: Vec<(&'a Object, String)>,
    /// Kinds that neither run pods nor claim storage, by count (listed, never fatal).
    pub other_kinds: std::collections::BTreeMap<String, usize>,
}

/// The namespace an object lands in: its own, else the release namespace.
pub fn namespace_of(o: &Object, release_namespace: &str) -> String {
    o.namespace()
        .filter(|n| !n.is_empty())
        .unwrap_or(release_namespace)
        .to_string()
}

/// Sort the objects of a release into workloads, claims and the rest. `namespace` is the
/// release namespace, where objects without `metadata.namespace` land.
pub fn inventory<'a>(objects: &'a [Object], namespace: &str) -> Inventory<'a> {
    let mut inv = Inventory::default();
    let scalers = scalers(objects, namespace);
    for o in objects {
        if let Some(kind) = WorkloadKind::of(o.kind()) {
            inv.workloads
                .push(workload(o, kind, namespace_of(o, namespace), &scalers));
        } else if o.kind() == "PersistentVolumeClaim" {
            inv.claims.push((o, claim(&o.json)));
        } else if o.kind() == "PodDisruptionBudget" {
            inv.pdbs.push((o, namespace_of(o, namespace)));
        } else if !matches!(o.kind(), "HorizontalPodAutoscaler" | "ScaledObject") {
            *inv.other_kinds.entry(o.kind().to_string()).or_default() += 1;
        }
    }
    inv
}

/// (namespace, target kind, target name) → scaler.
type Scalers = Vec<(String, String, String, Scaler)>;

fn scalers(objects: &[Object], namespace: &str) -> Scalers {
    let mut out = Vec::new();
    for o in objects {
        let spec = &o.json["spec"];
        let target = &spec["scaleTargetRef"];
        let name = target["name"].as_str().unwrap_or_default().to_string();
        let ns = namespace_of(o, namespace);
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

/// Why the API server refuses `spec.replicas` of a workload, in its words: the decoder's when
/// the value is not an int32 (`"two"`, 2^31), validation's when it is negative. `None` when it is
/// absent (defaulted to 1) or valid.
fn invalid_replicas(kind: WorkloadKind, value: &Json) -> Option<String> {
    let spec_type = match kind {
        WorkloadKind::Deployment => "DeploymentSpec",
        WorkloadKind::StatefulSet => "StatefulSetSpec",
        WorkloadKind::ReplicaSet => "ReplicaSetSpec",
        WorkloadKind::ReplicationController => "ReplicationControllerSpec",
        _ => return None,
    };
    let not_int32 = |what: String| {
        Some(format!(
            "json: cannot unmarshal {what} into Go struct field {spec_type}.spec.replicas of type int32"
        ))
    };
    match value {
        Json::Null => None,
        // An integral float (`2.0`) decodes into an int32 field, as the API server accepts it.
        Json::Number(n) => match n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }) {
            Some(v) if v < 0 => Some(format!(
                "spec.replicas: Invalid value: {v}: must be greater than or equal to 0"
            )),
            Some(v) if i32::try_from(v).is_ok() => None,
            _ => not_int32(format!("number {n}")),
        },
        Json::String(_) => not_int32("string".into()),
        Json::Bool(_) => not_int32("bool".into()),
        Json::Array(_) => not_int32("array".into()),
        Json::Object(_) => not_int32("object".into()),
    }
}

fn workload<'a>(
    o: &'a Object,
    kind: WorkloadKind,
    namespace: String,
    scalers: &Scalers,
) -> Workload<'a> {
    let spec = &o.json["spec"];
    let template = o
        .json
        .pointer(kind.template_pointer())
        .unwrap_or(&Json::Null);
    let job_spec = match kind {
        WorkloadKind::CronJob => Some(&spec["jobTemplate"]["spec"]),
        WorkloadKind::Job => Some(spec),
        _ => None,
    };
    let scaler = scalers
        .iter()
        .find(|(ns, k, n, _)| *ns == namespace && k == o.kind() && n == o.name())
        .map(|(_, _, _, s)| s.clone());
    let replicas_problem = invalid_replicas(kind, &spec["replicas"]);
    let declared = match replicas_problem {
        Some(_) => 1,
        None => count(&spec["replicas"]).unwrap_or(1),
    };
    let mut rollout_problem = None;
    let mut daemonset_surge = None;
    if kind == WorkloadKind::DaemonSet {
        match daemonset_max_surge(&spec["updateStrategy"]) {
            Ok(surge) => daemonset_surge = surge,
            Err(problem) => rollout_problem = Some(problem),
        }
    }
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
                // reconcileAutoscaler: a target scaled to 0 has autoscaling disabled.
                Some(Scaler::Hpa { .. }) if declared == 0 => (0, 0),
                // Right after install the HPA only clamps the target's own count into
                // [min, max] (reconcileAutoscaler, before any metric is read); it may shrink to
                // `min` later, which the scaler keeps visible.
                Some(Scaler::Hpa { min, max, .. }) => (declared.clamp(*min, *max), *max),
                Some(Scaler::Keda { min, max, .. }) => (*min, *max),
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
        namespace,
        pod_metadata: &template["metadata"],
        pod_spec: &template["spec"],
        replicas,
        scaler,
        transient,
        per_node: kind == WorkloadKind::DaemonSet,
        claim_templates,
        rollout_problem,
        replicas_problem,
        daemonset_surge,
    }
}

const DS_MAX_SURGE: &str = "spec.updateStrategy.rollingUpdate.maxSurge";
const DS_MAX_UNAVAILABLE: &str = "spec.updateStrategy.rollingUpdate.maxUnavailable";

/// A DaemonSet's `maxSurge` after `SetDefaults_DaemonSet` (RollingUpdate, maxUnavailable 1,
/// maxSurge 0), validated as `ValidateRollingUpdateDaemonSet` does: both non-negative ints or
/// percentages of at most 100%, and exactly one of them non-zero. `None` when the update adds no
/// pods (OnDelete, or maxSurge 0).
fn daemonset_max_surge(strategy: &Json) -> Result<Option<IntOrPercent>, RolloutError> {
    let kind = strategy["type"].as_str().unwrap_or("");
    match kind {
        "" | "RollingUpdate" => {}
        "OnDelete" => return Ok(None),
        other => {
            return Err(RolloutError::UnknownType {
                field: "spec.updateStrategy.type",
                value: other.to_string(),
                expected: "RollingUpdate, OnDelete",
            });
        }
    }
    let rolling = &strategy["rollingUpdate"];
    let field = |name: &str, field: &'static str, default: i64| {
        let raw = match &rolling[name] {
            Json::Null => IntOrString::Int(default),
            v => serde_json::from_value::<IntOrString>(v.clone()).map_err(|e| {
                RolloutError::Decode {
                    field,
                    message: e.to_string(),
                }
            })?,
        };
        let value = IntOrPercent::from_manifest(&raw, field)?;
        if matches!(value, IntOrPercent::Percent(p) if p > 100) {
            return Err(RolloutError::OverHundredPercent { field, value: raw });
        }
        Ok(value)
    };
    let unavailable = field("maxUnavailable", DS_MAX_UNAVAILABLE, 1)?;
    let surge = field("maxSurge", DS_MAX_SURGE, 0)?;
    let non_zero = |v: IntOrPercent| !matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
    match (non_zero(surge), non_zero(unavailable)) {
        (true, true) => Err(RolloutError::DaemonSetSurgeAndUnavailable),
        (false, false) => Err(RolloutError::DaemonSetBothZero),
        (true, false) => Ok(Some(surge)),
        (false, true) => Ok(None),
    }
}

/// Pods a DaemonSet on `nodes` nodes runs during a rolling update: one per node, plus a second
/// one on up to `maxSurge` nodes at a time (`SurgeCount`, rounded up; never more than the nodes).
pub fn daemonset_rollout(nodes: u64, surge: Option<IntOrPercent>) -> u64 {
    let Some(surge) = surge else {
        return nodes;
    };
    let extra = match surge {
        IntOrPercent::Int(n) => u64::try_from(n).unwrap_or(0),
        IntOrPercent::Percent(_) => i32::try_from(nodes)
            .ok()
            .and_then(|total| scaled_value(surge, total, true, DS_MAX_SURGE).ok())
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(nodes),
    };
    nodes.saturating_add(extra.min(nodes))
}

/// Pods a Deployment runs at once while rolling out `replicas` pods (replicas + surge).
fn deployment_peak(replicas: u64, strategy: &Json) -> Result<u64, RolloutError> {
    let strategy: DeploymentStrategy = if strategy.is_null() {
        DeploymentStrategy::default()
    } else {
        serde_json::from_value(strategy.clone())
            .map_err(|e| RolloutError::Strategy(e.to_string()))?
    };
    let replicas = i32::try_from(replicas).map_err(|_| RolloutError::ReplicasOutOfRange)?;
    let rollout = deployment_rollout(replicas, &strategy)?;
    u64::try_from(rollout.peak_pods).map_err(|_| RolloutError::NegativeRollout)
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
        // GetPersistentVolumeClaimClass: the beta annotation wins over the field.
        storage_class: pvc["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"]
            .as_str()
            .or_else(|| spec["storageClassName"].as_str())
            .map(str::to_string),
        size: (!size.is_null()).then_some(size),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::objects;

    const ROUTER: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: router, namespace: llm}\nspec: {replicas: 1}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: router, namespace: other}\nspec: {replicas: 1}\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: router}\nspec: {scaleTargetRef: {kind: Deployment, name: router}, minReplicas: 2, maxReplicas: 6}\n";

    /// An HPA without `metadata.namespace` lands in the release namespace, so it scales the
    /// target written with that namespace explicitly, and not its namesake elsewhere.
    #[test]
    fn autoscalers_match_by_resolved_namespace() {
        let objs = objects(ROUTER);
        let inv = inventory(&objs, "llm");
        let counts: Vec<(&str, u64, u64)> = inv
            .workloads
            .iter()
            .map(|w| (w.namespace.as_str(), w.replicas.steady, w.replicas.peak))
            .collect();
        assert_eq!(counts, [("llm", 2, 6), ("other", 1, 1)]);
        // In another release namespace the HPA scales neither.
        let inv = inventory(&objs, "default");
        assert!(inv.workloads.iter().all(|w| w.scaler.is_none()));
    }

    /// Right after install an HPA clamps the target's replicas into [min, max] and waits for
    /// metrics (measured on the test control plane without a metrics server: `replicas: 3`
    /// with an HPA 2..10 kept 3 pods; no `replicas` with min 3 got 3).
    #[test]
    fn steady_is_the_replicas_clamped_by_the_hpa() {
        let case = |replicas: &str, min: u64, max: u64| {
            let text = format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: a}}\nspec: {{{replicas}}}\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: a}}\nspec: {{scaleTargetRef: {{kind: Deployment, name: a}}, minReplicas: {min}, maxReplicas: {max}}}\n"
            );
            let objs = objects(&text);
            let r = inventory(&objs, "default").workloads[0].replicas;
            (r.steady, r.peak)
        };
        assert_eq!(case("replicas: 3", 2, 10), (3, 10));
        assert_eq!(case("", 3, 10), (3, 10));
        assert_eq!(case("replicas: 1", 2, 6), (2, 6));
        assert_eq!(case("replicas: 12", 2, 10), (10, 10));
    }

    /// podautoscaler `reconcileAutoscaler`: "scaling is disabled since the replica count of the
    /// target is zero". KEDA scales from zero itself, so it still owns the count.
    #[test]
    fn an_hpa_leaves_a_target_at_zero_replicas_alone() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 0}\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec: {scaleTargetRef: {kind: Deployment, name: a}, minReplicas: 2, maxReplicas: 6}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: k}\nspec: {replicas: 0}\n---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: k}\nspec: {scaleTargetRef: {name: k}, minReplicaCount: 1, maxReplicaCount: 4}\n";
        let objs = objects(text);
        let inv = inventory(&objs, "default");
        assert_eq!(
            inv.workloads[0].replicas,
            Replicas {
                steady: 0,
                peak: 0,
                rollout: 0
            }
        );
        assert_eq!(
            inv.workloads[1].replicas,
            Replicas {
                steady: 1,
                peak: 4,
                rollout: 2
            }
        );
    }

    /// `SetDefaults_DaemonSet` (maxUnavailable 1, maxSurge 0) and `ValidateRollingUpdateDaemonSet`
    /// (exactly one of the two non-zero, each at most 100%).
    #[test]
    fn daemonset_surge_is_defaulted_and_validated_as_the_api_server_does() {
        let surge = |s: &str| {
            daemonset_max_surge(&serde_json::from_str(s).unwrap()).map_err(|e| e.to_string())
        };
        assert_eq!(surge("null"), Ok(None));
        assert_eq!(surge(r#"{"type": "OnDelete"}"#), Ok(None));
        assert_eq!(
            surge(r#"{"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}"#),
            Ok(Some(IntOrPercent::Percent(25)))
        );
        assert_eq!(
            surge(r#"{"rollingUpdate": {"maxSurge": 2, "maxUnavailable": "0%"}}"#),
            Ok(Some(IntOrPercent::Int(2)))
        );
        assert_eq!(
            surge(r#"{"rollingUpdate": {"maxUnavailable": "50%"}}"#),
            Ok(None)
        );
        // maxUnavailable defaults to 1, so maxSurge alone is rejected.
        let e = surge(r#"{"rollingUpdate": {"maxSurge": 1}}"#).unwrap_err();
        assert!(
            e.contains("may not be set when maxUnavailable is non-zero"),
            "{e}"
        );
        let e = surge(r#"{"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}"#).unwrap_err();
        assert!(e.contains("cannot be 0 when maxSurge is 0"), "{e}");
        let e =
            surge(r#"{"rollingUpdate": {"maxSurge": "150%", "maxUnavailable": 0}}"#).unwrap_err();
        assert!(e.contains("greater than 100%"), "{e}");
        let e = surge(r#"{"type": "Rolling"}"#).unwrap_err();
        assert!(e.contains("unknown strategy type"), "{e}");
    }

    /// `SurgeCount`: a percentage of the nodes rounded up; at most one extra pod per node.
    #[test]
    fn daemonset_rollout_adds_the_surge() {
        assert_eq!(daemonset_rollout(5, None), 5);
        // 25% of 5 = 1.25 → 2.
        assert_eq!(daemonset_rollout(5, Some(IntOrPercent::Percent(25))), 7);
        // 25% of 1 = 0.25 → 1.
        assert_eq!(daemonset_rollout(1, Some(IntOrPercent::Percent(25))), 2);
        assert_eq!(daemonset_rollout(3, Some(IntOrPercent::Int(2))), 5);
        // Never more than one extra pod per node.
        assert_eq!(daemonset_rollout(3, Some(IntOrPercent::Int(10))), 6);
        assert_eq!(daemonset_rollout(0, Some(IntOrPercent::Percent(100))), 0);
    }

    /// A Deployment strategy the API server rejects is reported, and its rollout adds nothing.
    #[test]
    fn an_invalid_deployment_strategy_is_kept_as_a_problem() {
        let objs = objects(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 4, strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}}\n",
        );
        let inv = inventory(&objs, "default");
        let w = &inv.workloads[0];
        assert_eq!(w.replicas.rollout, 4);
        assert!(
            w.rollout_problem
                .as_ref()
                .is_some_and(|p| p.to_string().contains("may not be 0 when maxSurge is 0")),
            "{:?}",
            w.rollout_problem
        );
    }
}
