//! Label selectors, the one implementation for every caller (PDBs in `totals`, the scheduler's
//! affinity and spread terms): apimachinery's `labels.Requirement` (with the node-affinity
//! operators `Gt`/`Lt`) and `metav1.LabelSelectorAsSelector`, validation included, and the
//! label key/value rules they validate with (`validation.IsQualifiedName`,
//! `IsValidLabelValue`). Selectors are parsed once; matching allocates nothing.
//!
//! A malformed selector is an error, as `LabelSelectorAsSelector` makes it; [`matches()`] reads
//! one as selecting nothing (see there why).

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use serde_json::Value as Json;

/// Labels of a node, pod or namespace.
pub type Labels = BTreeMap<String, String>;

/// Something labels can be looked up in (a label map, a JSON `labels` object, or the one
/// default label of a namespace that is not otherwise known).
pub trait LabelLookup {
    fn label(&self, key: &str) -> Option<&str>;
}

impl LabelLookup for Labels {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl<S: BuildHasher> LabelLookup for HashMap<String, String, S> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// A rendered object's `labels`; a value that is not a string is no label.
impl LabelLookup for Json {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }
}

/// A single `key=value` label.
pub struct OneLabel<'a>(pub &'a str, pub &'a str);

impl LabelLookup for OneLabel<'_> {
    fn label(&self, key: &str) -> Option<&str> {
        (key == self.0).then_some(self.1)
    }
}

/// A JSON field without the shape the API gives it. The texts name the field as the user
/// wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("{field} must be an object, got {got}")]
    NotAnObject { field: String, got: Json },
    #[error("{field} must be a list, got {got}")]
    NotAList { field: String, got: Json },
    #[error("{field} is required")]
    Missing { field: String },
    #[error("{field} must be a string, got {got}")]
    NotAString { field: String, got: Json },
    #[error("{field}: every entry must be a string, got {got}")]
    EntryNotAString { field: String, got: Json },
}

/// A label key or value that `IsQualifiedName`/`IsValidLabelValue` refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("prefix part must be non-empty")]
    EmptyPrefix,
    #[error("prefix part {0:?} must be a lowercase RFC 1123 subdomain")]
    Prefix(String),
    #[error("name part must be non-empty")]
    EmptyName,
    #[error("name part must be no more than 63 characters")]
    NameTooLong,
    #[error(
        "name part {0:?} must consist of alphanumeric characters, '-', '_' or '.', and must \
         start and end with an alphanumeric character"
    )]
    Name(String),
    #[error("must be no more than 63 characters")]
    ValueTooLong,
    #[error(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' \
         or '.', and must start and end with an alphanumeric character"
    )]
    Value,
}

/// What `labels.NewRequirement` refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    #[error(transparent)]
    Key(NameError),
    #[error("for 'In', 'NotIn' operators, values set can't be empty")]
    EmptyValues,
    #[error("values set must be empty for exists and does not exist")]
    ValuesForExists,
    #[error("for 'Gt', 'Lt' operators, exactly one value is required")]
    NotOneValue,
    #[error("for 'Gt', 'Lt' operators, the value must be an integer, got {0:?}")]
    NotAnInteger(String),
    #[error("value {value:?}: {error}")]
    Value { value: String, error: NameError },
}

