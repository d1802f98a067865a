//! JSON-RPC 2.0 over a language server's stdio, framed by `Content-Length` headers (the
//! LSP base protocol). One task reads: responses go to the request waiting for them (in
//! whatever order they come), the server's requests are answered at once (the few a
//! client must answer), notifications go to the server's owner. Nothing the server sends
//! can crash the client: a malformed message is logged and skipped, a broken frame ends
//! the connection (and the owner restarts the server).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

/// A message over this size is refused (a runaway server must not take the memory).
const MAX_MESSAGE: usize = 64 << 20;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum RpcError {
    /// The server answered with an error.
    #[error("{message} (code {code})")]
    Server { code: i64, message: String },
    #[error("the language server did not answer {method} within {secs} s")]
    Timeout { method: String, secs: u64 },
    #[error("the language server is not running")]
    Closed,
}

/// A notification from the server (`textDocument/publishDiagnostics`, `window/logMessage`…).
#[derive(Debug, Clone)]
pub struct Notification {
    pub method: String,
    pub params: Value,
}

type Pending = Arc<Mutex<HashMap<i64, oneshot::Sender<Result<Value, RpcError>>>>>;

pub struct Connection {
    out: mpsc::UnboundedSender<Vec<u8>>,
    pending: Pending,
    next: AtomicI64,
    /// The server's output ended: nothing will be answered any more.
    closed: Arc<std::sync::atomic::AtomicBool>,
    /// What `workspace/configuration` is answered from (see [`Connection::configure`]).
    settings: Arc<Mutex<Value>>,
}

impl Connection {
    /// Starts the reader and writer tasks over the server's stdout and stdin; its
    /// notifications go to `notify`; `closed` fires when the server's output ends.
    pub fn start<R, W>(reader: R, writer: W, notify: mpsc::UnboundedSender<Notification>) -> (Arc<Connection>, oneshot::Receiver<()>)
    where
        R: AsyncBufRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (out, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let pending: Pending = Arc::default();
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let settings = Arc::new(Mutex::new(Value::Null));
        let conn = Arc::new(Connection { out: out.clone(), pending: pending.clone(), next: AtomicI64::new(1), closed: closed.clone(), settings: settings.clone() });
        tokio::spawn(async move {
            let mut writer = writer;
            while let Some(body) = out_rx.recv().await {
                let header = format!("Content-Length: {}\r\n\r\n", body.len());
                if writer.write_all(header.as_bytes()).await.is_err() || writer.write_all(&body).await.is_err() || writer.flush().await.is_err() {
                    break;
                }
            }
        });
        let (closed_tx, closed_rx) = oneshot::channel();
        tokio::spawn(async move {
            let mut reader = reader;
            loop {
                match read_message(&mut reader).await {
                    Ok(Some(body)) => handle(&body, &pending, &out, &notify, &settings),
                    Ok(None) => break,
                    Err(e) => {
                        warn!("lsp: the server's output is not the protocol ({e}); closing");
                        break;
                    }
                }
            }
            // Everyone waiting learns the server went; a request made from now on is told at
            // once (the flag first, then the drain: a request never falls between them).
            closed.store(true, Ordering::SeqCst);
            for (_, tx) in pending.lock().unwrap_or_else(|p| p.into_inner()).drain() {
                let _ = tx.send(Err(RpcError::Closed));
            }
            let _ = closed_tx.send(());
        });
        (conn, closed_rx)
    }

