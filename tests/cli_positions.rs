//! CLI tier: the `file:line:col` that `stackcheck validate` reports is exact, for the YAML that
//! makes positions hard: aliases and merge keys, flow style, multi-line and quoted scalars,
//! multi-byte characters, later `-f` files and `--set` arguments.
//!
//! Each case runs the binary on `tests/fixtures/cli/positions` (a chart with a hand-written
//! schema) from inside that directory, so file names are stable. Every expected position below
//! was counted by hand (1-based lines, 1-based columns counted in characters, end columns
//! exclusive) and is asserted explicitly; the snapshots then pin the whole text and JSON output.
//!
//! Aliases: a value copied through an alias is reported at the alias where it is used (`*def`,
//! also after `<<:`), with the place the anchored text is written as `written at` / `"anchor"`.

mod common;

use common::Run;
use serde_json::Value;

fn run(args: &[&str]) -> Run {
    Run::of(
        common::stackcheck()
            .current_dir(common::fixtures().join("cli/positions"))
            .arg("validate")
            .args(["--chart", "."])
            .args(args)
            .timeout(std::time::Duration::from_secs(60)),
    )
}

/// A reported place: values path, file, line, column, end line, end column.
type Place = (String, String, u64, u64, u64, u64);

fn place(path: &str, file: &str, line: u64, col: u64, end_line: u64, end_col: u64) -> Place {
    (
        path.to_string(),
        file.to_string(),
        line,
        col,
        end_line,
        end_col,
    )
}

fn places(json: &Value) -> Vec<Place> {
    json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let n = |k: &str| d[k].as_u64().unwrap_or_else(|| panic!("{k} in {d}"));
            (
                d["path"].as_str().unwrap_or_default().to_string(),
                d["file"].as_str().unwrap_or_default().to_string(),
                n("line"),
                n("column"),
                n("endLine"),
                n("endColumn"),
            )
        })
        .collect()
}

/// The `"anchor"` of the diagnostic for `path`: (file, line, column, end line, end column).
fn anchor(json: &Value, path: &str) -> Option<(String, u64, u64, u64, u64)> {
    let d = json["diagnostics"]
        .as_array()?
        .iter()
        .find(|d| d["path"] == path)?;
    let a = d.get("anchor")?;
    Some((
        a["file"].as_str()?.to_string(),
        a["line"].as_u64()?,
        a["column"].as_u64()?,
        a["endLine"].as_u64()?,
        a["endColumn"].as_u64()?,
    ))
}

/// Runs one case in text and JSON, asserts the exit code and the exact places, and snapshots
/// both outputs. Returns the JSON report for further checks.
fn check(name: &str, args: &[&str], expected: &[Place]) -> Value {
    let text = run(args);
    assert_eq!(
        text.code, 1,
        "{name}: exit code\n{}{}",
        text.stdout, text.stderr
    );
    assert_eq!(text.stderr, "", "{name}: nothing on stderr");
    let json_run = run(&[args, &["-o", "json"]].concat());
    assert_eq!(json_run.code, 1, "{name}: exit code with -o json");
    let json: Value = serde_json::from_str(&json_run.stdout).expect("JSON report");
    let mut got = places(&json);
    got.sort();
    let mut want = expected.to_vec();
    want.sort();
    assert_eq!(got, want, "{name}: reported places\n{}", text.stdout);
    // The text lines start with the same `file:line:col`.
    for (path, file, line, col, ..) in expected {
        let prefix = format!("{file}:{line}:{col}: error[");
        assert!(
            text.stdout
                .lines()
                .any(|l| l.starts_with(&prefix) && l.contains(&format!("{path}: "))),
            "{name}: no line starting with {prefix} for {path}:\n{}",
            text.stdout
        );
    }
    insta::assert_snapshot!(format!("{name}_text"), text.stdout);
    insta::assert_snapshot!(format!("{name}_json"), json_run.stdout);
    json
}

