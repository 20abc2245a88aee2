//! `stackcheck totals`: resource totals from rendered manifests, exactly as Kubernetes counts
//! them (issue 4).
//!
//! Every rule is run through the CLI on a manifest fixture (`tests/fixtures/totals/*.yaml`) with
//! `--manifests FILE -o json`, and checked against an integer worked out by hand from
//! Kubernetes' own rules; the computation is written next to each assertion, with the upstream
//! function it follows. JSON values are millicores for cpu and whole units (bytes, devices,
//! pods) otherwise.
//!
//! Then: bad input (documents that are not objects, unknown kinds, malformed quantities, claims
//! without a size, request above limit, GPU request ≠ limit, unreadable `--manifests`, a
//! failing `helm template`), the `helm template` call itself (HELM_BIN, value flags), snapshots
//! of the text and Markdown reports, and `schemas/totals-report.schema.json`, which must
//! describe exactly what `-o json` prints.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Run;
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    common::report_schema("totals-report.schema.json").1
}

fn fixtures() -> PathBuf {
    common::fixtures().join("totals")
}

/// `stackcheck totals ARGS` in `cwd`, with `env` added, free of the caller's Helm environment.
fn run_with(cwd: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut cmd = common::stackcheck();
    cmd.current_dir(cwd)
        .env_remove("HELM_NAMESPACE")
        .env_remove("HELM_BIN")
        .arg("totals")
        .args(args)
        .envs(env.iter().copied())
        .timeout(Duration::from_secs(60));
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    Run::of(&mut cmd)
}

fn run(args: &[&str]) -> Run {
    run_with(&fixtures(), args, &[], None)
}

