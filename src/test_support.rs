//! Helpers shared by unit tests.

use std::path::Path;

// `under_ci` and `skip_unless_ci`, the same as the integration tests'.
include!("../tests/common/skip.rs");

/// Write `text` to `dir/rel`, creating directories (fixture charts).
pub fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A chart `t` with `values` as its values.yaml, loaded, and its generated schema.
pub fn chart_with_values(values: &str) -> (crate::chart::Chart, serde_json::Value) {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: t\nversion: 1.0.0\n",
    );
    write(tmp.path(), "values.yaml", values);
    let mut sources = crate::source::Sources::new();
    let chart = crate::chart::load(tmp.path(), &mut sources).unwrap();
    let schema = crate::schema::generate::generate(&chart, &sources)
        .unwrap()
        .remove(0)
        .schema;
    (chart, schema)
}

/// A YAML document read by `saphyr` (a fixture file) as the JSON the API server would decode.
pub fn yaml_to_json(y: &saphyr::YamlOwned) -> serde_json::Value {
    use saphyr::{ScalarOwned, YamlOwned};
    use serde_json::{Value as Json, json};
    match y {
        YamlOwned::Value(ScalarOwned::Null) => Json::Null,
        YamlOwned::Value(ScalarOwned::Boolean(b)) => Json::Bool(*b),
        YamlOwned::Value(ScalarOwned::Integer(i)) => json!(i),
        YamlOwned::Value(ScalarOwned::FloatingPoint(f)) => json!(f.into_inner()),
        YamlOwned::Value(ScalarOwned::String(s)) => Json::String(s.clone()),
        YamlOwned::Sequence(seq) => Json::Array(seq.iter().map(yaml_to_json).collect()),
        YamlOwned::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), yaml_to_json(v)))
                .collect(),
        ),
        other => panic!("unexpected YAML node {other:?}"),
    }
}

/// The objects of a manifest stream (`m.yaml`), which must parse without findings.
pub fn objects(text: &str) -> Vec<crate::render::Object> {
    let mut sources = crate::source::Sources::new();
    let id = sources.add("m.yaml", text, crate::source::SourceKind::Other);
    let (objects, diags) = crate::render::parse_stream(&sources, id);
    assert!(diags.is_empty(), "{diags:?}");
    objects
}
