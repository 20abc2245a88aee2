//! `--cluster live|none|FILE` and the Kubernetes connection flags, shared by `preflight` and
//! `snapshot`. The flags and their `HELM_*` variables are Helm's own (`pkg/cli/environment.go`),
//! so `helm stackcheck` talks to the cluster `helm install` would.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args};

use super::{Failure, styled_stderr};
use crate::cluster::live::{self, Env, LiveOptions, Progress};
use crate::cluster::read_snapshot;
use crate::diagnostic::{Diagnostic, OutcomeClass};
use crate::release::LoadedCluster;
use crate::report::Format;
use crate::source::Sources;

#[derive(Args, Debug, Clone)]
pub(super) struct ClusterArgs {
    /// The cluster: `live` (the Kubernetes API, through the kubeconfig), `none`, or a snapshot
    /// FILE (`kubectl get nodes,pods,storageclasses,resourcequotas,limitranges,runtimeclasses -A
    /// -o json|yaml`, or `stackcheck snapshot` output; repeatable, later files add to earlier
    /// ones). Default: live when a kubeconfig context is usable, else none.
    #[arg(long = "cluster", value_name = "live|none|FILE")]
    cluster: Vec<PathBuf>,
    /// Kubeconfig file (default: $KUBECONFIG, a list of files, else ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: its current-context).
    #[arg(long = "kube-context", value_name = "NAME", env = "HELM_KUBECONTEXT")]
    kube_context: Option<String>,
    /// The API server's address, overriding the kubeconfig's.
    #[arg(
        long = "kube-apiserver",
        value_name = "URL",
        env = "HELM_KUBEAPISERVER"
    )]
    kube_apiserver: Option<String>,
    /// Bearer token, instead of the kubeconfig user's credentials.
    #[arg(
        long = "kube-token",
        value_name = "TOKEN",
        env = "HELM_KUBETOKEN",
        hide_env_values = true
    )]
    kube_token: Option<String>,
    /// CA certificate file for the API server, overriding the kubeconfig's.
    // Not a PathBuf parser: Helm sets HELM_KUBECAFILE empty for plugins when the flag is unset.
    #[arg(
        long = "kube-ca-file",
        value_name = "FILE",
        env = "HELM_KUBECAFILE",
        value_parser = clap::builder::OsStringValueParser::new()
    )]
    kube_ca_file: Option<std::ffi::OsString>,
    /// Do not verify the API server's certificate (test clusters only).
    #[arg(
        long = "kube-insecure-skip-tls-verify",
        env = "HELM_KUBEINSECURE_SKIP_TLS_VERIFY",
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "false",
        hide_default_value = true,
        value_parser = parse_go_bool
    )]
    kube_insecure_skip_tls_verify: bool,
    /// Server name to check the API server's certificate against.
    #[arg(
        long = "kube-tls-server-name",
        value_name = "NAME",
        env = "HELM_KUBETLS_SERVER_NAME"
    )]
    kube_tls_server_name: Option<String>,
    /// Impersonate this user (as `helm --kube-as-user`; needs the `impersonate` permission).
    #[arg(long = "kube-as-user", value_name = "USER", env = "HELM_KUBEASUSER")]
    kube_as_user: Option<String>,
    /// Impersonate this group (repeatable; `HELM_KUBEASGROUPS` is comma-separated, as Helm sets it).
    #[arg(
        long = "kube-as-group",
        value_name = "GROUP",
        env = "HELM_KUBEASGROUPS",
        value_delimiter = ','
    )]
    kube_as_group: Vec<String>,
    /// Timeout for connecting and for each API request (`30s`, `1m`; `0`: none).
    #[arg(
        long = "request-timeout",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = parse_timeout
    )]
    request_timeout: Duration,
    /// First retry delay on 429/5xx (tests shorten it).
    #[arg(long, hide = true, default_value = "500ms", value_parser = parse_timeout)]
    retry_backoff: Duration,
    /// Items per list page.
    #[arg(long, hide = true, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    page_size: u32,
}

/// What `--cluster` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Choice {
    Live,
    None,
    Files(Vec<PathBuf>),
}

