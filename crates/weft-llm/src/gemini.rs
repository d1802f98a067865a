//! Google's Gemini API, natively: `streamGenerateContent` over SSE (`alt=sse`), with
//! function calling, thinking and usage metadata.
//!
//! Gemini's shapes differ from the conversation model in three ways this module bridges:
//! - A function response names its function, not a call id: the name is found from the
//!   call it answers. Calls often come without an id, so one is made up (and never sent).
//! - Thought signatures ride on the part they belong to (the first function call of a step,
//!   the last text part, a thought). A thought keeps its own in its `Thinking` block; any
//!   other part's is kept as an empty `Thinking` block just before it. Both are marked as
//!   Gemini's and sent back on their part, as the API requires (Gemini 3 refuses a tool
//!   step without its signature); no other provider is sent one.
//! - The stream has no end event: the chunk with a `finishReason` ends it, and a stream
//!   that closes before one was cut off.

use crate::error::{from_status, LlmError};
use crate::http::{self, Assembler, Flow, WireHandler};
use crate::types::{Block, Event, Message, Request, Response, Role, StopReason, Usage};
use crate::{BoxFuture, Provider, ProviderConfig};
use reqwest::header::{HeaderMap, HeaderName};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
pub const KEY_ENV: &str = "GEMINI_API_KEY";
/// What a Gemini thought signature starts with inside a `Thinking` block.
pub const SIGNATURE_MARK: &str = "gemini:";
/// The ids made up for calls that came without one; never sent back as ids.
const MADE_UP_ID: &str = "weft-call-";

pub struct Gemini {
    config: ProviderConfig,
    http: reqwest::Client,
}

impl Gemini {
    pub fn new(config: ProviderConfig) -> Result<Self, LlmError> {
        let http = http::http_client(&config.name, &config.base_url, config.connect_timeout, config.read_timeout)?;
        Ok(Gemini { config, http })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1beta/{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn headers(&self) -> HeaderMap {
        http::key_header(HeaderName::from_static("x-goog-api-key"), self.config.api_key.as_ref().map(|k| k.expose().to_owned()))
    }
}

/// The model's name as a path segment: `models/` is optional (the model list says it), and
/// anything that is not a model name is refused before it could change the URL.
fn model_path(provider: &str, model: &str) -> Result<String, LlmError> {
    let name = model.strip_prefix("models/").unwrap_or(model);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) {
        return Err(LlmError::InvalidRequest { provider: provider.to_owned(), status: 400, message: format!("{model:?} is not a Gemini model name") });
    }
    Ok(format!("models/{name}"))
}

/// The request body as `streamGenerateContent` takes it.
pub fn body(req: &Request) -> Value {
    // Function responses name their function: find it from the call's id.
    let names: HashMap<&str, &str> = req.messages.iter().flat_map(Message::tool_uses).map(|(id, name, _)| (id, name)).collect();
    let contents: Vec<Value> = req
        .messages
        .iter()
        .filter_map(|m| {
            let mut parts: Vec<Value> = vec![];
            let mut signature: Option<&str> = None;
            for b in &m.content {
                let mut part = match b {
                    // Another provider's thinking means nothing to Gemini.
                    Block::Thinking { signature: s, .. } if !s.starts_with(SIGNATURE_MARK) => continue,
                    Block::Thinking { thinking, signature: s } if thinking.is_empty() => {
                        // The signature of the part that follows.
                        signature = s.strip_prefix(SIGNATURE_MARK);
                        continue;
                    }
                    Block::Thinking { thinking, signature: s } => {
                        json!({"text": thinking, "thought": true, "thoughtSignature": s.strip_prefix(SIGNATURE_MARK).unwrap_or_default()})
                    }
                    Block::RedactedThinking { .. } => continue,
                    Block::Text { text } if text.is_empty() => continue,
                    Block::Text { text } => json!({"text": text}),
                    Block::ToolUse { id, name, input } => {
                        let mut call = json!({"name": name, "args": if input.is_object() { input.clone() } else { json!({}) }});
                        if !id.starts_with(MADE_UP_ID) {
                            call["id"] = json!(id);
                        }
                        json!({"functionCall": call})
                    }
                    Block::ToolResult { tool_use_id, content, is_error } => {
                        let name = names.get(tool_use_id.as_str()).copied().unwrap_or("unknown");
                        // The documented keys: "output" for a result, "error" for a failure.
                        let response = if *is_error { json!({"error": content}) } else { json!({"output": content}) };
                        let mut r = json!({"name": name, "response": response});
                        if !tool_use_id.starts_with(MADE_UP_ID) {
                            r["id"] = json!(tool_use_id);
                        }
                        json!({"functionResponse": r})
                    }
                    Block::Image { source } => json!({"inlineData": {"mimeType": source.media_type(), "data": source.data()}}),
                };
                if let Some(s) = signature.take() {
                    part["thoughtSignature"] = json!(s);
                }
                parts.push(part);
            }
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "model",
            };
            (!parts.is_empty()).then(|| json!({"role": role, "parts": parts}))
        })
        .collect();
    let mut body = json!({"contents": contents});
    if !req.system.is_empty() {
        body["systemInstruction"] = json!({"parts": [{"text": req.system}]});
    }
    if !req.tools.is_empty() {
        // parametersJsonSchema takes JSON Schema as written (`parameters` takes only an
        // OpenAPI subset and refuses keywords such as additionalProperties).
        let decls: Vec<Value> = req.tools.iter().map(|t| json!({"name": t.name, "description": t.description, "parametersJsonSchema": t.input_schema})).collect();
        body["tools"] = json!([{"functionDeclarations": decls}]);
    }
    let mut config = json!({"maxOutputTokens": req.max_tokens});
    if let Some(t) = req.temperature {
        config["temperature"] = json!(t);
    }
    if !req.stop_sequences.is_empty() {
        config["stopSequences"] = json!(req.stop_sequences);
    }
    if let Some(budget) = req.thinking_budget {
        config["thinkingConfig"] = json!({"thinkingBudget": budget, "includeThoughts": true});
    }
    body["generationConfig"] = config;
    body
}

