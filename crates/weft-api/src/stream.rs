//! Streams: ongoing results of one call (search hits, watch batches; later PTY bytes and
//! agent tokens). The caller mints the stream id before the call so it can route frames
//! that arrive before the call returns. Transports adapt [`StreamSink`]: the shell onto a
//! Tauri Channel, the server onto WebSocket frames.

use std::sync::Arc;

pub enum StreamFrame {
    Json(serde_json::Value),
    /// Raw bytes (terminal output): never wrapped in JSON.
    Bytes(Vec<u8>),
}

pub trait StreamSink: Send + Sync {
    /// Returns false once the receiver is gone; the producer should then stop.
    fn send(&self, frame: StreamFrame) -> bool;
}

impl<F: Fn(StreamFrame) -> bool + Send + Sync> StreamSink for F {
    fn send(&self, frame: StreamFrame) -> bool {
        self(frame)
    }
}

#[derive(Clone)]
pub struct Stream {
    pub id: String,
    pub sink: Arc<dyn StreamSink>,
}

impl Stream {
    pub fn new(id: impl Into<String>, sink: impl StreamSink + 'static) -> Self {
        Self { id: id.into(), sink: Arc::new(sink) }
    }

    pub fn json(&self, value: impl serde::Serialize) -> bool {
        match serde_json::to_value(value) {
            Ok(v) => self.sink.send(StreamFrame::Json(v)),
            Err(_) => false,
        }
    }
}

/// In the method table: a stream's raw byte frames (terminal output, y-sync messages),
/// which the UI receives as `Uint8Array`.
#[derive(ts_rs::TS)]
#[ts(type = "Uint8Array")]
pub struct Bytes;

/// Any JSON value (a result or frame relayed from the collaboration host), which the UI
/// receives as `unknown`.
#[derive(Debug, Clone, ts_rs::TS)]
#[ts(type = "unknown")]
pub struct Json(pub serde_json::Value);

impl serde::Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
