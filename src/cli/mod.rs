//! The command line: argument definitions and dispatch. Each command lives in its own module:
//! it parses its arguments into a library call and prints the report, returning the report's
//! [`OutcomeClass`] or a `Failure`; [`main`] prints failures (one error printer) and chooses
//! the exit code (`exit_for`, the only place).

mod check;
mod cluster_arg;
mod completion;
mod docs;
mod post_render;
mod preflight;
mod publish;
mod schema;
mod snapshot;
mod totals;
mod validate;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::diagnostic::{Diagnostic, OutcomeClass};
use crate::release::ReleaseError;
use crate::report::{self, Format};
use crate::source::Sources;
use crate::values::{Layers, SetKind};

/// `-o` of `validate`: the report's formats, named as clap derives them (the report itself knows
/// nothing of clap).
impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Text, Format::Json, Format::Sarif, Format::Github]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let name = match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
        };
        Some(clap::builder::PossibleValue::new(name))
    }
}

/// What a command hands back: the class of the report it printed, or why it stopped.
type Outcome = Result<OutcomeClass, Failure>;

/// Exit codes of the CLI contract, the only place they are chosen.
fn exit_for(class: OutcomeClass) -> ExitCode {
    ExitCode::from(match class {
        OutcomeClass::Ok => 0,
        OutcomeClass::Failed => 1,
        OutcomeClass::BadInput => 2,
        OutcomeClass::ClusterUnreadable => 3,
    })
}

/// Why a command stopped without its report: its class and the text for stderr, printed by
/// [`main`] (the one error printer).
struct Failure {
    class: OutcomeClass,
    text: String,
}

impl Failure {
    /// `error: {message}`.
    fn message(class: OutcomeClass, message: impl std::fmt::Display) -> Failure {
        Failure::lines(class, vec![format!("error: {message}")])
    }

    /// Lines shown as they are.
    fn lines(class: OutcomeClass, lines: Vec<String>) -> Failure {
        let text = lines.into_iter().map(|l| l + "\n").collect();
        Failure { class, text }
    }

    /// Diagnostics pointing into `sources`.
    fn diagnostics(class: OutcomeClass, diagnostics: &[Diagnostic], sources: &Sources) -> Failure {
        let text = report::render(diagnostics, sources, Format::Text, styled_stderr());
        Failure { class, text }
    }
}

