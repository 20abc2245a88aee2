//! `--cluster live` and `stackcheck snapshot` against a fake Kubernetes API server: plain
//! HTTP/1.1 on 127.0.0.1, replaying recorded API responses (`tests/fixtures/live/`: `/version`,
//! discovery, `Status` objects) and serving the bundled cluster `gpu-lab.json` as the API server
//! would: typed lists (`NodeList`, items without kind), paged by `limit` with `continue` tokens,
//! pods filtered by the `fieldSelector` on `status.phase`. The server records every request so
//! tests can check what the client asked.

mod common;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const GPU_LAB: &str = "tests/fixtures/clusters/gpu-lab.json";
const RELEASE: &str = "tests/fixtures/preflight/gpu-lab-release.yaml";
const POD_SELECTOR: &str = "status.phase!=Succeeded,status.phase!=Failed";

// ---------------------------------------------------------------------------------------------
// The fake API server

/// One request the server got.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    query: BTreeMap<String, String>,
    /// Lower-case names.
    headers: BTreeMap<String, String>,
    at: Instant,
}

impl Request {
    fn param(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Response {
    fn json(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn fixture(status: u16, name: &str) -> Response {
        Response::json(status, read(&format!("tests/fixtures/live/{name}")))
    }
}

/// Answers a request before the default routes; `history` holds every request so far, this one
/// last.
type Override = dyn Fn(&Request, &[Request]) -> Option<Response> + Send + Sync;

struct FakeApi {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeApi {
    fn start() -> FakeApi {
        FakeApi::with(|_, _| None)
    }

    fn with(
        handler: impl Fn(&Request, &[Request]) -> Option<Response> + Send + Sync + 'static,
    ) -> FakeApi {
        FakeApi::listen(None, handler)
    }

    /// HTTPS with `tests/fixtures/live/tls/server.pem` (for 127.0.0.1, signed by `ca.pem`).
    fn tls() -> FakeApi {
        let dir = common::repo_root().join("tests/fixtures/live/tls");
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_file_iter(dir.join("server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        FakeApi::listen(Some(Arc::new(config)), |_, _| None)
    }

    fn listen(
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: impl Fn(&Request, &[Request]) -> Option<Response> + Send + Sync + 'static,
    ) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let lists = Arc::new(api_lists());
        let handler: Arc<Override> = Arc::new(handler);
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, lists, handler, tls) =
                    (log.clone(), lists.clone(), handler.clone(), tls.clone());
                std::thread::spawn(move || match tls {
                    None => serve(stream, &log, &lists, &*handler),
                    Some(config) => {
                        let Ok(conn) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        serve(
                            rustls::StreamOwned::new(conn, stream),
                            &log,
                            &lists,
                            &*handler,
                        )
                    }
                });
            }
        });
        FakeApi { url, requests }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

/// Requests on one connection, until the client closes it.
fn serve(
    stream: impl Read + Write,
    log: &Mutex<Vec<Request>>,
    lists: &BTreeMap<String, Vec<Value>>,
    handler: &Override,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let query = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        let request = Request {
            path: path.to_string(),
            query,
            headers,
            at: Instant::now(),
        };
        let history = {
            let mut log = log.lock().unwrap();
            log.push(request.clone());
            log.clone()
        };
        let response = handler(&request, &history).unwrap_or_else(|| route(&request, lists));
        // The API server compresses responses over 128 KiB when the client accepts gzip.
        let gzip = response.body.len() >= 128 << 10
            && request
                .headers
                .get("accept-encoding")
                .is_some_and(|e| e.contains("gzip"));
        let body = if gzip {
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(response.body.as_bytes()).unwrap();
            z.finish().unwrap()
        } else {
            response.body.into_bytes()
        };
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            response.status,
            body.len()
        );
        if gzip {
            head.push_str("Content-Encoding: gzip\r\n");
        }
        for (k, v) in &response.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let stream = reader.get_mut();
        if stream.write_all(head.as_bytes()).is_err()
            || stream.write_all(&body).is_err()
            || stream.flush().is_err()
        {
            return;
        }
    }
}

/// What a real API server answers, for the gpu-lab cluster.
fn route(r: &Request, lists: &BTreeMap<String, Vec<Value>>) -> Response {
    match r.path.as_str() {
        "/version" => Response::fixture(200, "version.json"),
        "/api" => Response::fixture(200, "api.json"),
        "/apis" => Response::fixture(200, "apis.json"),
        path => match lists.get(path) {
            Some(items) => list_page(path, items, r),
            None => Response::json(
                404,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": "the server could not find the requested resource",
                       "reason": "NotFound", "details": {}, "code": 404})
                .to_string(),
            ),
        },
    }
}

