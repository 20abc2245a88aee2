//! The effective request and limit of one pod, as the scheduler and quota see them.
//!
//! Rendered pod templates have not been through the API server, so its defaulting
//! (`pkg/apis/core/v1/defaults.go`) is applied first ([`apply_api_defaults`]):
//!
//! - every resource-list entry is rounded up to milli (`SetDefaults_ResourceList`);
//! - a container that limits a resource without requesting it requests the limit
//!   (`SetDefaults_Pod`);
//! - with pod-level limits set, missing pod-level requests are filled in (`defaultPodRequests`,
//!   after `defaultHugePagePodLimits`; PodLevelResources is on by default since 1.34).
//!
//! Then [`pod_requests`] is `PodRequests` and [`pod_limits`] is `PodLimits` of
//! `k8s.io/component-helpers/resource` v0.34 (`AggregateContainerRequests`/`...Limits`): app
//! containers and sidecars (init containers with `restartPolicy: Always`) are summed; each
//! classic init container counts together with the sidecars declared before it; the larger of
//! the two wins; pod-level `spec.resources` overrides cpu, memory and hugepages; `spec.overhead`
//! is added (to limits only where they are non-zero).
//!
//! Limits differ in one respect: Go's `PodLimits` sums whatever limits exist, so a container
//! without a memory limit silently contributes nothing. Here such a pod's memory limit is
//! [`Limit::Unbounded`]. A container is taken to use cpu, memory and ephemeral-storage always,
//! and any other resource only if it names it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::nullable;
use crate::quantity::{Quantity, QuantityError};

/// Resource name → quantity (`v1.ResourceList`), ordered by name.
pub type ResourceList = BTreeMap<String, Quantity>;
/// Resource name → limit.
pub type LimitList = BTreeMap<String, Limit>;

/// `v1helper.IsNativeResource`: no `domain/` prefix, or a `kubernetes.io/` one (matched
/// anywhere in the name, as `IsPrefixedNativeResource` does).
pub fn is_native_resource_name(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// `v1helper.IsExtendedResourceName`: not native, not starting with `requests.`, and
/// `requests.` + the name a qualified name (its quota name). Extended resources are whole
/// numbers, and scalar resources for the scheduler.
pub fn is_extended_resource_name(name: &str) -> bool {
    !is_native_resource_name(name)
        && !name.starts_with("requests.")
        && super::selector::validate_qualified_name(&format!("requests.{name}")).is_ok()
}

/// The part of a pod spec that decides its resources.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, deserialize_with = "nullable")]
    pub containers: Vec<Container>,
    #[serde(default, deserialize_with = "nullable")]
    pub init_containers: Vec<Container>,
    /// Pod-level resources (`spec.resources`, PodLevelResources).
    #[serde(default, deserialize_with = "nullable")]
    pub resources: ResourceRequirements,
    /// Set by the RuntimeClass admission plugin from `runtimeClassName`, or written directly.
    #[serde(default, deserialize_with = "nullable")]
    pub overhead: ResourceList,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub resources: ResourceRequirements,
    /// `Always` on an init container makes it a sidecar.
    pub restart_policy: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResourceRequirements {
    #[serde(default, deserialize_with = "nullable")]
    pub requests: ResourceList,
    #[serde(default, deserialize_with = "nullable")]
    pub limits: ResourceList,
}

/// A pod's limit for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Bounded(Quantity),
    /// Some container that uses the resource has no limit for it.
    Unbounded,
}

/// Both sides of a pod's resources.
#[derive(Debug, Clone, PartialEq)]
pub struct PodResources {
    pub requests: ResourceList,
    pub limits: LimitList,
}

impl Container {
    /// A restartable init container (KEP-753): runs for the pod's whole life.
    pub fn is_sidecar(&self) -> bool {
        self.restart_policy.as_deref() == Some("Always")
    }
}

impl Limit {
    /// The sum of two limits; unbounded when either is.
    pub fn checked_add(self, other: Limit) -> Result<Limit, QuantityError> {
        match (self, other) {
            (Limit::Bounded(a), Limit::Bounded(b)) => Ok(Limit::Bounded(a.checked_add(b)?)),
            _ => Ok(Limit::Unbounded),
        }
    }

    /// The quantity, if bounded.
    pub fn bounded(self) -> Option<Quantity> {
        match self {
            Limit::Bounded(q) => Some(q),
            Limit::Unbounded => None,
        }
    }
}

// Unbounded is above every bound, so `max` picks it.
impl PartialOrd for Limit {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Limit {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (Limit::Bounded(a), Limit::Bounded(b)) => a.cmp(b),
            (Limit::Bounded(_), Limit::Unbounded) => Ordering::Less,
            (Limit::Unbounded, Limit::Bounded(_)) => Ordering::Greater,
            (Limit::Unbounded, Limit::Unbounded) => Ordering::Equal,
        }
    }
}

/// `IsSupportedPodLevelResource`: cpu, memory and hugepages may be set at pod level.
pub fn is_pod_level_resource(name: &str) -> bool {
    name == "cpu" || name == "memory" || name.starts_with("hugepages-")
}

