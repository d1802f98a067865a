//! The conversation model shared by every provider. It follows Anthropic's content blocks
//! because they are the richer shape (thinking with signatures, tool results as blocks);
//! the OpenAI-compatible module maps to and from it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One piece of a message. Serialised with the same `type` tags Anthropic uses, so a saved
/// thread reads like the API's own transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
    },
    /// Extended thinking. The signature must go back to Anthropic unchanged with the
    /// thinking text, or a tool-use turn is refused; OpenAI-compatible servers give no
    /// signature and take no thinking back, so theirs is shown and then dropped.
    Thinking {
        thinking: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[cfg_attr(feature = "ts", ts(type = "unknown"))]
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
}

impl Block {
    pub fn text(text: impl Into<String>) -> Self {
        Block::Text { text: text.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    pub role: Role,
    pub content: Vec<Block>,
}

impl Message {
    pub fn user(text: impl Into<String>) -> Self {
        Message { role: Role::User, content: vec![Block::text(text)] }
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Message { role: Role::Assistant, content: vec![Block::text(text)] }
    }

    /// The concatenated text blocks: what a person reads of the message.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                Block::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|b| match b {
            Block::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }
}

/// A tool the model may call; `input_schema` is a JSON Schema object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

/// One model request, independent of which model serves it (the route picks that).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub system: String,
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub max_tokens: u32,
    /// Extended thinking budget in tokens (Anthropic; at least 1024 and below
    /// `max_tokens`). Ignored by OpenAI-compatible servers.
    pub thinking_budget: Option<u32>,
    pub temperature: Option<f32>,
    pub stop_sequences: Vec<String>,
    /// Mark the system prompt, the tools and the conversation so far as cacheable, so the
    /// next turn pays the cache-read price for them (Anthropic; OpenAI caches on its own).
    pub cache: bool,
}

/// Why the model stopped. Every value a provider documents has its own variant; anything
/// newer arrives as `Other` rather than as an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    /// A long-running server-side turn paused; send the response back as-is to continue.
    PauseTurn,
    Refusal,
    /// The context window was filled before `max_tokens`.
    ContextWindowExceeded,
    Other(String),
}

/// Token counts of one request. `input_tokens` excludes cached input on every provider
/// (OpenAI reports cached tokens inside `prompt_tokens`; they are moved out), so the four
/// counts add up to what was billed and each has its own price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub input_tokens: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub output_tokens: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cache_read_tokens: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cache_write_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
    }
}

/// A finished model turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub id: String,
    /// The provider and model that answered (after any fallback).
    pub provider: String,
    pub model: String,
    pub message: Message,
    pub stop: StopReason,
    pub usage: Usage,
    /// From sending the request to the end of the stream, for the final attempt.
    pub latency: Duration,
}

/// What a stream reports while it runs. Indices are positions in the final message's
/// `content`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Text { index: usize, text: String },
    Thinking { index: usize, text: String },
    ToolUseStart { index: usize, id: String, name: String },
    /// A fragment of a tool call's JSON input; only the concatenation is valid JSON.
    ToolInput { index: usize, partial_json: String },
    /// The attempt so far failed; everything it streamed is void and a new attempt
    /// starts after `delay`.
    Retry { attempt: u32, delay: Duration, error: String },
    /// The route moved on to its next model.
    Fallback { from: String, to: String, error: String },
    /// The tokens the provider has counted for this attempt so far (cumulative), as its
    /// stream reports them: what a failed attempt still cost.
    Metered { usage: Usage },
    /// An attempt failed (before its retry or the route's next model): its model, the
    /// tokens counted before it failed, and why (`code` as LlmError::code names it).
    Failed { provider: String, model: String, usage: Usage, code: String, error: String },
}
