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
    // ...but vLLM cannot start it: model_memory accounts Llama-3.1-70B-Instruct (bundled) in
    // bf16 on one A100-80GB (79.15 GiB as torch sees it): 0.9 × 79.15 = 71.23 GiB requested,
    // 131.42 GiB of weights alone → nothing left for the KV cache, vLLM's own refusal. The
    // annotations (model-parameters 70B) only decide what model_memory cannot.
    assert_eq!(
        finding(&r, "gpu-memory"),
        vec![format!(
            "Deployment/llm-70b-one-gpu container vllm on node {node} (NVIDIA-A100-SXM4-80GB, 1 GPU(s)): vLLM will not start: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine. See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more details."
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

/// Runs preflight with extra arguments and snapshot files written to a temp dir.
fn preflight_with(files: &[(&str, &str)], args: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all: Vec<String> = Vec::new();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write fixture");
        if name.starts_with("cluster") {
            all.push("--cluster".into());
        } else {
            all.push("--manifests".into());
        }
        all.push(path.to_string_lossy().into_owned());
    }
    all.extend(args.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    preflight(&refs)
}

const TEAM_LIMIT_RANGE: &str = "apiVersion: v1\nkind: LimitRange\nmetadata: {name: team-defaults, namespace: team}\nspec:\n  limits:\n  - type: Container\n    defaultRequest: {cpu: '6', memory: 1Gi}\n    default: {cpu: '6', memory: 1Gi}\n";

#[test]
fn limit_range_defaults_are_requests_when_placing() {
    // Containers without resources in namespace `team` are admitted with the LimitRange's
    // defaults: 6 cpu each. The three schedulable CPU workers have 6.895, 6.375 and 7.195 cpu
    // free (8 allocatable minus their pods), so one such pod fits on each; a fourth fits nowhere
    // (the GPU nodes are tainted, cpu-worker-4 is cordoned).
    let release = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: batch, namespace: team}\nspec:\n  replicas: 4\n  template:\n    metadata: {labels: {app: batch}}\n    spec:\n      containers:\n      - name: main\n        image: busybox:1.37\n";
    let (code, r) = preflight_with(
        &[
            ("cluster-lr.yaml", TEAM_LIMIT_RANGE),
            ("release.yaml", release),
        ],
        &[],
    );
    assert_eq!(code, 1, "{r}");
    let placed: Vec<&str> = (0..3)
        .filter_map(|i| pod(&r, &format!("batch-{i}"))["node"].as_str())
        .collect();
    assert_eq!(placed.len(), 3, "{r}");
    assert_eq!(
        pod(&r, "batch-3")["message"],
        "0/6 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient cpu."
    );
    assert!(
        finding(&r, "limit-range")
            .iter()
            .any(|m| m.starts_with("Deployment/batch: container main: LimitRange team/team-defaults sets limit cpu 6, limit memory 1Gi, request cpu 6, request memory 1Gi")),
        "{r}"
    );
    // Without the LimitRange the pods request nothing and all four fit.
    let (code, r) = preflight_with(&[("release.yaml", release)], &[]);
    assert_eq!((code, r["verdict"].as_str()), (0, Some("fits")), "{r}");
}

fn advice<'a>(report: &'a Value, action: &str) -> Vec<&'a Value> {
    report["advice"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["action"] == action)
        .collect()
}

#[test]
fn advice_says_what_would_make_it_fit() {
    let (_, r) = preflight(&["--manifests", RELEASE]);
    // spread-3 needs a fourth host for its required anti-affinity: one more node like the
    // CPU workers (the first of that shape by name) places it.
    let add = advice(&r, "add-nodes");
    assert_eq!(add.len(), 1, "{r}");
    assert_eq!(add[0]["like"], "cpu-worker-1");
    assert_eq!(add[0]["count"], 1);
    assert_eq!(
        add[0]["workloads"],
        serde_json::json!(["Deployment/spread"])
    );
    // huge (64 cpu) and gpu-no-toleration fit on no node shape: the GPU nodes have room but
    // their taint is not tolerated, and the nodes they may use are too small.
    let none = advice(&r, "no-node-shape-fits");
    let why = |w: &str| {
        none.iter()
            .find(|a| a["workloads"][0] == w)
            .and_then(|a| a["why"].as_str())
            .unwrap_or_else(|| panic!("no advice for {w}: {r}"))
            .to_string()
    };
    assert_eq!(
        why("Deployment/huge"),
        "2 node(s) with room (gpu-a100-1, gpu-a100-2) had untolerated taint {nvidia.com/gpu: present}: add a toleration for it; it requests 64 cpu, the nodes it may use allocate at most 8 (cpu-worker-1): add nodes with at least 64 cpu"
    );
    assert!(
        why("Deployment/gpu-no-toleration")
            .contains("it requests 1 nvidia.com/gpu, the nodes it may use allocate at most 0")
    );
    assert_eq!(r["fitsWithAdvice"], false, "two workloads fit no shape");

    // GPUs too small for the model: where larger ones are, or how large the largest are.
    let (_, r) = preflight(&[
        "--manifests",
        "tests/fixtures/preflight/gpu-memory-and-storage.yaml",
    ]);
    let gpu = advice(&r, "larger-gpus");
    assert_eq!(gpu.len(), 1, "{r}");
    // vLLM's need per GPU at --max-model-len 131072: 71.23 GiB requested + 61.63 GiB missing
    // for the KV cache + 40 GiB for one request = 172.86 GiB, within 90%: 192.07 GiB.
    assert_eq!(gpu[0]["gpus"], 1);
    assert_eq!(gpu[0]["nodes"], serde_json::json!([]));
    assert_eq!(
        gpu[0]["message"],
        "Deployment/llm-70b-one-gpu: add node(s) with 1 free nvidia.com/gpu of at least 192.07Gi each (the largest GPUs here have 80Gi on gpu-a100-1)"
    );
}

