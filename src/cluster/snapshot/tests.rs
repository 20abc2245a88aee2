use std::path::Path;

use serde_json::{Value as Json, json};

use super::build::Builder;
use super::json_stream::JsonStream;
use super::read::read_json;
use super::*;
use crate::cluster::Scheduling;
use crate::cluster::model::{Cluster, Gap, Pod, Taint};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::Severity;
use crate::quantity::Quantity;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/clusters")
        .join(name)
}

/// Write `files` (name, text) to a temporary directory and read them as one snapshot.
fn read_texts(files: &[(&str, &str)]) -> (Cluster, Vec<Diagnostic>) {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
    let mut sources = Sources::new();
    read_snapshot(&mut sources, &paths).unwrap()
}

fn read_text(name: &str, text: &str) -> (Cluster, Vec<Diagnostic>) {
    read_texts(&[(name, text)])
}

fn read_error(name: &str, bytes: &[u8]) -> SnapshotError {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    read_snapshot(&mut Sources::new(), &[p]).unwrap_err()
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

fn gpu_lab() -> (Cluster, Vec<Diagnostic>) {
    read_snapshot(&mut Sources::new(), &[fixture("gpu-lab.json")]).unwrap()
}

fn pod<'a>(c: &'a Cluster, prefix: &str) -> Option<&'a Pod> {
    c.pods.iter().find(|p| p.name.starts_with(prefix))
}

fn warnings(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    diags
        .iter()
        .filter(|d| d.severity != Severity::Note)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The bundled example cluster

#[test]
fn gpu_lab_is_read_with_every_rule() {
    let (c, diags) = gpu_lab();
    assert!(warnings(&diags).is_empty(), "{diags:#?}");
    assert!(c.gaps.is_empty(), "{:#?}", c.gaps);

    let names: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "cpu-worker-1",
            "cpu-worker-2",
            "cpu-worker-3",
            "cpu-worker-4",
            "gpu-a100-1",
            "gpu-a100-2"
        ]
    );
    let cpu = &c.nodes[0];
    assert!(cpu.ready && !cpu.unschedulable && cpu.taints.is_empty());
    assert_eq!(cpu.allocatable["cpu"], q("8"));
    assert_eq!(cpu.allocatable["memory"], q("32761204Ki"));
    assert_eq!(cpu.allocatable["pods"], q("110"));
    let cordoned = &c.nodes[3];
    assert!(cordoned.unschedulable && cordoned.ready);
    assert_eq!(cordoned.taints[0].key, "node.kubernetes.io/unschedulable");
    let gpu = &c.nodes[4];
    assert_eq!(gpu.allocatable["nvidia.com/gpu"], q("4"));
    assert_eq!(
        gpu.labels["nvidia.com/gpu.product"],
        "NVIDIA-A100-SXM4-80GB"
    );
    assert_eq!(gpu.labels["nvidia.com/gpu.memory"], "81920");
    assert_eq!(gpu.labels["nvidia.com/gpu.count"], "4");
    assert_eq!(
        gpu.taints,
        [Taint {
            key: "nvidia.com/gpu".into(),
            value: Some("present".into()),
            effect: "NoSchedule".into()
        }]
    );

    // 60 pods listed: 2 CUDA validators and a nightly eval Succeeded, a fine-tune Failed, one
    // is Pending without a node.
    assert_eq!(c.pods.len(), 55);
    for gone in [
        "nvidia-cuda-validator",
        "eval-nightly",
        "finetune-llama31",
        "vllm-llama33-70b",
    ] {
        assert!(pod(&c, gone).is_none(), "{gone} must be left out");
    }
    let note = diags.iter().find(|d| d.code == "snapshot-pods").unwrap();
    assert!(
        note.message
            .contains("4 finished pod(s) (Succeeded/Failed) and 1 pod(s) not bound"),
        "{}",
        note.message
    );
    // Requests: the init container (2 cpu) is below the app container (16 cpu).
    let qwen = pod(&c, "vllm-qwen25-32b").unwrap();
    assert_eq!(qwen.node.as_deref(), Some("gpu-a100-1"));
    assert_eq!(qwen.requests["cpu"], q("16"));
    assert_eq!(qwen.requests["memory"], q("128Gi"));
    assert_eq!(qwen.requests["nvidia.com/gpu"], q("2"));
    assert_eq!(qwen.labels["app.kubernetes.io/name"], "vllm");
    // Of a placed pod's scheduling fields, only its node and pod (anti-)affinity matter to new
    // pods; its nodeSelector, tolerations, node affinity and spread constraints do not.
    assert_eq!(
        qwen.scheduling,
        Scheduling {
            node_name: Some("gpu-a100-1".into()),
            ..Scheduling::default()
        }
    );
    let daemon = pod(&c, "calico-node").unwrap();
    assert_eq!(daemon.scheduling.affinity, None, "node affinity is dropped");
    // Limits-only containers request their limits (API defaulting): coredns memory stays 70Mi.
    let coredns = pod(&c, "coredns").unwrap();
    assert_eq!(coredns.requests["memory"], q("70Mi"));
    let anti = &coredns.scheduling.affinity.as_ref().unwrap()["podAntiAffinity"];
    assert_eq!(
        anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );
    let ingress = pod(&c, "ingress-nginx-controller").unwrap();
    assert!(ingress.scheduling.topology_spread_constraints.is_empty());
    // GPU use on gpu-a100-1: 2 (qwen) + 1 (embeddings); gpu-a100-2 is free.
    let gpus = |node: &str| -> i128 {
        c.pods
            .iter()
            .filter(|p| p.node.as_deref() == Some(node))
            .filter_map(|p| p.requests.get("nvidia.com/gpu"))
            .map(|q| q.value_ceil())
            .sum()
    };
    assert_eq!((gpus("gpu-a100-1"), gpus("gpu-a100-2")), (3, 0));

    let classes: Vec<(&str, bool, &str)> = c
        .storage_classes
        .iter()
        .map(|s| (s.name.as_str(), s.is_default, s.binding_mode.as_str()))
        .collect();
    assert_eq!(
        classes,
        [
            ("local-path", true, "WaitForFirstConsumer"),
            ("nfs-models", false, "Immediate")
        ]
    );
    let quota = &c.quotas[0];
    assert_eq!(
        (quota.namespace.as_str(), quota.name.as_str()),
        ("llm", "llm-quota")
    );
    assert_eq!(quota.hard["requests.nvidia.com/gpu"], q("8"));
    assert_eq!(quota.used["requests.nvidia.com/gpu"], q("5"));
    assert_eq!(quota.used["requests.cpu"], q("36250m"));
    assert_eq!(c.limit_ranges[0].limits[0]["defaultRequest"]["cpu"], "250m");
    assert_eq!(c.runtime_classes[0].name, "nvidia");
    assert_eq!(c.runtime_classes[0].handler, "nvidia");
    assert_eq!(c.server_version, None);
}

