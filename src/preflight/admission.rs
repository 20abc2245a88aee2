//! What the API server's LimitRanger admission plugin does to the release's pods before they are
//! counted against a quota or scheduled: containers without requests or limits get the
//! namespace's `Container` defaults written in, and pods outside a `Container` min/max/ratio are
//! refused.
//!
//! Order matters and follows the API server: decoding defaults first (a container with only a
//! limit already requests it, `SetDefaults_Pod`), then LimitRanger (`mergeContainerResources`:
//! a default limit for each resource the container does not limit, a default request for each it
//! does not request), then ResourceQuota. A LimitRange's own defaults are completed as
//! `SetDefaults_LimitRangeItem` completes them (default limit ← max, default request ← default
//! limit, else ← min), so a hand-written snapshot means what the stored object would.
//!
//! Applied to the pod templates of the rendered objects, so totals, quotas and placement all see
//! the admitted pods. `Pod`-type items and PVC limits are not modelled.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::cluster::{Cluster, LimitRange};
use crate::diagnostic::{Code, Diagnostic};
use crate::quantity::Quantity;
use crate::render::manifest::Object;
use crate::workload::ResourceList;
use crate::workload::objects::WorkloadKind;

/// One `type: Container` item of a LimitRange, completed by the API server's defaulting.
#[derive(Debug, Default, Clone, PartialEq)]
struct ContainerLimits {
    /// `namespace/name` of the LimitRange.
    origin: String,
    default_limit: ResourceList,
    default_request: ResourceList,
    min: ResourceList,
    max: ResourceList,
    max_ratio: ResourceList,
}

/// Applies the LimitRanges of each object's namespace to its pod template (in place) and
/// reports the defaults written and the containers the API server would refuse.
pub fn apply_limit_ranges(
    objects: &mut [Object],
    cluster: &Cluster,
    release_namespace: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if cluster.limit_ranges.is_empty() {
        return out;
    }
    let mut by_namespace: BTreeMap<&str, Vec<ContainerLimits>> = BTreeMap::new();
    let mut ranges: Vec<&LimitRange> = cluster.limit_ranges.iter().collect();
    ranges.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    for lr in ranges {
        let items = container_items(lr, &mut out);
        by_namespace.entry(&lr.namespace).or_default().extend(items);
    }
    for object in objects.iter_mut() {
        let namespace = object.namespace().unwrap_or(release_namespace).to_string();
        let Some(items) = by_namespace
            .get(namespace.as_str())
            .filter(|items| !items.is_empty())
        else {
            continue;
        };
        let display = object.display_with_template();
        let span = object.span;
        let Some(spec) = pod_spec_mut(&mut object.json) else {
            continue;
        };
        for field in ["initContainers", "containers"] {
            let Some(containers) = spec.get_mut(field).and_then(Json::as_array_mut) else {
                continue;
            };
            for container in containers.iter_mut().filter_map(Json::as_object_mut) {
                let name = container
                    .get("name")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string();
                let who = format!("{display}: container {name}");
                for d in admit_container(container, items, &who) {
                    out.push(d.at(Some(span)));
                }
            }
        }
    }
    out
}

/// The pod spec inside a workload object, where `workload::objects` reads it.
fn pod_spec_mut(json: &mut Json) -> Option<&mut Map<String, Json>> {
    let kind = WorkloadKind::of(json["kind"].as_str()?)?;
    json.pointer_mut(kind.template_pointer())?
        .get_mut("spec")?
        .as_object_mut()
}

