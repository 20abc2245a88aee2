//! `stackcheck package` and `stackcheck publish`: a chart release that carries a current schema
//! and README, passes `helm lint --strict`, has a version above what its repository already has,
//! and Artifact Hub annotations derived from what the chart renders.
//!
//! The steps, in order ([`package`]):
//!
//! 1. [`gates`]: `values.schema.json` and `README.md` of every chart are what `stackcheck schema`
//!    and `stackcheck docs` generate now (the `--check` comparison), and the version is above
//!    the target repository's highest ([`repo::latest`]).
//! 2. The chart is copied to a scratch directory (the user's files are never changed, unless
//!    [`Options::write_annotations`]); dependencies that are neither local (`file://`) nor
//!    already in `charts/` are fetched with `helm dependency build` there.
//! 3. `helm lint --strict` of that copy.
//! 4. [`annotations`]: every values profile (`values.yaml` and `values-*.yaml`) is rendered with
//!    `helm template` ([`crate::render`]) and the images of every pod template become
//!    `artifacthub.io/images`; a recognisable `LICENSE` becomes `artifacthub.io/license`. Keys
//!    already in `Chart.yaml` are kept. They are written into the copy's `Chart.yaml`.
//! 5. `helm package` of the copy (optionally `--sign`), moved atomically into the destination.
//!
//! [`publish`] then copies the package into a static repository directory and merges its
//! `index.yaml`, or `helm push`es it to an OCI registry ([`repo`]). A dry run does everything in
//! scratch space and reports what would be written where.
//!
//! Every Helm call goes to `$HELM_BIN` ([`helm`]).

pub mod annotations;
pub mod gates;
pub mod helm;
pub mod repo;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::chart::{self, ChartError};
use crate::docs::DocsError;
use crate::docs::profiles::{DEFAULTS, ProfileError, RenderOptions, profile_files, render_each};
use crate::schema::files::WriteError;
use crate::source::Sources;

pub use gates::Gate;
pub use helm::{Helm, Transport};
pub use repo::Target;

/// A gate that does not hold: the chart is not packaged (exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub gate: Gate,
    /// The chart it is about.
    pub chart: String,
    /// What is wrong, naming the file.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// A diff or Helm's findings, when there are any.
    pub detail: Option<String>,
}

