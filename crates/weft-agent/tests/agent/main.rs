//! The agent end to end: a real workspace on disk, a real PTY, a real SQLite checkpoint
//! store, and a fake model server speaking Anthropic's wire format.

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use weft_agent::{Agent, AgentConfig, AgentEvent, Approval, ApprovalRequest, Approver, Policy, Thread, Toolbox, TurnEnd};
use weft_llm::fake::{FakeServer, Reply, Turn};
use weft_llm::{Block, BoxFuture, Client, Message, ModelRef, ProviderConfig, ProviderKind, RetryPolicy, Role};

mod review;

/// Answers every approval card the same way and remembers what it was asked.
struct Answer(Approval, Mutex<Vec<ApprovalRequest>>);

impl Approver for Answer {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        self.1.lock().expect("asked").push(req.clone());
        Box::pin(async move { self.0 })
    }
}

/// The home folder every command in these tests sees: a scratch folder with a marker in
/// it. A command that escapes the hard block (`rm -rf ~`, `find ~ -delete`) deletes this
/// folder, never the real one, and the marker's absence fails the test that ran it.
struct ScratchHome(tempfile::TempDir);

const MARKER: &str = "weft-test-marker";

impl ScratchHome {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(MARKER), "still here").expect("marker");
        for sub in ["config", "data", "cache", "state"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("xdg");
        }
        ScratchHome(dir)
    }

    /// HOME and every variable a program may take for it (XDG folders, Windows' profile).
    fn env(&self) -> Vec<(String, String)> {
        let p = |s: &str| self.0.path().join(s).to_string_lossy().into_owned();
        vec![
            ("HOME".into(), p("")),
            ("USERPROFILE".into(), p("")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_CACHE_HOME".into(), p("cache")),
            ("XDG_STATE_HOME".into(), p("state")),
        ]
    }

    fn toolbox(&self, ws: Arc<weft_fs::Workspace>) -> Toolbox {
        Toolbox::with_commands(ws, weft_agent::command::Commands::with_env(self.env()))
    }
}

impl Drop for ScratchHome {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(self.0.path().join(MARKER).exists(), "a command deleted the (scratch) home folder's marker");
        }
    }
}

struct Setup {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    home: ScratchHome,
    root: std::path::PathBuf,
    store: Arc<weft_store::Store>,
    agent: Agent,
    approver: Arc<Answer>,
    server: FakeServer,
}

const ADD: &str = "#!/bin/sh\n# prints the sum of two numbers\necho $(($1 - $2))\n";
const TEST: &str = "#!/bin/sh\nout=$(sh add.sh 2 3)\nif [ \"$out\" = 5 ]; then echo \"PASS add\"; else echo \"FAIL add: expected 5, got $out\"; exit 1; fi\n";

async fn setup(script: Vec<Reply>, answer: Approval, policy: Policy) -> Setup {
    let ws_dir = tempfile::tempdir().expect("tempdir");
    let data_dir = tempfile::tempdir().expect("tempdir");
    let root = ws_dir.path().canonicalize().expect("root");
    std::fs::write(root.join("add.sh"), ADD).expect("fixture");
    std::fs::write(root.join("test.sh"), TEST).expect("fixture");
    let store = Arc::new(weft_store::Store::open(&data_dir.path().join("cp.sqlite"), &root, Default::default()).expect("store"));
    let server = FakeServer::start(script).await.expect("fake");
    let mut client = Client::new(RetryPolicy { max_retries: 1, base_delay: Duration::from_millis(10), ..RetryPolicy::default() });
    client.add(ProviderConfig::new("anthropic", ProviderKind::Anthropic, server.url()).build().expect("provider"));
    let approver = Arc::new(Answer(answer, Mutex::new(vec![])));
    let ws = Arc::new(weft_fs::Workspace::open(&root).expect("workspace"));
    let home = ScratchHome::new();
    let agent = Agent::new(
        Arc::new(client),
        Arc::new(home.toolbox(ws)),
        Some(store.clone()),
        policy,
        approver.clone(),
        AgentConfig::new(vec![ModelRef::new("anthropic", "claude-test")]),
    );
    Setup { _dirs: (ws_dir, data_dir), home, root, store, agent, approver, server }
}

fn tool(id: &str, name: &str, input: Value) -> Reply {
    Reply::sse(Turn::new("claude-test").tool_use(id, name, input).anthropic())
}

fn say(text: &str) -> Reply {
    Reply::sse(Turn::new("claude-test").text(text).anthropic())
}

