//! Where the cluster is and who we are: the kubeconfig files, context and overrides resolved
//! the way Helm resolves them (`pkg/cli/environment.go` binds its flags and `HELM_KUBE*`
//! variables to client-go's `ConfigFlags`), into one kube [`Kubeconfig`] and context name.
//!
//! - Files: `--kubeconfig` (must exist), else every file of `KUBECONFIG` (a `:`-separated list,
//!   `;` on Windows; missing files skipped; merged, the first file to set a value wins), else
//!   `~/.kube/config` when it exists.
//! - Context: `--kube-context`/`HELM_KUBECONTEXT`, else the files' `current-context`.
//! - Overrides on the context's cluster and user, as client-go's `ConfigOverrides`:
//!   `--kube-apiserver` replaces the server (and drops a `tls-server-name`); `--kube-ca-file`
//!   and `--kube-insecure-skip-tls-verify` replace the cluster's CA and verification together;
//!   `--kube-token` replaces the user's credentials (token, token file, basic auth, exec plugin
//!   and auth provider; a client certificate stays, as client-go keeps it).
//! - No kubeconfig file at all: `--kube-apiserver` alone describes the cluster; else the pod's
//!   service account when running inside a cluster (`KUBERNETES_SERVICE_HOST`/`_PORT` and the
//!   mounted token), as client-go's deferred loader falls back to it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use kube::config::{
    AuthInfo, Cluster, Context, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext,
};

use super::{LiveError, LiveOptions};

/// The service account files mounted into every pod.
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The parts of the process environment the resolution reads, so it can be tested.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `KUBECONFIG`.
    pub kubeconfig: Option<OsString>,
    /// The home directory (`HOME`, `USERPROFILE` on Windows).
    pub home: Option<PathBuf>,
    /// `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, when both are set.
    pub service: Option<(String, String)>,
    /// The directory of the pod's service account token and CA.
    pub service_account_dir: PathBuf,
}

impl Env {
    pub fn from_process() -> Env {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            kubeconfig: std::env::var_os("KUBECONFIG"),
            home: std::env::var_os("HOME")
                .or_else(|| std::env::var_os("USERPROFILE"))
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            service: var("KUBERNETES_SERVICE_HOST").zip(var("KUBERNETES_SERVICE_PORT")),
            service_account_dir: PathBuf::from(SERVICE_ACCOUNT_DIR),
        }
    }

    /// Running in a pod with a service account token (client-go's `inClusterClientConfig.Possible`).
    fn in_cluster(&self) -> bool {
        self.service.is_some() && self.service_account_dir.join("token").is_file()
    }
}

/// Which kubeconfig files to read, in precedence order (client-go's loading rules).
pub fn kubeconfig_files(explicit: Option<&Path>, env: &Env) -> Result<Vec<PathBuf>, LiveError> {
    if let Some(path) = explicit {
        if !path.is_file() {
            return Err(LiveError::KubeconfigRead {
                path: path.to_path_buf(),
                message: "no such file".to_string(),
            });
        }
        return Ok(vec![path.to_path_buf()]);
    }
    if let Some(list) = &env.kubeconfig {
        let listed: Vec<PathBuf> = std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !listed.is_empty() {
            return Ok(listed.into_iter().filter(|p| p.is_file()).collect());
        }
    }
    Ok(env
        .home
        .as_ref()
        .map(|h| h.join(".kube").join("config"))
        .filter(|p| p.is_file())
        .into_iter()
        .collect())
}

/// A cluster to talk to: a kubeconfig (read from files or made up from flags or the pod's
/// service account) and the context in it, overrides applied.
#[derive(Debug, Clone)]
pub struct Target {
    pub kubeconfig: Kubeconfig,
    pub context: String,
    /// The API server URL, for messages.
    pub server: String,
    /// `live: context kind-x (https://127.0.0.1:6443)`.
    pub description: String,
    /// Where the kubeconfig came from, for messages: its files, `--kube-apiserver`, or the
    /// service account.
    pub origin: String,
}

