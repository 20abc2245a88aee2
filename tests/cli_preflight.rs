//! `stackcheck preflight` end to end on the bundled snapshot `tests/fixtures/clusters/gpu-lab.json`
//! (3 CPU workers of 8 cores, 1 cordoned worker, 2 A100-80GB nodes with 4 GPUs each and the
//! taint `nvidia.com/gpu=present:NoSchedule`) and release manifests under
//! `tests/fixtures/preflight/`. Expected placements are worked out from kube-scheduler's filters:
//! a node is rejected by the first filter that fails in the default profile's order
//! (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit, InterPodAffinity), and
//! the FailedScheduling message counts nodes per reason.

mod common;

use serde_json::Value;

const CLUSTER: &str = "tests/fixtures/clusters/gpu-lab.json";
const RELEASE: &str = "tests/fixtures/preflight/gpu-lab-release.yaml";

fn preflight(args: &[&str]) -> (i32, Value) {
    let out = common::stackcheck()
        .current_dir(common::repo_root())
        .args(["preflight", "--cluster", CLUSTER, "-o", "json"])
        .args(args)
        .output()
        .expect("run stackcheck preflight");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), report)
}

fn pod<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["pods"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["pod"] == name))
        .unwrap_or_else(|| panic!("no pod {name} in {report}"))
}

#[test]
fn each_pod_gets_a_node_or_the_schedulers_own_reason() {
    let (code, r) = preflight(&["--manifests", RELEASE]);
    assert_eq!(code, 1, "does not fit → exit 1");
    assert_eq!(r["verdict"], "does-not-fit");
    assert_eq!(r["pods"].as_array().map(Vec::len), Some(10));
    // 1 GPU without a toleration: the cordoned node fails NodeUnschedulable, both GPU nodes fail
    // TaintToleration, the 3 CPU workers have no nvidia.com/gpu at all.
    assert_eq!(
        pod(&r, "gpu-no-toleration-0")["message"],
        "0/6 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu."
    );
    // 64 cores fit on no 8-core worker (the 128-core GPU nodes are tainted).
    assert_eq!(
        pod(&r, "huge-0")["message"],
        "0/6 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient cpu."
    );
    // Required anti-affinity per hostname: three schedulable untainted hosts, four replicas.
    for i in 0..3 {
        let node = pod(&r, &format!("spread-{i}"))["node"]
            .as_str()
            .map(str::to_string);
        assert!(
            node.as_deref()
                .is_some_and(|n| n.starts_with("cpu-worker-") && n != "cpu-worker-4"),
            "spread-{i} on {node:?}"
        );
    }
    let spread: std::collections::BTreeSet<_> = (0..3)
        .map(|i| pod(&r, &format!("spread-{i}"))["node"].clone().to_string())
        .collect();
    assert_eq!(spread.len(), 3, "one replica per host");
    assert_eq!(
        pod(&r, "spread-3")["message"],
        "0/6 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 node(s) didn't match pod anti-affinity rules."
    );
    assert!(pod(&r, "spread-3")["node"].is_null());
    // Tolerates the taint and selects the A100-80GB product: lands on a GPU node.
    let llm = pod(&r, "llm-70b-0")["node"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(llm.starts_with("gpu-a100-"), "llm-70b on {llm}");
    // Small web pods land on untainted, uncordoned workers.
    for i in 0..3 {
        let n = pod(&r, &format!("web-{i}"))["node"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            ["cpu-worker-1", "cpu-worker-2", "cpu-worker-3"].contains(&n.as_str()),
            "web-{i} on {n}"
        );
    }
}

#[test]
fn a_release_that_fits_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(common::repo_root().join(RELEASE)).expect("fixture");
    // Keep only the documents that fit: web and llm-70b.
    let fitting: Vec<&str> = text
        .split("\n---\n")
        .filter(|d| d.contains("name: web\n") || d.contains("name: llm-70b\n"))
        .collect();
    assert_eq!(fitting.len(), 2);
    let path = dir.path().join("fits.yaml");
    std::fs::write(&path, fitting.join("\n---\n")).expect("write");
    let (code, r) = preflight(&["--manifests", path.to_str().expect("utf-8 path")]);
    assert_eq!((code, r["verdict"].as_str()), (0, Some("fits")), "{r}");
    assert!(
        r["pods"]
            .as_array()
            .is_some_and(|p| p.iter().all(|p| p["node"].is_string()))
    );
}

fn finding<'a>(report: &'a Value, code: &str) -> Vec<&'a str> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"] == code)
        .filter_map(|f| f["message"].as_str())
        .collect()
}

#[test]
fn a_placed_model_that_does_not_fit_gpu_memory_and_a_missing_storage_class_fail() {
    let (code, r) = preflight(&[
        "--manifests",
        "tests/fixtures/preflight/gpu-memory-and-storage.yaml",
    ]);
    // The scheduler places the pod (it sees GPU counts, not GPU memory)...
    let node = pod(&r, "llm-70b-one-gpu-0")["node"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(node.starts_with("gpu-a100-"), "placed on {node}");
    // ...but 70e9 parameters × 2 bytes (bfloat16) on 1 GPU = 140e9 bytes (130.39Gi) + 2Gi
    // overhead = 132.39Gi, above 90% (--gpu-memory-utilization 0.9) of the node's
    // nvidia.com/gpu.memory 81920 MiB = 72Gi.
    assert_eq!(
        finding(&r, "gpu-memory"),
        vec![format!(
            "Deployment/llm-70b-one-gpu on node {node}: the model needs 132.39Gi per GPU but each GPU has 80Gi (90% usable: 72Gi)"
        )]
    );
    assert_eq!(
        finding(&r, "storage-class"),
        vec![
            "PersistentVolumeClaim/model-cache: claim model-cache uses StorageClass fast-ssd, which the cluster does not have"
        ]
    );
    assert_eq!((code, r["verdict"].as_str()), (1, Some("does-not-fit")));
}

#[test]
fn a_namespace_quota_that_the_release_would_exceed_blocks_it() {
    // Namespace llm: requests.cpu hard 64, used 36250m. The release requests 3×500m + 8 + 1 +
    // 64 + 4×100m = 74.9 cores: 111.15 > 64. limits.memory is tracked too, but the namespace's
    // LimitRange gives containers without a limit a default one, so that is not a refusal.
    let (code, r) = preflight(&["-n", "llm", "--manifests", RELEASE]);
    assert_eq!(
        finding(&r, "quota"),
        vec![
            "ResourceQuota llm/llm-quota: requests.cpu would be 111.15 of 64 (36.25 used + 74.9 for this release)"
        ]
    );
    assert_eq!(code, 1);
}