/// The `Container` items of a LimitRange, completed by `SetDefaults_LimitRangeItem`.
fn container_items(lr: &LimitRange, out: &mut Vec<Diagnostic>) -> Vec<ContainerLimits> {
    let origin = format!("{}/{}", lr.namespace, lr.name);
    let mut items = Vec::new();
    for item in &lr.limits {
        if item["type"] != "Container" {
            continue;
        }
        let mut list = |field: &str| -> ResourceList {
            let mut list = ResourceList::new();
            for (k, v) in item[field].as_object().into_iter().flatten() {
                match v.as_str().map(Quantity::parse) {
                    Some(Ok(q)) => {
                        list.insert(k.clone(), q);
                    }
                    _ => out.push(Diagnostic::warning(
                        Code::LimitRange,
                        format!(
                            "LimitRange {origin}: {field}.{k} is not a quantity ({v}); ignored"
                        ),
                    )),
                }
            }
            list
        };
        let mut limits = ContainerLimits {
            origin: origin.clone(),
            default_limit: list("default"),
            default_request: list("defaultRequest"),
            min: list("min"),
            max: list("max"),
            max_ratio: list("maxLimitRequestRatio"),
        };
        for (k, q) in &limits.max {
            limits.default_limit.entry(k.clone()).or_insert(*q);
        }
        for (k, q) in &limits.default_limit {
            limits.default_request.entry(k.clone()).or_insert(*q);
        }
        for (k, q) in &limits.min {
            limits.default_request.entry(k.clone()).or_insert(*q);
        }
        items.push(limits);
    }
    items
}

/// `mergeContainerResources` then `PodValidateLimitFunc` for one container.
fn admit_container(
    container: &mut Map<String, Json>,
    items: &[ContainerLimits],
    who: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut unwritten = Vec::new();
    let mut requests = quantities(container.get("resources").map(|r| &r["requests"]));
    let mut limits = quantities(container.get("resources").map(|r| &r["limits"]));
    // Decoding defaults come first: a limit without a request is also the request.
    for (k, q) in &limits {
        requests.entry(k.clone()).or_insert(*q);
    }
    for item in items {
        let mut set = Vec::new();
        for (k, q) in &item.default_limit {
            if limits.contains_key(k) {
                continue;
            }
            if let Some(r) = requests.get(k).filter(|r| *r > q) {
                // Validation after admission: requests must not exceed limits.
                out.push(
                    Diagnostic::error(
                        Code::LimitRange,
                        format!(
                            "{who}: LimitRange {} gives it a default {k} limit of {}, below its {k} request {}",
                            item.origin,
                            q.human(k),
                            r.human(k)
                        ),
                    )
                    .hint(format!("the API server rejects the pod (\"must be less than or equal to {k} limit\"): set a {k} limit of at least {} on the container", r.human(k))),
                );
                // Admitted (and checked against min/max) with it, but not written: the pod is
                // refused anyway, and a limit below the request would only add a second error.
                unwritten.push(k.clone());
            }
            limits.insert(k.clone(), *q);
            set.push(format!("limit {k} {}", q.human(k)));
        }
        for (k, q) in &item.default_request {
            if !requests.contains_key(k) {
                requests.insert(k.clone(), *q);
                set.push(format!("request {k} {}", q.human(k)));
            }
        }
        if !set.is_empty() {
            out.push(Diagnostic::note(
                Code::LimitRange,
                format!(
                    "{who}: LimitRange {} sets {} (counted as the API server would admit it)",
                    item.origin,
                    set.join(", ")
                ),
            ));
        }
    }
    for item in items {
        out.extend(violations(item, &requests, &limits, who));
    }
    if let Some(resources) = container
        .entry("resources")
        .or_insert_with(|| Json::Object(Map::new()))
        .as_object_mut()
    {
        write_list(resources, "requests", &requests);
        limits.retain(|k, _| !unwritten.contains(k));
        write_list(resources, "limits", &limits);
    }
    out
}

