//! Cluster snapshot files: reading what `kubectl get … -o json|yaml` prints (or our own
//! `ClusterSnapshot`) into the slim [`Cluster`] model, and writing our own format back.
//!
//! # Inputs
//!
//! One or several files, merged in order, each one of:
//!
//! - `kubectl get nodes,pods,storageclasses,resourcequotas,limitranges,runtimeclasses -A -o json`
//!   (a `v1 List`), or `-o yaml` of the same; a raw API list (`NodeList`, items without `kind`);
//!   a single object; a YAML stream of objects (`---`);
//! - our own format (see [`write_snapshot`]), JSON or YAML;
//! - `kubectl version -o json|yaml` (the server version) and `kubectl api-versions` (the API
//!   groups served), which `kubectl get` output lacks.
//!
//! Files whose first character is `{` take a streaming JSON path (`json_stream`): read in chunks,
//! each object decoded by `serde_json` straight into slim structs, so a 1 GB pod list is never
//! held whole. Everything else is YAML: a list in kubectl's layout (`items:` at column 1) is cut
//! at its item lines and read item by item, streamed too (`yaml_list`: one document of 150,000
//! pods would be far beyond [`crate::yaml::MAX_NODES`]); other texts (streams of objects, single
//! objects) are split by [`crate::render::manifest::parse_stream`]. Files up to 16 MiB are kept
//! in [`Sources`] so diagnostics show snippets; larger ones keep only their name (positions in
//! diagnostics are still exact).
//!
//! Measured on this project's machine (2 shared cores), for 5,000 nodes and 150,000 pods of
//! realistic size (8 KB each in kubectl's JSON): kubectl JSON, 1.16 GiB, ~2.1 s and 310 MiB peak;
//! our own format, 53 MiB, ~0.8 s and 310 MiB (the model itself); kubectl YAML, 772 MiB, ~31 s
//! (the YAML parser's speed) and 318 MiB. Time and memory grow linearly with the pod count.
//!
//! # Rules
//!
//! - Node: ready when its `Ready` condition is `"True"`; `spec.unschedulable` is the cordon;
//!   `status.allocatable`, else `status.capacity` (a [`Gap`]: capacity includes system reserves).
//! - Pod: only pods bound to a node (`spec.nodeName`) whose phase is not `Succeeded`/`Failed`
//!   use it (DESIGN §4); their effective request is `PodRequests` (overhead included). Of their
//!   scheduling fields only what kube-scheduler reads of an *already placed* pod when it places a
//!   new one is kept: labels, `nodeName`, and `affinity.podAffinity`/`podAntiAffinity` (existing
//!   pods' required anti-affinity filters, their preferred terms score). Their nodeSelector, node
//!   affinity, tolerations and spread constraints only decided where they went themselves; on a
//!   150,000-pod cluster they were two thirds of the model's memory.
//! - StorageClass: default when `storageclass.kubernetes.io/is-default-class` (or the beta
//!   annotation) is `"true"`; `volumeBindingMode` defaults to `Immediate`.
//! - ResourceQuota: `status.hard`, else `spec.hard`; `status.used`, or a [`Gap`] when missing.
//!   Quotas with `scopes`/`scopeSelector` are left out with a [`Gap`] (the model has no scopes).
//! - An object that does not decode (a bad quantity, a spec of the wrong shape) is reported with
//!   its `Kind/namespace/name` and position, recorded as a [`Gap`], and skipped; the rest is read.
//!   Kinds the preflight does not read are counted in a note. Only a file that cannot be read,
//!   is not UTF-8, or holds no JSON/YAML objects at all is a [`SnapshotError`].

mod decode;
mod json_stream;
#[cfg(test)]
mod tests;
mod yaml_list;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use crate::cluster::model::{
    Cluster, Gap, LimitRange, Node, Pod, ResourceQuota, RuntimeClass, StorageClass, Taint,
    Toleration,
};
use crate::diagnostic::{Code, Diagnostic};
use crate::render::manifest::{parse_stream, to_json};
use crate::source::{Pos, SourceId, SourceKind, Sources, Span};
use decode::{Decoded, Item, Kind, ListContext, SkippedPod};
use json_stream::{JsonStream, StreamError};

/// `apiVersion` of our snapshot format.
pub const SNAPSHOT_API_VERSION: &str = "stackcheck.dev/v1";
/// `kind` of our snapshot format.
pub const SNAPSHOT_KIND: &str = "ClusterSnapshot";

/// Files up to this size are kept in [`Sources`] (diagnostics show snippets); larger ones are
/// streamed and only their name is kept.
const KEEP_TEXT_LIMIT: u64 = 16 << 20;

#[cfg(not(test))]
fn keep_text_limit() -> u64 {
    KEEP_TEXT_LIMIT
}

#[cfg(test)]
thread_local! {
    /// Tests stream small files by lowering the limit.
    static KEEP_TEXT_LIMIT_IN_TESTS: std::cell::Cell<u64> = const { std::cell::Cell::new(KEEP_TEXT_LIMIT) };
}

