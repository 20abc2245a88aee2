//! The Pod Security Standards checks, one function per `policy/check_*.go` of
//! `k8s.io/pod-security-admission` (read at v0.34.4, the pinned Kubernetes, and v0.37.2, the
//! newest the Go module proxy serves; the versioned variants are those of v0.37.2). Each returns
//! the `ForbiddenReason` and `ForbiddenDetail` strings of the Go check byte for byte, plus the
//! field paths it looked at, so a report can point at them.
//!
//! Go's `sets.String.List()` is sorted; `[]string` appends keep visiting order
//! (init containers, containers, ephemeral containers: `policy/visitor.go`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::{ContainerView, Level, PodView, Violation};
use crate::conformance::go_text::quote;

/// Evaluation context beyond the pod: what differs between API server minors without being a
/// policy version (see `PodSecurityConfig`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx {
    /// `UserNamespacesPodSecurityStandards` (alpha, API servers ≤ 1.34): the 1.0/1.23 policies
    /// of procMount, runAsNonRoot and runAsUser relax for `hostUsers: false` pods.
    pub relax_user_namespaces_gate: bool,
    /// API server minor (the registry's behaviour outside policy versions: AppArmor fields from
    /// 1.30, `image` volumes allowed in restricted from 1.33).
    pub server_minor: u32,
}

pub(super) type CheckFn = fn(&PodView<'_>, &Ctx) -> Option<Violation>;

/// One policy version of a check (`policy.VersionedCheck`).
pub(super) struct Versioned {
    pub min_minor: u32,
    pub check: CheckFn,
    /// Baseline check IDs this restricted check replaces from this version on.
    pub overrides: &'static [&'static str],
}

/// One check (`policy.Check`).
pub(super) struct Check {
    pub id: &'static str,
    pub level: Level,
    pub versions: &'static [Versioned],
}

const fn v(min_minor: u32, check: CheckFn) -> Versioned {
    Versioned {
        min_minor,
        check,
        overrides: &[],
    }
}

const fn vo(min_minor: u32, check: CheckFn, overrides: &'static [&'static str]) -> Versioned {
    Versioned {
        min_minor,
        check,
        overrides,
    }
}

