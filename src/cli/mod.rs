//! The command line: argument definitions and dispatch. Each command lives in its own module
//! and returns an [`Exit`]; nothing here knows about schemas or values beyond wiring.

mod schema;
mod validate;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;
use crate::values::{Layers, SetKind};

/// Exit codes of the CLI contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// A check failed: invalid values, stale files.
    Failed = 1,
    /// Bad invocation or unreadable input.
    BadInput = 2,
}

#[derive(Parser, Debug)]
#[command(
    name = "stackcheck",
    version,
    about = "Check Helm values before `helm install` does: generate values.schema.json for a chart and its subcharts, and validate values files with file:line:col errors.",
    long_about = "stackcheck reads a Helm chart and your values the way Helm does (YAML 1.1, merge order, --set typing, subchart scopes) and tells you exactly which line of which file is wrong.\n\nRun as a Helm plugin: `helm stackcheck values-prod.yaml`, or directly: `stackcheck validate values-prod.yaml`.",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  helm stackcheck charts/llm-stack/values-prod.yaml\n  stackcheck schema charts/llm-stack --write\n  stackcheck validate -f values.yaml --set gateway.replicas=3 -o github\n\nExit codes: 0 ok, 1 a check failed, 2 bad invocation or unreadable input."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a command: validate these values files (same as `stackcheck validate`).
    #[command(flatten)]
    default: ValidateArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate values.schema.json for a chart and every subchart from its annotated values.yaml.
    #[command(
        long_about = "Generate values.schema.json for a chart and every subchart from their values.yaml files.\n\nTypes are inferred from the default values; comments add descriptions (helm-docs `# --`, bitnami `## @param`) and JSON Schema keywords (`# @schema {minimum: 1}`), see docs/ANNOTATIONS.md. Without --write or --check the umbrella chart's schema is printed.\n\n--write updates the files atomically and never overwrites a schema that was written or edited by hand unless --force is given. --check exits 1 and prints a diff when a file is missing or stale (for CI).",
        after_help = "Examples:\n  stackcheck schema charts/llm-stack            print the umbrella schema\n  stackcheck schema charts/llm-stack --write    write every chart's values.schema.json\n  stackcheck schema charts/llm-stack --check    fail in CI when a schema is stale"
    )]
    Schema(SchemaArgs),
    /// Validate values files (and --set values) against the chart's schemas, as Helm would.
    #[command(
        long_about = "Validate values against the chart's schemas the way `helm install` does: the files and --set flags are merged in Helm's order (chart defaults, -f files left to right, then --set-json, --set, --set-string, --set-file, --set-literal), each enabled subchart is checked against its own scope, and disabled dependencies are skipped.\n\nEvery error names the file, line and column (or the --set argument) that set the offending value, what was expected, and a hint. A chart without values.schema.json is checked against the schema `stackcheck schema` would generate for it.",
        after_help = "Examples:\n  stackcheck validate charts/llm-stack/values-prod.yaml\n  stackcheck validate --chart charts/llm-stack -f a.yaml -f b.yaml --set gateway.replicas=3\n  stackcheck validate values.yaml -o sarif > stackcheck.sarif"
    )]
    Validate(ValidateArgs),
}

#[derive(Args, Debug)]
struct SchemaArgs {
    /// Chart directory (default: the current directory).
    #[arg(value_name = "CHART", default_value = ".")]
    chart: PathBuf,
    /// Write values.schema.json into the chart and every unpacked subchart.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Exit 1 with a diff when a values.schema.json is missing or differs from what would be generated.
    #[arg(long)]
    check: bool,
    /// Overwrite schemas that were written or edited by hand.
    #[arg(long, requires = "write")]
    force: bool,
}

#[derive(Args, Debug)]
struct ValidateArgs {
    /// Values files, merged left to right (before any -f files).
    #[arg(value_name = "VALUES")]
    files: Vec<PathBuf>,
    /// Chart directory or .tgz (default: the chart that contains the first values file, else `.`).
    #[arg(long, value_name = "PATH")]
    chart: Option<PathBuf>,
    /// Values file, as with helm (repeatable, merged left to right).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    values: Vec<PathBuf>,
    /// Set values as helm --set does: a.b=1,c={x,y} (numbers, true/false, null are typed).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Set string values (never typed).
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    set_string: Vec<String>,
    /// Set values from files: the file's text becomes the value.
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    set_file: Vec<String>,
    /// Set JSON values: a={"b":1}.
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    set_json: Vec<String>,
    /// Set a literal string value (commas and dots kept).
    #[arg(long = "set-literal", value_name = "KEY=VALUE")]
    set_literal: Vec<String>,
    /// Which schema to validate each chart against: its values.schema.json when present (auto),
    /// only the files (chart), or always the generated one (generated).
    #[arg(long, value_enum, default_value = "auto")]
    schema_source: SchemaSource,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    output: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
enum SchemaSource {
    #[default]
    Auto,
    Chart,
    Generated,
}

impl ValidateArgs {
    fn layers(&self) -> Layers {
        let mut sets = Vec::new();
        for (kind, args) in [
            (SetKind::Typed, &self.set),
            (SetKind::String, &self.set_string),
            (SetKind::File, &self.set_file),
            (SetKind::Json, &self.set_json),
            (SetKind::Literal, &self.set_literal),
        ] {
            sets.extend(args.iter().map(|a| (kind, a.clone())));
        }
        Layers {
            files: self.files.iter().chain(&self.values).cloned().collect(),
            sets,
        }
    }

    /// `--chart`, else the chart directory holding the first values file, else `.`.
    fn chart_dir(&self) -> PathBuf {
        if let Some(c) = &self.chart {
            return c.clone();
        }
        self.files
            .iter()
            .chain(&self.values)
            .next()
            .and_then(|f| find_chart_dir(f))
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

fn find_chart_dir(file: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(file).ok()?;
    let mut dir = abs.parent();
    while let Some(d) = dir {
        if d.join("Chart.yaml").is_file() {
            return Some(relative_to_cwd(d));
        }
        dir = d.parent();
    }
    None
}

fn relative_to_cwd(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            path.strip_prefix(&cwd).ok().map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                }
            })
        })
        .unwrap_or_else(|| path.to_path_buf())
}

/// Whether text output gets colours and snippets: a terminal, and `NO_COLOR` unset.
fn styled() -> bool {
    std::io::stdout().is_terminal() && no_color_unset()
}

/// [`styled`] for text written to stderr.
fn styled_stderr() -> bool {
    std::io::stderr().is_terminal() && no_color_unset()
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Print to stdout; a closed pipe (`| head`) ends output quietly instead of panicking.
pub(crate) fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush());
}

/// `HELM_DEBUG` (set by Helm for `--debug`) turns on progress notes on stderr.
fn debug(message: impl FnOnce() -> String) {
    if std::env::var("HELM_DEBUG").is_ok_and(|v| v == "true" || v == "1") {
        eprintln!("stackcheck: {}", message());
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Exit::BadInput as u8
            } else {
                Exit::Ok as u8
            });
        }
    };
    let exit = match cli.command {
        Some(Command::Schema(args)) => schema::run(args),
        Some(Command::Validate(args)) => validate::run(args),
        None => validate::run(cli.default),
    };
    ExitCode::from(exit as u8)
}
