//! `stackcheck docs`: chart READMEs from Chart.yaml, the annotated values.yaml and the values
//! profiles next to the chart (issue 7).
//!
//! The fixture chart `tests/fixtures/docs/shop` has one value of every annotation kind the
//! schema generator reads (helm-docs `# --` above and at the end of a line, bitnami `## @param`
//! and `## @skip`, `# @schema` inline and as a block, plain prose, a Kubernetes shape), a
//! dependency with an alias, a condition and a tag, and two profiles. Every README is rendered
//! with Helm v3 and v4 (`HELM_V3`/`HELM_V4`; the tests skip without them, and fail under CI).
//!
//! The expected READMEs are in `tests/fixtures/docs/expected/`; after an intended change,
//! regenerate them with `STACKCHECK_BLESS=1 cargo test --test helm_docs`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{Helm, copy_dir, fixtures, helms, repo_root, stackcheck};

fn shop() -> PathBuf {
    fixtures().join("docs/shop")
}

fn expected(name: &str) -> PathBuf {
    fixtures().join("docs/expected").join(name)
}

/// `stackcheck docs CHART FLAGS…` with `helm` as HELM_BIN, isolated.
fn docs(helm: &Helm, chart: &Path, flags: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    helm.stackcheck(home.path())
        .arg("docs")
        .arg(chart)
        .args(flags)
        .output()
        .expect("run stackcheck")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The shop chart copied into a scratch directory (tests that write must not touch fixtures).
fn scratch_shop() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = tmp.path().join("shop");
    copy_dir(&shop(), &chart);
    (tmp, chart)
}

/// The rows of the Markdown table under `## heading`, as trimmed cells.
fn table(readme: &str, heading: &str) -> Vec<Vec<String>> {
    let start = readme
        .find(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading:?} in:\n{readme}"));
    readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            // Split on `|` not preceded by a backslash (escaped pipes stay in their cell).
            let mut cells = Vec::new();
            let mut cur = String::new();
            let mut prev = ' ';
            for c in l.trim().trim_matches('|').chars() {
                if c == '|' && prev != '\\' {
                    cells.push(cur.trim().to_string());
                    cur.clear();
                } else {
                    cur.push(c);
                }
                prev = c;
            }
            cells.push(cur.trim().to_string());
            cells
        })
        .collect()
}

fn row<'a>(rows: &'a [Vec<String>], first: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == first)
        .unwrap_or_else(|| panic!("no row {first} in {rows:#?}"))
}

/// The printed README is exactly the expected file, byte for byte, with Helm v3 and with v4;
/// so is the subchart's README that `--write` produces.
#[test]
fn readmes_are_the_expected_files_on_helm_v3_and_v4() {
    let Some(helms) = helms() else {
        return;
    };
    let mut outputs = Vec::new();
    for h in &helms {
        let top = ok(&docs(h, &shop(), &[]));
        let (_tmp, chart) = scratch_shop();
        ok(&docs(h, &chart, &["--write"]));
        let written = std::fs::read_to_string(chart.join("README.md")).unwrap();
        assert_eq!(written, top, "helm {}: --write and stdout differ", h.label);
        let db = std::fs::read_to_string(chart.join("charts/db/README.md")).unwrap();
        outputs.push((h.label, top, db));
    }
    if std::env::var_os("STACKCHECK_BLESS").is_some() {
        let (_, top, db) = &outputs[0];
        std::fs::write(expected("README.md"), top).unwrap();
        std::fs::write(expected("db-README.md"), db).unwrap();
    }
    let want_top = std::fs::read_to_string(expected("README.md")).unwrap();
    let want_db = std::fs::read_to_string(expected("db-README.md")).unwrap();
    for (label, top, db) in &outputs {
        similar_asserts(&want_top, top, &format!("helm {label}: shop README"));
        similar_asserts(&want_db, db, &format!("helm {label}: db README"));
    }
}

