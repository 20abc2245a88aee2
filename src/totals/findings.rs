//! Findings about the resources a release declares: what the API server would reject (request
//! above limit, extended resources with request ≠ limit, claims without a size, malformed
//! quantities) and what makes capacity planning blind (no requests, no limits), plus
//! PodDisruptionBudgets that block every voluntary eviction.

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic};
use crate::quantity::{Quantity, QuantityError};
use crate::workload::objects::{Inventory, Workload};
use crate::workload::resources::{is_extended_resource_name, is_native_resource_name};
use crate::workload::selector;

/// Every quantity field of a pod spec the API server would refuse: (field path, why). A value
/// that does not parse, or a negative one (`ValidateNonnegativeQuantity`).
pub(super) fn malformed_quantities(pod_spec: &Json) -> Vec<(String, EntryError)> {
    let mut bad = Vec::new();
    let mut check = |path: String, list: &Json| {
        for (name, q) in list.as_object().into_iter().flatten() {
            if let Err(e) = parse(q) {
                bad.push((format!("{path}.{name}"), e));
            }
        }
    };
    for field in ["containers", "initContainers"] {
        for (i, c) in pod_spec[field].as_array().into_iter().flatten().enumerate() {
            let name = c["name"]
                .as_str()
                .map_or_else(|| i.to_string(), str::to_string);
            for side in ["requests", "limits"] {
                check(
                    format!("{field}[{name}].resources.{side}"),
                    &c["resources"][side],
                );
            }
        }
    }
    for side in ["requests", "limits"] {
        check(format!("resources.{side}"), &pod_spec["resources"][side]);
    }
    check("overhead".to_string(), &pod_spec["overhead"]);
    bad
}

/// A resource-list entry the API server refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Not a quantity, in the decoder's words.
    #[error("{0}")]
    Decode(String),
    #[error(transparent)]
    Quantity(#[from] QuantityError),
    /// Negative: `quantity "-1" must be greater than or equal to 0`.
    #[error("quantity {0} must be greater than or equal to 0")]
    Negative(String),
}

/// A quantity as the API server reads it, rejecting negative values as its validation does.
pub(super) fn parse(v: &Json) -> Result<Quantity, EntryError> {
    let q = <Quantity as serde::Deserialize>::deserialize(v).map_err(|e| match v {
        Json::String(_) | Json::Number(_) => EntryError::Decode(e.to_string()),
        other => QuantityError::NotANumber {
            input: format!("{other}"),
        }
        .into(),
    })?;
    if q.is_negative() {
        return Err(EntryError::Negative(match v {
            Json::String(s) => format!("{s:?}"),
            other => other.to_string(),
        }));
    }
    Ok(q)
}

/// `IsOvercommitAllowed`: native resources (no domain, or a `kubernetes.io/` one) other than
/// hugepages. The rest (GPUs and every other extended resource, hugepages) must have
/// request == limit.
fn overcommit_allowed(name: &str) -> bool {
    is_native_resource_name(name) && !name.starts_with("hugepages-")
}

