//! Expected texts are the `expectReason`/`expectDetail` strings of
//! `k8s.io/pod-security-admission` v0.37.2 `policy/check_*_test.go`, and the fixture agreement
//! test runs the module's own `test/testdata/{baseline,restricted}/v1.*/{pass,fail}` pods.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::*;

fn cfg() -> PodSecurityConfig {
    PodSecurityConfig::for_server(34)
}

fn restricted() -> LevelVersion {
    LevelVersion::new(Level::Restricted, Version::Latest)
}

fn baseline() -> LevelVersion {
    LevelVersion::new(Level::Baseline, Version::Latest)
}

/// The single violation of `id` for a pod spec at `lv`.
fn detail(lv: LevelVersion, spec: Json, id: &str) -> (String, String) {
    let v = evaluate_pod(lv, &json!({}), &spec, &cfg());
    let found = v
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("no {id} violation in {v:?}"));
    (found.reason.clone(), found.detail.clone())
}

/// A pod that passes restricted:latest, to mutate.
fn good_container(name: &str) -> Json {
    json!({"name": name, "image": "x", "securityContext": {
        "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}})
}

fn good_spec(containers: Vec<Json>) -> Json {
    json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
           "containers": containers})
}

#[test]
fn a_good_pod_passes_restricted() {
    let spec = good_spec(vec![good_container("a")]);
    assert!(evaluate_pod(restricted(), &json!({}), &spec, &cfg()).is_empty());
}

#[test]
fn capabilities_restricted_message() {
    let spec = json!({"containers": [
        {"name": "a", "securityContext": {"capabilities": {"add": ["FOO", "BAR"]}}},
        {"name": "b", "securityContext": {"capabilities": {"add": ["BAR", "BAZ"]}}},
        {"name": "c", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE", "CHOWN"], "drop": ["ALL", "FOO"]}}},
    ]});
    assert_eq!(
        detail(restricted(), spec, "capabilities_restricted"),
        (
            "unrestricted capabilities".into(),
            r#"containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add"#.into()
        )
    );
}

#[test]
fn capabilities_baseline_message() {
    let spec = json!({"containers": [
        {"name": "a", "securityContext": {"capabilities": {"add": ["FOO", "BAR"]}}},
        {"name": "b", "securityContext": {"capabilities": {"add": ["BAR", "BAZ"]}}},
        {"name": "c", "securityContext": {"capabilities": {"add": ["CHOWN"]}}},
    ]});
    assert_eq!(
        detail(baseline(), spec, "capabilities_baseline"),
        (
            "non-default capabilities".into(),
            r#"containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add"#.into()
        )
    );
}

#[test]
fn host_namespaces_ports_and_paths() {
    let spec = json!({"hostNetwork": true, "hostPID": true, "hostIPC": true, "containers": [
        {"name": "a", "ports": [{"containerPort": 1}]},
        {"name": "b", "ports": [{"hostPort": 10}, {"hostPort": 20}]},
        {"name": "c", "ports": [{"hostPort": 30}]},
    ], "volumes": [{"name": "a", "hostPath": {"path": "/"}}, {"name": "b", "hostPath": {}}, {"name": "c", "emptyDir": {}}]});
    assert_eq!(
        detail(baseline(), spec.clone(), "hostNamespaces"),
        (
            "host namespaces".into(),
            "hostNetwork=true, hostPID=true, hostIPC=true".into()
        )
    );
    assert_eq!(
        detail(baseline(), spec.clone(), "hostPorts"),
        (
            "hostPort".into(),
            r#"containers "b", "c" use hostPorts 10, 20, 30"#.into()
        )
    );
    assert_eq!(
        detail(baseline(), spec.clone(), "hostPathVolumes"),
        ("hostPath volumes".into(), r#"volumes "a", "b""#.into())
    );
    // restricted replaces hostPathVolumes with restrictedVolumes
    let r = evaluate_pod(restricted(), &json!({}), &spec, &cfg());
    assert!(r.iter().all(|v| v.id != "hostPathVolumes"));
    assert_eq!(
        detail(restricted(), spec, "restrictedVolumes").1,
        r#"volumes "a", "b" use restricted volume type "hostPath""#
    );
}

#[test]
fn probe_hosts_from_1_34_only() {
    let spec = json!({"containers": [{"name": "a",
        "livenessProbe": {"httpGet": {"host": "localhost", "port": 1}},
        "readinessProbe": {"tcpSocket": {"host": "127.0.0.1", "port": 1}},
        "lifecycle": {"preStop": {"httpGet": {"host": "::1", "port": 1}}}}]});
    assert_eq!(
        detail(baseline(), spec.clone(), "hostProbesAndHostLifecycle"),
        (
            "probe or lifecycle host".into(),
            r#"container "a" uses probe or lifecycle hosts "127.0.0.1", "::1", "localhost""#.into()
        )
    );
    let v133 = LevelVersion::new(Level::Baseline, Version::Minor(33));
    assert!(evaluate_pod(v133, &json!({}), &spec, &cfg()).is_empty());
    // a 1.33 API server's `latest` is its own minor
    assert!(
        evaluate_pod(
            baseline(),
            &json!({}),
            &spec,
            &PodSecurityConfig::for_server(33)
        )
        .is_empty()
    );
}

#[test]
fn privileged_procmount_selinux_messages() {
    let spec = json!({"securityContext": {"seLinuxOptions": {"type": "foo", "user": "u", "role": "r"}},
        "containers": [
        {"name": "d", "securityContext": {"privileged": true, "procMount": "Unmasked"}},
        {"name": "e", "securityContext": {"privileged": true, "procMount": "other", "seLinuxOptions": {"type": "bar"}}},
        {"name": "f", "securityContext": {"privileged": false, "seLinuxOptions": {"type": "container_t"}}},
    ]});
    assert_eq!(
        detail(baseline(), spec.clone(), "privileged"),
        (
            "privileged".into(),
            r#"containers "d", "e" must not set securityContext.privileged=true"#.into()
        )
    );
    assert_eq!(
        detail(baseline(), spec.clone(), "procMount"),
        (
            "procMount".into(),
            r#"containers "d", "e" must not set securityContext.procMount to "Unmasked", "other""#
                .into()
        )
    );
    assert_eq!(
        detail(baseline(), spec, "seLinuxOptions"),
        (
            "seLinuxOptions".into(),
            r#"pod and container "e" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set"#.into()
        )
    );
}

#[test]
fn selinux_container_engine_t_allowed_from_1_31() {
    let spec = json!({"securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}, "containers": []});
    let v130 = LevelVersion::new(Level::Baseline, Version::Minor(30));
    assert_eq!(
        detail(v130, spec.clone(), "seLinuxOptions").1,
        r#"pod set forbidden securityContext.seLinuxOptions: type "container_engine_t""#
    );
    assert!(evaluate_pod(baseline(), &json!({}), &spec, &cfg()).is_empty());
}

#[test]
fn run_as_non_root_and_user_messages() {
    let spec = json!({"containers": [{"name": "a"}, {"name": "b"}]});
    assert_eq!(
        detail(restricted(), spec, "runAsNonRoot"),
        (
            "runAsNonRoot != true".into(),
            r#"pod or containers "a", "b" must set securityContext.runAsNonRoot=true"#.into()
        )
    );
    let spec = json!({"securityContext": {"runAsNonRoot": false, "runAsUser": 0}, "containers": [
        {"name": "a"},
        {"name": "c", "securityContext": {"runAsNonRoot": false, "runAsUser": 0}},
        {"name": "d", "securityContext": {"runAsNonRoot": false, "runAsUser": 0}},
    ]});
    assert_eq!(
        detail(restricted(), spec.clone(), "runAsNonRoot").1,
        r#"pod and containers "c", "d" must not set securityContext.runAsNonRoot=false"#
    );
    assert_eq!(
        detail(restricted(), spec, "runAsUser"),
        (
            "runAsUser=0".into(),
            r#"pod and containers "c", "d" must not set runAsUser=0"#.into()
        )
    );
}

#[test]
fn user_namespaces_relax_from_1_35_or_behind_the_gate() {
    let spec = json!({"hostUsers": false, "securityContext": {"runAsUser": 0}, "containers": [
        {"name": "a", "securityContext": {"procMount": "Unmasked"}}]});
    let ids = |lv, config: &PodSecurityConfig| -> Vec<&'static str> {
        evaluate_pod(lv, &json!({}), &spec, config)
            .into_iter()
            .map(|v| v.id)
            .collect()
    };
    // 1.34 server, gate off: no relaxation
    let on_134 = ids(restricted(), &cfg());
    assert!(on_134.contains(&"runAsUser") && on_134.contains(&"procMount"));
    // 1.34 server, gate on
    let gated = PodSecurityConfig {
        user_namespaces_gate: true,
        ..cfg()
    };
    let relaxed = ids(restricted(), &gated);
    assert!(!relaxed.contains(&"runAsUser") && !relaxed.contains(&"runAsNonRoot"));
    assert!(!relaxed.contains(&"procMount"));
    // 1.37 server: relaxed at latest, except procMount under restricted (procMount_restricted)
    let new = PodSecurityConfig::for_server(37);
    let latest = ids(restricted(), &new);
    assert!(!latest.contains(&"runAsUser") && latest.contains(&"procMount_restricted"));
    assert!(!ids(baseline(), &new).contains(&"procMount"));
    // … and v1.34 policy on a 1.37 server no longer relaxes, even with the gate
    let v134 = LevelVersion::new(Level::Restricted, Version::Minor(34));
    assert!(
        ids(
            v134,
            &PodSecurityConfig {
                user_namespaces_gate: true,
                ..new
            }
        )
        .contains(&"runAsUser")
    );
}

#[test]
fn seccomp_messages() {
    let spec = json!({"containers": [{"name": "a"}, {"name": "b"}]});
    assert_eq!(
        detail(restricted(), spec, "seccompProfile_restricted"),
        (
            "seccompProfile".into(),
            r#"pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#.into()
        )
    );
    let spec = json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [
        {"name": "a"},
        {"name": "c", "securityContext": {"seccompProfile": {"type": "Unconfined"}}},
        {"name": "d", "securityContext": {"seccompProfile": {"type": "Unconfined"}}},
    ]});
    assert_eq!(
        detail(baseline(), spec, "seccompProfile_baseline").1,
        r#"pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined""#
    );
    // policy versions before 1.19 read the alpha annotations
    let meta = json!({"annotations": {
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/a": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/b": "unknown"}});
    let spec = json!({"containers": [{"name": "a"}, {"name": "b"}]});
    let v = evaluate_pod(
        LevelVersion::new(Level::Baseline, Version::Minor(18)),
        &meta,
        &spec,
        &cfg(),
    );
    assert_eq!(
        v[0].detail,
        r#"forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", container.seccomp.security.alpha.kubernetes.io/b="unknown", seccomp.security.alpha.kubernetes.io/pod="unconfined""#
    );
}

#[test]
fn app_armor_messages() {
    let spec = json!({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}, "containers": [
        {"name": "bar", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]});
    assert_eq!(
        detail(baseline(), spec, "appArmorProfile"),
        (
            "forbidden AppArmor profile".into(),
            r#"pod and container "bar" must not set AppArmor profile type to "Unconfined""#.into()
        )
    );
    let meta = json!({"annotations": {
        "container.apparmor.security.beta.kubernetes.io/b": "unconfined",
        "container.apparmor.security.beta.kubernetes.io/a": "localhost/x"}});
    let v = evaluate_pod(baseline(), &meta, &json!({"containers": []}), &cfg());
    assert_eq!(v[0].reason, "forbidden AppArmor profile");
    assert_eq!(
        v[0].detail,
        r#"annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/b="unconfined"""#
    );
    assert_eq!(
        v[0].fields,
        ["metadata.annotations[container.apparmor.security.beta.kubernetes.io/b]"]
    );
}

#[test]
fn sysctls_by_version() {
    let spec = json!({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1"}, {"name": "a"}, {"name": "b"}]}});
    assert_eq!(
        detail(baseline(), spec.clone(), "sysctls"),
        ("forbidden sysctls".into(), "a, b".into())
    );
    let v131 = LevelVersion::new(Level::Baseline, Version::Minor(31));
    assert_eq!(detail(v131, spec, "sysctls").1, "net.ipv4.tcp_rmem, a, b");
}

#[test]
fn windows_pods_and_host_process() {
    let spec = json!({"os": {"name": "windows"},
        "securityContext": {"windowsOptions": {"hostProcess": true}, "runAsNonRoot": true},
        "containers": [
            {"name": "e", "securityContext": {"windowsOptions": {"hostProcess": true}}},
            {"name": "f", "securityContext": {"windowsOptions": {"hostProcess": true}}}]});
    let v = evaluate_pod(restricted(), &json!({}), &spec, &cfg());
    let ids: Vec<_> = v.iter().map(|v| v.id).collect();
    // Windows pods skip allowPrivilegeEscalation, capabilities and seccomp from 1.25 on
    assert_eq!(ids, ["windowsHostProcess"]);
    assert_eq!(
        v[0].detail,
        r#"pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true"#
    );
    let v124 = LevelVersion::new(Level::Restricted, Version::Minor(24));
    assert!(evaluate_pod(v124, &json!({}), &spec, &cfg()).len() > 1);
}

#[test]
fn restricted_volume_types_and_image_volumes() {
    let spec = json!({"containers": [], "volumes": [
        {"name": "a", "nfs": {}}, {"name": "b", "gitRepo": {}}, {"name": "c", "image": {"reference": "x"}},
        {"name": "d", "configMap": {"name": "x"}}, {"name": "e"}]});
    assert_eq!(
        detail(restricted(), spec.clone(), "restrictedVolumes"),
        (
            "restricted volume types".into(),
            r#"volumes "a", "b" use restricted volume types "gitRepo", "nfs""#.into()
        )
    );
    // "e" has no source: defaulted to emptyDir. API servers before 1.33 do not list `image` among the allowed sources
    let old = PodSecurityConfig::for_server(32);
    let v = evaluate_pod(restricted(), &json!({}), &spec, &old);
    let rv = v
        .iter()
        .find(|v| v.id == "restrictedVolumes")
        .map(|v| v.detail.clone());
    assert_eq!(
        rv.as_deref(),
        Some(r#"volumes "a", "b", "c" use restricted volume types "gitRepo", "nfs", "unknown""#)
    );
}

#[test]
fn aggregate_order_and_text() {
    // baseline IDs sorted, then restricted IDs sorted (registry.go)
    let spec = json!({"hostNetwork": true, "containers": [{"name": "a", "securityContext": {"privileged": true}}]});
    let v = evaluate_pod(restricted(), &json!({}), &spec, &cfg());
    let ids: Vec<_> = v.iter().map(|v| v.id).collect();
    assert_eq!(
        ids,
        [
            "hostNamespaces",
            "privileged",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "runAsNonRoot",
            "seccompProfile_restricted"
        ]
    );
    assert_eq!(
        forbidden_detail(&v),
        r#"host namespaces (hostNetwork=true), privileged (container "a" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "a" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
    );
}

#[test]
fn labels_parse_and_default_like_the_api_server() {
    let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (p, errors) = policy_to_evaluate(
        &labels(&[
            (ENFORCE_LABEL, "baseline"),
            (ENFORCE_VERSION_LABEL, "v1.29"),
        ]),
        Policy::default(),
    );
    assert!(errors.is_empty());
    assert_eq!(p.enforce.to_string(), "baseline:v1.29");
    // warn follows a stricter enforce, with its version
    assert_eq!(p.warn.to_string(), "baseline:v1.29");
    assert_eq!(p.audit.to_string(), "privileged:latest");
    let (p, errors) = policy_to_evaluate(
        &labels(&[(ENFORCE_LABEL, "strict"), (WARN_VERSION_LABEL, "v1.030")]),
        Policy::default(),
    );
    assert_eq!(p.enforce.to_string(), "restricted:latest");
    assert_eq!(p.warn.to_string(), "privileged:latest");
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            r#"metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted"#,
            r#"metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "v1.030": must be "latest" or "v1.x""#,
        ]
    );
    assert_eq!(Version::parse("v1.0"), Some(Version::Minor(0)));
    assert_eq!(Version::parse("v2.1"), None);
}

fn deployment(name: &str, spec: Json) -> Json {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
           "spec": {"template": {"metadata": {}, "spec": spec}}})
}

#[test]
fn release_pods_refused_controllers_warned() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                     "spec": {"containers": [{"name": "a"}]}});
    let dep = deployment("api", json!({"containers": [{"name": "a"}]}));
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": good_spec(vec![good_container("a")])}}}}});
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
    let subjects = [
        Subject::new(&pod, Some("chart/templates/pod.yaml")),
        Subject::new(&dep, Some("chart/templates/api.yaml")),
        Subject::new(&cron, None),
        Subject::new(&cm, None),
    ];
    let ns = BTreeMap::from([("apps".to_string(), labels_for_level(Level::Restricted))]);
    let (findings, errors) = check_release(&subjects, "apps", &ns, &cfg());
    assert!(errors.is_empty());
    let summary: Vec<_> = findings
        .iter()
        .map(|f| (f.object.as_str(), f.effect.clone(), f.policy.to_string()))
        .collect();
    assert_eq!(
        summary,
        [
            ("Pod/web", Effect::Refused, "restricted:latest".into()),
            (
                "Deployment/api",
                Effect::PodsRefused {
                    creator: "system:serviceaccount:kube-system:replicaset-controller".into()
                },
                "restricted:latest".into()
            ),
            (
                "Deployment/api",
                Effect::Warning,
                "restricted:latest".into()
            ),
        ]
    );
    assert!(findings[0].message.starts_with(
        r#"pods "web" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "a" must set securityContext.allowPrivilegeEscalation=false), "#
    ));
    assert!(
        findings[2]
            .message
            .starts_with(r#"would violate PodSecurity "restricted:latest": "#)
    );
    assert_eq!(
        findings[1].template.as_deref(),
        Some("chart/templates/api.yaml")
    );
    assert_eq!(
        findings[1].violations[0].fields,
        ["spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation"]
    );
}

