//! OpenAI-compatible chat completions, streaming: OpenAI itself, and by base URL Ollama
//! (`http://localhost:11434/v1`), LM Studio (`http://localhost:1234/v1`) and vLLM, so a
//! local model runs the agent with the same tools.
//!
//! Tool-call fragments are keyed by their `index`; arguments arrive as string pieces of
//! one JSON object. Usage comes in a final chunk with no choices (`include_usage`).
//! Reasoning text from servers that stream it (`reasoning_content` / `reasoning`) is shown
//! as thinking but never sent back: these servers neither need nor accept it.

use crate::error::{from_stream_error, LlmError};
use crate::http::{self, Assembler, Flow, WireHandler};
use crate::types::{Block, Event, Message, Request, Response, Role, StopReason, Usage};
use crate::{BoxFuture, Provider, ProviderConfig};
use reqwest::header::{HeaderMap, AUTHORIZATION};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const KEY_ENV: &str = "OPENAI_API_KEY";

pub struct OpenAi {
    config: ProviderConfig,
    http: reqwest::Client,
}

impl OpenAi {
    pub fn new(config: ProviderConfig) -> Result<Self, LlmError> {
        let http = http::http_client(&config.name, &config.base_url, config.connect_timeout, config.read_timeout)?;
        Ok(OpenAi { config, http })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn headers(&self) -> HeaderMap {
        http::key_header(AUTHORIZATION, self.config.api_key.as_ref().map(|k| format!("Bearer {}", k.expose())))
    }

    /// OpenAI's own reasoning models refuse `max_tokens`; other servers only know it.
    fn max_tokens_field(&self) -> &'static str {
        if self.config.base_url.contains("api.openai.com") {
            "max_completion_tokens"
        } else {
            "max_tokens"
        }
    }
}

fn messages(system: &str, conversation: &[Message]) -> Vec<Value> {
    let mut out = Vec::new();
    if !system.is_empty() {
        out.push(json!({"role": "system", "content": system}));
    }
    for m in conversation {
        let text = m.text();
        match m.role {
            Role::User => {
                // Tool results must directly follow the assistant message that called them.
                for b in &m.content {
                    if let Block::ToolResult { tool_use_id, content, is_error } = b {
                        let content = if *is_error { format!("Error: {content}") } else { content.clone() };
                        out.push(json!({"role": "tool", "tool_call_id": tool_use_id, "content": content}));
                    }
                }
                // Images (pasted, or a tool's screenshot) go as content parts of a user
                // message: tool messages carry text only.
                let images: Vec<Value> = m.images().map(|i| json!({"type": "image_url", "image_url": {"url": i.data_url()}})).collect();
                if !images.is_empty() {
                    let mut parts = vec![];
                    if !text.is_empty() {
                        parts.push(json!({"type": "text", "text": text}));
                    }
                    parts.extend(images);
                    out.push(json!({"role": "user", "content": parts}));
                } else if !text.is_empty() {
                    out.push(json!({"role": "user", "content": text}));
                }
            }
            Role::Assistant => {
                let calls: Vec<Value> = m
                    .tool_uses()
                    .map(|(id, name, input)| {
                        json!({"id": id, "type": "function", "function": {"name": name, "arguments": input.to_string()}})
                    })
                    .collect();
                let mut msg = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text) }});
                if !calls.is_empty() {
                    msg["tool_calls"] = Value::Array(calls);
                }
                out.push(msg);
            }
        }
    }
    out
}

/// The request body as chat completions take it.
pub fn body(model: &str, req: &Request, max_tokens_field: &str) -> Value {
    let mut body = json!({
        "model": model,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": messages(&req.system, &req.messages),
    });
    body[max_tokens_field] = json!(req.max_tokens);
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}}))
            .collect();
    }
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    if !req.stop_sequences.is_empty() {
        body["stop"] = json!(req.stop_sequences);
    }
    body
}

fn stop_reason(s: &str) -> StopReason {
    match s {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "content_filter" => StopReason::Refusal,
        other => StopReason::Other(other.to_owned()),
    }
}

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
enum Slot {
    Thinking,
    Text,
    Tool(u64),
}

pub(crate) struct Wire<'a> {
    provider: &'a str,
    pub id: String,
    pub model: String,
    pub usage: Usage,
    pub stop: Option<StopReason>,
    pub blocks: Assembler,
    slots: HashMap<Slot, usize>,
}

