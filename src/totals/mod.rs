//! What a release asks of the cluster: effective pod requests and limits × replicas, per
//! component, per namespace and overall, in three scenarios (steady state, autoscaling peak,
//! rolling update), plus persistent storage by StorageClass and findings about the resources
//! themselves. Pure: objects in, [`Totals`] out.

mod findings;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::quantity::{Quantity, QuantityError};
use crate::render::Object;
use crate::report::Diagnostic;
use crate::workload::objects::{Claim, Inventory, Replicas, Transient, Workload, inventory};
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
            *e = match (*e, add) {
                (Limit::Bounded(a), Limit::Bounded(b)) => Limit::Bounded(a.checked_add(b)?),
                _ => Limit::Unbounded,
            };
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
            *e = match (*e, *l) {
                (Limit::Bounded(a), Limit::Bounded(b)) => Limit::Bounded(a.checked_add(b)?),
                _ => Limit::Unbounded,
            };
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
    let inv: Inventory<'_> = inventory(objects);
    let mut totals = Totals {
        other_kinds: inv.other_kinds.clone(),
        daemonset_nodes: options.daemonset_nodes,
        ..Totals::default()
    };
    for w in &inv.workloads {
        let Some(pod) = effective_pod(w, &mut totals.findings) else {
            continue;
        };
        findings::check_containers(w, &mut totals.findings);
        let namespace = w
            .object
            .namespace()
            .unwrap_or(&options.namespace)
            .to_string();
        let component = component_of(w.object, w.pod_metadata);
        let mut replicas = w.replicas;
        if w.per_node {
            replicas = Replicas {
                steady: replicas.steady * options.daemonset_nodes,
                peak: replicas.peak * options.daemonset_nodes,
                rollout: replicas.rollout * options.daemonset_nodes,
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
        let namespace = o.namespace().unwrap_or(&options.namespace).to_string();
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
                    "quantity",
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
    let spec: PodSpec = match serde_json::from_value(w.pod_spec.clone()) {
        Ok(s) => s,
        Err(e) => {
            findings.push(
                Diagnostic::error(
                    "pod-spec",
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
                "claim-size",
                format!("{what}: no spec.resources.requests.storage"),
            )
            .at(Some(o.span))
            .hint("the API server rejects a claim without a size; set one (e.g. 10Gi)"),
        );
        return None;
    };
    match serde_json::from_value::<Quantity>(size.clone()) {
        Ok(q) => Some(q),
        Err(e) => {
            findings.push(
                Diagnostic::error(
                    "quantity",
                    format!("{what}: spec.resources.requests.storage: {e}"),
                )
                .at(Some(o.span)),
            );
            None
        }
    }
}

fn overflow(o: &Object, e: QuantityError) -> Diagnostic {
    Diagnostic::error("quantity", format!("{}: {e}", o.display_with_template())).at(Some(o.span))
}
