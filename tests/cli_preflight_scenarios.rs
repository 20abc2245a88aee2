//! A corpus of `stackcheck preflight` scenarios, one directory each under
//! `tests/fixtures/preflight-scenarios/` (see the README there): a cluster as `kubectl get -o yaml`
//! prints it, a release as `helm template` prints it, and the outcome worked out by hand from
//! kube-scheduler's and the API server's rules (`expect.yaml`, whose top comment says which rule
//! decides and shows the arithmetic).
//!
//! Each scenario is its own `#[test]` (so a failure names it) and prints every expectation that
//! differed, not only the first. `every_scenario_directory_has_a_test` keeps the list below and
//! the directories in step, so no scenario can be skipped silently.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::to_json;
use saphyr::{LoadableYamlNode, YamlOwned};
use serde_json::Value;

macro_rules! scenarios {
    ($($test:ident: $dir:literal;)+) => {
        $(
            #[test]
            fn $test() {
                assert_eq!(stringify!($test), $dir.replace('-', "_"), "test name must follow the directory name");
                check($dir);
            }
        )+
        /// Every scenario directory, as listed above.
        const SCENARIOS: &[&str] = &[$($dir),+];
    };
}

scenarios! {
    resources_cpu: "resources-cpu";
    resources_memory: "resources-memory";
    resources_ephemeral_storage: "resources-ephemeral-storage";
    resources_several_insufficient: "resources-several-insufficient";
    resources_pod_count: "resources-pod-count";
    resources_extended_resource: "resources-extended-resource";
    resources_init_and_sidecar_containers: "resources-init-and-sidecar-containers";
    resources_pod_level: "resources-pod-level";
    cluster_sum_fits_no_node_does: "cluster-sum-fits-no-node-does";
    terminal_and_unbound_pods_ignored: "terminal-and-unbound-pods-ignored";
    cordoned_and_not_ready_nodes: "cordoned-and-not-ready-nodes";
    daemonset_cordoned_node: "daemonset-cordoned-node";
    taints_and_tolerations: "taints-and-tolerations";
    taints_scheduler_v1_34_2_wording: "taints-scheduler-v1-34-2-wording";
    node_selector: "node-selector";
    node_affinity_operators: "node-affinity-operators";
    node_affinity_match_fields: "node-affinity-match-fields";
    pod_affinity_required: "pod-affinity-required";
    pod_anti_affinity_too_few_hosts: "pod-anti-affinity-too-few-hosts";
    existing_pod_anti_affinity_symmetry: "existing-pod-anti-affinity-symmetry";
    topology_spread_zone: "topology-spread-zone";
    topology_spread_schedule_anyway: "topology-spread-schedule-anyway";
    topology_spread_tainted_zone_counts: "topology-spread-tainted-zone-counts";
    scoring_least_allocated: "scoring-least-allocated";
    scoring_balanced_allocation: "scoring-balanced-allocation";
    scoring_preferred_affinity: "scoring-preferred-affinity";
    scoring_non_zero_requests: "scoring-non-zero-requests";
    gpu_memory_does_not_fit: "gpu-memory-does-not-fit";
    gpu_tensor_parallel_mismatch: "gpu-tensor-parallel-mismatch";
    gpu_mig_profile: "gpu-mig-profile";
    gpu_mig_slice_memory: "gpu-mig-slice-memory";
    gpu_time_sliced_shared: "gpu-time-sliced-shared";
    gpu_amd: "gpu-amd";
    gpu_intel_untainted: "gpu-intel-untainted";
    gpu_vllm_no_annotations: "gpu-vllm-no-annotations";
    quota_requests_cpu_blocks: "quota-requests-cpu-blocks";
    quota_limits_memory_blocks: "quota-limits-memory-blocks";
    quota_pods_and_object_counts: "quota-pods-and-object-counts";
    quota_storage_by_class: "quota-storage-by-class";
    quota_fits: "quota-fits";
    storage_missing_class: "storage-missing-class";
    storage_no_default_class: "storage-no-default-class";
    storage_default_class_fits: "storage-default-class-fits";
    storage_beta_annotation_class: "storage-beta-annotation-class";
    runtimeclass_overhead: "runtimeclass-overhead";
    hpa_steady_fits: "hpa-steady-fits";
    hpa_replicas_inside_range: "hpa-replicas-inside-range";
    hpa_replicas_unset_below_min: "hpa-replicas-unset-below-min";
    hpa_peak_does_not_fit: "hpa-peak-does-not-fit";
    rollout_surge_does_not_fit: "rollout-surge-does-not-fit";
    limitrange_default_requests: "limitrange-default-requests";
}

fn corpus() -> PathBuf {
    common::fixtures().join("preflight-scenarios")
}

