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

use std::collections::BTreeMap;

/// What the release is checked against (the `check` pipeline fills it from `--kube-version` or
/// the server version, `--pod-security` or the namespaces' labels, `--crds`).
#[derive(Debug, Clone)]
pub struct Target {
    /// Kubernetes 1.`minor`.
    pub minor: u32,
    pub release_namespace: String,
    /// Labels of existing namespaces (live), or [`pod_security::labels_for_level`] offline.
    pub namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
    pub pod_security: pod_security::PodSecurityConfig,
}

/// Everything the admission step found, per check.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub schema: Vec<schema::FieldError>,
    /// `Kind/name` of objects whose kind is neither built in nor a known CRD (they need their
    /// CRD in the cluster; removed built-in versions are in `apis` instead).
    pub unknown_kinds: Vec<String>,
    pub apis: Vec<deprecations::ApiFinding>,
    pub pod_security: Vec<pod_security::Finding>,
    /// Namespace label values PSA cannot parse (namespace, error).
    pub label_errors: Vec<(String, pod_security::LabelError)>,
    /// CRDs of the release or `--crds` that could not be used.
    pub crd_errors: Vec<schema::SchemaError>,
}

impl Report {
    /// Whether the API server would refuse something (exit code 1 of the admission step).
    pub fn refused(&self) -> bool {
        !self.schema.is_empty()
            || self.apis.iter().any(deprecations::ApiFinding::is_refusal)
            || self
                .pod_security
                .iter()
                .any(pod_security::Finding::is_refusal)
    }
}

/// The offline admission step: schema (built-ins of the target minor, the release's own CRDs
/// and `extra_crds`), removed/deprecated apiVersions and Pod Security Admission, in one pass.
pub fn check(
    subjects: &[Subject<'_>],
    extra_crds: &[serde_json::Value],
    target: &Target,
) -> Result<Report, schema::SchemaError> {
    let mut report = Report::default();
    let mut schemas = schema::Schemas::bundled(target.minor)?;
    let release_crds = subjects
        .iter()
        .filter(|s| s.kind() == "CustomResourceDefinition")
        .map(|s| s.json);
    for crd in extra_crds.iter().chain(release_crds) {
        if let Err(e) = schemas.add_crd(crd) {
            report.crd_errors.push(e);
        }
    }
    report.apis = deprecations::check_api_versions(subjects, target.minor);
    for subject in subjects {
        let (coverage, errors) = schema::validate(&schemas, *subject);
        report.schema.extend(errors);
        let flagged = report
            .apis
            .iter()
            .any(|a| a.object == subject.display() && a.is_refusal());
        if coverage == schema::Coverage::UnknownKind && !flagged {
            report.unknown_kinds.push(subject.display());
        }
    }
    let (findings, label_errors) = pod_security::check_release(
        subjects,
        &target.release_namespace,
        &target.namespace_labels,
        &target.pod_security,
    );
    report.pod_security = findings;
    report.label_errors = label_errors;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn one_pass_over_a_release() {
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
                "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                    "type": "object", "properties": {"spec": {"type": "object", "properties": {
                        "size": {"type": "string", "enum": ["S", "M"]}}}}}}}]}});
        let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": "XL"}});
        let other =
            json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}});
        let cron =
            json!({"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "c"}});
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"hostNetwork": true, "containers": [{"name": "a", "image": "x"}]}});
        let subjects: Vec<_> = [&crd, &widget, &other, &cron, &pod]
            .into_iter()
            .map(|j| Subject::new(j, None))
            .collect();
        let target = Target {
            minor: 34,
            release_namespace: "apps".into(),
            namespace_labels: BTreeMap::from([(
                "apps".to_string(),
                pod_security::labels_for_level(pod_security::Level::Baseline),
            )]),
            pod_security: pod_security::PodSecurityConfig::for_server(34),
        };
        let report = check(&subjects, &[], &target).expect("bundled");
        assert!(report.refused());
        assert_eq!(
            report
                .schema
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>(),
            [r#"spec.size: Unsupported value: "XL": supported values: "S", "M""#]
        );
        assert_eq!(report.unknown_kinds, ["Gadget/g"]);
        assert_eq!(report.apis.len(), 1);
        assert_eq!(
            report.pod_security[0].message,
            r#"pods "p" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#
        );
    }
}
