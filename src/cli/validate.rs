//! `stackcheck validate` (and the bare `stackcheck VALUES...`).

use super::{Exit, SchemaSource, ValidateArgs, debug, out, styled};
use crate::chart::{self, scope};
use crate::report::{self, Diagnostic, Format};
use crate::schema::generate;
use crate::schema::validate::{ScopeSchema, validate};
use crate::source::Sources;
use crate::values::{ValuesError, display_path};

pub(super) fn run(args: ValidateArgs) -> Exit {
    let mut sources = Sources::new();
    let format = args.output;
    let emit = |diags: &[Diagnostic], sources: &Sources| {
        out(&report::render(
            diags,
            sources,
            format,
            format == Format::Text && styled(),
        ));
    };
    let user = match args.layers().merge(&mut sources) {
        Ok(v) => v,
        Err(errors) => {
            let diags: Vec<Diagnostic> = errors.iter().map(values_diagnostic).collect();
            emit(&diags, &sources);
            return Exit::BadInput;
        }
    };
    let chart_dir = args.chart_dir();
    debug(|| format!("chart {}", chart_dir.display()));
    let chart = match chart::load(&chart_dir, &mut sources) {
        Ok(c) => c,
        Err(e) => {
            let d = match &e {
                chart::ChartError::Values(v) => values_diagnostic(v),
                _ => Diagnostic::error("chart", e.to_string())
                    .hint("point --chart at a chart directory (with Chart.yaml) or a .tgz"),
            };
            emit(&[d], &sources);
            return Exit::BadInput;
        }
    };
    let resolved = scope::resolve(&chart, &user);
    let mut diags = Vec::new();
    for (path, value) in &resolved.mismatches {
        diags.push(
            Diagnostic::error(
                "subchart-scope",
                format!(
                    "values for subchart `{}` must be a map, found {}",
                    path.join("."),
                    value.type_name()
                ),
            )
            .at(value.span)
            .path(display_path(path))
            .hint("Helm fails with \"type mismatch\" here; give the subchart's values as a map"),
        );
    }
    for c in &resolved.conflicts {
        diags.push(
            Diagnostic::warning(
                "shape",
                format!(
                    "replaces a {} default with a {}",
                    c.default.type_name(),
                    c.user.type_name()
                ),
            )
            .at(c.user.span)
            .path(display_path(&c.path))
            .hint("Helm keeps your value and drops the chart's default; check this is intended"),
        );
    }

    // Which schema each enabled chart is checked against.
    let generated = match generate::generate(&chart, &sources) {
        Ok(g) => g,
        Err(errors) => {
            let diags: Vec<Diagnostic> = errors
                .iter()
                .map(|e| Diagnostic::error("annotation", e.to_string()))
                .collect();
            emit(&diags, &sources);
            return Exit::BadInput;
        }
    };
    let mut schemas = Vec::new();
    for s in &resolved.scopes {
        let file = s.chart.schema.as_ref().map(|f| f.json.clone());
        let generated_schema = generated
            .iter()
            .find(|g| g.path == s.path)
            .map(|g| g.schema.clone());
        let chosen = match args.schema_source {
            SchemaSource::Chart => file,
            SchemaSource::Generated => generated_schema,
            SchemaSource::Auto => file.or_else(|| {
                if s.path.is_empty() {
                    diags.push(
                        Diagnostic::note("generated-schema", format!("chart {} has no values.schema.json: checked against the schema stackcheck generates", s.chart.name()))
                            .hint("write it with `helm stackcheck schema --write` so `helm install` checks values too"),
                    );
                }
                generated_schema
            }),
        };
        if let Some(schema) = chosen {
            schemas.push(ScopeSchema {
                path: s.path.clone(),
                chart: s.chart.name().to_string(),
                schema,
            });
        }
    }
    diags.extend(validate(&resolved, &schemas, &sources));
    // Disabled dependencies are routine: listed in machine output, counted in text.
    for d in resolved
        .disabled
        .iter()
        .filter(|_| format != Format::Text || std::env::var_os("HELM_DEBUG").is_some())
    {
        diags.push(Diagnostic::note(
            "disabled",
            format!(
                "dependency {} is disabled ({}): not validated",
                d.path.join("."),
                d.reason
            ),
        ));
    }

    let errors = diags
        .iter()
        .filter(|d| d.severity == report::Severity::Error)
        .count();
    if format == Format::Text {
        emit(&diags, &sources);
        let files = args.files.len() + args.values.len();
        if errors == 0 {
            out(&format!(
                "ok: values are valid for chart {} ({} values file(s), {} chart(s) checked, {} disabled)\n",
                chart.name(),
                files,
                schemas.len(),
                resolved.disabled.len()
            ));
        } else {
            out(&format!(
                "{errors} error(s) in the values for chart {}\n",
                chart.name()
            ));
        }
    } else {
        emit(&diags, &sources);
    }
    if errors > 0 { Exit::Failed } else { Exit::Ok }
}

fn values_diagnostic(e: &ValuesError) -> Diagnostic {
    let hint = match e {
        ValuesError::Read { .. } => {
            Some("check the path; values files are read relative to the current directory")
        }
        ValuesError::Yaml { .. } => Some("fix the YAML at this position"),
        ValuesError::NotAMap { .. } => Some("a values file is a map of keys at its top level"),
        ValuesError::Set { .. } => {
            Some("the syntax is key=value,other.key=value; escape commas and dots in keys with \\")
        }
    };
    let d = Diagnostic::error(
        if matches!(e, ValuesError::Read { .. }) {
            "input"
        } else {
            "yaml"
        },
        e.to_string(),
    )
    .at(e.span());
    match hint {
        Some(h) => d.hint(h),
        None => d,
    }
}
