//! CLI tier: input stackcheck cannot use. Each case must end quickly with exit code 2 and a
//! message that says what is wrong and where (`file:line:col` when there is a place), never a
//! panic, a hang or a stack overflow. In text the message goes to stderr and stdout stays
//! empty; with `-o json` the same diagnostic is in the report on stdout.
//!
//! Exit codes: 0 valid, 1 invalid values, 2 bad invocation or unreadable input.
//!
//! Fixtures: `tests/fixtures/cli/bad-input` (a chart without a schema, broken values files, and
//! broken charts under `charts/`); the 10 000-deep and non-UTF-8 files are written at run time.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Run;
use serde_json::Value;

fn fixtures() -> PathBuf {
    common::fixtures().join("cli/bad-input")
}

/// Runs `stackcheck ARGS` in `cwd`. The timeout is a guard against hangs (a hostile file must
/// not keep CI busy), not a timing assertion.
fn run_in(cwd: &Path, args: &[&str]) -> Run {
    Run::of(
        common::stackcheck()
            .current_dir(cwd)
            .args(args)
            .timeout(Duration::from_secs(120)),
    )
}

fn run(args: &[&str]) -> Run {
    run_in(&fixtures(), args)
}

/// Exit 2, the message on stderr (snapshot `name`) starting with `first_line`, nothing on
/// stdout; and with `-o json`, one error diagnostic with `code` (and the same place) on
/// stdout, nothing on stderr.
fn bad_input(name: &str, cwd: &Path, args: &[&str], first_line: &str, code: &str) {
    let text = run_in(cwd, args);
    assert_eq!(
        text.code, 2,
        "{name}: exit code\n{}{}",
        text.stdout, text.stderr
    );
    assert_eq!(
        text.stdout, "",
        "{name}: stdout must stay empty in text mode"
    );
    assert!(
        text.stderr.starts_with(first_line),
        "{name}: stderr should start with\n{first_line}\nbut is\n{}",
        text.stderr
    );
    assert!(
        text.stderr.contains("\n  = hint: "),
        "{name}: says what to do\n{}",
        text.stderr
    );
    for bad in ["panicked", "RUST_BACKTRACE", "stack overflow"] {
        assert!(!text.stderr.contains(bad), "{name}: {bad}\n{}", text.stderr);
    }
    insta::assert_snapshot!(name, text.stderr);

    let json = run_in(cwd, &[args, &["-o", "json"]].concat());
    assert_eq!(json.code, 2, "{name}: exit code with -o json");
    assert_eq!(json.stderr, "", "{name}: -o json keeps stderr empty");
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON report");
    assert_eq!(report["valid"], false);
    let diags = report["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{name}: {diags:?}");
    assert_eq!(diags[0]["severity"], "error");
    assert_eq!(diags[0]["code"], code, "{name}");
    // The text's `file:line:col` prefix, when there is one, is the JSON's place.
    if let Some(d) = diags.first().filter(|d| d.get("file").is_some()) {
        let place = format!(
            "{}:{}:{}: ",
            d["file"].as_str().unwrap(),
            d["line"],
            d["column"]
        );
        assert!(
            first_line.starts_with(&place),
            "{name}: {place} vs {first_line}"
        );
    }
}

#[test]
fn malformed_yaml_names_file_line_and_column() {
    // `replicas: [1, 2` is never closed; the parser notices at the `:` of line 2.
    bad_input(
        "malformed_yaml",
        &fixtures(),
        &["validate", "--chart", "chart", "malformed.yaml"],
        "malformed.yaml:2:5: error[yaml]: invalid YAML: ",
        "yaml",
    );
}

#[test]
fn duplicate_keys_name_both_places() {
    bad_input(
        "duplicate_keys",
        &fixtures(),
        &["validate", "--chart", "chart", "duplicate-keys.yaml"],
        "duplicate-keys.yaml:3:1: error[yaml]: duplicate key `replicas` (first written at line 1, column 1): Helm would silently keep only the last one\n",
        "yaml",
    );
}

