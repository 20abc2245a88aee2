//! The one harness of the integration tests (`mod common;` in every `tests/*.rs`), by concern:
//!
//! - `cmd`: the test build of stackcheck as a command, and what a run printed;
//! - `helm`: the pinned Helm v3 and v4 (`HELM_V3`/`HELM_V4`), isolated from the caller's Helm,
//!   with the verdicts of Helm and stackcheck on a values set; GnuPG for the signing tests;
//! - `skip`: a missing tool fails the test under CI and is recorded as skipped elsewhere;
//! - `fixtures`: paths, copies, JSON report contracts, a parallel map, text tables;
//! - `chart`: `charts/llm-stack` rendered per profile, YAML → JSON, quantities, pod templates.
//!
//! The file prefixes say what a test file needs (docs/ARCHITECTURE.md, "Tests"): `unit_` only
//! the sources, `cli_` the stackcheck binary, `helm_` real Helm v3 and v4 (and, for some, gpg or
//! docker-registry).
#![allow(dead_code, unused_imports)]

mod chart;
mod cmd;
mod fixtures;
mod helm;
mod skip;

pub use chart::*;
pub use cmd::*;
pub use fixtures::*;
pub use helm::*;
pub use skip::*;
