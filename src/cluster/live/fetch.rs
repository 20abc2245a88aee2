//! The requests of a live read, on a current-thread runtime: discovery, then each list page by
//! page into the snapshot reader's [`PageFeed`].

use std::time::Duration;

use kube::config::KubeConfigOptions;

use super::config::Target;
use super::lists::{LISTS, ListSpec};
use super::retry::RetryPolicy;
use super::{LiveError, LiveOptions, Progress};
use crate::cluster::Cluster;
use crate::cluster::snapshot::PageFeed;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Sources;

pub(super) fn read(
    opts: &LiveOptions,
    target: Target,
    sources: &mut Sources,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(Cluster, Vec<Diagnostic>), LiveError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LiveError::Runtime(e.to_string()))?;
    let result = runtime.block_on(async {
        let api = Api::connect(opts, target).await?;
        api.read_all(sources, progress).await
    });
    progress(Progress::Done);
    result
}

/// An HTTP answer read whole.
struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `message` of a `Status` body, else the start of the body.
    fn message(&self) -> String {
        if let Ok(status) = serde_json::from_slice::<serde_json::Value>(&self.body)
            && let Some(m) = status["message"].as_str()
        {
            return m.to_string();
        }
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(200) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.to_string(),
        }
    }
}

struct Api {
    client: kube::Client,
    server: String,
    /// The user's credential plugin, for messages.
    plugin: Option<String>,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    page_size: u32,
}

impl Api {
    async fn connect(opts: &LiveOptions, target: Target) -> Result<Api, LiveError> {
        let server = target.server.clone();
        let plugin = super::config::exec_plugin(&target.kubeconfig, &target.context);
        let options = KubeConfigOptions {
            context: Some(target.context.clone()),
            ..KubeConfigOptions::default()
        };
        let mut config = kube::Config::from_custom_kubeconfig(target.kubeconfig, &options)
            .await
            .map_err(|e| LiveError::KubeconfigInvalid {
                files: target.origin.clone(),
                message: format!("context {}: {e}", target.context),
            })?;
        let timeout = (!opts.timeout.is_zero()).then_some(opts.timeout);
        config.connect_timeout = timeout;
        config.read_timeout = timeout;
        config.write_timeout = timeout;
        // The read timeout counts from the request, not from when a pooled connection idled.
        config.reset_reader_on_write = true;
        // Our own retries (with `Retry-After`, 5xx and a bounded total), not kube's.
        config.default_retry = false;
        if let Ok(agent) =
            http::HeaderValue::from_str(concat!("stackcheck/", env!("CARGO_PKG_VERSION")))
        {
            config.headers.push((http::header::USER_AGENT, agent));
        }
        let client = kube::Client::try_from(config)
            .map_err(|e| transport_error(&server, plugin.as_deref(), &e))?;
        Ok(Api {
            client,
            server,
            plugin,
            timeout,
            retry: RetryPolicy::with_base(opts.backoff_base),
            page_size: opts.page_size.max(1),
        })
    }