/// The tool results the agent sent back in request `n`.
fn results_sent(server: &FakeServer, n: usize) -> Vec<(String, bool)> {
    let body = &server.requests()[n].body;
    let last = body["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or(Value::Null);
    last["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| (b["content"].as_str().unwrap_or_default().to_owned(), b["is_error"].as_bool().unwrap_or(false)))
        .collect()
}

async fn run(s: &Setup, prompt: &str) -> (weft_agent::TurnOutcome, Vec<AgentEvent>, Thread) {
    let mut thread = Thread::default();
    let events = Arc::new(Mutex::new(vec![]));
    let ev = events.clone();
    let out = s
        .agent
        .run_turn(&mut thread, prompt.into(), &CancellationToken::new(), &mut move |e| ev.lock().expect("events").push(e))
        .await;
    let events = events.lock().expect("events").clone();
    (out, events, thread)
}

#[tokio::test]
async fn fixes_a_failing_test_reads_edits_asks_runs_and_can_be_undone() {
    let s = setup(
        vec![
            Reply::sse(Turn::new("claude-test").text("Let me look at the code.").tool_use("t1", "read_file", json!({"path": "add.sh"})).anthropic()),
            tool("t2", "edit_file", json!({"path": "add.sh", "old_string": "echo $(($1 - $2))", "new_string": "echo $(($1 + $2))"})),
            tool("t3", "run_command", json!({"command": "sh test.sh"})),
            say("Fixed: add.sh subtracted instead of adding."),
        ],
        Approval::Once,
        Policy::default(),
    )
    .await;
    // The test fails before the agent starts.
    let before = std::process::Command::new("sh").arg("test.sh").current_dir(&s.root).output().expect("sh");
    assert!(!before.status.success());

    let (out, events, thread) = run(&s, "The test in test.sh fails. Fix it.").await;
    assert_eq!(out.end, TurnEnd::Done(weft_llm::StopReason::EndTurn));

    // It read the code: the file's lines went back to the model.
    let read = &results_sent(&s.server, 1)[0];
    assert!(read.0.contains("echo $(($1 - $2))") && !read.1, "{read:?}");
    // It edited the file on disk.
    assert_eq!(std::fs::read_to_string(s.root.join("add.sh")).expect("read"), ADD.replace(" - ", " + "));
    // It asked before running the command, once, with a pattern for "always".
    let asked = s.approver.1.lock().expect("asked").clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].summary, "run `sh test.sh`");
    assert_eq!(asked[0].pattern.as_deref(), Some("sh test.sh*"));
    // It ran it (in a real PTY) and saw it pass.
    let ran = &results_sent(&s.server, 3)[0];
    assert!(ran.0.starts_with("exit code 0") && ran.0.contains("PASS add") && !ran.1, "{ran:?}");
    assert_eq!(thread.messages.last().map(|m| m.text()).as_deref(), Some("Fixed: add.sh subtracted instead of adding."));

    // A checkpoint was taken before the edit, and restoring it gives back the original bytes.
    let cp = out.checkpoint.expect("checkpoint");
    let checkpoint_at = events.iter().position(|e| *e == AgentEvent::Checkpoint { id: cp }).expect("checkpoint event");
    let edit_done = events.iter().position(|e| matches!(e, AgentEvent::ToolResult { name, .. } if name == "edit_file")).expect("edit");
    assert!(checkpoint_at < edit_done);
    assert_eq!(out.originals.get("add.sh"), Some(&Some(ADD.as_bytes().to_vec())));
    s.store.restore(cp, None).expect("restore");
    assert_eq!(std::fs::read(s.root.join("add.sh")).expect("read"), ADD.as_bytes());
}

#[tokio::test]
async fn a_declined_or_denied_command_is_not_run() {
    let s = setup(vec![tool("t1", "run_command", json!({"command": "touch ran.txt"})), say("ok")], Approval::Deny, Policy::default()).await;
    run(&s, "make a file").await;
    assert!(!s.root.join("ran.txt").exists(), "declined command did not run");
    assert!(results_sent(&s.server, 1)[0].0.contains("declined"));

    let policy = Policy { deny_commands: vec!["touch*".into()], ..Policy::default() };
    let s = setup(vec![tool("t1", "run_command", json!({"command": "touch ran.txt"})), say("ok")], Approval::Once, policy).await;
    run(&s, "make a file").await;
    assert!(!s.root.join("ran.txt").exists(), "denied command did not run");
    assert!(s.approver.1.lock().expect("asked").is_empty(), "a denied command is not even asked about");
    let (msg, is_error) = &results_sent(&s.server, 1)[0];
    assert!(msg.contains("denied by the rule \"touch*\"") && *is_error, "{msg}");

    // No rule can allow a destructive command.
    let policy = Policy { allow_commands: vec!["*".into()], ..Policy::default() };
    let s = setup(vec![tool("t1", "run_command", json!({"command": "rm -rf ~"})), say("ok")], Approval::Always, policy).await;
    run(&s, "clean up").await;
    assert!(results_sent(&s.server, 1)[0].0.contains("not allowed"));
    assert!(s.home.0.path().join(MARKER).exists(), "the blocked command did not run");
}

/// The sandbox itself: a command that does reach the home folder reaches the scratch one
/// (so the block test above would fail, not delete the real home, if the block broke).
#[tokio::test]
async fn commands_see_the_scratch_home() {
    let policy = Policy { allow_commands: vec!["*".into()], ..Policy::default() };
    let s = setup(vec![tool("t1", "run_command", json!({"command": "echo \"home=$HOME\"; touch ~/touched"})), say("ok")], Approval::Always, policy).await;
    run(&s, "where is home").await;
    let (out, _) = &results_sent(&s.server, 1)[0];
    assert!(out.contains(&format!("home={}", s.home.0.path().display())), "{out}");
    assert!(s.home.0.path().join("touched").exists());
}

#[tokio::test]
async fn always_allows_the_pattern_for_the_rest_of_the_thread() {
    let s = setup(
        vec![tool("t1", "run_command", json!({"command": "ls -a"})), tool("t2", "run_command", json!({"command": "ls -l"})), say("ok")],
        Approval::Always,
        Policy::default(),
    )
    .await;
    run(&s, "echo twice").await;
    assert_eq!(s.approver.1.lock().expect("asked").len(), 1, "asked once, then allowed by the new rule");
    assert_eq!(s.agent.policy().allow_commands, ["ls*"]);
    assert!(results_sent(&s.server, 2)[0].0.contains("test.sh"), "the second command ran");
}