#[test]
fn a_values_file_that_is_not_a_map() {
    bad_input(
        "not_a_map",
        &fixtures(),
        &["validate", "--chart", "chart", "not-a-map.yaml"],
        "not-a-map.yaml:1:1: error[yaml]: the top level of a values file must be a map of keys, found a list\n",
        "yaml",
    );
}

/// "Billion laughs": 10 anchors, each 9 aliases of the previous one (9^9 leaves). Stops at
/// the first alias that takes the expansion past the node limit: `*a5` on line 7.
#[test]
fn an_alias_bomb_is_refused() {
    bad_input(
        "alias_bomb",
        &fixtures(),
        &["validate", "--chart", "chart", "alias-bomb.yaml"],
        "alias-bomb.yaml:7:10: error[yaml]: aliases expand to more than 1000000 nodes (an alias bomb?)\n",
        "yaml",
    );
}

/// 10 000 levels of flow sequences, flow maps and compact block sequences: refused at the
/// nesting limit (256 levels; the parser's own limit stops flow collections one level
/// earlier), without a stack overflow.
#[test]
fn deep_nesting_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = fixtures().join("chart");
    let chart = chart.to_str().unwrap();
    let depth = 10_000;
    let cases = [
        (
            "deep-flow-sequences.yaml",
            format!("a: {}1{}\n", "[".repeat(depth), "]".repeat(depth)),
            // The 256th `[` is at column 3 + 256.
            "deep-flow-sequences.yaml:1:259: error[yaml]: nesting deeper than 256 levels\n",
        ),
        (
            "deep-flow-maps.yaml",
            format!("a: {}1{}\n", "{a: ".repeat(depth), "}".repeat(depth)),
            // The 256th `{a: ` starts at column 3 + 255 × 4 + 1.
            "deep-flow-maps.yaml:1:1024: error[yaml]: nesting deeper than 256 levels\n",
        ),
        (
            "deep-block-sequences.yaml",
            format!("a:\n  {}1\n", "- ".repeat(depth)),
            // The 257th `- ` starts at column 3 + 256 × 2.
            "deep-block-sequences.yaml:2:515: error[yaml]: nesting deeper than 256 levels\n",
        ),
    ];
    for (file, text, first_line) in cases {
        std::fs::write(tmp.path().join(file), text).unwrap();
        bad_input(
            &format!("deep_{}", file.trim_end_matches(".yaml").replace('-', "_")),
            tmp.path(),
            &["validate", "--chart", chart, file],
            first_line,
            "yaml",
        );
    }
}

/// A Latin-1 `é` (byte 0xE9) in `name: café`: the place of the byte, and what to do.
#[test]
fn a_values_file_that_is_not_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("latin1.yaml"),
        b"replicas: 1\nname: caf\xe9\n",
    )
    .unwrap();
    let chart = fixtures().join("chart");
    bad_input(
        "not_utf8",
        tmp.path(),
        &[
            "validate",
            "--chart",
            chart.to_str().unwrap(),
            "latin1.yaml",
        ],
        "latin1.yaml:2:10: error[input]: not UTF-8 text: invalid byte 0xE9\n",
        "input",
    );
}

#[test]
fn a_missing_values_file() {
    bad_input(
        "missing_values_file",
        &fixtures(),
        &["validate", "--chart", "chart", "-f", "no-such-values.yaml"],
        "error[input]: cannot read no-such-values.yaml: no such file\n",
        "input",
    );
}

#[test]
fn a_missing_chart_directory() {
    bad_input(
        "missing_chart",
        &fixtures(),
        &["validate", "--chart", "no-such-chart", "valid.yaml"],
        "error[chart]: cannot read no-such-chart: no such chart directory or archive\n",
        "chart",
    );
}