/// Every default check of `policy.DefaultChecks()` (v0.37.2), with its versions.
pub(super) const CHECKS: &[Check] = &[
    // check_allowPrivilegeEscalation.go
    Check {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        versions: &[
            v(8, allow_privilege_escalation_1_8),
            v(25, allow_privilege_escalation_1_25),
        ],
    },
    // check_appArmorProfile.go
    Check {
        id: "appArmorProfile",
        level: Level::Baseline,
        versions: &[v(0, app_armor_profile_1_0)],
    },
    // check_capabilities_baseline.go
    Check {
        id: "capabilities_baseline",
        level: Level::Baseline,
        versions: &[v(0, capabilities_baseline_1_0)],
    },
    // check_capabilities_restricted.go
    Check {
        id: "capabilities_restricted",
        level: Level::Restricted,
        versions: &[
            vo(22, capabilities_restricted_1_22, &["capabilities_baseline"]),
            vo(25, capabilities_restricted_1_25, &["capabilities_baseline"]),
        ],
    },
    // check_hostNamespaces.go
    Check {
        id: "hostNamespaces",
        level: Level::Baseline,
        versions: &[v(0, host_namespaces_1_0)],
    },
    // check_hostPathVolumes.go
    Check {
        id: "hostPathVolumes",
        level: Level::Baseline,
        versions: &[v(0, host_path_volumes_1_0)],
    },
    // check_hostPorts.go
    Check {
        id: "hostPorts",
        level: Level::Baseline,
        versions: &[v(0, host_ports_1_0)],
    },
    // check_hostProbesAndhostLifecycle.go (ProbeHostPodSecurityStandards: GA and locked in 1.34)
    Check {
        id: "hostProbesAndHostLifecycle",
        level: Level::Baseline,
        versions: &[v(34, host_probes_and_host_lifecycle_1_34)],
    },
    // check_privileged.go
    Check {
        id: "privileged",
        level: Level::Baseline,
        versions: &[v(0, privileged_1_0)],
    },
    // check_procMount_baseline.go (check_procMount.go up to v0.34)
    Check {
        id: "procMount",
        level: Level::Baseline,
        versions: &[v(0, proc_mount_1_0_gated), v(35, proc_mount_1_35_baseline)],
    },
    // check_procMount_restricted.go (v0.35+)
    Check {
        id: "procMount_restricted",
        level: Level::Restricted,
        versions: &[vo(35, proc_mount_unconditional, &["procMount"])],
    },
    // check_restrictedVolumes.go
    Check {
        id: "restrictedVolumes",
        level: Level::Restricted,
        versions: &[vo(0, restricted_volumes_1_0, &["hostPathVolumes"])],
    },
    // check_runAsNonRoot.go
    Check {
        id: "runAsNonRoot",
        level: Level::Restricted,
        versions: &[v(0, run_as_non_root_1_0), v(35, run_as_non_root_1_35)],
    },
    // check_runAsUser.go
    Check {
        id: "runAsUser",
        level: Level::Restricted,
        versions: &[v(23, run_as_user_1_23), v(35, run_as_user_1_35)],
    },
    // check_seLinuxOptions.go
    Check {
        id: "seLinuxOptions",
        level: Level::Baseline,
        versions: &[v(0, se_linux_options_1_0), v(31, se_linux_options_1_31)],
    },
    // check_seccompProfile_baseline.go
    Check {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        versions: &[
            v(0, seccomp_profile_baseline_1_0),
            v(19, seccomp_profile_baseline_1_19),
        ],
    },
    // check_seccompProfile_restricted.go
    Check {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        versions: &[
            vo(
                19,
                seccomp_profile_restricted_1_19,
                &["seccompProfile_baseline"],
            ),
            vo(
                25,
                seccomp_profile_restricted_1_25,
                &["seccompProfile_baseline"],
            ),
        ],
    },
    // check_sysctls.go
    Check {
        id: "sysctls",
        level: Level::Baseline,
        versions: &[
            v(0, sysctls_1_0),
            v(27, sysctls_1_27),
            v(29, sysctls_1_29),
            v(32, sysctls_1_32),
            v(37, sysctls_1_37),
        ],
    },
    // check_windowsHostProcess.go
    Check {
        id: "windowsHostProcess",
        level: Level::Baseline,
        versions: &[v(0, windows_host_process_1_0)],
    },
];

// ---- helpers (policy/helpers.go) ----------------------------------------------------------------

/// `joinQuote`: `"a", "b"` (plain `"` quoting, not `%q`).
fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let inner: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("\"{}\"", inner.join("\", \""))
}

fn join_quote_set(items: &BTreeSet<String>) -> String {
    join_quote(&items.iter().collect::<Vec<_>>())
}

fn pluralize(singular: &'static str, plural: &'static str, count: usize) -> &'static str {
    if count == 1 { singular } else { plural }
}

/// A present, non-null field (Go decodes `null` into a nil pointer).
fn field<'a>(value: &'a Json, key: &str) -> Option<&'a Json> {
    value.get(key).filter(|v| !v.is_null())
}

/// `container "a"`, `containers "a", "b"`.
fn container_list<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

/// The containers whose `securityContext.<key>` (absent: `None`) is `bad`, and those fields.
fn containers_where<'a>(
    pod: &PodView<'a>,
    key: &str,
    bad: impl Fn(Option<&Json>) -> bool,
) -> (Vec<&'a str>, Vec<String>) {
    pod.containers
        .iter()
        .filter(|c| bad(sc_field(c, key)))
        .map(|c| (c.name, format!("{}.securityContext.{key}", c.path)))
        .unzip()
}

/// A present, non-null field of a container's `securityContext`.
fn sc_field<'a>(c: &ContainerView<'a>, key: &str) -> Option<&'a Json> {
    c.security_context().and_then(|sc| field(sc, key))
}

fn is_true(value: Option<&Json>) -> bool {
    value.and_then(Json::as_bool) == Some(true)
}

fn str_or_empty(value: Option<&Json>) -> &str {
    value.and_then(Json::as_str).unwrap_or("")
}

/// `pod.spec.os.name == windows` (the 1.25 Windows exemptions).
fn is_windows(pod: &PodView<'_>) -> bool {
    field(pod.spec, "os").and_then(|os| os["name"].as_str()) == Some("windows")
}

