//! Chart tests of `charts/llm-stack`: `helm lint --strict` and `helm template` of every profile on
//! Helm v3 and v4, and assertions on the rendered objects (security, pinning, selectors, secrets,
//! HA, GPUs, model list, OpenShift, NetworkPolicy graph, resource totals per profile).
//!
//! Needs `HELM_V3` and `HELM_V4` (`eval "$(tools/tools.sh)"`); skipped without them unless `CI` is set.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const PROFILES: &[&str] = &[
    "values.yaml",
    "values-dev.yaml",
    "values-staging.yaml",
    "values-prod.yaml",
    "values-openshift.yaml",
    "values-gpu.yaml",
    "values-litemaas-small.yaml",
    "values-litemaas-medium.yaml",
    "values-litemaas-large.yaml",
    "values-router-dev.yaml",
    "values-router-staging.yaml",
    "values-router-prod.yaml",
    "values-aiops-dev.yaml",
    "values-aiops-prod.yaml",
];

/// Runs `f` on the rendered documents of every (helm, profile); None = helm missing (skipped).
fn each_render(mut f: impl FnMut(&str, &str, &[Value])) {
    let Some(helms) = helms() else { return };
    let all = rendered(&helms, PROFILES);
    for h in &helms {
        for p in PROFILES {
            f(h.label, p, &all[&(h.label.to_string(), p.to_string())]);
        }
    }
}

fn docs_of<'a>(docs: &'a [Value], kind: &str) -> impl Iterator<Item = &'a Value> {
    docs.iter().filter(move |d| d["kind"] == kind)
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

// ---------------------------------------------------------------------------------------------