/// Everything else that stops packaging or publishing: bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{} gate(s) refused the chart", .0.len())]
    Refused(Vec<Refusal>),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("{0}")]
    Annotations(String),
    #[error(transparent)]
    Docs(#[from] DocsError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("{path}: version {version:?} is not SemVer 2 ({message})")]
    Version {
        path: String,
        version: String,
        message: String,
    },
    #[error("{path}: {message}")]
    ChartYaml { path: String, message: String },
    #[error(transparent)]
    HelmMissing(#[from] crate::render::HelmMissing),
    #[error("`helm {command}` failed ({status}):\n{stderr}")]
    HelmFailed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("rendering profile {0}")]
    Render(#[from] ProfileError),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("repository {repo}: {message}")]
    Repository { repo: String, message: String },
    #[error("cannot publish to {0}: a static repository served over HTTP has no upload protocol")]
    ReadOnlyTarget(String),
}

impl PublishError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            PublishError::Chart(e) => e.hint().map(str::to_string),
            PublishError::Docs(e) => e.hint(),
            PublishError::Version { .. } => Some(
                "Helm requires SemVer 2 chart versions (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])"
                    .into(),
            ),
            PublishError::HelmMissing(_) => None,
            PublishError::ReadOnlyTarget(_) => Some(
                "pass the directory the web server serves (--repo DIR, and --url URL for the index), or an oci:// registry"
                    .into(),
            ),
            PublishError::Render(_) => Some(
                "every values profile next to the chart must render with `helm template` (set HELM_BIN to the Helm to use)"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// `helm package --sign` settings.
#[derive(Debug, Clone)]
pub struct Signing {
    pub key: String,
    pub keyring: PathBuf,
    pub passphrase_file: Option<PathBuf>,
}

/// What to package, with which Helm, and where it is going.
#[derive(Debug, Clone)]
pub struct Options {
    /// The chart directory.
    pub chart: PathBuf,
    pub helm: Helm,
    pub transport: Transport,
    /// The repository whose versions the chart's must be above (and, for [`publish`], where
    /// it goes).
    pub target: Option<Target>,
    /// Where `NAME-VERSION.tgz` is written; `None` keeps it in scratch space (for [`publish`]).
    pub destination: Option<PathBuf>,
    pub sign: Option<Signing>,
    /// Also write the derived annotations into the user's `Chart.yaml`.
    pub write_annotations: bool,
    /// Write nothing outside scratch space.
    pub dry_run: bool,
}

/// Where an annotation's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Derived now and added to the packaged `Chart.yaml` (from what, for the report).
    Derived(String),
    /// Already in `Chart.yaml`: kept as written.
    Kept,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

/// What happened to the chart's dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependencies {
    None,
    /// All of them are in `charts/` already (unpacked or `.tgz`).
    Vendored,
    /// `helm dependency build` fetched the missing ones.
    Built,
}

/// A packaged chart.
#[derive(Debug)]
pub struct Package {
    pub name: String,
    pub version: semver::Version,
    /// The package: in the destination, or in scratch space (dry run, or no destination).
    pub file: PathBuf,
    /// The provenance file, when signed.
    pub prov: Option<PathBuf>,
    pub size: u64,
    pub sha256: String,
    /// The target repository's highest version of the chart before this one.
    pub published: Option<semver::Version>,
    pub dependencies: Dependencies,
    pub annotations: Vec<Annotation>,
    /// Values profiles rendered for the annotations.
    pub profiles: Vec<String>,
    /// The derived annotations were also written into the user's `Chart.yaml`.
    pub chart_yaml_written: bool,
    /// Holds the scratch files alive as long as the package is used.
    _scratch: tempfile::TempDir,
}

/// Check the gates and package the chart (see the module documentation for the steps).
pub fn package(opts: &Options) -> Result<Package, PublishError> {
    let dir = &opts.chart;
    let mut sources = Sources::new();
    let loaded = chart::load(dir, &mut sources)?;
    let name = loaded.metadata.chart_name.clone();
    let chart_yaml = dir.join("Chart.yaml");
    let version =
        repo::parse_version(&loaded.metadata.version).map_err(|e| PublishError::Version {
            path: chart_yaml.display().to_string(),
            version: loaded.metadata.version.clone(),
            message: e.to_string(),
        })?;

    let mut refusals = gates::schema(dir)?;
    match gates::docs(dir, &opts.helm) {
        Ok(r) => refusals.extend(r),
        // A stale schema can reject the values a README's profiles render with: the schema is
        // the first thing to fix, then the README can be checked.
        Err(PublishError::Docs(DocsError::Profile { chart, source }))
            if refusals.iter().any(|r| r.gate == Gate::Schema) =>
        {
            refusals.push(gates::docs_blocked_by_schema(dir, chart, &source))
        }
        Err(e) => return Err(e),
    }
    let mut published = None;
    if let Some(target) = &opts.target {
        let check = gates::version(
            &opts.helm,
            &opts.transport,
            target,
            &name,
            &version,
            &chart_yaml,
        )?;
        published = check.published;
        refusals.extend(check.refusal);
    }

    let scratch = tempfile::tempdir().map_err(|e| io_error(Path::new("scratch directory"), &e))?;
    let staged = scratch.path().join(
        dir.canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(ToOwned::to_owned))
            .unwrap_or_else(|| name.clone().into()),
    );
    copy_tree(dir, &staged, 0)?;
    let dependencies = build_dependencies(&opts.helm, &loaded, &staged)?;
    refusals.extend(gates::lint(&opts.helm, &staged, dir, &name)?);
    if !refusals.is_empty() {
        return Err(PublishError::Refused(refusals));
    }

    let (annotations, profiles) = derive_annotations(opts, &staged)?;
    let added: Vec<(String, String)> = annotations
        .iter()
        .filter(|a| matches!(a.origin, Origin::Derived(_)))
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect();
    let staged_yaml = staged.join("Chart.yaml");
    let text = std::fs::read_to_string(&staged_yaml).map_err(|e| io_error(&chart_yaml, &e))?;
    let edited =
        annotations::add_annotations(&text, &added).map_err(|e| PublishError::ChartYaml {
            path: chart_yaml.display().to_string(),
            message: e.to_string(),
        })?;
    std::fs::write(&staged_yaml, &edited).map_err(|e| io_error(&staged_yaml, &e))?;

    let out = scratch.path().join("out");
    std::fs::create_dir_all(&out).map_err(|e| io_error(&out, &e))?;
    let mut args: Vec<OsString> = vec![
        "package".into(),
        staged.clone().into(),
        "--destination".into(),
        out.clone().into(),
    ];
    if let Some(s) = &opts.sign {
        args.extend(["--sign".into(), "--key".into(), s.key.clone().into()]);
        args.extend(["--keyring".into(), s.keyring.clone().into()]);
        if let Some(p) = &s.passphrase_file {
            args.extend(["--passphrase-file".into(), p.clone().into()]);
        }
    }
    opts.helm.run(&args, &[])?;
    let file_name = repo::package_file(&name, &loaded.metadata.version);
    let mut file = out.join(&file_name);
    let mut prov = opts
        .sign
        .as_ref()
        .map(|_| out.join(format!("{file_name}.prov")));
    let bytes = std::fs::read(&file).map_err(|e| io_error(&file, &e))?;
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let mut chart_yaml_written = false;
    if !opts.dry_run {
        if let Some(dest) = &opts.destination {
            std::fs::create_dir_all(dest).map_err(|e| io_error(dest, &e))?;
            let target = dest.join(&file_name);
            repo::atomic_write(&target, &bytes)?;
            file = target;
            if let Some(p) = &prov {
                let target = dest.join(format!("{file_name}.prov"));
                let prov_bytes = std::fs::read(p).map_err(|e| io_error(p, &e))?;
                repo::atomic_write(&target, &prov_bytes)?;
                prov = Some(target);
            }
        }
        if opts.write_annotations && !added.is_empty() {
            let original =
                std::fs::read_to_string(&chart_yaml).map_err(|e| io_error(&chart_yaml, &e))?;
            let edited = annotations::add_annotations(&original, &added).map_err(|e| {
                PublishError::ChartYaml {
                    path: chart_yaml.display().to_string(),
                    message: e.to_string(),
                }
            })?;
            crate::schema::files::atomic_write(&chart_yaml, &edited)?;
            chart_yaml_written = true;
        }
    }
    Ok(Package {
        name,
        version,
        file,
        prov,
        size: bytes.len() as u64,
        sha256,
        published,
        dependencies,
        annotations,
        profiles,
        chart_yaml_written,
        _scratch: scratch,
    })
}

