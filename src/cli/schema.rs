//! `stackcheck schema`: generate, write or check values.schema.json files.

use super::{Failure, Outcome, SchemaArgs, out};
use crate::diagnostic::{Code, Diagnostic, OutcomeClass};
use crate::report::{self, Format};
use crate::schema::files::{self, FileReport, FileStatus};
use crate::schema::{self, CheckError};
use crate::source::Sources;

pub(super) fn run(args: SchemaArgs) -> Outcome {
    let mut sources = Sources::new();
    if !args.write && !args.check {
        let generated =
            schema::generate_all(&args.chart, &mut sources).map_err(|e| failure(e, &sources))?;
        if let Some(umbrella) = generated.first() {
            out(&files::render(&umbrella.schema));
        }
        return Ok(OutcomeClass::Ok);
    }
    let reports = schema::sync(&args.chart, args.write, args.force, &mut sources)
        .map_err(|e| failure(e, &sources))?;
    Ok(show_files(
        &reports,
        &Words {
            codes: [Code::SchemaMissing, Code::SchemaStale, Code::SchemaHandEdited],
            generator: "values.yaml",
            fix: "helm stackcheck schema --write".into(),
            hand_edited_hint: "move the change into values.yaml annotations (docs/ANNOTATIONS.md), or pass --force to replace the file".into(),
            hand_edited_diff: false,
        },
    ))
}

/// How `schema` and `docs` word the files they compare.
pub(super) struct Words {
    /// Of a missing, a stale and a hand-edited file.
    pub codes: [Code; 3],
    /// What generates the file.
    pub generator: &'static str,
    /// The command that regenerates it.
    pub fix: String,
    pub hand_edited_hint: String,
    /// Show a hand-edited file's diff too.
    pub hand_edited_diff: bool,
}

/// A line per current file and the diffs on stdout, an error per file that is not current on
/// stderr; failed when there is one.
pub(super) fn show_files(reports: &[FileReport], words: &Words) -> OutcomeClass {
    let mut diags = Vec::new();
    for r in reports {
        let path = r.path.display();
        let (code, message, hint) = match &r.status {
            FileStatus::UpToDate => {
                out(&format!("up to date  {path}\n"));
                continue;
            }
            FileStatus::Written => {
                out(&format!("wrote       {path}\n"));
                continue;
            }
            FileStatus::Packed => {
                out(&format!(
                    "skipped     {path} (packed chart: its schema cannot be written)\n"
                ));
                continue;
            }
            FileStatus::Missing => (
                words.codes[0],
                format!("{path} is missing"),
                format!("run `{}` and commit the file", words.fix),
            ),
            FileStatus::Stale { diff } => {
                out(diff);
                (
                    words.codes[1],
                    format!("{path} differs from what {} generates", words.generator),
                    format!("run `{}` and commit the result", words.fix),
                )
            }
            FileStatus::HandEdited { diff } => {
                if words.hand_edited_diff {
                    out(diff);
                }
                (
                    words.codes[2],
                    format!("{path} was written or edited by hand; left unchanged"),
                    words.hand_edited_hint.clone(),
                )
            }
        };
        diags.push(Diagnostic::error(code, message).chart(&r.chart).hint(hint));
    }
    eprint!(
        "{}",
        report::render(&diags, &Sources::new(), Format::Text, false)
    );
    OutcomeClass::of_findings(&diags)
}

/// A chart that cannot be read points into its files; bad annotations and writes are lines.
fn failure(e: CheckError, sources: &Sources) -> Failure {
    match e {
        CheckError::Chart(e) => {
            Failure::diagnostics(OutcomeClass::BadInput, &[e.diagnostic()], sources)
        }
        CheckError::Annotations(errors) => Failure::lines(
            OutcomeClass::BadInput,
            errors.iter().map(|e| format!("error: {e}")).collect(),
        ),
        CheckError::Files(e) => Failure::message(OutcomeClass::BadInput, e),
    }
}