#[test]
fn exemptions_and_rendered_namespaces() {
    let spec = json!({"runtimeClassName": "kata", "containers": [{"name": "a", "securityContext": {"privileged": true}}]});
    let dep = deployment("api", spec.clone());
    let mut other = deployment(
        "other",
        json!({"containers": [{"name": "a", "securityContext": {"privileged": true}}]}),
    );
    other["metadata"]["namespace"] = json!("tools");
    let ns_obj = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "tools", "labels": {ENFORCE_LABEL: "baseline", WARN_LABEL: "privileged"}}});
    let subjects = [
        Subject::new(&dep, None),
        Subject::new(&other, None),
        Subject::new(&ns_obj, None),
    ];
    let ns = BTreeMap::from([("apps".to_string(), labels_for_level(Level::Baseline))]);
    let mut config = cfg();
    config.exemptions.runtime_classes = vec!["kata".into()];
    let (findings, _) = check_release(&subjects, "apps", &ns, &config);
    // `api` exempt by runtime class; `other` refused by the rendered Namespace's labels, no warning
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].object, "Deployment/other");
    assert_eq!(findings[0].namespace, "tools");
    assert_eq!(
        findings[0].message,
        r#"violates PodSecurity "baseline:latest": privileged (container "a" must not set securityContext.privileged=true)"#
    );
    // the controller's identity exempt: its pods pass
    config.exemptions.usernames =
        vec!["system:serviceaccount:kube-system:replicaset-controller".into()];
    let (findings, _) = check_release(&subjects, "apps", &ns, &config);
    assert!(findings.is_empty());
    // namespace exemption
    config.exemptions.usernames.clear();
    config.exemptions.namespaces = vec!["tools".into()];
    assert!(check_release(&subjects, "apps", &ns, &config).0.is_empty());
}

