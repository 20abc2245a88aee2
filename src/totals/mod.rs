//! What a release asks of the cluster: effective pod requests and limits × replicas, per
//! component, per namespace and overall, in three scenarios (steady state, autoscaling peak,
//! rolling update), plus persistent storage by StorageClass and findings about the resources
//! themselves. Pure: objects in, [`Totals`] out.

mod findings;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic};
use crate::quantity::{Quantity, QuantityError};
use crate::render::Object;
use crate::workload::objects::{
    Claim, Inventory, Replicas, Transient, Workload, WorkloadId, daemonset_rollout, inventory,
    namespace_of,
};
use crate::workload::{Limit, PodResources, PodSpec, pod_resources};

/// The three questions totals answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// Every workload at its steady replica count (HPA/KEDA minimum when one owns it).
    Steady,
    /// Every autoscaler at its maximum.
    Peak,
    /// Steady plus the extra pods a rolling update runs at once (Deployment surge).
    Rollout,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [Scenario::Steady, Scenario::Peak, Scenario::Rollout];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::Peak => "peak",
            Scenario::Rollout => "rollout",
        }
    }

    fn replicas(self, r: &Replicas) -> u64 {
        match self {
            Scenario::Steady => r.steady,
            Scenario::Peak => r.peak,
            Scenario::Rollout => r.rollout,
        }
    }
}

/// Inputs that are not in the manifests.
#[derive(Debug, Clone)]
pub struct Options {
    /// Namespace of objects that do not name one (the release namespace).
    pub namespace: String,
    /// Nodes a DaemonSet runs on (1 without a cluster: totals then show one pod per DaemonSet).
    pub daemonset_nodes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            namespace: "default".to_string(),
            daemonset_nodes: 1,
        }
    }
}

/// Requests, limits, pods and storage of some set of pods in one scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Amounts {
    pub pods: u64,
    pub requests: BTreeMap<String, Quantity>,
    /// `Limit::Unbounded` when some pod that uses the resource does not limit it.
    pub limits: BTreeMap<String, Limit>,
    /// Persistent storage requested by claims, by StorageClass (`None` = the default class).
    pub storage: BTreeMap<Option<String>, Quantity>,
}

impl Amounts {
    fn add_pods(&mut self, pod: &PodResources, n: u64) -> Result<(), QuantityError> {
        let factor = i64::try_from(n).map_err(|_| QuantityError::Overflow { op: "replicas" })?;
        self.pods += n;
        for (name, q) in &pod.requests {
            let add = q.checked_mul(factor)?;
            let e = self.requests.entry(name.clone()).or_insert(Quantity::ZERO);
            *e = e.checked_add(add)?;
        }
        for (name, l) in &pod.limits {
            let add = match l {
                Limit::Bounded(q) => Limit::Bounded(q.checked_mul(factor)?),
                Limit::Unbounded => Limit::Unbounded,
            };
            let e = self
                .limits
                .entry(name.clone())
                .or_insert(Limit::Bounded(Quantity::ZERO));
            *e = e.checked_add(add)?;
        }
        Ok(())
    }

    fn add_storage(
        &mut self,
        class: &Option<String>,
        size: Quantity,
        n: u64,
    ) -> Result<(), QuantityError> {
        let factor = i64::try_from(n).map_err(|_| QuantityError::Overflow { op: "replicas" })?;
        let e = self.storage.entry(class.clone()).or_insert(Quantity::ZERO);
        *e = e.checked_add(size.checked_mul(factor)?)?;
        Ok(())
    }

    fn merge(&mut self, other: &Amounts) -> Result<(), QuantityError> {
        self.pods += other.pods;
        for (k, q) in &other.requests {
            let e = self.requests.entry(k.clone()).or_insert(Quantity::ZERO);
            *e = e.checked_add(*q)?;
        }
        for (k, l) in &other.limits {
            let e = self
                .limits
                .entry(k.clone())
                .or_insert(Limit::Bounded(Quantity::ZERO));
            *e = e.checked_add(*l)?;
        }
        for (k, q) in &other.storage {
            let e = self.storage.entry(k.clone()).or_insert(Quantity::ZERO);
            *e = e.checked_add(*q)?;
        }
        Ok(())
    }
}

