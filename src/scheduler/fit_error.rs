//! What a Filter plugin says about a node ([`Reason`], [`Rejection`]) and how the scheduler
//! aggregates the rejections of every node into one `FitError`: the `0/N nodes are available:
//! ...` line of the `FailedScheduling` event, its histogram sorted as Go sorts it, the taint
//! wording of the cluster's version and the DefaultPreemption part.

use std::collections::BTreeMap;
use std::fmt;

/// Why a node was rejected, shown as the scheduler's own status reasons (each variant's plugin
/// in its comment). Derived as an error only for its `Display`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, thiserror::Error)]
pub enum Reason {
    #[error("node(s) were unschedulable")] // NodeUnschedulable
    Unschedulable,
    #[error("node(s) didn't match the requested node name")] // NodeName
    NodeName,
    #[error("node(s) had untolerated taint {{{key}: {value}}}")] // TaintToleration
    UntoleratedTaint { key: String, value: String },
    #[error("node(s) didn't match Pod's node affinity/selector")] // NodeAffinity
    NodeAffinity,
    #[error("Too many pods")] // NodeResourcesFit
    TooManyPods,
    #[error("Insufficient {0}")] // NodeResourcesFit
    Insufficient(String),
    #[error("node(s) didn't match pod topology spread constraints")] // PodTopologySpread
    TopologySpread,
    /// PodTopologySpread, a node without the topology key.
    #[error("node(s) didn't match pod topology spread constraints (missing required label)")]
    TopologySpreadMissingLabel,
    #[error("node(s) didn't match pod affinity rules")] // InterPodAffinity
    PodAffinity,
    #[error("node(s) didn't match pod anti-affinity rules")] // InterPodAffinity
    PodAntiAffinity,
    #[error("node(s) didn't satisfy existing pods anti-affinity rules")] // InterPodAffinity
    ExistingPodsAntiAffinity,
    /// A node a PreFilter result excluded (NodeAffinity `matchFields metadata.name`).
    #[error("node(s) didn't satisfy plugin(s) [{0}]")]
    ExcludedByPreFilter(String),
}

/// A filter's verdict on a node: the reasons of one plugin and whether the status is
/// `UnschedulableAndUnresolvable` (preemption cannot help) or `Unschedulable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reasons: Vec<Reason>,
    pub unresolvable: bool,
}

impl Rejection {
    pub(super) fn unresolvable(reason: Reason) -> Rejection {
        Rejection {
            reasons: vec![reason],
            unresolvable: true,
        }
    }

    pub(super) fn unschedulable(reason: Reason) -> Rejection {
        Rejection {
            reasons: vec![reason],
            unresolvable: false,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.reasons.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// `ErrNoNodesAvailable`.
pub const NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";

/// Why no node fits (`framework.FitError`): the per-reason node counts of the Filter phase,
/// or the PreFilter message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FitError {
    pub num_all_nodes: usize,
    /// A PreFilter rejection (every node fails with it), or an invalid pod spec.
    pub pre_filter_msg: Option<String>,
    /// Reason → number of nodes that gave it. A node rejected by NodeResourcesFit may count
    /// for several reasons.
    pub reasons: BTreeMap<String, usize>,
    /// Nodes rejected with `Unschedulable` (not `...AndUnresolvable`): where preemption would
    /// look for victims.
    pub resolvable_nodes: usize,
    /// TaintToleration's rejections by taint `(key, value)`: what [`FitError::word_taints`] keeps
    /// when the message no longer names them.
    pub untolerated_taints: BTreeMap<(String, String), usize>,
}

/// `TaintToleration`'s reason since kube-scheduler v1.34.2 (kubernetes#134740, cherry-picked to
/// v1.34 as #135023): one count for every untolerated taint, no keys or values.
pub const UNTOLERATED_TAINTS: &str = "node(s) had untolerated taint(s)";

/// How the cluster's kube-scheduler words a rejection by taint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaintWording {
    /// `node(s) had untolerated taint {key: value}`, one reason per taint: up to v1.34.1 (and
    /// every v1.33 and older patch), and when the server version is unknown (it names the taint).
    PerTaint,
    /// [`UNTOLERATED_TAINTS`]: v1.34.2 and later.
    Folded,
}

impl TaintWording {
    /// The wording of kube-scheduler `server_version` (`v1.34.4`, `v1.31.6+k3s1`, `v1.30.2-eks-…`).
    pub fn for_server_version(server_version: Option<&str>) -> TaintWording {
        let Some(v) = server_version else {
            return TaintWording::PerTaint;
        };
        let mut parts = v.trim_start_matches('v').split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u64>().ok()
        });
        match (
            parts.next().flatten(),
            parts.next().flatten(),
            parts.next().flatten(),
        ) {
            (Some(major), Some(minor), patch)
                if (major, minor, patch.unwrap_or(0)) >= (1, 34, 2) =>
            {
                TaintWording::Folded
            }
            _ => TaintWording::PerTaint,
        }
    }
}

