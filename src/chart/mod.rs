//! Charts as Helm loads them: `Chart.yaml` (apiVersion v2, or v1 with `requirements.yaml`), the
//! chart's default values and schema, and every subchart under `charts/` — unpacked directories
//! and `.tgz` archives alike — with dependency aliases applied.
//!
//! [`scope`] then decides which dependencies are enabled (conditions, tags) and builds each
//! chart's view of the values (its scope plus `global`), as Helm's `chartutil` does.

mod archive;
pub mod scope;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceKind, Sources};
use crate::values::{self, Kind, Value, ValuesError};

/// A loaded chart and its subcharts.
#[derive(Debug, Clone)]
pub struct Chart {
    pub metadata: Metadata,
    /// Where the chart lives: a directory, or `archive.tgz:dir` for packed subcharts.
    pub location: Location,
    /// Defaults from `values.yaml` (an empty map when the chart has none).
    pub defaults: Value,
    /// The chart's `values.schema.json`, when present.
    pub schema: Option<SchemaFile>,
    /// Subcharts after alias processing (so [`Chart::name`] is the values key).
    pub subcharts: Vec<Chart>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    Dir(PathBuf),
    Archive { archive: PathBuf, inner: String },
}

impl Location {
    /// The directory the chart's files can be written to, when it is unpacked.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Location::Dir(d) => Some(d),
            Location::Archive { .. } => None,
        }
    }

    pub fn display(&self) -> String {
        match self {
            Location::Dir(d) => d.display().to_string(),
            Location::Archive { archive, inner } => format!("{}:{inner}", archive.display()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SchemaFile {
    pub path: String,
    pub text: String,
    pub json: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub api_version: String,
    /// The name Helm uses for values: the alias when one applies.
    pub name: String,
    /// The name in `Chart.yaml`, before any alias.
    pub chart_name: String,
    pub version: String,
    pub description: Option<String>,
    pub library: bool,
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: Option<String>,
    pub repository: Option<String>,
    pub condition: Option<String>,
    pub tags: Vec<String>,
    pub alias: Option<String>,
    pub import_values: Vec<ImportValue>,
}

impl Dependency {
    /// The key of this dependency's values in the parent.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    /// The values paths of `condition` (`a.enabled,global.a.enabled`), in order.
    pub fn conditions(&self) -> impl Iterator<Item = &str> {
        let paths = self.condition.iter().flat_map(|c| c.split(','));
        paths.map(str::trim).filter(|c| !c.is_empty())
    }
}

/// One `import-values` entry: `child` path in the subchart → `parent` path in this chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportValue {
    pub child: String,
    pub parent: String,
}

impl Chart {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// This chart and every subchart, depth first, with the values path of each.
    pub fn walk(&self) -> Vec<(Vec<String>, &Chart)> {
        let mut out = Vec::new();
        fn go<'c>(
            chart: &'c Chart,
            path: &mut Vec<String>,
            out: &mut Vec<(Vec<String>, &'c Chart)>,
        ) {
            out.push((path.clone(), chart));
            for sub in &chart.subcharts {
                path.push(sub.name().to_string());
                go(sub, path, out);
                path.pop();
            }
        }
        go(self, &mut Vec::new(), &mut out);
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("{path}: not a Helm chart: {reason}")]
    NotAChart {
        path: String,
        reason: String,
        /// What to do about it.
        hint: &'static str,
    },
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error(transparent)]
    Values(Box<ValuesError>),
    #[error("{path}: invalid JSON in values.schema.json: {message}")]
    Schema { path: String, message: String },
    #[error("{path}: cannot unpack chart archive: {message}")]
    Archive { path: String, message: String },
    /// Helm's `CheckDependencies`: `helm template`/`install` refuse the chart.
    #[error("{path}: found in Chart.yaml, but missing in charts/ directory: {}", missing.join(", "))]
    MissingDependencies { path: String, missing: Vec<String> },
    /// A subchart directory that is the chart itself or one of its parents (a symlink loop);
    /// Helm stops with "too many levels of symbolic links".
    #[error(
        "{path}: subchart {subchart} is the chart itself or one of its parents (a symlink loop)"
    )]
    Cycle { path: String, subchart: String },
}

/// Where the Chart.yaml fields are documented.
const CHART_YAML_HINT: &str = "Chart.yaml needs at least `apiVersion: v2`, `name` and `version` (https://helm.sh/docs/topics/charts/#the-chartyaml-file)";

