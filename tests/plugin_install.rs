//! The Helm plugin packaging, end to end, with a real Helm v3 and v4.
//!
//! Each test installs the plugin of this working tree (`plugin.yaml` + `scripts/`) with
//! `helm plugin install <dir>` into throwaway `HELM_DATA_HOME` / `HELM_CONFIG_HOME` /
//! `HELM_CACHE_HOME` directories and runs it through Helm. Helm installs a local directory as a
//! symlink and the install hook writes `bin/stackcheck` into it, so the tests install a copy of
//! the plugin files (never the working tree itself: the v3 and v4 tests run in parallel). The
//! hook gets its binary from `STACKCHECK_BINARY` (the test build of stackcheck, or a fake that
//! echoes what it received), so no release build happens here.
//!
//! The Helm binaries come from `HELM_V3` and `HELM_V4`, which `scripts/test.sh` sets:
//!
//! ```sh
//! eval "$(tools/tools.sh)"   # builds the pinned Helm v3 and v4 once, prints the exports
//! cargo test --test plugin_install
//! ```
//!
//! Without them the Helm tests are skipped, except under CI (`CI` set), where that is an error.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TIMEOUT: Duration = Duration::from_secs(120);

/// The Helm binary named by `var` (`HELM_V3` / `HELM_V4`), or `None` when the test is to be
/// skipped. Panics under CI, where a missing Helm must not turn into a silent pass.
fn helm_from_env(var: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "{var}={} does not exist; rebuild with `eval \"$(tools/tools.sh)\"`",
                path.display()
            );
            Some(path)
        }
        None => {
            let ci = std::env::var("CI").unwrap_or_default();
            if !ci.is_empty() && ci != "false" && ci != "0" {
                panic!(
                    "{var} is not set, and CI={ci}: the Helm plugin tests must run against both \
                     Helm versions in CI. Run `bash scripts/test.sh`, or `eval \"$(tools/tools.sh)\"` \
                     before `cargo test`."
                );
            }
            eprintln!(
                "SKIPPED: {var} is not set, so the Helm plugin test does not run. To run it:\n  \
                 eval \"$(tools/tools.sh)\" && cargo test --test plugin_install\n\
                 (or run everything with `bash scripts/test.sh`)"
            );
            None
        }
    }
}

/// A Helm binary with private, empty Helm directories and a copy of the plugin to install.
struct Helm {
    bin: PathBuf,
    tmp: TempDir,
}

impl Helm {
    fn new(var: &str, major: &'static str) -> Option<Self> {
        let bin = helm_from_env(var)?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!("stackcheck-plugin-{major}-"))
            .tempdir()
            .expect("temp dir");
        let helm = Helm { bin, tmp };
        // The right Helm behind the right variable.
        helm.cmd()
            .args(["version", "--short"])
            .assert()
            .success()
            .stdout(predicate::str::starts_with(format!("{major}.")));
        Some(helm)
    }

    /// `helm` with every Helm setting of the caller's environment removed and the Helm homes
    /// (and the kubeconfig) pointed into the temp dir.
    fn cmd(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("HELM_") {
                cmd.env_remove(key);
            }
        }
        let t = self.tmp.path();
        cmd.env("HELM_DATA_HOME", t.join("data"))
            .env("HELM_CONFIG_HOME", t.join("config"))
            .env("HELM_CACHE_HOME", t.join("cache"))
            .env("KUBECONFIG", t.join("kubeconfig-that-does-not-exist"))
            .env_remove("STACKCHECK_BINARY")
            .env("NO_COLOR", "1")
            .current_dir(t)
            .timeout(TIMEOUT);
        cmd
    }

    /// Copies the plugin's files from the working tree to `<tmp>/src/stackcheck` (Helm names
    /// the installed plugin directory after the source directory).
    fn stage_plugin(&self) -> PathBuf {
        let root = Path::new(MANIFEST_DIR);
        let dest = self.tmp.path().join("src").join("stackcheck");
        fs::create_dir_all(dest.join("scripts")).unwrap();
        fs::copy(root.join("plugin.yaml"), dest.join("plugin.yaml")).unwrap();
        for entry in fs::read_dir(root.join("scripts")).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                // fs::copy keeps the permission bits (the run script must stay executable).
                fs::copy(entry.path(), dest.join("scripts").join(entry.file_name())).unwrap();
            }
        }
        dest
    }

    fn installed_dir(&self) -> PathBuf {
        self.tmp
            .path()
            .join("data")
            .join("plugins")
            .join("stackcheck")
    }

    /// `helm plugin install` of a fresh copy of the plugin, with the install hook copying
    /// `binary`.
    fn install(&self, binary: &Path) {
        let src = self.stage_plugin();
        self.cmd()
            .args(["plugin", "install"])
            .arg(&src)
            .env("STACKCHECK_BINARY", binary)
            .assert()
            .success()
            .stdout(predicate::str::contains("Installed plugin: stackcheck"));
        let bin = self.installed_dir().join("bin").join("stackcheck");
        assert!(
            bin.is_file(),
            "the install hook did not create {}",
            bin.display()
        );
        self.cmd()
            .args(["plugin", "list"])
            .assert()
            .success()
            .stdout(
                predicate::str::is_match(format!(r"(?m)^stackcheck\s+{}\s", regex_escape(VERSION)))
                    .unwrap(),
            );
    }
}

