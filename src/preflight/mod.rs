//! Release preflight: will this release's pods be admitted, scheduled and served by this
//! cluster? Pure; the scheduler itself is `crate::scheduler`.
//!
//! - [`admission`]: the namespace's LimitRanges applied to the release's pod templates as
//!   LimitRanger does, before anything is counted.
//! - [`release`]: the release's pods for a scenario (RuntimeClass overhead and scheduling
//!   applied, DaemonSets pinned per node), placed in Helm's install order.
//! - [`model_server`]: will each placed vLLM server start, by [`crate::model_memory`] on the
//!   GPU its pod gets (and servers time-sliced on one GPU).
//! - [`checks`]: GPU memory by the `stackcheck.dev/*` annotations (where `model_server` cannot
//!   decide), ResourceQuotas and StorageClasses.
//! - [`outcome`]: [`outcome::evaluate`], the whole preflight as one function.
//! - [`advice`]: what would make it fit, found as cluster-autoscaler finds it.

pub mod admission;
pub mod advice;
pub mod checks;
pub mod model_server;
pub mod outcome;
pub mod release;
