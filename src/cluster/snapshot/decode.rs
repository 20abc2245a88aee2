//! One Kubernetes object → the slim model, in a single serde pass.
//!
//! [`Item`] deserializes any object of a snapshot. Once `kind` (and `apiVersion`) are known it
//! decodes `spec`/`status`/... straight into slim structs for that kind and skips everything
//! else (`IgnoredAny`: images, env, annotations, managedFields never become allocations). kubectl
//! prints keys sorted, so `apiVersion` and `kind` come before `metadata`, `spec` and `status`;
//! fields written before `kind` (hand-written files) are kept as JSON and decoded at the end.
//!
//! The same code reads from a `serde_json` byte stream (the fast path for JSON files) and from a
//! `serde_json::Value` (YAML documents after the API server's YAML→JSON step).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value as Json;

use crate::cluster::model::{
    LimitRange, Node, Pod, ResourceQuota, RuntimeClass, Scheduling, StorageClass, Taint, Toleration,
};
use crate::workload::{Container, PodSpec, ResourceList, ResourceRequirements};

/// The object kinds the preflight reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Node,
    Pod,
    StorageClass,
    ResourceQuota,
    LimitRange,
    RuntimeClass,
}

impl Kind {
    /// The kind for `apiVersion` + `kind`, if the preflight reads it. A missing `apiVersion`
    /// (items of a raw `NodeList`, hand-written files) matches by kind alone; a different group
    /// (`longhorn.io/v1beta2` `Node`) does not match.
    pub fn of(api_version: Option<&str>, kind: &str) -> Option<Kind> {
        let group = api_version.map(|v| v.rsplit_once('/').map_or("", |(g, _)| g));
        let (k, expected) = match kind {
            "Node" => (Kind::Node, ""),
            "Pod" => (Kind::Pod, ""),
            "ResourceQuota" => (Kind::ResourceQuota, ""),
            "LimitRange" => (Kind::LimitRange, ""),
            "StorageClass" => (Kind::StorageClass, "storage.k8s.io"),
            "RuntimeClass" => (Kind::RuntimeClass, "node.k8s.io"),
            _ => return None,
        };
        match group {
            Some(g) if g != expected => None,
            _ => Some(k),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::StorageClass => "StorageClass",
            Kind::ResourceQuota => "ResourceQuota",
            Kind::LimitRange => "LimitRange",
            Kind::RuntimeClass => "RuntimeClass",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Slim Kubernetes shapes.

#[derive(Debug, Default, Deserialize)]
pub struct Meta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<Annotations>,
}

/// Only the annotations the preflight reads, the default-class one and its beta predecessor
/// (`util.IsDefaultAnnotation`); every other one is skipped unread.
#[derive(Debug, Default, Deserialize)]
pub struct Annotations {
    #[serde(rename = "storageclass.kubernetes.io/is-default-class")]
    pub default_class: Option<Json>,
    #[serde(rename = "storageclass.beta.kubernetes.io/is-default-class")]
    pub beta_default_class: Option<Json>,
}

#[derive(Debug, Default, Deserialize)]
struct NodeSpec {
    unschedulable: Option<bool>,
    taints: Option<Vec<Taint>>,
}

#[derive(Debug, Default, Deserialize)]
struct Condition {
    #[serde(rename = "type")]
    type_: Option<String>,
    status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct NodeStatus {
    allocatable: Option<ResourceList>,
    capacity: Option<ResourceList>,
    conditions: Option<Vec<Condition>>,
}

/// The spec of a pod already in the cluster: what `PodRequests` reads, its node, and what
/// kube-scheduler reads of an *existing* pod when it places a new one: its pod (anti-)affinity
/// terms (InterPodAffinity filters on existing pods' required anti-affinity and scores their
/// preferred terms). Its nodeSelector, node affinity, tolerations and spread constraints only
/// ever decided where that pod itself went, so they are skipped unread (on a 150,000-pod cluster
/// they were two thirds of the model's memory).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodSpecIn {
    containers: Option<Vec<Container>>,
    init_containers: Option<Vec<Container>>,
    resources: Option<ResourceRequirements>,
    overhead: Option<ResourceList>,
    affinity: Option<PodAffinities>,
    node_name: Option<String>,
    /// Our own format only: the pod's scoring weight, when its containers (which the format
    /// does not keep) made it differ from the one its requests alone give.
    non_zero_requests: Option<ResourceList>,
}

/// `spec.affinity` without `nodeAffinity`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodAffinities {
    pod_affinity: Option<Json>,
    pod_anti_affinity: Option<Json>,
}

impl PodAffinities {
    fn into_json(self) -> Option<Json> {
        let mut m = serde_json::Map::new();
        if let Some(a) = self.pod_affinity.filter(|a| !a.is_null()) {
            m.insert("podAffinity".into(), a);
        }
        if let Some(a) = self.pod_anti_affinity.filter(|a| !a.is_null()) {
            m.insert("podAntiAffinity".into(), a);
        }
        (!m.is_empty()).then_some(Json::Object(m))
    }
}

#[derive(Debug, Default, Deserialize)]
struct PodStatus {
    phase: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QuotaSpec {
    hard: Option<ResourceList>,
    scopes: Option<Vec<String>>,
    scope_selector: Option<Json>,
}

#[derive(Debug, Default, Deserialize)]
struct QuotaStatus {
    hard: Option<ResourceList>,
    used: Option<ResourceList>,
}

#[derive(Debug, Default, Deserialize)]
struct LimitRangeSpec {
    limits: Option<Vec<Json>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Overhead {
    pod_fixed: Option<ResourceList>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeScheduling {
    node_selector: Option<BTreeMap<String, String>>,
    tolerations: Option<Vec<Toleration>>,
}

/// The kind-specific part of an object, filled field by field.
#[derive(Debug, Default)]
enum Body {
    /// `kind` not seen yet.
    #[default]
    Unknown,
    /// A kind the preflight does not read.
    Ignored,
    Node {
        spec: NodeSpec,
        status: NodeStatus,
    },
    Pod {
        spec: PodSpecIn,
        status: PodStatus,
    },
    StorageClass {
        provisioner: Option<String>,
        binding_mode: Option<String>,
        /// Our snapshot format's `isDefault`.
        is_default: Option<bool>,
    },
    ResourceQuota {
        spec: QuotaSpec,
        status: QuotaStatus,
    },
    LimitRange {
        spec: LimitRangeSpec,
    },
    RuntimeClass {
        handler: Option<String>,
        overhead: Overhead,
        scheduling: RuntimeScheduling,
    },
}

impl Body {
    fn for_kind(kind: Option<Kind>) -> Body {
        match kind {
            None => Body::Ignored,
            Some(Kind::Node) => Body::Node {
                spec: NodeSpec::default(),
                status: NodeStatus::default(),
            },
            Some(Kind::Pod) => Body::Pod {
                spec: PodSpecIn::default(),
                status: PodStatus::default(),
            },
            Some(Kind::StorageClass) => Body::StorageClass {
                provisioner: None,
                binding_mode: None,
                is_default: None,
            },
            Some(Kind::ResourceQuota) => Body::ResourceQuota {
                spec: QuotaSpec::default(),
                status: QuotaStatus::default(),
            },
            Some(Kind::LimitRange) => Body::LimitRange {
                spec: LimitRangeSpec::default(),
            },
            Some(Kind::RuntimeClass) => Body::RuntimeClass {
                handler: None,
                overhead: Overhead::default(),
                scheduling: RuntimeScheduling::default(),
            },
        }
    }

    /// Decode the value of `key` into this body (or skip it).
    fn field<'de, D: Deserializer<'de>>(&mut self, key: Key, d: D) -> Result<(), D::Error> {
        fn or_default<'de, T: Deserialize<'de> + Default, D: Deserializer<'de>>(
            d: D,
        ) -> Result<T, D::Error> {
            Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
        }
        match (self, key) {
            (Body::Node { spec, .. }, Key::Spec) => *spec = or_default(d)?,
            (Body::Node { status, .. }, Key::Status) => *status = or_default(d)?,
            (Body::Pod { spec, .. }, Key::Spec) => *spec = or_default(d)?,
            (Body::Pod { status, .. }, Key::Status) => *status = or_default(d)?,
            (Body::StorageClass { provisioner, .. }, Key::Provisioner) => {
                *provisioner = Deserialize::deserialize(d)?
            }
            (Body::StorageClass { binding_mode, .. }, Key::VolumeBindingMode) => {
                *binding_mode = Deserialize::deserialize(d)?
            }
            (Body::StorageClass { is_default, .. }, Key::IsDefault) => {
                *is_default = Deserialize::deserialize(d)?
            }
            (Body::ResourceQuota { spec, .. }, Key::Spec) => *spec = or_default(d)?,
            (Body::ResourceQuota { status, .. }, Key::Status) => *status = or_default(d)?,
            (Body::LimitRange { spec }, Key::Spec) => *spec = or_default(d)?,
            (Body::RuntimeClass { handler, .. }, Key::Handler) => {
                *handler = Deserialize::deserialize(d)?
            }
            (Body::RuntimeClass { overhead, .. }, Key::Overhead) => *overhead = or_default(d)?,
            (Body::RuntimeClass { scheduling, .. }, Key::Scheduling) => {
                *scheduling = or_default(d)?
            }
            _ => {
                IgnoredAny::deserialize(d)?;
            }
        }
        Ok(())
    }
}

/// Top-level keys of an object that some kind reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    ApiVersion,
    Kind,
    Metadata,
    Spec,
    Status,
    Provisioner,
    VolumeBindingMode,
    IsDefault,
    Handler,
    Overhead,
    Scheduling,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "apiVersion" => Key::ApiVersion,
                    "kind" => Key::Kind,
                    "metadata" => Key::Metadata,
                    "spec" => Key::Spec,
                    "status" => Key::Status,
                    "provisioner" => Key::Provisioner,
                    "volumeBindingMode" => Key::VolumeBindingMode,
                    "isDefault" => Key::IsDefault,
                    "handler" => Key::Handler,
                    "overhead" => Key::Overhead,
                    "scheduling" => Key::Scheduling,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// One object of a snapshot, decoded as far as its kind needs.
#[derive(Debug, Default)]
pub struct Item {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub meta: Meta,
    body: Body,
    /// Fields met before `kind`, decoded by [`Item::resolve`].
    deferred: Vec<(Key, Json)>,
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        d.deserialize_map(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object (a map with apiVersion, kind and metadata)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let mut item = Item::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::ApiVersion => item.api_version = map.next_value()?,
                Key::Kind => {
                    item.kind = map.next_value()?;
                    let kind = item.kind.as_deref().unwrap_or("");
                    item.body = Body::for_kind(Kind::of(item.api_version.as_deref(), kind));
                }
                Key::Metadata if matches!(item.body, Body::Ignored) => {
                    map.next_value::<IgnoredAny>()?;
                }
                Key::Metadata => {
                    item.meta = map.next_value::<Option<Meta>>()?.unwrap_or_default();
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                key if matches!(item.body, Body::Unknown) => {
                    item.deferred.push((key, map.next_value()?));
                }
                key => map.next_value_seed(FieldSeed {
                    body: &mut item.body,
                    key,
                })?,
            }
        }
        Ok(item)
    }
}

struct FieldSeed<'a> {
    body: &'a mut Body,
    key: Key,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.body.field(self.key, d)
    }
}

