//! Code intelligence for the open workspace: the editor's documents (kept in step with
//! CodeMirror change sets and reparsed incrementally), the workspace symbol index and the
//! repo map. Every call runs on a blocking thread, never on the UI's.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde::Serialize;
use ts_rs::TS;
use weft_fs::{FsChange, FsChangeKind};
use weft_syntax::{Change, Diagnostic, Document, IndexStats, Lang, RepoMap, Span, Symbol, SymbolHit, SymbolIndex};

/// The symbol index build, as the status bar shows it.
#[derive(Debug, Clone, Copy, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct IndexProgress {
    pub running: bool,
    pub done: u32,
    pub total: u32,
    /// The last finished build's figures.
    pub stats: Option<IndexStats>,
}

use crate::ApiError;

/// Files above this are left out of the workspace index: they are generated or data, and
/// one would cost more than the rest of a typical repository.
const INDEX_MAX_BYTES: u64 = 1 << 20;
/// Documents kept per workspace; a client that vanished without closing its tabs loses
/// its oldest ones first.
const MAX_DOCUMENTS: usize = 64;

/// What the editor shows for one document.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// None when the file is not a language Weft analyses (or is over the size limit).
    pub language: Option<Lang>,
    pub outline: Vec<Symbol>,
    pub errors: Vec<Diagnostic>,
    pub folds: Vec<Span>,
    /// Time to apply the edits and reparse, for the curious (and the benchmarks).
    pub parse_ms: f64,
}

impl Analysis {
    fn none() -> Self {
        Self { language: None, outline: Vec::new(), errors: Vec::new(), folds: Vec::new(), parse_ms: 0.0 }
    }
}

struct Open {
    path: String,
    doc: Document,
    used: u64,
}

pub struct Syntax {
    index: SymbolIndex,
    /// Where the index of the last session is kept (None: every build parses everything).
    cache: Option<std::path::PathBuf>,
    built: OnceLock<IndexStats>,
    /// One build at a time; a stopped build leaves `built` unset, so the next use goes on
    /// from what it cached.
    building: Mutex<()>,
    stop: std::sync::atomic::AtomicBool,
    /// (done, total) of the build under way, for the status bar; (0, 0) when none is.
    progress: Mutex<(usize, usize)>,
    progress_tx: tokio::sync::broadcast::Sender<IndexProgress>,
    docs: Mutex<(u64, HashMap<String, Open>)>,
}

type Result<T> = std::result::Result<T, ApiError>;

fn out_of_sync(msg: impl Into<String>) -> ApiError {
    ApiError::new(crate::ErrorCode::SyntaxOutOfSync, msg)
}

impl Syntax {
    pub fn new(root: &std::path::Path) -> Self {
        Self {
            index: SymbolIndex::new(root, INDEX_MAX_BYTES),
            cache: None,
            built: OnceLock::new(),
            building: Mutex::new(()),
            stop: Default::default(),
            progress: Mutex::new((0, 0)),
            progress_tx: tokio::sync::broadcast::channel(64).0,
            docs: Mutex::new((0, HashMap::new())),
        }
    }