impl From<ReleaseError> for Failure {
    fn from(e: ReleaseError) -> Failure {
        Failure::message(e.class(), e)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "stackcheck",
    version,
    about = "Check a Helm release before `helm install` does: values against generated schemas (file:line:col errors), the resources it asks for, and whether the cluster can place every pod.",
    long_about = "stackcheck reads a Helm chart and your values the way Helm does (YAML 1.1, merge order, --set typing, subchart scopes) and tells you exactly which line of which file is wrong; adds up what the rendered release asks of the cluster as Kubernetes counts it; and places every pod on the cluster (live or a snapshot) as kube-scheduler would, saying why when one cannot go anywhere and what would make it fit.\n\nRun as a Helm plugin: `helm stackcheck values-prod.yaml` runs all three (`check`); each has its own command too.",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  helm stackcheck charts/llm-stack/values-prod.yaml --cluster tests/fixtures/clusters/gpu-lab.json\n  helm stackcheck -f values.yaml --set litellm.replicaCount=3      (the kubeconfig's cluster, if any)\n  stackcheck schema charts/llm-stack --write\n  stackcheck publish charts/llm-stack --repo oci://registry.example/charts\n  stackcheck validate -f values.yaml -o github\n\nWithout a command, --version prints stackcheck's version and --chart-version selects the chart version.\n\nExit codes: 0 ok, 1 a check failed (invalid values, does not fit, drift), 2 bad invocation or unreadable input, 3 the cluster could not be reached or read."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a command: check these values files (same as `stackcheck check`).
    #[command(flatten)]
    default: CheckArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate the values, total the resources and preflight the cluster, in one run (what `helm stackcheck VALUES...` does).
    #[command(
        long_about = "The three checks in one run, on one rendering of the release: the values against the chart's schemas (a local chart), what the release asks of the cluster (requests, limits, GPUs, storage in the steady, peak and rollout scenarios), and whether every pod can be placed on the cluster (--cluster FILE or live; without one the preflight is skipped and the report says so). Invalid values stop the run: Helm would refuse them too.",
        after_help = "Examples:
  helm stackcheck charts/llm-stack/values-prod.yaml --cluster tests/fixtures/clusters/gpu-lab.json
  helm stackcheck -f values.yaml --set litellm.replicaCount=3 --cluster live
  stackcheck check --chart oci://registry.example/charts/llm-stack --version 1.2.0 -f prod.yaml --cluster snap.json

Exit codes: 0 all good, 1 invalid values or does not fit or a finding the API server would reject, 2 bad input, 3 the cluster could not be read."
    )]
    Check(CheckArgs),
    /// Generate values.schema.json for a chart and every subchart from its annotated values.yaml.
    #[command(
        long_about = "Generate values.schema.json for a chart and every subchart from their values.yaml files.\n\nTypes are inferred from the default values; comments add descriptions (helm-docs `# --`, bitnami `## @param`) and JSON Schema keywords (`# @schema {minimum: 1}`), see docs/ANNOTATIONS.md. Without --write or --check the umbrella chart's schema is printed.\n\n--write updates the files atomically and never overwrites a schema that was written or edited by hand unless --force is given. --check exits 1 and prints a diff when a file is missing or stale (for CI).",
        after_help = "Examples:\n  stackcheck schema charts/llm-stack            print the umbrella schema\n  stackcheck schema charts/llm-stack --write    write every chart's values.schema.json\n  stackcheck schema charts/llm-stack --check    fail in CI when a schema is stale"
    )]
    Schema(SchemaArgs),
    /// Generate each chart's README.md: values table, dependencies, resources per profile.
    #[command(
        long_about = "Generate README.md for a chart and every unpacked subchart from what the chart is: Chart.yaml (versions, maintainers, dependencies with their aliases, conditions and tags), the values table (key, type, default, description; from the same comments and annotations as `stackcheck schema`, see docs/ANNOTATIONS.md) and, for every values-*.yaml profile next to the chart, the resources it asks for (rendered with `helm template` via $HELM_BIN and added up as `stackcheck totals` does), so the sizing in a README cannot disagree with the chart.\n\nThe text comes from a built-in Tera template, or from a README.md.tera in the chart directory, which can extend the built-in one (`{% extends \"stackcheck/README.md.tera\" %}`) and replace some of its blocks; --print-template shows it. Without --write or --check the top chart's README is printed.\n\n--write updates the files atomically and never overwrites a README that was written or edited by hand unless --force is given. --check exits 1 with a diff when a README is missing or stale (for CI).",
        after_help = "Examples:\n  stackcheck docs charts/llm-stack            print the umbrella README\n  stackcheck docs charts/llm-stack --write    write every chart's README.md\n  stackcheck docs charts/llm-stack --check    fail in CI when a README is stale\n\nExit codes: 0 ok, 1 a README is missing, stale or hand-edited (--check, --write), or a profile is rejected by the chart's own stale values.schema.json (regenerate the schema first), 2 bad input (not a chart, a profile `helm template` rejects, a template error)."
    )]
    Docs(DocsArgs),
    /// Package a chart for release: refused when its schema or README is stale, `helm lint --strict` fails, or its version is not above the repository's.
    #[command(
        long_about = "Package a chart (`helm package`) after checking what a release must carry, with Artifact Hub annotations derived from what the chart renders.\n\nGates (all are checked and reported together; any failing one refuses the package, exit 1): every chart's values.schema.json and README.md are current (what `stackcheck schema --check` and `stackcheck docs --check` compare); `helm lint --strict` passes; with --repo, the version in Chart.yaml is above every version of the chart already in that repository (a static repository directory or URL: its index.yaml; oci://: the registry's tags).\n\nThe chart is copied to a scratch directory; dependencies that are neither local (file://) nor already in charts/ are fetched there with `helm dependency build`. Every values profile (values.yaml and values-*.yaml next to Chart.yaml) is rendered with `helm template` and the image of every container becomes `artifacthub.io/images` (name and image, deduplicated, sorted); a LICENSE file naming Apache-2.0, MIT or MPL-2.0 becomes `artifacthub.io/license`. Annotations already in Chart.yaml are never replaced. They go into the packaged Chart.yaml only (--write-annotations also writes them into yours). `helm package` (with --sign, --key, --keyring passed through) then writes NAME-VERSION.tgz into --destination, atomically. Every Helm call uses $HELM_BIN.\n\n--dry-run checks and packages in scratch space and shows the package, its annotations and where it would go, writing nothing.",
        after_help = "Examples:\n  stackcheck package charts/llm-stack -d dist\n  stackcheck package charts/llm-stack -d dist --repo oci://registry.example/charts\n  stackcheck package charts/llm-stack -d dist --sign --key 'Release Key' --keyring ~/.gnupg/secring.gpg\n  stackcheck package charts/llm-stack --repo ./site/charts --dry-run\n\nExit codes: 0 packaged, 1 a gate refused (stale schema or README, lint, version not bumped), 2 bad input (not a chart, a profile that does not render, Helm or the repository failing)."
    )]
    Package(PackageArgs),
    /// Package a chart (every `package` gate) and publish it to a static chart repository directory or an OCI registry.
    #[command(
        long_about = "Package the chart as `stackcheck package` does, its version checked against --repo, then publish it there.\n\nA static repository is a directory a web server serves: the package (and its .prov when signed) is copied in and index.yaml is merged (`helm repo index --merge`: every existing entry kept; --url sets the download URL of the new one, else it is relative to the index), both written atomically, the package first. An OCI registry (oci://host/path) gets `helm push` (the chart lands at host/path/NAME:VERSION; log in first with `helm registry login`; --plain-http for a registry served over HTTP). An http(s):// repository URL can be checked (`package --repo URL`) but not published to.\n\nA version already in the repository is never replaced: publishing it again is refused (exit 1). --dry-run shows the package, version, annotations and what would be written where, and changes nothing.",
        after_help = "Examples:\n  stackcheck publish charts/llm-stack --repo ./site/charts --url https://charts.example.com\n  stackcheck publish charts/llm-stack --repo oci://registry.example/charts\n  stackcheck publish charts/llm-stack --repo oci://127.0.0.1:5000/charts --plain-http --dry-run\n\nExit codes: 0 published, 1 a gate refused (stale schema or README, lint, version already published or lower), 2 bad input (not a chart, an http(s) target, Helm or the repository failing)."
    )]
    Publish(PublishArgs),
    /// Validate values files (and --set values) against the chart's schemas, as Helm would.
    #[command(
        long_about = "Validate values against the chart's schemas the way `helm install` does: the files and --set flags are merged in Helm's order (chart defaults, -f files left to right, then --set-json, --set, --set-string, --set-file, --set-literal), each enabled subchart is checked against its own scope, and disabled dependencies are skipped.\n\nEvery error names the file, line and column (or the --set argument) that set the offending value, what was expected, and a hint. A chart without values.schema.json is checked against the schema `stackcheck schema` would generate for it.",
        after_help = "Examples:\n  stackcheck validate charts/llm-stack/values-prod.yaml\n  stackcheck validate --chart charts/llm-stack -f a.yaml -f b.yaml --set gateway.replicas=3\n  stackcheck validate values.yaml -o sarif > stackcheck.sarif"
    )]
    Validate(ValidateArgs),
    /// Sum what a release asks of the cluster: requests, limits, pods, GPUs and storage, per component.
    #[command(
        long_about = "Render the release with `helm template` (or read rendered manifests with --manifests) and add up what it asks of the cluster, exactly as Kubernetes counts it: each pod's effective request and limit (app containers, sidecars, init containers, pod-level resources, overhead, limits-only defaulting) times its replicas.\n\nThree scenarios side by side: steady (every workload at its replicas; an HPA clamps them into its min..max, KEDA holds its minimum), peak (every HPA/KEDA autoscaler at its maximum) and rollout (steady plus the pods a rolling update adds). Persistent storage is summed by StorageClass (StatefulSet claims per replica). Jobs, CronJobs and Helm hooks are shown apart.\n\nFindings point at the object and its template: containers without requests or limits, requests above limits, GPUs whose request differs from the limit, claims without a size, PodDisruptionBudgets that block every eviction.",
        after_help = "Examples:\n  helm stackcheck totals charts/llm-stack/values-prod.yaml\n  stackcheck totals --chart oci://registry.example/charts/llm-stack --version 1.2.0 -f prod.yaml -o json\n  kustomize build overlays/prod | stackcheck totals --manifests - -o markdown\n\nExit codes: 0 ok, 1 a finding is an error (the API server would reject an object), 2 bad input or `helm template` failed."
    )]
    Totals(TotalsArgs),
    /// Will every pod of this release be placed on the cluster? And if not, exactly why.
    #[command(
        long_about = "Place the release's pods, in Helm's install order, on a copy of the cluster with kube-scheduler's filters (resources incl. pods and every extended resource such as GPUs, cordoned and NotReady nodes, taints and tolerations, nodeSelector and node affinity, pod affinity and anti-affinity, topology spread) and its default scoring. Each pod gets a node, or the scheduler's own FailedScheduling message (`0/6 nodes are available: 2 Insufficient nvidia.com/gpu, ...`).\n\nThe cluster is read live through the Kubernetes API (--cluster live, the default when a kubeconfig context is usable; Helm's KUBECONFIG, --kube-context and HELM_KUBE* settings apply), or from a snapshot file: what `kubectl get nodes,pods,storageclasses,resourcequotas,limitranges,runtimeclasses -A -o json` prints, or `stackcheck snapshot` output. Pods already bound and not finished take their share of each node. The namespace's LimitRanges are applied to the release's containers first, as the API server would.\n\nBesides placement: GPU memory of model servers (stackcheck.dev/* annotations against nvidia.com/gpu.memory), ResourceQuotas, StorageClasses, LimitRange min/max. When something does not fit, the report says what would: the nodes to add (like which existing node, how many), or why no node of the cluster's shapes can take a pod. The per-node free resources before and after are in the report (all nodes with -o json).",
        after_help = "Examples:\n  helm stackcheck preflight charts/llm-stack/values-gpu.yaml --cluster tests/fixtures/clusters/gpu-lab.json\n  helm stackcheck preflight -f values-prod.yaml -n llm --kube-context prod\n  stackcheck preflight --manifests rendered.yaml --cluster snap.json --scenario peak -o json\n\nExit codes: 0 fits, 1 does not fit, 2 bad input, 3 the cluster could not be reached or was only partly readable (verdict unknown)."
    )]
    Preflight(PreflightArgs),
    /// A Helm post-renderer: manifests in on stdin, the same manifests out, or the install refused.
    #[command(
        name = "post-render",
        long_about = "Use as Helm's post-renderer to refuse, at `helm install`/`upgrade` time, a release the cluster cannot hold. Helm pipes the rendered manifests to stdin; stackcheck preflights them on the cluster and prints exactly the same bytes on stdout when they fit (the install goes on), or nothing on stdout, the preflight report on stderr and exit 1 when they do not (Helm stops and shows the report). Nothing in the manifests is changed.\n\nHelm does not tell a post-renderer the release's namespace: pass -n (or set HELM_NAMESPACE). A verdict of `unknown` (part of the cluster unreadable) refuses too, unless --allow-unknown.",
        after_help = "Examples (Helm v3: the post-renderer is an executable):\n  helm install llm charts/llm-stack -f values-prod.yaml -n llm \\\n    --post-renderer \"$(helm env HELM_PLUGINS)/stackcheck/bin/stackcheck\" \\\n    --post-renderer-args post-render --post-renderer-args=--cluster=snap.json --post-renderer-args=-n=llm\n\nHelm v4 (the post-renderer is a plugin; install plugins/stackcheck-post-render once):\n  helm install llm charts/llm-stack -f values-prod.yaml -n llm \\\n    --post-renderer stackcheck-post-render --post-renderer-args=--cluster=snap.json --post-renderer-args=-n=llm\n\nExit codes: 0 fits (manifests on stdout), 1 does not fit, 2 bad input, 3 cluster unreadable."
    )]
    PostRender(PostRenderArgs),
    /// Capture what the preflight reads of a cluster (live, or kubectl output) into one snapshot file.
    #[command(
        long_about = "Read the cluster through the Kubernetes API (the kubeconfig and context Helm would use: KUBECONFIG, --kube-context, HELM_KUBE* variables, exec credential plugins, in-cluster service accounts) and write what the preflight needs as one JSON file in stackcheck's ClusterSnapshot format: nodes (labels, taints, cordon, Ready, allocatable), the pods that use them (effective requests, labels, pod affinity), StorageClasses, ResourceQuotas, LimitRanges, RuntimeClasses, the server version and API groups. Nothing else: no images, commands, env values, annotations or Secrets, so the file can be shared.\n\nWith --cluster FILE it converts `kubectl get nodes,pods,storageclasses,resourcequotas,limitranges,runtimeclasses -A -o json|yaml` output instead. Lists the credentials may not read are recorded as gaps in the file (a preflight on it then says `unknown`). The output is written atomically, and an existing file that is not a stackcheck snapshot is not replaced without --force.",
        after_help = "Examples:\n  stackcheck snapshot -o prod.json                         the current kubeconfig context\n  helm stackcheck snapshot --kube-context prod -o prod.json\n  kubectl get nodes,pods,storageclasses,resourcequotas,limitranges,runtimeclasses -A -o json > k.json\n  stackcheck snapshot --cluster k.json -o prod.json        convert kubectl output\n  stackcheck preflight --manifests rendered.yaml --cluster prod.json\n\nExit codes: 0 written, 2 bad input (kubeconfig, context, snapshot file, refused overwrite), 3 the cluster could not be reached or read."
    )]
    Snapshot(SnapshotArgs),
    /// Print shell completions (bash, zsh, fish, powershell, elvish) or Helm's plugin completion.yaml.
    #[command(
        after_help = "Examples:\n  source <(stackcheck completion bash)                 this shell\n  stackcheck completion zsh > \"${fpath[1]}/_stackcheck\"\n  stackcheck completion fish > ~/.config/fish/completions/stackcheck.fish\n  stackcheck completion helm > \"$(helm env HELM_PLUGINS)/stackcheck/completion.yaml\"   helm stackcheck <TAB>"
    )]
    Completion(completion::CompletionArgs),
    /// Print the man page (roff), or write one per command with --out-dir.
    #[command(
        after_help = "Examples:\n  stackcheck man | man -l -\n  stackcheck man --out-dir ~/.local/share/man/man1"
    )]
    Man(completion::ManArgs),
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
struct DocsArgs {
    /// Chart directory (default: the current directory).
    #[arg(value_name = "CHART", default_value = ".")]
    chart: PathBuf,
    /// Write README.md into the chart and every unpacked subchart.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Exit 1 with a diff when a README.md is missing or differs from what would be generated.
    #[arg(long)]
    check: bool,
    /// Overwrite READMEs that were written or edited by hand.
    #[arg(long, requires = "write")]
    force: bool,
    /// Print the built-in template (to start a chart's own README.md.tera) and exit.
    #[arg(long, conflicts_with_all = ["write", "check"])]
    print_template: bool,
}