/// An object of a kind the preflight reads, in the model's terms.
#[derive(Debug)]
// One at a time, moved straight into the model: boxing the pod would allocate once per pod.
#[allow(clippy::large_enum_variant)]
pub enum Decoded {
    Node {
        node: Node,
        /// `status.allocatable` was missing: `Some(true)` when capacity stood in, `Some(false)`
        /// when that was missing too.
        allocatable_from_capacity: Option<bool>,
        /// No `Ready` condition at all (hand-written files).
        no_ready_condition: bool,
    },
    /// A pod that uses a node.
    Pod(Pod),
    /// A pod that does not use a node.
    SkippedPod(SkippedPod),
    StorageClass {
        class: StorageClass,
        /// The annotation is there but is not the string `"true"` (a YAML boolean).
        default_not_a_string: bool,
    },
    ResourceQuota {
        quota: ResourceQuota,
        used_known: bool,
        /// `spec.scopes`/`spec.scopeSelector`, which the model does not hold.
        scoped: bool,
    },
    LimitRange(LimitRange),
    RuntimeClass(RuntimeClass),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkippedPod {
    /// `Succeeded` or `Failed`.
    Terminal,
    /// No `spec.nodeName`.
    Unbound,
}

impl Item {
    /// The kind the preflight reads, if any; `list_kind` names the kind for items of a typed
    /// list (`NodeList`) that carry none.
    pub fn kind(&self, list: &ListContext) -> Option<Kind> {
        match &self.kind {
            Some(kind) => Kind::of(self.api_version.as_deref(), kind),
            // A typed list's items carry neither kind nor apiVersion: both are the list's.
            None => Kind::of(list.api_version.as_deref(), list.item_kind.as_deref()?),
        }
    }

