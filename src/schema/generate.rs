//! Schema generation: one draft-07 schema per chart, inferred from the chart's defaults (as its
//! parent overrides them) and shaped by the annotations in the comments. An umbrella's schema
//! composes each subchart's under its key, so `helm install` rejects bad values everywhere.

use std::collections::HashMap;

use serde_json::{Map as JsonMap, Value as Json, json};

use super::annotations::{AnnotationError, Annotations};
use super::fragments;
use crate::chart::{Chart, Location};
use crate::source::{SourceId, Sources};
use crate::values::coalesce::coalesce;
use crate::values::{Kind, Map, Value};

pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// The generated schema of one chart.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Values path of the chart's scope in the umbrella (empty for the top chart).
    pub path: Vec<String>,
    pub chart_name: String,
    pub location: Location,
    pub schema: Json,
}

/// A bad annotation, with the file it is in.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{}: {source}", source.line)]
pub struct GenerateError {
    pub file: String,
    pub source: AnnotationError,
}

/// Generate schemas for `chart` and every subchart, top chart first.
pub fn generate(chart: &Chart, sources: &Sources) -> Result<Vec<Generated>, Vec<GenerateError>> {
    let mut g = Generator {
        sources,
        annotations: HashMap::new(),
        errors: Vec::new(),
    };
    let mut out = Vec::new();
    let has_tags = chart
        .walk()
        .iter()
        .any(|(_, c)| c.metadata.dependencies.iter().any(|d| !d.tags.is_empty()));
    g.chart(chart, None, &[], Vec::new(), has_tags, &mut out);
    if g.errors.is_empty() {
        out.reverse();
        Ok(out)
    } else {
        Err(g.errors)
    }
}

struct Generator<'s> {
    sources: &'s Sources,
    annotations: HashMap<SourceId, Annotations<'s>>,
    errors: Vec<GenerateError>,
}

/// Schema of one chart: the body (no `$schema`), and the definitions it refers to.
struct Built {
    body: Json,
    definitions: JsonMap<String, Json>,
}

