//! Writing the model back in our snapshot format.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use super::decode::{self};
use super::{QUOTA_USAGE_UNKNOWN, SNAPSHOT_API_VERSION, SNAPSHOT_KIND};
use crate::cluster::model::{
    Cluster, Gap, LimitRange, Node, Pod, ResourceQuota, RuntimeClass, StorageClass,
};

/// The cluster in our snapshot format: a JSON object
///
/// ```json
/// {"apiVersion": "stackcheck.dev/v1", "kind": "ClusterSnapshot", "metadata": {"name": "cluster"},
///  "serverVersion": "v1.31.4", "apiVersions": ["apps/v1", "v1", ...],
///  "gaps": [{"what": "...", "why": "...", "affects": "..."}],
///  "items": [ ...Kubernetes-shaped objects... ]}
/// ```
///
/// whose items are the model's objects written back as slim Kubernetes objects (so the same
/// reader reads them): Nodes (labels, taints, `unschedulable`, allocatable, the Ready
/// condition), Pods (labels, scheduling fields, `nodeName`, and the pod's effective request as
/// the requests of one container named `requests`), StorageClasses (provisioner, binding mode,
/// `isDefault` instead of the annotation), ResourceQuotas (`status.hard`/`used`), LimitRanges
/// (`spec.limits`) and RuntimeClasses (handler, overhead, scheduling). Nothing else: no
/// annotations, images, commands, env values or Secrets.
pub fn write_snapshot(cluster: &Cluster) -> Json {
    let mut items = Vec::with_capacity(
        cluster.nodes.len()
            + cluster.pods.len()
            + cluster.storage_classes.len()
            + cluster.quotas.len()
            + cluster.limit_ranges.len()
            + cluster.runtime_classes.len(),
    );
    items.extend(cluster.nodes.iter().map(node_json));
    items.extend(cluster.pods.iter().map(pod_json));
    items.extend(cluster.storage_classes.iter().map(storage_class_json));
    items.extend(cluster.quotas.iter().map(|q| quota_json(q, &cluster.gaps)));
    items.extend(cluster.limit_ranges.iter().map(limit_range_json));
    items.extend(cluster.runtime_classes.iter().map(runtime_class_json));
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!(SNAPSHOT_API_VERSION));
    out.insert("kind".into(), json!(SNAPSHOT_KIND));
    // A name makes the file a Kubernetes-shaped object for YAML tools (and `parse_stream`);
    // the CLI may put the context's name and a creationTimestamp here.
    out.insert("metadata".into(), json!({"name": "cluster"}));
    if let Some(v) = &cluster.server_version {
        out.insert("serverVersion".into(), json!(v));
    }
    out.insert("apiVersions".into(), json!(cluster.api_versions));
    out.insert(
        "gaps".into(),
        Json::Array(
            cluster
                .gaps
                .iter()
                .map(|g| json!({"what": g.what, "why": g.why, "affects": g.affects}))
                .collect(),
        ),
    );
    out.insert("items".into(), Json::Array(items));
    Json::Object(out)
}

/// `metadata` with only name, namespace and labels.
pub(super) fn metadata(
    name: &str,
    namespace: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        m.insert("namespace".into(), json!(ns));
    }
    if !labels.is_empty() {
        m.insert("labels".into(), json!(labels));
    }
    Json::Object(m)
}

pub(super) fn object(api_version: &str, kind: &str, metadata: Json) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("apiVersion".into(), json!(api_version));
    m.insert("kind".into(), json!(kind));
    m.insert("metadata".into(), metadata);
    m
}

pub(super) fn node_json(n: &Node) -> Json {
    let mut o = object("v1", "Node", metadata(&n.name, None, &n.labels));
    let mut spec = Map::new();
    if n.unschedulable {
        spec.insert("unschedulable".into(), json!(true));
    }
    if !n.taints.is_empty() {
        spec.insert("taints".into(), json!(n.taints));
    }
    if !spec.is_empty() {
        o.insert("spec".into(), Json::Object(spec));
    }
    o.insert(
        "status".into(),
        json!({
            "allocatable": n.allocatable,
            "conditions": [{"type": "Ready", "status": if n.ready { "True" } else { "False" }}],
        }),
    );
    Json::Object(o)
}

