//! `stackcheck schema`: generate, write or check values.schema.json files.

use super::{Failure, Outcome, SchemaArgs, out};
use crate::diagnostic::{Code, Diagnostic, OutcomeClass};
use crate::report::{self, Format};
use crate::schema::files::{self, FileStatus};
use crate::schema::{self, CheckError};
use crate::source::Sources;

pub(super) fn run(args: SchemaArgs) -> Outcome {
    let mut sources = Sources::new();
    if !args.write && !args.check {
        let generated =
            schema::generate_all(&args.chart, &mut sources).map_err(|e| failure(e, sources))?;
        if let Some(umbrella) = generated.first() {
            out(&files::render(&umbrella.schema));
        }
        return Ok(OutcomeClass::Ok);
    }
    let reports = schema::sync(&args.chart, args.write, args.force, &mut sources)
        .map_err(|e| failure(e, sources))?;
    let mut failed = false;
    let mut diags = Vec::new();
    for r in &reports {
        let path = r.path.display();
        match &r.status {
            FileStatus::UpToDate => out(&format!("up to date  {path}\n")),
            FileStatus::Written => out(&format!("wrote       {path}\n")),
            FileStatus::Packed => out(&format!(
                "skipped     {path} (packed chart: its schema cannot be written)\n"
            )),
            FileStatus::Missing => {
                failed = true;
                diags.push(
                    Diagnostic::error(Code::SchemaMissing, format!("{path} is missing"))
                        .chart(&r.chart)
                        .hint("run `helm stackcheck schema --write` and commit the file"),
                );
            }
            FileStatus::Stale { diff } => {
                failed = true;
                out(diff);
                diags.push(
                    Diagnostic::error(
                        Code::SchemaStale,
                        format!("{path} differs from what values.yaml generates"),
                    )
                    .chart(&r.chart)
                    .hint("run `helm stackcheck schema --write` and commit the result"),
                );
            }
            FileStatus::HandEdited => {
                failed = true;
                diags.push(
                    Diagnostic::error(Code::SchemaHandEdited, format!("{path} was written or edited by hand; left unchanged"))
                        .chart(&r.chart)
                        .hint("move the change into values.yaml annotations (docs/ANNOTATIONS.md), or pass --force to replace the file"),
                );
            }
        }
    }
    eprint!(
        "{}",
        report::render(&diags, &Sources::new(), Format::Text, false)
    );
    Ok(if failed {
        OutcomeClass::Failed
    } else {
        OutcomeClass::Ok
    })
}

/// A chart that cannot be read points into its files; bad annotations and writes are lines.
fn failure(e: CheckError, sources: Sources) -> Failure {
    match e {
        CheckError::Chart(e) => {
            Failure::diagnostics(OutcomeClass::BadInput, vec![e.diagnostic()], sources)
        }
        CheckError::Annotations(errors) => Failure::lines(
            OutcomeClass::BadInput,
            errors.iter().map(|e| format!("error: {e}")).collect(),
        ),
        CheckError::Files(e) => Failure::message(OutcomeClass::BadInput, e),
    }
}
