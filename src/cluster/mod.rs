//! The cluster side of a preflight: one model ([`model::Cluster`]) read from a snapshot file or
//! (later) the live API.

pub mod model;

pub use model::{
    Cluster, Gap, LimitRange, Node, Pod, ResourceQuota, RuntimeClass, Scheduling, StorageClass,
    Taint, Toleration,
};
