//! Totals through Helm on real public charts, offline. `tests/fixtures/public-charts-rendered/`
//! vendors the full sources of three charts no one here wrote (templates, dependencies; see the
//! README there). For each chart and a few values variants this runs
//! `stackcheck totals --chart <dir> [--set …] -o json` with `HELM_BIN` set to Helm v3 and to Helm
//! v4, and checks:
//!
//! - both Helm versions give the same JSON, byte for byte, and it matches
//!   `schemas/totals-report.schema.json`;
//! - the totals (pods; cpu in millicores; memory, ephemeral-storage, storage in bytes; GPUs) of
//!   every scenario, overall and per component, are the numbers worked out by hand from the
//!   chart's `values.yaml` and templates (the reasoning is in the comments of each case);
//! - each workload's replicas per scenario, autoscaler, DaemonSet flag and hook/Job status;
//! - the findings (severity, code, object) are exactly the sensible ones for the chart;
//! - text and Markdown output work too, and nothing panics.
//!
//! Needs `HELM_V3` and `HELM_V4` (`eval "$(tools/tools.sh)"`); skipped without them unless `CI` is
//! set.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use common::Helm;

const MI: i64 = 1024 * 1024;
const GI: i64 = 1024 * MI;

fn chart(name: &str) -> PathBuf {
    common::fixtures().join("public-charts-rendered").join(name)
}

/// `stackcheck totals --chart <chart> <args> -o <format>` with `HELM_BIN=<helm>`, Helm's own
/// directories isolated in `home`.
fn run_totals(helm: &Helm, chart: &Path, args: &[&str], format: &str, home: &Path) -> Output {
    helm.stackcheck(home)
        .arg("totals")
        .arg("--chart")
        .arg(chart)
        .args(args)
        .args(["-o", format])
        .output()
        .expect("run stackcheck totals")
}

fn assert_ran(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: panicked:\n{stderr}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: exit {:?}\nstderr:\n{stderr}\nstdout:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!out.stdout.is_empty(), "{what}: printed nothing");
}

/// The JSON report of `chart` with `args`, after checking that Helm v3 and v4 give the same one,
/// that it matches the JSON schema, and that the text and Markdown reports render. `None` when the
/// Helm binaries are missing.
fn report(case: &str, chart_name: &str, args: &[&str]) -> Option<Value> {
    let helms = common::helms()?;
    let dir = chart(chart_name);
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let mut reports = Vec::new();
    for h in &helms {
        let what = format!("{case} (helm {}): totals {args:?} -o json", h.label);
        let out = run_totals(h, &dir, args, "json", home);
        assert_ran(&what, &out);
        let text = String::from_utf8(out.stdout).expect("UTF-8 report");
        let json: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{text}"));
        reports.push((h.label, text, json));
    }
    let (first_label, first_text, _) = &reports[0];
    for (label, text, _) in &reports[1..] {
        if text != first_text {
            let diff = first_difference(text, first_text);
            panic!("{case}: helm {label} and helm {first_label} give different JSON: {diff}");
        }
    }
    let report = &reports[0].2;
    let (_, validator) = common::report_schema("totals-report.schema.json");
    let errors = common::schema_errors(&validator, report);
    assert!(
        errors.is_empty(),
        "{case}: the report does not match schemas/totals-report.schema.json:\n{}",
        errors.join("\n")
    );
    for format in ["text", "markdown"] {
        let h = helms.last().unwrap();
        let out = run_totals(h, &dir, args, format, home);
        assert_ran(
            &format!("{case} (helm {}): totals -o {format}", h.label),
            &out,
        );
    }
    Some(reports.pop().unwrap().2)
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}: {x:?} vs {y:?}", i + 1);
        }
    }
    format!("{} vs {} lines", a.lines().count(), b.lines().count())
}