/// Without --chart, the chart is the one holding the first values file, else `.`: when neither
/// is a chart, say so instead of "`.`: not a Helm chart".
#[test]
fn no_chart_found_for_the_values() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("values.yaml"), "replicas: 1\n").unwrap();
    if tmp
        .path()
        .ancestors()
        .any(|d| d.join("Chart.yaml").is_file())
    {
        common::skip_unless_ci("the temporary directory is inside a chart");
        return;
    }
    bad_input(
        "no_chart_found",
        tmp.path(),
        &["validate", "values.yaml"],
        "error[chart]: no chart to validate against: values.yaml is not inside a chart directory (one with Chart.yaml), and neither is the current directory\n",
        "chart",
    );
}

#[test]
fn a_chart_yaml_that_is_a_list() {
    bad_input(
        "chart_yaml_list",
        &fixtures(),
        &["validate", "--chart", "charts/list", "valid.yaml"],
        "error[chart]: charts/list/Chart.yaml: not a Helm chart: Chart.yaml must be a map of chart metadata, found a list\n",
        "chart",
    );
}

#[test]
fn a_chart_yaml_without_name_or_version() {
    bad_input(
        "chart_yaml_no_name",
        &fixtures(),
        &["validate", "--chart", "charts/no-name", "valid.yaml"],
        "error[chart]: charts/no-name/Chart.yaml: not a Helm chart: `name` is missing or not a string\n",
        "chart",
    );
    bad_input(
        "chart_yaml_no_version",
        &fixtures(),
        &["validate", "--chart", "charts/no-version", "valid.yaml"],
        "error[chart]: charts/no-version/Chart.yaml: not a Helm chart: `version` is missing or not a string\n",
        "chart",
    );
}

#[test]
fn a_chart_yaml_with_a_syntax_error() {
    bad_input(
        "chart_yaml_malformed",
        &fixtures(),
        &["validate", "--chart", "charts/bad-yaml", "valid.yaml"],
        "charts/bad-yaml/Chart.yaml:3:8: error[yaml]: invalid YAML: ",
        "yaml",
    );
}

/// `stackcheck schema` reports a broken chart the same way (exit 2, stderr, a hint).
#[test]
fn schema_reports_a_broken_chart_too() {
    for (chart, first_line) in [
        (
            "charts/list",
            "error[chart]: charts/list/Chart.yaml: not a Helm chart: Chart.yaml must be a map of chart metadata, found a list\n  = hint: ",
        ),
        (
            "no-such-chart",
            "error[chart]: cannot read no-such-chart: no such chart directory or archive\n  = hint: ",
        ),
        (
            "charts/bad-yaml",
            "charts/bad-yaml/Chart.yaml:3:8: error[yaml]: invalid YAML: ",
        ),
    ] {
        let out = run(&["schema", chart]);
        assert_eq!(out.code, 2, "{chart}: {}{}", out.stdout, out.stderr);
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.starts_with(first_line),
            "{chart}:\n{}",
            out.stderr
        );
    }
}

/// The exit-code contract, one case each.
#[test]
fn exit_codes() {
    let valid = run(&["validate", "--chart", "chart", "valid.yaml"]);
    assert_eq!(valid.code, 0, "{}{}", valid.stdout, valid.stderr);
    assert!(
        valid
            .stdout
            .contains("ok: values are valid for chart bad-input")
    );

    let invalid = run(&["validate", "--chart", "chart", "invalid.yaml"]);
    assert_eq!(invalid.code, 1, "{}{}", invalid.stdout, invalid.stderr);
    assert!(
        invalid.stdout.contains(
            "invalid.yaml:1:11: error[type]: replicas: expected integer, found string \"many\""
        ),
        "{}",
        invalid.stdout
    );
    assert_eq!(invalid.stderr, "");

    // The bare form is `check` (DESIGN §3): invalid values stop it with exit 1 before anything
    // is rendered (valid values go on to `helm template`: tests/helm_check.rs).
    let bare = run(&["--chart", "chart", "invalid.yaml", "--cluster", "none"]);
    assert_eq!(bare.code, 1, "{}{}", bare.stdout, bare.stderr);
    assert!(bare.stdout.contains("== Values =="), "{}", bare.stdout);
    assert!(!bare.stdout.contains("== Resources =="), "{}", bare.stdout);

    for args in [
        &["validate", "--no-such-flag"][..],
        &["validate", "--chart", "chart", "valid.yaml", "-o", "yaml"],
        &["schema", "--write", "--check", "chart"],
        &["no-such-command-or-file.yaml", "--chart", "chart"],
    ] {
        let out = run(args);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("error"), "{args:?}: {}", out.stderr);
    }

    for args in [&["--help"][..], &["validate", "--help"], &["--version"]] {
        let out = run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(!out.stdout.is_empty());
    }
}

