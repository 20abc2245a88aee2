//! Splitting a manifest stream (`helm template` output, `kubectl get -o yaml`, plain files) into
//! Kubernetes objects that remember where they came from: the `# Source:` template Helm names
//! above each document, the subchart that template belongs to, and the position in the stream.
//!
//! Documents are read one by one (a line starting with `---` or `...` ends a document; YAML
//! forbids those markers inside content), so one malformed document is reported and the rest
//! are still read. Scalars follow the YAML→JSON rules the API server's decoder applies
//! (sigs.k8s.io/yaml: go-yaml v2, so `yes` is a boolean there too).

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Pos, SourceId, Sources, Span};
use crate::yaml::{self, Node, NodeKind};

/// One Kubernetes object of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The object as the API server would decode it (JSON).
    pub json: Json,
    /// The template that produced it (`# Source: chart/charts/sub/templates/x.yaml`).
    pub template: Option<String>,
    /// Subchart chain from the template path (`["litellm"]`); empty for the top chart or when the
    /// object has no `# Source:`.
    pub subcharts: Vec<String>,
    /// Where the document starts in the stream.
    pub span: Span,
}

impl Object {
    pub fn kind(&self) -> &str {
        self.json["kind"].as_str().unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.json["apiVersion"].as_str().unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.json["metadata"]["name"].as_str().unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.json["metadata"]["namespace"].as_str()
    }

    /// `Kind/name`, how findings name an object.
    pub fn display(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }

    /// `Kind/name (template)` when the template is known.
    pub fn display_with_template(&self) -> String {
        match &self.template {
            Some(t) => format!("{} ({t})", self.display()),
            None => self.display(),
        }
    }
}

/// Every object of the stream in `source`, and a diagnostic for each document that is not one.
/// `kind: List` documents (kubectl output) are flattened into their items.
pub fn parse_stream(sources: &Sources, id: SourceId) -> (Vec<Object>, Vec<Diagnostic>) {
    let text = sources.text(id);
    let mut objects = Vec::new();
    let mut diagnostics = Vec::new();
    for chunk in documents(text) {
        let shift = |span: Span| shift_span(span, &chunk);
        let node = match yaml::parse(id, chunk.text) {
            // A document of only comments (Helm prints one for a template whose output is a
            // comment) or an explicit null is skipped, as kubectl and Helm skip it.
            Ok(Some(Node {
                kind: NodeKind::Null,
                ..
            }))
            | Ok(None) => continue,
            Ok(Some(node)) => node,
            Err(e) => {
                diagnostics.push(
                    Diagnostic::error(Code::Manifest, e.to_string())
                        .at(Some(shift(e.span())))
                        .hint("this document was skipped; the others were read"),
                );
                continue;
            }
        };
        let span = shift(node.span);
        let template = chunk.source_comment.map(str::to_string);
        match to_json(&node) {
            Json::Object(map) => {
                let json = Json::Object(map);
                let problem = not_an_object(&json);
                if let Some(problem) = problem {
                    diagnostics.push(
                        Diagnostic::warning(Code::NotAnObject, problem)
                            .at(Some(span))
                            .hint(template.as_ref().map_or_else(
                                || "skipped; a Kubernetes object needs apiVersion, kind and metadata.name".to_string(),
                                |t| format!("skipped; produced by {t}"),
                            )),
                    );
                    continue;
                }
                if json["kind"] == "List" && json["items"].is_array() {
                    for item in json["items"].as_array().into_iter().flatten() {
                        if not_an_object(item).is_none() {
                            objects.push(object(item.clone(), template.clone(), span));
                        }
                    }
                } else {
                    objects.push(object(json, template, span));
                }
            }
            other => diagnostics.push(
                Diagnostic::warning(
                    Code::NotAnObject,
                    format!(
                        "a document that is a {} is not a Kubernetes object",
                        json_type(&other)
                    ),
                )
                .at(Some(span))
                .hint("skipped; a Kubernetes object is a map with apiVersion, kind and metadata"),
            ),
        }
    }
    (objects, diagnostics)
}

fn object(json: Json, template: Option<String>, span: Span) -> Object {
    let subcharts = template.as_deref().map(subcharts_of).unwrap_or_default();
    Object {
        json,
        template,
        subcharts,
        span,
    }
}

/// `llm-stack/charts/apps/charts/x/templates/a.yaml` → `["apps", "x"]`.
pub fn subcharts_of(template: &str) -> Vec<String> {
    let parts: Vec<&str> = template.split('/').collect();
    let mut chain = Vec::new();
    let mut i = 0;
    while i + 1 < parts.len() {
        if parts[i] == "templates" {
            break;
        }
        if parts[i] == "charts" && i > 0 {
            chain.push(parts[i + 1].to_string());
            i += 2;
        } else {
            i += 1;
        }
    }
    chain
}

/// Why a map is not a Kubernetes object, if it is not.
fn not_an_object(json: &Json) -> Option<String> {
    let missing: Vec<&str> = [
        ("apiVersion", json["apiVersion"].is_string()),
        ("kind", json["kind"].is_string()),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(k, _)| k)
    .collect();
    if !missing.is_empty() {
        return Some(format!(
            "not a Kubernetes object: no {}",
            missing.join(" and ")
        ));
    }
    if json["kind"] != "List" && !json["metadata"]["name"].is_string() {
        return Some(format!(
            "{} without metadata.name is not a Kubernetes object",
            json["kind"].as_str().unwrap_or("object")
        ));
    }
    None
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "list",
        Json::Object(_) => "map",
    }
}

