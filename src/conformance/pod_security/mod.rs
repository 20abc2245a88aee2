//! Pod Security Admission as the API server applies it to a release's objects.
//!
//! Sources (`k8s.io/pod-security-admission`, read at v0.34.4 — the pinned control plane — and
//! v0.37.2, the newest the Go module proxy serves; v0.29.6…v0.33.13 diffed for what changed):
//!
//! - `policy/check_*.go`: the checks, their policy versions and their message text (`checks`);
//! - `policy/registry.go`: which checks run for a level and version (restricted = baseline minus
//!   the checks a restricted check overrides, plus restricted; baseline IDs sorted, then
//!   restricted IDs sorted; a version newer than the newest check, or `latest`, is the newest;
//!   v0.35+ lowers that newest to the emulated/server minor), [`evaluate_pod`];
//! - `policy/checks.go`: `AggregateCheckResults`/`ForbiddenDetail` ([`forbidden_detail`]);
//! - `api/helpers.go`: label parsing and defaulting (`PolicyToEvaluate`, [`policy_to_evaluate`]);
//! - `admission/admission.go`: which kinds carry a pod template (`DefaultPodSpecExtractor`),
//!   exemptions (namespace, user, runtime class), enforce on pods only, warn/audit on
//!   controllers, and the `violates PodSecurity %q: %s` / `would violate …` messages
//!   ([`check_release`]).
//!
//! What a controller's pods meet: the controller object is never refused by PSA, only warned
//! about; its pods are created later by the controller's own identity
//! (`kube-controller-manager`'s `ClientOrDie("replicaset-controller")` etc. with
//! `--use-service-account-credentials`, `cmd/kube-controller-manager/app/{apps,batch,core}.go`)
//! and refused then, which is why `helm install` without `--wait` reports success.

mod checks;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::Subject;
use checks::{CHECKS, Ctx};

/// Newest policy version any check defines (v0.37.2: sysctls 1.37).
pub const NEWEST_POLICY_MINOR: u32 = 37;

/// A Pod Security Standards level (`api.Level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// `api.ParseLevel`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy version (`api.Version`): `latest` or `v1.<minor>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Latest,
    Minor(u32),
}

impl Version {
    /// `api.ParseVersion`: `latest` or `v1.x` (`^v1\.([0-9]|[1-9][0-9]*)$`).
    pub fn parse(s: &str) -> Option<Version> {
        if s == "latest" {
            return Some(Version::Latest);
        }
        let digits = s.strip_prefix("v1.")?;
        let well_formed = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits.len() == 1 || !digits.starts_with('0'));
        if !well_formed {
            return None;
        }
        digits.parse().ok().map(Version::Minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Minor(m) => write!(f, "v1.{m}"),
        }
    }
}

/// `api.LevelVersion`; displays as the API server prints it (`restricted:latest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: Version,
}

impl LevelVersion {
    pub const fn new(level: Level, version: Version) -> Self {
        LevelVersion { level, version }
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

/// A namespace's effective policy (`api.Policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
}

impl Default for Policy {
    /// The API server's default `PodSecurityConfiguration`: privileged:latest for all modes.
    fn default() -> Self {
        let p = LevelVersion::new(Level::Privileged, Version::Latest);
        Policy {
            enforce: p,
            audit: p,
            warn: p,
        }
    }
}

pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";
pub const AUDIT_LABEL: &str = "pod-security.kubernetes.io/audit";
pub const AUDIT_VERSION_LABEL: &str = "pod-security.kubernetes.io/audit-version";
pub const WARN_LABEL: &str = "pod-security.kubernetes.io/warn";
pub const WARN_VERSION_LABEL: &str = "pod-security.kubernetes.io/warn-version";

/// A namespace label the API server cannot parse (it evaluates `restricted`/`latest` for a bad
/// enforce label, privileged for bad audit/warn labels, and records the error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelError {
    pub label: String,
    pub value: String,
}

impl fmt::Display for LabelError {
    /// `field.Invalid(metadata.labels[…], value, …)` as the API server words it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = if self.label.ends_with("-version") {
            r#"must be "latest" or "v1.x""#
        } else {
            "must be one of privileged, baseline, restricted"
        };
        write!(
            f,
            "metadata.labels[{}]: Invalid value: {}: {reason}",
            self.label,
            super::go_text::quote(&self.value)
        )
    }
}

