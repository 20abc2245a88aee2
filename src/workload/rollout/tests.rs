use super::*;

fn pct(p: u64) -> IntOrPercent {
    IntOrPercent::Percent(p)
}

/// `intstr.GetScaledValueFromIntOrPercent` outputs from apimachinery v0.37.1.
#[test]
fn scaled_values_match_intstr() {
    let cases = [
        (25, 10, 3, 2),
        (25, 4, 1, 1),
        (25, 1, 1, 0),
        (25, 3, 1, 0),
        (25, 0, 0, 0),
        (1, 2, 1, 0),
        (33, 7, 3, 2),
        (50, 5, 3, 2),
        (10, 5, 1, 0),
        (200, 3, 6, 6),
        (100, i32::MAX, i32::MAX, i32::MAX),
        (99, i32::MAX, 2_126_008_811, 2_126_008_810),
    ];
    for (p, total, up, down) in cases {
        assert_eq!(
            scaled_value(pct(p), total, true, "f").unwrap(),
            up,
            "{p}% of {total} up"
        );
        assert_eq!(
            scaled_value(pct(p), total, false, "f").unwrap(),
            down,
            "{p}% of {total} down"
        );
    }
    assert_eq!(
        scaled_value(IntOrPercent::Int(7), 100, true, "f").unwrap(),
        7
    );
    assert!(matches!(
        scaled_value(pct(1000), i32::MAX, true, "f"),
        Err(RolloutError::OutOfRange { .. })
    ));
}

/// The examples in the doc comment of `ResolveFenceposts` (deployment/util).
#[test]
fn resolve_fenceposts_examples() {
    let cases = [
        // (desired, maxUnavailable, maxSurge) → (surge, unavailable)
        (2, pct(1), pct(0), (0, 1)),
        (1, pct(1), pct(0), (0, 1)),
        (2, pct(25), pct(1), (1, 0)),
        (1, pct(25), pct(1), (1, 0)),
        (2, pct(0), pct(1), (1, 0)),
        (1, pct(0), pct(1), (1, 0)),
    ];
    for (desired, unavailable, surge, want) in cases {
        assert_eq!(
            resolve_fenceposts(surge, unavailable, desired).unwrap(),
            want,
            "{desired} desired, unavailable {unavailable:?}, surge {surge:?}"
        );
    }
}

fn strategy(json: &str) -> DeploymentStrategy {
    serde_json::from_str(json).unwrap()
}

#[test]
fn deployment_defaults_are_25_percent() {
    let default = DeploymentStrategy::default();
    // (replicas, surge, unavailable, peak, min available)
    let cases = [
        (10, 3, 2, 13, 8),
        (4, 1, 1, 5, 3),
        (3, 1, 0, 4, 3),
        (1, 1, 0, 2, 1),
        (0, 0, 1, 0, 0),
    ];
    for (replicas, surge, unavailable, peak, min) in cases {
        let r = deployment_rollout(replicas, &default).unwrap();
        assert_eq!(r.strategy, DeploymentStrategyType::RollingUpdate);
        assert_eq!(
            (r.max_surge, r.max_unavailable, r.peak_pods, r.min_available),
            (surge, unavailable, peak, min),
            "{replicas} replicas"
        );
    }
    // An empty rollingUpdate, or only a type, defaults the same way.
    for json in [
        r#"{}"#,
        r#"{"type": "RollingUpdate", "rollingUpdate": {}}"#,
        r#"{"type": null, "rollingUpdate": null}"#,
    ] {
        assert_eq!(
            deployment_rollout(10, &strategy(json)).unwrap().peak_pods,
            13,
            "{json}"
        );
    }
}

