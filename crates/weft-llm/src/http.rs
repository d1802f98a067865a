//! The part every provider shares: send a JSON request, turn a non-2xx answer into an
//! `LlmError`, feed the SSE body to a wire-format handler, and assemble content blocks.

use crate::error::{from_status, parse_retry_after, LlmError};
use crate::sse::SseDecoder;
use crate::types::{Block, Event, Message, Response, Role, StopReason, Usage};
use futures_util::StreamExt;
use serde_json::Value;
use std::time::Duration;

/// Reads an error body in the shape both providers use: `{"error": {"type"|"code", "message"}}`.
pub(crate) fn error_parts(body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let err = v.get("error").unwrap_or(&v);
    let kind = err
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| *t != "error")
        .or_else(|| err.get("code").and_then(Value::as_str))
        .unwrap_or("")
        .to_owned();
    let message = match err.get("message").and_then(Value::as_str) {
        Some(m) => m.to_owned(),
        // Not JSON (a proxy's HTML page, say): show its start, never the whole page.
        None => body.chars().take(200).collect::<String>().trim().to_owned(),
    };
    (kind, message)
}

/// The header that carries a provider's key, marked sensitive (it never shows in debug
/// output); empty without a key. Local servers get none, so they log no bogus one.
pub(crate) fn key_header(name: reqwest::header::HeaderName, value: Option<String>) -> reqwest::header::HeaderMap {
    let mut h = reqwest::header::HeaderMap::new();
    if let Some(Ok(mut v)) = value.map(|v| reqwest::header::HeaderValue::from_str(&v)) {
        v.set_sensitive(true);
        h.insert(name, v);
    }
    h
}

pub(crate) fn connection_error(provider: &str, url: &str, e: &reqwest::Error) -> LlmError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    LlmError::Connection { provider: provider.to_owned(), url: url.to_owned(), message }
}

/// What a wire-format handler says after each event.
pub(crate) enum Flow {
    Continue,
    Done,
}

pub(crate) trait WireHandler {
    fn event(&mut self, event: &str, data: &str, on: &mut (dyn FnMut(Event) + Send)) -> Result<Flow, LlmError>;

    /// Whether a stream that ends here (without its end marker) is still whole.
    fn complete_at_eof(&self) -> bool {
        false
    }

    /// A non-2xx answer in this provider's own error shape; None for the common one
    /// (`{"error": {"type"|"code", "message"}}`).
    fn status_error(&self, _status: u16, _body: &str, _retry_after: Option<Duration>) -> Option<LlmError> {
        None
    }
}

/// POSTs `body` and streams the answer through `handler` until it says `Done`.
pub(crate) async fn stream_sse(
    http: &reqwest::Client,
    provider: &str,
    key_env: &str,
    url: &str,
    headers: reqwest::header::HeaderMap,
    body: &Value,
    handler: &mut (dyn WireHandler + Send),
    on: &mut (dyn FnMut(Event) + Send),
) -> Result<(), LlmError> {
    let resp = http
        .post(url)
        .headers(headers)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .body(serde_json::to_vec(body).map_err(|e| LlmError::Malformed {
            provider: provider.to_owned(),
            message: format!("request not serialisable: {e}"),
        })?)
        .send()
        .await
        .map_err(|e| connection_error(provider, url, &e))?;
    let status = resp.status();
    if !status.is_success() {
        let retry_after = parse_retry_after(resp.headers());
        let body = resp.text().await.unwrap_or_default();
        if let Some(e) = handler.status_error(status.as_u16(), &body, retry_after) {
            return Err(e);
        }
        let (kind, message) = error_parts(&body);
        return Err(from_status(provider, key_env, status.as_u16(), &kind, message, retry_after));
    }
    let mut decoder = SseDecoder::new();
    let mut bytes = resp.bytes_stream();
    while let Some(chunk) = bytes.next().await {
        let chunk = chunk.map_err(|e| LlmError::Truncated {
            provider: provider.to_owned(),
            message: connection_error(provider, url, &e).to_string(),
        })?;
        let events = decoder.push(&chunk).map_err(|_| LlmError::Malformed {
            provider: provider.to_owned(),
            message: "the event stream is not valid UTF-8".into(),
        })?;
        for ev in events {
            if let Flow::Done = handler.event(&ev.event, &ev.data, on)? {
                return Ok(());
            }
        }
    }
    if handler.complete_at_eof() {
        return Ok(());
    }
    Err(LlmError::Truncated { provider: provider.to_owned(), message: "the connection closed before the end-of-message event".into() })
}

/// GETs a JSON document (model lists), with the same error mapping as a stream.
pub(crate) async fn get_json(
    http: &reqwest::Client,
    provider: &str,
    key_env: &str,
    url: &str,
    headers: reqwest::header::HeaderMap,
) -> Result<Value, LlmError> {
    let resp = http.get(url).headers(headers).send().await.map_err(|e| connection_error(provider, url, &e))?;
    let status = resp.status();
    let retry_after = parse_retry_after(resp.headers());
    let body = resp.text().await.map_err(|e| connection_error(provider, url, &e))?;
    if !status.is_success() {
        let (kind, message) = error_parts(&body);
        return Err(from_status(provider, key_env, status.as_u16(), &kind, message, retry_after));
    }
    serde_json::from_str(&body).map_err(|_| malformed(provider, "the answer is not JSON", &body))
}

pub(crate) fn malformed(provider: &str, what: &str, data: &str) -> LlmError {
    let excerpt: String = data.chars().take(120).collect();
    LlmError::Malformed { provider: provider.to_owned(), message: format!("{what}: {excerpt}") }
}