/// One page of a list: `limit` items from the `continue` offset.
fn list_page(path: &str, items: &[Value], r: &Request) -> Response {
    let items: Vec<&Value> = items
        .iter()
        .filter(|p| {
            // The API server's field selector on pods.
            path != "/api/v1/pods"
                || r.param("fieldSelector") != Some(POD_SELECTOR)
                || !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
        })
        .collect();
    let offset: usize = r
        .param("continue")
        .and_then(|t| t.strip_prefix("offset+"))
        .and_then(|t| t.strip_suffix("/=="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let limit = r
        .param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    let end = offset.saturating_add(limit).min(items.len());
    let page = &items[offset.min(end)..end];
    let kind = match path.rsplit('/').next().unwrap_or_default() {
        "nodes" => "NodeList",
        "pods" => "PodList",
        "storageclasses" => "StorageClassList",
        "resourcequotas" => "ResourceQuotaList",
        "limitranges" => "LimitRangeList",
        _ => "RuntimeClassList",
    };
    let api_version = if path.starts_with("/api/v1") {
        "v1".to_string()
    } else {
        path.split('/')
            .skip(2)
            .take(2)
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut metadata = json!({"resourceVersion": "48213011"});
    if end < items.len() {
        // Tokens are opaque base64 for real; these need encoding in a query too.
        metadata["continue"] = json!(format!("offset+{end}/=="));
        metadata["remainingItemCount"] = json!(items.len() - end);
    }
    Response::json(
        200,
        json!({"kind": kind, "apiVersion": api_version, "metadata": metadata, "items": page})
            .to_string(),
    )
}

/// gpu-lab.json's objects by list URL, as the API sends them: without kind and apiVersion.
fn api_lists() -> BTreeMap<String, Vec<Value>> {
    let list: Value = serde_json::from_str(&read(GPU_LAB)).unwrap();
    let mut lists: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for item in list["items"].as_array().unwrap() {
        let path = match item["kind"].as_str().unwrap() {
            "Node" => "/api/v1/nodes",
            "Pod" => "/api/v1/pods",
            "StorageClass" => "/apis/storage.k8s.io/v1/storageclasses",
            "ResourceQuota" => "/api/v1/resourcequotas",
            "LimitRange" => "/api/v1/limitranges",
            "RuntimeClass" => "/apis/node.k8s.io/v1/runtimeclasses",
            other => panic!("unexpected kind {other}"),
        };
        let mut item = item.clone();
        let object = item.as_object_mut().unwrap();
        object.remove("kind");
        object.remove("apiVersion");
        lists.entry(path.to_string()).or_default().push(item);
    }
    lists
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Running stackcheck

fn read(path: &str) -> String {
    std::fs::read_to_string(common::repo_root().join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A scratch directory as HOME, with a kubeconfig for `server` (context `lab`, a token user).
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn kubeconfig(&self, server: &str) -> PathBuf {
        self.write(
            "kubeconfig",
            &format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: lab\nclusters:\n- name: lab\n  cluster:\n    server: {server}\ncontexts:\n- name: lab\n  context:\n    cluster: lab\n    user: lab-admin\n- name: staging\n  context:\n    cluster: lab\n    user: lab-admin\nusers:\n- name: lab-admin\n  user:\n    token: lab-token\n"
            ),
        )
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// stackcheck with HOME here and none of the caller's Kubernetes settings.
    fn stackcheck(&self) -> Command {
        let mut cmd = common::stackcheck();
        cmd.current_dir(common::repo_root())
            .env("HOME", self.dir.path());
        for var in [
            "KUBECONFIG",
            "HELM_KUBECONTEXT",
            "HELM_KUBEAPISERVER",
            "HELM_KUBETOKEN",
            "HELM_KUBECAFILE",
            "HELM_KUBEINSECURE_SKIP_TLS_VERIFY",
            "KUBERNETES_SERVICE_HOST",
            "KUBERNETES_SERVICE_PORT",
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// With `KUBECONFIG` pointing at the kubeconfig for `server`, and short retry delays.
    fn live(&self, server: &str) -> Command {
        let mut cmd = self.stackcheck();
        cmd.env("KUBECONFIG", self.kubeconfig(server));
        cmd
    }
}

/// `stackcheck snapshot --cluster live -o snap.json` with a 10ms retry backoff.
fn snapshot_with_fast_retries(s: &Scratch, api: &FakeApi) -> Output {
    run(s
        .live(&api.url)
        .args([
            "snapshot",
            "--cluster",
            "live",
            "--retry-backoff",
            "10ms",
            "-o",
        ])
        .arg(s.path("snap.json")))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run stackcheck")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); exit {:?}, stderr:\n{}",
            out.status.code(),
            stderr(out)
        )
    })
}

fn snapshot_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A small release that fits on gpu-lab's CPU workers.
const SMALL_RELEASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: llm\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        resources:\n          requests: {cpu: 100m, memory: 128Mi}\n          limits: {cpu: 200m, memory: 256Mi}\n";

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn live_preflight_equals_preflight_on_its_snapshot_and_on_the_bundled_file() {
    let api = FakeApi::start();
    let s = Scratch::new();
    let snap = s.path("snap.json");
    // No --cluster: a usable kubeconfig context makes it live, and says so.
    let out = run(s.live(&api.url).args(["snapshot", "-o"]).arg(&snap));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "no --cluster given, so the cluster is live: context lab ({})",
            api.url
        )),
        "{}",
        stderr(&out)
    );
    let written = snapshot_file(&snap);
    assert_eq!(written["kind"], "ClusterSnapshot");
    assert_eq!(written["serverVersion"], "v1.31.4");
    assert_eq!(written["metadata"]["name"], "lab");
    let versions = written["apiVersions"].as_array().unwrap();
    for v in ["v1", "apps/v1", "storage.k8s.io/v1", "nvidia.com/v1"] {
        assert!(versions.contains(&json!(v)), "{v} in {versions:?}");
    }

    let preflight = |cluster: &str| {
        let out = run(s.live(&api.url).args([
            "preflight",
            "--manifests",
            RELEASE,
            "-o",
            "json",
            "--cluster",
            cluster,
        ]));
        assert_eq!(code(&out), 1, "does not fit; {}", stderr(&out));
        let mut r = report(&out);
        let source = r["cluster"]["source"].take();
        (r, source)
    };
    let (live, live_source) = preflight("live");
    let (snapshot, snapshot_source) = preflight(snap.to_str().unwrap());
    let (bundled, _) = preflight(GPU_LAB);
    assert_eq!(live_source, format!("live: context lab ({})", api.url));
    assert_eq!(snapshot_source, snap.display().to_string());
    assert_eq!(live, snapshot, "live and its snapshot");
    // The bundled file also lists finished and unbound pods, which the reader notes; the API
    // server filtered the finished ones, and the unbound one is left out of both.
    let mut bundled = bundled;
    bundled["findings"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["code"] != "snapshot-pods");
    assert_eq!(live, bundled, "live and the bundled snapshot");
    assert_eq!(live["verdict"], "does-not-fit");
    assert_eq!(live["cluster"]["nodes"], 6);
    assert_eq!(live["cluster"]["pods"], 55);
}

#[test]
fn lists_are_read_page_by_page_and_pods_filtered_by_the_server() {
    let api = FakeApi::start();
    let s = Scratch::new();
    let paged = s.path("paged.json");
    let out = run(s
        .live(&api.url)
        .args(["snapshot", "--cluster", "live", "--page-size", "7", "-o"])
        .arg(&paged));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // 60 pods, 4 of them finished: 56 sent, 8 pages of 7.
    let pods = api.requests_to("/api/v1/pods");
    assert!(
        pods[0].headers["accept-encoding"].contains("gzip"),
        "large lists come compressed"
    );
    assert_eq!(pods.len(), 8, "{pods:#?}");
    for (i, r) in pods.iter().enumerate() {
        assert_eq!(r.param("fieldSelector"), Some(POD_SELECTOR));
        assert_eq!(r.param("limit"), Some("7"));
        let expected = (i > 0).then(|| format!("offset+{}/==", 7 * i));
        assert_eq!(r.param("continue"), expected.as_deref(), "page {i}");
    }
    // Every list was read, each from its first page.
    for path in [
        "/api/v1/nodes",
        "/apis/storage.k8s.io/v1/storageclasses",
        "/api/v1/resourcequotas",
        "/api/v1/limitranges",
        "/apis/node.k8s.io/v1/runtimeclasses",
    ] {
        let requests = api.requests_to(path);
        assert_eq!(requests.len(), 1, "{path}");
        assert_eq!(requests[0].param("continue"), None);
    }
    // Exactly the objects of a snapshot converted from the bundled file.
    let converted = s.path("converted.json");
    let out = run(s
        .stackcheck()
        .args(["snapshot", "--cluster", GPU_LAB, "-o"])
        .arg(&converted));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        snapshot_file(&paged)["items"],
        snapshot_file(&converted)["items"]
    );
}

