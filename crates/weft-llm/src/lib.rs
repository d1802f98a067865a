//! LLM providers for Weft.
//!
//! Owns: talking to models over streaming HTTP — Anthropic's Messages API, OpenAI-compatible
//! chat completions (OpenAI, Ollama, LM Studio, vLLM), Google's Gemini API and Amazon
//! Bedrock's Converse API (through the AWS SDK) — behind one
//! [`Provider`] trait; the conversation model ([`Message`], [`Block`]); sorting failures
//! into [`LlmError`]s; retrying with backoff and jitter and falling back to the next model
//! of a route ([`Client`]); where API keys come from ([`keys`]).
//!
//! Does not own: the agent loop, tools, permissions, prices or the usage ledger, and knows
//! nothing of Tauri. A request is cancelled by dropping its future: the connection closes.

mod anthropic;
#[cfg(feature = "bedrock")]
mod bedrock;
mod client;
mod error;
mod gemini;
mod http;
pub mod keys;
mod openai;
pub mod sse;
mod types;
pub mod vision;

#[cfg(feature = "fake")]
pub mod fake;

pub use anthropic::Anthropic;
#[cfg(feature = "bedrock")]
pub use bedrock::Bedrock;
pub use client::{Client, ModelRef, RetryPolicy};
pub use error::LlmError;
pub use gemini::Gemini;
pub use openai::OpenAi;
pub use types::{Block, Event, ImageSource, Message, Request, Response, Role, StopReason, Tool, Usage, IMAGE_MAX_BYTES, IMAGE_TYPES};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One model service. Adding a provider is one module implementing this.
pub trait Provider: Send + Sync {
    /// The configured name routes refer to (`anthropic`, `ollama`, …).
    fn name(&self) -> &str;

    /// Sends `req` to `model` and streams the answer through `on` as it arrives.
    fn stream<'a>(
        &'a self,
        model: &'a str,
        req: &'a Request,
        on: &'a mut (dyn FnMut(Event) + Send),
    ) -> BoxFuture<'a, Result<Response, LlmError>>;

    /// The models the service offers; also the cheapest "test connection".
    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, LlmError>>;

    /// Whether `model` reads images: Some(false) for a model known not to (a request with
    /// images is then refused before it is sent, and the route moves on), None when
    /// nobody can tell (a local server's own model): the server decides.
    fn accepts_images(&self, _model: &str) -> Option<bool> {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Anthropic,
    /// Any OpenAI-compatible chat-completions server.
    OpenAi,
    /// Google's Gemini API (`streamGenerateContent`).
    Gemini,
    /// Amazon Bedrock's Converse API through the AWS SDK.
    Bedrock,
}

/// The Bedrock API key variable (a bearer token instead of SigV4), as the AWS SDK reads it.
pub const BEDROCK_KEY_ENV: &str = "AWS_BEARER_TOKEN_BEDROCK";

/// A Bedrock model id as its model family: an ARN's last part, without a cross-region
/// profile's prefix (`us.anthropic.claude-sonnet-4-5-20250929-v1:0` →
/// `anthropic.claude-sonnet-4-5-20250929-v1:0`). What its capabilities and price go by.
pub fn bedrock_model_family(model: &str) -> &str {
    let m = model.rsplit('/').next().unwrap_or(model);
    match m.split_once('.') {
        Some((prefix, rest)) if ["us", "eu", "apac", "global", "jp", "au", "ca", "us-gov"].contains(&prefix) => rest,
        _ => m,
    }
}

/// A secret that never shows in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into().trim().to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(…)")
    }
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    pub api_key: Option<ApiKey>,
    pub connect_timeout: Duration,
    /// Longest silence between two reads. Generous: a local model on a CPU can take minutes
    /// to read a long prompt before its first token (Anthropic pings every few seconds).
    pub read_timeout: Duration,
    /// Bedrock only: region, profile, fixed keys. `base_url` is then an endpoint override
    /// (empty: the region's), `api_key` a Bedrock API key (a bearer token instead of SigV4).
    pub aws: AwsOptions,
}

/// Where Bedrock's region and credentials come from, over the SDK's own defaults.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Else AWS_REGION, then the profile's region.
    pub region: Option<String>,
    /// A profile of `~/.aws/config` (else AWS_PROFILE, else `default`).
    pub profile: Option<String>,
    /// Fixed keys instead of the credential chain.
    pub credentials: Option<AwsKeys>,
}

