//! `stackcheck preflight`: will every pod of this release be placed on this cluster?

use super::totals::{Rendered, rendered_release};
use super::{Exit, PreflightArgs, PreflightFormat, out, styled};
use crate::cluster::read_snapshot;
use crate::preflight::outcome::{Verdict, evaluate};
use crate::report::{self, Format};

pub(super) fn run(args: PreflightArgs) -> Exit {
    let Rendered {
        mut sources,
        objects,
        diagnostics: mut diags,
        source_name,
        from_file,
        namespace,
    } = match rendered_release(&args.release) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let (cluster, cluster_diags) = match read_snapshot(&mut sources, &args.cluster) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    diags.extend(cluster_diags);
    let scenario: crate::totals::Scenario = args.scenario.into();
    let mut outcome = evaluate(&objects, &cluster, &namespace, scenario);
    diags.append(&mut outcome.findings);
    if !from_file {
        // Positions in `helm template` output mean nothing to the user: the object names it.
        for d in &mut diags {
            if d.span
                .is_some_and(|s| sources.name(s.source).starts_with("helm template"))
            {
                d.span = None;
            }
        }
    }
    let cluster_name = args
        .cluster
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let subject = report::preflight::Subject {
        release: &args.release.release,
        source: &source_name,
        namespace: &namespace,
        cluster: &cluster_name,
        cluster_nodes: cluster.nodes.len(),
        cluster_pods: cluster.pods.len(),
        gaps: &cluster.gaps,
    };
    outcome.findings = diags;
    match args.output {
        PreflightFormat::Json => {
            let report = report::preflight::to_json(&outcome, &subject, &sources);
            out(&(serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"));
        }
        PreflightFormat::Text => {
            out(&report::preflight::to_text(&outcome, &subject));
            if !outcome.findings.is_empty() {
                out("\n");
                out(&report::render(
                    &outcome.findings,
                    &sources,
                    Format::Text,
                    styled(),
                ));
            }
        }
    }
    match outcome.verdict {
        Verdict::Fits => Exit::Ok,
        Verdict::DoesNotFit => Exit::Failed,
        Verdict::Unknown => Exit::ClusterUnreadable,
    }
}
