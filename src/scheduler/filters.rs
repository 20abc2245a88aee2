//! kube-scheduler's Filter extension point (v1.34 default profile), pure and per node.
//!
//! [`NodeState`] is the scheduler's `NodeInfo`: the node, the pods bound to it, their summed
//! requests and per-node indexes (pods by namespace, pods with affinity terms) so PreFilter work
//! stays O(nodes + relevant pods) per placed pod. Each filter is a pure function of the node
//! state, the [`Incoming`] pod and, for inter-pod affinity and topology spread, the
//! [`CycleState`] [`pre_filter`] computed once per pod over all nodes, exactly as the plugins'
//! PreFilter does.
//!
//! [`run_filters`] runs them in the profile's order and stops at the first rejection, as
//! `RunFilterPlugins` does, so a node contributes the reasons of one plugin only (several for
//! NodeResourcesFit); [`super::fit_error`] words and aggregates them.
//!
//! Modelled filters, in order: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
//! NodeResourcesFit, PodTopologySpread (`DoNotSchedule`), InterPodAffinity (required terms).
//! Not modelled: NodePorts, the volume plugins (VolumeRestrictions, NodeVolumeLimits,
//! VolumeBinding, VolumeZone) and DynamicResources.

use std::collections::BTreeSet;

use super::fit_error::{Reason, Rejection};
use super::labels::FastMap;
use super::terms::{
    AffinityTerm, Incoming, Namespaces, PodInfo, Resources, SpreadConstraint, first_untolerated,
    tolerated,
};
use crate::cluster::{Node, Pod, Taint};

/// `v1.TaintNodeUnschedulable`.
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
/// `v1.TaintNodeNotReady`.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// `v1.TaintNodeUnreachable`.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// A node and the pods bound to it (`framework.NodeInfo`).
#[derive(Debug, Clone)]
pub struct NodeState {
    node: Node,
    /// The node's labels in a hash map (the hot lookups of every placement).
    labels: FastMap<String, String>,
    /// `spec.taints` plus the NoSchedule taints the node lifecycle controller adds for a
    /// cordoned (`node.kubernetes.io/unschedulable`) or NotReady (`node.kubernetes.io/not-ready`)
    /// node, when the snapshot does not already carry them.
    taints: Vec<Taint>,
    allocatable: Resources,
    requested: Resources,
    non_zero_requested: (i128, i128),
    pods: Vec<PodInfo>,
    by_namespace: FastMap<String, Vec<u32>>,
    /// Required anti-affinity terms (pod, term) of the node's pods that name their namespaces,
    /// by namespace: the only ones that can match an incoming pod of that namespace.
    anti_terms_by_namespace: FastMap<String, Vec<(u32, u32)>>,
    /// Required anti-affinity terms with a `namespaceSelector`.
    anti_terms_by_selector: Vec<(u32, u32)>,
    /// Pods whose terms InterPodAffinity scoring reads.
    with_scoring_terms: Vec<u32>,
}

impl NodeState {
    pub fn new(node: Node) -> NodeState {
        let mut taints = node.taints.clone();
        for (applies, keys) in [
            (node.unschedulable, &[TAINT_UNSCHEDULABLE][..]),
            (!node.ready, &[TAINT_NOT_READY, TAINT_UNREACHABLE][..]),
        ] {
            let has_one = |t: &Taint| t.effect == "NoSchedule" && keys.contains(&t.key.as_str());
            if applies && !taints.iter().any(has_one) {
                taints.push(Taint {
                    key: keys[0].into(),
                    value: None,
                    effect: "NoSchedule".into(),
                });
            }
        }
        NodeState {
            allocatable: Resources::from_list(&node.allocatable),
            labels: node
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            node,
            taints,
            requested: Resources::default(),
            non_zero_requested: (0, 0),
            pods: Vec::new(),
            by_namespace: FastMap::default(),
            anti_terms_by_namespace: FastMap::default(),
            anti_terms_by_selector: Vec::new(),
            with_scoring_terms: Vec::new(),
        }
    }

