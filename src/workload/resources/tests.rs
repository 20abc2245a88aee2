//! Each case's `requests` and `go_limits` are what `PodRequests` and `PodLimits` of
//! k8s.io/component-helpers v0.34.0 return for the spec after the API server's defaulting
//! (a Go harness ran them on exactly these JSON specs). `limits` is our answer: equal to Go's
//! wherever every container that uses a resource limits it, `unbounded` otherwise.

use super::*;

struct Case {
    name: &'static str,
    spec: &'static str,
    requests: &'static str,
    go_limits: &'static str,
    limits: &'static str,
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case {
        name: "app containers are summed",
        spec: r#"{"containers": [{"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}, {"name": "b", "resources": {"requests": {"cpu": "0.5", "memory": "1.5Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}}}]}"#,
        requests: "cpu=750m memory=2Gi",
        go_limits: "cpu=3 memory=3Gi",
        limits: "cpu=3 memory=3Gi",
    },
    Case {
        name: "limits only: requests default to limits",
        spec: r#"{"containers": [{"name": "gpu", "resources": {"limits": {"cpu": "4", "memory": "32Gi", "nvidia.com/gpu": "1"}}}]}"#,
        requests: "cpu=4 memory=32Gi nvidia.com/gpu=1",
        go_limits: "cpu=4 memory=32Gi nvidia.com/gpu=1",
        limits: "cpu=4 memory=32Gi nvidia.com/gpu=1",
    },
    Case {
        name: "partial defaulting per resource, explicit zero kept",
        spec: r#"{"containers": [{"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "0"}, "limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "2Gi"}}}]}"#,
        requests: "cpu=100m ephemeral-storage=2Gi memory=0",
        go_limits: "cpu=1 ephemeral-storage=2Gi memory=1Gi",
        limits: "cpu=1 ephemeral-storage=2Gi memory=1Gi",
    },
    Case {
        name: "larger classic init container wins",
        spec: r#"{"initContainers": [{"name": "migrate", "resources": {"requests": {"cpu": "2", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "256Mi"}}}], "containers": [{"name": "app", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}]}"#,
        requests: "cpu=2 memory=1Gi",
        go_limits: "cpu=2 memory=1Gi",
        limits: "cpu=2 memory=1Gi",
    },
    Case {
        name: "sidecar is summed with app containers",
        spec: r#"{"initContainers": [{"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "1", "memory": "128Mi"}}}], "containers": [{"name": "app", "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "2", "memory": "1Gi"}}}]}"#,
        requests: "cpu=2 memory=1152Mi",
        go_limits: "cpu=3 memory=1152Mi",
        limits: "cpu=3 memory=1152Mi",
    },
    Case {
        name: "init counts with sidecars started before it",
        spec: r#"{"initContainers": [{"name": "init-1", "resources": {"requests": {"cpu": "5"}}}, {"name": "sidecar-1", "restartPolicy": "Always", "resources": {"requests": {"cpu": "1"}}}, {"name": "sidecar-2", "restartPolicy": "Always", "resources": {"requests": {"cpu": "2"}}}, {"name": "init-2", "resources": {"requests": {"cpu": "5"}}}, {"name": "sidecar-3", "restartPolicy": "Always", "resources": {"requests": {"cpu": "3"}}}], "containers": [{"name": "app", "resources": {"requests": {"cpu": "1"}}}]}"#,
        requests: "cpu=8",
        go_limits: "",
        limits: "cpu=unbounded memory=unbounded",
    },
    Case {
        name: "sidecar before a big init container",
        spec: r#"{"initContainers": [{"name": "sidecar", "restartPolicy": "Always", "resources": {"requests": {"cpu": "10"}, "limits": {"cpu": "10"}}}, {"name": "init", "resources": {"requests": {"cpu": "200"}, "limits": {"cpu": "200"}}}], "containers": [{"name": "app", "resources": {"requests": {"cpu": "100"}, "limits": {"cpu": "100"}}}]}"#,
        requests: "cpu=210",
        go_limits: "cpu=210",
        limits: "cpu=210 memory=unbounded",
    },
    Case {
        name: "restartPolicy other than Always is a classic init container",
        spec: r#"{"initContainers": [{"name": "init", "restartPolicy": "OnFailure", "resources": {"requests": {"cpu": "3"}}}], "containers": [{"name": "app", "resources": {"requests": {"cpu": "1"}}}]}"#,
        requests: "cpu=3",
        go_limits: "",
        limits: "cpu=unbounded memory=unbounded",
    },
    Case {
        name: "overhead is added to requests and to non-zero limits",
        spec: r#"{"overhead": {"cpu": "250m", "memory": "120Mi"}, "containers": [{"name": "app", "resources": {"requests": {"cpu": "0", "memory": "1Gi"}, "limits": {"cpu": "0", "memory": "2Gi"}}}]}"#,
        requests: "cpu=250m memory=1144Mi",
        go_limits: "cpu=0 memory=2168Mi",
        limits: "cpu=0 memory=2168Mi",
    },
    Case {
        name: "pod-level resources override cpu and memory only",
        spec: r#"{"resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}, "containers": [{"name": "a", "resources": {"requests": {"cpu": "500m", "nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}}}, {"name": "b", "resources": {"requests": {"cpu": "500m"}}}]}"#,
        requests: "cpu=2 memory=4Gi nvidia.com/gpu=1",
        go_limits: "cpu=4 memory=8Gi nvidia.com/gpu=1",
        limits: "cpu=4 memory=8Gi nvidia.com/gpu=1",
    },
    Case {
        name: "pod-level limits only: requests default to them",
        spec: r#"{"resources": {"limits": {"cpu": "4", "memory": "8Gi"}}, "containers": [{"name": "a"}, {"name": "b"}]}"#,
        requests: "cpu=4 memory=8Gi",
        go_limits: "cpu=4 memory=8Gi",
        limits: "cpu=4 memory=8Gi",
    },
    Case {
        name: "pod-level limits with container requests: requests stay the containers' sum",
        spec: r#"{"resources": {"limits": {"cpu": "4", "memory": "8Gi"}}, "containers": [{"name": "a", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}, {"name": "b", "resources": {"requests": {"cpu": "500m"}}}]}"#,
        requests: "cpu=1500m memory=1Gi",
        go_limits: "cpu=4 memory=8Gi",
        limits: "cpu=4 memory=8Gi",
    },
    Case {
        name: "every entry rounds up to milli before summing",
        spec: r#"{"containers": [{"name": "a", "resources": {"requests": {"cpu": "100u", "memory": "0.5"}}}, {"name": "b", "resources": {"requests": {"cpu": "100u", "memory": "0.5"}}}]}"#,
        requests: "cpu=2m memory=1",
        go_limits: "",
        limits: "cpu=unbounded memory=unbounded",
    },
    Case {
        name: "one limited and one unlimited container",
        spec: r#"{"containers": [{"name": "limited", "resources": {"limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "1"}}}, {"name": "unlimited", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}"#,
        requests: "cpu=1100m memory=1152Mi nvidia.com/gpu=1",
        go_limits: "cpu=1 memory=1Gi nvidia.com/gpu=1",
        limits: "cpu=unbounded memory=unbounded nvidia.com/gpu=1",
    },
    Case {
        name: "unlimited classic init container",
        spec: r#"{"initContainers": [{"name": "init", "resources": {"requests": {"memory": "64Mi"}}}], "containers": [{"name": "app", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}"#,
        requests: "cpu=1 memory=1Gi",
        go_limits: "cpu=1 memory=1Gi",
        limits: "cpu=unbounded memory=unbounded",
    },
    Case {
        name: "no resources at all",
        spec: r#"{"containers": [{"name": "app"}]}"#,
        requests: "",
        go_limits: "",
        limits: "cpu=unbounded memory=unbounded",
    },
    Case {
        name: "hugepages at pod level",
        spec: r#"{"resources": {"requests": {"cpu": "1"}}, "containers": [{"name": "a", "resources": {"limits": {"hugepages-2Mi": "4Mi", "memory": "1Gi", "cpu": "1"}}}, {"name": "b", "resources": {"limits": {"hugepages-2Mi": "2Mi", "memory": "512Mi", "cpu": "1"}}}]}"#,
        requests: "cpu=1 hugepages-2Mi=6Mi memory=1536Mi",
        go_limits: "cpu=2 hugepages-2Mi=6Mi memory=1536Mi",
        limits: "cpu=2 hugepages-2Mi=6Mi memory=1536Mi",
    },
    Case {
        name: "nulls everywhere",
        spec: r#"{"containers": [{"name": "a", "resources": null}, {"name": "b", "resources": {"requests": null, "limits": {"cpu": "1"}}}], "initContainers": null, "overhead": null}"#,
        requests: "cpu=1",
        go_limits: "cpu=1",
        limits: "cpu=unbounded memory=unbounded",
    },
];

