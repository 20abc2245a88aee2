//! The cluster side of a preflight: one model ([`model::Cluster`]) read from a snapshot file
//! ([`snapshot::read_snapshot`]) or the live API ([`live::read`]), and written back as our own snapshot
//! format ([`snapshot::write_snapshot`]).

pub mod live;
pub mod model;
pub mod snapshot;

pub use model::{
    Cluster, Gap, LimitRange, Node, Pod, ResourceQuota, RuntimeClass, Scheduling, StorageClass,
    Taint, Toleration,
};
pub use snapshot::{SnapshotError, read_snapshot, write_snapshot};