/// `minConstraint`, `maxConstraint` and `limitRequestRatioConstraint` for `type: Container`.
fn violations(
    item: &ContainerLimits,
    requests: &ResourceList,
    limits: &ResourceList,
    who: &str,
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (k, min) in &item.min {
        match requests.get(k) {
            None => problems.push(format!(
                "minimum {k} usage per Container is {}. No request is specified",
                min.human(k)
            )),
            Some(r) if r < min => problems.push(format!(
                "minimum {k} usage per Container is {}, but request is {}",
                min.human(k),
                r.human(k)
            )),
            _ => {}
        }
        if let Some(l) = limits.get(k)
            && l < min
        {
            problems.push(format!(
                "minimum {k} usage per Container is {}, but limit is {}",
                min.human(k),
                l.human(k)
            ));
        }
    }
    for (k, max) in &item.max {
        match limits.get(k) {
            None => problems.push(format!(
                "maximum {k} usage per Container is {}. No limit is specified",
                max.human(k)
            )),
            Some(l) if l > max => problems.push(format!(
                "maximum {k} usage per Container is {}, but limit is {}",
                max.human(k),
                l.human(k)
            )),
            _ => {}
        }
        if let Some(r) = requests.get(k)
            && r > max
        {
            problems.push(format!(
                "maximum {k} usage per Container is {}, but request is {}",
                max.human(k),
                r.human(k)
            ));
        }
    }
    for (k, ratio) in &item.max_ratio {
        let (Some(l), Some(r)) = (limits.get(k), requests.get(k)) else {
            continue;
        };
        // limit / request > ratio, in exact integers: limit × 10⁹ > ratio × request (nanounits).
        if r.is_zero() {
            continue;
        }
        let lhs = l.nanos().checked_mul(crate::quantity::NANOS_PER_UNIT);
        let rhs = ratio.nanos().checked_mul(r.nanos());
        if let (Some(lhs), Some(rhs)) = (lhs, rhs)
            && lhs > rhs
        {
            problems.push(format!(
                "{k} max limit to request ratio per Container is {}, but provided ratio is {}",
                ratio.human(k),
                ratio_text(l.nanos(), r.nanos())
            ));
        }
    }
    problems
        .into_iter()
        .map(|p| {
            Diagnostic::error(Code::LimitRange, format!("{who}: LimitRange {}: {p}", item.origin))
                .hint("the API server refuses these pods (403 Forbidden at create): change the container's resources, or ask for the LimitRange to be changed")
        })
        .collect()
}

/// `limit / request` with up to six decimals, as kubectl prints `%f`.
fn ratio_text(limit: i128, request: i128) -> String {
    let micro = limit.saturating_mul(1_000_000) / request;
    format!("{}.{:06}", micro / 1_000_000, micro % 1_000_000)
}

fn quantities(list: Option<&Json>) -> ResourceList {
    list.and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let q = match v {
                Json::String(s) => Quantity::parse(s).ok(),
                Json::Number(n) => Quantity::parse(&n.to_string()).ok(),
                _ => None,
            };
            q.map(|q| (k.clone(), q))
        })
        .collect()
}