/// `relaxPolicyForUserNamespacePod`: `hostUsers: false` explicitly.
fn host_users_false(pod: &PodView<'_>) -> bool {
    field(pod.spec, "hostUsers").and_then(Json::as_bool) == Some(false)
}

fn violation(
    id: &'static str,
    reason: impl Into<String>,
    detail: String,
    fields: Vec<String>,
) -> Option<Violation> {
    Some(Violation {
        id,
        reason: reason.into(),
        detail,
        fields,
    })
}

fn pod_security_context<'a>(pod: &PodView<'a>) -> Option<&'a Json> {
    field(pod.spec, "securityContext")
}

/// `"setter and setter"` join of Go's `badSetters`.
fn setters(mut list: Vec<String>, containers: &[&str]) -> String {
    if !containers.is_empty() {
        list.push(container_list(containers));
    }
    list.join(" and ")
}

// ---- allowPrivilegeEscalation ---------------------------------------------------------------------

fn allow_privilege_escalation_1_8(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let (bad, fields) = containers_where(pod, "allowPrivilegeEscalation", |ape| {
        ape.is_none() || is_true(ape)
    });
    if bad.is_empty() {
        return None;
    }
    violation(
        "allowPrivilegeEscalation",
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            container_list(&bad)
        ),
        fields,
    )
}

fn allow_privilege_escalation_1_25(pod: &PodView<'_>, ctx: &Ctx) -> Option<Violation> {
    if is_windows(pod) {
        return None;
    }
    allow_privilege_escalation_1_8(pod, ctx)
}

// ---- appArmorProfile --------------------------------------------------------------------------

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn app_armor_annotation_allowed(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn app_armor_profile_1_0(pod: &PodView<'_>, ctx: &Ctx) -> Option<Violation> {
    let mut forbidden_annotations = Vec::new();
    let mut fields = Vec::new();
    if let Some(annotations) = field(pod.meta, "annotations").and_then(Json::as_object) {
        for (k, v) in annotations {
            let value = v.as_str().unwrap_or("");
            if k.starts_with(APPARMOR_ANNOTATION_PREFIX) && !app_armor_annotation_allowed(value) {
                forbidden_annotations.push(format!("{k}={}", quote(value)));
                fields.push(format!("metadata.annotations[{k}]"));
            }
        }
    }
    forbidden_annotations.sort();
    // Before 1.30 the API had no appArmorProfile fields: only the annotations were checked, and
    // the detail was the annotation list alone (v0.29 check_appArmorProfile.go).
    if ctx.server_minor < 30 {
        if forbidden_annotations.is_empty() {
            return None;
        }
        return violation(
            "appArmorProfile",
            pluralize(
                "forbidden AppArmor profile",
                "forbidden AppArmor profiles",
                forbidden_annotations.len(),
            ),
            forbidden_annotations.join(", "),
            fields,
        );
    }
    let allowed_type = |t: &str| t == "RuntimeDefault" || t == "Localhost";
    let mut bad_setters = Vec::new();
    let mut bad_values = BTreeSet::new();
    if let Some(profile) = pod_security_context(pod).and_then(|sc| field(sc, "appArmorProfile")) {
        let t = str_or_empty(field(profile, "type"));
        if !allowed_type(t) {
            bad_setters.push("pod".to_string());
            bad_values.insert(t.to_string());
            fields.push("spec.securityContext.appArmorProfile.type".to_string());
        }
    }
    let mut bad_containers = Vec::new();
    for c in &pod.containers {
        if let Some(profile) = sc_field(c, "appArmorProfile") {
            let t = str_or_empty(field(profile, "type"));
            if !allowed_type(t) {
                bad_containers.push(c.name);
                bad_values.insert(t.to_string());
                fields.push(format!("{}.securityContext.appArmorProfile.type", c.path));
            }
        }
    }
    if !bad_containers.is_empty() {
        bad_setters.push(container_list(&bad_containers));
    }
    let mut bad_value_list: Vec<String> = bad_values.into_iter().collect();
    if !forbidden_annotations.is_empty() {
        bad_setters
            .push(pluralize("annotation", "annotations", forbidden_annotations.len()).to_string());
        bad_value_list.extend(forbidden_annotations);
    }
    if bad_setters.is_empty() {
        return None;
    }
    violation(
        "appArmorProfile",
        pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            bad_value_list.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            bad_setters.join(" and "),
            join_quote(&bad_value_list)
        ),
        fields,
    )
}