#[test]
fn lint_strict_every_profile_on_both_helms() {
    let Some(helms) = helms() else { return };
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = helms
            .iter()
            .flat_map(|h| PROFILES.iter().map(move |p| (h, *p)))
            .map(|(h, p)| {
                s.spawn(move || {
                    lint(h, p)
                        .err()
                        .map(|e| format!("helm {} lint {p}:\n{e}", h.label))
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn every_container_has_requests_limits_probes_and_restricted_security() {
    each_render(|helm, profile, docs| {
        for pt in pod_templates(docs) {
            let ctx = format!("[helm {helm} {profile}] {} {}", pt.kind, pt.name);
            let psc = &pt.spec["securityContext"];
            assert_eq!(psc["runAsNonRoot"], true, "{ctx}: pod runAsNonRoot");
            assert_eq!(
                psc["seccompProfile"]["type"], "RuntimeDefault",
                "{ctx}: pod seccomp"
            );
            for (c, init) in containers(pt.spec) {
                let cname = format!("{ctx} container {}", c["name"]);
                for part in ["requests", "limits"] {
                    let r = &c["resources"][part];
                    assert!(
                        r["cpu"].is_string() || r["cpu"].is_number(),
                        "{cname}: no {part}.cpu"
                    );
                    assert!(r["memory"].is_string(), "{cname}: no {part}.memory");
                }
                let sc = &c["securityContext"];
                assert_eq!(
                    sc["allowPrivilegeEscalation"], false,
                    "{cname}: allowPrivilegeEscalation"
                );
                assert!(
                    arr(&sc["capabilities"]["drop"]).iter().any(|d| d == "ALL"),
                    "{cname}: drop ALL"
                );
                assert_ne!(sc["privileged"], true, "{cname}: privileged");
                assert!(
                    sc["runAsNonRoot"] == true || psc["runAsNonRoot"] == true,
                    "{cname}: runAsNonRoot"
                );
                assert!(
                    sc["readOnlyRootFilesystem"].is_boolean(),
                    "{cname}: readOnlyRootFilesystem unset"
                );
                if !init && !pt.ephemeral {
                    assert!(c["readinessProbe"].is_object(), "{cname}: readinessProbe");
                    assert!(c["livenessProbe"].is_object(), "{cname}: livenessProbe");
                }
            }
        }
    });
}

#[test]
fn images_are_pinned() {
    each_render(|helm, profile, docs| {
        for pt in pod_templates(docs) {
            for (c, _) in containers(pt.spec) {
                let image = c["image"].as_str().unwrap();
                let last = image.rsplit('/').next().unwrap();
                let tag = last
                    .split_once(':')
                    .map(|(_, t)| t.split('@').next().unwrap());
                assert!(
                    image.contains("@sha256:")
                        || tag.is_some_and(|t| !t.is_empty() && t != "latest"),
                    "[helm {helm} {profile}] {}: image {image} is not pinned",
                    pt.name
                );
            }
        }
    });
}

/// Every selector of the release, as (where, selector map).
fn selectors(docs: &[Value]) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for d in docs {
        let name = format!(
            "{} {}",
            d["kind"].as_str().unwrap(),
            d["metadata"]["name"].as_str().unwrap()
        );
        let spec = &d["spec"];
        match d["kind"].as_str().unwrap() {
            "Deployment" | "StatefulSet" | "PodDisruptionBudget" => {
                out.push((name.clone(), &spec["selector"]["matchLabels"]))
            }
            "Service" => out.push((name.clone(), &spec["selector"])),
            "ServiceMonitor" => out.push((name.clone(), &spec["selector"]["matchLabels"])),
            "NetworkPolicy" => {
                out.push((name.clone(), &spec["podSelector"]["matchLabels"]));
                for rule in arr(&spec["ingress"]) {
                    for peer in arr(&rule["from"]) {
                        out.push((name.clone(), &peer["podSelector"]["matchLabels"]));
                    }
                }
                for rule in arr(&spec["egress"]) {
                    for peer in arr(&rule["to"]) {
                        out.push((name.clone(), &peer["podSelector"]["matchLabels"]));
                    }
                }
            }
            _ => {}
        }
        let podspec = match d["kind"].as_str().unwrap() {
            "Deployment" | "StatefulSet" => &spec["template"]["spec"],
            _ => continue,
        };
        for t in arr(&podspec["topologySpreadConstraints"]) {
            out.push((
                format!("{name} topologySpread"),
                &t["labelSelector"]["matchLabels"],
            ));
        }
        let aa = &podspec["affinity"]["podAntiAffinity"];
        for t in arr(&aa["requiredDuringSchedulingIgnoredDuringExecution"]) {
            out.push((
                format!("{name} antiAffinity"),
                &t["labelSelector"]["matchLabels"],
            ));
        }
        for t in arr(&aa["preferredDuringSchedulingIgnoredDuringExecution"]) {
            out.push((
                format!("{name} antiAffinity"),
                &t["podAffinityTerm"]["labelSelector"]["matchLabels"],
            ));
        }
    }
    out
}

#[test]
fn selectors_never_carry_chart_or_version() {
    each_render(|helm, profile, docs| {
        let versions: BTreeSet<String> = docs
            .iter()
            .filter_map(|d| {
                d["metadata"]["labels"]["app.kubernetes.io/version"]
                    .as_str()
                    .map(String::from)
            })
            .collect();
        for (what, sel) in selectors(docs) {
            let Some(m) = sel.as_object() else { continue };
            for (k, v) in m {
                assert!(
                    k != "helm.sh/chart" && k != "app.kubernetes.io/version",
                    "[helm {helm} {profile}] {what}: selector carries {k}"
                );
                let v = v.as_str().unwrap_or_default();
                assert!(
                    !versions.contains(v) || v.is_empty(),
                    "[helm {helm} {profile}] {what}: selector value {v} is a version"
                );
                assert!(
                    !v.contains("-0.1.0"),
                    "[helm {helm} {profile}] {what}: selector value {v} is a chart version"
                );
            }
        }
        // Every workload carries the recommended labels.
        for pt in pod_templates(docs) {
            for key in [
                "app.kubernetes.io/name",
                "app.kubernetes.io/instance",
                "app.kubernetes.io/managed-by",
            ] {
                assert!(
                    pt.labels[key].is_string(),
                    "[helm {helm} {profile}] {}: pod label {key}",
                    pt.name
                );
            }
        }
    });
}

fn secretish(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["KEY", "PASSWORD", "SECRET", "TOKEN"]
        .iter()
        .any(|w| n.contains(w))
}

/// Walks a parsed config: keys that look secret must reference the environment (LiteLLM `os.environ/`).
fn walk_config(v: &Value, path: &str, bad: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{path}.{k}");
                if secretish(k)
                    && !k.ends_with("_settings")
                    && let Value::String(s) = v
                    && !s.starts_with("os.environ/")
                    && !s.is_empty()
                {
                    bad.push(format!("{p} = {s}"));
                }
                walk_config(v, &p, bad);
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| walk_config(v, &format!("{path}[{i}]"), bad)),
        _ => {}
    }
}

#[test]
fn no_secret_values_in_configmaps_or_plain_env() {
    each_render(|helm, profile, docs| {
        let mut bad = Vec::new();
        for cm in docs_of(docs, "ConfigMap") {
            let name = cm["metadata"]["name"].as_str().unwrap();
            for (k, v) in cm["data"].as_object().into_iter().flatten() {
                let text = v.as_str().unwrap_or_default();
                if secretish(k) {
                    bad.push(format!("ConfigMap {name} key {k}"));
                }
                if k.ends_with(".yaml") || k.ends_with(".yml") {
                    for d in saphyr::YamlOwned::load_from_str(text).unwrap_or_default() {
                        walk_config(&to_json(&d), &format!("ConfigMap {name} {k}"), &mut bad);
                    }
                }
            }
        }
        for pt in pod_templates(docs) {
            for (c, _) in containers(pt.spec) {
                for e in arr(&c["env"]) {
                    let n = e["name"].as_str().unwrap();
                    if secretish(n) && e.get("value").is_some() {
                        bad.push(format!(
                            "{} {}: env {n} has a literal value",
                            pt.kind, pt.name
                        ));
                    }
                }
            }
        }
        assert!(
            bad.is_empty(),
            "[helm {helm} {profile}] secrets inlined:\n{}",
            bad.join("\n")
        );
    });
}

use saphyr::LoadableYamlNode;

// ---------------------------------------------------------------------------------------------
// HA, GPU, model list, OpenShift

#[test]
fn ha_profiles_have_replicas_pdb_spread_and_hpa() {
    each_render(|helm, profile, docs| {
        let ctx = format!("[helm {helm} {profile}]");
        let gw = find(docs, "Deployment", "rel-litellm");
        let ha = [
            "values-prod.yaml",
            "values-staging.yaml",
            "values-openshift.yaml",
        ]
        .contains(&profile)
            || profile.starts_with("values-litemaas-");
        if !ha {
            return;
        }
        let gw = gw.unwrap_or_else(|| panic!("{ctx}: no gateway"));
        let r = replicas(docs, "Deployment", "rel-litellm", gw);
        assert!(r >= 2, "{ctx}: gateway replicas {r} < 2");
        let pdb = docs_of(docs, "PodDisruptionBudget")
            .find(|p| p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == "litellm")
            .unwrap_or_else(|| panic!("{ctx}: no gateway PDB"));
        assert!(
            pdb["spec"]["minAvailable"].as_i64().unwrap_or(0) >= 1,
            "{ctx}: PDB minAvailable"
        );
        let spec = &gw["spec"]["template"]["spec"];
        assert!(
            !arr(&spec["topologySpreadConstraints"]).is_empty()
                || spec["affinity"]["podAntiAffinity"].is_object(),
            "{ctx}: no spread/anti-affinity"
        );
        if profile == "values-prod.yaml" {
            let hpa = find(docs, "HorizontalPodAutoscaler", "rel-litellm")
                .unwrap_or_else(|| panic!("{ctx}: no HPA"));
            assert!(hpa["spec"]["minReplicas"].as_i64().unwrap() >= 2);
            assert!(
                hpa["spec"]["maxReplicas"].as_i64().unwrap()
                    > hpa["spec"]["minReplicas"].as_i64().unwrap()
            );
            assert!(
                !arr(&spec["topologySpreadConstraints"]).is_empty(),
                "{ctx}: prod spreads over zones and nodes"
            );
            assert!(
                gw["spec"].get("replicas").is_none(),
                "{ctx}: HPA-managed Deployment must not set replicas"
            );
            assert!(
                find(docs, "ServiceMonitor", "rel-litellm").is_some(),
                "{ctx}: ServiceMonitor"
            );
            assert!(
                find(docs, "PrometheusRule", "rel-alerts").is_some(),
                "{ctx}: PrometheusRule"
            );
            assert!(
                find(docs, "CronJob", "rel-postgresql-backup").is_some(),
                "{ctx}: backup CronJob"
            );
        }
    });
}

fn vllm_deployments(docs: &[Value]) -> Vec<&Value> {
    docs_of(docs, "Deployment")
        .filter(|d| {
            d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
                == "model-server"
        })
        .collect()
}

fn arg_after<'a>(c: &'a Value, flag: &str) -> Option<&'a str> {
    let args = arr(&c["args"]);
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(Value::as_str)
}

