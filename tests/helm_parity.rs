//! Parity with Helm: for every case of `tests/fixtures/parity-chart/cases.yaml`, `helm template`
//! (v3 and v4) with the schemas `stackcheck schema --write` generated, and `stackcheck validate`,
//! must all give the case's expected verdict.
//!
//! Needs `HELM_V3` and `HELM_V4` (`eval "$(tools/tools.sh)"`). Two switches help to establish or
//! debug expectations:
//!
//! - `STACKCHECK_PARITY_SCHEMA_DIR=DIR`: use `DIR/values.schema.json` and
//!   `DIR/charts/<sub>/values.schema.json` instead of generating the schemas;
//! - `STACKCHECK_PARITY_HELM_ONLY=1`: run Helm only (no stackcheck).

mod common;

use std::path::{Path, PathBuf};

use common::{Helm, Verdict};
use saphyr::{LoadableYamlNode, Yaml};

#[derive(Debug)]
struct Case {
    name: String,
    values: Vec<String>,
    set: Vec<String>,
    set_string: Vec<String>,
    set_json: Vec<String>,
    set_file: Vec<(String, String)>,
    expect: Verdict,
}

fn strings(node: Option<&Yaml>, case: &str, key: &str) -> Vec<String> {
    let Some(node) = node else { return Vec::new() };
    let seq = node
        .as_sequence()
        .unwrap_or_else(|| panic!("case {case}: `{key}` must be a list"));
    seq.iter()
        .map(|item| {
            item.as_str()
                .unwrap_or_else(|| panic!("case {case}: items of `{key}` must be strings"))
                .to_string()
        })
        .collect()
}

fn load_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap();
    let docs = Yaml::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases = docs[0]
        .as_mapping_get("cases")
        .and_then(Yaml::as_sequence)
        .expect("a `cases` list");
    let mut seen = std::collections::BTreeSet::new();
    cases
        .iter()
        .map(|c| {
            let name = c
                .as_mapping_get("name")
                .and_then(Yaml::as_str)
                .expect("every case has a name")
                .to_string();
            assert!(seen.insert(name.clone()), "duplicate case name {name}");
            let expect = c
                .as_mapping_get("expect")
                .and_then(Yaml::as_str)
                .and_then(Verdict::parse)
                .unwrap_or_else(|| panic!("case {name}: expect must be accept or reject"));
            let set_file = match c.as_mapping_get("set_file") {
                None => Vec::new(),
                Some(list) => list
                    .as_sequence()
                    .unwrap_or_else(|| panic!("case {name}: set_file must be a list"))
                    .iter()
                    .map(|pair| {
                        let pair = strings(Some(pair), &name, "set_file");
                        assert_eq!(
                            pair.len(),
                            2,
                            "case {name}: set_file items are [key, content]"
                        );
                        (pair[0].clone(), pair[1].clone())
                    })
                    .collect(),
            };
            Case {
                values: strings(c.as_mapping_get("values"), &name, "values"),
                set: strings(c.as_mapping_get("set"), &name, "set"),
                set_string: strings(c.as_mapping_get("set_string"), &name, "set_string"),
                set_json: strings(c.as_mapping_get("set_json"), &name, "set_json"),
                set_file,
                expect,
                name,
            }
        })
        .collect()
}

/// Writes the case's files under `dir` and returns the Helm-style arguments (`-f`, `--set`…),
/// which stackcheck validate takes too.
fn case_args(case: &Case, dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let mut args = Vec::new();
    for (i, doc) in case.values.iter().enumerate() {
        let file = dir.join(format!("values-{i}.yaml"));
        std::fs::write(&file, doc).unwrap();
        args.push("-f".to_string());
        args.push(file.display().to_string());
    }
    for (flag, list) in [
        ("--set", &case.set),
        ("--set-string", &case.set_string),
        ("--set-json", &case.set_json),
    ] {
        for a in list {
            args.push(flag.to_string());
            args.push(a.clone());
        }
    }
    for (i, (key, content)) in case.set_file.iter().enumerate() {
        let file = dir.join(format!("set-file-{i}.txt"));
        std::fs::write(&file, content).unwrap();
        args.push("--set-file".to_string());
        args.push(format!("{key}={}", file.display()));
    }
    args
}