#[test]
fn yaml_and_json_give_equal_clusters() {
    let (json, _) = gpu_lab();
    let (yaml, diags) = read_snapshot(&mut Sources::new(), &[fixture("gpu-lab.yaml")]).unwrap();
    assert!(warnings(&diags).is_empty(), "{diags:#?}");
    assert_eq!(json, yaml);
}

#[test]
fn large_files_are_streamed_to_the_same_cluster() {
    let (whole, _) = gpu_lab();
    KEEP_TEXT_LIMIT_IN_TESTS.with(|l| l.set(0));
    let streamed = |name: &str| {
        let mut sources = Sources::new();
        let (c, diags) = read_snapshot(&mut sources, &[fixture(name)]).unwrap();
        assert_eq!(sources.text(0), "", "{name}: the text is not kept");
        assert!(warnings(&diags).is_empty(), "{diags:#?}");
        c
    };
    let (json, yaml) = (streamed("gpu-lab.json"), streamed("gpu-lab.yaml"));
    // A malformed object of a streamed file still has its line.
    let (_, diags) =
        read_snapshot(&mut Sources::new(), &[fixture("malformed-objects.json")]).unwrap();
    KEEP_TEXT_LIMIT_IN_TESTS.with(|l| l.set(KEEP_TEXT_LIMIT));
    assert_eq!(json, whole);
    assert_eq!(yaml, whole);
    assert_eq!(warnings(&diags)[0].span.unwrap().start.line, 160);
}

#[test]
fn the_json_stream_reads_the_same_across_chunk_boundaries() {
    let text = std::fs::read(fixture("gpu-lab.json")).unwrap();
    let (whole, _) = gpu_lab();
    for chunk in [1, 7, 100, 4096] {
        let mut b = Builder::default();
        let mut stream = JsonStream::new(&text[..]);
        stream.chunk = chunk;
        read_json(&mut b, 0, stream, Path::new("gpu-lab.json")).unwrap();
        b.end_file("gpu-lab.json");
        let (cluster, _) = b.finish();
        assert_eq!(cluster, whole, "chunk size {chunk}");
    }
}

#[test]
fn a_snapshot_written_and_read_back_is_the_same_cluster() {
    let (c, _) = gpu_lab();
    let written = write_snapshot(&c);
    let text = serde_json::to_string_pretty(&written).unwrap();
    let (again, diags) = read_text("snapshot.json", &text);
    assert!(warnings(&diags).is_empty(), "{diags:#?}");
    assert_eq!(again, c);
    assert_eq!(written["apiVersion"], SNAPSHOT_API_VERSION);
    assert_eq!(written["kind"], SNAPSHOT_KIND);
    // Only scheduling-relevant fields: no images, commands, env, Secrets or annotations.
    for secret in [
        "image",
        "env",
        "secretKeyRef",
        "hf-token",
        "WEBUI_SECRET_KEY",
        "d6f1c0b2",
        "annotations",
        "last-applied",
        "nas01",
        "args",
        "ownerReferences",
        "uid",
        "cordon-reason",
        "is-default-class",
    ] {
        assert!(!text.contains(secret), "{secret} is in the snapshot");
    }
    assert!(text.contains("\"isDefault\": true"));
    // And in YAML, as users may convert it.
    let yaml = yaml_of(&written);
    let (from_yaml, _) = read_text("snapshot.yaml", &yaml);
    assert_eq!(from_yaml, c);
}

#[test]
fn the_example_of_our_format_is_current() {
    // `STACKCHECK_BLESS=1 cargo test --lib cluster` rewrites it after a deliberate change.
    let (c, _) = gpu_lab();
    let text = serde_json::to_string_pretty(&write_snapshot(&c)).unwrap() + "\n";
    let path = fixture("gpu-lab.stackcheck.json");
    if std::env::var_os("STACKCHECK_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == text,
        "{} is stale: run STACKCHECK_BLESS=1 cargo test --lib cluster",
        path.display()
    );
    let (again, _) = read_snapshot(&mut Sources::new(), &[path]).unwrap();
    assert_eq!(again, c);
}

/// Block-style YAML for a JSON value (strings double-quoted with JSON escapes, valid in YAML).
fn yaml_of(json: &Json) -> String {
    yaml_block(json, 0)
}