// ---- capabilities -----------------------------------------------------------------------------

/// `capabilities_allowed_1_0`: the container runtime's default set.
const CAPABILITIES_ALLOWED_1_0: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn string_list(value: Option<&Json>) -> Vec<&str> {
    value
        .and_then(Json::as_array)
        .map(|a| a.iter().map(|v| v.as_str().unwrap_or("")).collect())
        .unwrap_or_default()
}

fn capabilities_baseline_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut caps = BTreeSet::new();
    let mut fields = Vec::new();
    for c in &pod.containers {
        let Some(capabilities) = sc_field(c, "capabilities") else {
            continue;
        };
        let mut valid = true;
        for (i, cap) in string_list(field(capabilities, "add"))
            .into_iter()
            .enumerate()
        {
            if !CAPABILITIES_ALLOWED_1_0.contains(&cap) {
                valid = false;
                caps.insert(cap.to_string());
                fields.push(format!("{}.securityContext.capabilities.add[{i}]", c.path));
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    violation(
        "capabilities_baseline",
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            container_list(&bad),
            join_quote_set(&caps)
        ),
        fields,
    )
}

fn capabilities_restricted_1_22(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let mut missing_drop_all = Vec::new();
    let mut adding_forbidden = Vec::new();
    let mut forbidden = BTreeSet::new();
    let mut fields = Vec::new();
    for c in &pod.containers {
        let Some(capabilities) = sc_field(c, "capabilities") else {
            missing_drop_all.push(c.name);
            fields.push(format!("{}.securityContext.capabilities.drop", c.path));
            continue;
        };
        if !string_list(field(capabilities, "drop")).contains(&"ALL") {
            missing_drop_all.push(c.name);
            fields.push(format!("{}.securityContext.capabilities.drop", c.path));
        }
        let mut added_forbidden = false;
        for (i, cap) in string_list(field(capabilities, "add"))
            .into_iter()
            .enumerate()
        {
            if cap != "NET_BIND_SERVICE" {
                added_forbidden = true;
                forbidden.insert(cap.to_string());
                fields.push(format!("{}.securityContext.capabilities.add[{i}]", c.path));
            }
        }
        if added_forbidden {
            adding_forbidden.push(c.name);
        }
    }
    let mut details = Vec::new();
    if !missing_drop_all.is_empty() {
        details.push(format!(
            r#"{} must set securityContext.capabilities.drop=["ALL"]"#,
            container_list(&missing_drop_all)
        ));
    }
    if !adding_forbidden.is_empty() {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            container_list(&adding_forbidden),
            join_quote_set(&forbidden)
        ));
    }
    if details.is_empty() {
        return None;
    }
    violation(
        "capabilities_restricted",
        "unrestricted capabilities",
        details.join("; "),
        fields,
    )
}

fn capabilities_restricted_1_25(pod: &PodView<'_>, ctx: &Ctx) -> Option<Violation> {
    if is_windows(pod) {
        return None;
    }
    capabilities_restricted_1_22(pod, ctx)
}

// ---- host namespaces, hostPath, hostPorts, probe hosts, privileged ---------------------------

fn host_namespaces_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let mut found = Vec::new();
    let mut fields = Vec::new();
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(field(pod.spec, key)) {
            found.push(format!("{key}=true"));
            fields.push(format!("spec.{key}"));
        }
    }
    if found.is_empty() {
        return None;
    }
    violation(
        "hostNamespaces",
        "host namespaces",
        found.join(", "),
        fields,
    )
}

fn volumes<'a>(pod: &PodView<'a>) -> impl Iterator<Item = (usize, &'a Json)> {
    field(pod.spec, "volumes")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

fn host_path_volumes_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for (i, volume) in volumes(pod) {
        if field(volume, "hostPath").is_some() {
            names.push(str_or_empty(field(volume, "name")));
            fields.push(format!("spec.volumes[{i}].hostPath"));
        }
    }
    if names.is_empty() {
        return None;
    }
    violation(
        "hostPathVolumes",
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names)
        ),
        fields,
    )
}