    /// One state per node, with every pod bound to one of them (`pod.node`) added. Pods bound
    /// to a node that is not in `nodes` are skipped.
    pub fn from_cluster(nodes: &[Node], pods: &[Pod]) -> Vec<NodeState> {
        NodeState::from_parts(nodes.to_vec(), pods.to_vec())
    }

    /// [`NodeState::from_cluster`] taking ownership (no copies of the pods).
    pub fn from_parts(nodes: Vec<Node>, pods: Vec<Pod>) -> Vec<NodeState> {
        let index: FastMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let mut states: Vec<NodeState> = nodes.into_iter().map(NodeState::new).collect();
        for pod in pods {
            if let Some(&i) = pod.node.as_deref().and_then(|n| index.get(n)) {
                states[i].add_pod(pod);
            }
        }
        states
    }

    /// Binds a pod to this node (`NodeInfo.AddPod`): its requests, count and indexes.
    pub fn add_pod(&mut self, pod: Pod) {
        self.add_pod_info(PodInfo::new(pod));
    }

    pub fn add_pod_info(&mut self, mut info: PodInfo) {
        let i = u32::try_from(self.pods.len()).expect("fewer than 2^32 pods on a node");
        self.requested.add(&info.requests);
        self.non_zero_requested.0 += info.non_zero.0;
        self.non_zero_requested.1 += info.non_zero.1;
        if let Some(aff) = info.affinity.as_deref() {
            if aff.scores() {
                self.with_scoring_terms.push(i);
            }
            for (t, term) in aff.required_anti_affinity.iter().enumerate() {
                let entry = (i, t as u32);
                match term.explicit_namespaces() {
                    Some(names) => {
                        for ns in names {
                            self.anti_terms_by_namespace
                                .entry(ns.clone())
                                .or_default()
                                .push(entry);
                        }
                    }
                    None => self.anti_terms_by_selector.push(entry),
                }
            }
        }
        match self.by_namespace.get_mut(&info.pod.namespace) {
            Some(v) => v.push(i),
            None => {
                self.by_namespace
                    .insert(info.pod.namespace.clone(), vec![i]);
            }
        }
        if info.pod.node.as_deref() != Some(self.node.name.as_str()) {
            info.pod.node = Some(self.node.name.clone());
        }
        self.pods.push(info);
    }

    pub fn name(&self) -> &str {
        &self.node.name
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The node's labels (the same as `node().labels`, hashed for lookups).
    pub fn labels(&self) -> &FastMap<String, String> {
        &self.labels
    }

    /// The taints the scheduler sees (see the field docs).
    pub fn taints(&self) -> &[Taint] {
        &self.taints
    }

    pub fn pods(&self) -> &[PodInfo] {
        &self.pods
    }

    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }

    /// `NodeInfo.Allocatable`.
    pub fn allocatable(&self) -> &Resources {
        &self.allocatable
    }

    /// `NodeInfo.Requested`: the summed requests of the pods on the node.
    pub fn requested(&self) -> &Resources {
        &self.requested
    }

    /// `NodeInfo.NonZeroRequested` (cpu millicores, memory bytes), for scoring.
    pub fn non_zero_requested(&self) -> (i128, i128) {
        self.non_zero_requested
    }

