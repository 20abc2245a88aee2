//! How totals are shown: an aligned text table (components as rows, scenarios side by side),
//! Markdown for pull-request comments, and JSON (a versioned contract,
//! `schemas/totals-report.schema.json`) with exact integers in base units next to a human form.

use serde_json::{Value as Json, json};

use super::{Diagnostic, diag_json, exact_json};
use crate::quantity::Quantity;
use crate::source::Sources;
use crate::totals::{Amounts, ByScenario, Scenario, Totals};
use crate::workload::Limit;
use crate::workload::objects::Transient;

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
    json!({"value": exact_json(base_units(resource, q)), "quantity": q.human(resource)})
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
                Transient::Job => "Job".to_string(),
                Transient::CronJob => "CronJob".to_string(),
                Transient::Hook(h) => format!("hook:{h}"),
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

/// One table: resource groups of three scenario columns each, components as rows.
struct Table {
    /// Group names in lower case (`pods`, `cpu`, `memory`, `nvidia.com/gpu`).
    groups: Vec<String>,
    /// Rows: the component name, then three cells per group (steady, peak, rollout). The last
    /// row is the total.
    rows: Vec<Vec<String>>,
}

fn table(t: &Totals, side: Side) -> Table {
    let resources = resource_columns(t);
    let groups: Vec<String> = if side == Side::Requests {
        std::iter::once("pods".to_string())
            .chain(resources.iter().cloned())
            .collect()
    } else {
        resources
    };
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
    let mut rows = Vec::new();
    for (k, by) in &t.components {
        if by.values().all(|a| a.pods == 0) {
            continue;
        }
        rows.push(row(k.display(), by));
    }
    rows.push(row("TOTAL".to_string(), &t.overall));
    Table { groups, rows }
}

const GAP: &str = "  ";
/// Between two groups of scenario columns: one space more, so the groups read as blocks.
const GROUP_GAP: &str = "   ";

/// The text form of a [`Table`]: a line of group names, each centred over its three columns,
/// then `COMPONENT steady peak rollout …`, then the rows; numbers right-aligned.
fn table_text(table: &Table) -> String {
    let header: Vec<String> = std::iter::once("COMPONENT".to_string())
        .chain(
            table
                .groups
                .iter()
                .flat_map(|_| Scenario::ALL.iter().map(|s| s.name().to_string())),
        )
        .collect();
    let all = || std::iter::once(&header).chain(&table.rows);
    let mut widths: Vec<usize> = (0..header.len())
        .map(|c| {
            all()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let span = |widths: &[usize], g: usize| {
        widths[1 + 3 * g..4 + 3 * g].iter().sum::<usize>() + 2 * GAP.len()
    };
    // A group name longer than its three columns widens the last of them.
    for (g, name) in table.groups.iter().enumerate() {
        let need = name.chars().count();
        let have = span(&widths, g);
        if need > have {
            widths[3 + 3 * g] += need - have;
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (c, cell) in cells.iter().enumerate() {
            let pad = " ".repeat(widths[c].saturating_sub(cell.chars().count()));
            if c == 0 {
                out.push_str(cell);
                out.push_str(&pad);
                continue;
            }
            out.push_str(if c % 3 == 1 { GROUP_GAP } else { GAP });
            out.push_str(&pad);
            out.push_str(cell);
        }
        out.trim_end().to_string() + "\n"
    };
    let mut top = " ".repeat(widths[0]);
    for (g, name) in table.groups.iter().enumerate() {
        let label = name.to_uppercase();
        let room = span(&widths, g) - label.chars().count();
        let left = room / 2;
        top.push_str(GROUP_GAP);
        top.push_str(&" ".repeat(left));
        top.push_str(&label);
        top.push_str(&" ".repeat(room - left));
    }
    let mut out = top.trim_end().to_string() + "\n";
    out.push_str(&line(&header));
    for r in &table.rows {
        out.push_str(&line(r));
    }
    out
}

/// `name, class, steady, peak` for each StorageClass of each named amount.
fn storage_rows<'a>(named: impl IntoIterator<Item = (String, &'a ByScenario)>) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (name, by) in named {
        let steady = by.get(&Scenario::Steady).cloned().unwrap_or_default();
        let peak = by.get(&Scenario::Peak).cloned().unwrap_or_default();
        for (class, q) in &steady.storage {
            let p = peak.storage.get(class).copied().unwrap_or(*q);
            rows.push(vec![
                name.clone(),
                class_name(class),
                q.human("storage"),
                p.human("storage"),
            ]);
        }
    }
    rows
}

