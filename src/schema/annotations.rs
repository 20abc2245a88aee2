//! The comments above a key in `values.yaml`: descriptions (helm-docs `# --`, bitnami
//! `## @param`, or plain prose) and `# @schema` keywords. The syntax is documented in
//! `docs/ANNOTATIONS.md`.

use std::collections::HashMap;

use serde_json::{Map as JsonMap, Value as Json};

use crate::source::Span;
use crate::values::Value;
use crate::yaml::comments::Lines;

/// What the comments say about one key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotation {
    pub description: Option<String>,
    /// JSON Schema keywords given with `# @schema`.
    pub keywords: JsonMap<String, Json>,
    pub required: bool,
    pub nullable: bool,
    pub open: Option<bool>,
    pub k8s: Option<String>,
    pub item: Option<JsonMap<String, Json>>,
    pub skip: bool,
}

/// A malformed `# @schema` comment.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid `# @schema` annotation: {message}")]
pub struct AnnotationError {
    pub message: String,
    pub line: u32,
}

/// Reads annotations from one values file's text.
pub struct Annotations<'a> {
    lines: Lines<'a>,
    /// bitnami `## @param path [modifiers] description`, by values path.
    params: HashMap<String, (String, Vec<String>)>,
    skipped: Vec<String>,
}

