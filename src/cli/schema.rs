//! `stackcheck schema`: generate, write or check values.schema.json files.

use super::{Exit, SchemaArgs, debug, out};
use crate::chart;
use crate::diagnostic::{Code, Diagnostic};
use crate::report::{self, Format};
use crate::schema::files::{self, FileStatus};
use crate::schema::generate;
use crate::source::Sources;

pub(super) fn run(args: SchemaArgs) -> Exit {
    let mut sources = Sources::new();
    let chart = match chart::load(&args.chart, &mut sources) {
        Ok(c) => c,
        Err(e) => {
            let diag = match &e {
                chart::ChartError::Values(v) => v.diagnostic(),
                _ => Diagnostic::error(Code::Chart, e.to_string()),
            };
            let diag = match e.hint() {
                Some(h) => diag.hint(h),
                None => diag,
            };
            eprint!("{}", report::render(&[diag], &sources, Format::Text, false));
            return Exit::BadInput;
        }
    };
    debug(|| {
        format!(
            "loaded chart {} from {}",
            chart.name(),
            args.chart.display()
        )
    });
    let generated = match generate::generate(&chart, &sources) {
        Ok(g) => g,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return Exit::BadInput;
        }
    };
    if !args.write && !args.check {
        out(&files::render(&generated[0].schema));
        return Exit::Ok;
    }
    let reports = match files::sync(&generated, args.write, args.force) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
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
    eprint!("{}", report::render(&diags, &sources, Format::Text, false));
    if failed { Exit::Failed } else { Exit::Ok }
}
