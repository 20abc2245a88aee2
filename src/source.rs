//! Every input text stackcheck reads (values files, chart defaults, `--set` arguments) lives in
//! one [`Sources`] table, so any value can point back at the exact place a user wrote it.

/// Index of a [`SourceFile`] in [`Sources`].
pub type SourceId = usize;

/// What kind of input a source is: decides how a diagnostic names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// `values.yaml` of a chart (chart name given).
    ChartDefaults { chart: String },
    /// A `-f/--values` file given by the user (0-based position on the command line).
    ValuesFile { index: usize },
    /// One `--set`-family argument; the text is the argument itself.
    SetArgument { flag: &'static str },
    /// A file read through `--set-file`.
    SetFile { flag: &'static str },
    /// Anything else (schemas, Chart.yaml, manifests).
    Other,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as the user gave it (or a label like `--set`).
    pub name: String,
    pub text: String,
    pub kind: SourceKind,
}

/// All sources of one run.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(
        &mut self,
        name: impl Into<String>,
        text: impl Into<String>,
        kind: SourceKind,
    ) -> SourceId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
            kind,
        });
        self.files.len() - 1
    }

    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id)
    }

    pub fn name(&self, id: SourceId) -> &str {
        self.files
            .get(id)
            .map(|f| f.name.as_str())
            .unwrap_or("<unknown>")
    }

    pub fn text(&self, id: SourceId) -> &str {
        self.files.get(id).map(|f| f.text.as_str()).unwrap_or("")
    }
}

/// A position: 1-based line and column (columns count characters, as editors do), plus the
/// character index used to cut snippets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub index: usize,
}

/// A range in one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub source: SourceId,
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    /// Byte range of the span in `text` (character indices converted), for snippet rendering.
    pub fn byte_range(&self, text: &str) -> std::ops::Range<usize> {
        let start = char_to_byte(text, self.start.index);
        let end = char_to_byte(text, self.end.index).max(start);
        start..end
    }
}

fn char_to_byte(text: &str, char_index: usize) -> usize {
    text.char_indices()
        .nth(char_index)
        .map(|(b, _)| b)
        .unwrap_or(text.len())
}
