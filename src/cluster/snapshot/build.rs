//! Merging decoded objects into the model: the later of two copies wins, undecodable objects
//! become gaps, ignored kinds are counted.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value as Json;

use super::decode::{self, Decoded, Item, Kind, ListContext, SkippedPod};
use super::json_stream::{self};
use super::read::*;
use super::yaml_list;
use super::{QUOTA_USAGE_UNKNOWN, SNAPSHOT_API_VERSION, SNAPSHOT_KIND};
use crate::cluster::model::{
    Cluster, Gap, LimitRange, Node, Pod, ResourceQuota, RuntimeClass, StorageClass,
};
use crate::diagnostic::{Code, Diagnostic};
use crate::quantity::Quantity;
use crate::render::manifest::to_json;
use crate::source::{SourceId, Span};

#[derive(Default)]
pub(super) struct Builder {
    pub(super) cluster: Cluster,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Where each object is in the model (by a hash of kind, namespace and name; checked
    /// against the object) and the file it came from, to merge duplicates without copying
    /// 150,000 names.
    pub(super) seen: rustc_hash::FxHashMap<u64, (usize, SourceId)>,
    pub(super) gaps_seen: HashSet<(String, String, String)>,
    pub(super) api_versions: BTreeSet<String>,
    /// The file being read.
    pub(super) source: SourceId,
    /// The list being read item by item from YAML, and its items without a kind met before
    /// the list's own `kind`.
    pub(super) yaml_list: ListContext,
    pub(super) yaml_pending: Vec<(Json, Span)>,
    /// Objects met in all files so far (to tell "not a snapshot" from "broken later on").
    pub(super) objects_seen: usize,
    // Per file, for the notes at its end.
    pub(super) ignored: BTreeMap<String, usize>,
    pub(super) terminal_pods: usize,
    pub(super) unbound_pods: usize,
    /// The pods were listed for sure (a live read, or our format, which records its own gaps):
    /// none means none run, not that they were forgotten.
    pub(super) pods_listed: bool,
}

impl Builder {
    pub(super) fn gap(&mut self, gap: Gap) {
        let key = (gap.what.clone(), gap.why.clone(), gap.affects.clone());
        if self.gaps_seen.insert(key) {
            self.cluster.gaps.push(gap);
        }
    }

