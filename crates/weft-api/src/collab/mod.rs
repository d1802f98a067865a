//! The app as a participant in a collaboration session: joining a host from an invite
//! link, one [`Peer`] (local replica, reconnecting) per open room, bridged to the editor as
//! y-sync messages — so the UI is an ordinary Yjs client of its own Weft, and the network,
//! its drops and (later) its certificate pinning stay in Rust.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast::error::RecvError;
use weft_collab::{Backoff, Endpoint, Peer, PeerEvent, PeerStatus};
use weft_fs::SearchCancel;

use crate::{ApiError, Stream, StreamFrame};

mod requests;

type Result<T> = std::result::Result<T, ApiError>;

/// A joined session: where the host is, our token, and the rooms open. When the session
/// is this app's own (the host's session view), `own` serves it in-process instead.
pub struct Joined {
    /// `ws://HOST:PORT` or `wss://HOST:PORT`.
    pub base: String,
    token: String,
    /// The host certificate's fingerprint (wss://).
    pin: Option<String>,
    peers: Mutex<HashMap<String, Arc<Peer>>>,
    /// Requests of the host's app (search in its files, ...).
    requests: requests::HostRequests,
    own: Option<Own>,
}

/// The host's own session view: its rooms straight from the hub (the documents the
/// editors and guests share), with no socket to itself and no second replica.
struct Own {
    hub: Arc<weft_collab::Hub>,
    rooms: Mutex<HashMap<String, Arc<OwnRoom>>>,
}

/// One room the session view has open: its connection id and the presence it announced.
struct OwnRoom {
    room: Arc<weft_collab::Room>,
    conn: u64,
    clients: Mutex<Vec<weft_doc::document::ClientID>>,
}

impl Drop for OwnRoom {
    /// Leaving takes the view's cursors out of the room.
    fn drop(&mut self) {
        let clients = self.clients.lock().map(|c| c.clone()).unwrap_or_default();
        self.room.leave(self.conn, &clients);
    }
}

impl Own {
    fn room(&self, name: &str) -> Result<Arc<OwnRoom>> {
        let mut rooms = self.rooms.lock().map_err(ApiError::internal)?;
        if let Some(r) = rooms.get(name) {
            return Ok(r.clone());
        }
        let room = self.hub.room(name).map_err(|e| ApiError::new(crate::ErrorCode::NotShared, e.to_string()))?;
        let r = Arc::new(OwnRoom { room, conn: weft_doc::document::new_connection(), clients: Mutex::default() });
        rooms.insert(name.to_owned(), r.clone());
        Ok(r)
    }
}

/// Frames of a `collabOpen` stream besides the raw y-sync messages.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum CollabEvent {
    /// The connection to the host changed: `state` is connecting, online, offline (with
    /// `retryMs` and `error`), readOnly, refused (with `reason`) or removed.
    Status {
        #[ts(type = "{ state: 'connecting' | 'online' | 'readOnly' | 'removed' } | { state: 'offline', retryMs: number, error: string } | { state: 'refused', reason: string }")]
        status: PeerStatus,
    },
    /// The room holds the host's document (after the y-sync messages before this frame):
    /// sent once, when it first does; an editor opened offline sees what was kept locally
    /// until then.
    Synced,
}

/// An invite link's parts: the server URL, the token, and for `wss://` the certificate
/// fingerprint to pin.
#[derive(Debug, PartialEq, Eq)]
pub struct Link {
    pub base: String,
    pub token: String,
    pub pin: Option<String>,
}

