//! How many pods a rollout runs at once.
//!
//! - Deployments (`RollingUpdate`, the default): `maxSurge` and `maxUnavailable` default to
//!   25% (`SetDefaults_Deployment`); percentages of the desired replicas round up for the surge
//!   and down for unavailability, and if both resolve to 0, unavailability becomes 1
//!   (`deployment/util.ResolveFenceposts`). The controller never runs more than
//!   replicas + maxSurge pods. `Recreate` deletes every old pod before creating new ones.
//! - StatefulSets replace pods in place (delete, then recreate the same ordinal), so they never
//!   run more than `replicas`; a `RollingUpdate` only touches ordinals ≥ `partition`, and
//!   `maxUnavailable` (MaxUnavailableStatefulSet, alpha through 1.34 — otherwise 1) rounds down
//!   with a floor of 1 (`getStatefulSetMaxUnavailable`).
//!
//! Values are validated as the API server validates them (`ValidateRollingUpdateDeployment`,
//! `validateRollingUpdateStatefulSet`), so a manifest the API would reject is an error here
//! too. Percentages are computed with integers; `intstr.GetScaledValueFromIntOrPercent` uses
//! float64, which gives the same results for every value that fits an int32.
//!
//! Pods that are terminating still hold their node's resources but are not counted by the
//! controllers, so during a rollout a node can briefly hold more than `peak_pods`.

use std::fmt;

use serde::Deserialize;

/// `intstr.IntOrString` as written in a manifest: a number or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntOrString {
    Int(i64),
    String(String),
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a percentage such as \"25%\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IntOrString, E> {
                Ok(IntOrString::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i64::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(format!("{v} is out of range for an int32")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<IntOrString, E> {
                // Helm's YAML reading makes every number a float64; whole ones are fine.
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(IntOrString::Int(v as i64))
                } else {
                    Err(E::custom(format!(
                        "{v} is not an integer: write a pod count such as 1 or a percentage \
                         such as \"25%\""
                    )))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v.to_owned()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A validated `maxSurge`/`maxUnavailable`: a pod count or a percentage of the replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(i32),
    Percent(u64),
}

impl IntOrPercent {
    /// Validates as `ValidatePositiveIntOrPercent`: a non-negative int32, or a string of
    /// digits followed by `%` (a quoted number such as `"1"` is rejected by the API).
    pub fn from_manifest(value: &IntOrString, field: &'static str) -> Result<Self, RolloutError> {
        match value {
            IntOrString::Int(i) if *i < 0 => Err(RolloutError::Negative {
                field,
                value: value.clone(),
            }),
            IntOrString::Int(i) => {
                i32::try_from(*i)
                    .map(IntOrPercent::Int)
                    .map_err(|_| RolloutError::OutOfRange {
                        field,
                        value: value.clone(),
                    })
            }
            IntOrString::String(s) => {
                let digits = s
                    .strip_suffix('%')
                    .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
                let Some(digits) = digits else {
                    return Err(RolloutError::NotAPercent {
                        field,
                        value: s.clone(),
                    });
                };
                digits
                    .parse()
                    .map(IntOrPercent::Percent)
                    .map_err(|_| RolloutError::OutOfRange {
                        field,
                        value: value.clone(),
                    })
            }
        }
    }

    /// The value before scaling (`getIntOrPercentValue`): what validation compares to 0.
    fn raw(self) -> u64 {
        match self {
            IntOrPercent::Int(i) => i.unsigned_abs().into(),
            IntOrPercent::Percent(p) => p,
        }
    }

    fn is_over_100_percent(self) -> bool {
        matches!(self, IntOrPercent::Percent(p) if p > 100)
    }
}

/// `intstr.GetScaledValueFromIntOrPercent`: an int as is; a percentage of `total`, rounded up
/// or down.
pub fn scaled_value(
    value: IntOrPercent,
    total: i32,
    round_up: bool,
    field: &'static str,
) -> Result<i32, RolloutError> {
    match value {
        IntOrPercent::Int(i) => Ok(i),
        IntOrPercent::Percent(p) => {
            // u64 × i32 fits i128 exactly.
            let product = i128::from(p) * i128::from(total);
            let scaled = if round_up {
                product.div_euclid(100) + i128::from(product.rem_euclid(100) != 0)
            } else {
                product.div_euclid(100)
            };
            i32::try_from(scaled).map_err(|_| RolloutError::OutOfRange {
                field,
                value: IntOrString::String(format!("{p}%")),
            })
        }
    }
}

/// `deployment/util.ResolveFenceposts`: (maxSurge, maxUnavailable) for `desired` replicas.
pub fn resolve_fenceposts(
    max_surge: IntOrPercent,
    max_unavailable: IntOrPercent,
    desired: i32,
) -> Result<(i32, i32), RolloutError> {
    let surge = scaled_value(max_surge, desired, true, MAX_SURGE)?;
    let mut unavailable = scaled_value(max_unavailable, desired, false, MAX_UNAVAILABLE)?;
    if surge == 0 && unavailable == 0 {
        // Validation forbids 0/0, but rounding down can produce it: Kubernetes then allows
        // one pod down so the rollout can progress.
        unavailable = 1;
    }
    Ok((surge, unavailable))
}

const MAX_SURGE: &str = "spec.strategy.rollingUpdate.maxSurge";
const MAX_UNAVAILABLE: &str = "spec.strategy.rollingUpdate.maxUnavailable";
const STS_MAX_UNAVAILABLE: &str = "spec.updateStrategy.rollingUpdate.maxUnavailable";

/// A Deployment's `spec.strategy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStrategy {
    /// `RollingUpdate` (default) or `Recreate`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub rolling_update: Option<RollingUpdateDeployment>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdateDeployment {
    pub max_surge: Option<IntOrString>,
    pub max_unavailable: Option<IntOrString>,
}

/// A StatefulSet's `spec.updateStrategy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatefulSetUpdateStrategy {
    /// `RollingUpdate` (default) or `OnDelete`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub rolling_update: Option<RollingUpdateStatefulSet>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdateStatefulSet {
    pub partition: Option<i32>,
    pub max_unavailable: Option<IntOrString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentStrategyType {
    RollingUpdate,
    Recreate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatefulSetStrategyType {
    RollingUpdate,
    OnDelete,
}

/// What a Deployment's rollout does, for a given number of desired replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeploymentRollout {
    pub replicas: i32,
    pub strategy: DeploymentStrategyType,
    /// Pods allowed above `replicas` (0 for Recreate).
    pub max_surge: i32,
    /// Pods allowed below `replicas` (all of them for Recreate).
    pub max_unavailable: i32,
    /// The most pods the controller runs at once: replicas + maxSurge.
    pub peak_pods: i64,
    /// The fewest available pods it keeps: replicas − maxUnavailable, at least 0.
    pub min_available: i32,
}

/// What a StatefulSet's rollout does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatefulSetRollout {
    pub replicas: i32,
    pub strategy: StatefulSetStrategyType,
    /// Ordinals below this keep the old revision.
    pub partition: i32,
    /// Pods the rollout replaces (ordinals ≥ partition); 0 for OnDelete, which waits for
    /// someone to delete pods.
    pub pods_updated: i32,
    /// Pods replaced at a time.
    pub max_unavailable: i32,
    /// Always `replicas`: a StatefulSet never surges.
    pub peak_pods: i64,
}