fn regex_escape(s: &str) -> String {
    s.replace('.', r"\.").replace('+', r"\+")
}

/// A stand-in for the stackcheck binary that reports its arguments, a few environment
/// variables and its stdin, then exits with `$FAKE_EXIT`.
fn fake_binary(dir: &Path) -> PathBuf {
    let path = dir.join("fake-stackcheck");
    fs::write(
        &path,
        r#"#!/bin/sh
for a in "$@"; do printf 'ARG=[%s]\n' "$a"; done
for v in HELM_BIN HELM_PLUGIN_NAME HELM_PLUGIN_DIR HELM_NAMESPACE HELM_KUBECONTEXT HELM_DEBUG KUBECONFIG STACKCHECK_PASSTHROUGH; do
  eval "printf '%s=[%s]\n' $v \"\${$v-unset}\""
done
printf 'STDIN=[%s]\n' "$(cat)"
exit "${FAKE_EXIT:-0}"
"#,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

// --- the manifest, no Helm needed ---------------------------------------------------------

/// Top-level keys of plugin.yaml with their values (enough for this flat file).
fn manifest_keys() -> Vec<(String, String)> {
    let text = fs::read_to_string(Path::new(MANIFEST_DIR).join("plugin.yaml")).unwrap();
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with([' ', '\t', '#']))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

#[test]
fn plugin_yaml_is_legacy_format_with_the_crate_version() {
    let keys = manifest_keys();
    let get = |k: &str| {
        keys.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("name"), Some("stackcheck"));
    assert_eq!(
        get("version"),
        Some(VERSION),
        "plugin.yaml version must equal Cargo.toml's"
    );
    // Helm v3 reads plugin.yaml strictly and knows no apiVersion; Helm v4 rejects command together
    // with platformCommand (and hooks with platformHooks).
    for forbidden in ["apiVersion", "platformCommand", "platformHooks"] {
        assert_eq!(get(forbidden), None, "plugin.yaml must not set {forbidden}");
    }
    assert!(get("command").is_some() && get("hooks").is_some());
}

// --- Helm v3 and v4 -----------------------------------------------------------------------

/// Installs the plugin with the real stackcheck binary and runs it through Helm.
fn real_cli(helm: &Helm) {
    helm.install(Path::new(env!("CARGO_BIN_EXE_stackcheck")));

    helm.cmd()
        .args(["stackcheck", "--version"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("stackcheck {VERSION}")));

    helm.cmd()
        .args(["stackcheck", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Usage"));

    // Exit code 2 (unreadable input) must come through Helm unchanged.
    helm.cmd()
        .args(["stackcheck", "validate", "/nonexistent/values.yaml"])
        .assert()
        .code(2);

    // Helm's own help lists the plugin with its usage line.
    helm.cmd()
        .arg("help")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^\s+stackcheck\s+\S").unwrap());
}

/// Installs the plugin with a fake binary and checks what reaches it: arguments (Helm's own
/// global flags taken out and turned into env vars), environment, stdin and the exit code.
fn passthrough(helm: &Helm) {
    let fake = fake_binary(helm.tmp.path());
    helm.install(&fake);
    let plugin_dir = helm.installed_dir();

    let out = helm
        .cmd()
        .args([
            "stackcheck",
            "--namespace",
            "ns-one",
            "check",
            "two words",
            "--kube-context=ctx-one",
            "-o",
            "json",
            "--set",
            "a=b,c=d",
            // Not expanded by Helm. (An empty "" argument cannot be tested: Helm v3 and v4 take
            // "" for one of their own value flags in manuallyProcessArgs and drop it together
            // with the argument after it.)
            "$HOME",
            "--",
            "--debug-not",
        ])
        .env("STACKCHECK_PASSTHROUGH", "kept as is")
        .env("FAKE_EXIT", "7")
        .write_stdin("from stdin")
        .assert()
        .code(7)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let args: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ARG=[").and_then(|l| l.strip_suffix(']')))
        .collect();
    assert_eq!(
        args,
        [
            "check",
            "two words",
            "-o",
            "json",
            "--set",
            "a=b,c=d",
            "$HOME",
            "--",
            "--debug-not"
        ],
        "arguments reaching the binary\n{stdout}"
    );
    let line = |k: &str, v: &str| {
        let want = format!("{k}=[{v}]");
        assert!(
            stdout.lines().any(|l| l == want),
            "expected `{want}` in the plugin's output:\n{stdout}"
        );
    };
    line("HELM_NAMESPACE", "ns-one");
    line("HELM_KUBECONTEXT", "ctx-one");
    line("HELM_BIN", &helm.bin.to_string_lossy());
    line("HELM_PLUGIN_NAME", "stackcheck");
    line("HELM_PLUGIN_DIR", &plugin_dir.to_string_lossy());
    line("HELM_DEBUG", "false");
    line(
        "KUBECONFIG",
        &helm
            .tmp
            .path()
            .join("kubeconfig-that-does-not-exist")
            .to_string_lossy(),
    );
    line("STACKCHECK_PASSTHROUGH", "kept as is");
    line("STDIN", "from stdin");

    // --debug is Helm's: it becomes HELM_DEBUG=true. Exit 0 stays 0.
    helm.cmd()
        .args(["--debug", "stackcheck", "x"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("HELM_DEBUG=[true]")
                .and(predicate::str::contains("ARG=[x]\n")),
        );

    // Another exit code, to be sure it is not a fixed "1 on failure".
    helm.cmd()
        .args(["stackcheck"])
        .env("FAKE_EXIT", "3")
        .assert()
        .code(3);
}

/// No binary, no STACKCHECK_BINARY and no cargo: the install hook fails and says why.
fn install_without_cargo(helm: &Helm) {
    let src = helm.stage_plugin();
    // A Cargo.toml makes the hook try to build; CARGO names the cargo it would run.
    fs::write(src.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    helm.cmd()
        .args(["plugin", "install"])
        .arg(&src)
        .env("CARGO", helm.tmp.path().join("no-such-cargo"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "cargo (the Rust toolchain) was not found",
        ));
    // Running the half-installed plugin explains what is missing, with exit code 2.
    if helm.installed_dir().join("plugin.yaml").is_file() {
        helm.cmd()
            .args(["stackcheck", "--version"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("plugin binary"));
    }
}

#[test]
fn helm_v3_runs_the_plugin_cli() {
    if let Some(helm) = Helm::new("HELM_V3", "v3") {
        real_cli(&helm);
    }
}

#[test]
fn helm_v4_runs_the_plugin_cli() {
    if let Some(helm) = Helm::new("HELM_V4", "v4") {
        real_cli(&helm);
    }
}

#[test]
fn helm_v3_passes_args_env_stdin_and_exit_code_through() {
    if let Some(helm) = Helm::new("HELM_V3", "v3") {
        passthrough(&helm);
    }
}

#[test]
fn helm_v4_passes_args_env_stdin_and_exit_code_through() {
    if let Some(helm) = Helm::new("HELM_V4", "v4") {
        passthrough(&helm);
    }
}

#[test]
fn helm_v3_install_hook_explains_missing_cargo() {
    if let Some(helm) = Helm::new("HELM_V3", "v3") {
        install_without_cargo(&helm);
    }
}

#[test]
fn helm_v4_install_hook_explains_missing_cargo() {
    if let Some(helm) = Helm::new("HELM_V4", "v4") {
        install_without_cargo(&helm);
    }
}
