//! Reading snapshot files: kubectl's JSON (streamed) and YAML lists, single objects, our own
//! format, `kubectl version` and `kubectl api-versions` output, each into the [`Builder`].

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json, json};

use super::build::Builder;
use super::decode::{Item, ListContext};
use super::json_stream::{JsonStream, StreamError};
use super::yaml_list;
use super::{SnapshotError, keep_text_limit};
use crate::cluster::model::{Cluster, Gap};
use crate::diagnostic::{Code, Diagnostic};
use crate::render::manifest::{parse_stream, to_json};
use crate::source::{Pos, SourceId, SourceKind, Sources, Span};

/// Read and merge snapshot files (see the module docs). Later files add to earlier ones; an
/// object present twice is taken from the later file, with a warning.
pub fn read_snapshot(
    sources: &mut Sources,
    paths: &[PathBuf],
) -> Result<(Cluster, Vec<Diagnostic>), SnapshotError> {
    let mut builder = Builder::default();
    for path in paths {
        read_file(sources, path, &mut builder)?;
        builder.end_file(&path.display().to_string());
    }
    Ok(builder.finish())
}

pub(super) fn read_file(
    sources: &mut Sources,
    path: &Path,
    b: &mut Builder,
) -> Result<(), SnapshotError> {
    let read_error = |source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    let name = path.display().to_string();
    let mut head = [0u8; 4096];
    let n = read_up_to(&mut file, &mut head).map_err(read_error)?;
    let head = &head[..n];
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(SnapshotError::NotUtf8 {
            path: path.to_path_buf(),
            offset: 0,
            hint: "; it looks like UTF-16 (PowerShell's `>` writes that): save it as UTF-8, e.g. \
                   `kubectl get ... -o json | Out-File -Encoding utf8 snapshot.json`",
        });
    }
    let text_start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let is_json = text_start
        .iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'{');
    let rest = std::io::Cursor::new(head.to_vec()).chain(file);
    if is_json && size > keep_text_limit() {
        let id = sources.add(name, "", SourceKind::Other);
        let stream = JsonStream::from_reader(rest).map_err(|e| stream_error(path, e))?;
        return read_json(b, id, stream, path);
    }
    if !is_json && size > keep_text_limit() {
        // A large `kubectl get -o yaml`: streamed item by item.
        let id = sources.add(name.clone(), "", SourceKind::Other);
        let reader = std::io::BufReader::with_capacity(1 << 20, rest);
        return match yaml_list::read(reader, id, |e| b.yaml_list_event(e, id, path)) {
            Ok(yaml_list::Layout::List) => Ok(()),
            Ok(yaml_list::Layout::Other(text)) => {
                let id = sources.add(name, text, SourceKind::Other);
                read_yaml(b, sources, id, path)
            }
            Err(e) => Err(yaml_read_error(path, e)),
        };
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    let mut rest = rest;
    rest.read_to_end(&mut bytes).map_err(read_error)?;
    let text = String::from_utf8(bytes).map_err(|e| SnapshotError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to() as u64,
        hint: "",
    })?;
    let id = sources.add(name, text, SourceKind::Other);
    if is_json {
        let stream = JsonStream::from_text(sources.text(id)).map_err(|e| stream_error(path, e))?;
        return read_json(b, id, stream, path);
    }
    let text = sources.text(id).as_bytes();
    match yaml_list::read(text, id, |e| b.yaml_list_event(e, id, path)) {
        Ok(yaml_list::Layout::List) => Ok(()),
        Ok(yaml_list::Layout::Other(_)) => read_yaml(b, sources, id, path),
        Err(e) => Err(yaml_read_error(path, e)),
    }
}

pub(super) fn yaml_read_error(path: &Path, e: yaml_list::ReadError) -> SnapshotError {
    match e {
        yaml_list::ReadError::Io(source) => SnapshotError::Read {
            path: path.to_path_buf(),
            source,
        },
        yaml_list::ReadError::NotUtf8 { offset } => SnapshotError::NotUtf8 {
            path: path.to_path_buf(),
            offset,
            hint: "",
        },
    }
}

pub(super) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

pub(super) fn stream_error(path: &Path, e: StreamError) -> SnapshotError {
    match e {
        StreamError::Io(source) => SnapshotError::Read {
            path: path.to_path_buf(),
            source,
        },
        StreamError::NotUtf8 { offset } => SnapshotError::NotUtf8 {
            path: path.to_path_buf(),
            offset,
            hint: "",
        },
        StreamError::Syntax { message, pos } => SnapshotError::Json {
            path: path.to_path_buf(),
            line: pos.line,
            column: pos.col,
            message,
        },
    }
}

