//! Preflight tests: every filter and operator, the scheduler's message formats, scoring and
//! placement scenarios. Expected messages are the strings kube-scheduler v1.34 produces
//! (`FitError.Error()`, each plugin's reason constants).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::filters::*;
use super::labels::*;
use super::score::*;
use super::terms::*;
use super::*;
use crate::cluster::model::scheduling_of;
use crate::cluster::{Node, Pod, Taint, Toleration};
use crate::workload::ResourceList;
use crate::workload::resources::is_extended_resource_name;

const ZONE: &str = "topology.kubernetes.io/zone";
const HOST: &str = "kubernetes.io/hostname";

fn res(pairs: &[(&str, &str)]) -> ResourceList {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn node_with(name: &str, alloc: &[(&str, &str)]) -> Node {
    Node {
        name: name.into(),
        labels: labels(&[(HOST, name)]),
        taints: vec![],
        unschedulable: false,
        ready: true,
        allocatable: res(alloc),
    }
}

/// 4 CPUs, 16Gi, 110 pods, 100Gi ephemeral storage.
fn node(name: &str) -> Node {
    node_with(
        name,
        &[
            ("cpu", "4"),
            ("memory", "16Gi"),
            ("pods", "110"),
            ("ephemeral-storage", "100Gi"),
        ],
    )
}

fn zoned(name: &str, zone: &str) -> Node {
    let mut n = node(name);
    n.labels.insert(ZONE.into(), zone.into());
    n
}

fn label(mut n: Node, k: &str, v: &str) -> Node {
    n.labels.insert(k.into(), v.into());
    n
}

fn tainted(mut n: Node, key: &str, value: Option<&str>, effect: &str) -> Node {
    n.taints.push(Taint {
        key: key.into(),
        value: value.map(Into::into),
        effect: effect.into(),
    });
    n
}

pub(crate) fn pod(name: &str, requests: &[(&str, &str)]) -> Pod {
    Pod {
        namespace: "default".into(),
        name: name.into(),
        labels: BTreeMap::new(),
        node: None,
        requests: res(requests),
        non_zero: None,
        scheduling: Default::default(),
    }
}

fn small(name: &str) -> Pod {
    pod(name, &[("cpu", "100m"), ("memory", "128Mi")])
}

fn with_labels(mut p: Pod, pairs: &[(&str, &str)]) -> Pod {
    p.labels = labels(pairs);
    p
}

pub(crate) fn in_ns(mut p: Pod, ns: &str) -> Pod {
    p.namespace = ns.into();
    p
}

fn with_spec(mut p: Pod, spec: Json) -> Pod {
    p.scheduling = scheduling_of(&spec).unwrap();
    p
}

pub(crate) fn on(mut p: Pod, node: &str) -> Pod {
    p.node = Some(node.into());
    p
}

fn states(nodes: Vec<Node>) -> Vec<NodeState> {
    nodes.into_iter().map(NodeState::new).collect()
}

fn cluster(nodes: Vec<Node>, pods: Vec<Pod>) -> Vec<NodeState> {
    NodeState::from_cluster(&nodes, &pods)
}

fn incoming(p: &Pod) -> Incoming {
    Incoming::new(p).unwrap()
}

fn placed(nodes: &mut [NodeState], p: &Pod) -> String {
    let r = place(nodes, p);
    let msg = r.message();
    r.node
        .unwrap_or_else(|| panic!("{} not placed: {msg:?}", p.name))
}

fn refused(nodes: &mut [NodeState], p: &Pod) -> String {
    let r = place(nodes, p);
    assert_eq!(r.node, None, "{} unexpectedly placed", p.name);
    r.message().unwrap()
}

fn toleration(
    key: Option<&str>,
    op: Option<&str>,
    value: Option<&str>,
    effect: Option<&str>,
) -> Toleration {
    Toleration {
        key: key.map(Into::into),
        operator: op.map(Into::into),
        value: value.map(Into::into),
        effect: effect.map(Into::into),
        toleration_seconds: None,
    }
}

fn taint(key: &str, value: Option<&str>, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        value: value.map(Into::into),
        effect: effect.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Node selectors

#[test]
fn node_selector_terms_and_match_fields() {
    let l = labels(&[("zone", "a"), ("gpu", "true")]);
    let term = |j: Json| NodeSelectorTerm::parse(&j).unwrap().unwrap();
    // matchFields metadata.name In / NotIn.
    let t = term(
        json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}),
    );
    assert!(t.matches("n1", &l) && !t.matches("n2", &l));
    assert_eq!(t.node_names(), Some(vec!["n1"]));
    let t = term(
        json!({"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]}),
    );
    assert!(!t.matches("n1", &l) && t.matches("n2", &l));
    assert_eq!(t.node_names(), None);
    // Expressions and fields in one term are ANDed.
    let t = term(json!({
        "matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}],
        "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]
    }));
    assert!(t.matches("n1", &l));
    assert!(!t.matches("n2", &l));
    assert!(!t.matches("n1", &labels(&[("zone", "b")])));
    // Field requirements take exactly one value and only In/NotIn.
    let bad = NodeSelectorTerm::parse(&json!({"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["n1", "n2"]}]}));
    assert!(bad.unwrap_err().to_string().contains("one element"));
    let bad = NodeSelectorTerm::parse(&json!({"matchFields": [
        {"key": "metadata.name", "operator": "Exists"}]}));
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("unsupported operator")
    );
    let bad = NodeSelectorTerm::parse(&json!({"matchFields": [
        {"key": "metadata.uid", "operator": "In", "values": ["x"]}]}));
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("not a valid field selector key")
    );
    // `Gt` with a non-integer value passes API validation but never matches.
    let t = term(json!({"matchExpressions": [{"key": "zone", "operator": "Gt", "values": ["a"]}]}));
    assert!(!t.matches("n1", &l));
    // Empty terms are skipped.
    assert_eq!(NodeSelectorTerm::parse(&json!({})).unwrap(), None);

    // Terms are ORed; nodeSelector is ANDed with them.
    let aff = RequiredNodeAffinity::parse(
        &labels(&[("gpu", "true")]),
        Some(&json!({"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
        ]})),
    )
    .unwrap();
    assert!(aff.matches("n1", &l), "second term");
    assert!(!aff.matches("n2", &l), "no term");
    assert!(aff.matches("n2", &labels(&[("zone", "b"), ("gpu", "true")])));
    assert!(
        !aff.matches("n2", &labels(&[("zone", "b")])),
        "nodeSelector"
    );
    assert_eq!(
        aff.node_names(),
        None,
        "a term without names allows every node"
    );
    // Required affinity whose terms are all empty matches nothing.
    let none =
        RequiredNodeAffinity::parse(&Labels::new(), Some(&json!({"nodeSelectorTerms": [{}]})))
            .unwrap();
    assert!(!none.matches("n1", &l));
    assert!(
        RequiredNodeAffinity::parse(&Labels::new(), None)
            .unwrap()
            .is_none()
    );
}

#[test]
fn resource_names_follow_the_scheduler() {
    let r = Resources::from_list(&res(&[
        ("cpu", "1500m"),
        ("memory", "1.1Ki"),
        ("nvidia.com/gpu", "2"),
        ("hugepages-2Mi", "4Mi"),
        ("example.com/foo", "100m"),
        ("foo", "5"),
        ("requests.example.com/x", "1"),
    ]));
    assert_eq!(r.milli_cpu, 1500);
    assert_eq!(r.memory, 1127, "Value() rounds up");
    assert_eq!(r.scalar("nvidia.com/gpu"), 2);
    assert_eq!(r.scalar("hugepages-2Mi"), 4 * 1024 * 1024);
    assert_eq!(r.scalar("example.com/foo"), 1, "Value() of 100m is 1");
    assert!(
        !r.scalar.contains_key("foo"),
        "unqualified names are not tracked"
    );
    assert!(!r.scalar.contains_key("requests.example.com/x"));
    assert!(is_extended_resource_name("amd.com/gpu"));
    assert!(!is_extended_resource_name("kubernetes.io/foo"));
    assert!(is_scalar_resource_name("kubernetes.io/foo"));
    assert!(is_scalar_resource_name("attachable-volumes-csi-x"));
}

// ---------------------------------------------------------------------------------------------
// Taints and tolerations

#[test]
fn toleration_semantics() {
    let gpu = taint("nvidia.com/gpu", Some("present"), "NoSchedule");
    let t = |k, o, v, e| toleration(k, o, v, e);
    assert!(tolerates(
        &t(Some("nvidia.com/gpu"), None, Some("present"), None),
        &gpu
    ));
    assert!(tolerates(
        &t(
            Some("nvidia.com/gpu"),
            Some("Equal"),
            Some("present"),
            Some("NoSchedule")
        ),
        &gpu
    ));
    assert!(!tolerates(
        &t(Some("nvidia.com/gpu"), Some("Equal"), Some("absent"), None),
        &gpu
    ));
    assert!(
        !tolerates(&t(Some("nvidia.com/gpu"), None, None, None), &gpu),
        "Equal with empty value"
    );
    assert!(tolerates(
        &t(Some("nvidia.com/gpu"), Some("Exists"), None, None),
        &gpu
    ));
    assert!(!tolerates(
        &t(
            Some("nvidia.com/gpu"),
            Some("Exists"),
            None,
            Some("NoExecute")
        ),
        &gpu
    ));
    assert!(
        tolerates(&t(None, Some("Exists"), None, None), &gpu),
        "empty key + Exists tolerates all"
    );
    assert!(!tolerates(
        &t(Some("other"), Some("Exists"), None, None),
        &gpu
    ));
    assert!(!tolerates(
        &t(Some("nvidia.com/gpu"), Some("Gt"), Some("1"), None),
        &gpu
    ));

    let taints = vec![
        taint("soft", None, "PreferNoSchedule"),
        taint("a", Some("1"), "NoExecute"),
        taint("b", None, "NoSchedule"),
    ];
    assert_eq!(
        first_untolerated(&taints, &[]).unwrap().key,
        "a",
        "PreferNoSchedule ignored; node order"
    );
    let tol_a = [t(Some("a"), Some("Exists"), None, None)];
    assert_eq!(first_untolerated(&taints, &tol_a).unwrap().key, "b");
}

#[test]
fn taint_toleration_filter_and_message() {
    let n = NodeState::new(tainted(
        node("g1"),
        "nvidia.com/gpu",
        Some("present"),
        "NoSchedule",
    ));
    let p = small("p");
    let r = taint_toleration(&n, &incoming(&p)).unwrap_err();
    assert_eq!(
        r.to_string(),
        "node(s) had untolerated taint {nvidia.com/gpu: present}"
    );
    assert!(r.unresolvable);
    let tolerant = with_spec(
        small("p"),
        json!({"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}),
    );
    assert!(taint_toleration(&n, &incoming(&tolerant)).is_ok());
    let soft = NodeState::new(tainted(node("s"), "spot", None, "PreferNoSchedule"));
    assert!(taint_toleration(&soft, &incoming(&p)).is_ok());
    let evict = NodeState::new(tainted(node("e"), "maint", None, "NoExecute"));
    assert_eq!(
        taint_toleration(&evict, &incoming(&p))
            .unwrap_err()
            .to_string(),
        "node(s) had untolerated taint {maint: }"
    );
}

#[test]
fn taint_wording_follows_the_scheduler_version() {
    use super::{TaintWording, UNTOLERATED_TAINTS};
    for (version, want) in [
        (None, TaintWording::PerTaint),
        (Some("v1.33.13"), TaintWording::PerTaint),
        (Some("v1.34.0"), TaintWording::PerTaint),
        (Some("v1.34.1+k3s1"), TaintWording::PerTaint),
        (Some("v1.34.2"), TaintWording::Folded),
        (Some("v1.34.4"), TaintWording::Folded),
        (Some("v1.35.0-eks-4a1b2c"), TaintWording::Folded),
        (Some("v1.35"), TaintWording::Folded),
        (Some("v2.0.0"), TaintWording::Folded),
        (Some("garbage"), TaintWording::PerTaint),
    ] {
        assert_eq!(
            TaintWording::for_server_version(version),
            want,
            "{version:?}"
        );
    }

    // Two taints on three nodes, one node short of cpu: the per-taint reasons fold into one
    // count, the other reasons stay, the details are kept.
    let gpu = |name| tainted(node(name), "nvidia.com/gpu", Some("present"), "NoSchedule");
    let mut nodes = states(vec![
        gpu("g1"),
        gpu("g2"),
        tainted(node("m"), "maint", None, "NoExecute"),
        node_with(
            "tiny",
            &[("cpu", "50m"), ("memory", "16Gi"), ("pods", "110")],
        ),
    ]);
    let p = small("p");
    let mut failure = place(&mut nodes, &p).failure.expect("no node fits");
    let per_taint = failure.message();
    failure.word_taints(TaintWording::PerTaint);
    assert_eq!(failure.message(), per_taint);
    assert!(per_taint.contains("2 node(s) had untolerated taint {nvidia.com/gpu: present}"));
    failure.word_taints(TaintWording::Folded);
    assert_eq!(
        failure.message(),
        format!("0/4 nodes are available: 1 Insufficient cpu, 3 {UNTOLERATED_TAINTS}.")
    );
    assert_eq!(failure.untolerated_taints.values().sum::<usize>(), 3);
    // Folding twice changes nothing.
    failure.word_taints(TaintWording::Folded);
    assert_eq!(failure.reasons[UNTOLERATED_TAINTS], 3);
}

#[test]
fn cordoned_and_not_ready_nodes() {
    let mut cordoned = node("a");
    cordoned.unschedulable = true;
    let mut not_ready = node("b");
    not_ready.ready = false;
    let p = small("p");
    let a = NodeState::new(cordoned.clone());
    let r = node_unschedulable(&a, &incoming(&p)).unwrap_err();
    assert_eq!(r.to_string(), "node(s) were unschedulable");
    let b = NodeState::new(not_ready.clone());
    assert_eq!(b.taints(), &[taint(TAINT_NOT_READY, None, "NoSchedule")]);
    assert_eq!(
        run_filters(
            &b,
            &incoming(&p),
            &CycleState::default(),
            &Namespaces::new()
        )
        .unwrap_err()
        .to_string(),
        "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
    );
    // A snapshot that already carries the controller's taint is not given a second one.
    let already = NodeState::new(tainted(
        not_ready.clone(),
        TAINT_UNREACHABLE,
        None,
        "NoSchedule",
    ));
    assert_eq!(already.taints().len(), 1);

    let mut nodes = states(vec![cordoned.clone(), not_ready.clone(), node("c")]);
    assert_eq!(placed(&mut nodes, &p), "c");
    let mut nodes = states(vec![cordoned.clone(), not_ready.clone()]);
    assert_eq!(
        refused(&mut nodes, &p),
        "0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, \
         1 node(s) were unschedulable."
    );
    // Tolerating the unschedulable taint lets a pod onto a cordoned node (as DaemonSets do).
    let ds = with_spec(
        small("ds"),
        json!({"tolerations": [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]}),
    );
    assert_eq!(placed(&mut nodes, &ds), "a");
    let everything = with_spec(
        small("all"),
        json!({"tolerations": [{"operator": "Exists"}]}),
    );
    let mut nodes = states(vec![not_ready]);
    assert_eq!(placed(&mut nodes, &everything), "b");
}

// ---------------------------------------------------------------------------------------------
// NodeResourcesFit

#[test]
fn resources_fit_per_resource_and_several_reasons() {
    let mut full = node_with("n", &[("cpu", "4"), ("memory", "16Gi"), ("pods", "1")]);
    full.labels.clear();
    let n = cluster(vec![full], vec![on(pod("old", &[("cpu", "1")]), "n")]);
    let big = pod("big", &[("cpu", "5"), ("memory", "32Gi")]);
    let r = node_resources_fit(&n[0], &incoming(&big)).unwrap_err();
    assert_eq!(
        r.reasons,
        vec![
            Reason::TooManyPods,
            Reason::Insufficient("cpu".into()),
            Reason::Insufficient("memory".into())
        ]
    );
    assert!(r.unresolvable, "5 CPUs exceed the node's 4 allocatable");
    let mut nodes = n;
    assert_eq!(
        refused(&mut nodes, &big),
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods."
    );
}

#[test]
fn resources_fit_exact_boundaries_and_units() {
    let n = cluster(
        vec![node_with(
            "n",
            &[
                ("cpu", "1"),
                ("memory", "1Gi"),
                ("pods", "10"),
                ("ephemeral-storage", "10Gi"),
            ],
        )],
        vec![on(
            pod("old", &[("cpu", "900m"), ("memory", "1023Mi")]),
            "n",
        )],
    );
    let fit = |p: Pod| node_resources_fit(&n[0], &incoming(&p));
    assert!(
        fit(pod("p", &[("cpu", "100m")])).is_ok(),
        "exactly the free CPU"
    );
    assert_eq!(
        fit(pod("p", &[("cpu", "101m")])).unwrap_err().reasons,
        vec![Reason::Insufficient("cpu".into())]
    );
    assert!(!fit(pod("p", &[("cpu", "101m")])).unwrap_err().unresolvable);
    assert!(fit(pod("p", &[("memory", "1Mi")])).is_ok());
    assert!(
        fit(pod("p", &[("memory", "1049089")])).is_err(),
        "1 MiB + 1 byte"
    );
    assert!(
        fit(pod("p", &[("ephemeral-storage", "11Gi")]))
            .unwrap_err()
            .unresolvable
    );
    // Extended resources the node does not advertise are insufficient; zero requests and
    // untracked names are not checked.
    let gpu = fit(pod("p", &[("nvidia.com/gpu", "1")])).unwrap_err();
    assert_eq!(gpu.to_string(), "Insufficient nvidia.com/gpu");
    assert!(gpu.unresolvable);
    assert!(fit(pod("p", &[("nvidia.com/gpu", "0")])).is_ok());
    assert!(fit(pod("p", &[("foo", "5")])).is_ok());
    assert_eq!(
        fit(pod("p", &[("hugepages-2Mi", "2Mi")]))
            .unwrap_err()
            .to_string(),
        "Insufficient hugepages-2Mi"
    );
    // A pod without requests only needs a pod slot.
    assert!(fit(pod("p", &[])).is_ok());
}

#[test]
fn cluster_wide_sum_fits_but_no_single_node_does() {
    // 3 nodes with 1 free CPU each: 3 CPUs free in total, but a 2-CPU pod fits nowhere.
    let nodes = vec![node("n1"), node("n2"), node("n3")];
    let pods = ["n1", "n2", "n3"]
        .iter()
        .map(|n| on(pod(&format!("busy-{n}"), &[("cpu", "3")]), n))
        .collect();
    let mut nodes = cluster(nodes, pods);
    let p = pod("p", &[("cpu", "2")]);
    let r = place(&mut nodes, &p);
    assert_eq!(r.node, None);
    let f = r.failure.unwrap();
    assert_eq!(f.message(), "0/3 nodes are available: 3 Insufficient cpu.");
    assert_eq!(
        f.full_message(),
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: \
         3 No preemption victims found for incoming pod."
    );
    assert_eq!(
        f.reasons,
        BTreeMap::from([("Insufficient cpu".to_string(), 3)])
    );
    // 1 CPU fits, and binding uses it up.
    assert!(place(&mut nodes, &pod("a", &[("cpu", "1")])).node.is_some());
    assert_eq!(
        nodes.iter().map(|n| n.requested().milli_cpu).sum::<i128>(),
        10_000
    );
}

// ---------------------------------------------------------------------------------------------
// Messages

#[test]
fn scheduler_message_format_and_order() {
    // The example of the issue: 2 GPU nodes with their GPU in use, 1 cordoned, 3 tainted.
    let gpu = |n: &str| {
        node_with(
            n,
            &[
                ("cpu", "8"),
                ("memory", "64Gi"),
                ("pods", "110"),
                ("nvidia.com/gpu", "1"),
            ],
        )
    };
    let mut cordoned = gpu("c1");
    cordoned.unschedulable = true;
    let t = |n: &str| tainted(gpu(n), "nvidia.com/gpu", Some("present"), "NoSchedule");
    let mut nodes = cluster(
        vec![gpu("g1"), gpu("g2"), cordoned, t("t1"), t("t2"), t("t3")],
        vec![
            on(pod("x1", &[("nvidia.com/gpu", "1")]), "g1"),
            on(pod("x2", &[("nvidia.com/gpu", "1")]), "g2"),
        ],
    );
    let p = pod("train", &[("cpu", "1"), ("nvidia.com/gpu", "1")]);
    let f = place(&mut nodes, &p).failure.unwrap();
    // Reasons are sorted as whole "<count> <reason>" strings.
    assert_eq!(
        f.message(),
        "0/6 nodes are available: 1 node(s) were unschedulable, 2 Insufficient nvidia.com/gpu, \
         3 node(s) had untolerated taint {nvidia.com/gpu: present}."
    );
    assert_eq!(
        f.full_message(),
        "0/6 nodes are available: 1 node(s) were unschedulable, 2 Insufficient nvidia.com/gpu, \
         3 node(s) had untolerated taint {nvidia.com/gpu: present}. preemption: 0/6 nodes are \
         available: 2 No preemption victims found for incoming pod, 4 Preemption is not helpful \
         for scheduling."
    );

    // Sorting is by bytes, not by count: "10 ..." before "2 ...".
    let mut f = FitError::new(12);
    for _ in 0..10 {
        f.record(&Rejection {
            reasons: vec![Reason::TooManyPods],
            unresolvable: false,
        });
    }
    for _ in 0..2 {
        f.record(&Rejection {
            reasons: vec![Reason::Insufficient("cpu".into())],
            unresolvable: true,
        });
    }
    assert_eq!(
        f.message(),
        "0/12 nodes are available: 10 Too many pods, 2 Insufficient cpu."
    );
    assert_eq!(
        f.preemption_message(),
        "preemption: 0/12 nodes are available: 10 No preemption victims found for incoming pod, \
         2 Preemption is not helpful for scheduling."
    );

    // No nodes at all.
    let r = place(&mut [], &p);
    assert_eq!(r.message().unwrap(), "no nodes available to schedule pods");
}

#[test]
fn every_reason_renders_as_the_scheduler_writes_it() {
    let cases = [
        (Reason::Unschedulable, "node(s) were unschedulable"),
        (
            Reason::NodeName,
            "node(s) didn't match the requested node name",
        ),
        (
            Reason::UntoleratedTaint {
                key: "k".into(),
                value: "v".into(),
            },
            "node(s) had untolerated taint {k: v}",
        ),
        (
            Reason::NodeAffinity,
            "node(s) didn't match Pod's node affinity/selector",
        ),
        (Reason::TooManyPods, "Too many pods"),
        (
            Reason::Insufficient("amd.com/gpu".into()),
            "Insufficient amd.com/gpu",
        ),
        (
            Reason::TopologySpread,
            "node(s) didn't match pod topology spread constraints",
        ),
        (
            Reason::TopologySpreadMissingLabel,
            "node(s) didn't match pod topology spread constraints (missing required label)",
        ),
        (
            Reason::PodAffinity,
            "node(s) didn't match pod affinity rules",
        ),
        (
            Reason::PodAntiAffinity,
            "node(s) didn't match pod anti-affinity rules",
        ),
        (
            Reason::ExistingPodsAntiAffinity,
            "node(s) didn't satisfy existing pods anti-affinity rules",
        ),
        (
            Reason::ExcludedByPreFilter("NodeAffinity".into()),
            "node(s) didn't satisfy plugin(s) [NodeAffinity]",
        ),
    ];
    for (r, s) in cases {
        assert_eq!(r.to_string(), s);
    }
}

// ---------------------------------------------------------------------------------------------
// NodeAffinity and NodeName

#[test]
fn node_selector_and_required_affinity_placement() {
    let mut nodes = states(vec![
        label(node("a"), "pool", "cpu"),
        label(
            label(node("b"), "pool", "gpu"),
            "nvidia.com/gpu.memory",
            "81920",
        ),
        label(
            label(node("c"), "pool", "gpu"),
            "nvidia.com/gpu.memory",
            "40960",
        ),
    ]);
    let sel = with_spec(small("sel"), json!({"nodeSelector": {"pool": "cpu"}}));
    assert_eq!(placed(&mut nodes, &sel), "a");
    let gt = |name: &str, op: &str| {
        with_spec(
            small(name),
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "nvidia.com/gpu.memory", "operator": op, "values": ["49152"]}]}]}}}}),
        )
    };
    assert_eq!(placed(&mut nodes, &gt("big", "Gt")), "b");
    assert_eq!(placed(&mut nodes, &gt("small", "Lt")), "c");
    let none = with_spec(small("none"), json!({"nodeSelector": {"pool": "tpu"}}));
    assert_eq!(
        refused(&mut nodes, &none),
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    );
    let f = place(&mut nodes, &none).failure.unwrap();
    assert!(
        f.preemption_message()
            .ends_with("3 Preemption is not helpful for scheduling.")
    );
}

