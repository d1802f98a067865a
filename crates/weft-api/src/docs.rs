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
}

/// The editors bound to documents, by connection.
#[derive(Default)]
pub struct Editors {
    open: Mutex<HashMap<u64, Editor>>,
}

impl Editors {
    /// Binds an editor to `path`'s document. Files over `limit` bytes are refused with
    /// `large_file` (the editor shows those read-only, from readFile).
    pub fn open(&self, docs: &Documents, path: &str, limit: u64, stream: Stream) -> Result<DocInfo> {
        let opened = docs.hold(path)?;
        if opened.size > limit {
            docs.release(path, false);
            return Err(ApiError::new(crate::ErrorCode::LargeFile, format!("{path} is {} MB: opened read-only, not as a document", opened.size >> 20)));
        }
        let conn = new_connection();
        let doc = opened.doc.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        self.open.lock().map_err(ApiError::internal)?.insert(conn, Editor { path: path.to_owned(), doc: doc.clone(), clients: vec![], stop: Some(stop) });
        // Subscribed before the first frame is taken: nothing falls between the whole text
        // and the changes after it.
        let mut rx = doc.subscribe();
        let mut saved = doc.watch_saved();
        let sink = stream.sink.clone();
        sink.send(StreamFrame::Bytes(doc.catch_up()));
        sink.send(StreamFrame::Bytes(doc.greeting()));
        saved.mark_changed();
        tokio::runtime::Handle::current().spawn(async move {
            loop {
                let sent = tokio::select! {
                    _ = &mut stopped => false,
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
                };
                if !sent {
                    break;
                }
            }
        });
        let line_ending = if opened.form.crlf { LineEnding::Crlf } else { LineEnding::Lf };
        Ok(DocInfo { conn, encoding: opened.form.encoding, encoding_label: opened.form.encoding.label().into(), line_ending, readonly: opened.readonly })
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
    pub fn close(&self, docs: &Documents, conn: u64, discard: bool) -> Result<()> {
        let Some(mut e) = self.open.lock().map_err(ApiError::internal)?.remove(&conn) else { return Ok(()) };
        if let Some(stop) = e.stop.take() {
            let _ = stop.send(());
        }
        e.doc.leave(conn, &e.clients);
        docs.release(&e.path, discard);
        Ok(())
    }

    /// Writes `path`'s document to its file (see [`Documents::save`]).
    pub fn save(&self, docs: &Documents, path: &str) -> Result<DocSaved> {
        let wrote = docs.save(path)?;
        let gen = docs.get(path).map(|d| d.saved_generation()).unwrap_or(0);
        Ok(DocSaved { wrote, gen })
    }

    /// Editors of a renamed file follow it.
    pub fn renamed(&self, from: &str, to: &str) {
        if let Ok(mut open) = self.open.lock() {
            for e in open.values_mut() {
                if e.path == from || e.path.starts_with(&format!("{from}/")) {
                    e.path = format!("{to}{}", &e.path[from.len()..]);
                }
            }
        }
    }
}
