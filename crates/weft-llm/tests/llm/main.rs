//! weft-llm against local fake servers that speak the providers' real wire formats.

mod anthropic;
mod bedrock;
mod client;
mod gemini;
mod images;
mod openai;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use weft_llm::{Client, Event, ModelRef, Provider, ProviderConfig, ProviderKind, RetryPolicy};

/// Collects events for assertions.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<Event>>>);

impl Events {
    pub fn sink(&self) -> impl FnMut(Event) + Send + 'static {
        let all = self.0.clone();
        move |e| all.lock().expect("events").push(e)
    }

    pub fn all(&self) -> Vec<Event> {
        self.0.lock().expect("events").clone()
    }

    /// Text streamed since the last retry or fallback: what a UI would still show.
    pub fn visible_text(&self) -> String {
        let mut s = String::new();
        for e in self.all() {
            match e {
                Event::Text { text, .. } => s.push_str(&text),
                Event::Retry { .. } | Event::Fallback { .. } => s.clear(),
                _ => {}
            }
        }
        s
    }
}

pub fn anthropic(url: &str) -> Arc<dyn Provider> {
    ProviderConfig::new("anthropic", ProviderKind::Anthropic, url)
        .with_key(Some(weft_llm::ApiKey::new("sk-ant-test")))
        .build()
        .expect("provider")
}

pub fn openai(name: &str, url: &str, key: Option<&str>) -> Arc<dyn Provider> {
    ProviderConfig::new(name, ProviderKind::OpenAi, format!("{url}/v1"))
        .with_key(key.map(weft_llm::ApiKey::new))
        .build()
        .expect("provider")
}

/// The request the provider tests send: a system prompt, one user message, one tool.
pub fn request() -> weft_llm::Request {
    weft_llm::Request {
        system: "You are a coding agent.".into(),
        messages: vec![weft_llm::Message::user("List the files.")],
        tools: vec![weft_llm::Tool {
            name: "list_dir".into(),
            description: "List a directory".into(),
            input_schema: serde_json::json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        }],
        max_tokens: 512,
        ..weft_llm::Request::default()
    }
}

/// Retries quick enough for tests; the jitter and doubling still apply.
pub fn quick() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
    }
}

pub fn client(providers: &[Arc<dyn Provider>]) -> Client {
    let mut c = Client::new(quick());
    for p in providers {
        c.add(p.clone());
    }
    c
}

pub fn route(refs: &[&str]) -> Vec<ModelRef> {
    refs.iter().map(|r| ModelRef::parse(r).expect("provider:model")).collect()
}
