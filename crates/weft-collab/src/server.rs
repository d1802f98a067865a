//! The host's endpoint: guests, tokens and the WebSocket connections of each room.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{CloseFrame, Message as Ws, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tracing::{debug, info};
use yrs::sync::Message;
use yrs::updates::encoder::Encode;

use crate::{CollabError, Room};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    ReadWrite,
    ReadOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guest {
    pub name: String,
    pub role: Role,
}

/// Reads a room's starting text: `Err` when the room may not be shared (outside the
/// workspace, ignored) or does not exist.
pub type Loader = Box<dyn Fn(&str) -> Result<String, CollabError> + Send + Sync>;

/// Finds a room's document among documents kept elsewhere (the folder's open documents,
/// which the host's own editor is bound to): the hub serves them, it holds no copy.
pub type DocLoader = Box<dyn Fn(&str) -> Result<Arc<Room>, CollabError> + Send + Sync>;

enum Source {
    /// The hub opens the room itself, from a starting text (and its log).
    Text(Loader),
    Documents(DocLoader),
}

pub struct HubOptions {
    /// Frames above this size close the connection that sent them.
    pub max_frame: usize,
    /// Where rooms' update logs and the guest list are kept, so a restarted host has every
    /// edit it acknowledged and its guests' tokens still work. None: memory only.
    pub store: Option<PathBuf>,
    /// How often a connection is pinged; two rounds without a word from it and it is
    /// closed (a peer gone without closing, a half-open socket), as the y-websocket server
    /// does.
    pub ping_every: std::time::Duration,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions { max_frame: 16 << 20, store: None, ping_every: std::time::Duration::from_secs(30) }
    }
}

pub struct Hub {
    rooms: Mutex<HashMap<String, Arc<Room>>>,
    guests: Mutex<HashMap<String, Guest>>,
    loader: Source,
    options: HubOptions,
    /// Tokens removed by the host: their connections close at once.
    kicked: broadcast::Sender<String>,
    /// The host's own editor joins its rooms as a participant with this token: never
    /// listed, never saved, new each start.
    host_token: String,
    /// Open connections per token.
    connections: Mutex<HashMap<String, usize>>,
    /// What guests may ask besides rooms (`/.api`): given by the app, which decides what
    /// each request may do. None: the endpoint answers 404.
    api: Mutex<Option<Arc<dyn GuestApi>>>,
}

/// Requests a guest makes of the host's app (search in its files, ...), over `/.api`.
/// The hub checks the token, the guest's connection count, its message budget and its
/// removal, as for rooms; the app answers the messages (weft-api's wire protocol).
pub trait GuestApi: Send + Sync {
    /// A guest connected; replies go to `out`, in any order.
    fn connect(&self, out: tokio::sync::mpsc::UnboundedSender<Ws>) -> Box<dyn GuestApiConnection>;
}

/// One guest connection's requests. Dropped when the connection ends (its streams stop).
pub trait GuestApiConnection: Send {
    /// One text message; `Err(reason)` closes the connection with that reason.
    fn message(&mut self, role: Role, text: &str) -> Result<(), String>;
}

/// The path of the guest API endpoint: no room is named so (rooms are `tree`,
/// `file/...`, `terminal...`).
pub const API_PATH: &str = ".api";

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn token() -> String {
    let mut bytes = [0u8; 24];
    // Without randomness there can be no secret; the process cannot serve guests safely.
    getrandom::fill(&mut bytes).expect("the OS has no randomness for guest tokens");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Deserialize)]
struct Params {
    #[serde(default)]
    token: String,
}

const CLOSE_MALFORMED: u16 = 1007;
/// A message (or a rate of them) more than the host takes from one participant.
const CLOSE_POLICY: u16 = 1008;
/// Connections one guest token may hold at once (tabs, editors, reconnects in flight).
pub const MAX_CONNECTIONS_PER_GUEST: usize = 32;