#[test]
fn match_fields_restrict_nodes_in_pre_filter() {
    let names = |p: Pod, op: &str, values: Json| {
        with_spec(
            p,
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchFields": [
                    {"key": "metadata.name", "operator": op, "values": values}]}]}}}}),
        )
    };
    let mut nodes = states(vec![node("n1"), node("n2"), node("n3")]);
    assert_eq!(
        placed(&mut nodes, &names(small("p"), "In", json!(["n2"]))),
        "n2"
    );
    let notin = names(small("q"), "NotIn", json!(["n1"]));
    let r = find_feasible(&nodes, &incoming(&notin), &Namespaces::new());
    assert_eq!(r.0, vec![1, 2]);
    assert_eq!(
        r.1.reasons,
        BTreeMap::from([(Reason::NodeAffinity.to_string(), 1)])
    );
    // The named node is full: the others were never evaluated.
    let huge = names(pod("huge", &[("cpu", "3950m")]), "In", json!(["n2"]));
    assert_eq!(
        refused(&mut nodes, &huge),
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    );
    // Two name requirements in one term intersect; an empty intersection is a PreFilter failure.
    let conflict = with_spec(
        small("c"),
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": ["n1"]},
                {"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}}}),
    );
    let f = place(&mut nodes, &conflict).failure.unwrap();
    assert_eq!(
        f.full_message(),
        "0/3 nodes are available: pod affinity terms conflict. preemption: 0/3 nodes are \
         available: 3 Preemption is not helpful for scheduling."
    );
}

