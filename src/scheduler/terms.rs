//! A pod as the scheduler's plugins read it, parsed once: requests in the scheduler's integer
//! units, pod (anti-)affinity terms, required and preferred node affinity, topology spread
//! constraints ([`PodInfo`] for pods already on nodes, [`Incoming`] for the pod being placed).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::labels::{
    FastMap, Labels, NodeSelectorTerm, OneLabel, Op, RequiredNodeAffinity, Requirement, Selector,
    SpecError, is_scalar_resource_name,
};
use crate::cluster::{Pod, Taint, Toleration};
use crate::workload::ResourceList;
use crate::workload::selector::{ShapeError, optional_array, string_field, string_list};

/// `schedutil.DefaultMilliCPURequest`: what scoring assumes for a container without a CPU
/// request.
pub const DEFAULT_MILLI_CPU_REQUEST: i128 = 100;
/// `schedutil.DefaultMemoryRequest` (200 MiB).
pub const DEFAULT_MEMORY_REQUEST: i128 = 200 * 1024 * 1024;

/// The label every namespace carries (`kubernetes.io/metadata.name`, set by the API server).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Resources in the scheduler's units (`framework.Resource`): CPU in millicores (`MilliValue`,
/// rounded up), everything else in units (`Value`, rounded up). Names that are neither cpu,
/// memory, ephemeral-storage, pods nor scalar resources are dropped, as the scheduler drops them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i128,
    pub memory: i128,
    pub ephemeral_storage: i128,
    /// Only meaningful for allocatable (`AllowedPodNumber`).
    pub pods: i128,
    /// Extended resources, hugepages, `*kubernetes.io/*`, attachable volumes.
    pub scalar: BTreeMap<String, i128>,
}

impl Resources {
    /// `Resource.Add(list)` on an empty resource.
    pub fn from_list(list: &ResourceList) -> Resources {
        let mut r = Resources::default();
        for (name, q) in list {
            match name.as_str() {
                "cpu" => r.milli_cpu += q.milli_ceil(),
                "memory" => r.memory += q.value_ceil(),
                "ephemeral-storage" => r.ephemeral_storage += q.value_ceil(),
                "pods" => r.pods += q.value_ceil(),
                n if is_scalar_resource_name(n) => {
                    *r.scalar.entry(n.to_string()).or_default() += q.value_ceil();
                }
                _ => {}
            }
        }
        r
    }

    pub(crate) fn add(&mut self, other: &Resources) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        for (k, v) in &other.scalar {
            *self.scalar.entry(k.clone()).or_default() += v;
        }
    }

    /// The amount of one resource by name: millicores for cpu, bytes, pods, or a scalar.
    pub fn amount(&self, resource: &str) -> i128 {
        match resource {
            "cpu" => self.milli_cpu,
            "memory" => self.memory,
            "ephemeral-storage" => self.ephemeral_storage,
            "pods" => self.pods,
            other => self.scalar(other),
        }
    }

    pub fn scalar(&self, name: &str) -> i128 {
        self.scalar.get(name).copied().unwrap_or(0)
    }
}

/// Labels of the cluster's namespaces, for `namespaceSelector` in pod (anti-)affinity terms.
///
/// The cluster model carries no namespaces, so by default a namespace is known only by the
/// `kubernetes.io/metadata.name` label the API server puts on every namespace; a selector on
/// other namespace labels then matches nothing unless the labels are [`Namespaces::insert`]ed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces {
    labels: FastMap<String, Labels>,
}

impl Namespaces {
    pub fn new() -> Namespaces {
        Namespaces::default()
    }

    /// Records a namespace's labels (`kubernetes.io/metadata.name` is added as the API server
    /// adds it).
    pub fn insert(&mut self, name: &str, mut labels: Labels) {
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.to_string());
        self.labels.insert(name.to_string(), labels);
    }

    /// Whether namespace `ns`'s labels match `selector`.
    pub fn selector_matches(&self, selector: &Selector, ns: &str) -> bool {
        match selector {
            Selector::Nothing => false,
            Selector::All(reqs) if reqs.is_empty() => true,
            _ => match self.labels.get(ns) {
                Some(labels) => selector.matches(labels),
                None => selector.matches(&OneLabel(NAMESPACE_NAME_LABEL, ns)),
            },
        }
    }
}

