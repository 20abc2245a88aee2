//! Reading the cluster through the Kubernetes API (`--cluster live`).
//!
//! `config` finds the cluster and credentials as Helm does (kubeconfig files, context,
//! `HELM_KUBE*` overrides, in-cluster service account); kube's client does the transport:
//! TLS (rustls), tokens, client certificates, exec credential plugins, OIDC refresh. The rest
//! is ours, on a current-thread tokio runtime that lives only for the read (the program is
//! otherwise synchronous):
//!
//! 1. `GET /version`, `/api` and `/apis`: the server version and the API groups it serves.
//! 2. The cluster-wide lists of [`LISTS`] (nodes; pods that are not `Succeeded`/`Failed`,
//!    filtered by the server; StorageClasses, ResourceQuotas, LimitRanges, RuntimeClasses),
//!    `limit=500` per page and `continue` tokens. Each page goes straight into
//!    `cluster::snapshot::PageFeed`: the snapshot reader's own streaming decoder and
//!    merging rules, so a live read and a snapshot of the same objects give the same
//!    [`Cluster`]; a malformed object is reported by `Kind/namespace/name` and skipped.
//!
//! Failures: `429` and `5xx` are retried with backoff ([`RetryPolicy`]); a `410 Gone` for an expired
//! `continue` token restarts that list once; `403` on a list is not an error but a [`crate::cluster::Gap`] naming
//! the missing permission (the verdict becomes `unknown`); `401` and an unreachable server are
//! errors that name the server. Every request is bounded by [`LiveOptions::timeout`].

mod config;
mod fetch;
mod lists;
mod retry;

use std::path::PathBuf;
use std::time::Duration;

use crate::cluster::Cluster;
use crate::diagnostic::Diagnostic;
use crate::source::Sources;

pub use config::{Env, go_bool};
pub use lists::{LISTS, POD_FIELD_SELECTOR};
pub use retry::RetryPolicy;

/// Where the cluster is and how to reach it: Helm's flags and `HELM_KUBE*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// `--kubeconfig`; `None`: `KUBECONFIG` (a list), else `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context` / `HELM_KUBECONTEXT`; `None`: the current context.
    pub context: Option<String>,
    /// `--kube-apiserver` / `HELM_KUBEAPISERVER`.
    pub api_server: Option<String>,
    /// `--kube-token` / `HELM_KUBETOKEN`.
    pub token: Option<String>,
    /// `--kube-ca-file` / `HELM_KUBECAFILE`.
    pub ca_file: Option<PathBuf>,
    /// `--kube-insecure-skip-tls-verify` / `HELM_KUBEINSECURE_SKIP_TLS_VERIFY`.
    pub insecure_skip_tls_verify: bool,
    /// `--kube-tls-server-name` / `HELM_KUBETLS_SERVER_NAME`: the name the server certificate is
    /// checked against, instead of the server URL's host.
    pub tls_server_name: Option<String>,
    /// `--kube-as-user` / `HELM_KUBEASUSER`: impersonate this user (`Impersonate-User`).
    pub as_user: Option<String>,
    /// `--kube-as-group` / `HELM_KUBEASGROUPS` (comma-separated): impersonate these groups.
    pub as_groups: Vec<String>,
    /// Connecting, and each request (response read whole); zero: no limit (`kubectl
    /// --request-timeout=0`).
    pub timeout: Duration,
    /// The first retry delay; later ones double ([`RetryPolicy`]).
    pub backoff_base: Duration,
    /// Items per list page (`limit`).
    pub page_size: u32,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            kubeconfig: None,
            context: None,
            api_server: None,
            token: None,
            ca_file: None,
            insecure_skip_tls_verify: false,
            tls_server_name: None,
            as_user: None,
            as_groups: Vec::new(),
            timeout: Duration::from_secs(30),
            backoff_base: Duration::from_millis(500),
            page_size: 500,
        }
    }
}

/// What a live read gives.
#[derive(Debug)]
pub struct LiveRead {
    pub cluster: Cluster,
    pub diagnostics: Vec<Diagnostic>,
    /// `live: context kind-x (https://127.0.0.1:6443)`.
    pub description: String,
    /// The context used (`stackcheck` for flags alone, `in-cluster` in a pod).
    pub context: String,
}

