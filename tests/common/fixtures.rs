//! Paths, copies of fixture trees, the JSON report contracts under `schemas/`, a parallel map
//! and plain-text tables.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    repo_root().join("tests").join("fixtures")
}

/// Recursively copies a directory (files and folders only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
    {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// Runs `f` over `items` on a few threads, keeping the results in the items' order.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8)
        * 2;
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        let i = *n;
                        *n += 1;
                        i
                    };
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    results.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// Renders rows as an aligned plain-text table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:<w$}", c, w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    out.push('\n');
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.clone()));
    }
    out
}

/// A JSON report contract under `schemas/` (e.g. `totals-report.schema.json`): loaded, checked
/// against the draft 2020-12 meta-schema and for being self-contained (every `$ref` local),
/// and compiled.
pub fn report_schema(file: &str) -> (serde_json::Value, jsonschema::Validator) {
    let path = repo_root().join("schemas").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"));
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{file}: draft"
    );
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("{file} is not a valid JSON Schema: {e}");
    }
    for (i, _) in text.match_indices("\"$ref\"") {
        let rest = text[i..]
            .trim_start_matches("\"$ref\"")
            .trim_start_matches([':', ' ']);
        assert!(
            rest.starts_with("\"#/"),
            "{file}: non-local $ref near {}",
            &text[i..(i + 40).min(text.len())]
        );
    }
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{file}: {e}"));
    (schema, validator)
}

/// Every way `report` breaks the schema, with where (empty when it conforms).
pub fn schema_errors(validator: &jsonschema::Validator, report: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Writes `files` (path under `dir`, text) into `dir`, creating folders; returns `dir`. For the
/// small charts a test makes.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent"))
            .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    dir.to_path_buf()
}

/// The contract is strict: each `(what, mutation)` of a valid `report` must break it.
pub fn assert_schema_rejects<'a, F: Fn(&mut serde_json::Value)>(
    validator: &jsonschema::Validator,
    report: &serde_json::Value,
    mutations: impl IntoIterator<Item = (&'a str, F)>,
) {
    for (what, mutate) in mutations {
        let mut broken = report.clone();
        mutate(&mut broken);
        assert!(
            !schema_errors(validator, &broken).is_empty(),
            "the schema accepts a report with {what}"
        );
    }
}