#[test]
fn gpu_profile_requests_gpus_with_tolerations_shm_startup_and_annotations() {
    each_render(|helm, profile, docs| {
        if profile != "values-gpu.yaml" {
            assert!(vllm_deployments(docs).is_empty() || profile == "values-gpu.yaml");
            return;
        }
        let ctx = format!("[helm {helm} {profile}]");
        // seed 004 §4.3: model → (GPUs, GPU product, CPU millis, memory Gi, cache Gi)
        let expected: BTreeMap<&str, (i64, &str, i64, i64, i64)> = BTreeMap::from([
            ("llama-3-2-3b", (1, "NVIDIA-A10", 4000, 16, 50)),
            ("llama-3-1-8b", (1, "NVIDIA-A100-SXM4-40GB", 8000, 32, 100)),
            (
                "llama-3-1-70b",
                (2, "NVIDIA-A100-SXM4-80GB", 16000, 128, 200),
            ),
        ]);
        let deps = vllm_deployments(docs);
        assert_eq!(
            deps.len(),
            expected.len(),
            "{ctx}: one Deployment per model"
        );
        for d in deps {
            let t = &d["spec"]["template"];
            let spec = &t["spec"];
            let c = &spec["containers"][0];
            let model = arg_after(c, "--served-model-name").unwrap();
            let (gpus, product, cpu, mem, cache) = expected[model];
            let ctx = format!("{ctx} model {model}");
            for part in ["requests", "limits"] {
                assert_eq!(
                    c["resources"][part]["nvidia.com/gpu"].as_i64(),
                    Some(gpus),
                    "{ctx}: {part} GPUs"
                );
            }
            assert_eq!(
                cpu_millis(&c["resources"]["requests"]["cpu"]),
                cpu,
                "{ctx}: cpu"
            );
            assert_eq!(
                bytes(&c["resources"]["requests"]["memory"]),
                mem * GI,
                "{ctx}: memory"
            );
            assert_eq!(
                arg_after(c, "--tensor-parallel-size"),
                Some(gpus.to_string().as_str()),
                "{ctx}: TP = GPUs"
            );
            let ann = &t["metadata"]["annotations"];
            assert_eq!(
                ann["stackcheck.dev/tensor-parallel"],
                gpus.to_string(),
                "{ctx}"
            );
            assert!(
                ann["stackcheck.dev/model-parameters"]
                    .as_str()
                    .is_some_and(|p| p.ends_with('B')),
                "{ctx}"
            );
            assert!(ann["stackcheck.dev/model-dtype"].is_string(), "{ctx}");
            assert!(ann["stackcheck.dev/max-model-len"].is_string(), "{ctx}");
            assert!(
                arr(&spec["tolerations"])
                    .iter()
                    .any(|t| t["key"] == "nvidia.com/gpu"),
                "{ctx}: GPU toleration"
            );
            let terms = &spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                ["nodeSelectorTerms"];
            let exprs = &terms[0]["matchExpressions"][0];
            assert_eq!(exprs["key"], "nvidia.com/gpu.product", "{ctx}");
            assert!(
                arr(&exprs["values"]).iter().any(|v| v == product),
                "{ctx}: product {product}"
            );
            let shm = arr(&spec["volumes"])
                .iter()
                .find(|v| v["emptyDir"]["medium"] == "Memory");
            let shm = shm.unwrap_or_else(|| panic!("{ctx}: no memory emptyDir"));
            assert!(
                arr(&c["volumeMounts"])
                    .iter()
                    .any(|m| m["mountPath"] == "/dev/shm" && m["name"] == shm["name"]),
                "{ctx}: /dev/shm"
            );
            let sp = &c["startupProbe"];
            let budget = sp["periodSeconds"].as_i64().unwrap_or(10)
                * sp["failureThreshold"].as_i64().unwrap_or(3);
            assert!(budget >= 1200, "{ctx}: startup budget {budget}s < 20 min");
            assert!(
                arr(&c["env"])
                    .iter()
                    .any(|e| e["name"] == "HF_TOKEN" && e["valueFrom"]["secretKeyRef"].is_object()),
                "{ctx}: HF token from a Secret"
            );
            assert!(
                arr(&c["env"]).iter().any(|e| e["name"] == "HOME"),
                "{ctx}: writable HOME"
            );
            let claim = arr(&spec["volumes"])
                .iter()
                .find_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
                .unwrap();
            let pvc = find(docs, "PersistentVolumeClaim", claim)
                .unwrap_or_else(|| panic!("{ctx}: PVC {claim}"));
            assert_eq!(
                bytes(&pvc["spec"]["resources"]["requests"]["storage"]),
                cache * GI,
                "{ctx}: cache"
            );
        }
    });
}

