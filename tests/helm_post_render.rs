//! `stackcheck post-render` as the post-renderer of a real Helm v3 (an executable) and Helm v4
//! (the `plugins/stackcheck-post-render` plugin), on the bundled gpu-lab snapshot: Helm passes a
//! release that fits and stops on one that does not, with the scheduler's reasons. Needs
//! `HELM_V3` and `HELM_V4`; `cli_post_render.rs` has the command alone.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn cluster() -> String {
    common::repo_root()
        .join("tests/fixtures/clusters/gpu-lab.json")
        .display()
        .to_string()
}

/// A one-Deployment chart whose cpu request is a value.
fn tiny_chart(dir: &Path) -> PathBuf {
    common::write_files(
        &dir.join("tiny"),
        &[
            ("Chart.yaml", "apiVersion: v2\nname: tiny\nversion: 0.1.0\n"),
            ("values.yaml", "replicas: 2\ncpu: 100m\n"),
            (
                "templates/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  replicas: {{ .Values.replicas }}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27.3\n        resources: {requests: {cpu: {{ .Values.cpu | quote }}, memory: 64Mi}, limits: {memory: 64Mi}}\n",
            ),
        ],
    )
}

/// `helm`, isolated in `home`, with the post-renderer told where stackcheck is.
fn helm(helm: &common::Helm, home: &Path) -> Command {
    let mut cmd = helm.isolated(home);
    cmd.env("STACKCHECK_POST_RENDER_NO_TTY", "1").env(
        "STACKCHECK_BINARY",
        Path::new(env!("CARGO_BIN_EXE_stackcheck")),
    );
    cmd
}

/// `helm plugin install` of a copy of `plugins/stackcheck-post-render` (Helm v4).
fn install_post_render_plugin(h: &common::Helm, home: &Path) {
    let plugin = home.join("stackcheck-post-render");
    common::copy_dir(
        &common::repo_root().join("plugins/stackcheck-post-render"),
        &plugin,
    );
    let out = helm(h, home)
        .args(["plugin", "install"])
        .arg(&plugin)
        .output()
        .expect("helm plugin install");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn helm_refuses_a_release_that_does_not_fit_through_the_post_renderer() {
    let Some(helms) = common::helms() else {
        return;
    };
    let stackcheck = Path::new(env!("CARGO_BIN_EXE_stackcheck"));
    for h in helms {
        let dir = tempfile::tempdir().expect("tempdir");
        let chart = tiny_chart(dir.path());
        let report = dir.path().join("report.txt");
        // Helm v3 runs an executable; Helm v4 runs a postrenderer/v1 plugin.
        let renderer: Vec<String> = if h.label == "v3" {
            vec![
                "--post-renderer".into(),
                stackcheck.display().to_string(),
                "--post-renderer-args".into(),
                "post-render".into(),
            ]
        } else {
            install_post_render_plugin(&h, dir.path());
            vec!["--post-renderer".into(), "stackcheck-post-render".into()]
        };
        let template = |cpu: &str| {
            helm(&h, dir.path())
                .args(["template", "llm"])
                .arg(&chart)
                .args(["--set", &format!("cpu={cpu}")])
                .args(&renderer)
                .arg(format!("--post-renderer-args=--cluster={}", cluster()))
                .arg(format!(
                    "--post-renderer-args=--report-file={}",
                    report.display()
                ))
                .output()
                .expect("helm template")
        };
        let ok = template("100m");
        assert!(
            ok.status.success(),
            "helm {}: {}",
            h.label,
            String::from_utf8_lossy(&ok.stderr)
        );
        let manifests = String::from_utf8_lossy(&ok.stdout);
        assert!(
            manifests.contains("name: llm-web"),
            "helm {}: {manifests}",
            h.label
        );
        // 60 cores: no untainted schedulable worker has them.
        let refused = template("60");
        assert!(!refused.status.success(), "helm {} installed it", h.label);
        assert!(
            refused.stdout.is_empty()
                || !String::from_utf8_lossy(&refused.stdout).contains("kind: Deployment")
        );
        let reasons = std::fs::read_to_string(&report).expect("report file");
        assert!(
            reasons.contains("llm-web-0  unschedulable: 0/6 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient cpu."),
            "helm {}: {reasons}",
            h.label
        );
        if h.label == "v3" {
            // Helm v3 shows the post-renderer's stderr in its error.
            assert!(
                String::from_utf8_lossy(&refused.stderr).contains("3 Insufficient cpu"),
                "{}",
                String::from_utf8_lossy(&refused.stderr)
            );
        }
    }
}

/// Copies the `stackcheck` CLI plugin (plugin.yaml and scripts/) to `<dir>/src`: Helm names the
/// installed plugin's directory after it (`$HELM_PLUGINS/src`), not after the plugin.
fn stage_cli_plugin_as_src(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("scripts")).expect("mkdir");
    let root = common::repo_root();
    std::fs::copy(root.join("plugin.yaml"), src.join("plugin.yaml")).expect("copy plugin.yaml");
    for entry in std::fs::read_dir(root.join("scripts")).expect("scripts") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), src.join("scripts").join(entry.file_name())).expect("copy");
        }
    }
    src
}