/// `fwk.AffinityTerm`: which pods a pod (anti-)affinity term selects, and its topology key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityTerm {
    /// `namespaces`, or the pod's own namespace when neither `namespaces` nor
    /// `namespaceSelector` is given.
    namespaces: Vec<String>,
    /// `namespaceSelector` (`Nothing` when absent, everything for `{}`).
    namespace_selector: Selector,
    selector: Selector,
    pub topology_key: String,
}

impl AffinityTerm {
    /// Parses a `PodAffinityTerm` of a pod in `ns` with `labels`, merging `matchLabelKeys` and
    /// `mismatchLabelKeys` into the selector as the API server does on pod creation.
    pub fn parse(term: &Json, ns: &str, labels: &Labels) -> Result<AffinityTerm, SpecError> {
        let mut selector = Selector::from_label_selector(term.get("labelSelector"))?;
        for (field, op) in [("matchLabelKeys", Op::In), ("mismatchLabelKeys", Op::NotIn)] {
            for key in string_list(term.get(field), field)? {
                if let Some(v) = labels.get(&key) {
                    selector.add(Requirement::new(&key, op, vec![v.clone()])?);
                }
            }
        }
        let mut explicit = string_list(term.get("namespaces"), "namespaces")?;
        explicit.sort_unstable();
        explicit.dedup();
        let ns_selector_json = term.get("namespaceSelector").filter(|v| !v.is_null());
        let namespace_selector = Selector::from_label_selector(ns_selector_json)?;
        let namespaces = if explicit.is_empty() && ns_selector_json.is_none() {
            vec![ns.to_string()]
        } else {
            explicit
        };
        let topology_key = string_field(term, "topologyKey")?;
        if topology_key.is_empty() {
            return Err(SpecError::EmptyTopologyKey);
        }
        Ok(AffinityTerm {
            namespaces,
            namespace_selector,
            selector,
            topology_key: topology_key.to_string(),
        })
    }

    /// The namespaces the term selects when it names them all (no `namespaceSelector`).
    pub fn explicit_namespaces(&self) -> Option<&[String]> {
        matches!(self.namespace_selector, Selector::Nothing).then_some(&self.namespaces[..])
    }

    /// Whether the term can select pods of namespace `ns` at all.
    pub fn namespace_may_match(&self, ns: &str, namespaces: &Namespaces) -> bool {
        self.namespaces.iter().any(|n| n == ns)
            || namespaces.selector_matches(&self.namespace_selector, ns)
    }

    /// `AffinityTerm.Matches`: the pod is in one of the term's namespaces and its labels match.
    pub fn matches(&self, ns: &str, labels: &Labels, namespaces: &Namespaces) -> bool {
        self.namespace_may_match(ns, namespaces) && self.selector.matches(labels)
    }
}

/// A pod's `podAffinity` and `podAntiAffinity` terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodAffinity {
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<(i64, AffinityTerm)>,
    pub preferred_anti_affinity: Vec<(i64, AffinityTerm)>,
}