#[tokio::test]
async fn paths_outside_the_workspace_are_refused() {
    let s = setup(
        vec![
            tool("t1", "write_file", json!({"path": "../outside.txt", "content": "x"})),
            tool("t2", "read_file", json!({"path": "/etc/passwd"})),
            say("ok"),
        ],
        Approval::Once,
        Policy::default(),
    )
    .await;
    run(&s, "escape").await;
    let parent = s.root.parent().expect("parent");
    assert!(!parent.join("outside.txt").exists());
    let (w, w_err) = &results_sent(&s.server, 1)[0];
    let (r, r_err) = &results_sent(&s.server, 2)[0];
    assert!(*w_err && *r_err, "{w} / {r}");
    assert!(!r.contains("root:"), "nothing of /etc/passwd was read");
}

#[tokio::test]
async fn stop_kills_the_running_command_and_keeps_the_thread_valid() {
    let policy = Policy { allow_commands: vec!["*".into()], ..Policy::default() };
    // The command says who it is (the shell and its child) and then waits on the child.
    let cmd = "sleep 30 & echo $! > sleep.pid; echo $$ > sh.pid; wait; touch late.txt";
    let s = setup(vec![tool("t1", "run_command", json!({"command": cmd})), say("never")], Approval::Once, policy).await;
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    let root = s.root.clone();
    let mut thread = Thread::default();
    let out = s
        .agent
        .run_turn(&mut thread, "wait".into(), &cancel, &mut move |e| {
            if matches!(e, AgentEvent::ToolCall { .. }) {
                let (stopper, root) = (stopper.clone(), root.clone());
                // Stop once the command is running (both pids written), not after a guess.
                tokio::spawn(async move {
                    while !(root.join("sh.pid").exists() && root.join("sleep.pid").exists()) {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    stopper.cancel();
                });
            }
        })
        .await;
    assert_eq!(out.end, TurnEnd::Stopped);
    // The shell and its child both die with the stop (no clock: each process is watched
    // until it is gone), so the file the shell would make after its child is never made.
    let alive = |name: &str| {
        let pid = std::fs::read_to_string(s.root.join(name)).expect("pid").trim().to_owned();
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|st| !st.split(") ").nth(1).is_some_and(|rest| rest.starts_with('Z')))
    };
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while alive("sh.pid") || alive("sleep.pid") {
        assert!(std::time::Instant::now() < end, "the command (or its child) outlived the stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!s.root.join("late.txt").exists(), "the command went on after the stop");
    // The call has its result, so the next turn can go on.
    let last = thread.messages.last().expect("results");
    assert_eq!(last.role, Role::User);
    assert!(matches!(&last.content[0], Block::ToolResult { content, is_error: true, .. } if content.contains("stopped by the user")));
    assert_eq!(s.server.requests().len(), 1, "no model call after the stop");
}

#[tokio::test]
async fn stop_mid_stream_returns_at_once_and_leaves_files_whole() {
    let long = "word ".repeat(400);
    let mut turn = Turn::new("claude-test").text(&long);
    turn.piece = 5;
    let s = setup(vec![], Approval::Once, Policy::default()).await;
    // A slow stream: one piece every 20 ms, about 8 s in all.
    let slow = FakeServer::start_paced(vec![Reply::sse(turn.anthropic())], Duration::from_millis(20)).await.expect("fake");
    let mut client = Client::new(RetryPolicy::default());
    client.add(ProviderConfig::new("anthropic", ProviderKind::Anthropic, slow.url()).build().expect("provider"));
    let agent = Agent::new(
        Arc::new(client),
        Arc::new(s.home.toolbox(Arc::new(weft_fs::Workspace::open(&s.root).expect("ws")))),
        Some(s.store.clone()),
        Policy::default(),
        s.approver.clone(),
        AgentConfig::new(vec![ModelRef::new("anthropic", "claude-test")]),
    );
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    let texts = Arc::new(Mutex::new(0));
    let t = texts.clone();
    let mut thread = Thread::default();
    let out = agent
        .run_turn(&mut thread, "talk".into(), &cancel, &mut move |e| {
            if matches!(e, AgentEvent::Llm(weft_llm::Event::Text { .. })) {
                *t.lock().expect("n") += 1;
                stopper.cancel();
            }
        })
        .await;
    assert_eq!(out.end, TurnEnd::Stopped);
    // Stopped mid-stream (no clock: far fewer pieces than the stream holds were read).
    assert!(*texts.lock().expect("n") < 50, "the stream was read to its end");
    assert_eq!(std::fs::read_to_string(s.root.join("add.sh")).expect("read"), ADD);
    assert_eq!(std::fs::read_to_string(s.root.join("test.sh")).expect("read"), TEST);
}

/// Two agents (two threads' toolboxes) editing one file at once: every edit lands. Each
/// edit reads the file, changes it and writes it whole; without one-at-a-time per file the
/// later write drops the earlier's change (this test lost edits before the lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_of_one_file_by_two_agents_all_land() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 120;
    let text: String = (0..n).map(|k| format!("line {k:03}\n")).collect();
    std::fs::write(dir.path().join("shared.txt"), &text).expect("write");
    let home = ScratchHome::new();
    let boxes = [0, 1].map(|_| Arc::new(home.toolbox(Arc::new(weft_fs::Workspace::open(dir.path()).expect("ws")))));
    let tasks: Vec<_> = (0..n)
        .map(|k| {
            let tb = boxes[k % 2].clone();
            tokio::spawn(async move {
                let edit = json!({"path": "shared.txt", "old_string": format!("line {k:03}\n"), "new_string": format!("LINE {k:03}\n")});
                tb.run("edit_file", &edit, &CancellationToken::new()).await
            })
        })
        .collect();
    for t in tasks {
        let o = t.await.expect("join");
        assert!(!o.is_error, "{o:?}");
    }
    let after = std::fs::read_to_string(dir.path().join("shared.txt")).expect("read");
    let lost: Vec<&str> = after.lines().filter(|l| l.starts_with("line")).collect();
    assert!(lost.is_empty(), "{} edits were written over: {lost:?}", lost.len());
}

#[tokio::test]
async fn edit_file_needs_exactly_one_match_and_keeps_crlf() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.txt"), "x = 1\r\ny = 1\r\nx = 1\r\n").expect("write");
    let home = ScratchHome::new();
    let tb = home.toolbox(Arc::new(weft_fs::Workspace::open(dir.path()).expect("ws")));
    let c = CancellationToken::new();
    let twice = tb.run("edit_file", &json!({"path": "a.txt", "old_string": "x = 1", "new_string": "x = 2"}), &c).await;
    assert!(twice.is_error && twice.content.contains("occurs 2 times"), "{twice:?}");
    let missing = tb.run("edit_file", &json!({"path": "a.txt", "old_string": "z", "new_string": "q"}), &c).await;
    assert!(missing.is_error && missing.content.contains("not found"));
    let ok = tb.run("edit_file", &json!({"path": "a.txt", "old_string": "y = 1\nx = 1", "new_string": "y = 2\nx = 3"}), &c).await;
    assert!(!ok.is_error, "{ok:?}");
    assert_eq!(std::fs::read(dir.path().join("a.txt")).expect("read"), b"x = 1\r\ny = 2\r\nx = 3\r\n");
    let bad = tb.run("read_file", &json!({}), &c).await;
    assert!(bad.is_error && bad.content.contains("\"path\""), "{bad:?}");
}

