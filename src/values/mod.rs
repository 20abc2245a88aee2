//! Values as Helm holds them after reading: a JSON-like tree in which every node remembers
//! where it was written ([`Value::span`]) — a values file, a chart's defaults, or one `--set`
//! argument — so a validation error can point at the layer that set the offending value.
//!
//! Layers are merged in Helm's order (see [`Layers::merge`]): `-f` files left to right, then
//! `--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal` (each kind in command-line
//! order, but the kinds always in this order), and the chart defaults last by coalescing.

pub mod coalesce;
pub mod secret;
pub mod set;

use indexmap::IndexMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceId, SourceKind, Sources, Span};
use crate::yaml::{self, Node, NodeKind, YamlError};

pub type Map = IndexMap<String, Value>;

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: Kind,
    /// Where the value was written; `None` for values Helm synthesises (an empty subchart scope).
    pub span: Option<Span>,
    /// Where the key holding this value was written, when it is a map entry.
    pub key_span: Option<Span>,
    /// For a value copied through a YAML alias (`*name`, `<<: *name`), the alias: where the
    /// value is used. `span` is then where it is written, inside the anchored node.
    pub via: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    /// `--set` parses whole numbers to int64.
    Int(i64),
    /// Numbers read from YAML or JSON are float64 in Helm.
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Map(Map),
}

impl Value {
    pub fn new(kind: Kind, span: Option<Span>) -> Self {
        Value {
            kind,
            span,
            key_span: None,
            via: None,
        }
    }

    pub fn empty_map() -> Self {
        Value::new(Kind::Map(Map::new()), None)
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Where diagnostics about this value point: the alias that brought it here, else where
    /// it is written.
    pub fn shown_at(&self) -> Option<Span> {
        self.via.or(self.span)
    }

    /// Convert a YAML node (already resolved with Helm's scalar rules).
    pub fn from_node(node: Node) -> Value {
        let span = Some(node.span);
        let via = node.via;
        let kind = match node.kind {
            NodeKind::Null => Kind::Null,
            NodeKind::Bool(b) => Kind::Bool(b),
            NodeKind::Number(n) => Kind::Float(n),
            NodeKind::Str(s) => Kind::Str(s),
            NodeKind::Seq(items) => Kind::List(items.into_iter().map(Value::from_node).collect()),
            NodeKind::Map(entries) => Kind::Map(
                entries
                    .into_iter()
                    .map(|e| {
                        let mut v = Value::from_node(e.value);
                        v.key_span = Some(e.key_span);
                        (e.key, v)
                    })
                    .collect(),
            ),
        };
        Value {
            via,
            ..Value::new(kind, span)
        }
    }

    /// The JSON Helm hands to the schema validator (`json.Marshal` of the values).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Kind::Null => J::Null,
            Kind::Bool(b) => J::Bool(*b),
            Kind::Int(i) => J::from(*i),
            Kind::Float(f) => float_to_json(*f),
            Kind::Str(s) => J::String(s.clone()),
            Kind::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Kind::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// The node at a JSON-pointer-like path of keys and indices.
    pub fn at<'a, I>(&self, path: I) -> Option<&Value>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut cur = self;
        for seg in path {
            cur = match &cur.kind {
                Kind::Map(m) => m.get(seg)?,
                Kind::List(items) => items.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The type as messages name it.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Int(_) | Kind::Float(_) => "number",
            Kind::Str(_) => "string",
            Kind::List(_) => "list",
            Kind::Map(_) => "map",
        }
    }
}

/// Go's `json.Marshal` of a float64 prints whole numbers without a fraction; keep them
/// integers so `type: integer` sees what Helm's validators see.
fn float_to_json(f: f64) -> serde_json::Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        serde_json::Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Render a path of segments as `a.b[0].c`.
pub fn display_path<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::new();
    for seg in segments {
        let seg = seg.as_ref();
        if !out.is_empty() && seg.parse::<usize>().is_ok() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// Errors reading a values layer.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    #[error("{name}: {source}")]
    Yaml {
        name: String,
        source: Box<YamlError>,
    },
    #[error("{name}: the top level of a values file must be a map of keys, found a {found}")]
    NotAMap {
        name: String,
        found: &'static str,
        span: Span,
    },
    #[error("{flag} {arg}: {message}")]
    Set {
        flag: &'static str,
        arg: String,
        message: String,
        span: Option<Span>,
    },
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    /// The file is not UTF-8; `span` is the first invalid byte (the text is kept, lossily, in
    /// the sources so the line can be shown).
    #[error("{path} is not UTF-8 text: invalid byte 0x{byte:02X}")]
    NotUtf8 { path: String, byte: u8, span: Span },
}

impl ValuesError {
    pub fn span(&self) -> Option<Span> {
        match self {
            ValuesError::Yaml { source, .. } => Some(source.span()),
            ValuesError::NotAMap { span, .. } => Some(*span),
            ValuesError::Set { span, .. } => *span,
            ValuesError::Read { .. } => None,
            ValuesError::NotUtf8 { span, .. } => Some(*span),
        }
    }

