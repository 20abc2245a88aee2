//! API list pages of the live reader, fed through the snapshot reader's decoder and merge rules.

use serde_json::json;

use super::build::Builder;
use super::json_stream::{JsonStream, StreamError};
use super::read::*;
use crate::cluster::model::{Cluster, Gap};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceId, SourceKind, Sources};

/// The live reader's way into the model ([`crate::cluster::live`]): each page of an API list
/// (`GET /api/v1/pods?limit=500` → a `PodList`) goes through the same streaming decoder and the
/// same merging rules as a snapshot file, so a live read and a snapshot of the same objects give
/// the same [`Cluster`] by construction.
///
/// Each list gets its own source (named after its URL, without text): diagnostics name the
/// object (`Pod/ns/name`), not a position in a page, which nobody can look at afterwards.
pub(crate) struct PageFeed {
    pub(super) b: Builder,
}

/// Why a page body is not an API list.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    #[error(transparent)]
    Stream(#[from] StreamError),
    #[error("not a list (kind {0})")]
    NotAList(String),
}

/// What a list page says about the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    /// `metadata.continue`: there are more pages.
    pub continue_token: Option<String>,
    /// Items in this page.
    pub items: usize,
    /// `metadata.remainingItemCount`, when the server says.
    pub remaining: Option<u64>,
}

/// Where the model stood when a list began, to read that list again from the start (an expired
/// `continue` token). Every object of a list is of the list's kind and carries its source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checkpoint {
    pub(super) source: SourceId,
    pub(super) lens: [usize; 6],
    pub(super) diagnostics: usize,
    pub(super) gaps: usize,
}

impl PageFeed {
    pub(crate) fn new() -> PageFeed {
        PageFeed {
            b: Builder::default(),
        }
    }

    /// Start a list; `name` names it in diagnostics (its URL).
    pub(crate) fn begin_list(&mut self, sources: &mut Sources, name: &str) -> Checkpoint {
        let id = sources.add(name, "", SourceKind::Other);
        self.b.source = id;
        self.checkpoint()
    }

    pub(super) fn checkpoint(&self) -> Checkpoint {
        let c = &self.b.cluster;
        Checkpoint {
            source: self.b.source,
            lens: [
                c.nodes.len(),
                c.pods.len(),
                c.storage_classes.len(),
                c.quotas.len(),
                c.limit_ranges.len(),
                c.runtime_classes.len(),
            ],
            diagnostics: self.b.diagnostics.len(),
            gaps: c.gaps.len(),
        }
    }

    /// Forget what was read of a list since `cp`, to read it again from the start.
    pub(crate) fn restart_list(&mut self, cp: Checkpoint) {
        let b = &mut self.b;
        let c = &mut b.cluster;
        let [nodes, pods, classes, quotas, ranges, runtimes] = cp.lens;
        c.nodes.truncate(nodes);
        c.pods.truncate(pods);
        c.storage_classes.truncate(classes);
        c.quotas.truncate(quotas);
        c.limit_ranges.truncate(ranges);
        c.runtime_classes.truncate(runtimes);
        b.diagnostics.truncate(cp.diagnostics);
        for g in c.gaps.drain(cp.gaps.min(c.gaps.len())..) {
            b.gaps_seen.remove(&(g.what, g.why, g.affects));
        }
        b.seen.retain(|_, (_, source)| *source != cp.source);
        b.source = cp.source;
    }

    /// Decode one page (a JSON list object) into the model. An object that does not decode is
    /// reported and left out (a [`Gap`]); only a body that is not a JSON list is an error.
    pub(crate) fn page(&mut self, body: &[u8]) -> Result<Page, PageError> {
        let diagnostics = self.b.diagnostics.len();
        let objects = self.b.objects_seen;
        let id = self.b.source;
        let mut s = JsonStream::from_reader(body)?;
        let header = match s.peek() {
            Ok(Some(b'{')) => read_top_object(&mut self.b, id, &mut s),
            Ok(found) => Err(s.unexpected(found, "a JSON object `{`")),
            Err(e) => Err(e),
        }?;
        for d in &mut self.b.diagnostics[diagnostics..] {
            d.span = None;
        }
        if !header["kind"].as_str().is_some_and(|k| k.ends_with("List")) {
            return Err(PageError::NotAList(
                header["kind"].as_str().unwrap_or("missing").to_string(),
            ));
        }
        let meta = &header["metadata"];
        Ok(Page {
            continue_token: meta["continue"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            items: self.b.objects_seen - objects,
            remaining: meta["remainingItemCount"].as_u64(),
        })
    }

    /// `GET /version` and the discovery lists, as a snapshot file would carry them.
    pub(crate) fn cluster_info(&mut self, server_version: Option<&str>, api_versions: &[String]) {
        self.b.header(
            &json!({"serverVersion": server_version, "apiVersions": api_versions}),
            None,
        );
    }

    /// A part of the cluster that could not be read (a forbidden list).
    pub(crate) fn gap(&mut self, gap: Gap) {
        self.b.gap(gap);
    }

    pub(crate) fn diagnostic(&mut self, d: Diagnostic) {
        self.b.diagnostics.push(d);
    }

    pub(crate) fn finish(mut self) -> (Cluster, Vec<Diagnostic>) {
        // Every list was read (or its failure is a gap): an empty pod list is an idle cluster.
        self.b.pods_listed = true;
        self.b.finish()
    }
}