impl<'s> Generator<'s> {
    /// Build `chart`'s schema (pushing it and its subcharts' onto `out`, children first) and
    /// return it for composition into the parent.
    fn chart(
        &mut self,
        chart: &Chart,
        overrides: Option<&Value>,
        conditions: &[Vec<String>],
        path: Vec<String>,
        tags: bool,
        out: &mut Vec<Generated>,
    ) -> Built {
        // Defaults as the chart sees them: the parent's values for this key win.
        let own = chart.defaults.as_map().cloned().unwrap_or_default();
        let mut effective = overrides
            .and_then(Value::as_map)
            .cloned()
            .unwrap_or_default();
        coalesce(&mut effective, &own);
        let mut definitions = JsonMap::new();
        let mut body = self.object(
            &effective,
            Some(&chart.defaults),
            &mut Vec::new(),
            false,
            &mut definitions,
        );

        let props = body
            .as_object_mut()
            .and_then(|o| o.get_mut("properties"))
            .and_then(Json::as_object_mut);
        if let Some(props) = props {
            // Helm copies the parent's globals into every chart: `global` must stay open.
            let global = props.entry("global").or_insert_with(|| json!({}));
            open_all(global);
            set_type_object(
                global,
                "Values shared with every chart of the release (Helm `global`).",
            );
            // `global:` with all its keys commented out is null, and a chart installed on its
            // own keeps it so (Helm makes it a map only in subcharts): accept what is there.
            if let Some(other) = effective.get("global").and_then(|g| match g.kind {
                Kind::Map(_) => None,
                Kind::Null => Some("null"),
                Kind::Bool(_) => Some("boolean"),
                Kind::Int(_) | Kind::Float(_) => Some("number"),
                Kind::Str(_) => Some("string"),
                Kind::List(_) => Some("array"),
            }) {
                global["type"] = json!(["object", other]);
            }
            if tags && path.is_empty() {
                props.insert("tags".into(), json!({"type": "object", "description": "Enable or disable dependencies by tag.", "additionalProperties": {"type": "boolean"}}));
            }
        }
        // Conditions of this chart's own dependencies that point into its values.
        for dep in &chart.metadata.dependencies {
            for cond in dep.conditions() {
                let segs: Vec<String> = cond.split('.').map(str::to_string).collect();
                if segs.first().map(String::as_str) != Some(dep.key())
                    && segs.first().map(String::as_str) != Some("global")
                {
                    ensure_boolean(&mut body, &segs);
                }
            }
        }
        // Condition keys the parent reads inside this chart's scope (`<key>.enabled`).
        for cond in conditions {
            ensure_boolean(&mut body, cond);
        }

        for sub in &chart.subcharts {
            let mut sub_path = path.clone();
            sub_path.push(sub.name().to_string());
            let sub_overrides = effective.get(sub.name());
            let sub_conditions: Vec<Vec<String>> = chart
                .metadata
                .dependencies
                .iter()
                .filter(|d| d.key() == sub.name())
                .flat_map(|d| d.conditions())
                .filter_map(|c| {
                    let segs: Vec<String> = c.split('.').map(str::to_string).collect();
                    (segs.len() > 1 && segs[0] == sub.name()).then(|| segs[1..].to_vec())
                })
                .collect();
            let built = self.chart(
                sub,
                sub_overrides,
                &sub_conditions,
                sub_path.clone(),
                false,
                out,
            );
            let def_name = format!("chart.{}", sub_path.join("."));
            // A hand-written subchart schema is Helm's to apply; the umbrella only needs a map.
            let composed = if sub
                .schema
                .as_ref()
                .is_some_and(|s| !super::files::is_generated(&s.text))
            {
                json!({"type": "object"})
            } else {
                for (k, v) in built.definitions {
                    definitions.entry(k).or_insert(v);
                }
                let mut relaxed = built.body;
                // Disabled subcharts are validated here too (Helm validates the umbrella's whole
                // values): `required` is left to the subchart's own schema, checked when enabled.
                strip_required(&mut relaxed);
                definitions.insert(def_name.clone(), relaxed);
                json!({"$ref": format!("#/definitions/{def_name}")})
            };
            if let Some(props) = body.get_mut("properties").and_then(Json::as_object_mut) {
                props.insert(sub.name().to_string(), composed);
            }
        }

        let mut root = JsonMap::new();
        root.insert("$schema".into(), json!(DRAFT_07));
        root.insert("$comment".into(), json!(super::files::MARKER_PLACEHOLDER));
        root.insert(
            "title".into(),
            json!(format!("Values of the {} chart", chart.metadata.chart_name)),
        );
        if let Some(d) = &chart.metadata.description {
            root.insert("description".into(), json!(d));
        }
        if let Json::Object(b) = body.clone() {
            root.extend(b);
        }
        if !definitions.is_empty() {
            root.insert("definitions".into(), Json::Object(definitions.clone()));
        }
        out.push(Generated {
            path,
            chart_name: chart.name().to_string(),
            location: chart.location.clone(),
            schema: Json::Object(root),
        });
        Built { body, definitions }
    }