#[tokio::test]
async fn a_failed_request_after_an_edit_keeps_the_checkpoint_and_the_review() {
    let s = setup(
        vec![
            tool("t1", "edit_file", json!({"path": "add.sh", "old_string": "$1 - $2", "new_string": "$1 + $2"})),
            Reply::anthropic_error(401, "authentication_error", "invalid x-api-key"),
        ],
        Approval::Deny,
        Policy::default(),
    )
    .await;
    let (out, _, thread) = run(&s, "fix add.sh").await;
    match &out.end {
        TurnEnd::Failed { code, message } => {
            assert_eq!(*code, "llm_auth");
            assert!(message.contains("invalid x-api-key"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // The edit happened before the failure: it is checkpointed and up for review.
    assert!(out.checkpoint.is_some());
    assert_eq!(out.originals.get("add.sh"), Some(&Some(ADD.as_bytes().to_vec())));
    // The thread keeps what the turn did, ending with the unanswered tool results.
    assert_eq!(thread.messages.last().map(|m| m.role), Some(Role::User));
}

#[tokio::test]
async fn mentions_and_the_repo_map_reach_the_model() {
    let mut s = setup(vec![say("It doubles.")], Approval::Deny, Policy::default()).await;
    std::fs::create_dir_all(s.root.join("src")).expect("dir");
    std::fs::write(s.root.join("src/math.rs"), "/// Twice x.\npub fn double(x: u32) -> u32 {\n    x * 2\n}\n\npub fn other() {}\n").expect("write");
    s.agent.config.repo_map_tokens = 512;
    let prompt = weft_agent::Prompt {
        text: "what does double do?".into(),
        mentions: vec![
            weft_agent::Mention::File { path: "add.sh".into(), start_line: Some(2), end_line: Some(3) },
            weft_agent::Mention::Symbol { name: "double".into() },
            weft_agent::Mention::Text { label: "selection in test.sh:1".into(), text: "out=$(sh add.sh 2 3)".into() },
            weft_agent::Mention::File { path: "../outside.txt".into(), start_line: None, end_line: None },
        ],
        images: vec![],
    };
    let mut thread = Thread::default();
    let out = s.agent.run_turn(&mut thread, prompt, &CancellationToken::new(), &mut |_| {}).await;
    assert_eq!(out.end, TurnEnd::Done(weft_llm::StopReason::EndTurn));
    let body = &s.server.requests()[0].body;
    // The repo map is in the system prompt, ranked towards the mentioned files.
    let system = body["system"][0]["text"].as_str().expect("system");
    assert!(system.contains("src/math.rs") && system.contains("double"), "{system}");
    // The system and the shell its commands run in.
    let os = if cfg!(target_os = "linux") { "Linux" } else if cfg!(windows) { "Windows" } else { "macOS" };
    assert!(system.contains(&format!("The user's system is {os}.")), "{system}");
    assert!(system.contains(if cfg!(windows) { "cmd.exe /C" } else { "/bin/sh -c" }), "{system}");
    let content = &body["messages"][0]["content"];
    let ctx = content[0]["text"].as_str().expect("context block");
    assert!(ctx.starts_with(weft_agent::context::CONTEXT_OPEN), "{ctx}");
    assert!(ctx.contains("<item label=\"add.sh:2-3\">\n# prints the sum of two numbers\necho $(($1 - $2))\n</item>"), "{ctx}");
    assert!(ctx.contains("src/math.rs:2\npub fn double(x: u32) -> u32 {\n    x * 2\n}"), "{ctx}");
    assert!(!ctx.contains("other()"), "only the mentioned definition: {ctx}");
    assert!(ctx.contains("<item label=\"selection in test.sh:1\">\nout=$(sh add.sh 2 3)\n</item>"), "{ctx}");
    assert!(ctx.contains("(could not read ../outside.txt"), "a path outside the workspace is refused: {ctx}");
    assert_eq!(content[1]["text"], "what does double do?");
}

#[tokio::test]
async fn a_thread_over_its_window_share_has_its_older_turns_summarised() {
    let mut s = setup(vec![say("- The user asked to read big files; nothing changed."), say("Carrying on.")], Approval::Deny, Policy::default()).await;
    s.agent.config.context_tokens = 4000;
    let mut thread = Thread::default();
    for i in 0..3 {
        thread.messages.push(Message::user(format!("read big file {i}")));
        thread.messages.push(Message { role: Role::Assistant, content: vec![Block::text("x".repeat(4000))] });
    }
    let events = Arc::new(Mutex::new(vec![]));
    let ev = events.clone();
    let out = s.agent.run_turn(&mut thread, "and now?".into(), &CancellationToken::new(), &mut move |e| ev.lock().expect("events").push(e)).await;
    assert_eq!(out.end, TurnEnd::Done(weft_llm::StopReason::EndTurn));
    let reqs = s.server.requests();
    // First the summary of the older turns, then the turn itself on the shorter thread.
    assert_eq!(reqs[0].body["system"][0]["text"].as_str().unwrap_or(reqs[0].body["system"].as_str().unwrap_or_default()), weft_agent::context::SUMMARY_SYSTEM);
    assert!(reqs[0].body["messages"][0]["content"][0]["text"].as_str().expect("transcript").contains("USER: read big file 0"));
    let sent = reqs[1].body["messages"].as_array().expect("messages");
    let first = sent[0]["content"][0]["text"].as_str().expect("summary");
    assert!(first.starts_with(weft_agent::context::SUMMARY_PREFIX) && first.contains("nothing changed"), "{first}");
    assert_eq!(sent.last().expect("prompt")["content"][0]["text"], "and now?");
    assert!(sent.len() < 7, "older turns are gone: {}", sent.len());
    let split = out.compacted.expect("compacted");
    assert_eq!(thread.messages.len(), 7 - split + 2 + 1);
    assert_eq!(out.messages_before, thread.messages.len() - 2, "the turn starts at its prompt");
    let events = events.lock().expect("events");
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Compacted { summarised, .. } if *summarised == split)));
    // The summary's tokens count towards the turn.
    assert_eq!(out.usage.output_tokens, 10);
}

/// Books that allow `allow` requests, then call the next one over the cap; alerts after
/// the first response. Records which task and model each request was for.
struct Books {
    allow: usize,
    seen: Mutex<Vec<(String, String)>>,
    recorded: Mutex<Vec<(String, String)>>,
}

impl weft_agent::Spending for Books {
    fn before(&self, task: &str, model: &ModelRef, input_tokens: u64, _max: u32) -> Option<String> {
        assert!(input_tokens > 0);
        let mut seen = self.seen.lock().expect("seen");
        seen.push((task.to_owned(), model.to_string()));
        (seen.len() > self.allow).then(|| "today's spending is $4.99 of its $5.00 cap".to_owned())
    }
    fn after(&self, task: &str, resp: &weft_llm::Response) -> Vec<String> {
        let mut r = self.recorded.lock().expect("recorded");
        r.push((task.to_owned(), resp.model.clone()));
        if r.len() == 1 { vec!["80% of today's budget used".into()] } else { vec![] }
    }
}

#[tokio::test]
async fn a_hard_cap_stops_the_agent_before_the_request_and_asks() {
    let books = Arc::new(Books { allow: 1, seen: Mutex::default(), recorded: Mutex::default() });
    let s = setup(vec![tool("t1", "read_file", json!({"path": "add.sh"})), say("never sent")], Approval::Deny, Policy::default()).await;
    let agent = s.agent.with_spending(books.clone());
    let events = Arc::new(Mutex::new(vec![]));
    let ev = events.clone();
    let mut thread = Thread::default();
    let out = agent.run_turn(&mut thread, "read it".into(), &CancellationToken::new(), &mut move |e| ev.lock().expect("events").push(e)).await;
    assert_eq!(out.end, TurnEnd::OverBudget { reason: "today's spending is $4.99 of its $5.00 cap".into() });
    // The second request was never sent: the user was asked, and said no.
    assert_eq!(s.server.requests().len(), 1);
    let asked = s.approver.1.lock().expect("asked").clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].tool, "budget");
    assert!(asked[0].summary.contains("$5.00 cap"));
    // The alert after the first response came through once.
    let alerts: Vec<String> = events.lock().expect("events").iter().filter_map(|e| match e { AgentEvent::BudgetAlert { message } => Some(message.clone()), _ => None }).collect();
    assert_eq!(alerts, ["80% of today's budget used"]);
    assert_eq!(*books.recorded.lock().expect("recorded"), [("agent".to_owned(), "claude-test".to_owned())]);

    // Said yes: the turn goes past the cap.
    let books = Arc::new(Books { allow: 0, seen: Mutex::default(), recorded: Mutex::default() });
    let s = setup(vec![say("fine")], Approval::Once, Policy::default()).await;
    let agent = s.agent.with_spending(books.clone());
    let out = agent.run_turn(&mut Thread::default(), "hi".into(), &CancellationToken::new(), &mut |_| {}).await;
    assert_eq!(out.end, TurnEnd::Done(weft_llm::StopReason::EndTurn));
    assert_eq!(s.server.requests().len(), 1);
}

