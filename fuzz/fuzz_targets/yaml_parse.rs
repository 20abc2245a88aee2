//! Any text → `yaml::parse` returns (never panics), and every span of the tree is valid in the
//! text: 1-based, forward, inside it, with line and column matching the index. Errors and a
//! few spans are rendered as diagnostics, so snippet cutting sees the same spans.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stackcheck::source::{SourceKind, Sources};
use stackcheck::yaml::{self, NodeKind};
use stackcheck_fuzz::{LineCols, check_node, check_span, render_at};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = Sources::new();
    let id = sources.add("values.yaml", text, SourceKind::ValuesFile { index: 0 });
    let lines = LineCols::new(text);
    match yaml::parse(id, text) {
        Ok(None) => {}
        Ok(Some(node)) => {
            check_node(&node, id, text, &lines);
            render_at(&sources, Some(node.span), "document");
            if let NodeKind::Map(entries) = &node.kind
                && let Some(last) = entries.last()
            {
                render_at(&sources, Some(last.value.span), "last value");
                render_at(&sources, last.value.via, "last value's alias");
            }
        }
        Err(e) => {
            let span = e.span();
            check_span("error", span, id, text);
            lines.check("error", span);
            let _ = e.to_string();
            render_at(&sources, Some(span), &e.to_string());
        }
    }
});