/// `api.PolicyToEvaluate`: the namespace's `pod-security.kubernetes.io/*` labels over the
/// configured defaults; warn follows an explicitly stricter enforce level when unset.
pub fn policy_to_evaluate(
    labels: &BTreeMap<String, String>,
    defaults: Policy,
) -> (Policy, Vec<LabelError>) {
    let mut p = defaults;
    let mut errors = Vec::new();
    let mut bad = |label: &str, value: &str| {
        errors.push(LabelError {
            label: label.to_string(),
            value: value.to_string(),
        })
    };
    // An invalid enforce level enforces restricted; invalid audit and warn levels, privileged.
    for (level_label, version_label, mode, invalid) in [
        (
            ENFORCE_LABEL,
            ENFORCE_VERSION_LABEL,
            &mut p.enforce,
            Level::Restricted,
        ),
        (
            AUDIT_LABEL,
            AUDIT_VERSION_LABEL,
            &mut p.audit,
            Level::Privileged,
        ),
        (
            WARN_LABEL,
            WARN_VERSION_LABEL,
            &mut p.warn,
            Level::Privileged,
        ),
    ] {
        if let Some(value) = labels.get(level_label) {
            mode.level = Level::parse(value).unwrap_or_else(|| {
                bad(level_label, value);
                invalid
            });
        }
        if let Some(value) = labels.get(version_label) {
            mode.version = Version::parse(value).unwrap_or_else(|| {
                bad(version_label, value);
                Version::Latest
            });
        }
    }
    let has_enforce_level = labels
        .get(ENFORCE_LABEL)
        .is_some_and(|v| Level::parse(v).is_some());
    let has_warn_level = labels.contains_key(WARN_LABEL);
    let has_warn_version = labels.contains_key(WARN_VERSION_LABEL);
    if !has_warn_level && has_enforce_level && p.enforce.level > p.warn.level {
        p.warn.level = p.enforce.level;
        if !has_warn_version {
            p.warn.version = p.enforce.version;
        }
    }
    (p, errors)
}

/// The namespace labels `--pod-security LEVEL` stands for offline (enforce at `latest`).
pub fn labels_for_level(level: Level) -> BTreeMap<String, String> {
    BTreeMap::from([(ENFORCE_LABEL.to_string(), level.as_str().to_string())])
}

/// `PodSecurityConfiguration.exemptions`: requests from these users, in these namespaces, or
/// pods with these runtime classes are not evaluated at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exemptions {
    pub usernames: Vec<String>,
    pub namespaces: Vec<String>,
    pub runtime_classes: Vec<String>,
}

/// Who creates a controller's pods (user exemptions match it, not the Helm user).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ControllerIdentity {
    /// `--use-service-account-credentials` (kubeadm's default): each controller's ServiceAccount
    /// in `kube-system`, e.g. `system:serviceaccount:kube-system:replicaset-controller`.
    #[default]
    ServiceAccounts,
    /// Without it: every controller acts as `system:kube-controller-manager`.
    Manager,
}

/// Everything PSA needs besides the objects and their namespace's labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSecurityConfig {
    /// Minor version of the target API server (1.x): `latest` means this minor's policy, capped
    /// at [`NEWEST_POLICY_MINOR`].
    pub server_minor: u32,
    /// Cluster defaults for namespaces without labels (`PodSecurityConfiguration.defaults`).
    pub defaults: Policy,
    pub exemptions: Exemptions,
    /// The alpha `UserNamespacesPodSecurityStandards` gate (servers ≤ 1.34; 1.35+ relax the new
    /// policy versions unconditionally and drop the gate's effect).
    pub user_namespaces_gate: bool,
    /// The user Helm authenticates as, when known (user exemptions).
    pub requesting_user: Option<String>,
    pub controller_identity: ControllerIdentity,
}

impl PodSecurityConfig {
    pub fn for_server(server_minor: u32) -> Self {
        PodSecurityConfig {
            server_minor,
            defaults: Policy::default(),
            exemptions: Exemptions::default(),
            user_namespaces_gate: false,
            requesting_user: None,
            controller_identity: ControllerIdentity::default(),
        }
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            relax_user_namespaces_gate: self.user_namespaces_gate,
            server_minor: self.server_minor,
        }
    }

    /// The policy minor a level-version resolves to on this server (`checkRegistry.EvaluatePod`:
    /// versions above the registry's newest, and `latest`, evaluate the newest).
    pub fn effective_minor(&self, version: Version) -> u32 {
        let newest = NEWEST_POLICY_MINOR.min(self.server_minor);
        match version {
            Version::Latest => newest,
            Version::Minor(m) => m.min(newest),
        }
    }
}