impl<'a> Annotations<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut params = HashMap::new();
        let mut skipped = Vec::new();
        for line in text.lines() {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix("## @param ") {
                let (path, rest) = rest
                    .trim()
                    .split_once(char::is_whitespace)
                    .unwrap_or((rest.trim(), ""));
                let mut rest = rest.trim();
                let mut modifiers = Vec::new();
                if let Some(inner) = rest.strip_prefix('[')
                    && let Some((mods, after)) = inner.split_once(']')
                {
                    modifiers = mods.split(',').map(|m| m.trim().to_string()).collect();
                    rest = after.trim();
                }
                params.insert(path.to_string(), (rest.to_string(), modifiers));
            } else if let Some(rest) = t.strip_prefix("## @skip ") {
                skipped.push(rest.trim().to_string());
            }
        }
        Self {
            lines: Lines::new(text),
            params,
            skipped,
        }
    }

    /// The annotation of the key at `path` (dotted, as in `## @param`) whose entry is `value`.
    pub fn for_key(&self, path: &str, value: &Value) -> Result<Annotation, AnnotationError> {
        let mut ann = Annotation::default();
        let Some(key_span) = value.key_span else {
            return Ok(ann);
        };
        let above = self.lines.comments_above(key_span.start.line);
        let trailing = self.trailing(key_span);

        // `# @schema` blocks and inline forms, above the key and at the end of its line.
        let mut i = 0;
        while i < above.len() {
            let body = strip_hashes(above[i]);
            if let Some(inline) = body.strip_prefix("@schema") {
                let inline = inline.trim();
                if inline.is_empty() {
                    let end =
                        (i + 1..above.len()).find(|j| strip_hashes(above[*j]).trim() == "@schema");
                    let Some(end) = end else {
                        return Err(AnnotationError {
                            message: "`# @schema` block is not closed by another `# @schema` line"
                                .into(),
                            line: line_of(key_span, above.len() - i),
                        });
                    };
                    let yaml: Vec<&str> = above[i + 1..end]
                        .iter()
                        .map(|l| strip_one_hash(l))
                        .collect();
                    self.merge_keywords(
                        &mut ann,
                        &yaml.join("\n"),
                        line_of(key_span, above.len() - i),
                    )?;
                    i = end + 1;
                    continue;
                }
                self.merge_keywords(&mut ann, inline, line_of(key_span, above.len() - i))?;
            }
            i += 1;
        }
        if let Some(t) = trailing
            && let Some(inline) = strip_hashes(t).strip_prefix("@schema")
        {
            self.merge_keywords(&mut ann, inline.trim(), key_span.start.line)?;
        }

        ann.description = self.description(path, &above, trailing);
        if let Some((_, modifiers)) = self.params.get(path) {
            for m in modifiers {
                match m.as_str() {
                    "nullable" => ann.nullable = true,
                    "array" | "object" | "string" if !ann.keywords.contains_key("type") => {
                        ann.keywords.insert("type".into(), Json::String(m.clone()));
                    }
                    _ => {}
                }
            }
        }
        if self.skipped.iter().any(|s| s == path) {
            ann.skip = true;
        }
        Ok(ann)
    }

    fn trailing(&self, key_span: Span) -> Option<&'a str> {
        // Anything after the key on its line; quotes are tracked by `comment_after` (scalar
        // spans of quoted values may run to the end of the line).
        self.lines
            .comment_after(key_span.start.line, key_span.end.col)
    }

    fn description(&self, path: &str, above: &[&str], trailing: Option<&str>) -> Option<String> {
        // helm-docs: `# -- text`, continued by the comment lines below it.
        if let Some(start) = above
            .iter()
            .rposition(|l| strip_hashes(l).starts_with("-- ") || strip_hashes(l) == "--")
        {
            let mut parts = vec![
                strip_hashes(above[start])
                    .trim_start_matches("--")
                    .trim()
                    .to_string(),
            ];
            for l in &above[start + 1..] {
                let body = strip_hashes(l);
                if body.starts_with('@') {
                    break;
                }
                parts.push(body.trim().to_string());
            }
            return non_empty(parts.join(" "));
        }
        if let Some(t) = trailing {
            let body = strip_hashes(t);
            if let Some(d) = body.strip_prefix("--") {
                return non_empty(d.trim().to_string());
            }
        }
        if let Some((d, _)) = self.params.get(path) {
            return non_empty(d.clone());
        }
        // Plain prose right above the key; commented-out YAML and annotations are not prose.
        let prose: Vec<String> = above
            .iter()
            .map(|l| strip_hashes(l))
            .filter(|b| !b.is_empty() && !b.starts_with('@') && !looks_like_yaml(b))
            .map(|b| b.trim().to_string())
            .collect();
        if prose.len() == above.iter().filter(|l| !strip_hashes(l).is_empty()).count() {
            non_empty(prose.join(" "))
        } else {
            None
        }
    }

    fn merge_keywords(
        &self,
        ann: &mut Annotation,
        yaml: &str,
        line: u32,
    ) -> Result<(), AnnotationError> {
        let err = |message: String| AnnotationError { message, line };
        if yaml.trim().is_empty() {
            return Ok(());
        }
        let parsed = crate::yaml::parse(0, yaml)
            .ok()
            .flatten()
            .map(|n| Value::from_node(n).to_json());
        let map = match parsed {
            Some(Json::Object(map)) => map,
            // helm-values-schema-json's form: `type:[string, null];minimum:0`.
            _ => semicolon_form(yaml).ok_or_else(|| {
                err(format!(
                    "expected keywords as {{minimum: 1}} or minimum:1;maximum:5, found `{yaml}`"
                ))
            })?,
        };
        for (key, value) in map {
            match key.as_str() {
                "required" if value.is_boolean() => ann.required = value == Json::Bool(true),
                "nullable" => ann.nullable = value == Json::Bool(true),
                "open" => ann.open = value.as_bool(),
                "closed" => ann.open = value.as_bool().map(|b| !b),
                "skip" | "hidden" => ann.skip = value == Json::Bool(true),
                // helm-values-schema-json: an object whose keys are not listed.
                "skipProperties" if value == Json::Bool(true) => ann.open = Some(true),
                "skipProperties" => {}
                // `null` read as YAML is the type name "null".
                "type" => {
                    let fix = |v: Json| {
                        if v.is_null() {
                            Json::String("null".into())
                        } else {
                            v
                        }
                    };
                    let value = match value {
                        Json::Array(items) => Json::Array(items.into_iter().map(fix).collect()),
                        other => fix(other),
                    };
                    ann.keywords.insert(key, value);
                }
                "itemEnum" => {
                    ann.item
                        .get_or_insert_with(JsonMap::new)
                        .insert("enum".into(), value);
                }
                "k8s" => {
                    ann.k8s = Some(
                        value
                            .as_str()
                            .ok_or_else(|| {
                                err("`k8s` takes a fragment name, e.g. k8s: resources".into())
                            })?
                            .to_string(),
                    )
                }
                "item" => match value {
                    Json::Object(m) => ann.item.get_or_insert_with(JsonMap::new).extend(m),
                    // helm-values-schema-json: `item:string` is the items' type.
                    Json::String(t) => {
                        ann.item
                            .get_or_insert_with(JsonMap::new)
                            .insert("type".into(), Json::String(t));
                    }
                    _ => return Err(err("`item` takes a map of keywords".into())),
                },
                _ => {
                    ann.keywords.insert(key, value);
                }
            }
        }
        // The keywords go into the schema as written: one that is not valid draft-07 would make
        // the whole schema unusable (for Helm too).
        let item = ann.item.clone().map(Json::Object);
        for (schema, what) in [
            (Some(Json::Object(ann.keywords.clone())), ""),
            (item, "item."),
        ] {
            if let Some(schema) = schema
                && let Err(e) = jsonschema::draft7::meta::validate(&schema)
            {
                let at = e.instance_path().to_string();
                let keyword = at.trim_start_matches('/').replace('/', ".");
                return Err(err(format!(
                    "`{what}{keyword}` is not valid JSON Schema (draft-07): {e}"
                )));
            }
        }
        Ok(())
    }
}