/// `--set` syntax errors point into the argument and get a hint that fits the flag.
#[test]
fn set_syntax_errors() {
    for (args, first_line) in [
        (
            &["--set", "replicas"][..],
            "--set:1:1: error[set]: key \"replicas\" has no value\n  = set by: --set replicas\n  = hint: the syntax is key=value",
        ),
        (
            &["--set-file", "name=no-such-file.txt"],
            "--set-file:1:6: error[set]: cannot read file \"no-such-file.txt\": no such file\n  = set by: --set-file name=no-such-file.txt\n  = hint: the part after `=` is a path",
        ),
        (
            &["--set-json", "replicas={x"],
            "--set-json:1:10: error[set]: invalid JSON value: ",
        ),
    ] {
        let out = run(&[&["validate", "--chart", "chart", "valid.yaml"], args].concat());
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.starts_with(first_line),
            "{args:?}: expected\n{first_line}\ngot\n{}",
            out.stderr
        );
    }
}

/// A missing repository directory is said at once, before the gates (schema, README, `helm
/// lint`) that take seconds: no Helm is even started (a Helm that does not exist is never
/// noticed).
#[test]
fn publish_to_a_missing_directory_fails_before_any_gate() {
    let chart = common::repo_root().join("charts/llm-stack");
    let out = Run::of(
        common::stackcheck()
            .env("HELM_BIN", "/nonexistent/helm")
            .args([
                "publish",
                chart.to_str().unwrap(),
                "--repo",
                "/nonexistent/charts-repo",
            ])
            .timeout(Duration::from_secs(60)),
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("repository /nonexistent/charts-repo: no such directory (create it first"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("nonexistent/helm"), "{}", out.stderr);
}

/// Helm's argument order where stackcheck's differs: a chart as a positional (`helm template
/// CHART -f VALUES`) and a release name first (`helm install NAME CHART`) are said in our terms,
/// before Helm would print "open llm: no such file" or "read charts/x: is a directory".
#[test]
fn helm_style_arguments_say_what_to_type() {
    let root = common::repo_root();
    for (args, hints) in [
        (
            &["totals", "llm", "charts/llm-stack"][..],
            &[
                "give the chart with --chart charts/llm-stack",
                "`llm` looks like a release name, as `helm install NAME CHART` takes it: give it with --release llm",
            ][..],
        ),
        (
            &[
                "totals",
                "charts/llm-stack",
                "-f",
                "charts/llm-stack/values-dev.yaml",
            ],
            &["give the chart with --chart charts/llm-stack"],
        ),
        (
            &["validate", "-f", "charts/llm-stack"],
            &["give the chart with --chart charts/llm-stack"],
        ),
        (
            &["preflight", "charts/llm-stack", "--cluster", "none"],
            &["--chart charts/llm-stack"],
        ),
        (&["charts/llm-stack"], &["--chart charts/llm-stack"]),
    ] {
        let out = run_in(&root, args);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr
                .starts_with("error: charts/llm-stack is a chart, not a values file\n"),
            "{args:?}: {}",
            out.stderr
        );
        for hint in hints {
            assert!(
                out.stderr.contains(hint),
                "{args:?}: {hint}\n{}",
                out.stderr
            );
        }
        assert!(
            !out.stderr.contains("no such file"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
