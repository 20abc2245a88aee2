//! Schemas: generation from annotated values ([`generate`]), the bundled Kubernetes shapes
//! ([`fragments`]), files on disk ([`files`]) and validation of values ([`validate`]).

pub mod annotations;
pub mod files;
pub mod fragments;
pub mod generate;
pub mod validate;
