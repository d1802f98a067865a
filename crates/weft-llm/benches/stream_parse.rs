//! Reading a recorded Anthropic stream, against the official `anthropic` Python SDK reading
//! the same bytes from the same local server in the same run. Both sides make the HTTP
//! request, decode the server-sent events and assemble the final message (text, thinking,
//! tool input from its JSON fragments, usage). Prints medians and the ratio; asserts nothing.
//!
//!   cargo bench -p weft-llm --bench stream_parse -- [KB_OF_TEXT] [RUNS]
//!
//! The peer needs `python3 -c 'import anthropic'` (pip install anthropic), or
//! WEFT_BENCH_PYTHON pointing at a Python that has it.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use weft_llm::fake::{FakeServer, Reply, Turn};
use weft_llm::{Client, Message, ModelRef, ProviderConfig, ProviderKind, Request, RetryPolicy};

const PEER: &str = r#"
import sys, time, anthropic
url, runs = sys.argv[1], int(sys.argv[2])
c = anthropic.Anthropic(base_url=url, api_key="bench", max_retries=0)
for _ in range(runs):
    t = time.perf_counter()
    with c.messages.stream(model="bench", max_tokens=64000, messages=[{"role": "user", "content": "go"}]) as s:
        events = sum(1 for _ in s)
        m = s.get_final_message()
    dt = time.perf_counter() - t
    text = sum(len(b.text) for b in m.content if b.type == "text")
    print(f"{dt:.6f} {events} {text}", flush=True)
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let kb: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(128);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);

    // A long answer as a model streams it: a few characters per delta, thinking first, and
    // a tool call whose input arrives in fragments.
    let words = ["the ", "agent ", "reads ", "the ", "code, ", "edits ", "it ", "and ", "runs ", "tests; ", "ünïcödé ", "✓ ", "\n"];
    let mut text = String::new();
    let mut i = 0;
    while text.len() < kb * 1024 {
        text.push_str(words[i % words.len()]);
        i += 1;
    }
    let input = json!({"path": "src/lib.rs", "old_string": "x".repeat(20_000), "new_string": "y".repeat(20_000)});
    let thinking: String = text.chars().take(text.chars().count() / 8).collect();
    let turn = Turn::new("bench").thinking(&thinking, "sig").text(&text).tool_use("tu_1", "edit_file", input).pings();
    let events = turn.anthropic();
    let body: String = events.concat();
    let reply = || Reply::Stream { pieces: vec![body.clone().into_bytes()], cut: false, content_type: "text/event-stream" };

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let python = std::env::var("WEFT_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    println!("recorded stream: {:.1} MB, {} events ({} KB of text)", body.len() as f64 / 1e6, events.len(), kb);

    let (ours, theirs) = rt.block_on(async {
        let server = FakeServer::start_paced((0..runs + 1).map(|_| reply()).collect(), Duration::ZERO).await.expect("server");
        let mut client = Client::new(RetryPolicy { max_retries: 0, ..RetryPolicy::default() });
        client.add(ProviderConfig::new("anthropic", ProviderKind::Anthropic, server.url()).build().expect("provider"));
        let route = [ModelRef::new("anthropic", "bench")];
        let req = Request { messages: vec![Message::user("go")], max_tokens: 64000, ..Request::default() };
        let mut ours = Vec::new();
        for run in 0..=runs {
            let mut n = 0usize;
            let t = Instant::now();
            let resp = client.stream(&route, &req, &mut |_| n += 1).await.expect("stream");
            let dt = t.elapsed().as_secs_f64();
            assert_eq!(resp.message.text().len(), text.len(), "the whole text arrived");
            if run > 0 {
                ours.push(dt);
            }
        }

        let peer = FakeServer::start_paced((0..runs + 1).map(|_| reply()).collect(), Duration::ZERO).await.expect("server");
        let url = peer.url();
        let py = python.clone();
        let out = tokio::task::spawn_blocking(move || Command::new(&py).args(["-c", PEER, &url, &(runs + 1).to_string()]).output()).await.expect("join");
        let theirs: Option<Vec<f64>> = match out {
            Ok(o) if o.status.success() => {
                let lines: Vec<Vec<String>> = String::from_utf8_lossy(&o.stdout).lines().map(|l| l.split(' ').map(String::from).collect()).collect();
                if let Some(l) = lines.first() {
                    let chars: usize = l[2].parse().unwrap_or(0);
                    println!("anthropic SDK: {} events per run, {} characters of text (ours: {})", l[1], chars, text.chars().count());
                }
                Some(lines.iter().skip(1).filter_map(|l| l[0].parse().ok()).collect())
            }
            Ok(o) => {
                println!("peer skipped: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("python failed"));
                None
            }
            Err(e) => {
                println!("peer skipped: {python}: {e}");
                None
            }
        };
        (ours, theirs)
    });

    let mb = body.len() as f64 / 1e6;
    let o = median(ours);
    println!("weft-llm       {:>8.1} ms  {:>7.1} MB/s", o * 1e3, mb / o);
    if let Some(t) = theirs.filter(|t| !t.is_empty()) {
        let t = median(t);
        println!("anthropic SDK  {:>8.1} ms  {:>7.1} MB/s", t * 1e3, mb / t);
        println!("ratio (time, weft / SDK): {:.2}x", o / t);
    }
}
