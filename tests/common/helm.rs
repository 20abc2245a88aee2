//! The pinned Helm v3 and v4 under test (`HELM_V3` / `HELM_V4`, set by `eval "$(tools/tools.sh)"`
//! and by `scripts/test.sh`), run isolated from the caller's Helm; the verdicts of Helm and
//! stackcheck on a values set; GnuPG for the signing tests.

use assert_cmd::Command;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use super::{skip_unless_ci, stackcheck};

/// A Helm binary under test, e.g. `("v3", "/…/helm-v3.22.0/helm")`.
#[derive(Clone, Debug)]
pub struct Helm {
    pub label: &'static str,
    pub bin: PathBuf,
}

const HELMS: [(&str, &str); 2] = [("v3", "HELM_V3"), ("v4", "HELM_V4")];

/// Helm `label` ("v3" or "v4") from its variable, checked to be that major version. Unset: the
/// test is skipped (`None`), or fails under CI. Set to something that is not that Helm: fails.
pub fn helm(label: &str) -> Option<Helm> {
    let (label, var) = HELMS
        .into_iter()
        .find(|(l, _)| *l == label)
        .expect("v3 or v4");
    let Some(bin) = std::env::var_os(var).filter(|v| !v.is_empty()) else {
        skip_unless_ci(&format!(
            "{var} is not set; run `eval \"$(tools/tools.sh)\"` first (it builds the pinned Helm \
             versions, or waits for a build already running), or `bash scripts/test.sh`"
        ));
        return None;
    };
    let helm = Helm {
        label,
        bin: PathBuf::from(bin),
    };
    let version = helm
        .isolated(Path::new("/nonexistent"))
        .args(["version", "--short"])
        .output()
        .unwrap_or_else(|e| panic!("{var}={}: {e}", helm.bin.display()));
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.starts_with(&format!("{label}.")),
        "{var}={} is not Helm {label}: {version}",
        helm.bin.display()
    );
    Some(helm)
}

/// Helm v3 and v4, or `None` (skipped; a failure under CI) when either is missing.
pub fn helms() -> Option<Vec<Helm>> {
    let missing: Vec<&str> = HELMS
        .iter()
        .filter(|(_, var)| std::env::var_os(var).is_none_or(|v| v.is_empty()))
        .map(|(_, var)| *var)
        .collect();
    if !missing.is_empty() {
        skip_unless_ci(&format!(
            "{} not set; run `eval \"$(tools/tools.sh)\"` first (it builds the pinned Helm \
             versions, or waits for a build already running), or `bash scripts/test.sh`",
            missing.join(" and ")
        ));
        return None;
    }
    HELMS.iter().map(|(label, _)| helm(label)).collect()
}

impl Helm {
    /// A command for this Helm, isolated (see [`isolate`]) in `home`.
    pub fn isolated(&self, home: &Path) -> Command {
        let mut cmd = Command::new(&self.bin);
        isolate(&mut cmd, home);
        cmd
    }

    /// stackcheck running this Helm (`HELM_BIN`), isolated in `home` the same way.
    pub fn stackcheck(&self, home: &Path) -> Command {
        let mut cmd = stackcheck();
        isolate(&mut cmd, home);
        cmd.env("HELM_BIN", &self.bin);
        cmd
    }

    /// `helm template stackcheck-test <chart> …args` isolated in `home`.
    pub fn template(&self, chart: &Path, args: &[String], home: &Path) -> Output {
        self.isolated(home)
            .arg("template")
            .arg("stackcheck-test")
            .arg(chart)
            .args(args)
            .output()
            .expect("run helm")
    }
}

/// None of the caller's Helm settings (every `HELM_*` variable) or proxies; Helm's cache, config
/// and data directories under `home`, and `KUBECONFIG` at `home/kubeconfig` (absent unless the
/// test writes one), so nothing of the user's Helm or cluster is read and nothing leaves
/// 127.0.0.1.
pub fn isolate(cmd: &mut Command, home: &Path) {
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("HELM_") || key_text.to_ascii_lowercase().ends_with("_proxy") {
            cmd.env_remove(key);
        }
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("KUBECONFIG", home.join("kubeconfig"))
        .env("NO_COLOR", "1");
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

/// GnuPG with a throwaway home, for keys made by a test; its gpg-agent is stopped when dropped.
pub struct Gpg {
    pub home: tempfile::TempDir,
}

impl Gpg {
    /// `None` (the test is skipped) when gpg is not installed; under CI that is an error.
    pub fn new() -> Option<Gpg> {
        let found = std::process::Command::new("gpg")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            skip_unless_ci(
                "gpg is not installed: scripts/test.sh installs it (Debian: apt-get install gnupg)",
            );
            return None;
        }
        let home = tempfile::Builder::new().prefix("sc-gpg").tempdir().unwrap();
        Some(Gpg { home })
    }

    pub fn gpg(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new("gpg");
        cmd.arg("--homedir")
            .arg(self.home.path())
            .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"])
            .stdin(Stdio::null());
        cmd
    }

    /// A new `algo` signing key without a passphrase for `uid`; writes its secret and public
    /// keyrings (what Helm's `--keyring` reads) into the home and returns their paths.
    pub fn key(&self, uid: &str, algo: &str) -> (PathBuf, PathBuf) {
        let args = ["--passphrase", "", "--quick-gen-key", uid, algo, "sign"];
        let out = self.gpg().args(args).arg("never").output().unwrap();
        assert!(
            out.status.success(),
            "gpg --quick-gen-key: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let export = |what: &str, file: &str| {
            let path = self.home.path().join(file);
            let out = self.gpg().args([what, uid]).output().unwrap();
            assert!(out.status.success() && !out.stdout.is_empty(), "gpg {what}");
            std::fs::write(&path, out.stdout).unwrap();
            path
        };
        (
            export("--export-secret-keys", "secring.gpg"),
            export("--export", "pubring.gpg"),
        )
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        // Key generation started an agent for this home; stop it with the home.
        let _ = std::process::Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}
