//! One shared document and the y-sync protocol on it. A connection's messages are applied
//! here and what changed is re-broadcast to the room's other connections as the same
//! bytes, so the server never re-encodes a peer's update.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use yrs::encoding::read::Cursor;
use yrs::sync::protocol::{DefaultProtocol, MessageReader, Protocol};
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
pub use yrs::block::ClientID;
use yrs::{Doc, GetString, IndexedSequence, Map, MapRef, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update};
use tracing::warn;
use crate::{apply_text, Conflict, DiskSync};

/// The text of a file room.
pub const CONTENT: &str = "content";
/// The project-tree room: its `Y.Map` `files` has a key per shared file path.
pub const TREE: &str = "tree";
pub const FILES: &str = "files";
/// In the tree room: the shared terminals, `id` -> `{"title", "writable", "cols", "rows"}`
/// (JSON text).
pub const TERMINALS: &str = "terminals";
/// In the tree room: the ports whose preview the host shares, `port` -> `{"title"}` (JSON
/// text); guests see them through the host (weft_run::proxy's relay).
pub const PREVIEWS: &str = "previews";

/// Frames for the room's connections, with the id of the connection they came from (it
/// does not get its own changes back).
pub type Frame = (u64, Arc<[u8]>);

pub struct Document {
    pub name: String,
    awareness: Mutex<Awareness>,
    tx: Arc<crate::fanout::Fanout>,
    /// The file's text as the room last loaded or saved it: the base of the three-way merge
    /// with a change on disk, and how the host's own writes are recognised when the watcher
    /// reports them (by content, never by timing).
    disk: Mutex<DiskSync>,
    /// Where that base is kept beside the log, so a restarted host can tell a file changed
    /// while it was down (merged) from edits it had not saved (saved).
    base_file: Option<PathBuf>,
    /// Regions a disk change and the room both changed differently: the room kept its
    /// text; the disk's is here (and in the log's folder) for the user to compare.
    conflicts: Mutex<Vec<Conflict>>,
    /// Held across "read the file, merge" and "read, merge, write, record": a save and a
    /// merge of the same file never interleave (a merge reading the previous save's bytes
    /// while the next save is being written would take that older text for a change).
    io: Mutex<()>,
    /// Bumped by every change to the document, for the host's save loop.
    version: AtomicU64,
    /// Every update the room accepted, appended before it is relayed, so a host that
    /// crashes keeps what it acknowledged (a process crash, not a power cut: no fsync per
    /// keystroke). Reloaded with the same history, so returning guests merge, not duplicate.
    log: Option<Mutex<File>>,
    /// Nobody may change it over the wire (the project tree, a terminal's output, a
    /// terminal guests may not type into).
    locked: std::sync::atomic::AtomicBool,
    /// Called after a guest's update was applied (a shared terminal's keystrokes).
    on_guest_update: Mutex<Option<GuestUpdateHook>>,
    /// Bumped whenever the text last loaded or saved changes (a save, a merged disk
    /// change): editors compare their text with it to show "unsaved".
    saved_gen: tokio::sync::watch::Sender<u64>,
}

pub type GuestUpdateHook = Arc<dyn Fn(&Document) + Send + Sync>;

pub fn new_doc() -> Doc {
    // UTF-16 offsets, as Yjs (and CodeMirror) count.
    Doc::with_options(Options { offset_kind: OffsetKind::Utf16, ..Options::default() })
}

/// Writes `text` to `path` whole, readable by the user only: it is workspace content.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    weft_fs::atomic_write_mode(path, text.as_bytes(), Some(0o600))
}

/// A save in progress: the text being written, and the base to go back to if it fails.
pub struct Save {
    pub text: String,
    previous: String,
}

