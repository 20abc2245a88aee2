//! Real charts no one here wrote (`tests/fixtures/public-charts/`, values files only; see the
//! README there). For each chart, on a temporary copy:
//!
//! 1. `stackcheck schema --write --force` generates schemas for the chart and its subcharts;
//! 2. `stackcheck validate` accepts the chart's `values.yaml` and every CI values file;
//! 3. `helm template` (v3 and v4) accepts them too with the generated schemas in place;
//! 4. where the chart ships its own `values.schema.json`, `stackcheck validate` against that
//!    original schema gives the same verdict as Helm v3 and v4 for each of those files, and for the
//!    files under `mutations/` (ours, not vendored: values the chart's schema should reject or
//!    accept, so that agreement is tested both ways).
//!
//! Needs `HELM_V3` and `HELM_V4` (`eval "$(tools/tools.sh)"`).

mod common;

use std::path::{Path, PathBuf};

use common::{Helm, Verdict};

/// The vendored charts (directories under tests/fixtures/public-charts).
const CHARTS: &[&str] = &[
    "argo-cd",
    "cert-manager",
    "grafana-mimir",
    "ingress-nginx",
    "postgresql",
    "vllm-stack",
];

fn corpus() -> PathBuf {
    common::fixtures().join("public-charts")
}

/// `values.yaml` then `ci/*.yaml`, relative to the chart.
fn values_files(chart: &Path) -> Vec<String> {
    let mut files = vec!["values.yaml".to_string()];
    let mut ci: Vec<String> = std::fs::read_dir(chart.join("ci"))
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .map(|n| format!("ci/{n}"))
                .collect()
        })
        .unwrap_or_default();
    ci.sort();
    files.extend(ci);
    files
}

