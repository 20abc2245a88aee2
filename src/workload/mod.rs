//! Workloads: what one pod of a workload asks the scheduler for, and how many pods a rollout
//! can run at once.
//!
//! - [`resources`]: the effective pod request and limit from a slim pod spec, as
//!   `k8s.io/component-helpers/resource` `PodRequests`/`PodLimits` compute them after the API
//!   server's defaulting (limits-only containers get requests, every entry rounded up to milli).
//! - [`rollout`]: Deployment surge and unavailability (`ResolveFenceposts`), StatefulSet
//!   partitions, and the peak number of pods during a rolling update.
//! - [`objects`]: which rendered objects run pods, how many, and their [`objects::WorkloadId`].
//! - [`selector`]: label selectors (`LabelSelectorAsSelector`), for PDBs and the scheduler.
//!
//! `resources` and `rollout` are pure functions over small serde structs, so they can be fed
//! from rendered manifests (`serde_json::from_value`) or built directly in tests.

pub mod objects;
pub mod resources;
pub mod rollout;
pub mod selector;

pub use resources::{
    Container, Limit, LimitList, PodResources, PodSpec, ResourceList, ResourceRequirements,
    pod_limits, pod_non_zero_requests, pod_requests, pod_requests_and_non_zero, pod_resources,
};
pub use rollout::{
    DeploymentRollout, DeploymentStrategy, IntOrPercent, IntOrString, RolloutError,
    StatefulSetRollout, StatefulSetUpdateStrategy, deployment_rollout, statefulset_rollout,
};

/// Reads `null` as the type's default, since rendered manifests often hold `requests: null`
/// or `resources: {}` where the API treats both as empty.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    let value: Option<T> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.unwrap_or_default())
}