#[test]
fn deployment_explicit_values() {
    let run = |replicas, json| deployment_rollout(replicas, &strategy(json)).unwrap();
    let r = run(
        3,
        r#"{"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}"#,
    );
    assert_eq!((r.max_surge, r.max_unavailable, r.peak_pods), (0, 1, 3));
    let r = run(
        3,
        r#"{"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": 0}}"#,
    );
    assert_eq!((r.max_surge, r.max_unavailable, r.peak_pods), (3, 0, 6));
    let r = run(3, r#"{"rollingUpdate": {"maxSurge": "200%"}}"#);
    assert_eq!((r.max_surge, r.max_unavailable, r.peak_pods), (6, 0, 9));
    // Only maxSurge set: maxUnavailable keeps its 25% default.
    let r = run(8, r#"{"rollingUpdate": {"maxSurge": 1}}"#);
    assert_eq!((r.max_surge, r.max_unavailable, r.peak_pods), (1, 2, 9));
    // Valid (not both zero as written) but both round to 0: one pod may go down.
    let r = run(
        10,
        r#"{"rollingUpdate": {"maxSurge": "0%", "maxUnavailable": "5%"}}"#,
    );
    assert_eq!((r.max_surge, r.max_unavailable, r.peak_pods), (0, 1, 10));
    // Whole floats, as a YAML layer that reads every number as float64 produces.
    let r = run(
        4,
        r#"{"rollingUpdate": {"maxSurge": 2.0, "maxUnavailable": 0.0}}"#,
    );
    assert_eq!((r.max_surge, r.max_unavailable, r.peak_pods), (2, 0, 6));
    // maxUnavailable above replicas is allowed as an int.
    let r = run(2, r#"{"rollingUpdate": {"maxUnavailable": 5}}"#);
    assert_eq!((r.max_unavailable, r.min_available), (5, 0));
}

#[test]
fn deployment_recreate_never_overlaps() {
    let r = deployment_rollout(5, &strategy(r#"{"type": "Recreate"}"#)).unwrap();
    assert_eq!(r.strategy, DeploymentStrategyType::Recreate);
    assert_eq!(
        (r.max_surge, r.max_unavailable, r.peak_pods, r.min_available),
        (0, 5, 5, 0)
    );
    let r = deployment_rollout(
        5,
        &strategy(r#"{"type": "Recreate", "rollingUpdate": null}"#),
    );
    assert!(r.is_ok());
}

/// The errors ValidateDeploymentStrategy gives for these (apps/validation tests).
#[test]
fn deployment_invalid_strategies() {
    let err = |replicas, json| deployment_rollout(replicas, &strategy(json)).unwrap_err();
    assert_eq!(
        err(
            3,
            r#"{"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}"#
        ),
        RolloutError::BothZero
    );
    assert_eq!(
        err(
            3,
            r#"{"rollingUpdate": {"maxSurge": "0%", "maxUnavailable": 0}}"#
        ),
        RolloutError::BothZero
    );
    assert_eq!(
        err(3, r#"{"rollingUpdate": {"maxSurge": "20Percent"}}"#),
        RolloutError::NotAPercent {
            field: MAX_SURGE,
            value: "20Percent".into()
        }
    );
    // A quoted number is a string, and strings must be percentages.
    assert!(matches!(
        err(3, r#"{"rollingUpdate": {"maxSurge": "1"}}"#),
        RolloutError::NotAPercent { .. }
    ));
    assert!(matches!(
        err(3, r#"{"rollingUpdate": {"maxSurge": "-5%"}}"#),
        RolloutError::NotAPercent { .. }
    ));
    assert!(matches!(
        err(3, r#"{"rollingUpdate": {"maxSurge": -1}}"#),
        RolloutError::Negative { .. }
    ));
    assert_eq!(
        err(3, r#"{"rollingUpdate": {"maxUnavailable": "110%"}}"#),
        RolloutError::OverHundredPercent {
            field: MAX_UNAVAILABLE,
            value: IntOrString::String("110%".into())
        }
    );
    assert_eq!(
        err(3, r#"{"type": "Recreate", "rollingUpdate": {}}"#),
        RolloutError::RollingUpdateNotAllowed {
            field: "spec.strategy.rollingUpdate",
            kind: "Recreate"
        }
    );
    assert!(matches!(
        err(3, r#"{"type": "Rolling"}"#),
        RolloutError::UnknownType { .. }
    ));
    assert!(matches!(
        err(3, r#"{"rollingUpdate": {"maxSurge": 3000000000}}"#),
        RolloutError::OutOfRange { .. }
    ));
    assert!(matches!(err(-1, "{}"), RolloutError::NegativeCount { .. }));
    assert!(
        serde_json::from_str::<DeploymentStrategy>(r#"{"rollingUpdate": {"maxSurge": 1.5}}"#)
            .is_err()
    );
    assert_eq!(
        err(3, r#"{"rollingUpdate": {"maxSurge": "1"}}"#).to_string(),
        "spec.strategy.rollingUpdate.maxSurge: \"1\" must be a percentage such as \"25%\", or a \
         number such as 1"
    );
}

fn sts(json: &str) -> StatefulSetUpdateStrategy {
    serde_json::from_str(json).unwrap()
}

#[test]
fn statefulset_never_surges() {
    let r = statefulset_rollout(3, &StatefulSetUpdateStrategy::default()).unwrap();
    assert_eq!(
        r,
        StatefulSetRollout {
            replicas: 3,
            strategy: StatefulSetStrategyType::RollingUpdate,
            partition: 0,
            pods_updated: 3,
            max_unavailable: 1,
            peak_pods: 3,
        }
    );
    let r = statefulset_rollout(5, &sts(r#"{"rollingUpdate": {"partition": 2}}"#)).unwrap();
    assert_eq!((r.pods_updated, r.peak_pods), (3, 5));
    let r = statefulset_rollout(3, &sts(r#"{"rollingUpdate": {"partition": 10}}"#)).unwrap();
    assert_eq!(r.pods_updated, 0);
    let r = statefulset_rollout(4, &sts(r#"{"type": "OnDelete"}"#)).unwrap();
    assert_eq!(
        (r.strategy, r.pods_updated, r.peak_pods),
        (StatefulSetStrategyType::OnDelete, 0, 4)
    );
}

/// `getStatefulSetMaxUnavailable`: rounds down, at least 1.
#[test]
fn statefulset_max_unavailable() {
    let max = |replicas, json| {
        statefulset_rollout(replicas, &sts(json))
            .unwrap()
            .max_unavailable
    };
    assert_eq!(max(5, r#"{"rollingUpdate": {"maxUnavailable": "50%"}}"#), 2);
    assert_eq!(max(5, r#"{"rollingUpdate": {"maxUnavailable": "10%"}}"#), 1);
    assert_eq!(max(5, r#"{"rollingUpdate": {"maxUnavailable": 2}}"#), 2);
    assert_eq!(
        max(4, r#"{"rollingUpdate": {"maxUnavailable": "100%"}}"#),
        4
    );
    let err = |json| statefulset_rollout(5, &sts(json)).unwrap_err();
    assert_eq!(
        err(r#"{"rollingUpdate": {"maxUnavailable": 0}}"#),
        RolloutError::ZeroStatefulSetUnavailable
    );
    assert_eq!(
        err(r#"{"rollingUpdate": {"maxUnavailable": "0%"}}"#),
        RolloutError::ZeroStatefulSetUnavailable
    );
    assert!(matches!(
        err(r#"{"rollingUpdate": {"maxUnavailable": "150%"}}"#),
        RolloutError::OverHundredPercent { .. }
    ));
    assert!(matches!(
        err(r#"{"rollingUpdate": {"partition": -1}}"#),
        RolloutError::NegativeCount { .. }
    ));
    assert!(matches!(
        err(r#"{"type": "OnDelete", "rollingUpdate": {"partition": 1}}"#),
        RolloutError::RollingUpdateNotAllowed { .. }
    ));
    assert!(matches!(
        err(r#"{"type": "Parallel"}"#),
        RolloutError::UnknownType { .. }
    ));
}