#[test]
fn every_scenario_directory_has_a_test() {
    let dirs: BTreeSet<String> = std::fs::read_dir(corpus())
        .expect("read the scenario corpus")
        .map(|e| e.expect("directory entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
    let untested: Vec<&String> = dirs.difference(&listed).collect();
    let missing: Vec<&String> = listed.difference(&dirs).collect();
    assert!(
        untested.is_empty() && missing.is_empty(),
        "scenario directories without a test (add them to `scenarios!`): {untested:?}; \
         tests without a directory: {missing:?}"
    );
    for dir in &dirs {
        for file in ["cluster.yaml", "release.yaml", "expect.yaml"] {
            assert!(
                corpus().join(dir).join(file).is_file(),
                "scenario {dir} has no {file}"
            );
        }
    }
}

/// `expect.yaml`, read.
#[derive(Debug)]
struct Expect {
    args: Vec<String>,
    exit: i64,
    verdict: String,
    pods: Vec<(String, PodExpect)>,
    findings: Vec<FindingExpect>,
    no_findings: Vec<FindingExpect>,
}

#[derive(Debug)]
enum PodExpect {
    Node(String),
    NodeOneOf(Vec<String>),
    Message(String),
}

#[derive(Debug)]
struct FindingExpect {
    code: String,
    severity: Option<String>,
    /// A substring of the finding's message.
    message: Option<String>,
}

impl FindingExpect {
    fn matches(&self, f: &Value) -> bool {
        f["code"] == self.code.as_str()
            && self
                .severity
                .as_ref()
                .is_none_or(|s| f["severity"] == s.as_str())
            && self.message.as_ref().is_none_or(|m| {
                f["message"]
                    .as_str()
                    .is_some_and(|fm| fm.contains(m.as_str()))
            })
    }

    fn describe(&self) -> String {
        format!(
            "{{code: {}, severity: {}, message containing {:?}}}",
            self.code,
            self.severity.as_deref().unwrap_or("any"),
            self.message.as_deref().unwrap_or("")
        )
    }
}

fn read_expect(path: &Path) -> Expect {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs =
        YamlOwned::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = docs
        .first()
        .map(to_json)
        .unwrap_or_else(|| panic!("{}: empty", path.display()));
    let bad = |what: &str| -> ! { panic!("{}: {what}", path.display()) };
    let Value::Object(top) = doc else {
        bad("not a map")
    };
    for key in top.keys() {
        if !["args", "exit", "verdict", "pods", "findings", "no-findings"].contains(&key.as_str()) {
            bad(&format!("unknown key {key:?}"));
        }
    }
    let string = |v: &Value, what: &str| -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => bad(&format!("{what} must be a string, got {v}")),
        }
    };
    let args = match &top.get("args") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(|v| string(v, "args[]")).collect(),
        Some(v) => bad(&format!("args must be a list, got {v}")),
    };
    let exit = top
        .get("exit")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| bad("exit (an integer) is required"));
    let verdict = top
        .get("verdict")
        .map(|v| string(v, "verdict"))
        .unwrap_or_else(|| bad("verdict is required"));
    if !["fits", "does-not-fit", "unknown"].contains(&verdict.as_str()) {
        bad(&format!(
            "verdict {verdict:?} is not fits, does-not-fit or unknown"
        ));
    }
    let mut pods = Vec::new();
    match top.get("pods") {
        Some(Value::Object(m)) => {
            for (name, e) in m {
                let Value::Object(e) = e else {
                    bad(&format!("pods.{name} must be a map"))
                };
                if e.len() != 1 {
                    bad(&format!(
                        "pods.{name} needs exactly one of node, node-one-of, message"
                    ));
                }
                let (k, v) = e.iter().next().expect("one entry");
                let expect = match k.as_str() {
                    "node" => PodExpect::Node(string(v, "node")),
                    "node-one-of" => match v {
                        Value::Array(a) if !a.is_empty() => PodExpect::NodeOneOf(
                            a.iter().map(|n| string(n, "node-one-of[]")).collect(),
                        ),
                        _ => bad(&format!("pods.{name}.node-one-of must be a non-empty list")),
                    },
                    "message" => PodExpect::Message(string(v, "message")),
                    other => bad(&format!("pods.{name}: unknown key {other:?}")),
                };
                pods.push((name.clone(), expect));
            }
        }
        None => {}
        Some(v) => bad(&format!(
            "pods must be a map of pod name → expectation, got {v}"
        )),
    }
    let findings_of = |key: &str| -> Vec<FindingExpect> {
        match top.get(key) {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|f| {
                    let Value::Object(f) = f else {
                        bad(&format!("{key}[] must be maps"))
                    };
                    for k in f.keys() {
                        if !["code", "severity", "message"].contains(&k.as_str()) {
                            bad(&format!("{key}[]: unknown key {k:?}"));
                        }
                    }
                    FindingExpect {
                        code: f
                            .get("code")
                            .map(|c| string(c, "code"))
                            .unwrap_or_else(|| bad(&format!("{key}[].code is required"))),
                        severity: f.get("severity").map(|s| string(s, "severity")),
                        message: f.get("message").map(|m| string(m, "message")),
                    }
                })
                .collect(),
            Some(v) => bad(&format!("{key} must be a list, got {v}")),
        }
    };
    Expect {
        args,
        exit,
        verdict,
        pods,
        findings: findings_of("findings"),
        no_findings: findings_of("no-findings"),
    }
}

