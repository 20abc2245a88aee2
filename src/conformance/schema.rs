//! Every rendered object against the OpenAPI v3 schema of the target Kubernetes minor, and custom
//! resources against their CRD's `openAPIV3Schema`, reporting what the API server would refuse.
//!
//! The bundles (`openapi/v1.N.json.gz`, embedded) are made by `tools/k8s/openapi-bundle.sh` from
//! `api/openapi-spec/v3` of the `k8s.io/kubernetes` module of each pinned release
//! (`OPENAPI_KUBERNETES_VERSIONS` in `tools/versions.env`), slimmed by `tools/k8s/openapi-slim.py`.
//!
//! What is checked, and the text used (the API server's):
//! - unknown fields, as strict field validation reports them (`kubectl --validate=strict`, Helm
//!   v4's server-side apply): `unknown field "spec.template.spec.containers[0].imagePullPolcy"`
//!   (apimachinery `runtime/serializer/json` strict decoding, sigs.k8s.io/json's path format);
//!   objects with `properties` are closed, `additionalProperties` makes a map, neither (and
//!   `x-kubernetes-preserve-unknown-fields`) leaves it open;
//! - types, as the JSON decoder fails: `json: cannot unmarshal string into Go struct field
//!   ContainerPort.spec.template.spec.containers.ports.containerPort of type int32`
//!   (encoding/json `UnmarshalTypeError`; `null` decodes to the zero value, never an error);
//!   `x-kubernetes-int-or-string` and `Quantity` (string or number) accept both;
//! - `required` and `enum` as field validation words them (`field.Required`: `…: Required
//!   value`; `field.NotSupported`: `…: Unsupported value: "x": supported values: "a", "b"`);
//! - `x-kubernetes-list-type: map` key duplicates and `set` duplicates as server-side apply
//!   reports them (structured-merge-diff: `.spec.containers: duplicate entries for key
//!   [name="a"]`);
//! - `x-kubernetes-embedded-resource`: `apiVersion` and `kind` must be set
//!   (apiextensions-apiserver `schema/objectmeta` validation: `…: Required value: must not be
//!   empty`).

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::{Map, Value as Json};

use super::Subject;
use super::go_text::quote;

/// The bundled minors and their compressed schemas.
const BUNDLES: &[(u32, &[u8])] = &[
    (29, include_bytes!("openapi/v1.29.json.gz")),
    (30, include_bytes!("openapi/v1.30.json.gz")),
    (31, include_bytes!("openapi/v1.31.json.gz")),
    (32, include_bytes!("openapi/v1.32.json.gz")),
    (33, include_bytes!("openapi/v1.33.json.gz")),
    (34, include_bytes!("openapi/v1.34.json.gz")),
    (35, include_bytes!("openapi/v1.35.json.gz")),
    (36, include_bytes!("openapi/v1.36.json.gz")),
    (37, include_bytes!("openapi/v1.37.json.gz")),
];

/// Minors of Kubernetes 1.x with a bundled schema.
pub fn bundled_minors() -> Vec<u32> {
    BUNDLES.iter().map(|(m, _)| *m).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("no bundled OpenAPI schema for Kubernetes 1.{minor} (bundled: 1.{first} to 1.{last})")]
    NotBundled { minor: u32, first: u32, last: u32 },
    #[error("the bundled OpenAPI schema of Kubernetes 1.{minor} cannot be read: {message}")]
    Corrupt { minor: u32, message: String },
    #[error("CustomResourceDefinition {name}: {message}")]
    BadCrd { name: String, message: String },
}

/// The schemas of one Kubernetes release, indexed by group/version/kind.
#[derive(Debug, Clone)]
pub struct Schemas {
    /// `v1.34.4`.
    pub version: String,
    schemas: Map<String, Json>,
    by_gvk: BTreeMap<(String, String, String), String>,
    /// Custom resources: group/version/kind → `openAPIV3Schema`.
    crds: BTreeMap<(String, String, String), Json>,
}

