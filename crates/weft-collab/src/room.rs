//! One shared document and the y-sync protocol on it. A connection's messages are applied
//! here and what changed is re-broadcast to the room's other connections as the same
//! bytes, so the server never re-encodes a peer's update.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use yrs::encoding::read::Cursor;
use yrs::sync::protocol::{DefaultProtocol, MessageReader, Protocol};
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::block::ClientID;
use yrs::{Doc, GetString, IndexedSequence, Map, MapRef, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update};
use tracing::warn;

/// The text of a file room.
pub const CONTENT: &str = "content";
/// The project-tree room: its `Y.Map` `files` has a key per shared file path.
pub const TREE: &str = "tree";
pub const FILES: &str = "files";
/// In the tree room: the shared terminals, `id` -> `{"title", "writable", "cols", "rows"}`
/// (JSON text).
pub const TERMINALS: &str = "terminals";

/// Frames for the room's connections, with the id of the connection they came from (it
/// does not get its own changes back).
pub type Frame = (u64, Arc<[u8]>);

pub struct Room {
    pub name: String,
    awareness: Mutex<Awareness>,
    tx: broadcast::Sender<Frame>,
    /// The document as it was when it last matched the file on disk (loaded or saved):
    /// a change on disk is applied to this copy and merged from there, so edits guests
    /// made since are kept.
    disk: Mutex<Doc>,
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
}

pub type GuestUpdateHook = Arc<dyn Fn(&Room) + Send + Sync>;

pub(crate) fn new_doc() -> Doc {
    // UTF-16 offsets, as Yjs (and CodeMirror) count.
    Doc::with_options(Options { offset_kind: OffsetKind::Utf16, ..Options::default() })
}

/// A copy of `doc` with its own client id, for edits made "as the disk".
fn snapshot(doc: &Doc) -> Doc {
    let copy = new_doc();
    let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
    if let Ok(u) = Update::decode_v1(&state) {
        let _ = copy.transact_mut().apply_update(u);
    }
    copy
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
}

/// What handling a frame produced for its sender.
pub struct Handled {
    pub replies: Vec<Vec<u8>>,
    /// Awareness client ids the sender announced (removed when it disconnects).
    pub clients: Vec<ClientID>,
    /// The sender tried to change the document without the right to.
    pub refused_write: bool,
}

/// Host-side changes (a file changed on disk) go out as this connection id.
pub const HOST: u64 = 0;

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

impl Room {
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
        let differs = restored && content.get_string(&doc.transact()) != text;
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
        // Bounded: a reader that falls behind a burst is sent the whole document once
        // (see the server) rather than the room holding every update for it.
        let (tx, _) = broadcast::channel(1024);
        let disk = Mutex::new(snapshot(&doc));
        // Edits the host acknowledged but had not saved when it stopped: saved again.
        let version = AtomicU64::new(u64::from(differs));
        Room {
            name: name.to_owned(),
            awareness: Mutex::new(Awareness::new(doc)),
            tx,
            disk,
            version,
            log,
            locked: Default::default(),
            on_guest_update: Mutex::new(None),
        }
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

    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.tx.subscribe()
    }

    fn broadcast(&self, from: u64, msg: &Message) {
        // No receivers is fine: nobody else is in the room.
        let _ = self.tx.send((from, Arc::from(msg.encode_v1())));
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

    /// Applies one frame (one or more y-sync messages) from connection `conn`.
    pub fn handle(&self, conn: u64, data: &[u8], may_write: bool) -> Result<Handled, FrameError> {
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

    /// The host wrote `text` (the room's text at `version`) to disk: it is the new base
    /// for changes that come from the disk.
    pub fn saved(&self, version: u64) {
        let aw = self.lock();
        if self.version() == version {
            *self.disk.lock().unwrap_or_else(|p| p.into_inner()) = snapshot(aw.doc());
        }
    }

    fn disk_text(&self) -> String {
        let disk = self.disk.lock().unwrap_or_else(|p| p.into_inner());
        let t = disk.get_or_insert_text(CONTENT);
        let txn = disk.transact();
        t.get_string(&txn)
    }

    /// The file changed on disk (another program, a `git checkout`): the change since the
    /// last load or save is applied as a minimal edit and merged with what guests typed
    /// since, so no edit is lost and cursors stay. Returns false when nothing changed (the
    /// host's own save coming back).
    pub fn disk_changed(&self, text: &str) -> bool {
        self.merge_disk(text).is_some()
    }

    /// Like [`Room::disk_changed`], for a change the agent made: everyone also sees the
    /// "Agent" participant's cursor at the end of the change, until [`Room::agent_left`].
    pub fn agent_changed(&self, text: &str) -> bool {
        let Some(end) = self.merge_disk(text) else { return false };
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
        true
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

    /// Merges a new disk text; returns where the change ends in the room's text (UTF-16),
    /// or None when nothing changed.
    fn merge_disk(&self, text: &str) -> Option<u32> {
        let (index, removed, inserted) = minimal_edit(&self.disk_text(), text);
        if removed == 0 && inserted.is_empty() {
            return None;
        }
        let update = {
            let disk = self.disk.lock().unwrap_or_else(|p| p.into_inner());
            let t = disk.get_or_insert_text(CONTENT);
            let mut txn = disk.transact_mut();
            if removed > 0 {
                t.remove_range(&mut txn, index, removed);
            }
            if !inserted.is_empty() {
                t.insert(&mut txn, index, &inserted);
            }
            txn.encode_update_v1()
        };
        {
            let aw = self.lock();
            if let Ok(u) = Update::decode_v1(&update) {
                let _ = aw.doc().transact_mut().apply_update(u);
            }
        }
        self.publish(update);
        Some(index + inserted.encode_utf16().count() as u32)
    }
}
