//! `stackcheck validate`: the values against the chart's schemas (`schema::check_values`).

use super::{Failure, Outcome, SchemaSource, ValidateArgs, debug, out, styled};
use crate::diagnostic::OutcomeClass;
use crate::report::{self, Format};
use crate::schema::check_values::{Request, SchemaChoice, check_values};
use crate::source::Sources;

impl From<SchemaSource> for SchemaChoice {
    fn from(source: SchemaSource) -> SchemaChoice {
        match source {
            SchemaSource::Auto => SchemaChoice::Auto,
            SchemaSource::Chart => SchemaChoice::Chart,
            SchemaSource::Generated => SchemaChoice::Generated,
        }
    }
}

/// Disabled dependencies are listed as notes in the machine formats and under `HELM_DEBUG`.
pub(super) fn list_disabled(format: Format) -> bool {
    format != Format::Text || std::env::var_os("HELM_DEBUG").is_some()
}

pub(super) fn run(args: ValidateArgs) -> Outcome {
    args.values.helm_habits()?;
    let mut sources = Sources::new();
    let format = args.output;
    let chart_dir = args.chart_dir();
    let layers = args.values.layers();
    let request = Request {
        layers: &layers,
        chart_dir: &chart_dir,
        chart_named: args.chart.is_some(),
        first_values_file: args.values.all_files().next().map(|f| f.as_path()),
        schema: args.schema_source.into(),
        list_disabled: list_disabled(format),
    };
    let result = check_values(&request, &mut sources);
    if result.as_ref().map_or_else(|e| !e.values, |_| true) {
        debug(|| format!("chart {}", chart_dir.display()));
    }
    let styled = format == Format::Text && styled();
    match result {
        Ok(values) if format == Format::Text => {
            out(&report::values_text(
                &values,
                layers.files.len(),
                &sources,
                styled,
            ));
            Ok(OutcomeClass::of_findings(&values.diagnostics))
        }
        Ok(values) => {
            out(&report::render(
                &values.diagnostics,
                &sources,
                format,
                styled,
            ));
            Ok(OutcomeClass::of_findings(&values.diagnostics))
        }
        // Input that cannot be read is an error of the run, not a report: in text it goes to
        // stderr; the machine formats keep it in their document on stdout.
        Err(e) if format == Format::Text => Err(Failure::diagnostics(
            OutcomeClass::BadInput,
            &e.diagnostics,
            &sources,
        )),
        Err(e) => {
            out(&report::render(&e.diagnostics, &sources, format, styled));
            Ok(OutcomeClass::BadInput)
        }
    }
}