impl FitError {
    pub fn new(num_all_nodes: usize) -> FitError {
        FitError {
            num_all_nodes,
            ..FitError::default()
        }
    }

    pub fn pre_filter(num_all_nodes: usize, msg: String) -> FitError {
        FitError {
            num_all_nodes,
            pre_filter_msg: Some(msg),
            ..FitError::default()
        }
    }

    /// Counts one rejected node.
    pub fn record(&mut self, rejection: &Rejection) {
        for r in &rejection.reasons {
            *self.reasons.entry(r.to_string()).or_default() += 1;
            if let Reason::UntoleratedTaint { key, value } = r {
                *self
                    .untolerated_taints
                    .entry((key.clone(), value.clone()))
                    .or_default() += 1;
            }
        }
        if !rejection.unresolvable {
            self.resolvable_nodes += 1;
        }
    }

    /// Counts `n` nodes a PreFilter result excluded.
    pub fn record_excluded(&mut self, n: usize, reason: Reason) {
        if n > 0 {
            *self.reasons.entry(reason.to_string()).or_default() += n;
        }
    }

    /// Words the taint reasons as `wording` does: [`TaintWording::Folded`] replaces the
    /// per-taint reasons by one [`UNTOLERATED_TAINTS`] count (a node is rejected by its first
    /// untolerated taint only, so the counts add up); `untolerated_taints` keeps the details.
    pub fn word_taints(&mut self, wording: TaintWording) {
        if wording == TaintWording::PerTaint || self.untolerated_taints.is_empty() {
            return;
        }
        let mut folded = 0;
        for ((key, value), n) in &self.untolerated_taints {
            let reason = Reason::UntoleratedTaint {
                key: key.clone(),
                value: value.clone(),
            };
            if self.reasons.remove(&reason.to_string()).is_some() {
                folded += n;
            }
        }
        if folded > 0 {
            *self
                .reasons
                .entry(UNTOLERATED_TAINTS.to_string())
                .or_default() += folded;
        }
    }

    /// `"<count> <reason>"` strings, sorted as the scheduler sorts them: as whole strings, byte
    /// by byte (so `"10 ..."` sorts before `"2 ..."`).
    pub fn histogram(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        v.sort();
        v
    }

    /// `FitError.Error()` without the PostFilter (preemption) part:
    /// `0/6 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.`
    pub fn message(&self) -> String {
        if self.num_all_nodes == 0 {
            return NO_NODES_AVAILABLE.to_string();
        }
        let mut msg = format!("0/{} nodes are available:", self.num_all_nodes);
        if let Some(pre) = &self.pre_filter_msg {
            msg.push_str(&format!(" {pre}."));
        } else {
            let h = self.histogram();
            if !h.is_empty() {
                msg.push_str(&format!(" {}.", h.join(", ")));
            }
        }
        msg
    }

    /// The DefaultPreemption PostFilter message, assuming no pod in the cluster has a lower
    /// priority than the incoming one (no PriorityClasses in use): every `Unschedulable` node
    /// finds no victims, every other node is "not helpful".
    pub fn preemption_message(&self) -> String {
        let resolvable = if self.pre_filter_msg.is_some() {
            0
        } else {
            self.resolvable_nodes
        };
        let mut parts = Vec::new();
        if resolvable > 0 {
            parts.push(format!(
                "{resolvable} No preemption victims found for incoming pod"
            ));
        }
        let rest = self.num_all_nodes - resolvable;
        if rest > 0 {
            parts.push(format!("{rest} Preemption is not helpful for scheduling"));
        }
        parts.sort();
        format!(
            "preemption: 0/{} nodes are available: {}.",
            self.num_all_nodes,
            parts.join(", ")
        )
    }

    /// The whole FailedScheduling message, preemption part included (see
    /// [`FitError::preemption_message`] for its assumption).
    pub fn full_message(&self) -> String {
        if self.num_all_nodes == 0 {
            return NO_NODES_AVAILABLE.to_string();
        }
        format!("{} {}", self.message(), self.preemption_message())
    }
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}