/// Builds the assistant message from streamed pieces, in provider-given block order.
#[derive(Default)]
pub(crate) struct Assembler {
    blocks: Vec<Option<Block>>,
    /// Raw JSON of each tool call's input, parsed once complete.
    json: Vec<String>,
}

impl Assembler {
    fn slot(&mut self, index: usize) -> &mut Option<Block> {
        if self.blocks.len() <= index {
            self.blocks.resize(index + 1, None);
            self.json.resize(index + 1, String::new());
        }
        &mut self.blocks[index]
    }

    pub fn start(&mut self, index: usize, block: Block, on: &mut (dyn FnMut(Event) + Send)) {
        match &block {
            Block::Text { text } if !text.is_empty() => on(Event::Text { index, text: text.clone() }),
            Block::Thinking { thinking, .. } if !thinking.is_empty() => {
                on(Event::Thinking { index, text: thinking.clone() })
            }
            Block::ToolUse { id, name, .. } => on(Event::ToolUseStart { index, id: id.clone(), name: name.clone() }),
            _ => {}
        }
        *self.slot(index) = Some(block);
    }

    pub fn is_started(&self, index: usize) -> bool {
        matches!(self.blocks.get(index), Some(Some(_)))
    }

    pub fn text(&mut self, index: usize, delta: &str, on: &mut (dyn FnMut(Event) + Send)) {
        match self.slot(index) {
            Some(Block::Text { text }) => text.push_str(delta),
            slot => *slot = Some(Block::text(delta)),
        }
        on(Event::Text { index, text: delta.to_owned() });
    }

    pub fn thinking(&mut self, index: usize, delta: &str, on: &mut (dyn FnMut(Event) + Send)) {
        match self.slot(index) {
            Some(Block::Thinking { thinking, .. }) => thinking.push_str(delta),
            slot => *slot = Some(Block::Thinking { thinking: delta.to_owned(), signature: String::new() }),
        }
        on(Event::Thinking { index, text: delta.to_owned() });
    }

    pub fn signature(&mut self, index: usize, delta: &str) {
        if let Some(Block::Thinking { signature, .. }) = self.slot(index) {
            signature.push_str(delta);
        }
    }

    pub fn tool_input(&mut self, index: usize, delta: &str, on: &mut (dyn FnMut(Event) + Send)) {
        self.slot(index);
        self.json[index].push_str(delta);
        on(Event::ToolInput { index, partial_json: delta.to_owned() });
    }

    /// The blocks in order; tool inputs parsed (an empty input is `{}`, as Anthropic sends
    /// for tools without parameters).
    pub fn finish(self, provider: &str) -> Result<Vec<Block>, LlmError> {
        let mut out = Vec::with_capacity(self.blocks.len());
        for (block, json) in self.blocks.into_iter().zip(self.json) {
            let Some(mut block) = block else { continue };
            if let Block::ToolUse { name, input, .. } = &mut block {
                if !json.trim().is_empty() {
                    *input = serde_json::from_str(&json)
                        .map_err(|e| malformed(provider, &format!("tool {name} input is not JSON ({e})"), &json))?;
                } else if input.is_null() {
                    *input = Value::Object(Default::default());
                }
            }
            out.push(block);
        }
        Ok(out)
    }
}

/// Fails only when the TLS backend cannot initialise.
/// One HTTP client per pair of timeouts, shared by every provider and every turn: building
/// one loads the system's root certificates into a new TLS context, which took most of an
/// agent turn's own time when each turn built a client per configured provider.
pub(crate) fn http_client(provider: &str, url: &str, connect: Duration, read: Duration) -> Result<reqwest::Client, LlmError> {
    static CLIENTS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<(Duration, Duration), reqwest::Client>>> = std::sync::LazyLock::new(Default::default);
    let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = clients.get(&(connect, read)) {
        return Ok(c.clone());
    }
    let c = build_client(provider, url, connect, read)?;
    clients.insert((connect, read), c.clone());
    Ok(c)
}

fn build_client(provider: &str, url: &str, connect: Duration, read: Duration) -> Result<reqwest::Client, LlmError> {
    reqwest::Client::builder()
        // A provider's key travels in its own header (x-api-key), which HTTP clients do
        // not strip on a redirect: a redirect is followed only within the same origin.
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let origin = |u: &reqwest::Url| (u.scheme().to_owned(), u.host_str().map(str::to_owned), u.port_or_known_default());
            let same = attempt.previous().first().is_some_and(|first| origin(first) == origin(attempt.url()));
            if !same {
                attempt.stop()
            } else if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        }))
        .connect_timeout(connect)
        .read_timeout(read)
        .user_agent(concat!("weft/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| connection_error(provider, url, &e))
}

/// What a wire handler gathered, as the finished [`Response`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn response(
    provider: &str,
    requested_model: &str,
    id: String,
    model: String,
    blocks: Assembler,
    stop: Option<StopReason>,
    usage: Usage,
    started: std::time::Instant,
) -> Result<Response, LlmError> {
    Ok(Response {
        id,
        provider: provider.to_owned(),
        model: if model.is_empty() { requested_model.to_owned() } else { model },
        message: Message { role: Role::Assistant, content: blocks.finish(provider)? },
        // A stream that ended properly without saying why.
        stop: stop.unwrap_or_else(|| StopReason::Other("none".into())),
        usage,
        latency: started.elapsed(),
    })
}

/// The ids of a model list; both APIs answer `{"data": [{"id": …}, …]}`.
pub(crate) fn model_ids(v: &Value) -> Vec<String> {
    v["data"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str().map(str::to_owned)).collect()
}
