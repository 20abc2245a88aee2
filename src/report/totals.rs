//! How totals are shown: an aligned text table (components as rows, scenarios side by side),
//! Markdown for pull-request comments, and JSON (a versioned contract,
//! `schemas/totals-report.schema.json`) with exact integers in base units next to a human form.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::{Diagnostic, diag_json};
use crate::quantity::Quantity;
use crate::source::Sources;
use crate::totals::{Amounts, ByScenario, Scenario, Totals};
use crate::workload::Limit;

/// Version of the totals JSON contract; bump on any incompatible change.
pub const TOTALS_JSON_VERSION: u32 = 1;

/// What the report is about, for its heading.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub release: String,
    /// Chart reference, or the manifests file.
    pub source: String,
    pub namespace: String,
}

/// Key under which claims without `storageClassName` are listed.
pub const DEFAULT_CLASS: &str = "(default)";

fn class_name(class: &Option<String>) -> String {
    match class {
        None => DEFAULT_CLASS.to_string(),
        Some(c) if c.is_empty() => "(none)".to_string(),
        Some(c) => c.clone(),
    }
}

/// The exact integer in base units: millicores for cpu, otherwise units rounded up.
fn base_units(resource: &str, q: &Quantity) -> i128 {
    if resource == "cpu" {
        q.milli_ceil()
    } else {
        q.value_ceil()
    }
}

fn quantity_json(resource: &str, q: &Quantity) -> Json {
    json!({"value": base_units(resource, q), "quantity": q.human(resource)})
}

fn limit_json(resource: &str, l: &Limit) -> Json {
    match l {
        Limit::Bounded(q) => quantity_json(resource, q),
        Limit::Unbounded => json!({"value": null, "quantity": "unbounded"}),
    }
}

fn amounts_json(a: &Amounts) -> Json {
    json!({
        "pods": {"value": a.pods, "quantity": a.pods.to_string()},
        "requests": a.requests.iter().map(|(k, q)| (k.clone(), quantity_json(k, q))).collect::<serde_json::Map<_, _>>(),
        "limits": a.limits.iter().map(|(k, l)| (k.clone(), limit_json(k, l))).collect::<serde_json::Map<_, _>>(),
        "storage": a.storage.iter().map(|(k, q)| (class_name(k), quantity_json("storage", q))).collect::<serde_json::Map<_, _>>(),
    })
}

fn scenarios_json(by: &ByScenario) -> Json {
    Json::Object(
        by.iter()
            .map(|(s, a)| (s.name().to_string(), amounts_json(a)))
            .collect(),
    )
}

pub fn to_json(t: &Totals, subject: &Subject, diags: &[Diagnostic], sources: &Sources) -> Json {
    let count = |s| diags.iter().filter(|d| d.severity == s).count();
    json!({
        "version": TOTALS_JSON_VERSION,
        "release": subject.release,
        "source": subject.source,
        "namespace": subject.namespace,
        "daemonsetNodes": t.daemonset_nodes,
        "scenarios": scenarios_json(&t.overall),
        "components": t.components.iter().map(|(k, by)| json!({
            "name": k.display(),
            "chart": k.chart,
            "component": k.component,
            "scenarios": scenarios_json(by),
        })).collect::<Vec<_>>(),
        "namespaces": t.namespaces.iter().map(|(n, by)| json!({
            "name": n,
            "scenarios": scenarios_json(by),
        })).collect::<Vec<_>>(),
        "workloads": t.workloads.iter().map(|w| json!({
            "kind": w.kind,
            "name": w.name,
            "namespace": w.namespace,
            "template": w.template,
            "component": w.component.display(),
            "replicas": {"steady": w.replicas.steady, "peak": w.replicas.peak, "rollout": w.replicas.rollout},
            "perNode": w.per_node,
            "scaler": w.scaler,
            "transient": w.transient.as_ref().map(|t| match t {
                crate::workload::objects::Transient::Job => "Job".to_string(),
                crate::workload::objects::Transient::CronJob => "CronJob".to_string(),
                crate::workload::objects::Transient::Hook(h) => format!("hook:{h}"),
            }),
            "pod": {
                "requests": w.pod.requests.iter().map(|(k, q)| (k.clone(), quantity_json(k, q))).collect::<serde_json::Map<_, _>>(),
                "limits": w.pod.limits.iter().map(|(k, l)| (k.clone(), limit_json(k, l))).collect::<serde_json::Map<_, _>>(),
            },
        })).collect::<Vec<_>>(),
        "transient": amounts_json(&t.transient),
        "otherKinds": t.other_kinds,
        "summary": {"errors": count(super::Severity::Error), "warnings": count(super::Severity::Warning), "notes": count(super::Severity::Note)},
        "findings": diags.iter().map(|d| diag_json(d, sources)).collect::<Vec<_>>(),
    })
}