fn show_requests(list: &ResourceList) -> String {
    let parts: Vec<String> = list.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(" ")
}

fn show_limits(list: &LimitList) -> String {
    let parts: Vec<String> = list
        .iter()
        .map(|(k, v)| match v {
            Limit::Bounded(q) => format!("{k}={q}"),
            Limit::Unbounded => format!("{k}=unbounded"),
        })
        .collect();
    parts.join(" ")
}

fn spec(json: &str) -> PodSpec {
    serde_json::from_str(json).unwrap()
}

#[test]
fn matches_pod_requests_and_pod_limits() {
    for case in CASES {
        let spec = spec(case.spec);
        let requests = pod_requests(&spec).unwrap();
        assert_eq!(
            show_requests(&requests),
            case.requests,
            "{}: requests",
            case.name
        );
        let limits = pod_limits(&spec).unwrap();
        assert_eq!(show_limits(&limits), case.limits, "{}: limits", case.name);
        let both = pod_resources(&spec).unwrap();
        assert_eq!(both.requests, requests, "{}", case.name);
        assert_eq!(both.limits, limits, "{}", case.name);
    }
}

/// Where we say bounded, Go's PodLimits says the same; where Go has a value we call
/// unbounded, some container that uses the resource has no limit for it.
#[test]
fn bounded_limits_agree_with_go() {
    for case in CASES {
        let limits = pod_limits(&spec(case.spec)).unwrap();
        for entry in case.go_limits.split_whitespace() {
            let (name, go) = entry.split_once('=').unwrap();
            match limits[name] {
                Limit::Bounded(q) => assert_eq!(q.to_string(), go, "{}: {name}", case.name),
                Limit::Unbounded => {}
            }
        }
    }
}

