//! `charts/llm-stack` for the chart tests: profiles rendered in parallel, YAML → JSON,
//! Kubernetes quantities, pod templates of rendered workloads.

use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::{Helm, repo_root};

pub fn chart_dir() -> PathBuf {
    repo_root().join("charts/llm-stack")
}

/// Extra `helm template` flags of a profile (API versions the profile is meant for).
pub fn profile_api_versions(profile: &str) -> Vec<&'static str> {
    match profile {
        "values-openshift.yaml" => vec![
            "-a",
            "route.openshift.io/v1",
            "-a",
            "security.openshift.io/v1",
        ],
        "values-staging.yaml"
        | "values-prod.yaml"
        | "values-router-staging.yaml"
        | "values-router-prod.yaml"
        | "values-aiops-prod.yaml" => vec!["-a", "monitoring.coreos.com/v1"],
        _ => vec![],
    }
}

pub const RELEASE: &str = "rel";
pub const NAMESPACE: &str = "llm";

/// `helm template rel charts/llm-stack -n llm -f <profile> <extra...>`; stdout on success.
pub fn template(helm: &Helm, profile: &str, extra: &[&str]) -> Result<String, String> {
    let chart = chart_dir();
    let mut cmd = Command::new(&helm.bin);
    cmd.arg("template")
        .arg(RELEASE)
        .arg(&chart)
        .args(["-n", NAMESPACE]);
    cmd.arg("-f").arg(chart.join(profile));
    cmd.args(profile_api_versions(profile));
    cmd.args(extra);
    let out = cmd
        .output()
        .map_err(|e| format!("running {}: {e}", helm.bin.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `helm lint --strict charts/llm-stack -f <profile>`.
pub fn lint(helm: &Helm, profile: &str) -> Result<(), String> {
    let chart = chart_dir();
    let out = Command::new(&helm.bin)
        .args(["lint", "--strict"])
        .arg(&chart)
        .arg("-f")
        .arg(chart.join(profile))
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Converts a saphyr node into JSON (scalars resolved with the YAML 1.2 core schema).
pub fn to_json(y: &YamlOwned) -> Value {
    match y {
        YamlOwned::Value(s) => match s {
            ScalarOwned::Null => Value::Null,
            ScalarOwned::Boolean(b) => Value::Bool(*b),
            ScalarOwned::Integer(i) => Value::from(*i),
            ScalarOwned::FloatingPoint(f) => {
                serde_json::Number::from_f64(f.0).map_or(Value::Null, Value::Number)
            }
            ScalarOwned::String(s) => Value::String(s.clone()),
        },
        YamlOwned::Representation(s, _, _) => Value::String(s.clone()),
        YamlOwned::Sequence(seq) => Value::Array(seq.iter().map(to_json).collect()),
        YamlOwned::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
        YamlOwned::Tagged(_, inner) => to_json(inner),
        YamlOwned::Alias(_) | YamlOwned::BadValue => Value::Null,
    }
}

/// Parses a multi-document YAML stream; empty documents are dropped; every document must be an
/// object with apiVersion, kind and metadata.name.
pub fn parse_docs(text: &str) -> Vec<Value> {
    let docs = YamlOwned::load_from_str(text)
        .unwrap_or_else(|e| panic!("rendered YAML does not parse: {e}"));
    docs.iter()
        .map(to_json)
        .filter(|d| !d.is_null())
        .inspect(|d| {
            assert!(
                d["apiVersion"].is_string()
                    && d["kind"].is_string()
                    && d["metadata"]["name"].is_string(),
                "malformed document: {d}"
            )
        })
        .collect()
}

/// Renders every (helm, profile) pair once, in parallel, and caches the parsed documents.
pub fn rendered(
    helms: &[Helm],
    profiles: &[&str],
) -> &'static HashMap<(String, String), Vec<Value>> {
    static CACHE: OnceLock<HashMap<(String, String), Vec<Value>>> = OnceLock::new();
    CACHE.get_or_init(|| {
        let jobs: Vec<(Helm, String)> = helms
            .iter()
            .flat_map(|h| profiles.iter().map(move |p| (h.clone(), p.to_string())))
            .collect();
        type Rendered = ((String, String), Result<Vec<Value>, String>);
        let results: Vec<Rendered> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .iter()
                .map(|(h, p)| {
                    s.spawn(move || {
                        let r = template(h, p, &[]).map(|t| parse_docs(&t));
                        ((h.label.to_string(), p.clone()), r)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("render thread panicked"))
                .collect()
        });
        let mut map = HashMap::new();
        let mut errors = Vec::new();
        for (key, r) in results {
            match r {
                Ok(d) => {
                    map.insert(key, d);
                }
                Err(e) => errors.push(format!("helm {} template {}: {e}", key.0, key.1)),
            }
        }
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        map
    })
}

// ---------------------------------------------------------------------------------------------
// Quantities (enough of the Kubernetes grammar for chart values; exact integers).

/// CPU quantity in millicores, rounded up.
pub fn cpu_millis(v: &Value) -> i64 {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => panic!("bad cpu quantity {other}"),
    };
    if let Some(m) = s.strip_suffix('m') {
        return m.parse().unwrap_or_else(|_| panic!("bad cpu {s}"));
    }
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut frac = frac.to_string();
    let round_up = frac.len() > 3 && frac[3..].chars().any(|c| c != '0');
    frac.truncate(3);
    while frac.len() < 3 {
        frac.push('0');
    }
    int.parse::<i64>().unwrap_or(0) * 1000 + frac.parse::<i64>().unwrap() + i64::from(round_up)
}

/// Memory/storage quantity in bytes (integers with binary or decimal suffixes).
pub fn bytes(v: &Value) -> i64 {
    let s = match v {
        Value::Number(n) => return n.as_i64().expect("integer bytes"),
        Value::String(s) => s.as_str(),
        other => panic!("bad memory quantity {other}"),
    };
    for (suf, mul) in [
        ("Ki", 1i64 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("k", 1000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
    ] {
        if let Some(n) = s.strip_suffix(suf) {
            return n
                .parse::<i64>()
                .unwrap_or_else(|_| panic!("bad quantity {s}"))
                * mul;
        }
    }
    s.parse().unwrap_or_else(|_| panic!("bad quantity {s}"))
}

pub const MI: i64 = 1 << 20;
pub const GI: i64 = 1 << 30;

// ---------------------------------------------------------------------------------------------
// Workloads.

/// One pod template of the rendered release.
#[derive(Debug, Clone)]
pub struct PodTemplate<'a> {
    pub kind: String,
    pub name: String,
    pub object: &'a Value,
    /// labels of the pod
    pub labels: &'a Value,
    pub annotations: &'a Value,
    pub spec: &'a Value,
    /// True for hook/test objects (Jobs with helm.sh/hook, test Pods, CronJobs).
    pub ephemeral: bool,
}

pub fn pod_templates(docs: &[Value]) -> Vec<PodTemplate<'_>> {
    let mut out = Vec::new();
    for d in docs {
        let kind = d["kind"].as_str().unwrap_or_default();
        let tmpl = match kind {
            "Deployment" | "StatefulSet" | "Job" | "DaemonSet" => &d["spec"]["template"],
            "CronJob" => &d["spec"]["jobTemplate"]["spec"]["template"],
            "Pod" => d,
            _ => continue,
        };
        out.push(PodTemplate {
            kind: kind.to_string(),
            name: d["metadata"]["name"].as_str().unwrap().to_string(),
            object: d,
            labels: &tmpl["metadata"]["labels"],
            annotations: &tmpl["metadata"]["annotations"],
            spec: &tmpl["spec"],
            ephemeral: !matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet"),
        });
    }
    out
}

pub fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

pub fn containers(spec: &Value) -> impl Iterator<Item = (&Value, bool)> {
    arr(&spec["initContainers"])
        .iter()
        .map(|c| (c, true))
        .chain(arr(&spec["containers"]).iter().map(|c| (c, false)))
}

pub fn label<'a>(labels: &'a Value, key: &str) -> &'a str {
    labels[key].as_str().unwrap_or_default()
}

/// Kubernetes' effective pod request of one resource: max(sum of app containers, each init container).
pub fn pod_request(spec: &Value, resource: &str, parse: fn(&Value) -> i64) -> i64 {
    let get = |c: &Value| {
        c["resources"]["requests"]
            .get(resource)
            .map(parse)
            .unwrap_or(0)
    };
    let app: i64 = arr(&spec["containers"]).iter().map(get).sum();
    let init = arr(&spec["initContainers"])
        .iter()
        .map(get)
        .max()
        .unwrap_or(0);
    app.max(init)
}

/// Steady-state replicas of a Deployment/StatefulSet: spec.replicas, else the HPA/ScaledObject
/// minimum that targets it, else 1.
pub fn replicas(docs: &[Value], kind: &str, name: &str, object: &Value) -> i64 {
    if let Some(r) = object["spec"]["replicas"].as_i64() {
        return r;
    }
    for d in docs {
        let target = &d["spec"]["scaleTargetRef"];
        if target["kind"] == kind
            && target["name"] == name
            && let Some(m) = d["spec"]["minReplicas"]
                .as_i64()
                .or(d["spec"]["minReplicaCount"].as_i64())
        {
            return m;
        }
    }
    1
}

/// matchLabels selector ⊆ labels.
pub fn selects(selector: &Value, labels: &Value) -> bool {
    match selector["matchLabels"].as_object() {
        None => selector.as_object().is_some_and(Map::is_empty) || selector.is_null(),
        Some(m) => m.iter().all(|(k, v)| labels.get(k) == Some(v)),
    }
}
