//! Turns in parallel threads against one turn alone: the agent's own time per turn (the
//! turn's wall time less the model's, measured on the same fake server through weft-llm
//! directly) with 1, 2 and 4 turns at once. Goal (issue #26): with 2 and 4 at once, the
//! agent's overhead per turn within 1.2× of a single turn's.
//!
//!   cargo bench -p weft-api --bench agent_parallel -- [ROUNDS]
//!
//! The model is the scripted local server speaking Anthropic's wire format, streaming one
//! answer in small pieces with a 2 ms pause between them (a model's pace, compressed).
//! Each turn is a new thread (threads run at once; one thread runs one turn at a time), so
//! each also saves its thread file. Prints figures and ratios; asserts nothing about time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use weft_api::{Api, AppPaths, Shell, Stream, StreamFrame};
use weft_llm::fake::{FakeServer, Reply, Turn};

const SERVE: Shell = Shell { name: "serve", unsupported: &[] };
const ANSWER: &str = "The function adds its two arguments and returns the sum; nothing else happens in it. ";

fn reply() -> Reply {
    Reply::sse(Turn::new("claude-test").text(&ANSWER.repeat(4)).anthropic())
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// One turn in a new thread, from agentSend to its `done` frame.
async fn turn(api: &Api, n: usize) -> Duration {
    let done = Arc::new((Mutex::new(None::<Value>), tokio::sync::Notify::new()));
    let d = done.clone();
    let stream = Stream::new(format!("bench-{n}"), move |frame| {
        if let StreamFrame::Json(v) = frame {
            if v["type"] == "done" {
                *d.0.lock().expect("lock") = Some(v);
                d.1.notify_one();
            }
        }
        true
    });
    let t = Instant::now();
    api.call(json!({"method": "agentSend", "params": {"thread": format!("bench-{n}"), "prompt": "what does add do?"}}), Some(stream)).await.expect("send");
    loop {
        if let Some(v) = done.0.lock().expect("lock").take() {
            assert_eq!(v["end"], "done", "{v}");
            return t.elapsed();
        }
        done.1.notified().await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(24);
    let pace = Duration::from_millis(2);
    // One answer per request: the model's own rounds, then every round of 1, 2 and 4 turns.
    let requests = rounds + rounds * (1 + 2 + 4);
    let server = FakeServer::start_paced((0..requests).map(|_| reply()).collect(), pace).await.expect("fake");

    // The model's own time: the same answer streamed through weft-llm with no agent around it.
    let client = {
        let mut c = weft_llm::Client::new(weft_llm::RetryPolicy::default());
        c.add(weft_llm::ProviderConfig::new("anthropic", weft_llm::ProviderKind::Anthropic, server.url()).with_key(Some(weft_llm::ApiKey::new("sk-bench"))).build().expect("provider"));
        c
    };
    let route = vec![weft_llm::ModelRef::new("anthropic", "claude-test")];
    let req = weft_llm::Request { messages: vec![weft_llm::Message::user("what does add do?")], max_tokens: 1000, ..Default::default() };
    let mut model: Vec<f64> = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        client.stream(&route, &req, &mut |_| {}).await.expect("stream");
        model.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let model_ms = pct(&mut model, 0.5);

    let ws = tempfile::tempdir().expect("tmp");
    std::fs::write(ws.path().join("add.rs"), "pub fn add(a: u32, b: u32) -> u32 { a + b }\n").expect("file");
    let app = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(app.path().join("config")).expect("config");
    let settings = json!({"agentBaseUrls": {"anthropic": server.url()}, "agentModel": "anthropic:claude-test", "checkpointAuto": false, "agentRepoMapTokens": 0});
    std::fs::write(app.path().join("config/settings.json"), settings.to_string()).expect("settings");
    let api = Api::new(SERVE, AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") });
    api.open_workspace(ws.path()).expect("open");
    api.call(json!({"method": "agentSetKey", "params": {"provider": "anthropic", "key": "sk-bench"}}), None).await.expect("key");

    let mut next = 0usize;
    println!("agent turns in parallel threads, {rounds} rounds; the model streams for {model_ms:.1} ms (p50, through weft-llm alone)");
    println!("{:>10} {:>14} {:>14} {:>16} {:>8}", "at once", "turn p50 ms", "turn p99 ms", "overhead p50 ms", "ratio");
    let mut single = 0.0;
    for at_once in [1usize, 2, 4] {
        let mut times: Vec<f64> = Vec::new();
        for _ in 0..rounds {
            let ids: Vec<usize> = (0..at_once).map(|_| {
                next += 1;
                next
            }).collect();
            let all = futures_util::future::join_all(ids.iter().map(|&n| turn(&api, n))).await;
            times.extend(all.into_iter().map(|d| d.as_secs_f64() * 1e3));
        }
        let (p50, p99) = (pct(&mut times, 0.5), pct(&mut times, 0.99));
        let overhead = p50 - model_ms;
        if at_once == 1 {
            single = overhead;
        }
        let ratio = if single > 0.0 { overhead / single } else { f64::NAN };
        println!("{at_once:>10} {p50:>14.1} {p99:>14.1} {overhead:>16.1} {ratio:>7.2}×");
    }
    println!("(goal: with 2 and 4 at once, the overhead per turn within 1.2× of one turn's)");
}
