//! Peer-hosted collaboration. The host's Weft is the server: each shared document is a
//! room, served over WebSocket with the standard y-websocket protocol (y-protocols sync
//! step 1/2, updates, awareness), so any Yjs client can take part.
//!
//! Owns: rooms and their documents, guests and their tokens (read-write or read-only,
//! changeable, revocable), the WebSocket endpoint `/<room>?token=TOKEN`, and refusing
//! what a guest may not do before any document data is sent.
//!
//! [`WorkspaceHost`] shares a folder: its files as rooms, the project tree as a room,
//! guests' edits saved, disk changes merged in, terminals shared ([`terminal`]), every
//! accepted update logged so a crashed host loses nothing it acknowledged. On the network it
//! serves TLS with a self-signed certificate pinned by the fingerprint in invite links
//! ([`tls`]). [`Peer`] is the participant side: a local replica that keeps working offline
//! and merges on reconnect. Does not own any UI.

mod host;
pub mod limits;
mod peer;
mod server;
pub mod tls;
pub mod terminal;

pub use peer::{connect, Backoff, ConnectResult, Endpoint, HostIo, HostSocket, Peer, PeerEvent, PeerStatus};
// A room is one open document served over the wire (weft-doc owns documents).
pub use weft_doc::document::{minimal_edit, Document as Room, Frame, FrameError, Save, MAX_CLIENTS_PER_CONNECTION, MAX_PRESENCE_BYTES, CONTENT, FILES, HOST, PREVIEWS, TERMINALS, TREE};
pub use weft_doc::fanout;
pub use host::{HostOptions, WorkspaceHost};
pub use server::{DocLoader, Guest, GuestApi, GuestApiConnection, Hub, HubOptions, Loader, Role, API_PATH, CLOSE_REMOVED, MAX_CONNECTIONS_PER_GUEST};
/// The WebSocket message type of the endpoints (the guest API's replies are these).
pub use axum::extract::ws::Message as WsMessage;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CollabError {
    #[error("no such room: {0}")]
    NoRoom(String),
    #[error("{0} is not shared")]
    NotShared(String),
    #[error("unknown guest")]
    UnknownGuest,
}