impl Schemas {
    /// The bundled schemas of Kubernetes 1.`minor`.
    pub fn bundled(minor: u32) -> Result<Schemas, SchemaError> {
        let Some((_, bytes)) = BUNDLES.iter().find(|(m, _)| *m == minor) else {
            return Err(SchemaError::NotBundled {
                minor,
                first: BUNDLES.first().map_or(0, |b| b.0),
                last: BUNDLES.last().map_or(0, |b| b.0),
            });
        };
        let corrupt = |message: String| SchemaError::Corrupt { minor, message };
        let mut text = String::new();
        flate2::read::GzDecoder::new(*bytes)
            .read_to_string(&mut text)
            .map_err(|e| corrupt(e.to_string()))?;
        let mut doc: Json = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        let version = doc["version"].as_str().unwrap_or("").to_string();
        let Some(Json::Object(schemas)) = doc.get_mut("schemas").map(Json::take) else {
            return Err(corrupt("no schemas".to_string()));
        };
        let mut by_gvk = BTreeMap::new();
        for (name, schema) in &schemas {
            for gvk in schema["x-kubernetes-group-version-kind"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let field = |k: &str| gvk[k].as_str().unwrap_or("").to_string();
                by_gvk
                    .entry((field("group"), field("version"), field("kind")))
                    .or_insert_with(|| name.clone());
            }
        }
        Ok(Schemas {
            version,
            schemas,
            by_gvk,
            crds: BTreeMap::new(),
        })
    }

    /// Adds the served versions of CustomResourceDefinitions (`apiextensions.k8s.io/v1`
    /// objects, e.g. the chart's `crds/` or `--crds`), so their custom resources are validated
    /// against `spec.versions[].schema.openAPIV3Schema`.
    pub fn add_crd(&mut self, crd: &Json) -> Result<(), SchemaError> {
        let name = crd["metadata"]["name"].as_str().unwrap_or("").to_string();
        let bad = |message: &str| SchemaError::BadCrd {
            name: name.clone(),
            message: message.to_string(),
        };
        if crd["apiVersion"] != "apiextensions.k8s.io/v1"
            || crd["kind"] != "CustomResourceDefinition"
        {
            return Err(bad(
                "not an apiextensions.k8s.io/v1 CustomResourceDefinition",
            ));
        }
        let group = crd["spec"]["group"]
            .as_str()
            .ok_or_else(|| bad("spec.group is missing"))?;
        let kind = crd["spec"]["names"]["kind"]
            .as_str()
            .ok_or_else(|| bad("spec.names.kind is missing"))?;
        let versions = crd["spec"]["versions"]
            .as_array()
            .ok_or_else(|| bad("spec.versions is missing"))?;
        for v in versions {
            if v["served"] == false {
                continue;
            }
            let version = v["name"]
                .as_str()
                .ok_or_else(|| bad("a version has no name"))?;
            let schema = v["schema"]["openAPIV3Schema"].clone();
            let schema = if schema.is_null() {
                json_preserve_unknown()
            } else {
                schema
            };
            self.crds.insert(
                (group.to_string(), version.to_string(), kind.to_string()),
                schema,
            );
        }
        Ok(())
    }

    fn resolve<'a>(&'a self, schema: &'a Json) -> &'a Json {
        let mut s = schema;
        // `$ref` chains are one level deep in practice; bound them anyway.
        for _ in 0..8 {
            match s.get("$ref").and_then(Json::as_str) {
                Some(r) => s = self.schemas.get(r).unwrap_or(&NULL),
                None => break,
            }
        }
        s
    }
}

static NULL: Json = Json::Null;

fn json_preserve_unknown() -> Json {
    serde_json::json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

/// What kind of refusal a field error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorKind {
    UnknownField,
    WrongType,
    Required,
    Unsupported,
    Duplicate,
}

/// One field the API server would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// `Kind/name`.
    pub object: String,
    pub template: Option<String>,
    /// `spec.template.spec.containers[0].imagePullPolcy`.
    pub path: String,
    pub kind: FieldErrorKind,
    /// The API server's wording (see the module docs).
    pub message: String,
}

/// Whether the target knows the kind at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Checked against a built-in schema or a CRD.
    Checked,
    /// Neither a built-in kind of this release nor a known CRD (`no matches for kind`, unless
    /// the CRD is already in the cluster).
    UnknownKind,
}

struct Walker<'a> {
    schemas: &'a Schemas,
    /// A custom resource: type errors come from OpenAPI validation, not the Go decoder.
    custom: bool,
    subject: Subject<'a>,
    errors: Vec<FieldError>,
}

