//! Editors bound to the folder's open documents ([`weft_doc::Documents`]): an editor opens
//! a document as a stream of raw y-sync messages (the whole text first, then every change
//! others make, and a `saved` frame whenever the text on disk changes), sends its own
//! changes with `docPush`, and saves with `docSave`. The text lives once, in Rust; the
//! editor holds a Yjs replica bound to CodeMirror, so typing never waits on Rust.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use weft_doc::document::{new_connection, ClientID, Document};
use weft_doc::Documents;
use weft_fs::{Encoding, LineEnding};

use crate::{ApiError, Stream, StreamFrame};

type Result<T> = std::result::Result<T, ApiError>;

/// What the editor learns when it opens a document. -> docOpen
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DocInfo {
    /// This editor's connection: pass it to docPush and docClose.
    #[ts(type = "number")]
    pub conn: u64,
    pub encoding: Encoding,
    pub encoding_label: String,
    /// CRLF when every line break in the file is CRLF; the document holds "\n" breaks and
    /// saving writes CRLF back.
    pub line_ending: LineEnding,
    pub readonly: bool,
    /// The document's id for syntaxExpand (its analysis comes in `analysis` frames).
    pub syntax: String,
    /// The document's text when the open was made (with "\n" breaks), if asked for: the
    /// start-up's first frame shows it before the editor's code (and Yjs) has loaded.
    pub text: Option<String>,
}

/// Frames of a `docOpen` stream besides the raw y-sync messages.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum DocEvent {
    /// The file's text as last loaded or saved (with "\n" breaks): the editor is unsaved
    /// while its text differs. `conflicts` are regions a change on disk changed differently
    /// from unsaved edits: the document kept its side; the disk's is in `theirs`.
    /// `gen` counts these changes (docSave returns the one its write made).
    #[serde(rename_all = "camelCase")]
    Saved {
        #[ts(type = "number")]
        gen: u64,
        text: String,
        conflicts: Vec<DocConflict>,
    },
    /// tree-sitter's view of the document (outline, syntax errors, folds), computed from the
    /// document itself after its edits, whoever made them. `sv` is the document's state
    /// vector at that point: an editor whose replica holds a different one holds different
    /// text, and waits for the next analysis.
    #[serde(rename_all = "camelCase")]
    Analysis { analysis: crate::Analysis, sv: Vec<u8> },
    /// Another program moved the file (and its content came along unchanged): the
    /// document follows it, and so should the editor's tab.
    #[serde(rename_all = "camelCase")]
    Renamed { from: String, to: String },
    /// The language server's diagnostics for the file (all of them, replacing the last):
    /// positions as the protocol gives them (0-based lines, UTF-16 columns) for the text
    /// the server was last sent.
    #[serde(rename_all = "camelCase")]
    Diagnostics { diagnostics: Vec<weft_lsp::Diagnostic> },
}

