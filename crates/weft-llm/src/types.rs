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
    /// A picture the user pasted or a tool returned (a screenshot of the preview). In a
    /// message of tool results it follows them all, as both APIs require.
    Image {
        source: ImageSource,
    },
}

/// An image's bytes, as Anthropic's `source` object spells them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    Base64 { media_type: String, data: String },
}

/// The formats every image-reading model takes (Anthropic, OpenAI, Gemini, Bedrock).
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/// Anthropic's per-image limit (the strictest of the providers), decoded.
pub const IMAGE_MAX_BYTES: usize = 5 * 1024 * 1024;

impl ImageSource {
    /// Bytes as an image source, refused with a reason a person understands when no model
    /// would take them: an unknown format, a file that is not what it claims, too big.
    pub fn from_bytes(media_type: &str, bytes: &[u8]) -> Result<Self, String> {
        use base64::Engine as _;
        let media_type = media_type.trim().to_ascii_lowercase();
        let media_type = if media_type == "image/jpg" { "image/jpeg".to_owned() } else { media_type };
        if !IMAGE_TYPES.contains(&media_type.as_str()) {
            return Err(format!("{media_type:?} images are not accepted; use PNG, JPEG, GIF or WebP"));
        }
        if bytes.len() > IMAGE_MAX_BYTES {
            return Err(format!("the image is {:.1} MB; models take at most 5 MB per image", bytes.len() as f64 / 1048576.0));
        }
        match sniff(bytes) {
            Some(t) if t == media_type => {}
            Some(t) => return Err(format!("the image says it is {media_type} but its bytes are {t}")),
            None => return Err(format!("these bytes are not an image (expected {media_type})")),
        }
        Ok(ImageSource::Base64 { media_type, data: base64::engine::general_purpose::STANDARD.encode(bytes) })
    }

    /// Checks an image that arrived base64-encoded (from the UI or a saved thread).
    pub fn from_base64(media_type: &str, data: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD.decode(data.trim()).map_err(|e| format!("the image is not valid base64 ({e})"))?;
        Self::from_bytes(media_type, &bytes)
    }

    pub fn media_type(&self) -> &str {
        match self {
            ImageSource::Base64 { media_type, .. } => media_type,
        }
    }

    /// The bytes, base64-encoded (as Gemini's `inlineData` takes them).
    pub fn data(&self) -> &str {
        match self {
            ImageSource::Base64 { data, .. } => data,
        }
    }

    /// A `data:` URL, as OpenAI-compatible servers take images.
    pub fn data_url(&self) -> String {
        match self {
            ImageSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
        }
    }
}

/// The format the bytes really are, from their signature.
fn sniff(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
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

    pub fn images(&self) -> impl Iterator<Item = &ImageSource> {
        self.content.iter().filter_map(|b| match b {
            Block::Image { source } => Some(source),
            _ => None,
        })
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

impl Request {
    pub fn has_images(&self) -> bool {
        self.messages.iter().any(|m| m.images().next().is_some())
    }
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
