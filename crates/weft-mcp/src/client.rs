//! One MCP server's connection: JSON-RPC 2.0 over the server's stdio (one message per
//! line) or over Streamable HTTP (each message POSTed; the answer is JSON or an SSE stream
//! carrying it), the `initialize` handshake, and the requests Weft makes. The server's own
//! requests are answered (`ping`, `roots/list` with the folder), the rest refused as
//! unsupported; a request that outlives its timeout is cancelled and fails, never hangs.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::oneshot;

use crate::config::{ServerConfig, Transport};

/// The revision Weft speaks; the server answers with the one it speaks, any of [`KNOWN`].
pub const PROTOCOL_VERSION: &str = "2025-11-25";
const KNOWN: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
/// Lines of a server's stderr kept, for the message when it fails.
const STDERR_LINES: usize = 20;

#[derive(Debug, Clone, thiserror::Error)]
pub enum McpError {
    #[error("{0}")]
    Start(String),
    #[error("the server did not answer {method} within {secs} s")]
    Timeout { method: String, secs: u64 },
    #[error("the server's connection closed{0}")]
    Closed(String),
    /// The server's JSON-RPC error, as it worded it.
    #[error("{message} (error {code})")]
    Rpc { code: i64, message: String },
    #[error("{0}")]
    Protocol(String),
    /// HTTP 401: the server wants a signed-in user (OAuth); its `WWW-Authenticate` header.
    #[error("the server asks you to sign in")]
    AuthRequired(String),
}

pub type Result<T> = std::result::Result<T, McpError>;

/// A tool a server offers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

/// A resource a server offers (`@`-mentionable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "McpResource"))]
pub struct Resource {
    pub uri: String,
    pub name: String,
    pub description: Option<String>,
    pub mime_type: Option<String>,
}

/// A prompt a server offers (a slash command).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "McpPrompt"))]
pub struct Prompt {
    pub name: String,
    pub description: Option<String>,
    /// Argument names, the required ones first.
    pub arguments: Vec<String>,
}

/// What a tool call gave back, flattened for a model: text blocks as they are, other
/// content described (an image's type and size, a resource's URI and text), and the images
/// themselves for a model that can look at them.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub text: String,
    pub is_error: bool,
    /// (MIME type, base64 data) of each image block.
    pub images: Vec<(String, String)>,
}

enum Link {
    Stdio { stdin: tokio::sync::Mutex<tokio::process::ChildStdin>, child: Mutex<Option<tokio::process::Child>> },
    Http { http: reqwest::Client, url: String, headers: Vec<(String, String)>, session: Mutex<Option<String>>, version: Mutex<String> },
}

type Pending = Mutex<HashMap<u64, oneshot::Sender<std::result::Result<Value, McpError>>>>;

pub struct Client {
    name: String,
    link: Link,
    pending: Arc<Pending>,
    next: AtomicU64,
    closed: Arc<AtomicBool>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// The task reading stderr (stdio servers): a server that exits closes its stdout and
    /// its stderr together, and its last words may still be on their way when the closed
    /// stdout is noticed.
    stderr_reader: Mutex<Option<tokio::task::JoinHandle<()>>>,
    root: PathBuf,
    /// The server said its tools changed (`notifications/tools/list_changed`).
    tools_changed: Arc<AtomicBool>,
    pub server_name: String,
    pub protocol: String,
    pub instructions: Option<String>,
}