    /// The pods on this node in namespace `ns`.
    pub fn pods_in<'a>(&'a self, ns: &str) -> impl Iterator<Item = &'a PodInfo> + 'a {
        self.by_namespace
            .get(ns)
            .into_iter()
            .flatten()
            .map(|&i| &self.pods[i as usize])
    }

    /// The required anti-affinity terms of this node's pods that may select a pod of namespace
    /// `ns` (a subset of `PodsWithRequiredAntiAffinity`' terms; the rest cannot match).
    pub fn anti_affinity_terms_for<'a>(
        &'a self,
        ns: &str,
    ) -> impl Iterator<Item = &'a AffinityTerm> + 'a {
        let named = if self.anti_terms_by_namespace.is_empty() {
            None
        } else {
            self.anti_terms_by_namespace.get(ns)
        };
        named
            .into_iter()
            .flatten()
            .chain(&self.anti_terms_by_selector)
            .map(|&(p, t)| &self.pods[p as usize].required_anti_affinity()[t as usize])
    }

    /// Pods whose affinity terms InterPodAffinity scoring reads (a subset of
    /// `PodsWithAffinity`: those with required affinity or preferred terms).
    pub fn pods_with_scoring_terms(&self) -> impl Iterator<Item = &PodInfo> {
        self.with_scoring_terms
            .iter()
            .map(|&i| &self.pods[i as usize])
    }

    /// Calls `f` for every pod in the namespaces `scope` allows.
    pub(crate) fn visit_pods<'a>(
        &'a self,
        scope: &mut NamespaceScope<'_>,
        mut f: impl FnMut(&'a PodInfo),
    ) {
        match scope {
            NamespaceScope::Names(names) => {
                for ns in names.iter() {
                    self.pods_in(ns).for_each(&mut f);
                }
            }
            NamespaceScope::Any {
                terms,
                cache,
                namespaces,
            } => {
                for (ns, idx) in &self.by_namespace {
                    let wanted = match cache.get(ns.as_str()) {
                        Some(&w) => w,
                        None => {
                            let w = terms.iter().any(|t| t.namespace_may_match(ns, namespaces));
                            cache.insert(ns.clone(), w);
                            w
                        }
                    };
                    if wanted {
                        idx.iter().for_each(|&i| f(&self.pods[i as usize]));
                    }
                }
            }
        }
    }
}

/// Which namespaces a set of affinity terms can select pods in.
pub(crate) enum NamespaceScope<'a> {
    /// Every term names its namespaces: only these.
    Names(Vec<&'a str>),
    /// Some term has a namespace selector: decided per namespace (and cached).
    Any {
        terms: Vec<&'a AffinityTerm>,
        cache: FastMap<String, bool>,
        namespaces: &'a Namespaces,
    },
}

impl<'a> NamespaceScope<'a> {
    pub(crate) fn of(
        terms: impl IntoIterator<Item = &'a AffinityTerm>,
        namespaces: &'a Namespaces,
    ) -> NamespaceScope<'a> {
        let terms: Vec<&AffinityTerm> = terms.into_iter().collect();
        let mut names: Vec<&str> = Vec::new();
        for t in &terms {
            match t.explicit_namespaces() {
                Some(ns) => names.extend(ns.iter().map(String::as_str)),
                None => {
                    return NamespaceScope::Any {
                        terms,
                        cache: FastMap::default(),
                        namespaces,
                    };
                }
            }
        }
        names.sort_unstable();
        names.dedup();
        NamespaceScope::Names(names)
    }
}

/// NodeUnschedulable: a cordoned node takes only pods tolerating
/// `node.kubernetes.io/unschedulable:NoSchedule`.
pub fn node_unschedulable(node: &NodeState, pod: &Incoming) -> Result<(), Rejection> {
    if !node.node.unschedulable {
        return Ok(());
    }
    let taint = Taint {
        key: TAINT_UNSCHEDULABLE.into(),
        value: None,
        effect: "NoSchedule".into(),
    };
    if tolerated(pod.tolerations(), &taint) {
        Ok(())
    } else {
        Err(Rejection::unresolvable(Reason::Unschedulable))
    }
}

/// NodeName: a pod with `spec.nodeName` fits only that node. (Such pods bypass the scheduler in
/// a real cluster; the kubelet admits them.)
pub fn node_name(node: &NodeState, pod: &Incoming) -> Result<(), Rejection> {
    match pod.pod().scheduling.node_name.as_deref() {
        Some(name) if !name.is_empty() && name != node.name() => {
            Err(Rejection::unresolvable(Reason::NodeName))
        }
        _ => Ok(()),
    }
}

/// TaintToleration: the first NoSchedule/NoExecute taint (in the node's order) that the pod does
/// not tolerate rejects the node. PreferNoSchedule only scores. A NotReady node carries
/// `node.kubernetes.io/not-ready:NoSchedule` (see [`NodeState::taints`]).
pub fn taint_toleration(node: &NodeState, pod: &Incoming) -> Result<(), Rejection> {
    match first_untolerated(&node.taints, pod.tolerations()) {
        None => Ok(()),
        Some(t) => Err(Rejection::unresolvable(Reason::UntoleratedTaint {
            key: t.key.clone(),
            value: t.value.clone().unwrap_or_default(),
        })),
    }
}