/// Runs one scenario and checks every expectation, reporting all that differ.
fn check(name: &str) {
    let dir = corpus().join(name);
    let expect = read_expect(&dir.join("expect.yaml"));
    let rel = |f: &str| format!("tests/fixtures/preflight-scenarios/{name}/{f}");
    let out = common::stackcheck()
        .current_dir(common::repo_root())
        .env_remove("HELM_NAMESPACE")
        .args(["preflight", "--manifests"])
        .arg(rel("release.yaml"))
        .arg("--cluster")
        .arg(rel("cluster.yaml"))
        .args(["-o", "json"])
        .args(&expect.args)
        .output()
        .expect("run stackcheck preflight");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "scenario {name}: the report is not JSON ({e})\nstdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let mut diffs: Vec<String> = Vec::new();
    let code = out.status.code().unwrap_or(-1);
    if i64::from(code) != expect.exit {
        diffs.push(format!("exit: expected {}, got {code}", expect.exit));
    }
    if report["verdict"] != expect.verdict.as_str() {
        diffs.push(format!(
            "verdict: expected {}, got {}",
            expect.verdict, report["verdict"]
        ));
    }

    let pods: Vec<&Value> = report["pods"].as_array().into_iter().flatten().collect();
    let mut seen = BTreeSet::new();
    for p in &pods {
        let pod = p["pod"].as_str().unwrap_or_default();
        if !seen.insert(pod) {
            diffs.push(format!(
                "pods: {pod} is in the report twice (name the workloads apart)"
            ));
        }
    }
    let expected_names: BTreeSet<&str> = expect.pods.iter().map(|(n, _)| n.as_str()).collect();
    for missing in expected_names.difference(&seen) {
        diffs.push(format!("pods.{missing}: expected, but not in the report"));
    }
    for extra in seen.difference(&expected_names) {
        let p = pods.iter().find(|p| p["pod"] == *extra).expect("seen");
        diffs.push(format!(
            "pods.{extra}: in the report but not expected (node {}, message {})",
            p["node"], p["message"]
        ));
    }
    for (pod, e) in &expect.pods {
        let Some(p) = pods.iter().find(|p| p["pod"] == pod.as_str()) else {
            continue;
        };
        let node = p["node"].as_str();
        let message = p["message"].as_str();
        let got = match (node, message) {
            (Some(n), _) => format!("placed on {n}"),
            (None, Some(m)) => format!("not placed: {m:?}"),
            (None, None) => "neither placed nor a message".to_string(),
        };
        match e {
            PodExpect::Node(want) => {
                if node != Some(want.as_str()) {
                    diffs.push(format!("pods.{pod}: expected node {want}, got {got}"));
                }
            }
            PodExpect::NodeOneOf(want) => {
                if !node.is_some_and(|n| want.iter().any(|w| w == n)) {
                    diffs.push(format!(
                        "pods.{pod}: expected a node of {want:?}, got {got}"
                    ));
                }
            }
            PodExpect::Message(want) => {
                if node.is_some() || message != Some(want.as_str()) {
                    diffs.push(format!(
                        "pods.{pod}: expected not placed with\n      {want:?}\n    got {got}"
                    ));
                }
            }
        }
    }

    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    for f in &expect.findings {
        if !findings.iter().any(|g| f.matches(g)) {
            diffs.push(format!("findings: expected {}, not found", f.describe()));
        }
    }
    for f in &expect.no_findings {
        for g in findings.iter().filter(|g| f.matches(g)) {
            diffs.push(format!(
                "findings: expected none like {}, got {}: {}",
                f.describe(),
                g["code"],
                g["message"]
            ));
        }
    }

    if !diffs.is_empty() {
        let mut msg = format!(
            "scenario {name}: {} expectation(s) differ ({}):\n",
            diffs.len(),
            rel("expect.yaml")
        );
        for d in &diffs {
            let _ = writeln!(msg, "  - {d}");
        }
        let _ = writeln!(
            msg,
            "\nthe report (exit {code}, verdict {}):",
            report["verdict"]
        );
        for p in &pods {
            let _ = writeln!(
                msg,
                "  pod {}: node {}, message {}",
                p["pod"], p["node"], p["message"]
            );
        }
        for f in &findings {
            let _ = writeln!(
                msg,
                "  finding {} {}: {}",
                f["severity"], f["code"], f["message"]
            );
        }
        if !stderr.trim().is_empty() {
            let _ = writeln!(msg, "stderr:\n{stderr}");
        }
        panic!("{msg}");
    }
}
