use serde_json::{Value as Json, json};

use super::*;

// Texts marked "server" were printed by kube-apiserver v1.34.4 (the test control plane of
// tools/tools.sh control-plane) for `kubectl create --dry-run=server --validate=strict` or
// `kubectl apply --server-side --dry-run=server` of the same object.

fn deployment(container: Json) -> Json {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"a": "b"}},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
        "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [container]}}}})
}

fn errors(minor: u32, object: &Json) -> Vec<(String, FieldErrorKind, String)> {
    let schemas = Schemas::bundled(minor).expect("bundle");
    let (coverage, errors) = validate(&schemas, Subject::new(object, Some("c/templates/d.yaml")));
    assert_eq!(coverage, Coverage::Checked);
    errors
        .into_iter()
        .map(|e| (e.path, e.kind, e.message))
        .collect()
}

#[test]
fn every_bundle_loads_and_knows_the_core_kinds() {
    for minor in bundled_minors() {
        let s = Schemas::bundled(minor).expect("bundle");
        assert!(
            s.version.starts_with(&format!("v1.{minor}.")),
            "{}",
            s.version
        );
        for (g, v, k) in [
            ("", "v1", "Pod"),
            ("apps", "v1", "Deployment"),
            ("batch", "v1", "CronJob"),
        ] {
            assert!(
                s.by_gvk.contains_key(&(g.into(), v.into(), k.into())),
                "1.{minor} {k}"
            );
        }
    }
    assert!(matches!(
        Schemas::bundled(28),
        Err(SchemaError::NotBundled { minor: 28, .. })
    ));
}

#[test]
fn a_valid_deployment_passes() {
    let d = deployment(
        json!({"name": "a", "image": "x", "ports": [{"containerPort": 80}],
        "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}, "env": [{"name": "X", "value": "1"}],
        "livenessProbe": {"httpGet": {"port": "http", "path": "/"}}}),
    );
    assert_eq!(errors(34, &d), []);
}

#[test]
fn unknown_field_as_strict_validation_words_it() {
    let d = deployment(json!({"name": "a", "image": "x", "imagePullPolcy": "Always"}));
    assert_eq!(
        errors(34, &d),
        [(
            "spec.template.spec.containers[0].imagePullPolcy".to_string(),
            FieldErrorKind::UnknownField,
            r#"unknown field "spec.template.spec.containers[0].imagePullPolcy""#.to_string()
        )]
    );
}

#[test]
fn wrong_types_as_the_decoder_words_them() {
    let d = deployment(
        json!({"name": "a", "image": "x", "ports": [{"containerPort": "80"}], "stdin": "yes"}),
    );
    let e = errors(34, &d);
    assert_eq!(
        e.iter().map(|e| e.2.as_str()).collect::<Vec<_>>(),
        [
            "json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32",
            "json: cannot unmarshal string into Go struct field Container.spec.template.spec.containers.stdin of type bool",
        ]
    );
    // int-or-string and Quantity accept both, nothing else
    let mut d = deployment(json!({"name": "a", "image": "x"}));
    d["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = json!(true);
    assert_eq!(
        errors(34, &d)[0].2,
        "json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32"
    );
}

#[test]
fn required_and_list_map_duplicates() {
    let mut d = deployment(json!({"image": "x"}));
    d["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("list")
        .push(json!({"image": "y"}));
    d["spec"].as_object_mut().expect("spec").remove("selector");
    let e = errors(34, &d);
    let messages: Vec<_> = e.iter().map(|e| e.2.as_str()).collect();
    assert!(
        messages.contains(&"spec.selector: Required value"),
        "{messages:?}"
    );
    // `name` is a plain Go string: decoded as "", left to validation code
    assert!(!messages.iter().any(|m| m.contains("containers[0].name")));
    assert!(
        messages.contains(&".spec.template.spec.containers: duplicate entries for key [name=null]")
    );
}

#[test]
fn fields_new_in_a_minor_are_unknown_before() {
    // Pod-level resources (spec.resources) arrived in 1.32
    let mut d = deployment(json!({"name": "a", "image": "x"}));
    d["spec"]["template"]["spec"]["resources"] = json!({"limits": {"cpu": "1"}});
    assert_eq!(errors(32, &d), []);
    assert_eq!(
        errors(31, &d)[0].2,
        r#"unknown field "spec.template.spec.resources""#
    );
}

#[test]
fn unknown_kinds_are_not_judged() {
    let s = Schemas::bundled(34).expect("bundle");
    let w = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"x": 1}});
    assert_eq!(
        validate(&s, Subject::new(&w, None)),
        (Coverage::UnknownKind, vec![])
    );
}