    fn annotations(&mut self, id: SourceId) -> &Annotations<'s> {
        let sources = self.sources;
        self.annotations
            .entry(id)
            .or_insert_with(|| Annotations::new(sources.text(id)))
    }

    /// Schema of a map of values; `own` is the same place in the chart's own defaults, whose
    /// comments win over the parent's.
    fn object(
        &mut self,
        map: &Map,
        own: Option<&Value>,
        path: &mut Vec<String>,
        open: bool,
        defs: &mut JsonMap<String, Json>,
    ) -> Json {
        let mut properties = JsonMap::new();
        let mut required = Vec::new();
        for (key, value) in map {
            path.push(key.clone());
            let own_value = own.and_then(|o| o.as_map()).and_then(|m| m.get(key));
            let annotated = own_value.filter(|v| v.key_span.is_some()).unwrap_or(value);
            let ann = match annotated.key_span {
                Some(span) => {
                    let dotted = path.join(".");
                    match self.annotations(span.source).for_key(&dotted, annotated) {
                        Ok(a) => a,
                        Err(source) => {
                            self.errors.push(GenerateError {
                                file: self.sources.name(span.source).to_string(),
                                source,
                            });
                            Default::default()
                        }
                    }
                }
                None => Default::default(),
            };
            if ann.skip {
                properties.insert(key.clone(), json!({}));
                path.pop();
                continue;
            }
            let fragment = ann.k8s.clone().or_else(|| {
                fragments::for_key(key)
                    .filter(|f| fragments::accepts(f, &value.to_json()))
                    .map(str::to_string)
            });
            let mut schema = match fragment.as_deref().and_then(fragments::get) {
                Some((body, fragment_defs)) => {
                    let name = format!("k8s.{}", fragment.as_deref().unwrap_or_default());
                    for (k, v) in fragment_defs {
                        defs.entry(k).or_insert(v);
                    }
                    defs.entry(name.clone()).or_insert(body);
                    json!({"$ref": format!("#/definitions/{name}")})
                }
                None => self.infer(value, own_value, path, open, defs),
            };
            apply(&mut schema, &ann);
            if ann.required {
                required.push(json!(key));
            }
            properties.insert(key.clone(), schema);
            path.pop();
        }
        // Keys the author left commented out (`# repository:`) are settable: accept them.
        if let Some(container) = own.filter(|o| o.span.is_some())
            && let (Some(span), Some(first)) = (
                container.span,
                container
                    .as_map()
                    .and_then(|m| m.values().find_map(|v| v.key_span)),
            )
            && first.source == span.source
        {
            let lines = crate::yaml::comments::Lines::new(self.sources.text(span.source));
            let last = if path.is_empty() {
                u32::MAX
            } else {
                span.end.line
            };
            let start = if path.is_empty() { 1 } else { span.start.line };
            for key in lines.commented_keys(start, last, first.start.col) {
                properties.entry(key.to_string()).or_insert_with(
                    || json!({"description": "Optional (commented out in values.yaml)."}),
                );
            }
        }
        let mut obj = JsonMap::new();
        obj.insert("type".into(), json!("object"));
        obj.insert("properties".into(), Json::Object(properties));
        if !required.is_empty() {
            obj.insert("required".into(), Json::Array(required));
        }
        if !open {
            obj.insert("additionalProperties".into(), json!(false));
        }
        Json::Object(obj)
    }

    fn infer(
        &mut self,
        value: &Value,
        own: Option<&Value>,
        path: &mut Vec<String>,
        open: bool,
        defs: &mut JsonMap<String, Json>,
    ) -> Json {
        match &value.kind {
            Kind::Null => json!({}),
            Kind::Bool(_) => json!({"type": "boolean"}),
            Kind::Int(_) => json!({"type": "integer"}),
            Kind::Float(f) if f.fract() == 0.0 => json!({"type": "integer"}),
            Kind::Float(_) => json!({"type": "number"}),
            Kind::Str(_) => json!({"type": "string"}),
            // An empty map is free-form (annotations, nodeSelector, extra config...).
            Kind::Map(m) if m.is_empty() => json!({"type": "object"}),
            Kind::Map(m) => self.object(m, own, path, open, defs),
            Kind::List(items) if items.is_empty() => json!({"type": "array"}),
            Kind::List(items) => {
                let schemas: Vec<Json> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        path.push(i.to_string());
                        // Objects in lists stay open: users add fields the example item lacks.
                        let s = self.infer(item, None, path, true, defs);
                        path.pop();
                        s
                    })
                    .collect();
                let mut items_schema = merge_all(schemas);
                open_all(&mut items_schema);
                json!({"type": "array", "items": items_schema})
            }
        }
    }
}

/// Apply an annotation's keywords onto an inferred schema.
fn apply(schema: &mut Json, ann: &super::annotations::Annotation) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(d) = &ann.description {
        obj.insert("description".into(), json!(d));
    }
    if let Some(t) = ann.keywords.get("type") {
        let wants =
            |name: &str| t == name || t.as_array().is_some_and(|a| a.iter().any(|x| x == name));
        if !wants("object") {
            obj.remove("properties");
            obj.remove("additionalProperties");
            obj.remove("required");
        }
        if !wants("array") {
            obj.remove("items");
        }
        obj.remove("$ref");
    }
    for (k, v) in &ann.keywords {
        obj.insert(k.clone(), v.clone());
    }
    match ann.open {
        Some(true) => {
            obj.remove("additionalProperties");
        }
        Some(false) if obj.get("type") == Some(&json!("object")) => {
            obj.insert("additionalProperties".into(), json!(false));
        }
        _ => {}
    }
    if let Some(item) = &ann.item {
        let items = obj.entry("items").or_insert_with(|| json!({}));
        if let Some(items) = items.as_object_mut() {
            items.extend(item.clone());
        }
    }
    if ann.nullable {
        make_nullable(schema);
    }
}

