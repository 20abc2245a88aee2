//! The Kubernetes shapes under `schemas/k8s/`: each is a self-contained draft-07 schema that
//! accepts and rejects what Kubernetes (and chart conventions) would, and Helm v3 and v4 read each
//! one the way the `jsonschema` crate does.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

const DRAFT7: &str = "http://json-schema.org/draft-07/schema#";

/// Every fragment, with values it must accept and values it must reject.
fn examples() -> Vec<(&'static str, Vec<Value>, Vec<Value>)> {
    vec![
        (
            "quantity",
            vec![
                json!("100m"),
                json!("1.5Gi"),
                json!("1e3"),
                json!(2),
                json!(0.5),
                json!("+1Ki"),
                json!("12e-3"),
                json!("0"),
                json!("-1"),
                json!(".5"),
                json!("1."),
                json!("500M"),
                json!("1E"),
                json!("2Ei"),
                json!("1E6"),
                json!("3n"),
                json!("4u"),
                json!("128974848"),
            ],
            vec![
                json!("1.5 Gi"),
                json!("1GB"),
                json!("abc"),
                json!("1iM"),
                json!(""),
                json!("1e"),
                json!("1e1.5"),
                json!("1Kb"),
                json!("Mi"),
                json!("1K"),
                json!(" 1"),
                json!("1 "),
                json!(true),
                json!(null),
                json!({"cpu": 1}),
            ],
        ),
        (
            "resources",
            vec![
                json!({}),
                json!({"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": 2, "nvidia.com/gpu": 1}}),
                json!({"limits": {"memory": "1Gi"}, "claims": [{"name": "gpu", "request": "a"}]}),
            ],
            vec![
                json!({"request": {"cpu": 1}}),
                json!({"limits": {"memory": "1GB"}}),
                json!({"requests": {"cpu": "1 core"}}),
                json!({"requests": ["cpu"]}),
                json!({"claims": [{"request": "a"}]}),
                json!("100m"),
            ],
        ),
        (
            "probe",
            vec![
                json!({"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 10, "periodSeconds": 5}),
                json!({"tcpSocket": {"port": 8080}, "failureThreshold": 30}),
                json!({"exec": {"command": ["cat", "/tmp/ok"]}}),
                json!({"grpc": {"port": 9090, "service": "health"}}),
                json!({"enabled": true, "timeoutSeconds": 1, "successThreshold": 1}),
            ],
            vec![
                json!({"httpGet": {"path": "/"}}),
                json!({"httpget": {"port": 80}}),
                json!({"initialDelaySeconds": "10"}),
                json!({"periodSeconds": -1}),
                json!({"httpGet": {"port": 80, "scheme": "http"}}),
                json!({"grpc": {"port": "grpc"}}),
                json!({"exec": {"command": "cat /tmp/ok"}}),
            ],
        ),
        (
            "podSecurityContext",
            vec![
                json!({}),
                json!({"runAsNonRoot": true, "runAsUser": 1000, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}}),
                json!({"enabled": true, "fsGroupChangePolicy": "OnRootMismatch", "supplementalGroups": [1, 2]}),
                json!({"sysctls": [{"name": "net.core.somaxconn", "value": "1024"}], "seLinuxOptions": {"level": "s0:c1"}}),
            ],
            vec![
                json!({"runAsUser": "1000"}),
                json!({"runAsUser": -1}),
                json!({"seccompProfile": {"type": "runtime/default"}}),
                json!({"seccompProfile": {}}),
                json!({"fsGroupChangePolicy": "Sometimes"}),
                json!({"allowPrivilegeEscalation": false}),
                json!({"sysctls": [{"name": "x"}]}),
            ],
        ),
        (
            "securityContext",
            vec![
                json!({}),
                json!({
                    "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true,
                    "runAsNonRoot": true,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"}
                }),
                json!({"enabled": true, "privileged": false, "runAsUser": 0, "appArmorProfile": {"type": "Localhost", "localhostProfile": "p"}}),
            ],
            vec![
                json!({"capabilities": {"drop": "ALL"}}),
                json!({"capabilities": {"remove": ["ALL"]}}),
                json!({"readOnlyRootFilesystem": "true"}),
                json!({"fsGroup": 1000}),
                json!({"procMount": "Masked"}),
                json!({"runAsUser": 1.5}),
            ],
        ),
        (
            "tolerations",
            vec![
                json!([]),
                json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]),
                json!([{"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute", "tolerationSeconds": 300}]),
                json!([{"operator": "Exists"}]),
            ],
            vec![
                json!({"key": "a"}),
                json!([{"key": "a", "operator": "exists"}]),
                json!([{"key": "a", "effect": "NoScheduleX"}]),
                json!([{"key": "a", "value": 1}]),
                json!([{"key": "a", "tolerationSeconds": "300"}]),
                json!([{"key": "a", "effect": "NoSchedule", "operater": "Exists"}]),
            ],
        ),
        (
            "affinity",
            vec![
                json!({}),
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "nvidia.com/gpu.product", "operator": "In", "values": ["NVIDIA-A100-SXM4-80GB"]}]}
                ]}}}),
                json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {
                    "labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"
                }}]}}),
                json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                    "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, "topologyKey": "zone"
                }]}}),
            ],
            vec![
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "a", "operator": "in"}]}
                ]}}}),
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}}),
                json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 101, "podAffinityTerm": {"topologyKey": "z"}}]}}),
                json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {}}]}}),
                json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "z", "labelSelector": {"matchLabels": {"a": 1}}}]}}),
                json!({"nodeaffinity": {}}),
            ],
        ),
        (
            "nodeSelector",
            vec![
                json!({}),
                json!({"kubernetes.io/os": "linux", "nvidia.com/gpu.present": "true"}),
            ],
            vec![
                json!({"gpu": true}),
                json!({"n": 1}),
                json!(["linux"]),
                json!("linux"),
            ],
        ),
        (
            "labels",
            vec![
                json!({}),
                json!({"app.kubernetes.io/name": "x", "tier": ""}),
            ],
            vec![json!({"a": 1}), json!({"a": null}), json!([])],
        ),
        (
            "annotations",
            vec![
                json!({}),
                json!({"prometheus.io/scrape": "true", "note": "multi\nline"}),
            ],
            vec![
                json!({"prometheus.io/port": 8080}),
                json!({"a": false}),
                json!("a=b"),
            ],
        ),
        (
            "env",
            vec![
                json!([]),
                json!([{"name": "A", "value": "1"}, {"name": "B"}]),
                json!([{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]),
                json!([{"name": "K", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": true}}}]),
                json!([{"name": "M", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}}]),
            ],
            vec![
                json!({"A": "1"}),
                json!([{"value": "1"}]),
                json!([{"name": "A", "value": 1}]),
                json!([{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s"}}}]),
                json!([{"name": "A", "valuefrom": {}}]),
                json!([{"name": "M", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1 Mi"}}}]),
            ],
        ),
        (
            "envFrom",
            vec![
                json!([]),
                json!([{"secretRef": {"name": "s"}}, {"configMapRef": {"name": "c", "optional": true}, "prefix": "P_"}]),
            ],
            vec![
                json!([{"secret": {"name": "s"}}]),
                json!([{"secretRef": "s"}]),
                json!({"secretRef": {"name": "s"}}),
            ],
        ),
        (
            "volumes",
            vec![
                json!([]),
                json!([{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}]),
                json!([{"name": "c", "configMap": {"name": "cm", "defaultMode": 420, "items": [{"key": "a", "path": "a"}]}}]),
                json!([{"name": "d", "persistentVolumeClaim": {"claimName": "models"}}, {"name": "s", "secret": {"secretName": "t"}}]),
                json!([{"name": "p", "projected": {"sources": []}}, {"name": "x", "csi": {"driver": "d"}}]),
            ],
            vec![
                json!([{"emptyDir": {}}]),
                json!([{"name": "a", "emptydir": {}}]),
                json!([{"name": "a", "emptyDir": {"sizeLimit": "8 GB"}}]),
                json!([{"name": "a", "persistentVolumeClaim": {}}]),
                json!([{"name": "a", "nfs": "server:/path"}]),
                json!([{"name": "a", "hostPath": {"path": "/x", "type": "Dir"}}]),
            ],
        ),
        (
            "volumeMounts",
            vec![
                json!([]),
                json!([{"name": "shm", "mountPath": "/dev/shm"}, {"name": "c", "mountPath": "/c", "readOnly": true, "subPath": "a"}]),
            ],
            vec![
                json!([{"name": "shm"}]),
                json!([{"mountPath": "/x"}]),
                json!([{"name": "a", "mountPath": "/a", "readonly": true}]),
                json!([{"name": "a", "mountPath": "/a", "mountPropagation": "Both"}]),
            ],
        ),
        (
            "topologySpreadConstraints",
            vec![
                json!([]),
                json!([{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                        "labelSelector": {"matchLabels": {"app": "x"}}, "matchLabelKeys": ["pod-template-hash"]}]),
            ],
            vec![
                json!([{"maxSkew": 1, "topologyKey": "z"}]),
                json!([{"maxSkew": 0, "topologyKey": "z", "whenUnsatisfiable": "DoNotSchedule"}]),
                json!([{"maxSkew": 1, "topologyKey": "z", "whenUnsatisfiable": "Never"}]),
                json!([{"maxSkew": "1", "topologyKey": "z", "whenUnsatisfiable": "ScheduleAnyway"}]),
            ],
        ),
        (
            "imagePullSecrets",
            vec![
                json!([]),
                json!(["regcred"]),
                json!([{"name": "regcred"}, "other"]),
            ],
            vec![
                json!("regcred"),
                json!([{"secret": "regcred"}]),
                json!([1]),
                json!([{"name": 1}]),
            ],
        ),
        (
            "image",
            vec![
                json!({"repository": "vllm/vllm-openai", "tag": "v0.10.0", "pullPolicy": "IfNotPresent"}),
                json!({"registry": "docker.io", "repository": "x", "digest": "sha256:abc", "pullSecrets": ["a", {"name": "b"}]}),
                json!({"repository": "x", "tag": "", "flavor": "cuda"}),
            ],
            vec![
                json!({"pullPolicy": "Sometimes"}),
                json!({"tag": 1.1}),
                json!({"repository": ["x"]}),
                json!("vllm/vllm-openai:v0.10.0"),
            ],
        ),
        (
            "service",
            vec![
                json!({"type": "ClusterIP", "port": 80}),
                json!({"type": "LoadBalancer", "port": 443, "targetPort": "https", "annotations": {"a": "b"}, "loadBalancerSourceRanges": ["10.0.0.0/8"]}),
                json!({"type": "NodePort", "port": 80, "nodePort": 30080, "ports": {"http": 80}, "extra": true}),
            ],
            vec![
                json!({"type": "Clusterip"}),
                json!({"port": 0}),
                json!({"port": "80"}),
                json!({"port": 70000}),
                json!({"annotations": {"a": 1}}),
                json!({"externalTrafficPolicy": "Global"}),
            ],
        ),
        (
            "ingress",
            vec![
                json!({"enabled": false}),
                json!({"enabled": true, "className": "nginx", "hosts": [{"host": "a.example", "paths": [{"path": "/", "pathType": "Prefix"}]}],
                       "tls": [{"hosts": ["a.example"], "secretName": "a-tls"}]}),
                json!({"enabled": true, "hostname": "a.example", "tls": true, "hosts": ["a.example"], "extraHosts": []}),
            ],
            vec![
                json!({"enabled": "true"}),
                json!({"hosts": [{"host": "a", "paths": [{"path": "/", "pathType": "prefix"}]}]}),
                json!({"tls": "yes"}),
                json!({"annotations": {"a": true}}),
                json!({"hosts": "a.example"}),
            ],
        ),
    ]
}

fn dir() -> PathBuf {
    common::repo_root().join("schemas").join("k8s")
}

fn load(name: &str) -> Value {
    let path = dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn names() -> Vec<&'static str> {
    examples().into_iter().map(|(n, _, _)| n).collect()
}

/// Every `$ref` under `v`, and whether any `$id` is present.
fn refs(v: &Value, out: &mut Vec<String>, ids: &mut usize) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap_or("<not a string>").to_string());
                } else if k == "$id" || k == "id" && x.is_string() {
                    *ids += 1;
                }
                refs(x, out, ids);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out, ids)),
        _ => {}
    }
}

#[test]
fn every_fragment_is_listed_and_documented() {
    let mut on_disk: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = names().iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "schemas/k8s/*.json and this test's examples must cover the same fragments"
    );
    let readme = std::fs::read_to_string(dir().join("README.md")).expect("schemas/k8s/README.md");
    for n in names() {
        assert!(
            readme.contains(&format!("`{n}.json`")),
            "README.md does not list {n}.json"
        );
    }
}