impl ChartError {
    /// What the user can do about the error.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ChartError::NotAChart { hint, .. } => Some(hint),
            ChartError::Read { .. } | ChartError::Archive { .. } => Some(
                "point --chart at a chart directory (with Chart.yaml) or a packaged chart .tgz",
            ),
            ChartError::Schema { .. } => {
                Some("fix the JSON, or regenerate the file with `helm stackcheck schema --write`")
            }
            ChartError::MissingDependencies { .. } => Some(
                "run `helm dependency build` (or `helm dependency update`) in the chart directory to fetch them",
            ),
            ChartError::Cycle { .. } => {
                Some("replace the symlink under charts/ with the subchart's own directory")
            }
            ChartError::Values(_) => None,
        }
    }

    /// The error as a finding: a values file's own diagnostic (with its position), else the
    /// message with its hint.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            ChartError::Values(v) => v.diagnostic(),
            _ => {
                let d = Diagnostic::error(Code::Chart, self.to_string());
                match self.hint() {
                    Some(h) => d.hint(h),
                    None => d,
                }
            }
        }
    }
}

impl From<ValuesError> for ChartError {
    fn from(e: ValuesError) -> Self {
        ChartError::Values(Box::new(e))
    }
}

/// The files of one chart, wherever they are stored.
pub(crate) trait ChartFiles {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, ChartError>;
    /// Subcharts under `charts/`: unpacked ones as nested file sets, archives by name.
    fn subcharts(&self) -> Result<Vec<Box<dyn ChartFiles>>, ChartError>;
    fn location(&self) -> Location;
    fn label(&self, rel: &str) -> String;
    /// The directory's real path (symlinks resolved), to find loops; `None` inside archives,
    /// which cannot hold one.
    fn real_dir(&self) -> Option<PathBuf> {
        None
    }
}

struct DirFiles(PathBuf);

impl ChartFiles for DirFiles {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, ChartError> {
        let path = self.0.join(rel);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ChartError::Read {
                path: path.display().to_string(),
                message: values::io_message(&e),
            }),
        }
    }

    fn subcharts(&self) -> Result<Vec<Box<dyn ChartFiles>>, ChartError> {
        let dir = self.0.join("charts");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let mut out: Vec<Box<dyn ChartFiles>> = Vec::new();
        for path in paths {
            if path.is_dir() && path.join("Chart.yaml").is_file() {
                out.push(Box::new(DirFiles(path)));
            } else if path.extension().is_some_and(|e| e == "tgz")
                || path.to_string_lossy().ends_with(".tar.gz")
            {
                out.push(Box::new(archive::ArchiveFiles::open(&path)?));
            }
        }
        Ok(out)
    }

    fn location(&self) -> Location {
        Location::Dir(self.0.clone())
    }

    fn label(&self, rel: &str) -> String {
        self.0.join(rel).display().to_string()
    }

    fn real_dir(&self) -> Option<PathBuf> {
        std::fs::canonicalize(&self.0).ok()
    }
}

/// Load a chart directory or a `.tgz` chart archive, with all its subcharts. Like `helm
/// template`, a dependency of the chart missing from its `charts/` is an error (Helm checks only
/// the top chart's; a subchart's missing dependency is simply not there).
pub fn load(path: &Path, sources: &mut Sources) -> Result<Chart, ChartError> {
    let chart = if path.is_file() {
        load_files(
            &archive::ArchiveFiles::open(path)?,
            sources,
            &mut Vec::new(),
        )?
    } else if path.is_dir() {
        load_files(&DirFiles(path.to_path_buf()), sources, &mut Vec::new())?
    } else {
        return Err(ChartError::Read {
            path: path.display().to_string(),
            message: "no such chart directory or archive".into(),
        });
    };
    let missing: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| {
            !chart
                .subcharts
                .iter()
                .any(|c| c.metadata.chart_name == d.name)
        })
        .map(|d| d.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ChartError::MissingDependencies {
            path: chart.location.display(),
            missing,
        });
    }
    Ok(chart)
}

fn text(files: &dyn ChartFiles, rel: &str) -> Result<Option<String>, ChartError> {
    match files.read(rel)? {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|e| ChartError::Read {
                path: files.label(rel),
                message: format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            }),
    }
}