/// The smallest replacement turning `old` into `new`: (start, removed, inserted) in UTF-16
/// units, from their common prefix and suffix.
pub fn minimal_edit(old: &str, new: &str) -> (u32, u32, String) {
    let (o, n): (Vec<u16>, Vec<u16>) = (old.encode_utf16().collect(), new.encode_utf16().collect());
    let prefix = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let suffix = o[prefix..].iter().rev().zip(n[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let inserted = String::from_utf16_lossy(&n[prefix..n.len() - suffix]);
    (prefix as u32, (o.len() - prefix - suffix) as u32, inserted)
}

/// Why a connection's frame was refused; the connection is closed, the room goes on.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("malformed y-sync message: {0}")]
    Malformed(String),
    /// Well-formed, but more than one participant may ask of the host.
    #[error("refused: {0}")]
    Refused(String),
}

/// Presence one connection may keep on the host: a Yjs client announces one id (an
/// editor per document, a few at most), and its state is a name, a colour and a cursor.
/// Without a bound, any guest (read-only ones too) could grow the host's memory without
/// end by announcing new ids with large states.
pub const MAX_CLIENTS_PER_CONNECTION: usize = 4;
pub const MAX_PRESENCE_BYTES: usize = 16 * 1024;

/// What handling a frame produced for its sender.
pub struct Handled {
    pub replies: Vec<Vec<u8>>,
    /// Awareness client ids the sender announced (removed when it disconnects).
    pub clients: Vec<ClientID>,
    /// The sender tried to change the document without the right to.
    pub refused_write: bool,
}

/// A change to a document's text: `from..to` of the text before the transaction (UTF-16
/// offsets, as editors count) replaced by `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextChange {
    pub from: u32,
    pub to: u32,
    pub insert: String,
}

/// One transaction's changes to a text from its delta: ascending, non-overlapping, in the
/// coordinates before it (a CodeMirror change set's shape).
fn changes_of(delta: &[yrs::types::Delta]) -> Vec<TextChange> {
    use yrs::types::Delta;
    let mut out: Vec<TextChange> = vec![];
    let mut pos = 0u32;
    let put = |out: &mut Vec<TextChange>, from: u32, to: u32, insert: &str| match out.last_mut() {
        // A deletion and an insertion at one place are one replacement.
        Some(last) if last.to == from => {
            last.to = to;
            last.insert.push_str(insert);
        }
        _ => out.push(TextChange { from, to, insert: insert.to_owned() }),
    };
    for d in delta {
        match d {
            Delta::Retain(n, _) => pos += n,
            Delta::Deleted(n) => {
                put(&mut out, pos, pos + n, "");
                pos += n;
            }
            Delta::Inserted(v, _) => {
                // Text is all the documents hold; anything else counts as one character.
                let s = match v {
                    yrs::Out::Any(yrs::Any::String(s)) => s.to_string(),
                    _ => "\u{FFFC}".to_owned(),
                };
                put(&mut out, pos, pos, &s);
            }
        }
    }
    out
}

/// Host-side changes (a file changed on disk) go out as this connection id.
pub const HOST: u64 = 0;

/// A new connection id for [`Document::handle`], unique in the process: editors and guests
/// reach the same documents, and each must be told apart from all the others (a connection
/// is not sent its own changes back).
pub fn new_connection() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn append(log: &mut File, update: &[u8]) -> std::io::Result<()> {
    let mut rec = Vec::with_capacity(update.len() + 4);
    rec.extend_from_slice(&(update.len() as u32).to_le_bytes());
    rec.extend_from_slice(update);
    log.write_all(&rec)
}

/// The updates of a log, up to the first record cut short (a crash mid-write).
fn read_log(path: &Path) -> Vec<Vec<u8>> {
    let mut bytes = vec![];
    if File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).is_err() {
        return vec![];
    }
    let mut out = vec![];
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let n = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        if at + 4 + n > bytes.len() {
            break;
        }
        out.push(bytes[at + 4..at + 4 + n].to_vec());
        at += 4 + n;
    }
    out
}

impl Document {
    /// A room whose document starts as `text` (a file's content).
    pub fn new(name: &str, text: &str) -> Self {
        Self::open(name, text, None)
    }

