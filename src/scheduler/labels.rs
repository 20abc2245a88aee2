//! Node selectors as the scheduler evaluates them: component-helpers
//! `scheduling/corev1/nodeaffinity` (`matchExpressions` + `matchFields`) over the label
//! selectors of `workload::selector`, and [`SpecError`], why a pod spec cannot be read.
//!
//! Selectors are parsed once per pod; matching allocates nothing.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::workload::resources::is_extended_resource_name;
pub use crate::workload::selector::{
    LabelLookup, Labels, OneLabel, Op, Requirement, Selector, parse_go_int,
};
use crate::workload::selector::{
    SelectorError, ShapeError, optional_array, string_field, string_list,
};

/// Why the scheduler cannot read a pod: what the API server would have refused. The text is
/// the `invalid pod: ...` part of the scheduler's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error(transparent)]
    Shape(#[from] ShapeError),
    #[error(transparent)]
    Selector(#[from] SelectorError),
    #[error(
        "matchExpressions: unsupported operator {0:?}: supported values: \"In\", \"NotIn\", \
         \"Exists\", \"DoesNotExist\", \"Gt\", \"Lt\""
    )]
    NodeOperator(String),
    #[error("matchFields: unsupported operator {0:?}: supported values: \"In\", \"NotIn\"")]
    FieldOperator(String),
    #[error("matchFields: {0:?} is not a valid field selector key (only \"metadata.name\")")]
    FieldKey(String),
    #[error("matchFields {0:?}: values must have one element")]
    FieldValues(String),
    #[error("{key} must be an integer, got {got}")]
    NotAnInteger { key: String, got: Json },
    #[error("weight must be in the range 1-100")]
    Weight,
    #[error("topologyKey can not be empty")]
    EmptyTopologyKey,
    #[error("maxSkew must be greater than zero, got {0}")]
    MaxSkew(i64),
    #[error(
        "whenUnsatisfiable: unsupported value {0:?}: supported values: \"DoNotSchedule\", \
         \"ScheduleAnyway\""
    )]
    WhenUnsatisfiable(String),
    #[error("minDomains must be greater than zero, got {0}")]
    MinDomains(i64),
    #[error("minDomains can only be used with whenUnsatisfiable=DoNotSchedule")]
    MinDomainsScheduleAnyway,
    #[error("{field}: unsupported value {got}: supported values: \"Honor\", \"Ignore\"")]
    Policy { field: String, got: Json },
    /// An error inside `field` (`nodeAffinity.required`, `topologySpreadConstraints`...).
    #[error("{field}: {error}")]
    In {
        field: &'static str,
        error: Box<SpecError>,
    },
}

impl SpecError {
    /// This error, said of `field`.
    pub fn within(self, field: &'static str) -> SpecError {
        SpecError::In {
            field,
            error: Box::new(self),
        }
    }
}

/// One `nodeSelectorTerms` entry (or a preferred term's `preference`): its `matchExpressions`
/// (labels) and `matchFields` (`metadata.name`), ANDed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSelectorTerm {
    labels: Option<Selector>,
    fields: Option<Vec<FieldRequirement>>,
    /// A `Gt`/`Lt` value that is not an integer: the API server accepts it, the scheduler's
    /// `NewRequirement` does not, and the term then never matches (`LazyErrorNodeSelector`).
    unparsable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldRequirement {
    equal: bool,
    value: String,
}

impl NodeSelectorTerm {
    /// Parses a term; `Ok(None)` for an empty term, which the scheduler skips.
    pub fn parse(term: &Json) -> Result<Option<NodeSelectorTerm>, SpecError> {
        let exprs = optional_array(term.get("matchExpressions"), "matchExpressions")?;
        let fields = optional_array(term.get("matchFields"), "matchFields")?;
        if exprs.is_empty() && fields.is_empty() {
            return Ok(None);
        }
        let mut unparsable = false;
        let labels = if exprs.is_empty() {
            None
        } else {
            let mut reqs = Vec::with_capacity(exprs.len());
            for e in exprs {
                let key = string_field(e, "key")?;
                let op_name = string_field(e, "operator")?;
                let op = Op::parse(op_name, true)
                    .ok_or_else(|| SpecError::NodeOperator(op_name.to_string()))?;
                let values = string_list(e.get("values"), "values")?;
                if matches!(op, Op::Gt | Op::Lt)
                    && values.len() == 1
                    && parse_go_int(&values[0]).is_none()
                {
                    // Valid for the API server (a label value: `In` validates key and value as
                    // it does), unparsable for the scheduler.
                    Requirement::new(key, Op::In, values)?;
                    unparsable = true;
                    continue;
                }
                reqs.push(Requirement::new(key, op, values)?);
            }
            Some(Selector::All(reqs))
        };
        let fields = if fields.is_empty() {
            None
        } else {
            let mut reqs = Vec::with_capacity(fields.len());
            for f in fields {
                let key = string_field(f, "key")?;
                let op = string_field(f, "operator")?;
                let values = string_list(f.get("values"), "values")?;
                let equal = match op {
                    "In" => true,
                    "NotIn" => false,
                    _ => return Err(SpecError::FieldOperator(op.to_string())),
                };
                if key != "metadata.name" {
                    return Err(SpecError::FieldKey(key.to_string()));
                }
                let [value] = <[String; 1]>::try_from(values)
                    .map_err(|_| SpecError::FieldValues(key.to_string()))?;
                reqs.push(FieldRequirement { equal, value });
            }
            Some(reqs)
        };
        Ok(Some(NodeSelectorTerm {
            labels,
            fields,
            unparsable,
        }))
    }