fn host_ports_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut ports = BTreeSet::new();
    let mut fields = Vec::new();
    for c in &pod.containers {
        let mut valid = true;
        for (i, port) in field(c.json, "ports")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let host_port = field(port, "hostPort").and_then(Json::as_i64).unwrap_or(0);
            if host_port != 0 {
                valid = false;
                ports.insert(host_port.to_string());
                fields.push(format!("{}.ports[{i}].hostPort", c.path));
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    // sets.String sorts the ports as strings: "80" < "8080" < "9".
    let ports: Vec<String> = ports.into_iter().collect();
    violation(
        "hostPorts",
        "hostPort",
        format!(
            "{} {} {} {}",
            container_list(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
        fields,
    )
}

fn host_probes_and_host_lifecycle_1_34(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let mut bad = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut fields = Vec::new();
    for c in &pod.containers {
        let handlers = [
            ("livenessProbe", field(c.json, "livenessProbe")),
            ("readinessProbe", field(c.json, "readinessProbe")),
            ("startupProbe", field(c.json, "startupProbe")),
            (
                "lifecycle.postStart",
                field(c.json, "lifecycle").and_then(|l| field(l, "postStart")),
            ),
            (
                "lifecycle.preStop",
                field(c.json, "lifecycle").and_then(|l| field(l, "preStop")),
            ),
        ];
        for (name, handler) in handlers {
            let Some(handler) = handler else { continue };
            for action in ["httpGet", "tcpSocket"] {
                let host = str_or_empty(field(handler, action).and_then(|a| field(a, "host")));
                if !host.is_empty() {
                    bad.insert(c.name.to_string());
                    hosts.insert(host.to_string());
                    fields.push(format!("{}.{name}.{action}.host", c.path));
                }
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    violation(
        "hostProbesAndHostLifecycle",
        "probe or lifecycle host",
        format!(
            "{} {} {} {} {}",
            pluralize("container", "containers", bad.len()),
            join_quote_set(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote_set(&hosts)
        ),
        fields,
    )
}

fn privileged_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let (bad, fields) = containers_where(pod, "privileged", is_true);
    if bad.is_empty() {
        return None;
    }
    violation(
        "privileged",
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            container_list(&bad)
        ),
        fields,
    )
}

// ---- procMount ----------------------------------------------------------------------------------

/// `procMount_1_0`: anything but `Default` is forbidden.
fn proc_mount_unconditional(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    let mut fields = Vec::new();
    for c in &pod.containers {
        let Some(pm) = sc_field(c, "procMount") else {
            continue;
        };
        let pm = pm.as_str().unwrap_or("");
        if pm != "Default" {
            bad.push(c.name);
            types.insert(pm.to_string());
            fields.push(format!("{}.securityContext.procMount", c.path));
        }
    }
    if bad.is_empty() {
        return None;
    }
    violation(
        "procMount",
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            container_list(&bad),
            join_quote_set(&types)
        ),
        fields,
    )
}

/// The 1.0 baseline policy: relaxed for user-namespace pods only behind the alpha gate
/// (servers 1.31–1.34, v0.34.4 check_procMount.go).
fn proc_mount_1_0_gated(pod: &PodView<'_>, ctx: &Ctx) -> Option<Violation> {
    if ctx.relax_user_namespaces_gate && ctx.server_minor >= 31 && host_users_false(pod) {
        return None;
    }
    proc_mount_unconditional(pod, ctx)
}

fn proc_mount_1_35_baseline(pod: &PodView<'_>, ctx: &Ctx) -> Option<Violation> {
    if host_users_false(pod) {
        return None;
    }
    proc_mount_unconditional(pod, ctx)
}

// ---- restrictedVolumes --------------------------------------------------------------------------

/// Volume sources the restricted profile allows (`image` from API server 1.33 on).
const ALLOWED_VOLUME_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// The forbidden sources in the order of Go's `switch`, which names the first one set.
const RESTRICTED_VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn restricted_volumes_1_0(pod: &PodView<'_>, ctx: &Ctx) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    let mut fields = Vec::new();
    for (i, volume) in volumes(pod) {
        let image = field(volume, "image").is_some();
        let allowed = ALLOWED_VOLUME_SOURCES
            .iter()
            .any(|s| field(volume, s).is_some())
            || (ctx.server_minor >= 33 && image);
        // A volume without any source is defaulted to emptyDir before admission
        // (`SetDefaults_Volume`, pkg/apis/core/v1/defaults.go); sources the server does not know
        // are dropped by decoding first.
        let no_source = !image
            && !RESTRICTED_VOLUME_SOURCES
                .iter()
                .any(|s| field(volume, s).is_some());
        if allowed || no_source {
            continue;
        }
        bad.push(str_or_empty(field(volume, "name")));
        match RESTRICTED_VOLUME_SOURCES
            .iter()
            .find(|s| field(volume, s).is_some())
        {
            Some(source) => {
                types.insert((*source).to_string());
                fields.push(format!("spec.volumes[{i}].{source}"));
            }
            None => {
                types.insert("unknown".to_string());
                fields.push(format!("spec.volumes[{i}]"));
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    violation(
        "restrictedVolumes",
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote_set(&types)
        ),
        fields,
    )
}

// ---- runAsNonRoot, runAsUser --------------------------------------------------------------------

fn run_as_non_root_core(pod: &PodView<'_>) -> Option<Violation> {
    let mut bad_setters = Vec::new();
    let mut fields = Vec::new();
    let mut pod_non_root = false;
    if let Some(v) = pod_security_context(pod).and_then(|sc| field(sc, "runAsNonRoot")) {
        if v.as_bool() == Some(true) {
            pod_non_root = true;
        } else {
            bad_setters.push("pod".to_string());
            fields.push("spec.securityContext.runAsNonRoot".to_string());
        }
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_fields = Vec::new();
    for c in &pod.containers {
        match sc_field(c, "runAsNonRoot") {
            Some(v) if v.as_bool() != Some(true) => {
                explicit.push(c.name);
                fields.push(format!("{}.securityContext.runAsNonRoot", c.path));
            }
            Some(_) => {}
            None if !pod_non_root => {
                implicit.push(c.name);
                implicit_fields.push(format!("{}.securityContext.runAsNonRoot", c.path));
            }
            None => {}
        }
    }
    if !bad_setters.is_empty() || !explicit.is_empty() {
        return violation(
            "runAsNonRoot",
            "runAsNonRoot != true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters(bad_setters, &explicit)
            ),
            fields,
        );
    }
    if !implicit.is_empty() {
        let mut fields = vec!["spec.securityContext.runAsNonRoot".to_string()];
        fields.extend(implicit_fields);
        return violation(
            "runAsNonRoot",
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                container_list(&implicit)
            ),
            fields,
        );
    }
    None
}

fn run_as_non_root_1_0(pod: &PodView<'_>, ctx: &Ctx) -> Option<Violation> {
    if ctx.relax_user_namespaces_gate && ctx.server_minor <= 34 && host_users_false(pod) {
        return None;
    }
    run_as_non_root_core(pod)
}

fn run_as_non_root_1_35(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    if host_users_false(pod) {
        return None;
    }
    run_as_non_root_core(pod)
}

fn run_as_user_core(pod: &PodView<'_>) -> Option<Violation> {
    let is_zero = |v: Option<&Json>| v.and_then(Json::as_i64) == Some(0);
    let mut bad_setters = Vec::new();
    let mut fields = Vec::new();
    if is_zero(pod_security_context(pod).and_then(|sc| field(sc, "runAsUser"))) {
        bad_setters.push("pod".to_string());
        fields.push("spec.securityContext.runAsUser".to_string());
    }
    let (bad, container_fields) = containers_where(pod, "runAsUser", is_zero);
    fields.extend(container_fields);
    if bad_setters.is_empty() && bad.is_empty() {
        return None;
    }
    violation(
        "runAsUser",
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters(bad_setters, &bad)),
        fields,
    )
}

fn run_as_user_1_23(pod: &PodView<'_>, ctx: &Ctx) -> Option<Violation> {
    if ctx.relax_user_namespaces_gate && ctx.server_minor <= 34 && host_users_false(pod) {
        return None;
    }
    run_as_user_core(pod)
}

fn run_as_user_1_35(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    if host_users_false(pod) {
        return None;
    }
    run_as_user_core(pod)
}

// ---- seLinuxOptions -----------------------------------------------------------------------------

const SELINUX_TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const SELINUX_TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn se_linux_options_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    se_linux_options(pod, SELINUX_TYPES_1_0)
}

fn se_linux_options_1_31(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    se_linux_options(pod, SELINUX_TYPES_1_31)
}

fn se_linux_options(pod: &PodView<'_>, allowed: &[&str]) -> Option<Violation> {
    let mut bad_types = BTreeSet::new();
    let mut set_user = false;
    let mut set_role = false;
    let mut fields = Vec::new();
    let mut valid = |opts: &Json, path: &str| {
        let mut ok = true;
        let t = str_or_empty(field(opts, "type"));
        if !allowed.contains(&t) {
            ok = false;
            bad_types.insert(t.to_string());
            fields.push(format!("{path}.seLinuxOptions.type"));
        }
        if !str_or_empty(field(opts, "user")).is_empty() {
            ok = false;
            set_user = true;
            fields.push(format!("{path}.seLinuxOptions.user"));
        }
        if !str_or_empty(field(opts, "role")).is_empty() {
            ok = false;
            set_role = true;
            fields.push(format!("{path}.seLinuxOptions.role"));
        }
        ok
    };
    let mut bad_setters = Vec::new();
    if let Some(opts) = pod_security_context(pod).and_then(|sc| field(sc, "seLinuxOptions"))
        && !valid(opts, "spec.securityContext")
    {
        bad_setters.push("pod".to_string());
    }
    let mut bad = Vec::new();
    for c in &pod.containers {
        if let Some(opts) = sc_field(c, "seLinuxOptions")
            && !valid(opts, &format!("{}.securityContext", c.path))
        {
            bad.push(c.name);
        }
    }
    if bad_setters.is_empty() && bad.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        data.push(format!(
            "{} {}",
            pluralize("type", "types", bad_types.len()),
            join_quote_set(&bad_types)
        ));
    }
    if set_user {
        data.push("user may not be set".to_string());
    }
    if set_role {
        data.push("role may not be set".to_string());
    }
    violation(
        "seLinuxOptions",
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters(bad_setters, &bad),
            data.join("; ")
        ),
        fields,
    )
}

// ---- seccompProfile -----------------------------------------------------------------------------

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn valid_seccomp_type(t: &str) -> bool {
    t == "Localhost" || t == "RuntimeDefault"
}

/// Policy versions before 1.19 checked the alpha annotations only.
fn seccomp_profile_baseline_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let valid =
        |v: &str| v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/");
    let annotations = field(pod.meta, "annotations");
    let mut forbidden = BTreeSet::new();
    let mut fields = Vec::new();
    let mut look = |key: String| {
        if let Some(v) = annotations.and_then(|a| a.get(&key)) {
            let v = v.as_str().unwrap_or("");
            if !valid(v) {
                forbidden.insert(format!("{key}={}", quote(v)));
                fields.push(format!("metadata.annotations[{key}]"));
            }
        }
    };
    look(SECCOMP_POD_ANNOTATION.to_string());
    for c in &pod.containers {
        look(format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name));
    }
    if forbidden.is_empty() {
        return None;
    }
    violation(
        "seccompProfile_baseline",
        "seccompProfile",
        format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", forbidden.len()),
            forbidden.into_iter().collect::<Vec<_>>().join(", ")
        ),
        fields,
    )
}