    /// A room kept in the update log at `log`: restored from it when it exists (the text
    /// on disk then only matters if the room has no history), else started from `text`.
    pub fn open(name: &str, text: &str, log: Option<&Path>) -> Self {
        let doc = new_doc();
        let history = log.map(read_log).unwrap_or_default();
        let mut restored = false;
        for u in &history {
            if let Ok(u) = Update::decode_v1(u) {
                restored |= doc.transact_mut().apply_update(u).is_ok();
            }
        }
        let content = doc.get_or_insert_text(CONTENT);
        if !restored {
            let mut txn = doc.transact_mut();
            content.insert(&mut txn, 0, text);
        }
        let base_file = log.map(|p| p.with_extension("base"));
        // What the file held when the room last loaded or saved it. A log without one (kept
        // by an older Weft) takes the disk as it is: the room's own text wins, as it did.
        let base = if restored { base_file.as_deref().and_then(|f| std::fs::read_to_string(f).ok()) } else { None };
        let mut disk = DiskSync::new(base.as_deref().unwrap_or(text));
        let mut conflicts = vec![];
        if restored {
            // The file changed while the host was down: merged as any change on disk, with
            // the text last saved as the base, so neither the file's change nor the edits
            // the host had not saved are lost.
            let room_text = content.get_string(&doc.transact());
            if let Some(m) = disk.disk_changed(&room_text, text) {
                if m.text != room_text {
                    apply_text(&content, &mut doc.transact_mut(), &room_text, &m.text);
                }
                conflicts = m.conflicts;
            }
        }
        let differs = restored && content.get_string(&doc.transact()) != disk.saved();
        // The log starts again as one record of the whole state: same history, less to read.
        let log = log.and_then(|p| {
            let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
            let tmp = p.with_extension("tmp");
            let written = File::create(&tmp).and_then(|mut f| append(&mut f, &state).and_then(|_| f.sync_all())).and_then(|_| std::fs::rename(&tmp, p));
            match written.and_then(|_| std::fs::OpenOptions::new().append(true).open(p)) {
                Ok(f) => Some(Mutex::new(f)),
                Err(e) => {
                    warn!("collab: {name} is not kept across restarts ({e})");
                    None
                }
            }
        });
        if let Some(f) = &base_file {
            if let Err(e) = write_private(f, disk.saved()) {
                warn!("collab: {name}: the saved text is not kept ({e}); a restart would take the room's text over the file's");
            }
        }
        // Bounded: a reader that falls behind a burst is sent the whole document once
        // (see the server) rather than the room holding every update for it.
        let tx = Arc::new(crate::fanout::Fanout::default());
        // Edits the host acknowledged but had not saved when it stopped: saved again.
        let version = AtomicU64::new(u64::from(differs));
        let room = Document {
            name: name.to_owned(),
            awareness: Mutex::new(Awareness::new(doc)),
            tx,
            disk: Mutex::new(disk),
            base_file,
            conflicts: Mutex::new(vec![]),
            io: Mutex::new(()),
            version,
            log,
            locked: Default::default(),
            on_guest_update: Mutex::new(None),
            saved_gen: tokio::sync::watch::Sender::new(0),
        };
        room.keep_conflicts(conflicts);
        room
    }

    /// The project-tree room: a key per shared file in the map `files`; only the host
    /// changes it.
    pub fn tree(files: &[String]) -> Self {
        let room = Self::new(TREE, "");
        room.set_locked(true);
        room.set_files(files);
        room
    }

