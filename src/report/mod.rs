//! Diagnostics and how they are shown: plain `file:line:col` lines, rustc-style snippets on a
//! terminal, JSON (a versioned contract, `schemas/validate-report.schema.json`), SARIF for code
//! scanning, and GitHub Actions annotations; the reports of the commands build on them
//! ([`check`], [`preflight`], [`totals`], [`values_text`]).

pub mod check;
pub mod preflight;
pub mod totals;

use serde_json::json;

use crate::diagnostic::{Diagnostic, Severity};
use crate::schema::check_values::ValuesReport;
use crate::source::{SourceKind, Sources, Span};
use crate::values::secret::{mask_set_argument, mask_yaml, set_pair_at};

/// Output format chosen with `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

/// Which layer a span belongs to, in words: `values-prod.yaml`, `chart default`, `--set`.
fn layer(sources: &Sources, span: &Span) -> String {
    match sources.get(span.source).map(|f| &f.kind) {
        Some(SourceKind::ChartDefaults { chart }) => format!("default of chart {chart}"),
        Some(SourceKind::ValuesFile { .. }) => "values file".into(),
        // Only the pair that set the value, masked: never a sibling secret of the argument.
        Some(SourceKind::SetArgument { flag }) => {
            let arg = sources.text(span.source);
            format!("{flag} {}", set_pair_at(arg, span.byte_range(arg).start))
        }
        Some(SourceKind::SetFile { flag }) => format!("file read by {flag}"),
        _ => "file".into(),
    }
}

/// Render diagnostics in `format`. `styled` draws rustc-like snippets with colour (a terminal).
pub fn render(diags: &[Diagnostic], sources: &Sources, format: Format, styled: bool) -> String {
    match format {
        Format::Text if styled => text_styled(diags, sources),
        Format::Text => text_plain(diags, sources),
        Format::Json => json_text(&to_json(diags, sources)),
        Format::Sarif => json_text(&sarif(diags, sources)),
        Format::Github => github(diags, sources),
    }
}

/// The widest cell of each column of a text table, in characters.
pub(crate) fn column_widths(rows: &[Vec<String>]) -> Vec<usize> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let cells = |c| rows.iter().filter_map(move |r: &Vec<String>| r.get(c));
    (0..columns)
        .map(|c| cells(c).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect()
}

/// A JSON report as printed: pretty, newline-terminated (a `Value` always serialises).
pub fn json_text(report: &serde_json::Value) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

/// A values check in text (`validate`, the values step of `check`): the findings, then one
/// line that says whether the `files` values files are valid.
pub fn values_text(report: &ValuesReport, files: usize, sources: &Sources, styled: bool) -> String {
    let mut text = render(&report.diagnostics, sources, Format::Text, styled);
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    text.push_str(&if errors == 0 {
        format!(
            "ok: values are valid for chart {} ({files} values file(s), {} chart(s) checked, {} disabled)\n",
            report.chart, report.schemas, report.disabled
        )
    } else {
        format!("{errors} error(s) in the values for chart {}\n", report.chart)
    });
    text
}

fn location(sources: &Sources, span: &Span) -> String {
    format!(
        "{}:{}:{}",
        sources.name(span.source),
        span.start.line,
        span.start.col
    )
}

fn headline(d: &Diagnostic) -> String {
    match &d.path {
        Some(p) if !p.is_empty() => format!("{}: {}", p, d.message),
        _ => d.message.clone(),
    }
}

fn text_plain(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diags {
        let place = d
            .span
            .map(|s| format!("{}: ", location(sources, &s)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{place}{}[{}]: {}\n",
            d.severity.word(),
            d.code,
            headline(d)
        ));
        if let Some(span) = &d.span
            && !matches!(
                sources.get(span.source).map(|f| &f.kind),
                Some(SourceKind::ValuesFile { .. }) | Some(SourceKind::Other) | None
            )
        {
            out.push_str(&format!("  = set by: {}\n", layer(sources, span)));
        }
        if let Some(anchor) = &d.anchor {
            out.push_str(&format!(
                "  = written at: {} (the anchor this alias copies)\n",
                location(sources, anchor)
            ));
        }
        if let Some(h) = &d.hint {
            out.push_str(&format!("  = hint: {h}\n"));
        }
    }
    out
}