#[tokio::test]
async fn summaries_go_to_their_own_route_and_fall_back_after_a_retryable_failure() {
    let books = Arc::new(Books { allow: 100, seen: Mutex::default(), recorded: Mutex::default() });
    let mut s = setup(
        vec![Reply::anthropic_error(529, "overloaded_error", "Overloaded"), Reply::anthropic_error(529, "overloaded_error", "Overloaded"), Reply::sse(Turn::new("cheap-fallback").text("- summary").anthropic()), say("ok")],
        Approval::Deny,
        Policy::default(),
    )
    .await;
    s.agent.config.context_tokens = 3000;
    s.agent.config.summary_route = vec![ModelRef::new("anthropic", "cheap-model"), ModelRef::new("anthropic", "cheap-fallback")];
    let agent = s.agent.with_spending(books.clone());
    let mut thread = Thread::default();
    for i in 0..2 {
        thread.messages.push(Message::user(format!("q{i}")));
        thread.messages.push(Message { role: Role::Assistant, content: vec![Block::text("y".repeat(4000))] });
    }
    let out = agent.run_turn(&mut thread, "next".into(), &CancellationToken::new(), &mut |_| {}).await;
    assert_eq!(out.end, TurnEnd::Done(weft_llm::StopReason::EndTurn));
    let models: Vec<String> = s.server.requests().iter().map(|r| r.body["model"].as_str().unwrap_or_default().to_owned()).collect();
    // The cheap model was overloaded (retried once), then its fallback summarised; the turn
    // itself went to the agent's model.
    assert_eq!(models, ["cheap-model", "cheap-model", "cheap-fallback", "claude-test"]);
    let seen = books.seen.lock().expect("seen").clone();
    assert_eq!(seen, [("summary".to_owned(), "anthropic:cheap-model".to_owned()), ("agent".to_owned(), "anthropic:claude-test".to_owned())]);
    let recorded = books.recorded.lock().expect("recorded").clone();
    assert_eq!(recorded, [("summary".to_owned(), "cheap-fallback".to_owned()), ("agent".to_owned(), "claude-test".to_owned())]);
}

