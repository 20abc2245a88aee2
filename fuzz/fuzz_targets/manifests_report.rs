//! Any manifest stream → `render::parse_stream` → `totals::compute` → every report format.
//! Never panics (the `totals -o json` overflow of issue 17 item 1 was a panic here); the JSON
//! report is valid against its published schema `schemas/totals-report.schema.json`; every
//! finding's span lies in the stream and renders in every diagnostic format.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stackcheck::render::parse_stream;
use stackcheck::report::totals::{Subject, to_json, to_markdown, to_text};
use stackcheck::source::{SourceKind, Sources};
use stackcheck::totals::{Options, compute};
use stackcheck_fuzz::{assert_valid, check_span, compile_schema, render_all};

fn totals_schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| compile_schema(include_str!("../../schemas/totals-report.schema.json")))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = Sources::new();
    let id = sources.add("manifests.yaml", text, SourceKind::Other);
    let (objects, mut diagnostics) = parse_stream(&sources, id);
    let totals = compute(
        &objects,
        &Options {
            namespace: "fuzz".into(),
            daemonset_nodes: 3,
        },
    );
    diagnostics.extend(totals.findings.iter().cloned());
    for d in &diagnostics {
        if let Some(span) = d.span {
            check_span("finding", span, id, text);
        }
    }
    render_all(&diagnostics, &sources);
    let subject = Subject {
        release: "fuzz".into(),
        source: "manifests.yaml".into(),
        namespace: "fuzz".into(),
    };
    let _ = to_text(&totals, &subject);
    let _ = to_markdown(&totals, &subject, &diagnostics);
    let json = to_json(&totals, &subject, &diagnostics, &sources);
    assert_valid(totals_schema(), &json, "totals");
    serde_json::to_string(&json).expect("totals JSON serialises");
});