/// Why a `LabelSelector` cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error(transparent)]
    Shape(#[from] ShapeError),
    #[error("{0:?} is not a valid label selector operator")]
    Operator(String),
    #[error("key {key:?}: {error}")]
    Requirement {
        key: String,
        error: RequirementError,
    },
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
    /// The operator named `op`; `Gt`/`Lt` only in node affinity.
    pub fn parse(op: &str, node_affinity: bool) -> Option<Op> {
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
    pub fn new(key: &str, op: Op, values: Vec<String>) -> Result<Requirement, SelectorError> {
        let invalid = |error| SelectorError::Requirement {
            key: key.to_string(),
            error,
        };
        validate_qualified_name(key).map_err(|e| invalid(RequirementError::Key(e)))?;
        let mut bound = 0;
        match op {
            Op::In | Op::NotIn if values.is_empty() => {
                return Err(invalid(RequirementError::EmptyValues));
            }
            Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                return Err(invalid(RequirementError::ValuesForExists));
            }
            Op::Gt | Op::Lt => {
                let [value] = values.as_slice() else {
                    return Err(invalid(RequirementError::NotOneValue));
                };
                bound = parse_go_int(value)
                    .ok_or_else(|| invalid(RequirementError::NotAnInteger(value.clone())))?;
            }
            _ => {}
        }
        for v in &values {
            validate_label_value(v).map_err(|error| {
                invalid(RequirementError::Value {
                    value: v.clone(),
                    error,
                })
            })?;
        }
        Ok(Requirement {
            key: key.to_string(),
            op,
            values,
            bound,
        })
    }

    /// `Requirement.Matches`.
    pub fn matches(&self, labels: &(impl LabelLookup + ?Sized)) -> bool {
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
    /// `Selector.Empty()`: true for the everything selector only (Go's `nothingSelector` is not
    /// empty). PodTopologySpread counts no existing pods for an empty selector.
    pub fn is_empty(&self) -> bool {
        matches!(self, Selector::All(r) if r.is_empty())
    }

    pub fn matches(&self, labels: &(impl LabelLookup + ?Sized)) -> bool {
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
    /// nothing, `{}` everything; anything `NewRequirement` refuses is an error.
    pub fn from_label_selector(selector: Option<&Json>) -> Result<Selector, SelectorError> {
        let sel = match selector {
            None | Some(Json::Null) => return Ok(Selector::Nothing),
            Some(Json::Object(sel)) => sel,
            Some(other) => return Err(not_an_object("label selector", other).into()),
        };
        let match_labels = optional_object(sel.get("matchLabels"), "matchLabels")?;
        let exprs = optional_array(sel.get("matchExpressions"), "matchExpressions")?;
        let mut reqs = Vec::with_capacity(match_labels.len() + exprs.len());
        for (k, v) in match_labels {
            let v = v.as_str().ok_or_else(|| ShapeError::NotAString {
                field: format!("matchLabels.{k}: value"),
                got: v.clone(),
            })?;
            reqs.push(Requirement::new(k, Op::In, vec![v.to_string()])?);
        }
        for e in exprs {
            let key = string_field(e, "key")?;
            let op_name = string_field(e, "operator")?;
            let op = Op::parse(op_name, false)
                .ok_or_else(|| SelectorError::Operator(op_name.to_string()))?;
            reqs.push(Requirement::new(
                key,
                op,
                string_list(e.get("values"), "values")?,
            )?);
        }
        Ok(Selector::All(reqs))
    }
}

/// Whether the `LabelSelector` `selector` of a rendered object (a PDB's) selects `labels`. An
/// empty selector (`{}`) selects everything, a missing one (`null`) nothing. A malformed one
/// selects nothing: the API server's `ValidateLabelSelector` refuses it, and the disruption
/// controller, when `LabelSelectorAsSelector` fails, lists no pods for the budget.
pub fn matches(selector: &Json, labels: &Json) -> bool {
    Selector::from_label_selector(Some(selector)).is_ok_and(|s| s.matches(labels))
}

fn not_an_object(field: &str, got: &Json) -> ShapeError {
    ShapeError::NotAnObject {
        field: field.to_string(),
        got: got.clone(),
    }
}

fn optional_object<'a>(
    v: Option<&'a Json>,
    field: &str,
) -> Result<&'a serde_json::Map<String, Json>, ShapeError> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, Json>> = std::sync::OnceLock::new();
    match v {
        None | Some(Json::Null) => Ok(EMPTY.get_or_init(serde_json::Map::new)),
        Some(Json::Object(m)) => Ok(m),
        Some(other) => Err(not_an_object(field, other)),
    }
}

/// A list field; missing or `null` is empty.
pub fn optional_array<'a>(v: Option<&'a Json>, field: &str) -> Result<&'a [Json], ShapeError> {
    match v {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(a)) => Ok(a),
        Some(other) => Err(ShapeError::NotAList {
            field: field.to_string(),
            got: other.clone(),
        }),
    }
}

/// A required string field.
pub fn string_field<'a>(v: &'a Json, key: &str) -> Result<&'a str, ShapeError> {
    match v.get(key) {
        Some(Json::String(s)) => Ok(s),
        None | Some(Json::Null) => Err(ShapeError::Missing {
            field: key.to_string(),
        }),
        Some(other) => Err(ShapeError::NotAString {
            field: key.to_string(),
            got: other.clone(),
        }),
    }
}

/// A list of strings; missing or `null` is empty.
pub fn string_list(v: Option<&Json>, field: &str) -> Result<Vec<String>, ShapeError> {
    optional_array(v, field)?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| ShapeError::EntryNotAString {
                    field: field.to_string(),
                    got: s.clone(),
                })
        })
        .collect()
}