fn similar_asserts(want: &str, got: &str, what: &str) {
    if want != got {
        let diff = similar::TextDiff::from_lines(want, got)
            .unified_diff()
            .header("expected", "generated")
            .to_string();
        panic!("{what} differs (STACKCHECK_BLESS=1 to accept):\n{diff}");
    }
}

/// Each annotation kind gives its row the description the schema generator reads, the type is
/// the generated schema's (with enum, range, nullable, Kubernetes shape), `@skip` hides a key.
#[test]
fn values_table_has_every_annotation_kind() {
    let Some(helms) = helms() else {
        return;
    };
    let readme = ok(&docs(&helms[0], &shop(), &[]));
    let rows = table(&readme, "Values");
    let expect = [
        // helm-docs `# --` with a continuation line, `# @schema {minimum, maximum}`.
        [
            "`replicas`",
            "integer, 1 to 10",
            "`2`",
            "Web pods (HPA minimum when `autoscaling.enabled`). A continuation line.",
        ],
        // `# @schema` block (enum, nullable) above a `# --` description.
        [
            "`logLevel`",
            "string or null, one of: debug, info, error, null",
            "`\"info\"`",
            "Log level.",
        ],
        // `# --` at the end of the line.
        [
            "`port`",
            "integer",
            "`8080`",
            "Port the web server listens on.",
        ],
        // Plain prose; a `|` in the default is escaped for the table.
        [
            "`greeting`",
            "string",
            "`\"hello \\| world\"`",
            "Plain prose above a key is a description too.",
        ],
        // bitnami `## @param`, with a `[string]` modifier.
        [
            "`image.repository`",
            "string",
            "`\"example/shop\"`",
            "Image repository (bitnami style).",
        ],
        ["`image.tag`", "string", "`\"1.0\"`", "Image tag."],
        // `# @schema {required: true}`.
        [
            "`title`",
            "string",
            "`\"Shop\"`",
            "**Required.** Name shown in the page title.",
        ],
        // A Kubernetes shape: one row, the whole default.
        [
            "`resources`",
            "object (k8s resources)",
            "`{\"requests\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"},\"limits\":{\"cpu\":\"500m\",\"memory\":\"512Mi\"}}`",
            "Requests and limits of the web container.",
        ],
        // A described map is a row, its keys too.
        [
            "`store`",
            "object",
            "",
            "The database (the `db` chart under the alias `store`).",
        ],
        // Set in values.yaml without a comment: the schema's description of a condition key.
        [
            "`store.enabled`",
            "boolean",
            "`true`",
            "Enables this dependency (its condition in Chart.yaml).",
        ],
    ];
    for want in expect {
        assert_eq!(row(&rows, want[0]), want, "row {}", want[0]);
    }
    // `## @skip internal` leaves the key and everything under it out; an undocumented map
    // (`autoscaling`, `image`) is no row of its own.
    for absent in [
        "`internal`",
        "`internal.debugToken`",
        "`autoscaling`",
        "`image`",
    ] {
        assert!(
            rows.iter().all(|r| r[0] != absent),
            "{absent} listed: {rows:#?}"
        );
    }
    assert_eq!(rows.len(), 14, "{rows:#?}");
}

