//! `stackcheck docs`: generate, write or check every chart's README.md.

use super::schema::{Words, show_files};
use super::{DocsArgs, Failure, Outcome, debug, out};
use crate::diagnostic::{Code, Diagnostic, OutcomeClass};
use crate::docs::{self, RenderOptions, Which, template};
use crate::render::HelmTemplate;
use crate::report::{self, Format};
use crate::schema::files::FileStatus;
use crate::source::Sources;

pub(super) fn run(args: DocsArgs) -> Outcome {
    if args.print_template {
        out(template::BUILTIN);
        return Ok(OutcomeClass::Ok);
    }
    let options = RenderOptions::new(HelmTemplate::helm_from_env());
    let which = if args.write || args.check {
        Which::All
    } else {
        Which::Top
    };
    debug(|| {
        format!(
            "generating READMEs for {} with {}",
            args.chart.display(),
            options.helm.display()
        )
    });
    let sources = Sources::new();
    let readmes = docs::generate(&args.chart, &options, which).map_err(|e| {
        let mut diag = Diagnostic::error(Code::Docs, e.to_string());
        // A profile the chart's own stale schema rejects: the schema is what is out of
        // date (a check that fails, exit 1), not the input.
        let stale = stale_schemas(&args.chart, &e);
        let hint = match stale.first() {
            Some(schema) => Some(format!(
                "{} is stale and rejects the profile's values: run `stackcheck schema {chart} \
                     --write`, then `stackcheck docs {chart} --write`",
                schema.display(),
                chart = args.chart.display()
            )),
            None => e.hint(),
        };
        if let Some(h) = hint {
            diag = diag.hint(h);
        }
        let class = if stale.is_empty() {
            OutcomeClass::BadInput
        } else {
            OutcomeClass::Failed
        };
        Failure::diagnostics(class, &[diag], &sources)
    })?;
    let warnings: Vec<Diagnostic> = readmes
        .iter()
        .flat_map(|r| {
            r.warnings.iter().map(|w| {
                Diagnostic::warning(Code::DocsTotals, w.clone())
                    .chart(&r.chart)
                    .hint("this workload is left out of the README's resources table")
            })
        })
        .collect();
    eprint!(
        "{}",
        report::render(&warnings, &sources, Format::Text, false)
    );
    if !args.write && !args.check {
        if let Some(top) = readmes.first() {
            out(&top.text);
        }
        return Ok(OutcomeClass::Ok);
    }
    let reports = docs::sync(&readmes, args.write, args.force)
        .map_err(|e| Failure::message(OutcomeClass::BadInput, e))?;
    let fix = if args.chart.as_os_str() == "." {
        "stackcheck docs --write".to_string()
    } else {
        format!("stackcheck docs {} --write", args.chart.display())
    };
    Ok(show_files(
        &reports,
        &Words {
            codes: [Code::DocsMissing, Code::DocsStale, Code::DocsHandEdited],
            generator: "the chart",
            hand_edited_hint: format!(
                "move the text into {} (it can extend the built-in template) or into values.yaml comments, then run `{fix} --force`",
                template::OVERRIDE_FILE
            ),
            fix,
            hand_edited_diff: args.check,
        },
    ))
}

/// When `error` is a profile that does not render: the chart's values schemas that exist but
/// are stale (what `schema --check` reports as stale), else nothing.
fn stale_schemas(chart: &std::path::Path, error: &docs::DocsError) -> Vec<std::path::PathBuf> {
    if !matches!(error, docs::DocsError::Profile { .. }) {
        return Vec::new();
    }
    crate::schema::check(chart)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| matches!(r.status, FileStatus::Stale { .. }))
        .map(|r| r.path)
        .collect()
}