/// What one connection may send: messages and bytes per second, with a burst allowance
/// (typing is a few dozen small messages a second; a paste or a first sync is one big one).
/// A connection that keeps above it is closed; a flood cannot take the host's time.
struct Budget {
    messages: f64,
    bytes: f64,
    at: std::time::Instant,
}

impl Budget {
    const MESSAGES_PER_SECOND: f64 = 300.0;
    const MESSAGE_BURST: f64 = 3000.0;
    const BYTES_PER_SECOND: f64 = 8.0 * 1024.0 * 1024.0;
    const BYTE_BURST: f64 = 64.0 * 1024.0 * 1024.0;

    fn new() -> Self {
        Budget { messages: Self::MESSAGE_BURST, bytes: Self::BYTE_BURST, at: std::time::Instant::now() }
    }

    fn spend(&mut self, len: usize) -> Result<(), &'static str> {
        let now = std::time::Instant::now();
        let dt = now.duration_since(self.at).as_secs_f64();
        self.at = now;
        self.messages = (self.messages + dt * Self::MESSAGES_PER_SECOND).min(Self::MESSAGE_BURST) - 1.0;
        self.bytes = (self.bytes + dt * Self::BYTES_PER_SECOND).min(Self::BYTE_BURST) - len as f64;
        if self.messages < 0.0 {
            return Err("too many messages");
        }
        if self.bytes < 0.0 {
            return Err("too many bytes");
        }
        Ok(())
    }
}

/// Counts a guest's open connections for as long as one is served.
struct ConnectionCount<'a> {
    hub: &'a Hub,
    token: String,
}

impl<'a> ConnectionCount<'a> {
    fn new(hub: &'a Hub, token: &str) -> Self {
        *lock(&hub.connections).entry(token.to_owned()).or_default() += 1;
        ConnectionCount { hub, token: token.to_owned() }
    }
}

impl Drop for ConnectionCount<'_> {
    fn drop(&mut self) {
        let mut c = lock(&self.hub.connections);
        if let Some(n) = c.get_mut(&self.token) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.remove(&self.token);
            }
        }
    }
}
const CLOSE_UNSUPPORTED: u16 = 1003;
/// Application code: the host removed this guest.
pub const CLOSE_REMOVED: u16 = 4401;

impl Hub {
    /// A hub that opens rooms from `loader`'s texts, keeping each room's log in the store.
    pub fn new(loader: Loader, options: HubOptions) -> Arc<Self> {
        Self::build(Source::Text(loader), options)
    }

    /// A hub serving documents opened elsewhere (see [`DocLoader`]).
    pub fn serving(documents: DocLoader, options: HubOptions) -> Arc<Self> {
        Self::build(Source::Documents(documents), options)
    }

    fn build(loader: Source, options: HubOptions) -> Arc<Self> {
        let (kicked, _) = broadcast::channel(64);
        let guests = options
            .store
            .as_ref()
            .and_then(|d| std::fs::read(d.join("guests.json")).ok())
            .and_then(|b| serde_json::from_slice::<HashMap<String, Guest>>(&b).ok())
            .unwrap_or_default();
        if let Some(d) = &options.store {
            if let Err(e) = std::fs::create_dir_all(d) {
                tracing::warn!("collab: cannot keep state in {} ({e})", d.display());
            }
        }
        Arc::new(Hub { rooms: Mutex::default(), guests: Mutex::new(guests), loader, options, kicked, host_token: token(), connections: Mutex::default(), api: Mutex::default() })
    }

    /// The guest list is kept with the rooms' logs (tokens are secrets: readable by the
    /// user only).
    fn persist_guests(&self, guests: &HashMap<String, Guest>) {
        let Some(dir) = &self.options.store else { return };
        let path = dir.join("guests.json");
        let tmp = dir.join("guests.json.tmp");
        let write = || -> std::io::Result<()> {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            std::io::Write::write_all(&mut o.open(&tmp)?, &serde_json::to_vec(guests).unwrap_or_default())?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!("collab: the guest list is not kept across restarts ({e})");
        }
    }

