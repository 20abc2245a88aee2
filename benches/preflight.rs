//! Preflight at scale: read a kubectl-style JSON snapshot of 500 and 5,000 nodes (30 pods per
//! node, pods copied from the bundled gpu-lab snapshot so they have a realistic size) and place
//! 300 release pods with zone spread and hostname anti-affinity on it.
//! Run: `cargo bench --bench preflight` (peak memory: `/usr/bin/time -v` on the bench binary).

use std::io::Write;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value as Json, json};
use stackcheck::cluster::model::scheduling_of;
use stackcheck::cluster::{Cluster, Pod, read_snapshot};
use stackcheck::quantity::Quantity;
use stackcheck::scheduler::{NodeState, place};
use stackcheck::source::Sources;

const PODS_PER_NODE: usize = 30;

/// Writes `kubectl get nodes,pods -A -o json` output: `nodes` copies of gpu-lab's first CPU
/// worker (64 cores, 256Gi, three zones) and 30 pods per node copied from its running CPU pods.
fn write_list(path: &Path, nodes: usize) {
    let lab: Json = serde_json::from_str(include_str!("../tests/fixtures/clusters/gpu-lab.json"))
        .expect("gpu-lab.json is JSON");
    let items = lab["items"].as_array().expect("a List");
    let templates: Vec<&Json> = items
        .iter()
        .filter(|i| i["kind"] == "Pod" && i["status"]["phase"] == "Running")
        .filter(|i| !i["spec"]["tolerations"].to_string().contains("nvidia"))
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut all = Vec::with_capacity(nodes * (PODS_PER_NODE + 1));
    for n in 0..nodes {
        let mut node = items[0].clone();
        let name = format!("worker-{n:05}");
        node["metadata"]["name"] = json!(name);
        node["metadata"]["labels"]["kubernetes.io/hostname"] = json!(name);
        node["metadata"]["labels"]["topology.kubernetes.io/zone"] = json!(["a", "b", "c"][n % 3]);
        node["status"]["allocatable"]["cpu"] = json!("64");
        node["status"]["allocatable"]["memory"] = json!("256Gi");
        all.push(node);
    }
    for i in 0..nodes * PODS_PER_NODE {
        let mut p = templates[i % templates.len()].clone();
        p["metadata"]["name"] = json!(format!("pod-{i:07}"));
        p["metadata"]["namespace"] = json!(format!("team-{:03}", i % 500));
        p["spec"]["nodeName"] = json!(format!("worker-{:05}", i % nodes));
        all.push(p);
    }
    serde_json::to_writer(
        &mut out,
        &json!({"apiVersion": "v1", "kind": "List", "items": all}),
    )
    .expect("write");
    out.flush().expect("flush");
}

fn release_pod(i: usize) -> Pod {
    let spec = json!({
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}],
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    });
    let q = |s: &str| Quantity::parse(s).expect("quantity");
    Pod {
        namespace: "release".into(),
        name: format!("web-{i}"),
        labels: [("app".to_string(), "web".to_string())].into(),
        node: None,
        requests: [
            ("cpu".to_string(), q("1")),
            ("memory".to_string(), q("2Gi")),
        ]
        .into(),
        non_zero: None,
        scheduling: scheduling_of(&spec).expect("scheduling"),
    }
}

fn place_300(cluster: &Cluster) -> usize {
    let mut nodes = NodeState::from_cluster(&cluster.nodes, &cluster.pods);
    (0..300)
        .filter(|i| place(&mut nodes, &release_pod(*i)).node.is_some())
        .count()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("preflight");
    group.sample_size(10);
    for nodes in [500, 5000] {
        let path = dir.path().join(format!("{nodes}.json"));
        write_list(&path, nodes);
        let read = || {
            read_snapshot(&mut Sources::new(), std::slice::from_ref(&path))
                .expect("snapshot reads")
                .0
        };
        let cluster = read();
        assert_eq!(cluster.pods.len(), nodes * PODS_PER_NODE);
        assert_eq!(place_300(&cluster), 300.min(nodes));
        group.bench_function(format!("read snapshot: {nodes} nodes"), |b| b.iter(read));
        group.bench_function(format!("place 300 pods: {nodes} nodes"), |b| {
            b.iter(|| place_300(&cluster))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