/// The resources table is what the totals engine computes for each profile, checked against
/// numbers worked out by hand from the fixture's templates.
#[test]
fn resources_table_matches_hand_computed_totals() {
    let Some(helms) = helms() else {
        return;
    };
    let readme = ok(&docs(&helms[0], &shop(), &[]));
    let rows = table(&readme, "Resources per profile");
    let files: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    // The defaults first, then the profiles by file name.
    assert_eq!(
        files,
        [
            "[`values.yaml`](values.yaml)",
            "[`values-large.yaml`](values-large.yaml)",
            "[`values-small.yaml`](values-small.yaml)",
        ]
    );
    // Defaults: web Deployment 2 × (250m, 256Mi; limits 500m, 512Mi) + store StatefulSet
    // 1 × (100m, 128Mi; limits 200m, 256Mi) with one 5Gi claim.
    //   requests 2×250m + 100m = 600m, 2×256Mi + 128Mi = 640Mi; limits 1.2, 1.25Gi.
    //   No autoscaler: peak = steady. Rollout: the Deployment surges by ceil(25% × 2) = 1 pod,
    //   the StatefulSet by none: 4 pods, 850m, 896Mi.
    assert_eq!(
        row(&rows, "[`values.yaml`](values.yaml)")[1..],
        [
            "3",
            "600m",
            "640Mi",
            "-",
            "1.2",
            "1.25Gi",
            "5Gi",
            "-",
            "4 pods, 850m CPU, 896Mi memory"
        ]
    );
    // Large: HPA 3..6 owns the web replicas, each with 1 GPU; store 2 replicas × 10Gi.
    //   steady 3 web + 2 db = 5 pods; 3×250m + 2×100m = 950m; 3×256Mi + 2×128Mi = 1Gi; 3 GPUs;
    //   limits 3×500m + 2×200m = 1.9, 3×512Mi + 2×256Mi = 2Gi; storage 2×10Gi = 20Gi.
    //   peak 6 web + 2 db = 8 pods; 6×250m + 200m = 1.7; 6×256Mi + 256Mi = 1.75Gi; 6 GPUs.
    //   rollout: surge ceil(25% × 3) = 1 web: 6 pods; 4×250m + 200m = 1.2; 1.25Gi; 4 GPUs.
    assert_eq!(
        row(&rows, "[`values-large.yaml`](values-large.yaml)")[1..],
        [
            "5",
            "950m",
            "1Gi",
            "3 nvidia.com/gpu",
            "1.9",
            "2Gi",
            "20Gi",
            "8 pods, 1.7 CPU, 1.75Gi memory, 6 nvidia.com/gpu",
            "6 pods, 1.2 CPU, 1.25Gi memory, 4 nvidia.com/gpu"
        ]
    );
    // Small: one web pod, the database disabled by its condition (`store.enabled: false`).
    assert_eq!(
        row(&rows, "[`values-small.yaml`](values-small.yaml)")[1..],
        [
            "1",
            "250m",
            "256Mi",
            "-",
            "500m",
            "512Mi",
            "-",
            "-",
            "2 pods, 500m CPU, 512Mi memory"
        ]
    );
}

/// The dependency row names the alias, the condition and the tags; the subchart's README says
/// where it is used, has no resources table (no profiles of its own) and its own values.
#[test]
fn dependencies_and_the_subchart_readme() {
    let Some(helms) = helms() else {
        return;
    };
    let readme = ok(&docs(&helms[0], &shop(), &[]));
    assert_eq!(
        table(&readme, "Dependencies"),
        [[
            "[db](charts/db/README.md)",
            "`store`",
            "0.1.0",
            "`file://charts/db`",
            "`store.enabled`, tags: data"
        ]]
    );
    assert!(readme.contains(
        "**Maintainers:** [Ann](mailto:ann@example.com), [Bob](https://example.com/bob)"
    ));
    assert!(readme.contains("helm stackcheck --chart ./shop -f my-values.yaml\nhelm install my-release ./shop -f my-values.yaml"));
    let db = std::fs::read_to_string(expected("db-README.md")).unwrap();
    assert!(db.contains(
        "A dependency of [shop](../../README.md): its values go under `store` there, enabled by `store.enabled` (tags: data)."
    ), "{db}");
    assert!(!db.contains("## Resources per profile"), "{db}");
    assert_eq!(
        table(&db, "Values")[0],
        ["`replicas`", "integer", "`1`", "Database pods."]
    );
}