#[test]
fn api_defaults_fill_requests_from_limits_and_round_to_milli() {
    let s = spec(
        r#"{"containers": [{"name": "a", "resources": {
            "requests": {"cpu": "1n", "memory": "0"},
            "limits": {"cpu": "2", "memory": "1Gi", "nvidia.com/gpu": "1"}}}],
            "overhead": {"cpu": "1u"}}"#,
    );
    let d = apply_api_defaults(&s).unwrap();
    let requests = &d.containers[0].resources.requests;
    assert_eq!(show_requests(requests), "cpu=1m memory=0 nvidia.com/gpu=1");
    assert_eq!(d.overhead["cpu"].to_string(), "1m");
    // The input is left alone.
    assert_eq!(s.containers[0].resources.requests["cpu"].nanos(), 1);
}

#[test]
fn sidecar_detection() {
    let s = spec(
        r#"{"initContainers": [
            {"name": "a", "restartPolicy": "Always"},
            {"name": "b", "restartPolicy": "Never"},
            {"name": "c"}]}"#,
    );
    let flags: Vec<bool> = s
        .init_containers
        .iter()
        .map(Container::is_sidecar)
        .collect();
    assert_eq!(flags, [true, false, false]);
}

#[test]
fn reads_a_full_pod_template_spec() {
    // Fields outside the slim model are ignored; numbers are quantities too.
    let s = spec(
        r#"{"serviceAccountName": "x", "runtimeClassName": "nvidia",
            "containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.9.0",
              "args": ["--model", "m"], "ports": [{"containerPort": 8000}],
              "resources": {"requests": {"cpu": 8, "memory": "64Gi"},
                            "limits": {"memory": "64Gi", "nvidia.com/gpu": 2}}}],
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]}"#,
    );
    let r = pod_resources(&s).unwrap();
    assert_eq!(
        show_requests(&r.requests),
        "cpu=8 memory=64Gi nvidia.com/gpu=2"
    );
    assert_eq!(
        show_limits(&r.limits),
        "cpu=unbounded memory=64Gi nvidia.com/gpu=2"
    );
    assert_eq!(r.limits["memory"].bounded().unwrap().value_ceil(), 64 << 30);
    assert!(r.limits["cpu"].bounded().is_none());
}