fn text_styled(diags: &[Diagnostic], sources: &Sources) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
    let renderer = Renderer::styled();
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Note => Level::NOTE,
        };
        let title = headline(d);
        let mut groups = Vec::new();
        let mut group = Group::with_title(level.primary_title(title.as_str()).id(d.code.as_str()));
        let label = d.span.map(|s| layer(sources, &s)).unwrap_or_default();
        let masked;
        if let Some(span) = &d.span
            && let Some(file) = sources.get(span.source)
        {
            let range = span.byte_range(&file.text);
            let range = if range.is_empty() {
                // Mark the character there: all of it, as it may take several bytes.
                let width = file.text[range.start..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
                range.start..range.start + width
            } else {
                range
            };
            // The lines shown with secret-looking values masked (same byte offsets).
            masked = match file.kind {
                SourceKind::SetArgument { .. } => mask_set_argument(&file.text),
                _ => mask_yaml(&file.text),
            };
            let mut snippet = Snippet::source(masked.as_str())
                .line_start(1)
                .path(file.name.as_str())
                .annotation(AnnotationKind::Primary.span(range).label(label.as_str()));
            if let Some(anchor) = d.anchor.filter(|a| a.source == span.source) {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(anchor.byte_range(&file.text))
                        .label("written here, in the anchor"),
                );
            }
            group = group.element(snippet);
        }
        groups.push(group);
        let hint = d.hint.clone().unwrap_or_default();
        if d.hint.is_some() {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(hint.as_str()),
            ));
        }
        out.push_str(&renderer.render(&groups));
        out.push_str("\n\n");
    }
    out
}

/// Version of the JSON output contract; bump on any incompatible change.
pub const JSON_VERSION: u32 = 1;

pub(crate) fn diag_json(d: &Diagnostic, sources: &Sources) -> serde_json::Value {
    let mut v = json!({
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "path": d.path,
        "chart": d.chart,
        "hint": d.hint,
    });
    if let Some(span) = &d.span {
        v["file"] = json!(sources.name(span.source));
        v["line"] = json!(span.start.line);
        v["column"] = json!(span.start.col);
        v["endLine"] = json!(span.end.line);
        v["endColumn"] = json!(span.end.col);
        v["layer"] = json!(layer(sources, span));
    }
    if let Some(anchor) = &d.anchor {
        v["anchor"] = json!({
            "file": sources.name(anchor.source),
            "line": anchor.start.line,
            "column": anchor.start.col,
            "endLine": anchor.end.line,
            "endColumn": anchor.end.col,
        });
    }
    v
}

pub fn to_json(diags: &[Diagnostic], sources: &Sources) -> serde_json::Value {
    let count = |s| diags.iter().filter(|d| d.severity == s).count();
    json!({
        "version": JSON_VERSION,
        "valid": count(Severity::Error) == 0,
        "summary": {"errors": count(Severity::Error), "warnings": count(Severity::Warning), "notes": count(Severity::Note)},
        "diagnostics": diags.iter().map(|d| diag_json(d, sources)).collect::<Vec<_>>(),
    })
}