#[test]
fn free_resources_per_node_before_and_after() {
    let (_, r) = preflight(&["--manifests", RELEASE]);
    let nodes = r["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 6, "every node is listed");
    let llm_node = pod(&r, "llm-70b-0")["node"].as_str().expect("placed");
    let n = nodes
        .iter()
        .find(|n| n["name"] == llm_node)
        .expect("node entry");
    // llm-70b requests 2 GPUs, 8 cpu and 64Gi on a node with 4 free GPUs.
    assert_eq!(n["freeBefore"]["nvidia.com/gpu"]["value"], 4);
    assert_eq!(n["freeAfter"]["nvidia.com/gpu"]["value"], 2);
    let cpu = |k: &str| n[k]["cpu"]["value"].as_i64().expect("cpu");
    assert_eq!(cpu("freeBefore") - cpu("freeAfter"), 8000);
    let mem = |k: &str| n[k]["memory"]["value"].as_i64().expect("memory");
    assert_eq!(mem("freeBefore") - mem("freeAfter"), 64 << 30);
    assert_eq!(
        n["freeBefore"]["pods"]["value"].as_i64().expect("pods")
            - n["freeAfter"]["pods"]["value"].as_i64().expect("pods"),
        1
    );
    assert_eq!(n["releasePods"], serde_json::json!(["llm-70b-0"]));
    // The cordoned node takes nothing and says so.
    let cordoned = nodes
        .iter()
        .find(|n| n["name"] == "cpu-worker-4")
        .expect("cpu-worker-4");
    assert_eq!(cordoned["schedulable"], false);
    assert_eq!(cordoned["freeBefore"], cordoned["freeAfter"]);
}

#[test]
fn the_json_report_follows_its_schema() {
    let (_, validator) = common::report_schema("preflight-report.schema.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let unread_quota = dir.path().join("cluster-quota.yaml");
    std::fs::write(
        &unread_quota,
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: other}\nspec: {hard: {pods: '10'}}\n",
    )
    .expect("write");
    let quota = unread_quota.to_str().expect("utf-8");
    let small = dir.path().join("small.yaml");
    std::fs::write(
        &small,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: small}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: c\n        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 64Mi}}\n",
    )
    .expect("write");
    let small = small.to_str().expect("utf-8");
    let mut reports = Vec::new();
    for (args, verdict) in [
        (vec!["--manifests", RELEASE], "does-not-fit"),
        (vec!["--manifests", RELEASE, "-n", "llm"], "does-not-fit"),
        (
            vec!["--manifests", RELEASE, "--scenario", "rollout"],
            "does-not-fit",
        ),
        (
            vec![
                "--manifests",
                "tests/fixtures/preflight/gpu-memory-and-storage.yaml",
            ],
            "does-not-fit",
        ),
        (vec!["--manifests", small], "fits"),
        (vec!["--manifests", small, "--cluster", quota], "unknown"),
    ] {
        let (code, r) = preflight(&args);
        assert_eq!(r["verdict"], verdict, "{args:?}: {r}");
        let expected = match verdict {
            "fits" => 0,
            "does-not-fit" => 1,
            _ => 3,
        };
        assert_eq!(code, expected, "{args:?}");
        let errors = common::schema_errors(&validator, &r);
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        reports.push(r);
    }
    // The contract rejects what a consumer must never see.
    type Mutation = Box<dyn Fn(&mut Value)>;
    let broken: Vec<(&str, Mutation)> = vec![
        (
            "unknown verdict",
            Box::new(|r| r["verdict"] = "maybe".into()),
        ),
        (
            "placed pod with a message",
            Box::new(|r| r["pods"][0]["node"] = "n".into()),
        ),
        (
            "fits with an unplaced pod",
            Box::new(|r| r["verdict"] = "fits".into()),
        ),
        (
            "missing free cpu",
            Box::new(|r| {
                r["nodes"][0]["freeAfter"]
                    .as_object_mut()
                    .map(|m| m.remove("cpu"));
            }),
        ),
        (
            "fractional amount",
            Box::new(|r| r["nodes"][0]["allocatable"]["cpu"]["value"] = 0.5.into()),
        ),
        (
            "unknown advice",
            Box::new(|r| r["advice"][0]["action"] = "pray".into()),
        ),
        (
            "add-nodes without a count",
            Box::new(|r| {
                if let Some(a) = r["advice"]
                    .as_array_mut()
                    .and_then(|a| a.iter_mut().find(|a| a["action"] == "add-nodes"))
                {
                    a.as_object_mut().map(|m| m.remove("count"));
                }
            }),
        ),
        ("extra field", Box::new(|r| r["extra"] = true.into())),
        (
            "no version",
            Box::new(|r| {
                r.as_object_mut().map(|m| m.remove("version"));
            }),
        ),
    ];
    common::assert_schema_rejects(&validator, &reports[0], broken);
}

