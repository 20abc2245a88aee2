//! The release as the checks see it: rendered once (by `helm template`, or manifests someone else
//! rendered), split into objects, and preflighted on a cluster. `check` (the library's pipeline),
//! `totals`, `preflight` and `post-render` share these stages; the CLI only builds their inputs
//! and shows the result.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cluster::{Cluster, Gap};
use crate::diagnostic::{Diagnostic, OutcomeClass};
use crate::preflight::outcome::{Outcome, Verdict, evaluate};
use crate::render::{HelmTemplate, Object, RenderError, parse_stream};
use crate::source::{SourceId, SourceKind, Sources};
use crate::totals::{Options, Scenario, Totals, compute};

/// Where the release's manifests come from.
pub enum Manifests {
    /// A file the user has (`-`: stdin).
    File(PathBuf),
    /// `helm template` of a chart; rendered with a cluster's capabilities when one was read.
    Helm(HelmTemplate),
}

/// Why there are no manifests to check.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Helm(#[from] RenderError),
    #[error("cannot read manifests from stdin: {0}")]
    Stdin(std::io::Error),
    #[error("{name}: {message}")]
    Read { name: String, message: String },
    #[error(
        "{name}: not UTF-8 text (invalid byte at offset {offset}); save the manifests as UTF-8"
    )]
    NotUtf8 { name: String, offset: usize },
    #[error(
        "{name}: no Kubernetes objects, nothing to check; if a `helm template` before this in a pipe failed, fix that first (an empty stream would otherwise pass the check)"
    )]
    Empty { name: String },
}

impl ReleaseError {
    /// Every reason is input that cannot be used (Helm's failures included).
    pub fn class(&self) -> OutcomeClass {
        OutcomeClass::BadInput
    }
}

/// The release's manifests, read and split into objects.
pub struct Rendered {
    pub sources: Sources,
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
    /// Chart reference or manifests file, for headings.
    pub source_name: String,
    /// Read from a file the user has (positions are worth showing), not from Helm's output.
    pub from_file: bool,
    pub namespace: String,
    /// The manifest stream in `sources`.
    pub manifest: SourceId,
}

impl Rendered {
    /// The release these manifests were rendered for, as their objects name it: the most common
    /// `app.kubernetes.io/instance` label (Helm tells a post-renderer nothing else; charts that
    /// follow the recommended labels set it to `.Release.Name`).
    pub fn release_from_labels(&self) -> Option<String> {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for o in &self.objects {
            if let Some(name) = o.json["metadata"]["labels"]["app.kubernetes.io/instance"].as_str()
            {
                match counts.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((name, 1)),
                }
            }
        }
        // The first of the most common: max_by_key keeps the last of equals, so go in reverse.
        counts
            .into_iter()
            .rev()
            .max_by_key(|(_, c)| *c)
            .map(|(n, _)| n.to_string())
    }

    /// `text` (the manifests, shown as `label`) split into objects.
    pub fn parse(
        mut sources: Sources,
        label: String,
        text: String,
        source_name: String,
        from_file: bool,
        namespace: String,
    ) -> Rendered {
        let manifest = sources.add(label, text, SourceKind::Other);
        let (objects, diagnostics) = parse_stream(&sources, manifest);
        Rendered {
            sources,
            objects,
            diagnostics,
            source_name,
            from_file,
            namespace,
            manifest,
        }
    }

    /// The totals without a cluster (`daemonset_nodes` pods per DaemonSet), and every finding
    /// so far: the stream's, then the totals'.
    pub fn totals(&self, daemonset_nodes: u64) -> (Totals, Vec<Diagnostic>) {
        let options = Options {
            namespace: self.namespace.clone(),
            daemonset_nodes,
        };
        let totals = compute(&self.objects, &options);
        let findings = [&self.diagnostics[..], &totals.findings].concat();
        (totals, findings)
    }

    /// Positions in `helm template` output mean nothing to the user (the finding names the
    /// object and its template): drop them, unless the user has the manifests as a file.
    pub fn hide_helm_positions(&self, findings: &mut [Diagnostic]) {
        if !self.from_file {
            for d in findings {
                if d.span.is_some_and(|s| s.source == self.manifest) {
                    d.span = None;
                }
            }
        }
    }
}

