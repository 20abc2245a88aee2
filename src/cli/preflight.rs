//! `stackcheck preflight`: will every pod of this release be placed on this cluster?

use super::cluster_arg::{ClusterArgs, load};
use super::totals::rendered_for_cluster;
use super::{Exit, PreflightArgs, PreflightFormat, debug, out, styled};
use crate::preflight::outcome::{Outcome, Verdict};
use crate::release::{ClusterSummary, LoadedCluster, Rendered, preflight};
use crate::report::{self, Format};
use crate::source::Sources;

pub(super) fn run(args: PreflightArgs) -> Exit {
    let mut sources = Sources::new();
    let started = std::time::Instant::now();
    let loaded = match load_cluster(&args.cluster, &mut sources) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    debug(|| format!("cluster read in {} ms", started.elapsed().as_millis()));
    let rendered = match rendered_for_cluster(&args.release, sources, Some(&loaded.cluster)) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let started = std::time::Instant::now();
    let (outcome, cluster) = preflight(&rendered, loaded, args.scenario.into());
    debug(|| format!("preflight in {} ms", started.elapsed().as_millis()));
    emit(
        &outcome,
        &rendered,
        &cluster,
        &args.release.release,
        args.output,
    );
    exit_code(&outcome)
}

/// Reads the cluster `--cluster` names; a preflight needs one, so `none` is bad input.
pub(super) fn load_cluster(
    args: &ClusterArgs,
    sources: &mut Sources,
) -> Result<LoadedCluster, Exit> {
    match load(args, sources)? {
        Some(c) => Ok(c),
        None => {
            eprintln!(
                "error: preflight needs a cluster: --cluster live (the kubeconfig's current \
                 context, or --kube-context), or --cluster FILE (a snapshot)"
            );
            Err(Exit::BadInput)
        }
    }
}

/// The preflight report's heading: the release, its manifests and the cluster.
pub(super) fn subject<'a>(
    cluster: &'a ClusterSummary,
    release: &'a str,
    rendered: &'a Rendered,
) -> report::preflight::Subject<'a> {
    report::preflight::Subject {
        release,
        source: &rendered.source_name,
        namespace: &rendered.namespace,
        cluster: &cluster.description,
        cluster_nodes: cluster.nodes,
        cluster_pods: cluster.pods,
        gaps: &cluster.gaps,
    }
}

/// Prints the report on stdout.
pub(super) fn emit(
    outcome: &Outcome,
    rendered: &Rendered,
    cluster: &ClusterSummary,
    release: &str,
    format: PreflightFormat,
) {
    let subject = subject(cluster, release, rendered);
    out(&render(
        outcome,
        &subject,
        &rendered.sources,
        format,
        styled(),
    ));
}

/// The report as text or JSON.
pub(super) fn render(
    outcome: &Outcome,
    subject: &report::preflight::Subject<'_>,
    sources: &Sources,
    format: PreflightFormat,
    styled: bool,
) -> String {
    match format {
        PreflightFormat::Json => {
            let report = report::preflight::to_json(outcome, subject, sources);
            serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
        }
        PreflightFormat::Text => {
            let mut text = report::preflight::to_text(outcome, subject);
            if !outcome.findings.is_empty() {
                text.push('\n');
                text.push_str(&report::render(
                    &outcome.findings,
                    sources,
                    Format::Text,
                    styled,
                ));
            }
            text
        }
    }
}

/// Exit code of the CLI contract for a verdict.
pub(super) fn exit_code(outcome: &Outcome) -> Exit {
    match outcome.verdict {
        Verdict::Fits => Exit::Ok,
        Verdict::DoesNotFit => Exit::Failed,
        Verdict::Unknown => Exit::ClusterUnreadable,
    }
}