impl ClusterArgs {
    pub(super) fn live_options(&self) -> LiveOptions {
        LiveOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.kube_context.clone(),
            api_server: self.kube_apiserver.clone(),
            token: self.kube_token.clone(),
            ca_file: self
                .kube_ca_file
                .clone()
                .filter(|f| !f.is_empty())
                .map(PathBuf::from),
            insecure_skip_tls_verify: self.kube_insecure_skip_tls_verify,
            // Helm sets these variables empty for plugins when its flags are unset.
            tls_server_name: self.kube_tls_server_name.clone().filter(|s| !s.is_empty()),
            as_user: self.kube_as_user.clone().filter(|s| !s.is_empty()),
            as_groups: self
                .kube_as_group
                .iter()
                .filter(|g| !g.is_empty())
                .cloned()
                .collect(),
            timeout: self.request_timeout,
            backoff_base: self.retry_backoff,
            page_size: self.page_size,
        }
    }

    /// `None` when `--cluster` is not given.
    fn choice(&self) -> Result<Option<Choice>, KeywordNotAlone> {
        let keyword = |p: &PathBuf| match p.to_str() {
            Some("live") => Some(Choice::Live),
            Some("none") => Some(Choice::None),
            _ => None,
        };
        match self.cluster.as_slice() {
            [] => Ok(None),
            [one] if keyword(one).is_some() => Ok(keyword(one)),
            many => match many.iter().find_map(keyword) {
                Some(_) => Err(KeywordNotAlone {
                    given: many
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
                None => Ok(Some(Choice::Files(many.to_vec()))),
            },
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "--cluster live and --cluster none stand alone; they cannot be combined with other --cluster values (given: {given}). A file named `live` is `./live`"
)]
pub(super) struct KeywordNotAlone {
    given: String,
}

/// Read the cluster `args` ask for: `Ok(None)` for `none`. Failing is bad input (a snapshot
/// file or kubeconfig that cannot be read, a context that does not exist) or a cluster that
/// cannot be reached or read.
pub(super) fn load(
    args: &ClusterArgs,
    sources: &mut Sources,
) -> Result<Option<LoadedCluster>, Failure> {
    let opts = args.live_options();
    let env = Env::from_process();
    let choice = match args.choice() {
        Ok(Some(c)) => c,
        Ok(None) => match live::detect(&opts, &env) {
            Ok(Ok(description)) => {
                eprintln!("note: no --cluster given, so the cluster is {description}");
                Choice::Live
            }
            Ok(Err(why)) => {
                eprintln!(
                    "note: no --cluster given and no cluster configured ({why}): going on without one (--cluster none)"
                );
                Choice::None
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => return Err(Failure::message(OutcomeClass::BadInput, e)),
    };
    match choice {
        Choice::None => Ok(None),
        Choice::Files(paths) => match read_snapshot(sources, &paths) {
            Ok((cluster, diagnostics)) => Ok(Some(LoadedCluster {
                cluster,
                diagnostics,
                description: paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                context: None,
            })),
            Err(e) => Err(Failure::message(OutcomeClass::BadInput, e)),
        },
        Choice::Live => {
            let mut indicator = ProgressLine::new(std::io::stderr().is_terminal());
            match live::read(&opts, &env, sources, &mut |p| indicator.show(p)) {
                Ok(read) => Ok(Some(LoadedCluster {
                    cluster: read.cluster,
                    diagnostics: read.diagnostics,
                    description: read.description,
                    context: Some(read.context),
                })),
                Err(e) => Err(e.into()),
            }
        }
    }
}

impl From<live::LiveError> for Failure {
    fn from(e: live::LiveError) -> Failure {
        let class = if e.is_bad_input() {
            OutcomeClass::BadInput
        } else {
            OutcomeClass::ClusterUnreadable
        };
        Failure::message(class, e)
    }
}

/// Diagnostics of reading the cluster, for commands that print nothing else on stderr.
pub(super) fn print_diagnostics(diagnostics: &[Diagnostic], sources: &Sources) {
    if !diagnostics.is_empty() {
        eprint!(
            "{}",
            crate::report::render(diagnostics, sources, Format::Text, styled_stderr())
        );
    }
}

/// `reading pods… 12,500 of 40,000` on one line of a terminal's stderr; nothing elsewhere.
struct ProgressLine {
    tty: bool,
    shown: bool,
}

impl ProgressLine {
    fn new(tty: bool) -> Self {
        ProgressLine { tty, shown: false }
    }

    fn show(&mut self, p: Progress<'_>) {
        if !self.tty {
            return;
        }
        match p {
            Progress::Reading { what, read, total } => {
                let of = total.map_or(String::new(), |t| format!(" of {}", thousands(t)));
                eprint!("\r\x1b[2Kreading {what}… {}{of}", thousands(read as u64));
                self.shown = true;
            }
            Progress::Done if self.shown => {
                eprint!("\r\x1b[2K");
                self.shown = false;
            }
            Progress::Done => {}
        }
    }
}

/// `12500` → `12,500`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Helm reads `HELM_KUBEINSECURE_SKIP_TLS_VERIFY` with Go's `strconv.ParseBool` and takes
/// anything it does not parse as false.
fn parse_go_bool(value: &str) -> Result<bool, std::convert::Infallible> {
    Ok(live::go_bool(value))
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {0:?}: use a number with a unit, e.g. 30s, 2m, 1m30s, 500ms")]
struct BadDuration(String);

/// `--request-timeout` as kubectl reads it (client-go's `clientcmd` `ParseTimeout`): a bare
/// integer is seconds, else a Go duration (`30s`, `1m30s`, `1.5s`, `500ms`); `0` means none.
fn parse_timeout(value: &str) -> Result<Duration, BadDuration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let bad = || BadDuration(value.to_string());
    if value.is_empty() || value.starts_with('-') {
        return Err(bad());
    }
    let mut rest = value.strip_prefix('+').unwrap_or(value);
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total += number * nanos_per_unit;
    }
    if !total.is_finite() || total > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        cluster: ClusterArgs,
    }

    fn parse(args: &[&str]) -> ClusterArgs {
        Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .unwrap()
            .cluster
    }

    #[test]
    fn timeouts_as_kubectl_reads_them() {
        let s = Duration::from_secs;
        assert_eq!(parse_timeout("30s"), Ok(s(30)));
        assert_eq!(parse_timeout("0"), Ok(Duration::ZERO));
        assert_eq!(parse_timeout("45"), Ok(s(45)), "a bare integer is seconds");
        assert_eq!(parse_timeout("1m30s"), Ok(s(90)));
        assert_eq!(parse_timeout("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("2h"), Ok(s(7200)));
        for bad in ["", "-1s", "10 s", "1d", "s", "1.2.3s", "abc"] {
            assert!(parse_timeout(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cluster_choice() {
        assert_eq!(parse(&[]).choice(), Ok(None));
        assert_eq!(
            parse(&["--cluster", "live"]).choice(),
            Ok(Some(Choice::Live))
        );
        assert_eq!(
            parse(&["--cluster", "none"]).choice(),
            Ok(Some(Choice::None))
        );
        assert_eq!(
            parse(&["--cluster", "a.json", "--cluster", "./live"]).choice(),
            Ok(Some(Choice::Files(vec!["a.json".into(), "./live".into()])))
        );
        assert!(
            parse(&["--cluster", "live", "--cluster", "a.json"])
                .choice()
                .is_err()
        );
    }

    #[test]
    fn flags_fill_the_live_options() {
        let o = parse(&[
            "--kubeconfig",
            "k.yaml",
            "--kube-context",
            "prod",
            "--kube-apiserver",
            "https://10.0.0.1:6443",
            "--kube-token",
            "t",
            "--kube-ca-file",
            "ca.pem",
            "--kube-insecure-skip-tls-verify",
            "--request-timeout",
            "5s",
        ])
        .live_options();
        assert_eq!(
            o.kubeconfig.as_deref(),
            Some(std::path::Path::new("k.yaml"))
        );
        assert_eq!(o.context.as_deref(), Some("prod"));
        assert_eq!(o.api_server.as_deref(), Some("https://10.0.0.1:6443"));
        assert_eq!(o.token.as_deref(), Some("t"));
        assert_eq!(o.ca_file.as_deref(), Some(std::path::Path::new("ca.pem")));
        assert!(o.insecure_skip_tls_verify);
        assert_eq!(o.timeout, Duration::from_secs(5));
        let o = parse(&["--kube-insecure-skip-tls-verify=false"]).live_options();
        assert!(!o.insecure_skip_tls_verify);
        // (Fields with a HELM_* variable are left out: the test's environment may set them.)
        let (o, d) = (parse(&[]).live_options(), LiveOptions::default());
        assert_eq!(o.kubeconfig, None);
        assert_eq!(
            (o.timeout, o.backoff_base, o.page_size),
            (d.timeout, d.backoff_base, d.page_size)
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12_500), "12,500");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
