//! Totals on rendered manifests: the llm-stack prod profile (pre-rendered by
//! `helm template release-name charts/llm-stack -f charts/llm-stack/values-prod.yaml`, kept in
//! `benches/fixtures/`) and a generated stream of 10,000 objects.
//! Run: `cargo bench --bench totals`.

use criterion::{Criterion, criterion_group, criterion_main};
use stackcheck::render::parse_stream;
use stackcheck::source::{SourceKind, Sources};
use stackcheck::totals::{Options, compute};

const PROD: &str = include_str!("fixtures/llm-stack-prod.yaml");

/// 10,000 objects: per group of four a Deployment (app + sidecar + init container, HPA-free), a
/// StatefulSet with a claim template, a Service and a ConfigMap.
fn stream_of_10k() -> String {
    let mut s = String::new();
    for i in 0..2_500 {
        s.push_str(&format!(
            "---\n# Source: big/charts/c{c}/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  labels: {{app.kubernetes.io/name: web, app.kubernetes.io/component: c{c}}}\nspec:\n  replicas: {r}\n  strategy: {{rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}}}\n  selector: {{matchLabels: {{app: web-{i}}}}}\n  template:\n    metadata:\n      labels: {{app: web-{i}, app.kubernetes.io/component: c{c}}}\n    spec:\n      initContainers:\n        - name: init\n          image: busybox:1.36\n          resources: {{requests: {{cpu: 50m, memory: 64Mi}}, limits: {{cpu: 100m, memory: 128Mi}}}}\n        - name: proxy\n          image: envoy:1.30\n          restartPolicy: Always\n          resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{memory: 256Mi}}}}\n      containers:\n        - name: app\n          image: app:1.0.{i}\n          resources: {{requests: {{cpu: 250m, memory: 0.5Gi}}, limits: {{cpu: \"1\", memory: 1Gi}}}}\n",
            c = i % 10,
            r = 1 + i % 5,
        ));
        s.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db-{i}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: db-{i}}}}}\n  template:\n    metadata:\n      labels: {{app: db-{i}}}\n    spec:\n      containers:\n        - name: db\n          image: postgres:16.4\n          resources: {{requests: {{cpu: 500m, memory: 1Gi}}, limits: {{cpu: 2, memory: 2Gi}}}}\n  volumeClaimTemplates:\n    - metadata: {{name: data}}\n      spec: {{accessModes: [ReadWriteOnce], storageClassName: fast, resources: {{requests: {{storage: 10Gi}}}}}}\n"
        ));
        s.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\nspec:\n  selector: {{app: web-{i}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{i}\ndata:\n  key: value-{i}\n"
        ));
    }
    s
}

fn bench(c: &mut Criterion) {
    let options = Options::default();
    for (name, text) in [
        ("llm-stack prod (65 KB)", PROD.to_string()),
        ("10,000 objects", stream_of_10k()),
    ] {
        let mut sources = Sources::new();
        let id = sources.add("bench.yaml", text, SourceKind::Other);
        let (objects, diags) = parse_stream(&sources, id);
        assert!(diags.is_empty(), "{diags:?}");
        c.bench_function(&format!("parse manifests: {name}"), |b| {
            b.iter(|| parse_stream(&sources, id))
        });
        c.bench_function(&format!("compute totals: {name}"), |b| {
            b.iter(|| compute(&objects, &options))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
