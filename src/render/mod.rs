//! Rendering a release: run `helm template` (Helm's own binary when stackcheck runs as a plugin)
//! or read manifests someone else rendered, then split them into objects ([`manifest`]).
//!
//! Only the process call is I/O; building the argument list and reading the stream are pure.

pub mod manifest;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use manifest::{Object, parse_stream};

/// Helm could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot run `{helm}`: {message}")]
pub struct HelmMissing {
    pub helm: String,
    pub message: String,
}

/// Start `helm ARGS` with extra environment variables and wait for its output, whatever its exit
/// status: every Helm process of stackcheck starts here (`helm template` below, `publish::helm`).
pub fn run_helm(
    helm: &Path,
    args: &[OsString],
    env: &[(&str, &Path)],
) -> Result<Output, HelmMissing> {
    let mut cmd = Command::new(helm);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().map_err(|e| HelmMissing {
        helm: helm.display().to_string(),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            "not found; install Helm or set HELM_BIN".to_string()
        } else {
            e.to_string()
        },
    })
}

/// What went wrong producing manifests.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    HelmMissing(#[from] HelmMissing),
    #[error("`helm template` failed ({status}):\n{stderr}")]
    HelmFailed { status: String, stderr: String },
    #[error("`helm template` printed output that is not UTF-8")]
    NotUtf8,
}

/// A `helm template` call: the user's chart reference and value flags, passed through as given.
#[derive(Debug, Clone, Default)]
pub struct HelmTemplate {
    /// Helm binary: `$HELM_BIN` (set by Helm for plugins), else `helm` from `PATH`.
    pub helm: PathBuf,
    pub release: String,
    /// Chart directory, `.tgz`, `repo/chart` or `oci://` reference.
    pub chart: String,
    pub version: Option<String>,
    pub namespace: Option<String>,
    /// Value flags in the order the user gave them (`-f x`, `--set a=b`, ...).
    pub value_args: Vec<OsString>,
    /// `--kube-version` (from the cluster when one is known).
    pub kube_version: Option<String>,
    /// `--api-versions`, e.g. `route.openshift.io/v1` (from the cluster when one is known).
    pub api_versions: Vec<String>,
    /// `--plain-http`: the chart is in an OCI registry served over HTTP.
    pub plain_http: bool,
}

impl HelmTemplate {
    /// The Helm binary to use: `HELM_BIN` when set and not empty, else `helm`.
    pub fn helm_from_env() -> PathBuf {
        std::env::var_os("HELM_BIN")
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from("helm"), PathBuf::from)
    }

    pub fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "template".into(),
            self.release.clone().into(),
            self.chart.clone().into(),
        ];
        let mut pair = |flag: &str, value: &str| {
            args.push(flag.into());
            args.push(value.into());
        };
        if let Some(v) = &self.version {
            pair("--version", v);
        }
        if let Some(ns) = &self.namespace {
            pair("--namespace", ns);
        }
        if let Some(k) = &self.kube_version {
            pair("--kube-version", k);
        }
        for a in &self.api_versions {
            pair("--api-versions", a);
        }
        if self.plain_http {
            args.push("--plain-http".into());
        }
        args.extend(self.value_args.iter().cloned());
        args
    }

    /// Run it; the manifest stream on success, Helm's own stderr on failure.
    pub fn run(&self) -> Result<String, RenderError> {
        let output = run_helm(&self.helm, &self.args(), &[])?;
        if !output.status.success() {
            return Err(RenderError::HelmFailed {
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr)
                    .trim_end()
                    .to_string(),
            });
        }
        String::from_utf8(output.stdout).map_err(|_| RenderError::NotUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_keep_the_users_value_flags_in_order() {
        let t = HelmTemplate {
            helm: "helm".into(),
            release: "rel".into(),
            chart: "oci://r/c".into(),
            version: Some("1.2.3".into()),
            namespace: Some("ns".into()),
            value_args: vec!["-f".into(), "a.yaml".into(), "--set".into(), "x=1".into()],
            kube_version: Some("1.31.0".into()),
            api_versions: vec!["route.openshift.io/v1".into()],
            plain_http: true,
        };
        let args: Vec<String> = t
            .args()
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args.join(" "),
            "template rel oci://r/c --version 1.2.3 --namespace ns --kube-version 1.31.0 --api-versions route.openshift.io/v1 --plain-http -f a.yaml --set x=1"
        );
    }

    #[test]
    fn a_missing_helm_is_a_clear_error() {
        let t = HelmTemplate {
            helm: "/nonexistent/helm".into(),
            ..HelmTemplate::default()
        };
        let e = t.run().expect_err("no such binary");
        assert!(e.to_string().contains("HELM_BIN"), "{e}");
    }
}
