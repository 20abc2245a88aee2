//! `kubectl get … -o yaml` read item by item.
//!
//! kubectl prints one YAML document: a `List` whose `items:` key sits at column 1 and whose
//! items each start with a `- ` line at a fixed indentation. Parsed whole, a 150,000-pod list is
//! one tree of tens of millions of nodes (beyond `yaml::MAX_NODES`, and gigabytes of memory), so
//! this reader cuts the text at those item lines and parses each item as its own small document,
//! streaming from the file: memory is one item, and each item's span is exact.
//!
//! Anything that does not have this layout (a stream of objects, a single object) is handed back
//! ([`Layout::Other`]) for `parse_stream`.

use std::io::BufRead;

use crate::source::{Pos, SourceId, Span};
use crate::yaml::{self, Node, NodeKind};

/// What a YAML text turned out to be.
pub enum Layout {
    /// A list read item by item; the rest was given to the callbacks.
    List,
    /// Not a list in kubectl's layout: the whole text, for `parse_stream`.
    Other(String),
}

/// Why reading stopped.
pub enum ReadError {
    Io(std::io::Error),
    NotUtf8 { offset: u64 },
}

/// Events of a list, in order.
pub enum Event {
    /// The top-level fields before `items:` (`apiVersion`, our format's `serverVersion`,
    /// `gaps`...), as parsed YAML.
    Header(Result<Option<Node>, yaml::YamlError>),
    /// One item (`Ok(None)` for an empty one).
    Item(Result<Option<Node>, yaml::YamlError>),
    /// The top-level fields after the items (kubectl prints `kind: List` there); always sent,
    /// last but for [`Event::MoreDocuments`].
    Trailer(Result<Option<Node>, yaml::YamlError>),
    /// A `---` after the list: a second document, not read.
    MoreDocuments(Span),
}

/// Lines of a source with their positions.
struct Lines<R> {
    src: R,
    /// Line number and character index of the next line.
    line: u32,
    chars: usize,
    bytes: u64,
    /// A line read ahead of its turn.
    peeked: Option<(String, Pos)>,
}

impl<R: BufRead> Lines<R> {
    fn next(&mut self) -> Result<Option<(String, Pos)>, ReadError> {
        if let Some(p) = self.peeked.take() {
            return Ok(Some(p));
        }
        let mut text = String::new();
        let n = self.src.read_line(&mut text).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                ReadError::NotUtf8 { offset: self.bytes }
            } else {
                ReadError::Io(e)
            }
        })?;
        if n == 0 {
            return Ok(None);
        }
        let pos = Pos {
            line: self.line,
            col: 1,
            index: self.chars,
        };
        self.line += 1;
        self.chars += text.chars().count();
        self.bytes += n as u64;
        Ok(Some((text, pos)))
    }

    /// Everything not read yet.
    fn rest(mut self, into: &mut String) -> Result<(), ReadError> {
        if let Some((line, _)) = self.peeked.take() {
            into.push_str(&line);
        }
        let offset = self.bytes;
        self.src
            .read_to_string(into)
            .map(|_| ())
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidData => ReadError::NotUtf8 { offset },
                _ => ReadError::Io(e),
            })
    }
}

