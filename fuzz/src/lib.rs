//! Checks shared by the fuzz targets.

use stackcheck::diagnostic::{Code, Diagnostic};
use stackcheck::report::{self, Format};
use stackcheck::source::{Pos, SourceId, Sources, Span};
use stackcheck::values::{Kind, Value};
use stackcheck::yaml::{Node, NodeKind};

/// A position must be 1-based and inside `text` (an index may point just past the end).
fn check_pos(what: &str, pos: Pos, text: &str) {
    assert!(
        pos.line >= 1 && pos.col >= 1,
        "{what}: 0-based position {pos:?}"
    );
    let chars = text.chars().count();
    assert!(
        pos.index <= chars,
        "{what}: index {} past the end ({chars} chars)",
        pos.index
    );
}

/// A span must run forward, sit inside the text of its source, and cut the text at character
/// boundaries.
pub fn check_span(what: &str, span: Span, source: SourceId, text: &str) {
    assert_eq!(span.source, source, "{what}: span of another source");
    check_pos(what, span.start, text);
    check_pos(what, span.end, text);
    assert!(
        span.start.index <= span.end.index,
        "{what}: span runs backwards {span:?}"
    );
    assert!(
        span.start.line <= span.end.line,
        "{what}: span runs backwards {span:?}"
    );
    if span.start.line == span.end.line {
        assert!(
            span.start.col <= span.end.col,
            "{what}: span runs backwards {span:?}"
        );
    }
    let range = span.byte_range(text);
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{what}: {range:?} outside the text"
    );
    assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
}

/// Line and column of every character index of a text (and of its end), counting line breaks
/// as YAML does (`\n`, `\r\n`, a lone `\r`). Byte order marks at the start of a line are no
/// column (editors do not show them; saphyr skips them there); anywhere else they count.
pub struct LineCols(Vec<(u32, u32)>);

impl LineCols {
    pub fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::with_capacity(chars.len() + 1);
        let (mut line, mut col) = (1u32, 1u32);
        for (i, &c) in chars.iter().enumerate() {
            out.push((line, col));
            match c {
                '\n' => (line, col) = (line + 1, 1),
                '\r' if chars.get(i + 1) != Some(&'\n') => (line, col) = (line + 1, 1),
                '\r' => {}
                '\u{feff}' if col == 1 => {}
                _ => col += 1,
            }
        }
        out.push((line, col));
        LineCols(out)
    }

    /// A span's line and column must be those of its index.
    pub fn check(&self, what: &str, span: Span) {
        for pos in [span.start, span.end] {
            assert_eq!(
                Some((pos.line, pos.col)),
                self.0.get(pos.index).copied(),
                "{what}: line/column disagree with index {} in {span:?}",
                pos.index
            );
        }
    }
}

/// Every span in a parsed YAML tree.
pub fn check_node(node: &Node, source: SourceId, text: &str, lines: &LineCols) {
    check_span("node", node.span, source, text);
    lines.check("node", node.span);
    if let Some(via) = node.via {
        check_span("alias", via, source, text);
        lines.check("alias", via);
        // A copy through an alias: everything in it has the spans of the anchored node
        // (checked where it is written) and this alias; an alias bomb would take ages.
        return;
    }
    match &node.kind {
        NodeKind::Seq(items) => items
            .iter()
            .for_each(|n| check_node(n, source, text, lines)),
        NodeKind::Map(entries) => {
            let mut seen = std::collections::HashSet::new();
            for e in entries {
                check_span("key", e.key_span, source, text);
                lines.check("key", e.key_span);
                check_node(&e.value, source, text, lines);
                assert!(
                    seen.insert(&e.key),
                    "duplicate key {:?} in a parsed map",
                    e.key
                );
            }
        }
        NodeKind::Number(n) => assert!(n.is_finite(), "non-finite number {n}"),
        _ => {}
    }
}

/// Every span in a values tree must be valid in the source it names.
pub fn check_value(value: &Value, sources: &Sources) {
    for span in [value.span, value.key_span, value.via]
        .into_iter()
        .flatten()
    {
        check_span("value", span, span.source, sources.text(span.source));
    }
    if value.via.is_some() {
        // Copied through an alias: its insides were checked where they are written.
        return;
    }
    match &value.kind {
        Kind::List(items) => items.iter().for_each(|v| check_value(v, sources)),
        Kind::Map(m) => m.values().for_each(|v| check_value(v, sources)),
        Kind::Float(f) => assert!(f.is_finite(), "non-finite number {f}"),
        _ => {}
    }
}

/// Render a diagnostic at `span` in every format: snippets must cut the text safely.
pub fn render_at(sources: &Sources, span: Option<Span>, message: &str) {
    let diag = Diagnostic::error(Code::Input, message).at(span);
    for format in [Format::Text, Format::Json, Format::Sarif, Format::Github] {
        let _ = report::render(std::slice::from_ref(&diag), sources, format, false);
    }
    let _ = report::render(&[diag], sources, Format::Text, true);
}

/// Every diagnostic rendered in every format, plain and styled (snippet cutting must hold for
/// any span a stage reports).
pub fn render_all(diags: &[Diagnostic], sources: &Sources) {
    for format in [Format::Text, Format::Json, Format::Sarif, Format::Github] {
        let _ = report::render(diags, sources, format, false);
    }
    let _ = report::render(diags, sources, Format::Text, true);
}

/// A report schema of `schemas/`, compiled once per target (`text` is its `include_str!`).
pub fn compile_schema(text: &str) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// A report must be valid against its published schema; every violation is listed.
pub fn assert_valid(schema: &jsonschema::Validator, report: &serde_json::Value, what: &str) {
    let errors: Vec<String> = schema
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} JSON breaks its schema: {errors:?}"
    );
}
