//! A participant's side of one room: a local replica of the document that keeps taking
//! edits while the network is down, and a connection task that (re)connects with backoff
//! and jitter and, on every connect, merges both ways with the standard sync steps — the
//! host's step 1 is answered with everything made offline, ours brings what we missed.
//!
//! The local editor talks to the replica in the same y-sync messages (`from_editor`,
//! events out), so the UI is an ordinary Yjs client of its own Weft.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Ws};
use yrs::block::ClientID;
use yrs::encoding::read::Cursor;
use yrs::sync::protocol::MessageReader;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{GetString, ReadTxn, StateVector, Text, TextRef, Transact, TransactionMut, Update};

use weft_doc::document::new_doc;
use crate::server::CLOSE_REMOVED;
use crate::{FrameError, CONTENT};

/// Where the connection stands, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum PeerStatus {
    Connecting,
    Online,
    /// Down; edits go on locally and merge on reconnect.
    #[serde(rename_all = "camelCase")]
    Offline { retry_ms: u64, error: String },
    /// The host refused an edit: this participant may only read.
    ReadOnly,
    /// Final: the host refused the link (bad or revoked token, a room not shared).
    Refused { reason: String },
    /// Final: the host removed this participant.
    Removed,
}

impl PeerStatus {
    pub fn is_final(&self) -> bool {
        matches!(self, PeerStatus::Refused { .. } | PeerStatus::Removed)
    }
}

#[derive(Debug, Clone)]
pub enum PeerEvent {
    /// A y-sync message for the local editor (an update or awareness).
    Message(Arc<[u8]>),
    Status(PeerStatus),
    /// The replica holds the host's document for the first time (its first step 2 is in):
    /// an editor opened before this showed what was kept locally, if anything.
    Synced,
}

/// Reconnect timing: the first retry after `min`, doubling to `max`, each with up to half
/// again of random jitter so guests of a restarted host do not all come back at once.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub min: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { min: Duration::from_millis(250), max: Duration::from_secs(5) }
    }
}