#[test]
fn the_fixture_values_are_valid() {
    let out = run(&["values/valid.yaml"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout,
        "ok: values are valid for chart positions (1 values file(s), 1 chart(s) checked, 0 disabled)\n"
    );
}

/// `svc: *def` and `<<: *def` copy `port: "8080"` from line 2: each use is reported at its
/// alias (4:6 and 6:7), with the anchored text (2:9–2:15) as `anchor`. A scalar alias
/// (`replicas: *n`) likewise; the anchored scalar itself is reported where it is written,
/// after its `&n` (8:11, not 8:8).
#[test]
fn an_alias_is_reported_where_it_is_used_with_the_anchor() {
    let file = "values/alias.yaml";
    let json = check(
        "alias",
        &[file],
        &[
            place("svc.port", file, 4, 6, 4, 10),
            place("web.port", file, 6, 7, 6, 11),
            place("after", file, 8, 11, 8, 14),
            place("replicas", file, 9, 11, 9, 13),
        ],
    );
    let written = Some((file.to_string(), 2, 9, 2, 15));
    assert_eq!(anchor(&json, "svc.port"), written);
    assert_eq!(anchor(&json, "web.port"), written);
    assert_eq!(
        anchor(&json, "replicas"),
        Some((file.to_string(), 8, 11, 8, 14))
    );
    assert_eq!(anchor(&json, "after"), None, "not reached through an alias");
    // The hint reads the anchored text, not the alias.
    let text = run(&[file]).stdout;
    assert!(
        text.contains(
            "values/alias.yaml:4:6: error[type]: svc.port: expected integer, found string \"8080\"\n  = written at: values/alias.yaml:2:9 (the anchor this alias copies)\n  = hint: remove the quotes: 8080 without quotes is a number\n"
        ),
        "{text}"
    );
}

/// `config: {a: 1, b: [x, 7, "z"]}`: the 7 is at column 23; `port: [80]` at column 22.
#[test]
fn flow_style_points_at_the_inner_element() {
    let file = "values/flow.yaml";
    check(
        "flow",
        &[file],
        &[
            place("config.b[1]", file, 1, 23, 1, 24),
            place("svc.port", file, 2, 22, 2, 26),
        ],
    );
}

/// A block scalar is reported at its `|` or `>` (on the key's line), a plain multi-line scalar
/// at its first character; keys after them do not drift.
#[test]
fn multi_line_scalars_and_the_keys_after_them() {
    let file = "values/multiline.yaml";
    check(
        "multiline",
        &[file],
        &[
            // `script: |` — the literal runs over lines 2–3, its span ends at the start of line 4.
            place("script", file, 1, 9, 4, 1),
            place("replicas", file, 4, 11, 4, 16),
            // `notes: >` — folded, with its trailing blank line (kept by the scalar's clipping).
            place("notes", file, 5, 8, 9, 1),
            // `command: plain text` — three lines, ends after `over lines`.
            place("command", file, 9, 10, 11, 13),
            place("after", file, 12, 8, 12, 11),
        ],
    );
}

/// Escapes count as the characters written, not the characters meant; a quoted scalar ends
/// at its closing quote even when blanks and a comment follow.
#[test]
fn quoted_scalars_with_escapes() {
    let file = "values/quoted.yaml";
    check(
        "quoted",
        &[file],
        &[
            // `"tab\there \u00e9 \"quoted\""` is 29 characters: columns 7 to 35.
            place("name", file, 1, 7, 1, 36),
            // after `{host: "a\"b\\", ` — `'it''s'` is 7 characters.
            place("svc.port", file, 2, 29, 2, 36),
            place("after", file, 3, 8, 3, 15),
        ],
    );
}

/// Columns count characters (as rustc does): `"日本語"` is 5 columns (15 bytes), `🚀` one
/// (4 bytes, 2 UTF-16 units).
#[test]
fn columns_count_characters_not_bytes() {
    let file = "values/utf8.yaml";
    check(
        "utf8",
        &[file],
        &[
            place("labels.team", file, 1, 29, 1, 30),
            place("svc.port", file, 2, 27, 2, 30),
            place("after", file, 3, 8, 3, 17),
        ],
    );
}

/// The later `-f` file sets the bad `after`; its valid `replicas` and `svc.port` override the
/// earlier file's bad ones, which must not be reported.
#[test]
fn a_later_file_overrides_an_earlier_one() {
    let later = "values/override-later.yaml";
    check(
        "override",
        &["values/override-base.yaml", "-f", later],
        &[place("after", later, 2, 8, 2, 13)],
    );
    let text = run(&["values/override-base.yaml", "-f", later]).stdout;
    assert!(!text.contains("override-base.yaml"), "{text}");
    // The other way round, the base file's values win and are reported there.
    let base = run(&[later, "-f", "values/override-base.yaml", "-o", "json"]);
    let mut got = places(&serde_json::from_str(&base.stdout).unwrap());
    got.sort();
    let base_file = "values/override-base.yaml";
    assert_eq!(
        got,
        vec![
            place("replicas", base_file, 1, 11, 1, 16),
            place("svc.port", base_file, 4, 9, 4, 13),
        ]
    );
}

/// A `--set` error points into its argument (column in the argument, line 1); two arguments of
/// the same flag are told apart by `set by` / `layer`.
#[test]
fn a_set_error_points_into_the_argument() {
    let json = check(
        "set",
        &[
            "values/valid.yaml",
            "--set",
            "replicas=3,after=ten",
            "--set-string",
            "svc.port=4",
        ],
        &[
            // `replicas=3,after=ten`: `ten` starts at character 18.
            place("after", "--set", 1, 18, 1, 21),
            place("svc.port", "--set-string", 1, 10, 1, 11),
        ],
    );
    let layers: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["layer"].as_str().unwrap())
        .collect();
    // Only the pair that set the value: a sibling pair may hold a secret (issue 17 item 6).
    assert!(layers.contains(&"--set after=ten"), "{layers:?}");
    assert!(layers.contains(&"--set-string svc.port=4"), "{layers:?}");
}

/// A `--set` value overriding a bad value of a file: nothing to report.
#[test]
fn a_set_value_overrides_a_bad_file_value() {
    let out = run(&[
        "values/override-base.yaml",
        "--set",
        "replicas=2,svc.port=1",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// A `null` that deletes a required key's default is the place of the `required` error, at the
/// top level as one level down (the top-level one had no `file:line:col`).
#[test]
fn a_required_key_deleted_by_null_points_at_the_null() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_files(
        tmp.path(),
        &[
            (
                "chart/Chart.yaml",
                "apiVersion: v2\nname: r\nversion: 1.0.0\n",
            ),
            ("chart/values.yaml", "image: x\nsub:\n  name: y\n"),
            (
                "chart/values.schema.json",
                r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["image", "sub"],
                   "properties": {"image": {"type": "string"}, "sub": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}"#,
            ),
            ("v.yaml", "image: null\nsub:\n  name: null\n"),
        ],
    );
    let out = common::Run::of(
        common::stackcheck()
            .current_dir(tmp.path())
            .args(["validate", "--chart", "chart", "v.yaml"]),
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("v.yaml:1:8: error[required]: missing required key `image`\n  = hint: this `null` deleted the chart's default for `image`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("v.yaml:3:9: error[required]: sub: missing required key `name`"),
        "{}",
        out.stdout
    );
}