/// What `package` and `publish` share: signing, registry transport, annotations, dry run.
#[derive(Args, Debug)]
struct PackageFlags {
    /// Sign the package (`helm package --sign`): needs --key and --keyring.
    #[arg(long, requires_all = ["key", "keyring"])]
    sign: bool,
    /// Name of the signing key (`helm package --key`).
    #[arg(long, value_name = "NAME", requires = "sign")]
    key: Option<String>,
    /// Keyring holding the signing key (`helm package --keyring`).
    #[arg(long, value_name = "FILE", requires = "sign")]
    keyring: Option<PathBuf>,
    /// File holding the key's passphrase (`helm package --passphrase-file`).
    #[arg(long, value_name = "FILE", requires = "sign")]
    passphrase_file: Option<PathBuf>,
    /// Also write the derived Artifact Hub annotations into the chart's own Chart.yaml.
    #[arg(long)]
    write_annotations: bool,
    /// Check and package in scratch space, show what would be written where, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// The OCI registry is served over plain HTTP (Helm's --plain-http).
    #[arg(long)]
    plain_http: bool,
    /// Do not verify the repository's TLS certificate (Helm's --insecure-skip-tls-verify).
    #[arg(long)]
    insecure_skip_tls_verify: bool,
    /// CA bundle for the repository's TLS certificate (Helm's --ca-file).
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct PackageArgs {
    /// Chart directory (default: the current directory).
    #[arg(value_name = "CHART", default_value = ".")]
    chart: PathBuf,
    /// Directory to write NAME-VERSION.tgz into (created when missing).
    #[arg(short = 'd', long, value_name = "DIR", default_value = ".")]
    destination: PathBuf,
    /// Repository the chart is going to: its version must be above every version there.
    #[arg(long, value_name = "DIR|URL|oci://HOST/PATH")]
    repo: Option<String>,
    #[command(flatten)]
    flags: PackageFlags,
}

#[derive(Args, Debug)]
struct PublishArgs {
    /// Chart directory (default: the current directory).
    #[arg(value_name = "CHART", default_value = ".")]
    chart: PathBuf,
    /// Where to publish: a static repository directory, or oci://HOST/PATH.
    #[arg(long, value_name = "DIR|oci://HOST/PATH")]
    repo: String,
    /// Base URL of a static repository, for the new entry of index.yaml (default: relative).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Also keep NAME-VERSION.tgz in this directory.
    #[arg(short = 'd', long, value_name = "DIR")]
    destination: Option<PathBuf>,
    #[command(flatten)]
    flags: PackageFlags,
}

/// Values files and the `--set` family, as Helm takes them.
#[derive(Args, Debug, Clone, Default)]
struct ValueFlags {
    /// Values files, merged left to right (before any -f files).
    #[arg(value_name = "VALUES")]
    files: Vec<PathBuf>,
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
}

#[derive(Args, Debug)]
struct ValidateArgs {
    #[command(flatten)]
    values: ValueFlags,
    /// Chart directory or .tgz (default: the chart that contains the first values file, else `.`).
    #[arg(long, value_name = "PATH")]
    chart: Option<PathBuf>,
    /// Which schema to validate each chart against: its values.schema.json when present (auto),
    /// only the files (chart), or always the generated one (generated).
    #[arg(long, value_enum, default_value = "auto")]
    schema_source: SchemaSource,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    output: Format,
}

/// Output formats of `totals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TotalsFormat {
    Text,
    Json,
    Markdown,
}