fn sarif(diags: &[Diagnostic], sources: &Sources) -> serde_json::Value {
    let mut rules: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let results: Vec<_> = diags
        .iter()
        .map(|d| {
            let mut r = json!({
                "ruleId": d.code,
                "level": d.severity.word(),
                "message": {"text": match &d.hint { Some(h) => format!("{} ({h})", headline(d)), None => headline(d) }},
            });
            if let Some(span) = &d.span {
                r["locations"] = json!([{"physicalLocation": {
                    "artifactLocation": {"uri": sources.name(span.source)},
                    "region": {"startLine": span.start.line, "startColumn": span.start.col, "endLine": span.end.line, "endColumn": span.end.col.max(span.start.col + 1)},
                }}]);
            }
            if let Some(anchor) = &d.anchor {
                r["relatedLocations"] = json!([{"id": 0, "message": {"text": "written here, in the anchor"}, "physicalLocation": {
                    "artifactLocation": {"uri": sources.name(anchor.source)},
                    "region": {"startLine": anchor.start.line, "startColumn": anchor.start.col, "endLine": anchor.end.line, "endColumn": anchor.end.col.max(anchor.start.col + 1)},
                }}]);
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "stackcheck", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://github.com/stackcheck/stackcheck",
                "rules": rules.iter().map(|r| json!({"id": r})).collect::<Vec<_>>()}},
            // Columns count characters; SARIF's default would be UTF-16 code units.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// GitHub Actions workflow commands: one `::error file=…,line=…::message` line each.
fn github(diags: &[Diagnostic], sources: &Sources) -> String {
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_prop = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for d in diags {
        let mut props = Vec::new();
        if let Some(span) = &d.span {
            props.push(format!("file={}", escape_prop(sources.name(span.source))));
            props.push(format!("line={}", span.start.line));
            props.push(format!("col={}", span.start.col));
        }
        props.push(format!(
            "title={}",
            escape_prop(&format!("stackcheck {}", d.code))
        ));
        let mut msg = headline(d);
        if let Some(anchor) = &d.anchor {
            msg.push_str(&format!(
                "\nwritten at: {} (the anchor this alias copies)",
                location(sources, anchor)
            ));
        }
        if let Some(h) = &d.hint {
            msg.push_str(&format!("\nhint: {h}"));
        }
        out.push_str(&format!(
            "::{} {}::{}\n",
            d.severity.word(),
            props.join(","),
            escape(&msg)
        ));
    }
    out
}

/// An exact integer as JSON: a number while it fits Kubernetes' own int64, a decimal string
/// beyond (sums of many large quantities can pass 2^63; a JSON number that big is a float to most
/// readers, and serde_json refuses it).
pub(crate) fn exact_json(value: i128) -> serde_json::Value {
    match i64::try_from(value) {
        Ok(v) => serde_json::Value::from(v),
        Err(_) => serde_json::Value::String(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::source::Pos;

    fn sample() -> (Vec<Diagnostic>, Sources) {
        let mut sources = Sources::new();
        let id = sources.add(
            "values.yaml",
            "replicas: x\n",
            SourceKind::ValuesFile { index: 0 },
        );
        let span = Span {
            source: id,
            start: Pos {
                line: 1,
                col: 11,
                index: 10,
            },
            end: Pos {
                line: 1,
                col: 12,
                index: 11,
            },
        };
        let d = Diagnostic::error(Code::Type, "expected integer, found string \"x\"")
            .at(Some(span))
            .path("replicas")
            .hint("write a number");
        (vec![d], sources)
    }

    #[test]
    fn snippets_mask_secret_values_and_set_arguments_show_one_pair() {
        let mut sources = Sources::new();
        let file = sources.add(
            "values.yaml",
            "auth:\n  password: hunter2\n  user: x\n",
            SourceKind::ValuesFile { index: 0 },
        );
        let arg = sources.add(
            "--set",
            "auth.token=T0KEN,replicas=x",
            SourceKind::SetArgument { flag: "--set" },
        );
        let at = |source, line, col, index| Span {
            source,
            start: Pos { line, col, index },
            end: Pos {
                line,
                col: col + 1,
                index: index + 1,
            },
        };
        let diags = [
            Diagnostic::error(Code::Type, "bad").at(Some(at(file, 2, 13, 18))),
            Diagnostic::error(Code::Type, "bad").at(Some(at(arg, 1, 18, 17))),
        ];
        for styled in [false, true] {
            let text = render(&diags, &sources, Format::Text, styled);
            assert!(
                !text.contains("hunter2") && !text.contains("T0KEN"),
                "{text}"
            );
            assert!(text.contains("--set replicas=x"), "{text}");
        }
        let json = render(&diags, &sources, Format::Json, false);
        assert!(!json.contains("T0KEN") && json.contains("\"layer\": \"--set replicas=x\""));
    }

    #[test]
    fn plain_text_is_file_line_col() {
        let (d, s) = sample();
        let text = render(&d, &s, Format::Text, false);
        assert_eq!(
            text,
            "values.yaml:1:11: error[type]: replicas: expected integer, found string \"x\"\n  = hint: write a number\n"
        );
    }

    #[test]
    fn styled_text_shows_the_snippet() {
        let (d, s) = sample();
        let text = render(&d, &s, Format::Text, true);
        assert!(text.contains("replicas: x"), "{text}");
    }

    #[test]
    fn an_empty_span_on_a_multi_byte_character_marks_all_of_it() {
        // Found by fuzzing (yaml_parse): the snippet was cut inside the character and
        // annotate-snippets panicked.
        for text in ["a\u{feff}", "a: é", "é"] {
            let mut sources = Sources::new();
            let id = sources.add("values.yaml", text, SourceKind::ValuesFile { index: 0 });
            let index = text.chars().count() - 1;
            let pos = Pos {
                line: 1,
                col: index as u32 + 1,
                index,
            };
            let span = Span {
                source: id,
                start: pos,
                end: pos,
            };
            let d = Diagnostic::error(Code::Yaml, "invalid").at(Some(span));
            let out = render(&[d], &sources, Format::Text, true);
            assert!(out.contains("values.yaml"), "{out}");
        }
    }

    #[test]
    fn github_escapes() {
        let (d, s) = sample();
        let text = render(&d, &s, Format::Github, false);
        assert!(
            text.starts_with(
                "::error file=values.yaml,line=1,col=11,title=stackcheck type::replicas"
            ),
            "{text}"
        );
        assert!(text.contains("%0Ahint: write a number"));
    }

    #[test]
    fn an_alias_names_the_anchor_in_every_format() {
        let (mut d, s) = sample();
        let written = Span {
            start: Pos {
                line: 1,
                col: 1,
                index: 0,
            },
            ..d[0].span.unwrap()
        };
        d[0] = d[0].clone().at_alias(d[0].span, Some(written));
        let text = render(&d, &s, Format::Text, false);
        assert!(
            text.contains("\n  = written at: values.yaml:1:1 (the anchor this alias copies)\n"),
            "{text}"
        );
        assert_eq!(
            to_json(&d, &s)["diagnostics"][0]["anchor"]["column"],
            json!(1)
        );
        let sarif = sarif(&d, &s);
        assert_eq!(
            sarif["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"]["region"]["startColumn"],
            json!(1)
        );
        let github = render(&d, &s, Format::Github, false);
        assert!(
            github.contains("%0Awritten at: values.yaml:1:1"),
            "{github}"
        );
        // Not an alias: no anchor.
        let same = d[0].clone().at_alias(d[0].span, d[0].span);
        assert_eq!(same.anchor, None);
    }

    #[test]
    fn json_and_sarif_carry_positions() {
        let (d, s) = sample();
        let j = to_json(&d, &s);
        assert_eq!(j["valid"], json!(false));
        assert_eq!(j["diagnostics"][0]["line"], json!(1));
        let sarif = sarif(&d, &s);
        assert_eq!(
            sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"],
            json!(11)
        );
        assert_eq!(sarif["runs"][0]["columnKind"], json!("unicodeCodePoints"));
    }
}