/// `validation.IsQualifiedName`: `[prefix/]name`, the prefix a DNS-1123 subdomain, the name at
/// most 63 characters of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
pub fn validate_qualified_name(s: &str) -> Result<(), NameError> {
    let (prefix, name) = match s.split_once('/') {
        None => (None, s),
        Some((p, n)) => (Some(p), n),
    };
    match prefix {
        Some("") => return Err(NameError::EmptyPrefix),
        Some(p) if !is_dns1123_subdomain(p) => return Err(NameError::Prefix(p.to_string())),
        _ => {}
    }
    if name.is_empty() {
        Err(NameError::EmptyName)
    } else if name.len() > 63 {
        Err(NameError::NameTooLong)
    } else if !is_label_name(name) {
        Err(NameError::Name(name.to_string()))
    } else {
        Ok(())
    }
}

/// `validation.IsValidLabelValue`: empty, or at most 63 characters of `[A-Za-z0-9_.-]`
/// starting and ending alphanumeric.
pub fn validate_label_value(v: &str) -> Result<(), NameError> {
    if v.len() > 63 {
        Err(NameError::ValueTooLong)
    } else if !v.is_empty() && !is_label_name(v) {
        Err(NameError::Value)
    } else {
        Ok(())
    }
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
    let lower_alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && lower_alnum(b[0])
                && lower_alnum(b[b.len() - 1])
                && b.iter().all(|&c| lower_alnum(c) || c == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let labels = json!({"app": "web", "tier": "front"});
        assert!(matches(&json!({}), &labels));
        assert!(!matches(&Json::Null, &labels));
        assert!(matches(&json!({"matchLabels": {"app": "web"}}), &labels));
        assert!(!matches(&json!({"matchLabels": {"app": "db"}}), &labels));
        let sel = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["front", "edge"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "NotIn", "values": ["a"]}
            ]
        });
        assert!(matches(&sel, &labels));
        let sel = json!({"matchExpressions": [{"key": "tier", "operator": "Exists"},
                                               {"key": "tier", "operator": "NotIn", "values": ["front"]}]});
        assert!(!matches(&sel, &labels));
    }

    /// Every malformed selector is the error `LabelSelectorAsSelector` returns (same wording as
    /// the scheduler's `invalid pod: ...`) and selects nothing for [`matches()`], even where the
    /// requirement alone would match these labels.
    #[test]
    #[rustfmt::skip]
    fn malformed_selectors_are_errors_and_select_nothing() {
        let labels = json!({"app": "web", "tier": "front"});
        let expr = |key: &str, op: &str, values: Json| {
            json!({"matchExpressions": [{"key": key, "operator": op, "values": values}]})
        };
        let chars = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
        for (sel, error) in [
            (expr("app", "Equals", json!(["web"])), r#""Equals" is not a valid label selector operator"#.to_string()),
            (expr("app", "Gt", json!(["1"])), r#""Gt" is not a valid label selector operator"#.into()),
            (expr("app", "In", json!([])), r#"key "app": for 'In', 'NotIn' operators, values set can't be empty"#.into()),
            (expr("zone", "NotIn", Json::Null), r#"key "zone": for 'In', 'NotIn' operators, values set can't be empty"#.into()),
            (expr("app", "Exists", json!(["web"])), r#"key "app": values set must be empty for exists and does not exist"#.into()),
            (expr("zone", "DoesNotExist", json!(["a"])), r#"key "zone": values set must be empty for exists and does not exist"#.into()),
            (json!({"matchLabels": {"app": "web", "bad key": "x"}}), format!(r#"key "bad key": name part "bad key" {chars}"#)),
            (expr("Example.com/app", "Exists", Json::Null), r#"key "Example.com/app": prefix part "Example.com" must be a lowercase RFC 1123 subdomain"#.into()),
            (expr("/app", "Exists", Json::Null), r#"key "/app": prefix part must be non-empty"#.into()),
            (expr("tier", "NotIn", json!(["-x-"])), r#"key "tier": value "-x-": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"#.into()),
            (json!({"matchLabels": {"app": "a".repeat(64)}}), format!(r#"key "app": value "{}": must be no more than 63 characters"#, "a".repeat(64))),
            (json!({"matchLabels": {"app": 1}}), "matchLabels.app: value must be a string, got 1".into()),
            (json!({"matchExpressions": [{"operator": "Exists"}]}), "key is required".into()),
            (json!("app=web"), r#"label selector must be an object, got "app=web""#.into()),
        ] {
            let err = Selector::from_label_selector(Some(&sel)).expect_err(&sel.to_string());
            assert_eq!(err.to_string(), error);
            assert!(!matches(&sel, &labels), "{sel}");
        }
    }

    fn req(key: &str, op: Op, values: &[&str]) -> Result<Requirement, String> {
        Requirement::new(key, op, values.iter().map(|v| v.to_string()).collect())
            .map_err(|e| e.to_string())
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn requirement_operators() {
        let l = labels(&[
            ("app", "web"),
            ("gpu-mem", "81920"),
            ("tier", "front"),
            ("odd", "lots"),
        ]);
        assert!(req("app", Op::In, &["web", "api"]).unwrap().matches(&l));
        assert!(!req("app", Op::In, &["api"]).unwrap().matches(&l));
        assert!(!req("missing", Op::In, &["x"]).unwrap().matches(&l));
        assert!(req("app", Op::NotIn, &["api"]).unwrap().matches(&l));
        assert!(!req("app", Op::NotIn, &["web"]).unwrap().matches(&l));
        assert!(
            req("missing", Op::NotIn, &["x"]).unwrap().matches(&l),
            "NotIn matches absent keys"
        );
        assert!(req("tier", Op::Exists, &[]).unwrap().matches(&l));
        assert!(!req("missing", Op::Exists, &[]).unwrap().matches(&l));
        assert!(req("missing", Op::DoesNotExist, &[]).unwrap().matches(&l));
        assert!(!req("tier", Op::DoesNotExist, &[]).unwrap().matches(&l));
        // Gt / Lt: strict integer comparisons; absent or non-integer labels never match.
        assert!(req("gpu-mem", Op::Gt, &["49152"]).unwrap().matches(&l));
        assert!(!req("gpu-mem", Op::Gt, &["81920"]).unwrap().matches(&l));
        assert!(req("gpu-mem", Op::Lt, &["81921"]).unwrap().matches(&l));
        assert!(!req("gpu-mem", Op::Lt, &["81920"]).unwrap().matches(&l));
        assert!(req("gpu-mem", Op::Gt, &["0"]).unwrap().matches(&l));
        assert!(!req("odd", Op::Gt, &["0"]).unwrap().matches(&l));
        assert!(!req("odd", Op::Lt, &["0"]).unwrap().matches(&l));
        assert!(!req("missing", Op::Lt, &["10"]).unwrap().matches(&l));
    }

    #[test]
    fn requirement_validation_matches_new_requirement() {
        assert!(
            req("app", Op::In, &[])
                .unwrap_err()
                .contains("can't be empty")
        );
        assert!(req("app", Op::NotIn, &[]).is_err());
        assert!(
            req("app", Op::Exists, &["x"])
                .unwrap_err()
                .contains("must be empty")
        );
        assert!(
            req("n", Op::Gt, &["1", "2"])
                .unwrap_err()
                .contains("exactly one value")
        );
        assert!(
            req("n", Op::Gt, &["1.5"])
                .unwrap_err()
                .contains("must be an integer")
        );
        assert!(req("n", Op::Lt, &["1_000"]).is_err());
        // NewRequirement also validates every value as a label value, so signs are refused.
        assert!(req("n", Op::Lt, &["+7"]).is_err());
        assert!(req("n", Op::Gt, &["-5"]).is_err());
        assert!(req("bad key!", Op::Exists, &[]).is_err());
        assert!(
            req("Example.com/x", Op::Exists, &[]).is_err(),
            "prefix must be lowercase"
        );
        assert!(req("example.com/x", Op::Exists, &[]).is_ok());
        assert!(req("app", Op::In, &["not valid"]).is_err());
        assert_eq!(parse_go_int("-12"), Some(-12));
        assert_eq!(parse_go_int(""), None);
        assert_eq!(parse_go_int("+"), None);
        assert_eq!(parse_go_int("9223372036854775808"), None);
    }

    #[test]
    fn label_selector_as_selector() {
        let l = labels(&[("app", "web")]);
        let nothing = Selector::from_label_selector(None).unwrap();
        assert_eq!(nothing, Selector::Nothing);
        assert!(!nothing.matches(&l) && !nothing.is_empty());
        let everything = Selector::from_label_selector(Some(&json!({}))).unwrap();
        assert!(everything.matches(&l) && everything.is_empty());
        let sel = Selector::from_label_selector(Some(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]
        })))
        .unwrap();
        assert!(sel.matches(&l));
        assert!(!sel.matches(&labels(&[("app", "web"), ("canary", "1")])));
        let err = Selector::from_label_selector(Some(&json!({
            "matchExpressions": [{"key": "n", "operator": "Gt", "values": ["1"]}]
        })))
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a valid label selector operator"), "{err}");
    }
}