/// -> docSave
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DocSaved {
    /// False when the file held the document's text already.
    pub wrote: bool,
    /// The `saved` frame that reports this state has this `gen` or a later one.
    #[ts(type = "number")]
    pub gen: u64,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DocConflict {
    pub ours: String,
    pub theirs: String,
}

struct Editor {
    path: String,
    doc: Arc<Document>,
    /// Awareness ids the editor announced, removed from everyone's view when it closes.
    clients: Vec<ClientID>,
    /// Ends the editor's stream.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// Events for this editor alone (its file was moved).
    events: tokio::sync::mpsc::UnboundedSender<DocEvent>,
}

/// The editors bound to documents, by connection, and the analysis of each document they
/// hold (one per document, however many editors show it).
#[derive(Default)]
pub struct Editors {
    open: Mutex<HashMap<u64, Editor>>,
    analysed: Mutex<HashMap<String, Analysed>>,
    /// The workspace's language servers: a document held by an editor is theirs too.
    lsp: std::sync::OnceLock<Arc<weft_lsp::Lsp>>,
    /// The runtime the documents' followers run on, taken from the first editor's open
    /// (the desktop opens its folder before entering the runtime; a rename arrives on the
    /// watcher's thread).
    rt: Mutex<Option<tokio::runtime::Handle>>,
    /// Each open file's latest diagnostics, for an editor that opens it later.
    diagnostics: Mutex<HashMap<String, Vec<weft_lsp::Diagnostic>>>,
}

/// A document's code intelligence, following the document's own transactions.
struct Analysed {
    id: String,
    doc: Arc<Document>,
    editors: usize,
    frames: tokio::sync::watch::Receiver<Option<Arc<DocEvent>>>,
    worker: tokio::task::JoinHandle<()>,
    /// Sends the document's changes to its language server: the observer's key, the path
    /// the server knows it by, the task.
    lsp: Option<(String, String, tokio::task::JoinHandle<()>)>,
}

/// A language server's document follows the Yrs document after this much quiet (a burst
/// still goes this often): servers re-check on every change, typing must not flood them.
const LSP_QUIET: std::time::Duration = std::time::Duration::from_millis(50);
const LSP_MAX_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

/// Transactions seen by the observer and not yet applied to the syntax tree.
type Pending = Arc<(Mutex<Vec<(Vec<weft_doc::document::TextChange>, u32)>>, tokio::sync::Notify)>;

/// Quiet time before the syntax tree takes a batch of edits; a long burst still goes this often.
const ANALYSE_QUIET: std::time::Duration = std::time::Duration::from_millis(60);
const ANALYSE_MAX_WAIT: std::time::Duration = std::time::Duration::from_millis(400);

impl Editors {
    /// Gives the editors' documents to the workspace's language servers, and their
    /// diagnostics to the editors.
    pub fn set_lsp(self: &Arc<Self>, lsp: Arc<weft_lsp::Lsp>) {
        let mut events = lsp.subscribe();
        let _ = self.lsp.set(lsp);
        let me = Arc::downgrade(self);
        // A thread of its own: this may be called outside the runtime (the desktop opens
        // its first folder before entering it).
        let spawned = std::thread::Builder::new().name("weft-lsp-diagnostics".into()).spawn(move || loop {
            let e = match events.blocking_recv() {
                Ok(e) => e,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            };
            let Some(me) = me.upgrade() else { break };
            if let weft_lsp::LspEvent::Diagnostics { path, diagnostics } = e {
                me.diagnosed(&path, diagnostics);
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("language servers' diagnostics will not reach editors: {e}");
        }
    }

    /// The runtime for the documents' followers: this thread's, or the one taken before.
    fn runtime(&self) -> Option<tokio::runtime::Handle> {
        let mut rt = self.rt.lock().ok()?;
        if rt.is_none() {
            *rt = tokio::runtime::Handle::try_current().ok();
        }
        rt.clone()
    }

    fn diagnosed(&self, path: &str, diagnostics: Vec<weft_lsp::Diagnostic>) {
        if let Ok(open) = self.open.lock() {
            for e in open.values().filter(|e| e.path == path) {
                let _ = e.events.send(DocEvent::Diagnostics { diagnostics: diagnostics.clone() });
            }
        }
        if let Ok(mut d) = self.diagnostics.lock() {
            if diagnostics.is_empty() {
                d.remove(path);
            } else {
                d.insert(path.to_owned(), diagnostics);
            }
        }
    }

    /// Binds an editor to `path`'s document. Files over `limit` bytes are refused with
    /// `large_file` (the editor shows those read-only, from readFile).
    pub fn open(&self, docs: &Documents, syntax: &Arc<crate::syntax::Syntax>, path: &str, limit: u64, with_text: bool, stream: Stream) -> Result<DocInfo> {
        let opened = docs.hold(path)?;
        if opened.size > limit {
            docs.release(path, false);
            return Err(ApiError::new(crate::ErrorCode::LargeFile, format!("{path} is {} MB: opened read-only, not as a document", opened.size >> 20)));
        }
        let conn = new_connection();
        let doc = opened.doc.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let (events, mut own_events) = tokio::sync::mpsc::unbounded_channel::<DocEvent>();
        self.open.lock().map_err(ApiError::internal)?.insert(conn, Editor { path: path.to_owned(), doc: doc.clone(), clients: vec![], stop: Some(stop), events });
        // Subscribed before the first frame is taken: nothing falls between the whole text
        // and the changes after it.
        let mut rx = doc.subscribe();
        let mut saved = doc.watch_saved();
        let (syntax_id, mut analyses) = self.analyse(syntax, path, &doc, limit)?;
        let sink = stream.sink.clone();
        sink.send(StreamFrame::Bytes(doc.catch_up()));
        sink.send(StreamFrame::Bytes(doc.greeting()));
        let text = with_text.then(|| doc.text());
        saved.mark_changed();
        analyses.mark_changed();
        tokio::runtime::Handle::current().spawn(async move {
            let mut analysing = true;
            loop {
                let sent = tokio::select! {
                    _ = &mut stopped => false,
                    Some(event) = own_events.recv() => stream.json(event),
                    frame = rx.recv() => match frame {
                        Ok((from, bytes)) if from != conn => sink.send(StreamFrame::Bytes(bytes.to_vec())),
                        Ok(_) => true,
                        // Fell behind what the document keeps: the whole text once instead.
                        Err(_missed) => sink.send(StreamFrame::Bytes(doc.catch_up())),
                    },
                    changed = saved.changed() => match changed {
                        Ok(()) => {
                            // The generation first: a text read after it is at least as new.
                            let gen = *saved.borrow_and_update();
                            let conflicts = doc.conflicts().into_iter().map(|c| DocConflict { ours: c.ours, theirs: c.theirs }).collect();
                            stream.json(DocEvent::Saved { gen, text: doc.saved_text(), conflicts })
                        }
                        Err(_) => false,
                    },
                    changed = analyses.changed(), if analysing => match changed {
                        Ok(()) => {
                            let frame = analyses.borrow_and_update().clone();
                            frame.is_none_or(|f| stream.json(&*f))
                        }
                        // The analysis stopped (its editors closed): the rest goes on.
                        Err(_) => {
                            analysing = false;
                            true
                        }
                    },
                };
                if !sent {
                    break;
                }
            }
        });
        // The file's diagnostics so far (another editor of it opened first).
        if let Some(d) = self.diagnostics.lock().ok().and_then(|d| d.get(path).cloned()) {
            if let Some(e) = self.open.lock().map_err(ApiError::internal)?.get(&conn) {
                let _ = e.events.send(DocEvent::Diagnostics { diagnostics: d });
            }
        }
        let line_ending = if opened.form.crlf { LineEnding::Crlf } else { LineEnding::Lf };
        Ok(DocInfo { conn, encoding: opened.form.encoding, encoding_label: opened.form.encoding.label().into(), line_ending, readonly: opened.readonly, syntax: syntax_id, text })
    }

    /// The analysis of `path`'s document, started by its first editor: tree-sitter follows
    /// the document's transactions (an editor's typing, a guest's, a merged disk change, the
    /// agent's), in batches, and every editor of the document gets each result.
    fn analyse(&self, syntax: &Arc<crate::syntax::Syntax>, path: &str, doc: &Arc<Document>, limit: u64) -> Result<(String, tokio::sync::watch::Receiver<Option<Arc<DocEvent>>>)> {
        // Keyed by the document (two names of one file share it), not by the editor's path.
        let mut analysed = self.analysed.lock().map_err(ApiError::internal)?;
        if let Some(a) = analysed.get_mut(&doc.name).filter(|a| Arc::ptr_eq(&a.doc, doc)) {
            a.editors += 1;
            return Ok((a.id.clone(), a.frames.clone()));
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = format!("doc{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let pending: Pending = Arc::default();
        let p = pending.clone();
        doc.observe_text(&id, move |changes, len| {
            p.0.lock().unwrap_or_else(|e| e.into_inner()).push((changes, len));
            p.1.notify_one();
        });
        // The text and the queue at one instant: what the observer saw before is in the text.
        let ((), text, sv) = doc.at_rest(true, || pending.0.lock().unwrap_or_else(|e| e.into_inner()).clear());
        // The first parse (a full one: seconds for a file of megabytes) runs after the open
        // has sent the text, on the blocking pool: the editor shows the text at once and its
        // highlighting follows. Changes meanwhile queue in `pending`, applied after it.
        let (tx, frames) = tokio::sync::watch::channel(None);
        let (s, i, p) = (syntax.clone(), id.clone(), path.to_owned());
        let (d, pend) = (doc.clone(), pending);
        let worker = tokio::runtime::Handle::current().spawn(async move {
            let (s2, i2, p2) = (s.clone(), i.clone(), p.clone());
            match tokio::task::spawn_blocking(move || s2.open(i2, p2, text.unwrap_or_default(), limit)).await {
                Ok(Ok(first)) => {
                    let _ = tx.send(Some(Arc::new(DocEvent::Analysis { analysis: first, sv })));
                }
                Ok(Err(e)) => tracing::warn!("analysing {p} failed: {e}"),
                Err(e) => tracing::warn!("analysing {p} failed: {e}"),
            }
            follow(s, d, i, p, limit, pend, tx).await;
        });
        let lsp = match (self.lsp.get(), self.runtime()) {
            (Some(l), Some(rt)) => Some((format!("{id}:lsp"), path.to_owned(), follow_lsp(&rt, l.clone(), doc.clone(), path.to_owned(), format!("{id}:lsp")))),
            _ => None,
        };
        analysed.insert(doc.name.clone(), Analysed { id: id.clone(), doc: doc.clone(), editors: 1, frames: frames.clone(), worker, lsp });
        Ok((id, frames))
    }

    /// The analysis of `path`'s document for a view that is not bound by [`Editors::open`]
    /// (a guest's, through the host): `analysis` frames until `cancel` (checked twice a
    /// second) or the stream's receiver is gone. The document is held meanwhile.
    pub fn watch_analysis(self: &Arc<Self>, docs: &Arc<Documents>, syntax: &Arc<crate::syntax::Syntax>, path: &str, limit: u64, stream: Stream, cancel: weft_fs::SearchCancel) -> Result<()> {
        let opened = docs.hold(path)?;
        if opened.size > limit {
            docs.release(path, false);
            return Err(ApiError::new(crate::ErrorCode::LargeFile, format!("{path} is {} MB: not analysed", opened.size >> 20)));
        }
        let doc = opened.doc.clone();
        let (_, mut analyses) = match self.analyse(syntax, path, &doc, limit) {
            Ok(a) => a,
            Err(e) => {
                docs.release(path, false);
                return Err(e);
            }
        };
        analyses.mark_changed();
        let (me, docs, syntax, path) = (self.clone(), docs.clone(), syntax.clone(), path.to_owned());
        tokio::runtime::Handle::current().spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
            loop {
                let go_on = tokio::select! {
                    changed = analyses.changed() => match changed {
                        Ok(()) => {
                            let frame = analyses.borrow_and_update().clone();
                            frame.is_none_or(|f| stream.json(&*f))
                        }
                        Err(_) => false,
                    },
                    _ = tick.tick() => !cancel.is_cancelled(),
                };
                if !go_on {
                    break;
                }
            }
            me.unanalyse(&syntax, &doc);
            docs.release(&path, false);
        });
        Ok(())
    }

    /// An editor of `doc` closed: the last one ends its analysis.
    fn unanalyse(&self, syntax: &crate::syntax::Syntax, doc: &Document) {
        let Ok(mut analysed) = self.analysed.lock() else { return };
        let Some(a) = analysed.get_mut(&doc.name) else { return };
        a.editors = a.editors.saturating_sub(1);
        if a.editors == 0 {
            if let Some(a) = analysed.remove(&doc.name) {
                a.worker.abort();
                a.doc.unobserve_text(&a.id);
                syntax.close(&a.id);
                if let (Some((key, path, task)), Some(lsp)) = (a.lsp, self.lsp.get()) {
                    task.abort();
                    a.doc.unobserve_text(&key);
                    lsp.close(&path);
                    if let Ok(mut d) = self.diagnostics.lock() {
                        d.remove(&path);
                    }
                }
            }
        }
    }

    /// y-sync messages from the editor `conn`; returns the replies for it.
    pub fn push(&self, conn: u64, data: &[u8]) -> Result<Vec<Vec<u8>>> {
        let (doc, announced) = {
            let open = self.open.lock().map_err(ApiError::internal)?;
            let e = open.get(&conn).ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, "that editor is closed"))?;
            (e.doc.clone(), e.clients.clone())
        };
        let handled = doc.handle(conn, data, true, &announced).map_err(|e| ApiError::bad_request(e.to_string()))?;
        if !handled.clients.is_empty() {
            if let Some(e) = self.open.lock().map_err(ApiError::internal)?.get_mut(&conn) {
                e.clients.extend(handled.clients);
                e.clients.sort_unstable();
                e.clients.dedup();
            }
        }
        Ok(handled.replies)
    }

    /// The editor `conn` closed; with `discard` its user chose not to save.
    pub fn close(&self, docs: &Documents, syntax: &crate::syntax::Syntax, conn: u64, discard: bool) -> Result<()> {
        let Some(mut e) = self.open.lock().map_err(ApiError::internal)?.remove(&conn) else { return Ok(()) };
        if let Some(stop) = e.stop.take() {
            let _ = stop.send(());
        }
        e.doc.leave(conn, &e.clients);
        self.unanalyse(syntax, &e.doc);
        docs.release(&e.path, discard);
        Ok(())
    }

    /// Writes `path`'s document to its file (see [`Documents::save`]).
    pub fn save(&self, docs: &Documents, path: &str) -> Result<DocSaved> {
        let wrote = docs.save(path)?;
        let gen = docs.get(path).map(|d| d.saved_generation()).unwrap_or(0);
        Ok(DocSaved { wrote, gen })
    }

    /// Another program moved `from` to `to` and the document followed: its editors are told.
    pub fn moved_outside(&self, from: &str, to: &str) {
        self.renamed(from, to);
        if let Ok(open) = self.open.lock() {
            for e in open.values().filter(|e| e.path == to || e.path.starts_with(&format!("{to}/"))) {
                let _ = e.events.send(DocEvent::Renamed { from: format!("{from}{}", &e.path[to.len()..]), to: e.path.clone() });
            }
        }
    }

    /// Editors of a renamed file follow it, and so does its language server (closed under
    /// the old name, opened under the new: its language may have changed with it).
    pub fn renamed(&self, from: &str, to: &str) {
        let moved = |p: &str| (p == from || p.starts_with(&format!("{from}/"))).then(|| format!("{to}{}", &p[from.len()..]));
        if let Ok(mut open) = self.open.lock() {
            for e in open.values_mut() {
                if let Some(new) = moved(&e.path) {
                    e.path = new;
                }
            }
        }
        let (Some(lsp), Some(rt)) = (self.lsp.get(), self.runtime()) else { return };
        if let Ok(mut analysed) = self.analysed.lock() {
            for a in analysed.values_mut() {
                let Some((key, path, task)) = a.lsp.take() else { continue };
                match moved(&path) {
                    Some(new) => {
                        task.abort();
                        a.doc.unobserve_text(&key);
                        lsp.close(&path);
                        a.lsp = Some((key.clone(), new.clone(), follow_lsp(&rt, lsp.clone(), a.doc.clone(), new, key)));
                    }
                    None => a.lsp = Some((key, path, task)),
                }
            }
        }
    }
}

/// Opens the document with its language server and sends it the whole text after each
/// burst of changes (whoever made them: the editor, a guest, the agent, a merge from disk).
fn follow_lsp(rt: &tokio::runtime::Handle, lsp: Arc<weft_lsp::Lsp>, doc: Arc<Document>, path: String, key: String) -> tokio::task::JoinHandle<()> {
    let changed = Arc::new(tokio::sync::Notify::new());
    let c = changed.clone();
    doc.observe_text(&key, move |_, _| c.notify_one());
    lsp.open(&path, doc.text());
    rt.spawn(async move {
        loop {
            changed.notified().await;
            let started = tokio::time::Instant::now();
            // Quiet for LSP_QUIET, or LSP_MAX_WAIT into a burst.
            while started.elapsed() < LSP_MAX_WAIT && tokio::time::timeout(LSP_QUIET, changed.notified()).await.is_ok() {}
            let d = doc.clone();
            let text = match tokio::task::spawn_blocking(move || d.text()).await {
                Ok(t) => t,
                Err(_) => continue,
            };
            lsp.change(&path, text);
        }
    })
}

/// Applies the document's transactions to its syntax tree in batches (after `ANALYSE_QUIET`
/// without one, or every `ANALYSE_MAX_WAIT` during a burst) and publishes each analysis
/// with the state vector it belongs to.
async fn follow(
    syntax: Arc<crate::syntax::Syntax>,
    doc: Arc<Document>,
    id: String,
    path: String,
    limit: u64,
    pending: Pending,
    tx: tokio::sync::watch::Sender<Option<Arc<DocEvent>>>,
) {
    loop {
        pending.1.notified().await;
        let started = tokio::time::Instant::now();
        loop {
            let before = pending.0.lock().map(|p| p.len()).unwrap_or(0);
            tokio::time::sleep(ANALYSE_QUIET).await;
            let after = pending.0.lock().map(|p| p.len()).unwrap_or(0);
            if after == before || started.elapsed() >= ANALYSE_MAX_WAIT {
                break;
            }
        }
        // The batch and the state vector it leads to, at one instant.
        let (batch, _, sv) = doc.at_rest(false, || std::mem::take(&mut *pending.0.lock().unwrap_or_else(|e| e.into_inner())));
        if batch.is_empty() {
            continue;
        }
        let (s, d, i, p) = (syntax.clone(), doc.clone(), id.clone(), path.clone());
        let analysed = tokio::task::spawn_blocking(move || {
            let mut last = None;
            for (changes, len) in &batch {
                let changes: Vec<weft_syntax::Change> = changes.iter().map(|c| weft_syntax::Change { from: c.from, to: c.to, insert: c.insert.clone() }).collect();
                match s.edit(&i, &changes, *len) {
                    Ok(a) => last = Some(a),
                    Err(_) => {
                        // Lost step (should not happen): parse the document as it is now.
                        let (_, text, sv) = d.at_rest(true, || ());
                        return s.open(i.clone(), p.clone(), text.unwrap_or_default(), limit).ok().map(|a| (a, Some(sv)));
                    }
                }
            }
            last.map(|a| (a, None))
        })
        .await;
        if let Ok(Some((analysis, resynced))) = analysed {
            let sv = resynced.unwrap_or(sv);
            if tx.send(Some(Arc::new(DocEvent::Analysis { analysis, sv }))).is_err() {
                return;
            }
        }
    }
}
