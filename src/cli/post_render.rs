//! `stackcheck post-render`: a Helm post-renderer that refuses a release the cluster cannot hold.
//!
//! Helm writes the rendered manifests to the post-renderer's stdin and installs what it prints
//! on stdout; a non-zero exit aborts the install and Helm shows the post-renderer's stderr. So:
//! read stdin whole, preflight it, and either print the very same bytes (the install goes on) or
//! print nothing on stdout and the preflight report on stderr (it stops). Nothing is changed.

use std::io::{Read, Write};

use super::preflight::{exit_code, load_cluster, render, subject};
use super::{Exit, PostRenderArgs, PreflightFormat, styled_stderr, totals};
use crate::preflight::outcome::Verdict;
use crate::release::{LoadedCluster, Rendered, preflight};
use crate::source::Sources;

/// What Helm's post-renderer input is called in reports (spans in it are not shown).
const INPUT_NAME: &str = "helm template (post-renderer input)";

pub(super) fn run(args: PostRenderArgs) -> Exit {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut input) {
        eprintln!("stackcheck post-render: cannot read the manifests on stdin: {e}");
        return Exit::BadInput;
    }
    let text = match String::from_utf8(input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "stackcheck post-render: the manifests on stdin are not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            );
            return Exit::BadInput;
        }
    };
    let mut sources = Sources::new();
    let loaded: LoadedCluster = match load_cluster(&args.cluster, &mut sources) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
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
    let subject = subject(&cluster, &args.release, &rendered);
    if let Some(path) = &args.report_file {
        let report = render(
            &outcome,
            &subject,
            &rendered.sources,
            PreflightFormat::Text,
            false,
        );
        if let Err(e) = std::fs::write(path, report) {
            eprintln!(
                "stackcheck post-render: cannot write the report to {}: {e}",
                path.display()
            );
            return Exit::BadInput;
        }
    }
    if !passes {
        eprint!(
            "{}",
            render(
                &outcome,
                &subject,
                &rendered.sources,
                PreflightFormat::Text,
                styled_stderr()
            )
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
        return exit_code(&outcome);
    }
    eprintln!(
        "stackcheck post-render: preflight verdict {}: {} pod(s) placed on {}",
        outcome.verdict.word(),
        outcome.placements.len(),
        cluster.description
    );
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        eprintln!("stackcheck post-render: cannot write the manifests to stdout: {e}");
        return Exit::BadInput;
    }
    Exit::Ok
}