/// `parents`: the real directories of the charts above this one, to refuse a symlink loop
/// instead of loading it until paths grow too long.
fn load_files(
    files: &dyn ChartFiles,
    sources: &mut Sources,
    parents: &mut Vec<PathBuf>,
) -> Result<Chart, ChartError> {
    let label = files.label("Chart.yaml");
    let Some(chart_yaml) = text(files, "Chart.yaml")? else {
        return Err(ChartError::NotAChart {
            path: files.location().display(),
            reason: "no Chart.yaml".into(),
            hint: "point --chart at a chart directory (with Chart.yaml) or a packaged chart .tgz",
        });
    };
    let id = sources.add(label.clone(), chart_yaml, SourceKind::Other);
    let doc = match values::parse_values(sources, id) {
        Err(ValuesError::NotAMap { found, .. }) => {
            return Err(ChartError::NotAChart {
                path: label,
                reason: format!("Chart.yaml must be a map of chart metadata, found a {found}"),
                hint: CHART_YAML_HINT,
            });
        }
        other => other?,
    };
    let mut metadata = metadata(&doc, &label)?;
    if metadata.api_version == "v1"
        && let Some(req) = text(files, "requirements.yaml")?
    {
        let id = sources.add(files.label("requirements.yaml"), req, SourceKind::Other);
        let doc = values::parse_values(sources, id)?;
        metadata.dependencies = dependencies(&doc);
    }

    let defaults = match text(files, "values.yaml")? {
        Some(t) => {
            let id = sources.add(
                files.label("values.yaml"),
                t,
                SourceKind::ChartDefaults {
                    chart: metadata.name.clone(),
                },
            );
            values::parse_values(sources, id)?
        }
        None => Value::empty_map(),
    };

    let schema = match text(files, "values.schema.json")? {
        Some(t) => {
            let path = files.label("values.schema.json");
            let json = serde_json::from_str(&t).map_err(|e| ChartError::Schema {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Some(SchemaFile {
                path,
                text: t,
                json,
            })
        }
        None => None,
    };

    let mut loaded = Vec::new();
    let real = files.real_dir();
    if let Some(dir) = &real {
        parents.push(dir.clone());
    }
    for sub in files.subcharts()? {
        if sub.real_dir().is_some_and(|d| parents.contains(&d)) {
            return Err(ChartError::Cycle {
                path: files.location().display(),
                subchart: sub.location().display(),
            });
        }
        loaded.push(load_files(sub.as_ref(), sources, parents)?);
    }
    if real.is_some() {
        parents.pop();
    }
    let subcharts = apply_aliases(loaded, &metadata.dependencies);
    Ok(Chart {
        metadata,
        location: files.location(),
        defaults,
        schema,
        subcharts,
    })
}

/// Helm's alias handling: a subchart named by a dependency with an alias becomes a copy under
/// that alias; subcharts no dependency names are kept as they are.
fn apply_aliases(loaded: Vec<Chart>, deps: &[Dependency]) -> Vec<Chart> {
    let mut out: Vec<Chart> = loaded
        .iter()
        .filter(|c| !deps.iter().any(|d| d.name == c.metadata.chart_name))
        .cloned()
        .collect();
    for dep in deps {
        if let Some(found) = loaded.iter().find(|c| c.metadata.chart_name == dep.name) {
            let mut copy = found.clone();
            copy.metadata.name = dep.key().to_string();
            out.push(copy);
        }
    }
    out
}

fn field<'v>(doc: &'v Value, key: &str) -> Option<&'v Value> {
    doc.as_map().and_then(|m| m.get(key))
}