#[test]
fn an_expired_continue_token_restarts_the_list_once() {
    let api = FakeApi::with(|r, history| {
        let first_continue = r.path == "/api/v1/pods"
            && r.param("continue").is_some()
            && history
                .iter()
                .filter(|h| h.path == r.path && h.param("continue").is_some())
                .count()
                == 1;
        first_continue.then(|| Response::fixture(410, "expired.json"))
    });
    let s = Scratch::new();
    let out = run(s
        .live(&api.url)
        .args(["snapshot", "--cluster", "live", "--page-size", "20", "-o"])
        .arg(s.path("snap.json")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // page 1, 410 on page 2, then pages 1, 2, 3 again.
    let pods = api.requests_to("/api/v1/pods");
    let continues: Vec<Option<&str>> = pods.iter().map(|r| r.param("continue")).collect();
    assert_eq!(
        continues,
        [
            None,
            Some("offset+20/=="),
            None,
            Some("offset+20/=="),
            Some("offset+40/==")
        ]
    );
    let snap = snapshot_file(&s.path("snap.json"));
    let pods = snap["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "Pod")
        .count();
    assert_eq!(pods, 55, "each pod once");
    assert!(!stderr(&out).contains("twice"), "{}", stderr(&out));
}

#[test]
fn forbidden_lists_are_gaps_that_name_the_permission_and_make_the_verdict_unknown() {
    let api = FakeApi::with(|r, _| match r.path.as_str() {
        "/api/v1/resourcequotas" => Some(Response::fixture(403, "forbidden-resourcequotas.json")),
        "/api/v1/limitranges" => Some(Response::fixture(403, "forbidden-limitranges.json")),
        _ => None,
    });
    let s = Scratch::new();
    let manifest = s.write("web.yaml", SMALL_RELEASE);
    let out = run(s
        .live(&api.url)
        .args([
            "preflight",
            "--cluster",
            "live",
            "-o",
            "json",
            "--manifests",
        ])
        .arg(&manifest));
    assert_eq!(code(&out), 3, "unknown → exit 3; {}", stderr(&out));
    let r = report(&out);
    let (_, validator) = common::report_schema("preflight-report.schema.json");
    let errors = common::schema_errors(&validator, &r);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(r["verdict"], "unknown");
    let gaps = r["gaps"].as_array().unwrap();
    let gap = |what: &str| {
        gaps.iter()
            .find(|g| g["what"] == what)
            .unwrap_or_else(|| panic!("no gap {what} in {gaps:#?}"))
    };
    let quota = gap("resourcequotas");
    let why = quota["why"].as_str().unwrap();
    assert!(
        why.contains("missing permission `list resourcequotas (cluster-wide)`"),
        "{why}"
    );
    assert!(
        why.contains("resources: [\"resourcequotas\"], verbs: [\"list\"]"),
        "{why}"
    );
    assert!(
        why.contains("cannot list resource \"resourcequotas\""),
        "the server's words: {why}"
    );
    assert!(quota["affects"].as_str().unwrap().starts_with("quota:"));
    assert!(
        gap("limitranges")["why"]
            .as_str()
            .unwrap()
            .contains("`list limitranges (cluster-wide)`")
    );
    assert_eq!(gaps.len(), 2, "{gaps:#?}");
    // The rest was read and the release placed.
    assert_eq!(r["cluster"]["nodes"], 6);
    for p in r["pods"].as_array().unwrap() {
        assert!(p["node"].is_string(), "{p}");
    }
}

#[test]
fn rejected_credentials_are_an_error_that_says_to_log_in_again() {
    let api = FakeApi::with(|_, _| Some(Response::fixture(401, "unauthorized.json")));
    let s = Scratch::new();
    let out = run(s
        .live(&api.url)
        .args(["snapshot", "--cluster", "live", "-o"])
        .arg(s.path("snap.json")));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "the API server {} rejected the credentials (401 Unauthorized: Unauthorized)",
            api.url
        )),
        "{err}"
    );
    assert!(err.contains("refresh the token / re-login"), "{err}");
    assert_eq!(api.requests().len(), 1, "no retries after a 401");
    assert!(!s.path("snap.json").exists());
}

