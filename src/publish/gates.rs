//! What must hold before a chart is packaged: its generated files are current (the same
//! comparison as `stackcheck schema --check` and `stackcheck docs --check`), it passes `helm
//! lint --strict`, and its version is above every version already in the target repository.
//! A gate that does not hold is a [`Refusal`] (exit 1), not an error.

use std::ffi::OsString;
use std::path::Path;

use super::helm::{Helm, Transport};
use super::repo::{self, Target};
use super::{PublishError, Refusal};
use crate::diagnostic::Code;
use crate::docs::{self, RenderOptions, Which};
use crate::schema::CheckError;
use crate::schema::files::{FileReport, FileStatus};

/// The gates, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Schema,
    Docs,
    Lint,
    Version,
}

impl Gate {
    pub fn name(self) -> &'static str {
        match self {
            Gate::Schema => "schema",
            Gate::Docs => "docs",
            Gate::Lint => "lint",
            Gate::Version => "version",
        }
    }

    /// The diagnostic code of a refusal by this gate.
    pub fn code(self) -> Code {
        match self {
            Gate::Schema => Code::PackageSchema,
            Gate::Docs => Code::PackageDocs,
            Gate::Lint => Code::PackageLint,
            Gate::Version => Code::PackageVersion,
        }
    }
}

/// How `stackcheck` is spelled for a chart in fix hints (`stackcheck schema CHART --write`).
fn command(what: &str, chart: &Path, extra: &str) -> String {
    let chart = chart.display().to_string();
    let chart = if chart == "." {
        String::new()
    } else {
        format!(" {chart}")
    };
    format!("stackcheck {what}{chart} --write{extra}")
}

/// Every chart's `values.schema.json` is what `stackcheck schema` generates now.
pub fn schema(dir: &Path) -> Result<Vec<Refusal>, PublishError> {
    let reports = crate::schema::check(dir).map_err(|e| match e {
        CheckError::Chart(e) => PublishError::Chart(e),
        e @ CheckError::Annotations(_) => PublishError::Annotations(e.to_string()),
        CheckError::Files(e) => PublishError::Write(e),
    })?;
    let hand_edited = format!(
        "move the change into values.yaml annotations (docs/ANNOTATIONS.md), then run `{}`",
        command("schema", dir, " --force")
    );
    Ok(refusals(
        reports,
        Gate::Schema,
        dir,
        ["values schema", "values.yaml"],
        hand_edited,
    ))
}

/// Every chart's `README.md` is what `stackcheck docs` generates now.
pub fn docs(dir: &Path, helm: &Helm) -> Result<Vec<Refusal>, PublishError> {
    let options = RenderOptions::new(helm.bin.clone());
    let readmes = docs::generate(dir, &options, Which::All)?;
    let hand_edited = format!(
        "move the text into {} or values.yaml comments, then run `{}`",
        docs::template::OVERRIDE_FILE,
        command("docs", dir, " --force")
    );
    let reports = docs::sync(&readmes, false, false)?;
    Ok(refusals(
        reports,
        Gate::Docs,
        dir,
        ["generated README", "the chart"],
        hand_edited,
    ))
}

/// A refusal per file that is not current; `[carried, generator]` word what the file is and
/// what generates it. A hand-edited README shows its diff; a hand-edited schema does not.
fn refusals(
    reports: Vec<FileReport>,
    gate: Gate,
    dir: &Path,
    [carried, generator]: [&str; 2],
    hand_edited_hint: String,
) -> Vec<Refusal> {
    let fix = command(gate.name(), dir, "");
    let mut out = Vec::new();
    for r in reports {
        let path = r.path.display();
        let (message, hint, detail) = match r.status {
            FileStatus::UpToDate | FileStatus::Packed | FileStatus::Written => continue,
            FileStatus::Missing => (
                format!("{path} is missing: a release carries its {carried}"),
                format!("run `{fix}` and commit the file"),
                None,
            ),
            FileStatus::Stale { diff } => (
                format!("{path} is stale: it differs from what {generator} generates"),
                format!("run `{fix}` and commit the result"),
                Some(diff),
            ),
            FileStatus::HandEdited { diff } => (
                format!("{path} was written or edited by hand, so it cannot be checked"),
                hand_edited_hint.clone(),
                (gate == Gate::Docs).then_some(diff),
            ),
        };
        out.push(Refusal {
            gate,
            chart: r.chart,
            message,
            hint,
            detail,
        });
    }
    out
}

/// The README gate when its profiles do not render because the schema is stale.
pub fn docs_blocked_by_schema(
    dir: &Path,
    chart: String,
    error: &crate::docs::profiles::ProfileError,
) -> Refusal {
    Refusal {
        gate: Gate::Docs,
        message: format!(
            "{} cannot be checked: profile {} does not render against the stale schema",
            dir.join("README.md").display(),
            error.profile
        ),
        hint: format!(
            "run `{}` first, then `{}`, and commit both",
            command("schema", dir, ""),
            command("docs", dir, "")
        ),
        detail: None,
        chart,
    }
}

/// `helm lint --strict` of the chart in `staged` (the copy with its dependencies built);
/// `shown` is the path to name in messages (the user's chart).
pub fn lint(
    helm: &Helm,
    staged: &Path,
    shown: &Path,
    name: &str,
) -> Result<Vec<Refusal>, PublishError> {
    let args: Vec<OsString> = vec!["lint".into(), "--strict".into(), staged.into()];
    let output = helm.output(&args, &[])?;
    if output.status.success() {
        return Ok(Vec::new());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .replace(&staged.display().to_string(), &shown.display().to_string());
    let findings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[ERROR]") || l.contains("[WARNING]"))
        .collect();
    let detail = if findings.is_empty() {
        text.trim_end().to_string()
    } else {
        findings.join("\n")
    };
    Ok(vec![Refusal {
        gate: Gate::Lint,
        chart: name.to_string(),
        message: format!(
            "`helm lint --strict {}` fails ({} finding(s))",
            shown.display(),
            findings.len()
        ),
        hint: "fix what helm lint reports (with --strict, warnings count too)".into(),
        detail: Some(detail + "\n"),
    }])
}

/// The outcome of the version gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionCheck {
    /// The highest version already published, if any.
    pub published: Option<semver::Version>,
    pub refusal: Option<Refusal>,
}

/// `version` is above the highest version of `name` in `target`.
pub fn version(
    helm: &Helm,
    transport: &Transport,
    target: &Target,
    name: &str,
    version: &semver::Version,
    chart_yaml: &Path,
) -> Result<VersionCheck, PublishError> {
    let published = repo::latest(helm, transport, target, name)?;
    let refusal = match &published {
        Some(p) if p >= version => Some(Refusal {
            gate: Gate::Version,
            chart: name.to_string(),
            message: if p == version {
                format!(
                    "{name} {version} is already published in {}: a published version is never replaced",
                    target.display()
                )
            } else {
                format!(
                    "{} already has {name} {p}, above {version}",
                    target.display()
                )
            },
            hint: format!(
                "bump `version` in {} above {p}, then run `{}` (READMEs show the version)",
                chart_yaml.display(),
                command("docs", chart_yaml.parent().unwrap_or(Path::new(".")), "")
            ),
            detail: None,
        }),
        _ => None,
    };
    Ok(VersionCheck { published, refusal })
}