#[test]
fn fragments_are_self_contained_draft7() {
    for name in names() {
        let schema = load(name);
        assert_eq!(
            schema.get("$schema").and_then(Value::as_str),
            Some(DRAFT7),
            "{name}: $schema must be draft-07"
        );
        if let Err(e) = jsonschema::draft7::meta::validate(&schema) {
            panic!("{name}: not a valid draft-07 schema: {e}");
        }
        jsonschema::draft7::new(&schema)
            .unwrap_or_else(|e| panic!("{name}: does not compile: {e}"));
        let (mut found, mut ids) = (Vec::new(), 0);
        refs(&schema, &mut found, &mut ids);
        assert_eq!(
            ids, 0,
            "{name}: no $id (it would change how embedded refs resolve)"
        );
        for r in found {
            let def = r
                .strip_prefix("#/definitions/")
                .unwrap_or_else(|| panic!("{name}: $ref {r} is not internal"));
            assert!(
                schema
                    .pointer(&format!(
                        "/definitions/{}",
                        def.replace('~', "~0").replace('/', "~1")
                    ))
                    .is_some(),
                "{name}: $ref {r} does not resolve"
            );
            assert!(
                def.starts_with("k8s."),
                "{name}: definition names start with `k8s.` ({def})"
            );
        }
    }
}

