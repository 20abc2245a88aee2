//! The cluster as the scheduler sees it, in slim structs: only scheduling-relevant fields, so a
//! 150,000-pod snapshot stays small and parses fast. Filled from a snapshot file
//! ([`super::snapshot`]) or from the live API ([`super::live`]); the preflight reads only this model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::workload::ResourceList;

/// `key=value:Effect`. Serialised as the snapshot writes it: absent fields left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taint {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Empty means every effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// The `Ready` condition is `True`.
    pub ready: bool,
    /// `status.allocatable` (cpu, memory, ephemeral-storage, pods, extended resources).
    pub allocatable: ResourceList,
}

/// A pod that already uses a node (bound, phase not Succeeded/Failed), or one of the release.
#[derive(Debug, Clone, PartialEq)]
pub struct Pod {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `spec.nodeName`; `None` for pods not bound yet.
    pub node: Option<String>,
    /// Effective requests (`PodRequests`), computed once.
    pub requests: ResourceList,
    /// What scoring counts the pod as (millicores, bytes): see
    /// [`crate::workload::pod_non_zero_requests`]. `None`: derived from `requests`, with one
    /// 100m / 200Mi default for the whole pod.
    pub non_zero: Option<(i128, i128)>,
    /// Scheduling constraints as written (`nodeSelector`, `affinity`, `tolerations`,
    /// `topologySpreadConstraints`), kept as JSON: only release pods and pods with
    /// (anti-)affinity terms need them.
    pub scheduling: Scheduling,
}

/// The parts of a pod spec the scheduler's filters read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Scheduling {
    pub node_selector: BTreeMap<String, String>,
    pub affinity: Option<Json>,
    pub tolerations: Vec<Toleration>,
    pub topology_spread_constraints: Vec<Json>,
    pub node_name: Option<String>,
    pub runtime_class_name: Option<String>,
    pub scheduler_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageClass {
    pub name: String,
    pub provisioner: String,
    /// `storageclass.kubernetes.io/is-default-class: "true"`.
    pub is_default: bool,
    /// `Immediate` or `WaitForFirstConsumer`.
    pub binding_mode: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceQuota {
    pub namespace: String,
    pub name: String,
    /// `status.hard` (else `spec.hard`): `requests.cpu`, `limits.memory`, `pods`, `count/...`,
    /// `<class>.storageclass.storage.k8s.io/requests.storage`...
    pub hard: ResourceList,
    pub used: ResourceList,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitRange {
    pub namespace: String,
    pub name: String,
    /// `spec.limits` items as written (type, default, defaultRequest, max, min...).
    pub limits: Vec<Json>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeClass {
    pub name: String,
    pub handler: String,
    /// `overhead.podFixed`.
    pub overhead: ResourceList,
    /// `scheduling.nodeSelector` and `scheduling.tolerations`.
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
}

/// Everything the preflight knows about a cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    /// Pods that use node resources: bound and not terminal.
    pub pods: Vec<Pod>,
    pub storage_classes: Vec<StorageClass>,
    pub quotas: Vec<ResourceQuota>,
    pub limit_ranges: Vec<LimitRange>,
    pub runtime_classes: Vec<RuntimeClass>,
    /// `v1.31.2`, when known.
    pub server_version: Option<String>,
    /// `group/version` strings the API serves (`route.openshift.io/v1`...), when known.
    pub api_versions: Vec<String>,
    /// What could not be read (forbidden lists, malformed objects), each with what it costs.
    pub gaps: Vec<Gap>,
}

/// A part of the cluster that could not be read, and which checks that weakens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// `pods`, `resourcequotas`, `Node/gpu-1`...
    pub what: String,
    pub why: String,
    /// Checks that could not run or ran on partial data.
    pub affects: String,
}

/// The scheduling constraints of a pod spec; an error names the field serde could not read.
pub fn scheduling_of(spec: &Json) -> Result<Scheduling, serde_json::Error> {
    Scheduling::deserialize(spec)
}