/// `git status*` allowed (what *Always allow* offered after `git status`): a line that
/// chains another command to it is asked about, and declined, nothing of it runs.
#[tokio::test]
async fn an_allowed_command_does_not_carry_a_chained_one() {
    for line in ["git status; touch pwned", "git status && touch pwned", "git status\ntouch pwned", "git status $(touch pwned)"] {
        let policy = Policy { allow_commands: vec!["git status*".into()], ..Policy::default() };
        let s = setup(vec![tool("t1", "run_command", json!({ "command": line })), say("ok")], Approval::Deny, policy).await;
        run(&s, "check").await;
        assert_eq!(s.approver.1.lock().expect("asked").len(), 1, "{line:?} was asked about");
        assert!(!s.root.join("pwned").exists(), "{line:?} ran unasked");
    }
}

/// The hard block reads the command as the shell will: a quoted home, a `-c` string and
/// `find -delete` are blocked like `rm -rf ~`, with everything allowed.
#[tokio::test]
async fn the_hard_block_sees_through_quoting_and_nested_shells() {
    for line in ["rm -rf \"$HOME\"", "bash -c 'rm -rf ~'", "find ~ -delete", "sh -c \"cd / && rm -rf $HOME/\""] {
        let policy = Policy { allow_commands: vec!["*".into()], ..Policy::default() };
        let s = setup(vec![tool("t1", "run_command", json!({ "command": line })), say("ok")], Approval::Always, policy).await;
        run(&s, "clean up").await;
        assert!(results_sent(&s.server, 1)[0].0.contains("not allowed"), "{line:?} was not blocked");
        assert!(s.home.0.path().join(MARKER).exists(), "{line:?} reached the (scratch) home");
    }
}

/// Writing under .git (a hook runs code at the next commit) asks even though edits are
/// allowed, and *Always* does not make it allowed for good.
#[tokio::test]
async fn writes_into_the_git_folder_are_asked_every_time() {
    let hook = json!({"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\ntouch pwned\n"});
    let s = setup(vec![tool("t1", "write_file", hook.clone()), tool("t2", "write_file", hook), say("ok")], Approval::Always, Policy::default()).await;
    run(&s, "set up hooks").await;
    assert_eq!(s.approver.1.lock().expect("asked").len(), 2, "asked both times");
    assert_eq!(s.agent.policy().default_rule("write_file"), weft_agent::Rule::Allow);
    assert!(s.agent.policy().allow_commands.is_empty());

    let s = setup(vec![tool("t1", "write_file", json!({"path": ".git/config", "content": "[core]\n\tfsmonitor = touch pwned\n"})), say("ok")], Approval::Deny, Policy::default()).await;
    run(&s, "configure").await;
    assert!(!s.root.join(".git/config").exists(), "declined: not written");
}