/// YAML node → JSON as the API server decodes it. Whole numbers stay integers (go-yaml keeps
/// ints as int64 before the JSON step); others are float64.
pub fn to_json(node: &Node) -> Json {
    match &node.kind {
        NodeKind::Null => Json::Null,
        NodeKind::Bool(b) => Json::Bool(*b),
        NodeKind::Number(n) => number(*n),
        NodeKind::Str(s) => Json::String(s.clone()),
        NodeKind::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
    }
}

fn number(n: f64) -> Json {
    // 2^63 bounds the i64 range; integral floats inside it are exact integers.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.fract() == 0.0 && n.abs() < LIMIT {
        Json::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
    }
}

/// One document's text and where it starts in the stream.
struct Chunk<'a> {
    text: &'a str,
    /// 1-based line of the chunk's first line in the stream.
    first_line: u32,
    /// Character index of the chunk's start in the stream.
    first_char: usize,
    /// The last `# Source: ...` comment in the chunk before its content.
    source_comment: Option<&'a str>,
}

fn documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start_byte = 0;
    let mut start_line = 1u32;
    let mut start_char = 0usize;
    let (mut byte, mut line, mut chars) = (0usize, 1u32, 0usize);
    let is_marker = |l: &str| {
        let l = l.trim_end_matches(['\r', '\n']);
        (l.starts_with("---") || l.starts_with("..."))
            && l[3..].chars().next().is_none_or(char::is_whitespace)
    };
    for raw in text.split_inclusive('\n') {
        if is_marker(raw) {
            chunks.push(chunk(text, start_byte, byte, start_line, start_char));
            // `--- ` may carry content after the marker (`--- {a: 1}`): keep the line, blank the marker.
            start_byte = byte;
            start_line = line;
            start_char = chars;
        }
        byte += raw.len();
        chars += raw.chars().count();
        line += 1;
    }
    chunks.push(chunk(text, start_byte, byte, start_line, start_char));
    chunks.retain(|c| !c.text.trim().is_empty());
    chunks
}

fn chunk(text: &str, from: usize, to: usize, first_line: u32, first_char: usize) -> Chunk<'_> {
    let body = &text[from..to];
    let mut source_comment = None;
    for l in body.lines() {
        let t = l.trim();
        if t.is_empty() || t.starts_with("---") || t.starts_with("...") {
            continue;
        }
        match t.strip_prefix('#') {
            Some(c) => {
                if let Some(s) = c.trim_start().strip_prefix("Source:") {
                    source_comment = Some(s.trim());
                }
            }
            None => break,
        }
    }
    Chunk {
        text: body,
        first_line,
        first_char,
        source_comment,
    }
}

fn shift_span(span: Span, chunk: &Chunk<'_>) -> Span {
    let shift = |p: Pos| Pos {
        line: p.line + chunk.first_line - 1,
        col: p.col,
        index: p.index + chunk.first_char,
    };
    Span {
        source: span.source,
        start: shift(span.start),
        end: shift(span.end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceKind;

    fn parse(text: &str) -> (Vec<Object>, Vec<Diagnostic>) {
        let mut sources = Sources::new();
        let id = sources.add("m.yaml", text, SourceKind::Other);
        parse_stream(&sources, id)
    }

    #[test]
    fn helm_template_output_keeps_source_and_subchart() {
        let (objs, diags) = parse(
            "---\n# Source: top/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: top/charts/sub/charts/inner/templates/b.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\nspec:\n  replicas: 3\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].template.as_deref(), Some("top/templates/a.yaml"));
        assert!(objs[0].subcharts.is_empty());
        assert_eq!(objs[1].subcharts, vec!["sub", "inner"]);
        assert_eq!(objs[1].json["spec"]["replicas"], 3);
        assert_eq!(objs[1].span.start.line, 9);
    }

    #[test]
    fn a_bad_document_is_reported_and_the_rest_read() {
        let (objs, diags) = parse(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkey: [unclosed\n---\nfoo: bar\n---\n- 1\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n",
        );
        assert_eq!(
            objs.iter().map(Object::name).collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        assert_eq!(diags.len(), 3, "{diags:?}");
        assert_eq!(diags[0].span.map(|s| s.start.line), Some(6));
        assert!(diags[1].message.contains("no apiVersion and kind"));
        assert_eq!(diags[1].span.map(|s| s.start.line), Some(7));
        assert!(diags[2].message.contains("list"));
    }

    #[test]
    fn lists_are_flattened_and_numbers_decoded_like_the_api_server() {
        let (objs, _) = parse(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {big: 129e6, half: 0.5, on: yes}\n",
        );
        assert_eq!(objs.len(), 1);
        let spec = &objs[0].json["spec"];
        assert_eq!(spec["big"], 129_000_000);
        assert_eq!(spec["half"], 0.5);
        // go-yaml v2 (sigs.k8s.io/yaml) reads `on` and `yes` as booleans, keys too.
        assert_eq!(spec["true"], true);
    }

    #[test]
    fn comment_only_and_empty_documents_are_skipped_silently() {
        let (objs, diags) = parse(
            "---\n# Source: x/templates/pdb.yaml\n# PDB is not supported for DaemonSets.\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# trailing\n---\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(objs.len(), 1);
    }

    #[test]
    fn subchart_chain_from_template_paths() {
        assert_eq!(
            subcharts_of("llm-stack/templates/x.yaml"),
            Vec::<String>::new()
        );
        assert_eq!(
            subcharts_of("llm-stack/charts/litellm/templates/d.yaml"),
            vec!["litellm"]
        );
        assert_eq!(
            subcharts_of("a/charts/b/templates/charts/c.yaml"),
            vec!["b"],
            "a `charts` folder under templates is not a subchart"
        );
    }
}