/// `mutations/*.yaml`, relative to the chart: our own inputs for the original-schema comparison.
fn mutation_files(chart: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(chart.join("mutations"))
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".yaml"))
                .map(|n| format!("mutations/{n}"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

struct Run {
    file: String,
    which: &'static str,
    helm: Vec<Verdict>,
    stackcheck: Verdict,
}

fn validate(chart: &Path, file: &Path) -> Verdict {
    let out = common::stackcheck()
        .arg("validate")
        .arg("--chart")
        .arg(chart)
        .arg(file)
        .output()
        .expect("run stackcheck");
    Verdict::of_stackcheck(&out)
}

fn run_all(
    chart: &Path,
    which: &'static str,
    files: &[String],
    helms: &[Helm],
    home: &Path,
) -> Vec<Run> {
    common::par_map(files, |rel| {
        let file = chart.join(rel);
        let args = vec!["-f".to_string(), file.display().to_string()];
        Run {
            file: rel.clone(),
            which,
            helm: helms
                .iter()
                .map(|h| Verdict::of_helm(&h.template(chart, &args, home)))
                .collect(),
            stackcheck: validate(chart, &file),
        }
    })
}

fn check_chart(name: &str) {
    let Some(helms) = common::helms() else {
        return;
    };
    let src = corpus().join(name);
    let tmp = tempfile::tempdir().unwrap();
    let files = values_files(&src);
    let home = tmp.path().join("helm-home");

    let mut runs = Vec::new();
    // The chart's own schema, when it has one: stackcheck must agree with Helm on every file.
    if src.join("values.schema.json").is_file() {
        let chart = tmp.path().join("original").join(name);
        common::copy_dir(&src, &chart);
        let mut all = files.clone();
        all.extend(mutation_files(&src));
        runs.extend(run_all(&chart, "original", &all, &helms, &home));
    }
    // The generated schemas: everything must be accepted.
    let chart = tmp.path().join("generated").join(name);
    common::copy_dir(&src, &chart);
    common::write_schemas(&chart);
    assert!(
        chart.join("values.schema.json").is_file(),
        "{name}: stackcheck schema --write wrote no values.schema.json"
    );
    runs.extend(run_all(&chart, "generated", &files, &helms, &home));

    // Values files that set keys the chart's values.yaml never declares: real drift between the
    // chart and its CI files, which the generated (closed) schema must report, on every tool.
    let drift: Vec<String> = std::fs::read_to_string(src.join("expected-drift.txt"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split('#')
                .next()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
        })
        .collect();
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for r in &runs {
        let mut row = vec![r.which.to_string(), r.file.clone()];
        row.extend(r.helm.iter().map(Verdict::to_string));
        row.push(r.stackcheck.to_string());
        rows.push(row);
        let errors = r
            .helm
            .iter()
            .chain([&r.stackcheck])
            .filter_map(|v| match v {
                Verdict::Error(e) => Some(e.clone()),
                _ => None,
            });
        for e in errors {
            failures.push(format!("{} schema, {}: {e}", r.which, r.file));
        }
        match r.which {
            "generated" if drift.contains(&r.file) => {
                for (h, v) in helms.iter().zip(&r.helm) {
                    if *v != Verdict::Reject {
                        failures.push(format!("generated schema, {}: listed in expected-drift.txt but helm {} says {v}", r.file, h.label));
                    }
                }
                if r.stackcheck != Verdict::Reject {
                    failures.push(format!(
                        "generated schema, {}: listed in expected-drift.txt but stackcheck says {}",
                        r.file, r.stackcheck
                    ));
                }
            }
            "generated" => {
                for (h, v) in helms.iter().zip(&r.helm) {
                    if *v == Verdict::Reject {
                        failures.push(format!(
                            "generated schema, {}: helm {} rejects it",
                            r.file, h.label
                        ));
                    }
                }
                if r.stackcheck == Verdict::Reject {
                    failures.push(format!(
                        "generated schema, {}: stackcheck validate rejects it",
                        r.file
                    ));
                }
            }
            _ => {
                for (h, v) in helms.iter().zip(&r.helm) {
                    if *v != r.stackcheck {
                        failures.push(format!(
                            "original schema, {}: helm {} says {v}, stackcheck says {}",
                            r.file, h.label, r.stackcheck
                        ));
                    }
                }
            }
        }
    }
    let mut header = vec!["schema".to_string(), "values file".to_string()];
    header.extend(helms.iter().map(|h| format!("helm {}", h.label)));
    header.push("stackcheck".into());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    eprintln!("\n{name}\n{}\n", common::table(&header, &rows));
    assert!(
        failures.is_empty(),
        "{name}: {} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn argo_cd() {
    check_chart("argo-cd");
}

#[test]
fn cert_manager() {
    check_chart("cert-manager");
}

#[test]
fn grafana_mimir() {
    check_chart("grafana-mimir");
}

#[test]
fn ingress_nginx() {
    check_chart("ingress-nginx");
}

#[test]
fn postgresql() {
    check_chart("postgresql");
}

#[test]
fn vllm_stack() {
    check_chart("vllm-stack");
}

/// Every vendored chart has a test above, a SOURCE.md, the fixture template, and a README row.
#[test]
fn corpus_is_complete() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            e.file_type()
                .ok()?
                .is_dir()
                .then(|| e.file_name().into_string().ok())
                .flatten()
        })
        .collect();
    dirs.sort();
    assert_eq!(
        dirs, CHARTS,
        "tests/fixtures/public-charts/* and CHARTS must match"
    );
    let readme =
        std::fs::read_to_string(corpus().join("README.md")).expect("public-charts/README.md");
    for name in CHARTS {
        let dir = corpus().join(name);
        for f in [
            "Chart.yaml",
            "values.yaml",
            "SOURCE.md",
            "templates/_stackcheck_fixture.yaml",
        ] {
            assert!(dir.join(f).is_file(), "{name}/{f} is missing");
        }
        assert!(
            readme.contains(&format!("`{name}`")),
            "README.md has no row for {name}"
        );
    }
    assert!(corpus().join("LICENSE-Apache-2.0.txt").is_file());
}