/// `helm template` for `cluster` when one was read: unless given, `--kube-version` is its server
/// version and `--api-versions` its API groups, so templates see the `Capabilities` `helm
/// install` would.
pub fn for_cluster(mut call: HelmTemplate, cluster: Option<&Cluster>) -> HelmTemplate {
    if let Some(c) = cluster {
        call.kube_version = call.kube_version.or_else(|| c.server_version.clone());
        if call.api_versions.is_empty() {
            call.api_versions = c.api_versions.clone();
        }
    }
    call
}

/// Render (or read) the release into `sources` (which may already hold the cluster's files),
/// for `cluster` when one was read.
pub fn render(
    manifests: Manifests,
    cluster: Option<&Cluster>,
    sources: Sources,
    namespace: String,
) -> Result<Rendered, ReleaseError> {
    let (source_name, text, from_file) = match manifests {
        Manifests::File(path) => (manifests_name(&path), read_manifests(&path)?, true),
        Manifests::Helm(call) => {
            let call = for_cluster(call, cluster);
            (call.chart.clone(), call.run()?, false)
        }
    };
    let label = if from_file {
        source_name.clone()
    } else {
        format!("helm template {source_name}")
    };
    let rendered = Rendered::parse(sources, label, text, source_name, from_file, namespace);
    // A file or pipe that holds nothing is a mistake upstream (a failed `helm template | …`),
    // never a release: say so rather than total nothing with exit 0. Helm's own output may be
    // empty (a chart of hooks or conditions all off).
    if from_file && rendered.objects.is_empty() && rendered.diagnostics.is_empty() {
        return Err(ReleaseError::Empty {
            name: rendered.source_name,
        });
    }
    Ok(rendered)
}

/// How findings and the report name the manifests: the path as given, `<stdin>` for `-`.
fn manifests_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// A manifests file, or stdin for `-`.
fn read_manifests(path: &Path) -> Result<String, ReleaseError> {
    let mut bytes = Vec::new();
    let name = manifests_name(path);
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(ReleaseError::Stdin)?;
    } else {
        bytes = std::fs::read(path).map_err(|e| ReleaseError::Read {
            name: name.clone(),
            message: crate::values::io_message(&e),
        })?;
    }
    String::from_utf8(bytes).map_err(|e| ReleaseError::NotUtf8 {
        name,
        offset: e.utf8_error().valid_up_to(),
    })
}

/// A cluster read for the preflight, with what reading it found.
pub struct LoadedCluster {
    pub cluster: Cluster,
    pub diagnostics: Vec<Diagnostic>,
    /// `live: context kind-x (https://127.0.0.1:6443)`, or the snapshot files.
    pub description: String,
    /// The kubeconfig context of a live read.
    pub context: Option<String>,
}

/// How reports name the cluster, kept when its pods move into the preflight.
pub struct ClusterSummary {
    pub description: String,
    pub nodes: usize,
    pub pods: usize,
    pub gaps: Vec<Gap>,
}

/// The preflight of a rendered release on a loaded cluster; the outcome's findings are every
/// finding of the run (reading the manifests and the cluster included), ready to show.
pub fn preflight(
    rendered: &Rendered,
    loaded: LoadedCluster,
    scenario: Scenario,
) -> (Outcome, ClusterSummary) {
    let summary = ClusterSummary {
        description: loaded.description,
        nodes: loaded.cluster.nodes.len(),
        pods: loaded.cluster.pods.len(),
        gaps: loaded.cluster.gaps.clone(),
    };
    let mut outcome = evaluate(
        &rendered.objects,
        loaded.cluster,
        &rendered.namespace,
        scenario,
    );
    let mut findings = rendered.diagnostics.clone();
    findings.extend(loaded.diagnostics);
    findings.append(&mut outcome.findings);
    rendered.hide_helm_positions(&mut findings);
    outcome.findings = findings;
    (outcome, summary)
}

/// A preflight's verdict as the outcome of a run: `unknown` is a cluster that could not be
/// read in full.
pub fn verdict_class(verdict: Verdict) -> OutcomeClass {
    match verdict {
        Verdict::Fits => OutcomeClass::Ok,
        Verdict::DoesNotFit => OutcomeClass::Failed,
        Verdict::Unknown => OutcomeClass::ClusterUnreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_is_named_for_people() {
        assert_eq!(manifests_name(Path::new("-")), "<stdin>");
        assert_eq!(manifests_name(Path::new("a/b.yaml")), "a/b.yaml");
    }
}