/// Which release to look at: a chart rendered with `helm template`, or manifests rendered
/// elsewhere. Shared by `totals` and `preflight`.
#[derive(Args, Debug)]
struct ReleaseArgs {
    #[command(flatten)]
    values: ValueFlags,
    /// Chart: directory, .tgz, repo/chart or oci:// reference (default: the chart that contains
    /// the first values file, else `.`).
    #[arg(long, value_name = "REF", conflicts_with = "manifests")]
    chart: Option<String>,
    /// Chart version, for repository and OCI charts.
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    /// Read rendered manifests from FILE (`-` for stdin) instead of running `helm template`:
    /// works for kustomize output and plain YAML too.
    #[arg(long, value_name = "FILE")]
    manifests: Option<PathBuf>,
    /// Release name passed to `helm template`.
    #[arg(long, default_value = "release-name")]
    release: String,
    /// Namespace of the release (default: $HELM_NAMESPACE, else `default`).
    #[arg(short = 'n', long, env = "HELM_NAMESPACE", hide_env = true)]
    namespace: Option<String>,
    /// Kubernetes version reported to templates (`helm template --kube-version`).
    #[arg(long, value_name = "VERSION")]
    kube_version: Option<String>,
    /// API versions reported to templates (`helm template --api-versions`), repeatable.
    #[arg(short = 'a', long = "api-versions", value_name = "GROUP/VERSION")]
    api_versions: Vec<String>,
    /// Fetch an oci:// chart over plain HTTP (`helm template --plain-http`).
    #[arg(long)]
    plain_http: bool,
}