    /// `Kind/namespace/name` (cluster-scoped: `Kind/name`).
    pub fn display(&self, list: &ListContext) -> String {
        let kind = self
            .kind
            .as_deref()
            .or(list.item_kind.as_deref())
            .unwrap_or("object");
        display(
            kind,
            self.meta.namespace.as_deref(),
            self.meta.name.as_deref(),
        )
    }

    /// Decode fields deferred until the kind was known, then build the model object.
    /// `Ok(None)` for kinds the preflight does not read; an error is `Kind/namespace/name` and
    /// why it does not decode.
    pub fn resolve(mut self, list: &ListContext) -> Result<Option<Decoded>, (String, String)> {
        let Some(kind) = self.kind(list) else {
            return Ok(None);
        };
        if matches!(self.body, Body::Unknown | Body::Ignored) {
            self.body = Body::for_kind(Some(kind));
        }
        for (key, value) in std::mem::take(&mut self.deferred) {
            if let Err(e) = self.body.field(key, value) {
                return Err((self.display(list), format!("{}: {e}", key_name(key))));
            }
        }
        self.build(kind).map(Some)
    }

    fn build(self, kind: Kind) -> Result<Decoded, (String, String)> {
        let Item { meta, body, .. } = self;
        let Some(name) = meta.name.filter(|n| !n.is_empty()) else {
            return Err((
                display(kind.name(), meta.namespace.as_deref(), None),
                format!("a {} without metadata.name", kind.name()),
            ));
        };
        let namespace = meta.namespace.unwrap_or_else(|| "default".to_string());
        let labels = meta.labels.unwrap_or_default();
        Ok(match body {
            Body::Node { spec, status } => {
                let (allocatable, from_capacity) = match (status.allocatable, status.capacity) {
                    (Some(a), _) => (a, None),
                    (None, Some(c)) => (c, Some(true)),
                    (None, None) => (ResourceList::new(), Some(false)),
                };
                let conditions = status.conditions.unwrap_or_default();
                let ready_condition = conditions
                    .iter()
                    .find(|c| c.type_.as_deref() == Some("Ready"));
                Decoded::Node {
                    node: Node {
                        name,
                        labels,
                        taints: spec.taints.unwrap_or_default(),
                        unschedulable: spec.unschedulable.unwrap_or(false),
                        ready: ready_condition.is_some_and(|c| c.status.as_deref() == Some("True")),
                        allocatable,
                    },
                    allocatable_from_capacity: from_capacity,
                    no_ready_condition: ready_condition.is_none(),
                }
            }
            Body::Pod { spec, status } => {
                if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
                    return Ok(Decoded::SkippedPod(SkippedPod::Terminal));
                }
                let node = spec.node_name.clone().filter(|n| !n.is_empty());
                if node.is_none() {
                    return Ok(Decoded::SkippedPod(SkippedPod::Unbound));
                }
                let pod_spec = PodSpec {
                    containers: spec.containers.unwrap_or_default(),
                    init_containers: spec.init_containers.unwrap_or_default(),
                    resources: spec.resources.unwrap_or_default(),
                    overhead: spec.overhead.unwrap_or_default(),
                };
                let fail = |e: crate::quantity::QuantityError| {
                    (display("Pod", Some(&namespace), Some(&name)), e.to_string())
                };
                let (requests, non_zero) = match &spec.non_zero_requests {
                    Some(recorded) => (
                        crate::workload::pod_requests(&pod_spec).map_err(fail)?,
                        (
                            recorded.get("cpu").map_or(0, |q| q.milli_ceil()),
                            recorded.get("memory").map_or(0, |q| q.value_ceil()),
                        ),
                    ),
                    None => crate::workload::pod_requests_and_non_zero(&pod_spec).map_err(fail)?,
                };
                let non_zero = Some(non_zero);
                Decoded::Pod(Pod {
                    namespace,
                    name,
                    labels,
                    node: node.clone(),
                    requests,
                    non_zero,
                    scheduling: Scheduling {
                        affinity: spec.affinity.and_then(PodAffinities::into_json),
                        node_name: node,
                        ..Scheduling::default()
                    },
                })
            }
            Body::StorageClass {
                provisioner,
                binding_mode,
                is_default,
            } => {
                let annotations = meta.annotations.unwrap_or_default();
                let values = [annotations.default_class, annotations.beta_default_class];
                let annotated = values
                    .iter()
                    .any(|v| v.as_ref().is_some_and(|v| v == "true"));
                let not_a_string = values
                    .iter()
                    .any(|v| v.as_ref().is_some_and(|v| !v.is_string() && !v.is_null()));
                Decoded::StorageClass {
                    class: StorageClass {
                        name,
                        provisioner: provisioner.unwrap_or_default(),
                        is_default: annotated || is_default == Some(true),
                        binding_mode: binding_mode
                            .filter(|m| !m.is_empty())
                            .unwrap_or_else(|| "Immediate".to_string()),
                    },
                    default_not_a_string: not_a_string && !annotated,
                }
            }
            Body::ResourceQuota { spec, status } => {
                let scoped = spec.scopes.is_some_and(|s| !s.is_empty())
                    || spec.scope_selector.is_some_and(|s| !s.is_null());
                Decoded::ResourceQuota {
                    used_known: status.used.is_some(),
                    scoped,
                    quota: ResourceQuota {
                        namespace,
                        name,
                        hard: status.hard.or(spec.hard).unwrap_or_default(),
                        used: status.used.unwrap_or_default(),
                    },
                }
            }
            Body::LimitRange { spec } => Decoded::LimitRange(LimitRange {
                namespace,
                name,
                limits: spec.limits.unwrap_or_default(),
            }),
            Body::RuntimeClass {
                handler,
                overhead,
                scheduling,
            } => Decoded::RuntimeClass(RuntimeClass {
                name,
                handler: handler.unwrap_or_default(),
                overhead: overhead.pod_fixed.unwrap_or_default(),
                node_selector: scheduling.node_selector.unwrap_or_default(),
                tolerations: scheduling.tolerations.unwrap_or_default(),
            }),
            Body::Unknown | Body::Ignored => unreachable!("resolve sets the body"),
        })
    }
}

