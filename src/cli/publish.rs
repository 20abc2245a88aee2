//! `stackcheck package` and `stackcheck publish`: gates, package, publish; the report on
//! stdout, refusals and errors on stderr.

use super::{Failure, Outcome, PackageArgs, PackageFlags, PublishArgs, debug, out};
use crate::diagnostic::{Code, Diagnostic, OutcomeClass};
use crate::publish::{
    self, Dependencies, Helm, Options, Origin, Package, PublishError, Published, Signing, Target,
    Transport,
};
use crate::render::HelmTemplate;
use crate::report::{self, Format};
use crate::source::Sources;

pub(super) fn run_package(args: PackageArgs) -> Outcome {
    let opts = options(
        args.chart,
        Some(args.destination),
        args.repo.as_deref(),
        &args.flags,
    );
    debug(|| {
        format!(
            "packaging {} with {}",
            opts.chart.display(),
            opts.helm.bin.display()
        )
    });
    match publish::package(&opts) {
        Ok(package) => {
            report_package(&package, &opts);
            if opts.dry_run {
                out(&format!(
                    "dry run: would write {}\n",
                    opts.destination
                        .as_deref()
                        .unwrap_or(std::path::Path::new("."))
                        .join(file_name(&package))
                        .display()
                ));
            }
            Ok(OutcomeClass::Ok)
        }
        Err(e) => failure(e),
    }
}

pub(super) fn run_publish(args: PublishArgs) -> Outcome {
    let opts = options(args.chart, args.destination, Some(&args.repo), &args.flags);
    debug(|| format!("publishing {} to {}", opts.chart.display(), args.repo));
    match publish::publish(&opts, args.url.as_deref()) {
        Ok((package, published)) => {
            report_package(&package, &opts);
            match published {
                Published::DryRun { actions } => {
                    out("dry run: nothing was written; publishing would\n");
                    for a in actions {
                        out(&format!("  {a}\n"));
                    }
                }
                Published::Dir { file, entries } => out(&format!(
                    "published   {} ({entries} version(s) in {})\n",
                    file.display(),
                    file.with_file_name("index.yaml").display()
                )),
                Published::Oci { reference, digest } => {
                    out(&format!("published   {reference}"));
                    if !digest.is_empty() {
                        out(&format!(" ({digest})"));
                    }
                    out("\n");
                }
            }
            Ok(OutcomeClass::Ok)
        }
        Err(e) => failure(e),
    }
}

fn options(
    chart: std::path::PathBuf,
    destination: Option<std::path::PathBuf>,
    repo: Option<&str>,
    flags: &PackageFlags,
) -> Options {
    Options {
        chart,
        helm: Helm {
            bin: HelmTemplate::helm_from_env(),
        },
        transport: Transport {
            plain_http: flags.plain_http,
            insecure_skip_tls_verify: flags.insecure_skip_tls_verify,
            ca_file: flags.ca_file.clone(),
        },
        target: repo.map(Target::parse),
        destination,
        sign: match (&flags.key, &flags.keyring) {
            (Some(key), Some(keyring)) if flags.sign => Some(Signing {
                key: key.clone(),
                keyring: keyring.clone(),
                passphrase_file: flags.passphrase_file.clone(),
            }),
            _ => None,
        },
        write_annotations: flags.write_annotations,
        dry_run: flags.dry_run,
    }
}

fn file_name(package: &Package) -> String {
    package
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The gates passed, the dependencies, the annotations and the package.
fn report_package(package: &Package, opts: &Options) {
    let mut text = String::new();
    text.push_str(&format!(
        "chart       {} {}\n",
        package.name, package.version
    ));
    text.push_str("gate        schema: every values.schema.json is current\n");
    text.push_str("gate        docs: every README.md is current\n");
    text.push_str("gate        lint: helm lint --strict passes\n");
    if let Some(target) = &opts.target {
        text.push_str(&match &package.published {
            Some(p) => format!(
                "gate        version: {} is above {p}, the highest in {}\n",
                package.version,
                target.display()
            ),
            None => format!(
                "gate        version: {} has no version of {} yet\n",
                target.display(),
                package.name
            ),
        });
    }
    text.push_str(match package.dependencies {
        Dependencies::None => "deps        none\n",
        Dependencies::Vendored => "deps        all in charts/ (no download)\n",
        Dependencies::Built => "deps        fetched with helm dependency build\n",
    });
    for a in &package.annotations {
        let how = match &a.origin {
            Origin::Derived(from) => format!("added, from {from}"),
            Origin::Kept => "kept as written in Chart.yaml".to_string(),
        };
        text.push_str(&format!("annotation  {} ({how})\n", a.key));
        for line in a.value.lines() {
            text.push_str(&format!("              {line}\n"));
        }
    }
    if package.chart_yaml_written {
        text.push_str(&format!(
            "wrote       {} (the added annotations)\n",
            opts.chart.join("Chart.yaml").display()
        ));
    }
    let verb = if opts.dry_run || opts.destination.is_none() {
        "package    "
    } else {
        "packaged   "
    };
    text.push_str(&format!(
        "{verb} {} ({} bytes, sha256:{})\n",
        if opts.dry_run || opts.destination.is_none() {
            file_name(package)
        } else {
            package.file.display().to_string()
        },
        package.size,
        package.sha256
    ));
    if let Some(p) = &package.prov {
        text.push_str(&format!("signed      {}\n", p.display()));
    }
    out(&text);
}

/// Refusals are the report of a failed check: the diffs and Helm's findings on stdout, one
/// error per refusal on stderr. Anything else stops the command.
fn failure(e: PublishError) -> Outcome {
    let sources = Sources::new();
    match e {
        PublishError::Refused(refusals) => {
            let mut diags = Vec::new();
            for r in &refusals {
                if let Some(d) = &r.detail {
                    out(d);
                }
                diags.push(
                    Diagnostic::error(r.gate.code(), r.message.clone())
                        .chart(&r.chart)
                        .hint(r.hint.clone()),
                );
            }
            eprint!("{}", report::render(&diags, &sources, Format::Text, false));
            eprintln!(
                "refusing to package: {} gate(s) failed ({})",
                refusals.len(),
                refusals
                    .iter()
                    .map(|r| r.gate.name())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(OutcomeClass::Failed)
        }
        other => {
            let mut diag = Diagnostic::error(Code::Publish, other.to_string());
            if let Some(h) = other.hint() {
                diag = diag.hint(h);
            }
            Err(Failure::diagnostics(
                OutcomeClass::BadInput,
                &[diag],
                &sources,
            ))
        }
    }
}