#[derive(Args, Debug)]
struct TotalsArgs {
    #[command(flatten)]
    release: ReleaseArgs,
    /// Nodes each DaemonSet runs on (no cluster is read: one pod per DaemonSet by default).
    #[arg(long, value_name = "N", default_value_t = 1)]
    daemonset_nodes: u64,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    output: TotalsFormat,
}

/// Output formats of `preflight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PreflightFormat {
    Text,
    Json,
}

/// `--scenario`: which pods to place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ScenarioArg {
    Steady,
    Peak,
    Rollout,
}

impl From<ScenarioArg> for crate::totals::Scenario {
    fn from(s: ScenarioArg) -> Self {
        match s {
            ScenarioArg::Steady => crate::totals::Scenario::Steady,
            ScenarioArg::Peak => crate::totals::Scenario::Peak,
            ScenarioArg::Rollout => crate::totals::Scenario::Rollout,
        }
    }
}

#[derive(Args, Debug)]
struct PreflightArgs {
    #[command(flatten)]
    release: ReleaseArgs,
    #[command(flatten)]
    cluster: cluster_arg::ClusterArgs,
    /// Which pods to place: steady state, every autoscaler at its maximum, or a rolling update.
    #[arg(long, value_enum, default_value = "steady")]
    scenario: ScenarioArg,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    output: PreflightFormat,
}