/// What a list says about its items: `kind: NodeList` names the kind of items that carry none
/// (raw API responses), and its `apiVersion` their group.
#[derive(Debug, Default, Clone)]
pub struct ListContext {
    pub item_kind: Option<String>,
    pub api_version: Option<String>,
}

impl ListContext {
    pub fn of(kind: Option<&str>, api_version: Option<&str>) -> ListContext {
        ListContext {
            item_kind: kind
                .and_then(|k| k.strip_suffix("List"))
                .filter(|k| !k.is_empty())
                .map(str::to_string),
            api_version: api_version.map(str::to_string),
        }
    }
}

fn key_name(key: Key) -> &'static str {
    match key {
        Key::ApiVersion => "apiVersion",
        Key::Kind => "kind",
        Key::Metadata => "metadata",
        Key::Spec => "spec",
        Key::Status => "status",
        Key::Provisioner => "provisioner",
        Key::VolumeBindingMode => "volumeBindingMode",
        Key::IsDefault => "isDefault",
        Key::Handler => "handler",
        Key::Overhead => "overhead",
        Key::Scheduling => "scheduling",
        Key::Other => "field",
    }
}

/// `Kind/namespace/name`, or `Kind/name` without a namespace.
pub fn display(kind: &str, namespace: Option<&str>, name: Option<&str>) -> String {
    let name = name.unwrap_or("(no name)");
    match namespace {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// `Kind/namespace/name` of a JSON object that did not decode, for messages.
pub fn display_json(json: &Json, list: &ListContext) -> String {
    let kind = json["kind"]
        .as_str()
        .or(list.item_kind.as_deref())
        .unwrap_or("object");
    display(
        kind,
        json["metadata"]["namespace"].as_str(),
        json["metadata"]["name"].as_str(),
    )
}

/// The kind a JSON object that did not decode would have, if the preflight reads it.
pub fn kind_of_json(json: &Json, list: &ListContext) -> Option<Kind> {
    match json["kind"].as_str() {
        Some(k) => Kind::of(json["apiVersion"].as_str(), k),
        None => Kind::of(list.api_version.as_deref(), list.item_kind.as_deref()?),
    }
}
