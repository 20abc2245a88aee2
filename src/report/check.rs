//! The report of `stackcheck check`: the values, the resources and the cluster, one section
//! each, as the separate commands show them.

use super::{Format, render, values_text};
use crate::check::{CheckReport, ClusterStage};
use crate::report::preflight::{self, to_text_with_findings};
use crate::report::totals::{self, Subject};

/// `release` names the release in the headings. A step that could not run (the values, the
/// cluster or the manifests unreadable) ends the text; its error is not part of the report.
pub fn to_text<E>(report: &CheckReport<E>, release: &str, styled: bool) -> String {
    let mut text = String::new();
    if let Some(values) = &report.values {
        text.push_str("== Values ==\n");
        let Ok(values) = values else {
            return text;
        };
        text.push_str(&values_text(
            &values.report,
            values.files,
            &values.sources,
            styled,
        ));
    }
    let Some(checked) = &report.release else {
        return text;
    };
    if report.values.is_some() {
        text.push('\n');
    }
    let Ok(checked) = checked else {
        return text;
    };
    let rendered = &checked.rendered;
    let subject = Subject {
        release: release.to_string(),
        source: rendered.source_name.clone(),
        namespace: rendered.namespace.clone(),
    };
    text.push_str("== Resources ==\n");
    text.push_str(&totals::to_text(checked.totals(), &subject));
    text.push_str("\n== Cluster ==\n");
    match &checked.cluster {
        ClusterStage::Skipped { findings, .. } => {
            text.push_str("preflight skipped: no cluster (pass --cluster FILE, or --cluster live with a kubeconfig)\n");
            if !findings.is_empty() {
                text.push('\n');
                text.push_str(&render(findings, &rendered.sources, Format::Text, styled));
            }
        }
        ClusterStage::Preflight { outcome, cluster } => {
            let subject = preflight::Subject::new(cluster, release, rendered);
            text.push_str(&to_text_with_findings(
                outcome,
                &subject,
                &rendered.sources,
                styled,
            ));
        }
    }
    text
}