fn yaml_block(json: &Json, indent: usize) -> String {
    fn scalar(v: &Json) -> Option<String> {
        match v {
            Json::Array(a) if a.is_empty() => Some("[]".into()),
            Json::Object(m) if m.is_empty() => Some("{}".into()),
            Json::Array(_) | Json::Object(_) => None,
            v => Some(v.to_string()),
        }
    }
    fn emit(v: &Json, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Json::Object(m) => {
                for (k, v) in m {
                    let key = Json::String(k.clone()).to_string();
                    match scalar(v) {
                        Some(s) => out.push_str(&format!("{pad}{key}: {s}\n")),
                        None => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            emit(v, indent + 2, out);
                        }
                    }
                }
            }
            Json::Array(a) => {
                for v in a {
                    match scalar(v) {
                        Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                        None => {
                            out.push_str(&format!("{pad}-\n"));
                            emit(v, indent + 2, out);
                        }
                    }
                }
            }
            v => out.push_str(&format!("{pad}{v}\n")),
        }
    }
    let mut out = String::new();
    emit(json, indent, &mut out);
    out
}

#[test]
fn gaps_survive_the_round_trip() {
    let (c, _) = read_text(
        "s.yaml",
        r#"
apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team}
spec:
  hard: {requests.cpu: "10"}
"#,
    );
    assert_eq!(c.gaps.len(), 3, "{:#?}", c.gaps); // capacity, quota usage, no pods
    let text = serde_json::to_string(&write_snapshot(&c)).unwrap();
    let (again, _) = read_text("s.json", &text);
    assert_eq!(again, c);
}

// ---------------------------------------------------------------------------------------------
// Rules

const NODE: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {zone: a}}
status:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
"#;

fn pod_yaml(name: &str, node: Option<&str>, phase: Option<&str>) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n{}  containers:\n  - name: c\n    resources: {{requests: {{cpu: 500m}}}}\n{}",
        node.map(|n| format!("  nodeName: {n}\n"))
            .unwrap_or_default(),
        phase
            .map(|p| format!("status: {{phase: {p}}}\n"))
            .unwrap_or_default()
    )
}

#[test]
fn only_bound_pods_that_have_not_finished_use_a_node() {
    let docs = [
        pod_yaml("running", Some("n1"), Some("Running")),
        pod_yaml("pending-bound", Some("n1"), Some("Pending")),
        pod_yaml("no-status", Some("n1"), None),
        pod_yaml("unknown", Some("n1"), Some("Unknown")),
        pod_yaml("succeeded", Some("n1"), Some("Succeeded")),
        pod_yaml("failed", Some("n1"), Some("Failed")),
        pod_yaml("unbound", None, Some("Pending")),
    ];
    let text = format!("{NODE}---\n{}", docs.join("---\n"));
    let (c, diags) = read_text("s.yaml", &text);
    let names: Vec<&str> = c.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["running", "pending-bound", "no-status", "unknown"]);
    assert!(c.pods.iter().all(|p| p.node.as_deref() == Some("n1")));
    assert_eq!(c.pods[0].requests["cpu"], q("500m"));
    assert!(
        diags
            .iter()
            .any(|d| d.message.contains("2 finished pod(s)")
                && d.message.contains("1 pod(s) not bound")),
        "{diags:#?}"
    );
}

#[test]
fn pod_requests_follow_pod_requests_with_overhead_and_sidecars() {
    let text = format!(
        "{NODE}---\n{}",
        r#"apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns, labels: {app: web}}
spec:
  nodeName: n1
  runtimeClassName: kata
  overhead: {cpu: 250m, memory: 160Mi}
  initContainers:
  - name: sidecar
    restartPolicy: Always
    resources: {requests: {cpu: 100m, memory: 64Mi}}
  - name: migrate
    resources: {requests: {cpu: "2", memory: 1Gi}}
  containers:
  - name: app
    resources: {limits: {cpu: "1", memory: 512Mi}}
  tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}]
"#
    );
    let (c, _) = read_text("s.yaml", &text);
    let p = &c.pods[0];
    // max(app 1 + sidecar 100m, init 2 + sidecar 100m) + overhead 250m
    assert_eq!(p.requests["cpu"], q("2350m"));
    assert_eq!(p.requests["memory"], q("1248Mi"));
    assert_eq!(p.labels["app"], "web");
    assert!(p.scheduling.tolerations.is_empty());
    assert_eq!(p.scheduling.runtime_class_name, None);
}

#[test]
fn readiness_and_cordon() {
    let node = |name: &str, extra: &str| {
        format!("apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\n{extra}")
    };
    let text = [
        node(
            "ready",
            "status: {allocatable: {pods: '1'}, conditions: [{type: MemoryPressure, status: 'False'}, {type: Ready, status: 'True'}]}\n",
        ),
        node(
            "not-ready",
            "status: {allocatable: {pods: '1'}, conditions: [{type: Ready, status: 'False'}]}\n",
        ),
        node(
            "unknown",
            "status: {allocatable: {pods: '1'}, conditions: [{type: Ready, status: Unknown}]}\n",
        ),
        node(
            "cordoned",
            "spec: {unschedulable: true}\nstatus: {allocatable: {pods: '1'}, conditions: [{type: Ready, status: 'True'}]}\n",
        ),
        node("no-conditions", "status: {allocatable: {pods: '1'}}\n"),
    ]
    .join("---\n");
    let (c, diags) = read_text("s.yaml", &text);
    let state: Vec<(&str, bool, bool)> = c
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.ready, n.unschedulable))
        .collect();
    assert_eq!(
        state,
        [
            ("ready", true, false),
            ("not-ready", false, false),
            ("unknown", false, false),
            ("cordoned", true, true),
            ("no-conditions", false, false)
        ]
    );
    let note = diags
        .iter()
        .find(|d| {
            d.message
                .contains("Node/no-conditions has no Ready condition")
        })
        .unwrap();
    assert_eq!(note.severity, Severity::Note);
    let line = note.span.unwrap().start.line as usize;
    assert_eq!(text.lines().nth(line - 1), Some("apiVersion: v1"));
    assert!(
        text.lines()
            .nth(line + 1)
            .unwrap()
            .contains("no-conditions")
    );
}