impl PodAffinity {
    /// `None` when the pod has neither `podAffinity` nor `podAntiAffinity`. With `strict`, the
    /// first malformed term is an error; otherwise a malformed list is dropped (pods already
    /// in the cluster passed API validation, so this only guards against odd snapshots).
    fn parse(pod: &Pod, strict: bool) -> Result<Option<PodAffinity>, SpecError> {
        let Some(aff) = pod.scheduling.affinity.as_ref() else {
            return Ok(None);
        };
        let pa = aff.get("podAffinity").filter(|v| !v.is_null());
        let anti = aff.get("podAntiAffinity").filter(|v| !v.is_null());
        if pa.is_none() && anti.is_none() {
            return Ok(None);
        }
        let (ns, labels) = (pod.namespace.as_str(), &pod.labels);
        let required =
            |v: Option<&Json>, what: &'static str| -> Result<Vec<AffinityTerm>, SpecError> {
                let terms = optional_array(
                    v.and_then(|v| v.get("requiredDuringSchedulingIgnoredDuringExecution")),
                    what,
                )?;
                terms
                    .iter()
                    .map(|t| AffinityTerm::parse(t, ns, labels).map_err(|e| e.within(what)))
                    .collect()
            };
        let preferred =
            |v: Option<&Json>, what: &'static str| -> Result<Vec<(i64, AffinityTerm)>, SpecError> {
                let terms = optional_array(
                    v.and_then(|v| v.get("preferredDuringSchedulingIgnoredDuringExecution")),
                    what,
                )?;
                terms
                    .iter()
                    .map(|t| {
                        let weight = int_field(t, "weight")?.unwrap_or(0);
                        if !(1..=100).contains(&weight) {
                            return Err(SpecError::Weight.within(what));
                        }
                        let term = t.get("podAffinityTerm").unwrap_or(&Json::Null);
                        AffinityTerm::parse(term, ns, labels)
                            .map(|term| (weight, term))
                            .map_err(|e| e.within(what))
                    })
                    .collect()
            };
        fn lenient<T>(r: Result<Vec<T>, SpecError>, strict: bool) -> Result<Vec<T>, SpecError> {
            match r {
                Err(_) if !strict => Ok(Vec::new()),
                r => r,
            }
        }
        let out = PodAffinity {
            required_affinity: lenient(required(pa, "podAffinity.required"), strict)?,
            required_anti_affinity: lenient(required(anti, "podAntiAffinity.required"), strict)?,
            preferred_affinity: lenient(preferred(pa, "podAffinity.preferred"), strict)?,
            preferred_anti_affinity: lenient(preferred(anti, "podAntiAffinity.preferred"), strict)?,
        };
        Ok(Some(out))
    }

    /// Whether InterPodAffinity scoring reads this existing pod (required affinity, preferred
    /// affinity or anti-affinity; its required anti-affinity only filters).
    pub fn scores(&self) -> bool {
        !self.required_affinity.is_empty()
            || !self.preferred_affinity.is_empty()
            || !self.preferred_anti_affinity.is_empty()
    }

    fn is_empty(&self) -> bool {
        self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty()
    }
}

/// A pod on a node, with what the plugins need precomputed.
#[derive(Debug, Clone, PartialEq)]
pub struct PodInfo {
    pub pod: Pod,
    /// Requests as `NodeInfo.Requested` sums them.
    pub requests: Resources,
    /// CPU (millicores) and memory as `NodeInfo.NonZeroRequested` sums them for scoring: a pod
    /// without a CPU or memory request counts 100m / 200Mi (see the module docs of
    /// [`super::score`]).
    pub non_zero: (i128, i128),
    pub affinity: Option<Box<PodAffinity>>,
}

impl PodInfo {
    /// For a pod already in the cluster: malformed affinity terms are dropped.
    pub fn new(pod: Pod) -> PodInfo {
        let affinity = PodAffinity::parse(&pod, false).ok().flatten();
        PodInfo::with_affinity(pod, affinity)
    }

    fn with_affinity(pod: Pod, affinity: Option<PodAffinity>) -> PodInfo {
        let requests = Resources::from_list(&pod.requests);
        let non_zero = pod.non_zero.unwrap_or((
            if requests.milli_cpu == 0 {
                DEFAULT_MILLI_CPU_REQUEST
            } else {
                requests.milli_cpu
            },
            if requests.memory == 0 {
                DEFAULT_MEMORY_REQUEST
            } else {
                requests.memory
            },
        ));
        PodInfo {
            pod,
            requests,
            non_zero,
            affinity: affinity.filter(|a| !a.is_empty()).map(Box::new),
        }
    }

