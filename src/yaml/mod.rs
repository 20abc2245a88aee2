//! YAML as Helm reads values files: a tree with a span on every node, built from
//! `saphyr-parser` events and resolved with go-yaml v2's YAML 1.1 rules (see [`scalar`]).
//!
//! Bounded on purpose: nesting deeper than [`MAX_DEPTH`] and alias expansion beyond
//! [`MAX_NODES`] are errors, so a hostile file cannot exhaust time or memory.

pub mod comments;
pub mod scalar;

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as RawSpan};

use crate::source::{Pos, SourceId, Span};
use scalar::Scalar;

/// Nesting limit (maps and lists). Real values files stay far below it.
pub const MAX_DEPTH: usize = 256;
/// Limit on nodes copied through aliases in one document (stops "billion laughs"). A node copied
/// through an alias also counts one more per [`TEXT_PER_NODE`] bytes of its scalars and keys,
/// so long strings cannot multiply either. Nodes written out in the text are not counted: they
/// are bounded by the text itself, and Helm reads a values file of millions of keys.
pub const MAX_NODES: usize = 1_000_000;
/// Bytes of copied text that count as one node (so at most 64 MiB of text through aliases).
pub const TEXT_PER_NODE: usize = 64;

/// One YAML node with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Where the node's text is written: for a node copied through an alias, inside the
    /// anchored node (`&name`).
    pub span: Span,
    /// For a node copied through an alias (`*name`, also in `<<: *name`), the outermost such
    /// alias: where the value is used, and where diagnostics point.
    pub via: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// Every number is a float64 once Helm has read it.
    Number(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One key of a mapping; keys are strings after Helm's YAML→JSON conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    /// Mark this node and everything in it as used through the alias at `alias`.
    fn set_via(&mut self, alias: Span) {
        self.via = Some(alias);
        match &mut self.kind {
            NodeKind::Seq(items) => items.iter_mut().for_each(|n| n.set_via(alias)),
            NodeKind::Map(entries) => entries.iter_mut().for_each(|e| e.value.set_via(alias)),
            _ => {}
        }
    }
}

impl NodeKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "boolean",
            NodeKind::Number(_) => "number",
            NodeKind::Str(_) => "string",
            NodeKind::Seq(_) => "list",
            NodeKind::Map(_) => "map",
        }
    }
}

/// What went wrong reading a YAML text, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum YamlError {
    #[error("invalid YAML: {message}")]
    Syntax { message: String, span: Span },
    #[error(
        "duplicate key `{key}` (first written at line {}, column {}): Helm would silently keep only the last one",
        .first.start.line,
        .first.start.col
    )]
    DuplicateKey {
        key: String,
        span: Span,
        first: Span,
    },
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep { span: Span },
    #[error("aliases expand to more than {MAX_NODES} nodes (an alias bomb?)")]
    TooManyNodes { span: Span },
    #[error("alias refers to an anchor that is not defined before it")]
    UnknownAlias { span: Span },
    #[error("a map key must be a plain value (string, number, boolean), not a {found}")]
    ComplexKey { found: &'static str, span: Span },
    #[error(
        "`{text}` is read as {what}, which Helm cannot turn into JSON; quote it to keep it as a string"
    )]
    NotJson {
        text: String,
        what: &'static str,
        span: Span,
    },
    #[error("`<<` merge key needs a map or a list of maps")]
    BadMerge { span: Span },
    /// YAML allows no control character but tab and line breaks anywhere, quoted or not
    /// (`c-printable`); the parser's own words for one ("unexpected end of stream" inside
    /// quotes) point elsewhere.
    #[error(
        "control character U+{code:04X}{} is not allowed in YAML (Helm refuses it: \"control characters are not allowed\"): remove it, or inside double quotes write it as \"\\u{code:04X}\"",
        if *.code == 0 { " (NUL)" } else { "" }
    )]
    ControlCharacter { code: u32, span: Span },
}

impl YamlError {
    pub fn span(&self) -> Span {
        match self {
            YamlError::Syntax { span, .. }
            | YamlError::DuplicateKey { span, .. }
            | YamlError::TooDeep { span }
            | YamlError::TooManyNodes { span }
            | YamlError::UnknownAlias { span }
            | YamlError::ComplexKey { span, .. }
            | YamlError::NotJson { span, .. }
            | YamlError::BadMerge { span }
            | YamlError::ControlCharacter { span, .. } => *span,
        }
    }
}