/// The Gateway API CRD of `../shared/crds/` (gateway-api v1.6.1, standard channel).
#[test]
fn custom_resources_against_their_crd() {
    use saphyr::LoadableYamlNode;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/crds/gateway.networking.k8s.io_gateways.yaml"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        crate::test_support::skip_unless_ci(&format!(
            "{path} not found (../shared beside the repository)"
        ));
        return;
    };
    let crd = crate::test_support::yaml_to_json(
        &saphyr::YamlOwned::load_from_str(&text).expect("YAML")[0],
    );
    let mut s = Schemas::bundled(34).expect("bundle");
    s.add_crd(&crd).expect("CRD");
    let gw = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "gw", "labels": {"a": "b"}},
        "spec": {"gatewayClassName": "x", "listners": [],
            "listeners": [{"name": "http", "port": "80", "protocol": "HTTP"}, {"name": "http", "port": 81, "protocol": "HTTP"}]}});
    let (coverage, e) = validate(&s, Subject::new(&gw, None));
    assert_eq!(coverage, Coverage::Checked);
    let messages: Vec<_> = e.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            r#"unknown field "spec.listners""#,
            r#".spec.listeners: duplicate entries for key [name="http"]"#,
            r#"spec.listeners[0].port: Invalid value: "string": spec.listeners[0].port in body must be of type integer: "string""#,
        ]
    );
    let bad = json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "Gateway", "metadata": {"name": "gw"}, "spec": {}});
    let (_, e) = validate(&s, Subject::new(&bad, None));
    let messages: Vec<_> = e.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "spec.gatewayClassName: Required value",
            "spec.listeners: Required value"
        ]
    );
}

/// More decoder texts of kube-apiserver v1.34.4 (`kubectl create --dry-run=server`).
#[test]
fn decoder_texts_agree_with_the_server() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": 1}}, "data": {"x": 1}});
    assert_eq!(
        errors(34, &cm).into_iter().map(|e| e.2).collect::<Vec<_>>(),
        [
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
            "json: cannot unmarshal number into Go struct field ConfigMap.data of type string",
        ]
    );
    let pod = |container: Json| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container]}});
    assert_eq!(
        errors(
            34,
            &pod(json!({"name": "a", "image": "x", "env": [{"name": "X", "value": true}]}))
        )[0]
        .2,
        "json: cannot unmarshal bool into Go struct field EnvVar.spec.containers.env.value of type string"
    );
    assert_eq!(
        errors(
            34,
            &pod(json!({"name": "a", "image": "x", "resources": {"limits": {"cpu": "1 core"}}}))
        )[0]
        .2,
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    );
    assert_eq!(
        errors(
            34,
            &pod(
                json!({"name": "a", "image": "x", "resources": {"limits": {"cpu": " 500m ", "memory": 1e9}}})
            )
        ),
        []
    );
    let mut d = deployment(json!({"name": "a", "image": "x"}));
    d["spec"]["replicas"] = json!(2.0);
    assert_eq!(errors(34, &d), []);
    d["spec"]["replicas"] = json!(1.5);
    assert_eq!(
        errors(34, &d)[0].2,
        "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
    let p = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": {"name": "a"}}});
    assert_eq!(
        errors(34, &p)[0].2,
        "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"
    );
}

/// Fields that are `required` in the OpenAPI but not refused by the API server: non-pointer Go
/// fields (zero-value `default`) and a status (dropped on create).
#[test]
fn required_only_where_the_server_requires() {
    let mut d = deployment(json!({"name": "a", "image": "x",
        "livenessProbe": {"httpGet": {"port": 80, "httpHeaders": [{"name": "X"}]}}}));
    d["status"] = json!({"conditions": [{"message": "m"}]});
    assert_eq!(errors(34, &d), []);
    let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "a", "image": "x"}]}}}, "status": {}});
    assert_eq!(errors(34, &ds), []);
}
