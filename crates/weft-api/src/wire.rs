//! The API over a WebSocket: the browser UI of `weft serve`, and a collaboration guest's
//! requests of the host. JSON envelopes `{id, request, stream?}` in; `{id, ok}` or
//! `{id, error}` out; stream frames as `{stream, data}`, or as binary frames
//! `[u16 BE id length][id][bytes]` for raw bytes. The transport (its admission, its
//! socket) is the caller's; this is one connection's requests.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;
use tracing::warn;
use weft_collab::WsMessage as Message;

use crate::{Api, Stream, StreamFrame};

/// Who is on the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The app's own UI: every request its shell allows.
    Owner,
    /// A guest of the shared folder: only [`crate::GUEST_METHODS`], checked there; a
    /// read-only guest's requests change nothing (the preview's are safe methods only).
    Guest { read_only: bool },
}

#[derive(Deserialize)]
struct Envelope {
    id: u64,
    request: Value,
    #[serde(default)]
    stream: Option<String>,
}

/// One connection's requests. Requests run concurrently; replies and stream frames go to
/// `out` in any order. Dropping it stops the streams it opened.
pub struct Connection {
    api: Api,
    access: Access,
    /// Stream ids are the client's, namespaced per connection inside the API.
    prefix: String,
    streams: Arc<Mutex<HashSet<String>>>,
    out: UnboundedSender<Message>,
}

impl Connection {
    pub fn new(api: Api, access: Access, out: UnboundedSender<Message>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let prefix = match access {
            Access::Owner => format!("ws{n}"),
            Access::Guest { .. } => format!("guest{n}"),
        };
        Connection { api, access, prefix, streams: Arc::default(), out }
    }

    fn internal(&self, id: &str) -> String {
        format!("{}:{id}", self.prefix)
    }

    /// One text message. `Err(reason)`: the message was malformed and the connection
    /// should close (a well-formed request that fails is an `error` reply instead).
    /// Must be called inside a tokio runtime.
    pub fn message(&self, text: &str) -> Result<(), String> {
        let env: Envelope = serde_json::from_str(text).map_err(|e| {
            warn!(conn = %self.prefix, "malformed envelope: {e}");
            "malformed message".to_owned()
        })?;
        // Cancels name the client's id; map them to ours (a connection cancels only its own).
        if env.request.get("method").and_then(Value::as_str) == Some("cancel") {
            if let Some(s) = env.request.pointer("/params/stream").and_then(Value::as_str) {
                let known = self.streams.lock().map(|mut set| set.remove(s)).unwrap_or(false);
                if known {
                    self.api.cancel(&self.internal(s));
                }
            }
            let _ = self.out.send(Message::Text(json!({"id": env.id, "ok": null}).to_string().into()));
            return Ok(());
        }
        let stream = env.stream.map(|client_id| {
            if let Ok(mut set) = self.streams.lock() {
                set.insert(client_id.clone());
            }
            let tx = self.out.clone();
            let cid = client_id.clone();
            Stream::new(self.internal(&client_id), move |frame: StreamFrame| {
                let msg = match frame {
                    StreamFrame::Json(data) => Message::Text(json!({"stream": cid, "data": data}).to_string().into()),
                    StreamFrame::Bytes(bytes) => {
                        let mut buf = Vec::with_capacity(2 + cid.len() + bytes.len());
                        buf.extend_from_slice(&(cid.len() as u16).to_be_bytes());
                        buf.extend_from_slice(cid.as_bytes());
                        buf.extend_from_slice(&bytes);
                        Message::Binary(buf.into())
                    }
                };
                tx.send(msg).is_ok()
            })
        });
        let (api, tx, access) = (self.api.clone(), self.out.clone(), self.access);
        tokio::spawn(async move {
            let result = match access {
                Access::Owner => api.call(env.request, stream).await,
                Access::Guest { read_only } => api.call_guest(env.request, stream, read_only).await,
            };
            let reply = match result {
                Ok(v) => json!({"id": env.id, "ok": v}),
                Err(e) => json!({"id": env.id, "error": e}),
            };
            let _ = tx.send(Message::Text(reply.to_string().into()));
        });
        Ok(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let ids: Vec<String> = self.streams.lock().map(|s| s.iter().cloned().collect()).unwrap_or_default();
        for id in ids {
            self.api.cancel(&self.internal(&id));
        }
    }
}

/// The host's answer to a guest's requests: a [`Connection`] per guest connection.
pub(crate) struct GuestRequests(pub crate::api::WeakApi);

impl weft_collab::GuestApi for GuestRequests {
    fn connect(&self, out: UnboundedSender<Message>) -> Box<dyn weft_collab::GuestApiConnection> {
        match self.0.upgrade() {
            Some(api) => Box::new(Connection::new(api, Access::Guest { read_only: true }, out)),
            None => Box::new(Closed),
        }
    }
}

/// The app is gone while its host still runs (shutting down).
struct Closed;

impl weft_collab::GuestApiConnection for Closed {
    fn message(&mut self, _role: weft_collab::Role, _text: &str) -> Result<(), String> {
        Err("the host's folder is closed".into())
    }
}

impl weft_collab::GuestApiConnection for Connection {
    // A guest's role may change during the session: each request runs with the current one.
    fn message(&mut self, role: weft_collab::Role, text: &str) -> Result<(), String> {
        self.access = Access::Guest { read_only: role == weft_collab::Role::ReadOnly };
        Connection::message(self, text)
    }
}
