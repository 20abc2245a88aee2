//! `stackcheck preflight --chart` through a real Helm v3 and v4: the release is rendered for the
//! cluster's Kubernetes version and API groups. Needs `HELM_V3` and `HELM_V4`;
//! `cli_preflight.rs` has the preflight of rendered manifests.

mod common;

use serde_json::Value;

const CLUSTER: &str = "tests/fixtures/clusters/gpu-lab.json";

#[test]
fn the_release_is_rendered_for_the_clusters_version_and_api_groups() {
    let Some(helms) = common::helms() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // A chart that runs one more replica where KEDA is installed, and says which Kubernetes
    // version it was rendered for.
    let chart = common::write_files(
        &dir.path().join("caps"),
        &[
            ("Chart.yaml", "apiVersion: v2\nname: caps\nversion: 0.1.0\n"),
            (
                "templates/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: {kube: {{ .Capabilities.KubeVersion.Version | quote }}}\nspec:\n  replicas: {{ if .Capabilities.APIVersions.Has \"keda.sh/v1alpha1\" }}2{{ else }}1{{ end }}\n  template:\n    spec:\n      containers:\n      - name: web\n        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 64Mi}}\n",
            ),
        ],
    );
    // The bundled snapshot, with the server version and API groups a live read records.
    let mut snap: Value = serde_json::from_str(
        &std::fs::read_to_string(
            common::repo_root().join("tests/fixtures/clusters/gpu-lab.stackcheck.json"),
        )
        .expect("fixture"),
    )
    .expect("JSON");
    snap["serverVersion"] = "v1.33.4".into();
    snap["apiVersions"] = serde_json::json!(["v1", "apps/v1", "keda.sh/v1alpha1"]);
    let cluster = dir.path().join("cluster.json");
    std::fs::write(&cluster, snap.to_string()).expect("write");
    for h in helms {
        let run = |cluster: &std::path::Path, extra: &[&str]| {
            let out = h
                .stackcheck(dir.path())
                .args(["preflight", "--chart"])
                .arg(&chart)
                .arg("--cluster")
                .arg(cluster)
                .args(["-o", "json"])
                .args(extra)
                .output()
                .expect("run");
            let r: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
            r["pods"].as_array().map_or(0, Vec::len)
        };
        assert_eq!(run(&cluster, &[]), 2, "helm {}: KEDA is there", h.label);
        // Without the cluster's groups (the bundled kubectl snapshot has none): Helm's defaults.
        let kubectl = common::repo_root().join(CLUSTER);
        assert_eq!(run(&kubectl, &[]), 1, "helm {}", h.label);
        // The user's flags win over the cluster's.
        assert_eq!(run(&cluster, &["-a", "v1"]), 1, "helm {}", h.label);
    }
}