pub(super) fn check_containers(w: &Workload<'_>, findings: &mut Vec<Diagnostic>) {
    let pod_level = &w.pod_spec["resources"];
    let pod_level_set = ["requests", "limits"]
        .iter()
        .any(|s| pod_level[s].as_object().is_some_and(|m| !m.is_empty()));
    let at = Some(w.object.span);
    let object = w.object.display_with_template();
    for field in ["initContainers", "containers"] {
        for c in w.pod_spec[field].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or("?");
            // Validation sees the defaulted values: every entry rounded up to milli.
            let list = |side: &str| -> Vec<(String, Quantity)> {
                c["resources"][side]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| {
                        let q = parse(v).ok()?;
                        Some((k.clone(), q.round_up_to_milli().unwrap_or(q)))
                    })
                    .collect()
            };
            let (requests, limits) = (list("requests"), list("limits"));
            let get =
                |l: &[(String, Quantity)], k: &str| l.iter().find(|(n, _)| n == k).map(|(_, q)| *q);
            let who = format!("{object}: container {name}");
            if !pod_level_set {
                if requests.is_empty() && limits.is_empty() {
                    findings.push(
                        Diagnostic::warning(Code::NoResources, format!("{who} has no requests or limits"))
                            .at(at)
                            .hint("the scheduler reserves nothing for it (BestEffort) and it may use a whole node; set resources.requests and resources.limits"),
                    );
                    continue;
                }
                let missing_requests: Vec<&str> = ["cpu", "memory"]
                    .into_iter()
                    .filter(|r| get(&requests, r).is_none() && get(&limits, r).is_none())
                    .collect();
                if !missing_requests.is_empty() {
                    findings.push(
                        Diagnostic::warning(
                            Code::NoRequests,
                            format!("{who} requests no {}", missing_requests.join(" or ")),
                        )
                        .at(at)
                        .hint("the scheduler counts it as zero; totals understate what it uses"),
                    );
                }
                if get(&limits, "memory").is_none() {
                    findings.push(
                        Diagnostic::note(Code::NoLimits, format!("{who} has no memory limit"))
                            .at(at)
                            .hint("its memory use is unbounded; the limit totals show `unbounded`"),
                    );
                }
            }
            // ValidateResourceRequirements, in its order: a resource that cannot be
            // overcommitted needs request == limit (and a limit), others request <= limit.
            for (res, req) in &requests {
                match get(&limits, res) {
                    Some(lim) if !overcommit_allowed(res) && *req != lim => findings.push(
                        Diagnostic::error(
                            Code::ExtendedResource,
                            format!("{who}: {res} request {} differs from its limit {}", req.human(res), lim.human(res)),
                        )
                        .at(at)
                        .hint("GPUs, other extended resources and hugepages cannot be overcommitted: set request and limit equal, or only the limit"),
                    ),
                    Some(lim) if *req > lim => {
                        let message = if res == "memory" {
                            format!("{who}: memory limit {} is below its request {}", lim.human(res), req.human(res))
                        } else {
                            format!("{who}: {res} request {} is above its limit {}", req.human(res), lim.human(res))
                        };
                        findings.push(
                            Diagnostic::error(Code::RequestAboveLimit, message)
                                .at(at)
                                .hint("the API server rejects this pod (request must be less than or equal to limit)"),
                        );
                    }
                    None if !overcommit_allowed(res) => findings.push(
                        Diagnostic::error(Code::ExtendedResource, format!("{who}: {res} is requested without a limit"))
                            .at(at)
                            .hint("the API server requires a limit for GPUs, other extended resources and hugepages; set the limit (the request then defaults to it)"),
                    ),
                    _ => {}
                }
            }
            for (side, list) in [("request", &requests), ("limit", &limits)] {
                for (res, q) in list.iter().filter(|(r, _)| is_extended_resource_name(r)) {
                    if q.milli_ceil() % 1000 != 0 {
                        findings.push(
                            Diagnostic::error(
                                Code::ExtendedResource,
                                format!("{who}: {res} {side} {} is not a whole number", q.canonical()),
                            )
                            .at(at)
                            .hint("extended resources such as GPUs are counted in whole devices; to share a GPU use MIG or time-slicing resources"),
                        );
                    }
                }
            }
        }
    }
}

/// `GetScaledValueFromIntOrPercent(v, total, roundUp=true)`, as the disruption controller uses
/// for both `minAvailable` and `maxUnavailable`.
fn scaled(v: &Json, total: u64) -> Option<u64> {
    match v {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => {
            let pct: u64 = s.strip_suffix('%')?.parse().ok()?;
            Some((pct * total).div_ceil(100))
        }
        _ => None,
    }
}

pub(super) fn check_pdbs(inv: &Inventory<'_>, findings: &mut Vec<Diagnostic>) {
    for (pdb, ns) in &inv.pdbs {
        let spec = &pdb.json["spec"];
        let selected: Vec<&Workload<'_>> = inv
            .workloads
            .iter()
            .filter(|w| {
                w.transient.is_none()
                    && w.namespace == *ns
                    && selector::matches(&spec["selector"], &w.pod_metadata["labels"])
            })
            .collect();
        let expected: u64 = selected.iter().map(|w| w.replicas.steady).sum();
        if expected == 0 {
            continue;
        }
        let names: Vec<String> = selected.iter().map(|w| w.object.display()).collect();
        let blocked = if let Some(min) = scaled(&spec["minAvailable"], expected) {
            (min >= expected).then(|| format!("minAvailable {min} of {expected} pod(s)"))
        } else if let Some(max) = scaled(&spec["maxUnavailable"], expected) {
            (max == 0).then(|| format!("maxUnavailable 0 of {expected} pod(s)"))
        } else {
            None
        };
        if let Some(why) = blocked {
            findings.push(
                Diagnostic::warning(
                    Code::PdbBlocksEviction,
                    format!("{} allows no voluntary eviction: {why} ({})", pdb.display_with_template(), names.join(", ")),
                )
                .at(Some(pdb.span))
                .hint("node drains and cluster upgrades will wait forever; run more replicas or lower minAvailable"),
            );
        }
    }
}
