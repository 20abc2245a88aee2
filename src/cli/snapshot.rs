//! `stackcheck snapshot`: capture what the preflight reads of a cluster into one file (our
//! `ClusterSnapshot` format), from the live API or from kubectl output.

use std::path::Path;

use serde_json::json;

use super::cluster_arg::{load, print_diagnostics};
use super::{Failure, Outcome, SnapshotArgs, out};
use crate::cluster::snapshot::{SNAPSHOT_API_VERSION, SNAPSHOT_KIND};
use crate::cluster::write_snapshot;
use crate::diagnostic::OutcomeClass;
use crate::release::LoadedCluster;
use crate::source::Sources;

/// Why the snapshot was not written.
#[derive(Debug, thiserror::Error)]
enum SnapshotError {
    #[error("cannot check {path}: {source}")]
    Check {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is a directory")]
    Directory(String),
    #[error(
        "{0} exists and is not a stackcheck snapshot: not overwriting it (use --force to replace it anyway)"
    )]
    NotOurs(String),
    #[error(
        "nothing to capture without a cluster: use --cluster live (with a kubeconfig) or --cluster FILE to convert kubectl output"
    )]
    NoCluster,
    #[error("cannot serialise the snapshot: {0}")]
    Serialise(serde_json::Error),
    #[error(transparent)]
    Write(#[from] crate::schema::files::WriteError),
}

impl From<SnapshotError> for Failure {
    fn from(e: SnapshotError) -> Failure {
        Failure::message(OutcomeClass::BadInput, e)
    }
}

pub(super) fn run(args: SnapshotArgs) -> Outcome {
    let to_stdout = args.output.as_os_str() == "-";
    // Refuse before reading a cluster of 100,000 pods, not after.
    if !to_stdout && !args.force {
        may_overwrite(&args.output)?;
    }
    let mut sources = Sources::new();
    let LoadedCluster {
        cluster,
        diagnostics,
        description,
        context,
    } = load(&args.cluster, &mut sources)?.ok_or(SnapshotError::NoCluster)?;
    print_diagnostics(&diagnostics, &sources);
    let mut snapshot = write_snapshot(&cluster);
    snapshot["metadata"] = json!({
        "name": context.unwrap_or_else(|| "cluster".to_string()),
        "creationTimestamp": now_rfc3339(),
        "annotations": {"stackcheck.dev/source": description},
    });
    let text = serde_json::to_string_pretty(&snapshot).map_err(SnapshotError::Serialise)? + "\n";
    if to_stdout {
        out(&text);
    } else {
        crate::schema::files::atomic_write(&args.output, &text).map_err(SnapshotError::from)?;
        eprintln!(
            "wrote {}: {} node(s), {} running pod(s), {} StorageClass(es), {} ResourceQuota(s) from {description}",
            args.output.display(),
            cluster.nodes.len(),
            cluster.pods.len(),
            cluster.storage_classes.len(),
            cluster.quotas.len(),
        );
    }
    for g in &cluster.gaps {
        eprintln!(
            "warning: not in the snapshot: {}: {} ({})",
            g.what, g.why, g.affects
        );
    }
    Ok(OutcomeClass::Ok)
}

/// An existing file may be replaced only when it is one of our snapshots.
fn may_overwrite(path: &Path) -> Result<(), SnapshotError> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(rename = "apiVersion")]
        api_version: Option<String>,
        kind: Option<String>,
    }
    let name = || path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(SnapshotError::Check {
                path: name(),
                source,
            });
        }
    };
    if path.is_dir() {
        return Err(SnapshotError::Directory(name()));
    }
    let head: Option<Head> = serde_json::from_reader(std::io::BufReader::new(file)).ok();
    let ours = head.is_some_and(|h| {
        h.kind.as_deref() == Some(SNAPSHOT_KIND)
            && h.api_version
                .is_some_and(|v| v == SNAPSHOT_API_VERSION || v.starts_with("stackcheck.dev/"))
    });
    if ours {
        Ok(())
    } else {
        Err(SnapshotError::NotOurs(name()))
    }
}

/// The time now as `2026-11-24T05:53:00Z` (jiff, through k8s-openapi, which uses it for
/// Kubernetes times).
fn now_rfc3339() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_to_the_second() {
        let now = now_rfc3339();
        assert!(
            now.len() == 20 && now.ends_with('Z') && &now[10..11] == "T",
            "{now}"
        );
    }

    #[test]
    fn only_our_snapshots_are_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        assert!(may_overwrite(&p).is_ok(), "a new file");
        std::fs::write(
            &p,
            "{\"apiVersion\": \"stackcheck.dev/v1\", \"kind\": \"ClusterSnapshot\", \"items\": []}",
        )
        .unwrap();
        assert!(may_overwrite(&p).is_ok());
        std::fs::write(
            &p,
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}",
        )
        .unwrap();
        assert!(may_overwrite(&p).is_err());
        std::fs::write(&p, "notes: keep me\n").unwrap();
        assert!(may_overwrite(&p).is_err());
        assert!(may_overwrite(dir.path()).is_err());
    }
}
