//! The agent's own cost per tool round trip: everything but the model's time. A turn of N
//! tool calls runs against a local fake server; the same N+1 replies are then fetched with
//! bare requests (the model's share: HTTP and stream parsing). The difference, per round
//! trip, is the agent: permission checks, running the tool, building the next request with
//! the whole conversation. Prints medians; asserts nothing.
//!
//!   cargo bench -p weft-agent --bench round_trip -- [STEPS] [RUNS]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;
use weft_agent::{Agent, AgentConfig, Approval, ApprovalRequest, Approver, Policy, Thread, Toolbox, TurnEnd};
use weft_llm::fake::{FakeServer, Reply, Turn};
use weft_llm::{BoxFuture, Client, Message, ModelRef, ProviderConfig, ProviderKind, Request, RetryPolicy};

struct No;
impl Approver for No {
    fn approve<'a>(&'a self, _: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        Box::pin(async { Approval::Deny })
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn script(steps: usize, tool: &str, input: impl Fn(usize) -> serde_json::Value) -> Vec<Reply> {
    let mut r: Vec<Reply> = (0..steps).map(|i| Reply::sse(Turn::new("bench").tool_use(&format!("t{i}"), tool, input(i)).anthropic())).collect();
    r.push(Reply::sse(Turn::new("bench").text("done").anthropic()));
    r
}

fn client(url: String) -> Arc<Client> {
    let mut c = Client::new(RetryPolicy { max_retries: 0, ..RetryPolicy::default() });
    c.add(ProviderConfig::new("anthropic", ProviderKind::Anthropic, url).build().expect("provider"));
    Arc::new(c)
}

async fn measure(root: &std::path::Path, steps: usize, runs: usize, tool: &str, input: impl Fn(usize) -> serde_json::Value + Copy, policy: Policy) -> (f64, f64) {
    let route = vec![ModelRef::new("anthropic", "bench")];
    let ws = Arc::new(weft_fs::Workspace::open(root).expect("workspace"));
    let (mut agent_t, mut bare_t) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let server = FakeServer::start_paced(script(steps, tool, input), Duration::ZERO).await.expect("server");
        let agent = Agent::new(client(server.url()), Arc::new(Toolbox::new(ws.clone())), None, policy.clone(), Arc::new(No), AgentConfig::new(route.clone()));
        let mut thread = Thread::default();
        let t = Instant::now();
        let out = agent.run_turn(&mut thread, "go".into(), &CancellationToken::new(), &mut |_| {}).await;
        agent_t.push(t.elapsed().as_secs_f64());
        assert_eq!(out.end, TurnEnd::Done(weft_llm::StopReason::EndTurn));

        let server = FakeServer::start_paced(script(steps, tool, input), Duration::ZERO).await.expect("server");
        let c = client(server.url());
        let req = Request { messages: vec![Message::user("go")], max_tokens: 1024, ..Request::default() };
        let t = Instant::now();
        for _ in 0..=steps {
            c.stream(&route, &req, &mut |_| {}).await.expect("bare");
        }
        bare_t.push(t.elapsed().as_secs_f64());
    }
    (median(agent_t), median(bare_t))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let steps: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(40);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().expect("tmp");
    for i in 0..steps {
        let body: String = (0..200).map(|l| format!("fn f{i}_{l}(x: u32) -> u32 {{ x + {l} }}\n")).collect();
        std::fs::write(dir.path().join(format!("f{i}.rs")), body).expect("fixture");
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        println!("{steps} tool round trips per turn, median of {runs} turns");
        let read = |i: usize| json!({"path": format!("f{i}.rs")});
        let (a, b) = measure(dir.path(), steps, runs, "read_file", read, Policy::default()).await;
        println!("read_file (8 KB)     turn {:>7.1} ms  model share {:>7.1} ms  agent per round trip {:>6.2} ms", a * 1e3, b * 1e3, (a - b) / steps as f64 * 1e3);
        let policy = Policy { allow_commands: vec!["true".into()], ..Policy::default() };
        let run = |_: usize| json!({"command": "true"});
        let (a, b) = measure(dir.path(), steps, runs, "run_command", run, policy).await;
        println!("run_command `true`   turn {:>7.1} ms  model share {:>7.1} ms  agent per round trip {:>6.2} ms (a real PTY and shell each time)", a * 1e3, b * 1e3, (a - b) / steps as f64 * 1e3);
    });
}
