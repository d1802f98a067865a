//! Retries and fallbacks over the configured providers.
//!
//! A retryable failure is tried again after exponential backoff with jitter (or exactly
//! the wait the server asked for); when a model's tries run out, or it fails in a way
//! another model may not, the route's next model is tried. Each new attempt is announced
//! with an [`Event`] so a UI can drop what the failed one had streamed.

use crate::error::LlmError;
use crate::types::{Event, Request, Response, Usage};
use crate::Provider;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries per model after the first attempt.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A server asking for a longer wait than this is not waited for: the route falls back.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based): the server's `retry-after` when it
    /// gave one, else `base·2^(attempt-1)` capped, less up to 25% jitter so that many
    /// clients failing together do not retry together.
    pub fn delay(&self, attempt: u32, err: &LlmError) -> Duration {
        if let Some(after) = err.retry_after() {
            return after;
        }
        let exp = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        exp.min(self.max_delay).mul_f64(1.0 - 0.25 * fastrand::f64())
    }
}

/// A model on a named provider, written `provider:model` (the model part may itself hold
/// colons, as Ollama tags do: `ollama:qwen2.5-coder:7b`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    pub provider: String,
    pub model: String,
}

impl ModelRef {
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Self {
        ModelRef { provider: provider.into(), model: model.into() }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (p, m) = s.trim().split_once(':')?;
        (!p.is_empty() && !m.is_empty()).then(|| ModelRef::new(p, m))
    }
}

impl std::fmt::Display for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.provider, self.model)
    }
}

#[derive(Default)]
pub struct Client {
    providers: HashMap<String, Arc<dyn Provider>>,
    pub policy: RetryPolicy,
}

impl Client {
    pub fn new(policy: RetryPolicy) -> Self {
        Client { providers: HashMap::new(), policy }
    }

    pub fn add(&mut self, provider: Arc<dyn Provider>) {
        self.providers.insert(provider.name().to_owned(), provider);
    }

    pub fn provider(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    /// Streams `req` through the first model of `route` that answers.
    pub async fn stream(
        &self,
        route: &[ModelRef],
        req: &Request,
        on: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Response, LlmError> {
        let mut last = LlmError::UnknownProvider(String::new());
        for (k, target) in route.iter().enumerate() {
            last = match self.providers.get(&target.provider) {
                None => LlmError::UnknownProvider(target.provider.clone()),
                // Known not to read images: refused here, with a reason, not by a 400 later.
                Some(p) if req.has_images() && p.accepts_images(&target.model) == Some(false) => LlmError::Unsupported {
                    provider: target.provider.clone(),
                    model: target.model.clone(),
                    message: "does not read images; choose a model that does (Claude, GPT-4o or later, a local vision model)".into(),
                },
                Some(p) => match self.with_retries(p.as_ref(), &target.model, req, on).await {
                    Ok(r) => return Ok(r),
                    Err(e) => e,
                },
            };
            let fallback_ok = last.allows_fallback() || matches!(last, LlmError::UnknownProvider(_));
            match route.get(k + 1) {
                Some(next) if fallback_ok => {
                    tracing::warn!(from = %target, to = %next, error = %last, "falling back");
                    on(Event::Fallback { from: target.to_string(), to: next.to_string(), error: last.to_string() });
                }
                _ => break,
            }
        }
        Err(last)
    }

    async fn with_retries(
        &self,
        provider: &dyn Provider,
        model: &str,
        req: &Request,
        on: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Response, LlmError> {
        let mut attempt = 0;
        loop {
            // What the provider counted before a failure: still spent, so it is reported.
            let mut metered = Usage::default();
            let result = {
                let mut track = |e: Event| {
                    if let Event::Metered { usage } = &e {
                        metered = *usage;
                    }
                    on(e);
                };
                provider.stream(model, req, &mut track).await
            };
            let err = match result {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            on(Event::Failed { provider: provider.name().to_owned(), model: model.to_owned(), usage: metered, code: err.code().to_owned(), error: err.to_string() });
            attempt += 1;
            if !err.is_retryable() || attempt > self.policy.max_retries {
                return Err(err);
            }
            let delay = self.policy.delay(attempt, &err);
            if delay > self.policy.max_retry_after {
                return Err(err);
            }
            tracing::warn!(provider = provider.name(), model, attempt, ?delay, error = %err, "retrying");
            on(Event::Retry { attempt, delay, error: err.to_string() });
            tokio::time::sleep(delay).await;
        }
    }
}
