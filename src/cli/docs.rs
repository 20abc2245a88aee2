//! `stackcheck docs`: generate, write or check every chart's README.md.

use super::{DocsArgs, Exit, debug, out};
use crate::docs::{self, RenderOptions, Status, Which, template};
use crate::render::HelmTemplate;
use crate::report::{self, Diagnostic, Format};
use crate::source::Sources;

pub(super) fn run(args: DocsArgs) -> Exit {
    if args.print_template {
        out(template::BUILTIN);
        return Exit::Ok;
    }
    let options = RenderOptions {
        helm: HelmTemplate::helm_from_env(),
        release: "release-name".into(),
        namespace: "default".into(),
    };
    let which = if args.write || args.check {
        Which::All
    } else {
        Which::Top
    };
    debug(|| {
        format!(
            "generating READMEs for {} with {}",
            args.chart.display(),
            options.helm.display()
        )
    });
    let sources = Sources::new();
    let readmes = match docs::generate(&args.chart, &options, which) {
        Ok(r) => r,
        Err(e) => {
            let mut diag = Diagnostic::error("docs", e.to_string());
            if let Some(h) = e.hint() {
                diag = diag.hint(h);
            }
            eprint!("{}", report::render(&[diag], &sources, Format::Text, false));
            return Exit::BadInput;
        }
    };
    let warnings: Vec<Diagnostic> = readmes
        .iter()
        .flat_map(|r| {
            r.warnings.iter().map(|w| {
                Diagnostic::warning("docs-totals", w.clone())
                    .chart(&r.chart)
                    .hint("this workload is left out of the README's resources table")
            })
        })
        .collect();
    eprint!(
        "{}",
        report::render(&warnings, &sources, Format::Text, false)
    );
    if !args.write && !args.check {
        if let Some(top) = readmes.first() {
            out(&top.text);
        }
        return Exit::Ok;
    }
    let reports = match docs::sync(&readmes, args.write, args.force) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    let fix = if args.chart.as_os_str() == "." {
        "stackcheck docs --write".to_string()
    } else {
        format!("stackcheck docs {} --write", args.chart.display())
    };
    let mut failed = false;
    let mut diags = Vec::new();
    for r in &reports {
        let path = r.path.display();
        match &r.status {
            Status::UpToDate => out(&format!("up to date  {path}\n")),
            Status::Written => out(&format!("wrote       {path}\n")),
            Status::Missing => {
                failed = true;
                diags.push(
                    Diagnostic::error("docs-missing", format!("{path} is missing"))
                        .chart(&r.chart)
                        .hint(format!("run `{fix}` and commit the file")),
                );
            }
            Status::Stale { diff } => {
                failed = true;
                out(diff);
                diags.push(
                    Diagnostic::error(
                        "docs-stale",
                        format!("{path} differs from what the chart generates"),
                    )
                    .chart(&r.chart)
                    .hint(format!("run `{fix}` and commit the result")),
                );
            }
            Status::HandEdited { diff } => {
                failed = true;
                if args.check {
                    out(diff);
                }
                diags.push(
                    Diagnostic::error(
                        "docs-hand-edited",
                        format!("{path} was written or edited by hand; left unchanged"),
                    )
                    .chart(&r.chart)
                    .hint(format!(
                        "move the text into {} (it can extend the built-in template) or into values.yaml comments, then run `{fix} --force`",
                        template::OVERRIDE_FILE
                    )),
                );
            }
        }
    }
    eprint!("{}", report::render(&diags, &sources, Format::Text, false));
    if failed { Exit::Failed } else { Exit::Ok }
}