#[test]
fn gateway_model_list_matches_enabled_models() {
    each_render(|helm, profile, docs| {
        let ctx = format!("[helm {helm} {profile}]");
        let Some(cm) = find(docs, "ConfigMap", "rel-litellm-config") else {
            return;
        };
        let cfg =
            saphyr::YamlOwned::load_from_str(cm["data"]["config.yaml"].as_str().unwrap()).unwrap();
        let cfg = to_json(&cfg[0]);
        let services: BTreeSet<&str> = docs_of(docs, "Service")
            .filter_map(|s| s["metadata"]["name"].as_str())
            .collect();
        let mut gateway = BTreeSet::new();
        for m in arr(&cfg["model_list"]) {
            let base = m["litellm_params"]["api_base"].as_str().unwrap_or_default();
            if let Some(host) = base
                .strip_prefix("http://")
                .and_then(|r| r.split(':').next())
                && host.contains("-vllm-")
            {
                assert!(
                    services.contains(host),
                    "{ctx}: gateway points at missing Service {host}"
                );
                gateway.insert(m["model_name"].as_str().unwrap().to_string());
            }
        }
        let served: BTreeSet<String> = vllm_deployments(docs)
            .iter()
            .map(|d| {
                arg_after(
                    &d["spec"]["template"]["spec"]["containers"][0],
                    "--served-model-name",
                )
                .unwrap()
                .to_string()
            })
            .collect();
        assert_eq!(gateway, served, "{ctx}: gateway model list != vLLM servers");
        if profile == "values-gpu.yaml" {
            assert_eq!(served.len(), 3, "{ctx}");
        }
    });
}

fn has_fixed_ids(sc: &Value) -> bool {
    ["runAsUser", "runAsGroup", "fsGroup"]
        .iter()
        .any(|k| sc.get(*k).is_some_and(|v| !v.is_null()))
}