    /// The diagnostic of a layer that cannot be read, with a hint. The span names the file, so
    /// the message does not.
    pub fn diagnostic(&self) -> Diagnostic {
        let (code, message, hint): (Code, String, String) = match self {
            ValuesError::Read { .. } => (
                Code::Input,
                self.to_string(),
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
                    None => self.to_string(),
                };
                (Code::Set, message, hint.into())
            }
        };
        Diagnostic::error(code, message).at(self.span()).hint(hint)
    }
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
        YamlError::ControlCharacter { .. } => "it is invisible in most editors: `cat -A FILE` shows it (as ^@ for NUL)".into(),
    }
}

/// Read a values file's text (already in `sources`) into a map, as `chartutil.ReadValues` does.
pub fn parse_values(sources: &Sources, id: SourceId) -> Result<Value, ValuesError> {
    let name = sources.name(id).to_string();
    let node = yaml::parse(id, sources.text(id)).map_err(|source| ValuesError::Yaml {
        name: name.clone(),
        source: Box::new(source),
    })?;
    match node {
        None => Ok(Value::empty_map()),
        Some(node) => match node.kind {
            NodeKind::Map(_) => Ok(Value::from_node(node)),
            NodeKind::Null => Ok(Value::empty_map()),
            other => Err(ValuesError::NotAMap {
                name,
                found: other.type_name(),
                span: node.span,
            }),
        },
    }
}

/// Read a file into `sources` with a clear error for missing, unreadable or non-UTF-8 files.
pub fn read_source(
    sources: &mut Sources,
    path: &std::path::Path,
    kind: SourceKind,
) -> Result<SourceId, ValuesError> {
    let display = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ValuesError::Read {
        path: display.clone(),
        message: io_message(&e),
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(display, text, kind)),
        Err(e) => {
            let bytes = e.as_bytes();
            let valid = e.utf8_error().valid_up_to();
            let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let pos = crate::source::Pos {
                line: before.matches('\n').count() as u32 + 1,
                col: before[line_start..].chars().count() as u32 + 1,
                index: before.chars().count(),
            };
            let end = crate::source::Pos {
                col: pos.col + 1,
                index: pos.index + 1,
                ..pos
            };
            let byte = bytes[valid];
            let id = sources.add(
                display.clone(),
                String::from_utf8_lossy(bytes).into_owned(),
                kind,
            );
            Err(ValuesError::NotUtf8 {
                path: display,
                byte,
                span: Span {
                    source: id,
                    start: pos,
                    end,
                },
            })
        }
    }
}

pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a file".into(),
        _ => e.to_string(),
    }
}

/// Helm's `mergeMaps` for `-f` files: maps merge recursively, anything else is replaced
/// (including by `null`, which later deletes the chart default).
pub fn merge_maps(base: &mut Map, overlay: Map) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(existing), value) if existing.is_map() && value.is_map() => {
                let Kind::Map(inner) = value.kind else {
                    continue;
                };
                if let Some(dest) = existing.as_map_mut() {
                    merge_maps(dest, inner);
                }
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// How a `--set`-family argument is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: `true`/`false`/`null`/int64 are typed, everything else a string.
    Typed,
    /// `--set-string`: always strings.
    String,
    /// `--set-json`: the value is JSON.
    Json,
    /// `--set-file`: the value is a path; the file's text becomes the string value.
    File,
    /// `--set-literal`: the rest of the argument, verbatim.
    Literal,
}