/// Why there is no cluster to read (not an error when `live` was only the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotConfigured {
    /// No kubeconfig file, no `--kube-apiserver`, not in a pod.
    NoKubeconfig { looked_at: String },
    /// The files name no current context and none was given.
    NoCurrentContext {
        files: String,
        available: Vec<String>,
    },
}

impl NotConfigured {
    pub fn into_error(self) -> LiveError {
        match self {
            NotConfigured::NoKubeconfig { looked_at } => LiveError::NoConfig { looked_at },
            NotConfigured::NoCurrentContext { files, available } => {
                LiveError::NoCurrentContext { files, available }
            }
        }
    }
}

/// Resolve files, context and overrides. `Ok(Err(_))` when nothing says where a cluster is.
pub fn resolve(opts: &LiveOptions, env: &Env) -> Result<Result<Target, NotConfigured>, LiveError> {
    let files = kubeconfig_files(opts.kubeconfig.as_deref(), env)?;
    let api_server = opts.api_server.as_deref().filter(|s| !s.is_empty());
    let file_names = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let (mut kubeconfig, context, origin) = if !files.is_empty() {
        let kubeconfig = read_kubeconfigs(&files)?;
        let available = || {
            kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
        };
        let wanted = opts
            .context
            .clone()
            .filter(|c| !c.is_empty())
            .or_else(|| kubeconfig.current_context.clone().filter(|c| !c.is_empty()));
        match wanted {
            Some(name) if kubeconfig.contexts.iter().any(|c| c.name == name) => {
                (kubeconfig, name, Origin::Context)
            }
            Some(name) => {
                return Err(LiveError::UnknownContext {
                    context: name,
                    files: file_names,
                    available: available(),
                });
            }
            None if api_server.is_some() => (Kubeconfig::default(), made_up(), Origin::Flags),
            None => {
                return Ok(Err(NotConfigured::NoCurrentContext {
                    files: file_names,
                    available: available(),
                }));
            }
        }
    } else if api_server.is_some() {
        (Kubeconfig::default(), made_up(), Origin::Flags)
    } else if env.in_cluster() {
        (in_cluster(env), "in-cluster".to_string(), Origin::InCluster)
    } else {
        let looked_at = match (&opts.kubeconfig, &env.kubeconfig) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(list)) if !list.is_empty() => {
                format!("KUBECONFIG={}", list.to_string_lossy())
            }
            _ => env
                .home
                .as_ref()
                .map_or("~/.kube/config (no home directory)".to_string(), |h| {
                    h.join(".kube").join("config").display().to_string()
                }),
        };
        return Ok(Err(NotConfigured::NoKubeconfig { looked_at }));
    };
    apply_overrides(&mut kubeconfig, &context, opts);
    let server = server_of(&kubeconfig, &context).unwrap_or_default();
    let shown = server.trim_end_matches('/');
    let description = match origin {
        Origin::Context => format!("live: context {context} ({shown})"),
        Origin::Flags => format!("live: {shown} (--kube-apiserver)"),
        Origin::InCluster => format!("live: in-cluster ({shown})"),
    };
    let origin = match origin {
        Origin::Context => file_names,
        Origin::Flags => "--kube-apiserver".to_string(),
        Origin::InCluster => "the pod's service account".to_string(),
    };
    Ok(Ok(Target {
        kubeconfig,
        context,
        server: shown.to_string(),
        description,
        origin,
    }))
}

#[derive(Debug, Clone, Copy)]
enum Origin {
    Context,
    Flags,
    InCluster,
}

/// The context made up for flags without a kubeconfig.
fn made_up() -> String {
    "stackcheck".to_string()
}