    /// Fields of a list or of our format that describe the cluster, not an object.
    pub(super) fn header(&mut self, header: &Json, at: Option<Span>) {
        if header["kind"] == SNAPSHOT_KIND {
            self.pods_listed = true;
        }
        if header["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("stackcheck.dev/") && v != SNAPSHOT_API_VERSION)
        {
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::SnapshotVersion,
                    format!(
                        "snapshot format {} is not {SNAPSHOT_API_VERSION}, the one this version reads",
                        header["apiVersion"].as_str().unwrap_or_default()
                    ),
                )
                .at(at)
                .hint("read as best as possible; take the snapshot again with this version"),
            );
        }
        let version = match &header["serverVersion"] {
            Json::String(v) => Some(v.clone()),
            // `kubectl version -o json`
            v => v["gitVersion"].as_str().map(str::to_string),
        };
        if let Some(version) = version {
            if let Some(old) = &self.cluster.server_version
                && *old != version
            {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::SnapshotVersion,
                        format!("the files disagree on the server version: {old}, then {version}"),
                    )
                    .at(at)
                    .hint("the last one is used"),
                );
            }
            self.cluster.server_version = Some(version);
        }
        if let Some(versions) = header["apiVersions"].as_array() {
            self.api_versions
                .extend(versions.iter().filter_map(Json::as_str).map(str::to_string));
        }
        if let Some(gaps) = header["gaps"].as_array() {
            for g in gaps {
                let field = |k: &str| g[k].as_str().unwrap_or_default().to_string();
                self.gap(Gap {
                    what: field("what"),
                    why: field("why"),
                    affects: field("affects"),
                });
            }
        }
    }

    /// Top-level fields of a YAML list, before or after its items.
    pub(super) fn yaml_list_fields(&mut self, node: Option<crate::yaml::Node>, id: SourceId) {
        let json = node.as_ref().map(to_json).unwrap_or(Json::Null);
        self.header(&json, node.map(|n| point(id, n.span.start)));
        if let Some(kind) = json["kind"].as_str() {
            self.yaml_list.item_kind = ListContext::of(Some(kind), None).item_kind;
        }
        if let Some(v) = json["apiVersion"].as_str() {
            self.yaml_list.api_version = Some(v.to_string());
        }
    }

    /// A part of a YAML list read item by item ([`yaml_list`]).
    pub(super) fn yaml_list_event(&mut self, event: yaml_list::Event, id: SourceId, path: &Path) {
        use yaml_list::Event;
        self.source = id;
        match event {
            Event::Header(Ok(node)) => {
                self.yaml_list = ListContext::default();
                self.yaml_pending.clear();
                self.yaml_list_fields(node, id);
            }
            Event::Trailer(Ok(node)) => {
                self.yaml_list_fields(node, id);
                let list = self.yaml_list.clone();
                for (json, at) in std::mem::take(&mut self.yaml_pending) {
                    self.json_item(&json, &list, || at);
                }
            }
            Event::Item(Ok(Some(node))) => {
                self.objects_seen += 1;
                let at = point(id, node.span.start);
                let json = to_json(&node);
                drop(node);
                if json.get("kind").is_none() && self.yaml_list.item_kind.is_none() {
                    self.yaml_pending.push((json, at));
                } else {
                    let list = self.yaml_list.clone();
                    self.json_item(&json, &list, || at);
                }
            }
            Event::Item(Ok(None)) => {}
            Event::Header(Err(e)) | Event::Item(Err(e)) | Event::Trailer(Err(e)) => {
                let at = e.span();
                // saphyr reports an undefined alias itself, as a syntax error.
                let unknown_alias = matches!(e, crate::yaml::YamlError::UnknownAlias { .. })
                    || e.to_string().contains("unknown anchor");
                let hint = if unknown_alias {
                    "list items are read one by one, so an alias cannot refer to an anchor in \
                     another item (kubectl never writes anchors); this item was skipped"
                } else {
                    "this part of the list was skipped; the rest was read"
                };
                self.diagnostics.push(
                    Diagnostic::error(Code::Yaml, e.to_string())
                        .at(Some(at))
                        .hint(hint),
                );
                self.gap(Gap {
                    what: format!("{} line {}", path.display(), at.start.line),
                    why: e.to_string(),
                    affects: "an object of the snapshot could not be read: a node, pod or quota \
                              may be missing"
                        .to_string(),
                });
            }
            Event::MoreDocuments(at) => {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::SnapshotDocuments,
                        "the list is followed by more YAML documents, which were not read",
                    )
                    .at(Some(at))
                    .hint("give each list its own file"),
                );
                self.gap(Gap {
                    what: format!("{} after line {}", path.display(), at.start.line),
                    why: "documents after a kubectl list were not read".to_string(),
                    affects: "objects in those documents are missing".to_string(),
                });
            }
        }
    }

    /// A top-level JSON object without `items`: one object, or `kubectl version` output.
    pub(super) fn single(&mut self, json: &Json, at: Span) {
        if json.get("kind").is_none() && json.get("serverVersion").is_some() {
            self.header(json, Some(at));
            return;
        }
        self.objects_seen += 1;
        self.json_item(json, &ListContext::default(), || at);
    }

    /// An object read as JSON (YAML documents, single objects).
    pub(super) fn json_item(
        &mut self,
        json: &Json,
        list: &ListContext,
        mut at: impl FnMut() -> Span,
    ) {
        if json.get("kind").is_none() && list.item_kind.is_none() {
            return self.no_kind(at());
        }
        match Item::deserialize(json) {
            Ok(item) => self.item(item, list, &mut at),
            Err(e) => match decode::kind_of_json(json, list) {
                None => self.ignore(json["kind"].as_str().unwrap_or("(none)")),
                Some(kind) => {
                    let what = decode::display_json(json, list);
                    self.undecodable(kind, what, e.to_string(), at(), None);
                }
            },
        }
    }

    /// An object of the JSON stream that is JSON but does not decode.
    pub(super) fn undecodable_json(
        &mut self,
        e: json_stream::DataError,
        list: &ListContext,
        id: SourceId,
        start: Span,
    ) {
        match decode::kind_of_json(&e.raw, list) {
            None => self.ignore(e.raw["kind"].as_str().unwrap_or("(none)")),
            Some(kind) => {
                let what = decode::display_json(&e.raw, list);
                let message = json_stream::strip_position(&e.error);
                self.undecodable(kind, what, message, point(id, e.at), Some(start));
            }
        }
    }

    pub(super) fn undecodable(
        &mut self,
        kind: Kind,
        what: String,
        why: String,
        at: Span,
        object: Option<Span>,
    ) {
        let hint = match object {
            Some(o) if o.start.line != at.start.line => format!(
                "{what} (from line {}) was left out; the rest of the snapshot was read",
                o.start.line
            ),
            _ => format!("{what} was left out; the rest of the snapshot was read"),
        };
        self.diagnostics.push(
            Diagnostic::warning(
                Code::SnapshotObject,
                format!("{what} does not decode: {why}"),
            )
            .at(Some(at))
            .hint(hint),
        );
        let affects = match kind {
            Kind::Node => "placement: this node is left out".to_string(),
            Kind::Pod => "placement: this pod's requests are not counted on its node, which may \
                          look freer than it is"
                .to_string(),
            Kind::StorageClass => "storage: this StorageClass is taken as missing".to_string(),
            Kind::ResourceQuota => "quota: this quota is not checked".to_string(),
            Kind::LimitRange => "LimitRange defaults of this namespace are not applied".to_string(),
            Kind::RuntimeClass => {
                "RuntimeClass overhead and scheduling of pods that use it".to_string()
            }
        };
        self.gap(Gap { what, why, affects });
    }

    fn no_kind(&mut self, at: Span) {
        self.diagnostics.push(
            Diagnostic::warning(Code::NotAnObject, "not a Kubernetes object: no kind")
                .at(Some(at))
                .hint("skipped; a Kubernetes object is a map with apiVersion, kind and metadata"),
        );
    }

    pub(super) fn ignore(&mut self, kind: &str) {
        *self.ignored.entry(kind.to_string()).or_default() += 1;
    }

    /// A decoded object: into the model, or counted as ignored or skipped.
    /// `at` says where the object is; it is only asked when a diagnostic needs it.
    pub(super) fn item(&mut self, item: Item, list: &ListContext, at: &mut dyn FnMut() -> Span) {
        if item.kind.is_none() && list.item_kind.is_none() {
            return self.no_kind(at());
        }
        let Some(kind) = item.kind(list) else {
            let kind = item.kind.clone().unwrap_or_default();
            self.ignore(&kind);
            return;
        };
        match item.resolve(list) {
            Ok(Some(decoded)) => self.add(kind, decoded, at),
            Ok(None) => {}
            Err((what, why)) => self.undecodable(kind, what, why, at(), None),
        }
    }

    pub(super) fn add(&mut self, kind: Kind, decoded: Decoded, at: &mut dyn FnMut() -> Span) {
        match decoded {
            Decoded::Node {
                mut node,
                allocatable_from_capacity,
                no_ready_condition,
            } => {
                let what = node.display(kind);
                // The API server refuses a negative quantity in a node's status: a snapshot
                // holding one was edited or is corrupt. The scheduler would fit nothing there.
                let negative: Vec<String> = node
                    .allocatable
                    .iter_mut()
                    .filter(|(_, q)| **q < Quantity::ZERO)
                    .map(|(name, q)| {
                        let shown = format!("{name} {q}");
                        *q = Quantity::ZERO;
                        shown
                    })
                    .collect();
                if !negative.is_empty() {
                    self.diagnostics.push(
                        Diagnostic::warning(
                            Code::SnapshotObject,
                            format!(
                                "{what} has negative allocatable {}: counted as 0 (the API server accepts no negative quantity there)",
                                negative.join(", ")
                            ),
                        )
                        .at(Some(at()))
                        .hint("fix the snapshot: take it again with `stackcheck snapshot` or kubectl"),
                    );
                }
                match allocatable_from_capacity {
                    Some(true) => self.gap(Gap {
                        what: what.clone(),
                        why: "no status.allocatable; status.capacity is used instead".to_string(),
                        affects: "resource fit on this node: capacity includes what the kubelet \
                                  reserves for the system, so the node looks larger than it is"
                            .to_string(),
                    }),
                    Some(false) => self.gap(Gap {
                        what: what.clone(),
                        why: "neither status.allocatable nor status.capacity".to_string(),
                        affects: "resource fit on this node: nothing fits on it".to_string(),
                    }),
                    None => {}
                }
                if no_ready_condition {
                    self.diagnostics.push(
                        Diagnostic::note(
                            Code::SnapshotObject,
                            format!("{what} has no Ready condition: it is taken as not ready"),
                        )
                        .at(Some(at()))
                        .hint("add status.conditions: [{type: Ready, status: \"True\"}] to a hand-written node"),
                    );
                }
                self.put(kind, node, at, |c| &mut c.nodes);
            }
            Decoded::Pod(pod) => self.put(kind, pod, at, |c| &mut c.pods),
            Decoded::SkippedPod(SkippedPod::Terminal) => self.terminal_pods += 1,
            Decoded::SkippedPod(SkippedPod::Unbound) => self.unbound_pods += 1,
            Decoded::StorageClass {
                class,
                default_not_a_string,
            } => {
                if default_not_a_string {
                    let what = class.display(kind);
                    self.diagnostics.push(
                        Diagnostic::warning(
                            Code::SnapshotObject,
                            format!(
                                "{what}: the default-class annotation is not the string \"true\", \
                                 so Kubernetes does not take this class as the default"
                            ),
                        )
                        .at(Some(at()))
                        .hint("quote it: storageclass.kubernetes.io/is-default-class: \"true\""),
                    );
                }
                self.put(kind, class, at, |c| &mut c.storage_classes);
            }
            Decoded::ResourceQuota {
                quota,
                used_known,
                scoped,
            } => {
                let what = quota.display(kind);
                if scoped {
                    self.gap(Gap {
                        what,
                        why: "the quota has scopes or a scopeSelector, which are not modelled"
                            .to_string(),
                        affects: format!(
                            "quota: this quota of namespace {} is not checked",
                            quota.namespace
                        ),
                    });
                    return;
                }
                if !used_known && !quota.hard.is_empty() {
                    self.gap(Gap {
                        what,
                        why: QUOTA_USAGE_UNKNOWN.to_string(),
                        affects: format!(
                            "quota: usage in namespace {} is taken as zero",
                            quota.namespace
                        ),
                    });
                }
                self.put(kind, quota, at, |c| &mut c.quotas);
            }
            Decoded::LimitRange(range) => self.put(kind, range, at, |c| &mut c.limit_ranges),
            Decoded::RuntimeClass(class) => self.put(kind, class, at, |c| &mut c.runtime_classes),
        }
    }

    /// Append `value`, or replace an earlier object of the same kind, namespace and name.
    pub(super) fn put<T: Named>(
        &mut self,
        kind: Kind,
        value: T,
        at: &mut dyn FnMut() -> Span,
        list: impl Fn(&mut Cluster) -> &mut Vec<T>,
    ) {
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            (kind, value.key()).hash(&mut h);
            h.finish()
        };
        let items = list(&mut self.cluster);
        match self.seen.get(&hash) {
            Some(&(index, first)) if items[index].key() == value.key() => {
                let what = value.display(kind);
                items[index] = value;
                let earlier = if first == self.source {
                    "earlier in this file"
                } else {
                    "in an earlier file"
                };
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::SnapshotDuplicate,
                        format!("{what} is in the snapshot twice (also {earlier})"),
                    )
                    .at(Some(at()))
                    .hint("the later one is used"),
                );
                self.seen.insert(hash, (index, self.source));
            }
            // A 64-bit collision between different objects: keep both, unrecorded.
            Some(_) => items.push(value),
            None => {
                items.push(value);
                self.seen.insert(hash, (items.len() - 1, self.source));
            }
        }
    }

    /// Notes about what a file held that the model does not.
    pub(super) fn end_file(&mut self, name: &str) {
        if !self.ignored.is_empty() {
            let total: usize = self.ignored.values().sum();
            let kinds: Vec<String> = self
                .ignored
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect();
            self.diagnostics.push(Diagnostic::note(
                Code::SnapshotIgnored,
                format!(
                    "{name}: {total} object(s) of kinds the preflight does not read were ignored: {}",
                    kinds.join(", ")
                ),
            ));
        }
        if self.terminal_pods + self.unbound_pods > 0 {
            self.diagnostics.push(Diagnostic::note(
                Code::SnapshotPods,
                format!(
                    "{name}: {} finished pod(s) (Succeeded/Failed) and {} pod(s) not bound to a \
                     node do not use node resources and were left out",
                    self.terminal_pods, self.unbound_pods
                ),
            ));
        }
        self.ignored.clear();
        self.terminal_pods = 0;
        self.unbound_pods = 0;
    }

    pub(super) fn finish(mut self) -> (Cluster, Vec<Diagnostic>) {
        // A list that could not be read at all (the live API's 403) already has its gap.
        let has_gap = |c: &Cluster, what: &str| c.gaps.iter().any(|g| g.what == what);
        if self.cluster.nodes.is_empty() {
            if !has_gap(&self.cluster, "nodes") {
                self.gap(Gap {
                    what: "nodes".to_string(),
                    why: "the snapshot has no Node objects".to_string(),
                    affects: "placement: there is no node to place pods on".to_string(),
                });
            }
        } else if self.cluster.pods.is_empty()
            && !self.pods_listed
            && !has_gap(&self.cluster, "pods")
        {
            self.gap(Gap {
                what: "pods".to_string(),
                why: "the snapshot has no running pods (were they captured? `kubectl get pods -A`)"
                    .to_string(),
                affects: "placement: nodes are taken as empty".to_string(),
            });
        }
        self.cluster.api_versions = self.api_versions.into_iter().collect();
        (self.cluster, self.diagnostics)
    }
}

/// Objects of the model by namespace (empty for cluster-scoped kinds) and name.
pub(super) trait Named {
    fn key(&self) -> (&str, &str);

    /// `Kind/namespace/name`, `Kind/name` for cluster-scoped kinds.
    fn display(&self, kind: Kind) -> String {
        let (ns, name) = self.key();
        decode::display(
            kind.name(),
            Some(ns).filter(|ns| !ns.is_empty()),
            Some(name),
        )
    }
}

/// `impl Named` for the cluster-scoped kinds (no namespace) and the namespaced ones.
macro_rules! named {
    (cluster: $($c:ty),*; namespaced: $($n:ty),*) => {
        $(impl Named for $c {
            fn key(&self) -> (&str, &str) {
                ("", &self.name)
            }
        })*
        $(impl Named for $n {
            fn key(&self) -> (&str, &str) {
                (&self.namespace, &self.name)
            }
        })*
    };
}

named!(cluster: Node, StorageClass, RuntimeClass; namespaced: Pod, ResourceQuota, LimitRange);