/// Issue 15's regression: a plain `vllm/vllm-openai` Deployment (no `stackcheck.dev/*`
/// annotations) serving Llama-3.1-70B-Instruct in bf16 with `--tensor-parallel-size 2` on a
/// node of 2× A100-SXM4-80GB. The old rule (weights / TP + 2 GiB) said it fits; vLLM refuses it
/// at the model's default context (131072) and starts it at 16384. Scenario
/// `gpu-vllm-no-annotations` (its expect.yaml has the arithmetic); here the JSON report's
/// per-rank terms, exact bytes, as model_memory computes them for image v0.11.0 (CUDA graphs
/// in the `1 − utilization` headroom, not subtracted; an A100 gets vLLM's 2048-token profiling
/// run). VLLM-MEMORY's "~0.9 GiB left" is the v0.21+/H100-default accounting; either way the
/// default context is refused.
#[test]
fn a_plain_vllm_70b_deployment_on_two_a100s_is_refused_at_its_default_context() {
    let dir = "tests/fixtures/preflight-scenarios/gpu-vllm-no-annotations";
    let out = common::stackcheck()
        .current_dir(common::repo_root())
        .args(["preflight", "-o", "json", "--cluster"])
        .arg(format!("{dir}/cluster.yaml"))
        .arg("--manifests")
        .arg(format!("{dir}/release.yaml"))
        .output()
        .expect("run stackcheck preflight");
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(out.status.code(), Some(1));
    let (_, validator) = common::report_schema("preflight-report.schema.json");
    let errors = common::schema_errors(&validator, &r);
    assert!(errors.is_empty(), "{errors:#?}");
    let server = |w: &str| {
        r["modelServers"]
            .as_array()
            .and_then(|a| a.iter().find(|m| m["workload"] == w))
            .cloned()
            .unwrap_or_else(|| panic!("{w} not in modelServers: {r}"))
    };
    let default = server("Deployment/vllm-70b");
    // Per GPU: 0.9 × 79.15 GiB = 71.23 GiB requested.
    assert_eq!(default["device"]["totalBytes"], 7915u64 * (1 << 30) / 100);
    assert_eq!(default["requestedBytes"], 76_487_998_832u64);
    assert_eq!(default["maxModelLen"], 131_072);
    assert_eq!(default["maxNumBatchedTokens"], 2048);
    assert_eq!(default["cudaGraphsSubtracted"], false);
    let rank = &default["ranks"][0];
    let term = |k: &str| rank[k].as_u64().unwrap_or_default();
    // weights 65.71 GiB, activation 1.30, non-torch 0.60 → 3.63 GiB for a KV cache that needs
    // 20.00 GiB for one 131072-token request.
    assert_eq!(term("weights"), 70_553_714_688);
    assert_eq!(term("activation"), 1_395_916_800);
    assert_eq!(term("nonTorch"), 644_245_094);
    assert_eq!(term("kvNeeded"), 20 << 30);
    assert_eq!(rank["kvAvailable"], 3_894_122_250i64);
    assert_eq!(
        76_487_998_832 - 70_553_714_688 - 1_395_916_800 - 644_245_094,
        3_894_122_250u64,
        "kvAvailable = requested − weights − activation − non-torch"
    );
    assert_eq!(default["verdict"], "does-not-fit");
    assert_eq!(default["largestMaxModelLen"], 23_760);
    assert!(
        default["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("To serve at least one request with the models's max seq len (131072), (20.0 GiB KV cache is needed, which is larger than the available KV cache memory (3.63 GiB)."))
    );
    // At 16384 tokens one request needs 2.50 GiB ≤ 3.63: vLLM starts.
    let short = server("Deployment/vllm-70b-16k");
    assert_eq!(short["verdict"], "fits");
    assert_eq!(short["ranks"][0]["kvNeeded"], 2_684_354_560u64);
    assert_eq!(short["ranks"][0]["kvAvailable"], 3_894_122_250i64);
    assert_eq!(short["sequencesAtMaxModelLen"], 1);
}