/// Parse the first document of `text` (what go-yaml v2's `Unmarshal` reads). `Ok(None)` for an
/// empty document.
pub fn parse(source: SourceId, text: &str) -> Result<Option<Node>, YamlError> {
    // Positions keep counting the byte order mark in `index` (snippets cut the original text),
    // but not in columns: editors do not show it.
    let (text, bom) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 1),
        None => (text, 0),
    };
    let text_index = Text::new(text, bom);
    // go-yaml's reader refuses a control character anywhere ("control characters are not
    // allowed"); saphyr takes some inside quotes, or names another place ("unexpected end of
    // stream" at the opening quote).
    if let Some((at, c)) = text_index.first_control() {
        return Err(YamlError::ControlCharacter {
            code: c as u32,
            span: Span {
                source,
                start: at,
                end: at,
            },
        });
    }
    let mut builder = Builder {
        source,
        parser: Parser::new_from_str(text),
        text: text_index,
        prev_end: None,
        anchors: HashMap::new(),
        nodes: 0,
    };
    builder.document()
}

struct Builder<'a> {
    source: SourceId,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    text: Text,
    /// End of the event before the current one: where a block scalar's header is looked for.
    prev_end: Option<Pos>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
}

impl<'a> Builder<'a> {
    fn pos(&self, m: &saphyr_parser::Marker) -> Pos {
        self.text.pos(m.line(), m.col())
    }

    fn span(&self, raw: &RawSpan) -> Span {
        Span {
            source: self.source,
            start: self.pos(&raw.start),
            end: self.pos(&raw.end),
        }
    }

    fn next(&mut self) -> Result<Option<(Event<'a>, Span)>, YamlError> {
        match self.parser.next_event() {
            None => Ok(None),
            Some(Ok((event, raw))) => {
                let span = self.span(&raw);
                let span = self.text.exact_span(&event, span, self.prev_end);
                self.prev_end = Some(span.end);
                Ok(Some((event, span)))
            }
            Some(Err(e)) => {
                let pos = self.pos(e.marker());
                let span = Span {
                    source: self.source,
                    start: pos,
                    end: pos,
                };
                if e.info().contains("recursion limit") {
                    return Err(YamlError::TooDeep { span });
                }
                Err(YamlError::Syntax {
                    message: e.info().to_string(),
                    span,
                })
            }
        }
    }

    fn document(&mut self) -> Result<Option<Node>, YamlError> {
        loop {
            let Some((event, span)) = self.next()? else {
                return Ok(None);
            };
            match event {
                Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => continue,
                Event::StreamEnd | Event::DocumentEnd => return Ok(None),
                other => {
                    let node = self.node(other, span, 0)?;
                    // Surface syntax errors later in the same document, as go-yaml does.
                    loop {
                        match self.next()? {
                            None | Some((Event::DocumentEnd | Event::StreamEnd, _)) => break,
                            Some(_) => continue,
                        }
                    }
                    return Ok(Some(node));
                }
            }
        }
    }