/// `totals --manifests FIXTURE -o json EXTRA…`: the report, checking the exit code.
fn report_with(fixture: &str, extra: &[&str], code: i32) -> Value {
    let mut args = vec!["--manifests", fixture, "-o", "json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(out.code, code, "{args:?}\n{}\n{}", out.stdout, out.stderr);
    out.json(args)
}

fn report(fixture: &str) -> Value {
    report_with(fixture, &[], 0)
}

/// The entry of `components[]` named `name`.
fn component<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component {name} in {:#}", report["components"]))
}

/// The exact integer of `scope.scenarios.SCENARIO.SIDE.RESOURCE.value` (`None`: unbounded).
fn amount(scope: &Value, scenario: &str, side: &str, resource: &str) -> Option<i128> {
    let q = &scope["scenarios"][scenario][side][resource];
    assert!(
        q.is_object(),
        "no {scenario}.{side}.{resource} in {:#}",
        scope["scenarios"][scenario]
    );
    if q["value"].is_null() {
        assert_eq!(q["quantity"], "unbounded");
        None
    } else {
        Some(i128::from(q["value"].as_i64().expect("an integer value")))
    }
}

fn req(scope: &Value, scenario: &str, resource: &str) -> i128 {
    amount(scope, scenario, "requests", resource).expect("requests are always bounded")
}

fn lim(scope: &Value, scenario: &str, resource: &str) -> Option<i128> {
    amount(scope, scenario, "limits", resource)
}

fn storage(scope: &Value, scenario: &str, class: &str) -> i128 {
    amount(scope, scenario, "storage", class).expect("storage is bounded")
}

fn pods(scope: &Value, scenario: &str) -> u64 {
    scope["scenarios"][scenario]["pods"]["value"]
        .as_u64()
        .expect("pods")
}

/// (steady, peak, rollout) pods.
fn pod_counts(scope: &Value) -> (u64, u64, u64) {
    (
        pods(scope, "steady"),
        pods(scope, "peak"),
        pods(scope, "rollout"),
    )
}

const KI: i128 = 1024;
const MI: i128 = 1024 * KI;
const GI: i128 = 1024 * MI;

// ---------------------------------------------------------------------------------------------
// One pod: component-helpers resource.PodRequests / PodLimits after the API server's defaulting
// (pkg/apis/core/v1 SetDefaults_Pod, SetDefaults_ResourceList).
// ---------------------------------------------------------------------------------------------

/// `AggregateContainerRequests`: app containers are summed, each init container stands alone,
/// and the pod needs the larger of the two per resource.
#[test]
fn an_init_container_larger_than_the_app_containers_sets_the_pod_request() {
    let r = report("pod-resources.yaml");
    let c = component(&r, "init-larger");
    // cpu: max(app 100m + metrics 100m = 200m, init 500m) = 500m.
    assert_eq!(req(c, "steady", "cpu"), 500);
    // memory: max(128Mi + 128Mi = 256Mi, 1Gi) = 1Gi.
    assert_eq!(req(c, "steady", "memory"), GI);
    // Limits (AggregateContainerLimits), the same way: max(200m + 200m, 1) = 1 cpu;
    // max(256Mi + 256Mi, 2Gi) = 2Gi.
    assert_eq!(lim(c, "steady", "cpu"), Some(1000));
    assert_eq!(lim(c, "steady", "memory"), Some(2 * GI));
}

/// KEP-753 sidecars in `AggregateContainerRequests`: a restartable init container
/// (`restartPolicy: Always`) is added to the app containers, and every classic init container
/// counts together with the sidecars declared before it (`InitContainerUse(i)`).
#[test]
fn a_native_sidecar_counts_with_the_init_containers_declared_after_it() {
    let r = report("pod-resources.yaml");
    let first = component(&r, "sidecar-first");
    // Running: app 500m + proxy 200m = 700m. Init steps: proxy alone 200m; migrate 1000m
    // + proxy 200m (declared before it) = 1200m. max(700m, 200m, 1200m) = 1200m.
    assert_eq!(req(first, "steady", "cpu"), 1200);
    // memory: running 1Gi + 256Mi = 1280Mi; migrate step 512Mi + 256Mi = 768Mi → 1280Mi.
    assert_eq!(req(first, "steady", "memory"), 1280 * MI);
    assert_eq!(lim(first, "steady", "cpu"), Some(1200));
    assert_eq!(lim(first, "steady", "memory"), Some(1280 * MI));

    let after = component(&r, "sidecar-after");
    // The same containers, sidecar after the classic one: migrate runs alone (1000m);
    // running 700m. max(700m, 1000m, proxy step 200m) = 1000m.
    assert_eq!(req(after, "steady", "cpu"), 1000);
    // memory: max(1280Mi, 512Mi, 256Mi) = 1280Mi.
    assert_eq!(req(after, "steady", "memory"), 1280 * MI);
}

/// `PodRequests`/`PodLimits` with PodLevelResources (on by default since 1.34): pod-level
/// `spec.resources` replace the containers' aggregate for cpu and memory; with pod-level limits
/// only, `defaultPodRequests` fills the pod request from the containers' aggregate request where
/// they request the resource, else from the pod-level limit.
#[test]
fn pod_level_resources_override_the_containers() {
    let r = report("pod-resources.yaml");
    let c = component(&r, "pod-level");
    // Containers ask 100m + 100m and 128Mi + 128Mi; the pod says 2 cpu, 4Gi.
    assert_eq!(req(c, "steady", "cpu"), 2000);
    assert_eq!(req(c, "steady", "memory"), 4 * GI);
    // Containers have no limits (unbounded), the pod-level limits bound them: 4 cpu, 8Gi.
    assert_eq!(lim(c, "steady", "cpu"), Some(4000));
    assert_eq!(lim(c, "steady", "memory"), Some(8 * GI));

    let c = component(&r, "pod-level-limits");
    // cpu: containers request 100m + 150m = 250m → the pod request defaults to 250m.
    assert_eq!(req(c, "steady", "cpu"), 250);
    // memory: no container requests it → the pod request defaults to the pod limit, 8Gi.
    assert_eq!(req(c, "steady", "memory"), 8 * GI);
    assert_eq!(lim(c, "steady", "cpu"), Some(4000));
    assert_eq!(lim(c, "steady", "memory"), Some(8 * GI));
}

/// `PodRequests` adds `spec.overhead` to the requests; `PodLimits` adds it to every non-zero
/// limit that is set.
#[test]
fn pod_overhead_is_added() {
    let r = report("pod-resources.yaml");
    let c = component(&r, "overhead");
    // cpu: 1 + 250m = 1250m; memory: 1Gi + 120Mi = 1073741824 + 125829120.
    assert_eq!(req(c, "steady", "cpu"), 1250);
    assert_eq!(req(c, "steady", "memory"), GI + 120 * MI);
    assert_eq!(req(c, "steady", "memory"), 1_199_570_944);
    // limits: 2 + 250m = 2250m; 2Gi + 120Mi = 2273312768.
    assert_eq!(lim(c, "steady", "cpu"), Some(2250));
    assert_eq!(lim(c, "steady", "memory"), Some(2_273_312_768));
}

/// `SetDefaults_Pod`: a container that limits a resource without requesting it requests the
/// limit — GPUs included.
#[test]
fn limits_only_containers_request_their_limits() {
    let r = report("pod-resources.yaml");
    let c = component(&r, "limits-only");
    assert_eq!(req(c, "steady", "cpu"), 8000);
    assert_eq!(req(c, "steady", "memory"), 32 * GI);
    assert_eq!(req(c, "steady", "nvidia.com/gpu"), 2);
    assert_eq!(lim(c, "steady", "nvidia.com/gpu"), Some(2));
}

/// One container without a memory limit: the pod's memory is unbounded (Go's `PodLimits`
/// would silently sum only the limits that exist), and so is every sum that includes it.
#[test]
fn a_container_without_a_limit_makes_the_limit_unbounded() {
    let r = report("pod-resources.yaml");
    let c = component(&r, "unbounded");
    assert_eq!(lim(c, "steady", "memory"), None);
    // cpu: both containers limit it: 100m + 100m.
    assert_eq!(lim(c, "steady", "cpu"), Some(200));
    assert_eq!(lim(&r, "steady", "memory"), None);
    // Requests: 64Mi + 64Mi.
    assert_eq!(req(c, "steady", "memory"), 128 * MI);
}

/// apimachinery `resource.ParseQuantity` and the YAML→JSON step (`sigs.k8s.io/yaml`: an
/// unquoted number is a float64, written back as Go's shortest decimal), then
/// `SetDefaults_ResourceList` rounding every entry up to milli (`RoundUp(-3)`), then
/// `MilliValue()` for cpu and `Value()` otherwise.
#[test]
fn quantity_spellings_are_read_exactly() {
    let r = report("quantities.yaml");
    let half = component(&r, "q-half");
    // 0.5 (a YAML float) → "0.5" → 500m.
    assert_eq!(req(half, "steady", "cpu"), 500);
    // 123Mi = 123 × 1048576 = 128974848.
    assert_eq!(req(half, "steady", "memory"), 128_974_848);

    let exp = component(&r, "q-exponent");
    // "1e3" cpu = 1000 cores = 1000000 millicores.
    assert_eq!(req(exp, "steady", "cpu"), 1_000_000);
    // memory: 1e3 (YAML float 1000) = 1000 bytes; limit 129e6 = 129000000 bytes.
    assert_eq!(req(exp, "steady", "memory"), 1000);
    assert_eq!(lim(exp, "steady", "memory"), Some(129_000_000));

    let suffixes = component(&r, "q-suffixes");
    // 1.5Gi = 1.5 × 1073741824 = 1610612736; 100M = 100 × 10^6 (decimal SI).
    assert_eq!(req(suffixes, "steady", "memory"), 1_610_612_736);
    assert_eq!(req(suffixes, "steady", "ephemeral-storage"), 100_000_000);
    // 1 (an integer) = 1000m.
    assert_eq!(req(suffixes, "steady", "cpu"), 1000);

    let tiny = component(&r, "q-tiny");
    // 0.0001 = 100µ, rounded up to 1m per container entry (unquoted and quoted alike), then
    // summed: 1m + 1m = 2m. (Summing first would give 200µ → 1m.)
    assert_eq!(req(tiny, "steady", "cpu"), 2);
    assert_eq!(lim(tiny, "steady", "cpu"), Some(2));
    assert_eq!(
        tiny["scenarios"]["steady"]["requests"]["cpu"]["quantity"],
        "2m"
    );
    // 1Mi + 1Mi.
    assert_eq!(req(tiny, "steady", "memory"), 2 * MI);

    // The totals are the sums: 500 + 1000000 + 1000 + 2 millicores.
    assert_eq!(req(&r, "steady", "cpu"), 1_001_502);
    // memory: 128974848 + 1000 + 1610612736 + 2097152.
    assert_eq!(req(&r, "steady", "memory"), 1_741_685_736);
}

// ---------------------------------------------------------------------------------------------
// How many pods: replicas, autoscalers, rolling updates (deployment/util ResolveFenceposts,
// MaxSurge), DaemonSets, StatefulSet claims. Every pod of replicas.yaml asks 100m / 100Mi.
// ---------------------------------------------------------------------------------------------

fn replicas() -> Value {
    report_with("replicas.yaml", &["--daemonset-nodes", "5"], 0)
}

/// `deploymentutil.MaxSurge` → `ResolveFenceposts`: `intstr.GetScaledValueFromIntOrPercent`
/// with roundUp=true for maxSurge (defaulted to 25% by SetDefaults_Deployment); the controller
/// never runs more than replicas + maxSurge pods.
#[test]
fn rolling_update_surge_rounds_up() {
    let r = replicas();
    // 10 replicas, 25%: ceil(2.5) = 3 → 13 pods; cpu 13 × 100m = 1300m.
    let c = component(&r, "surge-default");
    assert_eq!(pod_counts(c), (10, 10, 13));
    assert_eq!(req(c, "rollout", "cpu"), 1300);
    assert_eq!(req(c, "rollout", "memory"), 1300 * MI);
    assert_eq!(lim(c, "rollout", "cpu"), Some(1300));
    // 1 replica, 25%: ceil(0.25) = 1 → 2 pods.
    assert_eq!(pod_counts(component(&r, "surge-default-one")), (1, 1, 2));
    // 5 replicas, 50%: ceil(2.5) = 3 → 8 pods.
    assert_eq!(pod_counts(component(&r, "surge-half")), (5, 5, 8));
    // 4 replicas, maxSurge 2 (absolute) → 6 pods.
    assert_eq!(pod_counts(component(&r, "surge-absolute")), (4, 4, 6));
    // No spec.replicas: defaults to 1; 25% of 1 → 1 → 2 pods.
    assert_eq!(pod_counts(component(&r, "no-replicas")), (1, 1, 2));
}

/// `Recreate` deletes the old pods before it creates new ones: no surge.
#[test]
fn recreate_adds_no_pods() {
    let r = replicas();
    let c = component(&r, "recreate");
    assert_eq!(pod_counts(c), (3, 3, 3));
    assert_eq!(req(c, "rollout", "cpu"), 300);
}

/// An HPA bounds its target's replica count: steady = `spec.replicas` clamped into
/// [`minReplicas` (default 1), `maxReplicas`] (what the HPA controller does before metrics;
/// measured on the test control plane), peak = `maxReplicas`; the rollout surges from the steady
/// count. KEDA's ScaledObject owns it: `minReplicaCount` (default 0) and `maxReplicaCount`
/// (default 100).
#[test]
fn autoscalers_give_the_peak() {
    let r = replicas();
    // autoscaling/v2: min 3, max 12; spec.replicas 2 is raised to 3. Rollout: 3 + ceil(0.75) = 4.
    let c = component(&r, "hpa-v2");
    assert_eq!(pod_counts(c), (3, 12, 4));
    // peak cpu 12 × 100m; memory 12 × 100Mi.
    assert_eq!(req(c, "peak", "cpu"), 1200);
    assert_eq!(req(c, "peak", "memory"), 1200 * MI);
    assert_eq!(lim(c, "peak", "memory"), Some(1200 * MI));
    // autoscaling/v1 without minReplicas (1), max 5: spec.replicas 4 stays; rollout 4 + ceil(1) = 5.
    assert_eq!(pod_counts(component(&r, "hpa-v1")), (4, 5, 5));
    // KEDA: min 2, max 20; rollout 2 + ceil(0.5) = 3.
    let keda = component(&r, "keda");
    assert_eq!(pod_counts(keda), (2, 20, 3));
    assert_eq!(req(keda, "peak", "cpu"), 2000);
    // KEDA defaults: 0 and 100; nothing runs until the trigger fires.
    let idle = component(&r, "keda-defaults");
    assert_eq!(pod_counts(idle), (0, 100, 0));
    assert_eq!(req(idle, "peak", "cpu"), 10_000);
    assert_eq!(req(idle, "steady", "cpu"), 0);
    // A target at replicas: 0 is left alone by its HPA (reconcileAutoscaler: "scaling is
    // disabled since the replica count of the target is zero").
    assert_eq!(pod_counts(component(&r, "hpa-zero")), (0, 0, 0));
    // Every HPA/KEDA peak adds up: 12 + 5 + 0 + 20 + 100 = 137 pods where 3 + 4 + 0 + 2 + 0 = 9
    // run at steady state.
    let scaled = ["hpa-v2", "hpa-v1", "hpa-zero", "keda", "keda-defaults"];
    let sum = |s: &str| {
        scaled
            .iter()
            .map(|n| pods(component(&r, n), s))
            .sum::<u64>()
    };
    assert_eq!((sum("steady"), sum("peak")), (9, 137));
}

/// A StatefulSet never surges (it replaces pods in place) and keeps one claim per
/// volumeClaimTemplate per replica; a standalone claim counts once.
#[test]
fn statefulset_claims_are_counted_per_replica() {
    let r = replicas();
    let pg = component(&r, "postgres");
    assert_eq!(pod_counts(pg), (3, 3, 3));
    // data: 10Gi × 3 on fast-ssd; wal: 1.5Gi × 3 = 4.5Gi on the default class.
    assert_eq!(storage(pg, "steady", "fast-ssd"), 30 * GI);
    assert_eq!(storage(pg, "steady", "(default)"), 4 * GI + 512 * MI);
    assert_eq!(storage(pg, "steady", "(default)"), 4_831_838_208);
    // Under an HPA (min 2, max 4) the claims follow the replicas: 5Gi × 2, 5Gi × 4 at peak,
    // and a rollout creates none (2).
    let sts = component(&r, "scaled-sts");
    assert_eq!(pod_counts(sts), (2, 4, 2));
    assert_eq!(storage(sts, "steady", "fast-ssd"), 10 * GI);
    assert_eq!(storage(sts, "peak", "fast-ssd"), 20 * GI);
    assert_eq!(storage(sts, "rollout", "fast-ssd"), 10 * GI);
    // A standalone PVC: once, in every scenario; it runs no pods.
    let models = component(&r, "models");
    assert_eq!(storage(models, "peak", "nfs"), 100 * GI);
    assert_eq!(pod_counts(models), (0, 0, 0));
    // Overall by class: fast-ssd 30Gi + 10Gi steady, 30Gi + 20Gi peak.
    assert_eq!(storage(&r, "steady", "fast-ssd"), 40 * GI);
    assert_eq!(storage(&r, "peak", "fast-ssd"), 50 * GI);
    assert_eq!(storage(&r, "steady", "nfs"), 100 * GI);
    assert_eq!(storage(&r, "steady", "(default)"), 4_831_838_208);
}

/// A DaemonSet runs one pod on each of `--daemonset-nodes` nodes; with `maxSurge` (and
/// `maxUnavailable: 0`), `daemon/util.SurgeCount` lets ceil(25% × nodes) nodes run a second pod
/// during an update. The default update (maxUnavailable 1, maxSurge 0) adds none.
#[test]
fn daemonsets_run_one_pod_per_node() {
    let r = replicas();
    let agent = component(&r, "node-agent");
    // 5 nodes × 100m.
    assert_eq!(pod_counts(agent), (5, 5, 5));
    assert_eq!(req(agent, "steady", "cpu"), 500);
    assert_eq!(req(agent, "steady", "memory"), 500 * MI);
    // 25% of 5 = 1.25 → 2 extra pods.
    let surge = component(&r, "node-agent-surge");
    assert_eq!(pod_counts(surge), (5, 5, 7));
    assert_eq!(req(surge, "rollout", "cpu"), 700);
    assert_eq!(r["daemonsetNodes"], 5);
    let w = r["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "node-agent-surge")
        .unwrap();
    assert_eq!(w["perNode"], true);
    assert_eq!(w["replicas"], json!({"steady": 5, "peak": 5, "rollout": 7}));

    // Without --daemonset-nodes: one node, one pod each; ceil(25% × 1) = 1 extra.
    let one = report("replicas.yaml");
    assert_eq!(one["daemonsetNodes"], 1);
    assert_eq!(pod_counts(component(&one, "node-agent")), (1, 1, 1));
    assert_eq!(pod_counts(component(&one, "node-agent-surge")), (1, 1, 2));
}

/// The overall totals of replicas.yaml, pod by pod (steady / peak / rollout):
/// surge-default 10/10/13, surge-default-one 1/1/2, surge-half 5/5/8, surge-absolute 4/4/6,
/// recreate 3/3/3, no-replicas 1/1/2, hpa-v2 3/12/4, hpa-v1 4/5/5, hpa-zero 0/0/0,
/// keda 2/20/3, keda-defaults 0/100/0, postgres 3/3/3, scaled-sts 2/4/2,
/// node-agent 5/5/5, node-agent-surge 5/5/7.
#[test]
fn overall_totals_add_up_every_workload() {
    let r = replicas();
    // steady: 10+1+5+4+3+1+3+4+0+2+0+3+2+5+5 = 48; peak: 10+1+5+4+3+1+12+5+0+20+100+3+4+5+5
    // = 178; rollout: 13+2+8+6+3+2+4+5+0+3+0+3+2+5+7 = 63.
    assert_eq!(pod_counts(&r), (48, 178, 63));
    // Every pod asks 100m and 100Mi (limits equal).
    assert_eq!(req(&r, "steady", "cpu"), 4800);
    assert_eq!(req(&r, "peak", "cpu"), 17_800);
    assert_eq!(req(&r, "rollout", "cpu"), 6300);
    assert_eq!(lim(&r, "rollout", "memory"), Some(6300 * MI));
    // All in the release namespace.
    let ns = r["namespaces"].as_array().unwrap();
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0]["name"], "default");
    assert_eq!(ns[0]["scenarios"], r["scenarios"]);
}

