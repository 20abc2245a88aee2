//! Validation of the merged values against each chart's schema, the way Helm does it (the
//! umbrella's schema against all values, each enabled subchart's against its scope), with every
//! error traced back to the file, line and column — or `--set` argument — that set the value.

use serde_json::Value as Json;

use crate::chart::scope::Resolved;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceKind, Sources, Span};
use crate::values::coalesce::Deleted;
use crate::values::secret::looks_secret;
use crate::values::{Kind, Value, display_path};

/// The schema one chart of the release is validated against.
#[derive(Debug, Clone)]
pub struct ScopeSchema {
    pub path: Vec<String>,
    pub chart: String,
    pub schema: Json,
}

/// Validate every scope; returns all problems found (an empty list means valid).
pub fn validate(
    resolved: &Resolved,
    schemas: &[ScopeSchema],
    sources: &Sources,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::new();
    for scope in schemas {
        let Some(instance_value) = resolved.values.at(scope.path.iter().map(String::as_str)) else {
            continue;
        };
        let validator = match compile(&scope.schema) {
            Ok(v) => v,
            Err(message) => {
                out.push(
                    Diagnostic::error(
                        Code::Schema,
                        format!(
                            "the schema of chart {} cannot be used: {message}",
                            scope.chart
                        ),
                    )
                    .chart(&scope.chart),
                );
                continue;
            }
        };
        let instance = instance_value.to_json();
        for error in validator.iter_errors(&instance) {
            let mut segments = scope.path.clone();
            segments.extend(pointer_segments(&error.instance_path().to_string()));
            let schema_path = error.schema_path().to_string();
            for d in describe(
                &error,
                &segments,
                &schema_path,
                &scope.schema,
                &resolved.values,
                &resolved.deleted,
                sources,
            ) {
                let d = d.chart(&scope.chart);
                if !out
                    .iter()
                    .any(|o| o.path == d.path && o.message == d.message)
                {
                    out.push(d);
                }
            }
        }
    }
    out
}

fn compile(schema: &Json) -> Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    if schema.get("$schema").is_some() {
        jsonschema::validator_for(schema)
    } else {
        jsonschema::draft7::new(schema)
    }
}

