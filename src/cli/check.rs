//! `stackcheck check` (and the bare `helm stackcheck VALUES...`): validate the values, total
//! what the release asks for, and preflight it on the cluster, in one run and one report.
//!
//! The release is rendered once; the values step runs only for a local chart (Helm validates a
//! remote chart's schema itself when it renders); the preflight runs when a cluster is given or
//! configured (else the report says it was skipped). The exit code is the worst of the steps:
//! 2 bad input, then 3 cluster unreadable, then 1 a check failed, else 0.

use std::path::PathBuf;

use super::cluster_arg::load;
use super::preflight::{exit_code, render};
use super::totals::rendered_for_cluster;
use super::{CheckArgs, Exit, PreflightFormat, ValidateArgs, out, styled, validate};
use crate::diagnostic::Severity;
use crate::release;
use crate::report::Format;
use crate::report::totals::{Subject, to_text};
use crate::totals::{Options, compute};

pub(super) fn run(args: CheckArgs) -> Exit {
    let mut exits = Vec::new();
    if let Some(chart) = local_chart(&args) {
        out("== Values ==\n");
        let exit = validate::run(ValidateArgs {
            values: args.release.values.clone(),
            chart: Some(chart),
            schema_source: args.schema_source,
            output: Format::Text,
        });
        if exit != Exit::Ok {
            // Helm would refuse these values at `helm template` too: nothing more to learn.
            return exit;
        }
        out("\n");
    }
    let mut sources = crate::source::Sources::new();
    let loaded = match load(&args.cluster, &mut sources) {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    let rendered =
        match rendered_for_cluster(&args.release, sources, loaded.as_ref().map(|l| &l.cluster)) {
            Ok(r) => r,
            Err(exit) => return exit,
        };
    let subject = Subject {
        release: args.release.release.clone(),
        source: rendered.source_name.clone(),
        namespace: rendered.namespace.clone(),
    };
    match loaded {
        None => {
            let totals = compute(
                &rendered.objects,
                &Options {
                    namespace: rendered.namespace.clone(),
                    daemonset_nodes: 1,
                },
            );
            exits.push(print_totals(&totals, &subject, &rendered.diagnostics));
            out("\n== Cluster ==\n");
            // Findings of the manifests are shown with the preflight; without one, here.
            let mut findings = rendered.diagnostics.clone();
            findings.extend(totals.findings.iter().cloned());
            if !rendered.from_file {
                for d in &mut findings {
                    d.span = None;
                }
            }
            out(
                "preflight skipped: no cluster (pass --cluster FILE, or --cluster live with a kubeconfig)\n",
            );
            if !findings.is_empty() {
                out("\n");
                out(&crate::report::render(
                    &findings,
                    &rendered.sources,
                    Format::Text,
                    styled(),
                ));
            }
        }
        Some(loaded) => {
            // The preflight's totals: DaemonSets on every node, LimitRange defaults applied.
            let diagnostics = rendered.diagnostics.clone();
            let (outcome, cluster) = release::preflight(&rendered, loaded, args.scenario.into());
            exits.push(print_totals(&outcome.totals, &subject, &diagnostics));
            out("\n== Cluster ==\n");
            let subject = super::preflight::subject(&cluster, &args.release.release, &rendered);
            out(&render(
                &outcome,
                &subject,
                &rendered.sources,
                PreflightFormat::Text,
                styled(),
            ));
            exits.push(exit_code(&outcome));
        }
    }
    worst(&exits)
}

/// The resources section; failed when the manifests or the totals hold an error (an object the
/// API server would refuse).
fn print_totals(
    totals: &crate::totals::Totals,
    subject: &Subject,
    manifest_diagnostics: &[crate::diagnostic::Diagnostic],
) -> Exit {
    out("== Resources ==\n");
    out(&to_text(totals, subject));
    let failed = totals
        .findings
        .iter()
        .chain(manifest_diagnostics)
        .any(|d| d.severity == Severity::Error);
    if failed { Exit::Failed } else { Exit::Ok }
}

/// The chart to validate values against: `--chart` or the one holding the first values file,
/// when it is on disk (not `repo/chart` or `oci://`), and not when manifests are given.
fn local_chart(args: &CheckArgs) -> Option<PathBuf> {
    if args.release.manifests.is_some() {
        return None;
    }
    match &args.release.chart {
        Some(c) => {
            let path = PathBuf::from(c);
            path.exists().then_some(path)
        }
        None => Some(
            args.release
                .values
                .chart_dir()
                .unwrap_or_else(|| PathBuf::from(".")),
        ),
    }
}

/// 2 bad input, then 3 cluster unreadable, then 1 failed, else 0.
fn worst(exits: &[Exit]) -> Exit {
    [Exit::BadInput, Exit::ClusterUnreadable, Exit::Failed]
        .into_iter()
        .find(|e| exits.contains(e))
        .unwrap_or(Exit::Ok)
}
