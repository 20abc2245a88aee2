//! kube-scheduler's Score extension point (v1.34 default profile) over the feasible nodes.
//!
//! Each plugin scores a node 0–100 after its NormalizeScore; the total is the weighted sum with
//! the default profile's weights ([`WEIGHTS`]):
//!
//! | plugin | weight | score |
//! |---|---|---|
//! | TaintToleration | 3 | intolerable `PreferNoSchedule` taints, normalized and reversed |
//! | NodeAffinity | 2 | summed weights of matching preferred terms, normalized |
//! | NodeResourcesFit | 1 | `LeastAllocated` over cpu and memory (weights 1), non-zero requests |
//! | NodeResourcesBalancedAllocation | 1 | 100 × (1 − std of cpu/memory fractions) |
//! | PodTopologySpread | 2 | `ScheduleAnyway` constraints, fewer matching pods scores higher |
//! | InterPodAffinity | 2 | preferred terms of the pod, and existing pods' terms against it |
//! | ImageLocality | 1 | always 0 here: the model has no node images |
//!
//! The arithmetic is the plugins': integers everywhere they use integers, and `f64` exactly
//! where Go uses `float64` (BalancedAllocation's fractions, PodTopologySpread's `log` weights,
//! InterPodAffinity's normalization), in the same order of operations, so scores match Go's
//! bit for bit except where Go's `math.Log` and the platform `ln` differ in the last ulp.
//!
//! # What differs from the real scheduler
//!
//! - **Ties**: the scheduler picks uniformly at random among the top-scored nodes; we take the
//!   first by node name, so the preflight's answer is *a valid placement*, not *the* node the
//!   scheduler will pick.
//! - **All feasible nodes are scored.** On large clusters the scheduler stops filtering after
//!   `percentageOfNodesToScore` feasible nodes (adaptive: 50% − nodes/125, at least 5% and 100
//!   nodes), starting where the previous cycle stopped.
//! - **Non-zero requests are per pod**: the scheduler adds 100m CPU / 200 MiB for each
//!   *container* without a request; the model only has pod totals, so a pod with a zero CPU or
//!   memory total counts one default.
//! - **No default topology spreading**: without `topologySpreadConstraints` the scheduler
//!   spreads pods of the same Service/ReplicaSet/StatefulSet (hostname skew 3, zone skew 5,
//!   `ScheduleAnyway`); the model knows no owners or Services, so that score is not applied.
//! - ImageLocality is 0 everywhere (no image lists in the model).

use super::filters::{NamespaceScope, NodeState, count_matching, node_included};
use super::labels::FastMap;
use super::terms::{Incoming, Namespaces, tolerates};
use crate::cluster::Toleration;

/// `framework.MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;
/// `v1.LabelHostname`.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// `HardPodAffinityWeight` default of `InterPodAffinityArgs`.
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// Plugin weights of the v1.34 default profile.
pub struct Weights {
    pub taint_toleration: i64,
    pub node_affinity: i64,
    pub node_resources_fit: i64,
    pub pod_topology_spread: i64,
    pub inter_pod_affinity: i64,
    pub balanced_allocation: i64,
    pub image_locality: i64,
}

pub const WEIGHTS: Weights = Weights {
    taint_toleration: 3,
    node_affinity: 2,
    node_resources_fit: 1,
    pod_topology_spread: 2,
    inter_pod_affinity: 2,
    balanced_allocation: 1,
    image_locality: 1,
};

/// One feasible node's normalized plugin scores (0–100 each) and weighted total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeScore {
    /// Index into the node slice.
    pub node: usize,
    pub taint_toleration: i64,
    pub node_affinity: i64,
    pub node_resources_fit: i64,
    pub balanced_allocation: i64,
    pub pod_topology_spread: i64,
    pub inter_pod_affinity: i64,
    pub total: i64,
}