#[test]
fn node_name_filter() {
    let mut nodes = states(vec![node("n1"), node("n2")]);
    let p = with_spec(small("p"), json!({"nodeName": "n2"}));
    assert_eq!(placed(&mut nodes, &p), "n2");
    let p = with_spec(small("p"), json!({"nodeName": "gone"}));
    assert_eq!(
        refused(&mut nodes, &p),
        "0/2 nodes are available: 2 node(s) didn't match the requested node name."
    );
}

#[test]
fn gpu_taints_with_and_without_tolerations() {
    let gpu_node = tainted(
        node_with(
            "gpu",
            &[
                ("cpu", "32"),
                ("memory", "256Gi"),
                ("pods", "110"),
                ("nvidia.com/gpu", "8"),
            ],
        ),
        "nvidia.com/gpu",
        Some("present"),
        "NoSchedule",
    );
    let mut nodes = states(vec![node("cpu"), gpu_node]);
    let p = pod(
        "vllm",
        &[("cpu", "2"), ("memory", "8Gi"), ("nvidia.com/gpu", "2")],
    );
    assert_eq!(
        refused(&mut nodes, &p),
        "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, \
         1 node(s) had untolerated taint {nvidia.com/gpu: present}."
    );
    let p = with_spec(
        p,
        json!({"tolerations": [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}]}),
    );
    assert_eq!(placed(&mut nodes, &p), "gpu");
    // A CPU pod without the toleration stays off the GPU node.
    assert_eq!(placed(&mut nodes, &small("web")), "cpu");
}