    /// Whether guests' updates are refused, whatever their role.
    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::SeqCst);
    }

    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    pub fn on_guest_update(&self, hook: GuestUpdateHook) {
        *self.on_guest_update.lock().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    /// A change made by the host itself (not from a file): applied and sent to everyone.
    /// `f` gets the document first, to take its root types (outside any transaction, as yrs
    /// requires), then makes its change in the transaction it returns into.
    pub fn host_edit<R>(&self, roots: impl FnOnce(&Doc) -> R, f: impl FnOnce(R, &mut yrs::TransactionMut)) {
        let update = {
            let aw = self.lock();
            let doc = aw.doc();
            let r = roots(doc);
            let mut txn = doc.transact_mut();
            f(r, &mut txn);
            txn.encode_update_v1()
        };
        if Update::decode_v1(&update).map(|u| !u.is_empty()).unwrap_or(false) {
            self.publish(update);
        }
    }

    /// Brings the tree room's `files` to exactly `files`, as one host update.
    pub fn set_files(&self, files: &[String]) {
        self.host_edit(
            |doc| doc.get_or_insert_map(FILES),
            |map: MapRef, txn| {
                let want: std::collections::HashSet<&str> = files.iter().map(String::as_str).collect();
                let gone: Vec<String> = map.keys(txn).filter(|k| !want.contains(k)).map(str::to_owned).collect();
                for k in gone {
                    map.remove(txn, &k);
                }
                for f in files {
                    if !map.contains_key(txn, f) {
                        map.insert(txn, f.as_str(), true);
                    }
                }
            },
        );
    }

    /// A host-side update already applied to the document: logged, counted for the save
    /// loop, and sent to every connection.
    fn publish(&self, update: Vec<u8>) {
        self.record(&update);
        self.version.fetch_add(1, Ordering::SeqCst);
        self.broadcast(HOST, &Message::Sync(SyncMessage::Update(update)));
    }

    fn record(&self, update: &[u8]) {
        if let Some(log) = &self.log {
            if let Err(e) = append(&mut log.lock().unwrap_or_else(|p| p.into_inner()), update) {
                warn!("collab: {} could not be logged ({e}); a crash now would lose it", self.name);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Awareness> {
        self.awareness.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(&self) -> crate::fanout::Receiver {
        self.tx.subscribe()
    }

    fn broadcast(&self, from: u64, msg: &Message) {
        self.tx.send((from, Arc::from(msg.encode_v1())));
    }

    /// What a new connection is sent first: the server's sync step 1 and everyone's
    /// presence.
    pub fn greeting(&self) -> Vec<u8> {
        let aw = self.lock();
        let mut enc = EncoderV1::new();
        // Only fails on an awareness state that does not serialise, which we never set.
        let _ = DefaultProtocol.start(&aw, &mut enc);
        enc.to_vec()
    }

    /// The whole document as one sync step 2, for a connection that missed updates.
    pub fn catch_up(&self) -> Vec<u8> {
        let aw = self.lock();
        let state = aw.doc().transact().encode_state_as_update_v1(&StateVector::default());
        Message::Sync(SyncMessage::SyncStep2(state)).encode_v1()
    }

    /// Applies one frame (one or more y-sync messages) from connection `conn`, which has
    /// announced the awareness client ids `announced` so far.
    pub fn handle(&self, conn: u64, data: &[u8], may_write: bool, announced: &[ClientID]) -> Result<Handled, FrameError> {
        let mut out = Handled { replies: vec![], clients: vec![], refused_write: false };
        let mut decoder = DecoderV1::new(Cursor::new(data));
        let messages: Vec<Message> = MessageReader::new(&mut decoder).collect::<Result<_, _>>().map_err(|e| FrameError::Malformed(e.to_string()))?;
        // The reader stops quietly at a message cut short; lib0's encoding is canonical,
        // so the messages read must account for every byte of the frame.
        let read: usize = messages.iter().map(|m| m.encode_v1().len()).sum();
        if read != data.len() {
            return Err(FrameError::Malformed(format!("{} of {} bytes form whole messages", read, data.len())));
        }
        let mut aw = self.lock();
        let mut applied = false;
        for msg in messages {
            match msg {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let update = aw.doc().transact().encode_state_as_update_v1(&sv);
                    out.replies.push(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1());
                }
                Message::Sync(SyncMessage::SyncStep2(bytes) | SyncMessage::Update(bytes)) => {
                    let update = Update::decode_v1(&bytes).map_err(|e| FrameError::Malformed(e.to_string()))?;
                    if update.is_empty() {
                        continue;
                    }
                    if !may_write || self.locked.load(Ordering::SeqCst) {
                        out.refused_write = true;
                        continue;
                    }
                    aw.doc().transact_mut().apply_update(update).map_err(|e| FrameError::Malformed(e.to_string()))?;
                    applied = true;
                    self.record(&bytes);
                    self.version.fetch_add(1, Ordering::SeqCst);
                    self.broadcast(conn, &Message::Sync(SyncMessage::Update(bytes)));
                }
                Message::Awareness(update) => {
                    if let Some(big) = update.clients.values().find(|e| e.json.len() > MAX_PRESENCE_BYTES) {
                        return Err(FrameError::Refused(format!("a presence state of {} bytes (at most {MAX_PRESENCE_BYTES})", big.json.len())));
                    }
                    let mut ids: Vec<ClientID> = announced.iter().chain(&out.clients).copied().collect();
                    ids.extend(update.clients.keys().copied());
                    ids.sort_unstable();
                    ids.dedup();
                    if ids.len() > MAX_CLIENTS_PER_CONNECTION {
                        return Err(FrameError::Refused(format!("{} presence ids on one connection (at most {MAX_CLIENTS_PER_CONNECTION})", ids.len())));
                    }
                    out.clients.extend(update.clients.keys().copied());
                    aw.apply_update(update.clone()).map_err(|e| FrameError::Malformed(e.to_string()))?;
                    self.broadcast(conn, &Message::Awareness(update));
                }
                Message::AwarenessQuery => {
                    if let Ok(update) = aw.update() {
                        out.replies.push(Message::Awareness(update).encode_v1());
                    }
                }
                // Auth replies and extensions other clients may send are not ours to act on.
                Message::Auth(_) | Message::Custom(..) => {}
            }
        }
        drop(aw);
        if applied {
            let hook = self.on_guest_update.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(hook) = hook {
                hook(self);
            }
        }
        Ok(out)
    }

    /// A connection left: its cursors and names go from everyone's view.
    pub fn leave(&self, conn: u64, clients: &[ClientID]) {
        let mut aw = self.lock();
        for &c in clients {
            aw.remove_state(c);
        }
        if let Ok(update) = aw.update_with_clients(clients.iter().copied()) {
            drop(aw);
            self.broadcast(conn, &Message::Awareness(update));
        }
    }

    pub fn text(&self) -> String {
        let aw = self.lock();
        let doc = aw.doc();
        let content = doc.get_or_insert_text(CONTENT);
        let txn = doc.transact();
        content.get_string(&txn)
    }

    /// Bumped by every change; compare before and after a save.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Starts a save: the room's text now, which is the base from this moment (so the
    /// watcher's report of the write is recognised as ours whenever it comes). Finish with
    /// [`Document::end_save`].
    pub fn begin_save(&self) -> Save {
        let aw = self.lock();
        let text = {
            let t = aw.doc().get_or_insert_text(CONTENT);
            let txn = aw.doc().transact();
            t.get_string(&txn)
        };
        let previous = self.disk().saving(&text);
        Save { text, previous }
    }

    /// The save was written (`ok`), or it failed and the file was left as it was.
    pub fn end_save(&self, save: Save, ok: bool) {
        if ok {
            self.keep_base(&save.text);
            self.saved_gen.send_modify(|g| *g += 1);
        } else {
            self.disk().save_failed(save.previous);
        }
    }

    /// Taken by whoever reads the file to merge it or writes it (see the field).
    pub fn disk_io(&self) -> std::sync::MutexGuard<'_, ()> {
        self.io.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn disk(&self) -> std::sync::MutexGuard<'_, DiskSync> {
        self.disk.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn keep_base(&self, text: &str) {
        if let Some(f) = &self.base_file {
            if let Err(e) = write_private(f, text) {
                warn!("collab: {}: the saved text is not kept ({e})", self.name);
            }
        }
    }

    /// The file's text as the room last loaded or saved it (the base of the next merge).
    pub fn saved_text(&self) -> String {
        self.disk().saved().to_owned()
    }

    /// Whether the room holds text the file does not (edits not saved yet).
    pub fn unsaved(&self) -> bool {
        self.text() != self.disk().saved()
    }

    /// Calls `f` after every transaction that changed the text, with its changes (see
    /// [`TextChange`]) and the text's length after it, until [`Document::unobserve_text`]
    /// with the same `key`. Runs inside the document's lock: `f` must only hand them on.
    pub fn observe_text(&self, key: &str, f: impl Fn(Vec<TextChange>, u32) + Send + Sync + 'static) {
        use yrs::Observable;
        let aw = self.lock();
        let text = aw.doc().get_or_insert_text(CONTENT);
        let t = text.clone();
        text.observe(key.to_owned(), move |txn, e| {
            let changes = changes_of(e.delta(txn));
            if !changes.is_empty() {
                f(changes, t.len(txn));
            }
        });
    }

    pub fn unobserve_text(&self, key: &str) {
        use yrs::Observable;
        let aw = self.lock();
        aw.doc().get_or_insert_text(CONTENT).unobserve(key.to_owned());
    }

    /// Runs `f` with the document's lock held, so no transaction (and no
    /// [`Document::observe_text`] callback) runs meanwhile, and returns its result with the
    /// state vector at that moment and, if asked, the text.
    pub fn at_rest<R>(&self, with_text: bool, f: impl FnOnce() -> R) -> (R, Option<String>, Vec<u8>) {
        let aw = self.lock();
        let r = f();
        // The root type first: yrs takes it outside any transaction.
        let content = aw.doc().get_or_insert_text(CONTENT);
        let txn = aw.doc().transact();
        let text = with_text.then(|| content.get_string(&txn));
        (r, text, txn.state_vector().encode_v1())
    }

    /// The document's state vector (y-sync v1 encoding): which edits it holds, so a replica
    /// can tell whether it holds the same text without comparing the text.
    pub fn state_vector(&self) -> Vec<u8> {
        let aw = self.lock();
        let sv = aw.doc().transact().state_vector();
        sv.encode_v1()
    }

    /// Whether the document holds every edit a replica's state vector `sv` names (a guest's
    /// request is about the text it had: answered once the edits have arrived here). A
    /// vector that does not decode names nothing.
    pub fn holds(&self, sv: &[u8]) -> bool {
        let Ok(want) = StateVector::decode_v1(sv) else { return true };
        let aw = self.lock();
        let have = aw.doc().transact().state_vector();
        want.iter().all(|(client, clock)| have.get(client) >= *clock)
    }

    /// Counts the changes of [`Document::saved_text`].
    pub fn saved_generation(&self) -> u64 {
        *self.saved_gen.borrow()
    }

    /// Changes whenever [`Document::saved_text`] may have (see the field).
    pub fn watch_saved(&self) -> tokio::sync::watch::Receiver<u64> {
        self.saved_gen.subscribe()
    }

    /// The user chose the disk's text over the document's (after a conflict): the document
    /// becomes `disk`, by the smallest edits, and that is the saved text.
    pub fn take_disk(&self, disk: &str) {
        let update = {
            let aw = self.lock();
            let content = aw.doc().get_or_insert_text(CONTENT);
            let ours = content.get_string(&aw.doc().transact());
            self.disk().saving(disk);
            let mut txn = aw.doc().transact_mut();
            apply_text(&content, &mut txn, &ours, disk);
            txn.encode_update_v1()
        };
        self.keep_base(disk);
        self.conflicts.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.saved_gen.send_modify(|g| *g += 1);
        if Update::decode_v1(&update).map(|u| !u.is_empty()).unwrap_or(false) {
            self.publish(update);
        }
    }

    /// The user has seen the conflicts (kept their text): they are no longer reported.
    pub fn clear_conflicts(&self) {
        self.conflicts.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.saved_gen.send_modify(|g| *g += 1);
    }

    /// The conflicts disk changes met (the room kept its side; see [`Document::disk_changed`]).
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.conflicts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn keep_conflicts(&self, found: Vec<Conflict>) {
        if found.is_empty() {
            return;
        }
        for c in &found {
            warn!("collab: {}: the file changed on disk where guests were editing; the room kept its text, the disk's was {:?}", self.name, c.theirs);
        }
        if let Some(f) = &self.base_file {
            // The disk's side, kept where the user can compare it (the next save replaces
            // the file).
            let path = f.with_extension(format!("conflict-{}", self.conflicts.lock().unwrap_or_else(|p| p.into_inner()).len()));
            let text: String = found.iter().map(|c| format!("<<<<<<< room\n{}=======\n{}>>>>>>> disk\n", c.ours, c.theirs)).collect();
            if write_private(&path, &text).is_ok() {
                warn!("collab: {}: the disk's side is kept in {}", self.name, path.display());
            }
        }
        self.conflicts.lock().unwrap_or_else(|p| p.into_inner()).extend(found);
    }

    /// The file changed on disk (another program, a `git checkout`): merged three-way
    /// with what guests typed since the last load or save (base = that text), so an edit
    /// already in the file is not applied twice, nothing typed is lost, and cursors stay.
    /// Returns false when nothing changed (the host's own save coming back).
    pub fn disk_changed(&self, text: &str) -> bool {
        self.merge_disk(text).is_some()
    }

    /// Like [`Document::disk_changed`], for a change the agent made: everyone also sees the
    /// "Agent" participant's cursor at the end of the change, until [`Document::agent_left`].
    pub fn agent_changed(&self, text: &str) -> bool {
        let Some(end) = self.merge_disk(text) else { return false };
        self.show_agent_at(end);
        true
    }

    /// The agent edited the text it had read (`read`) into `text`: merged three ways with
    /// what the document holds now, so anything typed since the agent read is kept, and
    /// everyone sees the "Agent" cursor at the end of the change. The file is the caller's
    /// to save. Returns false when it changed nothing.
    pub fn agent_edit(&self, read: &str, text: &str) -> bool {
        let (update, end) = {
            let aw = self.lock();
            let content = aw.doc().get_or_insert_text(CONTENT);
            let ours = content.get_string(&aw.doc().transact());
            let merged = crate::merge3(read, &ours, text);
            let edits = crate::text_edits(&ours, &merged.text);
            if edits.is_empty() {
                return false;
            }
            let shift: i64 = edits.iter().map(|e| e.inserted.encode_utf16().count() as i64 - i64::from(e.removed)).sum();
            let end = edits.last().map(|e| (i64::from(e.start + e.removed) + shift).max(0) as u32).unwrap_or(0);
            let mut txn = aw.doc().transact_mut();
            crate::apply_edits(&content, &mut txn, &edits);
            (txn.encode_update_v1(), end)
        };
        self.publish(update);
        self.show_agent_at(end);
        true
    }

    /// The agent's presence, its cursor at `end` (UTF-16) of the text.
    fn show_agent_at(&self, end: u32) {
        let aw = self.lock();
        let t = aw.doc().get_or_insert_text(CONTENT);
        let item = {
            let txn = aw.doc().transact();
            let end = end.min(t.len(&txn));
            t.sticky_index(&txn, end, yrs::Assoc::After).and_then(|s| s.id().copied())
        };
        // A Yjs relative position, as y-codemirror reads it from presence.
        let pos = match item {
            Some(id) => format!(r#"{{"type":null,"tname":"{CONTENT}","item":{{"client":{},"clock":{}}},"assoc":0}}"#, id.client, id.clock),
            None => format!(r#"{{"type":null,"tname":"{CONTENT}","item":null,"assoc":0}}"#),
        };
        let state = format!(r##"{{"user":{{"name":"Agent","color":"#c678dd","colorLight":"#c678dd33"}},"cursor":{{"anchor":{pos},"head":{pos}}}}}"##);
        self.announce(aw, Some(state));
    }

    /// The agent's turn ended: its cursor goes from everyone's view.
    pub fn agent_left(&self) {
        let aw = self.lock();
        if aw.local_state_raw().is_some() {
            self.announce(aw, None);
        }
    }

    /// Sets (or clears) the room's own presence — the agent's — and tells everyone.
    fn announce(&self, mut aw: std::sync::MutexGuard<'_, Awareness>, state: Option<String>) {
        match state {
            Some(s) => aw.set_local_state_raw(s),
            None => aw.clean_local_state(),
        }
        let id = aw.client_id();
        if let Ok(update) = aw.update_with_clients([id]) {
            drop(aw);
            self.broadcast(HOST, &Message::Awareness(update));
        }
    }

    /// Merges a new disk text; returns where the last change ends in the room's text
    /// (UTF-16), or None when the disk holds what the room last loaded or saved.
    fn merge_disk(&self, text: &str) -> Option<u32> {
        let (update, end, conflicts) = {
            // The room's lock is held from reading its text to applying the merge: a guest's
            // update cannot slip in between and be overwritten.
            let aw = self.lock();
            let content = aw.doc().get_or_insert_text(CONTENT);
            let ours = content.get_string(&aw.doc().transact());
            let merged = self.disk().disk_changed(&ours, text)?;
            let edits = crate::text_edits(&ours, &merged.text);
            let end = edits.last().map(|e| {
                let shift: i64 = edits.iter().map(|e| e.inserted.encode_utf16().count() as i64 - i64::from(e.removed)).sum();
                (i64::from(e.start + e.removed) + shift).max(0) as u32
            });
            let mut txn = aw.doc().transact_mut();
            crate::apply_edits(&content, &mut txn, &edits);
            (txn.encode_update_v1(), end, merged.conflicts)
        };
        // Written after the room's lock is let go: relaying does not wait on the disk.
        self.keep_base(text);
        self.keep_conflicts(conflicts);
        self.saved_gen.send_modify(|g| *g += 1);
        if Update::decode_v1(&update).map(|u| !u.is_empty()).unwrap_or(false) {
            self.publish(update);
        }
        // The disk changed but the room already held it all: nothing to tell anyone.
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies changes in the coordinates before them (UTF-16), as an editor would.
    fn apply(old: &str, changes: &[TextChange]) -> String {
        let o: Vec<u16> = old.encode_utf16().collect();
        let mut out: Vec<u16> = vec![];
        let mut at = 0usize;
        for c in changes {
            out.extend_from_slice(&o[at..c.from as usize]);
            out.extend(c.insert.encode_utf16());
            at = c.to as usize;
        }
        out.extend_from_slice(&o[at..]);
        String::from_utf16(&out).expect("utf16")
    }

    #[test]
    fn observed_changes_turn_the_old_text_into_the_new_one_in_editor_coordinates() {
        // Multi-byte but single UTF-16 unit characters: offsets differ from UTF-8 ones, and no
        // random position can split a surrogate pair.
        let doc = Document::new("file/t", "héllo wörld — line\nsecond line\n");
        let seen: Arc<Mutex<Vec<(Vec<TextChange>, u32)>>> = Arc::default();
        let s = seen.clone();
        doc.observe_text("test", move |c, len| s.lock().expect("lock").push((c, len)));
        // A seeded walk of transactions, each with several edits at once.
        let mut seed = 0x9e37_79b9_u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n.max(1)
        };
        for _ in 0..300 {
            let before = doc.text();
            doc.host_edit(
                |d| d.get_or_insert_text(CONTENT),
                |t, txn| {
                    for _ in 0..1 + next(3) {
                        let len = t.len(txn);
                        let at = next(u64::from(len) + 1) as u32;
                        match next(3) {
                            0 => t.insert(txn, at, ["x", "é", "—", "\n", "ab"][next(5) as usize]),
                            1 if len > at => t.remove_range(txn, at, (1 + next(3) as u32).min(len - at)),
                            _ => {
                                if len > at {
                                    t.remove_range(txn, at, 1);
                                }
                                t.insert(txn, at, "R");
                            }
                        }
                    }
                },
            );
            let after = doc.text();
            let events: Vec<_> = seen.lock().expect("lock").drain(..).collect();
            if before == after {
                continue;
            }
            assert_eq!(events.len(), 1, "one notification per transaction");
            let (changes, len) = &events[0];
            assert!(changes.windows(2).all(|w| w[0].to < w[1].from || (w[0].to <= w[1].from)), "ascending: {changes:?}");
            assert_eq!(apply(&before, changes), after, "{changes:?}");
            assert_eq!(*len as usize, after.encode_utf16().count());
        }
        doc.unobserve_text("test");
        doc.host_edit(|d| d.get_or_insert_text(CONTENT), |t, txn| t.insert(txn, 0, "after"));
        assert!(seen.lock().expect("lock").is_empty(), "no notifications after unobserve");
    }
}
