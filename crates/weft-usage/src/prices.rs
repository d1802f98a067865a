//! The price table: US dollars per million tokens for each kind of token, per model.
//! Weft ships the providers' list prices; the user's `prices.json` adds models or
//! overrides them. Local models (Ollama, LM Studio, any server on this machine) cost zero.
//!
//! Prices are held as nano-dollars per token (a thousandth of a dollar per million
//! tokens), so every cost is an exact integer: the ledger's sums are the table's products.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use weft_llm::Usage;

/// The list prices Weft ships with ($ per million tokens: input, output, cache read,
/// cache write). Anthropic bills cache writes at 1.25× input (5-minute cache); OpenAI
/// bills cached input at its discount and has no write surcharge; so does Gemini.
pub const SHIPPED: &[(&str, f64, f64, f64, f64)] = &[
    ("anthropic:claude-opus-4-5", 5.0, 25.0, 0.50, 6.25),
    ("anthropic:claude-opus-4-1", 15.0, 75.0, 1.50, 18.75),
    ("anthropic:claude-opus-4", 15.0, 75.0, 1.50, 18.75),
    ("anthropic:claude-sonnet-4-5", 3.0, 15.0, 0.30, 3.75),
    ("anthropic:claude-sonnet-4", 3.0, 15.0, 0.30, 3.75),
    ("anthropic:claude-3-7-sonnet", 3.0, 15.0, 0.30, 3.75),
    ("anthropic:claude-haiku-4-5", 1.0, 5.0, 0.10, 1.25),
    ("anthropic:claude-3-5-haiku", 0.80, 4.0, 0.08, 1.0),
    ("openai:gpt-5", 1.25, 10.0, 0.125, 1.25),
    ("openai:gpt-5-mini", 0.25, 2.0, 0.025, 0.25),
    ("openai:gpt-5-nano", 0.05, 0.40, 0.005, 0.05),
    ("openai:gpt-4.1", 2.0, 8.0, 0.50, 2.0),
    ("openai:gpt-4.1-mini", 0.40, 1.60, 0.10, 0.40),
    ("openai:gpt-4.1-nano", 0.10, 0.40, 0.025, 0.10),
    ("openai:gpt-4o", 2.50, 10.0, 1.25, 2.50),
    ("openai:gpt-4o-mini", 0.15, 0.60, 0.075, 0.15),
    ("openai:o3", 2.0, 8.0, 0.50, 2.0),
    ("openai:o4-mini", 1.10, 4.40, 0.275, 1.10),
    // Gemini, at the price for prompts up to 200k tokens (longer ones cost more; a user's
    // prices.json can say so). Cached input is the implicit cache's read price; explicit
    // cache storage is billed by the hour, not per token, so writes are zero.
    ("gemini:gemini-3-pro-preview", 2.0, 12.0, 0.20, 0.0),
    ("gemini:gemini-2.5-pro", 1.25, 10.0, 0.125, 0.0),
    ("gemini:gemini-2.5-flash", 0.30, 2.50, 0.03, 0.0),
    ("gemini:gemini-2.5-flash-lite", 0.10, 0.40, 0.01, 0.0),
    ("gemini:gemini-2.0-flash", 0.10, 0.40, 0.025, 0.0),
    ("gemini:gemini-2.0-flash-lite", 0.075, 0.30, 0.0, 0.0),
    // Bedrock on-demand, by model family (a cross-region profile's `us.`/`global.` prefix
    // is dropped when looking up). Claude at its global price (Anthropic's list price);
    // Bedrock's regional endpoints add 10% for the newest models, which prices.json can say.
    ("bedrock:anthropic.claude-opus-4-1", 15.0, 75.0, 1.50, 18.75),
    ("bedrock:anthropic.claude-opus-4", 15.0, 75.0, 1.50, 18.75),
    ("bedrock:anthropic.claude-sonnet-4-5", 3.0, 15.0, 0.30, 3.75),
    ("bedrock:anthropic.claude-sonnet-4", 3.0, 15.0, 0.30, 3.75),
    ("bedrock:anthropic.claude-3-7-sonnet", 3.0, 15.0, 0.30, 3.75),
    ("bedrock:anthropic.claude-haiku-4-5", 1.0, 5.0, 0.10, 1.25),
    ("bedrock:anthropic.claude-3-5-haiku", 0.80, 4.0, 0.08, 1.0),
    ("bedrock:amazon.nova-pro", 0.80, 3.20, 0.20, 0.0),
    ("bedrock:amazon.nova-lite", 0.06, 0.24, 0.015, 0.0),
    ("bedrock:meta.llama4-maverick-17b-instruct", 0.24, 0.97, 0.0, 0.0),
    ("bedrock:meta.llama3-3-70b-instruct", 0.72, 0.72, 0.0, 0.0),
];