impl Client {
    /// Starts (or connects to) the server and completes `initialize` within `timeout`.
    pub async fn connect(name: &str, config: &ServerConfig, root: &Path, timeout: Duration) -> Result<Arc<Client>> {
        let pending: Arc<Pending> = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let stderr: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let mut stderr_reader = None;
        let tools_changed = Arc::new(AtomicBool::new(false));
        let (link, lines) = match &config.transport {
            Transport::Stdio { command, args, env } => {
                let mut cmd = weft_pty::process::background_command(command);
                cmd.args(args).current_dir(root).envs(env);
                let mut cmd = tokio::process::Command::from(cmd);
                cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).kill_on_drop(true);
                let mut child = cmd.spawn().map_err(|e| McpError::Start(format!("could not start {command}: {e}")))?;
                let (stdin, stdout, err) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
                let (Some(stdin), Some(stdout)) = (stdin, stdout) else { return Err(McpError::Start("no pipes to the server".into())) };
                if let Some(err) = err {
                    let (keep, server) = (stderr.clone(), name.to_owned());
                    stderr_reader = Some(tokio::spawn(async move {
                        let mut lines = BufReader::new(err).lines();
                        while let Ok(Some(l)) = lines.next_line().await {
                            tracing::debug!(server = %server, "mcp stderr: {l}");
                            if let Ok(mut k) = keep.lock() {
                                if k.len() == STDERR_LINES {
                                    k.pop_front();
                                }
                                k.push_back(l);
                            }
                        }
                    }));
                }
                (Link::Stdio { stdin: tokio::sync::Mutex::new(stdin), child: Mutex::new(Some(child)) }, Some(stdout))
            }
            Transport::Http { url, headers } => {
                let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build().map_err(|e| McpError::Start(e.to_string()))?;
                let headers = headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                (Link::Http { http, url: url.clone(), headers, session: Mutex::new(None), version: Mutex::new(PROTOCOL_VERSION.into()) }, None)
            }
        };
        let mut client = Client {
            name: name.to_owned(),
            link,
            pending,
            next: AtomicU64::new(1),
            closed,
            stderr,
            stderr_reader: Mutex::new(stderr_reader),
            root: root.to_owned(),
            tools_changed,
            server_name: String::new(),
            protocol: String::new(),
            instructions: None,
        };
        // The stdio reader is started with a handle that answers the server's requests.
        let (answers_tx, mut answers_rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
        if let Some(stdout) = lines {
            let (pending, closed, changed, root) = (client.pending.clone(), client.closed.clone(), client.tools_changed.clone(), client.root.clone());
            let server = name.to_owned();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                loop {
                    match lines.next_line().await {
                        Ok(Some(l)) if l.trim().is_empty() => {}
                        Ok(Some(l)) => match serde_json::from_str::<Value>(&l) {
                            Ok(msg) => dispatch(msg, &pending, &changed, &root, &answers_tx),
                            // One bad line is skipped; a server that only writes garbage
                            // answers nothing and its requests time out.
                            Err(e) => tracing::warn!(server = %server, "mcp: not JSON ({e}): {}", l.chars().take(200).collect::<String>()),
                        },
                        Ok(None) | Err(_) => break,
                    }
                }
                closed.store(true, Ordering::SeqCst);
                fail_all(&pending, "");
            });
        }
        let init = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"roots": {"listChanged": false}},
            "clientInfo": {"name": "weft", "title": "Weft", "version": env!("CARGO_PKG_VERSION")},
        });
        // Requests the server makes meanwhile wait in `answers_tx` for the task below.
        let res = match client.request("initialize", init, timeout).await {
            Ok(r) => r,
            Err(e) => {
                if matches!(e, McpError::Closed(_)) {
                    // It closed its output: what it says on its way out is read to the end
                    // first (bounded), before it is stopped.
                    let reader = client.stderr_reader.lock().ok().and_then(|mut r| r.take());
                    if let Some(reader) = reader {
                        let _ = tokio::time::timeout(Duration::from_millis(500), reader).await;
                    }
                }
                client.shutdown();
                let tail = client.stderr_tail();
                return Err(match e {
                    McpError::Closed(_) if !tail.is_empty() => McpError::Closed(format!(": {tail}")),
                    McpError::Timeout { .. } if !tail.is_empty() => McpError::Start(format!("{e}; it said: {tail}")),
                    e => e,
                });
            }
        };
        let version = res["protocolVersion"].as_str().unwrap_or_default().to_owned();
        if !KNOWN.contains(&version.as_str()) {
            client.shutdown();
            return Err(McpError::Protocol(format!("the server speaks MCP {version:?}, which Weft does not")));
        }
        if let Link::Http { version: v, .. } = &client.link {
            if let Ok(mut v) = v.lock() {
                *v = version.clone();
            }
        }
        client.protocol = version;
        client.server_name = res["serverInfo"]["name"].as_str().unwrap_or(name).to_owned();
        client.instructions = res["instructions"].as_str().map(str::to_owned);
        client.notify("notifications/initialized", json!({})).await?;
        let client = Arc::new(client);
        // Answers to the server's own requests, sent in order.
        let weak = Arc::downgrade(&client);
        tokio::spawn(async move {
            while let Some(answer) = answers_rx.recv().await {
                let Some(c) = weak.upgrade() else { break };
                let _ = c.send(&answer).await;
            }
        });
        Ok(client)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// The last lines the server wrote to stderr (stdio servers), for error messages.
    pub fn stderr_tail(&self) -> String {
        self.stderr.lock().map(|l| l.iter().rev().take(3).rev().cloned().collect::<Vec<_>>().join(" | ")).unwrap_or_default()
    }

    /// Whether the server said its tools changed since the last call.
    pub fn take_tools_changed(&self) -> bool {
        self.tools_changed.swap(false, Ordering::SeqCst)
    }

    /// Stops a stdio server (its process is killed); an HTTP session is ended.
    pub fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        match &self.link {
            Link::Stdio { child, .. } => {
                if let Some(mut c) = child.lock().ok().and_then(|mut c| c.take()) {
                    let _ = c.start_kill();
                }
            }
            Link::Http { http, url, session, .. } => {
                if let Some(id) = session.lock().ok().and_then(|s| s.clone()) {
                    let req = http.delete(url).header("Mcp-Session-Id", id);
                    tokio::spawn(async move {
                        let _ = req.send().await;
                    });
                }
            }
        }
        fail_all(&self.pending, " (stopped)");
    }

    pub async fn list_tools(&self, timeout: Duration) -> Result<Vec<ToolSpec>> {
        let mut out = vec![];
        for item in self.paged("tools/list", "tools", timeout).await? {
            let Some(name) = item["name"].as_str() else { continue };
            let description = item["description"].as_str().or(item["title"].as_str()).unwrap_or_default().to_owned();
            let schema = if item["inputSchema"].is_object() { item["inputSchema"].clone() } else { json!({"type": "object"}) };
            out.push(ToolSpec { name: name.to_owned(), description, input_schema: schema });
        }
        Ok(out)
    }

    pub async fn list_resources(&self, timeout: Duration) -> Result<Vec<Resource>> {
        Ok(self
            .paged("resources/list", "resources", timeout)
            .await?
            .into_iter()
            .filter_map(|r| {
                Some(Resource {
                    uri: r["uri"].as_str()?.to_owned(),
                    name: r["name"].as_str().unwrap_or_default().to_owned(),
                    description: r["description"].as_str().map(str::to_owned),
                    mime_type: r["mimeType"].as_str().map(str::to_owned),
                })
            })
            .collect())
    }

    pub async fn list_prompts(&self, timeout: Duration) -> Result<Vec<Prompt>> {
        Ok(self
            .paged("prompts/list", "prompts", timeout)
            .await?
            .into_iter()
            .filter_map(|p| {
                let mut args: Vec<(bool, String)> = p["arguments"].as_array().map(|a| a.iter().filter_map(|x| Some((!x["required"].as_bool().unwrap_or(false), x["name"].as_str()?.to_owned()))).collect()).unwrap_or_default();
                args.sort_by_key(|(optional, _)| *optional);
                Some(Prompt { name: p["name"].as_str()?.to_owned(), description: p["description"].as_str().map(str::to_owned), arguments: args.into_iter().map(|(_, n)| n).collect() })
            })
            .collect())
    }

    /// Calls a tool; a tool's own failure (`isError`) is a result, not an error.
    pub async fn call_tool(&self, name: &str, arguments: &Value, timeout: Duration) -> Result<ToolResult> {
        let args = if arguments.is_object() { arguments.clone() } else { json!({}) };
        let res = self.request("tools/call", json!({"name": name, "arguments": args}), timeout).await?;
        let mut text = content_text(&res["content"]);
        if text.is_empty() && !res["structuredContent"].is_null() {
            text = res["structuredContent"].to_string();
        }
        let images = res["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["type"] == "image")
            .filter_map(|c| Some((c["mimeType"].as_str()?.to_owned(), c["data"].as_str()?.to_owned())))
            .collect();
        Ok(ToolResult { text, is_error: res["isError"].as_bool().unwrap_or(false), images })
    }

    /// A resource's contents as text (binary ones described).
    pub async fn read_resource(&self, uri: &str, timeout: Duration) -> Result<String> {
        let res = self.request("resources/read", json!({"uri": uri}), timeout).await?;
        let mut out = String::new();
        for c in res["contents"].as_array().into_iter().flatten() {
            if let Some(t) = c["text"].as_str() {
                out.push_str(t);
            } else if let Some(b) = c["blob"].as_str() {
                out.push_str(&format!("[binary {} of {} base64 characters]", c["mimeType"].as_str().unwrap_or("data"), b.len()));
            }
        }
        Ok(out)
    }

    /// A prompt's messages, as the text a user would send.
    pub async fn get_prompt(&self, name: &str, arguments: &serde_json::Map<String, Value>, timeout: Duration) -> Result<String> {
        let res = self.request("prompts/get", json!({"name": name, "arguments": arguments}), timeout).await?;
        let parts: Vec<String> = res["messages"].as_array().into_iter().flatten().map(|m| content_text(&Value::Array(vec![m["content"].clone()]))).filter(|t| !t.is_empty()).collect();
        Ok(parts.join("\n\n"))
    }

    async fn paged(&self, method: &str, key: &str, timeout: Duration) -> Result<Vec<Value>> {
        let mut out = vec![];
        let mut cursor: Option<String> = None;
        // A server that pages for ever is cut off after a hundred pages.
        for _ in 0..100 {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let res = self.request(method, params, timeout).await?;
            out.extend(res[key].as_array().cloned().unwrap_or_default());
            match res["nextCursor"].as_str() {
                Some(c) if !c.is_empty() => cursor = Some(c.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    pub async fn request(&self, method: &str, params: Value, timeout: Duration) -> Result<Value> {
        if self.is_closed() {
            return Err(McpError::Closed(self.closed_reason()));
        }
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(id, tx);
        }
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        if let Err(e) = self.send(&msg).await {
            self.forget(id);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(McpError::Closed(self.closed_reason())),
            Err(_) => {
                self.forget(id);
                // Told, so a server that is only slow stops working on it.
                let _ = self.notify("notifications/cancelled", json!({"requestId": id, "reason": "timed out"})).await;
                Err(McpError::Timeout { method: method.into(), secs: timeout.as_secs() })
            }
        }
    }

    fn closed_reason(&self) -> String {
        let tail = self.stderr_tail();
        if tail.is_empty() {
            String::new()
        } else {
            format!(": {tail}")
        }
    }

    fn forget(&self, id: u64) {
        if let Ok(mut p) = self.pending.lock() {
            p.remove(&id);
        }
    }

    async fn notify(&self, method: &str, params: Value) -> Result<()> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params})).await
    }

    async fn send(&self, msg: &Value) -> Result<()> {
        match &self.link {
            Link::Stdio { stdin, .. } => {
                let mut line = serde_json::to_vec(msg).map_err(|e| McpError::Protocol(e.to_string()))?;
                line.push(b'\n');
                let mut w = stdin.lock().await;
                w.write_all(&line).await.map_err(|_| McpError::Closed(self.closed_reason()))?;
                w.flush().await.map_err(|_| McpError::Closed(self.closed_reason()))
            }
            Link::Http { http, url, headers, session, version } => {
                let mut req = http.post(url).header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream");
                for (k, v) in headers {
                    req = req.header(k, v);
                }
                if let Some(id) = session.lock().ok().and_then(|s| s.clone()) {
                    req = req.header("Mcp-Session-Id", id);
                }
                if msg["method"] != "initialize" {
                    let v = version.lock().map(|v| v.clone()).unwrap_or_default();
                    req = req.header("MCP-Protocol-Version", v);
                }
                let body = serde_json::to_vec(msg).map_err(|e| McpError::Protocol(e.to_string()))?;
                let resp = req.body(body).send().await.map_err(|e| McpError::Closed(format!(": {e}")))?;
                if let Some(id) = resp.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
                    if let Ok(mut s) = session.lock() {
                        *s = Some(id.to_owned());
                    }
                }
                let status = resp.status();
                if status == reqwest::StatusCode::ACCEPTED {
                    return Ok(());
                }
                if !status.is_success() {
                    let challenge = resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    let body = resp.text().await.unwrap_or_default();
                    let err = if status == reqwest::StatusCode::UNAUTHORIZED {
                        McpError::AuthRequired(challenge)
                    } else {
                        McpError::Rpc { code: i64::from(status.as_u16()), message: format!("HTTP {status}: {}", body.chars().take(300).collect::<String>()) }
                    };
                    // The request this was fails now, not at its timeout.
                    if let Some(id) = msg["id"].as_u64() {
                        if let Some(tx) = self.pending.lock().ok().and_then(|mut p| p.remove(&id)) {
                            let _ = tx.send(Err(err));
                            return Ok(());
                        }
                    }
                    return Err(err);
                }
                let sse = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/event-stream"));
                let (pending, changed, root) = (self.pending.clone(), self.tools_changed.clone(), self.root.clone());
                let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
                if sse {
                    // The stream carries the answer (and maybe the server's own requests and
                    // notifications first); read on its own task, so sending returns now.
                    tokio::spawn(async move {
                        use futures_util::StreamExt;
                        let mut body = resp.bytes_stream();
                        let mut buf: Vec<u8> = Vec::new();
                        while let Some(Ok(chunk)) = body.next().await {
                            buf.extend_from_slice(&chunk);
                            while let Some(end) = find_event_end(&buf) {
                                let event: Vec<u8> = buf.drain(..end.1).collect();
                                let data: String = String::from_utf8_lossy(&event[..end.0])
                                    .lines()
                                    .filter_map(|l| l.strip_prefix("data:").map(|d| d.strip_prefix(' ').unwrap_or(d)))
                                    .collect::<Vec<_>>()
                                    .join("\n");
                                if let Ok(msg) = serde_json::from_str::<Value>(&data) {
                                    dispatch(msg, &pending, &changed, &root, &answers);
                                }
                            }
                        }
                    });
                } else {
                    let body = resp.bytes().await.map_err(|e| McpError::Closed(format!(": {e}")))?;
                    if !body.is_empty() {
                        match serde_json::from_slice::<Value>(&body) {
                            Ok(Value::Array(many)) => many.into_iter().for_each(|m| dispatch(m, &pending, &changed, &root, &answers)),
                            Ok(one) => dispatch(one, &pending, &changed, &root, &answers),
                            Err(e) => return Err(McpError::Protocol(format!("the server's answer is not JSON: {e}"))),
                        }
                    }
                }
                // Over HTTP, answers to the server's requests go back as new POSTs.
                if let Ok(answer) = answered.try_recv() {
                    Box::pin(self.send(&answer)).await?;
                }
                Ok(())
            }
        }
    }
}