#[cfg(test)]
fn keep_text_limit() -> u64 {
    KEEP_TEXT_LIMIT_IN_TESTS.with(|l| l.get())
}

/// `why` of the gap for a quota without `status.used`.
const QUOTA_USAGE_UNKNOWN: &str = "quota usage unknown: the quota has no status.used";

/// A snapshot file that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read cluster snapshot {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cluster snapshot {} is not UTF-8 text (invalid byte at offset {offset}){hint}", .path.display())]
    NotUtf8 {
        path: PathBuf,
        offset: u64,
        hint: &'static str,
    },
    #[error("cluster snapshot {}:{line}:{column}: not valid JSON: {message}", .path.display())]
    Json {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
    #[error("cluster snapshot {}: {message}", .path.display())]
    NotObjects { path: PathBuf, message: String },
}

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

fn read_file(sources: &mut Sources, path: &Path, b: &mut Builder) -> Result<(), SnapshotError> {
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

fn yaml_read_error(path: &Path, e: yaml_list::ReadError) -> SnapshotError {
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

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
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

fn stream_error(path: &Path, e: StreamError) -> SnapshotError {
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

fn point(source: SourceId, pos: Pos) -> Span {
    Span {
        source,
        start: pos,
        end: pos,
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

fn read_json<R: Read>(
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
fn read_top_object<R: Read>(
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

fn read_yaml(
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
fn api_versions_listing(text: &str) -> Option<Vec<String>> {
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
enum ItemIndex {
    /// The n-th object `parse_stream` took from a document (`kind: List` items that are objects).
    Flattened(usize),
    /// The n-th entry of the document's `items`.
    Raw(usize),
}

/// Exact spans of list items, found only when a diagnostic needs one: `parse_stream` gives every
/// item of a `kind: List` the span of the list. A document is parsed again (once) on its first
/// diagnostic.
struct ItemSpans<'a> {
    sources: &'a Sources,
    id: SourceId,
    /// Per document (by start index): where its items start, if it parsed.
    documents: HashMap<usize, Option<DocumentItems>>,
}

struct DocumentItems {
    /// The entries of `items`.
    raw: Vec<Pos>,
    /// The entries `parse_stream` keeps (objects: apiVersion, kind, metadata.name).
    flattened: Vec<Pos>,
}

impl<'a> ItemSpans<'a> {
    fn new(sources: &'a Sources, id: SourceId) -> Self {
        ItemSpans {
            sources,
            id,
            documents: HashMap::new(),
        }
    }

    /// A point at the start of the object: a whole object makes a poor snippet.
    fn start(&mut self, document: Span, index: ItemIndex) -> Span {
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

fn document_items(text: &str, id: SourceId, start: Pos) -> Option<DocumentItems> {
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

// ---------------------------------------------------------------------------------------------
// Merging objects into the model

#[derive(Default)]
struct Builder {
    cluster: Cluster,
    diagnostics: Vec<Diagnostic>,
    /// Where each object is in the model (by a hash of kind, namespace and name; checked
    /// against the object) and the file it came from, to merge duplicates without copying
    /// 150,000 names.
    seen: rustc_hash::FxHashMap<u64, (usize, SourceId)>,
    gaps_seen: HashSet<(String, String, String)>,
    api_versions: BTreeSet<String>,
    /// The file being read.
    source: SourceId,
    /// The list being read item by item from YAML, and its items without a kind met before
    /// the list's own `kind`.
    yaml_list: ListContext,
    yaml_pending: Vec<(Json, Span)>,
    /// Objects met in all files so far (to tell "not a snapshot" from "broken later on").
    objects_seen: usize,
    // Per file, for the notes at its end.
    ignored: BTreeMap<String, usize>,
    terminal_pods: usize,
    unbound_pods: usize,
    /// The pods were listed for sure (a live read, or our format, which records its own gaps):
    /// none means none run, not that they were forgotten.
    pods_listed: bool,
}

impl Builder {
    fn gap(&mut self, gap: Gap) {
        let key = (gap.what.clone(), gap.why.clone(), gap.affects.clone());
        if self.gaps_seen.insert(key) {
            self.cluster.gaps.push(gap);
        }
    }

    /// Fields of a list or of our format that describe the cluster, not an object.
    fn header(&mut self, header: &Json, at: Option<Span>) {
        if header["kind"] == SNAPSHOT_KIND {
            self.pods_listed = true;
        }
        if header["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("stackcheck.dev/") && v != SNAPSHOT_API_VERSION)
        {
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::SnapshotVersion,
                    format!(
                        "snapshot format {} is not {SNAPSHOT_API_VERSION}, the one this version reads",
                        header["apiVersion"].as_str().unwrap_or_default()
                    ),
                )
                .at(at)
                .hint("read as best as possible; take the snapshot again with this version"),
            );
        }
        let version = match &header["serverVersion"] {
            Json::String(v) => Some(v.clone()),
            // `kubectl version -o json`
            v => v["gitVersion"].as_str().map(str::to_string),
        };
        if let Some(version) = version {
            if let Some(old) = &self.cluster.server_version
                && *old != version
            {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::SnapshotVersion,
                        format!("the files disagree on the server version: {old}, then {version}"),
                    )
                    .at(at)
                    .hint("the last one is used"),
                );
            }
            self.cluster.server_version = Some(version);
        }
        if let Some(versions) = header["apiVersions"].as_array() {
            self.api_versions
                .extend(versions.iter().filter_map(Json::as_str).map(str::to_string));
        }
        if let Some(gaps) = header["gaps"].as_array() {
            for g in gaps {
                let field = |k: &str| g[k].as_str().unwrap_or_default().to_string();
                self.gap(Gap {
                    what: field("what"),
                    why: field("why"),
                    affects: field("affects"),
                });
            }
        }
    }

    /// Top-level fields of a YAML list, before or after its items.
    fn yaml_list_fields(&mut self, node: Option<crate::yaml::Node>, id: SourceId) {
        let json = node.as_ref().map(to_json).unwrap_or(Json::Null);
        self.header(&json, node.map(|n| point(id, n.span.start)));
        if let Some(kind) = json["kind"].as_str() {
            self.yaml_list.item_kind = ListContext::of(Some(kind), None).item_kind;
        }
        if let Some(v) = json["apiVersion"].as_str() {
            self.yaml_list.api_version = Some(v.to_string());
        }
    }

    /// A part of a YAML list read item by item ([`yaml_list`]).
    fn yaml_list_event(&mut self, event: yaml_list::Event, id: SourceId, path: &Path) {
        use yaml_list::Event;
        self.source = id;
        match event {
            Event::Header(Ok(node)) => {
                self.yaml_list = ListContext::default();
                self.yaml_pending.clear();
                self.yaml_list_fields(node, id);
            }
            Event::Trailer(Ok(node)) => {
                self.yaml_list_fields(node, id);
                let list = self.yaml_list.clone();
                for (json, at) in std::mem::take(&mut self.yaml_pending) {
                    self.json_item(&json, &list, || at);
                }
            }
            Event::Item(Ok(Some(node))) => {
                self.objects_seen += 1;
                let at = point(id, node.span.start);
                let json = to_json(&node);
                drop(node);
                if json.get("kind").is_none() && self.yaml_list.item_kind.is_none() {
                    self.yaml_pending.push((json, at));
                } else {
                    let list = self.yaml_list.clone();
                    self.json_item(&json, &list, || at);
                }
            }
            Event::Item(Ok(None)) => {}
            Event::Header(Err(e)) | Event::Item(Err(e)) | Event::Trailer(Err(e)) => {
                let at = e.span();
                // saphyr reports an undefined alias itself, as a syntax error.
                let unknown_alias = matches!(e, crate::yaml::YamlError::UnknownAlias { .. })
                    || e.to_string().contains("unknown anchor");
                let hint = if unknown_alias {
                    "list items are read one by one, so an alias cannot refer to an anchor in \
                     another item (kubectl never writes anchors); this item was skipped"
                } else {
                    "this part of the list was skipped; the rest was read"
                };
                self.diagnostics.push(
                    Diagnostic::error(Code::Yaml, e.to_string())
                        .at(Some(at))
                        .hint(hint),
                );
                self.gap(Gap {
                    what: format!("{} line {}", path.display(), at.start.line),
                    why: e.to_string(),
                    affects: "an object of the snapshot could not be read: a node, pod or quota \
                              may be missing"
                        .to_string(),
                });
            }
            Event::MoreDocuments(at) => {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::SnapshotDocuments,
                        "the list is followed by more YAML documents, which were not read",
                    )
                    .at(Some(at))
                    .hint("give each list its own file"),
                );
                self.gap(Gap {
                    what: format!("{} after line {}", path.display(), at.start.line),
                    why: "documents after a kubectl list were not read".to_string(),
                    affects: "objects in those documents are missing".to_string(),
                });
            }
        }
    }

    /// A top-level JSON object without `items`: one object, or `kubectl version` output.
    fn single(&mut self, json: &Json, at: Span) {
        if json.get("kind").is_none() && json.get("serverVersion").is_some() {
            self.header(json, Some(at));
            return;
        }
        self.objects_seen += 1;
        self.json_item(json, &ListContext::default(), || at);
    }

    /// An object read as JSON (YAML documents, single objects).
    fn json_item(&mut self, json: &Json, list: &ListContext, mut at: impl FnMut() -> Span) {
        if json.get("kind").is_none() && list.item_kind.is_none() {
            self.diagnostics.push(
                Diagnostic::warning(Code::NotAnObject, "not a Kubernetes object: no kind")
                    .at(Some(at()))
                    .hint(
                        "skipped; a Kubernetes object is a map with apiVersion, kind and metadata",
                    ),
            );
            return;
        }
        match Item::deserialize(json) {
            Ok(item) => self.item(item, list, &mut at),
            Err(e) => match decode::kind_of_json(json, list) {
                None => self.ignore(json["kind"].as_str().unwrap_or("(none)")),
                Some(kind) => {
                    let what = decode::display_json(json, list);
                    self.undecodable(kind, what, e.to_string(), at(), None);
                }
            },
        }
    }

    /// An object of the JSON stream that is JSON but does not decode.
    fn undecodable_json(
        &mut self,
        e: json_stream::DataError,
        list: &ListContext,
        id: SourceId,
        start: Span,
    ) {
        match decode::kind_of_json(&e.raw, list) {
            None => self.ignore(e.raw["kind"].as_str().unwrap_or("(none)")),
            Some(kind) => {
                let what = decode::display_json(&e.raw, list);
                let message = json_stream::strip_position(&e.error);
                self.undecodable(kind, what, message, point(id, e.at), Some(start));
            }
        }
    }

    fn undecodable(
        &mut self,
        kind: Kind,
        what: String,
        why: String,
        at: Span,
        object: Option<Span>,
    ) {
        let hint = match object {
            Some(o) if o.start.line != at.start.line => format!(
                "{what} (from line {}) was left out; the rest of the snapshot was read",
                o.start.line
            ),
            _ => format!("{what} was left out; the rest of the snapshot was read"),
        };
        self.diagnostics.push(
            Diagnostic::warning(
                Code::SnapshotObject,
                format!("{what} does not decode: {why}"),
            )
            .at(Some(at))
            .hint(hint),
        );
        let affects = match kind {
            Kind::Node => "placement: this node is left out".to_string(),
            Kind::Pod => "placement: this pod's requests are not counted on its node, which may \
                          look freer than it is"
                .to_string(),
            Kind::StorageClass => "storage: this StorageClass is taken as missing".to_string(),
            Kind::ResourceQuota => "quota: this quota is not checked".to_string(),
            Kind::LimitRange => "LimitRange defaults of this namespace are not applied".to_string(),
            Kind::RuntimeClass => {
                "RuntimeClass overhead and scheduling of pods that use it".to_string()
            }
        };
        self.gap(Gap { what, why, affects });
    }

    fn ignore(&mut self, kind: &str) {
        *self.ignored.entry(kind.to_string()).or_default() += 1;
    }

    /// A decoded object: into the model, or counted as ignored or skipped.
    /// `at` says where the object is; it is only asked when a diagnostic needs it.
    fn item(&mut self, item: Item, list: &ListContext, at: &mut dyn FnMut() -> Span) {
        if item.kind.is_none() && list.item_kind.is_none() {
            self.diagnostics.push(
                Diagnostic::warning(Code::NotAnObject, "not a Kubernetes object: no kind")
                    .at(Some(at()))
                    .hint(
                        "skipped; a Kubernetes object is a map with apiVersion, kind and metadata",
                    ),
            );
            return;
        }
        let Some(kind) = item.kind(list) else {
            let kind = item.kind.clone().unwrap_or_default();
            self.ignore(&kind);
            return;
        };
        match item.resolve(list) {
            Ok(Some(decoded)) => self.add(kind, decoded, at),
            Ok(None) => {}
            Err((what, why)) => self.undecodable(kind, what, why, at(), None),
        }
    }

    fn add(&mut self, kind: Kind, decoded: Decoded, at: &mut dyn FnMut() -> Span) {
        match decoded {
            Decoded::Node {
                node,
                allocatable_from_capacity,
                no_ready_condition,
            } => {
                let what = node.display(kind);
                match allocatable_from_capacity {
                    Some(true) => self.gap(Gap {
                        what: what.clone(),
                        why: "no status.allocatable; status.capacity is used instead".to_string(),
                        affects: "resource fit on this node: capacity includes what the kubelet \
                                  reserves for the system, so the node looks larger than it is"
                            .to_string(),
                    }),
                    Some(false) => self.gap(Gap {
                        what: what.clone(),
                        why: "neither status.allocatable nor status.capacity".to_string(),
                        affects: "resource fit on this node: nothing fits on it".to_string(),
                    }),
                    None => {}
                }
                if no_ready_condition {
                    self.diagnostics.push(
                        Diagnostic::note(
                            Code::SnapshotObject,
                            format!("{what} has no Ready condition: it is taken as not ready"),
                        )
                        .at(Some(at()))
                        .hint("add status.conditions: [{type: Ready, status: \"True\"}] to a hand-written node"),
                    );
                }
                self.put(kind, node, at, |c| &mut c.nodes);
            }
            Decoded::Pod(pod) => self.put(kind, pod, at, |c| &mut c.pods),
            Decoded::SkippedPod(SkippedPod::Terminal) => self.terminal_pods += 1,
            Decoded::SkippedPod(SkippedPod::Unbound) => self.unbound_pods += 1,
            Decoded::StorageClass {
                class,
                default_not_a_string,
            } => {
                if default_not_a_string {
                    let what = class.display(kind);
                    self.diagnostics.push(
                        Diagnostic::warning(
                            Code::SnapshotObject,
                            format!(
                                "{what}: the default-class annotation is not the string \"true\", \
                                 so Kubernetes does not take this class as the default"
                            ),
                        )
                        .at(Some(at()))
                        .hint("quote it: storageclass.kubernetes.io/is-default-class: \"true\""),
                    );
                }
                self.put(kind, class, at, |c| &mut c.storage_classes);
            }
            Decoded::ResourceQuota {
                quota,
                used_known,
                scoped,
            } => {
                let what = quota.display(kind);
                if scoped {
                    self.gap(Gap {
                        what,
                        why: "the quota has scopes or a scopeSelector, which are not modelled"
                            .to_string(),
                        affects: format!(
                            "quota: this quota of namespace {} is not checked",
                            quota.namespace
                        ),
                    });
                    return;
                }
                if !used_known && !quota.hard.is_empty() {
                    self.gap(Gap {
                        what,
                        why: QUOTA_USAGE_UNKNOWN.to_string(),
                        affects: format!(
                            "quota: usage in namespace {} is taken as zero",
                            quota.namespace
                        ),
                    });
                }
                self.put(kind, quota, at, |c| &mut c.quotas);
            }
            Decoded::LimitRange(range) => self.put(kind, range, at, |c| &mut c.limit_ranges),
            Decoded::RuntimeClass(class) => self.put(kind, class, at, |c| &mut c.runtime_classes),
        }
    }

    /// Append `value`, or replace an earlier object of the same kind, namespace and name.
    fn put<T: Named>(
        &mut self,
        kind: Kind,
        value: T,
        at: &mut dyn FnMut() -> Span,
        list: impl Fn(&mut Cluster) -> &mut Vec<T>,
    ) {
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            (kind, value.key()).hash(&mut h);
            h.finish()
        };
        let items = list(&mut self.cluster);
        match self.seen.get(&hash) {
            Some(&(index, first)) if items[index].key() == value.key() => {
                let what = value.display(kind);
                items[index] = value;
                let earlier = if first == self.source {
                    "earlier in this file"
                } else {
                    "in an earlier file"
                };
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::SnapshotDuplicate,
                        format!("{what} is in the snapshot twice (also {earlier})"),
                    )
                    .at(Some(at()))
                    .hint("the later one is used"),
                );
                self.seen.insert(hash, (index, self.source));
            }
            // A 64-bit collision between different objects: keep both, unrecorded.
            Some(_) => items.push(value),
            None => {
                items.push(value);
                self.seen.insert(hash, (items.len() - 1, self.source));
            }
        }
    }

    /// Notes about what a file held that the model does not.
    fn end_file(&mut self, name: &str) {
        if !self.ignored.is_empty() {
            let total: usize = self.ignored.values().sum();
            let kinds: Vec<String> = self
                .ignored
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect();
            self.diagnostics.push(Diagnostic::note(
                Code::SnapshotIgnored,
                format!(
                    "{name}: {total} object(s) of kinds the preflight does not read were ignored: {}",
                    kinds.join(", ")
                ),
            ));
        }
        if self.terminal_pods + self.unbound_pods > 0 {
            self.diagnostics.push(Diagnostic::note(
                Code::SnapshotPods,
                format!(
                    "{name}: {} finished pod(s) (Succeeded/Failed) and {} pod(s) not bound to a \
                     node do not use node resources and were left out",
                    self.terminal_pods, self.unbound_pods
                ),
            ));
        }
        self.ignored.clear();
        self.terminal_pods = 0;
        self.unbound_pods = 0;
    }

    fn finish(mut self) -> (Cluster, Vec<Diagnostic>) {
        // A list that could not be read at all (the live API's 403) already has its gap.
        let has_gap = |c: &Cluster, what: &str| c.gaps.iter().any(|g| g.what == what);
        if self.cluster.nodes.is_empty() {
            if !has_gap(&self.cluster, "nodes") {
                self.gap(Gap {
                    what: "nodes".to_string(),
                    why: "the snapshot has no Node objects".to_string(),
                    affects: "placement: there is no node to place pods on".to_string(),
                });
            }
        } else if self.cluster.pods.is_empty()
            && !self.pods_listed
            && !has_gap(&self.cluster, "pods")
        {
            self.gap(Gap {
                what: "pods".to_string(),
                why: "the snapshot has no running pods (were they captured? `kubectl get pods -A`)"
                    .to_string(),
                affects: "placement: nodes are taken as empty".to_string(),
            });
        }
        self.cluster.api_versions = self.api_versions.into_iter().collect();
        (self.cluster, self.diagnostics)
    }
}

/// Objects of the model by namespace (empty for cluster-scoped kinds) and name.
trait Named {
    fn key(&self) -> (&str, &str);

    /// `Kind/namespace/name`, `Kind/name` for cluster-scoped kinds.
    fn display(&self, kind: Kind) -> String {
        let (ns, name) = self.key();
        decode::display(
            kind.name(),
            Some(ns).filter(|ns| !ns.is_empty()),
            Some(name),
        )
    }
}

impl Named for Node {
    fn key(&self) -> (&str, &str) {
        ("", &self.name)
    }
}

impl Named for Pod {
    fn key(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
}

impl Named for StorageClass {
    fn key(&self) -> (&str, &str) {
        ("", &self.name)
    }
}

impl Named for ResourceQuota {
    fn key(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
}

impl Named for LimitRange {
    fn key(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
}

impl Named for RuntimeClass {
    fn key(&self) -> (&str, &str) {
        ("", &self.name)
    }
}

// ---------------------------------------------------------------------------------------------
// API list pages (the live reader)

/// The live reader's way into the model ([`crate::cluster::live`]): each page of an API list
/// (`GET /api/v1/pods?limit=500` → a `PodList`) goes through the same streaming decoder and the
/// same merging rules as a snapshot file, so a live read and a snapshot of the same objects give
/// the same [`Cluster`] by construction.
///
/// Each list gets its own source (named after its URL, without text): diagnostics name the
/// object (`Pod/ns/name`), not a position in a page, which nobody can look at afterwards.
pub(crate) struct PageFeed {
    b: Builder,
}

/// What a list page says about the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    /// `metadata.continue`: there are more pages.
    pub continue_token: Option<String>,
    /// Items in this page.
    pub items: usize,
    /// `metadata.remainingItemCount`, when the server says.
    pub remaining: Option<u64>,
}

/// Where the model stood when a list began, to read that list again from the start (an expired
/// `continue` token). Every object of a list is of the list's kind and carries its source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checkpoint {
    source: SourceId,
    lens: [usize; 6],
    diagnostics: usize,
    gaps: usize,
}

impl PageFeed {
    pub(crate) fn new() -> PageFeed {
        PageFeed {
            b: Builder::default(),
        }
    }

    /// Start a list; `name` names it in diagnostics (its URL).
    pub(crate) fn begin_list(&mut self, sources: &mut Sources, name: &str) -> Checkpoint {
        let id = sources.add(name, "", SourceKind::Other);
        self.b.source = id;
        self.checkpoint()
    }

    fn checkpoint(&self) -> Checkpoint {
        let c = &self.b.cluster;
        Checkpoint {
            source: self.b.source,
            lens: [
                c.nodes.len(),
                c.pods.len(),
                c.storage_classes.len(),
                c.quotas.len(),
                c.limit_ranges.len(),
                c.runtime_classes.len(),
            ],
            diagnostics: self.b.diagnostics.len(),
            gaps: c.gaps.len(),
        }
    }

    /// Forget what was read of a list since `cp`, to read it again from the start.
    pub(crate) fn restart_list(&mut self, cp: Checkpoint) {
        let b = &mut self.b;
        let c = &mut b.cluster;
        let [nodes, pods, classes, quotas, ranges, runtimes] = cp.lens;
        c.nodes.truncate(nodes);
        c.pods.truncate(pods);
        c.storage_classes.truncate(classes);
        c.quotas.truncate(quotas);
        c.limit_ranges.truncate(ranges);
        c.runtime_classes.truncate(runtimes);
        b.diagnostics.truncate(cp.diagnostics);
        for g in c.gaps.drain(cp.gaps.min(c.gaps.len())..) {
            b.gaps_seen.remove(&(g.what, g.why, g.affects));
        }
        b.seen.retain(|_, (_, source)| *source != cp.source);
        b.source = cp.source;
    }

    /// Decode one page (a JSON list object) into the model. An object that does not decode is
    /// reported and left out (a [`Gap`]); only a body that is not a JSON list is an error.
    pub(crate) fn page(&mut self, body: &[u8]) -> Result<Page, String> {
        let syntax = |e: StreamError| match e {
            StreamError::Syntax { message, pos } => {
                format!(
                    "not valid JSON at line {} column {}: {message}",
                    pos.line, pos.col
                )
            }
            StreamError::NotUtf8 { offset } => {
                format!("not UTF-8 (invalid byte at offset {offset})")
            }
            StreamError::Io(e) => e.to_string(),
        };
        let diagnostics = self.b.diagnostics.len();
        let objects = self.b.objects_seen;
        let id = self.b.source;
        let mut s = JsonStream::from_reader(body).map_err(syntax)?;
        let header = match s.peek() {
            Ok(Some(b'{')) => read_top_object(&mut self.b, id, &mut s),
            Ok(found) => Err(s.unexpected(found, "a JSON object `{`")),
            Err(e) => Err(e),
        }
        .map_err(syntax)?;
        for d in &mut self.b.diagnostics[diagnostics..] {
            d.span = None;
        }
        if !header["kind"].as_str().is_some_and(|k| k.ends_with("List")) {
            return Err(format!(
                "not a list (kind {})",
                header["kind"].as_str().unwrap_or("missing")
            ));
        }
        let meta = &header["metadata"];
        Ok(Page {
            continue_token: meta["continue"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            items: self.b.objects_seen - objects,
            remaining: meta["remainingItemCount"].as_u64(),
        })
    }

    /// `GET /version` and the discovery lists, as a snapshot file would carry them.
    pub(crate) fn cluster_info(&mut self, server_version: Option<&str>, api_versions: &[String]) {
        self.b.header(
            &json!({"serverVersion": server_version, "apiVersions": api_versions}),
            None,
        );
    }

    /// A part of the cluster that could not be read (a forbidden list).
    pub(crate) fn gap(&mut self, gap: Gap) {
        self.b.gap(gap);
    }

    pub(crate) fn diagnostic(&mut self, d: Diagnostic) {
        self.b.diagnostics.push(d);
    }

    pub(crate) fn finish(mut self) -> (Cluster, Vec<Diagnostic>) {
        // Every list was read (or its failure is a gap): an empty pod list is an idle cluster.
        self.b.pods_listed = true;
        self.b.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Writing our format

/// The cluster in our snapshot format: a JSON object
///
/// ```json
/// {"apiVersion": "stackcheck.dev/v1", "kind": "ClusterSnapshot", "metadata": {"name": "cluster"},
///  "serverVersion": "v1.31.4", "apiVersions": ["apps/v1", "v1", ...],
///  "gaps": [{"what": "...", "why": "...", "affects": "..."}],
///  "items": [ ...Kubernetes-shaped objects... ]}
/// ```
///
/// whose items are the model's objects written back as slim Kubernetes objects (so the same
/// reader reads them): Nodes (labels, taints, `unschedulable`, allocatable, the Ready
/// condition), Pods (labels, scheduling fields, `nodeName`, and the pod's effective request as
/// the requests of one container named `requests`), StorageClasses (provisioner, binding mode,
/// `isDefault` instead of the annotation), ResourceQuotas (`status.hard`/`used`), LimitRanges
/// (`spec.limits`) and RuntimeClasses (handler, overhead, scheduling). Nothing else: no
/// annotations, images, commands, env values or Secrets.
pub fn write_snapshot(cluster: &Cluster) -> Json {
    let mut items = Vec::with_capacity(
        cluster.nodes.len()
            + cluster.pods.len()
            + cluster.storage_classes.len()
            + cluster.quotas.len()
            + cluster.limit_ranges.len()
            + cluster.runtime_classes.len(),
    );
    items.extend(cluster.nodes.iter().map(node_json));
    items.extend(cluster.pods.iter().map(pod_json));
    items.extend(cluster.storage_classes.iter().map(storage_class_json));
    items.extend(cluster.quotas.iter().map(|q| quota_json(q, &cluster.gaps)));
    items.extend(cluster.limit_ranges.iter().map(limit_range_json));
    items.extend(cluster.runtime_classes.iter().map(runtime_class_json));
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!(SNAPSHOT_API_VERSION));
    out.insert("kind".into(), json!(SNAPSHOT_KIND));
    // A name makes the file a Kubernetes-shaped object for YAML tools (and `parse_stream`);
    // the CLI may put the context's name and a creationTimestamp here.
    out.insert("metadata".into(), json!({"name": "cluster"}));
    if let Some(v) = &cluster.server_version {
        out.insert("serverVersion".into(), json!(v));
    }
    out.insert("apiVersions".into(), json!(cluster.api_versions));
    out.insert(
        "gaps".into(),
        Json::Array(
            cluster
                .gaps
                .iter()
                .map(|g| json!({"what": g.what, "why": g.why, "affects": g.affects}))
                .collect(),
        ),
    );
    out.insert("items".into(), Json::Array(items));
    Json::Object(out)
}

/// `metadata` with only name, namespace and labels.
fn metadata(name: &str, namespace: Option<&str>, labels: &BTreeMap<String, String>) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        m.insert("namespace".into(), json!(ns));
    }
    if !labels.is_empty() {
        m.insert("labels".into(), json!(labels));
    }
    Json::Object(m)
}

fn object(api_version: &str, kind: &str, metadata: Json) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("apiVersion".into(), json!(api_version));
    m.insert("kind".into(), json!(kind));
    m.insert("metadata".into(), metadata);
    m
}

fn taint_json(t: &Taint) -> Json {
    let mut m = Map::new();
    m.insert("key".into(), json!(t.key));
    if let Some(v) = &t.value {
        m.insert("value".into(), json!(v));
    }
    m.insert("effect".into(), json!(t.effect));
    Json::Object(m)
}

fn toleration_json(t: &Toleration) -> Json {
    let mut m = Map::new();
    let fields = [
        ("key", &t.key),
        ("operator", &t.operator),
        ("value", &t.value),
        ("effect", &t.effect),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    if let Some(s) = t.toleration_seconds {
        m.insert("tolerationSeconds".into(), json!(s));
    }
    Json::Object(m)
}

fn node_json(n: &Node) -> Json {
    let mut o = object("v1", "Node", metadata(&n.name, None, &n.labels));
    let mut spec = Map::new();
    if n.unschedulable {
        spec.insert("unschedulable".into(), json!(true));
    }
    if !n.taints.is_empty() {
        spec.insert(
            "taints".into(),
            Json::Array(n.taints.iter().map(taint_json).collect()),
        );
    }
    if !spec.is_empty() {
        o.insert("spec".into(), Json::Object(spec));
    }
    o.insert(
        "status".into(),
        json!({
            "allocatable": n.allocatable,
            "conditions": [{"type": "Ready", "status": if n.ready { "True" } else { "False" }}],
        }),
    );
    Json::Object(o)
}

fn pod_json(p: &Pod) -> Json {
    let mut o = object(
        "v1",
        "Pod",
        metadata(&p.name, Some(&p.namespace), &p.labels),
    );
    let s = &p.scheduling;
    let mut spec = Map::new();
    if let Some(node) = &p.node {
        spec.insert("nodeName".into(), json!(node));
    }
    if let Some(v) = &s.scheduler_name {
        spec.insert("schedulerName".into(), json!(v));
    }
    if let Some(v) = &s.runtime_class_name {
        spec.insert("runtimeClassName".into(), json!(v));
    }
    if !s.node_selector.is_empty() {
        spec.insert("nodeSelector".into(), json!(s.node_selector));
    }
    if let Some(a) = &s.affinity {
        spec.insert("affinity".into(), a.clone());
    }
    if !s.tolerations.is_empty() {
        spec.insert(
            "tolerations".into(),
            Json::Array(s.tolerations.iter().map(toleration_json).collect()),
        );
    }
    if !s.topology_spread_constraints.is_empty() {
        spec.insert(
            "topologySpreadConstraints".into(),
            Json::Array(s.topology_spread_constraints.clone()),
        );
    }
    spec.insert(
        "containers".into(),
        json!([{"name": "requests", "resources": {"requests": p.requests}}]),
    );
    // The containers are not kept: record the scoring weight when they made it differ from the
    // one the requests alone give.
    if let Some((cpu, memory)) = p.non_zero
        && Some((cpu, memory)) != derived_non_zero(&p.requests)
    {
        spec.insert(
            "nonZeroRequests".into(),
            json!({"cpu": format!("{cpu}m"), "memory": memory.to_string()}),
        );
    }
    o.insert("spec".into(), Json::Object(spec));
    Json::Object(o)
}

/// The scoring weight a pod written with one container holding `requests` is read back with.
fn derived_non_zero(requests: &crate::workload::ResourceList) -> Option<(i128, i128)> {
    let spec = crate::workload::PodSpec {
        containers: vec![crate::workload::Container {
            name: "requests".into(),
            resources: crate::workload::ResourceRequirements {
                requests: requests.clone(),
                limits: Default::default(),
            },
            restart_policy: None,
        }],
        ..Default::default()
    };
    crate::workload::pod_non_zero_requests(&spec).ok()
}

fn storage_class_json(c: &StorageClass) -> Json {
    let mut o = object(
        "storage.k8s.io/v1",
        "StorageClass",
        metadata(&c.name, None, &BTreeMap::new()),
    );
    o.insert("provisioner".into(), json!(c.provisioner));
    o.insert("volumeBindingMode".into(), json!(c.binding_mode));
    if c.is_default {
        o.insert("isDefault".into(), json!(true));
    }
    Json::Object(o)
}

fn quota_json(q: &ResourceQuota, gaps: &[Gap]) -> Json {
    let mut o = object(
        "v1",
        "ResourceQuota",
        metadata(&q.name, Some(&q.namespace), &BTreeMap::new()),
    );
    let what = decode::display("ResourceQuota", Some(&q.namespace), Some(&q.name));
    let used_unknown = gaps
        .iter()
        .any(|g| g.what == what && g.why == QUOTA_USAGE_UNKNOWN);
    let mut status = Map::new();
    status.insert("hard".into(), json!(q.hard));
    if !used_unknown {
        status.insert("used".into(), json!(q.used));
    }
    o.insert("status".into(), Json::Object(status));
    Json::Object(o)
}

fn limit_range_json(r: &LimitRange) -> Json {
    let mut o = object(
        "v1",
        "LimitRange",
        metadata(&r.name, Some(&r.namespace), &BTreeMap::new()),
    );
    o.insert("spec".into(), json!({"limits": r.limits}));
    Json::Object(o)
}

fn runtime_class_json(c: &RuntimeClass) -> Json {
    let mut o = object(
        "node.k8s.io/v1",
        "RuntimeClass",
        metadata(&c.name, None, &BTreeMap::new()),
    );
    o.insert("handler".into(), json!(c.handler));
    if !c.overhead.is_empty() {
        o.insert("overhead".into(), json!({"podFixed": c.overhead}));
    }
    let mut scheduling = Map::new();
    if !c.node_selector.is_empty() {
        scheduling.insert("nodeSelector".into(), json!(c.node_selector));
    }
    if !c.tolerations.is_empty() {
        scheduling.insert(
            "tolerations".into(),
            Json::Array(c.tolerations.iter().map(toleration_json).collect()),
        );
    }
    if !scheduling.is_empty() {
        o.insert("scheduling".into(), Json::Object(scheduling));
    }
    Json::Object(o)
}
