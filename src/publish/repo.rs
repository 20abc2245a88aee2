//! Chart repositories: what is already published there (for the version gate) and publishing
//! a package to them.
//!
//! - A static repository **directory** (what a web server serves): `index.yaml` is read
//!   directly; publishing copies the package (and its `.prov`) in and merges `index.yaml` with
//!   `helm repo index --merge`, both written atomically, the package first.
//! - A static repository **URL** (`http(s)://`): read only, through `helm repo add` into a
//!   throw-away Helm configuration (so Helm's TLS settings and credentials apply); there is no
//!   upload protocol, so publishing needs the directory the server serves.
//! - An **OCI** registry (`oci://host/path`): the highest version is what `helm show chart
//!   --version '>=0.0.0-0'` resolves from the repository's tags; publishing is `helm push`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::PublishError;
use super::helm::{Helm, Transport, failed};
use crate::source::{SourceKind, Sources};

/// Where a chart is (to be) published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Dir(PathBuf),
    Url(String),
    /// `oci://host/path`: the chart goes to `host/path/NAME:VERSION`.
    Oci(String),
}

impl Target {
    pub fn parse(s: &str) -> Target {
        if s.starts_with("oci://") {
            Target::Oci(s.trim_end_matches('/').to_string())
        } else if s.starts_with("http://") || s.starts_with("https://") {
            Target::Url(s.trim_end_matches('/').to_string())
        } else {
            Target::Dir(PathBuf::from(s))
        }
    }

    pub fn display(&self) -> String {
        match self {
            Target::Dir(d) => d.display().to_string(),
            Target::Url(u) | Target::Oci(u) => u.clone(),
        }
    }

    /// Where chart `name` version `version` ends up.
    pub fn reference(&self, name: &str, version: &str) -> String {
        match self {
            Target::Dir(d) => d.join(package_file(name, version)).display().to_string(),
            Target::Url(u) => format!("{u}/{}", package_file(name, version)),
            Target::Oci(o) => format!("{o}/{name}:{version}"),
        }
    }
}

/// `NAME-VERSION.tgz`, what `helm package` writes.
pub fn package_file(name: &str, version: &str) -> String {
    format!("{name}-{version}.tgz")
}

/// The versions of chart `name` already in a repository index (`index.yaml` text); entries
/// whose version is not SemVer are skipped (Helm cannot order them either).
pub fn index_versions(
    text: &str,
    name: &str,
) -> Result<Vec<semver::Version>, crate::values::ValuesError> {
    let index = parse_yaml("index.yaml", text)?;
    Ok(index["entries"][name]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["version"].as_str())
        .filter_map(|v| parse_version(v).ok())
        .collect())
}

/// How many chart versions an index lists in all.
pub fn index_entry_count(text: &str) -> usize {
    parse_yaml("index.yaml", text)
        .ok()
        .and_then(|i| {
            i["entries"]
                .as_object()
                .map(|m| m.values().filter_map(Json::as_array).map(Vec::len).sum())
        })
        .unwrap_or(0)
}

fn parse_yaml(name: &str, text: &str) -> Result<Json, crate::values::ValuesError> {
    let mut sources = Sources::new();
    let id = sources.add(name, text, SourceKind::Other);
    crate::values::parse_values(&sources, id).map(|v| v.to_json())
}

/// A chart version as Helm reads it (a leading `v` is allowed, as Masterminds/semver does).
pub fn parse_version(v: &str) -> Result<semver::Version, semver::Error> {
    semver::Version::parse(v.trim().trim_start_matches('v'))
}

/// A directory target must exist before anything is packaged (the gates take seconds).
pub fn check_target(target: &Target) -> Result<(), PublishError> {
    match target {
        Target::Dir(dir) if !dir.is_dir() => Err(PublishError::Repository {
            repo: target.display(),
            message: "no such directory (create it first: a static repository is a directory a web server serves)".into(),
        }),
        _ => Ok(()),
    }
}

