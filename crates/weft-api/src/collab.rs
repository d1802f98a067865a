//! The app as a participant in a collaboration session: joining a host from an invite
//! link, one [`Peer`] (local replica, reconnecting) per open room, bridged to the editor as
//! y-sync messages — so the UI is an ordinary Yjs client of its own Weft, and the network,
//! its drops and (later) its certificate pinning stay in Rust.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast::error::RecvError;
use weft_collab::{Backoff, Peer, PeerEvent, PeerStatus};
use weft_fs::SearchCancel;

use crate::{ApiError, Stream, StreamFrame};

type Result<T> = std::result::Result<T, ApiError>;

/// A joined session: where the host is, our token, and the rooms open.
pub struct Joined {
    /// `ws://HOST:PORT`.
    pub base: String,
    token: String,
    peers: Mutex<HashMap<String, Arc<Peer>>>,
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
}

/// Splits an invite link `ws://HOST:PORT/?token=TOKEN` into the server URL and the token.
pub fn parse_link(link: &str) -> Result<(String, String)> {
    let bad = |why: &str| ApiError::bad_request(format!("not an invite link ({why}); it looks like ws://HOST:PORT/?token=TOKEN"));
    let link = link.trim();
    if link.starts_with("wss://") {
        return Err(ApiError::new("collab", "encrypted (wss://) sessions are not supported by this Weft yet"));
    }
    let rest = link.strip_prefix("ws://").ok_or_else(|| bad("it must start with ws://"))?;
    let (authority, query) = rest.split_once('?').ok_or_else(|| bad("no token"))?;
    let authority = authority.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') || !authority.contains(':') {
        return Err(bad("the host must be HOST:PORT"));
    }
    let token = query.split('&').find_map(|kv| kv.strip_prefix("token=")).filter(|t| !t.is_empty()).ok_or_else(|| bad("no token"))?;
    if !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(bad("the token has characters a token never has"));
    }
    Ok((format!("ws://{authority}"), token.to_owned()))
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
        let (base, token) = parse_link(link)?;
        Ok(Joined { base, token, peers: Mutex::default() })
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
        let p = Arc::new(Peer::join(url, room, Backoff::default()));
        peers.insert(room.to_owned(), p.clone());
        Ok(p)
    }

    /// Streams a room to the editor: the whole document and presence first, then every
    /// change and status until the stream is cancelled or its client goes.
    pub fn open(&self, room: &str, stream: Stream, cancel: SearchCancel) -> Result<()> {
        let peer = self.peer(room)?;
        let (first, mut events) = peer.open();
        let sink = stream.sink.clone();
        if !stream.json(CollabEvent::Status { status: peer.status() }) {
            return Ok(());
        }
        for m in first {
            sink.send(StreamFrame::Bytes(m));
        }
        tokio::runtime::Handle::current().spawn(async move {
            loop {
                let sent = match events.recv().await {
                    Ok(PeerEvent::Message(m)) => sink.send(StreamFrame::Bytes(m.to_vec())),
                    Ok(PeerEvent::Status(status)) => stream.json(CollabEvent::Status { status }),
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

    /// y-sync messages from the editor; returns the replies for it.
    pub fn push(&self, room: &str, data: &[u8]) -> Result<Vec<Vec<u8>>> {
        let peer = self.peers.lock().map_err(ApiError::internal)?.get(room).cloned().ok_or_else(|| ApiError::new("not_found", format!("{room} is not open")))?;
        peer.from_editor(data).map_err(|e| ApiError::bad_request(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_links_parse_and_bad_ones_say_why() {
        assert_eq!(parse_link(" ws://127.0.0.1:4000/?token=abc123 ").expect("ok"), ("ws://127.0.0.1:4000".into(), "abc123".into()));
        assert_eq!(parse_link("ws://h:1?x=1&token=t").expect("ok").1, "t");
        for bad in ["", "http://h:1/?token=t", "ws://h:1/", "ws://h:1/?token=", "ws://h/?token=t", "ws://h:1/x?token=t", "ws://h:1/?token=a%20b"] {
            let e = parse_link(bad).expect_err(bad);
            assert!(e.message.contains("invite link"), "{bad}: {}", e.message);
        }
        assert!(parse_link("wss://h:1/?token=t").expect_err("wss").message.contains("not supported"));
    }

    #[test]
    fn room_paths_are_escaped_for_the_url() {
        assert_eq!(room_path("file/src/a b#?.rs"), "file/src/a%20b%23%3F.rs");
        assert_eq!(room_path("file/é"), "file/%C3%A9");
    }
}
