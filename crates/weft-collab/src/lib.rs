//! Peer-hosted collaboration. The host's Weft is the server: each shared document is a
//! room, served over WebSocket with the standard y-websocket protocol (y-protocols sync
//! step 1/2, updates, awareness), so any Yjs client can take part.
//!
//! Owns: rooms and their documents, guests and their tokens (read-write or read-only,
//! changeable, revocable), the WebSocket endpoint `/<room>?token=TOKEN`, and refusing
//! what a guest may not do before any document data is sent.
//!
//! Does not own: which rooms exist and what they hold (the host passes a loader that
//! reads files inside the workspace), saving, TLS, or any UI.

mod room;
mod server;

pub use room::{minimal_edit, FrameError, Room, CONTENT, HOST};
pub use server::{Hub, HubOptions, Loader, Role};

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CollabError {
    #[error("no such room: {0}")]
    NoRoom(String),
    #[error("{0} is not shared")]
    NotShared(String),
    #[error("unknown guest")]
    UnknownGuest,
}
