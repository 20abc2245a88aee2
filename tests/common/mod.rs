//! Helpers shared by the integration tests that drive real Helm binaries and the stackcheck CLI.
#![allow(dead_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The stackcheck binary built by cargo for these tests.
pub fn stackcheck() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackcheck"));
    cmd.env("NO_COLOR", "1").env_remove("HELM_DEBUG");
    cmd
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    repo_root().join("tests").join("fixtures")
}

/// A Helm binary under test, e.g. `("v3", "/…/helm-v3.22.0/helm")`.
#[derive(Clone, Debug)]
pub struct Helm {
    pub label: &'static str,
    pub bin: PathBuf,
}

/// Helm v3 and v4 from `HELM_V3` / `HELM_V4` (set by `eval "$(tools/tools.sh)"`).
///
/// When they are missing: panics under CI (`CI` set), otherwise prints how to get them and returns
/// `None` so the calling test can return early.
pub fn helms(test: &str) -> Option<Vec<Helm>> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (label, var) in [("v3", "HELM_V3"), ("v4", "HELM_V4")] {
        match std::env::var_os(var) {
            Some(p) if !p.is_empty() && Path::new(&p).is_file() => found.push(Helm {
                label,
                bin: PathBuf::from(p),
            }),
            _ => missing.push(var),
        }
    }
    if missing.is_empty() {
        return Some(found);
    }
    let msg = format!(
        "{test}: {} not set or not a file; run `eval \"$(tools/tools.sh)\"` first (it builds the pinned Helm versions, \
         or waits for a build already running)",
        missing.join(" and ")
    );
    skip_unless_ci(&msg);
    None
}

// `under_ci` and `skip_unless_ci`: one copy, shared with the unit tests (`src/test_support.rs`).
include!("skip.rs");

impl Helm {
    /// `helm template <chart> …args` with Helm's own directories isolated in `home`.
    pub fn template(&self, chart: &Path, args: &[String], home: &Path) -> Output {
        Command::new(&self.bin)
            .arg("template")
            .arg("stackcheck-test")
            .arg(chart)
            .args(args)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .env_remove("HELM_DEBUG")
            .env_remove("KUBECONFIG")
            .output()
            .expect("run helm")
    }
}

/// Accept / reject of a values set, or a failure that is neither (bad invocation, crash…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Reject,
    Error(String),
}

impl Verdict {
    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "accept" => Some(Verdict::Accept),
            "reject" => Some(Verdict::Reject),
            _ => None,
        }
    }

    /// Helm: exit 0 accepts; a schema failure rejects; anything else is an error.
    pub fn of_helm(out: &Output) -> Verdict {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            Verdict::Accept
        } else if stderr.contains("don't meet the specifications of the schema") {
            Verdict::Reject
        } else {
            Verdict::Error(first_lines(&stderr, 6))
        }
    }

    /// stackcheck: exit 0 accepts, 1 rejects, anything else is an error.
    pub fn of_stackcheck(out: &Output) -> Verdict {
        match out.status.code() {
            Some(0) => Verdict::Accept,
            Some(1) => Verdict::Reject,
            code => Verdict::Error(format!(
                "exit {code:?}: {}{}",
                first_lines(&String::from_utf8_lossy(&out.stderr), 6),
                first_lines(&String::from_utf8_lossy(&out.stdout), 3)
            )),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Verdict::Accept => "accept",
            Verdict::Reject => "reject",
            Verdict::Error(_) => "ERROR",
        })
    }
}

pub fn first_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = lines.iter().take(n).copied().collect::<Vec<_>>().join("\n");
    if lines.len() > n {
        out.push_str(&format!("\n… ({} more lines)", lines.len() - n));
    }
    out
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

/// `stackcheck schema --write --force <chart>`; panics with the output when it fails.
pub fn write_schemas(chart: &Path) {
    let out = stackcheck()
        .args(["schema", "--write", "--force"])
        .arg(chart)
        .output()
        .expect("run stackcheck");
    assert!(
        out.status.success(),
        "stackcheck schema --write --force {} failed ({:?}):\n{}\n{}",
        chart.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
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
