//! `stackcheck docs` without Helm: bad input and the built-in template. `helm_docs.rs` renders
//! the READMEs with Helm v3 and v4.

mod common;

use common::{Run, copy_dir, fixtures, stackcheck};

/// Not a chart, a missing Helm: exit 2.
#[test]
fn bad_input_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Run::of(stackcheck().arg("docs").arg(tmp.path()));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not a Helm chart"), "{}", out.stderr);

    let chart = tmp.path().join("shop");
    copy_dir(&fixtures().join("docs/shop"), &chart);
    let out = Run::of(
        stackcheck()
            .env("HELM_BIN", "/nonexistent/helm")
            .arg("docs")
            .arg(&chart),
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("HELM_BIN"), "{}", out.stderr);
}

#[test]
fn print_template_shows_the_builtin_template() {
    let out = Run::of(stackcheck().args(["docs", "--print-template"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("{% block values -%}"), "{}", out.stdout);
    assert!(
        out.stdout.contains("stackcheck/README.md.tera"),
        "{}",
        out.stdout
    );
}