/// Jobs, CronJobs and Helm hooks run to completion: they are listed apart (`transient`, one run
/// each) and never enter the steady, peak or rollout totals.
#[test]
fn jobs_cronjobs_and_hooks_are_shown_apart() {
    let r = report("transient.yaml");
    // Only the Deployment: 2 × 250m, Recreate.
    assert_eq!(pod_counts(&r), (2, 2, 2));
    assert_eq!(req(&r, "steady", "cpu"), 500);
    assert_eq!(req(&r, "peak", "memory"), 512 * MI);
    let names: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api"]);
    // Transient, one run each: Job import min(parallelism 3, completions 2) = 2 pods × 1 cpu;
    // CronJob 1 × 500m; hook Job 1 × 200m; hook test Pod 1 × 10m.
    let t = &r["transient"];
    assert_eq!(t["pods"]["value"], 5);
    // 2000 + 500 + 200 + 10 millicores.
    assert_eq!(t["requests"]["cpu"]["value"], 2710);
    // 2 × 1Gi + 512Mi + 128Mi + 16Mi.
    assert_eq!(
        t["requests"]["memory"]["value"],
        json!(2 * GI + 512 * MI + 128 * MI + 16 * MI)
    );
    let kinds: Vec<(&str, &str)> = r["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| !w["transient"].is_null())
        .map(|w| {
            (
                w["name"].as_str().unwrap(),
                w["transient"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("import", "Job"),
            ("report", "CronJob"),
            ("migrate", "hook:pre-install,pre-upgrade"),
            ("test-connection", "hook:test"),
        ]
    );

    let text = run(&["--manifests", "transient.yaml"]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.contains(
            "Not in the totals (Jobs, CronJobs, Helm hooks; one run each)\n\
             OBJECT               WHEN                          PODS   CPU  MEMORY\n\
             Job/import           job                              2     1     1Gi\n"
        ),
        "{}",
        text.stdout
    );
}

/// Objects without `metadata.namespace` land in the release namespace (`-n`, else
/// `$HELM_NAMESPACE`, else `default`); totals are also given per namespace; an HPA or a PDB only
/// applies to workloads of its own namespace.
#[test]
fn totals_are_split_by_namespace() {
    let r = report_with("namespaces.yaml", &["-n", "llm"], 0);
    assert_eq!(r["namespace"], "llm");
    let ns: Vec<&str> = r["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(ns, ["llm", "monitoring"]);
    let llm = &r["namespaces"][0];
    // gateway 2 × 100m (no namespace → llm) + router 2 × 200m (HPA min 2; the HPA names no
    // namespace and still applies to `namespace: llm`) = 600m, 4 pods; peak 200m + 6 × 200m.
    assert_eq!(pod_counts(llm), (4, 8, 4));
    assert_eq!(req(llm, "steady", "cpu"), 600);
    assert_eq!(req(llm, "peak", "cpu"), 1400);
    // gateway 2 × 128Mi + router 2 × 256Mi.
    assert_eq!(req(llm, "steady", "memory"), 768 * MI);
    let monitoring = &r["namespaces"][1];
    // The monitoring router is not scaled by the llm HPA: 1 pod, 300m; grafana's claim 8Gi.
    assert_eq!(pod_counts(monitoring), (1, 1, 1));
    assert_eq!(req(monitoring, "peak", "cpu"), 300);
    assert_eq!(storage(monitoring, "steady", "(default)"), 8 * GI);
    assert_eq!(pod_counts(&r), (5, 9, 5));
    // The PDB (llm) selects only the 2 llm router pods: minAvailable 2 of 2 blocks evictions.
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["code"], "pdb-blocks-eviction");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("minAvailable 2 of 2 pod(s)")
    );

    // HELM_NAMESPACE (set by Helm for plugins) is the release namespace too.
    let out = run_with(
        &fixtures(),
        &["--manifests", "namespaces.yaml", "-o", "json"],
        &[("HELM_NAMESPACE", "monitoring")],
        None,
    );
    let r: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(r["namespace"], "monitoring");
    // Now the HPA is in monitoring and scales that router; gateway joins monitoring.
    let monitoring = &r["namespaces"][1];
    assert_eq!(monitoring["name"], "monitoring");
    assert_eq!(pod_counts(monitoring), (4, 8, 4));
    // The llm router runs its own 1 replica.
    assert_eq!(pod_counts(&r["namespaces"][0]), (1, 1, 1));
}

/// Every report adds up: each scenario's overall amounts are the sums over `components[]` and
/// over `namespaces[]`.
#[test]
fn overall_totals_are_the_sums_of_components_and_namespaces() {
    for (fixture, extra) in [
        ("pod-resources.yaml", &[][..]),
        ("quantities.yaml", &[]),
        ("replicas.yaml", &["--daemonset-nodes", "7"]),
        ("namespaces.yaml", &["-n", "llm"]),
        ("llm-stack.yaml", &[]),
    ] {
        let r = report_with(fixture, extra, 0);
        for scope in ["components", "namespaces"] {
            let parts = r[scope].as_array().unwrap();
            for s in ["steady", "peak", "rollout"] {
                let sum_pods: u64 = parts.iter().map(|p| pods(p, s)).sum();
                assert_eq!(sum_pods, pods(&r, s), "{fixture} {scope} {s} pods");
                for side in ["requests", "storage"] {
                    for (res, q) in r["scenarios"][s][side].as_object().unwrap() {
                        let sum: i64 = parts
                            .iter()
                            .filter_map(|p| p["scenarios"][s][side][res]["value"].as_i64())
                            .sum();
                        assert_eq!(json!(sum), q["value"], "{fixture} {scope} {s} {side} {res}");
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input.
// ---------------------------------------------------------------------------------------------

fn findings(report: &Value) -> Vec<(String, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Each problem is a finding naming the object, its template and the field; the rest of the
/// stream is still counted. Errors (what the API server would reject) give exit 1.
#[test]
fn bad_documents_and_values_are_reported_and_the_rest_counted() {
    let r = report_with("bad-input.yaml", &[], 1);
    let expected: [(&str, u64, &str); 9] = [
        (
            "not-an-object",
            5,
            "a document that is a string is not a Kubernetes object",
        ),
        (
            "not-an-object",
            8,
            "a document that is a list is not a Kubernetes object",
        ),
        ("not-an-object", 12, "not a Kubernetes object: no kind"),
        (
            "quantity",
            37,
            "Deployment/malformed (app/templates/malformed.yaml): containers[app].resources.requests.cpu: quantity \"1.5.0\": unexpected '.' at byte 3: a quantity has at most one decimal point and its exponent is an integer",
        ),
        (
            "quantity",
            37,
            "Deployment/malformed (app/templates/malformed.yaml): containers[app].resources.limits.memory: quantity \"64MB\": unknown suffix \"MB\": quantities have no byte unit: write \"M\" (powers of 1000) or \"Mi\" (powers of 1024)",
        ),
        (
            "claim-size",
            50,
            "PersistentVolumeClaim/nosize (app/templates/claim.yaml): no spec.resources.requests.storage",
        ),
        (
            "request-above-limit",
            57,
            "Deployment/above-limit (app/templates/above-limit.yaml): container app: cpu request 2 is above its limit 1",
        ),
        (
            "request-above-limit",
            57,
            "Deployment/above-limit (app/templates/above-limit.yaml): container app: memory limit 1Gi is below its request 2Gi",
        ),
        (
            "extended-resource",
            71,
            "Deployment/gpu (app/templates/gpu.yaml): container vllm: nvidia.com/gpu request 1 differs from its limit 2",
        ),
    ];
    let got = findings(&r);
    let want: Vec<(String, u64, String)> = expected
        .iter()
        .map(|(c, l, m)| (c.to_string(), *l, m.to_string()))
        .collect();
    assert_eq!(got, want);
    let severities: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities,
        [
            "warning", "warning", "warning", "error", "error", "error", "error", "error", "error"
        ]
    );
    assert_eq!(
        r["summary"],
        json!({"errors": 6, "warnings": 3, "notes": 0})
    );
    // The CRD instance is listed, not fatal.
    assert_eq!(r["otherKinds"], json!({"ServiceMonitor": 1}));
    // Counted: good (2 × 100m), above-limit (2 cpu as written), gpu (4 cpu); malformed is
    // left out. 200 + 2000 + 4000 millicores.
    assert_eq!(pod_counts(&r), (4, 4, 4));
    assert_eq!(req(&r, "steady", "cpu"), 6200);
    assert_eq!(req(&r, "steady", "nvidia.com/gpu"), 1);
    assert_eq!(lim(&r, "steady", "nvidia.com/gpu"), Some(2));
    assert!(
        r["components"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "malformed")
    );

    // The text report says the same, in stream order, with file:line:col.
    let text = run(&["--manifests", "bad-input.yaml"]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains(
        "bad-input.yaml:50:1: error[claim-size]: PersistentVolumeClaim/nosize (app/templates/claim.yaml): no spec.resources.requests.storage\n  = hint: the API server rejects a claim without a size; set one (e.g. 10Gi)\n"
    ), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("Not counted (no pods or storage): ServiceMonitor ×1\n")
    );
    assert!(text.stderr.is_empty(), "{}", text.stderr);
}

/// Unknown kinds (CRDs) are listed under `otherKinds` and never fatal; `--manifests -` reads
/// stdin, named `<stdin>` in findings.
#[test]
fn unknown_kinds_are_listed_and_stdin_is_read() {
    let stream = "apiVersion: ray.io/v1\nkind: RayService\nmetadata: {name: serve}\nspec: {}\n---\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: a}\n---\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: b}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {cpu: 250m}}\n";
    let out = run_with(
        &fixtures(),
        &["--manifests", "-", "-o", "json"],
        &[],
        Some(stream),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(r["source"], "<stdin>");
    assert_eq!(
        r["otherKinds"],
        json!({"InferenceService": 2, "RayService": 1})
    );
    assert_eq!(req(&r, "steady", "cpu"), 250);
    // The pod requests no memory and limits nothing: a warning and a note, at stdin's lines.
    let f = findings(&r);
    assert_eq!(
        f.iter()
            .map(|(c, l, _)| (c.as_str(), *l))
            .collect::<Vec<_>>(),
        [("no-requests", 14), ("no-limits", 14)]
    );
    assert_eq!(r["findings"][0]["file"], "<stdin>");
}

/// A malformed quantity in a claim, pod-level resources or overhead names that field.
#[test]
fn malformed_quantities_name_the_field() {
    let stream = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  overhead: {cpu: lots}\n  resources: {limits: {memory: 1GB}}\n  initContainers:\n  - name: init\n    resources: {requests: {cpu: \"\"}}\n  containers:\n  - resources: {limits: {cpu: true}}\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  template: {spec: {containers: [{name: c, resources: {limits: {cpu: 1, memory: 1Gi}}}]}}\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {resources: {requests: {storage: 10 Gi}}}\n";
    let out = run_with(
        &fixtures(),
        &["--manifests", "-", "-o", "json"],
        &[],
        Some(stream),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let r: Value = serde_json::from_str(&out.stdout).unwrap();
    let messages: Vec<String> = findings(&r).into_iter().map(|(_, _, m)| m).collect();
    assert_eq!(
        messages,
        [
            "Pod/p: containers[0].resources.limits.cpu: \"true\" is not a quantity: expected a number with an optional suffix, e.g. \"500m\", \"2\", \"1.5Gi\" or \"1e3\"",
            "Pod/p: initContainers[init].resources.requests.cpu: empty quantity: expected a number with an optional suffix, e.g. \"500m\", \"2\", \"1Gi\"",
            "Pod/p: resources.limits.memory: quantity \"1GB\": unknown suffix \"GB\": quantities have no byte unit: write \"G\" (powers of 1000) or \"Gi\" (powers of 1024)",
            "Pod/p: overhead.cpu: \"lots\" is not a quantity: expected a number with an optional suffix, e.g. \"500m\", \"2\", \"1.5Gi\" or \"1e3\"",
            "StatefulSet/db: volumeClaimTemplate data: spec.resources.requests.storage: quantity \"10 Gi\": unexpected ' ' at byte 2: no spaces inside a quantity: write \"1Gi\", not \"1 Gi\"",
        ]
    );
    // The StatefulSet's pod still counts; its claim does not.
    assert_eq!(pod_counts(&r), (1, 1, 1));
    assert!(
        r["scenarios"]["steady"]["storage"]
            .as_object()
            .unwrap()
            .is_empty()
    );
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Input that cannot be read at all: exit 2, the reason on stderr, nothing on stdout.
#[test]
fn unreadable_manifests_exit_2() {
    let out = run(&["--manifests", "no-such-file.yaml"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (2, "", "error: no-such-file.yaml: no such file\n")
    );
    let dir = tempdir();
    std::fs::write(
        dir.path().join("latin1.yaml"),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n",
    )
    .unwrap();
    for format in ["text", "json"] {
        let out = run_with(
            dir.path(),
            &["--manifests", "latin1.yaml", "-o", format],
            &[],
            None,
        );
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (
                2,
                "",
                "error: latin1.yaml: not UTF-8 text (invalid byte at offset 51); save the manifests as UTF-8\n"
            )
        );
    }
    // A directory is not a manifests file.
    let out = run_with(dir.path(), &["--manifests", "."], &[], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("error: .: "), "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// `helm template`: HELM_BIN, flags passed through, failures.
// ---------------------------------------------------------------------------------------------

/// A fake Helm that records its arguments in `args.txt` next to itself, prints `stdout.yaml`
/// (if any) and `stderr.txt` (if any) from there, and exits with the code in `exit.txt`.
#[cfg(unix)]
fn fake_helm(dir: &Path, stdout: &str, stderr: &str, exit: i32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-helm");
    std::fs::write(dir.join("stdout.yaml"), stdout).unwrap();
    std::fs::write(dir.join("stderr.txt"), stderr).unwrap();
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\nd=$(dirname \"$0\")\nprintf '%s\\n' \"$@\" > \"$d/args.txt\"\ncat \"$d/stdout.yaml\"\ncat \"$d/stderr.txt\" >&2\nexit {exit}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[cfg(unix)]
fn helm_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args.txt"))
        .expect("the fake helm ran")
        .lines()
        .map(str::to_string)
        .collect()
}

/// `helm template` failing (a template error, a missing chart): its stderr is shown as is and
/// stackcheck exits 2.
#[cfg(unix)]
#[test]
fn a_failing_helm_template_shows_helms_error_and_exits_2() {
    let dir = tempdir();
    let helm_error = "Error: template: llm-stack/templates/deployment.yaml:12:20: executing \"llm-stack/templates/deployment.yaml\" at <.Values.image.tag>: nil pointer evaluating interface {}.tag\n";
    let bin = fake_helm(dir.path(), "", helm_error, 1);
    for format in ["text", "json"] {
        let out = run_with(
            dir.path(),
            &["--chart", "./llm-stack", "-o", format],
            &[("HELM_BIN", bin.to_str().unwrap())],
            None,
        );
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            format!("error: `helm template` failed (exit status: 1):\n{helm_error}")
        );
    }
    // Helm missing altogether: also exit 2, saying how to fix it.
    let out = run_with(
        dir.path(),
        &["--chart", "./llm-stack"],
        &[("HELM_BIN", "/nonexistent/helm")],
        None,
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: cannot run `/nonexistent/helm`: not found; install Helm or set HELM_BIN\n"
    );
}

/// HELM_BIN is the Helm that runs; the chart, release, namespace, version, `--kube-version`,
/// `--api-versions` and every value flag reach `helm template` unchanged; the chart defaults to
/// the directory holding the first values file. Positions in a stream the user never saw are
/// dropped: findings name the object and template instead.
#[cfg(unix)]
#[test]
fn helm_bin_is_honoured_and_value_flags_are_passed_through() {
    let dir = tempdir();
    let rendered = "---\n# Source: mychart/templates/web.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 4\n  template:\n    spec:\n      containers:\n      - name: web\n        resources: {requests: {cpu: 250m, memory: 256Mi}}\n";
    let bin = fake_helm(dir.path(), rendered, "", 0);
    std::fs::create_dir(dir.path().join("mychart")).unwrap();
    std::fs::write(
        dir.path().join("mychart/Chart.yaml"),
        "apiVersion: v2\nname: mychart\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("mychart/values-prod.yaml"), "replicas: 4\n").unwrap();
    let out = run_with(
        dir.path(),
        &[
            "mychart/values-prod.yaml",
            "-f",
            "extra.yaml",
            "--set",
            "a=1,b={x,y}",
            "--set-string",
            "tag=010",
            "--set",
            "c=2",
            "--set-json",
            "r={\"cpu\":\"1\"}",
            "--set-file",
            "cfg=config.txt",
            "--set-literal",
            "s=a,b",
            "--release",
            "prod",
            "--kube-version",
            "1.31.0",
            "-a",
            "route.openshift.io/v1",
            "-a",
            "monitoring.coreos.com/v1",
            "-o",
            "json",
        ],
        &[
            ("HELM_BIN", bin.to_str().unwrap()),
            ("HELM_NAMESPACE", "team-a"),
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        helm_args(dir.path()),
        [
            "template",
            "prod",
            "mychart",
            "--namespace",
            "team-a",
            "--kube-version",
            "1.31.0",
            "--api-versions",
            "route.openshift.io/v1",
            "--api-versions",
            "monitoring.coreos.com/v1",
            "--values",
            "mychart/values-prod.yaml",
            "--values",
            "extra.yaml",
            "--set",
            "a=1,b={x,y}",
            "--set",
            "c=2",
            "--set-string",
            "tag=010",
            "--set-file",
            "cfg=config.txt",
            "--set-json",
            "r={\"cpu\":\"1\"}",
            "--set-literal",
            "s=a,b",
        ]
    );
    let r: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(r["release"], "prod");
    assert_eq!(r["source"], "mychart");
    assert_eq!(r["namespace"], "team-a");
    // 4 replicas × 250m; rollout 4 + ceil(25% × 4) = 5 pods.
    assert_eq!(pod_counts(&r), (4, 4, 5));
    assert_eq!(req(&r, "steady", "cpu"), 1000);
    assert_eq!(r["workloads"][0]["template"], "mychart/templates/web.yaml");
    // The findings (no limits) carry no position in helm's output.
    let f = &r["findings"][0];
    assert_eq!(f["code"], "no-limits");
    assert_eq!(
        f["message"],
        "Deployment/web (mychart/templates/web.yaml): container web has no memory limit"
    );
    assert!(f.get("file").is_none() && f.get("line").is_none(), "{f:#}");

    // --chart and --version are passed as given.
    let out = run_with(
        dir.path(),
        &[
            "--chart",
            "oci://registry.example/charts/llm-stack",
            "--version",
            "1.2.0",
            "-n",
            "ai",
        ],
        &[("HELM_BIN", bin.to_str().unwrap())],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        helm_args(dir.path()),
        [
            "template",
            "release-name",
            "oci://registry.example/charts/llm-stack",
            "--version",
            "1.2.0",
            "--namespace",
            "ai",
        ]
    );
    assert!(out.stdout.starts_with(
        "Resources of release release-name (oci://registry.example/charts/llm-stack), namespace ai\n"
    ), "{}", out.stdout);
    // Text findings without a position name the object and template.
    assert!(out.stdout.contains(
        "note[no-limits]: Deployment/web (mychart/templates/web.yaml): container web has no memory limit\n"
    ), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// What people read: text and Markdown of a realistic release.
// ---------------------------------------------------------------------------------------------

const LLM_STACK: [&str; 8] = [
    "--manifests",
    "llm-stack.yaml",
    "--release",
    "llm",
    "-n",
    "ai",
    "--daemonset-nodes",
    "3",
];

#[test]
fn text_report_of_a_realistic_release() {
    let out = run(&LLM_STACK);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("llm_stack_text", out.stdout);
}

#[test]
fn markdown_report_of_a_realistic_release() {
    let mut args = LLM_STACK.to_vec();
    args.extend(["-o", "markdown"]);
    let out = run(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("llm_stack_markdown", out.stdout);
}

/// The numbers behind the snapshots, by hand.
#[test]
fn the_realistic_release_adds_up() {
    let mut args = LLM_STACK.to_vec();
    args.extend(["-o", "json"]);
    let out = run(&args);
    let r: Value = serde_json::from_str(&out.stdout).unwrap();
    // litellm: pod = max(500m, init 10m) = 500m, 1Gi; HPA 2..8; rollout 2 + ceil(0.5) = 3.
    // vllm: 8 cpu, 48Gi, 2 GPUs (limits-only), Recreate. postgresql: 250m × 1.
    // node-exporter: 10m × 3 nodes.
    // steady cpu: 2 × 500 + 8000 + 250 + 30 = 9280; peak: 8 × 500 + 8000 + 250 + 30 = 12280.
    assert_eq!(req(&r, "steady", "cpu"), 9280);
    assert_eq!(req(&r, "peak", "cpu"), 12_280);
    assert_eq!(req(&r, "rollout", "cpu"), 9780);
    // steady memory: 2Gi + 48Gi + 256Mi + 3 × 32Mi.
    assert_eq!(req(&r, "steady", "memory"), 50 * GI + 256 * MI + 96 * MI);
    assert_eq!(req(&r, "steady", "nvidia.com/gpu"), 2);
    // Only postgresql limits ephemeral-storage; the other pods may use any amount of it.
    assert_eq!(lim(&r, "steady", "ephemeral-storage"), None);
    assert_eq!(
        lim(
            component(&r, "postgresql/primary"),
            "steady",
            "ephemeral-storage"
        ),
        Some(2 * GI)
    );
    assert_eq!(req(&r, "steady", "ephemeral-storage"), 50 * MI);
    // Storage: 8Gi (one replica) on the default class, 200Gi on nfs-models.
    assert_eq!(storage(&r, "peak", "(default)"), 8 * GI);
    assert_eq!(storage(&r, "peak", "nfs-models"), 200 * GI);
    assert_eq!(
        r["otherKinds"],
        json!({"ConfigMap": 2, "Service": 3, "ServiceAccount": 1})
    );
}

// ---------------------------------------------------------------------------------------------
// The JSON contract: schemas/totals-report.schema.json.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_schema_is_valid_and_self_contained() {
    // Draft 2020-12, meta-valid, every $ref local (checked by the loader).
    let (schema, _) = common::report_schema("totals-report.schema.json");
    assert!(schema["properties"].is_object());
}

/// Regression (issue 17, item 20): an empty manifests file or stdin (a failed `helm template`
/// upstream in a pipe) was totalled as an empty release with exit 0; it is bad input (exit 2)
/// that says what to check.
#[test]
fn empty_manifests_are_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("empty.yaml"), "\n# nothing rendered\n---\n").expect("write");
    let file = run_with(dir.path(), &["--manifests", "empty.yaml"], &[], None);
    let stdin = run_with(dir.path(), &["--manifests", "-"], &[], Some(""));
    for (out, name) in [(file, "empty.yaml"), (stdin, "<stdin>")] {
        assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
        assert!(
            out.stderr
                .contains(&format!("{name}: no Kubernetes objects, nothing to check")),
            "{}",
            out.stderr
        );
    }
}

/// Regression (issue 17, item 5): `replicas: -3`, `"two"` and 2^31 were totalled as if valid
/// (exit 0); the API server refuses each, so each is an error finding in its words, exit 1.
#[test]
fn replicas_the_api_server_refuses_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deployment = |name: &str, replicas: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: {replicas}\n  template:\n    spec:\n      containers:\n      - {{name: c, image: busybox:1.37.0, resources: {{requests: {{cpu: 10m, memory: 8Mi}}, limits: {{memory: 8Mi}}}}}}\n"
        )
    };
    let text = [
        deployment("negative", "-3"),
        deployment("words", "\"two\""),
        deployment("too-many", "2147483648"),
        deployment("float", "2.0"),
    ]
    .join("---\n");
    std::fs::write(dir.path().join("replicas.yaml"), text).expect("write");
    let out = run_with(dir.path(), &["--manifests", "replicas.yaml"], &[], None);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = format!("{}{}", out.stdout, out.stderr);
    for want in [
        "error[replicas]: Deployment/negative: spec.replicas: Invalid value: -3: must be greater than or equal to 0",
        "error[replicas]: Deployment/words: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
        "error[replicas]: Deployment/too-many: json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32",
    ] {
        assert!(report.contains(want), "missing {want:?} in:\n{report}");
    }
    assert!(!report.contains("Deployment/float:"), "{report}");
    assert!(
        !report.contains("rollout-strategy"),
        "one finding per mistake: {report}"
    );
}

/// Regression (issue 17, item 1): sums beyond int64 made `-o json` panic ("number out of
/// range"); they are exact decimal strings now, as the schema says.
#[test]
fn sums_beyond_int64_are_exact_strings_in_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dir.path().join("huge.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: huge}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.37.0\n        resources: {requests: {cpu: 10m, memory: 7Ei}, limits: {memory: 7Ei}}\n",
    )
    .expect("write");
    let out = run_with(
        dir.path(),
        &["--manifests", "huge.yaml", "-o", "json"],
        &[],
        None,
    );
    assert!(
        out.code == 0 || out.code == 1,
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).expect("JSON");
    // 3 × 7Ei = 3 × 7 × 2^60 bytes.
    let want = (3u128 * 7 * (1u128 << 60)).to_string();
    assert_eq!(
        report["scenarios"]["steady"]["requests"]["memory"]["value"],
        json!(want)
    );
    assert_eq!(
        report["scenarios"]["steady"]["requests"]["cpu"]["value"],
        json!(30)
    );
    let errs = common::schema_errors(&validator(), &report);
    assert!(errs.is_empty(), "{errs:#?}");
}

/// Real outputs of every fixture, with and without findings, from a file, stdin and helm.
#[test]
fn real_outputs_match_the_schema() {
    let validator = validator();
    let mut reports = vec![
        report("pod-resources.yaml"),
        report("quantities.yaml"),
        report_with("replicas.yaml", &["--daemonset-nodes", "5"], 0),
        report("transient.yaml"),
        report_with("namespaces.yaml", &["-n", "llm"], 0),
        report_with("bad-input.yaml", &[], 1),
        report_with("llm-stack.yaml", &["--release", "llm"], 0),
    ];
    // An empty stream is bad input since issue 17 (item 20): no report, exit 2
    // (`empty_manifests_are_bad_input`).
    let empty = run_with(
        &fixtures(),
        &["--manifests", "-", "-o", "json"],
        &[],
        Some(""),
    );
    assert_eq!(empty.code, 2, "{}", empty.stderr);
    assert!(empty.stdout.is_empty(), "{}", empty.stdout);
    #[cfg(unix)]
    {
        let dir = tempdir();
        let bin = fake_helm(
            dir.path(),
            "# Source: c/templates/p.yaml\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n",
            "",
            0,
        );
        let out = run_with(
            dir.path(),
            &["--chart", "c", "-o", "json"],
            &[("HELM_BIN", bin.to_str().unwrap())],
            None,
        );
        reports.push(serde_json::from_str(&out.stdout).unwrap());
    }
    for r in &reports {
        let problems = common::schema_errors(&validator, r);
        assert!(
            problems.is_empty(),
            "{}: does not match schemas/totals-report.schema.json:\n{}",
            r["source"],
            problems.join("\n")
        );
        // What the schema cannot say: the summary counts the findings.
        for severity in ["error", "warning", "note"] {
            let n = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["severity"] == severity)
                .count();
            assert_eq!(r["summary"][format!("{severity}s")], json!(n));
        }
    }
}

#[test]
fn the_schema_rejects_renamed_missing_and_extra_fields() {
    let validator = validator();
    let base = report_with("bad-input.yaml", &[], 1);
    assert!(common::schema_errors(&validator, &base).is_empty());
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 14] = [
        ("version 2", |r| r["version"] = json!(2)),
        ("extra top-level field", |r| r["extra"] = json!(1)),
        ("daemonsetNodes renamed", |r| {
            let v = r.as_object_mut().unwrap().remove("daemonsetNodes").unwrap();
            r["daemonset_nodes"] = v;
        }),
        ("scenario missing", |r| {
            r["scenarios"].as_object_mut().unwrap().remove("peak");
        }),
        ("unknown scenario", |r| {
            r["scenarios"]["burst"] = r["scenarios"]["peak"].clone()
        }),
        ("value as a string", |r| {
            r["scenarios"]["steady"]["requests"]["cpu"]["value"] = json!("6200")
        }),
        ("value as a float", |r| {
            r["scenarios"]["steady"]["requests"]["cpu"]["value"] = json!(6.2)
        }),
        ("a request without a value", |r| {
            r["scenarios"]["steady"]["requests"]["cpu"]["value"] = Value::Null
        }),
        ("quantity missing", |r| {
            r["scenarios"]["steady"]["limits"]["cpu"]
                .as_object_mut()
                .unwrap()
                .remove("quantity");
        }),
        ("unbounded with a value", |r| {
            r["scenarios"]["steady"]["limits"]["cpu"] = json!({"value": 1, "quantity": "unbounded"})
        }),
        ("negative pods", |r| {
            r["scenarios"]["steady"]["pods"]["value"] = json!(-1)
        }),
        ("component without chart", |r| {
            r["components"][0].as_object_mut().unwrap().remove("chart");
        }),
        ("workload perNode renamed", |r| {
            let w = r["workloads"][0].as_object_mut().unwrap();
            let v = w.remove("perNode").unwrap();
            w.insert("per_node".into(), v);
        }),
        ("finding with an unknown severity", |r| {
            r["findings"][0]["severity"] = json!("fatal")
        }),
    ];
    common::assert_schema_rejects(&validator, &base, mutations);
}