    pub fn required_anti_affinity(&self) -> &[AffinityTerm] {
        self.affinity
            .as_deref()
            .map_or(&[], |a| &a.required_anti_affinity)
    }

    pub fn required_affinity(&self) -> &[AffinityTerm] {
        self.affinity
            .as_deref()
            .map_or(&[], |a| &a.required_affinity)
    }
}

/// A `topologySpreadConstraints` entry as the scheduler builds it (`topologySpreadConstraint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpreadConstraint {
    pub max_skew: i64,
    pub topology_key: String,
    /// `labelSelector` with `matchLabelKeys` merged in.
    pub selector: Selector,
    /// `minDomains`, 1 when absent.
    pub min_domains: i64,
    /// `nodeAffinityPolicy`: `Honor` (default) counts only nodes matching the pod's required
    /// node affinity/selector.
    pub honor_node_affinity: bool,
    /// `nodeTaintsPolicy`: `Ignore` (default), or `Honor` to count only nodes whose
    /// NoSchedule/NoExecute taints the pod tolerates.
    pub honor_node_taints: bool,
}

impl SpreadConstraint {
    /// Parses one constraint; the bool is true for `whenUnsatisfiable: DoNotSchedule`.
    fn parse(c: &Json, labels: &Labels) -> Result<(bool, SpreadConstraint), SpecError> {
        let max_skew = int_field(c, "maxSkew")?.ok_or_else(|| ShapeError::Missing {
            field: "maxSkew".into(),
        })?;
        if max_skew < 1 {
            return Err(SpecError::MaxSkew(max_skew));
        }
        let topology_key = string_field(c, "topologyKey")?;
        if topology_key.is_empty() {
            return Err(SpecError::EmptyTopologyKey);
        }
        let hard = match string_field(c, "whenUnsatisfiable")? {
            "DoNotSchedule" => true,
            "ScheduleAnyway" => false,
            other => return Err(SpecError::WhenUnsatisfiable(other.to_string())),
        };
        let min_domains = match int_field(c, "minDomains")? {
            None => 1,
            Some(n) if n >= 1 && hard => n,
            Some(n) if n < 1 => return Err(SpecError::MinDomains(n)),
            Some(_) => return Err(SpecError::MinDomainsScheduleAnyway),
        };
        let policy = |field: &str, default_honor: bool| -> Result<bool, SpecError> {
            match c.get(field) {
                None | Some(Json::Null) => Ok(default_honor),
                Some(Json::String(s)) if s == "Honor" => Ok(true),
                Some(Json::String(s)) if s == "Ignore" => Ok(false),
                Some(other) => Err(SpecError::Policy {
                    field: field.to_string(),
                    got: other.clone(),
                }),
            }
        };
        let mut selector = Selector::from_label_selector(c.get("labelSelector"))?;
        // `mergeLabelSetWithSelector`: only the keys the pod has; a nil selector stays nothing.
        if let Selector::All(reqs) = &mut selector {
            let mut merged = Vec::new();
            for key in string_list(c.get("matchLabelKeys"), "matchLabelKeys")? {
                if let Some(v) = labels.get(&key) {
                    merged.push(Requirement::new(&key, Op::In, vec![v.clone()])?);
                }
            }
            merged.append(reqs);
            *reqs = merged;
        }
        Ok((
            hard,
            SpreadConstraint {
                max_skew,
                topology_key: topology_key.to_string(),
                selector,
                min_domains,
                honor_node_affinity: policy("nodeAffinityPolicy", true)?,
                honor_node_taints: policy("nodeTaintsPolicy", false)?,
            },
        ))
    }
}