    /// `nodeSelectorTerm.match`: labels against `matchExpressions`, the node name against
    /// `matchFields` (`metadata.name` is the only node field).
    pub fn matches(&self, node_name: &str, labels: &impl LabelLookup) -> bool {
        if self.unparsable {
            return false;
        }
        if let Some(sel) = &self.labels
            && !sel.matches(labels)
        {
            return false;
        }
        if let Some(fields) = &self.fields
            && !node_name.is_empty()
        {
            return fields.iter().all(|f| (node_name == f.value) == f.equal);
        }
        true
    }

    /// The node names this term restricts to (`matchFields metadata.name In`, intersected), for
    /// NodeAffinity's PreFilter; `None` when the term names no node.
    pub fn node_names(&self) -> Option<Vec<&str>> {
        let mut names: Option<Vec<&str>> = None;
        for f in self.fields.iter().flatten() {
            if f.equal {
                names = Some(match names {
                    None => vec![f.value.as_str()],
                    Some(prev) => prev.into_iter().filter(|n| *n == f.value).collect(),
                });
            }
        }
        names
    }
}

/// `nodeaffinity.RequiredNodeAffinity`: the pod's `nodeSelector` AND its required node affinity
/// (terms ORed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequiredNodeAffinity {
    selector: Option<Selector>,
    /// `None`: no required node affinity. `Some(empty)`: one was given but all its terms were
    /// empty, which matches no node.
    terms: Option<Vec<NodeSelectorTerm>>,
}

impl RequiredNodeAffinity {
    /// From `spec.nodeSelector` and `nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    pub fn parse(
        node_selector: &Labels,
        required: Option<&Json>,
    ) -> Result<RequiredNodeAffinity, SpecError> {
        let selector = (!node_selector.is_empty()).then(|| Selector::from_set(node_selector));
        let terms = match required {
            None | Some(Json::Null) => None,
            Some(req) => {
                let raw = optional_array(req.get("nodeSelectorTerms"), "nodeSelectorTerms")?;
                let mut terms = Vec::with_capacity(raw.len());
                for t in raw {
                    if let Some(term) = NodeSelectorTerm::parse(t)? {
                        terms.push(term);
                    }
                }
                Some(terms)
            }
        };
        Ok(RequiredNodeAffinity { selector, terms })
    }

    /// Whether the pod names no node constraint at all (NodeAffinity's PreFilter skips).
    pub fn is_none(&self) -> bool {
        self.selector.is_none() && self.terms.is_none()
    }

    pub fn matches(&self, node_name: &str, labels: &impl LabelLookup) -> bool {
        if let Some(sel) = &self.selector
            && !sel.matches(labels)
        {
            return false;
        }
        match &self.terms {
            None => true,
            Some(terms) => terms.iter().any(|t| t.matches(node_name, labels)),
        }
    }

    /// NodeAffinity's PreFilter: when every required term names nodes by `matchFields`
    /// (`metadata.name In`), only those nodes are evaluated. `None`: all nodes.
    pub fn node_names(&self) -> Option<BTreeSet<String>> {
        let terms = self.terms.as_ref()?;
        if terms.is_empty() {
            return None;
        }
        let mut all = BTreeSet::new();
        for t in terms {
            for n in t.node_names()? {
                all.insert(n.to_string());
            }
        }
        Some(all)
    }
}

/// `helper.IsScalarResourceName` of the scheduler: extended resources (`vendor/name` outside
/// `kubernetes.io/`), `hugepages-*`, `*kubernetes.io/*` and `attachable-volumes-*`. Other
/// unqualified names than cpu, memory, ephemeral-storage and pods are not tracked at all.
pub fn is_scalar_resource_name(name: &str) -> bool {
    is_extended_resource_name(name)
        || name.starts_with("hugepages-")
        || name.contains("kubernetes.io/")
        || name.starts_with("attachable-volumes-")
}

/// A `HashMap` with rustc's `FxHasher`: keys are short strings from the user's own cluster, so
/// hash flooding is not a concern, and SipHash dominated placement time on large clusters.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;