/// A strategy the API server would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloutError {
    #[error("{field}: {value:?} must be a percentage such as \"25%\", or a number such as 1")]
    NotAPercent { field: &'static str, value: String },
    #[error("{field}: {value} must not be negative")]
    Negative {
        field: &'static str,
        value: IntOrString,
    },
    #[error("{field}: {value} is out of range (at most 2147483647 pods)")]
    OutOfRange {
        field: &'static str,
        value: IntOrString,
    },
    #[error("{field}: {value} must not be greater than 100%")]
    OverHundredPercent {
        field: &'static str,
        value: IntOrString,
    },
    #[error(
        "spec.strategy.rollingUpdate.maxUnavailable may not be 0 when maxSurge is 0: the \
         rollout could neither add nor remove a pod"
    )]
    BothZero,
    #[error("spec.updateStrategy.rollingUpdate.maxUnavailable: must be greater than 0")]
    ZeroStatefulSetUnavailable,
    #[error("{field}: {value} must not be negative")]
    NegativeCount { field: &'static str, value: i64 },
    #[error("{field}: may not be specified when the strategy type is {kind:?}")]
    RollingUpdateNotAllowed {
        field: &'static str,
        kind: &'static str,
    },
    #[error("{field}: unknown strategy type {value:?}: expected one of {expected}")]
    UnknownType {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A field the decoder could not read, in the decoder's words.
    #[error("{field}: {message}")]
    Decode {
        field: &'static str,
        message: String,
    },
    /// A Deployment `spec.strategy` the decoder could not read, in the decoder's words.
    #[error("spec.strategy not understood: {0}")]
    Strategy(String),
    #[error(
        "spec.updateStrategy.rollingUpdate.maxSurge: may not be set when maxUnavailable is \
         non-zero (maxUnavailable defaults to 1: set it to 0 to surge)"
    )]
    DaemonSetSurgeAndUnavailable,
    #[error("spec.updateStrategy.rollingUpdate.maxUnavailable: cannot be 0 when maxSurge is 0")]
    DaemonSetBothZero,
    #[error("spec.replicas out of range")]
    ReplicasOutOfRange,
    #[error("negative rollout size")]
    NegativeRollout,
}

fn check_replicas(replicas: i32, field: &'static str) -> Result<(), RolloutError> {
    if replicas < 0 {
        return Err(RolloutError::NegativeCount {
            field,
            value: replicas.into(),
        });
    }
    Ok(())
}