fn make_nullable(schema: &mut Json) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    match obj.get("type").cloned() {
        Some(Json::String(t)) => {
            obj.insert("type".into(), json!([t, "null"]));
        }
        Some(Json::Array(mut ts)) => {
            if !ts.contains(&json!("null")) {
                ts.push(json!("null"));
            }
            obj.insert("type".into(), Json::Array(ts));
        }
        _ if obj.contains_key("$ref") => {
            let inner = std::mem::take(obj);
            let mut outer = JsonMap::new();
            if let Some(d) = inner.get("description") {
                outer.insert("description".into(), d.clone());
            }
            outer.insert(
                "anyOf".into(),
                json!([{"type": "null"}, Json::Object(inner)]),
            );
            *obj = outer;
        }
        _ => {}
    }
    // An enum must list null too, or null is still rejected.
    if let Some(Json::Array(values)) = obj.get_mut("enum")
        && !values.contains(&Json::Null)
    {
        values.push(Json::Null);
    }
}

/// One schema for all items of a list: the common type, objects with the union of keys.
fn merge_all(schemas: Vec<Json>) -> Json {
    let mut iter = schemas.into_iter();
    let Some(first) = iter.next() else {
        return json!({});
    };
    iter.fold(first, merge_two)
}

fn merge_two(a: Json, b: Json) -> Json {
    if a == b {
        return a;
    }
    let (ta, tb) = (a.get("type").cloned(), b.get("type").cloned());
    match (
        ta.as_ref().and_then(Json::as_str),
        tb.as_ref().and_then(Json::as_str),
    ) {
        (Some("object"), Some("object")) => {
            let mut props = a
                .get("properties")
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default();
            for (k, v) in b
                .get("properties")
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default()
            {
                let merged = match props.remove(&k) {
                    Some(existing) => merge_two(existing, v),
                    None => v,
                };
                props.insert(k, merged);
            }
            json!({"type": "object", "properties": props})
        }
        (Some("array"), Some("array")) => {
            json!({"type": "array", "items": merge_two(a.get("items").cloned().unwrap_or(json!({})), b.get("items").cloned().unwrap_or(json!({})))})
        }
        (Some("integer"), Some("number")) | (Some("number"), Some("integer")) => {
            json!({"type": "number"})
        }
        (Some(x), Some(y)) if x == y => json!({"type": x}),
        _ => json!({}),
    }
}