#[test]
fn throttled_requests_are_retried_after_the_servers_delay() {
    let api = FakeApi::with(|r, history| {
        let first =
            r.path == "/api/v1/nodes" && history.iter().filter(|h| h.path == r.path).count() == 1;
        first.then(|| Response {
            headers: vec![("Retry-After", "1".to_string())],
            ..Response::fixture(429, "too-many-requests.json")
        })
    });
    let s = Scratch::new();
    let out = snapshot_with_fast_retries(&s, &api);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let nodes = api.requests_to("/api/v1/nodes");
    assert_eq!(nodes.len(), 2, "429, then 200");
    let gap = nodes[1].at - nodes[0].at;
    assert!(
        gap >= Duration::from_millis(900),
        "Retry-After: 1 honoured, not the 10ms backoff: {gap:?}"
    );
    let snap = snapshot_file(&s.path("snap.json"));
    assert_eq!(
        snap["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "Node")
            .count(),
        6
    );
}

#[test]
fn server_errors_give_up_after_bounded_retries() {
    let api = FakeApi::with(|r, _| {
        (r.path == "/api/v1/pods").then(|| Response::fixture(500, "internal-error.json"))
    });
    let s = Scratch::new();
    let started = Instant::now();
    let out = snapshot_with_fast_retries(&s, &api);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("answered GET /api/v1/pods?limit=500&fieldSelector="),
        "{err}"
    );
    assert!(
        err.contains(
            "with 500: Internal error occurred: etcdserver: request timed out (after 4 attempt(s))"
        ),
        "{err}"
    );
    assert_eq!(api.requests_to("/api/v1/pods").len(), 4);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_unreachable_server_is_named_within_the_timeout() {
    // A port nothing listens on: connection refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("http://127.0.0.1:{port}");
    let s = Scratch::new();
    let manifest = s.write("web.yaml", SMALL_RELEASE);
    let started = Instant::now();
    let out = run(s
        .live(&server)
        .args([
            "preflight",
            "--request-timeout",
            "2s",
            "--cluster",
            "live",
            "--manifests",
        ])
        .arg(&manifest));
    let elapsed = started.elapsed();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cannot reach the Kubernetes API server {server}")),
        "{}",
        stderr(&out)
    );
    assert!(elapsed < Duration::from_secs(2 + 3), "{elapsed:?}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Accepts connections and reads, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let s = Scratch::new();
    let started = Instant::now();
    let out =
        run(s
            .live(&server)
            .args(["snapshot", "--request-timeout", "1s", "--cluster", "live"]));
    let elapsed = started.elapsed();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "the Kubernetes API server {server} did not answer within 1s (GET /version)"
        )),
        "{}",
        stderr(&out)
    );
    assert!(elapsed < Duration::from_secs(1 + 3), "{elapsed:?}");
}

