//! Threads: conversations with the agent as they are saved (one JSON file per thread in a
//! folder the caller picks, never inside the workspace), their titles and their Markdown
//! export. The app and the CLI both keep threads through this.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use weft_llm::{Block, Client, Message, ModelRef, Role, Usage};

use crate::Spending;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TurnRecord {
    /// Messages before the turn: "restore conversation" cuts the thread back to here.
    pub messages_before: u32,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub checkpoint: Option<i64>,
    pub end: String,
    pub model: String,
    pub usage: Usage,
}

/// A conversation as saved and as the panel shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AgentThread {
    pub id: String,
    pub title: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_ms: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_ms: u64,
    pub messages: Vec<Message>,
    pub usage: Usage,
    pub turns: Vec<TurnRecord>,
    /// A turn is running now (not saved).
    #[serde(default)]
    pub running: bool,
    /// Tool call id -> its one-line summary, for the cards of a reopened thread.
    #[serde(default)]
    pub tool_summaries: BTreeMap<String, String>,
}

impl AgentThread {
    pub fn new(id: &str) -> Self {
        let now = now_ms();
        AgentThread { id: id.to_owned(), title: String::new(), created_ms: now, updated_ms: now, messages: vec![], usage: Usage::default(), turns: vec![], running: false, tool_summaries: BTreeMap::new() }
    }

    /// Fills `tool_summaries` from the messages.
    pub fn summarise_tools(&mut self) {
        self.tool_summaries = self
            .messages
            .iter()
            .flat_map(|m| &m.content)
            .filter_map(|b| match b {
                Block::ToolUse { id, name, input } => Some((id.clone(), crate::summary(name, input))),
                _ => None,
            })
            .collect();
    }

    pub fn summary(&self) -> ThreadSummary {
        ThreadSummary { id: self.id.clone(), title: self.title.clone(), updated_ms: self.updated_ms, turns: self.turns.len() as u32, usage: self.usage, running: self.running, waiting: false }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ThreadSummary {
    pub id: String,
    pub title: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_ms: u64,
    pub turns: u32,
    pub usage: Usage,
    /// A turn is running (threads run at once, each its own).
    pub running: bool,
    /// Its turn waits for the user to answer an approval.
    pub waiting: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ThreadError {
    #[error("{0:?} is not a thread id (letters, digits, - and _, at most 64)")]
    BadId(String),
    #[error("no thread {0}")]
    NotFound(String),
    #[error("thread {id} cannot be read: {reason}")]
    Corrupt { id: String, reason: String },
    #[error("{0}")]
    Io(String),
}

/// The saved threads of one workspace: a folder of `<id>.json` files.
#[derive(Debug, Clone)]
pub struct ThreadStore {
    dir: PathBuf,
}

impl ThreadStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ThreadStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Thread ids are minted by clients and become file names: keep them plain.
    pub fn check_id(id: &str) -> Result<(), ThreadError> {
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ThreadError::BadId(id.to_owned()));
        }
        Ok(())
    }

    fn file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// The saved thread; `NotFound` when there is none.
    pub fn load(&self, id: &str) -> Result<AgentThread, ThreadError> {
        Self::check_id(id)?;
        match std::fs::read(self.file(id)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ThreadError::Corrupt { id: id.to_owned(), reason: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ThreadError::NotFound(id.to_owned())),
            Err(e) => Err(ThreadError::Io(format!("reading thread {id}: {e}"))),
        }
    }

    /// Written whole and atomically: a crash leaves the old file or the new one.
    pub fn save(&self, t: &AgentThread) -> Result<(), ThreadError> {
        Self::check_id(&t.id)?;
        std::fs::create_dir_all(&self.dir).map_err(|e| ThreadError::Io(format!("saving the thread: {e}")))?;
        let json = serde_json::to_vec_pretty(t).map_err(|e| ThreadError::Io(format!("saving the thread: {e}")))?;
        weft_fs::atomic_write(&self.file(&t.id), &json).map_err(|e| ThreadError::Io(format!("saving the thread: {e}")))
    }