// ---------------------------------------------------------------------------------------------
// InterPodAffinity

fn anti_self(p: Pod, app: &str, key: &str) -> Pod {
    with_spec(
        with_labels(p, &[("app", app)]),
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}]}}}),
    )
}

#[test]
fn anti_affinity_with_too_few_hosts() {
    let mut nodes = states(vec![node("n1"), node("n2")]);
    let a = placed(&mut nodes, &anti_self(small("web-0"), "web", HOST));
    let b = placed(&mut nodes, &anti_self(small("web-1"), "web", HOST));
    assert_ne!(a, b);
    let f = place(&mut nodes, &anti_self(small("web-2"), "web", HOST))
        .failure
        .unwrap();
    assert_eq!(
        f.full_message(),
        "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: \
         0/2 nodes are available: 2 No preemption victims found for incoming pod."
    );
    // A pod of another app is not repelled.
    assert!(
        place(&mut nodes, &anti_self(small("db-0"), "db", HOST))
            .node
            .is_some()
    );
}

#[test]
fn anti_affinity_by_zone() {
    let mut nodes = states(vec![zoned("a1", "a"), zoned("a2", "a"), zoned("b1", "b")]);
    let z = |n: &str| anti_self(small(n), "web", ZONE);
    let first = placed(&mut nodes, &z("w0"));
    let second = placed(&mut nodes, &z("w1"));
    assert_ne!(
        first.chars().next(),
        second.chars().next(),
        "different zones"
    );
    assert_eq!(
        refused(&mut nodes, &z("w2")),
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
    );
}