/// `helper.DefaultNormalizeScore`: scale to 0–100 by the maximum (integer division), optionally
/// reversed; all zeros stay 0 (or become 100 when reversed).
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0).max(0);
    if max == 0 {
        if reverse {
            scores.fill(MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores {
        let v = MAX_NODE_SCORE * *s / max;
        *s = if reverse { MAX_NODE_SCORE - v } else { v };
    }
}

/// TaintToleration's raw score: the node's `PreferNoSchedule` taints not tolerated by the pod's
/// tolerations with an empty or `PreferNoSchedule` effect.
pub fn intolerable_prefer_no_schedule(node: &NodeState, tolerations: &[Toleration]) -> i64 {
    let relevant = || {
        tolerations.iter().filter(|t| {
            matches!(
                t.effect.as_deref(),
                None | Some("") | Some("PreferNoSchedule")
            )
        })
    };
    node.taints()
        .iter()
        .filter(|taint| {
            taint.effect == "PreferNoSchedule" && !relevant().any(|t| tolerates(t, taint))
        })
        .count() as i64
}

/// NodeAffinity's raw score: the summed weights of the preferred terms the node matches.
pub fn preferred_node_affinity(node: &NodeState, pod: &Incoming) -> i64 {
    pod.preferred_node_affinity
        .iter()
        .filter(|(_, t)| t.matches(node.name(), node.labels()))
        .map(|(w, _)| w)
        .sum()
}

/// `leastRequestedScore`.
fn least_requested(requested: i128, capacity: i128) -> i128 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * i128::from(MAX_NODE_SCORE) / capacity
}

/// NodeResourcesFit `LeastAllocated` (cpu and memory, weight 1 each): the mean over resources
/// the node has of `(allocatable − requested) × 100 / allocatable`, with non-zero requests of
/// the node's pods plus this pod.
pub fn least_allocated(node: &NodeState, pod: &Incoming) -> i64 {
    let alloc = node.allocatable();
    let (cpu, mem) = node.non_zero_requested();
    let (pcpu, pmem) = pod.info.non_zero;
    let mut sum = 0i128;
    let mut weights = 0i128;
    for (capacity, requested) in [(alloc.milli_cpu, cpu + pcpu), (alloc.memory, mem + pmem)] {
        if capacity == 0 {
            continue;
        }
        sum += least_requested(requested, capacity);
        weights += 1;
    }
    if weights == 0 {
        0
    } else {
        (sum / weights) as i64
    }
}

/// NodeResourcesBalancedAllocation: `(1 − std) × 100` of the cpu and memory fractions
/// (requested incl. this pod / allocatable, capped at 1), in `f64` as Go computes it. `None`
/// when the pod requests neither (the plugin skips best-effort pods).
pub fn balanced_allocation(node: &NodeState, pod: &Incoming) -> Option<i64> {
    let req = &pod.info.requests;
    if req.milli_cpu == 0 && req.memory == 0 {
        return None;
    }
    let alloc = node.allocatable();
    let used = node.requested();
    let mut fractions = Vec::with_capacity(2);
    for (capacity, requested) in [
        (alloc.milli_cpu, used.milli_cpu + req.milli_cpu),
        (alloc.memory, used.memory + req.memory),
    ] {
        if capacity == 0 {
            continue;
        }
        let f = requested as i64 as f64 / capacity as i64 as f64;
        fractions.push(f.min(1.0));
    }
    let std = if fractions.len() == 2 {
        ((fractions[0] - fractions[1]) / 2.0).abs()
    } else {
        0.0
    };
    Some(((1.0 - std) * MAX_NODE_SCORE as f64) as i64)
}

/// PodTopologySpread scoring for `ScheduleAnyway` constraints (`PreScore`, `Score`,
/// `NormalizeScore`): normalized scores for `feasible`, or `None` when the pod has none.
pub fn topology_spread_scores(
    nodes: &[NodeState],
    feasible: &[usize],
    pod: &Incoming,
) -> Option<Vec<i64>> {
    let cs = &pod.soft_spread;
    if cs.is_empty() {
        return None;
    }
    let has_all_keys = |n: &NodeState| cs.iter().all(|c| n.labels().contains_key(&c.topology_key));
    let ignored: Vec<bool> = feasible.iter().map(|&i| !has_all_keys(&nodes[i])).collect();
    let ignored_count = ignored.iter().filter(|&&b| b).count();
    let mut counts: Vec<FastMap<&str, i64>> = vec![FastMap::default(); cs.len()];
    for (&i, _) in feasible.iter().zip(&ignored).filter(|(_, ign)| !**ign) {
        for (ci, c) in cs.iter().enumerate() {
            if c.topology_key != LABEL_HOSTNAME {
                counts[ci]
                    .entry(nodes[i].labels()[&c.topology_key].as_str())
                    .or_insert(0);
            }
        }
    }
    let weights: Vec<f64> = cs
        .iter()
        .zip(&counts)
        .map(|(c, m)| {
            let size = if c.topology_key == LABEL_HOSTNAME {
                feasible.len() - ignored_count
            } else {
                m.len()
            };
            ((size + 2) as f64).ln()
        })
        .collect();
    let ns = pod.pod().namespace.as_str();
    for node in nodes {
        if !has_all_keys(node) {
            continue;
        }
        for (ci, c) in cs.iter().enumerate() {
            if c.topology_key == LABEL_HOSTNAME || !node_included(node, pod, c) {
                continue;
            }
            if let Some(n) = counts[ci].get_mut(node.labels()[&c.topology_key].as_str()) {
                *n += count_matching(node, c, ns);
            }
        }
    }
    let raw: Vec<Option<i64>> = feasible
        .iter()
        .zip(&ignored)
        .map(|(&i, &ign)| {
            if ign {
                return None;
            }
            let node = &nodes[i];
            let mut score = 0f64;
            for (ci, c) in cs.iter().enumerate() {
                if let Some(v) = node.labels().get(&c.topology_key) {
                    let cnt = if c.topology_key == LABEL_HOSTNAME {
                        count_matching(node, c, ns)
                    } else {
                        counts[ci].get(v.as_str()).copied().unwrap_or(0)
                    };
                    score += cnt as f64 * weights[ci] + (c.max_skew - 1) as f64;
                }
            }
            Some(score.round() as i64)
        })
        .collect();
    let min = raw.iter().flatten().copied().min().unwrap_or(i64::MAX);
    let max = raw.iter().flatten().copied().max().unwrap_or(0).max(0);
    Some(
        raw.into_iter()
            .map(|s| match s {
                None => 0,
                Some(_) if max == 0 => MAX_NODE_SCORE,
                Some(s) => MAX_NODE_SCORE * (max + min - s) / max,
            })
            .collect(),
    )
}

/// InterPodAffinity scoring (`PreScore`, `Score`, `NormalizeScore`): the incoming pod's
/// preferred (anti-)affinity against existing pods, and existing pods' required affinity
/// (weight 1) and preferred (anti-)affinity against the incoming pod, summed per topology
/// domain. `None` when no term matched anywhere (the plugin skips).
pub fn inter_pod_affinity_scores(
    nodes: &[NodeState],
    feasible: &[usize],
    pod: &Incoming,
    namespaces: &Namespaces,
) -> Option<Vec<i64>> {
    let incoming = pod.affinity();
    let (pref, pref_anti) = match incoming {
        Some(a) => (&a.preferred_affinity[..], &a.preferred_anti_affinity[..]),
        None => (&[][..], &[][..]),
    };
    let has_constraints = !pref.is_empty() || !pref_anti.is_empty();
    let (ns, labels) = (pod.pod().namespace.as_str(), &pod.pod().labels);
    let mut topo: FastMap<String, FastMap<String, i64>> = FastMap::default();
    let mut any = false;
    let mut add = |node: &NodeState, key: &str, w: i64| {
        if let Some(v) = node.labels().get(key) {
            *topo
                .entry(key.to_string())
                .or_default()
                .entry(v.clone())
                .or_default() += w;
            any = true;
        }
    };
    let mut scope = NamespaceScope::of(pref.iter().chain(pref_anti).map(|(_, t)| t), namespaces);
    for node in nodes {
        if node.labels().is_empty() {
            continue;
        }
        // Existing pods' terms against the incoming pod.
        for existing in node.pods_with_scoring_terms() {
            let Some(a) = existing.affinity.as_deref() else {
                continue;
            };
            for t in &a.required_affinity {
                if t.matches(ns, labels, namespaces) {
                    add(node, &t.topology_key, HARD_POD_AFFINITY_WEIGHT);
                }
            }
            for (w, t) in &a.preferred_affinity {
                if t.matches(ns, labels, namespaces) {
                    add(node, &t.topology_key, *w);
                }
            }
            for (w, t) in &a.preferred_anti_affinity {
                if t.matches(ns, labels, namespaces) {
                    add(node, &t.topology_key, -*w);
                }
            }
        }
        if !has_constraints {
            continue;
        }
        // The incoming pod's preferred terms against every existing pod they can select.
        node.visit_pods(&mut scope, |existing| {
            let p = &existing.pod;
            for (w, t) in pref {
                if t.matches(&p.namespace, &p.labels, namespaces) {
                    add(node, &t.topology_key, *w);
                }
            }
            for (w, t) in pref_anti {
                if t.matches(&p.namespace, &p.labels, namespaces) {
                    add(node, &t.topology_key, -*w);
                }
            }
        });
    }
    if !any {
        return None;
    }
    let raw: Vec<i64> = feasible
        .iter()
        .map(|&i| {
            let node = &nodes[i];
            topo.iter()
                .filter_map(|(k, values)| node.labels().get(k).and_then(|v| values.get(v)))
                .sum()
        })
        .collect();
    let min = raw.iter().copied().min().unwrap_or(0);
    let max = raw.iter().copied().max().unwrap_or(0);
    let diff = max - min;
    Some(
        raw.into_iter()
            .map(|s| {
                if diff > 0 {
                    (MAX_NODE_SCORE as f64 * ((s - min) as f64 / diff as f64)) as i64
                } else {
                    0
                }
            })
            .collect(),
    )
}

/// Scores every feasible node (`prioritizeNodes`).
pub fn score_nodes(
    nodes: &[NodeState],
    feasible: &[usize],
    pod: &Incoming,
    namespaces: &Namespaces,
) -> Vec<NodeScore> {
    let mut taints: Vec<i64> = feasible
        .iter()
        .map(|&i| intolerable_prefer_no_schedule(&nodes[i], pod.tolerations()))
        .collect();
    default_normalize(&mut taints, true);
    let mut affinity: Vec<i64> = if pod.preferred_node_affinity.is_empty() {
        vec![0; feasible.len()]
    } else {
        feasible
            .iter()
            .map(|&i| preferred_node_affinity(&nodes[i], pod))
            .collect()
    };
    default_normalize(&mut affinity, false);
    let spread = topology_spread_scores(nodes, feasible, pod);
    let inter = inter_pod_affinity_scores(nodes, feasible, pod, namespaces);
    feasible
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let node = &nodes[i];
            let mut s = NodeScore {
                node: i,
                taint_toleration: taints[k],
                node_affinity: affinity[k],
                node_resources_fit: least_allocated(node, pod),
                balanced_allocation: balanced_allocation(node, pod).unwrap_or(0),
                pod_topology_spread: spread.as_ref().map_or(0, |v| v[k]),
                inter_pod_affinity: inter.as_ref().map_or(0, |v| v[k]),
                total: 0,
            };
            s.total = WEIGHTS.taint_toleration * s.taint_toleration
                + WEIGHTS.node_affinity * s.node_affinity
                + WEIGHTS.node_resources_fit * s.node_resources_fit
                + WEIGHTS.balanced_allocation * s.balanced_allocation
                + WEIGHTS.pod_topology_spread * s.pod_topology_spread
                + WEIGHTS.inter_pod_affinity * s.inter_pod_affinity;
            s
        })
        .collect()
}

/// `selectHost`, deterministically: the highest total, ties to the smallest node name (the
/// scheduler picks among ties at random). Returns an index into `nodes`.
pub fn select_host(nodes: &[NodeState], scores: &[NodeScore]) -> Option<usize> {
    scores
        .iter()
        .min_by(|a, b| {
            b.total
                .cmp(&a.total)
                .then_with(|| nodes[a.node].name().cmp(nodes[b.node].name()))
        })
        .map(|s| s.node)
}
