//! `stackcheck preflight`: will every pod of this release be placed on this cluster?

use super::cluster_arg::{ClusterArgs, load};
use super::totals::{manifests, namespace};
use super::{Failure, Outcome, PreflightArgs, PreflightFormat, debug, out, styled};
use crate::diagnostic::OutcomeClass;
use crate::release::{self, LoadedCluster, preflight, verdict_class};
use crate::report::json_text;
use crate::report::preflight::{Subject, to_json, to_text_with_findings};
use crate::source::Sources;

pub(super) fn run(args: PreflightArgs) -> Outcome {
    args.release.values.helm_habits()?;
    let mut sources = Sources::new();
    let started = std::time::Instant::now();
    let loaded = load_cluster(&args.cluster, &mut sources)?;
    debug(|| format!("cluster read in {} ms", started.elapsed().as_millis()));
    let rendered = release::render(
        manifests(&args.release),
        Some(&loaded.cluster),
        sources,
        namespace(&args.release.namespace),
    )?;
    let started = std::time::Instant::now();
    let (outcome, cluster) = preflight(&rendered, loaded, args.scenario.into());
    debug(|| format!("preflight in {} ms", started.elapsed().as_millis()));
    let subject = Subject::new(&cluster, &args.release.release, &rendered);
    out(&match args.output {
        PreflightFormat::Json => json_text(&to_json(&outcome, &subject, &rendered.sources)),
        PreflightFormat::Text => {
            to_text_with_findings(&outcome, &subject, &rendered.sources, styled())
        }
    });
    Ok(verdict_class(outcome.verdict))
}

/// Reads the cluster `--cluster` names; a preflight needs one, so `none` is bad input.
pub(super) fn load_cluster(
    args: &ClusterArgs,
    sources: &mut Sources,
) -> Result<LoadedCluster, Failure> {
    load(args, sources)?.ok_or_else(|| {
        Failure::message(
            OutcomeClass::BadInput,
            "preflight needs a cluster: --cluster live (the kubeconfig's current context, or \
             --kube-context), or --cluster FILE (a snapshot)",
        )
    })
}