/// The rollout of a Deployment with `replicas` desired pods (`spec.replicas`, or the HPA's
/// maximum for the worst case) and the given `spec.strategy`.
pub fn deployment_rollout(
    replicas: i32,
    strategy: &DeploymentStrategy,
) -> Result<DeploymentRollout, RolloutError> {
    check_replicas(replicas, "spec.replicas")?;
    match strategy.kind.as_deref().unwrap_or("") {
        "" | "RollingUpdate" => {}
        "Recreate" => {
            if strategy.rolling_update.is_some() {
                return Err(RolloutError::RollingUpdateNotAllowed {
                    field: "spec.strategy.rollingUpdate",
                    kind: "Recreate",
                });
            }
            return Ok(DeploymentRollout {
                replicas,
                strategy: DeploymentStrategyType::Recreate,
                max_surge: 0,
                max_unavailable: replicas,
                peak_pods: replicas.into(),
                min_available: 0,
            });
        }
        other => {
            return Err(RolloutError::UnknownType {
                field: "spec.strategy.type",
                value: other.to_owned(),
                expected: "RollingUpdate, Recreate",
            });
        }
    }
    // SetDefaults_Deployment: both default to 25%.
    let default = IntOrString::String("25%".into());
    let rolling = strategy.rolling_update.clone().unwrap_or_default();
    let surge_raw = rolling.max_surge.unwrap_or_else(|| default.clone());
    let unavailable_raw = rolling.max_unavailable.unwrap_or(default);
    let surge = IntOrPercent::from_manifest(&surge_raw, MAX_SURGE)?;
    let unavailable = IntOrPercent::from_manifest(&unavailable_raw, MAX_UNAVAILABLE)?;
    if unavailable.is_over_100_percent() {
        return Err(RolloutError::OverHundredPercent {
            field: MAX_UNAVAILABLE,
            value: unavailable_raw,
        });
    }
    if surge.raw() == 0 && unavailable.raw() == 0 {
        return Err(RolloutError::BothZero);
    }
    let (max_surge, max_unavailable) = resolve_fenceposts(surge, unavailable, replicas)?;
    Ok(DeploymentRollout {
        replicas,
        strategy: DeploymentStrategyType::RollingUpdate,
        max_surge,
        max_unavailable,
        peak_pods: i64::from(replicas) + i64::from(max_surge),
        min_available: replicas.saturating_sub(max_unavailable).max(0),
    })
}

/// The rollout of a StatefulSet with `replicas` pods and the given `spec.updateStrategy`.
pub fn statefulset_rollout(
    replicas: i32,
    strategy: &StatefulSetUpdateStrategy,
) -> Result<StatefulSetRollout, RolloutError> {
    check_replicas(replicas, "spec.replicas")?;
    let kind = match strategy.kind.as_deref().unwrap_or("") {
        "" | "RollingUpdate" => StatefulSetStrategyType::RollingUpdate,
        "OnDelete" => {
            if strategy.rolling_update.is_some() {
                return Err(RolloutError::RollingUpdateNotAllowed {
                    field: "spec.updateStrategy.rollingUpdate",
                    kind: "OnDelete",
                });
            }
            StatefulSetStrategyType::OnDelete
        }
        other => {
            return Err(RolloutError::UnknownType {
                field: "spec.updateStrategy.type",
                value: other.to_owned(),
                expected: "RollingUpdate, OnDelete",
            });
        }
    };
    let rolling = strategy.rolling_update.clone().unwrap_or_default();
    let partition = rolling.partition.unwrap_or(0);
    if partition < 0 {
        return Err(RolloutError::NegativeCount {
            field: "spec.updateStrategy.rollingUpdate.partition",
            value: partition.into(),
        });
    }
    let max_unavailable = match &rolling.max_unavailable {
        None => 1,
        Some(raw) => {
            let value = IntOrPercent::from_manifest(raw, STS_MAX_UNAVAILABLE)?;
            if value.raw() == 0 {
                return Err(RolloutError::ZeroStatefulSetUnavailable);
            }
            if value.is_over_100_percent() {
                return Err(RolloutError::OverHundredPercent {
                    field: STS_MAX_UNAVAILABLE,
                    value: raw.clone(),
                });
            }
            // getStatefulSetMaxUnavailable: round down, but at least 1.
            scaled_value(value, replicas, false, STS_MAX_UNAVAILABLE)?.max(1)
        }
    };
    let pods_updated = match kind {
        StatefulSetStrategyType::RollingUpdate => (replicas - partition).max(0),
        StatefulSetStrategyType::OnDelete => 0,
    };
    Ok(StatefulSetRollout {
        replicas,
        strategy: kind,
        partition,
        pods_updated,
        max_unavailable,
        peak_pods: replicas.into(),
    })
}

#[cfg(test)]
mod tests;
