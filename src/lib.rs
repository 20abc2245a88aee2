//! stackcheck: Helm-faithful values handling, schema generation and validation.
//!
//! The modules follow the data flow (see `docs/ARCHITECTURE.md`): [`source`] and [`yaml`] read
//! text with positions, [`values`] merges layers in Helm's order, [`chart`] reads charts and
//! their dependencies, [`schema`] generates and validates, [`report`] renders diagnostics and
//! [`cli`] wires it to the command line.
pub mod chart;
pub mod cli;
pub mod cluster;
pub mod conformance;
pub mod docs;
pub mod fsutil;
pub mod model_memory;
pub mod preflight;
pub mod publish;
pub mod quantity;
pub mod render;
pub mod report;
pub mod schema;
pub mod source;
#[cfg(test)]
mod test_support;
pub mod totals;
pub mod values;
pub mod workload;
pub mod yaml;