/// One model's prices in $ per million tokens, as written in `prices.json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub input: f64,
    pub output: f64,
    #[serde(default)]
    pub cache_read: f64,
    #[serde(default)]
    pub cache_write: f64,
}

/// Nano-dollars per token of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exact {
    input: i64,
    output: i64,
    cache_read: i64,
    cache_write: i64,
}

fn exact(p: &Price) -> Result<Exact, String> {
    let one = |v: f64, what: &str| {
        let n = (v * 1000.0).round();
        if !v.is_finite() || v < 0.0 || (v * 1000.0 - n).abs() > 1e-6 {
            return Err(format!("{what} price {v} must be a non-negative number of dollars per million tokens with at most three decimals"));
        }
        Ok(n as i64)
    };
    Ok(Exact { input: one(p.input, "input")?, output: one(p.output, "output")?, cache_read: one(p.cache_read, "cacheRead")?, cache_write: one(p.cache_write, "cacheWrite")? })
}

/// What a request cost, in nano-dollars ($1 = 1e9), or why it could not be priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    Priced(i64),
    /// The model is not in the table: recorded at zero, and shown as unpriced.
    Unknown,
}

impl Cost {
    pub fn nanos(self) -> i64 {
        match self {
            Cost::Priced(n) => n,
            Cost::Unknown => 0,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    /// "provider:model" -> prices; a key without a provider applies to any provider.
    models: BTreeMap<String, Exact>,
    /// Providers that run on this machine: everything they serve is free.
    local: Vec<String>,
}

impl PriceTable {
    /// The shipped list prices, then the user's overrides (`prices.json`: an object of
    /// "provider:model" -> {input, output, cacheRead, cacheWrite}).
    pub fn new(user: &BTreeMap<String, Price>) -> Result<Self, String> {
        let mut t = PriceTable::default();
        for &(m, i, o, r, w) in SHIPPED {
            let p = Price { input: i, output: o, cache_read: r, cache_write: w };
            t.models.insert(m.to_owned(), exact(&p).map_err(|e| format!("{m}: {e}"))?);
        }
        for (m, p) in user {
            t.models.insert(m.clone(), exact(p).map_err(|e| format!("prices.json {m}: {e}"))?);
        }
        Ok(t)
    }

    /// Marks a provider as running locally (its requests cost nothing).
    pub fn local_provider(&mut self, provider: &str) {
        self.local.push(provider.to_owned());
    }

    /// The prices for a model: its exact name, else the longest listed name it starts with
    /// followed by `-` (dated snapshots such as claude-sonnet-4-5-20250929), with or
    /// without the provider.
    fn find(&self, provider: &str, model: &str) -> Option<Exact> {
        let model = if provider == "bedrock" { weft_llm::bedrock_model_family(model) } else { model };
        let keyed = format!("{provider}:{model}");
        for candidate in [keyed.as_str(), model] {
            if let Some(p) = self.models.get(candidate) {
                return Some(*p);
            }
        }
        self.models
            .iter()
            .filter(|(k, _)| {
                let k = k.as_str();
                [keyed.as_str(), model].iter().any(|c| c.len() > k.len() && c.starts_with(k) && c.as_bytes()[k.len()] == b'-')
            })
            .max_by_key(|(k, _)| k.len())
            .map(|(_, p)| *p)
    }

    pub fn is_local(&self, provider: &str) -> bool {
        self.local.iter().any(|p| p == provider)
    }

    pub fn cost(&self, provider: &str, model: &str, u: &Usage) -> Cost {
        if self.is_local(provider) {
            return Cost::Priced(0);
        }
        match self.find(provider, model) {
            None => Cost::Unknown,
            Some(p) => {
                let n = |t: u64| i64::try_from(t).unwrap_or(i64::MAX);
                Cost::Priced(
                    n(u.input_tokens) * p.input + n(u.output_tokens) * p.output + n(u.cache_read_tokens) * p.cache_read + n(u.cache_write_tokens) * p.cache_write,
                )
            }
        }
    }

    /// Whether the model has a price (or is local).
    pub fn knows(&self, provider: &str, model: &str) -> bool {
        self.is_local(provider) || self.find(provider, model).is_some()
    }

    /// The table as `prices.json` would write it, for showing and editing.
    pub fn entries(&self) -> BTreeMap<String, Price> {
        let f = |n: i64| n as f64 / 1000.0;
        self.models.iter().map(|(k, p)| (k.clone(), Price { input: f(p.input), output: f(p.output), cache_read: f(p.cache_read), cache_write: f(p.cache_write) })).collect()
    }
}

/// Dollars from nano-dollars, for display.
pub fn dollars(nanos: i64) -> f64 {
    nanos as f64 / 1e9
}