fn stop_reason(s: &str, called: bool) -> StopReason {
    match s {
        // Gemini says STOP after function calls too.
        "STOP" if called => StopReason::ToolUse,
        "STOP" => StopReason::EndTurn,
        "MAX_TOKENS" => StopReason::MaxTokens,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => StopReason::Refusal,
        other => StopReason::Other(other.to_ascii_lowercase()),
    }
}

/// Google's error body: `{"error": {"code", "message", "status", "details": [...]}}`.
/// Sorted by status, with two things only the details say: an invalid key (a 400 on this
/// API) and how long to wait (`RetryInfo.retryDelay`, "7s").
fn error(provider: &str, http_status: Option<u16>, e: &Value, retry_after: Option<Duration>) -> LlmError {
    let message = e["message"].as_str().unwrap_or("no message").to_owned();
    let status_name = e["status"].as_str().unwrap_or_default();
    let details = e["details"].as_array().map(Vec::as_slice).unwrap_or_default();
    let reason = details.iter().find_map(|d| d["reason"].as_str()).unwrap_or_default();
    let delay = details.iter().find_map(|d| d["retryDelay"].as_str()).and_then(|s| s.strip_suffix('s')?.parse::<f64>().ok()).filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64);
    let code = http_status.or_else(|| e["code"].as_u64().and_then(|c| u16::try_from(c).ok())).unwrap_or(500);
    let code = match (reason, status_name) {
        ("API_KEY_INVALID", _) | (_, "UNAUTHENTICATED") => 401,
        (_, "PERMISSION_DENIED") => 403,
        (_, "RESOURCE_EXHAUSTED") => 429,
        (_, "UNAVAILABLE") => 503,
        _ => code,
    };
    from_status(provider, KEY_ENV, code, status_name, message, retry_after.or(delay))
}

pub(crate) struct Wire<'a> {
    provider: &'a str,
    pub id: String,
    pub model: String,
    pub usage: Usage,
    pub stop: Option<StopReason>,
    pub blocks: Assembler,
    /// The kind of the block being streamed into, and the next free index.
    open: Option<(Open, usize)>,
    next: usize,
    called: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Thinking,
    Text,
}

impl<'a> Wire<'a> {
    pub(crate) fn new(provider: &'a str) -> Self {
        Wire { provider, id: String::new(), model: String::new(), usage: Usage::default(), stop: None, blocks: Assembler::default(), open: None, next: 0, called: false }
    }

    /// The index to stream `kind` into: the open block if it is of that kind, else a new one.
    fn index(&mut self, kind: Option<Open>) -> usize {
        match (self.open, kind) {
            (Some((open, i)), Some(k)) if open == k => i,
            _ => {
                let i = self.next;
                self.next += 1;
                self.open = kind.map(|k| (k, i));
                i
            }
        }
    }

    fn part(&mut self, p: &Value, on: &mut (dyn FnMut(Event) + Send)) -> Result<(), LlmError> {
        let signature = p["thoughtSignature"].as_str().filter(|s| !s.is_empty()).map(|s| format!("{SIGNATURE_MARK}{s}"));
        let thought = p["thought"].as_bool().unwrap_or(false);
        if let (Some(sig), false) = (&signature, thought) {
            // The signature of the part that follows, as its own block just before it.
            let i = self.index(None);
            self.blocks.start(i, Block::Thinking { thinking: String::new(), signature: sig.clone() }, on);
        }
        if let Some(text) = p["text"].as_str() {
            if thought {
                let i = self.index(Some(Open::Thinking));
                if !self.blocks.is_started(i) {
                    self.blocks.start(i, Block::Thinking { thinking: String::new(), signature: String::new() }, on);
                }
                self.blocks.thinking(i, text, on);
                if let Some(sig) = &signature {
                    // A signed thought is whole: the next thought starts its own block.
                    self.blocks.signature(i, sig);
                    self.open = None;
                }
            } else if !text.is_empty() {
                let i = self.index(Some(Open::Text));
                self.blocks.text(i, text, on);
            }
        } else if let Some(call) = p.get("functionCall") {
            let name = call["name"].as_str().filter(|n| !n.is_empty()).ok_or_else(|| http::malformed(self.provider, "a function call without a name", &p.to_string()))?;
            let id = call["id"].as_str().filter(|i| !i.is_empty()).map(str::to_owned).unwrap_or_else(|| format!("{MADE_UP_ID}{:016x}", fastrand::u64(..)));
            let i = self.index(None);
            self.blocks.start(i, Block::ToolUse { id, name: name.to_owned(), input: Value::Null }, on);
            // A call arrives whole, its arguments an object.
            let args = call.get("args").filter(|a| a.is_object()).cloned().unwrap_or_else(|| json!({}));
            self.blocks.tool_input(i, &args.to_string(), on);
            self.called = true;
        }
        // Other parts (images out, code execution) are never asked for: skipped, not failed.
        Ok(())
    }
}