/// Parses `wss://HOST:PORT/?token=TOKEN&fp=SHA256` or `ws://HOST:PORT/?token=TOKEN`.
pub fn parse_link(link: &str) -> Result<Link> {
    let bad = |why: &str| ApiError::bad_request(format!("not an invite link ({why}); it looks like wss://HOST:PORT/?token=TOKEN&fp=FINGERPRINT"));
    let link = link.trim();
    let (scheme, rest) = link.split_once("://").ok_or_else(|| bad("it must start with wss:// or ws://"))?;
    if scheme != "ws" && scheme != "wss" {
        return Err(bad("it must start with wss:// or ws://"));
    }
    let (authority, query) = rest.split_once('?').ok_or_else(|| bad("no token"))?;
    let authority = authority.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') || !authority.contains(':') {
        return Err(bad("the host must be HOST:PORT"));
    }
    let param = |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('='))).filter(|v| !v.is_empty());
    let token = param("token").ok_or_else(|| bad("no token"))?;
    if !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(bad("the token has characters a token never has"));
    }
    let pin = match scheme {
        "wss" => {
            let fp = param("fp").ok_or_else(|| bad("an encrypted link needs the host's certificate fingerprint (fp=)"))?;
            if fp.len() != 64 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("the fingerprint is not a SHA-256 in hex"));
            }
            Some(fp.to_ascii_lowercase())
        }
        _ => None,
    };
    Ok(Link { base: format!("{scheme}://{authority}"), token: token.to_owned(), pin })
}