/// Writes back only the keys that were missing, so a malformed quantity the user wrote is still
/// reported by the totals with its original text.
fn write_list(resources: &mut Map<String, Json>, field: &str, list: &ResourceList) {
    if list.is_empty() {
        return;
    }
    let target = resources
        .entry(field)
        .or_insert_with(|| Json::Object(Map::new()));
    if !target.is_object() {
        return;
    }
    if let Some(map) = target.as_object_mut() {
        for (k, q) in list {
            if !map.contains_key(k) {
                map.insert(k.clone(), Json::String(q.to_string()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::objects;
    use serde_json::json;

    fn cluster(limits: Json) -> Cluster {
        Cluster {
            limit_ranges: vec![LimitRange {
                namespace: "llm".into(),
                name: "defaults".into(),
                limits: limits.as_array().cloned().unwrap_or_default(),
            }],
            ..Cluster::default()
        }
    }

    fn resources(o: &Object, container: usize) -> Json {
        o.json["spec"]["template"]["spec"]["containers"][container]["resources"].clone()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: none\n      - name: limit-only\n        resources: {limits: {cpu: '2'}}\n      - name: both\n        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 64Mi}}\n";

    #[test]
    fn defaults_fill_only_what_a_container_lacks() {
        let mut objs = objects(DEPLOYMENT);
        let c = cluster(json!([{"type": "Container",
            "default": {"cpu": "1", "memory": "1Gi"},
            "defaultRequest": {"cpu": "250m", "memory": "256Mi"}}]));
        let diags = apply_limit_ranges(&mut objs, &c, "llm");
        assert_eq!(
            resources(&objs[0], 0),
            json!({"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}})
        );
        // The limit is already the request (decoding defaults run before admission); only the
        // memory the container does not name is defaulted.
        assert_eq!(
            resources(&objs[0], 1),
            json!({"requests": {"cpu": "2", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}})
        );
        assert_eq!(
            resources(&objs[0], 2),
            json!({"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi", "cpu": "1"}})
        );
        assert_eq!(diags.len(), 3, "{diags:?}");
        assert!(diags[0].message.contains("container none: LimitRange llm/defaults sets limit cpu 1, limit memory 1Gi, request cpu 250m, request memory 256Mi"), "{}", diags[0].message);
    }

    #[test]
    fn item_defaults_are_completed_as_the_api_server_stores_them() {
        let mut objs = objects(DEPLOYMENT);
        // max → default limit → default request; min → default request when still missing.
        let c =
            cluster(json!([{"type": "Container", "max": {"cpu": "4"}, "min": {"memory": "32Mi"}}]));
        apply_limit_ranges(&mut objs, &c, "llm");
        assert_eq!(
            resources(&objs[0], 0),
            json!({"requests": {"cpu": "4", "memory": "32Mi"}, "limits": {"cpu": "4"}})
        );
    }

    #[test]
    fn other_namespaces_and_pod_items_are_left_alone() {
        let mut objs = objects(DEPLOYMENT);
        let c = cluster(json!([{"type": "Pod", "max": {"cpu": "1"}}]));
        assert!(apply_limit_ranges(&mut objs, &c, "llm").is_empty());
        let c = cluster(json!([{"type": "Container", "default": {"cpu": "1"}}]));
        assert!(apply_limit_ranges(&mut objs, &c, "default").is_empty());
        assert_eq!(resources(&objs[0], 0), Json::Null);
    }

    #[test]
    fn violations_use_the_api_servers_words() {
        let mut objs = objects(DEPLOYMENT);
        let c = cluster(json!([{"type": "Container",
            "max": {"cpu": "1"}, "min": {"memory": "128Mi"}, "maxLimitRequestRatio": {"memory": "2"}}]));
        let diags = apply_limit_ranges(&mut objs, &c, "llm");
        let errors: Vec<&str> = diags
            .iter()
            .filter(|d| d.severity == crate::diagnostic::Severity::Error)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            errors,
            [
                "Deployment/web: container limit-only: LimitRange llm/defaults: maximum cpu usage per Container is 1, but limit is 2",
                "Deployment/web: container limit-only: LimitRange llm/defaults: maximum cpu usage per Container is 1, but request is 2",
                "Deployment/web: container both: LimitRange llm/defaults: minimum memory usage per Container is 128Mi, but request is 64Mi",
                "Deployment/web: container both: LimitRange llm/defaults: minimum memory usage per Container is 128Mi, but limit is 64Mi",
            ]
        );
        let mut objs = objects(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: llm}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {memory: 100Mi}, limits: {memory: 1Gi}}\n",
        );
        let c = cluster(json!([{"type": "Container", "maxLimitRequestRatio": {"memory": "2"}}]));
        let diags = apply_limit_ranges(&mut objs, &c, "default");
        assert_eq!(
            diags[0].message,
            "Pod/p: container c: LimitRange llm/defaults: memory max limit to request ratio per Container is 2, but provided ratio is 10.240000"
        );
    }

    #[test]
    fn a_default_limit_below_the_request_is_the_api_servers_rejection() {
        let mut objs = objects(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {cpu: '8'}}\n",
        );
        let c =
            cluster(json!([{"type": "Container", "default": {"cpu": "1"}, "max": {"cpu": "32"}}]));
        let diags = apply_limit_ranges(&mut objs, &c, "llm");
        let errors: Vec<&str> = diags
            .iter()
            .filter(|d| d.severity == crate::diagnostic::Severity::Error)
            .map(|d| d.message.as_str())
            .collect();
        // Only the validation error: with the default limit admitted, max is satisfied.
        assert_eq!(
            errors,
            [
                "Pod/big: container c: LimitRange llm/defaults gives it a default cpu limit of 1, below its cpu request 8"
            ]
        );
        assert_eq!(
            objs[0].json["spec"]["containers"][0]["resources"],
            json!({"requests": {"cpu": "8"}})
        );
    }
}