/// Resource columns to show: pods, cpu, memory, then every other requested resource.
fn resource_columns(t: &Totals) -> Vec<String> {
    let mut names: Vec<String> = vec!["cpu".into(), "memory".into()];
    for a in t.overall.values() {
        for k in a.requests.keys().chain(a.limits.keys()) {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Requests,
    Limits,
}

fn cell(a: &Amounts, side: Side, resource: &str) -> String {
    match side {
        Side::Requests => a
            .requests
            .get(resource)
            .map_or_else(|| "-".to_string(), |q| q.human(resource)),
        Side::Limits => match a.limits.get(resource) {
            Some(Limit::Bounded(q)) => q.human(resource),
            Some(Limit::Unbounded) => "unbounded".to_string(),
            None => "-".to_string(),
        },
    }
}

/// Rows of one table: a header pair, then one row per component, then the total.
fn table_rows(t: &Totals, side: Side) -> Vec<Vec<String>> {
    let resources = resource_columns(t);
    let mut rows = Vec::new();
    let mut top = vec!["COMPONENT".to_string()];
    let mut sub = vec![String::new()];
    let groups: Vec<String> = if side == Side::Requests {
        std::iter::once("pods".to_string())
            .chain(resources.iter().cloned())
            .collect()
    } else {
        resources.clone()
    };
    for g in &groups {
        for (i, s) in Scenario::ALL.iter().enumerate() {
            top.push(if i == 0 {
                g.to_uppercase()
            } else {
                String::new()
            });
            sub.push(s.name().to_string());
        }
    }
    rows.push(top);
    rows.push(sub);
    let row = |name: String, by: &ByScenario| {
        let mut r = vec![name];
        for g in &groups {
            for s in Scenario::ALL {
                let a = by.get(&s).cloned().unwrap_or_default();
                r.push(if g == "pods" && side == Side::Requests {
                    a.pods.to_string()
                } else {
                    cell(&a, side, g)
                });
            }
        }
        r
    };
    for (k, by) in &t.components {
        if by.values().all(|a| a.pods == 0) {
            continue;
        }
        rows.push(row(k.display(), by));
    }
    rows.push(row("TOTAL".to_string(), &t.overall));
    rows
}

fn storage_rows(t: &Totals) -> Vec<(String, BTreeMap<String, String>)> {
    let mut rows = Vec::new();
    for (k, by) in &t.components {
        let steady = by.get(&Scenario::Steady).cloned().unwrap_or_default();
        let peak = by.get(&Scenario::Peak).cloned().unwrap_or_default();
        for (class, q) in &steady.storage {
            let p = peak.storage.get(class).copied().unwrap_or(*q);
            let mut cells = BTreeMap::new();
            cells.insert("class".to_string(), class_name(class));
            cells.insert("steady".to_string(), q.human("storage"));
            cells.insert("peak".to_string(), p.human("storage"));
            rows.push((k.display(), cells));
        }
    }
    rows
}

fn align(rows: &[Vec<String>], numeric_from: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c > 0 {
                line.push_str("  ");
            }
            if c >= numeric_from {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn to_text(t: &Totals, subject: &Subject) -> String {
    let mut out = format!(
        "Resources of release {} ({}), namespace {}\n\n",
        subject.release, subject.source, subject.namespace
    );
    out.push_str("Requests\n");
    out.push_str(&align(&table_rows(t, Side::Requests), 1));
    out.push_str("\nLimits\n");
    out.push_str(&align(&table_rows(t, Side::Limits), 1));
    let storage = storage_rows(t);
    if !storage.is_empty() {
        out.push_str("\nPersistent storage\n");
        let mut rows = vec![vec![
            "COMPONENT".to_string(),
            "STORAGECLASS".to_string(),
            "STEADY".to_string(),
            "PEAK".to_string(),
        ]];
        for (name, cells) in &storage {
            rows.push(vec![
                name.clone(),
                cells["class"].clone(),
                cells["steady"].clone(),
                cells["peak"].clone(),
            ]);
        }
        let total = t
            .overall
            .get(&Scenario::Steady)
            .cloned()
            .unwrap_or_default();
        let peak = t.overall.get(&Scenario::Peak).cloned().unwrap_or_default();
        for (class, q) in &total.storage {
            rows.push(vec![
                "TOTAL".to_string(),
                class_name(class),
                q.human("storage"),
                peak.storage
                    .get(class)
                    .copied()
                    .unwrap_or(*q)
                    .human("storage"),
            ]);
        }
        out.push_str(&align(&rows, 2));
    }
    let transient: Vec<_> = t
        .workloads
        .iter()
        .filter(|w| w.transient.is_some())
        .collect();
    if !transient.is_empty() {
        out.push_str("\nNot in the totals (Jobs, CronJobs, Helm hooks; one run each)\n");
        let mut rows = vec![vec![
            "OBJECT".to_string(),
            "WHEN".to_string(),
            "PODS".to_string(),
            "CPU".to_string(),
            "MEMORY".to_string(),
        ]];
        for w in transient {
            let when = match &w.transient {
                Some(crate::workload::objects::Transient::Hook(h)) => format!("hook {h}"),
                Some(crate::workload::objects::Transient::CronJob) => "schedule".to_string(),
                _ => "job".to_string(),
            };
            let get = |r: &str| {
                w.pod
                    .requests
                    .get(r)
                    .map_or_else(|| "-".to_string(), |q| q.human(r))
            };
            rows.push(vec![
                format!("{}/{}", w.kind, w.name),
                when,
                w.replicas.steady.to_string(),
                get("cpu"),
                get("memory"),
            ]);
        }
        out.push_str(&align(&rows, 2));
    }
    if t.daemonset_nodes > 0 && t.workloads.iter().any(|w| w.per_node) {
        out.push_str(&format!(
            "\nDaemonSets are counted on {} node(s) (--daemonset-nodes).\n",
            t.daemonset_nodes
        ));
    }
    out.push_str(
        "\nsteady: every workload at its replicas (autoscaler minimum); peak: autoscalers at maximum; rollout: steady + rolling-update surge.\n",
    );
    out
}

pub fn to_markdown(t: &Totals, subject: &Subject) -> String {
    let mut out = format!(
        "### Resources of release `{}` ({})\n\n",
        subject.release, subject.source
    );
    for (title, side) in [("Requests", Side::Requests), ("Limits", Side::Limits)] {
        out.push_str(&format!("**{title}** (steady / peak / rollout)\n\n"));
        let rows = table_rows(t, side);
        // Markdown: one column per resource with the three scenarios in one cell.
        let groups: Vec<String> = rows[0][1..]
            .chunks(3)
            .map(|c| c[0].to_lowercase())
            .collect();
        out.push_str(&format!("| component | {} |\n", groups.join(" | ")));
        out.push_str(&format!("|---|{}\n", "---:|".repeat(groups.len())));
        for r in &rows[2..] {
            let cells: Vec<String> = r[1..]
                .chunks(3)
                .map(|c| {
                    if c.iter().all(|x| x == &c[0]) {
                        c[0].clone()
                    } else {
                        c.join(" / ")
                    }
                })
                .collect();
            let name = if r[0] == "TOTAL" {
                "**total**".to_string()
            } else {
                format!("`{}`", r[0])
            };
            out.push_str(&format!("| {name} | {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
    let total = t
        .overall
        .get(&Scenario::Steady)
        .cloned()
        .unwrap_or_default();
    if !total.storage.is_empty() {
        let parts: Vec<String> = total
            .storage
            .iter()
            .map(|(c, q)| format!("{} on `{}`", q.human("storage"), class_name(c)))
            .collect();
        out.push_str(&format!("**Persistent storage:** {}\n", parts.join(", ")));
    }
    out
}
