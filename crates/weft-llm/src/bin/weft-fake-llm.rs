//! A scripted model server for end-to-end tests and trying the agent without a key: it
//! speaks Anthropic's (or OpenAI's, or Gemini's) real streaming wire format, one scripted reply per
//! request. Prints its base URL on the first line of stdout, then serves until killed.
//!
//! ```text
//! weft-fake-llm SCRIPT.json [REQUESTS.jsonl]
//! {"format": "anthropic", "paceMs": 15, "replies": [
//!   {"text": "Let me look.", "tools": [{"id": "t1", "name": "read_file", "input": {"path": "a.rs"}}]},
//!   {"error": {"status": 529, "type": "overloaded_error", "message": "Overloaded"}},
//!   {"thinking": "…", "text": "Done."},
//!   {"text": "Cut off mid-sent", "dropLast": 3}
//! ]}
//! ```
//!
//! `dropLast`: the stream ends that many events early (a connection lost mid-answer).

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use weft_llm::fake::{FakeServer, Reply, Turn};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Script {
    #[serde(default = "anthropic")]
    format: String,
    #[serde(default)]
    pace_ms: u64,
    replies: Vec<ScriptReply>,
}

fn anthropic() -> String {
    "anthropic".into()
}

#[derive(Deserialize)]
struct ScriptReply {
    #[serde(default)]
    thinking: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    tools: Vec<ScriptTool>,
    #[serde(default)]
    error: Option<ScriptError>,
    #[serde(default, rename = "dropLast")]
    drop_last: usize,
}

#[derive(Deserialize)]
struct ScriptTool {
    id: String,
    name: String,
    input: Value,
}

#[derive(Deserialize)]
struct ScriptError {
    status: u16,
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Anthropic,
    OpenAi,
    Gemini,
}

fn reply(r: ScriptReply, format: Format) -> Reply {
    if let Some(e) = r.error {
        return match format {
            Format::OpenAi => Reply::openai_error(e.status, &e.kind, &e.kind, &e.message),
            Format::Anthropic => Reply::anthropic_error(e.status, &e.kind, &e.message),
            Format::Gemini => Reply::gemini_error(e.status, &e.kind, &e.message, None, None),
        };
    }
    let mut turn = Turn::new("fake-model");
    if let Some(t) = &r.thinking {
        turn = turn.thinking(t, "fake-signature");
    }
    if let Some(t) = &r.text {
        turn = turn.text(t);
    }
    for t in r.tools {
        turn = turn.tool_use(&t.id, &t.name, t.input);
    }
    let sse = Reply::sse(match format {
        Format::OpenAi => turn.openai(),
        Format::Anthropic => turn.pings().anthropic(),
        Format::Gemini => turn.gemini(),
    });
    if r.drop_last > 0 {
        sse.drop_last(r.drop_last)
    } else {
        sse
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: weft-fake-llm SCRIPT.json")?;
    let script: Script = serde_json::from_slice(&std::fs::read(&path)?).map_err(|e| format!("{path}: {e}"))?;
    let format = match script.format.as_str() {
        "anthropic" => Format::Anthropic,
        "openai" => Format::OpenAi,
        "gemini" => Format::Gemini,
        other => return Err(format!("format must be \"anthropic\", \"openai\" or \"gemini\", not {other:?}").into()),
    };
    let openai = format == Format::OpenAi;
    let replies = script.replies.into_iter().map(|r| reply(r, format)).collect();
    let server = FakeServer::start_paced(replies, Duration::from_millis(script.pace_ms.max(1))).await?;
    println!("{}", if openai { format!("{}/v1", server.url()) } else { server.url() });
    let log = std::env::args().nth(2);
    let mut written = 0;
    loop {
        tokio::select! {
            r = tokio::signal::ctrl_c() => return Ok(r?),
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        let requests = server.requests();
        if let (Some(log), true) = (&log, requests.len() > written) {
            let lines: String = requests.iter().map(|r| format!("{}\n", r.body)).collect();
            std::fs::write(log, lines)?;
            written = requests.len();
        }
    }
}