/// Regression (issue 17, items 14 and 15): with no terminal (`setsid`: no controlling tty, as in
/// every CI job) the Helm v4 post-renderer plugin exited before running stackcheck, and it
/// found the binary only under `$HELM_PLUGINS/stackcheck`. Here the CLI plugin is installed
/// from a directory named `src` and no `STACKCHECK_BINARY` tells the post-renderer where the
/// binary is; under both Helms the gate still passes what fits and refuses what does not.
#[test]
fn the_post_renderer_gate_works_without_a_terminal_and_finds_the_plugin_by_name() {
    let Some(helms) = common::helms() else {
        return;
    };
    for h in helms {
        let dir = tempfile::tempdir().expect("tempdir");
        let chart = tiny_chart(dir.path());
        let report = dir.path().join("report.txt");
        // No controlling terminal, and nothing that tells the scripts where stackcheck is.
        let no_tty = |args: &[&std::ffi::OsStr]| {
            let inner = helm(&h, dir.path());
            let mut cmd = std::process::Command::new("setsid");
            cmd.arg("--wait").arg(inner.get_program()).args(args);
            for (key, value) in inner.get_envs() {
                match value {
                    Some(v) => cmd.env(key, v),
                    None => cmd.env_remove(key),
                };
            }
            cmd.env_remove("STACKCHECK_POST_RENDER_NO_TTY")
                .env_remove("STACKCHECK_BINARY")
                .env("PATH", "/usr/bin:/bin")
                .stdin(std::process::Stdio::null());
            cmd.output().expect("setsid helm")
        };
        let installed = helm(&h, dir.path())
            .args(["plugin", "install"])
            .arg(stage_cli_plugin_as_src(dir.path()))
            .output()
            .expect("helm plugin install");
        assert!(
            installed.status.success(),
            "helm {}: {}",
            h.label,
            String::from_utf8_lossy(&installed.stderr)
        );
        let plugins = dir.path().join("data/plugins");
        let binary = plugins.join("src/bin/stackcheck");
        assert!(
            binary.is_file(),
            "helm {}: no {}",
            h.label,
            binary.display()
        );
        let renderer: Vec<std::ffi::OsString> = if h.label == "v3" {
            vec!["--post-renderer".into(), binary.into_os_string()]
        } else {
            install_post_render_plugin(&h, dir.path());
            vec!["--post-renderer".into(), "stackcheck-post-render".into()]
        };
        let template = |cpu: &str| {
            let mut args: Vec<std::ffi::OsString> = vec!["template".into(), "llm".into()];
            args.push(chart.clone().into_os_string());
            args.push("--set".into());
            args.push(format!("cpu={cpu}").into());
            args.extend(renderer.iter().cloned());
            if h.label == "v3" {
                args.push("--post-renderer-args=post-render".into());
            }
            args.push(format!("--post-renderer-args=--cluster={}", cluster()).into());
            args.push(format!("--post-renderer-args=--report-file={}", report.display()).into());
            let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            no_tty(&refs)
        };
        let ok = template("100m");
        assert!(
            ok.status.success(),
            "helm {}: {}",
            h.label,
            String::from_utf8_lossy(&ok.stderr)
        );
        assert!(String::from_utf8_lossy(&ok.stdout).contains("name: llm-web"));
        let refused = template("60");
        assert!(!refused.status.success(), "helm {} rendered it", h.label);
        let reasons = std::fs::read_to_string(&report).expect("report file");
        assert!(
            reasons.contains("3 Insufficient cpu"),
            "helm {}: {reasons}",
            h.label
        );
    }
}