/// The API server refuses a negative quantity in a node's status; a snapshot holding one is
/// flagged, and the node offers nothing of that resource (it was read as offering less).
#[test]
fn negative_allocatable_is_flagged_and_counted_as_zero() {
    let text = "apiVersion: v1\nkind: Node\nmetadata: {name: bent}\nstatus:\n  allocatable: {cpu: \"-2\", memory: -1Gi, pods: \"110\"}\n  conditions: [{type: Ready, status: \"True\"}]\n";
    let (c, diags) = read_text("s.yaml", text);
    assert_eq!(c.nodes[0].allocatable["cpu"], Quantity::ZERO);
    assert_eq!(c.nodes[0].allocatable["memory"], Quantity::ZERO);
    assert_eq!(c.nodes[0].allocatable["pods"], q("110"));
    let w = warnings(&diags);
    assert_eq!(w.len(), 1, "{diags:?}");
    assert_eq!(
        w[0].message,
        "Node/bent has negative allocatable cpu -2, memory -1Gi: counted as 0 (the API server accepts no negative quantity there)"
    );
}

#[test]
fn allocatable_falls_back_to_capacity_with_a_gap() {
    let text = r#"
apiVersion: v1
kind: Node
metadata: {name: old}
status:
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Node
metadata: {name: empty}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: both}
status:
  capacity: {cpu: "4"}
  allocatable: {cpu: 3900m}
"#;
    let (c, _) = read_text("s.yaml", text);
    assert_eq!(c.nodes[0].allocatable["cpu"], q("4"));
    assert!(c.nodes[1].allocatable.is_empty());
    assert_eq!(c.nodes[2].allocatable["cpu"], q("3900m"));
    let gaps: Vec<(&str, &str)> = c
        .gaps
        .iter()
        .map(|g| (g.what.as_str(), g.why.as_str()))
        .collect();
    assert_eq!(
        gaps,
        [
            (
                "Node/old",
                "no status.allocatable; status.capacity is used instead"
            ),
            (
                "Node/empty",
                "neither status.allocatable nor status.capacity"
            ),
            (
                "pods",
                "the snapshot has no running pods (were they captured? `kubectl get pods -A`)"
            ),
        ]
    );
}

#[test]
fn default_storage_class_and_binding_mode() {
    let class = |name: &str, extra: &str| {
        format!(
            "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: {name}\n{extra}provisioner: csi.example.com\n"
        )
    };
    let text = [
        class(
            "ga",
            "  annotations: {storageclass.kubernetes.io/is-default-class: \"true\"}\n",
        ),
        class(
            "beta",
            "  annotations: {storageclass.beta.kubernetes.io/is-default-class: \"true\"}\nvolumeBindingMode: WaitForFirstConsumer\n",
        ),
        class(
            "not-default",
            "  annotations: {storageclass.kubernetes.io/is-default-class: \"false\"}\n",
        ),
        class(
            "bool",
            "  annotations: {storageclass.kubernetes.io/is-default-class: true}\n",
        ),
        class("plain", ""),
    ]
    .join("---\n");
    let (c, diags) = read_text("s.yaml", &text);
    let classes: Vec<(&str, bool, &str)> = c
        .storage_classes
        .iter()
        .map(|s| (s.name.as_str(), s.is_default, s.binding_mode.as_str()))
        .collect();
    assert_eq!(
        classes,
        [
            ("ga", true, "Immediate"),
            ("beta", true, "WaitForFirstConsumer"),
            ("not-default", false, "Immediate"),
            ("bool", false, "Immediate"),
            ("plain", false, "Immediate")
        ]
    );
    assert_eq!(c.storage_classes[0].provisioner, "csi.example.com");
    let w = warnings(&diags);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].message.contains("StorageClass/bool"));
}

#[test]
fn quota_hard_and_used() {
    let text = r#"
apiVersion: v1
kind: ResourceQuota
metadata: {name: status-wins, namespace: a}
spec: {hard: {pods: "10"}}
status: {hard: {pods: "20"}, used: {pods: "3"}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: spec-only, namespace: b}
spec: {hard: {requests.nvidia.com/gpu: "4", count/persistentvolumeclaims: "5"}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: scoped, namespace: c}
spec:
  hard: {pods: "5"}
  scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}
status: {hard: {pods: "5"}, used: {pods: "0"}}
"#;
    let (c, _) = read_text("s.yaml", text);
    assert_eq!(c.quotas.len(), 2);
    assert_eq!(c.quotas[0].hard["pods"], q("20"));
    assert_eq!(c.quotas[0].used["pods"], q("3"));
    assert_eq!(c.quotas[1].hard["requests.nvidia.com/gpu"], q("4"));
    assert!(c.quotas[1].used.is_empty());
    let gap = |what: &str| c.gaps.iter().find(|g| g.what == what);
    assert!(
        gap("ResourceQuota/b/spec-only")
            .unwrap()
            .why
            .starts_with("quota usage unknown")
    );
    assert!(gap("ResourceQuota/a/status-wins").is_none());
    assert!(
        gap("ResourceQuota/c/scoped")
            .unwrap()
            .why
            .contains("scopes")
    );
}

#[test]
fn limit_ranges_and_runtime_classes() {
    let text = r#"
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: team}
spec:
  limits:
  - type: Container
    default: {cpu: "1"}
    defaultRequest: {cpu: 100m, memory: 128Mi}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: kata-qemu}
handler: kata-qemu
overhead:
  podFixed: {cpu: 250m, memory: 160Mi}
