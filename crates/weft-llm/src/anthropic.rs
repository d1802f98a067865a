//! Anthropic's Messages API, streaming.
//!
//! Prompt caching marks three breakpoints (system, tools, and the last message) so a
//! follow-up turn reads the whole prefix from the cache. Thinking blocks come back with
//! their signatures and are sent back verbatim, as the API requires during tool use.

use crate::error::{from_stream_error, LlmError};
use crate::http::{self, Assembler, Flow, WireHandler};
use crate::types::{Block, Event, Request, Response, Role, StopReason, Usage};
use crate::{BoxFuture, Provider, ProviderConfig};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};
use std::time::Instant;

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const KEY_ENV: &str = "ANTHROPIC_API_KEY";
const VERSION: &str = "2023-06-01";

pub struct Anthropic {
    config: ProviderConfig,
    http: reqwest::Client,
}

impl Anthropic {
    pub fn new(config: ProviderConfig) -> Result<Self, LlmError> {
        let http = http::http_client(&config.name, &config.base_url, config.connect_timeout, config.read_timeout)?;
        Ok(Anthropic { config, http })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn headers(&self) -> HeaderMap {
        let mut h = http::key_header(HeaderName::from_static("x-api-key"), self.config.api_key.as_ref().map(|k| k.expose().to_owned()));
        h.insert(HeaderName::from_static("anthropic-version"), HeaderValue::from_static(VERSION));
        h
    }
}

/// The request body as the Messages API takes it.
pub fn body(model: &str, req: &Request) -> Value {
    let cache = || json!({"type": "ephemeral"});
    let mut body = json!({
        "model": model,
        "max_tokens": req.max_tokens,
        "stream": true,
        "messages": req.messages.iter().map(|m| json!({
            "role": match m.role { Role::User => "user", Role::Assistant => "assistant" },
            "content": m.content.iter().filter(|b| sendable(b)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    if !req.system.is_empty() {
        let mut system = json!({"type": "text", "text": req.system});
        if req.cache {
            system["cache_control"] = cache();
        }
        body["system"] = json!([system]);
    }
    if !req.tools.is_empty() {
        let mut tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.input_schema}))
            .collect();
        if req.cache {
            if let Some(last) = tools.last_mut() {
                last["cache_control"] = cache();
            }
        }
        body["tools"] = Value::Array(tools);
    }
    if req.cache {
        // The last cacheable block of the last message: the next turn re-sends all of it.
        if let Some(Value::Array(blocks)) = body["messages"].as_array_mut().and_then(|m| m.last_mut()).map(|m| &mut m["content"]) {
            if let Some(b) = blocks.iter_mut().rev().find(|b| !matches!(b["type"].as_str(), Some("thinking" | "redacted_thinking"))) {
                b["cache_control"] = cache();
            }
        }
    }
    if let Some(budget) = req.thinking_budget {
        body["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
    } else if let Some(t) = req.temperature {
        // The API refuses a temperature together with thinking.
        body["temperature"] = json!(t);
    }
    if !req.stop_sequences.is_empty() {
        body["stop_sequences"] = json!(req.stop_sequences);
    }
    body
}

/// The API refuses empty text blocks, and thinking without its own signature (as another
/// provider's would be after a fallback: none from OpenAI-compatible servers, Gemini's).
fn sendable(b: &Block) -> bool {
    match b {
        Block::Text { text } => !text.is_empty(),
        Block::Thinking { signature, .. } => !signature.is_empty() && !signature.starts_with(crate::gemini::SIGNATURE_MARK),
        _ => true,
    }
}

fn stop_reason(s: &str) -> StopReason {
    match s {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "pause_turn" => StopReason::PauseTurn,
        "refusal" => StopReason::Refusal,
        "model_context_window_exceeded" => StopReason::ContextWindowExceeded,
        other => StopReason::Other(other.to_owned()),
    }
}

/// The Messages API's stream events, one at a time.
pub(crate) struct Wire<'a> {
    provider: &'a str,
    pub id: String,
    pub model: String,
    pub usage: Usage,
    pub stop: Option<StopReason>,
    pub blocks: Assembler,
}

impl<'a> Wire<'a> {
    pub(crate) fn new(provider: &'a str) -> Self {
        Wire { provider, id: String::new(), model: String::new(), usage: Usage::default(), stop: None, blocks: Assembler::default() }
    }

    /// Usage arrives in `message_start` and, cumulatively, in `message_delta`.
    fn usage(&mut self, u: &Value) {
        let get = |k: &str| u.get(k).and_then(Value::as_u64);
        if let Some(v) = get("input_tokens") {
            self.usage.input_tokens = v;
        }
        if let Some(v) = get("output_tokens") {
            self.usage.output_tokens = v;
        }
        if let Some(v) = get("cache_read_input_tokens") {
            self.usage.cache_read_tokens = v;
        }
        if let Some(v) = get("cache_creation_input_tokens") {
            self.usage.cache_write_tokens = v;
        }
    }
}

impl WireHandler for Wire<'_> {
    fn event(&mut self, _event: &str, data: &str, on: &mut (dyn FnMut(Event) + Send)) -> Result<Flow, LlmError> {
        let v: Value = serde_json::from_str(data).map_err(|_| http::malformed(self.provider, "an event is not JSON", data))?;
        let index = || v.get("index").and_then(Value::as_u64).map(|i| i as usize);
        let bad = |what: &str| http::malformed(self.provider, what, data);
        match v.get("type").and_then(Value::as_str).unwrap_or("") {
            "message_start" => {
                let m = &v["message"];
                self.id = m["id"].as_str().unwrap_or_default().to_owned();
                self.model = m["model"].as_str().unwrap_or_default().to_owned();
                self.usage(&m["usage"]);
                on(Event::Metered { usage: self.usage });
            }
            "content_block_start" => {
                let i = index().ok_or_else(|| bad("content_block_start without an index"))?;
                let cb = &v["content_block"];
                let s = |k: &str| cb.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                let block = match cb["type"].as_str() {
                    Some("text") => Block::Text { text: s("text") },
                    Some("thinking") => Block::Thinking { thinking: s("thinking"), signature: s("signature") },
                    Some("redacted_thinking") => Block::RedactedThinking { data: s("data") },
                    Some("tool_use") => Block::ToolUse { id: s("id"), name: s("name"), input: Value::Null },
                    // Server-side tool blocks are never requested; skip rather than fail.
                    _ => return Ok(Flow::Continue),
                };
                self.blocks.start(i, block, on);
            }
            "content_block_delta" => {
                let i = index().ok_or_else(|| bad("content_block_delta without an index"))?;
                let d = &v["delta"];
                let s = |k: &str| d.get(k).and_then(Value::as_str).ok_or_else(|| bad("delta without its text"));
                match d["type"].as_str() {
                    Some("text_delta") => self.blocks.text(i, s("text")?, on),
                    Some("thinking_delta") => self.blocks.thinking(i, s("thinking")?, on),
                    Some("signature_delta") => self.blocks.signature(i, s("signature")?),
                    Some("input_json_delta") => self.blocks.tool_input(i, s("partial_json")?, on),
                    _ => {} // citations and future delta kinds carry nothing we keep
                }
            }
            "message_delta" => {
                if let Some(r) = v["delta"]["stop_reason"].as_str() {
                    self.stop = Some(stop_reason(r));
                }
                self.usage(&v["usage"]);
                on(Event::Metered { usage: self.usage });
            }
            "message_stop" => return Ok(Flow::Done),
            "error" => {
                let e = &v["error"];
                let kind = e["type"].as_str().unwrap_or("api_error");
                let message = e["message"].as_str().unwrap_or(kind).to_owned();
                return Err(from_stream_error(self.provider, KEY_ENV, kind, message));
            }
            "ping" | "content_block_stop" => {}
            "" => return Err(bad("an event without a type")),
            _ => {} // new event kinds are additive; the API's versioning policy says to ignore them
        }
        Ok(Flow::Continue)
    }
}

impl Provider for Anthropic {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn stream<'a>(
        &'a self,
        model: &'a str,
        req: &'a Request,
        on: &'a mut (dyn FnMut(Event) + Send),
    ) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let started = Instant::now();
            let mut wire = Wire::new(&self.config.name);
            let url = self.url("messages");
            http::stream_sse(&self.http, &self.config.name, KEY_ENV, &url, self.headers(), &body(model, req), &mut wire, on).await?;
            http::response(&self.config.name, model, wire.id, wire.model, wire.blocks, wire.stop, wire.usage, started)
        })
    }

    fn accepts_images(&self, model: &str) -> Option<bool> {
        crate::vision::anthropic(model)
    }

    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, LlmError>> {
        Box::pin(async move {
            let v = http::get_json(&self.http, &self.config.name, KEY_ENV, &self.url("models?limit=1000"), self.headers()).await?;
            Ok(http::model_ids(&v))
        })
    }
}
