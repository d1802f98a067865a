//! A scripted stand-in for the paid APIs: a real HTTP/1.1 server on loopback that answers
//! each request with the next scripted [`Reply`], in the providers' real wire formats
//! (SSE over chunked transfer encoding, JSON error bodies, `retry-after` headers), and can
//! misbehave the ways real services do: pings, UTF-8 split across chunks, tool input in
//! many fragments, an error event in the middle of a 200 stream, a connection cut
//! mid-stream. It records every request so tests can check what was sent.

pub mod aws;

use crate::types::{StopReason, Usage};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub enum Reply {
    /// `200 text/event-stream` (or `content_type`), each piece sent as its own HTTP chunk.
    /// With `cut`, the connection closes after the pieces without the terminating chunk.
    Stream { pieces: Vec<Vec<u8>>, cut: bool, content_type: &'static str },
    /// Any status with a body, e.g. a 429 with `retry-after`.
    Status { status: u16, headers: Vec<(String, String)>, body: String },
}

impl Reply {
    /// One chunk per event.
    pub fn sse(events: Vec<String>) -> Self {
        Reply::Stream { pieces: events.into_iter().map(String::into_bytes).collect(), cut: false, content_type: "text/event-stream" }
    }

    /// The same bytes re-cut every `n` bytes, splitting lines, events and UTF-8 characters.
    pub fn split_every(self, n: usize) -> Self {
        match self {
            Reply::Stream { pieces, cut, content_type } => {
                let all = pieces.concat();
                Reply::Stream { pieces: all.chunks(n.max(1)).map(<[u8]>::to_vec).collect(), cut, content_type }
            }
            other => other,
        }
    }

    /// Only the first `bytes` bytes of the stream, then the connection drops.
    pub fn cut_after(self, bytes: usize) -> Self {
        match self {
            Reply::Stream { pieces, content_type, .. } => {
                let mut all = pieces.concat();
                all.truncate(bytes);
                Reply::Stream { pieces: vec![all], cut: true, content_type }
            }
            other => other,
        }
    }

    /// The stream ends cleanly (terminating chunk sent) but before the end-of-message
    /// event: the last `events` pieces are dropped.
    pub fn drop_last(self, events: usize) -> Self {
        match self {
            Reply::Stream { mut pieces, cut, content_type } => {
                pieces.truncate(pieces.len().saturating_sub(events));
                Reply::Stream { pieces, cut, content_type }
            }
            other => other,
        }
    }

    pub fn json(status: u16, body: Value) -> Self {
        Reply::Status { status, headers: vec![], body: body.to_string() }
    }

    /// An error in Anthropic's shape: `{"type":"error","error":{"type","message"}}`.
    pub fn anthropic_error(status: u16, kind: &str, message: &str) -> Self {
        Self::json(status, json!({"type": "error", "error": {"type": kind, "message": message}}))
    }

    /// An error in OpenAI's shape: `{"error":{"message","type","code"}}`.
    pub fn openai_error(status: u16, kind: &str, code: &str, message: &str) -> Self {
        Self::json(status, json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
    }

    /// An error in Google's shape: `{"error":{"code","message","status","details"}}`, with
    /// `RetryInfo` when `retry_delay` is given ("7s") and `ErrorInfo` when `reason` is.
    pub fn gemini_error(status: u16, status_name: &str, message: &str, retry_delay: Option<&str>, reason: Option<&str>) -> Self {
        Self::json(status, json!({"error": gemini_error_object(status, status_name, message, retry_delay, reason)}))
    }

    pub fn with_header(self, name: &str, value: &str) -> Self {
        match self {
            Reply::Status { status, mut headers, body } => {
                headers.push((name.to_owned(), value.to_owned()));
                Reply::Status { status, headers, body }
            }
            other => other,
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    requests: Vec<Recorded>,
    /// Set: every request must carry this AWS authentication, or is refused as Bedrock would.
    aws: Option<aws::AwsAuth>,
}

pub struct FakeServer {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
    /// Pause between stream pieces, so they leave as separate TCP segments.
    pub pace: Duration,
}

impl FakeServer {
    pub async fn start(script: Vec<Reply>) -> std::io::Result<FakeServer> {
        Self::start_paced(script, Duration::from_millis(1)).await
    }

    pub async fn start_paced(script: Vec<Reply>, pace: Duration) -> std::io::Result<FakeServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State { script: script.into(), requests: vec![], aws: None }));
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, st, pace).await;
                });
            }
        });
        Ok(FakeServer { addr, state, task, pace })
    }

    /// `http://127.0.0.1:PORT`; Anthropic's base URL as is, OpenAI's with `/v1` added.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn push(&self, reply: Reply) {
        lock(&self.state).script.push_back(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).requests.clone()
    }

    /// From now on, refuse (403, without using a scripted reply) any request that is not
    /// signed with these AWS keys, or does not carry this Bedrock API key.
    pub fn require_aws(&self, auth: aws::AwsAuth) {
        lock(&self.state).aws = Some(auth);
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

async fn serve(mut sock: TcpStream, state: Arc<Mutex<State>>, pace: Duration) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut buf = Vec::new();
    loop {
        // Headers.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let mut tmp = [0u8; 8192];
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_owned();
        let path = first.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let len: usize = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        buf.drain(..head_end + 4);
        while buf.len() < len {
            let mut tmp = [0u8; 65536];
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        let body: Vec<u8> = buf.drain(..len).collect();
        let reply = {
            let mut st = lock(&state);
            let refused = st.aws.as_ref().and_then(|a| aws::verify(a, &method, &path, &headers, &body).err());
            st.requests.push(Recorded {
                method,
                path,
                headers,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            match refused {
                Some((status, code, message)) => Some(Reply::bedrock_error(status, code, &message)),
                None => st.script.pop_front(),
            }
        };
        let reply = reply.unwrap_or_else(|| Reply::anthropic_error(500, "api_error", "fake server: no scripted reply left"));
        match reply {
            Reply::Status { status, headers, body } => {
                let mut out = format!("HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n", reason(status), body.len());
                for (n, v) in headers {
                    out.push_str(&format!("{n}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                sock.write_all(out.as_bytes()).await?;
            }
            Reply::Stream { pieces, cut, content_type } => {
                sock.write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n").as_bytes()).await?;
                for p in pieces.iter().filter(|p| !p.is_empty()) {
                    let mut chunk = format!("{:x}\r\n", p.len()).into_bytes();
                    chunk.extend_from_slice(p);
                    chunk.extend_from_slice(b"\r\n");
                    sock.write_all(&chunk).await?;
                    sock.flush().await?;
                    if !pace.is_zero() {
                        tokio::time::sleep(pace).await;
                    }
                }
                if cut {
                    // Drop without the terminating chunk: the client sees a body cut short.
                    return Ok(());
                }
                sock.write_all(b"0\r\n\r\n").await?;
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

/// One content block of a scripted model turn.
#[derive(Debug, Clone)]
pub enum TurnBlock {
    Thinking { text: String, signature: String },
    Text(String),
    ToolUse { id: String, name: String, input: Value },
}

/// A model turn, rendered in either provider's wire format. Text is streamed in pieces of
/// `piece` characters and tool input in JSON fragments of the same size, as real models do.
#[derive(Debug, Clone)]
pub struct Turn {
    pub id: String,
    pub model: String,
    pub blocks: Vec<TurnBlock>,
    pub stop: StopReason,
    pub usage: Usage,
    pub piece: usize,
    /// Put a `ping` event (Anthropic) or a `: comment` line (OpenAI) between every event.
    pub pings: bool,
}

impl Turn {
    pub fn new(model: &str) -> Self {
        Turn {
            id: "msg_fake_01".into(),
            model: model.into(),
            blocks: vec![],
            stop: StopReason::EndTurn,
            usage: Usage { input_tokens: 10, output_tokens: 5, cache_read_tokens: 0, cache_write_tokens: 0 },
            piece: 7,
            pings: false,
        }
    }

    pub fn text(mut self, t: &str) -> Self {
        self.blocks.push(TurnBlock::Text(t.into()));
        self
    }

    pub fn thinking(mut self, t: &str, signature: &str) -> Self {
        self.blocks.push(TurnBlock::Thinking { text: t.into(), signature: signature.into() });
        self
    }

    pub fn tool_use(mut self, id: &str, name: &str, input: Value) -> Self {
        self.blocks.push(TurnBlock::ToolUse { id: id.into(), name: name.into(), input });
        self.stop = StopReason::ToolUse;
        self
    }

    pub fn stop(mut self, stop: StopReason) -> Self {
        self.stop = stop;
        self
    }

    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    pub fn pings(mut self) -> Self {
        self.pings = true;
        self
    }

    fn pieces(&self, s: &str) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        chars.chunks(self.piece.max(1)).map(|c| c.iter().collect()).collect()
    }

    /// Anthropic Messages SSE events, `message_start` to `message_stop`.
    pub fn anthropic(&self) -> Vec<String> {
        let ev = |v: Value| format!("event: {}\ndata: {}\n\n", v["type"].as_str().unwrap_or_default(), v);
        let mut out = vec![ev(json!({"type": "message_start", "message": {
            "id": self.id, "type": "message", "role": "assistant", "content": [], "model": self.model,
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": self.usage.input_tokens, "cache_creation_input_tokens": self.usage.cache_write_tokens,
                      "cache_read_input_tokens": self.usage.cache_read_tokens, "output_tokens": 1}}}))];
        for (index, b) in self.blocks.iter().enumerate() {
            let (start, deltas): (Value, Vec<Value>) = match b {
                TurnBlock::Text(t) => (
                    json!({"type": "text", "text": ""}),
                    self.pieces(t).into_iter().map(|p| json!({"type": "text_delta", "text": p})).collect(),
                ),
                TurnBlock::Thinking { text, signature } => {
                    let mut d: Vec<Value> = self.pieces(text).into_iter().map(|p| json!({"type": "thinking_delta", "thinking": p})).collect();
                    d.push(json!({"type": "signature_delta", "signature": signature}));
                    (json!({"type": "thinking", "thinking": "", "signature": ""}), d)
                }
                TurnBlock::ToolUse { id, name, input } => (
                    json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                    self.pieces(&input.to_string()).into_iter().map(|p| json!({"type": "input_json_delta", "partial_json": p})).collect(),
                ),
            };
            out.push(ev(json!({"type": "content_block_start", "index": index, "content_block": start})));
            for d in deltas {
                out.push(ev(json!({"type": "content_block_delta", "index": index, "delta": d})));
            }
            out.push(ev(json!({"type": "content_block_stop", "index": index})));
        }
        let stop = match &self.stop {
            StopReason::EndTurn => "end_turn",
            StopReason::MaxTokens => "max_tokens",
            StopReason::StopSequence => "stop_sequence",
            StopReason::ToolUse => "tool_use",
            StopReason::PauseTurn => "pause_turn",
            StopReason::Refusal => "refusal",
            StopReason::ContextWindowExceeded => "model_context_window_exceeded",
            StopReason::Other(s) => s.as_str(),
        };
        out.push(ev(json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
            "usage": {"output_tokens": self.usage.output_tokens}})));
        out.push(ev(json!({"type": "message_stop"})));
        if self.pings {
            out = interleave(out, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
        }
        out
    }

    /// OpenAI chat-completion chunks, the usage chunk and `[DONE]`.
    pub fn openai(&self) -> Vec<String> {
        let chunk = |delta: Value, finish: Value| {
            format!(
                "data: {}\n\n",
                json!({"id": self.id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": self.model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            )
        };
        let mut out = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
        let mut tool = 0;
        for b in &self.blocks {
            match b {
                TurnBlock::Thinking { text, .. } => {
                    out.extend(self.pieces(text).into_iter().map(|p| chunk(json!({"reasoning_content": p}), Value::Null)))
                }
                TurnBlock::Text(t) => out.extend(self.pieces(t).into_iter().map(|p| chunk(json!({"content": p}), Value::Null))),
                TurnBlock::ToolUse { id, name, input } => {
                    out.push(chunk(
                        json!({"tool_calls": [{"index": tool, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
                        Value::Null,
                    ));
                    for p in self.pieces(&input.to_string()) {
                        out.push(chunk(json!({"tool_calls": [{"index": tool, "function": {"arguments": p}}]}), Value::Null));
                    }
                    tool += 1;
                }
            }
        }
        let finish = match &self.stop {
            StopReason::MaxTokens => "length",
            StopReason::ToolUse => "tool_calls",
            StopReason::Refusal => "content_filter",
            _ => "stop",
        };
        out.push(chunk(json!({}), json!(finish)));
        let u = &self.usage;
        out.push(format!(
            "data: {}\n\n",
            json!({"id": self.id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": self.model, "choices": [],
                   "usage": {"prompt_tokens": u.input_tokens + u.cache_read_tokens, "completion_tokens": u.output_tokens,
                             "total_tokens": u.input_tokens + u.cache_read_tokens + u.output_tokens,
                             "prompt_tokens_details": {"cached_tokens": u.cache_read_tokens}}})
        ));
        out.push("data: [DONE]\n\n".into());
        if self.pings {
            out = interleave(out, ": keep-alive\n\n");
        }
        out
    }
}

impl Turn {
    /// Gemini `streamGenerateContent?alt=sse` chunks (CRLF-separated, as Google sends them):
    /// thoughts as `thought` parts, text in pieces, each function call whole in one part, a
    /// thinking block's signature on the part after it (as Gemini puts it on the first
    /// function call), the finish reason and the full usage in the last chunk. A tool call's
    /// id is sent only when it is not empty (Gemini often sends none).
    pub fn gemini(&self) -> Vec<String> {
        let chunk = |parts: Vec<Value>, last: bool| {
            let mut v = json!({"candidates": [{"content": {"parts": parts, "role": "model"}, "index": 0}],
                               "usageMetadata": {"promptTokenCount": self.usage.input_tokens + self.usage.cache_read_tokens},
                               "modelVersion": self.model, "responseId": self.id});
            if last {
                // Gemini says STOP whether or not the model called a function.
                v["candidates"][0]["finishReason"] = json!(match &self.stop {
                    StopReason::MaxTokens => "MAX_TOKENS",
                    StopReason::Refusal => "SAFETY",
                    StopReason::Other(s) => s.as_str(),
                    _ => "STOP",
                });
                let u = &self.usage;
                let mut meta = json!({"promptTokenCount": u.input_tokens + u.cache_read_tokens, "candidatesTokenCount": u.output_tokens,
                                      "totalTokenCount": u.input_tokens + u.cache_read_tokens + u.output_tokens});
                if u.cache_read_tokens > 0 {
                    meta["cachedContentTokenCount"] = json!(u.cache_read_tokens);
                }
                v["usageMetadata"] = meta;
            }
            format!("data: {v}\r\n\r\n")
        };
        let mut parts: Vec<Vec<Value>> = vec![];
        let mut signature: Option<&str> = None;
        for b in &self.blocks {
            let sign = |mut p: Value, s: &mut Option<&str>| {
                if let Some(sig) = s.take() {
                    p["thoughtSignature"] = json!(sig);
                }
                p
            };
            match b {
                TurnBlock::Thinking { text, signature: sig } => {
                    parts.extend(self.pieces(text).into_iter().map(|p| vec![json!({"text": p, "thought": true})]));
                    signature = Some(sig.as_str()).filter(|s| !s.is_empty());
                }
                TurnBlock::Text(t) => {
                    for p in self.pieces(t) {
                        parts.push(vec![sign(json!({"text": p}), &mut signature)]);
                    }
                }
                TurnBlock::ToolUse { id, name, input } => {
                    let mut call = json!({"name": name, "args": input});
                    if !id.is_empty() {
                        call["id"] = json!(id);
                    }
                    parts.push(vec![sign(json!({"functionCall": call}), &mut signature)]);
                }
            }
        }
        if parts.is_empty() {
            parts.push(vec![json!({"text": ""})]);
        }
        let n = parts.len();
        parts.into_iter().enumerate().map(|(i, p)| chunk(p, i + 1 == n)).collect()
    }
}

fn gemini_error_object(code: u16, status: &str, message: &str, retry_delay: Option<&str>, reason: Option<&str>) -> Value {
    let mut details = vec![];
    if let Some(r) = reason {
        details.push(json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": r, "domain": "googleapis.com"}));
    }
    if let Some(d) = retry_delay {
        details.push(json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": d}));
    }
    json!({"code": code, "message": message, "status": status, "details": details})
}

/// An error chunk inside a Gemini stream (sent after a 200 began).
pub fn gemini_error_chunk(code: u16, status: &str, message: &str) -> String {
    format!("data: {}\r\n\r\n", json!({"error": gemini_error_object(code, status, message, None, None)}))
}

fn interleave(events: Vec<String>, ping: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(events.len() * 2);
    for e in events {
        out.push(e);
        out.push(ping.to_owned());
    }
    out
}

/// Anthropic's mid-stream error event (sent after a 200 began).
pub fn anthropic_error_event(kind: &str, message: &str) -> String {
    format!("event: error\ndata: {}\n\n", json!({"type": "error", "error": {"type": kind, "message": message}}))
}

/// An error chunk inside an OpenAI-compatible stream.
pub fn openai_error_chunk(kind: &str, message: &str) -> String {
    format!("data: {}\n\n", json!({"error": {"message": message, "type": kind, "param": null, "code": null}}))
}