/// `/a/b~1c/0` → `["a", "b/c", "0"]`.
pub fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The schema object at a keyword location, following local `$ref`s on the way.
fn schema_at<'s>(root: &'s Json, pointer: &str) -> Option<&'s Json> {
    let mut cur = root;
    for seg in pointer_segments(pointer) {
        if seg == "$ref" {
            let target = cur.get("$ref")?.as_str()?.strip_prefix('#')?;
            cur = root.pointer(target)?;
            continue;
        }
        cur = match cur {
            Json::Object(o) => o.get(&seg)?,
            Json::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Where a diagnostic about a node points: the node (or the alias that copied it), its key, or
/// the nearest ancestor that has a place; and, for an alias, where the value is written.
fn span_near(values: &Value, segments: &[String]) -> (Option<Span>, Option<Span>) {
    for len in (0..=segments.len()).rev() {
        if let Some(v) = values.at(segments[..len].iter().map(String::as_str))
            && let Some(span) = v.shown_at().or(v.key_span)
        {
            return (Some(span), v.via.and(v.span));
        }
    }
    (None, None)
}

/// A value for a message: its type and text, or only its type under a secret-looking key.
fn shown(v: &Value, secret: bool) -> String {
    match &v.kind {
        Kind::Map(_) | Kind::List(_) => format!("a {}", v.type_name()),
        Kind::Null => "null".into(),
        _ if secret => format!("a {} (not shown: its key looks secret)", v.type_name()),
        Kind::Str(s) => format!("string {s:?}"),
        _ => format!("{} {}", v.type_name(), v.to_json()),
    }
}

fn raw_text(sources: &Sources, span: Span) -> &str {
    let text = sources.text(span.source);
    let range = span.byte_range(text);
    text.get(range).unwrap_or("")
}

fn describe(
    error: &jsonschema::ValidationError,
    segments: &[String],
    schema_path: &str,
    schema: &Json,
    values: &Value,
    deleted: &[Deleted],
    sources: &Sources,
) -> Vec<Diagnostic> {
    use jsonschema::error::ValidationErrorKind as K;
    let path = display_path(segments);
    let node = values.at(segments.iter().map(String::as_str));
    let (span, written) = span_near(values, segments);
    let secret = segments.last().is_some_and(|k| looks_secret(k));
    let shown = |v: &Value| shown(v, secret);
    let keyword_parent = schema_path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
    match error.kind() {
        K::AdditionalProperties { unexpected } => {
            let known: Vec<String> = schema_at(schema, keyword_parent)
                .and_then(|s| s.get("properties"))
                .and_then(Json::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| {
                    let child = node.and_then(|n| n.as_map()).and_then(|m| m.get(key));
                    // A key copied through an alias is shown at the alias, written at its key.
                    let (key_span, key_written) = match child {
                        Some(c) if c.via.is_some() => (c.via, c.key_span),
                        Some(c) => (c.key_span.or(c.span), None),
                        None => (span, written),
                    };
                    let mut full = segments.to_vec();
                    full.push(key.clone());
                    let d = Diagnostic::error(
                        Code::UnknownKey,
                        format!("unknown key `{key}`: the chart does not define it here"),
                    )
                    .at_alias(key_span, key_written)
                    .path(display_path(&full));
                    match closest(key, &known) {
                        Some(best) => d.hint(format!("did you mean `{best}`?")),
                        None if known.is_empty() => d.hint("this map takes no keys"),
                        None => d.hint(format!("keys allowed here: {}", known.join(", "))),
                    }
                })
                .collect()
        }
        K::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            // A `null` the user wrote deleted the chart's default: that null is the place.
            let by_null = deleted.iter().find(|d| {
                d.at.is_some()
                    && d.path.len() == segments.len() + 1
                    && d.path[..segments.len()] == *segments
                    && d.path[segments.len()] == key
            });
            let d = Diagnostic::error(Code::Required, format!("missing required key `{key}`"))
                .path(path);
            vec![match by_null {
                Some(null) => d.at(null.at).hint(format!(
                    "this `null` deleted the chart's default for `{key}`, which the schema requires: remove it, or set a value"
                )),
                None => d
                    .at_alias(span, written)
                    .hint(format!("set `{key}` in a values file or with --set")),
            }]
        }
        K::Type { .. } => {
            let expected = schema_at(schema, keyword_parent)
                .and_then(|s| s.get("type"))
                .map(types)
                .unwrap_or_else(|| "another type".into());
            let found = node.map(shown).unwrap_or_else(|| "nothing".into());
            let d = Diagnostic::error(Code::Type, format!("expected {expected}, found {found}"))
                .at_alias(span, written)
                .path(path);
            match node.and_then(|n| type_hint(n, &expected, sources, secret)) {
                Some(h) => vec![d.hint(h)],
                None => vec![d],
            }
        }
        K::Enum { options } => {
            let list: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(|v| v.to_string()).collect())
                .unwrap_or_default();
            let found = node.map(shown).unwrap_or_default();
            let d = Diagnostic::error(
                Code::Enum,
                format!("{found} is not one of {}", list.join(", ")),
            )
            .at_alias(span, written)
            .path(path);
            let plain: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            match node
                .and_then(Value::as_str)
                .and_then(|s| closest(s, &plain))
            {
                Some(best) => vec![d.hint(format!("did you mean `{best}`?"))],
                None => vec![d],
            }
        }
        K::Pattern { pattern } if pattern.contains("[KMGTPE]i") => {
            let found = node.map(shown).unwrap_or_default();
            vec![
                Diagnostic::error(Code::Quantity, format!("{found} is not a Kubernetes quantity"))
                    .at_alias(span, written)
                    .path(path)
                    .hint("write CPU as 500m, 0.5 or 2 and memory as 512Mi, 1.5Gi or 1e9 (no space, binary suffixes end in i)"),
            ]
        }
        _ => vec![
            Diagnostic::error(
                code_of(error.kind()),
                if secret {
                    error.masked().to_string()
                } else {
                    error.to_string()
                },
            )
            .at_alias(span, written)
            .path(path),
        ],
    }
}

fn code_of(kind: &jsonschema::error::ValidationErrorKind) -> Code {
    use jsonschema::error::ValidationErrorKind as K;
    match kind {
        K::Minimum { .. }
        | K::Maximum { .. }
        | K::ExclusiveMinimum { .. }
        | K::ExclusiveMaximum { .. }
        | K::MultipleOf { .. } => Code::Range,
        K::MinLength { .. }
        | K::MaxLength { .. }
        | K::MinItems { .. }
        | K::MaxItems { .. }
        | K::MinProperties { .. }
        | K::MaxProperties { .. } => Code::Size,
        K::Pattern { .. } => Code::Pattern,
        K::Format { .. } => Code::Format,
        K::Constant { .. } => Code::Const,
        K::AnyOf { .. }
        | K::OneOfNotValid { .. }
        | K::OneOfMultipleValid { .. }
        | K::Not { .. } => Code::Combinator,
        _ => Code::Schema,
    }
}