struct Shared {
    room: String,
    awareness: Mutex<Awareness>,
    /// Awareness ids announced by the local editor: resent on every connect.
    local_clients: Mutex<HashSet<ClientID>>,
    events: broadcast::Sender<PeerEvent>,
    status: Mutex<PeerStatus>,
    /// Whether the host's step 2 has ever been applied (see [`PeerEvent::Synced`]).
    synced: std::sync::atomic::AtomicBool,
    out: mpsc::UnboundedSender<Vec<u8>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One joined room. Dropping it disconnects.
pub struct Peer {
    shared: Arc<Shared>,
    task: tokio::task::AbortHandle,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The answer to a sync step 1: what the replica has beyond `sv`.
fn step2(aw: &Awareness, sv: &StateVector) -> Vec<u8> {
    let u = aw.doc().transact().encode_state_as_update_v1(sv);
    Message::Sync(SyncMessage::SyncStep2(u)).encode_v1()
}

/// Applies an update to the replica; false when it was empty (nothing to pass on).
fn apply(aw: &Awareness, bytes: &[u8]) -> Result<bool, FrameError> {
    let update = Update::decode_v1(bytes).map_err(|e| FrameError::Malformed(e.to_string()))?;
    if update.is_empty() {
        return Ok(false);
    }
    aw.doc().transact_mut().apply_update(update).map_err(|e| FrameError::Malformed(e.to_string()))?;
    Ok(true)
}

fn parse(data: &[u8]) -> Result<Vec<Message>, FrameError> {
    let mut decoder = DecoderV1::new(Cursor::new(data));
    MessageReader::new(&mut decoder).collect::<Result<_, _>>().map_err(|e| FrameError::Malformed(e.to_string()))
}

impl Peer {
    /// Joins `endpoint` (`ws://HOST:PORT/<room>?token=TOKEN`, or `wss://` with the pinned
    /// fingerprint) and keeps reconnecting until the host refuses or removes us, or the
    /// peer is dropped. Must be called in a tokio runtime.
    pub fn join(endpoint: impl Into<Endpoint>, room: &str, backoff: Backoff) -> Peer {
        let (out, out_rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(4096);
        let shared = Arc::new(Shared {
            room: room.to_owned(),
            awareness: Mutex::new(Awareness::new(new_doc())),
            local_clients: Mutex::default(),
            events,
            status: Mutex::new(PeerStatus::Connecting),
            synced: Default::default(),
            out,
        });
        let task = tokio::spawn(run(shared.clone(), endpoint.into(), backoff, out_rx)).abort_handle();
        Peer { shared, task }
    }

    pub fn room(&self) -> &str {
        &self.shared.room
    }

    pub fn status(&self) -> PeerStatus {
        lock(&self.shared.status).clone()
    }

    /// Whether the replica has held the host's document (see [`PeerEvent::Synced`]).
    pub fn synced(&self) -> bool {
        self.shared.synced.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn text(&self) -> String {
        let aw = lock(&self.shared.awareness);
        let t = aw.doc().get_or_insert_text(CONTENT);
        let txn = aw.doc().transact();
        t.get_string(&txn)
    }

    /// The replica's state vector (y-sync v1 encoding): which edits it holds.
    pub fn state_vector(&self) -> Vec<u8> {
        let aw = lock(&self.shared.awareness);
        let sv = aw.doc().transact().state_vector();
        sv.encode_v1()
    }

    /// Subscribes the local editor: returns the first messages to give it (the whole
    /// document and everyone's presence) and the stream of what follows, taken together
    /// so nothing falls between them.
    pub fn open(&self) -> (Vec<Vec<u8>>, broadcast::Receiver<PeerEvent>) {
        let aw = lock(&self.shared.awareness);
        let rx = self.shared.events.subscribe();
        let state = aw.doc().transact().encode_state_as_update_v1(&StateVector::default());
        let mut first = vec![Message::Sync(SyncMessage::SyncStep2(state)).encode_v1()];
        if let Ok(u) = aw.update() {
            if !u.clients.is_empty() {
                first.push(Message::Awareness(u).encode_v1());
            }
        }
        (first, rx)
    }

    /// y-sync messages from the local editor: updates are applied and sent to the host
    /// (or kept for the next connect), presence is relayed. Returns replies for the editor.
    pub fn from_editor(&self, data: &[u8]) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut replies = vec![];
        let mut aw = lock(&self.shared.awareness);
        for msg in parse(data)? {
            match msg {
                Message::Sync(SyncMessage::SyncStep1(sv)) => replies.push(step2(&aw, &sv)),
                Message::Sync(SyncMessage::SyncStep2(bytes) | SyncMessage::Update(bytes)) => {
                    if apply(&aw, &bytes)? {
                        let _ = self.shared.out.send(Message::Sync(SyncMessage::Update(bytes)).encode_v1());
                    }
                }
                Message::Awareness(update) => {
                    lock(&self.shared.local_clients).extend(update.clients.keys().copied());
                    aw.apply_update(update.clone()).map_err(|e| FrameError::Malformed(e.to_string()))?;
                    let _ = self.shared.out.send(Message::Awareness(update).encode_v1());
                }
                Message::AwarenessQuery => {
                    if let Ok(u) = aw.update() {
                        replies.push(Message::Awareness(u).encode_v1());
                    }
                }
                Message::Auth(_) | Message::Custom(..) => {}
            }
        }
        Ok(replies)
    }

    /// An edit of the text made here in Rust (tests, the agent): applied to the replica,
    /// shown to the local editor and sent to the host.
    pub fn edit(&self, f: impl FnOnce(&TextRef, &mut TransactionMut)) {
        self.edit_with(|doc| doc.get_or_insert_text(CONTENT), |t, txn| f(&t, txn));
    }

    /// Reads the replica.
    pub fn read<R>(&self, f: impl FnOnce(&yrs::Doc) -> R) -> R {
        let aw = lock(&self.shared.awareness);
        f(aw.doc())
    }

    /// Any edit of the replica: `roots` takes the root types (outside a transaction, as
    /// yrs requires), `f` changes them.
    pub fn edit_with<R>(&self, roots: impl FnOnce(&yrs::Doc) -> R, f: impl FnOnce(R, &mut TransactionMut)) {
        let aw = lock(&self.shared.awareness);
        let r = roots(aw.doc());
        let update = {
            let mut txn = aw.doc().transact_mut();
            f(r, &mut txn);
            txn.encode_update_v1()
        };
        let msg = Message::Sync(SyncMessage::Update(update)).encode_v1();
        let _ = self.shared.out.send(msg.clone());
        let _ = self.shared.events.send(PeerEvent::Message(msg.into()));
    }

    /// Inserts `s` at UTF-16 offset `at` (clamped to the end).
    pub fn insert(&self, at: u32, s: &str) {
        self.edit(|t, txn| {
            let at = at.min(t.len(txn));
            t.insert(txn, at, s);
        });
    }
}

impl Shared {
    fn set_status(&self, s: PeerStatus) {
        let mut cur = lock(&self.status);
        if *cur != s {
            *cur = s.clone();
            drop(cur);
            let _ = self.events.send(PeerEvent::Status(s));
        }
    }