scheduling:
  nodeSelector: {katacontainers.io/kata-runtime: "true"}
  tolerations: [{key: kata, operator: Exists}]
"#;
    let (c, _) = read_text("s.yaml", text);
    let lr = &c.limit_ranges[0];
    assert_eq!(
        (lr.namespace.as_str(), lr.name.as_str()),
        ("team", "defaults")
    );
    assert_eq!(lr.limits[0]["defaultRequest"]["memory"], "128Mi");
    let rc = &c.runtime_classes[0];
    assert_eq!(rc.handler, "kata-qemu");
    assert_eq!(rc.overhead["cpu"], q("250m"));
    assert_eq!(rc.overhead["memory"], q("160Mi"));
    assert_eq!(rc.node_selector["katacontainers.io/kata-runtime"], "true");
    assert_eq!(rc.tolerations[0].operator.as_deref(), Some("Exists"));
    // Round trip keeps them.
    let text = serde_json::to_string(&write_snapshot(&c)).unwrap();
    assert_eq!(read_text("s.json", &text).0, c);
}

#[test]
fn unknown_kinds_and_other_groups_are_ignored_with_a_note() {
    let text = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": 1}}, "data": {"k": "v"}},
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}},
  {"apiVersion": "longhorn.io/v1beta2", "kind": "Node", "metadata": {"name": "n1"}, "spec": {"disks": {}}},
  {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "status": {"allocatable": {"pods": "110"}, "conditions": [{"type": "Ready", "status": "True"}]}}
]}"#;
    let (c, diags) = read_text("s.json", text);
    assert_eq!(c.nodes.len(), 1);
    assert!(warnings(&diags).is_empty(), "{diags:#?}");
    let note = diags.iter().find(|d| d.code == "snapshot-ignored").unwrap();
    assert!(
        note.message.contains("3 object(s)")
            && note.message.contains("ConfigMap ×2")
            && note.message.contains("Node ×1"),
        "{}",
        note.message
    );
}

#[test]
fn fields_before_kind_are_decoded_too() {
    // Hand-written JSON with `kind` last.
    let text = r#"{"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "2"}, "conditions": [{"type": "Ready", "status": "True"}]}, "spec": {"unschedulable": true}, "kind": "Node", "apiVersion": "v1"}"#;
    let (c, _) = read_text("node.json", text);
    assert_eq!(c.nodes[0].allocatable["cpu"], q("2"));
    assert!(c.nodes[0].unschedulable && c.nodes[0].ready);
}

#[test]
fn raw_api_lists_name_the_kind_of_their_items() {
    // `kubectl get --raw /api/v1/nodes`: items carry no kind or apiVersion.
    let text = r#"{"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": [
  {"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "2"}, "conditions": [{"type": "Ready", "status": "True"}]}}
]}"#;
    let (c, _) = read_text("nodes.json", text);
    assert_eq!(c.nodes[0].name, "n1");
    assert_eq!(c.nodes[0].allocatable["cpu"], q("2"));
    // With the list's kind after its items, too.
    let late = r#"{"items": [{"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": "n1", "containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}}], "kind": "PodList", "apiVersion": "v1"}"#;
    let (c, _) = read_texts(&[("nodes.json", text), ("pods.json", late)]);
    assert_eq!(c.pods[0].requests["cpu"], q("1"));
}

#[test]
fn server_version_and_api_versions_from_kubectl() {
    let version = r#"{"clientVersion": {"gitVersion": "v1.32.0"}, "kustomizeVersion": "v5.5.0", "serverVersion": {"gitVersion": "v1.31.4", "major": "1", "minor": "31"}}"#;
    let api_versions = "admissionregistration.k8s.io/v1\napps/v1\ngateway.networking.k8s.io/v1\nkeda.sh/v1alpha1\nmonitoring.coreos.com/v1\nv1\n";
    let (c, diags) = read_texts(&[
        ("version.json", version),
        ("api-versions.txt", api_versions),
        ("nodes.yaml", NODE),
    ]);
    assert!(warnings(&diags).is_empty(), "{diags:#?}");
    assert_eq!(c.server_version.as_deref(), Some("v1.31.4"));
    assert!(c.api_versions.contains(&"keda.sh/v1alpha1".to_string()));
    assert_eq!(c.api_versions.len(), 6);
    // `kubectl version -o yaml` too.
    let (c, _) = read_texts(&[
        (
            "version.yaml",
            "clientVersion:\n  gitVersion: v1.32.0\nserverVersion:\n  gitVersion: v1.30.2\n",
        ),
        ("nodes.yaml", NODE),
    ]);
    assert_eq!(c.server_version.as_deref(), Some("v1.30.2"));
}

#[test]
fn several_files_are_merged_and_later_duplicates_win() {
    let nodes = format!(
        "{NODE}---\napiVersion: v1\nkind: Node\nmetadata: {{name: n2}}\nstatus: {{allocatable: {{cpu: '8'}}}}\n"
    );
    let pods = format!(
        "{}---\n{}",
        pod_yaml("a", Some("n1"), None),
        pod_yaml("b", Some("n2"), None)
    );
    let again = "apiVersion: v1\nkind: Node\nmetadata: {name: n2}\nstatus: {allocatable: {cpu: '16'}, conditions: [{type: Ready, status: 'True'}]}\n";
    let (c, diags) = read_texts(&[
        ("nodes.yaml", &nodes),
        ("pods.yaml", &pods),
        ("n2.yaml", again),
    ]);
    assert_eq!(c.nodes.len(), 2);
    assert_eq!(c.nodes[1].allocatable["cpu"], q("16"));
    assert!(c.nodes[1].ready);
    assert_eq!(c.pods.len(), 2);
    let dup = diags
        .iter()
        .find(|d| d.code == "snapshot-duplicate")
        .unwrap();
    assert!(
        dup.message
            .contains("Node/n2 is in the snapshot twice (also in an earlier file)"),
        "{}",
        dup.message
    );
}