/// `--check` fails with a diff naming the file and the fix for a missing, stale or hand-edited
/// README and passes when all are current; `--write` refuses a hand-edited README unless
/// `--force`, and leaves no temporary file behind.
#[test]
fn check_and_write_protect_hand_edits() {
    let Some(helms) = helms() else {
        return;
    };
    let h = &helms[0];
    let (_tmp, chart) = scratch_shop();
    let readme = chart.join("README.md");
    let name = readme.display().to_string();

    // Missing.
    let out = docs(h, &chart, &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{name} is missing")), "{err}");
    assert!(
        err.contains("run `stackcheck docs") && err.contains("--write`"),
        "{err}"
    );

    // Written, then current.
    let out = ok(&docs(h, &chart, &["--write"]));
    assert!(out.contains(&format!("wrote       {name}")), "{out}");
    let leftovers: Vec<_> = std::fs::read_dir(&chart)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let out = ok(&docs(h, &chart, &["--check"]));
    assert!(out.contains(&format!("up to date  {name}")), "{out}");

    // Stale: the chart changed (a description and a profile), the README did not.
    let values = chart.join("values.yaml");
    let v = std::fs::read_to_string(&values).unwrap();
    std::fs::write(
        &values,
        v.replace("# -- Log level.", "# -- How much to log."),
    )
    .unwrap();
    std::fs::write(
        chart.join("values-small.yaml"),
        "replicas: 2\nstore:\n  enabled: false\n",
    )
    .unwrap();
    let out = docs(h, &chart, &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = text(&out.stdout);
    assert!(diff.contains(&format!("--- {name} (on disk)")), "{diff}");
    assert!(diff.contains(&format!("+++ {name} (generated)")), "{diff}");
    assert!(
        diff.contains("-| `logLevel` |") && diff.contains("How much to log."),
        "{diff}"
    );
    assert!(
        diff.contains("+| [`values-small.yaml`](values-small.yaml) | 2 | 500m |"),
        "{diff}"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{name} differs from what the chart generates")),
        "{err}"
    );
    assert!(
        err.contains(&format!("stackcheck docs {} --write", chart.display())),
        "{err}"
    );
    ok(&docs(h, &chart, &["--write"]));
    ok(&docs(h, &chart, &["--check"]));

    // Hand-edited: --check fails with the diff, --write refuses, --force replaces.
    let generated = std::fs::read_to_string(&readme).unwrap();
    let edited = generated.replace("A small shop", "A small, hand-edited shop");
    std::fs::write(&readme, &edited).unwrap();
    let out = docs(h, &chart, &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("-A small, hand-edited shop"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("edited by hand"),
        "{}",
        text(&out.stderr)
    );
    let out = docs(h, &chart, &["--write"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{name} was written or edited by hand; left unchanged"
        )),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&readme).unwrap(), edited);
    // A README someone wrote from scratch (no marker) is protected the same way.
    std::fs::write(&readme, "# shop\n\nMy own words.\n").unwrap();
    assert_eq!(docs(h, &chart, &["--write"]).status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&readme).unwrap(),
        "# shop\n\nMy own words.\n"
    );
    ok(&docs(h, &chart, &["--write", "--force"]));
    assert_eq!(std::fs::read_to_string(&readme).unwrap(), generated);
    ok(&docs(h, &chart, &["--check"]));
}

/// A `README.md.tera` in the chart directory replaces the built-in template; extending it
/// keeps the generated sections.
#[test]
fn a_chart_template_overrides_the_builtin_one() {
    let Some(helms) = helms() else {
        return;
    };
    let (_tmp, chart) = scratch_shop();
    std::fs::write(
        chart.join("README.md.tera"),
        "{% extends \"stackcheck/README.md.tera\" %}\n{% block description %}Our own words about {{ chart.name }} {{ chart.version }}.\n{% endblock description %}\n{% block footer %}\n## Support\n\nAsk {{ chart.maintainers[0].name }}.\n{% endblock footer %}\n",
    )
    .unwrap();
    let readme = ok(&docs(&helms[0], &chart, &[]));
    assert!(
        readme.contains("\nOur own words about shop 1.2.3.\n"),
        "{readme}"
    );
    assert!(!readme.contains("A small shop for"), "{readme}");
    assert!(readme.ends_with("## Support\n\nAsk Ann.\n"), "{readme}");
    assert_eq!(table(&readme, "Values").len(), 14);
    assert_eq!(table(&readme, "Resources per profile").len(), 3);

    // A whole template of its own.
    std::fs::write(
        chart.join("README.md.tera"),
        "# {{ chart.name }}\n{% for v in values %}- {{ v.path }}\n{% endfor %}",
    )
    .unwrap();
    let readme = ok(&docs(&helms[0], &chart, &[]));
    let body: Vec<&str> = readme.lines().skip(1).collect();
    assert_eq!(body[..3], ["# shop", "- replicas", "- logLevel"]);
    assert!(
        readme.starts_with("<!-- Generated by `stackcheck docs`"),
        "{readme}"
    );

    // A template error is bad input (exit 2) naming the file.
    std::fs::write(chart.join("README.md.tera"), "{% if %}\n").unwrap();
    let out = docs(&helms[0], &chart, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&chart.join("README.md.tera").display().to_string()),
        "{err}"
    );
}