/// A text cut from a source, parsed with positions moved to where it starts.
pub fn parse_at(id: SourceId, text: &str, at: Pos) -> Result<Option<Node>, yaml::YamlError> {
    let shift = |p: Pos| Pos {
        line: p.line + at.line - 1,
        col: if p.line == 1 {
            p.col + at.col - 1
        } else {
            p.col
        },
        index: p.index + at.index,
    };
    let shift_span = |s: Span| Span {
        source: s.source,
        start: shift(s.start),
        end: shift(s.end),
    };
    fn walk(node: &mut Node, f: &dyn Fn(Span) -> Span) {
        node.span = f(node.span);
        node.via = node.via.map(f);
        match &mut node.kind {
            NodeKind::Seq(items) => items.iter_mut().for_each(|n| walk(n, f)),
            NodeKind::Map(entries) => entries.iter_mut().for_each(|e| {
                e.key_span = f(e.key_span);
                walk(&mut e.value, f)
            }),
            _ => {}
        }
    }
    match yaml::parse(id, text) {
        Ok(Some(mut node)) => {
            walk(&mut node, &shift_span);
            Ok(Some(node))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(shift_error(e, &shift_span)),
    }
}

fn shift_error(e: yaml::YamlError, f: &dyn Fn(Span) -> Span) -> yaml::YamlError {
    use yaml::YamlError as E;
    match e {
        E::Syntax { message, span } => E::Syntax {
            message,
            span: f(span),
        },
        E::DuplicateKey { key, span, first } => E::DuplicateKey {
            key,
            span: f(span),
            first: f(first),
        },
        E::TooDeep { span } => E::TooDeep { span: f(span) },
        E::TooManyNodes { span } => E::TooManyNodes { span: f(span) },
        E::UnknownAlias { span } => E::UnknownAlias { span: f(span) },
        E::ComplexKey { found, span } => E::ComplexKey {
            found,
            span: f(span),
        },
        E::ControlCharacter { code, span } => E::ControlCharacter {
            code,
            span: f(span),
        },
        E::NotJson { text, what, span } => E::NotJson {
            text,
            what,
            span: f(span),
        },
        E::BadMerge { span } => E::BadMerge { span: f(span) },
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// `items:` at column 1 (kubectl does not quote it; our tests' YAML does).
fn is_items_key(line: &str) -> bool {
    let t = line.trim_end();
    matches!(t, "items:" | "\"items\":" | "'items':")
}

fn is_item_start(line: &str, k: usize) -> bool {
    indent(line) == k && {
        let rest = line[k..].trim_end_matches(['\r', '\n']);
        rest == "-" || rest.starts_with("- ")
    }
}

fn is_document_marker(line: &str) -> bool {
    let l = line.trim_end_matches(['\r', '\n']);
    (l.starts_with("---") || l.starts_with("..."))
        && l[3..].chars().next().is_none_or(char::is_whitespace)
}

/// Read `src` as a kubectl list, calling `on` for each part in order; or hand the text back.
pub fn read(
    src: impl BufRead,
    id: SourceId,
    mut on: impl FnMut(Event),
) -> Result<Layout, ReadError> {
    let mut lines = Lines {
        src,
        line: 1,
        chars: 0,
        bytes: 0,
        peeked: None,
    };
    // Header: up to `items:`.
    let mut header = String::new();
    let mut content = false;
    let items_line = loop {
        let Some((line, pos)) = lines.next()? else {
            return Ok(Layout::Other(header));
        };
        let bare = line.trim_start_matches('\u{feff}');
        if is_items_key(bare) {
            break (line, pos);
        }
        let top_level = indent(bare) == 0 && !is_blank_or_comment(bare);
        // A second document, or a document that is a list: not kubectl's layout.
        if (is_document_marker(bare) && content) || (top_level && bare.starts_with('-') && !content)
        {
            header.push_str(&line);
            lines.rest(&mut header)?;
            return Ok(Layout::Other(header));
        }
        content |= top_level && !is_document_marker(bare);
        header.push_str(&line);
    };
    // The first item says how items are indented.
    let k = loop {
        match lines.next()? {
            Some((line, _)) if is_blank_or_comment(&line) => header.push_str(&line),
            Some((line, pos)) => {
                let k = indent(&line);
                if !is_item_start(&line, k) {
                    header.push_str(&items_line.0);
                    header.push_str(&line);
                    lines.rest(&mut header)?;
                    return Ok(Layout::Other(header));
                }
                lines.peeked = Some((line, pos));
                break k;
            }
            None => {
                header.push_str(&items_line.0);
                return Ok(Layout::Other(header));
            }
        }
    };
    on(Event::Header(parse_at(
        id,
        &header,
        Pos {
            line: 1,
            col: 1,
            index: 0,
        },
    )));
    drop(header);
    // Items, each from its `- ` line to the next.
    let mut item = String::new();
    let mut item_at: Option<Pos> = None;
    let mut flush = |item: &mut String, at: &mut Option<Pos>| {
        if let Some(at) = at.take() {
            let node = parse_at(id, item, at).map(|root| match root {
                Some(Node {
                    kind: NodeKind::Seq(mut items),
                    ..
                }) if items.len() == 1 => items.pop(),
                other => other,
            });
            on(Event::Item(node));
        }
        item.clear();
    };
    let trailer_start = loop {
        let Some((line, pos)) = lines.next()? else {
            flush(&mut item, &mut item_at);
            break None;
        };
        if is_blank_or_comment(&line) || indent(&line) > k {
            item.push_str(&line);
        } else if is_item_start(&line, k) {
            flush(&mut item, &mut item_at);
            item_at = Some(pos);
            item.push_str(&line);
        } else {
            flush(&mut item, &mut item_at);
            break Some((line, pos));
        }
    };
    // Trailer: the remaining top-level keys.
    if let Some((first, at)) = trailer_start {
        let mut trailer = String::new();
        let mut line = Some((first, at));
        while let Some((text, pos)) = line {
            if is_document_marker(&text) {
                on(Event::MoreDocuments(Span {
                    source: id,
                    start: pos,
                    end: pos,
                }));
                break;
            }
            trailer.push_str(&text);
            line = lines.next()?;
        }
        on(Event::Trailer(parse_at(id, &trailer, at)));
    } else {
        on(Event::Trailer(Ok(None)));
    }
    Ok(Layout::List)
}
