//! `stackcheck totals`: render (or read) the manifests, add up what they ask of the cluster.

use super::{Exit, ReleaseArgs, TotalsArgs, TotalsFormat, debug, out, styled};
use crate::cluster::Cluster;
use crate::diagnostic::Severity;
use crate::release::{self, Manifests, Rendered};
use crate::render::HelmTemplate;
use crate::report::totals::{Subject, to_json, to_markdown, to_text};
use crate::report::{self, Format};
use crate::source::Sources;
use crate::totals::{Options, compute};

/// Render (or read) the release into `sources` (which may already hold the cluster's files),
/// for `cluster` when one was read; on failure the message is printed and the exit code returned.
pub(super) fn rendered_for_cluster(
    args: &ReleaseArgs,
    sources: Sources,
    cluster: Option<&Cluster>,
) -> Result<Rendered, Exit> {
    let manifests = match &args.manifests {
        Some(path) => Manifests::File(path.clone()),
        None => {
            let chart = args
                .chart
                .clone()
                .or_else(|| args.values.chart_dir().map(|d| d.display().to_string()))
                .unwrap_or_else(|| ".".to_string());
            let call = HelmTemplate {
                helm: HelmTemplate::helm_from_env(),
                release: args.release.clone(),
                chart,
                version: args.version.clone(),
                namespace: Some(namespace(&args.namespace)),
                value_args: args.values.helm_args(),
                kube_version: args.kube_version.clone(),
                api_versions: args.api_versions.clone(),
                plain_http: args.plain_http,
            };
            let call = release::for_cluster(call, cluster);
            debug(|| format!("running {} {:?}", call.helm.display(), call.args()));
            Manifests::Helm(call)
        }
    };
    release::render(&manifests, sources, namespace(&args.namespace)).map_err(|e| {
        eprintln!("error: {e}");
        Exit::BadInput
    })
}

/// `-n` (or `$HELM_NAMESPACE`) when not empty, else `default`.
pub(super) fn namespace(flag: &Option<String>) -> String {
    flag.clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_string())
}

pub(super) fn run(args: TotalsArgs) -> Exit {
    let Rendered {
        sources,
        objects,
        diagnostics: mut diags,
        source_name,
        from_file,
        namespace,
        ..
    } = match rendered_for_cluster(&args.release, Sources::new(), None) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let totals = compute(
        &objects,
        &Options {
            namespace: namespace.clone(),
            daemonset_nodes: args.daemonset_nodes,
        },
    );
    diags.extend(totals.findings.iter().cloned());
    // In stream order, so findings read top to bottom (stable: placeless ones keep their order).
    diags.sort_by_key(|d| d.span.map(|s| s.start.index));
    if !from_file {
        // Lines of a stream the user never saw do not help; messages name object and template.
        for d in &mut diags {
            d.span = None;
        }
    }
    let subject = Subject {
        release: args.release.release.clone(),
        source: source_name,
        namespace,
    };
    match args.output {
        TotalsFormat::Json => out(&(serde_json::to_string_pretty(&to_json(
            &totals, &subject, &diags, &sources,
        ))
        .unwrap_or_default()
            + "\n")),
        TotalsFormat::Markdown => out(&to_markdown(&totals, &subject, &diags)),
        TotalsFormat::Text => {
            out(&to_text(&totals, &subject));
            if !diags.is_empty() {
                out("\n");
                out(&report::render(&diags, &sources, Format::Text, styled()));
            }
        }
    }
    if diags.iter().any(|d| d.severity == Severity::Error) {
        Exit::Failed
    } else {
        Exit::Ok
    }
}