fn align(rows: &[Vec<String>], numeric_from: usize) -> String {
    let widths = super::column_widths(rows);
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
    out.push_str(&table_text(&table(t, Side::Requests)));
    out.push_str("\nLimits\n");
    out.push_str(&table_text(&table(t, Side::Limits)));
    let storage = storage_rows(t.components.iter().map(|(k, by)| (k.display(), by)));
    if !storage.is_empty() {
        out.push_str("\nPersistent storage\n");
        let header = ["COMPONENT", "STORAGECLASS", "STEADY", "PEAK"].map(String::from);
        let total = storage_rows([("TOTAL".to_string(), &t.overall)]);
        let rows: Vec<Vec<String>> = std::iter::once(header.to_vec())
            .chain(storage)
            .chain(total)
            .collect();
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
            let when = w.transient.as_ref().map(when).unwrap_or_default();
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
    if t.workloads.iter().any(|w| w.per_node) {
        out.push_str(&format!(
            "\nDaemonSets are counted on {} node(s) (--daemonset-nodes).\n",
            t.daemonset_nodes
        ));
    }
    if !t.other_kinds.is_empty() {
        out.push_str(&format!(
            "\nNot counted (no pods or storage): {}\n",
            other_kinds(t)
        ));
    }
    out.push_str(
        "\nsteady:  every workload at its replicas (an HPA clamps them into its min..max, KEDA at its minimum)\n\
         peak:    every autoscaler (HPA, KEDA) at its maximum\n\
         rollout: steady plus the extra pods rolling updates run at once (maxSurge)\n",
    );
    out
}

/// `ConfigMap ×3, Service ×2`.
fn other_kinds(t: &Totals) -> String {
    t.other_kinds
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn to_markdown(t: &Totals, subject: &Subject, diags: &[Diagnostic]) -> String {
    let mut out = format!(
        "### Resources of release `{}` ({})\n\n",
        subject.release, subject.source
    );
    for (title, side) in [("Requests", Side::Requests), ("Limits", Side::Limits)] {
        out.push_str(&format!(
            "**{title}** (steady / peak / rollout; one value when all three agree)\n\n"
        ));
        let Table { groups, rows } = table(t, side);
        // Markdown: one column per resource with the three scenarios in one cell.
        out.push_str(&format!("| component | {} |\n", groups.join(" | ")));
        out.push_str(&format!("|---|{}\n", "---:|".repeat(groups.len())));
        for (i, r) in rows.iter().enumerate() {
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
            let name = if i + 1 == rows.len() {
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
    let peak = t.overall.get(&Scenario::Peak).cloned().unwrap_or_default();
    if !total.storage.is_empty() {
        let parts: Vec<String> = total
            .storage
            .iter()
            .map(|(c, q)| {
                let p = peak.storage.get(c).copied().unwrap_or(*q);
                let amount = if p == *q {
                    q.human("storage")
                } else {
                    format!("{} (peak {})", q.human("storage"), p.human("storage"))
                };
                format!("{amount} on `{}`", class_name(c))
            })
            .collect();
        out.push_str(&format!("**Persistent storage:** {}\n\n", parts.join(", ")));
    }
    let transient: Vec<String> = t
        .workloads
        .iter()
        .filter_map(|w| {
            let when = when(w.transient.as_ref()?);
            let requests: Vec<String> = w
                .pod
                .requests
                .iter()
                .map(|(r, q)| format!("{} {r}", q.human(r)))
                .collect();
            let pods = w.replicas.steady;
            Some(format!(
                "`{}/{}` ({when}; {pods} pod{}: {})",
                w.kind,
                w.name,
                if pods == 1 { "" } else { "s" },
                if requests.is_empty() {
                    "no requests".to_string()
                } else {
                    requests.join(", ")
                }
            ))
        })
        .collect();
    if !transient.is_empty() {
        out.push_str(&format!(
            "**Not in the totals** (Jobs, CronJobs, Helm hooks; one run each): {}\n\n",
            transient.join("; ")
        ));
    }
    if t.workloads.iter().any(|w| w.per_node) {
        out.push_str(&format!(
            "DaemonSets are counted on {} node(s) (`--daemonset-nodes`).\n\n",
            t.daemonset_nodes
        ));
    }
    if !t.other_kinds.is_empty() {
        out.push_str(&format!(
            "Not counted (no pods or storage): {}\n\n",
            other_kinds(t)
        ));
    }
    out.push_str(
        "_steady_: every workload at its replicas (an HPA clamps them into its min..max, KEDA at its minimum); \
         _peak_: every autoscaler (HPA, KEDA) at its maximum; \
         _rollout_: steady plus the extra pods rolling updates run at once (maxSurge).\n\n",
    );
    if !diags.is_empty() {
        out.push_str("**Findings**\n\n");
        for d in diags {
            out.push_str(&format!(
                "- {} `{}`: {}",
                d.severity.word(),
                d.code,
                d.message
            ));
            if let Some(h) = &d.hint {
                out.push_str(&format!(" — {h}"));
            }
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// When a transient workload runs, in words.
fn when(t: &Transient) -> String {
    match t {
        Transient::Hook(h) => format!("hook {h}"),
        Transient::CronJob => "schedule".to_string(),
        Transient::Job => "job".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::objects;
    use crate::totals::{Options, compute};

    fn totals(text: &str) -> Totals {
        compute(&objects(text), &Options::default())
    }

    const TWO: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 10\n  template:\n    spec:\n      containers:\n      - name: c\n        resources: {limits: {cpu: 500m, memory: 1Gi, nvidia.com/mig-1g.10gb: 1}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a-very-long-component-name}\nspec:\n  containers:\n  - name: c\n    resources: {limits: {cpu: 100m, memory: 64Mi}}\n";

    /// Group names sit centred over their three scenario columns, `COMPONENT` heads the names,
    /// and a group name wider than its columns widens them instead of spilling over.
    #[test]
    fn the_text_table_centres_group_names_over_their_columns() {
        let text = table_text(&table(&totals(TWO), Side::Requests));
        let expected = [
            "                                     PODS                     CPU                     MEMORY             NVIDIA.COM/MIG-1G.10GB",
            "COMPONENT                    steady  peak  rollout   steady  peak  rollout    steady     peak  rollout   steady  peak   rollout",
            "a-very-long-component-name        1     1        1     100m  100m     100m      64Mi     64Mi     64Mi        -     -         -",
            "web                              10    10       13        5     5      6.5      10Gi     10Gi     13Gi       10    10        13",
            "TOTAL                            11    11       14      5.1   5.1      6.6   10.06Gi  10.06Gi  13.06Gi       10    10        13",
        ]
        .map(|l| format!("{l}\n"))
        .concat();
        assert_eq!(text, expected, "\n{text}");
    }

    /// Markdown bolds the last row (the total) whatever a component is called.
    #[test]
    fn markdown_marks_the_total_row_by_position() {
        let t = totals(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: TOTAL}\nspec: {containers: [{name: c, resources: {limits: {cpu: 1, memory: 1Gi}}}]}\n",
        );
        let md = to_markdown(&t, &Subject::default(), &[]);
        assert!(
            md.contains("| `TOTAL` | 1 | 1 | 1Gi |\n| **total** | 1 | 1 | 1Gi |"),
            "{md}"
        );
    }
}