impl WireHandler for Wire<'_> {
    fn event(&mut self, _event: &str, data: &str, on: &mut (dyn FnMut(Event) + Send)) -> Result<Flow, LlmError> {
        let v: Value = serde_json::from_str(data).map_err(|_| http::malformed(self.provider, "a chunk is not JSON", data))?;
        if let Some(e) = v.get("error").filter(|e| e.is_object()) {
            return Err(error(self.provider, None, e, None));
        }
        if let Some(id) = v["responseId"].as_str() {
            self.id = id.to_owned();
        }
        if let Some(m) = v["modelVersion"].as_str() {
            self.model = m.to_owned();
        }
        if let Some(u) = v.get("usageMetadata").filter(|u| u.is_object()) {
            let get = |k: &str| u[k].as_u64().unwrap_or(0);
            let cached = get("cachedContentTokenCount");
            // The prompt count includes the cached part; thoughts are billed as output.
            self.usage = Usage {
                input_tokens: get("promptTokenCount").saturating_sub(cached),
                output_tokens: get("candidatesTokenCount") + get("thoughtsTokenCount"),
                cache_read_tokens: cached,
                cache_write_tokens: 0,
            };
            on(Event::Metered { usage: self.usage });
        }
        if let Some(reason) = v["promptFeedback"]["blockReason"].as_str() {
            // The prompt itself was refused: no candidate follows.
            self.stop = Some(StopReason::Refusal);
            let i = self.index(None);
            self.blocks.start(i, Block::text(format!("(Gemini refused the prompt: {reason})")), on);
            return Ok(Flow::Done);
        }
        let Some(candidate) = v["candidates"].as_array().and_then(|c| c.first()) else { return Ok(Flow::Continue) };
        for p in candidate["content"]["parts"].as_array().into_iter().flatten() {
            self.part(p, on)?;
        }
        if let Some(r) = candidate["finishReason"].as_str().filter(|r| *r != "FINISH_REASON_UNSPECIFIED") {
            self.stop = Some(stop_reason(r, self.called));
        }
        Ok(Flow::Continue)
    }

    /// The last chunk carries the finish reason; there is nothing after it.
    fn complete_at_eof(&self) -> bool {
        self.stop.is_some()
    }

    fn status_error(&self, status: u16, body: &str, retry_after: Option<Duration>) -> Option<LlmError> {
        let v: Value = serde_json::from_str(body).ok()?;
        Some(error(self.provider, Some(status), v.get("error").filter(|e| e.is_object())?, retry_after))
    }
}

impl Provider for Gemini {
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
            let url = self.url(&format!("{}:streamGenerateContent?alt=sse", model_path(&self.config.name, model)?));
            http::stream_sse(&self.http, &self.config.name, KEY_ENV, &url, self.headers(), &body(req), &mut wire, on).await?;
            let model = model.strip_prefix("models/").unwrap_or(model);
            http::response(&self.config.name, model, wire.id, wire.model, wire.blocks, wire.stop, wire.usage, started)
        })
    }

    fn accepts_images(&self, model: &str) -> Option<bool> {
        crate::vision::gemini(model)
    }

    /// The models that generate content (not the embedding ones), without `models/`.
    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, LlmError>> {
        Box::pin(async move {
            let mut out = vec![];
            let mut page = String::new();
            // Bounded: a server that keeps handing out page tokens cannot loop forever.
            for _ in 0..20 {
                let url = self.url(&format!("models?pageSize=1000{}", if page.is_empty() { String::new() } else { format!("&pageToken={page}") }));
                let v = http::get_json(&self.http, &self.config.name, KEY_ENV, &url, self.headers()).await?;
                for m in v["models"].as_array().into_iter().flatten() {
                    let generates = m["supportedGenerationMethods"].as_array().is_none_or(|g| g.iter().any(|x| x == "generateContent"));
                    if let (Some(name), true) = (m["name"].as_str(), generates) {
                        out.push(name.strip_prefix("models/").unwrap_or(name).to_owned());
                    }
                }
                match v["nextPageToken"].as_str().filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || "-_=".contains(c))) {
                    Some(t) => page = t.to_owned(),
                    None => break,
                }
            }
            Ok(out)
        })
    }
}
