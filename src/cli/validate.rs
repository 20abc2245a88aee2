//! `stackcheck validate` (and the bare `stackcheck VALUES...`).

use super::{Exit, SchemaSource, ValidateArgs, debug, out, styled, styled_stderr};
use crate::diagnostic::Severity;
use crate::report::{self, Format};
use crate::schema::check_values::{Request, SchemaChoice, check_values};
use crate::source::Sources;

pub(super) fn run(args: ValidateArgs) -> Exit {
    let mut sources = Sources::new();
    let format = args.output;
    let chart_dir = args.chart_dir();
    let layers = args.values.layers();
    let request = Request {
        layers: &layers,
        chart_dir: &chart_dir,
        chart_named: args.chart.is_some(),
        first_values_file: args.values.all_files().next().map(|f| f.as_path()),
        schema: match args.schema_source {
            SchemaSource::Auto => SchemaChoice::Auto,
            SchemaSource::Chart => SchemaChoice::Chart,
            SchemaSource::Generated => SchemaChoice::Generated,
        },
        list_disabled: format != Format::Text || std::env::var_os("HELM_DEBUG").is_some(),
    };
    let result = check_values(&request, &mut sources);
    if result.as_ref().map_or_else(|e| !e.values, |_| true) {
        debug(|| format!("chart {}", chart_dir.display()));
    }
    let styled = format == Format::Text && styled();
    let report = match result {
        Ok(r) => r,
        // Input that cannot be read (exit 2) is an error of the run, not a report: in text it
        // goes to stderr; the machine formats keep it in their document on stdout.
        Err(e) if format == Format::Text => {
            let text = report::render(&e.diagnostics, &sources, format, styled_stderr());
            eprint!("{text}");
            return Exit::BadInput;
        }
        Err(e) => {
            out(&report::render(&e.diagnostics, &sources, format, styled));
            return Exit::BadInput;
        }
    };
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    out(&report::render(
        &report.diagnostics,
        &sources,
        format,
        styled,
    ));
    if format == Format::Text && errors == 0 {
        out(&format!(
            "ok: values are valid for chart {} ({} values file(s), {} chart(s) checked, {} disabled)\n",
            report.chart,
            args.values.all_files().count(),
            report.schemas,
            report.disabled
        ));
    } else if format == Format::Text {
        out(&format!(
            "{errors} error(s) in the values for chart {}\n",
            report.chart
        ));
    }
    if errors > 0 { Exit::Failed } else { Exit::Ok }
}