/// Read and merge the files; a file that does not parse is named (with the position the parser
/// gives).
fn read_kubeconfigs(files: &[PathBuf]) -> Result<Kubeconfig, LiveError> {
    use kube::config::KubeconfigError;
    let mut merged: Option<Kubeconfig> = None;
    for path in files {
        let config = Kubeconfig::read_from(path).map_err(|e| match e {
            KubeconfigError::ReadConfig(source, _) => LiveError::KubeconfigRead {
                path: path.clone(),
                message: source.to_string(),
            },
            KubeconfigError::Parse(e) => LiveError::KubeconfigParse {
                path: path.clone(),
                message: first_line(&e.to_string()),
            },
            other => LiveError::KubeconfigInvalid {
                files: path.display().to_string(),
                message: other.to_string(),
            },
        })?;
        merged = Some(match merged {
            None => config,
            Some(m) => m.merge(config).map_err(|e| LiveError::KubeconfigInvalid {
                files: path.display().to_string(),
                message: e.to_string(),
            })?,
        });
    }
    Ok(merged.unwrap_or_default())
}

/// The parser's message without its snippet: a kubeconfig line may hold a token.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default().trim();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// The pod's service account as a kubeconfig (client-go's `InClusterConfig`).
fn in_cluster(env: &Env) -> Kubeconfig {
    let (host, port) = env.service.clone().unwrap_or_default();
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host
    };
    let dir = &env.service_account_dir;
    let namespace = std::fs::read_to_string(dir.join("namespace"))
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let name = "in-cluster".to_string();
    Kubeconfig {
        clusters: vec![NamedCluster {
            name: name.clone(),
            cluster: Some(Cluster {
                server: Some(format!("https://{host}:{port}")),
                certificate_authority: Some(dir.join("ca.crt").display().to_string()),
                ..Cluster::default()
            }),
            ..NamedCluster::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: name.clone(),
            auth_info: Some(AuthInfo {
                token_file: Some(dir.join("token").display().to_string()),
                ..AuthInfo::default()
            }),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: name.clone(),
            context: Some(Context {
                cluster: name.clone(),
                user: Some(name.clone()),
                namespace,
                ..Context::default()
            }),
            ..NamedContext::default()
        }],
        current_context: Some(name),
        ..Kubeconfig::default()
    }
}

/// Apply the flag/`HELM_KUBE*` overrides to `context`'s cluster and user (created when the
/// context names none), as client-go's `ConfigOverrides` do.
pub fn apply_overrides(kc: &mut Kubeconfig, context: &str, opts: &LiveOptions) {
    if !kc.contexts.iter().any(|c| c.name == context) {
        kc.contexts.push(NamedContext {
            name: context.to_string(),
            context: Some(Context::default()),
            ..NamedContext::default()
        });
    }
    let Some(ctx) = kc
        .contexts
        .iter_mut()
        .find(|c| c.name == context)
        .map(|c| c.context.get_or_insert_with(Context::default))
    else {
        return;
    };
    if ctx.cluster.is_empty() {
        ctx.cluster = context.to_string();
    }
    let cluster_name = ctx.cluster.clone();
    let api_server = opts.api_server.clone().filter(|s| !s.is_empty());
    let token = opts.token.clone().filter(|t| !t.is_empty());
    let user_name = match (&ctx.user, &token) {
        (Some(u), _) if !u.is_empty() => Some(u.clone()),
        (_, Some(_)) => {
            ctx.user = Some(context.to_string());
            Some(context.to_string())
        }
        _ => None,
    };
    let ca_file = opts.ca_file.as_ref().filter(|p| !p.as_os_str().is_empty());
    let touches_cluster = api_server.is_some()
        || ca_file.is_some()
        || opts.insecure_skip_tls_verify
        || opts.tls_server_name.is_some();
    if touches_cluster && !kc.clusters.iter().any(|c| c.name == cluster_name) {
        kc.clusters.push(NamedCluster {
            name: cluster_name.clone(),
            cluster: Some(Cluster::default()),
            ..NamedCluster::default()
        });
    }
    if let Some(cluster) = kc
        .clusters
        .iter_mut()
        .find(|c| c.name == cluster_name)
        .map(|c| c.cluster.get_or_insert_with(Cluster::default))
    {
        if let Some(server) = api_server {
            cluster.server = Some(server);
            cluster.tls_server_name = None;
        }
        if opts.insecure_skip_tls_verify || ca_file.is_some() {
            cluster.insecure_skip_tls_verify = Some(opts.insecure_skip_tls_verify);
            cluster.certificate_authority = ca_file.map(|p| p.display().to_string());
            cluster.certificate_authority_data = None;
        }
        if let Some(name) = &opts.tls_server_name {
            cluster.tls_server_name = Some(name.clone());
        }
    }
    impersonate(kc, context, opts);
    let (Some(token), Some(user_name)) = (token, user_name) else {
        return;
    };
    if let Some(user) = user_entry(kc, &user_name) {
        // `AuthInfo::token` is a `SecretString`: set it the way a kubeconfig would.
        if let Ok(with_token) =
            serde_json::from_value::<AuthInfo>(serde_json::json!({"token": token}))
        {
            user.token = with_token.token;
        }
        user.token_file = None;
        user.username = None;
        user.password = None;
        user.exec = None;
        user.auth_provider = None;
    }
}