/// The pod being placed, parsed for every plugin. Building it fails where the API server would
/// have rejected the pod (malformed selectors, operators, weights, spread constraints).
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub info: PodInfo,
    pub node_affinity: RequiredNodeAffinity,
    /// Preferred node affinity terms with their weights (empty terms dropped).
    pub preferred_node_affinity: Vec<(i64, NodeSelectorTerm)>,
    /// `whenUnsatisfiable: DoNotSchedule`.
    pub hard_spread: Vec<SpreadConstraint>,
    /// `whenUnsatisfiable: ScheduleAnyway`.
    pub soft_spread: Vec<SpreadConstraint>,
}

impl Incoming {
    pub fn new(pod: &Pod) -> Result<Incoming, SpecError> {
        let affinity = PodAffinity::parse(pod, true)?;
        let node_aff = pod
            .scheduling
            .affinity
            .as_ref()
            .and_then(|a| a.get("nodeAffinity"))
            .filter(|v| !v.is_null());
        let node_affinity = RequiredNodeAffinity::parse(
            &pod.scheduling.node_selector,
            node_aff.and_then(|a| a.get("requiredDuringSchedulingIgnoredDuringExecution")),
        )
        .map_err(|e| e.within("nodeAffinity.required"))?;
        let mut preferred_node_affinity = Vec::new();
        for t in optional_array(
            node_aff.and_then(|a| a.get("preferredDuringSchedulingIgnoredDuringExecution")),
            "nodeAffinity.preferred",
        )? {
            let weight = int_field(t, "weight")?.unwrap_or(0);
            if !(1..=100).contains(&weight) {
                return Err(SpecError::Weight.within("nodeAffinity.preferred"));
            }
            let term = NodeSelectorTerm::parse(t.get("preference").unwrap_or(&Json::Null))
                .map_err(|e| e.within("nodeAffinity.preferred"))?;
            if let Some(term) = term {
                preferred_node_affinity.push((weight, term));
            }
        }
        let mut hard_spread = Vec::new();
        let mut soft_spread = Vec::new();
        for c in &pod.scheduling.topology_spread_constraints {
            let (hard, c) = SpreadConstraint::parse(c, &pod.labels)
                .map_err(|e| e.within("topologySpreadConstraints"))?;
            if hard {
                hard_spread.push(c);
            } else {
                soft_spread.push(c);
            }
        }
        Ok(Incoming {
            info: PodInfo::with_affinity(pod.clone(), affinity),
            node_affinity,
            preferred_node_affinity,
            hard_spread,
            soft_spread,
        })
    }

    pub fn pod(&self) -> &Pod {
        &self.info.pod
    }

    pub fn tolerations(&self) -> &[Toleration] {
        &self.info.pod.scheduling.tolerations
    }

    pub fn affinity(&self) -> Option<&PodAffinity> {
        self.info.affinity.as_deref()
    }
}

/// `Toleration.ToleratesTaint`.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = t.effect.as_deref()
        && !effect.is_empty()
        && effect != taint.effect
    {
        return false;
    }
    if let Some(key) = t.key.as_deref()
        && !key.is_empty()
        && key != taint.key
    {
        return false;
    }
    match t.operator.as_deref() {
        None | Some("") | Some("Equal") => {
            t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
        }
        Some("Exists") => true,
        Some(_) => false,
    }
}

/// `TolerationsTolerateTaint`.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// `FindMatchingUntoleratedTaint` with `DoNotScheduleTaintsFilterFunc`: the first NoSchedule or
/// NoExecute taint, in the node's order, that no toleration tolerates.
pub fn first_untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints.iter().find(|t| {
        (t.effect == "NoSchedule" || t.effect == "NoExecute") && !tolerated(tolerations, t)
    })
}

/// An integer field; JSON numbers with an integral value are accepted (YAML may give `2.0`).
fn int_field(v: &Json, key: &str) -> Result<Option<i64>, SpecError> {
    match v.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 2e9)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| SpecError::NotAnInteger {
                key: key.to_string(),
                got: Json::Number(n.clone()),
            }),
        Some(other) => Err(SpecError::NotAnInteger {
            key: key.to_string(),
            got: other.clone(),
        }),
    }
}
