//! stackcheck: Helm-faithful values handling, schema generation and validation, resource totals
//! and cluster preflight.
//!
//! The modules follow the data flow, and a module imports only modules below it (see
//! `docs/ARCHITECTURE.md`, checked by `tests/architecture.rs`): [`source`] and [`yaml`] read text
//! with positions, [`diagnostic`] is what every stage reports, [`values`] merges layers in Helm's
//! order, [`chart`] reads charts and their dependencies, [`schema`] generates and validates,
//! [`render`], [`workload`] and [`totals`] read and add up manifests, [`conformance`] checks them
//! as the API server's validation and admission would, [`cluster`] and [`scheduler`] model the
//! cluster and its scheduler, [`preflight`] checks a release against them, [`model_memory`] accounts a model server's GPU memory as vLLM does
//! (both new stages are not yet called by [`release`]), [`release`] runs those stages on one
//! release, [`check`] composes them into `stackcheck check`'s one report, [`report`] renders the
//! results, [`docs`] and [`publish`] build on them, and [`cli`] parses the command line, calls
//! the library, prints once and chooses the exit code.
pub mod chart;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod conformance;
pub mod diagnostic;
pub mod docs;
pub mod fsutil;
pub mod model_memory;
pub mod preflight;
pub mod publish;
pub mod quantity;
pub mod release;
pub mod render;
pub mod report;
pub mod scheduler;
pub mod schema;
pub mod source;
#[cfg(test)]
mod test_support;
pub mod totals;
pub mod values;
pub mod workload;
pub mod yaml;
