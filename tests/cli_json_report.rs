//! The `-o json` contract: `schemas/validate-report.schema.json` describes exactly what
//! `stackcheck validate -o json` prints. Real outputs (valid, invalid, with warnings and notes,
//! through aliases, from `--set`, and for unreadable input) must validate against it, and the
//! schema must be strict enough to reject a renamed, missing or extra field.

mod common;

use std::time::Duration;

use serde_json::{Value, json};

/// `stackcheck validate ARGS -o json` in `dir` (relative to the repository): exit code and the
/// parsed report.
fn report(dir: &str, args: &[&str]) -> (i32, Value) {
    let out = common::stackcheck()
        .current_dir(common::repo_root().join(dir))
        .arg("validate")
        .args(args)
        .args(["-o", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run stackcheck");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    (
        out.status.code().expect("exit code"),
        common::json(args, &stdout),
    )
}

const POSITIONS: &str = "tests/fixtures/cli/positions";
const BAD_INPUT: &str = "tests/fixtures/cli/bad-input";

/// Real reports: (what, exit code, report).
fn real_reports() -> Vec<(&'static str, i32, Value)> {
    let cases: [(&str, &str, &[&str]); 9] = [
        ("valid", POSITIONS, &["--chart", ".", "values/valid.yaml"]),
        (
            "valid, with a note",
            BAD_INPUT,
            &["--chart", "chart", "valid.yaml"],
        ),
        (
            "invalid, through aliases",
            POSITIONS,
            &["--chart", ".", "values/alias.yaml"],
        ),
        (
            "invalid, from --set",
            POSITIONS,
            &[
                "--chart",
                ".",
                "values/valid.yaml",
                "--set",
                "replicas=x",
                "--set-string",
                "after=1",
            ],
        ),
        (
            "invalid, with a warning",
            POSITIONS,
            &["--chart", ".", "--set-json", "config=[1]"],
        ),
        (
            "invalid, unknown key",
            POSITIONS,
            &["--chart", ".", "--set", "replicaz=1"],
        ),
        (
            "bad input: malformed YAML",
            BAD_INPUT,
            &["--chart", "chart", "malformed.yaml"],
        ),
        (
            "bad input: missing file",
            BAD_INPUT,
            &["--chart", "chart", "no-such-file.yaml"],
        ),
        (
            "bad input: not a chart",
            BAD_INPUT,
            &["--chart", "charts/list", "valid.yaml"],
        ),
    ];
    cases
        .into_iter()
        .map(|(what, dir, args)| {
            let (code, report) = report(dir, args);
            (what, code, report)
        })
        .collect()
}

#[test]
fn the_schema_is_valid_draft_2020_12() {
    // Draft 2020-12, meta-valid, every $ref local (checked by the loader).
    let (schema, _) = common::report_schema("validate-report.schema.json");
    assert!(schema["properties"].is_object());
}

#[test]
fn real_reports_match_the_schema() {
    let validator = common::report_schema("validate-report.schema.json").1;
    let reports = real_reports();
    let mut seen_exit = std::collections::BTreeSet::new();
    let mut seen_severity = std::collections::BTreeSet::new();
    let mut seen_anchor = false;
    for (what, code, report) in &reports {
        let problems = common::schema_errors(&validator, report);
        assert!(
            problems.is_empty(),
            "{what}: the report does not match schemas/validate-report.schema.json:\n{}\n{report:#}",
            problems.join("\n")
        );
        // What the schema cannot say: the summary counts the diagnostics, and the exit code
        // follows `valid`.
        let diags = report["diagnostics"].as_array().unwrap();
        for severity in ["error", "warning", "note"] {
            let n = diags.iter().filter(|d| d["severity"] == severity).count();
            assert_eq!(
                report["summary"][format!("{severity}s")],
                json!(n),
                "{what}: summary of {severity}s"
            );
            if n > 0 {
                seen_severity.insert(severity);
            }
        }
        match code {
            0 => assert_eq!(report["valid"], true, "{what}"),
            1 | 2 => assert_eq!(report["valid"], false, "{what}"),
            other => panic!("{what}: exit code {other}"),
        }
        seen_exit.insert(*code);
        seen_anchor |= diags.iter().any(|d| d.get("anchor").is_some());
    }
    // The cases cover every exit code, severity and optional part of the contract.
    assert_eq!(seen_exit.into_iter().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(seen_severity.len(), 3, "{seen_severity:?}");
    assert!(seen_anchor);
    let positions = reports
        .iter()
        .flat_map(|(_, _, r)| r["diagnostics"].as_array().unwrap().iter())
        .filter(|d| d.get("file").is_some())
        .count();
    let placeless = reports
        .iter()
        .flat_map(|(_, _, r)| r["diagnostics"].as_array().unwrap().iter())
        .filter(|d| d.get("file").is_none())
        .count();
    assert!(positions > 0 && placeless > 0);
}

/// A report from an invalid run with an alias, as a base for mutations.
fn sample() -> Value {
    let (code, report) = report(POSITIONS, &["--chart", ".", "values/alias.yaml"]);
    assert_eq!(code, 1);
    assert!(report["diagnostics"][0].get("anchor").is_some());
    report
}

#[test]
fn the_schema_rejects_renamed_missing_and_extra_fields() {
    let validator = common::report_schema("validate-report.schema.json").1;
    let base = sample();
    assert!(common::schema_errors(&validator, &base).is_empty());

    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 14] = [
        ("top-level field renamed", |r| {
            let v = r.as_object_mut().unwrap().remove("diagnostics").unwrap();
            r["diags"] = v;
        }),
        ("version missing", |r| {
            r.as_object_mut().unwrap().remove("version");
        }),
        ("version 2", |r| r["version"] = json!(2)),
        ("extra top-level field", |r| r["extra"] = json!(true)),
        ("summary field renamed", |r| {
            let s = r["summary"].as_object_mut().unwrap();
            let v = s.remove("errors").unwrap();
            s.insert("error".into(), v);
        }),
        ("valid contradicts the summary", |r| {
            r["valid"] = json!(true)
        }),
        ("diagnostic field renamed (column → col)", |r| {
            let d = r["diagnostics"][0].as_object_mut().unwrap();
            let v = d.remove("column").unwrap();
            d.insert("col".into(), v);
        }),
        ("diagnostic field renamed (endColumn → end_column)", |r| {
            let d = r["diagnostics"][0].as_object_mut().unwrap();
            let v = d.remove("endColumn").unwrap();
            d.insert("end_column".into(), v);
        }),
        ("hint missing (null is required, not absent)", |r| {
            r["diagnostics"][0].as_object_mut().unwrap().remove("hint");
        }),
        ("position without a file", |r| {
            r["diagnostics"][0].as_object_mut().unwrap().remove("file");
        }),
        ("0-based column", |r| {
            r["diagnostics"][0]["column"] = json!(0)
        }),
        ("unknown severity", |r| {
            r["diagnostics"][0]["severity"] = json!("fatal")
        }),
        ("anchor field renamed", |r| {
            let a = r["diagnostics"][0]["anchor"].as_object_mut().unwrap();
            let v = a.remove("line").unwrap();
            a.insert("row".into(), v);
        }),
        ("line as a string", |r| {
            r["diagnostics"][0]["line"] = json!("4")
        }),
    ];
    common::assert_schema_rejects(&validator, &base, mutations);
}