// ---- agreement with the module's own fixtures --------------------------------------------------

/// Every fixture of `k8s.io/pod-security-admission@v0.37.2/test/testdata` (4,500 pods, generated
/// by its `TestFixtures`): `pass` pods have no violation at their level and version, `fail`
/// pods fail the check their file is named after (or the restricted check that replaces it;
/// some fixtures fail others too, e.g. hostProcess needs hostNetwork). Evaluated as a 1.37 API
/// server.
/// Skipped when the module is not in the Go module cache (a failure under CI, where
/// `scripts/test.sh` downloads it).
#[test]
fn agrees_with_upstream_fixtures() {
    use saphyr::LoadableYamlNode;
    let cache = std::env::var("GOMODCACHE")
        .ok()
        .unwrap_or_else(|| format!("{}/go/pkg/mod", std::env::var("HOME").unwrap_or_default()));
    let root =
        std::path::Path::new(&cache).join("k8s.io/pod-security-admission@v0.37.2/test/testdata");
    if !root.is_dir() {
        crate::test_support::skip_unless_ci(&format!(
            "{} not found (scripts/test.sh downloads it: go mod download k8s.io/pod-security-admission@v0.37.2)",
            root.display()
        ));
        return;
    }
    let config = PodSecurityConfig::for_server(37);
    let mut checked = 0;
    let mut failures = Vec::new();
    for level in [Level::Baseline, Level::Restricted] {
        for minor in 0..=37 {
            for outcome in ["pass", "fail"] {
                let dir = root
                    .join(level.as_str())
                    .join(format!("v1.{minor}"))
                    .join(outcome);
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    let text = std::fs::read_to_string(&path).expect("fixture");
                    let docs = saphyr::YamlOwned::load_from_str(&text).expect("YAML");
                    let pod = crate::test_support::yaml_to_json(&docs[0]);
                    let lv = LevelVersion::new(level, Version::Minor(minor));
                    let v = evaluate_pod(lv, &pod["metadata"], &pod["spec"], &config);
                    let file = path
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or("")
                        .to_string();
                    let ok = if outcome == "pass" {
                        v.is_empty()
                    } else {
                        let check = file.trim_end_matches(|c: char| c.is_ascii_digit());
                        let replaced_by = match check {
                            "capabilities_baseline" => "capabilities_restricted",
                            "seccompprofile_baseline" => "seccompprofile_restricted",
                            "hostpathvolumes" => "restrictedvolumes",
                            "procmount" => "procmount_restricted",
                            other => other,
                        };
                        v.iter().any(|v| {
                            let id = v.id.to_lowercase();
                            id == check || (level == Level::Restricted && id == replaced_by)
                        })
                    };
                    checked += 1;
                    if !ok {
                        failures.push(format!("{level} v1.{minor} {outcome} {file}: {v:?}"));
                    }
                }
            }
        }
    }
    assert!(checked > 4000, "only {checked} fixtures");
    assert!(
        failures.is_empty(),
        "{} of {checked} disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The texts kube-apiserver v1.34.4 printed for `kubectl create --dry-run=server` of these
/// objects (test control plane, namespace `restr` labelled enforce=restricted, `default` labelled
/// warn=baseline, warn-version=v1.33). The Pod shows the AppArmor annotation copied into the
/// container's field (applyAppArmorVersionSkew) before PSA.
#[test]
fn agrees_with_kube_apiserver_1_34() {
    let pod = |ns: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p2", "namespace": ns,
            "annotations": {"container.apparmor.security.beta.kubernetes.io/a": "unconfined"}},
        "spec": {
            "securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}, {"name": "kernel.msgmax", "value": "1"}],
                "seLinuxOptions": {"type": "spc_t"}},
            "volumes": [{"name": "v", "hostPath": {"path": "/"}}, {"name": "e"}, {"name": "nfsvol", "nfs": {"server": "s", "path": "/"}}],
            "containers": [{"name": "a", "image": "x",
                "ports": [{"containerPort": 8080, "hostPort": 8080}, {"containerPort": 81, "hostPort": 80}],
                "securityContext": {"privileged": true, "capabilities": {"add": ["NET_ADMIN", "CHOWN"]}, "seccompProfile": {"type": "Unconfined"}},
                "livenessProbe": {"httpGet": {"host": "localhost", "port": 80}}}],
            "initContainers": [{"name": "i", "image": "x", "securityContext": {"runAsUser": 0, "runAsNonRoot": false}}]}})
    };
    let restr = pod("restr");
    let default = pod("default");
    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "restr"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "a", "image": "x"}]}}}});
    let labels = BTreeMap::from([
        ("restr".to_string(), labels_for_level(Level::Restricted)),
        (
            "default".to_string(),
            BTreeMap::from([
                (WARN_LABEL.to_string(), "baseline".to_string()),
                (WARN_VERSION_LABEL.to_string(), "v1.33".to_string()),
            ]),
        ),
    ]);
    let subjects = [
        Subject::new(&restr, None),
        Subject::new(&default, None),
        Subject::new(&dep, None),
    ];
    let (findings, _) = check_release(&subjects, "x", &labels, &cfg());
    let messages: Vec<_> = findings
        .iter()
        .map(|f| (f.object.as_str(), f.effect.clone(), f.message.as_str()))
        .collect();
    assert_eq!(messages[0].0, "Pod/p2");
    assert_eq!(messages[0].1, Effect::Refused);
    assert_eq!(
        messages[0].2,
        r#"pods "p2" is forbidden: violates PodSecurity "restricted:latest": forbidden AppArmor profiles (container "a" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/a="unconfined""), hostPort (container "a" uses hostPorts 80, 8080), probe or lifecycle host (container "a" uses probe or lifecycle host "localhost"), privileged (container "a" must not set securityContext.privileged=true), seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"), forbidden sysctls (kernel.msgmax), allowPrivilegeEscalation != false (containers "i", "a" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers "i", "a" must set securityContext.capabilities.drop=["ALL"]; container "a" must not include "CHOWN", "NET_ADMIN" in securityContext.capabilities.add), restricted volume types (volumes "v", "nfsvol" use restricted volume types "hostPath", "nfs"), runAsNonRoot != true (container "i" must not set securityContext.runAsNonRoot=false), runAsUser=0 (container "i" must not set runAsUser=0), seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined")"#
    );
    assert_eq!(messages[1].1, Effect::Warning);
    assert_eq!(
        messages[1].2,
        r#"would violate PodSecurity "baseline:v1.33": forbidden AppArmor profiles (container "a" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/a="unconfined""), non-default capabilities (container "a" must not include "NET_ADMIN" in securityContext.capabilities.add), hostPath volumes (volume "v"), hostPort (container "a" uses hostPorts 80, 8080), privileged (container "a" must not set securityContext.privileged=true), seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"), seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined"), forbidden sysctls (kernel.msgmax)"#
    );
    let warning = findings
        .iter()
        .find(|f| f.object == "Deployment/d" && f.effect == Effect::Warning)
        .map(|f| f.message.as_str());
    assert_eq!(
        warning,
        Some(
            r#"would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "a" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
        )
    );
}