#[derive(Args, Debug)]
struct SnapshotArgs {
    #[command(flatten)]
    cluster: cluster_arg::ClusterArgs,
    /// Where to write the snapshot (`-`: stdout); written atomically.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE|-",
        default_value = "-"
    )]
    output: PathBuf,
    /// Replace an existing file that is not a stackcheck snapshot.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    release: ReleaseArgs,
    #[command(flatten)]
    cluster: cluster_arg::ClusterArgs,
    /// Which pods to place: steady state, every autoscaler at its maximum, or a rolling update.
    #[arg(long, value_enum, default_value = "steady")]
    scenario: ScenarioArg,
    /// Which schema to validate each chart against (see `stackcheck validate --help`).
    #[arg(long, value_enum, default_value = "auto")]
    schema_source: SchemaSource,
}

#[derive(Args, Debug)]
struct PostRenderArgs {
    #[command(flatten)]
    cluster: cluster_arg::ClusterArgs,
    /// Namespace of the release (Helm does not pass it to post-renderers; default: $HELM_NAMESPACE, else `default`).
    #[arg(short = 'n', long, env = "HELM_NAMESPACE", hide_env = true)]
    namespace: Option<String>,
    /// Release name, for the report (default: the `app.kubernetes.io/instance` label of the objects; Helm does not pass the name to post-renderers).
    #[arg(long)]
    release: Option<String>,
    /// Which pods to place: steady state, every autoscaler at its maximum, or a rolling update.
    #[arg(long, value_enum, default_value = "steady")]
    scenario: ScenarioArg,
    /// Let the install go on when part of the cluster could not be read (verdict `unknown`).
    #[arg(long)]
    allow_unknown: bool,
    /// Also write the preflight report (text) to FILE, whatever the verdict: Helm v4 discards a
    /// post-renderer plugin's stderr, so in CI this is where the reasons are.
    #[arg(long, value_name = "FILE")]
    report_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
enum SchemaSource {
    #[default]
    Auto,
    Chart,
    Generated,
}

impl ValueFlags {
    /// Helm's argument habits, said in our terms before Helm's raw errors would be: a chart
    /// where a values file goes (`totals charts/x -f v.yaml`, as `helm template CHART` takes it)
    /// and a release name first (`totals llm charts/x`, as `helm install NAME CHART`).
    fn helm_habits(&self) -> Result<(), Failure> {
        let is_chart = |f: &Path| {
            f.join("Chart.yaml").is_file()
                || (f.is_file() && f.extension().is_some_and(|e| e == "tgz"))
                || f.to_str().is_some_and(|s| s.starts_with("oci://"))
        };
        let Some(chart) = self.all_files().find(|f| is_chart(f)) else {
            return Ok(());
        };
        let shown = chart.display();
        let mut lines = vec![
            format!("error: {shown} is a chart, not a values file"),
            format!(
                "  = hint: give the chart with --chart {shown}; values files are the arguments and -f (Helm's `helm template CHART -f VALUES` order does not apply)"
            ),
        ];
        // `NAME CHART`: a first argument that is no file, before the chart.
        if let Some(name) = self.files.first().filter(|f| *f != chart && !f.exists())
            && self.files.get(1) == Some(chart)
        {
            lines.push(format!(
                "  = hint: `{}` looks like a release name, as `helm install NAME CHART` takes it: give it with --release {}",
                name.display(),
                name.display()
            ));
        }
        Err(Failure::lines(OutcomeClass::BadInput, lines))
    }