/// One failed check: its ID (`policy.Check.ID`), `ForbiddenReason`, `ForbiddenDetail`, and the
/// fields it objects to (paths in the evaluated object, `spec.template.spec.containers[0]…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub id: &'static str,
    pub reason: String,
    pub detail: String,
    pub fields: Vec<String>,
}

/// The pod part of an object as the checks read it.
pub(crate) struct PodView<'a> {
    meta: &'a Json,
    spec: &'a Json,
    containers: Vec<ContainerView<'a>>,
}

pub(crate) struct ContainerView<'a> {
    name: &'a str,
    json: &'a Json,
    /// `spec.initContainers[0]` (relative to the pod).
    path: String,
}

impl<'a> ContainerView<'a> {
    fn security_context(&self) -> Option<&'a Json> {
        self.json.get("securityContext").filter(|v| !v.is_null())
    }
}

static NULL: Json = Json::Null;

impl<'a> PodView<'a> {
    /// `visitContainers` order: init containers, containers, ephemeral containers.
    fn new(meta: &'a Json, spec: &'a Json) -> Self {
        let mut containers = Vec::new();
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for (i, c) in spec
                .get(list)
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                containers.push(ContainerView {
                    name: c["name"].as_str().unwrap_or(""),
                    json: c,
                    path: format!("spec.{list}[{i}]"),
                });
            }
        }
        PodView {
            meta,
            spec,
            containers,
        }
    }
}

