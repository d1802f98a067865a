//! What the model sees besides the conversation: what the user pointed at (@-mentions of
//! files, symbols, the selection, terminal output, diagnostics), the repo map in the
//! system prompt, and the token estimate that decides when older turns are summarised so a
//! long thread stays inside the model's window.

use serde::{Deserialize, Serialize};
use weft_llm::{Block, Message, Role};

/// One @-mention. Files and symbols are read here, inside the workspace jail; the
/// selection, terminal output and diagnostics are already text where the user is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Mention {
    /// A file, or lines of it (1-based, inclusive).
    File {
        path: String,
        #[serde(default)]
        start_line: Option<u32>,
        #[serde(default)]
        end_line: Option<u32>,
    },
    /// A definition by name: where it is and its source.
    Symbol { name: String },
    /// Already resolved: "selection in src/a.rs:10-20", "terminal 1", "problems in a.rs".
    Text { label: String, text: String },
}

/// The tag that opens the context block of a user message, so a UI can show the mentions
/// as chips rather than as the pasted text.
pub const CONTEXT_OPEN: &str = "<context>";

/// Per mention, so one huge file cannot take the whole window.
pub const MENTION_MAX_CHARS: usize = 60_000;

pub(crate) fn cap(text: &str) -> String {
    if text.len() <= MENTION_MAX_CHARS {
        return text.to_owned();
    }
    let mut end = MENTION_MAX_CHARS;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n… (cut at {MENTION_MAX_CHARS} characters of {}; read_file has the rest)", &text[..end], text.len())
}

/// The user message: the resolved mentions in one block, then the prompt, then the images
/// the user attached.
pub fn user_message(resolved: &[(String, String)], prompt: &str, images: &[weft_llm::ImageSource]) -> Message {
    let mut m = mentions_and_prompt(resolved, prompt);
    m.content.extend(images.iter().map(|i| Block::Image { source: i.clone() }));
    m
}

fn mentions_and_prompt(resolved: &[(String, String)], prompt: &str) -> Message {
    if resolved.is_empty() {
        return Message::user(prompt);
    }
    let mut ctx = String::from(CONTEXT_OPEN);
    ctx.push('\n');
    for (label, text) in resolved {
        ctx.push_str(&format!("<item label=\"{}\">\n{}\n</item>\n", label.replace('"', "'"), text.trim_end()));
    }
    ctx.push_str("</context>");
    Message { role: Role::User, content: vec![Block::text(ctx), Block::text(prompt)] }
}

/// A rough count (four characters a token, plus a little per block): good enough to
/// decide when to summarise, which happens well before the real limit.
pub fn estimate_tokens(messages: &[Message]) -> usize {
    messages
        .iter()
        .flat_map(|m| &m.content)
        .map(|b| {
            let chars = match b {
                Block::Text { text } => text.len(),
                Block::Thinking { thinking, .. } => thinking.len(),
                Block::RedactedThinking { data } => data.len(),
                Block::ToolUse { name, input, .. } => name.len() + input.to_string().len(),
                Block::ToolResult { content, .. } => content.len(),
                // What a picture of the size models scale to costs (Anthropic: w·h/750).
                Block::Image { .. } => IMAGE_TOKENS * 4,
            };
            chars / 4 + 8
        })
        .sum()
}

/// Tokens one image is counted as: a picture scaled to the 1568-pixel edge models read.
pub const IMAGE_TOKENS: usize = 1600;

/// Where the kept part of a conversation starts when the rest is summarised: the start of
/// the oldest turn (a user message that is not tool results) such that the turns from it
/// on fit in `keep_tokens`. None when there is no earlier turn to summarise.
pub fn summary_split(messages: &[Message], keep_tokens: usize) -> Option<usize> {
    let starts: Vec<usize> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.role == Role::User && m.content.iter().any(|b| matches!(b, Block::Text { .. })))
        .map(|(i, _)| i)
        .collect();
    // Always keep the newest turn whole (it is the one being answered).
    let newest = *starts.last()?;
    let mut split = newest;
    for &s in starts.iter().rev().skip(1) {
        if estimate_tokens(&messages[s..]) > keep_tokens {
            break;
        }
        split = s;
    }
    (split > 0).then_some(split)
}

/// The older part of a conversation as plain text for the summariser.
pub fn transcript(messages: &[Message]) -> String {
    let mut out = String::new();
    for m in messages {
        for b in &m.content {
            match (m.role, b) {
                (Role::User, Block::Text { text }) => out.push_str(&format!("USER: {text}\n\n")),
                (_, Block::Image { .. }) => out.push_str("(an image)\n\n"),
                (Role::Assistant, Block::Text { text }) => out.push_str(&format!("ASSISTANT: {text}\n\n")),
                (_, Block::ToolUse { name, input, .. }) => out.push_str(&format!("TOOL CALL {name}: {input}\n\n")),
                (_, Block::ToolResult { content, is_error, .. }) => {
                    let content: String = content.chars().take(2000).collect();
                    out.push_str(&format!("TOOL {}: {content}\n\n", if *is_error { "ERROR" } else { "RESULT" }));
                }
                _ => {}
            }
        }
    }
    out
}

pub const SUMMARY_SYSTEM: &str = "You summarise the earlier part of a conversation between a user and a coding agent, \
so the agent can continue without it. Keep: what the user asked for and their preferences, decisions made, files \
read or changed (with paths) and why, commands run and their outcome, open problems and next steps. Be concise and \
factual; use short bullet points. Do not address the user.";

pub const SUMMARY_PREFIX: &str = "Summary of the earlier conversation (older turns were summarised to fit the model's window):";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn turn(prompt: &str, answer_len: usize) -> Vec<Message> {
        vec![
            Message::user(prompt),
            Message { role: Role::Assistant, content: vec![Block::ToolUse { id: "t".into(), name: "read_file".into(), input: json!({"path": "a"}) }] },
            Message { role: Role::User, content: vec![Block::ToolResult { tool_use_id: "t".into(), content: "x".repeat(answer_len), is_error: false }] },
            Message { role: Role::Assistant, content: vec![Block::text("done")] },
        ]
    }

    #[test]
    fn the_split_falls_on_a_turn_boundary_and_keeps_the_newest_turn() {
        let mut m = turn("one", 4000);
        m.extend(turn("two", 4000));
        m.extend(turn("three", 400));
        // Room for the last turn only: everything before it is summarised.
        assert_eq!(summary_split(&m, 200), Some(8));
        // Room for two turns.
        assert_eq!(summary_split(&m, 1200), Some(4));
        // Room for all: nothing to summarise.
        assert_eq!(summary_split(&m, 100_000), None);
        // Tool results (user role, no text) are never a boundary.
        assert!(m[2].role == Role::User && summary_split(&m[..7], 10) == Some(4));
    }

    #[test]
    fn mentions_go_in_one_tagged_block_before_the_prompt() {
        let m = user_message(&[("src/a.rs".into(), "fn a() {}\n".into())], "explain a", &[]);
        assert_eq!(m.content.len(), 2);
        match &m.content[0] {
            Block::Text { text } => {
                assert!(text.starts_with(CONTEXT_OPEN));
                assert!(text.contains("<item label=\"src/a.rs\">\nfn a() {}\n</item>"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(m.content[1], Block::text("explain a"));
        assert_eq!(user_message(&[], "hi", &[]), Message::user("hi"));
    }

    #[test]
    fn a_huge_mention_is_cut_on_a_char_boundary() {
        let s = "é".repeat(MENTION_MAX_CHARS);
        let c = cap(&s);
        assert!(c.len() < s.len() && c.contains("cut at"));
    }
}
