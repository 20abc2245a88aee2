//! `stackcheck check` (and the bare `helm stackcheck VALUES`) as one library call: the values
//! against the chart's schemas, then the release rendered once, its totals, and its preflight
//! on the cluster when there is one. The result is one [`CheckReport`] that `report::check`
//! shows; nothing here prints.

use crate::diagnostic::{Diagnostic, OutcomeClass};
use crate::preflight::outcome::Outcome;
use crate::release::{self, ClusterSummary, LoadedCluster, Manifests, ReleaseError, Rendered};
use crate::schema::check_values::{InputError, Request, ValuesReport, check_values};
use crate::source::Sources;
use crate::totals::{Scenario, Totals};

/// What to check. The cluster is read through `load_cluster` of [`run`], only once the values
/// are valid, because the render asks the cluster for its version and API groups.
pub struct Input<'a> {
    /// The values check of a local chart; `None` when the chart is remote or manifests are
    /// given (Helm validates a remote chart's schema itself when it renders).
    pub values: Option<Request<'a>>,
    pub manifests: Manifests,
    pub namespace: String,
    pub scenario: Scenario,
}

/// The values or the chart cannot be read (bad input): the check stops there.
#[derive(Debug, thiserror::Error)]
#[error("the values cannot be read")]
pub struct ValuesUnreadable {
    pub error: InputError,
    /// What the diagnostics of `error` point into.
    pub sources: Sources,
}

/// Why the release could not be checked after its values were.
#[derive(Debug, thiserror::Error)]
pub enum CheckError<E> {
    #[error(transparent)]
    Cluster(E),
    #[error(transparent)]
    Release(#[from] ReleaseError),
}

/// One check run, as far as it went.
pub struct CheckReport<E> {
    pub values: Option<Result<ValuesChecked, ValuesUnreadable>>,
    /// `None` when the values are invalid (Helm would refuse them at `helm template` too); the
    /// error when the cluster or the release could not be read.
    pub release: Option<Result<ReleaseChecked, CheckError<E>>>,
}

/// The values check and what its diagnostics point into.
pub struct ValuesChecked {
    pub report: ValuesReport,
    pub sources: Sources,
    /// Values files given, for the summary line.
    pub files: usize,
}

/// The rendered release, its totals and its preflight.
pub struct ReleaseChecked {
    pub rendered: Rendered,
    pub cluster: ClusterStage,
}

pub enum ClusterStage {
    /// No cluster: totals with one pod per DaemonSet, and the findings of the manifests and
    /// totals (no preflight to show them with).
    Skipped {
        totals: Totals,
        findings: Vec<Diagnostic>,
    },
    /// The preflight's totals (DaemonSets on every node, LimitRange defaults applied) are in
    /// the outcome.
    Preflight {
        outcome: Box<Outcome>,
        cluster: ClusterSummary,
    },
}

impl ReleaseChecked {
    pub fn totals(&self) -> &Totals {
        match &self.cluster {
            ClusterStage::Skipped { totals, .. } => totals,
            ClusterStage::Preflight { outcome, .. } => &outcome.totals,
        }
    }
}

impl<E> CheckReport<E> {
    /// The worst of the steps that ran: cluster unreadable, then a failed check (the class of
    /// a [`CheckError`] is its error's).
    pub fn class(&self) -> OutcomeClass {
        let values = match &self.values {
            None => OutcomeClass::Ok,
            Some(Ok(v)) => OutcomeClass::of_findings(&v.report.diagnostics),
            Some(Err(_)) => OutcomeClass::BadInput,
        };
        let Some(Ok(release)) = &self.release else {
            return values;
        };
        // The resources step fails on an error in the manifests or the totals.
        let totals = OutcomeClass::of_findings(
            release
                .totals()
                .findings
                .iter()
                .chain(&release.rendered.diagnostics),
        );
        let cluster = match &release.cluster {
            ClusterStage::Skipped { .. } => OutcomeClass::Ok,
            ClusterStage::Preflight { outcome, .. } => release::verdict_class(outcome.verdict),
        };
        values.max(totals).max(cluster)
    }
}

/// The whole check. `load_cluster` reads the cluster into the run's sources (`None`: no
/// cluster); `helm template` then renders with its capabilities.
pub fn run<E>(
    input: Input<'_>,
    load_cluster: impl FnOnce(&mut Sources) -> Result<Option<LoadedCluster>, E>,
) -> CheckReport<E> {
    let values = input.values.as_ref().map(|request| {
        let mut sources = Sources::new();
        match check_values(request, &mut sources) {
            Ok(report) => Ok(ValuesChecked {
                files: request.layers.files.len(),
                report,
                sources,
            }),
            Err(error) => Err(ValuesUnreadable { error, sources }),
        }
    });
    let valid = values.as_ref().is_none_or(|v| {
        v.as_ref()
            .is_ok_and(|v| OutcomeClass::of_findings(&v.report.diagnostics) == OutcomeClass::Ok)
    });
    CheckReport {
        values,
        release: valid.then(|| check_release(input, load_cluster)),
    }
}

/// The render, totals and preflight steps.
fn check_release<E>(
    input: Input<'_>,
    load_cluster: impl FnOnce(&mut Sources) -> Result<Option<LoadedCluster>, E>,
) -> Result<ReleaseChecked, CheckError<E>> {
    let mut sources = Sources::new();
    let loaded = load_cluster(&mut sources).map_err(CheckError::Cluster)?;
    let cluster = loaded.as_ref().map(|l| &l.cluster);
    let rendered = release::render(input.manifests, cluster, sources, input.namespace)?;
    let cluster = match loaded {
        None => {
            let (totals, mut findings) = rendered.totals(1);
            rendered.hide_helm_positions(&mut findings);
            ClusterStage::Skipped { totals, findings }
        }
        Some(loaded) => {
            let (outcome, cluster) = release::preflight(&rendered, loaded, input.scenario);
            ClusterStage::Preflight {
                outcome: Box::new(outcome),
                cluster,
            }
        }
    };
    Ok(ReleaseChecked { rendered, cluster })
}
