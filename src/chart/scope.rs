//! Which dependencies are enabled and what each chart sees as `.Values`, as Helm computes it
//! (`ProcessDependencies` then `CoalesceValues` in helm's chartutil):
//!
//! 1. conditions and tags are evaluated on the user values coalesced with *every* chart's
//!    defaults; tags first, then the first condition path that resolves to a boolean wins;
//! 2. disabled subcharts are dropped (their defaults are not merged and they are not validated);
//! 3. user values are coalesced with the defaults of the enabled charts, each subchart under its
//!    key with the parent's `global` copied in;
//! 4. `import-values` fill keys of the parent that neither the user nor the parent set.

use super::Chart;
use crate::values::coalesce::{
    Deleted, ShapeConflict, coalesce, coalesce_chart_defaults, coalesce_globals,
};
use crate::values::{Kind, Map, Value};

/// One chart of the release and the values path of its scope (empty for the top chart).
#[derive(Debug, Clone)]
pub struct Scope<'c> {
    pub path: Vec<String>,
    pub chart: &'c Chart,
}

/// A dependency left out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Disabled {
    pub path: Vec<String>,
    pub reason: String,
}

/// The values of a release as Helm hands them to templates and schema validation.
#[derive(Debug, Clone)]
pub struct Resolved<'c> {
    pub values: Value,
    pub scopes: Vec<Scope<'c>>,
    pub disabled: Vec<Disabled>,
    pub conflicts: Vec<ShapeConflict>,
    /// Defaults the user's `null`s deleted, with where each null is written.
    pub deleted: Vec<Deleted>,
    /// A subchart key set to something that is not a map: Helm fails with "type mismatch".
    pub mismatches: Vec<(Vec<String>, Value)>,
}

pub fn resolve<'c>(chart: &'c Chart, user: &Value) -> Resolved<'c> {
    let user_map = user.as_map().cloned().unwrap_or_default();

    // 1. Conditions and tags on everything coalesced.
    let mut everything = user_map.clone();
    let mut scratch = Outcome::default();
    coalesce_chart(
        chart,
        &mut everything,
        &mut Vec::new(),
        &|_| true,
        &mut scratch,
    );
    let everything = Value::new(Kind::Map(everything), None);
    let mut disabled = Vec::new();
    collect_disabled(chart, &everything, &mut Vec::new(), &mut disabled);

    // 2–3. Coalesce again with only the enabled charts.
    let is_enabled = |path: &[String]| {
        !disabled
            .iter()
            .any(|d: &Disabled| path.starts_with(&d.path))
    };
    let mut values = user_map;
    let mut outcome = Outcome::default();
    coalesce_chart(
        chart,
        &mut values,
        &mut Vec::new(),
        &is_enabled,
        &mut outcome,
    );

    // 4. import-values.
    import_values(chart, &mut values, &mut Vec::new(), &is_enabled);

    let mut scopes = Vec::new();
    for (path, c) in chart.walk() {
        if is_enabled(&path) {
            scopes.push(Scope { path, chart: c });
        }
    }
    Resolved {
        values: Value::new(Kind::Map(values), None),
        scopes,
        disabled,
        conflicts: outcome.conflicts,
        deleted: outcome.deleted,
        mismatches: outcome.mismatches,
    }
}

#[derive(Default)]
struct Outcome {
    conflicts: Vec<ShapeConflict>,
    deleted: Vec<Deleted>,
    mismatches: Vec<(Vec<String>, Value)>,
}

fn coalesce_chart(
    chart: &Chart,
    values: &mut Map,
    path: &mut Vec<String>,
    enabled: &dyn Fn(&[String]) -> bool,
    out: &mut Outcome,
) {
    if let Some(defaults) = chart.defaults.as_map() {
        // Helm coalesces after removing disabled dependencies: only enabled ones merge.
        let subcharts: Vec<&str> = chart
            .subcharts
            .iter()
            .map(Chart::name)
            .filter(|name| {
                path.push(name.to_string());
                let on = enabled(path);
                path.pop();
                on
            })
            .collect();
        let coalesced = coalesce_chart_defaults(values, defaults, &subcharts);
        for mut conflict in coalesced.conflicts {
            let mut full = path.clone();
            full.append(&mut conflict.path);
            conflict.path = full;
            out.conflicts.push(conflict);
        }
        for mut deleted in coalesced.deleted {
            let mut full = path.clone();
            full.append(&mut deleted.path);
            deleted.path = full;
            out.deleted.push(deleted);
        }
    }
    for sub in &chart.subcharts {
        path.push(sub.name().to_string());
        if enabled(path) {
            let mut scope = match values.get(sub.name()) {
                None => Map::new(),
                Some(Value {
                    kind: Kind::Map(m), ..
                }) => m.clone(),
                Some(other) => {
                    out.mismatches.push((path.clone(), other.clone()));
                    path.pop();
                    continue;
                }
            };
            coalesce_globals(&mut scope, values);
            coalesce_chart(sub, &mut scope, path, enabled, out);
            let entry = values
                .entry(sub.name().to_string())
                .or_insert_with(Value::empty_map);
            entry.kind = Kind::Map(scope);
        }
        path.pop();
    }
}