fn types(t: &Json) -> String {
    let name = |v: &Json| match v.as_str() {
        Some("object") => "a map".to_string(),
        Some("array") => "a list".to_string(),
        Some(other) => other.to_string(),
        None => v.to_string(),
    };
    match t {
        Json::Array(items) => items.iter().map(name).collect::<Vec<_>>().join(" or "),
        other => name(other),
    }
}

/// Explain the Helm reading rules behind a type error.
/// [`value_hint`], unless it would show the value of a secret-looking key.
fn type_hint(node: &Value, expected: &str, sources: &Sources, secret: bool) -> Option<String> {
    let hint = value_hint(node, expected, sources)?;
    let raw = node.span.map(|span| raw_text(sources, span)).unwrap_or("");
    let shows_value = (!raw.is_empty() && hint.contains(raw))
        || node
            .as_str()
            .is_some_and(|s| !s.is_empty() && hint.contains(s));
    Some(if secret && shows_value {
        "the value is not shown (its key looks secret): Helm reads unquoted values by YAML 1.1 rules, so quote it to keep it text".into()
    } else {
        hint
    })
}

fn value_hint(node: &Value, expected: &str, sources: &Sources) -> Option<String> {
    let span = node.span?;
    let kind = &sources.get(span.source)?.kind;
    let raw = raw_text(sources, span);
    match (kind, &node.kind) {
        (SourceKind::SetArgument { flag: "--set" }, Kind::Str(s))
            if (expected.contains("integer") || expected.contains("number"))
                && s.parse::<f64>().is_ok() =>
        {
            if s.starts_with('0') {
                Some(format!(
                    "--set keeps {s:?} a string because of its leading zero; write it without the zero"
                ))
            } else {
                Some("--set only turns whole numbers into numbers; --set-json \"key=1.5\" passes other numbers".into())
            }
        }
        (SourceKind::SetArgument { flag: "--set" }, Kind::Str(s))
            if expected.contains("boolean") =>
        {
            Some(format!(
                "--set reads only true and false as booleans, so {s:?} stays a string; write true or false"
            ))
        }
        (
            SourceKind::SetArgument {
                flag: "--set-string",
            },
            _,
        ) => Some("--set-string always gives strings; use --set for numbers and booleans".into()),
        (SourceKind::SetArgument { .. }, _) => None,
        (_, Kind::Bool(_)) if expected.contains("string") => Some(format!(
            "Helm reads `{raw}` as a boolean (YAML 1.1); quote it to keep the text: \"{raw}\""
        )),
        (_, Kind::Float(n))
            if expected.contains("string")
                && raw.starts_with('0')
                && raw.len() > 1
                && raw.chars().all(|c| c.is_ascii_digit()) =>
        {
            Some(format!(
                "Helm reads `{raw}` as the octal number {n}; quote it to keep the text: \"{raw}\""
            ))
        }
        (_, Kind::Float(_)) if expected.contains("string") => Some(format!(
            "quote it to pass text: \"{raw}\" (a version like 1.10 would otherwise become 1.1)"
        )),
        (_, Kind::Str(s))
            if expected.contains("boolean")
                && matches!(s.as_str(), "true" | "false" | "yes" | "no" | "on" | "off") =>
        {
            Some(format!(
                "remove the quotes: {s} without quotes is a boolean"
            ))
        }
        (_, Kind::Str(s))
            if (expected.contains("integer") || expected.contains("number"))
                && s.parse::<f64>().is_ok() =>
        {
            Some(format!("remove the quotes: {s} without quotes is a number"))
        }
        (_, Kind::Float(n)) if expected.contains("integer") => Some(format!(
            "{n} has a fraction; this value takes whole numbers"
        )),
        (_, Kind::Null) => {
            Some("an empty value is null in YAML; write a value or remove the key".into())
        }
        _ => None,
    }
}

/// The closest candidate by edit distance, when it is close enough to be a typo.
fn closest(word: &str, candidates: &[String]) -> Option<String> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_unescape() {
        assert_eq!(pointer_segments("/a/b~1c/0/~0x"), ["a", "b/c", "0", "~x"]);
        assert!(pointer_segments("").is_empty());
    }

    #[test]
    fn typos_find_their_key() {
        let keys = vec!["replicaCount".to_string(), "image".to_string()];
        assert_eq!(
            closest("replicacount", &keys).as_deref(),
            Some("replicaCount")
        );
        assert_eq!(closest("replicas", &keys), None);
        assert_eq!(closest("imgae", &keys).as_deref(), Some("image"));
    }
}