/// `key:value;key:value`, each value read as YAML (`[a, b]`, `0`, `true`).
fn semicolon_form(text: &str) -> Option<JsonMap<String, Json>> {
    let mut map = JsonMap::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once(':')?;
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return None;
        }
        let value = value.trim();
        let json = match crate::yaml::parse(0, value).ok()? {
            Some(node) => Value::from_node(node).to_json(),
            None => Json::Null,
        };
        map.insert(key.to_string(), json);
    }
    (!map.is_empty()).then_some(map)
}

fn line_of(key_span: Span, lines_above: usize) -> u32 {
    key_span.start.line.saturating_sub(lines_above as u32)
}

fn non_empty(s: String) -> Option<String> {
    let s = s.trim().to_string();
    if s.is_empty() { None } else { Some(s) }
}

/// `## text` → `text`.
fn strip_hashes(line: &str) -> &str {
    line.trim_start().trim_start_matches('#').trim()
}

/// `# text` → `text` keeping indentation after the first `# ` (for block YAML).
fn strip_one_hash(line: &str) -> &str {
    let l = line.trim_start().strip_prefix('#').unwrap_or(line);
    l.strip_prefix(' ').unwrap_or(l)
}

fn looks_like_yaml(body: &str) -> bool {
    let b = body.trim();
    if b.starts_with("- ") || b == "-" || b.starts_with("---") {
        return true;
    }
    match b.split_once(':') {
        Some((key, rest)) => {
            !key.is_empty()
                && !key.contains(' ')
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_-./\"'".contains(c))
                && (rest.is_empty() || rest.starts_with(' '))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceKind, Sources};
    use crate::values::parse_values;

    fn annotate(text: &str, path: &str) -> Annotation {
        let mut sources = Sources::new();
        let id = sources.add("values.yaml", text, SourceKind::Other);
        let values = parse_values(&sources, id).unwrap();
        let value = values.at(path.split('.')).unwrap();
        Annotations::new(text).for_key(path, value).unwrap()
    }

    #[test]
    fn helm_docs_description_with_continuation() {
        let a = annotate(
            "# -- Number of pods.\n#  Two for HA.\nreplicas: 2\n",
            "replicas",
        );
        assert_eq!(
            a.description.as_deref(),
            Some("Number of pods. Two for HA.")
        );
    }

    #[test]
    fn trailing_helm_docs_and_schema() {
        let a = annotate("port: 4000  # -- Proxy port\n", "port");
        assert_eq!(a.description.as_deref(), Some("Proxy port"));
        let a = annotate("port: 4000  # @schema {maximum: 65535}\n", "port");
        assert_eq!(a.keywords["maximum"], serde_json::json!(65535));
    }

    #[test]
    fn schema_inline_and_block_forms() {
        let text = "# @schema {minimum: 1, required: true}\n# -- Pods\nreplicas: 2\n# @schema\n# enum: [debug, info]\n# nullable: true\n# @schema\nlevel: info\n";
        let a = annotate(text, "replicas");
        assert_eq!(a.keywords["minimum"], serde_json::json!(1));
        assert!(a.required);
        assert_eq!(a.description.as_deref(), Some("Pods"));
        let b = annotate(text, "level");
        assert_eq!(b.keywords["enum"], serde_json::json!(["debug", "info"]));
        assert!(b.nullable);
    }

    #[test]
    fn bitnami_params_and_plain_prose() {
        let text = "## @param image.tag [string,nullable] Image tag\nimage:\n  tag: 1.0\n# The log level\nlevel: x\n# podAnnotations:\n#   a: b\npodAnnotations: {}\n";
        let a = annotate(text, "image.tag");
        assert_eq!(a.description.as_deref(), Some("Image tag"));
        assert!(a.nullable);
        assert_eq!(a.keywords["type"], serde_json::json!("string"));
        assert_eq!(
            annotate(text, "level").description.as_deref(),
            Some("The log level")
        );
        assert_eq!(annotate(text, "podAnnotations").description, None);
    }

    #[test]
    fn helm_values_schema_json_semicolon_form() {
        let a = annotate(
            "# @schema type:[string, null];minimum:0\nx: a\n# @schema item:string;itemEnum:[a,b]\nl: []\n",
            "x",
        );
        assert_eq!(a.keywords["type"], serde_json::json!(["string", "null"]));
        assert_eq!(a.keywords["minimum"], serde_json::json!(0));
    }

    #[test]
    fn unclosed_block_is_an_error_with_a_line() {
        let mut sources = Sources::new();
        let text = "# @schema\n# minimum: 1\nreplicas: 2\n";
        let id = sources.add("values.yaml", text, SourceKind::Other);
        let values = parse_values(&sources, id).unwrap();
        let err = Annotations::new(text)
            .for_key("replicas", values.at(["replicas"]).unwrap())
            .unwrap_err();
        assert_eq!(err.line, 1);
    }

    #[test]
    fn keywords_that_are_not_draft_07_are_an_error_with_a_line() {
        // Found by fuzzing (schema_roundtrip): `# @schema {items}` put `"items": null` into the
        // generated schema, which then failed to compile.
        for (text, keyword) in [
            ("a: 1\n# @schema {items}\nl: [x]\n", "`items`"),
            ("a: 1\n# @schema {pattern: \"[\"}\nl: x\n", "`pattern`"),
            ("a: 1\n# @schema {type: text}\nl: x\n", "`type`"),
            (
                "a: 1\n# @schema {item: {minLength: -1}}\nl: []\n",
                "`item.minLength`",
            ),
        ] {
            let mut sources = Sources::new();
            let id = sources.add("values.yaml", text, SourceKind::Other);
            let values = parse_values(&sources, id).unwrap();
            let err = Annotations::new(text)
                .for_key("l", values.at(["l"]).unwrap())
                .unwrap_err();
            assert_eq!(err.line, 2, "{text}");
            assert!(err.message.contains(keyword), "{text}: {}", err.message);
        }
        // Valid keywords still pass.
        let a = annotate(
            "# @schema {pattern: \"^a+$\", type: [string, \"null\"]}\nl: aa\n",
            "l",
        );
        assert_eq!(a.keywords["pattern"], serde_json::json!("^a+$"));
    }
}
