//! A chart's `values.yaml` (with comments) → `schema::generate` for a one-chart chart. Never
//! panics; a generated schema survives the file round trip (rendered with its checksum marker,
//! read back unchanged, marker intact) and compiles as draft-07 with the `jsonschema` crate.
//! Without `# @schema` / `## @param` / `## @skip` annotations (which may legitimately
//! narrow types), the chart's own defaults must pass validation against their schema.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stackcheck::chart::{Chart, Location, Metadata, scope};
use stackcheck::schema::validate::{ScopeSchema, validate};
use stackcheck::schema::{files, generate};
use stackcheck::source::{SourceKind, Sources};
use stackcheck::values::{self, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = Sources::new();
    let id = sources.add(
        "chart/values.yaml",
        text,
        SourceKind::ChartDefaults {
            chart: "fuzz".into(),
        },
    );
    let Ok(defaults) = values::parse_values(&sources, id) else {
        return;
    };
    let chart = Chart {
        metadata: Metadata {
            api_version: "v2".into(),
            name: "fuzz".into(),
            chart_name: "fuzz".into(),
            version: "0.1.0".into(),
            ..Metadata::default()
        },
        location: Location::Dir("chart".into()),
        defaults,
        schema: None,
        subcharts: Vec::new(),
    };
    let generated = match generate::generate(&chart, &sources) {
        Ok(g) => g,
        Err(errors) => {
            assert!(!errors.is_empty());
            errors.iter().for_each(|e| drop(e.to_string()));
            return;
        }
    };
    assert_eq!(generated.len(), 1, "one chart, one schema");
    let schema = &generated[0].schema;

    let rendered = files::render(schema);
    assert!(
        files::is_untouched(&rendered),
        "checksum marker broken:\n{rendered}"
    );
    let back: serde_json::Value = serde_json::from_str(&rendered).expect("rendered schema is JSON");
    let validator = match jsonschema::validator_for(&back) {
        Ok(v) => v,
        Err(e) => panic!("generated schema does not compile: {e}\n{rendered}"),
    };
    // What `validate` compiles must be the same.
    jsonschema::draft7::new(&back).expect("compiles as draft-07");

    let annotated = ["@schema", "@param", "@skip"]
        .iter()
        .any(|a| text.contains(a));
    if annotated {
        return;
    }
    let resolved = scope::resolve(&chart, &Value::empty_map());
    let instance = resolved.values.to_json();
    if let Some(e) = validator.iter_errors(&instance).next() {
        panic!(
            "the chart's own defaults fail its generated schema at {}: {e}\n{}\n{rendered}",
            e.instance_path(),
            serde_json::to_string_pretty(&instance).unwrap()
        );
    }
    let schemas = [ScopeSchema {
        path: Vec::new(),
        chart: "fuzz".into(),
        schema: schema.clone(),
    }];
    let diags = validate(&resolved, &schemas, &sources);
    assert!(
        diags.is_empty(),
        "validate reports the chart's own defaults: {diags:?}"
    );
});