#[derive(Clone)]
pub struct AwsKeys {
    pub access_key_id: String,
    pub secret_access_key: crate::ApiKey,
    pub session_token: Option<crate::ApiKey>,
}

impl std::fmt::Debug for AwsKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AwsKeys({}, …)", self.access_key_id)
    }
}

impl ProviderConfig {
    pub fn new(name: impl Into<String>, kind: ProviderKind, base_url: impl Into<String>) -> Self {
        ProviderConfig {
            name: name.into(),
            kind,
            base_url: base_url.into(),
            api_key: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(300),
            aws: AwsOptions::default(),
        }
    }

    pub fn with_key(mut self, key: Option<ApiKey>) -> Self {
        self.api_key = key.filter(|k| !k.expose().is_empty());
        self
    }

    /// `anthropic` from ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY, as Anthropic's SDKs read them.
    pub fn anthropic_from_env() -> Self {
        Self::from_env("anthropic", ProviderKind::Anthropic, "ANTHROPIC_BASE_URL", anthropic::DEFAULT_BASE_URL, anthropic::KEY_ENV)
    }

    /// `openai` from OPENAI_BASE_URL / OPENAI_API_KEY, as OpenAI's SDKs read them.
    pub fn openai_from_env() -> Self {
        Self::from_env("openai", ProviderKind::OpenAi, "OPENAI_BASE_URL", openai::DEFAULT_BASE_URL, openai::KEY_ENV)
    }

    /// `gemini` from GEMINI_BASE_URL / GEMINI_API_KEY (the key Google's SDKs and Gemini CLI read).
    pub fn gemini_from_env() -> Self {
        Self::from_env("gemini", ProviderKind::Gemini, "GEMINI_BASE_URL", gemini::DEFAULT_BASE_URL, gemini::KEY_ENV)
    }

    /// `bedrock`: the AWS SDK's own defaults (region and credentials from the environment
    /// and `~/.aws`), a Bedrock API key from AWS_BEARER_TOKEN_BEDROCK.
    pub fn bedrock() -> Self {
        let key = std::env::var(BEDROCK_KEY_ENV).ok().filter(|v| !v.trim().is_empty()).map(ApiKey::new);
        Self::new("bedrock", ProviderKind::Bedrock, "").with_key(key)
    }

    /// A local Ollama server's OpenAI-compatible endpoint (no key).
    pub fn ollama() -> Self {
        Self::new("ollama", ProviderKind::OpenAi, "http://localhost:11434/v1")
    }

    /// A local LM Studio server (no key).
    pub fn lm_studio() -> Self {
        Self::new("lmstudio", ProviderKind::OpenAi, "http://localhost:1234/v1")
    }

    fn from_env(name: &str, kind: ProviderKind, url_env: &str, default_url: &str, key_env: &str) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self::new(name, kind, var(url_env).unwrap_or_else(|| default_url.to_owned())).with_key(var(key_env).map(ApiKey::new))
    }

    /// The environment variable users set for this kind's key, for error messages.
    pub fn key_env(&self) -> &'static str {
        match self.kind {
            ProviderKind::Anthropic => anthropic::KEY_ENV,
            ProviderKind::OpenAi => openai::KEY_ENV,
            ProviderKind::Gemini => gemini::KEY_ENV,
            ProviderKind::Bedrock => BEDROCK_KEY_ENV,
        }
    }

    pub fn build(self) -> Result<Arc<dyn Provider>, LlmError> {
        Ok(match self.kind {
            ProviderKind::Anthropic => Arc::new(Anthropic::new(self)?),
            ProviderKind::OpenAi => Arc::new(OpenAi::new(self)?),
            ProviderKind::Gemini => Arc::new(Gemini::new(self)?),
            #[cfg(feature = "bedrock")]
            ProviderKind::Bedrock => Arc::new(Bedrock::new(self)?),
            #[cfg(not(feature = "bedrock"))]
            ProviderKind::Bedrock => return Err(LlmError::UnknownProvider(format!("{} (this build has no Bedrock support)", self.name))),
        })
    }
}

/// The request bodies exactly as sent, for tests and for a "show request" view.
pub mod wire {
    pub use crate::anthropic::body as anthropic_body;
    pub use crate::gemini::body as gemini_body;
    pub use crate::openai::body as openai_body;
}
