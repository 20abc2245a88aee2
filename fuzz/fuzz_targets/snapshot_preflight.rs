//! A cluster snapshot and a manifest stream → `cluster::snapshot::read_snapshot` →
//! `preflight::outcome::evaluate` (every scenario) → the preflight report as text and JSON.
//! Never panics; a malformed snapshot object is a finding, never fatal; the JSON report is
//! valid against `schemas/preflight-report.schema.json`.
//!
//! Input: the snapshot text, then a line `#### manifests`, then the manifests (readable seeds;
//! without the line the whole input is the snapshot and the release is one small Deployment).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stackcheck::cluster::snapshot::read_snapshot;
use stackcheck::preflight::outcome::evaluate;
use stackcheck::render::parse_stream;
use stackcheck::report::preflight::{Subject, to_json, to_text};
use stackcheck::source::{SourceKind, Sources};
use stackcheck::totals::Scenario;
use stackcheck_fuzz::{assert_valid, compile_schema, render_all};

const MARKER: &str = "\n#### manifests\n";
const DEFAULT_RELEASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        resources: {requests: {cpu: 100m, memory: 64Mi}}\n";

fn preflight_schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA
        .get_or_init(|| compile_schema(include_str!("../../schemas/preflight-report.schema.json")))
}

/// The snapshot goes through the file reader (it picks the format from the text), so it is
/// written to one scratch file per process; the fuzzer runs one input at a time.
fn scratch() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("stackcheck-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join("cluster.json")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (snapshot, manifests) = text.split_once(MARKER).unwrap_or((text, DEFAULT_RELEASE));
    std::fs::write(scratch(), snapshot).expect("scratch file");
    let mut sources = Sources::new();
    let Ok((cluster, cluster_findings)) = read_snapshot(&mut sources, &[scratch().to_path_buf()])
    else {
        return;
    };
    render_all(&cluster_findings, &sources);
    let id = sources.add("manifests.yaml", manifests, SourceKind::Other);
    let (objects, _) = parse_stream(&sources, id);
    for scenario in Scenario::ALL {
        let outcome = evaluate(&objects, cluster.clone(), "fuzz", scenario);
        render_all(&outcome.findings, &sources);
        let subject = Subject {
            release: "fuzz",
            source: "manifests.yaml",
            namespace: "fuzz",
            cluster: "cluster.json",
            cluster_nodes: cluster.nodes.len(),
            cluster_pods: cluster.pods.len(),
            gaps: &cluster.gaps,
        };
        let _ = to_text(&outcome, &subject);
        let json = to_json(&outcome, &subject, &sources);
        assert_valid(preflight_schema(), &json, "preflight");
    }
});