/// NodeAffinity: `nodeSelector` AND required node affinity (terms ORed, expressions and fields
/// within a term ANDed).
pub fn node_affinity(node: &NodeState, pod: &Incoming) -> Result<(), Rejection> {
    if pod.node_affinity.matches(node.name(), node.labels()) {
        Ok(())
    } else {
        Err(Rejection::unresolvable(Reason::NodeAffinity))
    }
}

/// NodeResourcesFit (`fitsRequest`): pod count against allocatable `pods`; then, only for
/// resources the pod requests (> 0), request > allocatable − requested is insufficient. CPU in
/// millicores, the rest in units; an extended resource the node does not advertise has 0
/// allocatable. Unresolvable when a request exceeds the node's whole allocatable.
pub fn node_resources_fit(node: &NodeState, pod: &Incoming) -> Result<(), Rejection> {
    let mut reasons = Vec::new();
    let mut unresolvable = false;
    if node.pods.len() as i128 + 1 > node.allocatable.pods {
        reasons.push(Reason::TooManyPods);
    }
    let req = &pod.info.requests;
    let alloc = &node.allocatable;
    let used = &node.requested;
    let mut check = |name: &str, want: i128, alloc: i128, used: i128| {
        if want > 0 && want > alloc - used {
            reasons.push(Reason::Insufficient(name.to_string()));
            unresolvable |= want > alloc;
        }
    };
    check("cpu", req.milli_cpu, alloc.milli_cpu, used.milli_cpu);
    check("memory", req.memory, alloc.memory, used.memory);
    check(
        "ephemeral-storage",
        req.ephemeral_storage,
        alloc.ephemeral_storage,
        used.ephemeral_storage,
    );
    for (name, &want) in &req.scalar {
        check(name, want, alloc.scalar(name), used.scalar(name));
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Rejection {
            reasons,
            unresolvable,
        })
    }
}

/// PodTopologySpread's PreFilter result for the `DoNotSchedule` constraints: matching pods per
/// topology domain and the global minimum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpreadState {
    /// Per constraint: domain value → matching pods.
    pub counts: Vec<FastMap<String, i64>>,
    /// Per constraint: the minimum count over domains (0 with fewer than `minDomains` domains).
    pub min_match: Vec<i64>,
    /// Per constraint: 1 when the incoming pod matches the constraint's own selector.
    pub self_match: Vec<i64>,
}

/// Whether a node counts for a constraint (`matchNodeInclusionPolicies`).
pub(crate) fn node_included(node: &NodeState, pod: &Incoming, c: &SpreadConstraint) -> bool {
    (!c.honor_node_affinity || pod.node_affinity.matches(node.name(), node.labels()))
        && (!c.honor_node_taints || first_untolerated(&node.taints, pod.tolerations()).is_none())
}

/// `countPodsMatchSelector`: pods of namespace `ns` on the node whose labels match; an empty
/// (match-everything) selector counts nothing, as in the scheduler.
pub(crate) fn count_matching(node: &NodeState, c: &SpreadConstraint, ns: &str) -> i64 {
    if c.selector.is_empty() {
        return 0;
    }
    node.pods_in(ns)
        .filter(|p| c.selector.matches(&p.pod.labels))
        .count() as i64
}