    fn count(&mut self, span: Span, n: usize) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            Err(YamlError::TooManyNodes { span })
        } else {
            Ok(())
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, YamlError> {
        if depth > MAX_DEPTH {
            return Err(YamlError::TooDeep { span });
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                // `!!str` arrives resolved to its full form.
                let forced_string = tag.as_ref().is_some_and(|t| {
                    (t.handle == "!!" || t.handle == "tag:yaml.org,2002:")
                        && (t.suffix == "str" || t.suffix == "binary")
                });
                let kind = if style != ScalarStyle::Plain || forced_string {
                    NodeKind::Str(text.into_owned())
                } else {
                    match scalar::resolve_plain(&text) {
                        Scalar::Null => NodeKind::Null,
                        Scalar::Bool(b) => NodeKind::Bool(b),
                        Scalar::Number(n) if !n.is_finite() => {
                            let what = if n.is_nan() { "NaN" } else { "infinity" };
                            return Err(YamlError::NotJson {
                                text: text.into_owned(),
                                what,
                                span,
                            });
                        }
                        Scalar::Number(n) => NodeKind::Number(n),
                        Scalar::Str => NodeKind::Str(text.into_owned()),
                    }
                };
                let node = Node {
                    kind,
                    span,
                    via: None,
                };
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::Alias(id) => {
                // Count before copying: an alias bomb must fail before it allocates.
                let size = node_count(
                    self.anchors
                        .get(&id)
                        .ok_or(YamlError::UnknownAlias { span })?,
                );
                self.count(span, size)?;
                let mut node = self.anchors[&id].clone();
                node.set_via(span);
                Ok(node)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                let end = loop {
                    let (event, item_span) = self.expect_more(span)?;
                    if let Event::SequenceEnd = event {
                        break item_span;
                    }
                    items.push(self.node(event, item_span, depth + 1)?);
                };
                let node = Node {
                    kind: NodeKind::Seq(items),
                    span: join(span, end),
                    via: None,
                };
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::MappingStart(anchor, _) => {
                let mut entries = Entries::default();
                let end = loop {
                    let (event, key_span) = self.expect_more(span)?;
                    if let Event::MappingEnd = event {
                        break key_span;
                    }
                    let is_merge =
                        matches!(&event, Event::Scalar(t, ScalarStyle::Plain, _, _) if t == "<<");
                    let key_node = self.node(event, key_span, depth + 1)?;
                    let (value_event, value_span) = self.expect_more(span)?;
                    let value = self.node(value_event, value_span, depth + 1)?;
                    if is_merge {
                        merge_into(&mut entries, value)?;
                        continue;
                    }
                    let key = key_string(&key_node)?;
                    entries.write(Entry {
                        key,
                        key_span: key_node.span,
                        value,
                    })?;
                };
                let node = Node {
                    kind: NodeKind::Map(entries.list),
                    span: join(span, end),
                    via: None,
                };
                self.remember(anchor, &node);
                Ok(node)
            }
            _ => Err(YamlError::Syntax {
                message: "unexpected event".into(),
                span,
            }),
        }
    }

    fn expect_more(&mut self, open: Span) -> Result<(Event<'a>, Span), YamlError> {
        self.next()?.ok_or(YamlError::Syntax {
            message: "unexpected end of input".into(),
            span: open,
        })
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }
}

/// The text being parsed, as characters (positions count characters), to make the parser's
/// spans exact where they are not:
///
/// - a node's span starts at the node, not at its anchor or tag (`&a "x"` points at `"x"`);
/// - a quoted scalar ends at its closing quote (the parser's span runs on over trailing spaces
///   and a comment to the end of the line);
/// - a block scalar (`|`, `>`) starts at its indicator, on the key's line (the parser's span
///   starts at the first content line, or at the next key when the scalar is empty).
struct Text {
    chars: Vec<char>,
    /// 1 when a byte order mark was stripped before parsing: added to every index.
    bom: usize,
    /// Each line as character indices in `chars`: where its content starts (after the byte
    /// order marks saphyr skips at the start of a line) and where its line break is.
    lines: Vec<(usize, usize)>,
}

impl Text {
    fn new(text: &str, bom: usize) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut lines = Vec::new();
        let mut i = 0;
        loop {
            while chars.get(i) == Some(&'\u{feff}') {
                i += 1;
            }
            let start = i;
            while !matches!(chars.get(i), Some('\n' | '\r') | None) {
                i += 1;
            }
            lines.push((start, i));
            match chars.get(i) {
                None => break,
                Some('\r') if chars.get(i + 1) == Some(&'\n') => i += 2,
                Some(_) => i += 1,
            }
        }
        Text { chars, bom, lines }
    }

    /// The position at saphyr's line (1-based) and column (0-based). The index comes from
    /// them, not from saphyr's index, which drifts: saphyr counts the bytes, not the characters,
    /// of a directive (`%NAME é`). Past the last line (saphyr ends a text without a final line
    /// break on a line that does not exist) is the end of the text.
    fn pos(&self, line: usize, col: usize) -> Pos {
        let Some(&(start, end)) = line.checked_sub(1).and_then(|l| self.lines.get(l)) else {
            let (start, end) = self.lines[self.lines.len() - 1];
            return Pos {
                line: self.lines.len() as u32,
                col: (end - start) as u32 + 1,
                index: end + self.bom,
            };
        };
        let index = (start + col).min(end);
        Pos {
            line: line as u32,
            col: (index - start) as u32 + 1,
            index: index + self.bom,
        }
    }

    /// The first character YAML's `c-printable` excludes (control characters but tab and line
    /// breaks, DEL, the C1 controls but NEL, U+FFFE/U+FFFF), and where it is.
    fn first_control(&self) -> Option<(Pos, char)> {
        self.lines
            .iter()
            .enumerate()
            .find_map(|(l, &(start, end))| {
                (start..end).find_map(|i| {
                    let c = self.chars[i];
                    let printable = matches!(c, '\t' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{fffd}')
                        || c >= '\u{10000}';
                    (!printable).then_some((
                        Pos {
                            line: l as u32 + 1,
                            col: (i - start) as u32 + 1,
                            index: i + self.bom,
                        },
                        c,
                    ))
                })
            })
    }

    fn at(&self, pos: Pos) -> Option<char> {
        self.chars.get(pos.index.checked_sub(self.bom)?).copied()
    }

    /// The position one character after `pos` (line breaks start a new line; `\r\n` is one).
    fn step(&self, pos: Pos) -> Pos {
        let next = Pos {
            index: pos.index + 1,
            ..pos
        };
        match self.at(pos) {
            Some('\n') => Pos {
                line: pos.line + 1,
                col: 1,
                ..next
            },
            Some('\r') if self.at(next) != Some('\n') => Pos {
                line: pos.line + 1,
                col: 1,
                ..next
            },
            Some('\r') => next,
            // saphyr skips byte order marks at the start of a line: they are no column.
            Some('\u{feff}') if pos.col == 1 => next,
            _ => Pos {
                col: pos.col + 1,
                ..next
            },
        }
    }

    /// Skip blanks, line breaks, comments and node properties (`&anchor`, `!tag`), and, with
    /// `indicators`, the `-`, `?` and `:` that precede a node, from `pos` up to `limit`.
    fn skip_to_node(&self, mut pos: Pos, limit: Pos, indicators: bool) -> Pos {
        while pos.index < limit.index {
            match self.at(pos) {
                Some(' ' | '\t' | '\n' | '\r') => pos = self.step(pos),
                Some('-' | '?' | ':') if indicators => pos = self.step(pos),
                Some('#') => {
                    while pos.index < limit.index
                        && !matches!(self.at(pos), Some('\n' | '\r') | None)
                    {
                        pos = self.step(pos);
                    }
                }
                Some('&' | '!') => {
                    while pos.index < limit.index
                        && !matches!(self.at(pos), Some(' ' | '\t' | '\n' | '\r') | None)
                    {
                        pos = self.step(pos);
                    }
                }
                _ => break,
            }
        }
        pos
    }

    /// The end of the quoted scalar whose opening quote is at `start`: just after the closing
    /// quote, if it is found before `limit`.
    fn quoted_end(&self, start: Pos, limit: Pos) -> Option<Pos> {
        let quote = self.at(start)?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let mut pos = self.step(start);
        while pos.index < limit.index {
            let c = self.at(pos)?;
            if quote == '"' && c == '\\' {
                pos = self.step(self.step(pos));
            } else if c == quote {
                let after = self.step(pos);
                if quote == '\'' && self.at(after) == Some('\'') {
                    pos = self.step(after);
                } else {
                    return Some(after);
                }
            } else {
                pos = self.step(pos);
            }
        }
        None
    }

    fn exact_span(&self, event: &Event, span: Span, prev_end: Option<Pos>) -> Span {
        let (has_properties, style) = match event {
            Event::Scalar(_, style, anchor, tag) => (*anchor != 0 || tag.is_some(), Some(*style)),
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                (*anchor != 0 || tag.is_some(), None)
            }
            _ => return span,
        };
        let mut exact = span;
        if has_properties {
            let start = self.skip_to_node(span.start, span.end, false);
            // An empty scalar with only properties (`key: &a`) keeps the properties' span; a
            // block collection's span ends where its first entry starts.
            if start.index < span.end.index || (style.is_none() && start.index == span.end.index) {
                exact.start = start;
            }
        }
        match style {
            Some(ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) => {
                if let Some(end) = self.quoted_end(exact.start, span.end) {
                    exact.end = end;
                }
            }
            Some(ScalarStyle::Literal | ScalarStyle::Folded) => {
                // Find the `|` or `>` header between the previous event and the content.
                let from = if has_properties {
                    Some(exact.start)
                } else {
                    prev_end.filter(|p| p.index <= span.start.index)
                };
                if let Some(from) = from {
                    let limit = Pos {
                        index: span.end.index.max(span.start.index),
                        ..span.end
                    };
                    let at = self.skip_to_node(from, limit, true);
                    if matches!(self.at(at), Some('|' | '>')) && at.index < limit.index {
                        exact.start = at;
                    }
                }
            }
            _ => {}
        }
        exact
    }
}

