//! `stackcheck package` and `stackcheck publish` end to end: `charts/llm-stack` published to a
//! real OCI registry (Debian's `docker-registry`, the CNCF Distribution registry) and to a static
//! chart repository served over HTTP, both on 127.0.0.1, with Helm v3 and v4; then installed
//! from each (`helm template`, `helm install --dry-run=client`, `stackcheck check --chart REF`).
//! Also: the gates (stale schema or README, version not above the repository's, lint) refuse
//! with exit 1 and say which file and how to fix it; a dry run writes nothing.
//!
//! Everything listens on and talks to 127.0.0.1 only (proxies are removed from the
//! environment); every server a test starts is stopped by a guard, also when the test panics.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{Gpg, Helm, text};

// ---- servers on 127.0.0.1 -------------------------------------------------------------------

/// What a handler answers: status, content type, body.
type Reply = (u16, &'static str, Vec<u8>);

/// A small HTTP/1.1 server on 127.0.0.1 (one connection at a time, `Connection: close`),
/// stopped and joined when dropped.
struct Http {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Http {
    fn start(handler: impl Fn(&str) -> Reply + Send + 'static) -> Http {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request);
                let mut parts = request.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let target = parts.next().unwrap_or("/").to_string();
                let (status, content_type, body) = handler(&target);
                let head = format!(
                    "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    if status == 200 { "OK" } else { "Not Found" },
                    body.len()
                );
                let _ = conn.write_all(head.as_bytes());
                if method != "HEAD" {
                    let _ = conn.write_all(&body);
                }
                let _ = conn.shutdown(Shutdown::Both);
            }
        });
        Http {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A static chart repository: the files of `root`, as a web server serves a directory.
fn static_files(root: PathBuf) -> impl Fn(&str) -> Reply + Send + 'static {
    move |target| {
        let path = target
            .split('?')
            .next()
            .unwrap_or("")
            .trim_start_matches('/');
        let safe = !path.is_empty() && !path.split('/').any(|c| c == ".." || c.is_empty());
        match std::fs::read(root.join(path)) {
            Ok(body) if safe => (200, "application/octet-stream", body),
            _ => (404, "text/plain", b"not found\n".to_vec()),
        }
    }
}

/// Just enough of a Kubernetes API server for Helm v3's `install --dry-run=client` (which,
/// unlike Helm v4's, checks that the cluster is reachable, reads its discovery to map the
/// rendered kinds, looks for a release of that name and for objects it would take over): the
/// version, discovery for the kinds in `kinds` (`apiVersion`, `Kind`), no releases, no objects.
fn fake_kube_api(kinds: BTreeSet<(String, String)>) -> impl Fn(&str) -> Reply + Send + 'static {
    const CLUSTER_SCOPED: &[&str] = &[
        "ClusterRole",
        "ClusterRoleBinding",
        "Namespace",
        "PersistentVolume",
        "StorageClass",
        "CustomResourceDefinition",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "SecurityContextConstraints",
        "OAuthClient",
    ];
    let json = |v: serde_json::Value| (200, "application/json", v.to_string().into_bytes());
    move |target| {
        let path = target.split('?').next().unwrap_or("");
        let group_versions: BTreeSet<&str> = kinds.iter().map(|(gv, _)| gv.as_str()).collect();
        let resources = |gv: &str| {
            let list: Vec<serde_json::Value> = kinds
                .iter()
                .filter(|(g, _)| g == gv)
                .map(|(_, kind)| {
                    let lower = kind.to_ascii_lowercase();
                    let plural = if let Some(stem) = lower.strip_suffix('y') {
                        format!("{stem}ies")
                    } else if lower.ends_with('s') {
                        format!("{lower}es")
                    } else {
                        format!("{lower}s")
                    };
                    serde_json::json!({"name": plural, "singularName": lower, "kind": kind,
                        "namespaced": !CLUSTER_SCOPED.contains(&kind.as_str()),
                        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]})
                })
                .collect();
            json(
                serde_json::json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
            )
        };
        match path {
            "/version" => json(
                serde_json::json!({"major": "1", "minor": "34", "gitVersion": "v1.34.4", "platform": "linux/amd64"}),
            ),
            "/api" => json(serde_json::json!({"kind": "APIVersions", "versions": ["v1"]})),
            "/apis" => {
                let groups: Vec<serde_json::Value> = group_versions
                    .iter()
                    .filter_map(|gv| gv.split_once('/'))
                    .map(|(g, v)| {
                        let gv = serde_json::json!({"groupVersion": format!("{g}/{v}"), "version": v});
                        serde_json::json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
                    })
                    .collect();
                json(
                    serde_json::json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
                )
            }
            "/api/v1" => resources("v1"),
            p if p.starts_with("/apis/") && p.matches('/').count() == 3 => {
                resources(p.trim_start_matches("/apis/"))
            }
            // Helm's release storage: no release of that name yet.
            p if p.ends_with("/secrets") => json(
                serde_json::json!({"kind": "SecretList", "apiVersion": "v1", "metadata": {}, "items": []}),
            ),
            _ => (
                404,
                "application/json",
                serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})
                    .to_string()
                    .into_bytes(),
            ),
        }
    }
}