/// The kubeconfig's user `name`, created (empty) when missing.
fn user_entry<'a>(kc: &'a mut Kubeconfig, name: &str) -> Option<&'a mut AuthInfo> {
    if !kc.auth_infos.iter().any(|u| u.name == name) {
        kc.auth_infos.push(NamedAuthInfo {
            name: name.to_string(),
            ..NamedAuthInfo::default()
        });
    }
    kc.auth_infos
        .iter_mut()
        .find(|u| u.name == name)
        .map(|u| u.auth_info.get_or_insert_with(AuthInfo::default))
}

/// `--kube-as-user` / `--kube-as-group`: the impersonation fields of `context`'s user (created
/// when the context names none), which the client sends as `Impersonate-*` headers.
fn impersonate(kc: &mut Kubeconfig, context: &str, opts: &LiveOptions) {
    if opts.as_user.is_none() && opts.as_groups.is_empty() {
        return;
    }
    let Some(ctx) = kc
        .contexts
        .iter_mut()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_mut())
    else {
        return;
    };
    let user_name = match &ctx.user {
        Some(u) if !u.is_empty() => u.clone(),
        _ => {
            ctx.user = Some(context.to_string());
            context.to_string()
        }
    };
    if let Some(user) = user_entry(kc, &user_name) {
        if let Some(as_user) = &opts.as_user {
            user.impersonate = Some(as_user.clone());
        }
        if !opts.as_groups.is_empty() {
            user.impersonate_groups = Some(opts.as_groups.clone());
        }
    }
}

fn context_of<'a>(kc: &'a Kubeconfig, context: &str) -> Option<&'a Context> {
    kc.contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()
}

/// The credential plugin of `context`'s user, as a command line, for messages.
pub fn exec_plugin(kc: &Kubeconfig, context: &str) -> Option<String> {
    let ctx = context_of(kc, context)?;
    let user = ctx.user.as_ref()?;
    let exec = kc
        .auth_infos
        .iter()
        .find(|u| &u.name == user)?
        .auth_info
        .as_ref()?
        .exec
        .as_ref()?;
    let mut words = vec![exec.command.clone()?];
    words.extend(exec.args.iter().flatten().cloned());
    Some(words.join(" "))
}

/// The server of `context`'s cluster.
pub fn server_of(kc: &Kubeconfig, context: &str) -> Option<String> {
    let ctx = context_of(kc, context)?;
    kc.clusters
        .iter()
        .find(|c| c.name == ctx.cluster)?
        .cluster
        .as_ref()?
        .server
        .clone()
}

