//! Label selectors as the scheduler evaluates them: apimachinery `labels.Requirement` (with the
//! node-affinity operators `Gt`/`Lt`), `metav1.LabelSelectorAsSelector`, and the node selector of
//! component-helpers `scheduling/corev1/nodeaffinity` (`matchExpressions` + `matchFields`).
//!
//! Selectors are parsed once per pod; matching allocates nothing.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// Labels of a node, pod or namespace.
pub type Labels = BTreeMap<String, String>;

/// Something labels can be looked up in (a label map, or the one default label of a namespace
/// that is not otherwise known).
pub trait LabelLookup {
    fn label(&self, key: &str) -> Option<&str>;
}

impl LabelLookup for Labels {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl LabelLookup for FastMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// A single `key=value` label.
pub struct OneLabel<'a>(pub &'a str, pub &'a str);

impl LabelLookup for OneLabel<'_> {
    fn label(&self, key: &str) -> Option<&str> {
        (key == self.0).then_some(self.1)
    }
}

/// No labels at all.
pub struct NoLabels;

impl LabelLookup for NoLabels {
    fn label(&self, _: &str) -> Option<&str> {
        None
    }
}

/// `selection.Operator`, limited to what pod specs can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `In`, and `=` from `matchLabels`/`nodeSelector`.
    In,
    NotIn,
    Exists,
    DoesNotExist,
    /// Node affinity only: the label parses as an `int64` greater than the value.
    Gt,
    /// Node affinity only: the label parses as an `int64` less than the value.
    Lt,
}

impl Op {
    fn parse(op: &str, node_affinity: bool) -> Option<Op> {
        Some(match op {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" if node_affinity => Op::Gt,
            "Lt" if node_affinity => Op::Lt,
            _ => return None,
        })
    }
}

/// One requirement of a selector (`labels.Requirement`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
    /// The parsed value of `Gt`/`Lt`.
    bound: i64,
}

impl Requirement {
    /// `labels.NewRequirement`: validates the key, the value count for the operator, `Gt`/`Lt`
    /// integers and every value.
    pub fn new(key: &str, op: Op, values: Vec<String>) -> Result<Requirement, String> {
        if let Err(e) = validate_qualified_name(key) {
            return Err(format!("key {key:?}: {e}"));
        }
        let mut bound = 0;
        match op {
            Op::In | Op::NotIn if values.is_empty() => {
                return Err(format!(
                    "key {key:?}: for 'In', 'NotIn' operators, values set can't be empty"
                ));
            }
            Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                return Err(format!(
                    "key {key:?}: values set must be empty for exists and does not exist"
                ));
            }
            Op::Gt | Op::Lt => {
                if values.len() != 1 {
                    return Err(format!(
                        "key {key:?}: for 'Gt', 'Lt' operators, exactly one value is required"
                    ));
                }
                bound = parse_go_int(&values[0]).ok_or_else(|| {
                    format!(
                        "key {key:?}: for 'Gt', 'Lt' operators, the value must be an integer, got {:?}",
                        values[0]
                    )
                })?;
            }
            _ => {}
        }
        for v in &values {
            if let Err(e) = validate_label_value(v) {
                return Err(format!("key {key:?}: value {v:?}: {e}"));
            }
        }
        Ok(Requirement {
            key: key.to_string(),
            op,
            values,
            bound,
        })
    }

    /// `Requirement.Matches`.
    pub fn matches(&self, labels: &impl LabelLookup) -> bool {
        let value = labels.label(&self.key);
        match self.op {
            Op::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Op::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
            Op::Gt | Op::Lt => {
                let Some(n) = value.and_then(parse_go_int) else {
                    return false;
                };
                if self.op == Op::Gt {
                    n > self.bound
                } else {
                    n < self.bound
                }
            }
        }
    }
}

/// `strconv.ParseInt(s, 10, 64)`: optional sign, ASCII digits, no underscores.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A label selector: `Nothing` (from a missing selector) or the AND of requirements (none:
/// everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Nothing,
    All(Vec<Requirement>),
}

impl Selector {
    pub fn everything() -> Selector {
        Selector::All(Vec::new())
    }

    /// `Selector.Empty()`: true for the everything selector only (Go's `nothingSelector` is not
    /// empty). PodTopologySpread counts no existing pods for an empty selector.
    pub fn is_empty(&self) -> bool {
        matches!(self, Selector::All(r) if r.is_empty())
    }

