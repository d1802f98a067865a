//! The open documents of one workspace folder: one [`Document`] per open file, shared by
//! everyone who has the file open — the desktop or browser editor, guests when the folder
//! is shared, the agent — so there is one copy of the text and nothing is kept in step by
//! timing.
//!
//! A document is opened from its file on first use and stays until the last editor lets it
//! go (or, while the folder is shared, until sharing stops: guests may come back to it).
//! Changes on disk are queued here and merged at a bounded rate ([`Documents::merge_loop`]),
//! each time with the file's newest bytes; saves go through [`Documents::save`].
//!
//! Line endings: a file whose every line break is CRLF is held with LF breaks (editors and
//! Yjs clients count a break as one character, CodeMirror's positions would otherwise be off
//! by one per line) and written back with CRLF; a file of mixed breaks is held as it is.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::warn;
use weft_fs::{Encoding, FsError, Workspace};

use crate::document::Document;

/// The room name of the document of `rel` (a path relative to the folder).
pub fn doc_name(rel: &str) -> String {
    format!("file/{rel}")
}

/// A file name for a document's (or any room's) update log: two independent 64-bit hashes
/// of its name (a path may be longer than a file name may be).
pub fn log_name(room: &str) -> String {
    let fnv = room.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    let djb = room.bytes().fold(5381u64, |h, b| h.wrapping_mul(33) ^ u64::from(b));
    format!("{fnv:016x}{djb:016x}.ylog")
}

/// How a document's text goes back to bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    pub encoding: Encoding,
    /// The file's breaks are all CRLF; the document holds them as LF.
    pub crlf: bool,
}

/// A file's text as a document holds it, and how to write it back.
pub fn to_document(text: &str, encoding: Encoding) -> (String, Form) {
    let crlf = text.contains("\r\n") && text.matches('\n').count() == text.matches("\r\n").count();
    let held = if crlf { text.replace("\r\n", "\n") } else { text.to_owned() };
    (held, Form { encoding, crlf })
}

/// The file's text for a document's text.
pub fn to_file(text: &str, form: Form) -> String {
    if form.crlf { text.replace('\n', "\r\n") } else { text.to_owned() }
}

struct Entry {
    doc: Arc<Document>,
    form: Form,
    /// Editors holding it (each open tab's document, in any window or browser).
    holders: usize,
}

/// What a caller learns when it opens a document.
#[derive(Clone)]
pub struct Opened {
    pub doc: Arc<Document>,
    pub form: Form,
    pub readonly: bool,
    /// The file's size in bytes.
    pub size: u64,
}