/// `IsOvercommitAllowed`: native resources (no domain, or `kubernetes.io/`), except hugepages.
fn overcommit_allowed(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    native && !name.starts_with("hugepages-")
}

/// Resources every container consumes whether or not it names them.
fn used_implicitly(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage")
}

/// The pod spec as the API server stores it: see the module docs for each rule.
pub fn apply_api_defaults(spec: &PodSpec) -> Result<PodSpec, QuantityError> {
    let mut out = spec.clone();
    for c in out
        .containers
        .iter_mut()
        .chain(out.init_containers.iter_mut())
    {
        round_list(&mut c.resources.requests)?;
        round_list(&mut c.resources.limits)?;
        // SetDefaults_Pod: requests default to limits, per resource, never over an explicit
        // request (an explicit 0 stays 0).
        for (name, limit) in &c.resources.limits {
            c.resources.requests.entry(name.clone()).or_insert(*limit);
        }
    }
    round_list(&mut out.overhead)?;
    round_list(&mut out.resources.requests)?;
    round_list(&mut out.resources.limits)?;
    default_hugepage_pod_limits(&mut out)?;
    default_pod_requests(&mut out)?;
    Ok(out)
}

fn round_list(list: &mut ResourceList) -> Result<(), QuantityError> {
    for q in list.values_mut() {
        *q = q.round_up_to_milli()?;
    }
    Ok(())
}

/// `defaultHugePagePodLimits`: with any pod-level resources set, a hugepages size the
/// containers limit gets a pod-level limit of their aggregate, unless the pod requests it.
fn default_hugepage_pod_limits(spec: &mut PodSpec) -> Result<(), QuantityError> {
    if spec.resources.limits.is_empty() && spec.resources.requests.is_empty() {
        return Ok(());
    }
    let aggregate = aggregate(spec, |c| c.resources.limits.clone())?;
    for (name, q) in aggregate {
        if is_pod_level_resource(&name)
            && name.starts_with("hugepages-")
            && !spec.resources.requests.contains_key(&name)
        {
            spec.resources.limits.entry(name).or_insert(q);
        }
    }
    Ok(())
}

/// `defaultPodRequests`: with pod-level limits set, a missing pod-level request for cpu or
/// memory becomes the containers' aggregate request if they request it, else the pod-level
/// limit; hugepages requests become the pod-level limit.
fn default_pod_requests(spec: &mut PodSpec) -> Result<(), QuantityError> {
    if spec.resources.limits.is_empty() {
        return Ok(());
    }
    let aggregate = aggregate(spec, |c| c.resources.requests.clone())?;
    let requests = &mut spec.resources.requests;
    for (name, q) in aggregate {
        if is_pod_level_resource(&name) && overcommit_allowed(&name) {
            requests.entry(name).or_insert(q);
        }
    }
    for (name, q) in &spec.resources.limits {
        if is_pod_level_resource(name) {
            requests.entry(name.clone()).or_insert(*q);
        }
    }
    Ok(())
}

/// The effective request of one pod: `PodRequests` (v0.34) on the defaulted spec.
pub fn pod_requests(spec: &PodSpec) -> Result<ResourceList, QuantityError> {
    let spec = apply_api_defaults(spec)?;
    requests_of_defaulted(&spec)
}

fn requests_of_defaulted(spec: &PodSpec) -> Result<ResourceList, QuantityError> {
    let mut requests = aggregate(spec, |c| c.resources.requests.clone())?;
    // Pod-level requests replace the containers' sum for the resources they name.
    for (name, q) in &spec.resources.requests {
        if is_pod_level_resource(name) {
            requests.insert(name.clone(), *q);
        }
    }
    for (name, q) in &spec.overhead {
        add_into(&mut requests, name, *q, Quantity::checked_add)?;
    }
    Ok(requests)
}

/// The effective limit of one pod: `PodLimits` (v0.34) on the defaulted spec, with explicit
/// [`Limit::Unbounded`] where a container that uses a resource does not limit it. Every
/// resource any container names appears, and cpu and memory always do.
pub fn pod_limits(spec: &PodSpec) -> Result<LimitList, QuantityError> {
    let spec = apply_api_defaults(spec)?;
    limits_of_defaulted(&spec)
}

fn limits_of_defaulted(spec: &PodSpec) -> Result<LimitList, QuantityError> {
    let mut names: Vec<String> = vec!["cpu".into(), "memory".into()];
    for c in spec.containers.iter().chain(&spec.init_containers) {
        names.extend(c.resources.requests.keys().cloned());
        names.extend(c.resources.limits.keys().cloned());
    }
    names.sort();
    names.dedup();

    let per_container = |c: &Container| {
        let mut list = LimitList::new();
        for name in &names {
            let limit = match c.resources.limits.get(name) {
                Some(q) => Limit::Bounded(*q),
                None if used_implicitly(name) || c.resources.requests.contains_key(name) => {
                    Limit::Unbounded
                }
                // Not used by this container: contributes nothing.
                None => continue,
            };
            list.insert(name.clone(), limit);
        }
        list
    };
    let mut limits = aggregate(spec, per_container)?;
    for name in names {
        limits.entry(name).or_insert(Limit::Bounded(Quantity::ZERO));
    }
    for (name, q) in &spec.resources.limits {
        if is_pod_level_resource(name) {
            limits.insert(name.clone(), Limit::Bounded(*q));
        }
    }
    // Overhead raises only limits that exist and are non-zero.
    for (name, q) in &spec.overhead {
        if let Some(Limit::Bounded(limit)) = limits.get_mut(name)
            && !limit.is_zero()
        {
            *limit = limit.checked_add(*q)?;
        }
    }
    Ok(limits)
}