/// The `(apiVersion, kind)` of every document of a manifest stream.
fn kinds_of(manifests: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for doc in manifests.split("\n---") {
        let field = |key: &str| {
            doc.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        if let (Some(api), Some(kind)) = (field("apiVersion:"), field("kind:")) {
            out.insert((api, kind));
        }
    }
    out
}

/// A real OCI registry (`docker-registry serve`) on 127.0.0.1, storage in a temporary
/// directory; killed and reaped when dropped.
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

/// The registry binary: `$DOCKER_REGISTRY`, else Debian's `/usr/bin/docker-registry`. Missing:
/// a failure under CI (`scripts/test.sh` installs it), else the test says how to get it and
/// returns early.
fn registry_binary() -> Option<PathBuf> {
    let bin = std::env::var_os("DOCKER_REGISTRY")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/docker-registry"), PathBuf::from);
    if bin.is_file() {
        return Some(bin);
    }
    let msg = format!(
        "{} not found: install Debian's docker-registry package (`apt-get install -y docker-registry`; scripts/test.sh does) or set DOCKER_REGISTRY",
        bin.display()
    );
    common::skip_unless_ci(&msg);
    None
}

impl Registry {
    fn start(bin: &Path) -> Registry {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: stackcheck-test\n",
                dir.path().join("storage").display()
            ),
        )
        .expect("write registry config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("log");
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .env_remove("REGISTRY_HTTP_ADDR")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let mut registry = Registry {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some((200, _)) = get(port, "/v2/") {
                return registry;
            }
            if let Ok(Some(status)) = registry.child.try_wait() {
                let log = std::fs::read_to_string(registry._dir.path().join("registry.log"))
                    .unwrap_or_default();
                panic!("docker-registry exited ({status}) before serving:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer on 127.0.0.1:{port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn oci(&self) -> String {
        format!("oci://127.0.0.1:{}/charts", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on 127.0.0.1:port: status and body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    conn.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

// ---- commands -------------------------------------------------------------------------------

/// `helm ARGS` isolated in `home` (also HOME: client-go's discovery cache).
fn helm_cmd(helm: &Helm, home: &Path, args: &[impl AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = helm.isolated(home);
    cmd.env("HOME", home).args(args).output().expect("run helm")
}

/// `stackcheck ARGS` running `helm`, isolated in `home` the same way.
fn stackcheck(helm: &Helm, home: &Path, args: &[impl AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = helm.stackcheck(home);
    cmd.env("HOME", home)
        .args(args)
        .output()
        .expect("run stackcheck")
}

fn ok(out: Output, what: &str) -> String {
    common::ok(&out, what)
}

/// The stderr of a run that must have exited with `code`.
fn stderr_on_exit(out: &Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `stackcheck COMMAND CHART --write` (`schema` or `docs`), which must succeed.
fn write_generated(helm: &Helm, home: &Path, command: &str, chart: &str) {
    ok(
        stackcheck(helm, home, &[command, chart, "--write"]),
        &format!("{command} --write"),
    );
}

fn bump_version(chart: &Path, version: &str) {
    let path = chart.join("Chart.yaml");
    let yaml = std::fs::read_to_string(&path).expect("Chart.yaml");
    let mut lines: Vec<String> = yaml.lines().map(str::to_string).collect();
    let line = lines
        .iter_mut()
        .find(|l| l.starts_with("version:"))
        .expect("a version line");
    *line = format!("version: {version}");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write Chart.yaml");
}

// ---- the tests ------------------------------------------------------------------------------

#[test]
fn llm_stack_published_to_an_oci_registry_and_a_static_repository_installs_from_both_with_helm_v3_and_v4()
 {
    let Some(helms) = common::helms() else {
        return;
    };
    let Some(registry_bin) = registry_binary() else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let home = work.path().join("publisher");
    std::fs::create_dir_all(&home).expect("home");
    let chart = work.path().join("llm-stack");
    common::copy_dir(&common::repo_root().join("charts/llm-stack"), &chart);
    let chart_arg = chart.to_str().expect("utf-8");
    let site = work.path().join("site");
    std::fs::create_dir_all(&site).expect("site");
    let site_arg = site.to_str().expect("utf-8");

    let registry = Registry::start(&registry_bin);
    let web = Http::start(static_files(site.clone()));
    let oci = registry.oci();
    let tags = || get(registry.port, "/v2/charts/llm-stack/tags/list").expect("registry answers");

    // A dry run shows the package, its annotations and where it would go, and writes nothing.
    let v3 = &helms[0];
    for (repo, extra) in [(site_arg, None), (oci.as_str(), Some("--plain-http"))] {
        let mut args = vec!["publish", chart_arg, "--repo", repo, "--dry-run"];
        args.extend(extra);
        let out = ok(stackcheck(v3, &home, &args), "publish --dry-run");
        assert!(out.contains("chart       llm-stack 0.1.0"), "{out}");
        assert!(out.contains("dry run: nothing was written"), "{out}");
        assert!(
            out.contains("annotation  artifacthub.io/images (added, from"),
            "{out}"
        );
        assert!(
            out.contains("image: ghcr.io/berriai/litellm-database:"),
            "{out}"
        );
        let action = if extra.is_some() {
            format!("  helm push llm-stack-0.1.0.tgz {oci} (→ {oci}/llm-stack:0.1.0)")
        } else {
            format!("  copy llm-stack-0.1.0.tgz to {site_arg}/llm-stack-0.1.0.tgz")
        };
        assert!(out.contains(&action), "{out}");
    }
    assert_eq!(
        std::fs::read_dir(&site).expect("site").count(),
        0,
        "a dry run wrote into the repository"
    );
    assert_eq!(tags().0, 404, "a dry run pushed to the registry");

    // Helm v3 publishes 0.1.0, Helm v4 publishes 0.1.1 (the version bumped and the README
    // regenerated, since it shows the version); each version is refused the second time.
    let original_chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).expect("read");
    let mut versions = Vec::new();
    for (i, helm) in helms.iter().enumerate() {
        let version = format!("0.1.{i}");
        if i > 0 {
            bump_version(&chart, &version);
            ok(
                stackcheck(helm, &home, &["docs", chart_arg, "--write"]),
                "docs --write",
            );
        }
        let out = ok(
            stackcheck(helm, &home, &["publish", chart_arg, "--repo", site_arg]),
            &format!(
                "publish {version} to the directory with Helm {}",
                helm.label
            ),
        );
        assert!(
            out.contains(&format!("published   {site_arg}/llm-stack-{version}.tgz")),
            "{out}"
        );
        let out = ok(
            stackcheck(
                helm,
                &home,
                &["publish", chart_arg, "--repo", &oci, "--plain-http"],
            ),
            &format!("publish {version} to the registry with Helm {}", helm.label),
        );
        assert!(
            out.contains(&format!("published   {oci}/llm-stack:{version} (sha256:")),
            "{out}"
        );
        // Again: refused by the directory, by the repository's URL (its index.yaml read over
        // HTTP, `package --repo URL`) and by the registry.
        let web_url = web.url();
        let unused = work.path().join("unused");
        let unused = unused.to_str().expect("utf-8");
        for (repo, args) in [
            (site_arg, vec!["publish", chart_arg, "--repo", site_arg]),
            (
                web_url.as_str(),
                vec!["package", chart_arg, "--repo", &web_url, "-d", unused],
            ),
            (
                oci.as_str(),
                vec!["publish", chart_arg, "--repo", &oci, "--plain-http"],
            ),
        ] {
            let out = stackcheck(helm, &home, &args);
            assert_eq!(out.status.code(), Some(1), "republish: {}", text(&out));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains(&format!(
                    "error[package-version]: llm-stack {version} is already published in {repo}: a published version is never replaced"
                )),
                "{stderr}"
            );
            assert!(stderr.contains("hint: bump `version` in"), "{stderr}");
        }
        assert!(
            !Path::new(unused).exists(),
            "a refused package is not written"
        );
        versions.push(version);
    }
    // The user's chart is never changed by packaging (only by our own version bump).
    let chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).expect("read");
    assert!(!chart_yaml.contains("artifacthub.io"), "{chart_yaml}");
    if helms.len() > 1 {
        assert_eq!(chart_yaml.replace("0.1.1", "0.1.0"), original_chart_yaml);
    }
    let index = std::fs::read_to_string(site.join("index.yaml")).expect("index.yaml");
    let (status, listed) = tags();
    assert_eq!(status, 200, "{listed}");
    for v in &versions {
        assert!(index.contains(&format!("version: {v}")), "{index}");
        assert!(listed.contains(&format!("\"{v}\"")), "{listed}");
        assert!(site.join(format!("llm-stack-{v}.tgz")).is_file());
    }

    // Helm v3's `install --dry-run=client` needs a reachable cluster: a fake API server that
    // knows the kinds the chart renders.
    let rendered = ok(
        helm_cmd(v3, &home, &["template", "rel", chart_arg]),
        "helm template (kinds)",
    );
    let kube = Http::start(fake_kube_api(kinds_of(&rendered)));

    // Every Helm installs every version from both repositories, and stackcheck checks them.
    for helm in &helms {
        let home = work.path().join(format!("consumer-{}", helm.label));
        std::fs::create_dir_all(&home).expect("home");
        std::fs::write(
            home.join("kubeconfig"),
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: '{}'}}\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: fake, namespace: llm}}\ncurrent-context: fake\nusers:\n- name: fake\n  user: {{token: fake}}\n",
                kube.url()
            ),
        )
        .expect("kubeconfig");
        ok(
            helm_cmd(helm, &home, &["repo", "add", "local", &web.url()]),
            "helm repo add",
        );
        for version in &versions {
            let oci_ref = format!("{oci}/llm-stack");
            for (reference, extra) in [
                (oci_ref.as_str(), Some("--plain-http")),
                ("local/llm-stack", None),
            ] {
                let what = format!("Helm {} {reference} {version}", helm.label);
                let with = |args: &[&str]| -> Vec<String> {
                    let mut v: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                    v.extend(["--version".to_string(), version.clone()]);
                    v.extend(extra.map(str::to_string));
                    v
                };
                let chart_yaml = ok(
                    helm_cmd(helm, &home, &with(&["show", "chart", reference])),
                    &format!("{what}: show chart"),
                );
                assert!(
                    chart_yaml.contains(&format!("version: {version}"))
                        && chart_yaml.contains("artifacthub.io/images: |")
                        && chart_yaml.contains("image: ghcr.io/open-webui/open-webui:"),
                    "{what}: {chart_yaml}"
                );
                let manifests = ok(
                    helm_cmd(helm, &home, &with(&["template", "rel", reference])),
                    &format!("{what}: helm template"),
                );
                assert!(
                    manifests.contains("# Source: llm-stack/charts/litellm/templates/"),
                    "{what}"
                );
                let install = ok(
                    helm_cmd(
                        helm,
                        &home,
                        // The fake API server serves no OpenAPI documents to validate with.
                        &with(&[
                            "install",
                            "rel",
                            reference,
                            "-n",
                            "llm",
                            "--dry-run=client",
                            "--disable-openapi-validation",
                        ]),
                    ),
                    &format!("{what}: helm install --dry-run=client"),
                );
                assert!(install.contains("STATUS: pending-install"), "{what}");
                let check = stackcheck(
                    helm,
                    &home,
                    &with(&["check", "--chart", reference, "--cluster", "none"]),
                );
                let report = ok(check, &format!("{what}: stackcheck check"));
                assert!(
                    report.contains(&format!(
                        "Resources of release release-name ({reference}), namespace default"
                    )) && report.contains("litellm/gateway"),
                    "{what}: {report}"
                );
            }
        }
    }
}

/// A one-Deployment chart with a production profile, its schema and README generated.
fn tiny_chart(dir: &Path, helm: &Helm, home: &Path) -> PathBuf {
    let chart = common::write_files(
        &dir.join("tiny"),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: tiny\ndescription: A test chart\nversion: 0.1.0\nicon: https://example.com/icon.png\n",
            ),
            (
                "values.yaml",
                "# -- Pods\nreplicas: 1\n# -- Image tag\ntag: \"1.27.3\"\n",
            ),
            ("values-prod.yaml", "replicas: 3\ntag: \"1.27.4\"\n"),
            (
                "templates/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: \"docker.io/library/nginx:{{ .Values.tag }}\"\n          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n            limits: {memory: 64Mi}\n",
            ),
        ],
    );
    let arg = chart.to_str().expect("utf-8");
    write_generated(helm, home, "schema", arg);
    write_generated(helm, home, "docs", arg);
    chart
}