fn string_field(doc: &Value, key: &str) -> Option<String> {
    field(doc, key).and_then(|v| match &v.kind {
        Kind::Str(s) => Some(s.clone()),
        Kind::Float(f) => Some(crate::yaml::scalar::format_number_key(*f)),
        Kind::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn metadata(doc: &Value, label: &str) -> Result<Metadata, ChartError> {
    let not_a_chart = |reason: &str| ChartError::NotAChart {
        path: label.to_string(),
        reason: reason.to_string(),
        hint: CHART_YAML_HINT,
    };
    let name = string_field(doc, "name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| not_a_chart("`name` is missing or not a string"))?;
    let version = string_field(doc, "version")
        .ok_or_else(|| not_a_chart("`version` is missing or not a string"))?;
    let api_version = string_field(doc, "apiVersion").unwrap_or_else(|| "v1".into());
    if api_version != "v1" && api_version != "v2" {
        return Err(not_a_chart(&format!(
            "apiVersion {api_version:?} is neither v1 nor v2"
        )));
    }
    Ok(Metadata {
        api_version,
        chart_name: name.clone(),
        name,
        version,
        description: string_field(doc, "description"),
        library: string_field(doc, "type").as_deref() == Some("library"),
        dependencies: dependencies(doc),
    })
}

fn dependencies(doc: &Value) -> Vec<Dependency> {
    let Some(Kind::List(items)) = field(doc, "dependencies").map(|v| &v.kind) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let name = string_field(item, "name")?;
            let tags = match field(item, "tags").map(|v| &v.kind) {
                Some(Kind::List(t)) => t
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            Some(Dependency {
                name,
                version: string_field(item, "version"),
                repository: string_field(item, "repository"),
                condition: string_field(item, "condition").filter(|c| !c.is_empty()),
                tags,
                alias: string_field(item, "alias").filter(|a| !a.is_empty()),
                import_values: import_values(field(item, "import-values")),
            })
        })
        .collect()
}

fn import_values(v: Option<&Value>) -> Vec<ImportValue> {
    let Some(Kind::List(items)) = v.map(|v| &v.kind) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match &item.kind {
            // The short form imports `exports.<name>` of the child into the parent's top level.
            Kind::Str(s) => Some(ImportValue {
                child: format!("exports.{s}"),
                parent: ".".into(),
            }),
            Kind::Map(_) => Some(ImportValue {
                child: string_field(item, "child")?,
                parent: string_field(item, "parent")?,
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::write;

    #[test]
    fn a_dependency_missing_from_charts_is_refused_as_helm_template_refuses_it() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().join("top");
        write(
            &top,
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: db\n  version: 1.x\n  condition: db.enabled\n- name: cache\n  version: 1.x\n",
        );
        write(
            &top,
            "charts/cache/Chart.yaml",
            "apiVersion: v2\nname: cache\nversion: 1.0.0\n",
        );
        let err = load(&top, &mut Sources::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: found in Chart.yaml, but missing in charts/ directory: db",
                top.display()
            )
        );
        assert!(err.hint().unwrap().contains("helm dependency build"));
        // A subchart's own missing dependency is not checked, as by Helm.
        write(
            &top,
            "charts/db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 1.0.0\ndependencies:\n- name: inner\n  version: 1.x\n",
        );
        assert_eq!(load(&top, &mut Sources::new()).unwrap().subcharts.len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_under_charts_is_refused_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        write(
            &a,
            "Chart.yaml",
            "apiVersion: v2\nname: a\nversion: 1.0.0\ndependencies:\n- name: b\n  version: 1.x\n",
        );
        write(
            &a,
            "charts/b/Chart.yaml",
            "apiVersion: v2\nname: b\nversion: 1.0.0\n",
        );
        std::fs::create_dir(a.join("charts/b/charts")).unwrap();
        std::os::unix::fs::symlink("../../..", a.join("charts/b/charts/a")).unwrap();
        let err = load(&a, &mut Sources::new()).unwrap_err();
        assert!(matches!(err, ChartError::Cycle { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "{}: subchart {} is the chart itself or one of its parents (a symlink loop)",
                a.join("charts/b").display(),
                a.join("charts/b/charts/a").display()
            )
        );
    }

    #[test]
    fn loads_subcharts_and_applies_aliases() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: db\n  version: 1.x\n  alias: primary\n  condition: primary.enabled\n- name: db\n  alias: replica\n  tags: [extra]\n",
        );
        write(d, "values.yaml", "a: 1\n");
        write(
            d,
            "charts/db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 1.2.0\n",
        );
        write(d, "charts/db/values.yaml", "port: 5432\n");
        write(
            d,
            "charts/lib/Chart.yaml",
            "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n",
        );
        let mut sources = Sources::new();
        let chart = load(d, &mut sources).unwrap();
        let names: Vec<_> = chart.subcharts.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["lib", "primary", "replica"]);
        assert!(chart.subcharts[0].metadata.library);
        assert_eq!(
            chart.metadata.dependencies[0].condition.as_deref(),
            Some("primary.enabled")
        );
        assert_eq!(chart.metadata.dependencies[1].tags, ["extra"]);
    }

    #[test]
    fn a_chart_yaml_without_name_is_not_a_chart() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "Chart.yaml", "kind: Deployment\n");
        let err = load(tmp.path(), &mut Sources::new()).unwrap_err();
        assert!(err.to_string().contains("not a Helm chart"), "{err}");
    }
}
