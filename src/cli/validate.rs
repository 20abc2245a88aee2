//! `stackcheck validate` (and the bare `stackcheck VALUES...`).

use super::{Exit, SchemaSource, ValidateArgs, debug, out, styled, styled_stderr};
use crate::chart::{self, scope};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::report::{self, Format};
use crate::schema::generate;
use crate::schema::validate::{ScopeSchema, validate};
use crate::source::Sources;
use crate::values::{ValuesError, display_path};
use crate::yaml::YamlError;

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
    // Input that cannot be read (exit 2) is an error of the run, not a report: in text it goes
    // to stderr; the machine formats keep it in their document on stdout.
    let fail = |diags: &[Diagnostic], sources: &Sources| {
        if format == Format::Text {
            eprint!(
                "{}",
                report::render(diags, sources, format, styled_stderr())
            );
        } else {
            emit(diags, sources);
        }
        Exit::BadInput
    };
    let user = match args.values.layers().merge(&mut sources) {
        Ok(v) => v,
        Err(errors) => {
            let diags: Vec<Diagnostic> = errors.iter().map(values_diagnostic).collect();
            return fail(&diags, &sources);
        }
    };
    let chart_dir = args.chart_dir();
    debug(|| format!("chart {}", chart_dir.display()));
    let chart = match chart::load(&chart_dir, &mut sources) {
        Ok(c) => c,
        Err(e) => {
            let d = match &e {
                chart::ChartError::Values(v) => values_diagnostic(v),
                chart::ChartError::NotAChart { .. } if args.chart.is_none() => {
                    let first = args.values.all_files().next();
                    Diagnostic::error(
                        Code::Chart,
                        match first {
                            Some(f) => format!(
                                "no chart to validate against: {} is not inside a chart directory (one with Chart.yaml), and neither is the current directory",
                                f.display()
                            ),
                            None => "no chart to validate against: the current directory has no Chart.yaml".into(),
                        },
                    )
                    .hint("name the chart with --chart PATH (a chart directory or a packaged .tgz)")
                }
                _ => {
                    let d = Diagnostic::error(Code::Chart, e.to_string());
                    match e.hint() {
                        Some(h) => d.hint(h),
                        None => d,
                    }
                }
            };
            return fail(&[d], &sources);
        }
    };
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

    // Which schema each enabled chart is checked against.
    let generated = match generate::generate(&chart, &sources) {
        Ok(g) => g,
        Err(errors) => {
            let diags: Vec<Diagnostic> = errors
                .iter()
                .map(|e| Diagnostic::error(Code::Annotation, e.to_string()))
                .collect();
            return fail(&diags, &sources);
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
    diags.extend(validate(&resolved, &schemas, &sources));
    // Disabled dependencies are routine: listed in machine output, counted in text.
    for d in resolved
        .disabled
        .iter()
        .filter(|_| format != Format::Text || std::env::var_os("HELM_DEBUG").is_some())
    {
        diags.push(Diagnostic::note(
            Code::Disabled,
            format!(
                "dependency {} is disabled ({}): not validated",
                d.path.join("."),
                d.reason
            ),
        ));
    }

    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if format == Format::Text {
        emit(&diags, &sources);
        let files = args.values.all_files().count();
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

/// A values layer that cannot be read. The span names the file, so the message does not.
pub(super) fn values_diagnostic(e: &ValuesError) -> Diagnostic {
    let (code, message, hint): (Code, String, String) = match e {
        ValuesError::Read { .. } => (
            Code::Input,
            e.to_string(),
            "check the path; values files are read relative to the current directory".into(),
        ),
        ValuesError::NotUtf8 { byte, .. } => (
            Code::Input,
            format!("not UTF-8 text: invalid byte 0x{byte:02X}"),
            "save the file as UTF-8: Helm reads values files as UTF-8 text".into(),
        ),
        ValuesError::Yaml { source, .. } => (Code::Yaml, source.to_string(), yaml_hint(source)),
        ValuesError::NotAMap { found, .. } => (
            Code::Yaml,
            format!("the top level of a values file must be a map of keys, found a {found}"),
            "write the values as `key: value` lines; a list or a lone value cannot be merged into the chart's values".into(),
        ),
        ValuesError::Set {
            flag,
            message,
            span,
            ..
        } => {
            let hint = if *flag == "--set-file" && message.starts_with("cannot read") {
                "the part after `=` is a path, read relative to the current directory"
            } else if *flag == "--set-json" && message.starts_with("invalid JSON") {
                "the part after `=` must be JSON, e.g. --set-json 'key={\"a\":1}' (quote it for the shell)"
            } else {
                "the syntax is key=value,other.key=value; escape commas and dots in keys with \\"
            };
            // Without a position the message must name the argument itself.
            let message = match span {
                Some(_) => message.clone(),
                None => e.to_string(),
            };
            (Code::Set, message, hint.into())
        }
    };
    Diagnostic::error(code, message).at(e.span()).hint(hint)
}

fn yaml_hint(e: &YamlError) -> String {
    match e {
        YamlError::Syntax { .. } => "fix the YAML here; an unclosed bracket or quote is often reported only where the parser gives up, after the real mistake".into(),
        YamlError::DuplicateKey { key, .. } => {
            format!("keep one `{key}`: remove or rename the other")
        }
        YamlError::TooDeep { .. } => format!(
            "values nest at most {} levels deep; look for runaway brackets or indentation",
            crate::yaml::MAX_DEPTH
        ),
        YamlError::TooManyNodes { .. } => "anchors and aliases here expand to more values than any chart needs; write the values out or use fewer nested aliases".into(),
        YamlError::UnknownAlias { .. } => "define the anchor (`&name`) before its first use (`*name`)".into(),
        YamlError::ComplexKey { .. } => "Helm turns values into JSON, where keys are strings; write the key as a plain word".into(),
        YamlError::NotJson { .. } => "Helm turns values into JSON, which has no such number".into(),
        YamlError::BadMerge { .. } => "`<<: *anchor` merges a map anchored elsewhere; point it at a map".into(),
    }
}