    /// The ids of the saved threads (unordered).
    pub fn ids(&self) -> Result<Vec<String>, ThreadError> {
        match std::fs::read_dir(&self.dir) {
            Ok(entries) => Ok(entries.flatten().filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".json").map(str::to_owned)).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
            Err(e) => Err(ThreadError::Io(format!("listing threads: {e}"))),
        }
    }

    /// Deleting a thread that was never saved is not an error.
    pub fn delete(&self, id: &str) -> Result<(), ThreadError> {
        Self::check_id(id)?;
        match std::fs::remove_file(self.file(id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ThreadError::Io(e.to_string())),
            _ => Ok(()),
        }
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The title a thread has until the model names it: the prompt's first line, cut.
pub fn title(prompt: &str) -> String {
    let line = prompt.trim().lines().next().unwrap_or_default();
    let mut t: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        t.push('…');
    }
    t
}

/// A short title from a cheap model, on the books; None (the first line stays) if it fails
/// or the budget says no.
pub async fn name_thread(client: &Client, route: &[ModelRef], books: &dyn Spending, prompt: &str) -> Option<String> {
    let req = weft_llm::Request {
        system: "Write a title of at most six words for a coding conversation that starts with the user's message below. Reply with the title only, no quotes.".into(),
        messages: vec![Message::user(prompt.chars().take(2000).collect::<String>())],
        max_tokens: 30,
        ..weft_llm::Request::default()
    };
    let model = route.first()?;
    if books.before("title", model, (prompt.len() / 4) as u64, 30).is_some() {
        return None;
    }
    let resp = client.stream(route, &req, &mut |e| crate::agent::record_failure(Some(books), "title", &e)).await.map_err(|e| tracing::warn!("naming the thread failed: {e}")).ok()?;
    books.after("title", &resp);
    let t = resp.message.text().trim().trim_matches('"').lines().next()?.chars().take(80).collect::<String>();
    (!t.is_empty()).then_some(t)
}

/// The thread as a Markdown document: prompts, answers, tool calls and their output.
pub fn markdown(t: &AgentThread) -> String {
    let fence = |s: &str| {
        let mut f = "```".to_owned();
        while s.contains(&f) {
            f.push('`');
        }
        f
    };
    let mut out = format!("# {}\n\n", if t.title.is_empty() { "Agent thread" } else { &t.title });
    for m in &t.messages {
        for b in &m.content {
            match (m.role, b) {
                (Role::User, Block::Text { text }) => out.push_str(&format!("## You\n\n{}\n\n", text.trim())),
                (Role::Assistant, Block::Text { text }) => out.push_str(&format!("## Agent\n\n{}\n\n", text.trim())),
                (_, Block::Image { source }) => out.push_str(&format!("![image]({})\n\n", source.data_url())),
                (_, Block::ToolUse { name, input, .. }) => out.push_str(&format!("**Tool:** {}\n\n", crate::summary(name, input))),
                (_, Block::ToolResult { content, is_error, .. }) => {
                    let f = fence(content);
                    let label = if *is_error { "Failed" } else { "Output" };
                    out.push_str(&format!("<details><summary>{label}</summary>\n\n{f}\n{}\n{f}\n\n</details>\n\n", content.trim_end()));
                }
                _ => {}
            }
        }
    }
    let u = t.usage;
    out.push_str(&format!("---\nTokens: {} in, {} out, {} cache read, {} cache write\n", u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_round_trip_and_ids_stay_plain() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = ThreadStore::new(dir.path().join("threads"));
        assert!(store.ids().expect("ids").is_empty(), "no folder yet is no threads");
        let mut t = AgentThread::new("t-1");
        t.title = title("fix the tests\nand more");
        t.messages.push(Message::user("fix the tests"));
        store.save(&t).expect("save");
        let back = store.load("t-1").expect("load");
        assert_eq!((back.title.as_str(), back.messages.len()), ("fix the tests", 1));
        assert_eq!(store.ids().expect("ids"), vec!["t-1".to_owned()]);
        for bad in ["", "../x", "a/b", "a.json", &"x".repeat(65)] {
            assert!(matches!(store.load(bad), Err(ThreadError::BadId(_))), "{bad:?}");
        }
        assert!(matches!(store.load("t-2"), Err(ThreadError::NotFound(_))));
        std::fs::write(dir.path().join("threads/t-3.json"), "{").expect("write");
        assert!(matches!(store.load("t-3"), Err(ThreadError::Corrupt { .. })));
        store.delete("t-1").expect("delete");
        store.delete("t-1").expect("deleting again is fine");
        assert!(matches!(store.load("t-1"), Err(ThreadError::NotFound(_))));
        assert!(markdown(&back).starts_with("# fix the tests\n\n## You\n\nfix the tests\n"));
        assert_eq!(title(&"é".repeat(70)).chars().count(), 61);
    }
}