/// A profile `helm template` rejects is bad input (exit 2), with Helm's own message.
#[test]
fn a_profile_helm_template_rejects_exits_2() {
    let (_tmp, chart) = scratch_shop();
    let Some(helms) = helms() else {
        return;
    };
    std::fs::write(
        chart.join("templates/fail.yaml"),
        "{{ if .Values.boom }}{{ fail \"boom requested\" }}{{ end }}\n",
    )
    .unwrap();
    std::fs::write(chart.join("values-broken.yaml"), "boom: true\n").unwrap();
    for h in &helms {
        let out = docs(h, &chart, &[]);
        assert_eq!(out.status.code(), Some(2), "helm {}", h.label);
        let err = text(&out.stderr);
        assert!(
            err.contains("values-broken.yaml"),
            "helm {}: {err}",
            h.label
        );
        assert!(
            err.contains("`helm template` failed"),
            "helm {}: {err}",
            h.label
        );
        // Helm's own stderr: the template that failed and its message.
        assert!(
            err.contains("fail.yaml") && err.contains("boom requested"),
            "helm {}: {err}",
            h.label
        );
    }
}

#[test]
fn a_profile_rejected_by_a_stale_schema_is_a_failed_check_naming_the_schema() {
    let Some(helms) = helms() else {
        return;
    };
    let (_tmp, chart) = scratch_shop();
    // Generated schema and README first, then a new value that a profile sets: the committed
    // schema (no additional properties) rejects the profile until it is regenerated.
    let write = |sub: &str, h: &Helm| {
        let out = stackcheck()
            .env("HELM_BIN", &h.bin)
            .arg(sub)
            .arg(&chart)
            .arg("--write")
            .output()
            .expect("run stackcheck");
        ok(&out);
    };
    write("schema", &helms[0]);
    write("docs", &helms[0]);
    let values = std::fs::read_to_string(chart.join("values.yaml")).unwrap();
    std::fs::write(
        chart.join("values.yaml"),
        format!("{values}# -- Added after the schema was written\nnewSetting: 8080\n"),
    )
    .unwrap();
    std::fs::write(chart.join("values-new.yaml"), "newSetting: 9090\n").unwrap();
    for h in &helms {
        let out = docs(h, &chart, &["--check"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "helm {}: {err}", h.label);
        assert!(
            err.contains("values.schema.json is stale") && err.contains("stackcheck schema"),
            "helm {}: {err}",
            h.label
        );
    }
    // Once the schema is written, the README is simply stale (a new value and profile).
    write("schema", &helms[0]);
    let out = docs(&helms[0], &chart, &["--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    write("docs", &helms[0]);
    ok(&docs(&helms[0], &chart, &["--check"]));
}

/// The committed READMEs of every chart under charts/ are what `stackcheck docs` generates,
/// with Helm v3 and v4: a stale README would document values or sizes the chart no longer has.
#[test]
fn committed_readmes_are_up_to_date() {
    let Some(helms) = helms() else {
        return;
    };
    for h in &helms {
        let out = docs(h, &repo_root().join("charts/llm-stack"), &["--check"]);
        assert!(
            out.status.success(),
            "helm {}: READMEs drifted; run `stackcheck docs charts/llm-stack --write`:\n{}{}",
            h.label,
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}