pub(super) fn pod_json(p: &Pod) -> Json {
    let mut o = object(
        "v1",
        "Pod",
        metadata(&p.name, Some(&p.namespace), &p.labels),
    );
    let s = &p.scheduling;
    let mut spec = Map::new();
    if let Some(node) = &p.node {
        spec.insert("nodeName".into(), json!(node));
    }
    if let Some(v) = &s.scheduler_name {
        spec.insert("schedulerName".into(), json!(v));
    }
    if let Some(v) = &s.runtime_class_name {
        spec.insert("runtimeClassName".into(), json!(v));
    }
    if !s.node_selector.is_empty() {
        spec.insert("nodeSelector".into(), json!(s.node_selector));
    }
    if let Some(a) = &s.affinity {
        spec.insert("affinity".into(), a.clone());
    }
    if !s.tolerations.is_empty() {
        spec.insert("tolerations".into(), json!(s.tolerations));
    }
    if !s.topology_spread_constraints.is_empty() {
        spec.insert(
            "topologySpreadConstraints".into(),
            Json::Array(s.topology_spread_constraints.clone()),
        );
    }
    spec.insert(
        "containers".into(),
        json!([{"name": "requests", "resources": {"requests": p.requests}}]),
    );
    // The containers are not kept: record the scoring weight when they made it differ from the
    // one the requests alone give.
    if let Some((cpu, memory)) = p.non_zero
        && Some((cpu, memory)) != derived_non_zero(&p.requests)
    {
        spec.insert(
            "nonZeroRequests".into(),
            json!({"cpu": format!("{cpu}m"), "memory": memory.to_string()}),
        );
    }
    o.insert("spec".into(), Json::Object(spec));
    Json::Object(o)
}

/// The scoring weight a pod written with one container holding `requests` is read back with.
pub(super) fn derived_non_zero(requests: &crate::workload::ResourceList) -> Option<(i128, i128)> {
    let spec = crate::workload::PodSpec {
        containers: vec![crate::workload::Container {
            name: "requests".into(),
            resources: crate::workload::ResourceRequirements {
                requests: requests.clone(),
                limits: Default::default(),
            },
            restart_policy: None,
        }],
        ..Default::default()
    };
    crate::workload::pod_non_zero_requests(&spec).ok()
}

pub(super) fn storage_class_json(c: &StorageClass) -> Json {
    let mut o = object(
        "storage.k8s.io/v1",
        "StorageClass",
        metadata(&c.name, None, &BTreeMap::new()),
    );
    o.insert("provisioner".into(), json!(c.provisioner));
    o.insert("volumeBindingMode".into(), json!(c.binding_mode));
    if c.is_default {
        o.insert("isDefault".into(), json!(true));
    }
    Json::Object(o)
}

pub(super) fn quota_json(q: &ResourceQuota, gaps: &[Gap]) -> Json {
    let mut o = object(
        "v1",
        "ResourceQuota",
        metadata(&q.name, Some(&q.namespace), &BTreeMap::new()),
    );
    let what = decode::display("ResourceQuota", Some(&q.namespace), Some(&q.name));
    let used_unknown = gaps
        .iter()
        .any(|g| g.what == what && g.why == QUOTA_USAGE_UNKNOWN);
    let mut status = Map::new();
    status.insert("hard".into(), json!(q.hard));
    if !used_unknown {
        status.insert("used".into(), json!(q.used));
    }
    o.insert("status".into(), Json::Object(status));
    Json::Object(o)
}

pub(super) fn limit_range_json(r: &LimitRange) -> Json {
    let mut o = object(
        "v1",
        "LimitRange",
        metadata(&r.name, Some(&r.namespace), &BTreeMap::new()),
    );
    o.insert("spec".into(), json!({"limits": r.limits}));
    Json::Object(o)
}

pub(super) fn runtime_class_json(c: &RuntimeClass) -> Json {
    let mut o = object(
        "node.k8s.io/v1",
        "RuntimeClass",
        metadata(&c.name, None, &BTreeMap::new()),
    );
    o.insert("handler".into(), json!(c.handler));
    if !c.overhead.is_empty() {
        o.insert("overhead".into(), json!({"podFixed": c.overhead}));
    }
    let mut scheduling = Map::new();
    if !c.node_selector.is_empty() {
        scheduling.insert("nodeSelector".into(), json!(c.node_selector));
    }
    if !c.tolerations.is_empty() {
        scheduling.insert("tolerations".into(), json!(c.tolerations));
    }
    if !scheduling.is_empty() {
        o.insert("scheduling".into(), Json::Object(scheduling));
    }
    Json::Object(o)
}
