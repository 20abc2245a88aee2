//! `stackcheck totals`: render (or read) the manifests, add up what they ask of the cluster.

use super::{Outcome, ReleaseArgs, TotalsArgs, TotalsFormat, debug, out, styled};
use crate::diagnostic::OutcomeClass;
use crate::release::{self, Manifests};
use crate::render::HelmTemplate;
use crate::report::totals::{Subject, to_json, to_markdown, to_text};
use crate::report::{self, Format};
use crate::source::Sources;

/// Where `args` say the manifests come from: `--manifests`, else `helm template` of the chart.
pub(super) fn manifests(args: &ReleaseArgs) -> Manifests {
    match &args.manifests {
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
            // Before a cluster's version and API groups are added (`release::for_cluster`).
            debug(|| format!("running {} {:?}", call.helm.display(), call.args()));
            Manifests::Helm(call)
        }
    }
}

/// `-n` (or `$HELM_NAMESPACE`) when not empty, else `default`.
pub(super) fn namespace(flag: &Option<String>) -> String {
    flag.clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_string())
}

pub(super) fn run(args: TotalsArgs) -> Outcome {
    args.release.values.helm_habits()?;
    let rendered = release::render(
        manifests(&args.release),
        None,
        Sources::new(),
        namespace(&args.release.namespace),
    )?;
    let (totals, mut diags) = rendered.totals(args.daemonset_nodes);
    // In stream order, so findings read top to bottom (stable: placeless ones keep their order).
    diags.sort_by_key(|d| d.span.map(|s| s.start.index));
    rendered.hide_helm_positions(&mut diags);
    let subject = Subject {
        release: args.release.release.clone(),
        source: rendered.source_name.clone(),
        namespace: rendered.namespace.clone(),
    };
    let sources = &rendered.sources;
    out(&match args.output {
        TotalsFormat::Json => report::json_text(&to_json(&totals, &subject, &diags, sources)),
        TotalsFormat::Markdown => to_markdown(&totals, &subject, &diags),
        TotalsFormat::Text if diags.is_empty() => to_text(&totals, &subject),
        TotalsFormat::Text => {
            let findings = report::render(&diags, sources, Format::Text, styled());
            format!("{}\n{findings}", to_text(&totals, &subject))
        }
    });
    Ok(OutcomeClass::of_findings(&diags))
}
