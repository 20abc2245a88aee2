//! `helm stackcheck VALUES...` (= `stackcheck check`): values, resources and cluster in one run
//! on one rendering, with the worst step's exit code. Runs the chart through a real Helm (v3 and
//! v4) against the bundled gpu-lab snapshot.

mod common;

use std::process::Output;

const CLUSTER: &str = "tests/fixtures/clusters/gpu-lab.json";

fn check(helm: &common::Helm, args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let out: Output = helm
        .stackcheck(home.path())
        .current_dir(common::repo_root())
        .args(args)
        .output()
        .expect("run stackcheck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The positions of the three section headings, which must all be there, in order.
fn sections(stdout: &str) -> Vec<usize> {
    ["== Values ==", "== Resources ==", "== Cluster =="]
        .iter()
        .map(|h| {
            stdout
                .find(h)
                .unwrap_or_else(|| panic!("no {h} in:\n{stdout}"))
        })
        .collect()
}

#[test]
fn the_bare_command_validates_totals_and_preflights_in_one_run() {
    let Some(helms) = common::helms() else {
        return;
    };
    for h in &helms {
        let (code, stdout, stderr) = check(
            h,
            &["charts/llm-stack/values-gpu.yaml", "--cluster", CLUSTER],
        );
        let at = sections(&stdout);
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{}: order", h.label);
        assert!(
            stdout.contains("ok: values are valid for chart llm-stack"),
            "{}: {stdout}",
            h.label
        );
        // The GPU profile asks for 4 GPUs at steady state (see tests/helm_seed_tables.rs).
        assert!(stdout.contains("TOTAL "), "{}: {stdout}", h.label);
        // ...and the cluster has no A10 or A100-40GB: two model servers stay Pending.
        assert!(
            stdout.contains("verdict: does-not-fit — 4 of 6 pod(s) placed"),
            "{}: {stdout}\n{stderr}",
            h.label
        );
        assert!(stdout.contains(
            "no schedulable node has the labels it selects (nvidia.com/gpu.product In [NVIDIA-A10])"
        ));
        assert_eq!(code, 1, "{}: does not fit", h.label);
        // `check` is the same command by name.
        let (named, named_out, _) = check(
            h,
            &[
                "check",
                "charts/llm-stack/values-gpu.yaml",
                "--cluster",
                CLUSTER,
            ],
        );
        assert_eq!((named, named_out), (code, stdout), "{}", h.label);
    }
}

#[test]
fn invalid_values_stop_the_run_before_rendering() {
    let Some(helms) = common::helms() else {
        return;
    };
    for h in &helms {
        let (code, stdout, _) = check(
            h,
            &[
                "charts/llm-stack/values-gpu.yaml",
                "--set",
                "litellm.replicaCount=many",
                "--cluster",
                CLUSTER,
            ],
        );
        assert_eq!(code, 1, "{}", h.label);
        assert!(stdout.contains("== Values =="));
        assert!(
            stdout.contains("--set litellm.replicaCount=many"),
            "{}: {stdout}",
            h.label
        );
        assert!(
            !stdout.contains("== Resources =="),
            "{}: went on: {stdout}",
            h.label
        );
    }
}

#[test]
fn without_a_cluster_the_preflight_is_skipped_and_said_so() {
    let Some(helms) = common::helms() else {
        return;
    };
    for h in &helms {
        // No --cluster and a KUBECONFIG that does not exist: no cluster, and stderr says why.
        let (code, stdout, stderr) = check(h, &["charts/llm-stack/values-dev.yaml"]);
        sections(&stdout);
        assert!(
            stdout.contains("preflight skipped: no cluster"),
            "{}: {stdout}",
            h.label
        );
        assert!(
            stderr.contains("no --cluster given"),
            "{}: {stderr}",
            h.label
        );
        assert_eq!(code, 0, "{}: {stdout}", h.label);
    }
}

#[test]
fn version_flags_of_the_bare_form() {
    let out = common::stackcheck().arg("--version").output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("stackcheck {}", env!("CARGO_PKG_VERSION"))
    );
    // The chart version is `--chart-version` without a command, `--version` with one.
    let help = common::stackcheck().arg("--help").output().expect("run");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--chart-version <VERSION>"));
    let help = common::stackcheck()
        .args(["check", "--help"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--version <VERSION>"));
}
