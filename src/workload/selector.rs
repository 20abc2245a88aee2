//! Label selectors (`metav1.LabelSelector`): `matchLabels` and `matchExpressions` with `In`,
//! `NotIn`, `Exists`, `DoesNotExist`, ANDed, as `LabelSelectorAsSelector` builds them.

use serde_json::Value as Json;

/// Whether `selector` selects an object with `labels`. An empty selector (`{}`) selects
/// everything; a missing one (`null`) selects nothing, as for PDBs and services.
pub fn matches(selector: &Json, labels: &Json) -> bool {
    let Some(sel) = selector.as_object() else {
        return false;
    };
    let label = |k: &str| labels.get(k).and_then(Json::as_str);
    let match_labels = sel
        .get("matchLabels")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| v.as_str().is_some_and(|v| label(k) == Some(v)));
    let expressions = sel
        .get("matchExpressions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or_default();
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            match (e["operator"].as_str(), label(key)) {
                (Some("In"), Some(v)) => values.contains(&v),
                (Some("NotIn"), Some(v)) => !values.contains(&v),
                (Some("NotIn"), None) => true,
                (Some("Exists"), v) => v.is_some(),
                (Some("DoesNotExist"), v) => v.is_none(),
                _ => false,
            }
        });
    match_labels && expressions
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
}