#[test]
fn existing_pods_anti_affinity() {
    let guard = anti_self(on(small("guard"), "n1"), "guard", HOST);
    // The guard repels app=web pods of its own namespace.
    let guard = with_spec(
        guard,
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": HOST}]}}}),
    );
    let web = with_labels(small("web"), &[("app", "web")]);
    let mut only = cluster(vec![node("n1")], vec![guard.clone()]);
    assert_eq!(
        refused(&mut only, &web),
        "0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules."
    );
    let mut two = cluster(vec![node("n1"), node("n2")], vec![guard.clone()]);
    assert_eq!(placed(&mut two, &web), "n2");
    // The term's namespaces default to the guard's own: a web pod elsewhere is not repelled.
    let mut only = cluster(vec![node("n1")], vec![guard]);
    assert_eq!(placed(&mut only, &in_ns(web, "other")), "n1");
}

#[test]
fn namespace_selector_in_affinity_terms() {
    let db = on(
        in_ns(with_labels(small("db"), &[("app", "db")]), "prod"),
        "n1",
    );
    let avoid = |sel: Json| {
        with_spec(
            small("p"),
            json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": HOST,
                 "namespaceSelector": sel}]}}}),
        )
    };
    let nodes = || cluster(vec![node("n1")], vec![db.clone()]);
    // By the name label every namespace has.
    let by_name = avoid(json!({"matchLabels": {"kubernetes.io/metadata.name": "prod"}}));
    assert!(place(&mut nodes(), &by_name).node.is_none());
    // `{}` selects all namespaces.
    assert!(place(&mut nodes(), &avoid(json!({}))).node.is_none());
    // Other namespace labels are only known when given.
    let by_team = avoid(json!({"matchLabels": {"team": "data"}}));
    assert_eq!(place(&mut nodes(), &by_team).node.as_deref(), Some("n1"));
    let mut ns = Namespaces::new();
    ns.insert("prod", labels(&[("team", "data")]));
    assert!(place_with(&mut nodes(), &by_team, &ns).node.is_none());
    // Explicit namespaces.
    let explicit = with_spec(
        small("p"),
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": HOST,
             "namespaces": ["prod"]}]}}}),
    );
    assert!(place(&mut nodes(), &explicit).node.is_none());
    // Namespaces are a set: a repeated name does not count an existing pod twice.
    let guard = with_spec(
        on(in_ns(small("guard"), "prod"), "n1"),
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": HOST,
             "namespaces": ["default", "default"]}]}}}),
    );
    let n = cluster(vec![node("n1")], vec![guard]);
    let web = incoming(&with_labels(small("w"), &[("app", "web")]));
    let s = affinity_pre_filter(&n, &web, &Namespaces::new());
    assert_eq!(s.existing_anti_affinity[HOST]["n1"], 1);
    // Without namespaces the term looks in the pod's own namespace only.
    let own = with_spec(
        small("p"),
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": HOST}]}}}),
    );
    assert_eq!(place(&mut nodes(), &own).node.as_deref(), Some("n1"));
}