    /// The `--set` family, each kind with its arguments.
    fn sets(&self) -> [(SetKind, &Vec<String>); 5] {
        [
            (SetKind::Typed, &self.set),
            (SetKind::String, &self.set_string),
            (SetKind::File, &self.set_file),
            (SetKind::Json, &self.set_json),
            (SetKind::Literal, &self.set_literal),
        ]
    }

    fn layers(&self) -> Layers {
        let sets = self
            .sets()
            .into_iter()
            .flat_map(|(kind, args)| args.iter().map(move |a| (kind, a.clone())));
        Layers {
            files: self.all_files().cloned().collect(),
            sets: sets.collect(),
        }
    }

    /// The chart directory holding the first values file.
    fn chart_dir(&self) -> Option<PathBuf> {
        self.all_files().next().and_then(|f| find_chart_dir(f))
    }

    /// Positional files, then `-f` files, in merge order.
    fn all_files(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.iter().chain(&self.values)
    }

    /// The same flags for `helm template`, in Helm's own spelling.
    fn helm_args(&self) -> Vec<std::ffi::OsString> {
        let files = self.all_files().flat_map(|f| ["--values".into(), f.into()]);
        let sets = self.sets().into_iter().flat_map(|(kind, args)| {
            args.iter()
                .flat_map(move |a| [kind.flag().into(), a.into()])
        });
        files.chain(sets).collect()
    }
}

impl ValidateArgs {
    /// `--chart`, else the chart directory holding the first values file, else `.`.
    fn chart_dir(&self) -> PathBuf {
        self.chart
            .clone()
            .or_else(|| self.values.chart_dir())
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

/// The command line, with one adjustment derive cannot express: without a subcommand, `--version`
/// prints stackcheck's version (as it always has), so the chart version of the bare form is
/// spelled `--chart-version` there (`stackcheck check --version` keeps Helm's spelling).
fn command() -> clap::Command {
    Cli::command()
        .disable_version_flag(true)
        .mut_arg("version", |a| a.long("chart-version"))
        .arg(
            clap::Arg::new("print-version")
                .short('V')
                .long("version")
                .action(clap::ArgAction::Version)
                .help("Print version"),
        )
}

fn parse() -> Result<Cli, clap::Error> {
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(std::env::args_os())?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

pub fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return exit_for(if e.use_stderr() {
                OutcomeClass::BadInput
            } else {
                OutcomeClass::Ok
            });
        }
    };
    let outcome = match cli.command {
        Some(Command::Schema(args)) => schema::run(args),
        Some(Command::Docs(args)) => docs::run(args),
        Some(Command::Package(args)) => publish::run_package(args),
        Some(Command::Publish(args)) => publish::run_publish(args),
        Some(Command::Validate(args)) => validate::run(args),
        Some(Command::Totals(args)) => totals::run(args),
        Some(Command::Preflight(args)) => preflight::run(args),
        Some(Command::Snapshot(args)) => snapshot::run(args),
        Some(Command::PostRender(args)) => post_render::run(args),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Completion(args)) => completion::completion(args),
        Some(Command::Man(args)) => completion::man(args),
        None => check::run(cli.default),
    };
    exit_for(outcome.unwrap_or_else(|failure| {
        eprint!("{}", failure.text);
        failure.class
    }))
}
