//! The "resources per profile" table: each values profile next to a chart (`values-*.yaml`, and
//! the defaults alone) rendered with `helm template` and added up by the totals engine, so the
//! README's sizing is what the chart asks for, never a hand-written estimate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::preflight::checks::is_gpu_resource;
use crate::quantity::Quantity;
use crate::render::{HelmTemplate, Object, RenderError, parse_stream};
use crate::report::totals::DEFAULT_CLASS;
use crate::source::{SourceKind, Sources};
use crate::totals::{Amounts, Options, Scenario, compute};
use crate::workload::Limit;

/// Name under which the chart's defaults (no `-f`) are listed.
pub const DEFAULTS: &str = "values.yaml";

/// One profile's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// File name (`values-prod.yaml`; `values.yaml` for the defaults).
    pub file: String,
    /// Short name: `prod` for `values-prod.yaml`, `defaults` for `values.yaml`.
    pub name: String,
    pub steady: Cells,
    /// Every autoscaler at its maximum; `None` when that is the steady state.
    pub peak: Option<Cells>,
    /// Steady plus a rolling update's surge; `None` when nothing surges.
    pub rollout: Option<Cells>,
}

/// One scenario's amounts, formatted as the report formats them (`1.5` cores, `2.25Gi`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cells {
    pub pods: String,
    pub cpu: String,
    pub memory: String,
    /// GPU-like extended resources (`4 nvidia.com/gpu`), `-` when none.
    pub gpu: String,
    /// `unbounded` when some pod that uses the resource does not limit it.
    pub cpu_limit: String,
    pub memory_limit: String,
    /// Persistent storage requested by claims (`115Gi`; per StorageClass when there are several).
    pub storage: String,
    /// `6 pods, 2.4 CPU, 2.5Gi memory` (plus GPUs when any): for the peak and rollout columns.
    pub summary: String,
}

/// A profile whose manifests could not be produced.
#[derive(Debug, thiserror::Error)]
#[error("{profile}: {source}")]
pub struct ProfileError {
    pub profile: String,
    #[source]
    pub source: RenderError,
}

/// How to render: Helm binary, release name and namespace (none of them changes the numbers of a
/// chart that does not branch on them).
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub helm: PathBuf,
    pub release: String,
    pub namespace: String,
}

impl RenderOptions {
    /// `helm template release-name CHART --namespace default`, as READMEs and packages render.
    pub fn new(helm: PathBuf) -> Self {
        let (release, namespace) = ("release-name".into(), "default".into());
        RenderOptions {
            helm,
            release,
            namespace,
        }
    }
}

/// The profiles of a chart directory: `values-*.yaml` next to `Chart.yaml`, by file name. A
/// chart without any has no table (not even the defaults row).
pub fn profile_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("values-") && (n.ends_with(".yaml") || n.ends_with(".yml")))
        .collect();
    files.sort();
    files
}

/// Render and total every profile of the chart in `dir` (the defaults first), several `helm
/// template` runs at a time; warnings (manifest documents that could not be read, findings the
/// API server would reject) are returned with the rows, which stay in file order.
pub fn profiles(
    dir: &Path,
    options: &RenderOptions,
) -> Result<(Vec<Profile>, Vec<String>), ProfileError> {
    let files = profile_files(dir);
    if files.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let jobs: Vec<String> = std::iter::once(DEFAULTS.to_string()).chain(files).collect();
    let rendered = render_each(dir, &jobs, options, |file, objects, diagnostics| {
        row(file, &objects, &diagnostics, &options.namespace)
    })?;
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for (row, w) in rendered {
        rows.push(row);
        warnings.extend(w);
    }
    Ok((rows, warnings))
}

/// Render each profile of the chart in `dir` (`DEFAULTS`: its own values) with `helm template`,
/// several at a time, and hand its objects and findings to `each`; the results in file order,
/// or the first profile, in file order, that did not render.
pub fn render_each<T: Send>(
    dir: &Path,
    files: &[String],
    options: &RenderOptions,
    each: impl Fn(&str, Vec<Object>, Vec<Diagnostic>) -> T + Sync,
) -> Result<Vec<T>, ProfileError> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8)
        .min(files.len());
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<T, ProfileError>>> =
        (0..files.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(i) else {
                            return done;
                        };
                        let rendered = render(dir, file, options);
                        done.push((
                            i,
                            rendered.map(|(objects, diags)| each(file, objects, diags)),
                        ));
                    }
                })
            })
            .collect();
        for h in handles {
            // A worker only panics on a bug; its profiles then stay `None` and are reported.
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    results[i] = Some(r);
                }
            }
        }
    });
    files
        .iter()
        .zip(results)
        .map(|(file, r)| {
            r.unwrap_or_else(|| {
                Err(ProfileError {
                    profile: file.clone(),
                    source: RenderError::HelmFailed {
                        status: "not run".into(),
                        stderr: "internal error: the render worker stopped".into(),
                    },
                })
            })
        })
        .collect()
}

/// `helm template` of one profile, split into objects.
fn render(
    dir: &Path,
    file: &str,
    options: &RenderOptions,
) -> Result<(Vec<Object>, Vec<Diagnostic>), ProfileError> {
    let value_args = if file == DEFAULTS {
        Vec::new()
    } else {
        vec!["--values".into(), dir.join(file).into_os_string()]
    };
    let call = HelmTemplate {
        helm: options.helm.clone(),
        release: options.release.clone(),
        chart: dir.display().to_string(),
        namespace: Some(options.namespace.clone()),
        value_args,
        ..HelmTemplate::default()
    };
    let text = call.run().map_err(|source| ProfileError {
        profile: file.to_string(),
        source,
    })?;
    let mut sources = Sources::new();
    let id = sources.add(format!("helm template -f {file}"), text, SourceKind::Other);
    Ok(parse_stream(&sources, id))
}