    /// A new guest; returns the token for their invite link.
    pub fn invite(&self, name: &str, role: Role) -> String {
        let t = token();
        let mut g = lock(&self.guests);
        g.insert(t.clone(), Guest { name: name.to_owned(), role });
        self.persist_guests(&g);
        t
    }

    /// Takes effect on the guest's next message.
    pub fn set_role(&self, token: &str, role: Role) -> Result<(), CollabError> {
        let mut g = lock(&self.guests);
        g.get_mut(token).map(|g| g.role = role).ok_or(CollabError::UnknownGuest)?;
        self.persist_guests(&g);
        Ok(())
    }

    /// The token stops working and the guest's connections close.
    pub fn remove(&self, token: &str) -> Result<(), CollabError> {
        let g = {
            let mut guests = lock(&self.guests);
            let g = guests.remove(token).ok_or(CollabError::UnknownGuest)?;
            self.persist_guests(&guests);
            g
        };
        info!(guest = %g.name, "guest removed");
        let _ = self.kicked.send(token.to_owned());
        Ok(())
    }

    /// Every guest with their token, by name.
    pub fn guests(&self) -> Vec<(String, Guest)> {
        let mut out: Vec<(String, Guest)> = lock(&self.guests).iter().map(|(t, g)| (t.clone(), g.clone())).collect();
        out.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.cmp(&b.0)));
        out
    }

    fn role(&self, token: &str) -> Option<Role> {
        if token == self.host_token {
            return Some(Role::ReadWrite);
        }
        lock(&self.guests).get(token).map(|g| g.role)
    }

    /// How many connections `token` has open now.
    pub fn open_connections(&self, token: &str) -> usize {
        lock(&self.connections).get(token).copied().unwrap_or(0)
    }

    /// The token of the host's own participant (see `host_token`).
    pub fn host_token(&self) -> &str {
        &self.host_token
    }

    /// The rooms open now.
    pub fn rooms(&self) -> Vec<Arc<Room>> {
        lock(&self.rooms).values().cloned().collect()
    }

    /// The room if it is open (without loading it).
    pub fn open_room(&self, name: &str) -> Option<Arc<Room>> {
        lock(&self.rooms).get(name).cloned()
    }

    /// The room, opened from its loader on first use.
    pub fn room(&self, name: &str) -> Result<Arc<Room>, CollabError> {
        if let Some(r) = lock(&self.rooms).get(name) {
            return Ok(r.clone());
        }
        match &self.loader {
            Source::Text(loader) => {
                let text = loader(name)?;
                let mut rooms = lock(&self.rooms);
                // Another connection may have opened it while the file was read.
                let log = self.options.store.as_ref().map(|d| d.join(weft_doc::log_name(name)));
                Ok(rooms.entry(name.to_owned()).or_insert_with(|| Arc::new(Room::open(name, &text, log.as_deref()))).clone())
            }
            // Not kept here: the documents' owner decides how long a document lives, and the
            // loader finds the same one each time.
            Source::Documents(loader) => loader(name),
        }
    }

    /// Takes a host-built room away: no new connections reach it.
    pub fn remove_room(&self, name: &str) {
        lock(&self.rooms).remove(name);
    }

    /// Adds a room the host builds itself (the project tree, terminals).
    pub fn insert_room(&self, room: Arc<Room>) {
        lock(&self.rooms).insert(room.name.clone(), room);
    }

    /// Lets guests make requests of the app (see [`GuestApi`]).
    pub fn set_api(&self, api: Arc<dyn GuestApi>) {
        *lock(&self.api) = Some(api);
    }

    /// The WebSocket endpoint: `GET /<room>?token=TOKEN`, and `GET /.api?token=TOKEN`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().route("/{*room}", get(upgrade)).with_state(self.clone())
    }
}