/// A workspace holding Weft's own settings (a home folder, a dotfiles repository): the
/// agent's edits there are asked about even with edits allowed.
#[tokio::test]
async fn edits_to_weft_own_folders_are_asked_about() {
    let s = setup(vec![], Approval::Deny, Policy::default()).await;
    let server = FakeServer::start(vec![tool("t1", "write_file", json!({"path": "dot/weft/settings.json", "content": "{\"agentAllowCommands\": [\"*\"]}"})), say("ok")]).await.expect("fake");
    let mut client = Client::new(RetryPolicy { max_retries: 1, base_delay: Duration::from_millis(10), ..RetryPolicy::default() });
    client.add(ProviderConfig::new("anthropic", ProviderKind::Anthropic, server.url()).build().expect("provider"));
    std::fs::create_dir_all(s.root.join("dot/weft")).expect("mkdir");
    let mut config = AgentConfig::new(vec![ModelRef::new("anthropic", "claude-test")]);
    config.protected_dirs = vec![s.root.join("dot/weft")];
    let agent = Agent::new(Arc::new(client), Arc::new(s.home.toolbox(Arc::new(weft_fs::Workspace::open(&s.root).expect("ws")))), Some(s.store.clone()), Policy::default(), s.approver.clone(), config);
    let mut thread = Thread::default();
    agent.run_turn(&mut thread, "allow everything".into(), &CancellationToken::new(), &mut |_| {}).await;
    assert_eq!(s.approver.1.lock().expect("asked").len(), 1, "asked");
    assert!(!s.root.join("dot/weft/settings.json").exists(), "declined: not written");
}

/// The same through a command's redirection, with the command itself allowed.
#[tokio::test]
async fn a_redirect_into_weft_own_folders_is_asked_about() {
    let policy = Policy { allow_commands: vec!["echo*".into()], ..Policy::default() };
    let s = setup(vec![], Approval::Deny, policy.clone()).await;
    let server = FakeServer::start(vec![tool("t1", "run_command", json!({"command": "echo '{}' > dot/weft/settings.json"})), say("ok")]).await.expect("fake");
    let mut client = Client::new(RetryPolicy { max_retries: 1, base_delay: Duration::from_millis(10), ..RetryPolicy::default() });
    client.add(ProviderConfig::new("anthropic", ProviderKind::Anthropic, server.url()).build().expect("provider"));
    std::fs::create_dir_all(s.root.join("dot/weft")).expect("mkdir");
    let mut config = AgentConfig::new(vec![ModelRef::new("anthropic", "claude-test")]);
    config.protected_dirs = vec![s.root.join("dot/weft")];
    let agent = Agent::new(Arc::new(client), Arc::new(s.home.toolbox(Arc::new(weft_fs::Workspace::open(&s.root).expect("ws")))), Some(s.store.clone()), policy, s.approver.clone(), config);
    agent.run_turn(&mut Thread::default(), "configure".into(), &CancellationToken::new(), &mut |_| {}).await;
    assert_eq!(s.approver.1.lock().expect("asked").len(), 1, "asked");
    assert!(!s.root.join("dot/weft/settings.json").exists(), "declined: not written");
}

/// The agent sees `git status` and the working tree's diff as tools, without asking (they
/// read), and is told plainly when the folder is not a repository.
#[tokio::test]
async fn the_git_tools_show_status_and_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let home = ScratchHome::new();
    let tb = home.toolbox(Arc::new(weft_fs::Workspace::open(d).expect("ws")));
    let c = CancellationToken::new();
    let none = tb.run("git_status", &json!({}), &c).await;
    assert!(none.is_error && none.content.contains("not in a git repository"), "{none:?}");
    let git = |args: &[&str]| assert!(std::process::Command::new("git").args(args).current_dir(d).status().expect("git").success());
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(d.join("a.txt"), "one\n").expect("write");
    git(&["add", "a.txt"]);
    git(&["-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", "first"]);
    std::fs::write(d.join("a.txt"), "one\ntwo\n").expect("write");
    std::fs::write(d.join("new.txt"), "new\n").expect("write");
    let st = tb.run("git_status", &json!({}), &c).await;
    assert!(!st.is_error, "{st:?}");
    assert!(st.content.contains("branch: main") && st.content.contains("a.txt: unstaged modified") && st.content.contains("new.txt: untracked"), "{}", st.content);
    let diff = tb.run("git_diff", &json!({}), &c).await;
    assert!(diff.content.contains("+two"), "{}", diff.content);
    let staged = tb.run("git_diff", &json!({"staged": true}), &c).await;
    assert_eq!(staged.content, "no differences");
    let outside = tb.run("git_diff", &json!({"paths": ["../etc"]}), &c).await;
    assert!(outside.is_error, "{outside:?}");
    let policy = weft_agent::Policy::default();
    for t in ["git_status", "git_diff"] {
        assert_eq!(policy.tools.get(t), Some(&weft_agent::Rule::Allow), "{t} reads: allowed by default");
    }
}

/// The language servers as the edit tools see them, for this test: what each path's text
/// would be reported with (the real servers are tested in weft-lsp and weft-api).
struct Intel;

impl weft_agent::CodeIntel for Intel {
    fn diagnostics<'a>(&'a self, path: &'a str, text: String) -> weft_agent::tools::Boxed<'a, Option<Vec<String>>> {
        Box::pin(async move {
            if !path.ends_with(".ts") {
                return None;
            }
            Some(if text.contains("number = 'x'") { vec!["1:7 error: Type 'string' is not assignable to type 'number'.".to_owned()] } else { vec![] })
        })
    }
    fn definition<'a>(&'a self, path: &'a str, line: u32, character: u32) -> weft_agent::tools::Boxed<'a, Result<Vec<String>, String>> {
        Box::pin(async move { Ok(vec![format!("{path}:{}:{}", line + 10, character + 1)]) })
    }
}