/// A block of amounts reduced to its exact integers: `value` of every quantity (cpu in
/// millicores, everything else in base units; `null` for an unbounded limit), storage by class.
fn amounts(a: &Value) -> Value {
    let values = |m: &Value| -> Value {
        Value::Object(
            m.as_object()
                .unwrap_or_else(|| panic!("not a map: {m}"))
                .iter()
                .map(|(k, v)| (k.clone(), v["value"].clone()))
                .collect(),
        )
    };
    json!({
        "pods": a["pods"]["value"],
        "requests": values(&a["requests"]),
        "limits": values(&a["limits"]),
        "storage": values(&a["storage"]),
    })
}

fn scenarios(by: &Value) -> Value {
    json!({
        "steady": amounts(&by["steady"]),
        "peak": amounts(&by["peak"]),
        "rollout": amounts(&by["rollout"]),
    })
}

/// The same amounts in all three scenarios.
fn all3(a: Value) -> Value {
    json!({"steady": a, "peak": a, "rollout": a})
}

fn check(case: &str, what: &str, got: &Value, want: &Value) {
    assert!(
        got == want,
        "{case}: {what}\n got: {}\nwant: {}",
        serde_json::to_string_pretty(got).unwrap(),
        serde_json::to_string_pretty(want).unwrap()
    );
}

/// `want.components`: display name → per-scenario amounts, for every component and nothing else.
fn check_components(case: &str, report: &Value, want: &[(&str, Value)]) {
    let got: Vec<(String, Value)> = report["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("component name").to_string(),
                scenarios(&c["scenarios"]),
            )
        })
        .collect();
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    let want_names: Vec<&str> = want.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, want_names, "{case}: components");
    for ((name, got), (_, want)) in got.iter().zip(want) {
        check(case, &format!("component {name}"), got, want);
    }
}

/// Workloads, as `{kind, name, component, replicas: [steady, peak, rollout], perNode, scaler,
/// transient}`, sorted by kind and name.
fn check_workloads(case: &str, report: &Value, mut want: Vec<Value>) {
    let key = |w: &Value| format!("{}/{}", w["kind"], w["name"]);
    let mut got: Vec<Value> = report["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .map(|w| {
            let r = &w["replicas"];
            json!({
                "kind": w["kind"],
                "name": w["name"],
                "component": w["component"],
                "replicas": [r["steady"], r["peak"], r["rollout"]],
                "perNode": w["perNode"],
                "scaler": w["scaler"],
                "transient": w["transient"],
            })
        })
        .collect();
    got.sort_by_key(key);
    want.sort_by_key(key);
    check(case, "workloads", &Value::Array(got), &Value::Array(want));
}