/// One profile's row and warnings (manifest documents that could not be read, findings the API
/// server would reject).
fn row(
    file: &str,
    objects: &[Object],
    diagnostics: &[Diagnostic],
    namespace: &str,
) -> (Profile, Vec<String>) {
    let totals = compute(
        objects,
        &Options {
            namespace: namespace.to_string(),
            daemonset_nodes: 1,
        },
    );
    let warnings = diagnostics
        .iter()
        .chain(&totals.findings)
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{file}: {}", d.message))
        .collect();
    let amounts = |s: Scenario| totals.overall.get(&s).cloned().unwrap_or_default();
    let steady = amounts(Scenario::Steady);
    let other = |s: Scenario| {
        let a = amounts(s);
        (a != steady).then(|| cells(&a))
    };
    let profile = Profile {
        file: file.to_string(),
        name: short_name(file),
        peak: other(Scenario::Peak),
        rollout: other(Scenario::Rollout),
        steady: cells(&steady),
    };
    (profile, warnings)
}

fn short_name(file: &str) -> String {
    if file == DEFAULTS {
        return "defaults".to_string();
    }
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(file);
    stem.strip_prefix("values-").unwrap_or(stem).to_string()
}

fn request(a: &Amounts, resource: &str) -> String {
    a.requests
        .get(resource)
        .map_or_else(|| "-".to_string(), |q| q.human(resource))
}

fn limit(a: &Amounts, resource: &str) -> String {
    match a.limits.get(resource) {
        Some(Limit::Bounded(q)) => q.human(resource),
        Some(Limit::Unbounded) => "unbounded".to_string(),
        None => "-".to_string(),
    }
}

fn gpus(a: &Amounts) -> Option<String> {
    let listed: Vec<String> = a
        .requests
        .iter()
        .filter(|(k, q)| is_gpu_resource(k) && !q.is_zero())
        .map(|(k, q)| format!("{} {k}", q.human(k)))
        .collect();
    (!listed.is_empty()).then(|| listed.join(", "))
}

fn storage(a: &Amounts) -> String {
    let classes: BTreeMap<String, Quantity> = a
        .storage
        .iter()
        .map(|(class, q)| {
            let name = match class {
                None => DEFAULT_CLASS.to_string(),
                Some(c) if c.is_empty() => "(none)".to_string(),
                Some(c) => c.clone(),
            };
            (name, *q)
        })
        .collect();
    let total = Quantity::checked_sum(classes.values().copied());
    match (classes.len(), total) {
        (0, _) => "-".to_string(),
        (1, Ok(t)) => t.human_bytes(),
        (_, Ok(t)) => format!(
            "{} ({})",
            t.human_bytes(),
            classes
                .iter()
                .map(|(c, q)| format!("{c}: {}", q.human_bytes()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (_, Err(_)) => "overflow".to_string(),
    }
}

fn cells(a: &Amounts) -> Cells {
    let gpu = gpus(a);
    let mut summary = format!(
        "{} pods, {} CPU, {} memory",
        a.pods,
        request(a, "cpu"),
        request(a, "memory")
    );
    if let Some(g) = &gpu {
        summary.push_str(&format!(", {g}"));
    }
    Cells {
        pods: a.pods.to_string(),
        cpu: request(a, "cpu"),
        memory: request(a, "memory"),
        gpu: gpu.unwrap_or_else(|| "-".to_string()),
        cpu_limit: limit(a, "cpu"),
        memory_limit: limit(a, "memory"),
        storage: storage(a),
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn cells_format_like_the_totals_report() {
        let mut a = Amounts {
            pods: 3,
            ..Amounts::default()
        };
        a.requests.insert("cpu".into(), q("1500m"));
        a.requests.insert("memory".into(), q("2304Mi"));
        a.requests.insert("nvidia.com/gpu".into(), q("2"));
        a.limits.insert("cpu".into(), Limit::Bounded(q("3")));
        a.limits.insert("memory".into(), Limit::Unbounded);
        a.storage.insert(None, q("10Gi"));
        a.storage.insert(Some("fast".into()), q("5Gi"));
        let c = cells(&a);
        assert_eq!(c.pods, "3");
        assert_eq!(c.cpu, "1.5");
        assert_eq!(c.memory, "2.25Gi");
        assert_eq!(c.gpu, "2 nvidia.com/gpu");
        assert_eq!(c.cpu_limit, "3");
        assert_eq!(c.memory_limit, "unbounded");
        assert_eq!(c.storage, "15Gi ((default): 10Gi, fast: 5Gi)");
        assert_eq!(
            c.summary,
            "3 pods, 1.5 CPU, 2.25Gi memory, 2 nvidia.com/gpu"
        );
        let empty = cells(&Amounts::default());
        assert_eq!(
            (
                empty.cpu.as_str(),
                empty.gpu.as_str(),
                empty.storage.as_str()
            ),
            ("-", "-", "-")
        );
    }

    #[test]
    fn profile_files_are_the_values_files_next_to_the_chart() {
        let tmp = tempfile::tempdir().unwrap();
        for f in [
            "values-b.yaml",
            "values-a.yml",
            "values.yaml",
            "other.yaml",
            "values-c.json",
        ] {
            std::fs::write(tmp.path().join(f), "").unwrap();
        }
        std::fs::create_dir(tmp.path().join("values-dir.yaml")).unwrap();
        assert_eq!(profile_files(tmp.path()), ["values-a.yml", "values-b.yaml"]);
        assert_eq!(short_name("values-prod.yaml"), "prod");
        assert_eq!(short_name(DEFAULTS), "defaults");
    }
}
