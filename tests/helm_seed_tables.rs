//! The seeds' sizing tables, recomputed. Each table of `../shared/seeds/` is transcribed as plain
//! manifests under `tests/fixtures/seed-tables/` and summed by `stackcheck totals --manifests`;
//! the chart profile that implements the same sizing must render to the same totals through
//! `helm template` (Helm v3 and v4). `docs/SIZING.md` shows these numbers next to the seeds' own
//! totals; this test is what keeps that page true.

mod common;

use serde_json::Value;

const MI: i128 = 1024 * 1024;
const GI: i128 = 1024 * MI;

/// Steady-state totals: pods, cpu millicores, memory bytes, nvidia.com/gpu, storage bytes.
#[derive(Debug, PartialEq, Eq)]
struct Steady {
    pods: i128,
    cpu_m: i128,
    memory: i128,
    gpus: i128,
    storage: i128,
}

fn int(v: &Value) -> i128 {
    v["value"].as_i64().map_or(0, i128::from)
}

fn steady(report: &Value, scenario: &str) -> Steady {
    let s = &report["scenarios"][scenario];
    Steady {
        pods: int(&s["pods"]),
        cpu_m: int(&s["requests"]["cpu"]),
        memory: int(&s["requests"]["memory"]),
        gpus: int(&s["requests"]["nvidia.com/gpu"]),
        storage: s["storage"]
            .as_object()
            .map_or(0, |m| m.values().map(int).sum()),
    }
}