#[test]
fn a_kubeconfig_that_does_not_parse_is_bad_input_naming_the_file() {
    let s = Scratch::new();
    let broken = s.write(
        "broken-kubeconfig",
        "apiVersion: v1\nclusters:\n- name: lab\n  cluster: {server: https://127.0.0.1:6443\ncontexts: []\n",
    );
    let out =
        run(s
            .stackcheck()
            .env("KUBECONFIG", &broken)
            .args(["snapshot", "--cluster", "live"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("kubeconfig {} does not parse", broken.display())),
        "{err}"
    );
    assert!(
        err.contains("does not parse: line 5 column 9: "),
        "the position: {err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "no snippet (a kubeconfig line may hold a token): {err}"
    );
}

#[test]
fn an_unknown_context_is_bad_input_listing_the_contexts() {
    let api = FakeApi::start();
    let s = Scratch::new();
    let out =
        run(s
            .live(&api.url)
            .args(["snapshot", "--cluster", "live", "--kube-context", "prod"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("context \"prod\" is not in the kubeconfig")
            && stderr(&out).contains("available contexts: lab, staging"),
        "{}",
        stderr(&out)
    );
    assert!(api.requests().is_empty());
    // The flag beats HELM_KUBECONTEXT, as in Helm.
    let out = run(s.live(&api.url).env("HELM_KUBECONTEXT", "prod").args([
        "snapshot",
        "--cluster",
        "live",
        "--kube-context",
        "staging",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(report(&out)["metadata"]["name"], "staging");
    // And HELM_KUBECONTEXT alone chooses.
    let out = run(s.live(&api.url).env("HELM_KUBECONTEXT", "prod").args([
        "snapshot",
        "--cluster",
        "live",
    ]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn helm_variables_alone_give_the_server_and_the_token() {
    let api = FakeApi::start();
    let s = Scratch::new();
    // No kubeconfig anywhere: HOME is empty, KUBECONFIG unset.
    let out = run(s
        .stackcheck()
        .env("HELM_KUBEAPISERVER", &api.url)
        .env("HELM_KUBETOKEN", "helm-token")
        .args(["snapshot", "-o"])
        .arg(s.path("snap.json")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("live: {} (--kube-apiserver)", api.url)),
        "{}",
        stderr(&out)
    );
    let requests = api.requests();
    assert!(requests.len() >= 9, "discovery and six lists");
    for r in &requests {
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some("Bearer helm-token"),
            "{}",
            r.path
        );
    }
    // The token also replaces the kubeconfig user's credentials.
    let out = run(s.live(&api.url).env("HELM_KUBETOKEN", "override").args([
        "snapshot",
        "--cluster",
        "live",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        api.requests().last().unwrap().headers["authorization"],
        "Bearer override"
    );
}

#[test]
fn helms_impersonation_variables_become_impersonation_headers() {
    let api = FakeApi::start();
    let s = Scratch::new();
    // As `helm --kube-as-user alice --kube-as-group devs,ops stackcheck ...` hands them over.
    let out = run(s
        .live(&api.url)
        .env("HELM_KUBEASUSER", "alice")
        .env("HELM_KUBEASGROUPS", "devs,ops")
        .args(["snapshot", "--cluster", "live", "-o"])
        .arg(s.path("snap.json")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let requests = api.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.headers.get("impersonate-user").map(String::as_str),
            Some("alice"),
            "{}",
            r.path
        );
        assert!(r.headers.contains_key("impersonate-group"), "{}", r.path);
    }
    // Without them, no impersonation.
    let out = run(s
        .live(&api.url)
        .args(["snapshot", "--cluster", "live", "--force", "-o"])
        .arg(s.path("snap.json")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        !api.requests()
            .last()
            .is_some_and(|r| r.headers.contains_key("impersonate-user"))
    );
}

#[test]
fn helms_plugin_environment_with_empty_variables_means_unset() {
    // Helm sets every HELM_KUBE* variable for a plugin, empty when its flag was not given.
    let api = FakeApi::start();
    let s = Scratch::new();
    let mut cmd = s.live(&api.url);
    for var in [
        "HELM_KUBECONTEXT",
        "HELM_KUBEAPISERVER",
        "HELM_KUBETOKEN",
        "HELM_KUBECAFILE",
    ] {
        cmd.env(var, "");
    }
    cmd.env("HELM_KUBEINSECURE_SKIP_TLS_VERIFY", "false");
    let out = run(cmd.args(["snapshot", "--cluster", "live"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(report(&out)["metadata"]["name"], "lab");
    assert_eq!(
        api.requests()[0].headers["authorization"],
        "Bearer lab-token",
        "the kubeconfig user's token"
    );
}

#[test]
fn an_exec_credential_plugin_supplies_the_token() {
    let api = FakeApi::start();
    let s = Scratch::new();
    let plugin = common::repo_root().join("tests/fixtures/live/exec-credential.sh");
    let kubeconfig = s.write(
        "exec-kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: eks\nclusters:\n- name: eks\n  cluster:\n    server: {}\ncontexts:\n- name: eks\n  context: {{cluster: eks, user: eks-user}}\nusers:\n- name: eks-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"{}\"]\n      interactiveMode: Never\n",
            api.url,
            plugin.display()
        ),
    );
    let out = run(s
        .stackcheck()
        .args(["snapshot", "--cluster", "live", "--kubeconfig"])
        .arg(&kubeconfig));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let requests = api.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some("Bearer exec-token-from-plugin"),
            "{}",
            r.path
        );
    }
}

#[test]
fn a_failing_credential_plugin_is_an_error_naming_it() {
    let api = FakeApi::start();
    let s = Scratch::new();
    let kubeconfig = s.write(
        "exec-kubeconfig",
        &format!(
            "current-context: eks\nclusters:\n- name: eks\n  cluster: {{server: \"{}\"}}\ncontexts:\n- name: eks\n  context: {{cluster: eks, user: eks-user}}\nusers:\n- name: eks-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"-c\", \"exit 7\"]\n",
            api.url
        ),
    );
    let out = run(s
        .stackcheck()
        .args(["snapshot", "--cluster", "live", "--kubeconfig"])
        .arg(&kubeconfig));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "could not get credentials for the API server {}: the credential plugin `sh -c exit 7` failed (exit status: 7)",
            api.url
        )),
        "{}",
        stderr(&out)
    );
    assert!(api.requests().is_empty());
}

#[test]
fn tls_is_verified_with_the_kubeconfig_or_helm_ca() {
    let api = FakeApi::tls();
    let ca = common::repo_root().join("tests/fixtures/live/tls/ca.pem");
    let s = Scratch::new();
    // The server's certificate is signed by a CA the system does not know.
    let out = run(s.live(&api.url).args(["snapshot", "--cluster", "live"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot reach the Kubernetes API server {}: invalid peer certificate: UnknownIssuer",
            api.url
        )),
        "{err}"
    );
    assert!(err.contains("--kube-ca-file"), "{err}");
    assert!(api.requests().is_empty());
    // The CA from the kubeconfig, from --kube-ca-file, from HELM_KUBECAFILE; or no check at all.
    let with_ca = s.write(
        "tls-kubeconfig",
        &format!(
            "current-context: lab\nclusters:\n- name: lab\n  cluster:\n    server: {}\n    certificate-authority: {}\ncontexts:\n- name: lab\n  context: {{cluster: lab, user: lab-admin}}\nusers:\n- name: lab-admin\n  user: {{token: lab-token}}\n",
            api.url,
            ca.display()
        ),
    );
    let ca_arg = ca.display().to_string();
    let with_env = |mut cmd: Command, key: &str, value: &std::ffi::OsStr| {
        cmd.env(key, value);
        cmd
    };
    let runs: [(&str, Command, &[&str]); 4] = [
        (
            "kubeconfig",
            with_env(s.stackcheck(), "KUBECONFIG", with_ca.as_os_str()),
            &[],
        ),
        (
            "--kube-ca-file",
            s.live(&api.url),
            &["--kube-ca-file", &ca_arg],
        ),
        (
            "HELM_KUBECAFILE",
            with_env(s.live(&api.url), "HELM_KUBECAFILE", ca.as_os_str()),
            &[],
        ),
        (
            "HELM_KUBEINSECURE_SKIP_TLS_VERIFY",
            with_env(
                s.live(&api.url),
                "HELM_KUBEINSECURE_SKIP_TLS_VERIFY",
                "true".as_ref(),
            ),
            &[],
        ),
    ];
    for (how, mut cmd, extra) in runs {
        let before = api.requests().len();
        let out = run(cmd.args(["snapshot", "--cluster", "live"]).args(extra));
        assert_eq!(code(&out), 0, "{how}: {}", stderr(&out));
        assert_eq!(report(&out)["serverVersion"], "v1.31.4", "{how}");
        assert!(api.requests().len() > before, "{how}");
    }
}

#[test]
fn a_malformed_object_is_reported_and_skipped() {
    let api = FakeApi::with(|r, _| {
        (r.path == "/api/v1/nodes").then(|| {
            Response::json(
                200,
                json!({"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                       "items": [
                           {"metadata": {"name": "good"}, "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                            "conditions": [{"type": "Ready", "status": "True"}]}},
                           {"metadata": {"name": "bad"}, "status": {"allocatable": {"cpu": "8 cores"}}}
                       ]})
                .to_string(),
            )
        })
    });
    let s = Scratch::new();
    let out = run(s
        .live(&api.url)
        .args(["snapshot", "--cluster", "live", "-o"])
        .arg(s.path("snap.json")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Node/bad does not decode"),
        "{}",
        stderr(&out)
    );
    let snap = snapshot_file(&s.path("snap.json"));
    let nodes: Vec<&Value> = snap["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "Node")
        .collect();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["metadata"]["name"], "good");
    assert!(
        snap["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["what"] == "Node/bad"),
        "{}",
        snap["gaps"]
    );
}

#[test]
fn snapshot_does_not_overwrite_other_files_without_force() {
    let s = Scratch::new();
    let precious = s.write("notes.json", "{\"keep\": \"me\"}\n");
    let out = run(s
        .stackcheck()
        .args(["snapshot", "--cluster", GPU_LAB, "-o"])
        .arg(&precious));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a stackcheck snapshot"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "{\"keep\": \"me\"}\n"
    );
    let out = run(s
        .stackcheck()
        .args(["snapshot", "--force", "--cluster", GPU_LAB, "-o"])
        .arg(&precious));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(snapshot_file(&precious)["kind"], "ClusterSnapshot");
    // Our own snapshot is replaced without asking.
    let out = run(s
        .stackcheck()
        .args(["snapshot", "--cluster", GPU_LAB, "-o"])
        .arg(&precious));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Nothing else was left in the directory (the temporary file was renamed).
    let names: Vec<String> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["notes.json"]);
}

#[test]
fn preflight_without_any_cluster_says_what_it_needs() {
    let s = Scratch::new();
    let manifest = s.write("web.yaml", SMALL_RELEASE);
    let out = run(s
        .stackcheck()
        .args(["preflight", "--manifests"])
        .arg(&manifest));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no --cluster given and no cluster configured"),
        "{err}"
    );
    assert!(err.contains("preflight needs a cluster"), "{err}");
}
