//! The values table: every key of a chart's `values.yaml` with the type the schema generator
//! gives it, its default and its description. Nothing here reads comments or infers types: the
//! description comes from [`Annotations`] (the schema generator's reader), the type from the
//! chart's generated schema (inference, `# @schema` keywords and Kubernetes shapes applied).

use serde::Serialize;
use serde_json::Value as Json;

use crate::schema::annotations::Annotations;
use crate::values::{Kind, Value};

/// One row of the values table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueRow {
    /// Dotted path; segments that contain dots or spaces are quoted (`podAnnotations."a.b/c"`).
    pub path: String,
    /// `string`, `integer or null`, `object (k8s resources)`, `string, one of: a, b`...
    #[serde(rename = "type")]
    pub type_name: String,
    /// The default as compact JSON (`"info"`, `2`, `{}`, `["a"]`); `None` for a map that is
    /// listed for its description only (its keys have rows of their own).
    pub default: Option<String>,
    pub description: String,
    /// `# @schema {required: true}`: the key must be present.
    pub required: bool,
}

/// Nesting depth of `$ref` chains followed (the generator emits at most two).
const MAX_REF_DEPTH: usize = 16;

/// The rows for a chart's own defaults (`values.yaml`, key order kept), typed by `schema` (the
/// chart's generated schema, whose `definitions` resolve `$ref`s). Keys annotated with
/// `@skip`/`skip: true` are left out, with everything under them.
pub fn rows(defaults: &Value, schema: &Json, annotations: &Annotations<'_>) -> Vec<ValueRow> {
    let mut out = Vec::new();
    if let Some(map) = defaults.as_map() {
        let mut path = Vec::new();
        walk(map, schema, schema, annotations, &mut path, &mut out);
    }
    out
}