    pub fn matches(&self, labels: &impl LabelLookup) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::All(reqs) => reqs.iter().all(|r| r.matches(labels)),
        }
    }

    /// `labels.SelectorFromSet`: `key=value` for every entry (not validated, as in Go).
    pub fn from_set(set: &Labels) -> Selector {
        Selector::All(
            set.iter()
                .map(|(k, v)| Requirement {
                    key: k.clone(),
                    op: Op::In,
                    values: vec![v.clone()],
                    bound: 0,
                })
                .collect(),
        )
    }

    /// Adds a requirement (`Nothing` stays nothing, as `nothingSelector.Add` does).
    pub fn add(&mut self, req: Requirement) {
        if let Selector::All(reqs) = self {
            reqs.push(req);
        }
    }

    /// `metav1.LabelSelectorAsSelector` on a JSON `LabelSelector`: missing/`null` selects
    /// nothing, `{}` everything.
    pub fn from_label_selector(selector: Option<&Json>) -> Result<Selector, String> {
        let sel = match selector {
            None | Some(Json::Null) => return Ok(Selector::Nothing),
            Some(Json::Object(sel)) => sel,
            Some(other) => return Err(format!("label selector must be an object, got {other}")),
        };
        let match_labels = optional_object(sel.get("matchLabels"), "matchLabels")?;
        let exprs = optional_array(sel.get("matchExpressions"), "matchExpressions")?;
        let mut reqs = Vec::with_capacity(match_labels.len() + exprs.len());
        for (k, v) in match_labels {
            let v = v
                .as_str()
                .ok_or_else(|| format!("matchLabels.{k}: value must be a string, got {v}"))?;
            reqs.push(Requirement::new(k, Op::In, vec![v.to_string()])?);
        }
        for e in exprs {
            let key = string_field(e, "key")?;
            let op_name = string_field(e, "operator")?;
            let op = Op::parse(op_name, false)
                .ok_or_else(|| format!("{op_name:?} is not a valid label selector operator"))?;
            reqs.push(Requirement::new(
                key,
                op,
                string_list(e.get("values"), "values")?,
            )?);
        }
        Ok(Selector::All(reqs))
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
    pub fn parse(term: &Json) -> Result<Option<NodeSelectorTerm>, String> {
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
                let op = Op::parse(op_name, true).ok_or_else(|| {
                    format!(
                        "matchExpressions: unsupported operator {op_name:?}: supported values: \
                         \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", \"Gt\", \"Lt\""
                    )
                })?;
                let values = string_list(e.get("values"), "values")?;
                if matches!(op, Op::Gt | Op::Lt)
                    && values.len() == 1
                    && parse_go_int(&values[0]).is_none()
                {
                    // Valid for the API server (a label value), unparsable for the scheduler.
                    validate_qualified_name(key).map_err(|e| format!("key {key:?}: {e}"))?;
                    validate_label_value(&values[0])
                        .map_err(|e| format!("key {key:?}: value {:?}: {e}", values[0]))?;
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
                    _ => {
                        return Err(format!(
                            "matchFields: unsupported operator {op:?}: supported values: \"In\", \"NotIn\""
                        ));
                    }
                };
                if key != "metadata.name" {
                    return Err(format!(
                        "matchFields: {key:?} is not a valid field selector key (only \"metadata.name\")"
                    ));
                }
                let [value] = <[String; 1]>::try_from(values)
                    .map_err(|_| format!("matchFields {key:?}: values must have one element"))?;
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
    ) -> Result<RequiredNodeAffinity, String> {
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
    pub fn node_names(&self) -> Option<std::collections::BTreeSet<String>> {
        let terms = self.terms.as_ref()?;
        if terms.is_empty() {
            return None;
        }
        let mut all = std::collections::BTreeSet::new();
        for t in terms {
            for n in t.node_names()? {
                all.insert(n.to_string());
            }
        }
        Some(all)
    }
}

fn optional_object<'a>(
    v: Option<&'a Json>,
    what: &str,
) -> Result<&'a serde_json::Map<String, Json>, String> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, Json>> = std::sync::OnceLock::new();
    match v {
        None | Some(Json::Null) => Ok(EMPTY.get_or_init(serde_json::Map::new)),
        Some(Json::Object(m)) => Ok(m),
        Some(other) => Err(format!("{what} must be an object, got {other}")),
    }
}

pub(crate) fn optional_array<'a>(v: Option<&'a Json>, what: &str) -> Result<&'a [Json], String> {
    match v {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(a)) => Ok(a),
        Some(other) => Err(format!("{what} must be a list, got {other}")),
    }
}

pub(crate) fn string_field<'a>(v: &'a Json, key: &str) -> Result<&'a str, String> {
    match v.get(key) {
        Some(Json::String(s)) => Ok(s),
        None | Some(Json::Null) => Err(format!("{key} is required")),
        Some(other) => Err(format!("{key} must be a string, got {other}")),
    }
}

pub(crate) fn string_list(v: Option<&Json>, what: &str) -> Result<Vec<String>, String> {
    optional_array(v, what)?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{what}: every entry must be a string, got {s}"))
        })
        .collect()
}

/// `validation.IsQualifiedName`: `[prefix/]name`, the prefix a DNS-1123 subdomain, the name at
/// most 63 characters of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
pub fn validate_qualified_name(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        None => (None, s),
        Some((p, n)) => (Some(p), n),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err("prefix part must be non-empty".into());
        }
        if !is_dns1123_subdomain(prefix) {
            return Err(format!(
                "prefix part {prefix:?} must be a lowercase RFC 1123 subdomain"
            ));
        }
    }
    if name.is_empty() {
        return Err("name part must be non-empty".into());
    }
    if name.len() > 63 {
        return Err("name part must be no more than 63 characters".into());
    }
    if !is_label_name(name) {
        return Err(format!(
            "name part {name:?} must consist of alphanumeric characters, '-', '_' or '.', and \
             must start and end with an alphanumeric character"
        ));
    }
    Ok(())
}

/// `validation.IsValidLabelValue`: empty, or at most 63 characters of `[A-Za-z0-9_.-]`
/// starting and ending alphanumeric.
pub fn validate_label_value(v: &str) -> Result<(), String> {
    if v.len() > 63 {
        return Err("must be no more than 63 characters".into());
    }
    if !v.is_empty() && !is_label_name(v) {
        return Err(
            "a valid label must be an empty string or consist of alphanumeric characters, \
                    '-', '_' or '.', and must start and end with an alphanumeric character"
                .into(),
        );
    }
    Ok(())
}

fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && is_lower_alnum(b[0])
                && is_lower_alnum(b[b.len() - 1])
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        })
}

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
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

/// `v1helper.IsExtendedResourceName`.
pub fn is_extended_resource_name(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    !native
        && !name.starts_with("requests.")
        && validate_qualified_name(&format!("requests.{name}")).is_ok()
}

/// A `HashMap` with rustc's `FxHasher`: keys are short strings from the user's own cluster, so
/// hash flooding is not a concern, and SipHash dominated placement time on large clusters.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;