/// Path segments: `Key` (`.name`) or `Index` (`[0]`).
#[derive(Clone)]
enum Seg<'a> {
    Key(&'a str),
    /// A key of a map (`additionalProperties`): shown like a field, left out of Go's paths.
    MapKey(&'a str),
    Index(usize),
}

fn render(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) | Seg::MapKey(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// encoding/json's field path: struct field names only, no indices or map keys' brackets.
fn go_field_path(path: &[Seg<'_>]) -> String {
    path.iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(*k),
            Seg::MapKey(_) | Seg::Index(_) => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn json_type_name(value: &Json) -> String {
    match value {
        Json::Bool(_) => "bool".into(),
        Json::Number(_) => "number".into(),
        Json::String(_) => "string".into(),
        Json::Array(_) => "array".into(),
        Json::Object(_) => "object".into(),
        Json::Null => "null".into(),
    }
}

/// The Go type a schema decodes into, as `reflect.Type.String()` prints it.
fn go_type(schema: &Json) -> String {
    if let Some(r) = schema.get("$ref").and_then(Json::as_str) {
        let mut parts = r.rsplit('.');
        let name = parts.next().unwrap_or(r);
        let package = parts.next().unwrap_or("");
        return format!("{package}.{name}");
    }
    match schema["type"].as_str() {
        Some("integer") => schema["format"].as_str().unwrap_or("int64").to_string(),
        Some("number") => "float64".into(),
        Some("boolean") => "bool".into(),
        Some("string") => "string".into(),
        Some("array") => format!("[]{}", go_type(&schema["items"])),
        Some("object") if schema.get("additionalProperties").is_some() => {
            format!("map[string]{}", go_type(&schema["additionalProperties"]))
        }
        _ => "interface {}".into(),
    }
}

impl<'a> Walker<'a> {
    fn push(&mut self, path: &[Seg<'_>], kind: FieldErrorKind, message: String) {
        self.errors.push(FieldError {
            object: self.subject.display(),
            template: self.subject.template.map(str::to_string),
            path: render(path),
            kind,
            message,
        });
    }

    /// `struct_name`: the Go struct holding this field (type errors name it).
    fn walk(
        &mut self,
        value: &'a Json,
        schema: &'a Json,
        path: &mut Vec<Seg<'a>>,
        struct_name: &str,
    ) {
        if value.is_null() {
            return; // decodes to the zero value
        }
        let struct_here = schema
            .get("$ref")
            .and_then(Json::as_str)
            .and_then(|r| r.rsplit('.').next())
            .map(str::to_string);
        let declared = schema;
        let schema = self.schemas.resolve(schema);
        if schema.is_null() {
            return;
        }
        // Union types: Quantity (string|number), IntOrString, and CRD anyOf/oneOf are accepted
        // if any branch's type matches.
        if schema["x-kubernetes-int-or-string"] == true || schema["format"] == "int-or-string" {
            if !(value.is_string() || is_integral(value)) {
                self.type_error(value, declared, path, struct_name);
            }
            return;
        }
        if let Some(branches) = schema.get("oneOf").and_then(Json::as_array)
            && schema.get("type").is_none()
        {
            if !branches.iter().any(|b| type_matches(value, b)) {
                self.type_error(value, declared, path, struct_name);
            } else if declared["$ref"] == QUANTITY
                && let Some(text) = value.as_str()
                && !quantity_format_ok(text.trim())
            {
                // resource.Quantity.UnmarshalJSON → ParseQuantity's ErrFormatWrong.
                let message = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".to_string();
                self.push(path, FieldErrorKind::WrongType, message);
            }
            return;
        }
        if !type_matches(value, schema) {
            self.type_error(value, declared, path, struct_name);
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Json::as_array)
            && !allowed.contains(value)
        {
            let shown = |v: &Json| match v {
                Json::String(s) => quote(s),
                other => other.to_string(),
            };
            let message = format!(
                "{}: Unsupported value: {}: supported values: {}",
                render(path),
                shown(value),
                allowed.iter().map(shown).collect::<Vec<_>>().join(", ")
            );
            self.push(path, FieldErrorKind::Unsupported, message);
        }
        let struct_name = struct_here.as_deref().unwrap_or(struct_name).to_string();
        match value {
            Json::Object(map) => self.walk_object(map, schema, path, &struct_name),
            Json::Array(items) => self.walk_array(items, schema, path, &struct_name),
            _ => {}
        }
    }

    fn type_error(&mut self, value: &Json, declared: &Json, path: &[Seg<'_>], struct_name: &str) {
        if self.custom {
            // kube-openapi validate's `errors.InvalidType` as the apiextensions server reports it.
            let resolved = self.schemas.resolve(declared);
            let want = resolved["type"].as_str().unwrap_or("integer or string");
            let got = json_type_name(value);
            let p = render(path);
            let message = format!(
                "{p}: Invalid value: {}: {p} in body must be of type {want}: {}",
                quote(&got),
                quote(&got)
            );
            self.push(path, FieldErrorKind::WrongType, message);
            return;
        }
        // IntOrString.UnmarshalJSON decodes non-strings into its int32.
        let resolved = self.schemas.resolve(declared);
        let go = if resolved["format"] == "int-or-string"
            || resolved["x-kubernetes-int-or-string"] == true
        {
            "int32".to_string()
        } else {
            go_type(declared)
        };
        // encoding/json names the literal of a number that does not fit an integer field.
        let what = match value {
            Json::Number(n) if resolved["type"] == "integer" || go == "int32" => {
                format!("number {n}")
            }
            other => json_type_name(other),
        };
        let message = format!(
            "json: cannot unmarshal {what} into Go struct field {struct_name}.{} of type {go}",
            go_field_path(path),
        );
        self.push(path, FieldErrorKind::WrongType, message);
    }

    fn walk_object(
        &mut self,
        map: &'a Map<String, Json>,
        schema: &'a Json,
        path: &mut Vec<Seg<'a>>,
        struct_name: &str,
    ) {
        let properties = schema.get("properties").and_then(Json::as_object);
        let additional = schema.get("additionalProperties");
        let preserve = schema["x-kubernetes-preserve-unknown-fields"] == true;
        if schema["x-kubernetes-embedded-resource"] == true {
            for key in ["apiVersion", "kind"] {
                if map
                    .get(key)
                    .and_then(Json::as_str)
                    .is_none_or(str::is_empty)
                {
                    path.push(Seg::Key(key));
                    let message = format!("{}: Required value: must not be empty", render(path));
                    self.push(path, FieldErrorKind::Required, message);
                    path.pop();
                }
            }
        }
        for required in schema
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            // A required field with a default is filled before validation (CRD defaulting; for
            // built-ins the default marks a non-pointer Go field decoded to its zero value and
            // judged by validation code, not by `required`). A status is dropped on create.
            let defaulted = properties
                .and_then(|p| p.get(required))
                .is_some_and(|p| p.get("default").is_some());
            let in_status = matches!(path.first(), Some(Seg::Key("status")));
            if !defaulted && !in_status && map.get(required).is_none_or(Json::is_null) {
                path.push(Seg::Key(required));
                let message = format!("{}: Required value", render(path));
                self.push(path, FieldErrorKind::Required, message);
                path.pop();
            }
        }
        for (key, value) in map {
            if let Some(prop) = properties.and_then(|p| p.get(key)) {
                path.push(Seg::Key(key));
                self.walk(value, prop, path, struct_name);
            } else if let Some(additional) = additional.filter(|a| a.is_object()) {
                path.push(Seg::MapKey(key));
                self.walk(value, additional, path, struct_name);
            } else {
                path.push(Seg::Key(key));
                if properties.is_some() && !preserve && additional != Some(&Json::Bool(true)) {
                    let message = format!("unknown field {}", quote(&render(path)));
                    self.push(path, FieldErrorKind::UnknownField, message);
                }
            }
            path.pop();
        }
    }

    fn walk_array(
        &mut self,
        items: &'a [Json],
        schema: &'a Json,
        path: &mut Vec<Seg<'a>>,
        struct_name: &str,
    ) {
        let item_schema = schema.get("items").unwrap_or(&NULL);
        match schema["x-kubernetes-list-type"].as_str() {
            Some("map") => {
                let keys: Vec<&str> = schema["x-kubernetes-list-map-keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .collect();
                let mut seen: Vec<Vec<&Json>> = Vec::new();
                let mut reported = Vec::new();
                for item in items {
                    let key: Vec<&Json> =
                        keys.iter().map(|k| item.get(*k).unwrap_or(&NULL)).collect();
                    if seen.contains(&key) && !reported.contains(&key) {
                        let shown = keys
                            .iter()
                            .zip(&key)
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(",");
                        let message =
                            format!(".{}: duplicate entries for key [{shown}]", render(path));
                        self.push(path, FieldErrorKind::Duplicate, message);
                        reported.push(key.clone());
                    }
                    seen.push(key);
                }
            }
            Some("set") => {
                let mut reported: Vec<&Json> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) && !reported.contains(&item) {
                        let message =
                            format!(".{}: duplicate entries for key {item}", render(path));
                        self.push(path, FieldErrorKind::Duplicate, message);
                        reported.push(item);
                    }
                }
            }
            _ => {}
        }
        for (i, item) in items.iter().enumerate() {
            path.push(Seg::Index(i));
            self.walk(item, item_schema, path, struct_name);
            path.pop();
        }
    }
}

/// An integer, or a number with no fraction (`replicas: 2.0` decodes: the API server's
/// YAML→JSON step writes integral floats as integers; checked against kube-apiserver v1.34.4).
fn is_integral(value: &Json) -> bool {
    value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
}

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// `splitREString` of apimachinery's quantity.go, `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`,
/// which `ParseQuantity` reports as `ErrFormatWrong`; other parse failures are not judged here.
fn quantity_format_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = b[i..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    if digits == 0 {
        return false;
    }
    i += digits;
    i += b[i..]
        .iter()
        .take_while(|c| b"eEinumkKMGTP".contains(c))
        .count();
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    i += b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i == b.len()
}

/// Whether a JSON value has the schema's `type` (absent: anything).
fn type_matches(value: &Json, schema: &Json) -> bool {
    match schema.get("type").and_then(Json::as_str) {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("boolean") => value.is_boolean(),
        Some("integer") => is_integral(value),
        Some("number") => value.is_number(),
        Some(_) => true,
    }
}

/// Validates one object: field errors, and whether the kind was known at all.
pub fn validate(schemas: &Schemas, subject: Subject<'_>) -> (Coverage, Vec<FieldError>) {
    let (group, version) = subject
        .api_version()
        .rsplit_once('/')
        .unwrap_or(("", subject.api_version()));
    let key = (
        group.to_string(),
        version.to_string(),
        subject.kind().to_string(),
    );
    let mut walker = Walker {
        schemas,
        custom: !schemas.by_gvk.contains_key(&key),
        subject,
        errors: Vec::new(),
    };
    let mut path = Vec::new();
    if let Some(name) = schemas.by_gvk.get(&key) {
        let schema = schemas.schemas.get(name).unwrap_or(&NULL);
        let struct_name = name.rsplit('.').next().unwrap_or("").to_string();
        walker.walk(subject.json, schema, &mut path, &struct_name);
    } else if let Some(schema) = schemas.crds.get(&key) {
        // The API server validates a custom resource's metadata as ObjectMeta, not by the CRD.
        let meta = schemas
            .schemas
            .get("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
            .unwrap_or(&NULL);
        if let Json::Object(map) = subject.json {
            for (key, value) in map {
                path.push(Seg::Key(key));
                match key.as_str() {
                    "apiVersion" | "kind" => {}
                    "metadata" => walker.walk(value, meta, &mut path, "ObjectMeta"),
                    _ => match schema["properties"].get(key.as_str()) {
                        Some(prop) => walker.walk(value, prop, &mut path, ""),
                        None if schema["x-kubernetes-preserve-unknown-fields"] != true
                            && schema.get("properties").is_some() =>
                        {
                            let message = format!("unknown field {}", quote(&render(&path)));
                            walker.push(&path, FieldErrorKind::UnknownField, message);
                        }
                        None => {}
                    },
                }
                path.pop();
            }
            for required in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
            {
                if map.get(required).is_none_or(Json::is_null) {
                    path.push(Seg::Key(required));
                    let message = format!("{}: Required value", render(&path));
                    walker.push(&path, FieldErrorKind::Required, message);
                    path.pop();
                }
            }
        }
    } else {
        return (Coverage::UnknownKind, Vec::new());
    }
    (Coverage::Checked, walker.errors)
}

#[cfg(test)]
mod tests;