/// One amount per scenario.
pub type ByScenario = BTreeMap<Scenario, Amounts>;

/// A row of the report: a subchart and, inside it, the `app.kubernetes.io/component` (or
/// `name`) of its pods.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentKey {
    /// Subchart chain (`litemaas`, `apps/router`); the release's own chart is `""`.
    pub chart: String,
    pub component: String,
}

impl ComponentKey {
    /// `litemaas/backend`, or just `litellm` when the component is named like its chart.
    pub fn display(&self) -> String {
        if self.chart.is_empty()
            || self.chart == self.component
            || self.chart.ends_with(&format!("/{}", self.component))
        {
            if self.chart.is_empty() {
                self.component.clone()
            } else {
                self.chart.clone()
            }
        } else {
            format!("{}/{}", self.chart, self.component)
        }
    }
}

/// One workload's contribution, for the detailed views.
#[derive(Debug, Clone)]
pub struct WorkloadLine {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub template: Option<String>,
    pub component: ComponentKey,
    pub replicas: Replicas,
    /// Pods per node for a DaemonSet (replicas are then pods per node × nodes).
    pub per_node: bool,
    pub scaler: Option<String>,
    pub pod: PodResources,
    pub transient: Option<Transient>,
}

impl WorkloadLine {
    pub fn id(&self) -> WorkloadId {
        WorkloadId {
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub components: BTreeMap<ComponentKey, ByScenario>,
    pub namespaces: BTreeMap<String, ByScenario>,
    pub overall: ByScenario,
    pub workloads: Vec<WorkloadLine>,
    /// Jobs, CronJobs and hooks: not in the totals, shown apart (one run's pods).
    pub transient: Amounts,
    /// Kinds that neither run pods nor claim storage, with counts.
    pub other_kinds: BTreeMap<String, usize>,
    pub findings: Vec<Diagnostic>,
    pub daemonset_nodes: u64,
}

fn empty_by_scenario() -> ByScenario {
    Scenario::ALL
        .iter()
        .map(|s| (*s, Amounts::default()))
        .collect()
}

/// Compute the totals of a release's objects.
pub fn compute(objects: &[Object], options: &Options) -> Totals {
    let inv: Inventory<'_> = inventory(objects, &options.namespace);
    let mut totals = Totals {
        other_kinds: inv.other_kinds.clone(),
        daemonset_nodes: options.daemonset_nodes,
        ..Totals::default()
    };
    let mut pods: Vec<Option<PodResources>> = inv
        .workloads
        .iter()
        .map(|w| effective_pod(w, &mut totals.findings))
        .collect();
    unbounded_where_unnamed(&mut pods);
    for (w, pod) in inv.workloads.iter().zip(pods) {
        let Some(pod) = pod else {
            continue;
        };
        findings::check_containers(w, &mut totals.findings);
        if let Some(problem) = &w.replicas_problem {
            totals.findings.push(
                Diagnostic::error(
                    Code::Replicas,
                    format!("{}: {problem}", w.object.display_with_template()),
                )
                .at(Some(w.object.span))
                .hint("the API server rejects this object, so none of its pods would run; write a whole number from 0 to 2147483647 (it is counted here as 1 replica)"),
            );
        }
        if let Some(problem) = &w.rollout_problem {
            totals.findings.push(
                Diagnostic::error(
                    Code::RolloutStrategy,
                    format!("{}: {problem}", w.object.display_with_template()),
                )
                .at(Some(w.object.span))
                .hint("the API server rejects this object; its rollout is counted without surge"),
            );
        }
        let namespace = w.namespace.clone();
        let component = component_of(w.object, w.pod_metadata);
        let mut replicas = w.replicas;
        if w.per_node {
            let nodes = options.daemonset_nodes;
            replicas = Replicas {
                steady: replicas.steady.saturating_mul(nodes),
                peak: replicas.peak.saturating_mul(nodes),
                rollout: daemonset_rollout(
                    replicas.rollout.saturating_mul(nodes),
                    w.daemonset_surge,
                ),
            };
        }
        let claims: Vec<(Option<String>, Quantity)> = w
            .claim_templates
            .iter()
            .filter_map(|c| {
                claim_size(w.object, c, &mut totals.findings).map(|q| (c.storage_class.clone(), q))
            })
            .collect();
        let result = if w.transient.is_some() {
            totals.transient.add_pods(&pod, replicas.steady)
        } else {
            add_workload(
                &mut totals,
                &component,
                &namespace,
                &pod,
                &replicas,
                &claims,
            )
        };
        if let Err(e) = result {
            totals.findings.push(overflow(w.object, e));
        }
        totals.workloads.push(WorkloadLine {
            kind: w.object.kind().to_string(),
            name: w.object.name().to_string(),
            namespace,
            template: w.object.template.clone(),
            component,
            replicas,
            per_node: w.per_node,
            scaler: w.scaler.as_ref().map(|s| match s {
                crate::workload::objects::Scaler::Hpa { name, .. } => {
                    format!("HorizontalPodAutoscaler/{name}")
                }
                crate::workload::objects::Scaler::Keda { name, .. } => {
                    format!("ScaledObject/{name}")
                }
            }),
            pod,
            transient: w.transient.clone(),
        });
    }
    for (o, c) in &inv.claims {
        let Some(size) = claim_size(o, c, &mut totals.findings) else {
            continue;
        };
        let namespace = namespace_of(o, &options.namespace);
        let component = component_of(o, &o.json["metadata"]);
        let mut add = || -> Result<(), QuantityError> {
            for s in Scenario::ALL {
                for by in [
                    totals
                        .components
                        .entry(component.clone())
                        .or_insert_with(empty_by_scenario),
                    totals
                        .namespaces
                        .entry(namespace.clone())
                        .or_insert_with(empty_by_scenario),
                ] {
                    by.entry(s)
                        .or_default()
                        .add_storage(&c.storage_class, size, 1)?;
                }
                totals
                    .overall
                    .entry(s)
                    .or_default()
                    .add_storage(&c.storage_class, size, 1)?;
            }
            Ok(())
        };
        if let Err(e) = add() {
            totals.findings.push(overflow(o, e));
        }
    }
    findings::check_pdbs(&inv, &mut totals.findings);
    for s in Scenario::ALL {
        totals.overall.entry(s).or_default();
    }
    totals
}

/// Every container uses ephemeral-storage (like cpu and memory) whether or not it names it, but
/// a pod only lists it when some container does. Once any pod limits it, a pod that does not is
/// unbounded for it, so sums say `unbounded` instead of adding up only the pods that name it.
fn unbounded_where_unnamed(pods: &mut [Option<PodResources>]) {
    const IMPLICIT: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];
    let named: Vec<&str> = IMPLICIT
        .into_iter()
        .filter(|r| pods.iter().flatten().any(|p| p.limits.contains_key(*r)))
        .collect();
    for pod in pods.iter_mut().flatten() {
        for r in &named {
            pod.limits
                .entry((*r).to_string())
                .or_insert(Limit::Unbounded);
        }
    }
}

fn add_workload(
    totals: &mut Totals,
    component: &ComponentKey,
    namespace: &str,
    pod: &PodResources,
    replicas: &Replicas,
    claims: &[(Option<String>, Quantity)],
) -> Result<(), QuantityError> {
    let mut one = empty_by_scenario();
    for (s, amounts) in one.iter_mut() {
        let n = s.replicas(replicas);
        amounts.add_pods(pod, n)?;
        // A StatefulSet keeps one claim per ordinal it ever ran; a rollout adds none.
        let claim_replicas = if *s == Scenario::Rollout {
            replicas.steady
        } else {
            n
        };
        for (class, size) in claims {
            amounts.add_storage(class, *size, claim_replicas)?;
        }
    }
    for (s, amounts) in &one {
        totals
            .components
            .entry(component.clone())
            .or_insert_with(empty_by_scenario)
            .entry(*s)
            .or_default()
            .merge(amounts)?;
        totals
            .namespaces
            .entry(namespace.to_string())
            .or_insert_with(empty_by_scenario)
            .entry(*s)
            .or_default()
            .merge(amounts)?;
        totals.overall.entry(*s).or_default().merge(amounts)?;
    }
    Ok(())
}

/// The subchart an object came from, and its component label (else `name` label, else the
/// object's name).
fn component_of(o: &Object, pod_metadata: &Json) -> ComponentKey {
    let label = |meta: &Json, key: &str| meta["labels"][key].as_str().map(str::to_string);
    let meta = &o.json["metadata"];
    let component = label(pod_metadata, "app.kubernetes.io/component")
        .or_else(|| label(meta, "app.kubernetes.io/component"))
        .or_else(|| label(pod_metadata, "app.kubernetes.io/name"))
        .or_else(|| label(meta, "app.kubernetes.io/name"))
        .or_else(|| label(pod_metadata, "app"))
        .unwrap_or_else(|| o.name().to_string());
    ComponentKey {
        chart: o.subcharts.join("/"),
        component,
    }
}

/// The pod's effective resources, or a finding naming the object and field when a quantity is
/// malformed.
fn effective_pod(w: &Workload<'_>, findings: &mut Vec<Diagnostic>) -> Option<PodResources> {
    let bad = findings::malformed_quantities(w.pod_spec);
    if !bad.is_empty() {
        for (field, e) in bad {
            findings.push(
                Diagnostic::error(
                    Code::Quantity,
                    format!("{}: {field}: {e}", w.object.display_with_template()),
                )
                .at(Some(w.object.span))
                .hint(
                    "fix the value in the chart or values; this workload is left out of the totals",
                ),
            );
        }
        return None;
    }
    let spec: PodSpec = match serde::Deserialize::deserialize(w.pod_spec) {
        Ok(s) => s,
        Err(e) => {
            findings.push(
                Diagnostic::error(
                    Code::PodSpec,
                    format!(
                        "{}: pod spec not understood: {e}",
                        w.object.display_with_template()
                    ),
                )
                .at(Some(w.object.span))
                .hint("this workload is left out of the totals"),
            );
            return None;
        }
    };
    match pod_resources(&spec) {
        Ok(p) => Some(p),
        Err(e) => {
            findings.push(overflow(w.object, e));
            None
        }
    }
}

fn claim_size(o: &Object, c: &Claim<'_>, findings: &mut Vec<Diagnostic>) -> Option<Quantity> {
    let what = if o.kind() == "PersistentVolumeClaim" {
        o.display_with_template()
    } else {
        format!(
            "{}: volumeClaimTemplate {}",
            o.display_with_template(),
            c.name
        )
    };
    let Some(size) = c.size else {
        findings.push(
            Diagnostic::error(
                Code::ClaimSize,
                format!("{what}: no spec.resources.requests.storage"),
            )
            .at(Some(o.span))
            .hint("the API server rejects a claim without a size; set one (e.g. 10Gi)"),
        );
        return None;
    };
    match findings::parse(size) {
        Ok(q) => Some(q),
        Err(e) => {
            findings.push(
                Diagnostic::error(
                    Code::Quantity,
                    format!("{what}: spec.resources.requests.storage: {e}"),
                )
                .at(Some(o.span))
                .hint("fix the size in the chart or values; this claim is left out of the totals"),
            );
            None
        }
    }
}

fn overflow(o: &Object, e: QuantityError) -> Diagnostic {
    Diagnostic::error(
        Code::Quantity,
        format!("{}: {e}", o.display_with_template()),
    )
    .at(Some(o.span))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(text: &str, namespace: &str, nodes: u64) -> Totals {
        compute(
            &crate::test_support::objects(text),
            &Options {
                namespace: namespace.to_string(),
                daemonset_nodes: nodes,
            },
        )
    }

    fn codes(t: &Totals) -> Vec<&'static str> {
        t.findings.iter().map(|d| d.code.as_str()).collect()
    }

