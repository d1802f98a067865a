//! Which models read images. Providers document it per model family; this keeps the
//! families they name (and the local vision models people run) and says "unknown" for the
//! rest, so a new model is tried rather than refused.

/// Anthropic: every Claude model since Claude 3; only the retired Claude 2 and Instant
/// families read text alone.
pub fn anthropic(model: &str) -> Option<bool> {
    let m = model.to_ascii_lowercase();
    if m.starts_with("claude-2") || m.starts_with("claude-instant") {
        return Some(false);
    }
    m.starts_with("claude-").then_some(true)
}

/// OpenAI and OpenAI-compatible servers. OpenAI's own models by family (the mini reasoning
/// models and GPT-3.5 are text only); on other servers, the vision models' names.
pub fn openai(model: &str) -> Option<bool> {
    // An Ollama tag or an org prefix does not change the model: `llava:13b`, `meta/llava`.
    let m = model.to_ascii_lowercase();
    let base = m.rsplit('/').next().unwrap_or(&m);
    let family = base.split(':').next().unwrap_or(base);
    let named = |prefixes: &[&str]| prefixes.iter().any(|p| family.starts_with(p));
    // Plain GPT-4 (and its dated snapshots) reads text only; its later variants do not.
    if named(&["gpt-3.5", "o1-mini", "o1-preview", "o3-mini", "text-", "davinci", "gpt-4-0"]) || family == "gpt-4" {
        return Some(false);
    }
    if named(&["gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-4-turbo", "gpt-4-vision", "gpt-5", "chatgpt-4o", "o1", "o3", "o4"]) {
        return Some(true);
    }
    // Local vision models by the names their makers give them.
    if named(&["llava", "bakllava", "moondream", "minicpm-v", "gemma3", "llama3.2-vision", "llama4", "granite3.2-vision", "qwen2.5vl", "mistral-small3"]) || family.contains("-vl") || family.contains("vision") {
        return Some(true);
    }
    None
}

/// Gemini: every Gemini model reads images (text-only are the embedding and AQA models,
/// which cannot chat); Gemma 3 and later read them too.
pub fn gemini(model: &str) -> Option<bool> {
    let m = model.to_ascii_lowercase();
    let m = m.strip_prefix("models/").unwrap_or(&m);
    if m.starts_with("gemini-") || m.starts_with("gemma-3") || m.starts_with("gemma-4") {
        return Some(true);
    }
    if m.starts_with("gemma-2") || m.starts_with("text-") || m.contains("embedding") {
        return Some(false);
    }
    None
}

/// Bedrock, by the model's family (its id without a region prefix): Claude as on
/// Anthropic; Amazon Nova Lite/Pro/Premier, Llama 3.2 11B/90B and Llama 4, Pixtral.
pub fn bedrock(family: &str) -> Option<bool> {
    let m = family.to_ascii_lowercase();
    if let Some(claude) = m.strip_prefix("anthropic.") {
        return anthropic(claude);
    }
    let named = |prefixes: &[&str]| prefixes.iter().any(|p| m.starts_with(p));
    if named(&["amazon.nova-lite", "amazon.nova-pro", "amazon.nova-premier", "meta.llama3-2-11b", "meta.llama3-2-90b", "meta.llama4", "mistral.pixtral"]) {
        return Some(true);
    }
    if named(&["amazon.nova-micro", "amazon.titan-text", "meta.llama3-", "mistral.", "cohere.command", "ai21.", "deepseek.", "openai.gpt-oss"]) {
        return Some(false);
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn families_are_told_apart() {
        for (m, want) in [
            ("claude-sonnet-4-5", Some(true)),
            ("claude-3-5-haiku-20241022", Some(true)),
            ("claude-2.1", Some(false)),
            ("mystery", None),
        ] {
            assert_eq!(super::anthropic(m), want, "{m}");
        }
        for (m, want) in [
            ("gpt-4o-mini", Some(true)),
            ("gpt-5", Some(true)),
            ("gpt-4.1-nano", Some(true)),
            ("o3", Some(true)),
            ("o3-mini", Some(false)),
            ("o4-mini", Some(true)),
            ("gpt-3.5-turbo", Some(false)),
            ("gpt-4", Some(false)),
            ("gpt-4-0613", Some(false)),
            ("gpt-4-turbo", Some(true)),
            ("llava:13b", Some(true)),
            ("qwen2.5vl:7b", Some(true)),
            ("Qwen/Qwen2.5-VL-7B-Instruct", Some(true)),
            ("qwen2.5-coder:7b", None),
            ("llama3.1:8b", None),
        ] {
            assert_eq!(super::openai(m), want, "{m}");
        }
        for (m, want) in [("anthropic.claude-sonnet-4-5-20250929-v1:0", Some(true)), ("amazon.nova-pro-v1:0", Some(true)), ("amazon.nova-micro-v1:0", Some(false)), ("meta.llama3-2-90b-instruct-v1:0", Some(true)), ("meta.llama3-1-70b-instruct-v1:0", Some(false))] {
            assert_eq!(super::bedrock(m), want, "{m}");
        }
        for (m, want) in [("gemini-2.5-pro", Some(true)), ("models/gemini-2.5-flash-lite", Some(true)), ("gemma-3-27b-it", Some(true)), ("gemma-2-9b-it", Some(false)), ("learnlm", None)] {
            assert_eq!(super::gemini(m), want, "{m}");
        }
    }
}