/// After an edit, the tool's answer carries what the language server now reports for the
/// file, so the model sees a type error it made; the definition tool finds the symbol's
/// column on the line it names and shows each definition's line.
#[tokio::test]
async fn edits_come_back_with_the_language_servers_errors_and_definition_finds_symbols() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("a.ts"), "const n: number = 1;\n").expect("write");
    std::fs::write(d.join("notes.md"), "# notes\n").expect("write");
    let home = ScratchHome::new();
    let tb = home.toolbox(Arc::new(weft_fs::Workspace::open(d).expect("ws"))).with_code_intel(Arc::new(Intel));
    let c = CancellationToken::new();
    let bad = tb.run("edit_file", &json!({"path": "a.ts", "old_string": "= 1", "new_string": "= 'x'"}), &c).await;
    assert!(!bad.is_error, "{bad:?}");
    assert!(bad.content.contains("The language server now reports") && bad.content.contains("not assignable to type 'number'"), "{}", bad.content);
    let good = tb.run("edit_file", &json!({"path": "a.ts", "old_string": "= 'x'", "new_string": "= 2"}), &c).await;
    assert!(good.content.contains("reports no errors"), "{}", good.content);
    let md = tb.run("write_file", &json!({"path": "notes.md", "content": "# more\n"}), &c).await;
    assert!(!md.content.contains("language server"), "no server, nothing said: {}", md.content);
    // `n` on line 1 is at column 6 (0-based), not the n in `const`; the stub answers
    // line 0 + 10 and column + 1.
    let def = tb.run("definition", &json!({"path": "a.ts", "line": 1, "symbol": "n"}), &c).await;
    assert!(!def.is_error, "{def:?}");
    assert!(def.content.starts_with("a.ts:10:7"), "{}", def.content);
    let missing = tb.run("definition", &json!({"path": "a.ts", "line": 1, "symbol": "nope"}), &c).await;
    assert!(missing.is_error && missing.content.contains("is not on line 1"), "{missing:?}");
    assert_eq!(weft_agent::Policy::default().tools.get("definition"), Some(&weft_agent::Rule::Allow));
}

/// The `task` tool: a sub-agent with a fresh context and only the read-only tools reads
/// what it needs and its report is the tool's result; what it read never enters the main
/// conversation, and its tokens count toward the turn. A tool outside its set is refused
/// even when its model asks for it.
#[tokio::test]
async fn a_task_goes_to_a_read_only_sub_agent_whose_report_is_the_result() {
    let s = setup(
        vec![
            tool("m1", "task", json!({"description": "find the bug", "prompt": "Why does add.sh print the wrong sum? Read it and report."})),
            tool("s1", "read_file", json!({"path": "add.sh"})),
            tool("s2", "write_file", json!({"path": "add.sh", "content": "sneaky"})),
            say("add.sh subtracts: line 3 is `$1 - $2`."),
            say("The sub-agent found it: add.sh subtracts."),
        ],
        Approval::Once,
        Policy::default(),
    )
    .await;
    let (out, events, thread) = run(&s, "why is the sum wrong?").await;
    assert_eq!(out.end, TurnEnd::Done(weft_llm::StopReason::EndTurn));
    let reqs = s.server.requests();
    assert_eq!(reqs.len(), 5);
    // The sub-agent's first request: a fresh conversation, its own brief, read-only tools.
    let sub = &reqs[1].body;
    assert_eq!(sub["messages"].as_array().map(Vec::len), Some(1), "{}", sub["messages"]);
    assert_eq!(sub["messages"][0]["content"][0]["text"], "Why does add.sh print the wrong sum? Read it and report.");
    assert!(sub["system"][0]["text"].as_str().expect("system").starts_with("You are a sub-agent"));
    let names: Vec<&str> = sub["tools"].as_array().expect("tools").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, weft_agent::tools::READ_ONLY, "read-only tools only, and never task itself");
    // A write it asked for anyway was refused, and the file is as it was.
    assert_eq!(results_sent(&s.server, 3), [("write_file is not one of this agent's tools".to_owned(), true)]);
    assert_eq!(std::fs::read_to_string(s.root.join("add.sh")).expect("read"), ADD);
    // Its report is the task's result; what it read is not in the main thread.
    assert_eq!(results_sent(&s.server, 4), [("add.sh subtracts: line 3 is `$1 - $2`.".to_owned(), false)]);
    assert!(!reqs[4].body["messages"].to_string().contains("prints the sum of two numbers"), "the file's text stayed with the sub-agent");
    assert_eq!(thread.messages.len(), 4, "prompt, task call, its result, the answer");
    assert!(s.approver.1.lock().expect("asked").is_empty(), "nothing to approve: reading is allowed");
    // Five responses' tokens: the sub-agent's three count toward the turn and the thread.
    let usages = events.iter().filter(|e| matches!(e, AgentEvent::Usage { .. })).count();
    assert_eq!(usages, 5);
    assert_eq!(out.usage.output_tokens, 5 * 5);
    assert_eq!(thread.usage.output_tokens, 5 * 5);
    assert!(out.checkpoint.is_none(), "nothing changed: no checkpoint");
}
