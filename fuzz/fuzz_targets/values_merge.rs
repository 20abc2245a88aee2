//! Values files and `--set`-family arguments → the CLI's merge (`values::merge_sources`, what
//! `Layers::merge` does after reading the files), then the chart defaults coalesced under the
//! result as `validate` does. Never panics; every span of the merged values and of every error
//! is valid in its source and renders as a diagnostic; the merged values serialise to JSON.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use stackcheck::chart::{Chart, Location, Metadata, scope};
use stackcheck::source::{SourceKind, Sources};
use stackcheck::values::{self, SetKind};
use stackcheck_fuzz::{check_value, render_at};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Flag {
    Set,
    SetString,
    SetJson,
    SetFile,
    SetLiteral,
}

#[derive(Arbitrary, Debug)]
struct SetArg<'a> {
    flag: Flag,
    /// The argument; for `--set-file`, the text before `=` is the key path and the rest the
    /// file's content (written to a scratch file whose path becomes the value).
    arg: &'a str,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// At most four are used.
    sets: Vec<SetArg<'a>>,
    /// The chart's `values.yaml`.
    defaults: &'a str,
    /// A second `-f` file, merged over the first.
    overlay: Option<&'a str>,
    /// The first `-f` file.
    values: &'a str,
}

/// One scratch file per process for `--set-file` contents (the fuzzer runs one input at a time).
fn scratch() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("stackcheck-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join("set-file.txt")
    })
}

fuzz_target!(|input: Input| {
    let mut sources = Sources::new();
    let mut files = vec![sources.add(
        "values.yaml",
        input.values,
        SourceKind::ValuesFile { index: 0 },
    )];
    if let Some(overlay) = input.overlay {
        files.push(sources.add("overlay.yaml", overlay, SourceKind::ValuesFile { index: 1 }));
    }
    let mut sets = Vec::new();
    for set in input.sets.iter().take(4) {
        let kind = match set.flag {
            Flag::Set => SetKind::Typed,
            Flag::SetString => SetKind::String,
            Flag::SetJson => SetKind::Json,
            Flag::SetLiteral => SetKind::Literal,
            Flag::SetFile => SetKind::File,
        };
        let arg = if let SetKind::File = kind {
            // Never let the input name a path: it could be /dev/zero.
            let (key, content) = set.arg.split_once('=').unwrap_or((set.arg, ""));
            let path = scratch();
            std::fs::write(path, content).expect("scratch file");
            format!("{key}={}", path.display())
        } else {
            set.arg.to_string()
        };
        sets.push((kind, arg));
    }

    let user = match values::merge_sources(&mut sources, &files, &sets) {
        Ok(user) => user,
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in &errors {
                let _ = e.to_string();
                if let Some(span) = e.span() {
                    stackcheck_fuzz::check_span(
                        "error",
                        span,
                        span.source,
                        sources.text(span.source),
                    );
                }
                render_at(&sources, e.span(), &e.to_string());
            }
            return;
        }
    };
    check_value(&user, &sources);
    let json = user.to_json();
    assert!(json.is_object());
    serde_json::to_string(&json).expect("merged values serialise");

    // The chart's defaults under the user's values, as `validate` resolves them.
    let id = sources.add(
        "chart/values.yaml",
        input.defaults,
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
    let resolved = scope::resolve(&chart, &user);
    for c in &resolved.conflicts {
        render_at(&sources, c.user.span, "shape");
    }
    check_value(&resolved.values, &sources);
    serde_json::to_string(&resolved.values.to_json()).expect("coalesced values serialise");
});