fn affine(p: Pod, app: &str, key: &str) -> Pod {
    let mut p = with_spec(
        p,
        json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}]}}}),
    );
    if p.labels.is_empty() {
        p.labels = labels(&[("app", "web")]);
    }
    p
}

#[test]
fn pod_affinity_follows_matching_pods() {
    let db = on(with_labels(small("db"), &[("app", "db")]), "b1");
    let mut nodes = cluster(
        vec![zoned("a1", "a"), zoned("b1", "b"), zoned("b2", "b")],
        vec![db],
    );
    let web = affine(small("web"), "db", ZONE);
    let r = find_feasible(&nodes, &incoming(&web), &Namespaces::new());
    assert_eq!(r.0, vec![1, 2], "both zone-b nodes");
    assert_eq!(
        r.1.message(),
        "0/3 nodes are available: 1 node(s) didn't match pod affinity rules."
    );
    assert!(placed(&mut nodes, &web).starts_with('b'));
    // Nothing matches anywhere and the pod does not match itself: unschedulable.
    let lonely = affine(small("lonely"), "cache", ZONE);
    let f = place(&mut nodes, &lonely).failure.unwrap();
    assert_eq!(
        f.full_message(),
        "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 \
         nodes are available: 3 Preemption is not helpful for scheduling."
    );
    // A node without the topology key never satisfies affinity.
    let mut bare = cluster(
        vec![node("x")],
        vec![on(with_labels(small("db"), &[("app", "db")]), "x")],
    );
    assert_eq!(
        refused(&mut bare, &affine(small("w"), "db", ZONE)),
        "0/1 nodes are available: 1 node(s) didn't match pod affinity rules."
    );
}

#[test]
fn first_pod_of_a_self_affine_group_lands() {
    let mut nodes = states(vec![zoned("a1", "a"), zoned("b1", "b")]);
    let cache = |n: &str| affine(with_labels(small(n), &[("app", "cache")]), "cache", ZONE);
    let first = placed(&mut nodes, &cache("c0"));
    let second = placed(&mut nodes, &cache("c1"));
    assert_eq!(first, second, "the second follows the first into its zone");
}

// ---------------------------------------------------------------------------------------------
// PodTopologySpread

fn spread(p: Pod, key: &str, max_skew: i64, extra: Json) -> Pod {
    let mut c = json!({"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": "DoNotSchedule",
                       "labelSelector": {"matchLabels": {"app": "web"}}});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    let mut p = p;
    p.scheduling.topology_spread_constraints.push(c);
    if p.labels.is_empty() {
        p.labels = labels(&[("app", "web")]);
    }
    p
}

#[test]
fn topology_spread_skew() {
    let mut b1 = zoned("b1", "b");
    b1.allocatable.insert("pods".into(), "1".parse().unwrap());
    let mut nodes = states(vec![zoned("a1", "a"), b1]);
    let w = |n: &str| spread(small(n), ZONE, 1, json!({}));
    assert_eq!(placed(&mut nodes, &w("w0")), "a1", "tie, by name");
    assert_eq!(
        placed(&mut nodes, &w("w1")),
        "b1",
        "a1 would make the skew 2"
    );
    assert_eq!(
        placed(&mut nodes, &w("w2")),
        "a1",
        "b1 is full; skew 1 on a1"
    );
    assert_eq!(
        refused(&mut nodes, &w("w3")),
        "0/2 nodes are available: 1 Too many pods, 1 node(s) didn't match pod topology spread constraints."
    );
    // Pods the selector does not match do not count and are not constrained by their skew.
    let other = with_labels(small("o"), &[("app", "other")]);
    assert_eq!(placed(&mut nodes, &other), "a1");
}

#[test]
fn topology_spread_missing_label_and_min_domains() {
    let mut nodes = states(vec![zoned("a1", "a"), node("bare")]);
    let p = spread(small("w"), ZONE, 1, json!({}));
    let r = find_feasible(&nodes, &incoming(&p), &Namespaces::new());
    assert_eq!(r.0, vec![0]);
    assert_eq!(
        r.1.message(),
        "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label)."
    );
    assert_eq!(placed(&mut nodes, &p), "a1");

    // minDomains 2 with one zone: the global minimum counts as 0.
    let mut nodes = states(vec![zoned("a1", "a"), zoned("a2", "a")]);
    let md = |n: &str| spread(small(n), ZONE, 1, json!({"minDomains": 2}));
    placed(&mut nodes, &md("w0"));
    assert_eq!(
        refused(&mut nodes, &md("w1")),
        "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints."
    );
    // Without minDomains the one zone is its own minimum.
    assert!(
        place(&mut nodes, &spread(small("w2"), ZONE, 1, json!({})))
            .node
            .is_some()
    );
}

#[test]
fn topology_spread_node_inclusion_policies() {
    // nodeTaintsPolicy: Ignore (default) counts the tainted zone-b node as an empty domain.
    let nodes = || {
        states(vec![
            zoned("a1", "a"),
            tainted(zoned("b1", "b"), "dedicated", Some("x"), "NoSchedule"),
        ])
    };
    let mut n = nodes();
    let w = |name: &str, extra: Json| spread(small(name), ZONE, 1, extra);
    placed(&mut n, &w("w0", json!({})));
    assert_eq!(
        refused(&mut n, &w("w1", json!({}))),
        "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, \
         1 node(s) had untolerated taint {dedicated: x}."
    );
    let mut n = nodes();
    placed(&mut n, &w("w0", json!({"nodeTaintsPolicy": "Honor"})));
    assert_eq!(
        placed(&mut n, &w("w1", json!({"nodeTaintsPolicy": "Honor"}))),
        "a1"
    );

    // nodeAffinityPolicy: Honor (default) leaves out nodes the pod's nodeSelector excludes.
    let nodes = || {
        states(vec![
            label(zoned("a1", "a"), "pool", "blue"),
            label(zoned("b1", "b"), "pool", "red"),
        ])
    };
    let blue = |name: &str, extra: Json| {
        let mut p = small(name);
        p.scheduling.node_selector = labels(&[("pool", "blue")]);
        spread(p, ZONE, 1, extra)
    };
    let mut n = nodes();
    placed(&mut n, &blue("w0", json!({})));
    assert_eq!(placed(&mut n, &blue("w1", json!({}))), "a1");
    let mut n = nodes();
    placed(&mut n, &blue("w0", json!({"nodeAffinityPolicy": "Ignore"})));
    assert_eq!(
        refused(&mut n, &blue("w1", json!({"nodeAffinityPolicy": "Ignore"}))),
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, \
         1 node(s) didn't match pod topology spread constraints."
    );
}

