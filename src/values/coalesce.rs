//! Chart defaults under user values, as Helm's `chartutil` coalescing does it: user values win,
//! maps merge key by key, and a user `null` deletes the default.

use super::{Map, Value};
use crate::source::Span;

/// A default that a user value of another shape replaced (Helm prints a warning for these).
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeConflict {
    pub path: Vec<String>,
    pub user: Value,
    pub default: Value,
}

/// A chart default a user `null` deleted: where the null is written, so a `required` error for
/// the key can point at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Deleted {
    pub path: Vec<String>,
    pub at: Option<Span>,
}

/// What coalescing found besides the merged values.
#[derive(Debug, Default)]
pub struct Coalesced {
    pub conflicts: Vec<ShapeConflict>,
    pub deleted: Vec<Deleted>,
}

/// Merge `defaults` under `user` (Helm's `coalesceValues`/`coalesceTablesFullKey` with
/// merge=false). Returns the keys where a map met a non-map.
pub fn coalesce(user: &mut Map, defaults: &Map) -> Vec<ShapeConflict> {
    coalesce_chart_defaults(user, defaults, &[]).conflicts
}

/// [`coalesce`] for a chart whose (enabled) subcharts are keyed `subcharts`: Helm merges the
/// chart's defaults for those keys with merge=true (`childChartMergeTrue`), so a user `null`
/// there survives the parent's defaults and is left to the subchart's own coalescing (which
/// deletes it only where the subchart's `values.yaml` has the key, and then fills nothing in).
pub fn coalesce_chart_defaults(user: &mut Map, defaults: &Map, subcharts: &[&str]) -> Coalesced {
    let mut out = Coalesced::default();
    for (key, default) in defaults {
        // The chart's own key is coalesced with merge=false (a `null` for the whole section
        // deletes it); inside a subchart's section, with merge=true.
        let merge = subcharts.contains(&key.as_str()) && user.get(key).is_some_and(Value::is_map);
        coalesce_key(user, key, default, merge, &mut Vec::new(), &mut out);
    }
    out
}

fn coalesce_at(
    user: &mut Map,
    defaults: &Map,
    merge: bool,
    path: &mut Vec<String>,
    out: &mut Coalesced,
) {
    for (key, default) in defaults {
        coalesce_key(user, key, default, merge, path, out);
    }
}

/// One key of `coalesceTablesFullKey`: a missing key takes the default; a `null` deletes it
/// unless merging (then it stays null); maps recurse.
fn coalesce_key(
    user: &mut Map,
    key: &str,
    default: &Value,
    merge: bool,
    path: &mut Vec<String>,
    out: &mut Coalesced,
) {
    match user.get_mut(key) {
        None => {
            user.insert(key.to_string(), default.clone());
        }
        Some(value) if value.is_null() => {
            if !merge {
                let mut at = path.clone();
                at.push(key.to_string());
                out.deleted.push(Deleted {
                    path: at,
                    at: value.shown_at().or(value.key_span),
                });
                user.shift_remove(key);
            }
        }
        Some(value) => match (value.as_map_mut(), default.as_map()) {
            (Some(inner), Some(default_inner)) => {
                path.push(key.to_string());
                coalesce_at(inner, default_inner, merge, path, out);
                path.pop();
            }
            (None, None) => {}
            _ => {
                let mut at = path.clone();
                at.push(key.to_string());
                out.conflicts.push(ShapeConflict {
                    path: at,
                    user: value.clone(),
                    default: default.clone(),
                });
            }
        },
    }
}

/// Copy `parent`'s `global` into `child`'s (Helm's `coalesceGlobals`): the parent's globals win,
/// maps merge, keys only the child has stay.
pub fn coalesce_globals(child: &mut Map, parent: &Map) {
    let Some(parent_globals) = parent.get("global").and_then(Value::as_map) else {
        return;
    };
    let entry = child
        .entry("global".to_string())
        .or_insert_with(Value::empty_map);
    if !entry.is_map() {
        *entry = Value::empty_map();
    }
    let Some(child_globals) = entry.as_map_mut() else {
        return;
    };
    for (key, value) in parent_globals {
        match (
            child_globals.get(key).and_then(Value::as_map),
            value.as_map(),
        ) {
            (Some(child_map), Some(parent_map)) => {
                let mut merged = parent_map.clone();
                coalesce_keep_existing(&mut merged, child_map);
                let mut v = value.clone();
                v.kind = super::Kind::Map(merged);
                child_globals.insert(key.clone(), v);
            }
            (Some(_), None) => {}
            _ => {
                child_globals.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Fill keys missing from `dest` with `src`'s, recursively (merge=true: nulls kept).
fn coalesce_keep_existing(dest: &mut Map, src: &Map) {
    for (key, value) in src {
        match dest.get_mut(key) {
            None => {
                dest.insert(key.clone(), value.clone());
            }
            Some(existing) => {
                if let (Some(d), Some(s)) = (existing.as_map_mut(), value.as_map()) {
                    coalesce_keep_existing(d, s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceKind, Sources};
    use crate::values::{Kind, parse_values};
    use serde_json::json;

    fn map(text: &str) -> Map {
        let mut sources = Sources::new();
        let id = sources.add("v.yaml", text, SourceKind::Other);
        match parse_values(&sources, id).unwrap().kind {
            Kind::Map(m) => m,
            _ => unreachable!(),
        }
    }

    fn json(m: Map) -> serde_json::Value {
        Value::new(Kind::Map(m), None).to_json()
    }

    #[test]
    fn user_wins_maps_merge_null_deletes() {
        let mut user = map("a: {x: 9, y: null}\nb: null\nl: [1]\nnew: null\n");
        let defaults = map("a: {x: 1, y: 2, z: 3}\nb: 5\nl: [7, 8]\nc: d\n");
        let conflicts = coalesce(&mut user, &defaults);
        assert!(conflicts.is_empty());
        // A null for a key the chart does not have stays null (Helm keeps it).
        assert_eq!(
            json(user),
            json!({"a": {"x": 9, "z": 3}, "l": [1], "new": null, "c": "d"})
        );
    }

    #[test]
    fn shape_conflicts_keep_the_user_value_and_are_reported() {
        let mut user = map("a: 3\n");
        let conflicts = coalesce(&mut user, &map("a: {x: 1}\n"));
        assert_eq!(conflicts.len(), 1);
        assert_eq!(json(user), json!({"a": 3}));
    }

    #[test]
    fn parent_globals_win() {
        let mut child = map("global: {a: child, only: c, m: {x: 1, w: 1}}\n");
        coalesce_globals(&mut child, &map("global: {a: parent, m: {x: 2}}\n"));
        assert_eq!(
            json(child),
            json!({"global": {"a": "parent", "only": "c", "m": {"x": 2, "w": 1}}})
        );
    }
}
