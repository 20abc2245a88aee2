//! CLI tier: no secret value is ever printed. A diagnostic about one `--set` pair echoes that
//! pair only (never a sibling secret of the same argument), and a value under a key that looks
//! secret (password, token, API key…) is not shown in any output format, not even when it is
//! the invalid value being reported.

mod common;

use common::{Run, stackcheck, write_files};

const SCHEMA: &str = r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
  "properties": {
    "replicaCount": {"type": "integer"},
    "auth": {"type": "object", "additionalProperties": false, "properties": {
      "password": {"type": "string", "minLength": 12},
      "apiToken": {"type": "string", "pattern": "^sk-"}}}}}"#;

fn chart() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        tmp.path(),
        &[
            (
                "chart/Chart.yaml",
                "apiVersion: v2\nname: s\nversion: 1.0.0\n",
            ),
            (
                "chart/values.yaml",
                "replicaCount: 1\nauth:\n  password: \"\"\n  apiToken: \"\"\n",
            ),
            ("chart/values.schema.json", SCHEMA),
            (
                "bad.yaml",
                "auth:\n  password: 12345\n  apiToken: tok-LEAKED\n",
            ),
        ],
    );
    tmp
}

fn validate(dir: &std::path::Path, args: &[&str], format: &str) -> Run {
    Run::of(
        stackcheck()
            .current_dir(dir)
            .args(["validate", "--chart", "chart", "-o", format])
            .args(args),
    )
}

#[test]
fn a_set_diagnostic_echoes_only_its_pair_and_no_sibling_secret() {
    let tmp = chart();
    let args = ["--set", "auth.password=S3CRET-S3CRET,replicaCount=abc"];
    for format in ["text", "json", "sarif", "github"] {
        let out = validate(tmp.path(), &args, format);
        assert_eq!(out.code, 1, "{format}: {}{}", out.stdout, out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            !all.contains("S3CRET"),
            "{format} prints the secret:\n{all}"
        );
        assert!(all.contains("replicaCount"), "{format}:\n{all}");
    }
    let text = validate(tmp.path(), &args, "text");
    assert!(
        text.stdout.contains("  = set by: --set replicaCount=abc\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_invalid_value_under_a_secret_key_is_reported_without_its_value() {
    let tmp = chart();
    for (args, secrets) in [
        (&["bad.yaml"][..], &["12345", "LEAKED"][..]),
        (&["--set", "auth.password=hunter2"], &["hunter2"]),
        (
            &["--set-json", r#"auth={"apiToken":"tok-JSONLEAK"}"#],
            &["JSONLEAK"],
        ),
    ] {
        for format in ["text", "json", "sarif", "github"] {
            let out = validate(tmp.path(), args, format);
            assert_eq!(
                out.code, 1,
                "{args:?} {format}: {}{}",
                out.stdout, out.stderr
            );
            let all = format!("{}{}", out.stdout, out.stderr);
            for secret in secrets {
                assert!(
                    !all.contains(secret),
                    "{args:?} {format} prints {secret}:\n{all}"
                );
            }
            assert!(
                all.contains("auth."),
                "{args:?} {format}: names the key\n{all}"
            );
        }
    }
    // The finding still says what is wrong, where.
    let text = validate(tmp.path(), &["bad.yaml"], "text");
    assert!(
        text.stdout.contains("bad.yaml:2:13: error[type]: auth.password: expected string, found a number (not shown: its key looks secret)"),
        "{}",
        text.stdout
    );
}