impl<'a> Wire<'a> {
    pub(crate) fn new(provider: &'a str) -> Self {
        Wire {
            provider,
            id: String::new(),
            model: String::new(),
            usage: Usage::default(),
            stop: None,
            blocks: Assembler::default(),
            slots: HashMap::new(),
        }
    }

    fn slot(&mut self, s: Slot) -> (usize, bool) {
        let next = self.slots.len();
        let mut fresh = false;
        let i = *self.slots.entry(s).or_insert_with(|| {
            fresh = true;
            next
        });
        (i, fresh)
    }
}

impl WireHandler for Wire<'_> {
    fn event(&mut self, _event: &str, data: &str, on: &mut (dyn FnMut(Event) + Send)) -> Result<Flow, LlmError> {
        if data.trim() == "[DONE]" {
            return Ok(Flow::Done);
        }
        let v: Value = serde_json::from_str(data).map_err(|_| http::malformed(self.provider, "a chunk is not JSON", data))?;
        if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
            let kind = e["type"].as_str().or_else(|| e["code"].as_str()).unwrap_or("server_error");
            let message = e["message"].as_str().unwrap_or(kind).to_owned();
            return Err(from_stream_error(self.provider, KEY_ENV, kind, message));
        }
        if self.id.is_empty() {
            self.id = v["id"].as_str().unwrap_or_default().to_owned();
        }
        if let Some(m) = v["model"].as_str() {
            self.model = m.to_owned();
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            let get = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
            let cached = get("/prompt_tokens_details/cached_tokens");
            self.usage = Usage {
                input_tokens: get("/prompt_tokens").saturating_sub(cached),
                output_tokens: get("/completion_tokens"),
                cache_read_tokens: cached,
                cache_write_tokens: 0,
            };
            on(Event::Metered { usage: self.usage });
        }
        let Some(choice) = v["choices"].as_array().and_then(|c| c.iter().find(|c| c["index"].as_u64().unwrap_or(0) == 0))
        else {
            return Ok(Flow::Continue);
        };
        let delta = &choice["delta"];
        let reasoning = delta["reasoning_content"].as_str().or_else(|| delta["reasoning"].as_str());
        if let Some(r) = reasoning.filter(|r| !r.is_empty()) {
            let (i, _) = self.slot(Slot::Thinking);
            self.blocks.thinking(i, r, on);
        }
        if let Some(t) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            let (i, _) = self.slot(Slot::Text);
            self.blocks.text(i, t, on);
        }
        for (pos, call) in delta["tool_calls"].as_array().into_iter().flatten().enumerate() {
            let key = call["index"].as_u64().unwrap_or(pos as u64);
            let (i, fresh) = self.slot(Slot::Tool(key));
            if fresh || !self.blocks.is_started(i) {
                // Some local servers omit call ids; the conversation still needs one.
                let id = call["id"].as_str().map(str::to_owned).unwrap_or_else(|| format!("call_{key}"));
                let name = call["function"]["name"].as_str().unwrap_or_default().to_owned();
                self.blocks.start(i, Block::ToolUse { id, name, input: Value::Null }, on);
            }
            if let Some(args) = call["function"]["arguments"].as_str().filter(|a| !a.is_empty()) {
                self.blocks.tool_input(i, args, on);
            }
        }
        if let Some(r) = choice["finish_reason"].as_str() {
            self.stop = Some(stop_reason(r));
        }
        Ok(Flow::Continue)
    }

    /// A few servers close the stream without `[DONE]`; a finish reason is the end enough.
    fn complete_at_eof(&self) -> bool {
        self.stop.is_some()
    }
}

impl Provider for OpenAi {
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
            let url = self.url("chat/completions");
            let body = body(model, req, self.max_tokens_field());
            http::stream_sse(&self.http, &self.config.name, KEY_ENV, &url, self.headers(), &body, &mut wire, on).await?;
            http::response(&self.config.name, model, wire.id, wire.model, wire.blocks, wire.stop, wire.usage, started)
        })
    }

    fn accepts_images(&self, model: &str) -> Option<bool> {
        crate::vision::openai(model)
    }

    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, LlmError>> {
        Box::pin(async move {
            let v = http::get_json(&self.http, &self.config.name, KEY_ENV, &self.url("models"), self.headers()).await?;
            Ok(http::model_ids(&v))
        })
    }
}