pub struct Documents {
    ws: Arc<Workspace>,
    /// Where documents' update logs are kept (unsaved edits survive a crash of the app).
    store: Option<PathBuf>,
    open: Mutex<HashMap<String, Entry>>,
    /// Changed files waiting for the merge loop.
    pending: Mutex<HashSet<String>>,
    wake: std::sync::Condvar,
    /// While the folder is shared, a document nobody's editor holds stays open: guests hold
    /// it (the hub keeps it).
    shared: AtomicBool,
    /// Runs before any save writes (the folder-open checkpoint, which must see the folder
    /// before Weft changes it).
    before_write: Mutex<Option<Arc<dyn Fn() + Send + Sync>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Documents {
    pub fn new(ws: Arc<Workspace>, store: Option<PathBuf>) -> Arc<Self> {
        if let Some(d) = &store {
            if let Err(e) = std::fs::create_dir_all(d) {
                warn!("documents: cannot keep unsaved edits in {} ({e})", d.display());
            }
        }
        Arc::new(Documents { ws, store, open: Mutex::default(), pending: Mutex::default(), wake: std::sync::Condvar::new(), shared: AtomicBool::new(false), before_write: Mutex::new(None) })
    }

    /// `hook` runs before every save writes a file (see the field).
    pub fn before_writes(&self, hook: Arc<dyn Fn() + Send + Sync>) {
        *lock(&self.before_write) = Some(hook);
    }

    pub fn workspace(&self) -> &Arc<Workspace> {
        &self.ws
    }

    /// The one name of the file `rel` names: its real path in the folder (symlinks followed,
    /// and on Windows the case the disk has it in), so two spellings of one file — a link
    /// and its target, `README.md` and `Readme.md` on a case-insensitive disk — open one
    /// document. A file that is not there keeps the name it was given.
    ///
    /// macOS's realpath keeps the case it was given, so there a spelling that differs only
    /// in case from an open document's is checked against that document's file: the same
    /// file (same device and inode) is the same document.
    pub fn key(&self, rel: &str) -> String {
        let Some(real) = self.ws.resolve_follow(rel).ok().and_then(|p| dunce::canonicalize(p).ok()) else { return rel.to_owned() };
        let Some(key) = self.ws.relative(&real) else { return rel.to_owned() };
        let open = lock(&self.open);
        if open.contains_key(&key) {
            return key;
        }
        open.keys()
            .find(|k| k.eq_ignore_ascii_case(&key) && self.ws.resolve(k).is_ok_and(|p| same_file::is_same_file(&p, &real).unwrap_or(false)))
            .cloned()
            .unwrap_or(key)
    }

    fn log_path(&self, rel: &str) -> Option<PathBuf> {
        self.store.as_ref().map(|d| d.join(log_name(&doc_name(rel))))
    }

    /// The document of `rel`, opened from the file if nobody has it open. Errors as reading
    /// the file does (not found, binary, too large, outside the folder).
    pub fn open(&self, rel: &str) -> Result<Opened, FsError> {
        self.open_key(&self.key(rel), false)
    }

    /// Opens `rel` for an editor; [`Documents::release`] lets it go.
    pub fn hold(&self, rel: &str) -> Result<Opened, FsError> {
        self.open_key(&self.key(rel), true)
    }

    fn open_key(&self, key: &str, hold: bool) -> Result<Opened, FsError> {
        // Held while the file is read and the log replayed: two first opens of one file
        // must not both replay (and rewrite) its log.
        let mut open = lock(&self.open);
        if let Some(e) = open.get_mut(key) {
            e.holders += usize::from(hold);
            // Open already: the document has the text; the file is only asked how it is.
            let meta = self.ws.resolve_follow(key).ok().and_then(|p| std::fs::metadata(p).ok());
            let (readonly, size) = meta.map(|m| (m.permissions().readonly(), m.len())).unwrap_or((false, 0));
            return Ok(Opened { doc: e.doc.clone(), form: e.form, readonly, size });
        }
        let file = self.ws.read_text(key)?;
        let (text, form) = to_document(&file.content.text, file.content.encoding);
        let doc = Arc::new(Document::open(&doc_name(key), &text, self.log_path(key).as_deref()));
        open.insert(key.to_owned(), Entry { doc: doc.clone(), form, holders: usize::from(hold) });
        Ok(Opened { doc, form, readonly: file.readonly, size: file.size })
    }

    /// An editor closed its `rel`. With `discard`, the user chose not to save: when nobody
    /// else holds it, the document and its unsaved edits go (the file is untouched).
    pub fn release(&self, rel: &str, discard: bool) {
        let key = self.key(rel);
        let rel = key.as_str();
        let mut open = lock(&self.open);
        let Some(e) = open.get_mut(rel) else { return };
        e.holders = e.holders.saturating_sub(1);
        if e.holders > 0 || self.shared.load(Ordering::SeqCst) {
            return;
        }
        let unsaved = e.doc.unsaved();
        if unsaved && !discard {
            // Not saved and not discarded (a window closed): kept, so nothing is lost.
            return;
        }
        open.remove(rel);
        if let Some(log) = self.log_path(rel) {
            // The next open starts from the file.
            let _ = std::fs::remove_file(&log);
            let _ = std::fs::remove_file(log.with_extension("base"));
        }
    }

    /// While shared, documents stay open when editors let them go; sharing stopped: the
    /// ones no editor holds and that hold nothing unsaved are closed.
    pub fn set_shared(&self, shared: bool) {
        self.shared.store(shared, Ordering::SeqCst);
        if !shared {
            lock(&self.open).retain(|_, e| e.holders > 0 || e.doc.unsaved());
        }
    }

    /// The document of `rel` if it is open.
    pub fn get(&self, rel: &str) -> Option<Arc<Document>> {
        let key = self.key(rel);
        lock(&self.open).get(&key).map(|e| e.doc.clone())
    }

    /// The open document of `rel` as its file's text would be (the file's line endings), and
    /// the file's encoding; None when it is not open.
    pub fn file_text(&self, rel: &str) -> Option<(String, Encoding)> {
        let key = self.key(rel);
        let (doc, form) = lock(&self.open).get(&key).map(|e| (e.doc.clone(), e.form))?;
        Some((to_file(&doc.text(), form), form.encoding))
    }

    /// Every open document with its path.
    pub fn all(&self) -> Vec<(String, Arc<Document>)> {
        lock(&self.open).iter().map(|(k, e)| (k.clone(), e.doc.clone())).collect()
    }

    /// Writes every document with unsaved edits (a host stopping): how many files were
    /// written, and each failure with its path.
    pub fn save_all(&self) -> (usize, Vec<(String, FsError)>) {
        let (mut written, mut failed) = (0, vec![]);
        for (rel, _) in self.all().into_iter().filter(|(_, d)| d.unsaved()) {
            match self.save(&rel) {
                Ok(true) => written += 1,
                Ok(false) => {}
                Err(e) => failed.push((rel, e)),
            }
        }
        (written, failed)
    }

    /// Writes the document of `rel` to its file if the file does not hold its text already.
    /// A change on disk the watcher has not reported yet is merged first: a save never
    /// writes over what another program just wrote, and while a clash with the disk is
    /// unsettled (see `Document::conflicts`) it fails with `ChangedOnDisk`. Returns whether
    /// it wrote.
    pub fn save(&self, rel: &str) -> Result<bool, FsError> {
        let key = self.key(rel);
        let rel = key.as_str();
        let Some((doc, mut form)) = lock(&self.open).get(rel).map(|e| (e.doc.clone(), e.form)) else {
            return Err(FsError::InvalidPath { path: rel.to_owned(), reason: "is not open" });
        };
        let _io = doc.disk_io();
        let exists = match self.ws.read_text(rel) {
            Ok(f) => {
                let (text, now) = to_document(&f.content.text, f.content.encoding);
                doc.disk_changed(&text);
                form.encoding = now.encoding;
                true
            }
            Err(FsError::NotFound(_)) => false,
            // Unreadable or no longer text: written over only because the user saves.
            Err(_) => true,
        };
        // Deleted on disk: saving creates it again, whatever the document holds.
        if exists && !doc.unsaved() {
            return Ok(false);
        }
        // A clash with the disk the user has not settled: writing now would put ours over
        // the other program's text, which then survives nowhere but in the banner.
        if exists && !doc.conflicts().is_empty() {
            return Err(FsError::ChangedOnDisk(rel.to_owned()));
        }
        let hook = lock(&self.before_write).clone();
        if let Some(hook) = hook {
            hook();
        }
        let save = doc.begin_save();
        let res = self.ws.write_text(rel, &to_file(&save.text, form), form.encoding);
        doc.end_save(save, res.is_ok());
        res.map(|_| true)
    }

    /// The user chose the disk's text over the document's unsaved edits.
    pub fn take_disk(&self, rel: &str) -> Result<(), FsError> {
        let doc = self.get(rel).ok_or_else(|| FsError::InvalidPath { path: rel.to_owned(), reason: "is not open" })?;
        let _io = doc.disk_io();
        let f = self.ws.read_text(rel)?;
        doc.take_disk(&to_document(&f.content.text, f.content.encoding).0);
        Ok(())
    }

    /// Files changed on disk (the watcher's report): open ones are merged by the merge loop.
    pub fn changed_on_disk<'a>(&self, paths: impl IntoIterator<Item = &'a str>) {
        // The watcher names files by their real paths, which is how documents are keyed:
        // no lookup on disk per event.
        let open = lock(&self.open);
        let mut pending = lock(&self.pending);
        for p in paths {
            if open.contains_key(p) {
                pending.insert(p.to_owned());
            }
        }
        if !pending.is_empty() {
            self.wake.notify_all();
        }
    }