/// Shared by the baseline (1.19) and restricted (1.19) checks: `require` adds the restricted
/// rule that every container must be covered by a valid pod or container profile.
fn seccomp_profile(pod: &PodView<'_>, id: &'static str, require: bool) -> Option<Violation> {
    let mut bad_setters = Vec::new();
    let mut bad_values = BTreeSet::new();
    let mut fields = Vec::new();
    let mut pod_set = false;
    if let Some(profile) = pod_security_context(pod).and_then(|sc| field(sc, "seccompProfile")) {
        let t = str_or_empty(field(profile, "type"));
        if valid_seccomp_type(t) {
            pod_set = true;
        } else {
            bad_setters.push("pod".to_string());
            bad_values.insert(t.to_string());
            fields.push("spec.securityContext.seccompProfile.type".to_string());
        }
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_fields = Vec::new();
    for c in &pod.containers {
        match sc_field(c, "seccompProfile") {
            Some(profile) => {
                let t = str_or_empty(field(profile, "type"));
                if !valid_seccomp_type(t) {
                    explicit.push(c.name);
                    bad_values.insert(t.to_string());
                    fields.push(format!("{}.securityContext.seccompProfile.type", c.path));
                }
            }
            None if require && !pod_set => {
                implicit.push(c.name);
                implicit_fields.push(format!("{}.securityContext.seccompProfile", c.path));
            }
            None => {}
        }
    }
    if !bad_setters.is_empty() || !explicit.is_empty() {
        return violation(
            id,
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters(bad_setters, &explicit),
                join_quote_set(&bad_values)
            ),
            fields,
        );
    }
    if !implicit.is_empty() {
        let mut fields = vec!["spec.securityContext.seccompProfile".to_string()];
        fields.extend(implicit_fields);
        return violation(
            id,
            "seccompProfile",
            format!(
                r#"pod or {} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#,
                container_list(&implicit)
            ),
            fields,
        );
    }
    None
}