    /// Sends a request and waits for its answer (at most `timeout`).
    pub async fn request(&self, method: &str, params: Value, timeout: Duration) -> Result<Value, RpcError> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, tx);
        // A server that exited before this request (one that dies at start) would otherwise
        // leave it waiting for its whole timeout.
        if self.closed.load(Ordering::SeqCst) {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            return Err(RpcError::Closed);
        }
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let asked = std::time::Instant::now();
        if self.out.send(msg.to_string().into_bytes()).is_err() {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            return Err(RpcError::Closed);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(r)) => {
                // The server's own time (plus the pipe), for the completion benchmark to take
                // out of what the editor waited (WEFT_LOG=lsp_timing=debug).
                debug!(target: "lsp_timing", method, us = asked.elapsed().as_micros() as u64, "answered");
                r
            }
            Ok(Err(_)) => Err(RpcError::Closed),
            Err(_) => {
                self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                // Tell the server to stop working on it.
                self.notify("$/cancelRequest", json!({"id": id}));
                Err(RpcError::Timeout { method: method.to_owned(), secs: timeout.as_secs() })
            }
        }
    }

    /// The server's settings (`{"typescript": {"inlayHints": …}}`): pushed with
    /// `workspace/didChangeConfiguration`, and what `workspace/configuration` answers by
    /// section (servers use one or the other).
    pub fn configure(&self, settings: Value) {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = settings.clone();
        self.notify("workspace/didChangeConfiguration", json!({"settings": settings}));
    }

    pub fn notify(&self, method: &str, params: Value) {
        let msg = json!({"jsonrpc": "2.0", "method": method, "params": params});
        let _ = self.out.send(msg.to_string().into_bytes());
    }
}

/// One message's body; None at the end of the stream.
pub async fn read_message<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let mut length: Option<usize> = None;
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).await?;
        if n == 0 {
            return Ok(None);
        }
        if line.len() > 1024 {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "a header line over 1 KiB"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            if length.is_some() {
                break;
            }
            // Blank lines between messages: tolerated.
            continue;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = Some(v.trim().parse().map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a bad Content-Length: {v}")))?);
            }
        } else {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not a header: {l:?}")));
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_MESSAGE {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a message of {length} bytes")));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Some(body))
}

/// A dotted section (`typescript.inlayHints`) of the settings; null where there is none.
fn section<'a>(settings: &'a Value, section: Option<&str>) -> &'a Value {
    let Some(section) = section.filter(|s| !s.is_empty()) else { return settings };
    section.split('.').fold(settings, |v, key| v.get(key).unwrap_or(&Value::Null))
}

fn handle(body: &[u8], pending: &Pending, out: &mpsc::UnboundedSender<Vec<u8>>, notify: &mpsc::UnboundedSender<Notification>, settings: &Mutex<Value>) {
    let msg: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            warn!("lsp: a malformed message from the server ({e}): skipped");
            return;
        }
    };
    let method = msg.get("method").and_then(Value::as_str);
    let id = msg.get("id").cloned();
    match (method, id) {
        // A response.
        (None, Some(id)) => {
            let Some(id) = id.as_i64() else { return };
            let Some(tx) = pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) else {
                debug!("lsp: an answer to {id}, which nobody waits for (timed out)");
                return;
            };
            let result = match msg.get("error") {
                Some(e) => Err(RpcError::Server { code: e["code"].as_i64().unwrap_or(0), message: e["message"].as_str().unwrap_or("error").to_owned() }),
                None => Ok(msg.get("result").cloned().unwrap_or(Value::Null)),
            };
            let _ = tx.send(result);
        }
        // The server asks: the few requests a client must answer, answered plainly.
        (Some(method), Some(id)) => {
            let result = match method {
                // Per item asked, its section of the server's settings (null: the server's default).
                "workspace/configuration" => {
                    let settings = settings.lock().unwrap_or_else(|p| p.into_inner());
                    Value::Array(msg["params"]["items"].as_array().into_iter().flatten().map(|item| section(&settings, item["section"].as_str()).clone()).collect())
                }
                "workspace/workspaceFolders" => Value::Null,
                "client/registerCapability" | "client/unregisterCapability" | "window/workDoneProgress/create" | "window/showMessageRequest" => Value::Null,
                // Edits are applied by the editor from the answers it asked for, not behind its back.
                "workspace/applyEdit" => json!({"applied": false, "failureReason": "Weft applies edits the user asked for"}),
                _ => {
                    let reply = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("{method} is not supported")}});
                    let _ = out.send(reply.to_string().into_bytes());
                    return;
                }
            };
            let _ = out.send(json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string().into_bytes());
        }
        (Some(method), None) => {
            let _ = notify.send(Notification { method: method.to_owned(), params: msg.get("params").cloned().unwrap_or(Value::Null) });
        }
        (None, None) => warn!("lsp: a message that is neither request, response nor notification: skipped"),
    }
}
