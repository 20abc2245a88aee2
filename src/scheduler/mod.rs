//! The kube-scheduler model: place pods on a copy of the cluster as kube-scheduler v1.34's
//! default profile would, and say why when it cannot — in the scheduler's own words. Pure; the
//! release it is used for is `preflight`'s business.
//!
//! ```text
//! cluster::Cluster ──► NodeState::from_cluster ──► place(nodes, pod) per pod, in order
//!                       (pods bound, requests summed,   PreFilter ─► Filter (filters) ─► Score (score)
//!                        per-node indexes)              ─► bind: the pod joins its node's state
//! ```
//!
//! - [`filters`]: `NodeState` and the Filter plugins (NodeUnschedulable, NodeName,
//!   TaintToleration, NodeAffinity, NodeResourcesFit, PodTopologySpread `DoNotSchedule`,
//!   InterPodAffinity) and PreFilter state.
//! - [`fit_error`]: the filters' reasons and [`FitError`], the `0/N nodes are available: ...`
//!   aggregation.
//! - [`score`]: the Score plugins with the default weights, and a deterministic `selectHost`.
//! - [`terms`] and [`labels`]: pods, node selectors and affinity terms parsed once, with the API
//!   server's and scheduler's defaulting (`matchLabelKeys` merged, `minDomains` 1,
//!   `nodeAffinityPolicy: Honor`, `nodeTaintsPolicy: Ignore`, namespaces defaulting to the pod's
//!   own). Label selectors themselves are `workload::selector`'s.
//!
//! # What the answer means
//!
//! A placement is *a* node the default scheduler could choose (scores tie-break by node name;
//! the scheduler breaks ties at random and scores only a sample of nodes on large clusters), so
//! "fits" is exact for the modelled filters while the node named is one valid choice. "Does not
//! fit" carries the message the scheduler would put in the `FailedScheduling` event:
//! [`FitError::message`] is the filter part, [`FitError::full_message`] adds the preemption part
//! assuming no PriorityClasses (no pod may preempt another).
//!
//! The caller is expected to have applied admission already: effective requests
//! (`Pod::requests`, incl. RuntimeClass overhead and LimitRange defaults), and a RuntimeClass's
//! `scheduling.nodeSelector`/`tolerations` merged into the pod. Pods with another
//! `schedulerName` are placed as if the default scheduler handled them.
//!
//! Cost: PreFilter visits every node once and only the pods it needs (pods of the incoming
//! pod's namespace for topology spread, pods in namespaces the affinity terms can select, pods
//! carrying affinity terms), so a placement is O(nodes + relevant pods), not O(all pods).

pub mod filters;
pub mod fit_error;
pub mod labels;
pub mod score;
pub mod terms;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;

pub use filters::NodeState;
pub use fit_error::{FitError, Reason, Rejection, TaintWording, UNTOLERATED_TAINTS};
pub use terms::{Incoming, Namespaces};

use crate::cluster::Pod;

/// Where a pod went, or why it could not go anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The node the pod was bound to.
    pub node: Option<String>,
    /// Why no node fits (`None` when placed).
    pub failure: Option<FitError>,
    /// How many nodes passed every filter.
    pub feasible_nodes: usize,
}

impl Placement {
    /// The scheduler's `0/N nodes are available: ...` line (without the preemption part), when
    /// the pod could not be placed.
    pub fn message(&self) -> Option<String> {
        self.failure.as_ref().map(FitError::message)
    }

    /// Reason → number of nodes rejected for it (empty when placed).
    pub fn reasons(&self) -> BTreeMap<String, usize> {
        self.failure
            .as_ref()
            .map(|f| f.reasons.clone())
            .unwrap_or_default()
    }

    fn failed(failure: FitError) -> Placement {
        Placement {
            node: None,
            failure: Some(failure),
            feasible_nodes: 0,
        }
    }
}

/// Places `pod` as the default scheduler would and, when it fits, binds it to the chosen node
/// (so later pods see it). Namespaces are known only by their name label (see [`Namespaces`]).
pub fn place(nodes: &mut [NodeState], pod: &Pod) -> Placement {
    place_with(nodes, pod, &Namespaces::default())
}

/// [`place`] with the labels of the cluster's namespaces, for `namespaceSelector` terms.
pub fn place_with(nodes: &mut [NodeState], pod: &Pod, namespaces: &Namespaces) -> Placement {
    place_from(nodes, pod, namespaces, &mut Cursor::default())
}