/// Remove every `additionalProperties: false` (for `global` and list items).
fn open_all(schema: &mut Json) {
    match schema {
        Json::Object(obj) => {
            if obj.get("additionalProperties") == Some(&json!(false)) {
                obj.remove("additionalProperties");
            }
            for (k, v) in obj.iter_mut() {
                if k != "definitions" {
                    open_all(v);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(open_all),
        _ => {}
    }
}

fn strip_required(schema: &mut Json) {
    match schema {
        Json::Object(obj) => {
            if obj.get("required").is_some_and(Json::is_array) {
                obj.remove("required");
            }
            obj.values_mut().for_each(strip_required);
        }
        Json::Array(items) => items.iter_mut().for_each(strip_required),
        _ => {}
    }
}

fn set_type_object(schema: &mut Json, description: &str) {
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("type".into(), json!("object"));
        obj.entry("description")
            .or_insert_with(|| json!(description));
    }
}

/// Make sure `path` (inside an object schema) is a boolean property, creating objects on the way.
fn ensure_boolean(schema: &mut Json, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = schema;
    for seg in parents {
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        if obj.contains_key("$ref") {
            return;
        }
        let props = obj.entry("properties").or_insert_with(|| json!({}));
        let Some(props) = props.as_object_mut() else {
            return;
        };
        cur = props
            .entry(seg.clone())
            .or_insert_with(|| json!({"type": "object"}));
    }
    let Some(obj) = cur.as_object_mut() else {
        return;
    };
    if obj.contains_key("$ref") {
        return;
    }
    let props = obj.entry("properties").or_insert_with(|| json!({}));
    if let Some(props) = props.as_object_mut() {
        let key = props
            .entry(last.clone())
            .or_insert_with(|| json!({"type": "boolean"}));
        // Also when values.yaml sets the key without a comment that describes it.
        if let Some(key) = key.as_object_mut()
            && !key.contains_key("description")
        {
            key.insert(
                "description".into(),
                json!("Enables this dependency (its condition in Chart.yaml)."),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::load;
    use crate::test_support::write;

    fn gen_for(values: &str) -> Json {
        crate::test_support::chart_with_values(values).1
    }

    #[test]
    fn a_null_global_default_is_accepted() {
        // Found by fuzzing (schema_roundtrip): `global:` with every key commented out is null,
        // and the schema required an object, so the chart's own defaults failed it.
        let s = gen_for("global:\n  # imageRegistry: \"\"\nreplicas: 1\n");
        assert_eq!(s["properties"]["global"]["type"], json!(["object", "null"]));
        let validator = jsonschema::draft7::new(&s).unwrap();
        assert!(validator.is_valid(&json!({"global": null, "replicas": 1})));
        assert!(validator.is_valid(&json!({"global": {"imageRegistry": "r"}})));
        assert_eq!(
            gen_for("replicas: 1\n")["properties"]["global"]["type"],
            json!("object")
        );
    }

    #[test]
    fn infers_types_closes_maps_and_keeps_empty_maps_open() {
        let s = gen_for(
            "replicas: 2\nratio: 0.5\nname: x\non: true\nmode: 0777\nextra: {}\nnested: {a: 1}\nnothing: ~\nlist: [1, 2.5]\n",
        );
        let p = &s["properties"];
        assert_eq!(p["replicas"], json!({"type": "integer"}));
        assert_eq!(p["ratio"], json!({"type": "number"}));
        assert_eq!(p["name"], json!({"type": "string"}));
        // `on` is the boolean key "true" for Helm.
        assert_eq!(p["true"], json!({"type": "boolean"}));
        assert_eq!(p["mode"], json!({"type": "integer"}));
        assert_eq!(p["extra"], json!({"type": "object"}));
        assert_eq!(p["nested"]["additionalProperties"], json!(false));
        assert_eq!(p["nothing"], json!({}));
        assert_eq!(
            p["list"],
            json!({"type": "array", "items": {"type": "number"}})
        );
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(p["global"]["type"], json!("object"));
        assert_eq!(s["$schema"], json!(DRAFT_07));
    }

    #[test]
    fn annotations_and_k8s_shapes() {
        let s = gen_for(
            "# -- Pods\n# @schema {minimum: 1, required: true}\nreplicas: 2\nresources: {}\n# @schema {nullable: true, enum: [a, b]}\nmode: a\n",
        );
        let p = &s["properties"];
        assert_eq!(
            p["replicas"],
            json!({"type": "integer", "description": "Pods", "minimum": 1})
        );
        assert_eq!(s["required"], json!(["replicas"]));
        assert_eq!(
            p["resources"],
            json!({"$ref": "#/definitions/k8s.resources"})
        );
        assert!(s["definitions"]["k8s.resources"].is_object());
        assert!(s["definitions"]["k8s.quantity"].is_object());
        assert_eq!(
            p["mode"],
            json!({"type": ["string", "null"], "enum": ["a", "b", null]})
        );
    }

    #[test]
    fn a_default_the_k8s_shape_rejects_falls_back_to_inference() {
        // Charts put their own switches into Kubernetes-shaped maps.
        let s = gen_for("podSecurityContext:\n  customMode: strict\n  fsGroup: 1001\n");
        assert_eq!(
            s["properties"]["podSecurityContext"]["properties"]["customMode"],
            json!({"type": "string"})
        );
    }

    #[test]
    fn list_items_merge_and_stay_open() {
        let s = gen_for("hosts:\n- host: a\n  paths: [/]\n- host: b\n  tls: true\n");
        let items = &s["properties"]["hosts"]["items"];
        assert_eq!(items["properties"]["host"], json!({"type": "string"}));
        assert_eq!(items["properties"]["tls"], json!({"type": "boolean"}));
        assert!(items.get("additionalProperties").is_none());
    }

    #[test]
    fn umbrella_composes_subcharts_with_condition_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: db\n  alias: store\n  condition: store.enabled\n  tags: [data]\n",
        );
        write(d, "values.yaml", "store:\n  port: 1\n");
        write(
            d,
            "charts/db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 1.0.0\n",
        );
        write(
            d,
            "charts/db/values.yaml",
            "# @schema {required: true}\nport: 5432\nuser: app\n",
        );
        let mut sources = Sources::new();
        let chart = load(d, &mut sources).unwrap();
        let all = generate(&chart, &sources).unwrap();
        assert_eq!(all.len(), 2);
        let (top, sub) = (&all[0].schema, &all[1].schema);
        assert_eq!(
            top["properties"]["store"],
            json!({"$ref": "#/definitions/chart.store"})
        );
        assert_eq!(
            top["definitions"]["chart.store"]["properties"]["enabled"]["type"],
            json!("boolean")
        );
        assert!(top["definitions"]["chart.store"].get("required").is_none());
        assert!(top["properties"]["tags"].is_object());
        assert_eq!(sub["required"], json!(["port"]));
        assert_eq!(sub["properties"]["enabled"]["type"], json!("boolean"));
    }
}
