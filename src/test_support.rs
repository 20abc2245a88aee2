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
