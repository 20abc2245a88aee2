//! Cluster snapshot files: reading what `kubectl get … -o json|yaml` prints (or our own
//! `ClusterSnapshot`) into the slim [`Cluster`] model, and writing our own format back.
//!
//! # Inputs
//!
//! One or several files, merged in order, each one of:
//!
//! - `kubectl get nodes,pods,storageclasses,resourcequotas,limitranges,runtimeclasses -A -o json`
//!   (a `v1 List`), or `-o yaml` of the same; a raw API list (`NodeList`, items without `kind`);
//!   a single object; a YAML stream of objects (`---`);
//! - our own format (see [`write_snapshot`]), JSON or YAML;
//! - `kubectl version -o json|yaml` (the server version) and `kubectl api-versions` (the API
//!   groups served), which `kubectl get` output lacks.
//!
//! Files whose first character is `{` take a streaming JSON path (`json_stream`): read in chunks,
//! each object decoded by `serde_json` straight into slim structs, so a 1 GB pod list is never
//! held whole. Everything else is YAML: a list in kubectl's layout (`items:` at column 1) is cut
//! at its item lines and read item by item, streamed too (`yaml_list`: one document of 150,000
//! pods would be far beyond [`crate::yaml::MAX_NODES`]); other texts (streams of objects, single
//! objects) are split by [`crate::render::manifest::parse_stream`]. Files up to 16 MiB are kept
//! in [`Sources`] so diagnostics show snippets; larger ones keep only their name (positions in
//! diagnostics are still exact).
//!
//! Measured on this project's machine (2 shared cores), for 5,000 nodes and 150,000 pods of
//! realistic size (8 KB each in kubectl's JSON): kubectl JSON, 1.16 GiB, ~2.1 s and 310 MiB peak;
//! our own format, 53 MiB, ~0.8 s and 310 MiB (the model itself); kubectl YAML, 772 MiB, ~31 s
//! (the YAML parser's speed) and 318 MiB. Time and memory grow linearly with the pod count.
//!
//! # Rules
//!
//! - Node: ready when its `Ready` condition is `"True"`; `spec.unschedulable` is the cordon;
//!   `status.allocatable`, else `status.capacity` (a [`Gap`]: capacity includes system reserves).
//! - Pod: only pods bound to a node (`spec.nodeName`) whose phase is not `Succeeded`/`Failed`
//!   use it (DESIGN §4); their effective request is `PodRequests` (overhead included). Of their
//!   scheduling fields only what kube-scheduler reads of an *already placed* pod when it places a
//!   new one is kept: labels, `nodeName`, and `affinity.podAffinity`/`podAntiAffinity` (existing
//!   pods' required anti-affinity filters, their preferred terms score). Their nodeSelector, node
//!   affinity, tolerations and spread constraints only decided where they went themselves; on a
//!   150,000-pod cluster they were two thirds of the model's memory.
//! - StorageClass: default when `storageclass.kubernetes.io/is-default-class` (or the beta
//!   annotation) is `"true"`; `volumeBindingMode` defaults to `Immediate`.
//! - ResourceQuota: `status.hard`, else `spec.hard`; `status.used`, or a [`Gap`] when missing.
//!   Quotas with `scopes`/`scopeSelector` are left out with a [`Gap`] (the model has no scopes).
//! - An object that does not decode (a bad quantity, a spec of the wrong shape) is reported with
//!   its `Kind/namespace/name` and position, recorded as a [`Gap`], and skipped; the rest is read.
//!   Kinds the preflight does not read are counted in a note. Only a file that cannot be read,
//!   is not UTF-8, or holds no JSON/YAML objects at all is a [`SnapshotError`].
//!
//! [`Cluster`]: super::Cluster
//! [`Gap`]: super::Gap
//! [`Sources`]: crate::source::Sources

mod build;
mod decode;
mod json_stream;
mod page_feed;
mod read;
#[cfg(test)]
mod tests;
mod write;
mod yaml_list;

use std::path::PathBuf;

#[cfg(test)]
use crate::source::Sources;
pub(crate) use page_feed::PageFeed;
pub use read::read_snapshot;
pub use write::write_snapshot;

/// `apiVersion` of our snapshot format.
pub const SNAPSHOT_API_VERSION: &str = "stackcheck.dev/v1";
/// `kind` of our snapshot format.
pub const SNAPSHOT_KIND: &str = "ClusterSnapshot";

/// Files up to this size are kept in [`Sources`] (diagnostics show snippets); larger ones are
/// streamed and only their name is kept.
const KEEP_TEXT_LIMIT: u64 = 16 << 20;

#[cfg(not(test))]
fn keep_text_limit() -> u64 {
    KEEP_TEXT_LIMIT
}

#[cfg(test)]
thread_local! {
    /// Tests stream small files by lowering the limit.
    static KEEP_TEXT_LIMIT_IN_TESTS: std::cell::Cell<u64> = const { std::cell::Cell::new(KEEP_TEXT_LIMIT) };
}

#[cfg(test)]
fn keep_text_limit() -> u64 {
    KEEP_TEXT_LIMIT_IN_TESTS.with(|l| l.get())
}

/// `why` of the gap for a quota without `status.used`.
const QUOTA_USAGE_UNKNOWN: &str = "quota usage unknown: the quota has no status.used";

/// A snapshot file that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read cluster snapshot {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cluster snapshot {} is not UTF-8 text (invalid byte at offset {offset}){hint}", .path.display())]
    NotUtf8 {
        path: PathBuf,
        offset: u64,
        hint: &'static str,
    },
    #[error("cluster snapshot {}:{line}:{column}: not valid JSON: {message}", .path.display())]
    Json {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
    #[error("cluster snapshot {}: {message}", .path.display())]
    NotObjects { path: PathBuf, message: String },
}
