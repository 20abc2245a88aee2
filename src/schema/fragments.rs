//! Kubernetes shapes bundled from `schemas/k8s/` so generated schemas stay self-contained.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value as Json;

macro_rules! fragments {
    ($($name:literal),* $(,)?) => {
        const FRAGMENTS: &[(&str, &str)] = &[$(($name, include_str!(concat!("../../schemas/k8s/", $name, ".json")))),*];
    };
}

fragments!(
    "affinity",
    "annotations",
    "env",
    "envFrom",
    "image",
    "imagePullSecrets",
    "ingress",
    "labels",
    "nodeSelector",
    "podSecurityContext",
    "probe",
    "quantity",
    "resources",
    "securityContext",
    "service",
    "tolerations",
    "topologySpreadConstraints",
    "volumeMounts",
    "volumes",
);

/// Names of the bundled fragments.
pub fn names() -> impl Iterator<Item = &'static str> {
    FRAGMENTS.iter().map(|(n, _)| *n)
}

fn parsed() -> &'static HashMap<&'static str, Json> {
    static PARSED: OnceLock<HashMap<&'static str, Json>> = OnceLock::new();
    PARSED.get_or_init(|| {
        FRAGMENTS
            .iter()
            // The fragments are checked in by us and tested to parse (tests/k8s_fragments.rs).
            .filter_map(|(name, text)| serde_json::from_str(text).ok().map(|json| (*name, json)))
            .collect()
    })
}

/// A fragment by name, split into its body (without `$schema` and `definitions`) and the
/// definitions it needs at the root of the schema that embeds it.
pub fn get(name: &str) -> Option<(Json, serde_json::Map<String, Json>)> {
    let mut body = parsed().get(name)?.clone();
    let obj = body.as_object_mut()?;
    obj.remove("$schema");
    let defs = match obj.remove("definitions") {
        Some(Json::Object(d)) => d,
        _ => serde_json::Map::new(),
    };
    Some((body, defs))
}

/// Whether a fragment accepts a value (used before applying a fragment chosen by key name).
pub fn accepts(name: &str, instance: &Json) -> bool {
    static VALIDATORS: OnceLock<HashMap<&'static str, jsonschema::Validator>> = OnceLock::new();
    let validators = VALIDATORS.get_or_init(|| {
        parsed()
            .iter()
            .filter_map(|(n, s)| jsonschema::draft7::new(s).ok().map(|v| (*n, v)))
            .collect()
    });
    validators.get(name).is_some_and(|v| v.is_valid(instance))
}

/// The fragment a well-known values key uses, by name.
pub fn for_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "resources" => "resources",
        "securityContext" | "containerSecurityContext" => "securityContext",
        "podSecurityContext" => "podSecurityContext",
        "tolerations" => "tolerations",
        "affinity" => "affinity",
        "nodeSelector" => "nodeSelector",
        "livenessProbe" | "readinessProbe" | "startupProbe" => "probe",
        "env" | "extraEnv" | "extraEnvVars" => "env",
        "envFrom" | "extraEnvFrom" => "envFrom",
        "podAnnotations" | "annotations" | "commonAnnotations" | "serviceAnnotations" => {
            "annotations"
        }
        "podLabels" | "labels" | "commonLabels" => "labels",
        "imagePullSecrets" => "imagePullSecrets",
        "topologySpreadConstraints" => "topologySpreadConstraints",
        "volumes" | "extraVolumes" => "volumes",
        "volumeMounts" | "extraVolumeMounts" => "volumeMounts",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fragment_parses_and_compiles() {
        for name in names() {
            let (body, _) = get(name).unwrap_or_else(|| panic!("{name} does not parse"));
            assert!(body.is_object(), "{name}");
        }
        assert!(accepts(
            "resources",
            &serde_json::json!({"requests": {"cpu": "100m"}})
        ));
        assert!(!accepts(
            "resources",
            &serde_json::json!({"requests": {"cpu": "1 core"}})
        ));
    }
}
