//! Will the cluster admit it? Pure checks of rendered objects against what the API server and its
//! admission chain enforce for a target Kubernetes version (issue 16), self-contained so the
//! `check` pipeline can call them as its "admission" step.
//!
//! - [`pod_security`]: Pod Security Admission (`k8s.io/pod-security-admission`), every check of
//!   every policy version, with the API server's own `violates PodSecurity` text.
//! - [`deprecations`]: apiVersions removed or deprecated in the target version.
//! - [`schema`]: every object against the bundled OpenAPI v3 of the target minor (1.29 …
//!   1.37) and custom resources against their CRDs, with the API server's error texts.
//!
//! Inputs are plain `serde_json::Value` objects (as `render::manifest::Object::json` holds them)
//! with the `# Source:` template that produced them, so these modules depend on nothing else of
//! the crate.

pub mod deprecations;
pub mod go_text;
pub mod pod_security;
pub mod schema;

/// A rendered object under check: its decoded JSON and the template that produced it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub json: &'a serde_json::Value,
    /// `# Source:` template (`chart/templates/deployment.yaml`), when known.
    pub template: Option<&'a str>,
}

impl<'a> Subject<'a> {
    pub fn new(json: &'a serde_json::Value, template: Option<&'a str>) -> Self {
        Subject { json, template }
    }

    pub fn kind(&self) -> &'a str {
        self.json["kind"].as_str().unwrap_or("")
    }

    pub fn api_version(&self) -> &'a str {
        self.json["apiVersion"].as_str().unwrap_or("")
    }

    pub fn name(&self) -> &'a str {
        self.json["metadata"]["name"].as_str().unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.json["metadata"]["namespace"]
            .as_str()
            .filter(|n| !n.is_empty())
    }

    /// `Kind/name`, how findings name an object elsewhere in stackcheck.
    pub fn display(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }
}