/// What the scheduler counts a pod as for scoring (`calculateResource` in the scheduler's
/// `NodeInfo`): `PodRequests` with 100m cpu and 200Mi memory for every container (app or init)
/// that requests none (`NonMissingContainerRequests`), as (millicores, bytes). So a pod of three
/// containers without requests weighs 300m / 600Mi, not 100m / 200Mi.
pub fn pod_non_zero_requests(spec: &PodSpec) -> Result<(i128, i128), QuantityError> {
    non_zero_of_defaulted(apply_api_defaults(spec)?)
}

/// [`pod_requests`] and [`pod_non_zero_requests`] with one defaulting pass (the snapshot reader
/// computes both for every pod of the cluster).
pub fn pod_requests_and_non_zero(
    spec: &PodSpec,
) -> Result<(ResourceList, (i128, i128)), QuantityError> {
    let spec = apply_api_defaults(spec)?;
    let requests = requests_of_defaulted(&spec)?;
    Ok((requests, non_zero_of_defaulted(spec)?))
}

fn non_zero_of_defaulted(mut spec: PodSpec) -> Result<(i128, i128), QuantityError> {
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut())
    {
        c.resources
            .requests
            .entry("cpu".to_string())
            .or_insert(Quantity::from_millis(100));
        c.resources
            .requests
            .entry("memory".to_string())
            .or_insert(Quantity::from_units(
                200 << 20,
                crate::quantity::Format::BinarySI,
            ));
    }
    let requests = requests_of_defaulted(&spec)?;
    Ok((
        requests.get("cpu").map_or(0, Quantity::milli_ceil),
        requests.get("memory").map_or(0, Quantity::value_ceil),
    ))
}

/// Requests and limits together (defaulting the spec once).
pub fn pod_resources(spec: &PodSpec) -> Result<PodResources, QuantityError> {
    let spec = apply_api_defaults(spec)?;
    Ok(PodResources {
        requests: requests_of_defaulted(&spec)?,
        limits: limits_of_defaulted(&spec)?,
    })
}

/// Values that can be summed and compared, per resource.
trait Amount: Copy + Ord {
    fn plus(self, other: Self) -> Result<Self, QuantityError>;
}

impl Amount for Quantity {
    fn plus(self, other: Self) -> Result<Self, QuantityError> {
        self.checked_add(other)
    }
}

impl Amount for Limit {
    fn plus(self, other: Self) -> Result<Self, QuantityError> {
        self.checked_add(other)
    }
}

/// `AggregateContainerRequests`/`AggregateContainerLimits`: app containers and sidecars are
/// summed; init container i needs itself plus the sidecars declared before it; the pod needs
/// the larger of the sum and the largest init step, per resource.
fn aggregate<T: Amount>(
    spec: &PodSpec,
    of: impl Fn(&Container) -> BTreeMap<String, T>,
) -> Result<BTreeMap<String, T>, QuantityError> {
    let mut total = BTreeMap::new();
    for c in &spec.containers {
        add_list(&mut total, of(c))?;
    }
    let mut sidecars = BTreeMap::new();
    let mut init_peak: BTreeMap<String, T> = BTreeMap::new();
    for c in &spec.init_containers {
        let own = of(c);
        let step = if c.is_sidecar() {
            add_list(&mut total, own.clone())?;
            add_list(&mut sidecars, own)?;
            sidecars.clone()
        } else {
            let mut step = own;
            add_list(&mut step, sidecars.clone())?;
            step
        };
        max_list(&mut init_peak, step);
    }
    max_list(&mut total, init_peak);
    Ok(total)
}

fn add_list<T: Amount>(
    into: &mut BTreeMap<String, T>,
    from: BTreeMap<String, T>,
) -> Result<(), QuantityError> {
    for (name, value) in from {
        add_into(into, &name, value, T::plus)?;
    }
    Ok(())
}

fn add_into<T: Copy>(
    into: &mut BTreeMap<String, T>,
    name: &str,
    value: T,
    plus: impl Fn(T, T) -> Result<T, QuantityError>,
) -> Result<(), QuantityError> {
    let sum = match into.get(name) {
        Some(existing) => plus(*existing, value)?,
        None => value,
    };
    into.insert(name.to_owned(), sum);
    Ok(())
}

fn max_list<T: Amount>(into: &mut BTreeMap<String, T>, from: BTreeMap<String, T>) {
    for (name, value) in from {
        match into.get(&name) {
            Some(existing) if *existing >= value => {}
            _ => {
                into.insert(name, value);
            }
        }
    }
}

#[cfg(test)]
mod tests;