impl SetKind {
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Typed => "--set",
            SetKind::String => "--set-string",
            SetKind::Json => "--set-json",
            SetKind::File => "--set-file",
            SetKind::Literal => "--set-literal",
        }
    }

    /// Helm applies the kinds in this order whatever the command line order.
    pub const HELM_ORDER: [SetKind; 5] = [
        SetKind::Json,
        SetKind::Typed,
        SetKind::String,
        SetKind::File,
        SetKind::Literal,
    ];
}

/// The user's value layers, as given on the command line.
#[derive(Debug, Default, Clone)]
pub struct Layers {
    pub files: Vec<std::path::PathBuf>,
    pub sets: Vec<(SetKind, String)>,
}

impl Layers {
    /// Merge the user's layers into one map exactly in Helm's order (`MergeValues` in helm's
    /// pkg/cli/values): files first, then the `--set` family by kind.
    pub fn merge(&self, sources: &mut Sources) -> Result<Value, Vec<ValuesError>> {
        let files = self
            .files
            .iter()
            .enumerate()
            .map(|(index, path)| read_source(sources, path, SourceKind::ValuesFile { index }))
            .collect();
        merge_layers(sources, files, &self.sets)
    }
}

/// [`Layers::merge`] for values files whose texts are already in `sources` (only `--set-file`
/// still reads files): the same merge without the file system, as the fuzz targets drive it.
pub fn merge_sources(
    sources: &mut Sources,
    files: &[SourceId],
    sets: &[(SetKind, String)],
) -> Result<Value, Vec<ValuesError>> {
    merge_layers(sources, files.iter().copied().map(Ok).collect(), sets)
}

/// The merge proper: `files` in order (a file that could not be read is an error in its place),
/// then the `--set` family by kind.
fn merge_layers(
    sources: &mut Sources,
    files: Vec<Result<SourceId, ValuesError>>,
    sets: &[(SetKind, String)],
) -> Result<Value, Vec<ValuesError>> {
    let mut base = Map::new();
    let mut errors = Vec::new();
    for file in files {
        match file.and_then(|id| parse_values(sources, id)) {
            Ok(Value {
                kind: Kind::Map(m), ..
            }) => merge_maps(&mut base, m),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    for kind in SetKind::HELM_ORDER {
        for (_, arg) in sets.iter().filter(|(k, _)| *k == kind) {
            let id = sources.add(
                kind.flag(),
                arg.clone(),
                SourceKind::SetArgument { flag: kind.flag() },
            );
            if let Err(e) = set::apply(&mut base, sources, id, kind) {
                errors.push(e);
            }
        }
    }
    if errors.is_empty() {
        Ok(Value::new(Kind::Map(base), None))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Value {
        let mut sources = Sources::new();
        let id = sources.add("v.yaml", text, SourceKind::Other);
        parse_values(&sources, id).unwrap()
    }

    #[test]
    fn merge_maps_is_deep_and_null_replaces() {
        let Kind::Map(mut a) = values("a: {x: 1, w: 2}\nl: [1, 2]\n").kind else {
            panic!()
        };
        let Kind::Map(b) = values("a: {w: null, z: 3}\nl: [9]\n").kind else {
            panic!()
        };
        merge_maps(&mut a, b);
        let merged = Value::new(Kind::Map(a), None).to_json();
        assert_eq!(
            merged,
            serde_json::json!({"a": {"x": 1, "w": null, "z": 3}, "l": [9]})
        );
    }

    #[test]
    fn non_map_top_level_is_an_error() {
        let mut sources = Sources::new();
        let id = sources.add("v.yaml", "- a\n- b\n", SourceKind::Other);
        assert!(matches!(
            parse_values(&sources, id),
            Err(ValuesError::NotAMap { .. })
        ));
    }

    #[test]
    fn paths_display_like_helm_docs() {
        assert_eq!(display_path(&["a", "b", "0", "c"]), "a.b[0].c");
    }

    #[test]
    fn whole_floats_become_json_integers() {
        assert_eq!(
            values("a: 3\nb: 3.5\nc: 1e3\n").to_json(),
            serde_json::json!({"a": 3, "b": 3.5, "c": 1000})
        );
    }
}