fn totals(args: &[&str], helm: Option<&common::Helm>) -> Value {
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = helm.map_or_else(common::stackcheck, |h| h.stackcheck(home.path()));
    cmd.arg("totals").args(args).args(["-o", "json"]);
    cmd.current_dir(common::repo_root());
    let out = cmd.output().expect("run stackcheck totals");
    assert!(
        out.status.code() == Some(0),
        "totals {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn seed(file: &str) -> Value {
    let path = format!("tests/fixtures/seed-tables/{file}");
    totals(&["--manifests", &path], None)
}

/// (transcription, chart profile, steady totals both must give; the profile's storage may add
/// what the chart adds on top of the seed, given separately).
struct Case {
    seed: &'static str,
    want: Steady,
    profile: Option<(&'static str, i128)>,
}

fn cases() -> Vec<Case> {
    vec![
        // Seed 000 "Small HA": says 1.9 cores / 2.3Gi. 2×500m + 500m + 200m = 1700m;
        // 2×512Mi + 512Mi + 256Mi = 1792Mi (1.75Gi); PostgreSQL PVC 10Gi.
        Case {
            seed: "seed-000-small.yaml",
            want: Steady {
                pods: 4,
                cpu_m: 1700,
                memory: 1792 * MI,
                gpus: 0,
                storage: 10 * GI,
            },
            profile: Some(("values-litemaas-small.yaml", 0)),
        },
        // "Medium": says 2.4 cores / 2.8Gi. 3×500m + 700m = 2200m; 3×512Mi + 768Mi = 2304Mi.
        Case {
            seed: "seed-000-medium.yaml",
            want: Steady {
                pods: 5,
                cpu_m: 2200,
                memory: 2304 * MI,
                gpus: 0,
                storage: 10 * GI,
            },
            profile: Some(("values-litemaas-medium.yaml", 0)),
        },
        // "Large": says 2.9+ cores / 3.3+Gi. 4×500m + 700m = 2700m; 4×512Mi + 768Mi = 2816Mi.
        Case {
            seed: "seed-000-large.yaml",
            want: Steady {
                pods: 6,
                cpu_m: 2700,
                memory: 2816 * MI,
                gpus: 0,
                storage: 20 * GI,
            },
            profile: Some(("values-litemaas-large.yaml", 0)),
        },
        // Seed 004 §4.1: 2.6 cores, 4.4Gi, 11Gi — right (4480Mi = 4.375Gi, rounded).
        Case {
            seed: "seed-004-dev.yaml",
            want: Steady {
                pods: 8,
                cpu_m: 2600,
                memory: 4480 * MI,
                gpus: 0,
                storage: 11 * GI,
            },
            profile: Some(("values-aiops-dev.yaml", 0)),
        },
        // Seed 004 §4.2: says 8.2 cores / 14.5Gi / 55Gi, forgetting the replicas.
        // 3×500 + 2×500 + 3×1000 + 2×1000 + 3×500 + 2×200 + 2×1000 + 3×500 = 12900m;
        // 3×512 + 2×1024 + 3×2048 + 2×2048 + 3×512 + 2×256 + 2×2048 + 3×1024 = 23040Mi (22.5Gi);
        // storage 2×50Gi + 3×5Gi = 115Gi. The chart adds a 10Gi backup PVC.
        Case {
            seed: "seed-004-prod.yaml",
            want: Steady {
                pods: 20,
                cpu_m: 12900,
                memory: 23040 * MI,
                gpus: 0,
                storage: 115 * GI,
            },
            profile: Some(("values-aiops-prod.yaml", 10 * GI)),
        },
        // Seed 004 §4.3: 4 + 8 + 16 = 28 cores, 16 + 32 + 128 = 176Gi, 1 + 1 + 2 = 4 GPUs,
        // 50 + 100 + 200 = 350Gi of model cache.
        Case {
            seed: "seed-004-llm.yaml",
            want: Steady {
                pods: 3,
                cpu_m: 28000,
                memory: 176 * GI,
                gpus: 4,
                storage: 350 * GI,
            },
            profile: None,
        },
        // Seed 002 production: 5–20 replicas of 1000m/4Gi: steady 5 cores / 20Gi.
        Case {
            seed: "seed-002-prod.yaml",
            want: Steady {
                pods: 5,
                cpu_m: 5000,
                memory: 20 * GI,
                gpus: 0,
                storage: 0,
            },
            profile: None,
        },
        // Seed 003: 100 + 100 + 250 + 250 + 500 + 250 = 1450m; 256 + 256 + 512×3 + 1024 = 3072Mi;
        // PostgreSQL requests nothing (and makes every limit unbounded).
        Case {
            seed: "seed-003-dev.yaml",
            want: Steady {
                pods: 7,
                cpu_m: 1450,
                memory: 3 * GI,
                gpus: 0,
                storage: 0,
            },
            profile: None,
        },
    ]
}

#[test]
fn seed_tables_recomputed_from_transcribed_manifests() {
    for c in cases() {
        assert_eq!(steady(&seed(c.seed), "steady"), c.want, "{}", c.seed);
    }
    // Seed 002's range: the HPA maximum of 20 replicas is the peak: 20 cores / 80Gi requested,
    // 80 cores / 320Gi at the limits.
    let router = seed("seed-002-prod.yaml");
    let peak = steady(&router, "peak");
    assert_eq!((peak.pods, peak.cpu_m, peak.memory), (20, 20_000, 80 * GI));
    let limits = &router["scenarios"]["peak"]["limits"];
    assert_eq!(
        (int(&limits["cpu"]), int(&limits["memory"])),
        (80_000, 320 * GI)
    );
    // Seed 003 writes no PostgreSQL limits: the limit totals must say so, not under-count.
    let minikube = seed("seed-003-dev.yaml");
    assert_eq!(
        minikube["scenarios"]["steady"]["limits"]["memory"]["quantity"],
        "unbounded"
    );
}

#[test]
fn chart_profiles_render_to_the_seed_totals() {
    let Some(helms) = common::helms() else {
        return;
    };
    for h in &helms {
        for c in cases() {
            let Some((profile, extra_storage)) = c.profile else {
                continue;
            };
            let path = format!("charts/llm-stack/{profile}");
            let got = steady(&totals(&[&path], Some(h)), "steady");
            let want = Steady {
                storage: c.want.storage + extra_storage,
                ..c.want
            };
            assert_eq!(got, want, "helm {} {profile} vs {}", h.label, c.seed);
        }
    }
}