/// PodTopologySpread PreFilter (`calPreFilterState`) over all nodes.
pub fn spread_pre_filter(nodes: &[NodeState], pod: &Incoming) -> SpreadState {
    let cs = &pod.hard_spread;
    let mut counts: Vec<FastMap<String, i64>> = vec![FastMap::default(); cs.len()];
    if cs.is_empty() {
        return SpreadState::default();
    }
    let ns = pod.pod().namespace.as_str();
    for node in nodes {
        let labels = node.labels();
        if !cs.iter().all(|c| labels.contains_key(&c.topology_key)) {
            continue;
        }
        for (i, c) in cs.iter().enumerate() {
            if !node_included(node, pod, c) {
                continue;
            }
            let Some(value) = labels.get(&c.topology_key) else {
                continue;
            };
            let n = count_matching(node, c, ns);
            match counts[i].get_mut(value) {
                Some(v) => *v += n,
                None => {
                    counts[i].insert(value.clone(), n);
                }
            }
        }
    }
    let min_match = cs
        .iter()
        .zip(&counts)
        .map(|(c, m)| {
            if (m.len() as i64) < c.min_domains {
                0
            } else {
                m.values().copied().min().unwrap_or(0)
            }
        })
        .collect();
    let self_match = cs
        .iter()
        .map(|c| i64::from(c.selector.matches(&pod.pod().labels)))
        .collect();
    SpreadState {
        counts,
        min_match,
        self_match,
    }
}

/// PodTopologySpread Filter for `whenUnsatisfiable: DoNotSchedule`: a node without a
/// constraint's topology key is rejected (unresolvable); otherwise placing the pod there must
/// keep `matching in its domain + (1 if the pod matches its own selector) − global minimum`
/// within `maxSkew`.
pub fn pod_topology_spread(
    node: &NodeState,
    pod: &Incoming,
    state: &SpreadState,
) -> Result<(), Rejection> {
    for (i, c) in pod.hard_spread.iter().enumerate() {
        let Some(value) = node.labels().get(&c.topology_key) else {
            return Err(Rejection::unresolvable(Reason::TopologySpreadMissingLabel));
        };
        let match_num = state.counts[i].get(value).copied().unwrap_or(0);
        if match_num + state.self_match[i] - state.min_match[i] > c.max_skew {
            return Err(Rejection::unschedulable(Reason::TopologySpread));
        }
    }
    Ok(())
}

/// `topologyToMatchedTermCount`: topology key → value → matching pods (entries are ≥ 1).
pub type TopologyCounts = FastMap<String, FastMap<String, i64>>;

fn count_at(m: &TopologyCounts, key: &str, value: &str) -> i64 {
    m.get(key).and_then(|v| v.get(value)).copied().unwrap_or(0)
}

/// InterPodAffinity's PreFilter result: matching pods per `(topologyKey, value)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AffinityState {
    /// Existing pods whose required anti-affinity terms match the incoming pod, by the term's
    /// topology pair on the existing pod's node.
    pub existing_anti_affinity: TopologyCounts,
    /// Existing pods matching all of the incoming pod's required affinity terms.
    pub affinity: TopologyCounts,
    /// Existing pods matching one of the incoming pod's required anti-affinity terms.
    pub anti_affinity: TopologyCounts,
}

fn bump(m: &mut TopologyCounts, node: &NodeState, key: &str) {
    if let Some(v) = node.labels().get(key) {
        let values = match m.get_mut(key) {
            Some(values) => values,
            None => m.entry(key.to_string()).or_default(),
        };
        match values.get_mut(v) {
            Some(n) => *n += 1,
            None => {
                values.insert(v.clone(), 1);
            }
        }
    }
}

/// InterPodAffinity PreFilter over all nodes.
pub fn affinity_pre_filter(
    nodes: &[NodeState],
    pod: &Incoming,
    namespaces: &Namespaces,
) -> AffinityState {
    let mut s = AffinityState::default();
    let (ns, labels) = (&pod.pod().namespace, &pod.pod().labels);
    for node in nodes {
        for t in node.anti_affinity_terms_for(ns) {
            if t.matches(ns, labels, namespaces) {
                bump(&mut s.existing_anti_affinity, node, &t.topology_key);
            }
        }
    }
    let affinity = pod.info.required_affinity();
    let anti = pod.info.required_anti_affinity();
    if affinity.is_empty() && anti.is_empty() {
        return s;
    }
    let mut scope = NamespaceScope::of(affinity.iter().chain(anti), namespaces);
    for node in nodes {
        node.visit_pods(&mut scope, |existing| {
            let p = &existing.pod;
            if !affinity.is_empty()
                && affinity
                    .iter()
                    .all(|t| t.matches(&p.namespace, &p.labels, namespaces))
            {
                for t in affinity {
                    bump(&mut s.affinity, node, &t.topology_key);
                }
            }
            for t in anti {
                if t.matches(&p.namespace, &p.labels, namespaces) {
                    bump(&mut s.anti_affinity, node, &t.topology_key);
                }
            }
        });
    }
    s
}