fn lookup<'v>(values: &'v Value, path: &[String], dotted: &str) -> Option<&'v Value> {
    let mut cur = values;
    for seg in path
        .iter()
        .map(String::as_str)
        .chain(dotted.split('.').filter(|s| !s.is_empty()))
    {
        cur = cur.as_map()?.get(seg)?;
    }
    Some(cur)
}

fn collect_disabled(
    chart: &Chart,
    everything: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<Disabled>,
) {
    let tags = lookup(everything, &[], "tags");
    for dep in &chart.metadata.dependencies {
        let mut enabled = None;
        let mut reason = String::new();
        // Tags: off only when some tag is false and none is true.
        let tag_values: Vec<bool> = dep
            .tags
            .iter()
            .filter_map(|t| tags.and_then(|m| m.as_map()?.get(t)?.as_bool()))
            .collect();
        if !dep.tags.is_empty() && !tag_values.is_empty() {
            let any_true = tag_values.iter().any(|b| *b);
            enabled = Some(any_true);
            if !any_true {
                reason = format!("tags {} are false", dep.tags.join(", "));
            }
        }
        for cond in dep.conditions() {
            if let Some(b) = lookup(everything, path, cond).and_then(Value::as_bool) {
                enabled = Some(b);
                reason = format!("condition {cond} is false");
                break;
            }
        }
        let mut dep_path = path.clone();
        dep_path.push(dep.key().to_string());
        if enabled == Some(false) {
            out.push(Disabled {
                path: dep_path,
                reason,
            });
        }
    }
    for sub in &chart.subcharts {
        path.push(sub.name().to_string());
        if !out.iter().any(|d| *path == d.path) {
            collect_disabled(sub, everything, path, out);
        }
        path.pop();
    }
}

fn import_values(
    chart: &Chart,
    values: &mut Map,
    path: &mut Vec<String>,
    enabled: &dyn Fn(&[String]) -> bool,
) {
    for sub in &chart.subcharts {
        path.push(sub.name().to_string());
        if enabled(path)
            && let Some(Value {
                kind: Kind::Map(scope),
                ..
            }) = values.get_mut(sub.name())
        {
            import_values(sub, scope, path, enabled);
        }
        path.pop();
    }
    for dep in &chart.metadata.dependencies {
        let mut dep_path = path.clone();
        dep_path.push(dep.key().to_string());
        if !enabled(&dep_path) {
            continue;
        }
        for iv in &dep.import_values {
            let here = Value::new(Kind::Map(values.clone()), None);
            let Some(Value {
                kind: Kind::Map(imported),
                ..
            }) = lookup(&here, &[dep.key().to_string()], &iv.child).cloned()
            else {
                continue;
            };
            let target = descend(values, &iv.parent);
            coalesce(target, &imported);
        }
    }
}