// ---------------------------------------------------------------------------------------------
// Malformed objects and bad files

#[test]
fn malformed_objects_are_reported_and_the_rest_read() {
    let path = fixture("malformed-objects.json");
    let mut sources = Sources::new();
    let (c, diags) = read_snapshot(&mut sources, std::slice::from_ref(&path)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        c.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["cpu-worker-1"]
    );
    assert_eq!(c.pods.len(), 1);
    assert!(c.pods[0].name.starts_with("coredns-"));
    assert_eq!(c.storage_classes.len(), 1);

    let w = warnings(&diags);
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(
        w[0].message
            .starts_with("Node/cpu-worker-9 does not decode: quantity \"8 cores\""),
        "{}",
        w[0].message
    );
    // Points at the bad value (serde stops just after it).
    let line = text
        .lines()
        .position(|l| l.contains("\"8 cores\""))
        .unwrap() as u32
        + 1;
    let span = w[0].span.unwrap();
    assert_eq!(span.start.line, line);
    let at = &text.lines().nth(line as usize - 1).unwrap()[span.start.col as usize - 1..];
    assert_eq!(at, "\"8 cores\",");
    assert!(w[0].hint.as_deref().unwrap().contains("(from line"));
    assert!(
        w[1].message
            .starts_with("Pod/llm/chat-ui-7f9c6d5b8-broken does not decode: invalid type: map, expected a sequence"),
        "{}",
        w[1].message
    );
    let gaps: Vec<&str> = c.gaps.iter().map(|g| g.what.as_str()).collect();
    assert_eq!(
        gaps,
        ["Node/cpu-worker-9", "Pod/llm/chat-ui-7f9c6d5b8-broken"]
    );
    assert!(c.gaps[1].affects.contains("not counted"));
    // Plain rendering names the file and line.
    let out = crate::report::render(&diags, &sources, crate::report::Format::Text, false);
    assert!(
        out.contains(&format!("malformed-objects.json:{line}:")),
        "{out}"
    );
}

#[test]
fn malformed_objects_in_yaml_point_at_the_object() {
    // A YAML stream of objects: each document has its own span.
    let text = format!(
        "{NODE}---\napiVersion: v1\nkind: Node\nmetadata: {{name: bad}}\nstatus: {{allocatable: {{cpu: lots}}}}\n---\n{}",
        pod_yaml("ok", Some("n1"), None)
    );
    let (c, diags) = read_text("s.yaml", &text);
    assert_eq!(c.nodes.len(), 1);
    assert_eq!(c.pods.len(), 1);
    let w = warnings(&diags);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].message
            .starts_with("Node/bad does not decode: \"lots\" is not a quantity"),
        "{}",
        w[0].message
    );
    assert_eq!(w[0].span.unwrap().start.line, 9);

    // Items of a `kind: List` (kubectl -o yaml): the item's own line, not the list's.
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: good}\n  status: {allocatable: {cpu: '1'}}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: bad, namespace: ns}\n  spec: {nodeName: good, containers: [{name: c, resources: {requests: {cpu: [1]}}}]}\n";
    let (c, diags) = read_text("list.yaml", list);
    assert_eq!(c.nodes.len(), 1);
    assert!(c.pods.is_empty());
    let w = warnings(&diags);
    assert!(
        w[0].message.starts_with("Pod/ns/bad does not decode"),
        "{w:#?}"
    );
    let span = w[0].span.unwrap();
    assert_eq!((span.start.line, span.start.col), (8, 3));
}

#[test]
fn yaml_lists_are_read_item_by_item() {
    // Indented items, the typed list's kind after its items, a broken item, a second document.
    let text = "apiVersion: v1\nitems:\n  - metadata: {name: n1}\n    status: {allocatable: {cpu: '1'}, conditions: [{type: Ready, status: 'True'}]}\n  # a comment\n  - metadata: {name: n2\n    status: {}\n  - metadata: {name: n3}\nkind: NodeList\nmetadata: {resourceVersion: '7'}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: later}\n";
    let (c, diags) = read_text("nodes.yaml", text);
    let names: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["n1", "n3"]);
    assert_eq!(c.nodes[0].allocatable["cpu"], q("1"));
    let yaml = diags.iter().find(|d| d.code == "yaml").unwrap();
    assert_eq!(yaml.severity, Severity::Error);
    assert_eq!(yaml.span.unwrap().start.line, 7, "{yaml:#?}");
    let more = diags
        .iter()
        .find(|d| d.code == "snapshot-documents")
        .unwrap();
    assert_eq!(more.span.unwrap().start.line, 11);
    let gaps: Vec<&str> = c.gaps.iter().map(|g| g.what.as_str()).collect();
    assert!(gaps[0].ends_with("nodes.yaml line 7"), "{gaps:?}");
    assert!(gaps[1].ends_with("nodes.yaml after line 11"), "{gaps:?}");

    // Anchors cannot reach across items (kubectl writes none): the item is skipped, and says why.
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a, labels: &l {app: web}}\n- apiVersion: v1\n  kind: Node\n  metadata: {name: b, labels: *l}\n";
    let (c, diags) = read_text("anchors.yaml", text);
    assert_eq!(c.nodes.len(), 1);
    let e = diags.iter().find(|d| d.code == "yaml").unwrap();
    assert!(
        e.hint.as_deref().unwrap().contains("another item"),
        "{e:#?}"
    );

    // A typed list's kind before its items, and no trailer.
    let text = "kind: NodeList\napiVersion: v1\nitems:\n- metadata: {name: x}\n  status: {allocatable: {cpu: '2'}}\n";
    let (c, _) = read_text("nodes.yaml", text);
    assert_eq!(c.nodes[0].allocatable["cpu"], q("2"));

    // A stream with a document that is not YAML: reported, recorded as a gap, the rest read.
    let text = format!(
        "{NODE}---\nkey: [unclosed\n---\n{}",
        pod_yaml("p", Some("n1"), None)
    );
    let (c, diags) = read_text("stream.yaml", &text);
    assert_eq!((c.nodes.len(), c.pods.len()), (1, 1));
    assert!(diags.iter().any(|d| d.code == "manifest"));
    assert!(
        c.gaps[0].what.ends_with("stream.yaml line 10"),
        "{:?}",
        c.gaps
    );

    // A `kind: List` inside a stream goes through parse_stream: item spans are still exact.
    let text = format!(
        "{NODE}---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {{name: ok, namespace: ns}}\n  spec: {{nodeName: n1}}\n- apiVersion: v1\n  kind: Pod\n  metadata: {{name: bad, namespace: ns}}\n  spec: {{nodeName: n1, containers: 3}}\n"
    );
    let (c, diags) = read_text("stream.yaml", &text);
    assert_eq!(c.pods.len(), 1);
    let w = warnings(&diags);
    assert!(
        w[0].message.starts_with("Pod/ns/bad does not decode"),
        "{w:#?}"
    );
    let span = w[0].span.unwrap();
    assert_eq!((span.start.line, span.start.col), (16, 3));
}

