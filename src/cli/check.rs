//! `stackcheck check` (and the bare `helm stackcheck VALUES...`): the arguments mapped onto
//! `check::run` (values, totals and preflight in one run), its report printed once. The exit
//! code is the worst of the steps (`CheckReport::class`).

use std::path::PathBuf;

use super::cluster_arg::load;
use super::totals::{manifests, namespace};
use super::validate::list_disabled;
use super::{CheckArgs, Failure, Outcome, out, styled};
use crate::check::{self, CheckError, Input};
use crate::diagnostic::OutcomeClass;
use crate::report::{self, Format};
use crate::schema::check_values::Request;

pub(super) fn run(args: CheckArgs) -> Outcome {
    args.release.values.helm_habits()?;
    let chart_dir = local_chart(&args);
    let layers = args.release.values.layers();
    let values = chart_dir.as_ref().map(|chart_dir| Request {
        layers: &layers,
        chart_dir,
        chart_named: true,
        first_values_file: args.release.values.all_files().next().map(|f| f.as_path()),
        schema: args.schema_source.into(),
        list_disabled: list_disabled(Format::Text),
    });
    let input = Input {
        values,
        manifests: manifests(&args.release),
        namespace: namespace(&args.release.namespace),
        scenario: args.scenario.into(),
    };
    let report = check::run(input, |sources| load(&args.cluster, sources));
    out(&report::check::to_text(
        &report,
        &args.release.release,
        styled(),
    ));
    let class = report.class();
    match (report.values, report.release) {
        (Some(Err(v)), _) => Err(Failure::diagnostics(
            OutcomeClass::BadInput,
            &v.error.diagnostics,
            &v.sources,
        )),
        (_, Some(Err(CheckError::Cluster(failure)))) => Err(failure),
        (_, Some(Err(CheckError::Release(e)))) => Err(e.into()),
        _ => Ok(class),
    }
}

/// The chart to validate values against: `--chart` or the one holding the first values file,
/// when it is on disk (not `repo/chart` or `oci://`), and not when manifests are given.
fn local_chart(args: &CheckArgs) -> Option<PathBuf> {
    if args.release.manifests.is_some() {
        return None;
    }
    match &args.release.chart {
        Some(c) => {
            let path = PathBuf::from(c);
            path.exists().then_some(path)
        }
        None => Some(
            args.release
                .values
                .chart_dir()
                .unwrap_or_else(|| PathBuf::from(".")),
        ),
    }
}
