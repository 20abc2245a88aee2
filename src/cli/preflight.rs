//! `stackcheck preflight`: will every pod of this release be placed on this cluster?

use super::cluster_arg::{ClusterArgs, LoadedCluster, load};
use super::totals::{Rendered, rendered_for_cluster};
use super::{Exit, PreflightArgs, PreflightFormat, debug, out, styled};
use crate::preflight::outcome::{Outcome, Verdict, evaluate};
use crate::report::{self, Format};
use crate::source::Sources;
use crate::totals::Scenario;

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
    let (outcome, rendered, cluster) = preflight(rendered, loaded, args.scenario.into());
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

/// How reports name the cluster, kept when its pods move into the preflight.
pub(super) struct ClusterSummary {
    pub description: String,
    pub nodes: usize,
    pub pods: usize,
    pub gaps: Vec<crate::cluster::Gap>,
}

impl ClusterSummary {
    pub(super) fn subject<'a>(
        &'a self,
        release: &'a str,
        rendered: &'a Rendered,
    ) -> report::preflight::Subject<'a> {
        report::preflight::Subject {
            release,
            source: &rendered.source_name,
            namespace: &rendered.namespace,
            cluster: &self.description,
            cluster_nodes: self.nodes,
            cluster_pods: self.pods,
            gaps: &self.gaps,
        }
    }
}

/// The preflight of a rendered release on a loaded cluster; the outcome's findings are every
/// finding of the run (reading the manifests and the cluster included), ready to show.
pub(super) fn preflight(
    rendered: Rendered,
    loaded: LoadedCluster,
    scenario: Scenario,
) -> (Outcome, Rendered, ClusterSummary) {
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
    if !rendered.from_file {
        // Positions in `helm template` output mean nothing to the user: the object names it.
        for d in &mut findings {
            if d.span
                .is_some_and(|s| rendered.sources.name(s.source).starts_with("helm template"))
            {
                d.span = None;
            }
        }
    }
    outcome.findings = findings;
    (outcome, rendered, summary)
}

/// Prints the report on stdout.
pub(super) fn emit(
    outcome: &Outcome,
    rendered: &Rendered,
    cluster: &ClusterSummary,
    release: &str,
    format: PreflightFormat,
) {
    let subject = cluster.subject(release, rendered);
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