    /// Merges every file reported changed and not merged yet, now, on the caller's thread;
    /// returns how many. The merge loop calls this once per round; a test driving a
    /// [`weft_fs::FakeFs`] calls it to have a report's effect at once.
    pub fn merge_pending(&self) -> usize {
        let paths: Vec<String> = lock(&self.pending).drain().collect();
        for p in &paths {
            self.merge_now(p);
        }
        paths.len()
    }

    /// Merges the file of `rel` into its document now (three-way, see
    /// [`Document::disk_changed`]). Gone, unreadable or no longer text: the document keeps
    /// what it has (a save writes it back); nothing is merged from a file we cannot read.
    pub fn merge_now(&self, rel: &str) -> bool {
        let Some(doc) = self.get(rel) else { return false };
        let _io = doc.disk_io();
        match self.ws.read_text(rel) {
            Ok(f) => doc.disk_changed(&to_document(&f.content.text, f.content.encoding).0),
            Err(_) => false,
        }
    }

    /// The agent changed the open file `rel` from `read` (the file's text it read) to `text`
    /// (both in the file's form): applied to the document as the agent's edit, merged with
    /// anything typed since it read, then saved like any edit. Err(NotOpen) when `rel` is
    /// not open (the agent writes the file itself then).
    pub fn agent_edit(&self, rel: &str, read: &str, text: &str) -> Result<(), FsError> {
        let key = self.key(rel);
        let (doc, form) = lock(&self.open).get(&key).map(|e| (e.doc.clone(), e.form)).ok_or_else(|| FsError::InvalidPath { path: rel.to_owned(), reason: "is not open" })?;
        let held = |t: &str| if form.crlf { t.replace("\r\n", "\n") } else { t.to_owned() };
        doc.agent_edit(&held(read), &held(text));
        self.save(&key).map(drop)
    }