/// The highest version of chart `name` already published in `target`, if any.
pub fn latest(
    helm: &Helm,
    transport: &Transport,
    target: &Target,
    name: &str,
) -> Result<Option<semver::Version>, PublishError> {
    let repo_err = |message: String| PublishError::Repository {
        repo: target.display(),
        message,
    };
    match target {
        Target::Dir(dir) => {
            check_target(target)?;
            let path = dir.join("index.yaml");
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(index_versions(&text, name)
                    .map_err(|e| repo_err(format!("index.yaml: {e}")))?
                    .into_iter()
                    .max()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(repo_err(format!(
                    "index.yaml: {}",
                    crate::values::io_message(&e)
                ))),
            }
        }
        Target::Url(url) => {
            let home = tempfile::tempdir().map_err(|e| repo_err(e.to_string()))?;
            let config = home.path().join("repositories.yaml");
            let cache = home.path().join("cache");
            let mut args: Vec<OsString> = vec![
                "repo".into(),
                "add".into(),
                "stackcheck-target".into(),
                url.into(),
            ];
            args.extend(transport.tls_args());
            let env = [
                ("HELM_REPOSITORY_CONFIG", config.as_path()),
                ("HELM_REPOSITORY_CACHE", cache.as_path()),
            ];
            helm.run(&args, &env)?;
            let text = std::fs::read_to_string(cache.join("stackcheck-target-index.yaml"))
                .map_err(|e| {
                    repo_err(format!(
                        "Helm did not cache the index: {}",
                        crate::values::io_message(&e)
                    ))
                })?;
            Ok(index_versions(&text, name)
                .map_err(|e| repo_err(format!("index.yaml: {e}")))?
                .into_iter()
                .max())
        }
        Target::Oci(oci) => {
            let mut args: Vec<OsString> = vec![
                "show".into(),
                "chart".into(),
                format!("{oci}/{name}").into(),
                "--version".into(),
                ">=0.0.0-0".into(),
            ];
            args.extend(transport.oci_args());
            let output = helm.output(&args, &[])?;
            if !output.status.success() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                return if nothing_published(&stderr) {
                    Ok(None)
                } else {
                    Err(failed(&args, &output))
                };
            }
            let chart = parse_yaml("Chart.yaml", &String::from_utf8_lossy(&output.stdout))
                .map_err(|e| repo_err(format!("the published Chart.yaml: {e}")))?;
            let version = chart["version"].as_str().unwrap_or_default();
            parse_version(version).map(Some).map_err(|e| {
                repo_err(format!(
                    "the published version {version:?} is not SemVer: {e}"
                ))
            })
        }
    }
}

/// Helm's errors for a repository that has no (matching) tags yet, as registries word them.
fn nothing_published(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    [
        "status code 404",
        "404 not found",
        "name unknown",
        "not known to registry",
        "could not locate a version",
        "unable to locate any tags",
    ]
    .iter()
    .any(|w| s.contains(w))
}

