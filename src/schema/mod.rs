//! Schemas: generation from annotated values ([`generate`]), the bundled Kubernetes shapes
//! ([`fragments`]), files on disk ([`files`]) and validation of values ([`validate`]).

pub mod annotations;
pub mod check_values;
pub mod files;
pub mod fragments;
pub mod generate;
pub mod validate;

use std::path::Path;

use crate::chart::{self, ChartError};
use crate::source::Sources;

/// Why the schemas of a chart on disk could not be generated, compared or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Annotations(Vec<generate::GenerateError>),
    #[error(transparent)]
    Files(#[from] files::WriteError),
}

/// The schemas every chart of `dir` generates (the umbrella first); its files are read into
/// `sources`.
pub fn generate_all(
    dir: &Path,
    sources: &mut Sources,
) -> Result<Vec<generate::Generated>, CheckError> {
    let chart = chart::load(dir, sources)?;
    generate::generate(&chart, sources).map_err(CheckError::Annotations)
}

/// `stackcheck schema DIR --check` (and, with `write`, `--write`): every chart's
/// `values.schema.json` against what its values generate now.
pub fn sync(
    dir: &Path,
    write: bool,
    force: bool,
    sources: &mut Sources,
) -> Result<Vec<files::FileReport>, CheckError> {
    let generated = generate_all(dir, sources)?;
    Ok(files::sync(&generated, write, force)?)
}

/// What `stackcheck schema DIR --check` compares (nothing is written).
pub fn check(dir: &Path) -> Result<Vec<files::FileReport>, CheckError> {
    sync(dir, false, false, &mut Sources::new())
}