#[test]
fn topology_spread_match_label_keys_and_namespaces() {
    let old = |n: &str| {
        on(
            with_labels(small(n), &[("app", "web"), ("pod-template-hash", "old")]),
            "a1",
        )
    };
    let nodes = || {
        cluster(
            vec![zoned("a1", "a"), zoned("b1", "b")],
            vec![old("o1"), old("o2")],
        )
    };
    let new = |extra: Json| {
        spread(
            with_labels(
                small("new"),
                &[("app", "web"), ("pod-template-hash", "new")],
            ),
            ZONE,
            1,
            extra,
        )
    };
    let feasible =
        |nodes: &[NodeState], p: &Pod| find_feasible(nodes, &incoming(p), &Namespaces::new()).0;
    assert_eq!(
        feasible(&nodes(), &new(json!({}))),
        vec![1],
        "the old revision counts"
    );
    assert_eq!(
        feasible(
            &nodes(),
            &new(json!({"matchLabelKeys": ["pod-template-hash"]}))
        ),
        vec![0, 1],
        "only the new revision counts"
    );
    // Pods of other namespaces never count.
    assert_eq!(
        feasible(&nodes(), &in_ns(new(json!({})), "other")),
        vec![0, 1]
    );
    // An empty selector counts no existing pods (the scheduler's `Selector.Empty()` check).
    let empty = with_spec(
        with_labels(small("e"), &[("app", "web")]),
        json!({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE,
               "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {}}]}),
    );
    assert_eq!(feasible(&nodes(), &empty), vec![0, 1]);
}

// ---------------------------------------------------------------------------------------------
// Scoring

#[test]
fn least_allocated_and_balanced_allocation() {
    let n = cluster(
        vec![node("n")],
        vec![on(pod("old", &[("cpu", "1"), ("memory", "4Gi")]), "n")],
    );
    let p = incoming(&pod("p", &[("cpu", "1"), ("memory", "4Gi")]));
    assert_eq!(least_allocated(&n[0], &p), 50);
    assert_eq!(balanced_allocation(&n[0], &p), Some(100));
    let p = incoming(&pod("p", &[("cpu", "2"), ("memory", "0")]));
    // cpu 3/4 = 0.75, memory 4/16 = 0.25 → std 0.25 → 75.
    assert_eq!(balanced_allocation(&n[0], &p), Some(75));
    // A best-effort pod: BalancedAllocation skips; LeastAllocated counts 100m / 200Mi.
    let be = incoming(&pod("be", &[]));
    assert_eq!(balanced_allocation(&n[0], &be), None);
    // cpu (4000-1100)*100/4000 = 72; memory (16Gi-4Gi-200Mi)*100/16Gi = 73; mean 72.
    assert_eq!(least_allocated(&n[0], &be), 72);
}

#[test]
fn normalization() {
    let mut s = vec![0, 2, 4];
    default_normalize(&mut s, false);
    assert_eq!(s, vec![0, 50, 100]);
    let mut s = vec![0, 2, 4];
    default_normalize(&mut s, true);
    assert_eq!(s, vec![100, 50, 0]);
    let mut s = vec![0, 0];
    default_normalize(&mut s, true);
    assert_eq!(s, vec![100, 100]);
    let mut s = vec![0, 0];
    default_normalize(&mut s, false);
    assert_eq!(s, vec![0, 0]);
}

#[test]
fn scoring_prefers_emptier_nodes_and_ties_by_name() {
    // Listed out of order: the tie goes to the smaller name.
    let mut nodes = states(vec![node("n2"), node("n1")]);
    assert_eq!(placed(&mut nodes, &small("p0")), "n1");
    assert_eq!(placed(&mut nodes, &small("p1")), "n2", "n1 is now fuller");
    assert_eq!(placed(&mut nodes, &small("p2")), "n1");
}

#[test]
fn scoring_avoids_prefer_no_schedule_and_follows_preferences() {
    let mut nodes = states(vec![
        tainted(node("a"), "spot", None, "PreferNoSchedule"),
        node("b"),
    ]);
    assert_eq!(placed(&mut nodes, &small("p")), "b");
    let tolerant = with_spec(
        small("t"),
        json!({"tolerations": [{"key": "spot", "operator": "Exists"}]}),
    );
    let s = score_nodes(&nodes, &[0, 1], &incoming(&tolerant), &Namespaces::new());
    assert_eq!((s[0].taint_toleration, s[1].taint_toleration), (100, 100));

    let mut nodes = states(vec![zoned("a1", "a"), zoned("b1", "b")]);
    let pref = with_spec(
        small("p"),
        json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [{"key": ZONE, "operator": "In", "values": ["b"]}]}}]}}}),
    );
    let s = score_nodes(&nodes, &[0, 1], &incoming(&pref), &Namespaces::new());
    assert_eq!((s[0].node_affinity, s[1].node_affinity), (0, 100));
    assert_eq!(placed(&mut nodes, &pref), "b1");
}