pub(super) fn point(source: SourceId, pos: Pos) -> Span {
    Span {
        source,
        start: pos,
        end: pos,
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

pub(super) fn read_json<R: Read>(
    b: &mut Builder,
    id: SourceId,
    mut s: JsonStream<'_, R>,
    path: &Path,
) -> Result<(), SnapshotError> {
    b.source = id;
    let before = b.objects_seen;
    let mut values = 0;
    loop {
        let result = match s.peek() {
            Ok(None) => break,
            Ok(Some(b'{')) => read_top_object(b, id, &mut s).map(drop),
            Ok(found) => Err(s.unexpected(found, "a JSON object `{`")),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => values += 1,
            // Nothing read yet: this is not a snapshot at all.
            Err(e @ StreamError::Syntax { .. }) if values == 0 && b.objects_seen == before => {
                return Err(stream_error(path, e));
            }
            Err(StreamError::Syntax { message, pos }) => {
                b.diagnostics.push(
                    Diagnostic::error(Code::SnapshotJson, format!("not valid JSON: {message}"))
                        .at(Some(point(id, pos)))
                        .hint("the rest of this file was not read; the objects before this point were"),
                );
                b.gap(Gap {
                    what: format!("{} after line {}", path.display(), pos.line),
                    why: format!("not valid JSON: {message}"),
                    affects:
                        "everything: nodes, pods and quotas written after this point are missing"
                            .to_string(),
                });
                return Ok(());
            }
            Err(e) => return Err(stream_error(path, e)),
        }
    }
    Ok(())
}

/// One top-level JSON object: a list (`items`), our snapshot, a single object, or
/// `kubectl version` output. Returns its fields other than `items` (a list's `metadata`
/// holds the `continue` token of a paged API list).
pub(super) fn read_top_object<R: Read>(
    b: &mut Builder,
    id: SourceId,
    s: &mut JsonStream<'_, R>,
) -> Result<Json, StreamError> {
    let start = s.here();
    s.expect(b'{', "`{`")?;
    let mut header = Map::new();
    let mut list = ListContext::default();
    let mut has_items = false;
    // Items without a kind met before the list's own `kind` (decoded at the end).
    let mut pending: Vec<(Item, Span)> = Vec::new();
    if !s.eat(b'}')? {
        loop {
            s.peek()?;
            let key_pos = s.here();
            let key = match s.value::<String>()? {
                Ok(key) => key,
                Err(_) => {
                    return Err(StreamError::Syntax {
                        message: "expected a field name (a string)".to_string(),
                        pos: key_pos,
                    });
                }
            };
            s.expect(b':', "`:`")?;
            if key == "items" && s.peek()? == Some(b'[') {
                has_items = true;
                s.expect(b'[', "`[`")?;
                if !s.eat(b']')? {
                    loop {
                        s.peek()?;
                        let at = point(id, s.here());
                        b.objects_seen += 1;
                        match s.value::<Item>()? {
                            Ok(item) if item.kind.is_none() && !header.contains_key("kind") => {
                                pending.push((item, at));
                            }
                            Ok(item) => b.item(item, &list, &mut || at),
                            Err(e) => b.undecodable_json(e, &list, id, at),
                        }
                        if !s.eat(b',')? {
                            s.expect(b']', "`,` or `]` in the items list")?;
                            break;
                        }
                    }
                }
            } else {
                let value = s.value::<Json>()?.unwrap_or(Json::Null);
                // Our format's gaps come before its items: keep them first.
                if key == "gaps" {
                    b.header(&json!({ "gaps": value }), None);
                } else {
                    header.insert(key, value);
                }
                list = ListContext::of(
                    header.get("kind").and_then(Json::as_str),
                    header.get("apiVersion").and_then(Json::as_str),
                );
            }
            if !s.eat(b',')? {
                s.expect(b'}', "`,` or `}`")?;
                break;
            }
        }
    }
    let header = Json::Object(header);
    if has_items {
        b.header(&header, Some(point(id, start)));
        for (item, at) in pending {
            b.item(item, &list, &mut || at);
        }
    } else {
        b.single(&header, point(id, start));
    }
    Ok(header)
}

// ---------------------------------------------------------------------------------------------
// YAML

pub(super) fn read_yaml(
    b: &mut Builder,
    sources: &Sources,
    id: SourceId,
    path: &Path,
) -> Result<(), SnapshotError> {
    b.source = id;
    let text = sources.text(id);
    if text.trim().is_empty() {
        return Err(SnapshotError::NotObjects {
            path: path.to_path_buf(),
            message: "the file is empty".to_string(),
        });
    }
    if let Some(versions) = api_versions_listing(text) {
        b.api_versions.extend(versions);
        return Ok(());
    }
    let (objects, diagnostics) = parse_stream(sources, id);
    if objects.is_empty() && !diagnostics.is_empty() {
        // `kubectl version -o yaml` is a map without kind.
        if let Ok(Some(node)) = crate::yaml::parse(id, text) {
            let json = to_json(&node);
            if json.get("serverVersion").is_some() {
                b.header(&json, None);
                return Ok(());
            }
        }
        let first = &diagnostics[0];
        return Err(SnapshotError::NotObjects {
            path: path.to_path_buf(),
            message: match first.span {
                Some(span) => format!(
                    "no Kubernetes objects in it (line {}: {})",
                    span.start.line, first.message
                ),
                None => format!("no Kubernetes objects in it ({})", first.message),
            },
        });
    }
    for d in &diagnostics {
        // A document that is not YAML may have been any object.
        if d.code == Code::Manifest {
            b.gap(Gap {
                what: format!(
                    "{} line {}",
                    path.display(),
                    d.span.map_or(0, |s| s.start.line)
                ),
                why: d.message.clone(),
                affects: "an object of the snapshot could not be read: a node, pod or quota \
                          may be missing"
                    .to_string(),
            });
        }
    }
    b.diagnostics.extend(diagnostics);
    let mut spans = ItemSpans::new(sources, id);
    let mut previous: Option<Span> = None;
    let mut flattened = 0;
    for object in &objects {
        // Objects flattened from one `kind: List` document share its span.
        if previous == Some(object.span) {
            flattened += 1;
        } else {
            flattened = 0;
            previous = Some(object.span);
        }
        let json = &object.json;
        b.objects_seen += 1;
        if let Some(items) = json.get("items").and_then(Json::as_array) {
            // Our own format, or a typed list (`NodeList`), in YAML.
            b.header(json, Some(object.span));
            let list = ListContext::of(json["kind"].as_str(), json["apiVersion"].as_str());
            for (i, item) in items.iter().enumerate() {
                b.objects_seen += 1;
                b.json_item(item, &list, || spans.start(object.span, ItemIndex::Raw(i)));
            }
        } else {
            let list = ListContext::default();
            b.json_item(json, &list, || {
                spans.start(object.span, ItemIndex::Flattened(flattened))
            });
        }
    }
    Ok(())
}

/// `kubectl api-versions` output: one `group/version` (or `v1`) per line.
pub(super) fn api_versions_listing(text: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let is_version = |v: &str| {
        v.starts_with('v')
            && v.len() > 1
            && v[1..].starts_with(|c: char| c.is_ascii_digit())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    let ok = |l: &&str| match l.split_once('/') {
        None => is_version(l),
        Some((group, version)) => {
            !group.is_empty()
                && group
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
                && is_version(version)
        }
    };
    (!lines.is_empty() && lines.iter().all(ok))
        .then(|| lines.into_iter().map(str::to_string).collect())
}

/// Which item of a document an object is.
#[derive(Debug, Clone, Copy)]
pub(super) enum ItemIndex {
    /// The n-th object `parse_stream` took from a document (`kind: List` items that are objects).
    Flattened(usize),
    /// The n-th entry of the document's `items`.
    Raw(usize),
}

/// Exact spans of list items, found only when a diagnostic needs one: `parse_stream` gives every
/// item of a `kind: List` the span of the list. A document is parsed again (once) on its first
/// diagnostic.
pub(super) struct ItemSpans<'a> {
    sources: &'a Sources,
    id: SourceId,
    /// Per document (by start index): where its items start, if it parsed.
    documents: HashMap<usize, Option<DocumentItems>>,
}

pub(super) struct DocumentItems {
    /// The entries of `items`.
    raw: Vec<Pos>,
    /// The entries `parse_stream` keeps (objects: apiVersion, kind, metadata.name).
    flattened: Vec<Pos>,
}

impl<'a> ItemSpans<'a> {
    pub(super) fn new(sources: &'a Sources, id: SourceId) -> Self {
        ItemSpans {
            sources,
            id,
            documents: HashMap::new(),
        }
    }

    /// A point at the start of the object: a whole object makes a poor snippet.
    pub(super) fn start(&mut self, document: Span, index: ItemIndex) -> Span {
        let (sources, id) = (self.sources, self.id);
        let items = self
            .documents
            .entry(document.start.index)
            .or_insert_with(|| document_items(sources.text(id), id, document.start));
        let pos = items.as_ref().and_then(|items| match index {
            ItemIndex::Raw(i) => items.raw.get(i),
            ItemIndex::Flattened(i) => items.flattened.get(i),
        });
        point(id, pos.copied().unwrap_or(document.start))
    }
}

pub(super) fn document_items(text: &str, id: SourceId, start: Pos) -> Option<DocumentItems> {
    use crate::yaml::NodeKind;
    let from = text
        .char_indices()
        .nth(start.index)
        .map_or(text.len(), |(b, _)| b);
    let root = yaml_list::parse_at(id, &text[from..], start).ok()??;
    let NodeKind::Map(entries) = root.kind else {
        return None;
    };
    let items = entries.into_iter().find(|e| e.key == "items")?.value;
    let NodeKind::Seq(items) = items.kind else {
        return None;
    };
    let raw = items.iter().map(|n| n.span.start).collect();
    let flattened = items
        .iter()
        .filter(|n| {
            let j = to_json(n);
            j["apiVersion"].is_string()
                && j["kind"].is_string()
                && (j["kind"] == "List" || j["metadata"]["name"].is_string())
        })
        .map(|n| n.span.start)
        .collect();
    Some(DocumentItems { raw, flattened })
}