    /// One GET, read whole within the timeout.
    async fn once(&self, path: &str) -> Result<Reply, LiveError> {
        let request = http::Request::get(path)
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::empty())
            .map_err(|e| LiveError::BadResponse {
                server: self.server.clone(),
                path: path.to_string(),
                message: format!("cannot build the request: {e}"),
            })?;
        let exchange = async {
            let response = self.client.send(request).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect_bytes().await?;
            Ok::<_, kube::Error>(Reply {
                status: parts.status.as_u16(),
                retry_after: parts
                    .headers
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                body: body.to_vec(),
            })
        };
        let result = match self.timeout {
            Some(t) => tokio::time::timeout(t, exchange)
                .await
                .map_err(|_| LiveError::Timeout {
                    server: self.server.clone(),
                    path: path.to_string(),
                    timeout: t,
                })?,
            None => exchange.await,
        };
        result.map_err(|e| {
            if timed_out(&e) {
                LiveError::Timeout {
                    server: self.server.clone(),
                    path: path.to_string(),
                    timeout: self.timeout.unwrap_or_default(),
                }
            } else {
                transport_error(&self.server, self.plugin.as_deref(), &e)
            }
        })
    }

    /// A GET with retries on 429/5xx. Returns the last answer, whatever its status; `401` is
    /// an error here, since no request can succeed after it.
    async fn get(&self, path: &str) -> Result<Reply, LiveError> {
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let reply = self.once(path).await?;
            if reply.status == 401 {
                return Err(LiveError::Unauthorized {
                    server: self.server.clone(),
                    message: reply.message(),
                });
            }
            if reply.ok() {
                return Ok(reply);
            }
            let delay =
                self.retry
                    .delay(reply.status, reply.retry_after.as_deref(), attempt, waited);
            match delay {
                Some(d) => {
                    tokio::time::sleep(d).await;
                    waited += d;
                    attempt += 1;
                }
                None if super::retry::retryable(reply.status) => {
                    return Err(self.server_error(path, &reply, attempt));
                }
                None => return Ok(reply),
            }
        }
    }

    fn server_error(&self, path: &str, reply: &Reply, attempts: u32) -> LiveError {
        LiveError::Server {
            server: self.server.clone(),
            path: path.to_string(),
            status: reply.status,
            message: reply.message(),
            attempts,
        }
    }

    async fn read_all(
        &self,
        sources: &mut Sources,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<(Cluster, Vec<Diagnostic>), LiveError> {
        let mut feed = PageFeed::new();
        let version = self.discovery("/version", &mut feed).await?;
        let server_version = version
            .as_ref()
            .and_then(|v| v["gitVersion"].as_str().map(str::to_string));
        let mut api_versions = Vec::new();
        if let Some(core) = self.discovery("/api", &mut feed).await? {
            for v in core["versions"].as_array().into_iter().flatten() {
                api_versions.extend(v.as_str().map(str::to_string));
            }
        }
        if let Some(groups) = self.discovery("/apis", &mut feed).await? {
            for g in groups["groups"].as_array().into_iter().flatten() {
                for v in g["versions"].as_array().into_iter().flatten() {
                    api_versions.extend(v["groupVersion"].as_str().map(str::to_string));
                }
            }
        }
        feed.cluster_info(server_version.as_deref(), &api_versions);
        for spec in &LISTS {
            self.read_list(spec, &mut feed, sources, progress).await?;
        }
        Ok(feed.finish())
    }

    /// `/version`, `/api`, `/apis`: informative, so a refusal is a note, not a gap.
    async fn discovery(
        &self,
        path: &str,
        feed: &mut PageFeed,
    ) -> Result<Option<serde_json::Value>, LiveError> {
        let reply = self.get(path).await?;
        if !reply.ok() {
            feed.diagnostic(Diagnostic::note(
                Code::LiveDiscovery,
                format!(
                    "GET {path} answered {}{}: the server version or API groups are unknown",
                    reply.status,
                    super::said(&reply.message())
                ),
            ));
            return Ok(None);
        }
        serde_json::from_slice(&reply.body)
            .map(Some)
            .map_err(|e| LiveError::BadResponse {
                server: self.server.clone(),
                path: path.to_string(),
                message: format!("not JSON: {e}"),
            })
    }

    async fn read_list(
        &self,
        spec: &ListSpec,
        feed: &mut PageFeed,
        sources: &mut Sources,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<(), LiveError> {
        let start = feed.begin_list(sources, &format!("{}{}", self.server, spec.path));
        let mut token: Option<String> = None;
        let mut restarted = false;
        let mut read = 0usize;
        progress(Progress::Reading {
            what: spec.resource,
            read,
            total: None,
        });
        loop {
            let path = spec.url(self.page_size, token.as_deref());
            let reply = self.get(&path).await?;
            match reply.status {
                200..=299 => {
                    let page = feed.page(&reply.body).map_err(|e| LiveError::BadResponse {
                        server: self.server.clone(),
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                    read += page.items;
                    progress(Progress::Reading {
                        what: spec.resource,
                        read,
                        total: page.remaining.map(|r| read as u64 + r),
                    });
                    match page.continue_token {
                        Some(t) => token = Some(t),
                        None => return Ok(()),
                    }
                }
                403 => {
                    feed.restart_list(start);
                    feed.gap(spec.forbidden(&reply.message()));
                    return Ok(());
                }
                404 if spec.optional && token.is_none() => {
                    feed.diagnostic(Diagnostic::note(
                        Code::LiveApi,
                        format!(
                            "the API server does not serve {} ({}): none are used",
                            spec.resource, spec.path
                        ),
                    ));
                    return Ok(());
                }
                // The continue token expired (the list took longer than etcd keeps
                // revisions): read the whole list again, once.
                410 if token.is_some() && !restarted => {
                    feed.restart_list(start);
                    restarted = true;
                    token = None;
                    read = 0;
                }
                _ => return Err(self.server_error(&path, &reply, 1)),
            }
        }
    }
}

/// A failure below HTTP: no connection, TLS, credentials.
fn transport_error(server: &str, plugin: Option<&str>, e: &kube::Error) -> LiveError {
    if let Some(auth) = find_in_chain::<kube::client::AuthError>(e) {
        return LiveError::Credentials {
            server: server.to_string(),
            message: auth_message(auth, plugin),
        };
    }
    let chain = chain(e);
    let has = |word: &str| chain.iter().any(|m| m.to_ascii_lowercase().contains(word));
    let hint = if has("certificate") {
        " (TLS: give the cluster's CA with --kube-ca-file, or --kube-insecure-skip-tls-verify for \
         a throwaway test cluster)"
    } else if has("corrupt message") {
        " (TLS: the server does not answer in TLS; is the URL's scheme right?)"
    } else {
        ""
    };
    LiveError::Unreachable {
        server: server.to_string(),
        reason: chain.last().cloned().unwrap_or_else(|| e.to_string()),
        hint,
    }
}

/// The exec plugin's own words, not `Output`'s debug form (which shows its environment).
fn auth_message(e: &kube::client::AuthError, plugin: Option<&str>) -> String {
    use kube::client::AuthError;
    let plugin = plugin.unwrap_or("exec");
    match e {
        AuthError::AuthExecRun { out, .. } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            format!(
                "the credential plugin `{plugin}` failed ({}){}",
                out.status,
                super::said(stderr.trim())
            )
        }
        AuthError::AuthExecStart(io) => {
            format!("the credential plugin `{plugin}` could not be started: {io}")
        }
        other => {
            let chain = chain(other);
            chain.join(": ")
        }
    }
}

fn timed_out(e: &kube::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        source = s.source();
    }
    false
}

fn find_in_chain<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<T>() {
            return Some(t);
        }
        source = s.source();
    }
    None
}

/// The messages of an error and its sources, without repeats.
fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut source = Some(e);
    while let Some(s) = source {
        let m = s.to_string();
        if !out.last().is_some_and(|l| l.contains(&m)) {
            out.push(m);
        }
        source = s.source();
    }
    out
}
