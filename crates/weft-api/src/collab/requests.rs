//! A guest's requests of the host's app (what the host allows guests: `GUEST_METHODS`
//! there): one WebSocket to the host's `/.api`, opened when first needed and again after it
//! drops, speaking the API's wire protocol (crate::wire). Each request waits for its
//! reply; a stream's frames are relayed to the caller's stream as they come.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as Ws;
use weft_collab::{Endpoint, PeerStatus};

use crate::{ApiError, ErrorCode, Stream, StreamFrame};

type Result<T> = std::result::Result<T, ApiError>;
type Reply = oneshot::Sender<Result<Value>>;

fn lost(why: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Collab, format!("the connection to the host failed: {why}"))
}

/// One open connection.
struct Conn {
    out: mpsc::UnboundedSender<Ws>,
    pending: Mutex<HashMap<u64, Reply>>,
    /// By the id sent in the envelope (the local stream's own id).
    streams: Mutex<HashMap<String, Stream>>,
}

impl Conn {
    fn alive(&self) -> bool {
        !self.out.is_closed()
    }

    /// The connection ended: every waiting request fails (its streams end with it).
    fn fail_all(&self, why: &str) {
        let pending: Vec<Reply> = self.pending.lock().map(|mut p| p.drain().map(|(_, r)| r).collect()).unwrap_or_default();
        for r in pending {
            let _ = r.send(Err(lost(why)));
        }
    }

    fn cancel(&self, stream: &str) {
        if let Ok(mut s) = self.streams.lock() {
            s.remove(stream);
        }
        let _ = self.out.send(Ws::Text(json!({"id": 0, "request": {"method": "cancel", "params": {"stream": stream}}}).to_string().into()));
    }

    fn stream(&self, id: &str) -> Option<Stream> {
        self.streams.lock().ok().and_then(|s| s.get(id).cloned())
    }

    /// One message from the host: a reply (by id) or a stream frame (by stream id).
    fn received(&self, msg: Ws) {
        match msg {
            Ws::Text(text) => {
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { return };
                if let Some(id) = v.get("stream").and_then(Value::as_str) {
                    if let Some(s) = self.stream(id) {
                        if !s.sink.send(StreamFrame::Json(v.get("data").cloned().unwrap_or(Value::Null))) {
                            self.cancel(id);
                        }
                    }
                    return;
                }
                let Some(id) = v.get("id").and_then(Value::as_u64) else { return };
                let Some(reply) = self.pending.lock().ok().and_then(|mut p| p.remove(&id)) else { return };
                let result = match v.get("error") {
                    // A code this version does not know keeps its message.
                    Some(e) => Err(serde_json::from_value::<ApiError>(e.clone()).unwrap_or_else(|_| {
                        ApiError::new(ErrorCode::Collab, e.get("message").and_then(Value::as_str).unwrap_or("the host's request failed"))
                    })),
                    None => Ok(v.get("ok").cloned().unwrap_or(Value::Null)),
                };
                let _ = reply.send(result);
            }
            Ws::Binary(data) => {
                // [u16 BE id length][id][bytes]
                if data.len() < 2 {
                    return;
                }
                let n = u16::from_be_bytes([data[0], data[1]]) as usize;
                let Some(id) = data.get(2..2 + n).and_then(|b| std::str::from_utf8(b).ok()) else { return };
                if let Some(s) = self.stream(id) {
                    if !s.sink.send(StreamFrame::Bytes(data[2 + n..].to_vec())) {
                        self.cancel(id);
                    }
                }
            }
            _ => {}
        }
    }
}

pub(crate) struct HostRequests {
    endpoint: Endpoint,
    /// The open connection (a cancel reads it without waiting on a connect).
    conn: Mutex<Option<Arc<Conn>>>,
    /// Held while connecting, so concurrent first requests share one connection.
    connecting: tokio::sync::Mutex<()>,
    next: AtomicU64,
}

impl HostRequests {
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        HostRequests { endpoint, conn: Mutex::new(None), connecting: tokio::sync::Mutex::new(()), next: AtomicU64::new(1) }
    }

    /// The open connection, if it is still up.
    fn current(&self) -> Option<Arc<Conn>> {
        self.conn.lock().ok()?.clone().filter(|c| c.alive())
    }

    async fn conn(&self) -> Result<Arc<Conn>> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let _connecting = self.connecting.lock().await;
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let ws = match weft_collab::connect(&self.endpoint).await {
            Ok(ws) => ws,
            Err(Ok(PeerStatus::Refused { reason })) => return Err(ApiError::new(ErrorCode::NotShared, format!("the host refused: {reason}"))),
            Err(Ok(other)) => return Err(lost(format!("{other:?}"))),
            Err(Err(why)) => return Err(lost(why)),
        };
        let (mut sink, mut source) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Ws>();
        let conn = Arc::new(Conn { out, pending: Mutex::default(), streams: Mutex::default() });
        let c = conn.clone();
        tokio::spawn(async move {
            let why = loop {
                tokio::select! {
                    m = out_rx.recv() => match m {
                        Some(m) => if let Err(e) = sink.send(m).await { break e.to_string() },
                        None => break "closed".to_owned(),
                    },
                    m = source.next() => match m {
                        Some(Ok(Ws::Close(frame))) => break frame.map(|f| f.reason.to_string()).filter(|r| !r.is_empty()).unwrap_or_else(|| "the host closed the connection".into()),
                        Some(Ok(m)) => c.received(m),
                        Some(Err(e)) => break e.to_string(),
                        None => break "the host closed the connection".to_owned(),
                    },
                }
            };
            // Later requests open a new connection.
            out_rx.close();
            c.fail_all(&why);
        });
        *self.conn.lock().map_err(ApiError::internal)? = Some(conn.clone());
        Ok(conn)
    }

    /// Sends `request` to the host and waits for its result; with `stream`, the host's
    /// frames go to it as they come.
    pub(crate) async fn call(&self, request: Value, stream: Option<Stream>) -> Result<Value> {
        let conn = self.conn().await?;
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        conn.pending.lock().map_err(ApiError::internal)?.insert(id, tx);
        let stream_id = stream.as_ref().map(|s| s.id.clone());
        if let (Some(s), Some(sid)) = (stream, &stream_id) {
            conn.streams.lock().map_err(ApiError::internal)?.insert(sid.clone(), s);
        }
        let envelope = json!({"id": id, "request": request, "stream": stream_id});
        if conn.out.send(Ws::Text(envelope.to_string().into())).is_err() {
            conn.fail_all("closed");
        }
        let result = rx.await.unwrap_or_else(|_| Err(lost("closed")));
        // A stream's frames may come after its reply (an analysis that follows the
        // document): it stays until cancelled, refused by its receiver, or the connection
        // ends. One that failed never started.
        if let (Err(_), Some(sid)) = (&result, &stream_id) {
            if let Ok(mut s) = conn.streams.lock() {
                s.remove(sid);
            }
        }
        result
    }

    /// The caller cancelled a stream it opened with [`HostRequests::call`].
    pub(crate) fn cancel(&self, stream: &str) {
        if let Some(c) = self.current().filter(|c| c.stream(stream).is_some()) {
            c.cancel(stream);
        }
    }
}