/// InterPodAffinity Filter: required affinity (every term's topology domain on this node holds
/// a pod matching all terms; or no such pod exists anywhere and the pod matches its own terms,
/// so the first pod of a self-affine group can land), required anti-affinity (no matching pod
/// in the term's domain), and existing pods' anti-affinity against the incoming pod.
pub fn inter_pod_affinity(
    node: &NodeState,
    pod: &Incoming,
    state: &AffinityState,
    namespaces: &Namespaces,
) -> Result<(), Rejection> {
    let labels = node.labels();
    // satisfyPodAffinity
    let terms = pod.info.required_affinity();
    let mut pods_exist = true;
    for t in terms {
        match labels.get(&t.topology_key) {
            None => return Err(Rejection::unresolvable(Reason::PodAffinity)),
            Some(v) => {
                if count_at(&state.affinity, &t.topology_key, v) <= 0 {
                    pods_exist = false;
                }
            }
        }
    }
    if !pods_exist {
        let p = pod.pod();
        let self_match = terms
            .iter()
            .all(|t| t.matches(&p.namespace, &p.labels, namespaces));
        if !(state.affinity.is_empty() && self_match) {
            return Err(Rejection::unresolvable(Reason::PodAffinity));
        }
    }
    // satisfyPodAntiAffinity
    if !state.anti_affinity.is_empty() {
        for t in pod.info.required_anti_affinity() {
            if let Some(v) = labels.get(&t.topology_key)
                && count_at(&state.anti_affinity, &t.topology_key, v) > 0
            {
                return Err(Rejection::unschedulable(Reason::PodAntiAffinity));
            }
        }
    }
    // satisfyExistingPodsAntiAffinity
    for (k, values) in &state.existing_anti_affinity {
        if let Some(v) = labels.get(k)
            && values.get(v).is_some_and(|&n| n > 0)
        {
            return Err(Rejection::unschedulable(Reason::ExistingPodsAntiAffinity));
        }
    }
    Ok(())
}

/// What PreFilter computed for one pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleState {
    /// NodeAffinity's PreFilter result: only these nodes are evaluated (`None`: all).
    pub node_names: Option<BTreeSet<String>>,
    pub spread: SpreadState,
    pub affinity: AffinityState,
}

/// NodeAffinity's PreFilter rejection `errReasonConflict`: the `matchFields` of the required
/// terms name no node in common.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("pod affinity terms conflict")]
pub struct AffinityConflict;

/// The PreFilter extension point. `Err` is a PreFilter rejection (every node fails).
pub fn pre_filter(
    nodes: &[NodeState],
    pod: &Incoming,
    namespaces: &Namespaces,
) -> Result<CycleState, AffinityConflict> {
    let node_names = pod.node_affinity.node_names();
    if node_names.as_ref().is_some_and(BTreeSet::is_empty) {
        return Err(AffinityConflict);
    }
    Ok(CycleState {
        node_names,
        spread: spread_pre_filter(nodes, pod),
        affinity: affinity_pre_filter(nodes, pod, namespaces),
    })
}

/// `RunFilterPlugins`: the filters in the default profile's order; the first rejection wins.
pub fn run_filters(
    node: &NodeState,
    pod: &Incoming,
    state: &CycleState,
    namespaces: &Namespaces,
) -> Result<(), Rejection> {
    node_unschedulable(node, pod)?;
    node_name(node, pod)?;
    taint_toleration(node, pod)?;
    node_affinity(node, pod)?;
    node_resources_fit(node, pod)?;
    if !pod.hard_spread.is_empty() {
        pod_topology_spread(node, pod, &state.spread)?;
    }
    inter_pod_affinity(node, pod, &state.affinity, namespaces)
}