/// `HELM_KUBEINSECURE_SKIP_TLS_VERIFY` as Helm reads it (`envBoolOr`: Go's `strconv.ParseBool`,
/// anything else is the default, false).
pub fn go_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> LiveOptions {
        LiveOptions::default()
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    const KIND: &str = "apiVersion: v1\nkind: Config\ncurrent-context: kind-a\nclusters:\n- name: kind-a\n  cluster:\n    server: https://127.0.0.1:6443\n    tls-server-name: kind-a.local\n- name: kind-b\n  cluster:\n    server: https://127.0.0.1:7443\ncontexts:\n- name: kind-a\n  context: {cluster: kind-a, user: admin-a}\n- name: kind-b\n  context: {cluster: kind-b, user: admin-b}\nusers:\n- name: admin-a\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: get-token\n- name: admin-b\n  user: {token: b-token}\n";

    #[test]
    fn explicit_kubeconfig_wins_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a", KIND);
        let env = Env {
            kubeconfig: Some(dir.path().join("other").into_os_string()),
            ..Env::default()
        };
        assert_eq!(kubeconfig_files(Some(&a), &env).unwrap(), vec![a.clone()]);
        let missing = dir.path().join("missing");
        assert!(matches!(
            kubeconfig_files(Some(&missing), &env),
            Err(LiveError::KubeconfigRead { .. })
        ));
    }

    #[test]
    fn kubeconfig_list_skips_missing_files_and_empty_entries() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a", KIND);
        let b = write(dir.path(), "b", KIND);
        let list = std::env::join_paths([
            a.clone(),
            dir.path().join("gone"),
            PathBuf::new(),
            b.clone(),
        ])
        .unwrap();
        let env = Env {
            kubeconfig: Some(list),
            home: Some(dir.path().to_path_buf()),
            ..Env::default()
        };
        assert_eq!(kubeconfig_files(None, &env).unwrap(), vec![a, b]);
    }

    #[test]
    fn empty_kubeconfig_variable_falls_back_to_home() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".kube")).unwrap();
        let home = write(&dir.path().join(".kube"), "config", KIND);
        let env = Env {
            kubeconfig: Some(OsString::new()),
            home: Some(dir.path().to_path_buf()),
            ..Env::default()
        };
        assert_eq!(kubeconfig_files(None, &env).unwrap(), vec![home]);
        let nothing = Env::default();
        assert!(kubeconfig_files(None, &nothing).unwrap().is_empty());
    }

    #[test]
    fn context_flag_beats_current_context_and_unknown_ones_list_the_choices() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a", KIND);
        let mut o = opts();
        o.kubeconfig = Some(a.clone());
        let t = resolve(&o, &Env::default()).unwrap().unwrap();
        assert_eq!(t.context, "kind-a");
        assert_eq!(
            t.description,
            "live: context kind-a (https://127.0.0.1:6443)"
        );
        o.context = Some("kind-b".into());
        let t = resolve(&o, &Env::default()).unwrap().unwrap();
        assert_eq!(t.server, "https://127.0.0.1:7443");
        o.context = Some("prod".into());
        match resolve(&o, &Env::default()) {
            Err(LiveError::UnknownContext { available, .. }) => {
                assert_eq!(available, ["kind-a", "kind-b"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn first_file_wins_when_merging() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a", KIND);
        let b = write(
            dir.path(),
            "b",
            "current-context: other\ncontexts:\n- name: other\n  context: {cluster: kind-b}\n",
        );
        let env = Env {
            kubeconfig: Some(std::env::join_paths([b, a]).unwrap()),
            ..Env::default()
        };
        let t = resolve(&opts(), &env).unwrap().unwrap();
        assert_eq!(t.context, "other");
        assert_eq!(t.server, "https://127.0.0.1:7443");
    }

    #[test]
    fn a_kubeconfig_that_does_not_parse_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(
            dir.path(),
            "bad",
            "clusters: [\n  - name: x\n  cluster: {\n",
        );
        let mut o = opts();
        o.kubeconfig = Some(bad.clone());
        match resolve(&o, &Env::default()) {
            Err(e @ LiveError::KubeconfigParse { .. }) => {
                let m = e.to_string();
                assert!(
                    m.starts_with(&format!(
                        "kubeconfig {} does not parse: line ",
                        bad.display()
                    )),
                    "{m}"
                );
                assert!(!m.contains('\n'), "no snippet (it could show a token): {m}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn overrides_replace_server_ca_and_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a", KIND);
        let mut o = opts();
        o.kubeconfig = Some(a);
        o.api_server = Some("https://10.0.0.1:6443".into());
        o.token = Some("t0k3n".into());
        o.ca_file = Some(PathBuf::from("/etc/ca.pem"));
        let t = resolve(&o, &Env::default()).unwrap().unwrap();
        assert_eq!(t.server, "https://10.0.0.1:6443");
        let cluster = t.kubeconfig.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(
            cluster.tls_server_name, None,
            "--server drops tls-server-name"
        );
        assert_eq!(
            cluster.certificate_authority.as_deref(),
            Some("/etc/ca.pem")
        );
        assert_eq!(cluster.insecure_skip_tls_verify, Some(false));
        let user = t.kubeconfig.auth_infos[0].auth_info.as_ref().unwrap();
        assert!(user.exec.is_none(), "the token replaces the exec plugin");
        assert!(user.token.is_some());
    }

    #[test]
    fn flags_alone_describe_a_cluster() {
        let mut o = opts();
        o.api_server = Some("http://127.0.0.1:1".into());
        o.token = Some("abc".into());
        o.insecure_skip_tls_verify = true;
        let t = resolve(&o, &Env::default()).unwrap().unwrap();
        assert_eq!(t.description, "live: http://127.0.0.1:1 (--kube-apiserver)");
        let ctx = t.kubeconfig.contexts[0].context.as_ref().unwrap();
        assert_eq!(ctx.user.as_deref(), Some("stackcheck"));
        assert_eq!(
            t.kubeconfig.clusters[0]
                .cluster
                .as_ref()
                .unwrap()
                .insecure_skip_tls_verify,
            Some(true)
        );
    }

    #[test]
    fn nothing_configured_or_no_current_context() {
        match resolve(&opts(), &Env::default()).unwrap() {
            Err(NotConfigured::NoKubeconfig { .. }) => {}
            other => panic!("{other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let a = write(
            dir.path(),
            "a",
            &KIND.replace("current-context: kind-a\n", ""),
        );
        let mut o = opts();
        o.kubeconfig = Some(a);
        match resolve(&o, &Env::default()).unwrap() {
            Err(NotConfigured::NoCurrentContext { available, .. }) => {
                assert_eq!(available, ["kind-a", "kind-b"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn in_cluster_when_no_kubeconfig_and_a_service_account_is_mounted() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "token", "sa-token");
        write(dir.path(), "namespace", "ci\n");
        let env = Env {
            service: Some(("10.96.0.1".into(), "443".into())),
            service_account_dir: dir.path().to_path_buf(),
            ..Env::default()
        };
        let t = resolve(&opts(), &env).unwrap().unwrap();
        assert_eq!(t.description, "live: in-cluster (https://10.96.0.1:443)");
        let ctx = t.kubeconfig.contexts[0].context.as_ref().unwrap();
        assert_eq!(ctx.namespace.as_deref(), Some("ci"));
        // Without the token file it is not a pod.
        let env = Env {
            service_account_dir: dir.path().join("nope"),
            ..env
        };
        assert!(resolve(&opts(), &env).unwrap().is_err());
    }

    #[test]
    fn helm_booleans_are_gos_parse_bool() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(go_bool(t), "{t}");
        }
        for f in ["0", "f", "false", "False", "yes", "on", "", "tRuE"] {
            assert!(!go_bool(f), "{f}");
        }
    }
}