    /// The totals of one pod `p` with one container `c`.
    fn pod(requests: &str, limits: &str) -> Totals {
        totals(
            &format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    resources: {{requests: {requests}, limits: {limits}}}\n"
            ),
            "default",
            1,
        )
    }

    fn pods(t: &Totals, s: Scenario) -> u64 {
        t.overall[&s].pods
    }

    #[test]
    fn an_invalid_rollout_strategy_is_an_error_naming_the_object() {
        let t = totals(
            "# Source: c/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2, strategy: {rollingUpdate: {maxSurge: 50}}, template: {spec: {}}}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\nspec: {updateStrategy: {rollingUpdate: {maxSurge: 1}}, template: {spec: {}}}\n",
            "default",
            1,
        );
        let problems: Vec<&str> = t
            .findings
            .iter()
            .filter(|d| d.code == "rollout-strategy")
            .map(|d| d.message.as_str())
            .collect();
        // maxSurge 50 with maxUnavailable defaulting to 25% is valid: only the DaemonSet fails.
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("DaemonSet/ds: spec.updateStrategy.rollingUpdate.maxSurge")
        );
        // Deployment: 2 + 50; DaemonSet: 1 node, no surge.
        assert_eq!(pods(&t, Scenario::Rollout), 53);
    }

    /// A DaemonSet with maxSurge 25% on 10 nodes: ceil(2.5) = 3 extra pods during its update.
    #[test]
    fn daemonset_surge_scales_with_the_nodes() {
        let t = totals(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\nspec: {updateStrategy: {rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}, template: {spec: {}}}\n",
            "default",
            10,
        );
        assert_eq!(pods(&t, Scenario::Steady), 10);
        assert_eq!(pods(&t, Scenario::Peak), 10);
        assert_eq!(pods(&t, Scenario::Rollout), 13);
        assert_eq!(t.workloads[0].replicas.rollout, 13);
    }

    /// A PDB without a namespace guards the release namespace's pods, whether or not they name
    /// it.
    #[test]
    fn pdbs_select_in_the_resolved_namespace() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: llm}\nspec: {replicas: 1, template: {metadata: {labels: {app: a}}}}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: a}\nspec: {minAvailable: 1, selector: {matchLabels: {app: a}}}\n";
        assert!(codes(&totals(text, "llm", 1)).contains(&"pdb-blocks-eviction"));
        assert!(!codes(&totals(text, "other", 1)).contains(&"pdb-blocks-eviction"));
    }

    /// Validation runs after `SetDefaults_ResourceList` rounded every entry up to milli: a
    /// request of 1500u and a limit of 1200u are both 2m, which the API server accepts.
    #[test]
    fn requests_and_limits_are_compared_after_rounding_to_milli() {
        let t = pod("{cpu: 1500u, memory: 1Mi}", "{cpu: 1200u, memory: 1Mi}");
        assert!(codes(&t).is_empty(), "{:?}", t.findings);
        let t = pod("{cpu: 2500u, memory: 1Mi}", "{cpu: 1200u, memory: 1Mi}");
        assert_eq!(codes(&t), ["request-above-limit"]);
        assert!(
            t.findings[0]
                .message
                .contains("cpu request 3m is above its limit 2m")
        );
    }

    /// `IsOvercommitAllowed` is false for extended resources and for hugepages: request must
    /// equal limit, and a request needs a limit.
    #[test]
    fn hugepages_and_gpus_cannot_be_overcommitted() {
        let t = pod(
            "{cpu: 1, memory: 1Gi, hugepages-2Mi: 100Mi}",
            "{cpu: 1, memory: 1Gi, hugepages-2Mi: 200Mi}",
        );
        assert_eq!(codes(&t), ["extended-resource"]);
        assert!(
            t.findings[0]
                .message
                .contains("hugepages-2Mi request 100Mi differs from its limit 200Mi")
        );
        // Checked before request <= limit, as ValidateResourceRequirements does.
        let t = pod(
            "{cpu: 1, memory: 1Gi, nvidia.com/gpu: 2}",
            "{cpu: 1, memory: 1Gi, nvidia.com/gpu: 1}",
        );
        assert_eq!(codes(&t), ["extended-resource"]);
        let t = pod(
            "{cpu: 1, memory: 1Gi, amd.com/gpu: 1}",
            "{cpu: 1, memory: 1Gi}",
        );
        assert_eq!(codes(&t), ["extended-resource"]);
        assert!(
            t.findings[0]
                .message
                .contains("amd.com/gpu is requested without a limit")
        );
        // Native resources with a kubernetes.io domain may be overcommitted.
        let t = pod(
            "{cpu: 1, memory: 1Gi, example.kubernetes.io/x: 1}",
            "{cpu: 1, memory: 1Gi, example.kubernetes.io/x: 2}",
        );
        assert!(codes(&t).is_empty(), "{:?}", t.findings);
    }

    /// `ValidateResourceQuantityValue`: extended resources are whole numbers.
    #[test]
    fn fractional_gpus_are_rejected() {
        let t = pod(
            "{cpu: 1, memory: 1Gi}",
            "{cpu: 1, memory: 1Gi, nvidia.com/gpu: 0.5}",
        );
        assert_eq!(codes(&t), ["extended-resource"]);
        assert!(
            t.findings[0]
                .message
                .contains("nvidia.com/gpu limit 500m is not a whole number")
        );
        let t = pod(
            "{cpu: 1, nvidia.com/gpu: 1.5}",
            "{cpu: 1, memory: 1Gi, nvidia.com/gpu: 1.5}",
        );
        assert_eq!(codes(&t), ["extended-resource", "extended-resource"]);
        assert!(
            t.findings[0]
                .message
                .contains("nvidia.com/gpu request 1500m is not a whole number")
        );
        assert!(
            t.findings[1]
                .message
                .contains("nvidia.com/gpu limit 1500m is not a whole number")
        );
    }

    /// `ValidateNonnegativeQuantity`: a negative quantity would subtract from the totals; the
    /// workload is left out with an error naming the field, as for a malformed one.
    #[test]
    fn negative_quantities_are_rejected() {
        let t = pod("{cpu: -1, memory: 1Gi}", "{cpu: 1, memory: \"-1Gi\"}");
        let messages: Vec<&str> = t.findings.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Pod/p: containers[c].resources.requests.cpu: quantity -1 must be greater than or equal to 0",
                "Pod/p: containers[c].resources.limits.memory: quantity \"-1Gi\" must be greater than or equal to 0",
            ]
        );
        assert_eq!(pods(&t, Scenario::Steady), 0);
        let t = totals(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nspec: {resources: {requests: {storage: -1Gi}}}\n",
            "default",
            1,
        );
        assert_eq!(codes(&t), ["quantity"]);
        assert!(t.overall[&Scenario::Steady].storage.is_empty());
    }

    /// Once one pod limits ephemeral-storage, the pods that do not make the sum unbounded
    /// (they may fill the node's disk), rather than the sum covering only the pods that name it.
    #[test]
    fn ephemeral_storage_limits_are_unbounded_where_unnamed() {
        let t = totals(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, resources: {limits: {cpu: 1, memory: 1Gi, ephemeral-storage: 2Gi}}}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, resources: {limits: {cpu: 1, memory: 1Gi}}}]}\n",
            "default",
            1,
        );
        let steady = &t.overall[&Scenario::Steady];
        assert_eq!(steady.limits["ephemeral-storage"], Limit::Unbounded);
        assert_eq!(
            steady.requests["ephemeral-storage"],
            Quantity::parse("2Gi").unwrap()
        );
        assert_eq!(
            t.workloads[1].pod.limits["ephemeral-storage"],
            Limit::Unbounded
        );
        // Without any pod naming it, no column appears at all.
        let t = totals(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, resources: {limits: {cpu: 1, memory: 1Gi}}}]}\n",
            "default",
            1,
        );
        assert!(
            !t.overall[&Scenario::Steady]
                .limits
                .contains_key("ephemeral-storage")
        );
    }
}