/// Copy `package` (and `prov`, when signed) into the repository directory `dir` and merge its
/// `index.yaml`; `url` is the repository's base URL for the new entry (relative without).
/// Returns the number of chart versions the index lists afterwards.
pub fn publish_dir(
    helm: &Helm,
    dir: &Path,
    package: &Path,
    prov: Option<&Path>,
    url: Option<&str>,
) -> Result<usize, PublishError> {
    let io = |path: &Path, e: std::io::Error| PublishError::Io {
        path: path.display().to_string(),
        message: crate::values::io_message(&e),
    };
    // Index the new package alone in a scratch directory, merged over a copy of the existing
    // index: Helm then never writes into the repository itself.
    let scratch = tempfile::tempdir().map_err(|e| io(dir, e))?;
    let file_name = package.file_name().unwrap_or_default();
    std::fs::copy(package, scratch.path().join(file_name)).map_err(|e| io(package, e))?;
    let index = dir.join("index.yaml");
    let mut args: Vec<OsString> = vec!["repo".into(), "index".into(), scratch.path().into()];
    if index.is_file() {
        let copy = scratch.path().join("existing-index.yaml");
        std::fs::copy(&index, &copy).map_err(|e| io(&index, e))?;
        args.push("--merge".into());
        args.push(copy.into());
    }
    if let Some(url) = url {
        args.push("--url".into());
        args.push(url.into());
    }
    helm.run(&args, &[])?;
    let merged = std::fs::read(scratch.path().join("index.yaml"))
        .map_err(|e| io(&scratch.path().join("index.yaml"), e))?;
    for file in std::iter::once(package).chain(prov) {
        let bytes = std::fs::read(file).map_err(|e| io(file, e))?;
        atomic_write(&dir.join(file.file_name().unwrap_or_default()), &bytes)?;
    }
    atomic_write(&index, &merged)?;
    Ok(index_entry_count(&String::from_utf8_lossy(&merged)))
}

/// `helm push PACKAGE oci://host/path`.
pub fn push_oci(
    helm: &Helm,
    transport: &Transport,
    oci: &str,
    package: &Path,
) -> Result<String, PublishError> {
    let mut args: Vec<OsString> = vec!["push".into(), package.into(), oci.into()];
    args.extend(transport.oci_args());
    let output = helm.output(&args, &[])?;
    if !output.status.success() {
        return Err(failed(&args, &output));
    }
    // Helm prints `Pushed: …` and `Digest: …` on stderr (v3) or stdout (v4).
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_default()
        .trim()
        .to_string())
}

/// Write bytes through a temporary file in the same directory, then rename
/// ([`crate::fsutil::atomic_write`]).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    crate::fsutil::atomic_write(path, bytes).map_err(|e| super::io_error(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("oci://r:5000/charts/"),
            Target::Oci("oci://r:5000/charts".into())
        );
        assert_eq!(
            Target::parse("https://x/charts"),
            Target::Url("https://x/charts".into())
        );
        assert_eq!(Target::parse("repo"), Target::Dir("repo".into()));
        assert_eq!(
            Target::Oci("oci://r/c".into()).reference("a", "1.0.0"),
            "oci://r/c/a:1.0.0"
        );
    }

    #[test]
    fn index_versions_skip_what_is_not_semver() {
        let index = "apiVersion: v1\nentries:\n  a:\n  - version: 0.2.0\n  - version: 0.10.0-rc.1\n  - version: latest\n  b:\n  - version: 9.0.0\n";
        let mut v = index_versions(index, "a").unwrap();
        v.sort();
        assert_eq!(
            v.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["0.2.0", "0.10.0-rc.1"]
        );
        assert_eq!(v.into_iter().max().unwrap().to_string(), "0.10.0-rc.1");
        assert!(index_versions(index, "c").unwrap().is_empty());
        assert_eq!(index_entry_count(index), 4);
    }

    #[test]
    fn versions_compare_as_semver() {
        let v = |s| parse_version(s).unwrap();
        assert!(v("0.10.0") > v("0.9.0"));
        assert!(v("1.0.0") > v("1.0.0-rc.1"));
        assert!(v("v1.2.3") == v("1.2.3"));
        assert!(parse_version("1.2").is_err());
    }

    #[test]
    fn registries_words_for_nothing_there() {
        assert!(nothing_published(
            "Error: GET \"http://127.0.0.1:1/v2/charts/x/tags/list\": response status code 404: name unknown: repository name not known to registry"
        ));
        assert!(!nothing_published(
            "Error: dial tcp 127.0.0.1:4040: connect: connection refused"
        ));
        assert!(!nothing_published(
            "Error: GET \"https://r/v2/c/x/tags/list\": response status code 401: unauthorized"
        ));
    }
}