/// Progress of a read, for an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// `read` objects of `what` so far; `total` when the server says how many remain.
    Reading {
        what: &'a str,
        read: usize,
        total: Option<u64>,
    },
    Done,
}

/// Why the cluster could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    // Bad input (exit 2).
    #[error(
        "no kubeconfig found ({looked_at}) and not running inside a cluster: set KUBECONFIG or \
         --kubeconfig, or --kube-apiserver with --kube-token"
    )]
    NoConfig { looked_at: String },
    #[error("cannot read kubeconfig {}: {message}", .path.display())]
    KubeconfigRead { path: PathBuf, message: String },
    #[error("kubeconfig {} does not parse: {message}", .path.display())]
    KubeconfigParse { path: PathBuf, message: String },
    #[error("kubeconfig {files}: {message}")]
    KubeconfigInvalid { files: String, message: String },
    #[error(
        "context \"{context}\" is not in the kubeconfig ({files}); available contexts: {}",
        list_or_none(.available)
    )]
    UnknownContext {
        context: String,
        files: String,
        available: Vec<String>,
    },
    #[error(
        "the kubeconfig ({files}) has no current-context: choose one with --kube-context or \
         HELM_KUBECONTEXT (available contexts: {})",
        list_or_none(.available)
    )]
    NoCurrentContext {
        files: String,
        available: Vec<String>,
    },

    // The cluster could not be read (exit 3).
    #[error(
        "the API server {server} rejected the credentials (401 Unauthorized{}): refresh the \
         token / re-login (e.g. run your cloud's or OIDC provider's login again, or get a new \
         token for --kube-token), then try again",
        said(.message)
    )]
    Unauthorized { server: String, message: String },
    #[error("could not get credentials for the API server {server}: {message}")]
    Credentials { server: String, message: String },
    #[error("cannot reach the Kubernetes API server {server}: {reason}{hint}")]
    Unreachable {
        server: String,
        reason: String,
        hint: &'static str,
    },
    #[error(
        "the Kubernetes API server {server} did not answer within {} (GET {path}): is it \
         reachable? A slow server needs a longer --request-timeout",
        human_duration(*.timeout)
    )]
    Timeout {
        server: String,
        path: String,
        timeout: Duration,
    },
    #[error(
        "the API server {server} answered GET {path} with {status}{} (after {attempts} attempt(s))",
        said(.message)
    )]
    Server {
        server: String,
        path: String,
        status: u16,
        message: String,
        attempts: u32,
    },
    #[error("the API server {server} sent an unreadable answer to GET {path}: {message}")]
    BadResponse {
        server: String,
        path: String,
        message: String,
    },
    #[error("cannot start the HTTP client: {0}")]
    Runtime(String),
}

impl LiveError {
    /// The user's input is wrong (exit 2), rather than the cluster unreadable (exit 3).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            LiveError::NoConfig { .. }
                | LiveError::KubeconfigRead { .. }
                | LiveError::KubeconfigParse { .. }
                | LiveError::KubeconfigInvalid { .. }
                | LiveError::UnknownContext { .. }
                | LiveError::NoCurrentContext { .. }
        )
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn said(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// `30s`, `1.5s`, `250ms`.
pub fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Is there a cluster to read without being told? `Ok(Ok(description))` when a kubeconfig
/// context (or `--kube-apiserver`, or a pod's service account) says where one is, `Ok(Err(why
/// not))` when nothing does; a kubeconfig that is broken, or a context that does not exist,
/// is an error.
pub fn detect(opts: &LiveOptions, env: &Env) -> Result<Result<String, LiveError>, LiveError> {
    Ok(config::resolve(opts, env)?
        .map(|target| target.description)
        .map_err(config::NotConfigured::into_error))
}

/// Read the cluster. `sources` gets one (empty) source per list, for diagnostics.
pub fn read(
    opts: &LiveOptions,
    env: &Env,
    sources: &mut Sources,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<LiveRead, LiveError> {
    let target = config::resolve(opts, env)?.map_err(config::NotConfigured::into_error)?;
    let description = target.description.clone();
    let context = target.context.clone();
    let (cluster, diagnostics) = fetch::read(opts, target, sources, progress)?;
    Ok(LiveRead {
        cluster,
        diagnostics,
        description,
        context,
    })
}
