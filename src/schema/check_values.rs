//! `stackcheck validate` as a library call: the user's values layers merged in Helm's order, the
//! chart's scopes resolved, each enabled chart checked against its schema, every finding a
//! [`Diagnostic`] with a position and a hint.

use std::path::Path;

use serde_json::Value as Json;

use super::generate;
use super::validate::{ScopeSchema, validate};
use crate::chart::{self, ChartError, scope};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Sources;
use crate::values::{Layers, display_path};

/// Which schema each enabled chart is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaChoice {
    /// Its `values.schema.json` when present, else the generated one (with a note).
    #[default]
    Auto,
    /// Only the files.
    Chart,
    /// Always the generated one.
    Generated,
}

/// What to check.
pub struct Request<'a> {
    pub layers: &'a Layers,
    pub chart_dir: &'a Path,
    /// The chart was named (`--chart`), not looked up from the values files' directory.
    pub chart_named: bool,
    /// The first values file, to name it when no chart holds it.
    pub first_values_file: Option<&'a Path>,
    pub schema: SchemaChoice,
    /// List disabled dependencies as notes (machine formats, `HELM_DEBUG`).
    pub list_disabled: bool,
}

/// The findings of a check that could read its input.
pub struct ValuesReport {
    pub chart: String,
    pub diagnostics: Vec<Diagnostic>,
    /// Charts checked against a schema.
    pub schemas: usize,
    /// Dependencies left out by their condition or tags.
    pub disabled: usize,
}

/// Input that cannot be read (bad input, not a failed check), as diagnostics.
#[derive(Debug)]
pub struct InputError {
    /// The values layers (`-f`, `--set`...) could not be merged: the chart was not looked at.
    pub values: bool,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn check_values(req: &Request<'_>, sources: &mut Sources) -> Result<ValuesReport, InputError> {
    let user = req.layers.merge(sources).map_err(|errors| InputError {
        values: true,
        diagnostics: errors.iter().map(|e| e.diagnostic()).collect(),
    })?;
    let chart = chart::load(req.chart_dir, sources).map_err(|e| InputError {
        values: false,
        diagnostics: vec![match &e {
            ChartError::NotAChart { .. } if !req.chart_named => Diagnostic::error(
                Code::Chart,
                match req.first_values_file {
                    Some(f) => format!(
                        "no chart to validate against: {} is not inside a chart directory (one with Chart.yaml), and neither is the current directory",
                        f.display()
                    ),
                    None => "no chart to validate against: the current directory has no Chart.yaml".into(),
                },
            )
            .hint("name the chart with --chart PATH (a chart directory or a packaged .tgz)"),
            _ => e.diagnostic(),
        }],
    })?;
    let resolved = scope::resolve(&chart, &user);
    let mut diags = Vec::new();
    for (path, value) in &resolved.mismatches {
        diags.push(
            Diagnostic::error(
                Code::SubchartScope,
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
                Code::Shape,
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

    let generated = generate::generate(&chart, sources).map_err(|errors| InputError {
        values: false,
        diagnostics: errors
            .iter()
            .map(|e| Diagnostic::error(Code::Annotation, e.to_string()))
            .collect(),
    })?;
    let mut schemas = Vec::new();
    for s in &resolved.scopes {
        let file = s.chart.schema.as_ref().map(|f| f.json.clone());
        let generated_schema: Option<Json> = generated
            .iter()
            .find(|g| g.path == s.path)
            .map(|g| g.schema.clone());
        let chosen = match req.schema {
            SchemaChoice::Chart => file,
            SchemaChoice::Generated => generated_schema,
            SchemaChoice::Auto => file.or_else(|| {
                if s.path.is_empty() {
                    diags.push(
                        Diagnostic::note(Code::GeneratedSchema, format!("chart {} has no values.schema.json: checked against the schema stackcheck generates", s.chart.name()))
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
    diags.extend(validate(&resolved, &schemas, sources));
    // Disabled dependencies are routine: listed when asked, else only counted.
    for d in resolved.disabled.iter().filter(|_| req.list_disabled) {
        diags.push(Diagnostic::note(
            Code::Disabled,
            format!(
                "dependency {} is disabled ({}): not validated",
                d.path.join("."),
                d.reason
            ),
        ));
    }
    Ok(ValuesReport {
        chart: chart.name().to_string(),
        diagnostics: diags,
        schemas: schemas.len(),
        disabled: resolved.disabled.len(),
    })
}
