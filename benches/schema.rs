//! Schema generation and validation on the largest values file of the public-chart corpus.
//! Run: `cargo bench --bench schema`.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use stackcheck::chart::{self, scope};
use stackcheck::schema::generate::generate;
use stackcheck::schema::validate::{ScopeSchema, validate};
use stackcheck::source::Sources;
use stackcheck::values::Layers;

fn largest_chart() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/public-charts/grafana-mimir"
    ))
}

fn bench(c: &mut Criterion) {
    let dir = largest_chart();
    c.bench_function("load + generate (grafana-mimir)", |b| {
        b.iter(|| {
            let mut sources = Sources::new();
            let chart = chart::load(dir, &mut sources).expect("chart loads");
            generate(&chart, &sources).expect("schema generates")
        })
    });

    let mut sources = Sources::new();
    let chart = chart::load(dir, &mut sources).expect("chart loads");
    let generated = generate(&chart, &sources).expect("schema generates");
    let user = Layers {
        files: vec![dir.join("values.yaml")],
        sets: Vec::new(),
    }
    .merge(&mut sources)
    .expect("values merge");
    c.bench_function("merge + validate (grafana-mimir values.yaml)", |b| {
        b.iter(|| {
            let resolved = scope::resolve(&chart, &user);
            let schemas: Vec<ScopeSchema> = resolved
                .scopes
                .iter()
                .filter_map(|s| {
                    generated
                        .iter()
                        .find(|g| g.path == s.path)
                        .map(|g| ScopeSchema {
                            path: s.path.clone(),
                            chart: g.chart_name.clone(),
                            schema: g.schema.clone(),
                        })
                })
                .collect();
            validate(&resolved, &schemas, &sources)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