#[test]
fn objects_without_kind_or_name_are_reported() {
    let text = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "metadata": {"name": "x"}},
  {"apiVersion": "v1", "kind": "Node", "metadata": {}},
  {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "ok"}, "status": {"conditions": [{"type": "Ready", "status": "True"}], "allocatable": {"pods": "1"}}}
]}"#;
    let (c, diags) = read_text("s.json", text);
    assert_eq!(c.nodes.len(), 1);
    let w = warnings(&diags);
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(w[0].message.contains("no kind"));
    assert_eq!(w[0].span.unwrap().start.line, 2);
    assert!(w[1].message.contains("without metadata.name"));
    assert_eq!(w[1].span.unwrap().start.line, 3);
}

#[test]
fn broken_json_after_some_objects_keeps_them_with_a_gap() {
    let text = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n{},\n{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \"p\"\n",
        serde_json::to_string(&serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "1"}}})).unwrap()
    );
    let (c, diags) = read_text("cut.json", &text);
    assert_eq!(c.nodes.len(), 1);
    let e = diags.iter().find(|d| d.code == "snapshot-json").unwrap();
    assert_eq!(e.severity, Severity::Error);
    assert!(e.message.contains("truncated"), "{}", e.message);
    assert!(
        c.gaps[0].what.ends_with("cut.json after line 4"),
        "{:?}",
        c.gaps
    );
}

#[test]
fn files_that_are_not_snapshots_are_errors() {
    let missing =
        read_snapshot(&mut Sources::new(), &[PathBuf::from("/nonexistent/x.json")]).unwrap_err();
    assert!(matches!(missing, SnapshotError::Read { .. }), "{missing}");

    let e = read_error(
        "bin.yaml",
        b"apiVersion: v1\nkind: Node\nmetadata: {name: \xff}\n",
    );
    assert!(
        matches!(e, SnapshotError::NotUtf8 { offset: 43, .. }),
        "{e}"
    );
    let e = read_error("bin.json", b"{\"items\": [\"\xc3\"]}");
    assert!(matches!(e, SnapshotError::NotUtf8 { .. }), "{e}");
    let e = read_error("ps.json", b"\xff\xfe{\x00\"\x00");
    assert!(e.to_string().contains("UTF-16"), "{e}");

    let e = read_error("empty.yaml", b"  \n");
    assert!(e.to_string().contains("empty"), "{e}");
    let e = read_error("words.txt", b"hello world\n");
    assert!(matches!(e, SnapshotError::NotObjects { .. }), "{e}");
    let e = read_error("bad.yaml", b"key: [unclosed\n");
    assert!(matches!(e, SnapshotError::NotObjects { .. }), "{e}");
    let e = read_error(
        "bad.json",
        b"{\"apiVersion\": \"v1\",\n  \"kind\" \"List\"}",
    );
    match e {
        SnapshotError::Json { line, column, .. } => assert_eq!((line, column), (2, 10)),
        e => panic!("{e}"),
    }
    assert!(
        read_error(
            "bad.json",
            b"{\"apiVersion\": \"v1\",\n  \"kind\" \"List\"}"
        )
        .to_string()
        .contains("bad.json:2:10: not valid JSON: expected `:`, found `\"`")
    );
}

#[test]
fn an_empty_list_is_a_snapshot_with_gaps() {
    let (c, diags) = read_text(
        "empty.json",
        r#"{"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}"#,
    );
    assert!(warnings(&diags).is_empty());
    assert_eq!(c.gaps[0].what, "nodes");
}

// ---------------------------------------------------------------------------------------------
// API list pages (the live reader's entry point)

/// gpu-lab's objects as the API server would page them: typed lists (`NodeList`...) whose
/// items carry no kind, `metadata.continue` on every page but the last.
fn api_pages(kind: &str, api_version: &str, size: usize) -> Vec<String> {
    let list: Json =
        serde_json::from_str(&std::fs::read_to_string(fixture("gpu-lab.json")).unwrap()).unwrap();
    let items: Vec<Json> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == kind)
        .map(|o| {
            let mut o = o.clone();
            o.as_object_mut().unwrap().remove("kind");
            o.as_object_mut().unwrap().remove("apiVersion");
            o
        })
        .collect();
    let chunks: Vec<&[Json]> = items.chunks(size.max(1)).collect();
    let n = chunks.len().max(1);
    (0..n)
        .map(|i| {
            let mut meta = json!({"resourceVersion": "48213011"});
            if i + 1 < n {
                meta["continue"] = json!(format!("page-{}", i + 1));
            }
            json!({
                "kind": format!("{kind}List"),
                "apiVersion": api_version,
                "metadata": meta,
                "items": chunks.get(i).copied().unwrap_or(&[]),
            })
            .to_string()
        })
        .collect()
}

