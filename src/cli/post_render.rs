//! `stackcheck post-render`: a Helm post-renderer that refuses a release the cluster cannot hold.
//!
//! Helm writes the rendered manifests to the post-renderer's stdin and installs what it prints
//! on stdout; a non-zero exit aborts the install and Helm shows the post-renderer's stderr. So:
//! read stdin whole, preflight it, and either print the very same bytes (the install goes on) or
//! print nothing on stdout and the preflight report on stderr (it stops). Nothing is changed.

use std::io::{Read, Write};

use super::preflight::load_cluster;
use super::{Failure, Outcome, PostRenderArgs, styled_stderr, totals};
use crate::diagnostic::OutcomeClass;
use crate::preflight::outcome::Verdict;
use crate::release::{Rendered, preflight, verdict_class};
use crate::report::preflight::{Subject, to_text_with_findings};
use crate::source::Sources;

/// What Helm's post-renderer input is called in reports (spans in it are not shown).
const INPUT_NAME: &str = "helm template (post-renderer input)";

/// A failure of the post-renderer itself, named so in Helm's output.
fn failure(message: String) -> Failure {
    Failure::lines(
        OutcomeClass::BadInput,
        vec![format!("stackcheck post-render: {message}")],
    )
}

pub(super) fn run(args: PostRenderArgs) -> Outcome {
    let mut input = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|e| failure(format!("cannot read the manifests on stdin: {e}")))?;
    let text = String::from_utf8(input).map_err(|e| {
        failure(format!(
            "the manifests on stdin are not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let mut sources = Sources::new();
    let loaded = load_cluster(&args.cluster, &mut sources)?;
    let rendered = Rendered::parse(
        sources,
        INPUT_NAME.to_string(),
        text.clone(),
        "helm post-renderer input".to_string(),
        false,
        totals::namespace(&args.namespace),
    );
    let (outcome, cluster) = preflight(&rendered, loaded, args.scenario.into());
    let passes = match outcome.verdict {
        Verdict::Fits => true,
        Verdict::Unknown => args.allow_unknown,
        Verdict::DoesNotFit => false,
    };
    let release = args
        .release
        .clone()
        .or_else(|| rendered.release_from_labels())
        .unwrap_or_else(|| "(unnamed: pass --release)".to_string());
    let subject = Subject::new(&cluster, &release, &rendered);
    if let Some(path) = &args.report_file {
        let report = to_text_with_findings(&outcome, &subject, &rendered.sources, false);
        std::fs::write(path, report).map_err(|e| {
            failure(format!(
                "cannot write the report to {}: {e}",
                path.display()
            ))
        })?;
    }
    if !passes {
        // Helm shows a failing post-renderer's stderr: the report goes there.
        eprint!(
            "{}",
            to_text_with_findings(&outcome, &subject, &rendered.sources, styled_stderr())
        );
        eprintln!(
            "stackcheck post-render: refusing the release: preflight verdict {}{}",
            outcome.verdict.word(),
            if outcome.verdict == Verdict::Unknown {
                " (pass --allow-unknown to install anyway)"
            } else {
                ""
            }
        );
        return Ok(verdict_class(outcome.verdict));
    }
    eprintln!(
        "stackcheck post-render: preflight verdict {}: {} pod(s) placed on {}",
        outcome.verdict.word(),
        outcome.placements.len(),
        cluster.description
    );
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .map_err(|e| failure(format!("cannot write the manifests to stdout: {e}")))?;
    Ok(OutcomeClass::Ok)
}