/// Where an SSE event ends in `buf`: (end of its text, end including the blank line).
fn find_event_end(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn fail_all(pending: &Pending, why: &str) {
    if let Ok(mut p) = pending.lock() {
        for (_, tx) in p.drain() {
            let _ = tx.send(Err(McpError::Closed(why.to_owned())));
        }
    }
}

/// A message from the server: an answer to one of ours, a request of its own (answered
/// through `answers`), or a notification.
fn dispatch(msg: Value, pending: &Pending, tools_changed: &AtomicBool, root: &Path, answers: &tokio::sync::mpsc::UnboundedSender<Value>) {
    let method = msg["method"].as_str();
    match (method, msg.get("id")) {
        (None, Some(id)) => {
            let Some(id) = id.as_u64() else { return };
            let Some(tx) = pending.lock().ok().and_then(|mut p| p.remove(&id)) else { return };
            let result = match msg.get("error") {
                Some(e) => Err(McpError::Rpc { code: e["code"].as_i64().unwrap_or(0), message: e["message"].as_str().unwrap_or("error").to_owned() }),
                None => Ok(msg.get("result").cloned().unwrap_or(Value::Null)),
            };
            let _ = tx.send(result);
        }
        (Some(m), Some(id)) => {
            let answer = match m {
                "ping" => json!({"jsonrpc": "2.0", "id": id, "result": {}}),
                "roots/list" => {
                    let uri = format!("file://{}", root.display().to_string().replace('\\', "/"));
                    json!({"jsonrpc": "2.0", "id": id, "result": {"roots": [{"uri": uri, "name": root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()}]}})
                }
                // Sampling and elicitation are not offered (not in our capabilities).
                _ => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("Weft does not support {m}")}}),
            };
            let _ = answers.send(answer);
        }
        (Some("notifications/tools/list_changed"), None) => tools_changed.store(true, Ordering::SeqCst),
        (Some("notifications/message"), None) => tracing::debug!("mcp log: {}", msg["params"]),
        _ => {}
    }
}

/// Content blocks as a model reads them.
pub fn content_text(content: &Value) -> String {
    let mut out: Vec<String> = vec![];
    for c in content.as_array().into_iter().flatten() {
        match c["type"].as_str() {
            Some("text") => out.push(c["text"].as_str().unwrap_or_default().to_owned()),
            Some("image") | Some("audio") => out.push(format!("[{} {}, {} base64 characters]", c["type"].as_str().unwrap_or_default(), c["mimeType"].as_str().unwrap_or("?"), c["data"].as_str().map_or(0, str::len))),
            Some("resource") => {
                let r = &c["resource"];
                match r["text"].as_str() {
                    Some(t) => out.push(format!("[resource {}]\n{t}", r["uri"].as_str().unwrap_or_default())),
                    None => out.push(format!("[resource {} ({}), binary]", r["uri"].as_str().unwrap_or_default(), r["mimeType"].as_str().unwrap_or("?"))),
                }
            }
            Some("resource_link") => out.push(format!("[resource link {} {}]", c["uri"].as_str().unwrap_or_default(), c["name"].as_str().unwrap_or_default())),
            _ => {}
        }
    }
    out.join("\n")
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown();
    }
}