    /// What we send on connecting: our state vector (step 1) and the local editor's presence.
    fn hello(&self) -> Vec<Vec<u8>> {
        let aw = lock(&self.awareness);
        let mut out = vec![Message::Sync(SyncMessage::SyncStep1(aw.doc().transact().state_vector())).encode_v1()];
        out.extend(self.local_presence(&aw));
        out
    }

    /// The local editor's presence, as an awareness message (none before it announced any).
    fn local_presence(&self, aw: &Awareness) -> Option<Vec<u8>> {
        let ids: Vec<ClientID> = lock(&self.local_clients).iter().copied().collect();
        if ids.is_empty() {
            return None;
        }
        aw.update_with_clients(ids).ok().map(|u| Message::Awareness(u).encode_v1())
    }

    /// A frame from the host; returns the replies to send back.
    fn from_host(&self, data: &[u8]) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut replies = vec![];
        let mut aw = lock(&self.awareness);
        for msg in parse(data)? {
            match msg {
                // Everything the host lacks: edits made while offline included.
                Message::Sync(SyncMessage::SyncStep1(sv)) => replies.push(step2(&aw, &sv)),
                Message::Sync(SyncMessage::SyncStep2(bytes)) => {
                    if apply(&aw, &bytes)? {
                        let _ = self.events.send(PeerEvent::Message(Message::Sync(SyncMessage::Update(bytes)).encode_v1().into()));
                    }
                    if !self.synced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        let _ = self.events.send(PeerEvent::Synced);
                    }
                }
                Message::Sync(SyncMessage::Update(bytes)) => {
                    if apply(&aw, &bytes)? {
                        let _ = self.events.send(PeerEvent::Message(Message::Sync(SyncMessage::Update(bytes)).encode_v1().into()));
                    }
                }
                Message::Awareness(update) => {
                    aw.apply_update(update.clone()).map_err(|e| FrameError::Malformed(e.to_string()))?;
                    let _ = self.events.send(PeerEvent::Message(Message::Awareness(update).encode_v1().into()));
                }
                Message::AwarenessQuery => replies.extend(self.local_presence(&aw)),
                Message::Auth(Some(_)) => {
                    drop(aw);
                    self.set_status(PeerStatus::ReadOnly);
                    aw = lock(&self.awareness);
                }
                Message::Auth(None) | Message::Custom(..) => {}
            }
        }
        Ok(replies)
    }
}

fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 4];
    let r = getrandom::fill(&mut b).map(|_| u32::from_le_bytes(b)).unwrap_or(0);
    d + d.mul_f64(f64::from(r) / f64::from(u32::MAX) / 2.0)
}

/// Where a peer connects: a `ws://` URL (loopback), or a `wss://` URL with the host's
/// certificate fingerprint from the invite link.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub pin: Option<String>,
}

impl From<String> for Endpoint {
    fn from(url: String) -> Self {
        Endpoint { url, pin: None }
    }
}

/// HOST and PORT of a ws:// or wss:// URL.
fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let (host, port) = authority.rsplit_once(':')?;
    Some((host.trim_start_matches('[').trim_end_matches(']').to_owned(), port.parse().ok()?))
}

/// How one connection attempt or session ended.
enum End {
    /// Try again later, for this reason.
    Lost(String),
    /// Do not try again.
    Final(PeerStatus),
    /// The peer was dropped.
    Dropped,
}

fn refused(e: WsError) -> End {
    match e {
        WsError::Http(resp) if matches!(resp.status().as_u16(), 401 | 403 | 404) => {
            let body = resp.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
            let reason = if body.is_empty() { resp.status().to_string() } else { body };
            End::Final(PeerStatus::Refused { reason })
        }
        e => End::Lost(e.to_string()),
    }
}

/// A byte stream to the host: TCP for ws://, TLS with the pinned certificate for wss://.
pub trait HostIo: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> HostIo for T {}

/// A WebSocket to one of the host's endpoints.
pub type HostSocket = tokio_tungstenite::WebSocketStream<Box<dyn HostIo>>;