fn seccomp_profile_baseline_1_19(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    seccomp_profile(pod, "seccompProfile_baseline", false)
}

fn seccomp_profile_restricted_1_19(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    seccomp_profile(pod, "seccompProfile_restricted", true)
}

fn seccomp_profile_restricted_1_25(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    if is_windows(pod) {
        return None;
    }
    seccomp_profile(pod, "seccompProfile_restricted", true)
}

// ---- sysctls ------------------------------------------------------------------------------------

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn sysctls_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    sysctls(pod, &[SYSCTLS_1_0])
}

fn sysctls_1_27(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    sysctls(pod, &[SYSCTLS_1_0, SYSCTLS_1_27])
}

fn sysctls_1_29(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    sysctls(pod, &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29])
}

fn sysctls_1_32(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    sysctls(
        pod,
        &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32],
    )
}

fn sysctls_1_37(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    sysctls(
        pod,
        &[
            SYSCTLS_1_0,
            SYSCTLS_1_27,
            SYSCTLS_1_29,
            SYSCTLS_1_32,
            SYSCTLS_1_37,
        ],
    )
}

fn sysctls(pod: &PodView<'_>, allowed: &[&[&str]]) -> Option<Violation> {
    let mut forbidden = Vec::new();
    let mut fields = Vec::new();
    let list = pod_security_context(pod)
        .and_then(|sc| field(sc, "sysctls"))
        .and_then(Json::as_array);
    for (i, sysctl) in list.into_iter().flatten().enumerate() {
        let name = str_or_empty(field(sysctl, "name"));
        if !allowed.iter().any(|set| set.contains(&name)) {
            forbidden.push(name);
            fields.push(format!("spec.securityContext.sysctls[{i}].name"));
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    violation("sysctls", "forbidden sysctls", forbidden.join(", "), fields)
}

// ---- windowsHostProcess -------------------------------------------------------------------------

fn windows_host_process_1_0(pod: &PodView<'_>, _: &Ctx) -> Option<Violation> {
    let host_process = |sc: Option<&Json>| {
        is_true(
            sc.and_then(|sc| field(sc, "windowsOptions"))
                .and_then(|w| field(w, "hostProcess")),
        )
    };
    let mut fields = Vec::new();
    let mut bad = Vec::new();
    for c in &pod.containers {
        if host_process(c.security_context()) {
            bad.push(c.name);
            fields.push(format!(
                "{}.securityContext.windowsOptions.hostProcess",
                c.path
            ));
        }
    }
    let mut forbidden = Vec::new();
    if host_process(pod_security_context(pod)) {
        forbidden.push("pod".to_string());
        fields.insert(
            0,
            "spec.securityContext.windowsOptions.hostProcess".to_string(),
        );
    }
    if forbidden.is_empty() && bad.is_empty() {
        return None;
    }
    violation(
        "windowsHostProcess",
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters(forbidden, &bad)
        ),
        fields,
    )
}