    /// The agent's turn ended: its cursor leaves every document.
    pub fn agent_done(&self) {
        for (_, d) in self.all() {
            d.agent_left();
        }
    }

    /// A file or folder was renamed inside the folder (by the app): open documents follow
    /// it, with their unsaved edits.
    pub fn renamed(&self, from: &str, to: &str) {
        let mut open = lock(&self.open);
        let moved: Vec<String> = open.keys().filter(|k| *k == from || k.starts_with(&format!("{from}/"))).cloned().collect();
        for old in moved {
            let new = format!("{to}{}", &old[from.len()..]);
            if let Some(e) = open.remove(&old) {
                // The document keeps its name (and log) until it is opened again: the text
                // is what matters, and it is in memory.
                open.insert(new, e);
            }
        }
    }

    /// Another program moved open files: `removed` are paths that went in one watcher batch,
    /// `created` the ones that appeared. An open document whose file went, and a new file
    /// that holds exactly the text it last loaded or saved, are taken to be a rename: the
    /// document follows it, unsaved edits and all. Returns the (from, to) pairs followed.
    pub fn follow_renames(&self, removed: &[&str], created: &[&str]) -> Vec<(String, String)> {
        let gone: Vec<(String, Arc<Document>)> = {
            let open = lock(&self.open);
            removed.iter().filter_map(|r| open.get(*r).map(|e| ((*r).to_owned(), e.doc.clone()))).filter(|(r, _)| self.ws.resolve_follow(r).map(|p| !p.exists()).unwrap_or(false)).collect()
        };
        let mut followed = vec![];
        for (from, doc) in gone {
            let saved = doc.saved_text();
            let to = created.iter().find(|c| {
                !lock(&self.open).contains_key(**c) && self.ws.read_text(c).map(|f| to_document(&f.content.text, f.content.encoding).0 == saved).unwrap_or(false)
            });
            if let Some(to) = to {
                self.renamed(&from, to);
                followed.push((from, (*to).to_owned()));
            }
        }
        followed
    }

    /// Disk -> documents, on a thread of its own (merging waits on the disk): each changed
    /// file of an open document is read and merged; at most one round per `MERGE_GAP`, so a
    /// program rewriting a file in a loop costs a bounded number of merges, each of the
    /// newest state. Stops when the guard is dropped.
    pub fn start_merging(self: &Arc<Self>) -> Merging {
        const MERGE_GAP: Duration = Duration::from_millis(100);
        let me = Arc::downgrade(self);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let spawned = std::thread::Builder::new().name("weft-doc-merge".into()).spawn(move || loop {
            let Some(docs) = me.upgrade() else { return };
            {
                let mut pending = lock(&docs.pending);
                while pending.is_empty() && !stopped.load(Ordering::SeqCst) {
                    pending = docs.wake.wait(pending).unwrap_or_else(|p| p.into_inner());
                }
            }
            if stopped.load(Ordering::SeqCst) {
                return;
            }
            docs.merge_pending();
            drop(docs);
            std::thread::sleep(MERGE_GAP);
        });
        if let Err(e) = spawned {
            warn!("documents: changes on disk will not be merged ({e})");
        }
        Merging { docs: Arc::downgrade(self), stop }
    }

    /// The log folder, for tools that inspect it.
    pub fn store(&self) -> Option<&Path> {
        self.store.as_deref()
    }
}

/// The running merge loop; dropping it stops the loop.
pub struct Merging {
    docs: std::sync::Weak<Documents>,
    stop: Arc<AtomicBool>,
}

impl Drop for Merging {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(d) = self.docs.upgrade() {
            let _guard = lock(&d.pending);
            d.wake.notify_all();
        }
    }
}