    /// The index build's progress as it goes (the status bar's).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<IndexProgress> {
        self.progress_tx.subscribe()
    }

    /// Where a build is now (`running` false when none is).
    pub fn progress(&self) -> IndexProgress {
        let (done, total) = self.progress.lock().map(|p| *p).unwrap_or((0, 0));
        IndexProgress { running: total > 0, done: done as u32, total: total as u32, stats: self.built.get().copied() }
    }

    /// Stops the build under way (what it parsed is cached; the next use goes on).
    pub fn stop_build(&self) -> bool {
        let running = self.progress().running;
        if running {
            self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        running
    }

    fn report(&self, done: usize, total: usize) {
        if let Ok(mut p) = self.progress.lock() {
            *p = (done, total);
        }
        let _ = self.progress_tx.send(self.progress());
    }

    /// Keeps the index between sessions in this SQLite file.
    pub fn with_cache(mut self, path: std::path::PathBuf) -> Self {
        self.cache = Some(path);
        self
    }

    /// Builds the index from `files`, through the cache when there is one (a cache that
    /// cannot be opened is logged and the build parses everything).
    fn build(&self, files: &[String]) -> IndexStats {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
        if let Some(path) = &self.cache {
            match weft_syntax::IndexCache::open(path) {
                Ok(cache) => {
                    self.stop.store(false, std::sync::atomic::Ordering::SeqCst);
                    self.report(0, files.len().max(1));
                    let progress = |done: usize, total: usize| self.report(done, total);
                    let stats = self.index.build_cached(files, &cache, threads, Some(&self.stop), Some(&progress));
                    self.report(0, 0);
                    return stats;
                }
                Err(e) => tracing::warn!("symbol index cache {}: {e}", path.display()),
            }
        }
        self.index.build_with_threads(files, threads)
    }

    /// Starts following a document: `id` is minted by the client, one per open file.
    pub fn open(&self, id: String, path: String, text: String, max_bytes: u64) -> Result<Analysis> {
        let Some(lang) = Lang::detect(&path, &text).filter(|_| text.len() as u64 <= max_bytes) else {
            self.close(&id);
            return Ok(Analysis::none());
        };
        let t = Instant::now();
        let doc = Document::new(lang, text).map_err(|e| ApiError::internal(e.to_string()))?;
        let parse_ms = t.elapsed().as_secs_f64() * 1e3;
        let mut docs = self.docs.lock().map_err(ApiError::internal)?;
        docs.0 += 1;
        let used = docs.0;
        if docs.1.len() >= MAX_DOCUMENTS && !docs.1.contains_key(&id) {
            if let Some(oldest) = docs.1.iter().min_by_key(|(_, o)| o.used).map(|(k, _)| k.clone()) {
                docs.1.remove(&oldest);
            }
        }
        let open = docs.1.entry(id).insert_entry(Open { path, doc, used }).into_mut();
        self.sync_index(open);
        Ok(analyse(&open.doc, parse_ms))
    }

    /// Applies one change set. `length` is the document's length after it, in the
    /// editor's units: a mismatch means the two sides drifted, and the client re-opens.
    pub fn edit(&self, id: &str, changes: &[Change], length: u32) -> Result<Analysis> {
        let mut docs = self.docs.lock().map_err(ApiError::internal)?;
        docs.0 += 1;
        let used = docs.0;
        let open = docs.1.get_mut(id).ok_or_else(|| out_of_sync(format!("no document {id}")))?;
        open.used = used;
        let t = Instant::now();
        if let Err(e) = open.doc.edit(changes) {
            docs.1.remove(id);
            return Err(out_of_sync(e.to_string()));
        }
        let parse_ms = t.elapsed().as_secs_f64() * 1e3;
        if open.doc.len_utf16() != length {
            let msg = format!("document is {} long here, {length} in the editor", open.doc.len_utf16());
            docs.1.remove(id);
            return Err(out_of_sync(msg));
        }
        self.sync_index(open);
        Ok(analyse(&open.doc, parse_ms))
    }

    /// Stops following a document; the index goes back to the file on disk.
    pub fn close(&self, id: &str) {
        let closed = self.docs.lock().ok().and_then(|mut d| d.1.remove(id));
        if let Some(open) = closed {
            if self.built.get().is_some() {
                self.index.update_path(&open.path);
            }
        }
    }

    pub fn expand(&self, id: &str, range: Span) -> Result<Option<Span>> {
        let docs = self.docs.lock().map_err(ApiError::internal)?;
        let open = docs.1.get(id).ok_or_else(|| out_of_sync(format!("no document {id}")))?;
        Ok(open.doc.expand(range))
    }

    /// The editor's text is what the user sees, so it is what symbol search finds.
    fn sync_index(&self, open: &Open) {
        if self.built.get().is_some() {
            self.index.update_text(&open.path, open.doc.lang(), open.doc.tree(), open.doc.text());
        }
    }

    /// Builds the index on first use, from the workspace's files (ignore rules applied).
    fn ensure_index(&self, files: impl FnOnce() -> Vec<String>) -> IndexStats {
        if let Some(s) = self.built.get() {
            return *s;
        }
        let _one = self.building.lock();
        if let Some(s) = self.built.get() {
            return *s;
        }
        let t = Instant::now();
        let stats = self.build(&files());
        if stats.cancelled {
            tracing::info!(parsed = stats.parsed, "symbol index build stopped");
            return stats;
        }
        let stats = *self.built.get_or_init(|| {
            // Open documents may hold unsaved text that differs from the disk.
            if let Ok(docs) = self.docs.lock() {
                for open in docs.1.values() {
                    self.index.update_text(&open.path, open.doc.lang(), open.doc.tree(), open.doc.text());
                }
            }
            tracing::info!(files = stats.files, parsed = stats.parsed, symbols = stats.symbols, ms = t.elapsed().as_millis() as u64, "symbol index built");
            stats
        });
        // Once more, now with the figures: followers learn the index is there.
        self.report(0, 0);
        stats
    }

    pub fn search(&self, query: &str, limit: usize, files: impl FnOnce() -> Vec<String>) -> Vec<SymbolHit> {
        self.ensure_index(files);
        self.index.search(query, limit)
    }

    pub fn repo_map(&self, tokens: u32, focus: &[String], files: impl FnOnce() -> Vec<String>) -> RepoMap {
        self.ensure_index(files);
        weft_syntax::repo_map(&self.index.snapshot(), focus, tokens)
    }

    /// Files changed on disk: re-read what the index holds or should hold. A directory
    /// that appeared (moved in, checked out) is expanded through the workspace's file list.
    pub fn files_changed(&self, changes: &[FsChange], files: impl FnOnce() -> Vec<String>) {
        if self.built.get().is_none() {
            return;
        }
        // The editor's copy wins over the disk while the file is open. Checked and re-read
        // under the documents' lock, which opening a document also holds while it indexes
        // its text: a disk re-read can never land after the editor's text and replace it.
        let update = |path: &str| {
            let Ok(docs) = self.docs.lock() else { return };
            if !docs.1.values().any(|o| o.path == path) {
                self.index.update_path(path);
            }
        };
        let mut files = Some(files);
        let mut all: Option<Vec<String>> = None;
        for c in changes {
            match (c.kind, c.is_dir) {
                (FsChangeKind::Rescan, _) => {
                    let list = all.get_or_insert_with(|| files.take().map(|f| f()).unwrap_or_default());
                    self.build(list);
                    // Open documents' text goes back over what the rebuild read from disk.
                    if let Ok(docs) = self.docs.lock() {
                        for open in docs.1.values() {
                            self.sync_index(open);
                        }
                    }
                }
                (FsChangeKind::Removed, _) => {
                    let open = self.docs.lock().map(|d| d.1.values().any(|o| o.path == c.path)).unwrap_or(false);
                    if !open {
                        self.index.remove(&c.path);
                    }
                }
                (_, false) => update(&c.path),
                (_, true) => {
                    let list = all.get_or_insert_with(|| files.take().map(|f| f()).unwrap_or_default());
                    let prefix = format!("{}/", c.path);
                    for f in list.iter().filter(|f| f.starts_with(&prefix)) {
                        update(f);
                    }
                }
            }
        }
    }
}

fn analyse(doc: &Document, parse_ms: f64) -> Analysis {
    Analysis { language: Some(doc.lang()), outline: doc.outline(), errors: doc.errors(), folds: doc.folds(), parse_ms }
}