/// Definitions are hoisted to the root of a generated schema, so one name must mean one thing in
/// every fragment; `k8s.quantity` is exactly `quantity.json`.
#[test]
fn shared_definitions_agree() {
    let mut seen: BTreeMap<String, (String, Value)> = BTreeMap::new();
    let mut quantity = load("quantity");
    let q = quantity.as_object_mut().unwrap();
    q.remove("$schema");
    q.remove("$comment");
    seen.insert("k8s.quantity".into(), ("quantity".into(), quantity));
    for name in names() {
        let schema = load(name);
        let Some(defs) = schema.get("definitions").and_then(Value::as_object) else {
            continue;
        };
        for (k, v) in defs {
            match seen.get(k) {
                Some((other, prev)) => {
                    assert_eq!(prev, v, "definition {k} differs between {other} and {name}")
                }
                None => {
                    seen.insert(k.clone(), (name.to_string(), v.clone()));
                }
            }
        }
    }
}

#[test]
fn fragments_accept_and_reject_examples() {
    let mut wrong = Vec::new();
    for (name, accept, reject) in examples() {
        assert!(
            accept.len() >= 2 && reject.len() >= 3,
            "{name}: a handful of examples each way"
        );
        let v = jsonschema::draft7::new(&load(name)).unwrap();
        for x in &accept {
            if !v.is_valid(x) {
                let errs: Vec<String> = v
                    .iter_errors(x)
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                wrong.push(format!("{name} should accept {x}: {}", errs.join("; ")));
            }
        }
        for x in &reject {
            if v.is_valid(x) {
                wrong.push(format!("{name} should reject {x}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The same examples through `helm template` with the fragment as a chart's schema: Helm v3 and v4
/// must agree with the examples (so the patterns mean the same in Go's regexp).
#[test]
fn helm_reads_fragments_the_same_way() {
    let Some(helms) = common::helms() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    struct Job {
        chart: PathBuf,
        file: PathBuf,
        what: String,
        expect: common::Verdict,
        helm: common::Helm,
    }
    let mut jobs = Vec::new();
    for (name, accept, reject) in examples() {
        let chart = tmp.path().join(name);
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(
            chart.join("Chart.yaml"),
            format!(
                "apiVersion: v2\nname: frag-{}\nversion: 0.1.0\n",
                name.to_lowercase()
            ),
        )
        .unwrap();
        std::fs::write(
            chart.join("templates/empty.yaml"),
            "{{- /* nothing */ -}}\n",
        )
        .unwrap();
        let mut body = load(name);
        let obj = body.as_object_mut().unwrap();
        obj.remove("$schema");
        let defs = obj.remove("definitions").unwrap_or_else(|| json!({}));
        let schema = json!({"$schema": DRAFT7, "type": "object", "properties": {"v": body}, "definitions": defs});
        std::fs::write(
            chart.join("values.schema.json"),
            serde_json::to_string_pretty(&schema).unwrap(),
        )
        .unwrap();
        let all = accept
            .iter()
            .map(|x| (x, common::Verdict::Accept))
            .chain(reject.iter().map(|x| (x, common::Verdict::Reject)));
        for (i, (x, expect)) in all.enumerate() {
            // JSON is YAML: a flow mapping Helm reads with the same values (strings stay quoted).
            let file = chart.join(format!("example-{i}.yaml"));
            std::fs::write(&file, serde_json::to_string(&json!({ "v": x })).unwrap()).unwrap();
            for h in &helms {
                jobs.push(Job {
                    chart: chart.clone(),
                    file: file.clone(),
                    what: format!("{name} {x}"),
                    expect: expect.clone(),
                    helm: h.clone(),
                });
            }
        }
    }
    let home = tmp.path().join("helm-home");
    let verdicts = common::par_map(&jobs, |j| {
        common::Verdict::of_helm(&j.helm.template(
            &j.chart,
            &["-f".into(), j.file.display().to_string()],
            &home,
        ))
    });
    let wrong: Vec<String> = jobs
        .iter()
        .zip(&verdicts)
        .filter(|(j, v)| **v != j.expect)
        .map(|(j, v)| {
            format!(
                "helm {}: {} → {v}, expected {}",
                j.helm.label, j.what, j.expect
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