/// `checkRegistry.EvaluatePod`: the failed checks of `level_version` for a pod's metadata and
/// spec, in the registry's order. Field paths are relative to the pod (`spec.…`, `metadata.…`).
pub fn evaluate_pod(
    level_version: LevelVersion,
    pod_metadata: &Json,
    pod_spec: &Json,
    config: &PodSecurityConfig,
) -> Vec<Violation> {
    if level_version.level == Level::Privileged {
        return Vec::new();
    }
    let minor = config.effective_minor(level_version.version);
    let ctx = config.ctx();
    let pod = PodView::new(pod_metadata, pod_spec);
    let active = |check: &checks::Check| check.versions.iter().rev().find(|v| v.min_minor <= minor);
    let mut baseline: Vec<(&'static str, checks::CheckFn)> = Vec::new();
    let mut restricted: Vec<(&'static str, checks::CheckFn)> = Vec::new();
    let mut overridden: Vec<&str> = Vec::new();
    for check in CHECKS {
        let Some(versioned) = active(check) else {
            continue;
        };
        match check.level {
            Level::Baseline => baseline.push((check.id, versioned.check)),
            _ => {
                restricted.push((check.id, versioned.check));
                overridden.extend(versioned.overrides);
            }
        }
    }
    baseline.sort_by(|a, b| a.0.cmp(b.0));
    restricted.sort_by(|a, b| a.0.cmp(b.0));
    let mut run = baseline;
    if level_version.level == Level::Restricted {
        run.retain(|(id, _)| !overridden.contains(id));
        run.extend(restricted);
    }
    // Go's results carry no ID; ours name the check that ran (procMount_restricted runs the
    // procMount function).
    run.iter()
        .filter_map(|(id, check)| {
            check(&pod, &ctx).map(|mut v| {
                v.id = id;
                v
            })
        })
        .collect()
}

/// `AggregateCheckResult.ForbiddenDetail`: `reason (detail), reason (detail)`.
pub fn forbidden_detail(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            let reason = if v.reason.is_empty() {
                "unknown forbidden reason"
            } else {
                &v.reason
            };
            if v.detail.is_empty() {
                reason.to_string()
            } else {
                format!("{reason} ({})", v.detail)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the pod template of a kind lives (`DefaultPodSpecExtractor`), and who creates its pods.
struct Template<'a> {
    meta: &'a Json,
    spec: &'a Json,
    /// Path of the template in the object (`spec.template.`, empty for a Pod).
    prefix: &'static str,
    /// The controller ServiceAccount that creates the pods; `None` for a Pod (created by the
    /// requester) and a PodTemplate (creates none).
    creator: Option<&'static str>,
    is_pod: bool,
}

fn template_of(json: &Json) -> Option<Template<'_>> {
    let api_version = json["apiVersion"].as_str().unwrap_or("");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = json["kind"].as_str().unwrap_or("");
    let (path, prefix, creator, is_pod): (&[&str], &'static str, Option<&'static str>, bool) =
        match (group, kind) {
            ("", "Pod") => (&[], "", None, true),
            ("", "PodTemplate") => (&["template"], "template.", None, false),
            ("", "ReplicationController") => (
                &["spec", "template"],
                "spec.template.",
                Some("replication-controller"),
                false,
            ),
            ("apps", "ReplicaSet") | ("apps", "Deployment") => (
                &["spec", "template"],
                "spec.template.",
                Some("replicaset-controller"),
                false,
            ),
            ("apps", "StatefulSet") => (
                &["spec", "template"],
                "spec.template.",
                Some("statefulset-controller"),
                false,
            ),
            ("apps", "DaemonSet") => (
                &["spec", "template"],
                "spec.template.",
                Some("daemon-set-controller"),
                false,
            ),
            ("batch", "Job") => (
                &["spec", "template"],
                "spec.template.",
                Some("job-controller"),
                false,
            ),
            ("batch", "CronJob") => (
                &["spec", "jobTemplate", "spec", "template"],
                "spec.jobTemplate.spec.template.",
                Some("job-controller"),
                false,
            ),
            _ => return None,
        };
    let mut template = json;
    for key in path {
        template = template.get(*key).unwrap_or(&NULL);
    }
    // A ReplicationController's template is a pointer: without one there is nothing to check.
    if template.is_null() && kind == "ReplicationController" {
        return None;
    }
    Some(Template {
        meta: template.get("metadata").unwrap_or(&NULL),
        spec: template.get("spec").unwrap_or(&NULL),
        prefix,
        creator,
        is_pod,
    })
}

/// What the API server does with an object because of PSA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A Pod refused at create: `helm install` fails on it.
    Refused,
    /// A controller accepted, each pod it creates refused (its `FailedCreate` events); `helm
    /// install` without `--wait` still reports success. `creator` is the user the pods are
    /// created as.
    PodsRefused { creator: String },
    /// Accepted with the warning Helm prints (`warn` mode).
    Warning,
    /// Accepted; recorded as the audit annotation `pod-security.kubernetes.io/audit-violations`.
    Audit,
}

/// One PSA outcome for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `Kind/name`.
    pub object: String,
    pub template: Option<String>,
    pub namespace: String,
    pub effect: Effect,
    pub policy: LevelVersion,
    /// Failed checks, field paths in the object (`spec.template.spec.containers[0]…`).
    pub violations: Vec<Violation>,
    /// The API server's text: `pods "web" is forbidden: violates PodSecurity "…": …` for a
    /// refused Pod, `violates PodSecurity "…": …` for refused controller pods, `would violate
    /// PodSecurity "…": …` for warnings and audit.
    pub message: String,
}

impl Finding {
    /// Whether the release fails to come up because of it.
    pub fn is_refusal(&self) -> bool {
        matches!(self.effect, Effect::Refused | Effect::PodsRefused { .. })
    }
}