/// What the scheduler carries from one pod to the next: where its search for feasible nodes
/// starts (`nextStartNodeIndex`), so successive pods look at different nodes first.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    next_start_node_index: usize,
}

/// [`place_with`] as one step of a scheduling sequence: on large clusters the search for
/// feasible nodes stops, as the scheduler's does, once [`num_feasible_nodes_to_find`] are found,
/// starting where the previous pod's search ended. A pod that fits nowhere is still checked
/// against every node, so its message counts them all.
pub fn place_from(
    nodes: &mut [NodeState],
    pod: &Pod,
    namespaces: &Namespaces,
    cursor: &mut Cursor,
) -> Placement {
    let n = nodes.len();
    if n == 0 {
        return Placement::failed(FitError::new(0));
    }
    let incoming = match Incoming::new(pod) {
        Ok(p) => p,
        Err(e) => return Placement::failed(FitError::pre_filter(n, format!("invalid pod: {e}"))),
    };
    let (feasible, failure) = search_feasible(nodes, &incoming, namespaces, Some(cursor));
    if feasible.is_empty() {
        return Placement::failed(failure);
    }
    let chosen = if feasible.len() == 1 {
        feasible[0]
    } else {
        let scores = score::score_nodes(nodes, &feasible, &incoming, namespaces);
        score::select_host(nodes, &scores).expect("feasible nodes were scored")
    };
    let node = nodes[chosen].name().to_string();
    nodes[chosen].add_pod_info(incoming.info);
    Placement {
        node: Some(node),
        failure: None,
        feasible_nodes: feasible.len(),
    }
}

/// `numFeasibleNodesToFind` with the default `percentageOfNodesToScore` (adaptive): every node
/// below 100 nodes, else 50% minus 1% per 125 nodes, at least 5% and at least 100 nodes.
pub fn num_feasible_nodes_to_find(num_all_nodes: usize) -> usize {
    const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
    const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let percentage = 50usize
        .saturating_sub(num_all_nodes / 125)
        .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    (num_all_nodes * percentage / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// PreFilter and Filter over all nodes (`findNodesThatFitPod`): indexes of the feasible nodes,
/// and the diagnosis of the others.
pub fn find_feasible(
    nodes: &[NodeState],
    pod: &Incoming,
    namespaces: &Namespaces,
) -> (Vec<usize>, FitError) {
    search_feasible(nodes, pod, namespaces, None)
}

/// `findNodesThatPassFilters`: with a cursor, the search starts at its index and stops at
/// [`num_feasible_nodes_to_find`] feasible nodes, and the cursor moves past the nodes processed.
fn search_feasible(
    nodes: &[NodeState],
    pod: &Incoming,
    namespaces: &Namespaces,
    cursor: Option<&mut Cursor>,
) -> (Vec<usize>, FitError) {
    let mut diagnosis = FitError::new(nodes.len());
    let state = match filters::pre_filter(nodes, pod, namespaces) {
        Ok(s) => s,
        Err(e) => return (Vec::new(), FitError::pre_filter(nodes.len(), e.to_string())),
    };
    // A PreFilter result (matchFields on metadata.name) narrows the nodes searched.
    let candidates: Vec<usize> = match &state.node_names {
        Some(names) => (0..nodes.len())
            .filter(|&i| names.contains(nodes[i].name()))
            .collect(),
        None => (0..nodes.len()).collect(),
    };
    diagnosis.record_excluded(
        nodes.len() - candidates.len(),
        Reason::ExcludedByPreFilter("NodeAffinity".into()),
    );
    let total = candidates.len();
    let (start, to_find) = match &cursor {
        Some(c) if total > 0 => (
            c.next_start_node_index % total,
            num_feasible_nodes_to_find(total),
        ),
        _ => (0, total),
    };
    let mut feasible = Vec::new();
    let mut processed = 0;
    for k in 0..total {
        if feasible.len() == to_find {
            break;
        }
        let i = candidates[(start + k) % total];
        processed += 1;
        match filters::run_filters(&nodes[i], pod, &state, namespaces) {
            Ok(()) => feasible.push(i),
            Err(r) => diagnosis.record(&r),
        }
    }
    if let Some(c) = cursor
        && total > 0
    {
        c.next_start_node_index = (start + processed) % total;
    }
    (feasible, diagnosis)
}
