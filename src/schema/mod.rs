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

/// Why the schemas of a chart on disk could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Annotations(Vec<generate::GenerateError>),
    #[error(transparent)]
    Files(#[from] files::WriteError),
}

/// What `stackcheck schema DIR --check` compares: every chart's `values.schema.json` against what
/// its values generate now (nothing is written).
pub fn check(dir: &Path) -> Result<Vec<files::FileReport>, CheckError> {
    let mut sources = Sources::new();
    let chart = chart::load(dir, &mut sources)?;
    let generated = generate::generate(&chart, &sources).map_err(CheckError::Annotations)?;
    Ok(files::sync(&generated, false, false)?)
}