fn walk(
    map: &crate::values::Map,
    object_schema: &Json,
    root: &Json,
    annotations: &Annotations<'_>,
    path: &mut Vec<String>,
    out: &mut Vec<ValueRow>,
) {
    let object_schema = resolve(root, object_schema);
    let required: Vec<&str> = object_schema
        .get("required")
        .and_then(Json::as_array)
        .map(|r| r.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    for (key, value) in map {
        path.push(key.clone());
        let annotation = value
            .key_span
            .and_then(|_| annotations.for_key(&path.join("."), value).ok())
            .unwrap_or_default();
        if annotation.skip {
            path.pop();
            continue;
        }
        let prop = object_schema
            .get("properties")
            .and_then(|p| p.get(key))
            .unwrap_or(&Json::Null);
        let description = annotation
            .description
            .clone()
            .or_else(|| description_of(root, prop))
            .unwrap_or_default();
        let row = |default: Option<String>| ValueRow {
            path: display_path(path),
            type_name: type_name(root, prop, value),
            default,
            description: description.clone(),
            required: required.contains(&key.as_str()),
        };
        let target = resolve(root, unwrap_nullable(prop).0);
        let nested = match &value.kind {
            Kind::Map(m) if !m.is_empty() && fragment(prop).is_none() => {
                target.get("properties").map(|_| m)
            }
            _ => None,
        };
        match nested {
            Some(m) => {
                if !description.is_empty() || annotation.required {
                    out.push(row(None));
                }
                walk(m, target, root, annotations, path, out);
            }
            None => out.push(row(Some(compact_json(&value.to_json())))),
        }
        path.pop();
    }
}

/// `a.b."c.d"`: the path as `--set` and readers expect it, quoted where a key has dots.
fn display_path(path: &[String]) -> String {
    path.iter()
        .map(|s| {
            if s.contains(['.', ' ']) || s.is_empty() {
                format!("{s:?}")
            } else {
                s.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Follow local `$ref`s (`#/definitions/NAME`) to the schema they name.
fn resolve<'a>(root: &'a Json, schema: &'a Json) -> &'a Json {
    let mut cur = schema;
    for _ in 0..MAX_REF_DEPTH {
        let Some(name) = ref_name(cur) else {
            return cur;
        };
        match root.get("definitions").and_then(|d| d.get(name)) {
            Some(next) => cur = next,
            None => return cur,
        }
    }
    cur
}

fn ref_name(schema: &Json) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|r| r.strip_prefix("#/definitions/"))
}

/// A nullable `$ref` is `anyOf: [{type: null}, {$ref}]`: the referenced schema, and `true`.
fn unwrap_nullable(schema: &Json) -> (&Json, bool) {
    if let Some(alts) = schema.get("anyOf").and_then(Json::as_array)
        && alts.len() == 2
        && alts
            .iter()
            .any(|a| a.get("type") == Some(&Json::from("null")))
        && let Some(other) = alts
            .iter()
            .find(|a| a.get("type") != Some(&Json::from("null")))
    {
        return (other, true);
    }
    (schema, false)
}

/// The bundled Kubernetes shape a key uses (`resources` for `$ref: #/definitions/k8s.resources`).
fn fragment(schema: &Json) -> Option<&str> {
    ref_name(unwrap_nullable(schema).0).and_then(|n| n.strip_prefix("k8s."))
}

fn description_of(root: &Json, schema: &Json) -> Option<String> {
    let (inner, _) = unwrap_nullable(schema);
    let mut candidates = vec![schema, inner];
    // A subchart's scope (`chart.NAME`) carries the subchart's description; a Kubernetes
    // shape's own text is not about this key.
    if fragment(schema).is_none() {
        candidates.push(resolve(root, inner));
    }
    candidates
        .into_iter()
        .find_map(|s| s.get("description").and_then(Json::as_str))
        .map(str::to_string)
}

/// The type as the schema says it, with the constraints a reader needs (enum, range).
fn type_name(root: &Json, schema: &Json, value: &Value) -> String {
    let (inner, nullable) = unwrap_nullable(schema);
    let resolved = resolve(root, inner);
    let mut types = types_of(root, resolved);
    if types.is_empty() && schema.is_null() {
        // Not in the schema at all (it always is for a chart's own keys): say what the value is.
        types.push(
            value
                .type_name()
                .replace("map", "object")
                .replace("list", "array"),
        );
    }
    if types.is_empty() {
        types.push("any".to_string());
    }
    if nullable && !types.iter().any(|t| t == "null") {
        types.push("null".to_string());
    }
    let mut text = types.join(" or ");
    if let Some(f) = fragment(schema) {
        text.push_str(&format!(" (k8s {f})"));
    }
    // Keywords written next to a `$ref` (by `@schema`) win over the referenced schema's.
    let keyword = |k: &str| inner.get(k).or_else(|| resolved.get(k));
    if let Some(Json::Array(values)) = keyword("enum") {
        let listed: Vec<String> = values
            .iter()
            .map(|v| match v {
                Json::String(s) => s.clone(),
                other => compact_json(other),
            })
            .collect();
        text.push_str(&format!(", one of: {}", listed.join(", ")));
    }
    let bound = |k: &str| keyword(k).filter(|v| v.is_number()).map(compact_json);
    match (bound("minimum"), bound("maximum")) {
        (Some(lo), Some(hi)) => text.push_str(&format!(", {lo} to {hi}")),
        (Some(lo), None) => text.push_str(&format!(", >= {lo}")),
        (None, Some(hi)) => text.push_str(&format!(", <= {hi}")),
        (None, None) => {}
    }
    text
}

/// Type names of a (resolved) schema: `type` as a string or list, else the alternatives of
/// `anyOf`/`oneOf`, in order, without repeats.
fn types_of(root: &Json, schema: &Json) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: &str| {
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    };
    match schema.get("type") {
        Some(Json::String(t)) => push(t),
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).for_each(&mut push),
        _ => {
            for key in ["anyOf", "oneOf"] {
                for alt in schema
                    .get(key)
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    let alt = resolve(root, alt);
                    match alt.get("type") {
                        Some(Json::String(t)) => push(t),
                        Some(Json::Array(ts)) => {
                            ts.iter().filter_map(Json::as_str).for_each(&mut push)
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    out
}

/// JSON on one line (`serde_json`'s compact form; key order as written in values.yaml).
fn compact_json(v: &Json) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(values: &str) -> Vec<ValueRow> {
        let (chart, schema) = crate::test_support::chart_with_values(values);
        let annotations = Annotations::new(values);
        rows(&chart.defaults, &schema, &annotations)
    }

    fn row<'a>(rows: &'a [ValueRow], path: &str) -> &'a ValueRow {
        rows.iter()
            .find(|r| r.path == path)
            .unwrap_or_else(|| panic!("no row {path} in {rows:#?}"))
    }

    #[test]
    fn every_annotation_kind_gives_the_description() {
        let rows = table(
            "## @param image.tag Image tag (bitnami)\nimage:\n  tag: \"1.0\"\n# -- Pods.\n#   Two for HA.\nreplicas: 2\nport: 80  # -- Port\n# Plain prose\nlevel: info\n",
        );
        assert_eq!(row(&rows, "image.tag").description, "Image tag (bitnami)");
        assert_eq!(row(&rows, "replicas").description, "Pods. Two for HA.");
        assert_eq!(row(&rows, "port").description, "Port");
        assert_eq!(row(&rows, "level").description, "Plain prose");
        // A map without a description of its own is not a row; its keys are.
        assert!(rows.iter().all(|r| r.path != "image"));
    }

    #[test]
    fn types_come_from_the_schema_with_constraints() {
        let rows = table(
            "# @schema {enum: [a, b], nullable: true}\nmode: a\n# @schema {minimum: 1, maximum: 5, required: true}\ncount: 2\nratio: 0.5\n# -- Requests\nresources: {requests: {cpu: 100m}}\nnothing: ~\n# @schema {skip: true}\nhidden: {a: 1}\nlist: [1, 2]\nfree: {}\n",
        );
        assert_eq!(
            row(&rows, "mode").type_name,
            "string or null, one of: a, b, null"
        );
        let n = row(&rows, "count");
        assert_eq!(n.type_name, "integer, 1 to 5");
        assert!(n.required);
        assert_eq!(row(&rows, "ratio").type_name, "number");
        let r = row(&rows, "resources");
        assert_eq!(r.type_name, "object (k8s resources)");
        assert_eq!(r.default.as_deref(), Some(r#"{"requests":{"cpu":"100m"}}"#));
        assert_eq!(r.description, "Requests");
        assert_eq!(row(&rows, "nothing").type_name, "any");
        assert_eq!(row(&rows, "nothing").default.as_deref(), Some("null"));
        assert!(rows.iter().all(|r| !r.path.starts_with("hidden")));
        assert_eq!(row(&rows, "list").type_name, "array");
        assert_eq!(row(&rows, "list").default.as_deref(), Some("[1,2]"));
        assert_eq!(row(&rows, "free").type_name, "object");
    }

    #[test]
    fn described_maps_are_rows_and_their_keys_too() {
        let rows = table("# -- The database.\ndb:\n  # -- Port.\n  port: 5432\n  \"a.b\": x\n");
        let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["db", "db.port", "db.\"a.b\""]);
        assert_eq!(rows[0].default, None);
        assert_eq!(rows[0].type_name, "object");
        assert_eq!(rows[1].default.as_deref(), Some("5432"));
        assert_eq!(rows[1].type_name, "integer");
    }
}