/// A room name as a URL path: each segment percent-encoded, `/` kept.
fn room_path(room: &str) -> String {
    let mut out = String::with_capacity(room.len());
    for b in room.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Joined {
    pub fn new(link: &str) -> Result<Self> {
        let Link { base, token, pin } = parse_link(link)?;
        let api = Endpoint { url: format!("{base}/{}?token={token}", weft_collab::API_PATH), pin: pin.clone() };
        Ok(Joined { base, token, pin, peers: Mutex::default(), requests: requests::HostRequests::new(api), own: None })
    }

    /// The host's session view of its own shared folder, served in-process by `hub`.
    pub(crate) fn own(link: &str, hub: Arc<weft_collab::Hub>) -> Result<Self> {
        let mut joined = Self::new(link)?;
        joined.own = Some(Own { hub, rooms: Mutex::default() });
        Ok(joined)
    }

    /// Whether `link` is the self link of `hub` (its host's own token).
    pub(crate) fn is_own(link: &str, hub: &weft_collab::Hub) -> bool {
        parse_link(link).is_ok_and(|l| l.token == hub.host_token())
    }

    fn peer(&self, room: &str) -> Result<Arc<Peer>> {
        if room.is_empty() || room.split('/').any(|s| s == "..") {
            return Err(ApiError::bad_request(format!("{room:?} is not a room name")));
        }
        let mut peers = self.peers.lock().map_err(ApiError::internal)?;
        if let Some(p) = peers.get(room) {
            // A refused or removed peer is joined again (the host may have let us back in).
            if !p.status().is_final() {
                return Ok(p.clone());
            }
        }
        let url = format!("{}/{}?token={}", self.base, room_path(room), self.token);
        let p = Arc::new(Peer::join(Endpoint { url, pin: self.pin.clone() }, room, Backoff::default()));
        peers.insert(room.to_owned(), p.clone());
        Ok(p)
    }

    /// Streams a room to the editor: the whole document and presence first, then every
    /// change and status until the stream is cancelled or its client goes.
    pub fn open(&self, room: &str, stream: Stream, cancel: SearchCancel) -> Result<()> {
        if let Some(own) = &self.own {
            return open_own(own.room(room)?, stream, cancel);
        }
        let peer = self.peer(room)?;
        let (first, mut events) = peer.open();
        let sink = stream.sink.clone();
        if !stream.json(CollabEvent::Status { status: peer.status() }) {
            return Ok(());
        }
        for m in first {
            sink.send(StreamFrame::Bytes(m));
        }
        // Subscribed first: a step 2 arriving now is reported at least once.
        if peer.synced() && !stream.json(CollabEvent::Synced) {
            return Ok(());
        }
        tokio::runtime::Handle::current().spawn(async move {
            loop {
                let sent = match events.recv().await {
                    Ok(PeerEvent::Message(m)) => sink.send(StreamFrame::Bytes(m.to_vec())),
                    Ok(PeerEvent::Status(status)) => stream.json(CollabEvent::Status { status }),
                    Ok(PeerEvent::Synced) => stream.json(CollabEvent::Synced),
                    // The editor fell behind: it must reopen to resync; end its stream.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => false,
                };
                if !sent || cancel.is_cancelled() {
                    break;
                }
            }
        });
        Ok(())
    }

    /// A request of the host's app (only what it allows guests); with `stream`, the
    /// host's frames go to it.
    pub async fn request(&self, mut request: serde_json::Value, stream: Option<Stream>) -> Result<serde_json::Value> {
        if self.own.is_some() {
            // The host's own session asks its app directly.
            return Err(ApiError::bad_request("this is your own session: ask the app directly"));
        }
        // A language request is about the text this replica holds (a `.` just typed): its
        // state vector goes along (unless the editor sent its own, which is newer), and the
        // host answers once its document holds as much.
        if request["method"].as_str().is_some_and(|m| m.starts_with("lsp")) && request.get("sv").is_none() {
            if let Some(path) = request["params"]["path"].as_str() {
                let peer = self.peers.lock().ok().and_then(|p| p.get(&format!("file/{path}")).cloned());
                if let Some(peer) = peer {
                    request["sv"] = serde_json::json!(peer.state_vector());
                }
            }
        }
        self.requests.call(request, stream).await
    }

    /// A stream opened by [`Joined::request`] was cancelled here: the host stops it too.
    pub fn cancel(&self, stream: &str) {
        self.requests.cancel(stream);
    }

    /// y-sync messages from the editor; returns the replies for it.
    pub fn push(&self, room: &str, data: &[u8]) -> Result<Vec<Vec<u8>>> {
        if let Some(own) = &self.own {
            let r = own.room(room)?;
            let mut clients = r.clients.lock().map_err(ApiError::internal)?;
            let done = r.room.handle(r.conn, data, true, &clients).map_err(|e| ApiError::bad_request(e.to_string()))?;
            clients.extend(done.clients);
            clients.sort_unstable();
            clients.dedup();
            return Ok(done.replies);
        }
        // The editor's first messages may overtake its `collabOpen`: the room opens here then.
        let peer = self.peer(room)?;
        peer.from_editor(data).map_err(|e| ApiError::bad_request(e.to_string()))
    }
}

/// A room of the host's own session, streamed as a peer's would be: online at once, the
/// whole document and presence, then everyone else's changes.
fn open_own(r: Arc<OwnRoom>, stream: Stream, cancel: SearchCancel) -> Result<()> {
    let mut rx = r.room.subscribe();
    let sink = stream.sink.clone();
    if !stream.json(CollabEvent::Status { status: PeerStatus::Online }) {
        return Ok(());
    }
    sink.send(StreamFrame::Bytes(r.room.catch_up()));
    sink.send(StreamFrame::Bytes(r.room.greeting()));
    // The host's own document: in step at once.
    if !stream.json(CollabEvent::Synced) {
        return Ok(());
    }
    tokio::runtime::Handle::current().spawn(async move {
        loop {
            let sent = match rx.recv().await {
                Ok((from, bytes)) if from != r.conn => sink.send(StreamFrame::Bytes(bytes.to_vec())),
                Ok(_) => true,
                // Fell behind what the room keeps: the whole document once instead.
                Err(_missed) => sink.send(StreamFrame::Bytes(r.room.catch_up())),
            };
            if !sent || cancel.is_cancelled() {
                break;
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_links_parse_and_bad_ones_say_why() {
        let fp = "ab".repeat(32);
        assert_eq!(parse_link(" ws://127.0.0.1:4000/?token=abc123 ").expect("ok"), Link { base: "ws://127.0.0.1:4000".into(), token: "abc123".into(), pin: None });
        assert_eq!(parse_link("ws://h:1?x=1&token=t").expect("ok").token, "t");
        let l = parse_link(&format!("wss://10.0.0.2:4000/?token=t&fp={}", fp.to_uppercase())).expect("wss");
        assert_eq!((l.base.as_str(), l.pin.as_deref()), ("wss://10.0.0.2:4000", Some(fp.as_str())));
        for bad in ["", "http://h:1/?token=t", "ws://h:1/", "ws://h:1/?token=", "ws://h/?token=t", "ws://h:1/x?token=t", "ws://h:1/?token=a%20b", "wss://h:1/?token=t", "wss://h:1/?token=t&fp=abc"] {
            let e = parse_link(bad).expect_err(bad);
            assert!(e.message.contains("invite link"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn room_paths_are_escaped_for_the_url() {
        assert_eq!(room_path("file/src/a b#?.rs"), "file/src/a%20b%23%3F.rs");
        assert_eq!(room_path("file/é"), "file/%C3%A9");
    }
}