/// Namespace labels for the check: the release's own `Namespace` objects win (Helm creates them
/// first), then `cluster_labels` (live namespaces), else none (cluster defaults apply).
fn labels_of_namespaces(
    subjects: &[Subject<'_>],
    cluster_labels: &BTreeMap<String, BTreeMap<String, String>>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = cluster_labels.clone();
    for s in subjects {
        if s.kind() == "Namespace" && s.api_version() == "v1" {
            let labels = s.json["metadata"]["labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            out.insert(s.name().to_string(), labels);
        }
    }
    out
}

/// PSA for every object of a release: objects without a namespace are in `release_namespace`;
/// `namespace_labels` are the existing namespaces' labels (offline: [`labels_for_level`] for
/// the release namespace). Label parse errors are returned too (the API server evaluates the
/// fallback and records them).
pub fn check_release(
    subjects: &[Subject<'_>],
    release_namespace: &str,
    namespace_labels: &BTreeMap<String, BTreeMap<String, String>>,
    config: &PodSecurityConfig,
) -> (Vec<Finding>, Vec<(String, LabelError)>) {
    let labels = labels_of_namespaces(subjects, namespace_labels);
    let mut policies: BTreeMap<&str, Policy> = BTreeMap::new();
    let mut label_errors = Vec::new();
    let no_labels = BTreeMap::new();
    let mut findings = Vec::new();
    for subject in subjects {
        let namespace = subject.namespace().unwrap_or(release_namespace);
        let policy = *policies.entry(namespace).or_insert_with(|| {
            let (policy, errors) =
                policy_to_evaluate(labels.get(namespace).unwrap_or(&no_labels), config.defaults);
            label_errors.extend(errors.into_iter().map(|e| (namespace.to_string(), e)));
            policy
        });
        findings.extend(check_object(*subject, namespace, policy, config));
    }
    (findings, label_errors)
}

fn exempt(list: &[String], value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && list.iter().any(|x| x == v))
}

/// PSA for one object in a namespace with `policy` (`Admission.ValidatePod` for a Pod,
/// `ValidatePodController` for the others, and `ValidatePod` again for the pods a controller
/// will create).
pub fn check_object(
    subject: Subject<'_>,
    namespace: &str,
    policy: Policy,
    config: &PodSecurityConfig,
) -> Vec<Finding> {
    let Some(template) = template_of(subject.json) else {
        return Vec::new();
    };
    let ex = &config.exemptions;
    if exempt(&ex.namespaces, Some(namespace)) {
        return Vec::new();
    }
    let runtime_class = template.spec.get("runtimeClassName").and_then(Json::as_str);
    if exempt(&ex.runtime_classes, runtime_class) {
        return Vec::new();
    }
    let requester_exempt = exempt(&ex.usernames, config.requesting_user.as_deref());
    // Pods (not controller templates) get their AppArmor annotations copied into the fields
    // before admission on 1.30+ API servers.
    let pod_spec = app_armor_version_skew(template.meta, template.spec, config.server_minor);
    let pod_spec = pod_spec.as_ref().unwrap_or(template.spec);
    let prefix = template.prefix;
    let mut on_template = CachedEvaluation::new(template.meta, template.spec, prefix, config);
    let mut on_pod = CachedEvaluation::new(template.meta, pod_spec, prefix, config);
    let mut evaluate_template = |lv| on_template.evaluate(lv);
    let mut evaluate = |lv| on_pod.evaluate(lv);
    let finding =
        |effect: Effect, lv: LevelVersion, violations: Vec<Violation>, message: String| Finding {
            object: subject.display(),
            template: subject.template.map(str::to_string),
            namespace: namespace.to_string(),
            effect,
            policy: lv,
            violations,
            message,
        };
    let mut out = Vec::new();
    if template.is_pod {
        if requester_exempt {
            return out;
        }
        let enforced = evaluate(policy.enforce);
        let refused = !enforced.is_empty();
        if refused {
            let message = format!(
                "pods {} is forbidden: violates PodSecurity \"{}\": {}",
                super::go_text::quote(subject.name()),
                policy.enforce,
                forbidden_detail(&enforced)
            );
            out.push(finding(Effect::Refused, policy.enforce, enforced, message));
        }
        push_audit_and_warn(&mut out, &mut evaluate, &finding, policy, !refused, refused);
        return out;
    }
    // The controller object: warn and audit only (enforce=false), for the requesting user.
    if !requester_exempt {
        push_audit_and_warn(
            &mut out,
            &mut evaluate_template,
            &finding,
            policy,
            true,
            false,
        );
    }
    // The pods it creates, as the controller's identity.
    if let Some(sa) = template.creator {
        let creator = match config.controller_identity {
            ControllerIdentity::ServiceAccounts => {
                format!("system:serviceaccount:kube-system:{sa}")
            }
            ControllerIdentity::Manager => "system:kube-controller-manager".to_string(),
        };
        if !exempt(&ex.usernames, Some(&creator)) {
            let enforced = evaluate(policy.enforce);
            if !enforced.is_empty() {
                let message = format!(
                    "violates PodSecurity \"{}\": {}",
                    policy.enforce,
                    forbidden_detail(&enforced)
                );
                out.insert(
                    0,
                    finding(
                        Effect::PodsRefused { creator },
                        policy.enforce,
                        enforced,
                        message,
                    ),
                );
            }
        }
    }
    out
}

/// Evaluations of one pod (spec) by level-version, cached as `EvaluatePod` caches them.
struct CachedEvaluation<'a> {
    meta: &'a Json,
    spec: &'a Json,
    prefix: &'static str,
    config: &'a PodSecurityConfig,
    cache: Vec<(LevelVersion, Vec<Violation>)>,
}

impl<'a> CachedEvaluation<'a> {
    fn new(
        meta: &'a Json,
        spec: &'a Json,
        prefix: &'static str,
        config: &'a PodSecurityConfig,
    ) -> Self {
        CachedEvaluation {
            meta,
            spec,
            prefix,
            config,
            cache: Vec::new(),
        }
    }

    /// The violations with field paths in the object (`spec.template.` + the pod's path).
    fn evaluate(&mut self, lv: LevelVersion) -> Vec<Violation> {
        if let Some((_, v)) = self.cache.iter().find(|(k, _)| *k == lv) {
            return v.clone();
        }
        let mut v = evaluate_pod(lv, self.meta, self.spec, self.config);
        for violation in &mut v {
            for f in &mut violation.fields {
                *f = format!("{}{f}", self.prefix);
            }
        }
        self.cache.push((lv, v.clone()));
        v
    }
}

/// `applyAppArmorVersionSkew` (pkg/registry/core/pod/strategy.go, 1.30+): a container without an
/// `appArmorProfile` field gets the one its `container.apparmor.security.beta.kubernetes.io/NAME`
/// annotation names (`ApparmorFieldForAnnotation`), unless that equals the pod-level profile.
/// Only the profile type matters to PSA. `None` when nothing changes.
fn app_armor_version_skew(meta: &Json, spec: &Json, server_minor: u32) -> Option<Json> {
    if server_minor < 30 || spec["os"]["name"] == "windows" {
        return None;
    }
    let annotations = meta.get("annotations").and_then(Json::as_object)?;
    let pod_type = spec["securityContext"]["appArmorProfile"]["type"].as_str();
    let mut out = spec.clone();
    let mut changed = false;
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(containers) = out.get_mut(list).and_then(Json::as_array_mut) else {
            continue;
        };
        for c in containers {
            let name = c["name"].as_str().unwrap_or("");
            let key = format!("container.apparmor.security.beta.kubernetes.io/{name}");
            let Some(annotation) = annotations.get(&key).and_then(Json::as_str) else {
                continue;
            };
            if !c["securityContext"]["appArmorProfile"].is_null() {
                continue;
            }
            let profile = match annotation {
                "unconfined" => serde_json::json!({"type": "Unconfined"}),
                "runtime/default" => serde_json::json!({"type": "RuntimeDefault"}),
                a => match a
                    .strip_prefix("localhost/")
                    .filter(|p| !p.is_empty() && p.trim() == *p && p.len() <= 4095)
                {
                    Some(p) => serde_json::json!({"type": "Localhost", "localhostProfile": p}),
                    None => continue,
                },
            };
            // DeepEqual with the pod-level profile: only the type can match for the types
            // without a localhost name.
            if pod_type == profile["type"].as_str() && profile.get("localhostProfile").is_none() {
                continue;
            }
            let Some(obj) = c.as_object_mut() else {
                continue;
            };
            let sc = obj
                .entry("securityContext")
                .or_insert_with(|| Json::Object(serde_json::Map::new()));
            if sc.is_null() {
                *sc = Json::Object(serde_json::Map::new());
            }
            if let Some(sc) = sc.as_object_mut() {
                sc.insert("appArmorProfile".to_string(), profile);
                changed = true;
            }
        }
    }
    changed.then_some(out)
}

/// Audit (always evaluated) and warn (only when the request is allowed) of `EvaluatePod`; audit
/// is left out when it repeats a refusal at the same level-version.
fn push_audit_and_warn(
    out: &mut Vec<Finding>,
    evaluate: &mut impl FnMut(LevelVersion) -> Vec<Violation>,
    finding: &impl Fn(Effect, LevelVersion, Vec<Violation>, String) -> Finding,
    policy: Policy,
    allowed: bool,
    refused: bool,
) {
    for (applies, effect, lv) in [
        (
            !(refused && policy.audit == policy.enforce),
            Effect::Audit,
            policy.audit,
        ),
        (allowed, Effect::Warning, policy.warn),
    ] {
        let violations = if applies { evaluate(lv) } else { Vec::new() };
        if !violations.is_empty() {
            let detail = forbidden_detail(&violations);
            let message = format!("would violate PodSecurity \"{lv}\": {detail}");
            out.push(finding(effect, lv, violations, message));
        }
    }
}
