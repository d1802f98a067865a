//! What can go wrong talking to a model, sorted by what the caller should do about it.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// The key is missing, wrong or lacks permission. Retrying will not help.
    #[error("{provider}: the API key was refused ({message}); check the key in Settings → AI or the {env} variable")]
    Auth { provider: String, env: String, message: String },
    #[error("{provider}: rate limited ({message}){}", retry_hint(.retry_after))]
    RateLimited { provider: String, message: String, retry_after: Option<Duration> },
    /// HTTP 529 / 503, or an `overloaded_error` event inside a stream that began with 200.
    #[error("{provider}: the service is overloaded ({message}){}", retry_hint(.retry_after))]
    Overloaded { provider: String, message: String, retry_after: Option<Duration> },
    #[error("{provider}: server error {status} ({message})")]
    Server { provider: String, status: u16, message: String },
    /// The request itself is wrong (bad model name, too long a prompt…): not retryable.
    #[error("{provider}: the request was refused with {status} ({message})")]
    InvalidRequest { provider: String, status: u16, message: String },
    #[error("{provider}: could not reach {url} ({message})")]
    Connection { provider: String, url: String, message: String },
    /// The stream ended before the provider's end marker.
    #[error("{provider}: the response stream was cut off before it finished ({message})")]
    Truncated { provider: String, message: String },
    /// Bytes that do not follow the provider's wire format.
    #[error("{provider}: malformed response ({message})")]
    Malformed { provider: String, message: String },
    /// The model cannot take what the request holds (images, for a text-only model).
    #[error("{provider}: {model} {message}")]
    Unsupported { provider: String, model: String, message: String },
    /// The route names a provider that is not configured.
    #[error("no provider named {0:?} is configured")]
    UnknownProvider(String),
}

fn retry_hint(after: &Option<Duration>) -> String {
    match after {
        Some(d) => format!("; the server asked to wait {:.1} s", d.as_secs_f64()),
        None => String::new(),
    }
}

impl LlmError {
    /// Whether the same request may succeed if sent again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LlmError::RateLimited { .. }
                | LlmError::Overloaded { .. }
                | LlmError::Server { .. }
                | LlmError::Connection { .. }
                | LlmError::Truncated { .. }
                // A garbled stream (or a model's broken tool JSON) is usually a one-off.
                | LlmError::Malformed { .. }
        )
    }

    /// Whether another model may succeed where this one failed: everything retryable,
    /// plus a model the provider does not have or that cannot read the request.
    pub fn allows_fallback(&self) -> bool {
        self.is_retryable() || matches!(self, LlmError::InvalidRequest { status: 404, .. } | LlmError::Unsupported { .. })
    }

    /// The wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::RateLimited { retry_after, .. } | LlmError::Overloaded { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A stable code for the UI and the ledger.
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::Auth { .. } => "llm_auth",
            LlmError::RateLimited { .. } => "llm_rate_limited",
            LlmError::Overloaded { .. } => "llm_overloaded",
            LlmError::Server { .. } => "llm_server",
            LlmError::InvalidRequest { .. } => "llm_invalid_request",
            LlmError::Connection { .. } => "llm_connection",
            LlmError::Truncated { .. } => "llm_truncated",
            LlmError::Malformed { .. } => "llm_malformed",
            LlmError::Unsupported { .. } => "llm_unsupported",
            LlmError::UnknownProvider(_) => "llm_unknown_provider",
        }
    }
}

/// Parses `Retry-After` (seconds, possibly fractional) and the millisecond variant some
/// providers send. HTTP dates are not worth a date parser here; they fall back to backoff.
pub(crate) fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return (ms.is_finite() && ms >= 0.0).then(|| Duration::from_secs_f64(ms / 1000.0));
    }
    let secs = get("retry-after")?.parse::<f64>().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// Sorts an HTTP error status into an `LlmError`; `kind` is the error type from the body
/// (`overloaded_error`, `rate_limit_exceeded`…) when there is one.
pub(crate) fn from_status(
    provider: &str,
    env: &str,
    status: u16,
    kind: &str,
    message: String,
    retry_after: Option<Duration>,
) -> LlmError {
    let provider = provider.to_owned();
    match status {
        401 | 403 => LlmError::Auth { provider, env: env.to_owned(), message },
        429 => LlmError::RateLimited { provider, message, retry_after },
        503 | 529 => LlmError::Overloaded { provider, message, retry_after },
        _ if kind.contains("overloaded") => LlmError::Overloaded { provider, message, retry_after },
        408 | 409 | 500..=599 => LlmError::Server { provider, status, message },
        _ => LlmError::InvalidRequest { provider, status, message },
    }
}

/// Maps an `error` object that arrived inside a 200 stream (Anthropic's `error` event,
/// OpenAI's `{"error": …}` chunk) onto the status the same failure would have had.
pub(crate) fn from_stream_error(provider: &str, env: &str, kind: &str, message: String) -> LlmError {
    let status = match kind {
        "overloaded_error" | "overloaded" => 529,
        "rate_limit_error" | "rate_limit_exceeded" | "tokens" | "requests" => 429,
        "authentication_error" | "invalid_api_key" => 401,
        "permission_error" => 403,
        "invalid_request_error" | "invalid_request" => 400,
        "not_found_error" => 404,
        "request_too_large" => 413,
        _ => 500,
    };
    from_status(provider, env, status, kind, message, None)
}