#[test]
fn openshift_profile_renders_routes_and_no_fixed_uids() {
    each_render(|helm, profile, docs| {
        let ctx = format!("[helm {helm} {profile}]");
        let routes: Vec<&Value> = docs_of(docs, "Route").collect();
        if profile != "values-openshift.yaml" {
            return;
        }
        let names: BTreeSet<&str> = routes
            .iter()
            .map(|r| r["metadata"]["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains("rel-litellm") && names.contains("rel-litemaas-frontend"),
            "{ctx}: routes {names:?}"
        );
        for r in &routes {
            assert_eq!(r["spec"]["tls"]["termination"], "edge", "{ctx}");
            assert_eq!(
                r["spec"]["tls"]["insecureEdgeTerminationPolicy"], "Redirect",
                "{ctx}"
            );
        }
        assert_eq!(
            docs_of(docs, "Ingress").count(),
            0,
            "{ctx}: Ingress on OpenShift"
        );
        for pt in pod_templates(docs) {
            assert!(
                !has_fixed_ids(&pt.spec["securityContext"]),
                "{ctx} {}: pod has fixed IDs",
                pt.name
            );
            for (c, _) in containers(pt.spec) {
                assert!(
                    !has_fixed_ids(&c["securityContext"]),
                    "{ctx} {}: container has fixed IDs",
                    pt.name
                );
            }
        }
        // LiteMaaS: OAuthClient with the Route's callback, group mapping of seed 001.
        let oc = docs_of(docs, "OAuthClient")
            .next()
            .unwrap_or_else(|| panic!("{ctx}: OAuthClient"));
        let host = find(docs, "Route", "rel-litemaas-frontend").unwrap()["spec"]["host"]
            .as_str()
            .unwrap();
        assert_eq!(
            oc["redirectURIs"][0],
            format!("https://{host}/api/auth/callback"),
            "{ctx}"
        );
        let roles = find(docs, "ConfigMap", "rel-litemaas-roles").unwrap();
        let mapping: Value =
            serde_json::from_str(roles["data"]["role-mapping.json"].as_str().unwrap()).unwrap();
        assert_eq!(
            mapping["litemaas-admins"],
            serde_json::json!(["admin", "user"])
        );
        assert_eq!(
            mapping["litemaas-readonly"],
            serde_json::json!(["adminReadonly", "user"])
        );
        assert_eq!(mapping["litemaas-users"], serde_json::json!(["user"]));
    });
}

#[test]
fn kubernetes_profiles_keep_numeric_uids() {
    // Off OpenShift, images that run as root by default need an explicit non-root UID.
    each_render(|helm, profile, docs| {
        if profile == "values-openshift.yaml" {
            return;
        }
        for pt in pod_templates(docs).iter().filter(|p| !p.ephemeral) {
            assert!(
                pt.spec["securityContext"]["runAsUser"].is_i64(),
                "[helm {helm} {profile}] {}: no runAsUser off OpenShift",
                pt.name
            );
        }
    });
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicies

fn peer_allows(peer: &Value, labels: &Value) -> bool {
    // Pod-to-pod edges inside the namespace: only podSelector peers (no namespaceSelector/ipBlock).
    peer.get("namespaceSelector").is_none()
        && peer.get("ipBlock").is_none()
        && peer.get("podSelector").is_some_and(|s| selects(s, labels))
}

fn port_allowed(rule: &Value, port: i64) -> bool {
    let ports = arr(&rule["ports"]);
    ports.is_empty() || ports.iter().any(|p| p["port"].as_i64() == Some(port))
}

/// Edges (source name, destination name, port) the rendered NetworkPolicies allow between the
/// release's pods: the destination's policies must admit the source on the port and the source's
/// policies must let it out. A pod no policy selects would be open; the test checks there is none.
fn allowed_edges(docs: &[Value]) -> BTreeSet<(String, String, i64)> {
    let pols: Vec<&Value> = docs_of(docs, "NetworkPolicy").collect();
    let pods = pod_templates(docs);
    let mut out = BTreeSet::new();
    for dst in &pods {
        let ports: BTreeSet<i64> = arr(&dst.spec["containers"])
            .iter()
            .flat_map(|c| arr(&c["ports"]))
            .filter_map(|p| p["containerPort"].as_i64())
            .collect();
        for src in &pods {
            for &port in &ports {
                let ingress = pols
                    .iter()
                    .filter(|p| selects(&p["spec"]["podSelector"], dst.labels))
                    .any(|p| {
                        arr(&p["spec"]["ingress"]).iter().any(|r| {
                            port_allowed(r, port)
                                && arr(&r["from"]).iter().any(|f| peer_allows(f, src.labels))
                        })
                    });
                let egress = pols
                    .iter()
                    .filter(|p| selects(&p["spec"]["podSelector"], src.labels))
                    .any(|p| {
                        arr(&p["spec"]["egress"]).iter().any(|r| {
                            port_allowed(r, port)
                                && arr(&r["to"]).iter().any(|t| peer_allows(t, dst.labels))
                        })
                    });
                if ingress && egress {
                    out.insert((
                        label(src.labels, "app.kubernetes.io/name").to_string(),
                        label(dst.labels, "app.kubernetes.io/name").to_string(),
                        port,
                    ));
                }
            }
        }
    }
    out
}

fn edges(list: &[(&str, &str, i64)]) -> BTreeSet<(String, String, i64)> {
    list.iter()
        .map(|(a, b, p)| (a.to_string(), b.to_string(), *p))
        .collect()
}

#[test]
fn network_policies_allow_exactly_the_component_edges() {
    each_render(|helm, profile, docs| {
        let ctx = format!("[helm {helm} {profile}]");
        let deny = find(docs, "NetworkPolicy", "rel-default-deny")
            .unwrap_or_else(|| panic!("{ctx}: no default deny"));
        assert_eq!(
            deny["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"],
            RELEASE
        );
        assert_eq!(
            deny["spec"]["policyTypes"],
            serde_json::json!(["Ingress", "Egress"])
        );
        assert!(
            deny["spec"]["ingress"].is_null() && deny["spec"]["egress"].is_null(),
            "{ctx}: deny has rules"
        );
        let expected = match profile {
            "values-dev.yaml" => edges(&[
                ("litellm", "postgresql", 5432),
                ("litellm", "redis", 6379),
                ("litellm-migrations", "postgresql", 5432),
                ("litemaas-backend", "litellm", 4000),
                ("litemaas-backend", "postgresql", 5432),
                ("litemaas-frontend", "litemaas-backend", 8080),
                ("open-webui", "litellm", 4000),
                ("open-webui", "postgresql", 5432),
                ("open-webui", "qdrant", 6333),
                ("r2r", "litellm", 4000),
                ("r2r", "postgresql", 5432),
                ("test-litellm", "litellm", 4000),
                ("test-litemaas", "litemaas-backend", 8080),
                ("test-litemaas", "litemaas-frontend", 8080),
                ("test-open-webui", "open-webui", 8080),
                ("test-postgresql", "postgresql", 5432),
                ("test-qdrant", "qdrant", 6333),
                ("test-r2r", "r2r", 7272),
                ("test-react-client", "react-client", 3000),
                ("test-redis", "redis", 6379),
            ]),
            "values-gpu.yaml" => edges(&[
                ("litellm", "postgresql", 5432),
                ("litellm", "redis", 6379),
                ("litellm", "vllm-llama-3-1-70b", 8000),
                ("litellm", "vllm-llama-3-1-8b", 8000),
                ("litellm", "vllm-llama-3-2-3b", 8000),
                ("litellm-migrations", "postgresql", 5432),
                ("test-litellm", "litellm", 4000),
                ("test-postgresql", "postgresql", 5432),
                ("test-redis", "redis", 6379),
                ("test-vllm-llama-3-1-70b", "vllm-llama-3-1-70b", 8000),
                ("test-vllm-llama-3-1-8b", "vllm-llama-3-1-8b", 8000),
                ("test-vllm-llama-3-2-3b", "vllm-llama-3-2-3b", 8000),
            ]),
            "values-aiops-prod.yaml" => edges(&[
                ("api-gateway", "cluster-registry", 8080),
                ("api-gateway", "intelligence-engine", 8080),
                ("api-gateway", "observability-collector", 8080),
                ("api-gateway", "realtime-streaming", 8080),
                ("api-gateway", "redis", 6379),
                ("cluster-registry", "postgresql", 5432),
                ("cluster-registry", "redis", 6379),
                ("frontend", "api-gateway", 8080),
                ("intelligence-engine", "postgresql", 5432),
                ("intelligence-engine", "redis", 6379),
                ("observability-collector", "postgresql", 5432),
                ("observability-collector", "redis", 6379),
                ("postgresql-backup", "postgresql", 5432),
                ("postgresql-replica", "postgresql", 5432),
                ("realtime-streaming", "redis", 6379),
                ("redis", "redis", 6379),
                ("test-api-gateway", "api-gateway", 8080),
                ("test-cluster-registry", "cluster-registry", 8080),
                ("test-frontend", "frontend", 8080),
                ("test-intelligence-engine", "intelligence-engine", 8080),
                (
                    "test-observability-collector",
                    "observability-collector",
                    8080,
                ),
                ("test-postgresql", "postgresql", 5432),
                ("test-realtime-streaming", "realtime-streaming", 8080),
                ("test-redis", "redis", 6379),
            ]),
            _ => {
                // Other profiles: at least, every pod is selected by a policy with rules, and no
                // pod talks to a pod it has no edge to (checked exactly for the profiles above).
                for pt in pod_templates(docs) {
                    let n = label(pt.labels, "app.kubernetes.io/name");
                    assert!(
                        docs_of(docs, "NetworkPolicy").any(
                            |p| p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                                == n
                        ),
                        "{ctx}: pod {n} has no NetworkPolicy of its own"
                    );
                }
                return;
            }
        };
        let got = allowed_edges(docs);
        let missing: Vec<_> = expected.difference(&got).collect();
        let extra: Vec<_> = got.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{ctx}: NetworkPolicy edges\n missing: {missing:?}\n extra: {extra:?}"
        );
    });
}

/// Ports are contracts in one place (`global.ports`): with every one changed, no default port is
/// left anywhere in the rendered objects (consumers' env and configs, init waits, probes, Services,
/// NetworkPolicies), and the NetworkPolicies open the component edges on the new ports.
#[test]
fn changed_ports_reach_every_consumer() {
    let Some(helms) = helms() else { return };
    let ports = "global.ports.litellm=4100,global.ports.vllm=8100,global.ports.qdrant=6400,\
                 global.ports.qdrantGrpc=6401,global.ports.redis=6380,global.ports.postgresql=5433";
    let defaults = ["4000", "8000", "6333", "6334", "6379", "5432"];
    let has_default = |line: &str| {
        line.split(|c: char| !c.is_ascii_digit())
            .any(|n| defaults.contains(&n))
    };
    for h in &helms {
        for (profile, want) in [
            (
                "values-dev.yaml",
                &[
                    ("litellm", "postgresql", 5433),
                    ("litellm", "redis", 6380),
                    ("open-webui", "litellm", 4100),
                    ("open-webui", "qdrant", 6400),
                    ("r2r", "postgresql", 5433),
                    ("test-qdrant", "qdrant", 6400),
                ][..],
            ),
            (
                "values-gpu.yaml",
                &[
                    ("litellm", "vllm-llama-3-2-3b", 8100),
                    ("test-litellm", "litellm", 4100),
                    ("test-redis", "redis", 6380),
                ][..],
            ),
        ] {
            let ctx = format!("[helm {} {profile} {ports}]", h.label);
            let text =
                template(h, profile, &["--set", ports]).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let left: Vec<&str> = text.lines().filter(|l| has_default(l)).collect();
            assert!(
                left.is_empty(),
                "{ctx}: default ports left:\n{}",
                left.join("\n")
            );
            let got = allowed_edges(&parse_docs(&text));
            for e in edges(want) {
                assert!(
                    got.contains(&e),
                    "{ctx}: NetworkPolicies do not allow {e:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sizing: what each profile renders to (steady state: Deployments and StatefulSets, replicas ×
// effective pod requests; HPA/KEDA minimum when the HPA owns the replica count).

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Sizing {
    replicas: i64,
    cpu_m: i64,
    mem: i64,
    gpu: i64,
}

fn sizing(docs: &[Value]) -> (BTreeMap<String, Sizing>, i64) {
    let mut out: BTreeMap<String, Sizing> = BTreeMap::new();
    let mut storage = 0;
    for d in docs {
        let kind = d["kind"].as_str().unwrap();
        if kind == "PersistentVolumeClaim" {
            storage += bytes(&d["spec"]["resources"]["requests"]["storage"]);
        }
        if kind != "Deployment" && kind != "StatefulSet" {
            continue;
        }
        let name = d["metadata"]["name"].as_str().unwrap();
        let spec = &d["spec"]["template"]["spec"];
        let comp = label(
            &d["spec"]["template"]["metadata"]["labels"],
            "app.kubernetes.io/name",
        )
        .to_string();
        let r = replicas(docs, kind, name, d);
        for vct in arr(&d["spec"]["volumeClaimTemplates"]) {
            storage += r * bytes(&vct["spec"]["resources"]["requests"]["storage"]);
        }
        let e = out.entry(comp).or_default();
        e.replicas += r;
        e.cpu_m += r * pod_request(spec, "cpu", cpu_millis);
        e.mem += r * pod_request(spec, "memory", bytes);
        e.gpu += r * pod_request(spec, "nvidia.com/gpu", |v| {
            v.as_i64()
                .unwrap_or_else(|| v.as_str().unwrap().parse().unwrap())
        });
    }
    (out, storage)
}

/// (component, replicas, CPU millicores, memory MiB, GPUs) of a profile, then its storage in GiB.
type Table = (&'static [(&'static str, i64, i64, i64, i64)], i64);

fn expected_sizing(profile: &str) -> Table {
    match profile {
        // Chart defaults: gateway + PostgreSQL + Redis at seed 000's per-pod sizes.
        "values.yaml" => (
            &[
                ("litellm", 1, 500, 512, 0),
                ("postgresql", 1, 500, 512, 0),
                ("redis", 1, 200, 256, 0),
            ],
            10,
        ),
        // Seed 003's table (PostgreSQL has none there: 250m/256Mi is ours) + LiteMaaS.
        // Total 1850m CPU, 3648Mi memory, no storage (emptyDirs).
        "values-dev.yaml" => (
            &[
                ("litellm", 1, 250, 512, 0),
                ("litemaas-backend", 1, 100, 256, 0),
                ("litemaas-frontend", 1, 50, 64, 0),
                ("open-webui", 1, 250, 512, 0),
                ("postgresql", 1, 250, 256, 0),
                ("qdrant", 1, 250, 512, 0),
                ("r2r", 1, 500, 1024, 0),
                ("react-client", 1, 100, 256, 0),
                ("redis", 1, 100, 256, 0),
            ],
            0,
        ),
        // 1950m, 2304Mi; storage: PostgreSQL 10Gi + backup 10Gi + Redis 2Gi + Open WebUI 5Gi.
        "values-staging.yaml" => (
            &[
                ("litellm", 2, 1000, 1024, 0),
                ("open-webui", 1, 250, 512, 0),
                ("postgresql", 1, 500, 512, 0),
                ("redis", 1, 200, 256, 0),
            ],
            27,
        ),
        // HPA minimum 3 gateways (peak 10): 2450m, 2816Mi; storage 20 + 40 backup + 2 + 5.
        "values-prod.yaml" => (
            &[
                ("litellm", 3, 1500, 1536, 0),
                ("open-webui", 1, 250, 512, 0),
                ("postgresql", 1, 500, 512, 0),
                ("redis", 1, 200, 256, 0),
            ],
            67,
        ),
        "values-openshift.yaml" => (
            &[
                ("litellm", 2, 1000, 1024, 0),
                ("litemaas-backend", 1, 100, 256, 0),
                ("litemaas-frontend", 1, 50, 64, 0),
                ("postgresql", 1, 500, 512, 0),
                ("redis", 1, 200, 256, 0),
            ],
            10,
        ),
        // Seed 004 §4.3: 28 CPU, 176Gi, 4 GPUs (1×A10, 1×A100-40GB, 2×A100-80GB), 350Gi caches.
        "values-gpu.yaml" => (
            &[
                ("litellm", 1, 500, 512, 0),
                ("postgresql", 1, 500, 512, 0),
                ("redis", 1, 200, 256, 0),
                ("vllm-llama-3-1-70b", 1, 16000, 128 * 1024, 2),
                ("vllm-llama-3-1-8b", 1, 8000, 32 * 1024, 1),
                ("vllm-llama-3-2-3b", 1, 4000, 16 * 1024, 1),
            ],
            360,
        ),
        // Seed 000 small: 1700m / 1792Mi (1.75Gi) — the seed's "1.9 cores / 2.3Gi" is wrong.
        "values-litemaas-small.yaml" => (
            &[
                ("litellm", 2, 1000, 1024, 0),
                ("postgresql", 1, 500, 512, 0),
                ("redis", 1, 200, 256, 0),
            ],
            10,
        ),
        // Seed 000 medium: 2200m / 2304Mi (2.25Gi) — the seed's "2.4 cores / 2.8Gi" is wrong.
        "values-litemaas-medium.yaml" => (
            &[
                ("litellm", 3, 1500, 1536, 0),
                ("postgresql", 1, 500, 512, 0),
                ("redis", 1, 200, 256, 0),
            ],
            10,
        ),
        // Seed 000 large: 2700m / 2816Mi (2.75Gi), 20Gi — the seed's "2.9+ cores / 3.3+Gi" is wrong.
        "values-litemaas-large.yaml" => (
            &[
                ("litellm", 4, 2000, 2048, 0),
                ("postgresql", 1, 500, 512, 0),
                ("redis", 1, 200, 256, 0),
            ],
            20,
        ),
        // Seed 002 table; PVCs 50 + 10 + 20 Gi RWX shared by all replicas.
        "values-router-dev.yaml" => (&[("llm-runner-router", 1, 100, 512, 0)], 80),
        "values-router-staging.yaml" => (&[("llm-runner-router", 2, 500, 2048, 0)], 80),
        // 5 replicas (HPA minimum; peak 20 = 20 CPU / 80Gi).
        "values-router-prod.yaml" => (&[("llm-runner-router", 5, 5000, 20 * 1024, 0)], 80),
        // Seed 004 §4.1: 8 pods, 2600m, 4480Mi (4.375Gi; the seed rounds to 4.4Gi), 11Gi. Right.
        "values-aiops-dev.yaml" => (
            &[
                ("api-gateway", 1, 250, 256, 0),
                ("cluster-registry", 1, 250, 512, 0),
                ("frontend", 1, 100, 128, 0),
                ("intelligence-engine", 1, 500, 1024, 0),
                ("observability-collector", 1, 500, 1024, 0),
                ("postgresql", 1, 500, 1024, 0),
                ("realtime-streaming", 1, 250, 256, 0),
                ("redis", 1, 250, 256, 0),
            ],
            11,
        ),
        // Seed 004 §4.2 with its replicas: 20 pods, 12900m, 23040Mi (22.5Gi), 115Gi of data
        // (+10Gi backup). The seed's "8.2 cores / 14.5Gi / 55Gi" forgets the replicas (and even
        // the per-replica sums are 5.2 cores / 9.25Gi).
        "values-aiops-prod.yaml" => (
            &[
                ("api-gateway", 3, 1500, 1536, 0),
                ("cluster-registry", 2, 1000, 2048, 0),
                ("frontend", 2, 400, 512, 0),
                ("intelligence-engine", 2, 2000, 4096, 0),
                ("observability-collector", 3, 3000, 6144, 0),
                ("postgresql", 1, 1000, 2048, 0),
                ("postgresql-replica", 1, 1000, 2048, 0),
                ("realtime-streaming", 3, 1500, 1536, 0),
                ("redis", 3, 1500, 3072, 0),
            ],
            125,
        ),
        other => panic!("no sizing stated for {other}"),
    }
}

#[test]
fn profiles_render_to_the_stated_sizings() {
    each_render(|helm, profile, docs| {
        let (got, storage) = sizing(docs);
        let (table, storage_gi) = expected_sizing(profile);
        let want: BTreeMap<String, Sizing> = table
            .iter()
            .map(|(n, r, c, m, g)| {
                (
                    n.to_string(),
                    Sizing {
                        replicas: *r,
                        cpu_m: *c,
                        mem: m * MI,
                        gpu: *g,
                    },
                )
            })
            .collect();
        assert_eq!(got, want, "[helm {helm} {profile}] per-component sizing");
        assert_eq!(storage, storage_gi * GI, "[helm {helm} {profile}] storage");
    });
    // The totals the seeds should have printed.
    let total = |p: &str| {
        let (t, _) = expected_sizing(p);
        t.iter().fold((0, 0, 0, 0), |a, (_, r, c, m, g)| {
            (a.0 + r, a.1 + c, a.2 + m, a.3 + g)
        })
    };
    assert_eq!(total("values-litemaas-small.yaml"), (4, 1700, 1792, 0));
    assert_eq!(total("values-litemaas-medium.yaml"), (5, 2200, 2304, 0));
    assert_eq!(total("values-litemaas-large.yaml"), (6, 2700, 2816, 0));
    assert_eq!(total("values-aiops-dev.yaml"), (8, 2600, 4480, 0));
    assert_eq!(total("values-aiops-prod.yaml"), (20, 12900, 23040, 0));
    assert_eq!(total("values-dev.yaml"), (9, 1850, 3648, 0));
    let gpu = total("values-gpu.yaml");
    assert_eq!(
        (gpu.1 - 1200, gpu.2 - 1280, gpu.3),
        (28000, 176 * 1024, 4),
        "seed 004 §4.3 models"
    );
}

// ---------------------------------------------------------------------------------------------
// Router, KEDA, AIOps specifics and rejected values

#[test]
fn router_prod_uses_keda_when_served_and_websocket_ingress() {
    let Some(helms) = helms() else { return };
    for h in &helms {
        let docs = parse_docs(
            &template(h, "values-router-prod.yaml", &["-a", "keda.sh/v1alpha1"]).unwrap(),
        );
        let so =
            find(&docs, "ScaledObject", "rel-llm-runner-router").expect("ScaledObject with KEDA");
        assert_eq!(so["spec"]["minReplicaCount"], 5);
        assert_eq!(so["spec"]["maxReplicaCount"], 20);
        assert!(
            find(&docs, "HorizontalPodAutoscaler", "rel-llm-runner-router").is_none(),
            "KEDA owns the HPA"
        );
        let ws = find(&docs, "Ingress", "rel-llm-runner-router-ws").expect("WebSocket ingress");
        assert_eq!(
            ws["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"],
            "cookie"
        );
        for pvc in ["model-cache", "logs", "shared-cache"] {
            let p = find(
                &docs,
                "PersistentVolumeClaim",
                &format!("rel-llm-runner-router-{pvc}"),
            )
            .expect(pvc);
            assert_eq!(
                p["spec"]["accessModes"],
                serde_json::json!(["ReadWriteMany"])
            );
        }
        let plain = parse_docs(&template(h, "values-router-prod.yaml", &[]).unwrap());
        let hpa = find(&plain, "HorizontalPodAutoscaler", "rel-llm-runner-router")
            .expect("HPA without KEDA");
        assert_eq!(
            (
                hpa["spec"]["minReplicas"].as_i64(),
                hpa["spec"]["maxReplicas"].as_i64()
            ),
            (Some(5), Some(20))
        );
    }
}

/// Inconsistent combinations a schema cannot express are refused by the templates' guards.
#[test]
fn template_guards_reject_inconsistent_values() {
    let Some(helms) = helms() else { return };
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--set",
                "vllm.enabled=false",
                "--set",
                "global.models[0].name=m",
                "--set",
                "global.models[0].model=x",
                "--set",
                "global.models[0].parameters=1B",
            ],
            "vllm.enabled",
        ),
        (&["--set", "redis.enabled=false"], "redis.enabled"),
        (&["--set", "litemaas.enabled=true"], "litemaas"),
        (&["--set", "postgresql.mode=external"], "external.host"),
        (&["--set", "litellm.resources.limits=null"], "limits"),
        (
            &[
                "--set",
                "open-webui.enabled=true",
                "--set",
                "open-webui.vectorDb=qdrant",
            ],
            "qdrant.enabled",
        ),
    ];
    for h in &helms {
        for (args, needle) in cases {
            let err = match template(h, "values.yaml", args) {
                Ok(_) => panic!("helm {} accepted {args:?}", h.label),
                Err(e) => e,
            };
            assert!(
                err.contains(needle),
                "helm {} {args:?}: error does not mention {needle}: {err}",
                h.label
            );
        }
    }
}

/// The committed `values.schema.json` files are what `stackcheck schema` generates from the
/// annotated values: a stale schema would let Helm accept (or reject) the wrong values.
#[test]
fn committed_schemas_are_up_to_date() {
    let out = stackcheck()
        .args(["schema", "--check"])
        .arg(chart_dir())
        .output()
        .expect("run stackcheck");
    assert!(
        out.status.success(),
        "schemas drifted; run `stackcheck schema charts/llm-stack --write`:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Mistakes only the schema catches (no template `fail`): Helm itself refuses them at
/// `helm template`/`install`, naming the value, because the chart ships its schema.
#[test]
fn helm_rejects_bad_values_through_the_schema() {
    let Some(helms) = helms() else { return };
    let cases: &[(&str, &str)] = &[
        ("litellm.replicaCount=two", "/litellm/replicaCount"),
        ("litellm.replicas=3", "'replicas' not allowed"),
        (
            "litellm.resources.requests.cpu=lots",
            "/litellm/resources/requests/cpu",
        ),
        ("global.platform=windows", "/global/platform"),
        ("redis.image.tag=", "/redis/image/tag"),
        ("litellm.image.tag=latest", "/litellm/image/tag"),
        (
            "global.models[0].name=Bad_Name,global.models[0].model=m,global.models[0].parameters=1B",
            "/global/models/0/name",
        ),
        (
            "postgresql.persistence.size=10Gi",
            "'persistence' not allowed",
        ),
        ("qdrant.enabled=maybe", "/qdrant/enabled"),
    ];
    for h in &helms {
        for (set, needle) in cases {
            let err = match template(h, "values.yaml", &["--set", set]) {
                Ok(_) => panic!("helm {} accepted --set {set}", h.label),
                Err(e) => e,
            };
            assert!(
                err.contains("don't meet the specifications of the schema") && err.contains(needle),
                "helm {} --set {set}: not a schema error about {needle}: {err}",
                h.label
            );
        }
    }
}
