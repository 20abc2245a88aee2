//! `stackcheck totals`: render (or read) the manifests, add up what they ask of the cluster.

use std::io::Read;

use super::{Exit, ReleaseArgs, TotalsArgs, TotalsFormat, debug, out, styled};
use crate::render::{HelmTemplate, Object, parse_stream};
use crate::report::totals::{Subject, to_json, to_markdown, to_text};
use crate::report::{self, Diagnostic, Format, Severity};
use crate::source::{SourceKind, Sources};
use crate::totals::{Options, compute};

/// The release's manifests, read and split into objects: from `--manifests` or `helm template`.
pub(super) struct Rendered {
    pub sources: Sources,
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
    /// Chart reference or manifests file, for headings.
    pub source_name: String,
    /// Read from a file the user has (positions are worth showing), not from Helm's output.
    pub from_file: bool,
    pub namespace: String,
}

/// Render (or read) the release; on failure the message is printed and the exit code returned.
pub(super) fn rendered_release(args: &ReleaseArgs) -> Result<Rendered, Exit> {
    rendered_for_cluster(args, Sources::new(), None)
}

/// [`rendered_release`] into `sources` (which may already hold the cluster's files), rendered
/// for `cluster` when one was read: unless given, `--kube-version` is its server version and
/// `--api-versions` its API groups, so templates see the `Capabilities` `helm install` would.
pub(super) fn rendered_for_cluster(
    args: &ReleaseArgs,
    mut sources: Sources,
    cluster: Option<&crate::cluster::Cluster>,
) -> Result<Rendered, Exit> {
    let namespace = args
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_string());
    let rendered = match &args.manifests {
        Some(path) => read_manifests(path).map(|text| (manifests_name(path), text, true)),
        None => {
            let chart = args
                .chart
                .clone()
                .or_else(|| args.values.chart_dir().map(|d| d.display().to_string()))
                .unwrap_or_else(|| ".".to_string());
            let call = HelmTemplate {
                helm: HelmTemplate::helm_from_env(),
                release: args.release.clone(),
                chart: chart.clone(),
                version: args.version.clone(),
                namespace: Some(namespace.clone()),
                value_args: args.values.helm_args(),
                kube_version: args
                    .kube_version
                    .clone()
                    .or_else(|| cluster.and_then(|c| c.server_version.clone())),
                api_versions: match cluster {
                    Some(c) if args.api_versions.is_empty() => c.api_versions.clone(),
                    _ => args.api_versions.clone(),
                },
                plain_http: args.plain_http,
            };
            debug(|| format!("running {} {:?}", call.helm.display(), call.args()));
            call.run()
                .map(|text| (chart, text, false))
                .map_err(|e| e.to_string())
        }
    };
    let (source_name, text, from_file) = match rendered {
        Ok(r) => r,
        Err(message) => {
            eprintln!("error: {message}");
            return Err(Exit::BadInput);
        }
    };
    let label = if from_file {
        source_name.clone()
    } else {
        format!("helm template {source_name}")
    };
    let id = sources.add(label, text, SourceKind::Other);
    let (objects, diagnostics) = parse_stream(&sources, id);
    Ok(Rendered {
        sources,
        objects,
        diagnostics,
        source_name,
        from_file,
        namespace,
    })
}

pub(super) fn run(args: TotalsArgs) -> Exit {
    let Rendered {
        sources,
        objects,
        diagnostics: mut diags,
        source_name,
        from_file,
        namespace,
    } = match rendered_release(&args.release) {
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

/// How findings and the report name the manifests: the path as given, `<stdin>` for `-`.
fn manifests_name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// A manifests file, or stdin for `-`.
fn read_manifests(path: &std::path::Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    let name = manifests_name(path);
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read manifests from stdin: {e}"))?;
    } else {
        bytes = std::fs::read(path)
            .map_err(|e| format!("{name}: {}", crate::values::io_message(&e)))?;
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name}: not UTF-8 text (invalid byte at offset {}); save the manifests as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_is_named_for_people() {
        assert_eq!(manifests_name(std::path::Path::new("-")), "<stdin>");
        assert_eq!(manifests_name(std::path::Path::new("a/b.yaml")), "a/b.yaml");
    }
}