/// Findings as `(severity, code, object)`, the object being the message's first word
/// (`Kind/name`), sorted; also checks that `summary` counts them.
fn check_findings(case: &str, report: &Value, want: &[(&str, &str, &str)]) {
    let findings = report["findings"].as_array().expect("findings");
    for (severity, key) in [
        ("error", "errors"),
        ("warning", "warnings"),
        ("note", "notes"),
    ] {
        let n = findings
            .iter()
            .filter(|f| f["severity"] == severity)
            .count();
        assert_eq!(
            report["summary"][key].as_u64(),
            Some(n as u64),
            "{case}: summary.{key}"
        );
    }
    let mut got: Vec<(String, String, String)> = findings
        .iter()
        .map(|f| {
            let message = f["message"].as_str().unwrap_or_default();
            (
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
                message.split(' ').next().unwrap_or_default().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String, String)> = want
        .iter()
        .map(|(s, c, o)| (s.to_string(), c.to_string(), o.to_string()))
        .collect();
    want.sort();
    assert_eq!(
        got, want,
        "{case}: findings (severity, code, object)\n{findings:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// ingress-nginx 4.15.1
// ---------------------------------------------------------------------------------------------

/// The controller's pod in every ingress-nginx case: one container `controller` with
/// `controller.resources` = requests 100m / 90Mi and no limits (values.yaml: "Ideally, there should
/// be no limits"), so both limits are unbounded. No init containers (`extraInitContainers` and
/// `extraModules` empty), no extra containers.
fn controller(pods: i64) -> Value {
    json!({
        "pods": pods,
        "requests": {"cpu": pods * 100, "memory": pods * 90 * MI},
        "limits": {"cpu": null, "memory": null},
        "storage": {},
    })
}

/// The two admission-webhook Jobs, rendered whenever `controller.admissionWebhooks.enabled` and
/// `.patch.enabled` (both true) and cert-manager is off: Helm hooks, one pod each (no
/// `parallelism`), `createSecretJob.resources` and `patchWebhookJob.resources` both `{}` — so no
/// requests and unbounded limits. Not part of the steady/peak/rollout totals.
fn admission_jobs() -> Vec<Value> {
    vec![
        json!({"kind": "Job", "name": "release-name-ingress-nginx-admission-create",
               "component": "admission-webhook", "replicas": [1, 1, 1], "perNode": false,
               "scaler": null, "transient": "hook:pre-install,pre-upgrade"}),
        json!({"kind": "Job", "name": "release-name-ingress-nginx-admission-patch",
               "component": "admission-webhook", "replicas": [1, 1, 1], "perNode": false,
               "scaler": null, "transient": "hook:post-install,post-upgrade"}),
    ]
}

fn admission_transient() -> Value {
    json!({"pods": 2, "requests": {}, "limits": {"cpu": null, "memory": null}, "storage": {}})
}

/// Findings every ingress-nginx case has: the controller container has no memory limit (a note),
/// the two hook Jobs' containers have no resources at all (warnings).
fn ingress_findings(
    controller_kind: &'static str,
) -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "note",
            "no-limits",
            if controller_kind == "DaemonSet" {
                "DaemonSet/release-name-ingress-nginx-controller"
            } else {
                "Deployment/release-name-ingress-nginx-controller"
            },
        ),
        (
            "warning",
            "no-resources",
            "Job/release-name-ingress-nginx-admission-create",
        ),
        (
            "warning",
            "no-resources",
            "Job/release-name-ingress-nginx-admission-patch",
        ),
    ]
}

fn ingress_deployment(replicas: [i64; 3], scaler: Option<&str>) -> Value {
    json!({"kind": "Deployment", "name": "release-name-ingress-nginx-controller",
           "component": "controller", "replicas": replicas, "perNode": false,
           "scaler": scaler, "transient": null})
}

/// The checks every ingress-nginx case shares: overall and controller totals per scenario, the
/// workloads (the two admission hook Jobs plus `controller`), the hooks' transient amounts, and
/// the findings (`extra` added to the common ones).
fn check_ingress(
    case: &str,
    r: &Value,
    want: &Value,
    controller: Value,
    extra: &[(&'static str, &'static str, &'static str)],
) {
    check(case, "overall", &scenarios(&r["scenarios"]), want);
    check_components(case, r, &[("controller", want.clone())]);
    let kind = if controller["kind"] == "DaemonSet" {
        "DaemonSet"
    } else {
        "Deployment"
    };
    let mut workloads = admission_jobs();
    workloads.push(controller);
    check_workloads(case, r, workloads);
    check(
        case,
        "transient",
        &amounts(&r["transient"]),
        &admission_transient(),
    );
    let mut findings = ingress_findings(kind);
    findings.extend_from_slice(extra);
    check_findings(case, r, &findings);
}

#[test]
fn ingress_nginx_defaults() {
    let case = "ingress-nginx defaults";
    let Some(r) = report(case, "ingress-nginx", &[]) else {
        return;
    };
    // controller: a Deployment with `replicas: 1` (controller.replicaCount; written because
    // autoscaling.enabled == keda.enabled == false). No autoscaler: peak = steady = 1.
    // controller.updateStrategy is {} so no `strategy`: RollingUpdate with maxSurge 25% and
    // maxUnavailable 25%; surge = ceil(25% × 1) = 1 → rollout 1 + 1 = 2 pods.
    // The PodDisruptionBudget renders only above one replica: none. defaultBackend.enabled false.
    let want = json!({"steady": controller(1), "peak": controller(1), "rollout": controller(2)});
    check_ingress(case, &r, &want, ingress_deployment([1, 1, 2], None), &[]);
    assert_eq!(r["daemonsetNodes"], 1, "{case}");
}

#[test]
fn ingress_nginx_hpa() {
    let case = "ingress-nginx HPA";
    let Some(r) = report(
        case,
        "ingress-nginx",
        &[
            "--set",
            "controller.autoscaling.enabled=true",
            "--set",
            "controller.autoscaling.minReplicas=3",
        ],
    ) else {
        return;
    };
    // controller-hpa.yaml: autoscaling/v2 HPA on the Deployment, minReplicas 3 (set),
    // maxReplicas 11 (values.yaml). The Deployment then has no `replicas` (the HPA owns it).
    // steady = 3 pods: 300m / 270Mi. peak = 11 pods: 1100m / 990Mi.
    // rollout: surge = ceil(25% × 3) = ceil(0.75) = 1 → 4 pods: 400m / 360Mi.
    // The PDB renders (minReplicas 3 > 1) with minAvailable 1 (controller.minAvailable): 1 of 3
    // leaves room for evictions, so no pdb finding.
    let want = json!({"steady": controller(3), "peak": controller(11), "rollout": controller(4)});
    check_ingress(
        case,
        &r,
        &want,
        ingress_deployment(
            [3, 11, 4],
            Some("HorizontalPodAutoscaler/release-name-ingress-nginx-controller"),
        ),
        &[],
    );
}

#[test]
fn ingress_nginx_keda() {
    let case = "ingress-nginx KEDA";
    let Some(r) = report(
        case,
        "ingress-nginx",
        &[
            "--set",
            "controller.keda.enabled=true,controller.keda.minReplicas=2,controller.keda.maxReplicas=6",
        ],
    ) else {
        return;
    };
    // controller-keda.yaml: ScaledObject keda.sh/v1alpha1 (controller.keda.apiVersion) with
    // minReplicaCount 2 and maxReplicaCount 6; its scaleTargetRef names the Deployment without a
    // kind (KEDA's default is Deployment). The Deployment has no `replicas`.
    // steady = 2 pods: 200m / 180Mi. peak = 6 pods: 600m / 540Mi.
    // rollout: surge = ceil(25% × 2) = ceil(0.5) = 1 → 3 pods: 300m / 270Mi.
    // PDB: minAvailable 1 of 2 → no finding.
    let want = json!({"steady": controller(2), "peak": controller(6), "rollout": controller(3)});
    check_ingress(
        case,
        &r,
        &want,
        ingress_deployment(
            [2, 6, 3],
            Some("ScaledObject/release-name-ingress-nginx-controller"),
        ),
        &[],
    );
}

#[test]
fn ingress_nginx_daemonset_on_three_nodes() {
    let case = "ingress-nginx DaemonSet";
    let Some(r) = report(
        case,
        "ingress-nginx",
        &[
            "--set",
            "controller.kind=DaemonSet",
            "--daemonset-nodes",
            "3",
        ],
    ) else {
        return;
    };
    // controller.kind=DaemonSet: controller-daemonset.yaml instead of the Deployment; the HPA,
    // KEDA and PDB templates all require kind Deployment, so none of them. One pod per node,
    // 3 nodes (--daemonset-nodes): 3 pods, 300m / 270Mi in every scenario — no autoscaler, and a
    // DaemonSet's default RollingUpdate has maxSurge 0 (replaces pods in place).
    let want = all3(controller(3));
    check_ingress(
        case,
        &r,
        &want,
        json!({"kind": "DaemonSet", "name": "release-name-ingress-nginx-controller",
                          "component": "controller", "replicas": [3, 3, 3], "perNode": true,
                          "scaler": null, "transient": null}),
        &[],
    );
    assert_eq!(r["daemonsetNodes"], 3, "{case}");
}

#[test]
fn ingress_nginx_pdb_that_blocks_evictions() {
    let case = "ingress-nginx PDB minAvailable = replicas";
    let Some(r) = report(
        case,
        "ingress-nginx",
        &[
            "--set",
            "controller.replicaCount=2",
            "--set",
            "controller.minAvailable=2",
        ],
    ) else {
        return;
    };
    // replicas 2, no autoscaler: steady = peak = 2 pods (200m / 180Mi); rollout: surge
    // ceil(25% × 2) = 1 → 3 pods (300m / 270Mi). The PDB renders (2 > 1) with minAvailable 2:
    // with 2 pods expected, no pod may ever be evicted → pdb-blocks-eviction.
    let want = json!({"steady": controller(2), "peak": controller(2), "rollout": controller(3)});
    check_ingress(
        case,
        &r,
        &want,
        ingress_deployment([2, 2, 3], None),
        &[(
            "warning",
            "pdb-blocks-eviction",
            "PodDisruptionBudget/release-name-ingress-nginx-controller",
        )],
    );
}

// ---------------------------------------------------------------------------------------------
// bitnami postgresql 16.7.26 (+ common 2.31.4)
// ---------------------------------------------------------------------------------------------

#[test]
fn postgresql_defaults() {
    let case = "postgresql defaults";
    let Some(r) = report(case, "postgresql", &[]) else {
        return;
    };
    // architecture standalone: one StatefulSet, primary/statefulset.yaml, `replicas: 1` (fixed in
    // the template). One container `postgresql` with primary.resources empty, so
    // common.resources.preset of primary.resourcesPreset "nano": requests cpu 100m, memory 128Mi,
    // ephemeral-storage 50Mi; limits 150m, 192Mi, 2Gi. No init container (tls and
    // volumePermissions off, primary.initContainers empty), metrics off.
    // volumeClaimTemplates: `data`, primary.persistence.size 8Gi; common.storage.class finds
    // global.storageClass, persistence.storageClass and global.defaultStorageClass all "", so no
    // storageClassName: the cluster's default class. A StatefulSet keeps one claim per replica.
    // StatefulSets never surge: rollout = steady = peak.
    // primary.pdb: create true, both bounds "" → maxUnavailable 1: evictions allowed.
    // Every container has requests and limits → no findings at all.
    let pod = json!({
        "pods": 1,
        "requests": {"cpu": 100, "ephemeral-storage": 50 * MI, "memory": 128 * MI},
        "limits": {"cpu": 150, "ephemeral-storage": 2 * GI, "memory": 192 * MI},
        "storage": {"(default)": 8 * GI},
    });
    check(
        case,
        "overall",
        &scenarios(&r["scenarios"]),
        &all3(pod.clone()),
    );
    check_components(case, &r, &[("primary", all3(pod))]);
    check_workloads(
        case,
        &r,
        vec![
            json!({"kind": "StatefulSet", "name": "release-name-postgresql", "component": "primary",
                    "replicas": [1, 1, 1], "perNode": false, "scaler": null, "transient": null}),
        ],
    );
    check(
        case,
        "transient",
        &amounts(&r["transient"]),
        &json!({"pods": 0, "requests": {}, "limits": {}, "storage": {}}),
    );
    check_findings(case, &r, &[]);
}

#[test]
fn postgresql_replication_with_metrics_init_and_backup() {
    let case = "postgresql replication";
    let Some(r) = report(
        case,
        "postgresql",
        &[
            "--set",
            "architecture=replication",
            "--set",
            "readReplicas.replicaCount=3",
            "--set",
            "readReplicas.persistence.size=20Gi",
            "--set",
            "readReplicas.persistence.storageClass=fast-ssd",
            "--set",
            "metrics.enabled=true",
            "--set",
            "volumePermissions.enabled=true,volumePermissions.resourcesPreset=small",
            "--set",
            "backup.enabled=true",
        ],
    ) else {
        return;
    };
    // Two StatefulSets: primary (`replicas: 1`) and read (readReplicas.replicaCount 3).
    // Each pod has two app containers, both "nano" (primary/readReplicas.resourcesPreset and
    // metrics.resourcesPreset): 2 × (100m, 128Mi, 50Mi) = 200m, 256Mi, 100Mi requested;
    // 2 × (150m, 192Mi, 2Gi) = 300m, 384Mi, 4Gi limited.
    // volumePermissions.enabled adds an init container init-chmod-data to both (persistence is
    // on). An init container runs alone, so a pod needs the larger of it and the sum of the app
    // containers, per resource.
    // - primary: the init container takes volumePermissions.resourcesPreset "small" (requests
    //   500m, 512Mi, 50Mi; limits 750m, 768Mi, 2Gi), so the pod requests cpu max(200m, 500m) =
    //   500m, memory max(256Mi, 512Mi) = 512Mi, ephemeral-storage max(100Mi, 50Mi) = 100Mi, and
    //   limits cpu max(300m, 750m) = 750m, memory max(384Mi, 768Mi) = 768Mi, ephemeral-storage
    //   max(4Gi, 2Gi) = 4Gi.
    // - read: templates/read/statefulset.yaml gives its init-chmod-data readReplicas.resources /
    //   readReplicas.resourcesPreset ("nano") instead — the chart's own quirk — so the app
    //   containers' sum wins: 200m, 256Mi, 100Mi; limits 300m, 384Mi, 4Gi. × 3 replicas.
    // Claims: primary 1 × 8Gi on the default class; read 3 × 20Gi on fast-ssd = 60Gi.
    // backup.enabled: backup/pvc.yaml, a standalone PersistentVolumeClaim of 8Gi
    // (backup.cronjob.storage.size) on the default class, component pg_dumpall; and a CronJob
    // (not in the totals) with one "nano" container.
    // No autoscalers, StatefulSets never surge: steady = peak = rollout.
    // PDBs: primary and read, both maxUnavailable 1 → no finding. All containers have requests and
    // limits → no findings.
    let primary = json!({
        "pods": 1,
        "requests": {"cpu": 500, "ephemeral-storage": 100 * MI, "memory": 512 * MI},
        "limits": {"cpu": 750, "ephemeral-storage": 4 * GI, "memory": 768 * MI},
        "storage": {"(default)": 8 * GI},
    });
    let read = json!({
        "pods": 3,
        "requests": {"cpu": 600, "ephemeral-storage": 300 * MI, "memory": 768 * MI},
        "limits": {"cpu": 900, "ephemeral-storage": 12 * GI, "memory": 1152 * MI},
        "storage": {"fast-ssd": 60 * GI},
    });
    let backup_claim = json!({
        "pods": 0, "requests": {}, "limits": {}, "storage": {"(default)": 8 * GI},
    });
    // 1 + 3 pods: cpu 500m + 600m = 1100m, memory 512Mi + 768Mi = 1280Mi, ephemeral-storage
    // 100Mi + 300Mi = 400Mi; limits 750m + 900m = 1650m, 768Mi + 1152Mi = 1920Mi,
    // 4Gi + 12Gi = 16Gi; storage: default class 8Gi (primary) + 8Gi (backup) = 16Gi, fast-ssd 60Gi.
    let overall = json!({
        "pods": 4,
        "requests": {"cpu": 1100, "ephemeral-storage": 400 * MI, "memory": 1280 * MI},
        "limits": {"cpu": 1650, "ephemeral-storage": 16 * GI, "memory": 1920 * MI},
        "storage": {"(default)": 16 * GI, "fast-ssd": 60 * GI},
    });
    check(case, "overall", &scenarios(&r["scenarios"]), &all3(overall));
    check_components(
        case,
        &r,
        &[
            ("pg_dumpall", all3(backup_claim)),
            ("primary", all3(primary)),
            ("read", all3(read)),
        ],
    );
    check_workloads(
        case,
        &r,
        vec![
            json!({"kind": "StatefulSet", "name": "release-name-postgresql-primary",
                   "component": "primary", "replicas": [1, 1, 1], "perNode": false,
                   "scaler": null, "transient": null}),
            json!({"kind": "StatefulSet", "name": "release-name-postgresql-read",
                   "component": "read", "replicas": [3, 3, 3], "perNode": false,
                   "scaler": null, "transient": null}),
            json!({"kind": "CronJob", "name": "release-name-postgresql-primary-pgdumpall",
                   "component": "pg_dumpall", "replicas": [1, 1, 1], "perNode": false,
                   "scaler": null, "transient": "CronJob"}),
        ],
    );
    // The CronJob's one pod (backup.cronjob.resourcesPreset "nano").
    check(
        case,
        "transient",
        &amounts(&r["transient"]),
        &json!({
            "pods": 1,
            "requests": {"cpu": 100, "ephemeral-storage": 50 * MI, "memory": 128 * MI},
            "limits": {"cpu": 150, "ephemeral-storage": 2 * GI, "memory": 192 * MI},
            "storage": {},
        }),
    );
    check_findings(case, &r, &[]);
}

// ---------------------------------------------------------------------------------------------
// vLLM production-stack vllm-stack 0.1.12
// ---------------------------------------------------------------------------------------------

/// The router in every vllm-stack case: routerSpec.resources requests 400m / 1000Mi, limits
/// memory 1000Mi only (so cpu is unbounded).
fn router(pods: i64) -> Value {
    json!({
        "pods": pods,
        "requests": {"cpu": pods * 400, "memory": pods * 1000 * MI},
        "limits": {"cpu": null, "memory": pods * 1000 * MI},
        "storage": {},
    })
}

#[test]
fn vllm_stack_defaults() {
    let case = "vllm-stack defaults";
    let Some(r) = report(case, "vllm-stack", &[]) else {
        return;
    };
    // The only modelSpec entry ("mistral") has `enabled: false`: no engine Deployment, and its
    // ScaledObject would need the entry to have no `raySpec` key anyway.
    // But templates/pvc.yaml ranges over every modelSpec entry without looking at `enabled`, so
    // the claim release-name-mistral-storage-claim is rendered: pvcStorage 50Gi, and
    // `storageClass: ""` is written as `storageClassName: ""` — no class ("(none)": only
    // pre-provisioned volumes bind). No labels, so its component is its name.
    // Router: routerSpec.replicaCount 1 (autoscaling off); strategy from chart.routerStrategy:
    // maxSurge 100%, maxUnavailable 0 → rollout 1 + ceil(100% × 1) = 2 pods.
    // The router's only missing limit is cpu, which is not a finding; so no findings.
    let claim = json!({"pods": 0, "requests": {}, "limits": {}, "storage": {"(none)": 50 * GI}});
    let router_by = json!({"steady": router(1), "peak": router(1), "rollout": router(2)});
    let with_claim = |mut a: Value| {
        a["storage"] = json!({"(none)": 50 * GI});
        a
    };
    check(
        case,
        "overall",
        &scenarios(&r["scenarios"]),
        &json!({
            "steady": with_claim(router(1)),
            "peak": with_claim(router(1)),
            "rollout": with_claim(router(2)),
        }),
    );
    check_components(
        case,
        &r,
        &[
            ("release-name-mistral-storage-claim", all3(claim)),
            ("router", router_by),
        ],
    );
    check_workloads(
        case,
        &r,
        vec![
            json!({"kind": "Deployment", "name": "release-name-deployment-router",
                    "component": "router", "replicas": [1, 1, 2], "perNode": false,
                    "scaler": null, "transient": null}),
        ],
    );
    check(
        case,
        "transient",
        &amounts(&r["transient"]),
        &json!({"pods": 0, "requests": {}, "limits": {}, "storage": {}}),
    );
    check_findings(case, &r, &[]);
}

#[test]
fn vllm_stack_gpu_model_with_keda_and_router_hpa() {
    let case = "vllm-stack GPU model";
    // Our own model entry (a list given with --set replaces the chart's list as a whole).
    let model = r#"servingEngineSpec.modelSpec=[{"name":"llama","repository":"vllm/vllm-openai","tag":"v0.10.0","modelURL":"meta-llama/Llama-3.1-8B-Instruct","replicaCount":2,"requestCPU":4,"requestMemory":"24Gi","requestGPU":1,"limitCPU":8,"limitMemory":"32Gi","pvcStorage":"100Gi","storageClass":"fast-ssd","keda":{"enabled":true,"minReplicaCount":1,"maxReplicaCount":4}}]"#;
    let Some(r) = report(
        case,
        "vllm-stack",
        &[
            "--set",
            "routerSpec.autoscaling.enabled=true",
            "--set-json",
            model,
        ],
    ) else {
        return;
    };
    // Engine: deployment-vllm-multi.yaml, one Deployment for "llama". keda.enabled → no
    // `replicas` (replicaCount 2 is ignored); scaledobject-vllm.yaml renders (no raySpec key) with
    // minReplicaCount 1, maxReplicaCount 4 → steady 1, peak 4. Strategy from chart.engineStrategy
    // (servingEngineSpec.strategy is {}): maxSurge 100%, maxUnavailable 0 → rollout 1 + 1 = 2.
    // One container, resources from chart.resources: requests memory 24Gi, cpu 4,
    // nvidia.com/gpu 1 (requestGPU 1 > 0, requestGPUType unset → nvidia.com/gpu); limits
    // (chart.hasLimits: limitMemory set) memory 32Gi, cpu 8, nvidia.com/gpu 1 — request = limit
    // for the GPU, as the API server requires. No init container (no `initContainer` key), no
    // LoRA sidecar (enableLoRA unset).
    // Router: routerSpec.autoscaling.enabled → hpa-router.yaml, minReplicas 1, maxReplicas 3
    // (values.yaml), no `replicas` on the Deployment → steady 1, peak 3, rollout 1 + 1 = 2.
    // PVC release-name-llama-storage-claim: 100Gi on fast-ssd, in every scenario.
    let engine = |pods: i64| {
        json!({
            "pods": pods,
            "requests": {"cpu": pods * 4000, "memory": pods * 24 * GI, "nvidia.com/gpu": pods},
            "limits": {"cpu": pods * 8000, "memory": pods * 32 * GI, "nvidia.com/gpu": pods},
            "storage": {},
        })
    };
    // Engine + router; the router's unbounded cpu limit makes the total cpu limit unbounded.
    let total = |engine_pods: i64, router_pods: i64| {
        json!({
            "pods": engine_pods + router_pods,
            "requests": {
                "cpu": engine_pods * 4000 + router_pods * 400,
                "memory": engine_pods * 24 * GI + router_pods * 1000 * MI,
                "nvidia.com/gpu": engine_pods,
            },
            "limits": {
                "cpu": null,
                "memory": engine_pods * 32 * GI + router_pods * 1000 * MI,
                "nvidia.com/gpu": engine_pods,
            },
            "storage": {"fast-ssd": 100 * GI},
        })
    };
    // steady: 1 + 1 pods, 4400m, 24Gi + 1000Mi, 1 GPU; peak: 4 + 3 pods, 17200m,
    // 96Gi + 3000Mi, 4 GPUs; rollout: 2 + 2 pods, 8800m, 48Gi + 2000Mi, 2 GPUs.
    check(
        case,
        "overall",
        &scenarios(&r["scenarios"]),
        &json!({"steady": total(1, 1), "peak": total(4, 3), "rollout": total(2, 2)}),
    );
    check_components(
        case,
        &r,
        &[
            (
                "release-name-llama-storage-claim",
                all3(json!({"pods": 0, "requests": {}, "limits": {},
                            "storage": {"fast-ssd": 100 * GI}})),
            ),
            (
                "router",
                json!({"steady": router(1), "peak": router(3), "rollout": router(2)}),
            ),
            (
                "serving-engine",
                json!({"steady": engine(1), "peak": engine(4), "rollout": engine(2)}),
            ),
        ],
    );
    check_workloads(
        case,
        &r,
        vec![
            json!({"kind": "Deployment", "name": "release-name-deployment-router",
                   "component": "router", "replicas": [1, 3, 2], "perNode": false,
                   "scaler": "HorizontalPodAutoscaler/release-name-router-hpa", "transient": null}),
            json!({"kind": "Deployment", "name": "release-name-llama-deployment-vllm",
                   "component": "serving-engine", "replicas": [1, 4, 2], "perNode": false,
                   "scaler": "ScaledObject/release-name-llama-scaledobject", "transient": null}),
        ],
    );
    check_findings(case, &r, &[]);
}