/// The map at a dotted path, created as needed (`.` is the chart's top level).
fn descend<'m>(mut map: &'m mut Map, dotted: &str) -> &'m mut Map {
    for seg in dotted.split('.').filter(|s| !s.is_empty()) {
        let entry = map.entry(seg.to_string()).or_insert_with(Value::empty_map);
        if !entry.is_map() {
            *entry = Value::empty_map();
        }
        map = match &mut entry.kind {
            Kind::Map(m) => m,
            _ => unreachable!("just replaced by a map"),
        };
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::load;
    use crate::source::{SourceKind, Sources};
    use crate::test_support::write;
    use serde_json::json;

    fn fixture() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: db\n  alias: primary\n  condition: primary.enabled,global.db\n- name: db\n  alias: replica\n  tags: [extra]\n  import-values:\n  - child: exported\n    parent: fromReplica\n",
        );
        write(
            d,
            "values.yaml",
            "global: {env: prod}\nprimary: {enabled: true, port: 1}\ntags: {extra: false}\n",
        );
        write(
            d,
            "charts/db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 1.2.0\n",
        );
        write(
            d,
            "charts/db/values.yaml",
            "port: 5432\nexported: {a: 1}\nglobal: {env: dev, own: x}\n",
        );
        tmp
    }

    fn user(text: &str) -> Value {
        let mut sources = Sources::new();
        let id = sources.add("u.yaml", text, SourceKind::Other);
        crate::values::parse_values(&sources, id).unwrap()
    }

    /// Helm v3.22 and v4.3 (`helm template`), measured: inside a subchart's section the parent's
    /// defaults merge (a `null` survives them), and the subchart's own coalescing deletes a
    /// `null` only where its `values.yaml` has the key, filling nothing in.
    #[test]
    fn a_null_in_a_subchart_section_is_coalesced_as_helm_does() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: am\n  version: 1.0.0\n",
        );
        write(
            d,
            "values.yaml",
            "am:\n  enabled: true\n  persistence: {size: 1Gi}\nown: {a: 1}\n",
        );
        write(
            d,
            "charts/am/Chart.yaml",
            "apiVersion: v2\nname: am\nversion: 1.0.0\n",
        );
        write(d, "charts/am/values.yaml", "persistence: {size: 2Gi}\n");
        let chart = load(d, &mut Sources::new()).unwrap();
        // Helm also shows an empty `global` here; the scope's view of it is tested above.
        let am = |text: &str| {
            let mut v = resolve(&chart, &user(text)).values.to_json()["am"].clone();
            v.as_object_mut().unwrap().remove("global");
            v
        };
        // The parent sets it, the subchart lacks it: the null stays (its schema sees null).
        assert_eq!(
            am("am: {enabled: null}\n"),
            json!({"enabled": null, "persistence": {"size": "1Gi"}})
        );
        // Both set it: deleted by the subchart's coalescing, and no default fills it again.
        assert_eq!(
            am("am: {persistence: {size: null}}\n"),
            json!({"enabled": true, "persistence": {}})
        );
        // The whole section null: the parent's defaults for it go, the subchart's apply.
        assert_eq!(am("am: null\n"), json!({"persistence": {"size": "2Gi"}}));
        // A map of it null: gone, neither default fills it.
        assert_eq!(am("am: {persistence: null}\n"), json!({"enabled": true}));
        // Outside subchart sections a null deletes the parent's default, as before.
        let r = resolve(&chart, &user("own: {a: null}\n"));
        assert_eq!(r.values.to_json()["own"], json!({}));
    }

    #[test]
    fn tags_and_conditions_disable_and_globals_flow_down() {
        let tmp = fixture();
        let chart = load(tmp.path(), &mut Sources::new()).unwrap();
        let r = resolve(&chart, &user("primary: {port: 2}\n"));
        assert_eq!(
            r.disabled
                .iter()
                .map(|d| d.path.join("."))
                .collect::<Vec<_>>(),
            ["replica"]
        );
        assert_eq!(
            r.values.to_json()["primary"],
            json!({"enabled": true, "port": 2, "global": {"env": "prod", "own": "x"}, "exported": {"a": 1}})
        );
        assert!(r.values.to_json().get("replica").is_none());
        assert_eq!(
            r.scopes
                .iter()
                .map(|s| s.path.join("."))
                .collect::<Vec<_>>(),
            ["", "primary"]
        );
    }

    #[test]
    fn condition_overrides_tags_and_import_values_fill_the_parent() {
        let tmp = fixture();
        let chart = load(tmp.path(), &mut Sources::new()).unwrap();
        let r = resolve(
            &chart,
            &user("tags: {extra: true}\nprimary: {enabled: false}\n"),
        );
        assert_eq!(
            r.disabled
                .iter()
                .map(|d| d.path.join("."))
                .collect::<Vec<_>>(),
            ["primary"]
        );
        assert_eq!(r.values.to_json()["fromReplica"], json!({"a": 1}));
    }

    #[test]
    fn a_subchart_key_that_is_not_a_map_is_a_mismatch() {
        let tmp = fixture();
        let chart = load(tmp.path(), &mut Sources::new()).unwrap();
        let r = resolve(&chart, &user("primary: 3\n"));
        assert_eq!(r.mismatches.len(), 1);
    }
}
