//! Rendering a README with Tera: the built-in template (embedded in the binary), or a chart's
//! own `README.md.tera`, which may extend the built-in one and replace some of its blocks.

use tera::{Context, Kwargs, State, Tera};

/// The name a chart's template extends: `{% extends "stackcheck/README.md.tera" %}`.
pub const BUILTIN_NAME: &str = "stackcheck/README.md.tera";
/// The built-in template's text.
pub const BUILTIN: &str = include_str!("readme.md.tera");
/// File name of a chart's own template, next to its Chart.yaml.
pub const OVERRIDE_FILE: &str = "README.md.tera";

/// Render `context` with the chart's own template (its file name and text) when there is one,
/// else with the built-in template. [`message`] words the error.
pub fn render(context: &Context, own: Option<&str>) -> Result<String, tera::Error> {
    let mut tera = Tera::new();
    // Markdown, not HTML: nothing is escaped but what the `cell` and `code` filters escape.
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("cell", |s: &str, _: Kwargs, _: &State| cell(s));
    tera.register_filter("code", |s: &str, _: Kwargs, _: &State| code(s));
    let mut templates = vec![(BUILTIN_NAME, BUILTIN)];
    if let Some(text) = own {
        templates.push((OVERRIDE_FILE, text));
    }
    tera.add_raw_templates(templates)?;
    let name = if own.is_some() {
        OVERRIDE_FILE
    } else {
        BUILTIN_NAME
    };
    tera.render(name, context)
}

/// Tera's error and its causes (its location among them), one per line.
pub fn message(e: tera::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(&format!("\n  {s_text}"));
        }
        source = s.source();
    }
    text
}

/// Text for a Markdown table cell: `|` escaped, line breaks as spaces.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace("\r\n", " ")
        .replace(['\n', '\r'], " ")
}

/// A Markdown code span for a table cell: fenced with one backtick more than the longest run
/// inside, `|` escaped (GitHub splits cells on it even inside code spans).
pub fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", cell(s))
}

/// Tidy the rendered text: at most one blank line in a row outside fenced code blocks, no
/// whitespace-only lines, no blank lines at the start, one newline at the end.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_fence = false;
    let mut blank_run = 0;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if line.trim().is_empty() && !in_fence {
            blank_run += 1;
            if blank_run > 1 || out.is_empty() {
                continue;
            }
            out.push('\n');
            continue;
        }
        blank_run = 0;
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_code_spans_survive_a_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(code("x"), "`x`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(code("{\"a\":\"|\"}"), "`{\"a\":\"\\|\"}`");
    }

    #[test]
    fn tidy_collapses_blank_lines_outside_code() {
        assert_eq!(
            tidy("\n\n# a\n\n\n  \nb\n```\n\n\n```\n\n\n"),
            "# a\n\nb\n```\n\n\n```\n"
        );
    }

    #[test]
    fn an_override_extends_the_builtin_template() {
        let mut ctx = Context::new();
        ctx.insert("x", "1");
        let own = "{% extends \"stackcheck/README.md.tera\" %}{% block header %}# custom {{ x | code }}{% endblock header %}{% block values %}{% endblock values %}{% block install %}{% endblock install %}{% block description %}{% endblock description %}{% block profiles %}{% endblock profiles %}{% block dependencies %}{% endblock dependencies %}";
        assert_eq!(tidy(&render(&ctx, Some(own)).unwrap()), "# custom `1`\n");
        let err = render(&ctx, Some("{% if %}")).unwrap_err();
        assert!(!message(err).is_empty());
    }
}