#[test]
fn scoring_soft_spread_and_preferred_pod_affinity() {
    let web = |n: &str, node: &str| on(with_labels(small(n), &[("app", "web")]), node);
    let nodes = cluster(
        vec![zoned("a1", "a"), zoned("b1", "b")],
        vec![web("w0", "a1"), web("w1", "a1")],
    );
    let soft = with_spec(
        with_labels(small("w2"), &[("app", "web")]),
        json!({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE,
               "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": {"app": "web"}}}]}),
    );
    // 2 domains → weight ln 4; a: round(2 × 1.386) = 3, b: 0 → normalized 0 and 100.
    let p = incoming(&soft);
    assert_eq!(
        topology_spread_scores(&nodes, &[0, 1], &p),
        Some(vec![0, 100])
    );
    let mut n = nodes.clone();
    assert_eq!(placed(&mut n, &soft), "b1");

    let near = with_spec(
        small("near"),
        json!({"affinity": {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": ZONE}}]}}}),
    );
    let p = incoming(&near);
    assert_eq!(
        inter_pod_affinity_scores(&nodes, &[0, 1], &p, &Namespaces::new()),
        Some(vec![100, 0])
    );
    let mut n = nodes.clone();
    assert_eq!(placed(&mut n, &near), "a1", "despite a1 being fuller");

    // Existing pods' required affinity attracts matching pods (hard weight 1).
    let follower = with_spec(
        on(with_labels(small("f"), &[("app", "f")]), "b1"),
        json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "leader"}}, "topologyKey": ZONE}]}}}),
    );
    let n = cluster(vec![zoned("a1", "a"), zoned("b1", "b")], vec![follower]);
    let leader = incoming(&with_labels(small("l"), &[("app", "leader")]));
    assert_eq!(
        inter_pod_affinity_scores(&n, &[0, 1], &leader, &Namespaces::new()),
        Some(vec![0, 100])
    );
    let nobody = incoming(&small("x"));
    assert_eq!(
        inter_pod_affinity_scores(&n, &[0, 1], &nobody, &Namespaces::new()),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Node state, parsing

#[test]
fn from_parts_equals_from_cluster() {
    let nodes = vec![node("n1"), node("n2")];
    let pods = vec![
        on(anti_self(small("a"), "web", HOST), "n1"),
        on(in_ns(small("b"), "x"), "n2"),
        on(small("c"), "nowhere"),
    ];
    let by_ref = NodeState::from_cluster(&nodes, &pods);
    let owned = NodeState::from_parts(nodes, pods);
    for (a, b) in by_ref.iter().zip(&owned) {
        assert_eq!(a.pods(), b.pods());
        assert_eq!(a.requested(), b.requested());
    }
}

#[test]
fn node_state_from_cluster() {
    let pods = vec![
        on(pod("a", &[("cpu", "1"), ("nvidia.com/gpu", "1")]), "n1"),
        on(in_ns(pod("b", &[("cpu", "500m")]), "kube-system"), "n1"),
        on(pod("lost", &[("cpu", "1")]), "gone"),
        pod("unbound", &[("cpu", "1")]),
    ];
    let nodes = cluster(vec![node("n1"), node("n2")], pods);
    assert_eq!(nodes[0].pod_count(), 2);
    assert_eq!(nodes[0].requested().milli_cpu, 1500);
    assert_eq!(nodes[0].requested().scalar("nvidia.com/gpu"), 1);
    assert_eq!(
        nodes[0].non_zero_requested(),
        (1500, 2 * DEFAULT_MEMORY_REQUEST)
    );
    assert_eq!(nodes[0].pods_in("kube-system").count(), 1);
    assert_eq!(nodes[1].pod_count(), 0);
    assert_eq!(nodes[0].allocatable().pods, 110);
}

#[test]
fn invalid_pods_are_reported_not_placed() {
    let mut nodes = states(vec![node("n1")]);
    let expr = |op: &str, values: Json| {
        with_spec(
            small("bad"),
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "n", "operator": op, "values": values}]}]}}}}),
        )
    };
    let msg = refused(&mut nodes, &expr("Foo", json!(["1"])));
    assert!(
        msg.starts_with("0/1 nodes are available: invalid pod: nodeAffinity.required:"),
        "{msg}"
    );
    assert!(
        refused(&mut nodes, &expr("Gt", json!(["-5"]))).contains("invalid pod"),
        "not a label value"
    );
    assert!(refused(&mut nodes, &expr("In", json!([]))).contains("can't be empty"));
    // `Gt: x` passes API validation but the scheduler cannot parse it: the term never matches.
    assert_eq!(
        refused(&mut nodes, &expr("Gt", json!(["x"]))),
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
    );
    let bad = with_spec(
        small("bad"),
        json!({"topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule"}]}),
    );
    assert!(refused(&mut nodes, &bad).contains("maxSkew must be greater than zero"));
    let bad = with_spec(
        small("bad"),
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "x"}}}]}}}),
    );
    assert!(refused(&mut nodes, &bad).contains("topologyKey is required"));
}

#[test]
fn affinity_match_label_keys_are_merged() {
    // Only pods of the same revision repel each other.
    let p = |n: &str, rev: &str| {
        with_spec(
            with_labels(small(n), &[("app", "web"), ("rev", rev)]),
            json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": HOST,
                 "matchLabelKeys": ["rev"]}]}}}),
        )
    };
    let mut nodes = states(vec![node("n1")]);
    placed(&mut nodes, &p("a", "1"));
    assert!(place(&mut nodes, &p("b", "1")).node.is_none());
    assert_eq!(placed(&mut nodes, &p("c", "2")), "n1");
}

// ---------------------------------------------------------------------------------------------
// Sampling on large clusters

/// `n-0000`...: 4 CPUs, 8Gi, 110 pods.
fn numbered(i: usize) -> Node {
    node_with(
        &format!("n-{i:04}"),
        &[("cpu", "4"), ("memory", "8Gi"), ("pods", "110")],
    )
}

#[test]
fn the_number_of_feasible_nodes_to_find_is_the_schedulers() {
    // numFeasibleNodesToFind with percentageOfNodesToScore unset (adaptive).
    for (all, find) in [
        (0, 0),
        (99, 99),
        (100, 100),
        (250, 120),
        (1000, 420),
        (5000, 500),
        (6000, 300),
        (20000, 1000),
    ] {
        assert_eq!(num_feasible_nodes_to_find(all), find, "{all} nodes");
    }
}

#[test]
fn on_large_clusters_the_search_stops_early_and_rotates() {
    let mut nodes: Vec<NodeState> = (0..1000).map(|i| NodeState::new(numbered(i))).collect();
    let pod = pod("p", &[]);
    let mut cursor = Cursor::default();
    let first = place_from(&mut nodes, &pod, &Namespaces::default(), &mut cursor);
    assert_eq!(first.feasible_nodes, 420, "42% of 1000 nodes");
    assert_eq!(cursor.next_start_node_index, 420);
    let second = place_from(&mut nodes, &pod, &Namespaces::default(), &mut cursor);
    assert_eq!(second.feasible_nodes, 420);
    assert_eq!(cursor.next_start_node_index, 840);
    // The second search started at node 420: its choice is among n-0420..n-0839.
    let chosen = second.node.expect("placed");
    assert!(("n-0420".."n-0840").contains(&chosen.as_str()), "{chosen}");
    // `find_feasible` (diagnosis) examines every node.
    let incoming = Incoming::new(&pod).expect("pod");
    assert_eq!(
        find_feasible(&nodes, &incoming, &Namespaces::default())
            .0
            .len(),
        1000
    );
}

#[test]
fn a_pod_that_fits_nowhere_is_checked_against_every_node() {
    let mut nodes: Vec<NodeState> = (0..1000).map(|i| NodeState::new(numbered(i))).collect();
    let pod = pod("big", &[("cpu", "5")]);
    let mut cursor = Cursor {
        next_start_node_index: 700,
    };
    let r = place_from(&mut nodes, &pod, &Namespaces::default(), &mut cursor);
    assert_eq!(
        r.message().as_deref(),
        Some("0/1000 nodes are available: 1000 Insufficient cpu.")
    );
    assert_eq!(
        cursor.next_start_node_index, 700,
        "all 1000 processed: back where it started"
    );
}
