//! Findings with where they are: [`Diagnostic`], its [`Severity`] and its rule [`Code`]. Every
//! stage reports through these and the renderers in `report` show them; this module sits below
//! both, so no stage depends on how its findings are shown.

use std::fmt;

use serde::Serialize;

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// Declares [`Code`] and the stable name each rule is shown with.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// Stable short name of a rule (`type`, `unknown-key`, `yaml`...), for filtering in CI.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($(#[$doc])* $variant,)* }

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }
        }
    };
}

codes! {
    // Reading input: values layers, charts, YAML.
    Input = "input", Set = "set", Yaml = "yaml", Chart = "chart", Annotation = "annotation",
    // Values against schemas.
    Type = "type", UnknownKey = "unknown-key", Required = "required", Enum = "enum",
    Quantity = "quantity", Range = "range", Size = "size", Pattern = "pattern", Format = "format",
    Const = "const", Combinator = "combinator", Schema = "schema", SubchartScope = "subchart-scope",
    Shape = "shape", GeneratedSchema = "generated-schema", Disabled = "disabled",
    // Generated files (`schema`, `docs`, `package`, `publish`).
    SchemaMissing = "schema-missing", SchemaStale = "schema-stale",
    SchemaHandEdited = "schema-hand-edited", Docs = "docs", DocsMissing = "docs-missing",
    DocsStale = "docs-stale", DocsHandEdited = "docs-hand-edited", DocsTotals = "docs-totals",
    PackageSchema = "package-schema", PackageDocs = "package-docs", PackageLint = "package-lint",
    PackageVersion = "package-version", Publish = "publish",
    // Rendered manifests and totals.
    Manifest = "manifest", NotAnObject = "not-an-object", PodSpec = "pod-spec",
    NoRequests = "no-requests", NoLimits = "no-limits", NoResources = "no-resources",
    RequestAboveLimit = "request-above-limit", ExtendedResource = "extended-resource",
    ClaimSize = "claim-size", RolloutStrategy = "rollout-strategy", Replicas = "replicas",
    PdbBlocksEviction = "pdb-blocks-eviction", PodSlots = "pod-slots",
    // Cluster snapshots and live reads.
    SnapshotJson = "snapshot-json", SnapshotObject = "snapshot-object",
    SnapshotDocuments = "snapshot-documents", SnapshotDuplicate = "snapshot-duplicate",
    SnapshotIgnored = "snapshot-ignored", SnapshotPods = "snapshot-pods",
    SnapshotVersion = "snapshot-version", LiveApi = "live-api", LiveDiscovery = "live-discovery",
    // Preflight checks.
    LimitRange = "limit-range", Quota = "quota", StorageClass = "storage-class",
    GpuMemory = "gpu-memory", GpuAnnotation = "gpu-annotation",
    GpuNodeUntainted = "gpu-node-untainted", TensorParallel = "tensor-parallel",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Tests (and filters) compare a code with the name users see.
impl PartialEq<&str> for Code {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// One finding, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Values path (`gateway.replicas`), when the finding is about a value.
    pub path: Option<String>,
    pub span: Option<Span>,
    /// When `span` is a YAML alias (`*name`) that copies the offending value: where the value
    /// is written, inside the anchored node.
    pub anchor: Option<Span>,
    /// The chart whose schema or files the finding concerns.
    pub chart: Option<String>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            path: None,
            span: None,
            anchor: None,
            chart: None,
            hint: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn note(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    /// Point at `span`; when it is an alias, `written` is the anchored text it copies.
    pub fn at_alias(mut self, span: Option<Span>, written: Option<Span>) -> Self {
        self.span = span;
        self.anchor = written.filter(|w| Some(*w) != span);
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn chart(mut self, chart: impl Into<String>) -> Self {
        self.chart = Some(chart.into());
        self
    }
}

/// How a run ended, in the classes of the command-line contract (`cli` maps each to its exit
/// code). Stages and error types say which class they are; none of them knows the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutcomeClass {
    Ok,
    /// A check failed: invalid values, does not fit, a stale file, a finding the API server
    /// would reject.
    Failed,
    /// The cluster could not be reached or read (completely or in part) when it was asked for.
    ClusterUnreadable,
    /// Bad invocation or input that cannot be read.
    BadInput,
}

impl OutcomeClass {
    /// `Failed` when any finding is an error, else `Ok`.
    pub fn of_findings<'a>(findings: impl IntoIterator<Item = &'a Diagnostic>) -> OutcomeClass {
        if findings.into_iter().any(|d| d.severity == Severity::Error) {
            OutcomeClass::Failed
        } else {
            OutcomeClass::Ok
        }
    }
}