/// Why connecting failed: `Err(Ok(status))` is final (a refused token, a wrong
/// certificate), `Err(Err(why))` may be retried.
pub type ConnectResult = Result<HostSocket, Result<PeerStatus, String>>;

/// Opens a WebSocket to `ep`: the pinned TLS for wss:// (a certificate other than the
/// link's is refused for good), plain TCP for ws://; no Nagle delay either way (edits and
/// requests are small writes that should leave at once).
pub async fn connect(ep: &Endpoint) -> ConnectResult {
    let Some((host, port)) = host_port(&ep.url) else {
        return Err(Ok(PeerStatus::Refused { reason: format!("{} is not a ws(s)://HOST:PORT URL", ep.url) }));
    };
    let io: Box<dyn HostIo> = match &ep.pin {
        Some(pin) => match crate::tls::connect_pinned(&host, port, pin).await {
            Ok(t) => Box::new(t),
            Err(e @ crate::tls::ConnectError::WrongCertificate { .. }) => return Err(Ok(PeerStatus::Refused { reason: e.to_string() })),
            Err(e) => return Err(Err(e.to_string())),
        },
        None => {
            let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| Err(e.to_string()))?;
            tcp.set_nodelay(true).map_err(|e| Err(e.to_string()))?;
            Box::new(tcp)
        }
    };
    match tokio_tungstenite::client_async(ep.url.as_str(), io).await {
        Ok((ws, _)) => Ok(ws),
        Err(e) => Err(match refused(e) {
            End::Final(status) => Ok(status),
            End::Lost(why) => Err(why),
            End::Dropped => Err("dropped".into()),
        }),
    }
}

async fn attempt(shared: &Shared, ep: &Endpoint, out_rx: &mut mpsc::UnboundedReceiver<Vec<u8>>, connected: &mut bool) -> End {
    match connect(ep).await {
        Ok(ws) => {
            *connected = true;
            session(shared, ws, out_rx).await
        }
        Err(Ok(status)) => End::Final(status),
        Err(Err(why)) => End::Lost(why),
    }
}

async fn session<S>(shared: &Shared, ws: tokio_tungstenite::WebSocketStream<S>, out_rx: &mut mpsc::UnboundedReceiver<Vec<u8>>) -> End
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    // What was queued while offline is already in the replica; the host's step 1 below
    // gets all of it in one step 2.
    while out_rx.try_recv().is_ok() {}
    let (mut sink, mut stream) = ws.split();
    for m in shared.hello() {
        if sink.send(Ws::Binary(m.into())).await.is_err() {
            return End::Lost("connection lost".into());
        }
    }
    shared.set_status(PeerStatus::Online);
    loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Ws::Binary(data))) => match shared.from_host(&data) {
                    Ok(replies) => {
                        for r in replies {
                            if sink.send(Ws::Binary(r.into())).await.is_err() {
                                return End::Lost("connection lost".into());
                            }
                        }
                    }
                    Err(e) => return End::Lost(format!("the host sent {e}")),
                },
                Some(Ok(Ws::Close(Some(frame)))) if frame.code == CloseCode::from(CLOSE_REMOVED) => return End::Final(PeerStatus::Removed),
                Some(Ok(Ws::Close(frame))) => {
                    return End::Lost(frame.map(|f| format!("closed by the host: {}", f.reason)).unwrap_or_else(|| "closed by the host".into()))
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return End::Lost(e.to_string()),
                None => return End::Lost("connection lost".into()),
            },
            out = out_rx.recv() => match out {
                Some(m) => {
                    if sink.send(Ws::Binary(m.into())).await.is_err() {
                        return End::Lost("connection lost".into());
                    }
                }
                None => return End::Dropped,
            },
        }
    }
}

async fn run(shared: Arc<Shared>, ep: Endpoint, backoff: Backoff, mut out_rx: mpsc::UnboundedReceiver<Vec<u8>>) {
    let mut wait = backoff.min;
    loop {
        shared.set_status(PeerStatus::Connecting);
        let mut connected = false;
        let error = match attempt(&shared, &ep, &mut out_rx, &mut connected).await {
            End::Lost(e) => e,
            End::Final(s) => {
                shared.set_status(s);
                return;
            }
            End::Dropped => return,
        };
        if connected {
            wait = backoff.min;
        }
        let delay = jitter(wait);
        shared.set_status(PeerStatus::Offline { retry_ms: delay.as_millis() as u64, error });
        tokio::time::sleep(delay).await;
        wait = (wait * 2).min(backoff.max);
    }
}