/// One Helm's scratch space in a test: a temporary directory with a Helm home and a
/// [`tiny_chart`] in it.
struct Tiny {
    work: tempfile::TempDir,
    home: PathBuf,
    chart: PathBuf,
}

impl Tiny {
    fn new(helm: &Helm) -> Tiny {
        let work = tempfile::tempdir().expect("tempdir");
        let home = work.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        let chart = tiny_chart(work.path(), helm, &home);
        Tiny { work, home, chart }
    }
}

#[test]
fn stale_files_a_lower_version_and_lint_findings_block_packaging_and_say_how_to_fix_them() {
    let Some(helms) = common::helms() else {
        return;
    };
    for helm in &helms {
        let Tiny { work, home, chart } = Tiny::new(helm);
        let arg = chart.to_str().expect("utf-8");
        let dist = work.path().join("dist");
        let dist_arg = dist.to_str().expect("utf-8");
        let package = |extra: &[&str]| {
            let mut args = vec!["package", arg, "-d", dist_arg];
            args.extend(extra);
            stackcheck(helm, &home, &args)
        };

        // A new value: the schema rejects it, so the README's profiles cannot render yet (and
        // `helm lint` fails on the values too).
        let values = std::fs::read_to_string(chart.join("values.yaml")).expect("read");
        std::fs::write(
            chart.join("values.yaml"),
            format!("{values}# -- Port\nport: 8080\n"),
        )
        .expect("write");
        let out = package(&[]);
        let stderr = stderr_on_exit(&out, 1);
        assert!(
            stderr.contains(&format!(
                "error[package-docs]: {} cannot be checked: profile values.yaml does not render against the stale schema",
                chart.join("README.md").display()
            )) && stderr.contains(&format!(
                "hint: run `stackcheck schema {arg} --write` first, then `stackcheck docs {arg} --write`, and commit both"
            )) && stderr.contains("values.schema.json is stale"),
            "{stderr}"
        );
        write_generated(helm, &home, "schema", arg);
        write_generated(helm, &home, "docs", arg);

        // A changed description: values.schema.json and README.md are both stale.
        let values = std::fs::read_to_string(chart.join("values.yaml")).expect("read");
        std::fs::write(
            chart.join("values.yaml"),
            values.replace("# -- Port", "# -- Port the web server listens on"),
        )
        .expect("write");
        let out = package(&[]);
        let stderr = stderr_on_exit(&out, 1);
        let schema = chart.join("values.schema.json");
        let readme = chart.join("README.md");
        for expected in [
            format!(
                "error[package-schema]: {} is stale: it differs from what values.yaml generates",
                schema.display()
            ),
            format!("hint: run `stackcheck schema {arg} --write` and commit the result"),
            format!(
                "error[package-docs]: {} is stale: it differs from what the chart generates",
                readme.display()
            ),
            format!("hint: run `stackcheck docs {arg} --write` and commit the result"),
            "refusing to package: 2 gate(s) failed (docs, schema)".to_string(),
        ] {
            assert!(
                stderr.contains(&expected),
                "Helm {}: missing {expected:?} in\n{stderr}",
                helm.label
            );
        }
        // The diffs show what changed.
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Port the web server listens on"),
            "{}",
            text(&out)
        );
        assert!(!dist.exists(), "nothing is packaged when a gate refuses");

        // The README alone is fixed: the schema still blocks.
        write_generated(helm, &home, "docs", arg);
        let out = package(&[]);
        let stderr = stderr_on_exit(&out, 1);
        assert!(stderr.contains("values.schema.json is stale"), "{stderr}");
        assert!(!stderr.contains("README.md"), "{stderr}");
        write_generated(helm, &home, "schema", arg);

        // A repository that already has a higher version.
        let site = work.path().join("site");
        std::fs::create_dir_all(&site).expect("site");
        std::fs::write(
            site.join("index.yaml"),
            "apiVersion: v1\nentries:\n  tiny:\n  - name: tiny\n    version: 0.2.0-rc.1\n    urls: [tiny-0.2.0-rc.1.tgz]\n",
        )
        .expect("index");
        let site_arg = site.to_str().expect("utf-8");
        let out = package(&["--repo", site_arg]);
        let stderr = stderr_on_exit(&out, 1);
        assert!(
            stderr.contains(&format!(
                "error[package-version]: {site_arg} already has tiny 0.2.0-rc.1, above 0.1.0"
            )),
            "{stderr}"
        );

        // Packaged: the images of both profiles, the user's Chart.yaml untouched.
        let before = std::fs::read_to_string(chart.join("Chart.yaml")).expect("read");
        let out = ok(package(&[]), "package");
        let tgz = dist.join("tiny-0.1.0.tgz");
        assert!(
            out.contains(&format!("packaged    {} (", tgz.display())),
            "{out}"
        );
        assert_eq!(
            std::fs::read_to_string(chart.join("Chart.yaml")).expect("read"),
            before
        );
        let shown = ok(
            helm_cmd(
                helm,
                &home,
                &["show", "chart", tgz.to_str().expect("utf-8")],
            ),
            "show chart",
        );
        assert!(
            shown.contains(
                "artifacthub.io/images: |\n    - name: web\n      image: docker.io/library/nginx:1.27.3\n    - name: web\n      image: docker.io/library/nginx:1.27.4\n"
            ),
            "Helm {}: {shown}",
            helm.label
        );

        // A hand-written annotation is kept; --write-annotations adds the derived rest to the
        // user's Chart.yaml, once.
        std::fs::write(
            chart.join("Chart.yaml"),
            format!("{before}annotations:\n  artifacthub.io/license: Apache-2.0 # ours\n"),
        )
        .expect("write");
        std::fs::write(chart.join("LICENSE"), "MIT License\n\nCopyright (c) 2026\n")
            .expect("write");
        let out = ok(
            package(&["--write-annotations"]),
            "package --write-annotations",
        );
        assert!(
            out.contains("annotation  artifacthub.io/license (kept as written in Chart.yaml)"),
            "{out}"
        );
        let written = std::fs::read_to_string(chart.join("Chart.yaml")).expect("read");
        assert!(written.starts_with(&before), "{written}");
        assert!(
            written.contains("\"artifacthub.io/license\": \"Apache-2.0\"")
                && written.contains("artifacthub.io/images: |"),
            "{written}"
        );

        // A lint warning fails `helm lint --strict`.
        std::fs::write(
            chart.join("templates/extra.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_DNS_Name\ndata: {a: b}\n",
        )
        .expect("write");
        let out = package(&[]);
        let stderr = stderr_on_exit(&out, 1);
        assert!(
            stderr.contains(&format!(
                "error[package-lint]: `helm lint --strict {arg}` fails"
            )),
            "Helm {}: {stderr}",
            helm.label
        );
    }
}

