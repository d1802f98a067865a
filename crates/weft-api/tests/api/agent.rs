//! The agent through the API, as the panel drives it: a turn streams its frames, asks for
//! approval and waits for the answer, changes the real files, is saved as a thread, and
//! its changes are reviewed, restored and exported. The model is a local fake server
//! speaking Anthropic's wire format.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use weft_api::{Api, AppPaths, Stream, StreamFrame};
use weft_llm::fake::{FakeServer, Reply, Turn};

impl Drop for Setup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(self.home.path().join("marker").exists(), "a command deleted the scratch home's marker");
        }
    }
}

struct Setup {
    api: Api,
    /// The home folder the agent's commands see (a marker inside must survive the test).
    home: tempfile::TempDir,
    ws: tempfile::TempDir,
    _app: tempfile::TempDir,
    server: FakeServer,
}

async fn setup(script: Vec<Reply>, settings: Value) -> Setup {
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    std::fs::write(ws.path().join("add.sh"), "echo $(($1 - $2))\n").expect("fixture");
    std::fs::write(ws.path().join("test.sh"), "[ \"$(sh add.sh 2 3)\" = 5 ] && echo PASS || { echo FAIL; exit 1; }\n").expect("fixture");
    let server = FakeServer::start(script).await.expect("fake");
    let mut settings = settings;
    if !settings["agentBaseUrls"].is_object() {
        settings["agentBaseUrls"] = json!({});
    }
    settings["agentBaseUrls"]["anthropic"] = json!(server.url());
    if settings["agentModel"].is_null() {
        settings["agentModel"] = json!("anthropic:claude-test");
    }
    settings["checkpointAuto"] = json!(false);
    let home = tempfile::tempdir().expect("tmp");
    std::fs::write(home.path().join("marker"), "x").expect("marker");
    let h = home.path().to_string_lossy().into_owned();
    settings["agentEnv"] = json!({"HOME": h, "USERPROFILE": h, "XDG_CONFIG_HOME": format!("{h}/.config"), "XDG_DATA_HOME": format!("{h}/.local/share")});
    std::fs::create_dir_all(app.path().join("config")).expect("config");
    std::fs::write(app.path().join("config/settings.json"), settings.to_string()).expect("settings");
    let api = Api::new(crate::SERVE, AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") });
    api.open_workspace(ws.path()).expect("open");
    call(&api, json!({"method": "agentSetKey", "params": {"provider": "anthropic", "key": "sk-test"}})).await;
    Setup { api, home, ws, _app: app, server }
}

async fn call(api: &Api, v: Value) -> Value {
    api.call(v.clone(), None).await.unwrap_or_else(|e| panic!("{v}: {e}"))
}

type Frames = Arc<Mutex<Vec<Value>>>;

async fn send(api: &Api, thread: &str, prompt: &str) -> Frames {
    let frames: Frames = Arc::default();
    let f = frames.clone();
    let stream = Stream::new(format!("agent-{thread}"), move |frame| {
        if let StreamFrame::Json(v) = frame {
            f.lock().expect("lock").push(v);
        }
        true
    });
    let r = api.call(json!({"method": "agentSend", "params": {"thread": thread, "prompt": prompt}}), Some(stream)).await.expect("send");
    assert_eq!(r, Value::Null, "agentSend returns at once; the turn streams");
    frames
}

async fn next(frames: &Frames, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = frames.lock().expect("lock").iter().find(|v| pred(v)).cloned() {
            return v;
        }
        assert!(Instant::now() < end, "no {what}; got {:#?}", frames.lock().expect("lock"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn tool(id: &str, name: &str, input: Value) -> Reply {
    Reply::sse(Turn::new("claude-test").tool_use(id, name, input).anthropic())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_asks_edits_runs_is_saved_reviewed_restored_and_exported() {
    let s = setup(
        vec![
            Reply::sse(Turn::new("claude-test").text("Looking at add.sh.").tool_use("t1", "edit_file", json!({"path": "add.sh", "old_string": "$1 - $2", "new_string": "$1 + $2"})).anthropic()),
            tool("t2", "run_command", json!({"command": "sh test.sh"})),
            Reply::sse(Turn::new("claude-test").text("Fixed: it **subtracted**.").anthropic()),
        ],
        json!({"agentTools": {"edit_file": "ask"}}),
    )
    .await;
    let frames = send(&s.api, "t-1", "make the test pass").await;

    // The edit waits for the user.
    let ask = next(&frames, "approval for the edit", |f| f["type"] == "approval").await;
    assert_eq!(ask["summary"], "edit add.sh");
    assert_eq!(std::fs::read_to_string(s.ws.path().join("add.sh")).expect("read"), "echo $(($1 - $2))\n", "nothing changes before the answer");
    let err = s.api.call(json!({"method": "agentApprove", "params": {"request": ask["id"], "answer": "maybe"}}), None).await.expect_err("bad answer");
    assert_eq!(err.code, "bad_request");
    call(&s.api, json!({"method": "agentApprove", "params": {"request": ask["id"], "answer": "once"}})).await;

    // Then the command, which offers "always" for its pattern.
    let ask2 = next(&frames, "approval for the command", |f| f["type"] == "approval" && f["tool"] == "run_command").await;
    assert_eq!(ask2["pattern"], "sh test.sh*");
    call(&s.api, json!({"method": "agentApprove", "params": {"request": ask2["id"], "answer": "once"}})).await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done", "{done}");
    assert_eq!(done["stop"], "end_turn");
    assert_eq!(std::fs::read_to_string(s.ws.path().join("add.sh")).expect("read"), "echo $(($1 + $2))\n");

    let all = frames.lock().expect("lock").clone();
    let kinds: Vec<&str> = all.iter().filter_map(|f| f["type"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"start"));
    let text: String = all.iter().filter(|f| f["type"] == "text").filter_map(|f| f["text"].as_str()).collect();
    assert_eq!(text, "Looking at add.sh.Fixed: it **subtracted**.");
    let run = all.iter().find(|f| f["type"] == "toolResult" && f["id"] == "t2").expect("command result");
    assert!(run["content"].as_str().expect("text").contains("PASS"), "{run}");
    let usage = all.iter().rev().find(|f| f["type"] == "usage").expect("usage");
    assert!(usage["thread"]["outputTokens"].as_u64().expect("tokens") > 0);

    // The review: one modified file, one hunk, from the turn's original.
    let review = &done["review"];
    assert_eq!(review[0]["path"], "add.sh");
    assert_eq!(review[0]["status"], "modified");
    assert_eq!(review[0]["hunks"][0]["oldLines"], json!(["echo $(($1 - $2))\n"]));
    assert_eq!(review[0]["hunks"][0]["newLines"], json!(["echo $(($1 + $2))\n"]));

    // Saved: listed, reopened, exported.
    let list = call(&s.api, json!({"method": "agentThreads"})).await;
    assert_eq!(list[0]["id"], "t-1");
    assert_eq!(list[0]["title"], "make the test pass");
    assert_eq!(list[0]["turns"], 1);
    let thread = call(&s.api, json!({"method": "agentThread", "params": {"thread": "t-1"}})).await;
    assert_eq!(thread["running"], false);
    assert_eq!(thread["messages"][0]["content"][0]["text"], "make the test pass");
    let md = call(&s.api, json!({"method": "agentExport", "params": {"thread": "t-1"}})).await;
    let md = md.as_str().expect("markdown");
    assert!(md.starts_with("# make the test pass\n"), "{md}");
    assert!(md.contains("## You\n\nmake the test pass") && md.contains("**Tool:** run `sh test.sh`") && md.contains("PASS"), "{md}");

    // Rejecting the hunk puts the old line back on disk.
    let after = call(&s.api, json!({"method": "agentReviewAction", "params": {"thread": "t-1", "action": {"action": "rejectHunk", "path": "add.sh", "hunk": 0}}})).await;
    assert_eq!(after, json!([]));
    assert_eq!(std::fs::read_to_string(s.ws.path().join("add.sh")).expect("read"), "echo $(($1 - $2))\n");

    // Restoring the turn's code brings back the bytes of its checkpoint (before the edit);
    // restoring the conversation forgets the turn.
    std::fs::write(s.ws.path().join("add.sh"), "changed later\n").expect("write");
    let t = call(&s.api, json!({"method": "agentRestore", "params": {"thread": "t-1", "turn": 0, "code": true, "conversation": true}})).await;
    assert_eq!(std::fs::read_to_string(s.ws.path().join("add.sh")).expect("read"), "echo $(($1 - $2))\n");
    assert_eq!(t["messages"], json!([]));
    assert_eq!(t["turns"], json!([]));

    // Every request carried the key and the conversation so far.
    let reqs = s.server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].header("x-api-key"), Some("sk-test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_stop_and_bad_requests_lose_nothing() {
    let s = setup(
        vec![
            tool("t1", "run_command", json!({"command": "touch ran.txt"})),
            Reply::sse(Turn::new("claude-test").text("Understood.").anthropic()),
            tool("t2", "run_command", json!({"command": "sleep 30"})),
        ],
        json!({}),
    )
    .await;
    // Denied: the command never runs, and the model is told.
    let frames = send(&s.api, "t-2", "touch a file").await;
    let ask = next(&frames, "approval", |f| f["type"] == "approval").await;
    call(&s.api, json!({"method": "agentApprove", "params": {"request": ask["id"], "answer": "deny"}})).await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done");
    assert!(!s.ws.path().join("ran.txt").exists());
    let err = s.api.call(json!({"method": "agentApprove", "params": {"request": ask["id"], "answer": "once"}}), None).await.expect_err("answered");
    assert_eq!(err.code, "not_found");

    // Stop while an approval card waits: the turn ends "stopped" and the card's question
    // is closed without running anything.
    let frames = send(&s.api, "t-2", "now wait").await;
    next(&frames, "approval", |f| f["type"] == "approval").await;
    let busy = s.api.call(json!({"method": "agentSend", "params": {"thread": "t-2", "prompt": "again"}}), Some(Stream::new("x", |_| true))).await.expect_err("busy");
    assert_eq!(busy.code, "busy");
    assert_eq!(call(&s.api, json!({"method": "agentStop", "params": {"thread": "t-2"}})).await, json!(true));
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "stopped");
    let thread = call(&s.api, json!({"method": "agentThread", "params": {"thread": "t-2"}})).await;
    assert_eq!(thread["turns"].as_array().map(Vec::len), Some(2));

    for (bad, code) in [
        (json!({"method": "agentThread", "params": {"thread": "../../etc/passwd"}}), "bad_request"),
        (json!({"method": "agentThread", "params": {"thread": "nope"}}), "not_found"),
        (json!({"method": "agentReviewAction", "params": {"thread": "t-2", "action": {"action": "rejectFile", "path": "never.txt"}}}), "review"),
        (json!({"method": "agentRestore", "params": {"thread": "t-2", "turn": 0, "code": true, "conversation": false}}), "no_checkpoint"),
        (json!({"method": "agentSend", "params": {"thread": "t-3", "prompt": "  "}}), "bad_request"),
    ] {
        let stream = Stream::new("y", |_| true);
        let err = s.api.call(bad.clone(), Some(stream)).await.expect_err("must fail");
        assert_eq!(err.code, code, "{bad}: {err}");
    }
    // A model that is not provider:model, and a provider nobody configured.
    for model in ["just-a-name", "nobody:model"] {
        let err = s.api.call(json!({"method": "agentSend", "params": {"thread": "t-4", "prompt": "hi", "model": model}}), Some(Stream::new("z", |_| true))).await.expect_err("bad model");
        assert_eq!(err.code, "bad_model", "{model}: {err}");
    }
}

#[tokio::test]
async fn providers_show_where_keys_come_from_and_never_the_key() {
    let s = setup(vec![], json!({"agentBaseUrls": {"vllm": "http://127.0.0.1:9/v1"}})).await;
    let list = call(&s.api, json!({"method": "agentProviders"})).await;
    let names: Vec<&str> = list.as_array().expect("list").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["anthropic", "openai", "gemini", "bedrock", "ollama", "lmstudio", "vllm"]);
    let anthropic = &list[0];
    assert_eq!(anthropic["baseUrl"], s.server.url());
    if std::env::var_os("ANTHROPIC_API_KEY").is_none() {
        assert_eq!(anthropic["key"], "file");
    }
    assert!(!list.to_string().contains("sk-test"), "a key crossed the API: {list}");
    assert_eq!(list[4]["kind"], "openai");
    assert_eq!(list[4]["local"], true);
    // Test connection against a server that is not there: a clear error, not a hang.
    let err = s.api.call(json!({"method": "agentModels", "params": {"provider": "vllm"}}), None).await.expect_err("refused");
    assert_eq!(err.code, "llm_connection", "{err}");
}

fn priced(text: &str, input: u64, output: u64) -> Reply {
    let usage = weft_llm::Usage { input_tokens: input, output_tokens: output, cache_read_tokens: 0, cache_write_tokens: 0 };
    Reply::sse(Turn::new("claude-sonnet-4-5").text(text).usage(usage).anthropic())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_in_the_ledger_and_a_cap_stops_the_next_one() {
    // $3 in / $15 out per million: 10k in + 1k out = $0.045 a turn; the cap is $0.10 and
    // the alert at 50% ($0.05).
    let s = setup(
        vec![
            priced("one", 10_000, 1_000),
            Reply::sse(Turn::new("claude-haiku-4-5").text("Fix the adder").anthropic()),
            priced("two", 10_000, 1_000),
            priced("never sent", 10_000, 1_000),
        ],
        json!({"agentModel": "anthropic:claude-sonnet-4-5", "budgetThreadUsd": 0.10, "budgetAlertPercent": 50, "taskModels": {"title": "anthropic:claude-haiku-4-5"}}),
    )
    .await;
    let frames = send(&s.api, "b-1", "please fix the adder in add.sh").await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done");
    let all = frames.lock().expect("lock").clone();
    let cost = all.iter().find(|f| f["type"] == "cost").expect("cost frame");
    assert_eq!(cost["requestNanos"], 45_000_000);
    assert_eq!(cost["threadNanos"], 45_000_000);
    // The title came from the cheap model, and was recorded as its own task.
    let title = all.iter().find(|f| f["type"] == "title").expect("title frame");
    assert_eq!(title["title"], "Fix the adder");
    assert_eq!(s.server.requests()[1].body["model"], "claude-haiku-4-5");
    assert_eq!(call(&s.api, json!({"method": "agentThreads"})).await[0]["title"], "Fix the adder");
    assert!(all.iter().all(|f| f["type"] != "budgetAlert"), "below 50%");

    // The second turn crosses 50%: one alert.
    let frames = send(&s.api, "b-1", "again").await;
    next(&frames, "done", |f| f["type"] == "done").await;
    let alerts: Vec<Value> = frames.lock().expect("lock").iter().filter(|f| f["type"] == "budgetAlert").cloned().collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["message"], "$0.09 of this thread's $0.10 budget used (90%)");

    // The third would pass $0.10: the agent asks first; declined, nothing is sent.
    let frames = send(&s.api, "b-1", "and again").await;
    let ask = next(&frames, "the budget question", |f| f["type"] == "approval").await;
    assert_eq!(ask["tool"], "budget");
    call(&s.api, json!({"method": "agentApprove", "params": {"request": ask["id"], "answer": "deny"}})).await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "overBudget");
    assert_eq!(done["error"]["code"], "over_budget");
    assert_eq!(s.server.requests().len(), 3, "the request over the cap was never sent");

    // The ledger has every request, by task, and its totals are the frames' totals.
    let summary = call(&s.api, json!({"method": "usageSummary", "params": {"days": 30}})).await;
    assert_eq!(summary["total"]["requests"], 3);
    let haiku = 10 * 1_000 + 5 * 5_000; // the title: 10 in, 5 out at $1 / $5
    assert_eq!(summary["total"]["costNanos"], 90_000_000 + haiku);
    let tasks: Vec<(String, u64)> = summary["byTask"].as_array().expect("tasks").iter().map(|g| (g["key"].as_str().unwrap_or_default().to_owned(), g["totals"]["requests"].as_u64().unwrap_or(0))).collect();
    assert_eq!(tasks, [("agent".to_owned(), 2), ("title".to_owned(), 1)]);
    // Routing the title to Haiku instead of Sonnet saved the difference.
    assert_eq!(summary["total"]["savedNanos"], (10 * 3_000 + 5 * 15_000) - haiku);
    let meter = call(&s.api, json!({"method": "usageMeter", "params": {"thread": "b-1"}})).await;
    assert_eq!(meter["thread"]["costNanos"], summary["total"]["costNanos"]);
    let csv = call(&s.api, json!({"method": "usageExport", "params": {"days": 30}})).await;
    let csv = csv.as_str().expect("csv");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.lines().nth(1).expect("row").contains(",b-1,agent,anthropic,claude-sonnet-4-5,10000,1000,0,0,"), "{csv}");
}

/// While the folder is shared, the agent is a visible collaborator: a participant with
/// the file open gets its edit at once, with the "Agent" cursor, which leaves at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_shared_folder_the_agents_edit_reaches_participants_with_its_cursor() {
    use yrs::sync::Message;
    use yrs::updates::decoder::Decode;
    let s = setup(
        vec![
            tool("t1", "edit_file", json!({"path": "add.sh", "old_string": "$1 - $2", "new_string": "$1 + $2"})),
            Reply::sse(Turn::new("claude-test").text("Fixed.").anthropic()),
        ],
        json!({"agentTools": {"edit_file": "allow"}}),
    )
    .await;
    let status = call(&s.api, json!({"method": "collabShare", "params": {"local": true}})).await;
    let link = status["selfLink"].as_str().expect("self link").to_owned();
    let (base, token) = link.split_once("/?token=").expect("link");
    let peer = weft_collab::Peer::join(format!("{base}/file/add.sh?token={token}"), "file/add.sh", weft_collab::Backoff::default());
    let end = Instant::now() + Duration::from_secs(20);
    while peer.text() != "echo $(($1 - $2))\n" {
        assert!(Instant::now() < end, "the participant never synced");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, mut events) = peer.open();

    let frames = send(&s.api, "t-shared", "fix add.sh").await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done", "{done}");
    while peer.text() != "echo $(($1 + $2))\n" {
        assert!(Instant::now() < end, "the participant never got the edit: {:?}", peer.text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Presence, in order: the Agent arrives with a cursor, then leaves (state null).
    let mut states = vec![];
    while states.last().map(String::as_str) != Some("null") {
        assert!(Instant::now() < end, "presence seen: {states:?}");
        match events.try_recv() {
            Ok(weft_collab::PeerEvent::Message(bytes)) => {
                if let Ok(Message::Awareness(u)) = Message::decode_v1(&bytes) {
                    states.extend(u.clients.values().map(|e| e.json.to_string()));
                }
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let agent = states.iter().find(|j| j.contains(r#""name":"Agent""#)).unwrap_or_else(|| panic!("no Agent presence in {states:?}"));
    assert!(agent.contains(r#""cursor":{"anchor""#), "{agent}");
}

/// The agent reads the text the editor shows (an unsaved line included) and edits that text,
/// not an older version on disk; rejecting its change gives back exactly what was on screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_reads_and_edits_what_the_editor_shows_unsaved_edits_included() {
    let s = setup(
        vec![
            tool("t1", "read_file", json!({"path": "add.sh"})),
            tool("t2", "edit_file", json!({"path": "add.sh", "old_string": "# unsaved note", "new_string": "# note, seen by the agent"})),
            Reply::sse(Turn::new("claude-test").text("Done.").anthropic()),
        ],
        json!({"agentTools": {"edit_file": "allow", "read_file": "allow"}}),
    )
    .await;
    let ed = crate::docs::Editor::open(&s.api, "add.sh").await;
    ed.type_at(0, "# unsaved note\n").await;
    let frames = send(&s.api, "t-open", "tidy add.sh").await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done", "{done}");
    // The model was shown the unsaved line.
    let reqs = s.server.requests();
    assert!(reqs[1].body.to_string().contains("# unsaved note"), "read_file showed the disk, not the editor");
    // Its edit applied to that text: on disk and in the editor.
    let want = "# note, seen by the agent\necho $(($1 - $2))\n";
    assert_eq!(std::fs::read_to_string(s.ws.path().join("add.sh")).expect("read"), want);
    let end = Instant::now() + Duration::from_secs(20);
    while ed.text() != want {
        assert!(Instant::now() < end, "the editor never got the edit: {:?}", ed.text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Rejecting it gives back what the editor showed before the turn, unsaved line included.
    call(&s.api, json!({"method": "agentReviewAction", "params": {"thread": "t-open", "action": {"action": "rejectAll"}}})).await;
    while ed.text() != "# unsaved note\necho $(($1 - $2))\n" {
        assert!(Instant::now() < end, "the rejection did not restore the editor's text: {:?}", ed.text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The agent's commands are terminals of the app: listed while they run, and the user can
/// watch one (its output so far, then live) while the agent goes on reading it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_commands_are_terminals_the_user_can_watch() {
    let s = setup(
        vec![tool("t1", "run_command", json!({"command": "sh watch.sh"})), Reply::sse(Turn::new("claude-test").text("Ran it.").anthropic())],
        json!({"agentAllowCommands": ["sh watch.sh*"]}),
    )
    .await;
    std::fs::write(s.ws.path().join("watch.sh"), "echo first-part\nwhile [ ! -e go ]; do sleep 0.05; done\necho second-part\n").expect("script");
    let frames = send(&s.api, "t-watch", "run it").await;
    let started = next(&frames, "the command's terminal", |f| f["type"] == "terminal").await;
    assert_eq!(started["command"], "sh watch.sh");
    let id = started["terminal"].as_u64().expect("terminal id");
    let list = call(&s.api, json!({"method": "terminalList"})).await;
    let listed = list.as_array().expect("list").iter().find(|t| t["id"] == id).cloned().expect("listed while it runs");
    assert_eq!((listed["agent"].as_bool(), listed["title"].as_str()), (Some(true), Some("agent: sh watch.sh")));

    // Watch it: what it printed so far, then what follows, then its exit.
    let seen: Arc<Mutex<(Vec<u8>, Vec<Value>)>> = Arc::default();
    let w = seen.clone();
    let watch = Stream::new("watch-1", move |frame| {
        let mut g = w.lock().expect("lock");
        match frame {
            StreamFrame::Bytes(b) => g.0.extend_from_slice(&b),
            StreamFrame::Json(v) => g.1.push(v),
        }
        true
    });
    let info = s.api.call(json!({"method": "terminalAttach", "params": {"id": id, "flowControl": true}}), Some(watch)).await.expect("attach");
    assert_eq!(info["agent"], true);
    let text = || String::from_utf8_lossy(&seen.lock().expect("lock").0).into_owned();
    let end = Instant::now() + Duration::from_secs(20);
    while !text().contains("first-part") {
        assert!(Instant::now() < end, "the watcher never saw the output so far: {:?}", text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!text().contains("second-part"));
    std::fs::write(s.ws.path().join("go"), "").expect("go");
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done", "{done}");
    // The agent read the whole output as before: watching took nothing from it.
    let result = next(&frames, "the tool result", |f| f["type"] == "toolResult").await;
    let content = result["content"].as_str().expect("content");
    assert!(content.contains("first-part") && content.contains("second-part"), "{content}");
    let end = Instant::now() + Duration::from_secs(20);
    while !(text().contains("second-part") && seen.lock().expect("lock").1.iter().any(|v| v["type"] == "exit")) {
        assert!(Instant::now() < end, "the watcher missed the rest or the exit: {:?}", text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A finished command's terminal goes with it.
    let list = call(&s.api, json!({"method": "terminalList"})).await;
    assert!(!list.as_array().expect("list").iter().any(|t| t["id"] == id), "{list}");
}

/// The project's AGENTS.md and the user's own instructions reach the model's system prompt,
/// and the turn names them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projects_and_the_users_instructions_reach_the_model_and_are_named() {
    let s = setup(vec![tool("t1", "read_file", json!({"path": "sub/x.txt"})), Reply::sse(Turn::new("claude-test").text("Noted.").anthropic())], json!({})).await;
    std::fs::write(s.ws.path().join("AGENTS.md"), "Run `sh test.sh` before you finish.\n").expect("write");
    std::fs::create_dir(s.ws.path().join("sub")).expect("mkdir");
    std::fs::write(s.ws.path().join("sub/x.txt"), "x\n").expect("write");
    std::fs::write(s.ws.path().join("sub/AGENTS.md"), "In sub/, write in French.\n").expect("write");
    std::fs::write(s.api.paths().config_dir.join("instructions.md"), "Answer in one sentence.\n").expect("write");
    let frames = send(&s.api, "t-instr", "hello").await;
    let told = next(&frames, "the instructions frame", |v| v["type"] == "instructions").await;
    assert_eq!(told["files"], json!(["AGENTS.md", "your instructions"]));
    next(&frames, "the end", |v| v["type"] == "done").await;
    let system = s.server.requests()[0].body["system"].to_string();
    assert!(system.contains("Run `sh test.sh` before you finish.") && system.contains("Answer in one sentence."), "{system}");
    assert!(!system.contains("French"), "a subfolder's instructions wait until the agent works there");
    // Reading a file in sub/ brings sub/AGENTS.md, with the read, and names it.
    let nested = next(&frames, "the subfolder's instructions", |v| v["type"] == "instructions" && v["files"] == json!(["sub/AGENTS.md"])).await;
    assert_eq!(nested["files"], json!(["sub/AGENTS.md"]));
    let second = s.server.requests()[1].body["messages"].to_string();
    assert!(second.contains("In sub/, write in French."), "{second}");
}

/// `/init` asks the model for a first AGENTS.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_init_asks_for_a_first_agents_md() {
    let s = setup(vec![Reply::sse(Turn::new("claude-test").text("Here is a draft.").anthropic())], json!({})).await;
    let frames = send(&s.api, "t-init", "/init").await;
    next(&frames, "the end", |v| v["type"] == "done").await;
    let sent = s.server.requests()[0].body["messages"].to_string();
    assert!(sent.contains("Write a first AGENTS.md at the root of this project"), "{sent}");
    assert!(!sent.contains("\"/init\""), "{sent}");
}

/// A prompt of the project's library: listed, expanded with its arguments, on its model.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_prompt_is_listed_expanded_and_sent_to_its_model() {
    let s = setup(vec![Reply::sse(Turn::new("claude-haiku-4-5").text("Reviewed.").anthropic())], json!({})).await;
    std::fs::create_dir_all(s.ws.path().join(".claude/commands")).expect("mkdir");
    std::fs::write(s.ws.path().join(".claude/commands/review.md"), "---\ndescription: Review one file\nmodel: anthropic:claude-haiku-4-5\n---\nReview $1 carefully.\n").expect("write");
    let listed = call(&s.api, json!({"method": "agentPrompts"})).await;
    let names: Vec<&str> = listed.as_array().expect("list").iter().map(|c| c["name"].as_str().expect("name")).collect();
    assert_eq!(names, vec!["init", "review"]);
    assert_eq!(listed[1]["description"], "Review one file");
    let frames = send(&s.api, "t-lib", "/review add.sh").await;
    next(&frames, "the end", |v| v["type"] == "done").await;
    let req = &s.server.requests()[0].body;
    assert_eq!(req["model"], "claude-haiku-4-5", "the prompt's model");
    assert!(req["messages"].to_string().contains("Review add.sh carefully."), "{}", req["messages"]);
}

/// A turn's controls reach the model's request; values a provider would refuse are refused
/// here with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turns_thinking_temperature_and_output_limit_reach_the_request() {
    let done = || Reply::sse(Turn::new("claude-test").text("ok").anthropic());
    let s = setup(vec![done(), done()], json!({})).await;
    let turn = |thread: &str, options: Value| {
        let api = s.api.clone();
        let thread = thread.to_owned();
        async move {
            let (stream, frames) = crate::collector();
            api.call(json!({"method": "agentSend", "params": {"thread": thread, "prompt": "hi", "options": options}}), Some(stream)).await.map(|_| frames)
        }
    };
    let frames = turn("t-think", json!({"thinkingBudget": 2048, "maxTokens": 4096})).await.expect("send");
    next(&frames, "the end", |v| v["type"] == "done").await;
    let frames = turn("t-temp", json!({"temperature": 0.25, "thinkingBudget": 0})).await.expect("send");
    next(&frames, "the end", |v| v["type"] == "done").await;
    let reqs = s.server.requests();
    assert_eq!((reqs[0].body["max_tokens"].as_u64(), reqs[0].body["thinking"]["budget_tokens"].as_u64()), (Some(4096), Some(2048)), "{}", reqs[0].body);
    assert_eq!(reqs[1].body["temperature"].as_f64(), Some(0.25));
    assert!(reqs[1].body.get("thinking").is_none(), "thinking off: {}", reqs[1].body);
    for bad in [json!({"thinkingBudget": 500}), json!({"thinkingBudget": 9000, "maxTokens": 8192}), json!({"temperature": 3.0}), json!({"maxTokens": 0})] {
        let e = turn("t-bad", bad.clone()).await.err().unwrap_or_else(|| panic!("{bad} was taken"));
        assert_eq!(e.code, "bad_request", "{bad}: {e}");
    }
    assert_eq!(s.server.requests().len(), 2, "nothing sent for a refused turn");
}

/// A turn answered by the fallback model records that model, not the one that failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_answered_by_the_fallback_records_the_fallback() {
    let cut = || Reply::sse(Turn::new("claude-test").text("partial").anthropic()).drop_last(3);
    let s = setup(vec![cut(), cut(), cut(), cut(), Reply::sse(Turn::new("claude-backup").text("answer").anthropic())], json!({"agentFallbackModels": ["anthropic:claude-backup"]})).await;
    let frames = send(&s.api, "t-fb", "hi").await;
    next(&frames, "the end", |v| v["type"] == "done").await;
    let thread = call(&s.api, json!({"method": "agentThread", "params": {"thread": "t-fb"}})).await;
    assert_eq!(thread["turns"][0]["model"], "anthropic:claude-backup", "{}", thread["turns"]);
    // The ledger has the four failed attempts, with their error and the tokens the provider
    // had counted (the input, from the stream's start), and the answer.
    let summary = call(&s.api, json!({"method": "usageSummary", "params": {"days": 0}})).await;
    assert_eq!((summary["total"]["requests"].as_u64(), summary["total"]["failed"].as_u64()), (Some(5), Some(4)), "{}", summary["total"]);
    let csv = call(&s.api, json!({"method": "usageExport", "params": {"days": 0}})).await;
    let failed: Vec<&str> = csv.as_str().expect("csv").lines().filter(|l| l.ends_with(",llm_truncated")).collect();
    assert_eq!(failed.len(), 4, "{csv}");
    assert!(failed.iter().all(|l| l.contains(",anthropic,claude-test,10,")), "{failed:?}");
}

/// A side task's failed attempts (here the thread's title) are on the books under its task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_side_tasks_failed_attempts_are_on_the_books() {
    let overloaded = || Reply::anthropic_error(529, "overloaded_error", "Overloaded");
    let s = setup(vec![Reply::sse(Turn::new("claude-test").text("ok").anthropic()), overloaded(), overloaded(), overloaded(), overloaded()], json!({"taskModels": {"title": "anthropic:claude-haiku-4-5"}})).await;
    let frames = send(&s.api, "t-title", "hi").await;
    next(&frames, "the end", |v| v["type"] == "done").await;
    let summary = call(&s.api, json!({"method": "usageSummary", "params": {"days": 0}})).await;
    let title = summary["byTask"].as_array().expect("by task").iter().find(|g| g["key"] == "title").cloned().unwrap_or_else(|| panic!("no title row: {}", summary["byTask"]));
    // Every title attempt failed (the scripted overloads, then the server's empty script):
    // each request the server saw after the turn's is a failed row.
    let tried = s.server.requests().len() as u64 - 1;
    assert!(tried >= 4, "{tried}");
    assert_eq!((title["totals"]["requests"].as_u64(), title["totals"]["failed"].as_u64()), (Some(tried), Some(tried)), "{title}");
}

/// The official MCP test server configured in settings: its tools reach the model's
/// request as `mcp__everything__…`; the model's call is asked about first (ask by
/// default), runs on the server, and its result goes back to the model; "always" allows
/// that tool from then on. The status list shows the server running with its tools.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_servers_tool_is_offered_asked_about_called_and_its_result_returned() {
    let bin = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mcp-servers/node_modules/.bin/mcp-server-everything");
    assert!(bin.exists(), "the test server is not installed: run scripts/setup.sh with WEFT_SETUP_TESTS=1");
    let s = setup(
        vec![
            tool("m1", "mcp__everything__get-sum", json!({"a": 19, "b": 23})),
            tool("m2", "mcp__everything__get-sum", json!({"a": 1, "b": 1})),
            Reply::sse(Turn::new("claude-test").text("The sum is 42.").anthropic()),
            Reply::sse(Turn::new("claude-test").text("Sunny.").anthropic()),
        ],
        json!({"mcpServers": {"everything": {"command": bin, "args": ["stdio"]}}}),
    )
    .await;
    let before = call(&s.api, json!({"method": "mcpStatus"})).await;
    assert_eq!(before[0]["state"], "idle", "nothing started with the folder: {before}");
    let frames = send(&s.api, "t-mcp", "add 19 and 23 with the tool").await;
    let ask = next(&frames, "approval for the MCP tool", |f| f["type"] == "approval").await;
    assert_eq!(ask["tool"], "mcp__everything__get-sum");
    assert!(ask["summary"].as_str().expect("summary").contains("get-sum (MCP server everything)"), "{ask}");
    call(&s.api, json!({"method": "agentApprove", "params": {"request": ask["id"], "answer": "always"}})).await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done", "{done}");
    let approvals = frames.lock().expect("lock").iter().filter(|f| f["type"] == "approval").count();
    assert_eq!(approvals, 1, "\"always\" allowed the second call");
    let result = frames.lock().expect("lock").iter().find(|f| f["type"] == "toolResult" && f["id"] == "m1").cloned().expect("result");
    assert!(result["content"].as_str().expect("text").contains("42"), "{result}");

    let reqs = s.server.requests();
    let body = &reqs[0].body;
    let names: Vec<&str> = body["tools"].as_array().expect("tools").iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"mcp__everything__echo") && names.contains(&"read_file"), "{names:?}");
    // The tool's result reached the model in the next request.
    assert!(reqs[1].body.to_string().contains("42"), "the result went back to the model");
    let after = call(&s.api, json!({"method": "mcpStatus"})).await;
    assert_eq!(after[0]["state"], "running", "{after}");
    assert!(after[0]["tools"].as_u64().expect("count") > 5);
    let prompts = call(&s.api, json!({"method": "mcpPrompts"})).await;
    assert!(prompts.as_array().expect("list").iter().any(|p| p["prompt"]["name"] == "simple-prompt"));

    // A server's prompt as a slash command: its text, with the argument, is what is sent.
    let frames = send(&s.api, "t-mcp", "/mcp__everything__args-prompt \"New York\" state=NY").await;
    next(&frames, "done", |f| f["type"] == "done").await;
    let last = s.server.requests().last().expect("request").body.to_string();
    assert!(last.contains("New York, NY"), "the prompt's text with its arguments: {last}");
    let err = s.api.call(json!({"method": "agentSend", "params": {"thread": "t-mcp", "prompt": "/mcp__everything__nope"}}), Some(Stream::new("x", |_| true))).await.expect_err("unknown");
    assert!(err.message.contains("not a prompt"), "{err}");
    // A resource, read to be mentioned.
    let resources = call(&s.api, json!({"method": "mcpResources"})).await;
    let r = resources.as_array().expect("list").iter().find(|r| r["resource"]["uri"].as_str().is_some_and(|u| u.starts_with("demo://resource/static/document/"))).cloned().expect("a document");
    let text = call(&s.api, json!({"method": "mcpReadResource", "params": {"server": r["server"], "uri": r["resource"]["uri"]}})).await;
    assert!(!text.as_str().expect("text").is_empty());
}

/// Every file under `dir` (recursively) that holds `needle`.
fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes())) {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_reaches_runs_and_commands_and_nothing_keeps_it() {
    const SECRET: &str = "s3cr3t-9f2a1c77e4";
    const DOTENV: &str = "dotenv-value-71c3aa";
    let out = tempfile::tempdir().expect("tmp");
    let o = out.path().display().to_string();
    let s = setup(
        vec![
            // The agent's command prints the secret: the model must read a mask.
            tool("t1", "run_command", json!({"command": format!("echo agent:$APP_KEY > {o}/agent.txt; echo the key is $APP_KEY")})),
            Reply::sse(Turn::new("claude-test").text("Done.").anthropic()),
        ],
        json!({"agentTools": {"run_command": "allow"}}),
    )
    .await;
    // Set as the UI sets it; a .env file the user keeps in the folder is imported too.
    let listed = call(&s.api, json!({"method": "envSet", "params": {"name": "APP_KEY", "value": SECRET, "secret": true}})).await;
    assert_eq!(listed, json!([{"name": "APP_KEY", "secret": true, "value": null}]), "names only");
    call(&s.api, json!({"method": "envSet", "params": {"name": "MODE", "value": "dev"}})).await;
    std::fs::write(s.ws.path().join(".env"), format!("# local\nOTHER={DOTENV}\n")).expect("dotenv");
    assert_eq!(call(&s.api, json!({"method": "envImport", "params": {"path": ".env"}})).await, json!(["OTHER"]));
    let bad = s.api.call(json!({"method": "envSet", "params": {"name": "1X", "value": "v"}}), None).await.expect_err("bad name");
    assert_eq!(bad.code, "bad_request");

    // A run gets them.
    std::fs::create_dir_all(s.ws.path().join(".weft")).expect("mkdir");
    std::fs::write(s.ws.path().join(".weft/run.json"), format!(r#"[{{"name": "show", "command": "echo run:$APP_KEY:$MODE:$OTHER > {o}/run.txt"}}]"#)).expect("write");
    call(&s.api, json!({"method": "runStart", "params": {"name": "show"}})).await;
    let end = Instant::now() + Duration::from_secs(20);
    while !out.path().join("run.txt").exists() {
        assert!(Instant::now() < end, "the run wrote nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(std::fs::read_to_string(out.path().join("run.txt")).expect("read").trim(), format!("run:{SECRET}:dev:{DOTENV}"));

    // So does the agent's command; the model reads a mask.
    let frames = send(&s.api, "t-env", "show the key").await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done", "{done}");
    assert_eq!(std::fs::read_to_string(out.path().join("agent.txt")).expect("read").trim(), format!("agent:{SECRET}"));
    let requests = serde_json::to_string(&s.server.requests().iter().map(|r| r.body.clone()).collect::<Vec<_>>()).expect("json");
    assert!(requests.contains("the key is ••••••"), "the command's output reached the model, masked: …{}", &requests[requests.find("tool_result").unwrap_or(0).saturating_sub(200)..].chars().take(400).collect::<String>());
    assert!(!requests.contains(SECRET), "the secret was sent to the model");

    // A checkpoint of the folder, then: the value is in none of the project folder, the
    // data directory (checkpoints, threads, logs, sessions) or the model's requests.
    call(&s.api, json!({"method": "checkpointCreate", "params": {"label": "after"}})).await;
    assert_eq!(files_holding(s.ws.path(), SECRET), Vec::<String>::new(), "in the project folder");
    let data = s._app.path().join("data");
    assert!(data.is_dir());
    assert_eq!(files_holding(&data, SECRET), Vec::<String>::new(), "in the data directory");
    // The .env file stays the user's: not copied into checkpoints.
    assert_eq!(files_holding(&data, DOTENV), Vec::<String>::new(), ".env in a checkpoint");
    let plain = std::fs::read_to_string(s.ws.path().join(".weft/env.json")).expect("plain vars");
    assert_eq!(serde_json::from_str::<Value>(&plain).expect("json"), json!({"MODE": "dev"}));
    // Removed: gone from the list and from what runs get.
    call(&s.api, json!({"method": "envRemove", "params": {"name": "APP_KEY"}})).await;
    let names: Vec<Value> = call(&s.api, json!({"method": "envList"})).await.as_array().expect("list").iter().map(|v| v["name"].clone()).collect();
    assert_eq!(names, [json!("MODE"), json!("OTHER")]);
}

/// A picture's pixel (RGB) from base64 PNG.
fn pixel(b64: &str, x: u32, y: u32) -> [u8; 3] {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let at = ((y * info.width + x) as usize) * info.color_type.samples();
    [buf[at], buf[at + 1], buf[at + 2]]
}

/// A real 1×1 PNG.
const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// The user's picture goes with the prompt; the agent starts the app, looks at it through
/// the machine's real Chromium, and the screenshot (the page after its scripts ran) and
/// the page's console reach the model in the next request. A port nothing in Weft serves
/// is refused, and a bad picture from the user is refused before the turn starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_looks_at_the_running_app_and_the_model_sees_the_picture() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let stranger = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let stranger_port = stranger.local_addr().expect("addr").port();
    let serve = format!("python3 -m http.server {port} --bind 127.0.0.1");
    let s = setup(
        vec![
            tool("r1", "run_command", json!({"command": serve, "background": true})),
            tool("s0", "preview_screenshot", json!({"port": stranger_port})),
            tool("s1", "preview_screenshot", json!({"port": port, "path": "/index.html", "width": 640, "height": 400})),
            Reply::sse(Turn::new("claude-test").text("The box is blue.").anthropic()),
        ],
        json!({"agentAllowCommands": ["python3 -m http.server*"]}),
    )
    .await;
    std::fs::write(
        s.ws.path().join("index.html"),
        r#"<!doctype html><body style="margin:0;background:#fff"><div id="box" style="width:200px;height:100px;background:rgb(255,0,0)"></div>
<script>console.log("hello from the page"); setTimeout(() => { document.getElementById("box").style.background = "rgb(0,0,255)"; }, 200);</script></body>"#,
    )
    .expect("page");

    // A picture that is not what it says is refused before anything starts.
    let bad = s.api.call(json!({"method": "agentSend", "params": {"thread": "t-see", "prompt": "look", "images": [{"type": "base64", "media_type": "image/jpeg", "data": PNG_1X1}]}}), Some(Stream::new("x", |_| true))).await.expect_err("refused");
    assert_eq!(bad.message, "image 1: the image says it is image/jpeg but its bytes are image/png");
    assert!(s.server.requests().is_empty());

    let frames: Frames = Arc::default();
    let f = frames.clone();
    let stream = Stream::new("agent-see", move |frame| {
        if let StreamFrame::Json(v) = frame {
            f.lock().expect("lock").push(v);
        }
        true
    });
    let image = json!({"type": "base64", "media_type": "image/png", "data": PNG_1X1});
    s.api.call(json!({"method": "agentSend", "params": {"thread": "t-see", "prompt": "start the site and check the box is blue", "images": [image]}}), Some(stream)).await.expect("send");
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done", "{done}");

    let reqs = s.server.requests();
    // The user's picture is in the first request, after the prompt.
    let first = &reqs[0].body["messages"][0]["content"];
    assert_eq!((&first[1]["type"], &first[1]["source"]), (&json!("image"), &image), "{first}");
    assert!(reqs[0].body["tools"].as_array().expect("tools").iter().any(|t| t["name"] == "preview_screenshot"));

    let stranger_result = frames.lock().expect("lock").iter().find(|f| f["type"] == "toolResult" && f["id"] == "s0").cloned().expect("s0");
    assert_eq!(stranger_result["isError"], true);
    assert!(stranger_result["content"].as_str().expect("text").starts_with(&format!("port {stranger_port} is not served by a program started in Weft")), "{stranger_result}");
    drop(stranger);

    let shot = frames.lock().expect("lock").iter().find(|f| f["type"] == "toolResult" && f["id"] == "s1").cloned().expect("s1");
    assert_eq!(shot["isError"], false, "{}", shot["content"]);
    assert_eq!(shot["images"].as_array().map(Vec::len), Some(1), "the panel gets the picture to show");
    let text = shot["content"].as_str().expect("text");
    assert!(text.starts_with(&format!("The screenshot of http://localhost:{port}/index.html follows as an image.")), "{text}");
    assert!(text.contains("hello from the page"), "the page's console: {text}");

    // The request after the screenshot: its result, then the picture, which shows the page
    // after its timer ran.
    let last = &reqs[3].body["messages"];
    let results = &last[last.as_array().expect("messages").len() - 1]["content"];
    assert_eq!((results[0]["type"].as_str(), results[0]["tool_use_id"].as_str()), (Some("tool_result"), Some("s1")), "{results}");
    assert_eq!(results[1]["type"], "image");
    assert_eq!(results[1]["source"]["media_type"], "image/png");
    let data = results[1]["source"]["data"].as_str().expect("data");
    assert_eq!(pixel(data, 50, 50), [0, 0, 255], "the box, blue once the page's script ran");
    assert_eq!(pixel(data, 400, 300), [255, 255, 255]);

    // The thread keeps both pictures.
    let thread = call(&s.api, json!({"method": "agentThread", "params": {"thread": "t-see"}})).await;
    let images = thread["messages"].as_array().expect("messages").iter().flat_map(|m| m["content"].as_array().cloned().unwrap_or_default()).filter(|b| b["type"] == "image").count();
    assert_eq!(images, 2, "{thread}");
}

/// Two threads' turns run at once: each waits on its own approval, each gets its own
/// checkpoint and review, and two edits of one file by the two agents land one after the
/// other. (A review compares with the file as its thread first touched it: B's, taken
/// before A's edit, shows only B's change when B ends; asked again after A's edit it would
/// hold A's too — see the README.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_threads_run_at_once_and_each_review_holds_only_its_own_edit() {
    let s = setup(
        vec![
            tool("a1", "edit_file", json!({"path": "notes.txt", "old_string": "one\n", "new_string": "ONE (A)\n"})),
            tool("b1", "edit_file", json!({"path": "notes.txt", "old_string": "five\n", "new_string": "FIVE (B)\n"})),
            Reply::sse(Turn::new("claude-test").text("Done.").anthropic()),
            Reply::sse(Turn::new("claude-test").text("Done.").anthropic()),
        ],
        json!({"agentTools": {"edit_file": "ask"}}),
    )
    .await;
    let original = "one\ntwo\nthree\nfour\nfive\n";
    std::fs::write(s.ws.path().join("notes.txt"), original).expect("notes");
    let a = send(&s.api, "t-a", "capitalise one").await;
    let ask_a = next(&a, "A's approval", |f| f["type"] == "approval").await;
    let b = send(&s.api, "t-b", "capitalise five").await;
    let ask_b = next(&b, "B's approval", |f| f["type"] == "approval").await;
    // Both turns are running now, each waiting for its user: the list says so.
    let threads = call(&s.api, json!({"method": "agentThreads"})).await;
    let state: std::collections::BTreeMap<&str, (bool, bool)> = threads.as_array().expect("list").iter().map(|t| (t["id"].as_str().unwrap_or(""), (t["running"] == true, t["waiting"] == true))).collect();
    assert_eq!(state, [("t-a", (true, true)), ("t-b", (true, true))].into_iter().collect(), "{threads}");
    assert_eq!((ask_a["input"]["old_string"].as_str(), ask_b["input"]["old_string"].as_str()), (Some("one\n"), Some("five\n")));
    call(&s.api, json!({"method": "agentApprove", "params": {"request": ask_b["id"], "answer": "once"}})).await;
    let done_b = next(&b, "B done", |f| f["type"] == "done").await;
    call(&s.api, json!({"method": "agentApprove", "params": {"request": ask_a["id"], "answer": "once"}})).await;
    let done_a = next(&a, "A done", |f| f["type"] == "done").await;
    assert_eq!((done_a["end"].as_str(), done_b["end"].as_str()), (Some("done"), Some("done")));
    let threads = call(&s.api, json!({"method": "agentThreads"})).await;
    assert!(threads.as_array().expect("list").iter().all(|t| t["running"] == false && t["waiting"] == false), "{threads}");
    assert_eq!(std::fs::read_to_string(s.ws.path().join("notes.txt")).expect("read"), "ONE (A)\ntwo\nthree\nfour\nFIVE (B)\n", "both edits, neither lost");
    let hunk = |done: &Value| (done["review"].as_array().map(Vec::len), done["review"][0]["hunks"].as_array().map(Vec::len), done["review"][0]["hunks"][0]["newLines"].clone());
    assert_eq!(hunk(&done_a), (Some(1), Some(1), json!(["ONE (A)\n"])), "A's review: its own edit only: {}", done_a["review"]);
    assert_eq!(hunk(&done_b), (Some(1), Some(1), json!(["FIVE (B)\n"])), "B's review: its own edit only: {}", done_b["review"]);
    // Each has its own checkpoint.
    let (ca, cb) = (done_a["checkpoint"].as_i64().expect("A's checkpoint"), done_b["checkpoint"].as_i64().expect("B's checkpoint"));
    assert_ne!(ca, cb);
    // B's review, asked for now (after A's later edit to the same file), is still B's alone.
    let review = |thread: &'static str| {
        let api = &s.api;
        async move {
            let r = call(api, json!({"method": "agentReview", "params": {"thread": thread}})).await;
            r.as_array().expect("files").iter().flat_map(|f| f["hunks"].as_array().cloned().unwrap_or_default()).map(|h| h["newLines"].clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(review("t-b").await, vec![json!(["FIVE (B)\n"])], "B's review does not take in A's edit");
    // Rejecting B's whole file takes back B's edit and keeps A's (it was written over with
    // the text from before both).
    call(&s.api, json!({"method": "agentReviewAction", "params": {"thread": "t-b", "action": {"action": "rejectFile", "path": "notes.txt"}}})).await;
    assert_eq!(std::fs::read_to_string(s.ws.path().join("notes.txt")).expect("read"), "ONE (A)\ntwo\nthree\nfour\nfive\n", "A's edit survives B's rejection");
    // A's review still holds its edit alone; rejecting its hunk gives back the original.
    assert_eq!(review("t-a").await, vec![json!(["ONE (A)\n"])]);
    call(&s.api, json!({"method": "agentReviewAction", "params": {"thread": "t-a", "action": {"action": "rejectHunk", "path": "notes.txt", "hunk": 0}}})).await;
    assert_eq!(std::fs::read_to_string(s.ws.path().join("notes.txt")).expect("read"), original);
    assert_eq!(review("t-a").await, Vec::<Value>::new());
}

/// A user with only a Gemini key: the route, the key from the key file, the edit through a
/// function call, its signature and the function's name in the next request, the price.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gemini_turn_edits_through_a_function_call_and_is_priced() {
    let gemini = FakeServer::start(vec![
        Reply::sse(Turn::new("gemini-2.5-flash").thinking("Fix the operator.", "c2ln").tool_use("", "edit_file", json!({"path": "add.sh", "old_string": "$1 - $2", "new_string": "$1 + $2"})).gemini()),
        Reply::sse(Turn::new("gemini-2.5-flash").text("Fixed.").gemini()),
    ])
    .await
    .expect("fake");
    let s = setup(vec![], json!({"agentModel": "gemini:gemini-2.5-flash", "agentBaseUrls": {"gemini": gemini.url()}, "agentTools": {"edit_file": "allow"}})).await;
    call(&s.api, json!({"method": "agentSetKey", "params": {"provider": "gemini", "key": "AIza-test"}})).await;
    let frames = send(&s.api, "t-g", "make the test pass").await;
    let done = next(&frames, "done", |f| f["type"] == "done").await;
    assert_eq!(done["end"], "done", "{done}");
    assert_eq!(std::fs::read_to_string(s.ws.path().join("add.sh")).expect("read"), "echo $(($1 + $2))\n");
    let all = frames.lock().expect("lock").clone();
    let cost = all.iter().find(|f| f["type"] == "cost").expect("cost frame");
    assert_eq!(cost["priced"], true, "Gemini's list price is in the table: {cost}");

    let sent = gemini.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].header("x-goog-api-key"), Some("AIza-test"));
    assert!(s.server.requests().is_empty(), "nothing went to another provider");
    let contents = sent[1].body["contents"].as_array().expect("contents").clone();
    let call_part = contents.iter().flat_map(|c| c["parts"].as_array().cloned().unwrap_or_default()).find(|p| p.get("functionCall").is_some()).expect("the call");
    assert_eq!(call_part["thoughtSignature"], "c2ln");
    let response = contents.last().expect("last")["parts"][0]["functionResponse"].clone();
    assert_eq!(response["name"], "edit_file", "{response}");
}
