//! Running Helm's own binary (`$HELM_BIN`, started by [`run_helm`]) for the publishing steps:
//! `lint`, `dependency build`, `package`, `repo add`/`repo index`, `show chart` and `push`; what
//! the steps do with the output is decided by their callers.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::PublishError;
use crate::render::run_helm;

/// How Helm reaches a registry or repository: passed to `show chart`, `push` and `repo add`
/// where Helm takes them.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// `--plain-http`: an OCI registry served over HTTP (OCI only).
    pub plain_http: bool,
    /// `--insecure-skip-tls-verify`.
    pub insecure_skip_tls_verify: bool,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
}

impl Transport {
    /// The flags for an OCI command (`show chart oci://…`, `push`).
    pub fn oci_args(&self) -> Vec<OsString> {
        let mut args = self.tls_args();
        if self.plain_http {
            args.push("--plain-http".into());
        }
        args
    }

    /// The flags for `helm repo add`.
    pub fn tls_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if self.insecure_skip_tls_verify {
            args.push("--insecure-skip-tls-verify".into());
        }
        if let Some(ca) = &self.ca_file {
            args.push("--ca-file".into());
            args.push(ca.into());
        }
        args
    }
}

/// One Helm binary and how to call it.
#[derive(Debug, Clone)]
pub struct Helm {
    pub bin: PathBuf,
}

impl Helm {
    /// Run `helm ARGS` with extra environment variables; the output whatever the exit status.
    pub fn output(&self, args: &[OsString], env: &[(&str, &Path)]) -> Result<Output, PublishError> {
        Ok(run_helm(&self.bin, args, env)?)
    }

    /// Run `helm ARGS`; stdout on success, [`PublishError::HelmFailed`] with Helm's stderr else.
    pub fn run(&self, args: &[OsString], env: &[(&str, &Path)]) -> Result<String, PublishError> {
        let output = self.output(args, env)?;
        if !output.status.success() {
            return Err(failed(args, &output));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// The error for a Helm command that exited non-zero.
pub fn failed(args: &[OsString], output: &Output) -> PublishError {
    let command = args
        .iter()
        .take(2)
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let mut stderr = String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_string();
    if stderr.is_empty() {
        stderr = String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string();
    }
    PublishError::HelmFailed {
        command,
        status: output.status.to_string(),
        stderr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_flags_are_helms() {
        let t = Transport {
            plain_http: true,
            insecure_skip_tls_verify: true,
            ca_file: Some("ca.pem".into()),
        };
        let oci: Vec<String> = t
            .oci_args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            oci,
            [
                "--insecure-skip-tls-verify",
                "--ca-file",
                "ca.pem",
                "--plain-http"
            ]
        );
        assert_eq!(t.tls_args().len(), 3, "repo add takes no --plain-http");
    }

    #[test]
    fn a_missing_helm_is_a_clear_error() {
        let helm = Helm {
            bin: "/nonexistent/helm".into(),
        };
        let e = helm.run(&["version".into()], &[]).expect_err("no binary");
        assert!(e.to_string().contains("HELM_BIN"), "{e}");
    }
}