const API_KINDS: [(&str, &str); 6] = [
    ("Node", "v1"),
    ("Pod", "v1"),
    ("StorageClass", "storage.k8s.io/v1"),
    ("ResourceQuota", "v1"),
    ("LimitRange", "v1"),
    ("RuntimeClass", "node.k8s.io/v1"),
];

#[test]
fn api_pages_give_the_same_cluster_as_the_snapshot_file() {
    let (expected, _) = gpu_lab();
    for size in [1, 7, 500] {
        let mut sources = Sources::new();
        let mut feed = PageFeed::new();
        for (kind, version) in API_KINDS {
            feed.begin_list(&mut sources, &format!("https://k8s/{kind}"));
            let pages = api_pages(kind, version, size);
            for (i, page) in pages.iter().enumerate() {
                let p = feed.page(page.as_bytes()).unwrap();
                assert_eq!(p.continue_token.is_some(), i + 1 < pages.len());
            }
        }
        let (cluster, diags) = feed.finish();
        assert_eq!(cluster, expected, "page size {size}");
        // The file's note about finished and unbound pods is per file; pages have none.
        assert!(warnings(&diags).is_empty(), "{diags:?}");
    }
}

#[test]
fn a_restarted_list_is_read_once() {
    let (expected, _) = gpu_lab();
    let mut sources = Sources::new();
    let mut feed = PageFeed::new();
    for (kind, version) in API_KINDS {
        let start = feed.begin_list(&mut sources, kind);
        let pages = api_pages(kind, version, 7);
        if kind == "Pod" {
            // Two pages, then the continue token expires: read again from the start.
            feed.page(pages[0].as_bytes()).unwrap();
            feed.page(pages[1].as_bytes()).unwrap();
            feed.restart_list(start);
        }
        for page in &pages {
            feed.page(page.as_bytes()).unwrap();
        }
    }
    let (cluster, diags) = feed.finish();
    assert_eq!(cluster, expected);
    assert!(
        !diags.iter().any(|d| d.code == "snapshot-duplicate"),
        "{diags:?}"
    );
}

#[test]
fn a_malformed_object_in_a_page_is_named_and_skipped() {
    let mut sources = Sources::new();
    let mut feed = PageFeed::new();
    feed.begin_list(&mut sources, "https://k8s/api/v1/nodes");
    let page = json!({"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": [
        {"metadata": {"name": "good"}, "status": {"allocatable": {"cpu": "4"},
            "conditions": [{"type": "Ready", "status": "True"}]}},
        {"metadata": {"name": "bad"}, "status": {"allocatable": {"cpu": "4 cores"}}},
    ]});
    let p = feed.page(page.to_string().as_bytes()).unwrap();
    assert_eq!(p.items, 2);
    assert_eq!(p.continue_token, None);
    assert!(feed.page(b"<html>502 Bad Gateway</html>").is_err());
    assert!(
        feed.page(br#"{"kind": "Status", "code": 200}"#)
            .unwrap_err()
            .to_string()
            .contains("not a list")
    );
    let (cluster, diags) = feed.finish();
    assert_eq!(cluster.nodes.len(), 1);
    let bad = diags
        .iter()
        .find(|d| d.code == "snapshot-object")
        .expect("the bad node is reported");
    assert!(
        bad.message.starts_with("Node/bad does not decode"),
        "{}",
        bad.message
    );
    assert_eq!(bad.span, None, "no position in a page nobody can see");
    assert!(cluster.gaps.iter().any(|g| g.what == "Node/bad"));
}

#[test]
fn a_forbidden_list_has_one_gap() {
    let mut sources = Sources::new();
    let mut feed = PageFeed::new();
    feed.begin_list(&mut sources, "nodes");
    for page in api_pages("Node", "v1", 500) {
        feed.page(page.as_bytes()).unwrap();
    }
    feed.begin_list(&mut sources, "pods");
    feed.gap(Gap {
        what: "pods".into(),
        why: "forbidden".into(),
        affects: "placement".into(),
    });
    let (cluster, _) = feed.finish();
    let pods: Vec<_> = cluster.gaps.iter().filter(|g| g.what == "pods").collect();
    assert_eq!(pods.len(), 1, "{:?}", cluster.gaps);
    assert_eq!(pods[0].why, "forbidden");
}

#[test]
fn an_idle_cluster_written_by_us_reads_back_without_a_pods_gap() {
    // Our format lists what it read; a cluster with nodes and no pods is idle, not forgotten.
    let (mut c, _) = gpu_lab();
    c.pods.clear();
    assert!(c.gaps.is_empty());
    let text = serde_json::to_string(&write_snapshot(&c)).unwrap();
    let (again, _) = read_text("idle.json", &text);
    assert!(again.gaps.is_empty(), "{:?}", again.gaps);
    assert_eq!(again, c);
    // A kubectl file without pods still says they may be missing.
    let nodes_only = r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"},"status":{"allocatable":{"cpu":"1"},"conditions":[{"type":"Ready","status":"True"}]}}]}"#;
    let (c, _) = read_text("nodes.json", nodes_only);
    assert!(c.gaps.iter().any(|g| g.what == "pods"), "{:?}", c.gaps);
}