fn join(start: Span, end: Span) -> Span {
    if end.end.index >= start.end.index {
        Span {
            end: end.end,
            ..start
        }
    } else {
        start
    }
}

/// What copying `node` through an alias costs against [`MAX_NODES`]: its nodes, and its text
/// in units of [`TEXT_PER_NODE`] bytes.
fn node_count(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|e| 1 + e.key.len() / TEXT_PER_NODE + node_count(&e.value))
                .sum::<usize>()
        }
        NodeKind::Str(s) => 1 + s.len() / TEXT_PER_NODE,
        _ => 1,
    }
}

/// Map keys become strings the way sigs.k8s.io/yaml converts them for JSON.
fn key_string(key: &Node) -> Result<String, YamlError> {
    Ok(match &key.kind {
        NodeKind::Str(s) => s.clone(),
        NodeKind::Null => "null".into(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Number(n) => scalar::format_number_key(*n),
        other => {
            return Err(YamlError::ComplexKey {
                found: other.type_name(),
                span: key.span,
            });
        }
    })
}

/// YAML 1.1 merge key (`<<: *base` or `<<: [*a, *b]`), applied in document order as go-yaml v2
/// does: merged keys are set where they appear, so later explicit keys win.
/// A mapping's entries in the order they are written, indexed by key: a mapping of n keys is
/// built in O(n) (a linear search per key made a values file of 20,000 sibling keys take 9 s).
#[derive(Default)]
struct Entries {
    list: Vec<Entry>,
    /// Key → its place in `list`, and where the key is written in this mapping when it is (a
    /// merged-in key may be overridden, a written one not).
    // std's SipHash, seeded per process: the keys come from charts and values files that may be
    // hostile, and a fixed fast hash would let crafted keys collide back into quadratic time.
    index: HashMap<String, (usize, Option<Span>)>,
}

impl Entries {
    /// Adds a key written in the mapping; a key written twice is an error naming both places.
    fn write(&mut self, entry: Entry) -> Result<(), YamlError> {
        if let Some(&(_, Some(first))) = self.index.get(&entry.key) {
            return Err(YamlError::DuplicateKey {
                key: entry.key,
                span: entry.key_span,
                first,
            });
        }
        let span = entry.key_span;
        self.upsert(entry, Some(span));
        Ok(())
    }

    /// Adds `entry`, or replaces the entry of the same key where it stands (a later key wins,
    /// the first position is kept: go-yaml's order for merged keys). `written`: where the key is
    /// written in this mapping, `None` for a merged-in key (which does not forget a written one).
    fn upsert(&mut self, entry: Entry, written: Option<Span>) {
        match self.index.get_mut(&entry.key) {
            Some((at, first_written)) => {
                *first_written = first_written.or(written);
                self.list[*at] = entry;
            }
            None => {
                self.index
                    .insert(entry.key.clone(), (self.list.len(), written));
                self.list.push(entry);
            }
        }
    }
}

fn merge_into(entries: &mut Entries, value: Node) -> Result<(), YamlError> {
    let span = value.span;
    let maps = match value.kind {
        NodeKind::Map(m) => vec![m],
        NodeKind::Seq(items) => {
            let mut maps = Vec::new();
            // In a list, earlier maps win over later ones (the YAML 1.1 merge spec, and go-yaml).
            for item in items.into_iter().rev() {
                match item.kind {
                    NodeKind::Map(m) => maps.push(m),
                    _ => return Err(YamlError::BadMerge { span: item.span }),
                }
            }
            maps
        }
        _ => return Err(YamlError::BadMerge { span }),
    };
    for entry in maps.into_iter().flatten() {
        entries.upsert(entry, None);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Node {
        parse(0, text).expect("parse").expect("document")
    }

    /// A NUL inside quotes was "unexpected end of stream" at the opening quote; any control
    /// character is now named where it is.
    #[test]
    fn a_control_character_is_named_where_it_is() {
        for (text, code, line, col) in [
            ("a: \"x\0y\"\n", 0, 1, 6),
            ("a: 1\nb: x\0\n", 0, 2, 5),
            ("\0", 0, 1, 1),
            ("k: 'it\u{7f}s'\n", 0x7f, 1, 7),
            ("k: [1,\r\n  \u{1b}2]\n", 0x1b, 2, 3),
        ] {
            match parse(0, text) {
                Err(YamlError::ControlCharacter { code: c, span }) => {
                    assert_eq!(
                        (c, span.start.line, span.start.col),
                        (code, line, col),
                        "{text:?}"
                    );
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        // Tab, NEL and the rest of Unicode are printable.
        assert!(parse(0, "a: \"\tb\u{85}é\u{1f600}\"\n").is_ok());
    }

    fn get<'n>(node: &'n Node, key: &str) -> &'n Node {
        match &node.kind {
            NodeKind::Map(entries) => &entries.iter().find(|e| e.key == key).expect(key).value,
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn spans_are_one_based_line_and_column() {
        let doc = p("a:\n  b: 3\n  c: [x, \"y\"]\n");
        let b = get(get(&doc, "a"), "b");
        assert_eq!((b.span.start.line, b.span.start.col), (2, 6));
        let c = get(get(&doc, "a"), "c");
        let NodeKind::Seq(items) = &c.kind else {
            panic!()
        };
        assert_eq!((items[1].span.start.line, items[1].span.start.col), (3, 10));
        assert_eq!(items[1].kind, NodeKind::Str("y".into()));
    }

    fn at(span: Span) -> (u32, u32, u32, u32) {
        (span.start.line, span.start.col, span.end.line, span.end.col)
    }

    #[test]
    fn a_quoted_scalar_ends_at_its_closing_quote() {
        // saphyr-parser's span runs on over the blanks and the comment to the end of the line.
        let doc =
            p("a: \"x y\"   # note\nb: 'it''s'  # c\nc: {d: \"e\"  , f: 'g'\t}\nh: \"i\\\"j\"\n");
        assert_eq!(at(get(&doc, "a").span), (1, 4, 1, 9));
        assert_eq!(at(get(&doc, "b").span), (2, 4, 2, 11));
        let c = get(&doc, "c");
        assert_eq!(at(get(c, "d").span), (3, 8, 3, 11));
        assert_eq!(at(get(c, "f").span), (3, 18, 3, 21));
        // An escaped quote does not end the scalar.
        assert_eq!(get(&doc, "h").kind, NodeKind::Str("i\"j".into()));
        assert_eq!(at(get(&doc, "h").span), (4, 4, 4, 10));
        // A quoted key ends at its quote too (before the blanks and the colon).
        let doc = p("\"k\"  : 1\n");
        let NodeKind::Map(entries) = &doc.kind else {
            panic!()
        };
        assert_eq!(at(entries[0].key_span), (1, 1, 1, 4));
    }

    #[test]
    fn a_multi_line_quoted_scalar_ends_on_its_last_line() {
        let doc = p("a: \"one\n  two\"  # c\nb: 1\n");
        assert_eq!(at(get(&doc, "a").span), (1, 4, 2, 7));
        assert_eq!(at(get(&doc, "b").span), (3, 4, 3, 5));
    }

    #[test]
    fn a_node_starts_after_its_anchor_and_tag() {
        let doc = p("a: &x yes\nb: !!str &y 'q'\nc: &m\n  d: 1\ne: &s [1]\nf: &empty\n");
        assert_eq!(at(get(&doc, "a").span), (1, 7, 1, 10));
        assert_eq!(at(get(&doc, "b").span), (2, 13, 2, 16));
        assert_eq!(get(&doc, "c").span.start.line, 4);
        assert_eq!(get(&doc, "c").span.start.col, 3);
        assert_eq!(get(&doc, "e").span.start.col, 7);
        // An anchor on an empty value is all there is to point at.
        assert_eq!(get(&doc, "f").kind, NodeKind::Null);
        assert_eq!(get(&doc, "f").span.start.col, 4);
    }

    #[test]
    fn a_block_scalar_starts_at_its_indicator() {
        let doc = p(
            "a: |\n  one\n  two\nb: >-  # folded\n\n  x\nc: |\nd: &t |+\n  y\ne:\n- |\n  z\nf: 1\n",
        );
        assert_eq!(at(get(&doc, "a").span), (1, 4, 4, 1));
        assert_eq!(
            get(&doc, "b").span.start,
            Pos {
                line: 4,
                col: 4,
                index: 20
            }
        );
        // Empty: the parser would point at the next key.
        assert_eq!(
            (
                get(&doc, "c").span.start.line,
                get(&doc, "c").span.start.col
            ),
            (7, 4)
        );
        assert_eq!(
            (
                get(&doc, "d").span.start.line,
                get(&doc, "d").span.start.col
            ),
            (8, 7)
        );
        let NodeKind::Seq(items) = &get(&doc, "e").kind else {
            panic!()
        };
        assert_eq!((items[0].span.start.line, items[0].span.start.col), (11, 3));
        // Nothing after a block scalar drifts.
        assert_eq!(at(get(&doc, "f").span), (13, 4, 13, 5));
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column_but_counts_in_the_index() {
        let text = "\u{feff}a: yes\n";
        let doc = parse(0, text).unwrap().unwrap();
        let span = get(&doc, "a").span;
        assert_eq!((span.start.line, span.start.col), (1, 4));
        assert_eq!(&text[span.byte_range(text)], "yes");
    }

    #[test]
    fn columns_count_characters() {
        let doc = p("a: {b: \"日本語\", c: x}\n");
        let a = get(&doc, "a");
        assert_eq!(at(get(a, "b").span), (1, 8, 1, 13));
        assert_eq!(at(get(a, "c").span), (1, 18, 1, 19));
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_strings() {
        let doc = p("a: \"yes\"\nb: 'on'\nc: !!str 0777\nd: yes\ne: 0777\nf: |\n  on\n");
        assert_eq!(get(&doc, "a").kind, NodeKind::Str("yes".into()));
        assert_eq!(get(&doc, "b").kind, NodeKind::Str("on".into()));
        assert_eq!(get(&doc, "c").kind, NodeKind::Str("0777".into()));
        assert_eq!(get(&doc, "d").kind, NodeKind::Bool(true));
        assert_eq!(get(&doc, "e").kind, NodeKind::Number(511.0));
        assert_eq!(get(&doc, "f").kind, NodeKind::Str("on\n".into()));
    }

    #[test]
    fn yaml11_keys_become_json_strings() {
        let doc = p("on: 1\n3: x\nnull: z\nn: 0\n");
        let NodeKind::Map(entries) = &doc.kind else {
            panic!()
        };
        let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["true", "3", "null", "false"]);
    }

    #[test]
    fn aliases_copy_the_anchored_node_and_point_at_the_alias() {
        let doc = p("base: &b {x: 1, l: [&s yes]}\nother: *b\nm:\n  <<: *b\nz: *s\n");
        let other = get(&doc, "other");
        assert_eq!(get(other, "x").kind, NodeKind::Number(1.0));
        // Every node of the copy is used at the alias, and written in the anchored node.
        let alias = Some((2, 8));
        let at = |n: &Node| n.via.map(|v| (v.start.line, v.start.col));
        assert_eq!(at(other), alias);
        assert_eq!(at(get(other, "x")), alias);
        assert_eq!(get(other, "x").span.start.line, 1);
        let NodeKind::Seq(items) = &get(other, "l").kind else {
            panic!()
        };
        assert_eq!(at(&items[0]), alias);
        assert_eq!((items[0].span.start.line, items[0].span.start.col), (1, 24));
        // Merged keys: the alias after `<<`.
        assert_eq!(at(get(get(&doc, "m"), "x")), Some((4, 7)));
        // A scalar alias; the original is not marked.
        assert_eq!(at(get(&doc, "z")), Some((5, 4)));
        assert_eq!(get(&doc, "z").span.start.line, 1);
        assert_eq!(at(get(&doc, "base")), None);
        assert_eq!(at(get(get(&doc, "base"), "x")), None);
    }

    #[test]
    fn an_alias_inside_an_anchor_is_used_where_the_outer_alias_is() {
        let doc = p("a: &a {p: 1}\nb: &b {q: *a}\nc: *b\n");
        let p_in_c = get(get(get(&doc, "c"), "q"), "p");
        assert_eq!(p_in_c.via.map(|v| v.start.line), Some(3));
        assert_eq!(p_in_c.span.start.line, 1);
    }

    #[test]
    fn merge_keys_follow_go_yaml_v2_order() {
        let doc = p("base: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 3\n");
        let m = get(&doc, "m");
        assert_eq!(get(m, "x").kind, NodeKind::Number(1.0));
        assert_eq!(get(m, "z").kind, NodeKind::Number(3.0));
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_places() {
        let err = parse(0, "a: 1\nb: 2\na: 3\n").unwrap_err();
        let YamlError::DuplicateKey { key, span, first } = err else {
            panic!("{err:?}")
        };
        assert_eq!(key, "a");
        assert_eq!((span.start.line, first.start.line), (3, 1));
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse(0, "a: [1, 2\nb: 3\n").unwrap_err();
        assert!(matches!(err, YamlError::Syntax { .. }), "{err:?}");
        assert!(err.span().start.line >= 1);
    }

    #[test]
    /// Regression (issue 17, item 3): every node counted against [`MAX_NODES`], so a values file
    /// of 500,000 sibling keys (about 20 MB, which Helm reads) was refused as an alias bomb.
    fn a_document_with_more_written_nodes_than_the_alias_budget_parses() {
        let keys = MAX_NODES / 2 + 1;
        let mut text = String::with_capacity(keys * 12 + 8);
        text.push_str("extra:\n");
        for i in 0..keys {
            text.push_str(&format!("  k{i}: {i}\n"));
        }
        let doc = p(&text);
        let NodeKind::Map(extra) = &get(&doc, "extra").kind else {
            panic!("not a map")
        };
        assert_eq!(extra.len(), keys);
        assert_eq!(extra[keys - 1].key, format!("k{}", keys - 1));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                [prev.as_str(); 10].join(", ")
            ));
        }
        let started = std::time::Instant::now();
        let err = parse(0, &text).unwrap_err();
        assert!(matches!(err, YamlError::TooManyNodes { .. }), "{err:?}");
        assert!(started.elapsed().as_secs() < 10);
    }

    #[test]
    fn an_alias_bomb_of_long_strings_is_bounded() {
        // Found probing what the fuzzers (with inputs of a few KiB) cannot reach: 531441 copies
        // of a 10 KB string stayed under the node limit and allocated more than 5 GB.
        let mut text = format!("a: &a \"{}\"\n", "x".repeat(10_000));
        let mut prev = String::from("a");
        for name in ["b", "c", "d", "e", "f", "g"] {
            let alias = format!("*{prev}");
            text.push_str(&format!(
                "{name}: &{name} [{}]\n",
                [alias.as_str(); 9].join(", ")
            ));
            prev = name.to_string();
        }
        let err = parse(0, &text).unwrap_err();
        assert!(matches!(err, YamlError::TooManyNodes { .. }), "{err:?}");
        assert_eq!(err.span().start.line, 5, "{err:?}");
        // Aliases of ordinary strings are fine.
        let doc = p(&format!(
            "a: &a \"{}\"\nb: [*a, *a, *a]\n",
            "y".repeat(5_000)
        ));
        assert_eq!(get(&doc, "b").kind.type_name(), "list");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(0, &text).unwrap_err();
        assert!(matches!(err, YamlError::TooDeep { .. }), "{err:?}");
    }

    #[test]
    fn infinity_is_rejected_like_helm() {
        assert!(matches!(
            parse(0, "a: .inf\n"),
            Err(YamlError::NotJson { .. })
        ));
    }

    #[test]
    fn empty_document() {
        assert_eq!(parse(0, "").unwrap(), None);
        assert_eq!(parse(0, "# only a comment\n").unwrap(), None);
    }

    #[test]
    fn the_end_of_a_text_without_a_final_line_break_is_on_its_last_line() {
        // Found by fuzzing (yaml_parse): saphyr puts the end of the stream on a line after the
        // last one, so spans ended on a line that does not exist.
        let doc = p(":");
        assert_eq!(at(doc.span), (1, 1, 1, 2));
        assert_eq!(doc.span.end.index, 1);
        let doc = p("a:
  b: 1");
        assert_eq!(at(doc.span), (1, 1, 2, 7));
        let doc = p("\u{feff}a: x\r\nb: [1]");
        assert_eq!(at(doc.span), (1, 1, 2, 7));
        assert_eq!(doc.span.end.index, 13);
        let err = parse(0, "a: [1, 2").unwrap_err();
        assert_eq!(err.span().start.line, 1, "{err:?}");
        assert_eq!(err.span().start.col, 9, "{err:?}");
    }

    #[test]
    fn positions_do_not_drift_after_a_non_ascii_directive() {
        // Found by fuzzing (yaml_parse): saphyr advances its index by the bytes of a directive's
        // name and parameters, so every later index was off (snippets cut the wrong text).
        let text = "%FOO é§\n---\na: x\n";
        let doc = p(text);
        let x = get(&doc, "a").span;
        assert_eq!(at(x), (3, 4, 3, 5));
        assert_eq!(&text[x.byte_range(text)], "x");
        let err = parse(0, "%§\nr\n").unwrap_err();
        assert_eq!(err.span().start.index, 3, "{err:?}");
    }

    #[test]
    fn a_byte_order_mark_at_the_start_of_a_line_is_no_column() {
        // Found by fuzzing (yaml_parse): saphyr skips it there, before a document, without
        // counting a column.
        let text = "# c\r\u{feff}b: yes\n";
        let doc = p(text);
        let b = get(&doc, "b").span;
        assert_eq!(at(b), (2, 4, 2, 7));
        assert_eq!(&text[b.byte_range(text)], "yes");
        // Inside a document it is an error, on that line.
        let err = parse(0, "a: 1\n\u{feff}b: 2\n").unwrap_err();
        assert_eq!(at(err.span()), (2, 1, 2, 1), "{err:?}");
    }
}