#[test]
fn publishing_to_an_http_url_is_bad_input() {
    let Some(helms) = common::helms() else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let out = stackcheck(
        &helms[0],
        work.path(),
        &[
            "publish",
            common::repo_root()
                .join("charts/llm-stack")
                .to_str()
                .expect("utf-8"),
            "--repo",
            "http://127.0.0.1:9/charts",
        ],
    );
    let stderr = stderr_on_exit(&out, 2);
    assert!(
        stderr.contains("cannot publish to http://127.0.0.1:9/charts: a static repository served over HTTP has no upload protocol"),
        "{stderr}"
    );
    assert!(stderr.contains("--repo DIR"), "{stderr}");
}

#[test]
fn signed_packages_verify_with_helm_and_their_provenance_is_published() {
    let Some(helms) = common::helms() else {
        return;
    };
    let Some(gpg) = Gpg::new() else {
        return;
    };
    let (secring, pubring) = gpg.key("Stackcheck Test <test@example.invalid>", "rsa2048");
    for helm in &helms {
        let Tiny { work, home, chart } = Tiny::new(helm);
        let dist = work.path().join("dist");
        let site = work.path().join("site");
        std::fs::create_dir_all(&site).expect("site");
        let secring = secring.display().to_string();
        let sign = ["--sign", "--key", "Stackcheck Test", "--keyring", &secring];
        let mut args = vec![
            "publish",
            chart.to_str().expect("utf-8"),
            "--repo",
            site.to_str().expect("utf-8"),
            "-d",
            dist.to_str().expect("utf-8"),
        ];
        args.extend(sign);
        let out = ok(stackcheck(helm, &home, &args), "publish --sign");
        let prov = dist.join("tiny-0.1.0.tgz.prov");
        assert!(
            out.contains(&format!("signed      {}", prov.display())),
            "{out}"
        );
        for dir in [&dist, &site] {
            let verified = ok(
                helm_cmd(
                    helm,
                    &home,
                    &[
                        "verify",
                        dir.join("tiny-0.1.0.tgz").to_str().expect("utf-8"),
                        "--keyring",
                        pubring.to_str().expect("utf-8"),
                    ],
                ),
                &format!("Helm {} verify in {}", helm.label, dir.display()),
            );
            assert!(
                verified.contains("Signed by: Stackcheck Test <test@example.invalid>"),
                "{verified}"
            );
        }
    }
}