/// Refuses a missing, wrong or revoked token, and a room that may not be shared, before
/// the upgrade: no document data reaches such a client.
async fn upgrade(State(hub): State<Arc<Hub>>, Path(room): Path<String>, Query(q): Query<Params>, ws: WebSocketUpgrade) -> Response {
    if hub.role(&q.token).is_none() {
        return (StatusCode::UNAUTHORIZED, "a valid guest token is required").into_response();
    }
    let open = lock(&hub.connections).get(&q.token).copied().unwrap_or(0);
    if open >= MAX_CONNECTIONS_PER_GUEST && q.token != hub.host_token {
        return (StatusCode::TOO_MANY_REQUESTS, "this guest has too many connections open").into_response();
    }
    if room == API_PATH {
        let Some(api) = lock(&hub.api).clone() else {
            return (StatusCode::NOT_FOUND, "this host answers no requests").into_response();
        };
        return ws.max_message_size(hub.options.max_frame).max_frame_size(hub.options.max_frame).on_upgrade(move |socket| serve_api(hub, api, q.token, socket));
    }
    let room = match hub.room(&room) {
        Ok(r) => r,
        Err(CollabError::NotShared(what)) => return (StatusCode::FORBIDDEN, format!("{what} is not shared")).into_response(),
        Err(e) => return (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    };
    let conn = weft_doc::document::new_connection();
    ws.max_message_size(hub.options.max_frame).max_frame_size(hub.options.max_frame).on_upgrade(move |socket| serve(hub, room, q.token, conn, socket))
}

/// The y-protocols auth "permission denied" a read-only guest gets.
fn read_only_notice() -> Vec<u8> {
    Message::Auth(Some("read-only: the host has not given you write access".into())).encode_v1()
}

/// One message of `len` bytes from `token`'s connection: its role, or None when the
/// connection is closed instead (the guest was removed, or is over its budget). Checked per
/// message, so a role change or removal applies at once.
async fn admit(hub: &Hub, token: &str, budget: &mut Budget, len: usize, sink: &mut futures_util::stream::SplitSink<WebSocket, Ws>) -> Option<Role> {
    let Some(role) = hub.role(token) else {
        close(sink, CLOSE_REMOVED, "removed by the host").await;
        return None;
    };
    if let Err(why) = budget.spend(len) {
        debug!("closing a connection: {why}");
        close(sink, CLOSE_POLICY, why).await;
        return None;
    }
    Some(role)
}

async fn close(sink: &mut futures_util::stream::SplitSink<WebSocket, Ws>, code: u16, reason: &str) {
    let _ = sink.send(Ws::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

/// A guest's requests of the app: the same admission, budget, keepalive and removal as a
/// room's connection; the app answers.
async fn serve_api(hub: Arc<Hub>, api: Arc<dyn GuestApi>, token: String, socket: WebSocket) {
    let _counted = ConnectionCount::new(&hub, &token);
    let mut budget = Budget::new();
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<Ws>();
    let mut requests = api.connect(out_tx);
    let mut kicked = hub.kicked.subscribe();
    let ping_every = hub.options.ping_every;
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = keepalive.tick() => {
                if heard.elapsed() > ping_every * 2 || sink.send(Ws::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
            out = out_rx.recv() => match out {
                Some(m) => {
                    let closing = matches!(m, Ws::Close(_));
                    if sink.send(m).await.is_err() || closing {
                        break;
                    }
                }
                None => break,
            },
            msg = stream.next() => {
                if matches!(msg, Some(Ok(_))) {
                    heard = tokio::time::Instant::now();
                }
                match msg {
                    Some(Ok(Ws::Text(text))) => {
                        let Some(role) = admit(&hub, &token, &mut budget, text.len(), &mut sink).await else { break };
                        if let Err(why) = requests.message(role, text.as_str()) {
                            debug!("guest request connection closed: {why}");
                            close(&mut sink, CLOSE_POLICY, &why).await;
                            break;
                        }
                    }
                    Some(Ok(Ws::Binary(_))) => {
                        close(&mut sink, CLOSE_UNSUPPORTED, "requests are JSON text").await;
                        break;
                    }
                    Some(Ok(Ws::Ping(_) | Ws::Pong(_))) => {}
                    Some(Ok(Ws::Close(_))) | Some(Err(_)) | None => break,
                }
            }
            k = kicked.recv() => {
                if matches!(&k, Ok(t) if *t == token) {
                    close(&mut sink, CLOSE_REMOVED, "removed by the host").await;
                    break;
                }
            }
        }
    }
    // Its streams stop with it.
    drop(requests);
}

async fn serve(hub: Arc<Hub>, room: Arc<Room>, token: String, conn: u64, socket: WebSocket) {
    let _counted = ConnectionCount::new(&hub, &token);
    let mut budget = Budget::new();
    let (mut sink, mut stream) = socket.split();
    let mut frames = room.subscribe();
    let mut kicked = hub.kicked.subscribe();
    let mut clients = Vec::new();
    if sink.send(Ws::Binary(room.greeting().into())).await.is_err() {
        return;
    }
    // Told up front, so a Weft guest opens the file read-only instead of typing into a
    // document the host will not take.
    if hub.role(&token) == Some(Role::ReadOnly) {
        let _ = sink.send(Ws::Binary(read_only_notice().into())).await;
    }
    debug!(room = %room.name, conn, "guest connected");
    // Pinged now and then; closed after two rounds without a word (see HubOptions).
    let ping_every = hub.options.ping_every;
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = keepalive.tick() => {
                if heard.elapsed() > ping_every * 2 {
                    debug!(room = %room.name, conn, "closing: no answer to pings");
                    break;
                }
                if sink.send(Ws::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
            msg = stream.next() => {
                if matches!(msg, Some(Ok(_))) {
                    heard = tokio::time::Instant::now();
                }
                match msg {
                    Some(Ok(Ws::Binary(data))) => {
                        let Some(role) = admit(&hub, &token, &mut budget, data.len(), &mut sink).await else { break };
                        match room.handle(conn, &data, role == Role::ReadWrite, &clients) {
                            Ok(done) => {
                                clients.extend(done.clients);
                                clients.sort_unstable();
                                clients.dedup();
                                let mut replies = done.replies;
                                if done.refused_write {
                                    replies.push(read_only_notice());
                                }
                                for r in replies {
                                    if sink.send(Ws::Binary(r.into())).await.is_err() {
                                        break;
                                    }
                                }
                            }
                            Err(e) => {
                                debug!(room = %room.name, conn, "closing: {e}");
                                let code = if matches!(e, crate::FrameError::Refused(_)) { CLOSE_POLICY } else { CLOSE_MALFORMED };
                                close(&mut sink, code, &e.to_string()).await;
                                break;
                            }
                        }
                    }
                    Some(Ok(Ws::Text(_))) => {
                        close(&mut sink, CLOSE_UNSUPPORTED, "y-websocket frames are binary").await;
                        break;
                    }
                    Some(Ok(Ws::Ping(_) | Ws::Pong(_))) => {}
                    // Closed, or broken (an oversized frame ends here too).
                    Some(Ok(Ws::Close(_))) | Some(Err(_)) | None => break,
                }
            }
            frame = frames.recv() => match frame {
                Ok((from, bytes)) if from != conn => {
                    if sink.send(Ws::Binary(bytes.to_vec().into())).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_missed) => {
                    // A burst outran this connection: instead of the updates it missed, it
                    // gets the whole document once (Yjs ignores what it already has).
                    if sink.send(Ws::Binary(room.catch_up().into())).await.is_err() {
                        break;
                    }
                }
            },
            k = kicked.recv() => {
                if matches!(&k, Ok(t) if *t == token) {
                    close(&mut sink, CLOSE_REMOVED, "removed by the host").await;
                    break;
                }
            }
        }
    }
    room.leave(conn, &clients);
    debug!(room = %room.name, conn, "guest disconnected");
}