/// Where a package went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Nothing was written: what would have been.
    DryRun { actions: Vec<String> },
    /// Copied into a static repository directory; the index now lists `entries` versions.
    Dir { file: PathBuf, entries: usize },
    /// Pushed to an OCI registry.
    Oci { reference: String, digest: String },
}

/// Package the chart (all gates, against `opts.target`) and publish it there; `url` is the base
/// URL of a static repository for its `index.yaml` (relative entries without).
pub fn publish(opts: &Options, url: Option<&str>) -> Result<(Package, Published), PublishError> {
    let Some(target) = &opts.target else {
        return Err(PublishError::Repository {
            repo: String::new(),
            message: "no repository given".into(),
        });
    };
    if let Target::Url(u) = target {
        return Err(PublishError::ReadOnlyTarget(u.clone()));
    }
    repo::check_target(target)?;
    let package = package(opts)?;
    let reference = target.reference(&package.name, &package.version.to_string());
    let published = match target {
        Target::Dir(dir) if opts.dry_run => {
            let index = dir.join("index.yaml");
            let existing = std::fs::read_to_string(&index)
                .map(|t| repo::index_entry_count(&t))
                .unwrap_or(0);
            let mut actions = vec![format!("copy {} to {reference}", file_name(&package.file))];
            if let Some(p) = &package.prov {
                actions.push(format!(
                    "copy {} to {}",
                    file_name(p),
                    dir.join(file_name(p)).display()
                ));
            }
            actions.push(format!(
                "add {} {} to {} ({existing} version(s) listed now, kept){}",
                package.name,
                package.version,
                index.display(),
                url.map(|u| format!(", download URL {u}/{}", file_name(&package.file)))
                    .unwrap_or_default()
            ));
            Published::DryRun { actions }
        }
        Target::Dir(dir) => {
            let entries =
                repo::publish_dir(&opts.helm, dir, &package.file, package.prov.as_deref(), url)?;
            Published::Dir {
                file: dir.join(file_name(&package.file)),
                entries,
            }
        }
        Target::Oci(oci) if opts.dry_run => Published::DryRun {
            actions: vec![format!(
                "helm push {} {oci} (→ {reference})",
                file_name(&package.file)
            )],
        },
        Target::Oci(oci) => {
            let digest = repo::push_oci(&opts.helm, &opts.transport, oci, &package.file)?;
            Published::Oci { reference, digest }
        }
        Target::Url(u) => return Err(PublishError::ReadOnlyTarget(u.clone())),
    };
    Ok((package, published))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn io_error(path: &Path, e: &std::io::Error) -> PublishError {
    PublishError::Io {
        path: path.display().to_string(),
        message: crate::values::io_message(e),
    }
}

/// Copy a chart directory (following symbolic links, as `helm package` does; version control
/// directories left out: `.helmignore` decides the rest when Helm packages the copy).
fn copy_tree(from: &Path, to: &Path, depth: usize) -> Result<(), PublishError> {
    if depth > 64 {
        return Err(PublishError::Io {
            path: from.display().to_string(),
            message: "directories nested more than 64 deep (a symbolic link loop?)".into(),
        });
    }
    std::fs::create_dir_all(to).map_err(|e| io_error(to, &e))?;
    let entries = std::fs::read_dir(from).map_err(|e| io_error(from, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(from, &e))?;
        let path = entry.path();
        let meta = std::fs::metadata(&path).map_err(|e| io_error(&path, &e))?;
        let target = to.join(entry.file_name());
        if meta.is_dir() {
            if [".git", ".hg", ".svn"]
                .iter()
                .any(|d| entry.file_name() == *d)
            {
                continue;
            }
            copy_tree(&path, &target, depth + 1)?;
        } else {
            std::fs::copy(&path, &target).map_err(|e| io_error(&path, &e))?;
        }
    }
    Ok(())
}

/// `helm dependency build` in the copy when a dependency is neither local (`file://`) nor
/// already in `charts/`; vendored charts (like `charts/llm-stack`'s) need no network.
fn build_dependencies(
    helm: &Helm,
    chart: &chart::Chart,
    staged: &Path,
) -> Result<Dependencies, PublishError> {
    let deps = &chart.metadata.dependencies;
    if deps.is_empty() {
        return Ok(Dependencies::None);
    }
    let present: BTreeSet<String> = chart
        .subcharts
        .iter()
        .map(|s| s.metadata.chart_name.clone())
        .collect();
    let missing = deps.iter().any(|d| {
        let local = d
            .repository
            .as_deref()
            .is_none_or(|r| r.is_empty() || r.starts_with("file://"));
        !local && !present.contains(&d.name)
    });
    if !missing {
        return Ok(Dependencies::Vendored);
    }
    helm.run(&["dependency".into(), "build".into(), staged.into()], &[])?;
    Ok(Dependencies::Built)
}

/// The annotations to publish: derived ones, unless `Chart.yaml` already has the key.
fn derive_annotations(
    opts: &Options,
    staged: &Path,
) -> Result<(Vec<Annotation>, Vec<String>), PublishError> {
    let text = std::fs::read_to_string(staged.join("Chart.yaml"))
        .map_err(|e| io_error(&opts.chart.join("Chart.yaml"), &e))?;
    let existing = annotations::existing(&text).map_err(|e| PublishError::ChartYaml {
        path: opts.chart.join("Chart.yaml").display().to_string(),
        message: e.to_string(),
    })?;
    let profiles: Vec<String> = std::iter::once(DEFAULTS.to_string())
        .chain(profile_files(staged))
        .collect();
    let mut derived: Vec<(String, String, String)> = Vec::new();
    let images = render_images(&opts.helm, staged, &profiles)?;
    if !images.is_empty() {
        derived.push((
            annotations::IMAGES.to_string(),
            annotations::images_value(&images),
            format!(
                "{} image(s) rendered by {} profile(s)",
                images.len(),
                profiles.len()
            ),
        ));
    }
    if let Some(spdx) = annotations::license(staged) {
        derived.push((
            annotations::LICENSE.to_string(),
            spdx.to_string(),
            "the chart's LICENSE file".into(),
        ));
    }
    let out = derived
        .into_iter()
        .map(
            |(key, value, from)| match existing.iter().find(|(k, _)| *k == key) {
                Some((_, v)) => Annotation {
                    key,
                    value: v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    origin: Origin::Kept,
                },
                None => Annotation {
                    key,
                    value,
                    origin: Origin::Derived(from),
                },
            },
        )
        .collect();
    Ok((out, profiles))
}

/// The images of every profile, rendered a few at a time.
fn render_images(
    helm: &Helm,
    chart: &Path,
    profiles: &[String],
) -> Result<BTreeSet<annotations::Image>, PublishError> {
    let options = RenderOptions::new(helm.bin.clone());
    let images = render_each(chart, profiles, &options, |_, objects, _| {
        annotations::images(&objects)
    })?;
    Ok(images.into_iter().flatten().collect())
}