#[test]
fn bad_quantities_are_reported_with_the_parse_error() {
    let err = serde_json::from_str::<PodSpec>(
        r#"{"containers": [{"name": "a", "resources": {"limits": {"memory": "1gi"}}}]}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("unknown suffix \"gi\""), "{err}");
}

#[test]
fn unbounded_is_above_every_bound() {
    let big = Limit::Bounded(Quantity::parse("8Ei").unwrap());
    assert!(Limit::Unbounded > big);
    assert_eq!(big.max(Limit::Unbounded), Limit::Unbounded);
    assert_eq!(big.checked_add(Limit::Unbounded).unwrap(), Limit::Unbounded);
}

#[test]
fn pod_level_resources_only_for_cpu_memory_hugepages() {
    assert!(is_pod_level_resource("cpu"));
    assert!(is_pod_level_resource("memory"));
    assert!(is_pod_level_resource("hugepages-1Gi"));
    assert!(!is_pod_level_resource("ephemeral-storage"));
    assert!(!is_pod_level_resource("nvidia.com/gpu"));
    assert!(overcommit_allowed("cpu"));
    assert!(overcommit_allowed("ephemeral-storage"));
    assert!(overcommit_allowed("kubernetes.io/something"));
    assert!(!overcommit_allowed("hugepages-2Mi"));
    assert!(!overcommit_allowed("nvidia.com/gpu"));
}

#[test]
fn overflow_is_an_error_not_a_wrap() {
    let huge = Quantity::from_nanos(i128::MAX / 2 + 1, crate::quantity::Format::DecimalSI);
    let c = Container {
        name: "a".into(),
        resources: ResourceRequirements {
            requests: [("cpu".to_owned(), huge)].into(),
            limits: ResourceList::new(),
        },
        restart_policy: None,
    };
    let s = PodSpec {
        containers: vec![c.clone(), c],
        ..PodSpec::default()
    };
    assert!(matches!(
        pod_requests(&s),
        Err(QuantityError::Overflow { .. })
    ));
}

/// `v1helper.IsExtendedResourceName`, case by case: native names (no domain, or a
/// `kubernetes.io` one, also as a suffix) are not extended, and `requests.` + the name must be a
/// qualified name.
#[test]
#[rustfmt::skip]
fn extended_resource_names_are_the_api_servers() {
    let long = |n: usize| format!("example.com/{}", "a".repeat(n));
    for (name, extended) in [
        ("nvidia.com/gpu", true), ("example.com/foo", true), ("amd.com/gpu", true),
        (&long(63), true), (&long(64), false),
        ("kubernetes.io/foo", false), ("node.kubernetes.io/foo", false), ("cpu", false),
        ("memory", false), ("hugepages-2Mi", false), ("requests.x", false),
        ("example.com/", false), ("example.com/-foo", false), ("example.com/foo_", false),
        ("Example.com/foo", false), ("example.com/a/b", false),
    ] {
        assert_eq!(is_extended_resource_name(name), extended, "{name}");
    }
}
