//! `stackcheck post-render` alone, on the bundled gpu-lab snapshot: a release that fits passes
//! through byte for byte; one that does not is refused with the scheduler's reasons.
//! `helm_post_render.rs` runs it as the post-renderer of a real Helm v3 and v4.

mod common;

use std::process::Output;

const CLUSTER: &str = "tests/fixtures/clusters/gpu-lab.json";

use common::stackcheck;

fn post_render(stdin: impl Into<Vec<u8>>, args: &[&str]) -> Output {
    stackcheck()
        .current_dir(common::repo_root())
        .args(["post-render", "--cluster", CLUSTER])
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("run stackcheck post-render")
}

/// Two small web pods: fit on any CPU worker. Odd spacing, comments and CRLF line ends, so a
/// re-serialisation would show.
const FITS: &str = "# Source: app/templates/web.yaml\r\napiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name:   web   # spaced\r\nspec:\r\n  replicas: 2\r\n  template:\r\n    metadata: {labels: {app: web}}\r\n    spec:\r\n      containers:\r\n      - name: web\r\n        image: nginx:1.27.3\r\n        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 64Mi}}\r\n---\r\n# a trailing comment document\r\n";

#[test]
fn a_release_that_fits_passes_through_byte_for_byte() {
    let out = post_render(FITS, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, FITS.as_bytes());
    assert!(String::from_utf8_lossy(&out.stderr).contains("preflight verdict fits: 2 pod(s)"));
}

#[test]
fn a_release_that_does_not_fit_is_refused_with_the_reasons_on_stderr() {
    let release =
        std::fs::read(common::repo_root().join("tests/fixtures/preflight/gpu-lab-release.yaml"))
            .expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.txt");
    let out = post_render(release, &["--report-file", report.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing for Helm to install");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("huge-0               unschedulable: 0/6 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient cpu."),
        "{stderr}"
    );
    assert!(stderr.contains("refusing the release: preflight verdict does-not-fit"));
    let written = std::fs::read_to_string(&report).expect("report file");
    assert!(
        written.contains("verdict: does-not-fit — 7 of 10 pod(s) placed"),
        "{written}"
    );
}

/// Helm tells a post-renderer nothing about the release: the report takes its name from the
/// objects' `app.kubernetes.io/instance` label (it said "release-name"), or from `--release`.
#[test]
fn the_report_names_the_release_from_the_instance_label() {
    let labelled = FITS.replace(
        "metadata:\r\n  name:   web   # spaced",
        "metadata:\r\n  name:   web   # spaced\r\n  labels: {app.kubernetes.io/instance: prod-llm}",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.txt");
    let path = report.to_str().expect("utf-8");
    for (args, name) in [
        (&["--report-file", path][..], "prod-llm"),
        (&["--report-file", path, "--release", "given"], "given"),
    ] {
        let out = post_render(labelled.clone(), args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let written = std::fs::read_to_string(&report).expect("report file");
        assert!(
            written.starts_with(&format!("Preflight of release {name} (")),
            "{written}"
        );
    }
    post_render(FITS, &["--report-file", path]);
    let written = std::fs::read_to_string(&report).expect("report file");
    assert!(
        written.starts_with("Preflight of release (unnamed: pass --release) ("),
        "{written}"
    );
}

#[test]
fn an_unreadable_part_of_the_cluster_refuses_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let quota = dir.path().join("quota.yaml");
    // A quota without status.used: its usage is unknown, so the verdict is too.
    std::fs::write(
        &quota,
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: default}\nspec: {hard: {pods: '10'}}\n",
    )
    .expect("write");
    let quota = quota.to_str().expect("utf-8");
    let out = post_render(FITS, &["--cluster", quota]);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --allow-unknown"));
    let out = post_render(FITS, &["--cluster", quota, "--allow-unknown"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, FITS.as_bytes());
}

#[test]
fn bad_input_exits_2() {
    let out = post_render(b"kind: Pod\nname: \xff\n".to_vec(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8 (invalid byte at offset 16)"));
    let out = stackcheck()
        .args(["post-render", "--cluster", "does-not-exist.json"])
        .write_stdin(FITS)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