fn install_schemas(from: &Path, chart: &Path) {
    let top = from.join("values.schema.json");
    std::fs::copy(&top, chart.join("values.schema.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", top.display()));
    if let Ok(subs) = std::fs::read_dir(from.join("charts")) {
        for sub in subs {
            let sub = sub.unwrap().path();
            let schema = sub.join("values.schema.json");
            if schema.is_file() {
                let dest = chart.join("charts").join(sub.file_name().unwrap());
                std::fs::copy(&schema, dest.join("values.schema.json")).unwrap();
            }
        }
    }
}

#[test]
fn helm_parity() {
    let Some(helms) = common::helms() else {
        return;
    };
    let fixture = common::fixtures().join("parity-chart");
    let cases = load_cases(&fixture.join("cases.yaml"));
    assert!(
        cases.len() >= 35,
        "at least 35 cases, found {}",
        cases.len()
    );

    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("parity");
    common::copy_dir(&fixture, &chart);
    std::fs::remove_file(chart.join("cases.yaml")).unwrap();
    match std::env::var_os("STACKCHECK_PARITY_SCHEMA_DIR") {
        Some(dir) => install_schemas(&PathBuf::from(dir), &chart),
        None => common::write_schemas(&chart),
    }
    let helm_only =
        std::env::var_os("STACKCHECK_PARITY_HELM_ONLY").is_some_and(|v| !v.is_empty() && v != "0");

    struct Row {
        helm: Vec<Verdict>,
        stackcheck: Option<Verdict>,
    }
    let rows = common::par_map(&cases, |case| {
        let dir = tmp.path().join("cases").join(&case.name);
        let args = case_args(case, &dir);
        let helm = helms
            .iter()
            .map(|h: &Helm| Verdict::of_helm(&h.template(&chart, &args, &dir.join("helm-home"))))
            .collect();
        let stackcheck = (!helm_only).then(|| {
            let out = common::stackcheck()
                .arg("validate")
                .arg("--chart")
                .arg(&chart)
                .args(&args)
                .output()
                .expect("run stackcheck");
            Verdict::of_stackcheck(&out)
        });
        Row { helm, stackcheck }
    });

    let mut failures = Vec::new();
    let mut table = Vec::new();
    for (case, row) in cases.iter().zip(&rows) {
        let mut cells = vec![case.name.clone()];
        let mut ok = true;
        for (h, v) in helms.iter().zip(&row.helm) {
            cells.push(v.to_string());
            if *v != case.expect {
                ok = false;
                failures.push(format!(
                    "{} (helm {}): got {v}, expected {}{}",
                    case.name,
                    h.label,
                    case.expect,
                    detail(v)
                ));
            }
        }
        match &row.stackcheck {
            Some(v) => {
                cells.push(v.to_string());
                if *v != case.expect {
                    ok = false;
                    failures.push(format!(
                        "{} (stackcheck): got {v}, expected {}{}",
                        case.name,
                        case.expect,
                        detail(v)
                    ));
                }
            }
            None => cells.push("-".into()),
        }
        cells.push(case.expect.to_string());
        cells.push(if ok { "".into() } else { "MISMATCH".into() });
        table.push(cells);
    }
    let mut header = vec!["case".to_string()];
    header.extend(helms.iter().map(|h| format!("helm {}", h.label)));
    header.extend([
        "stackcheck".to_string(),
        "expected".to_string(),
        "".to_string(),
    ]);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    eprintln!("\n{}\n", common::table(&header, &table));
    assert!(
        failures.is_empty(),
        "{} verdicts differ from the expected ones:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn detail(v: &Verdict) -> String {
    match v {
        Verdict::Error(msg) => format!("\n    {}", msg.replace('\n', "\n    ")),
        _ => String::new(),
    }
}
