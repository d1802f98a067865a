//! `weft agent` as a script runs it: a real process against a fake Anthropic server.

use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};
use weft_llm::fake::{FakeServer, Reply, Turn};

const ADD: &str = "#!/bin/sh\necho $(($1 - $2))\n";
const TEST: &str = "#!/bin/sh\n[ \"$(sh add.sh 2 3)\" = 5 ] && echo PASS || { echo FAIL; exit 1; }\n";

fn tool(id: &str, name: &str, input: serde_json::Value) -> Reply {
    Reply::sse(Turn::new("claude-test").tool_use(id, name, input).anthropic())
}

fn say(text: &str) -> Reply {
    Reply::sse(Turn::new("claude-test").text(text).anthropic())
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn weft_agent(server: &FakeServer, ws: &std::path::Path, extra: &[&str], stdin: &'static str) -> Run {
    weft_agent_prompt(server, ws, extra, Some("The test fails; fix it."), stdin).await
}

/// `prompt` None: no prompt argument (it comes on stdin).
async fn weft_agent_prompt(server: &FakeServer, ws: &std::path::Path, extra: &[&str], prompt: Option<&str>, stdin: &'static str) -> Run {
    let app = tempfile::tempdir().expect("tmp");
    let mut args = vec!["agent", "-C", ws.to_str().expect("utf8"), "--model", "anthropic:claude-test"];
    args.extend_from_slice(extra);
    args.extend(prompt);
    let home = app.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::write(home.join("marker"), "x").expect("marker");
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(&args)
        .env("ANTHROPIC_BASE_URL", server.url())
        .env("ANTHROPIC_API_KEY", "sk-ant-cli-test")
        .env("WEFT_CONFIG_DIR", app.path().join("c"))
        .env("WEFT_DATA_DIR", app.path().join("d"))
        // The commands the agent runs see a scratch home, never the real one.
        .env("HOME", &home)
        .env("USERPROFILE", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft agent");
    let mut input = child.stdin.take().expect("stdin");
    let out = tokio::task::spawn_blocking(move || {
        input.write_all(stdin.as_bytes()).expect("write stdin");
        drop(input);
        child.wait_with_output().expect("wait")
    })
    .await
    .expect("join");
    assert!(home.join("marker").exists(), "a command deleted the scratch home's marker");
    Run { code: out.status.code(), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
}

fn fixture() -> tempfile::TempDir {
    let ws = tempfile::tempdir().expect("tmp");
    std::fs::write(ws.path().join("add.sh"), ADD).expect("write");
    std::fs::write(ws.path().join("test.sh"), TEST).expect("write");
    ws
}

fn script() -> Vec<Reply> {
    vec![
        tool("t1", "read_file", json!({"path": "add.sh"})),
        tool("t2", "edit_file", json!({"path": "add.sh", "old_string": "$1 - $2", "new_string": "$1 + $2"})),
        tool("t3", "run_command", json!({"command": "sh test.sh"})),
        say("Fixed the sign in add.sh."),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_asks_on_stdin_and_fixes_the_test() {
    let ws = fixture();
    let server = FakeServer::start(script()).await.expect("fake");
    let r = weft_agent(&server, ws.path(), &[], "y\n").await;
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(r.stdout.contains("Fixed the sign in add.sh."), "{}", r.stdout);
    assert!(r.stderr.contains("? allow run `sh test.sh`"), "{}", r.stderr);
    assert!(r.stderr.contains("✓ exit code 0"), "{}", r.stderr);
    assert!(r.stderr.contains("weft checkpoint restore"), "{}", r.stderr);
    assert!(!r.stderr.contains("sk-ant-cli-test"), "the key is never printed");
    assert_eq!(std::fs::read_to_string(ws.path().join("add.sh")).expect("read"), ADD.replace('-', "+"));
    assert!(server.requests()[3].body.to_string().contains("PASS"));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_answer_means_no_and_allow_patterns_skip_the_question() {
    let ws = fixture();
    let server = FakeServer::start(script()).await.expect("fake");
    let r = weft_agent(&server, ws.path(), &[], "").await;
    assert_eq!(r.code, Some(0), "the model still ends its turn: {}", r.stderr);
    assert!(r.stderr.contains("declined"), "{}", r.stderr);
    assert!(server.requests()[3].body.to_string().contains("the user declined"));

    let ws = fixture();
    let server = FakeServer::start(script()).await.expect("fake");
    let r = weft_agent(&server, ws.path(), &["--allow", "sh test.sh"], "").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stderr.contains("? allow"), "not asked: {}", r.stderr);
    assert!(server.requests()[3].body.to_string().contains("PASS"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_fails_the_command_with_the_reason() {
    let ws = fixture();
    let server = FakeServer::start(vec![Reply::anthropic_error(401, "authentication_error", "invalid x-api-key")]).await.expect("fake");
    let r = weft_agent(&server, ws.path(), &[], "").await;
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("invalid x-api-key") && r.stderr.contains("ANTHROPIC_API_KEY"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(ws.path().join("add.sh")).expect("read"), ADD, "nothing changed");
}

/// `weft` with the given config and data folders, stdin closed.
fn weft(app: &std::path::Path, server: &FakeServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .env("ANTHROPIC_BASE_URL", server.url())
        .env("ANTHROPIC_API_KEY", "sk-ant-cli-test")
        .env("WEFT_CONFIG_DIR", app.join("c"))
        .env("WEFT_DATA_DIR", app.join("d"))
        .stdin(Stdio::null())
        .output()
        .expect("weft")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_agent_is_on_the_books_and_weft_usage_reports_them() {
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    let usage = weft_llm::Usage { input_tokens: 10_000, output_tokens: 1_000, cache_read_tokens: 0, cache_write_tokens: 0 };
    let server = FakeServer::start(vec![Reply::sse(Turn::new("claude-sonnet-4-5").text("done").usage(usage).anthropic())]).await.expect("fake");
    let dir = ws.path().to_str().expect("utf8").to_owned();
    let run = |extra: &'static str| {
        let (app, server, dir) = (app.path().to_owned(), &server, dir.clone());
        weft(&app, server, &["agent", "-C", &dir, "--model", "anthropic:claude-sonnet-4-5", extra])
    };
    let out = run("say done");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // $3/M in, $15/M out: $0.045, shown as it happens.
    assert!(String::from_utf8_lossy(&out.stderr).contains("($0.0450 this request, $0.0450 this run"), "{}", String::from_utf8_lossy(&out.stderr));

    let json = weft(app.path(), &server, &["usage", "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(summary["total"]["costNanos"], 45_000_000);
    assert_eq!(summary["byWorkspace"][0]["key"], ws.path().canonicalize().expect("canon").to_str().expect("utf8"));
    let text = String::from_utf8_lossy(&weft(app.path(), &server, &["usage"]).stdout).into_owned();
    assert!(text.starts_with("AI usage, the last 30 days"), "{text}");
    assert!(text.contains("By model\n  anthropic:claude-sonnet-4-5"), "{text}");
    assert!(text.contains("By task\n  agent"), "{text}");

    // CSV out, and into another machine's ledger.
    let csv = weft(app.path(), &server, &["usage", "--csv"]);
    let csv_text = String::from_utf8_lossy(&csv.stdout).into_owned();
    assert_eq!(csv_text.lines().count(), 2, "{csv_text}");
    let other = tempfile::tempdir().expect("tmp");
    std::fs::write(other.path().join("u.csv"), &csv_text).expect("write");
    let imported = weft(other.path(), &server, &["usage", "import", other.path().join("u.csv").to_str().expect("utf8")]);
    assert!(String::from_utf8_lossy(&imported.stdout).contains("imported 1 requests"));
    let theirs: serde_json::Value = serde_json::from_slice(&weft(other.path(), &server, &["usage", "--json"]).stdout).expect("json");
    assert_eq!(theirs["total"], summary["total"]);

    // A daily cap of $0.05 stops the next run before its request (no one to say yes).
    std::fs::create_dir_all(app.path().join("c")).expect("config");
    std::fs::write(app.path().join("c/settings.json"), r#"{"budgetDayUsd": 0.05}"#).expect("settings");
    let out = run("again");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("allow going over budget: today's spending is $0.04 of its $0.05 cap") || err.contains("allow going over budget: today's spending is $0.05 of its $0.05 cap"), "{err}");
    assert!(err.contains("stopped at the budget"), "{err}");
    assert_eq!(server.requests().len(), 1, "the request over the cap was never sent");
}

/// Runs git in `repo` as a user with a name, and insists it succeeds.
fn git_in(repo: &std::path::Path, args: &[&str]) {
    let ok = Command::new("git").arg("-C").arg(repo).args(args).env("GIT_AUTHOR_NAME", "t").env("GIT_AUTHOR_EMAIL", "t@t").env("GIT_COMMITTER_NAME", "t").env("GIT_COMMITTER_EMAIL", "t@t").output().expect("git");
    assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
}

/// A repository with add.sh committed.
fn committed_repo(repo: &std::path::Path) {
    git_in(repo, &["init", "-q"]);
    std::fs::write(repo.join("add.sh"), ADD).expect("write");
    git_in(repo, &["add", "."]);
    git_in(repo, &["commit", "-qm", "first"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_messages_come_from_their_task_model_and_are_on_the_books() {
    let repo = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    let git = |args: &[&str]| git_in(repo.path(), args);
    committed_repo(repo.path());
    std::fs::write(repo.path().join("add.sh"), ADD.replace("$1 - $2", "$1 + $2")).expect("write");
    git(&["add", "add.sh"]);
    std::fs::create_dir_all(app.path().join("c")).expect("config");
    std::fs::write(app.path().join("c/settings.json"), r#"{"agentModel": "anthropic:claude-sonnet-4-5", "taskModels": {"commitMessage": "anthropic:claude-haiku-4-5"}}"#).expect("settings");
    let usage = weft_llm::Usage { input_tokens: 2_000, output_tokens: 40, cache_read_tokens: 0, cache_write_tokens: 0 };
    let server = FakeServer::start(vec![Reply::sse(Turn::new("claude-haiku-4-5").text("Fix add.sh: add instead of subtract\n\nThe test expects 2 + 3 = 5.").usage(usage).anthropic())]).await.expect("fake");

    let out = weft(app.path(), &server, &["commit-message", "-C", repo.path().to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Fix add.sh: add instead of subtract\n\nThe test expects 2 + 3 = 5.\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("(staged changes, by anthropic:claude-haiku-4-5)"));
    let req = &server.requests()[0].body;
    assert_eq!(req["model"], "claude-haiku-4-5", "routed to the cheap model");
    let sent = req["messages"][0]["content"][0]["text"].as_str().expect("diff");
    assert!(sent.contains("-echo $(($1 - $2))") && sent.contains("+echo $(($1 + $2))"), "{sent}");
    // On the books as its own task, with what routing saved against the agent's model.
    let summary: serde_json::Value = serde_json::from_slice(&weft(app.path(), &server, &["usage", "--json"]).stdout).expect("json");
    let task = &summary["byTask"][0];
    assert_eq!(task["key"], "commitMessage");
    assert_eq!(task["totals"]["costNanos"], 2_000 * 1_000 + 40 * 5_000);
    assert_eq!(task["totals"]["savedNanos"], (2_000 * 3_000 + 40 * 15_000) - (2_000 * 1_000 + 40 * 5_000));

    let plain = tempfile::tempdir().expect("tmp");
    let out = weft(app.path(), &server, &["commit-message", "-C", plain.path().to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a git repository"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A repository whose config and attributes name programs (written by an agent, or
/// cloned): Weft's own git calls run none of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_runs_no_program_a_repository_configures() {
    let repo = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    let git = |args: &[&str]| git_in(repo.path(), args);
    committed_repo(repo.path());
    let pwned = repo.path().join("pwned");
    let touch = format!("touch {}", pwned.display());
    // fsmonitor runs on every index refresh; textconv and an external diff on every diff.
    git(&["config", "core.fsmonitor", &touch]);
    git(&["config", "diff.evil.textconv", &format!("sh -c '{touch}; cat \"$0\"'")]);
    git(&["config", "diff.external", &touch]);
    std::fs::write(repo.path().join(".gitattributes"), "*.sh diff=evil\n").expect("write");
    std::fs::write(repo.path().join("add.sh"), ADD.replace("$1 - $2", "$1 + $2")).expect("write");
    let server = FakeServer::start(vec![say("Fix add.sh")]).await.expect("fake");
    let out = weft(app.path(), &server, &["commit-message", "-C", repo.path().to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!pwned.exists(), "a repository-configured program ran");
    let sent = server.requests()[0].body["messages"][0]["content"][0]["text"].as_str().expect("diff").to_owned();
    assert!(sent.contains("+echo $(($1 + $2))"), "the plain diff was described: {sent}");
}

/// The key Weft runs with (here from ANTHROPIC_API_KEY) is not in the environment of the
/// commands the agent runs.
#[tokio::test(flavor = "multi_thread")]
async fn commands_do_not_inherit_weft_secrets() {
    let ws = fixture();
    let server = FakeServer::start(vec![tool("t1", "run_command", json!({"command": "echo key=[$ANTHROPIC_API_KEY] home=[$HOME]"})), say("done")]).await.expect("fake");
    let r = weft_agent(&server, ws.path(), &["--allow", "echo*"], "").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let sent = server.requests()[1].body.to_string();
    assert!(sent.contains("key=[]"), "the key reached the command: {sent}");
    assert!(!sent.contains("sk-ant-cli-test"));
    assert!(sent.contains("home=[/"), "other variables still pass: {sent}");
}

/// A model cut off mid-answer, retried, then replaced by the fallback model: the words of
/// the failed attempts never reach stdout (regression: they were printed before the answer).
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_attempts_words_never_reach_stdout() {
    let ws = fixture();
    let cut = || Reply::sse(Turn::new("claude-test").text("PARTIAL-FROM-A-FAILED-ATTEMPT and more").anthropic()).drop_last(3);
    let server = FakeServer::start(vec![cut(), cut(), cut(), cut(), say("The backup's answer.")]).await.expect("fake");
    let r = weft_agent(&server, ws.path(), &["--model", "anthropic:claude-backup"], "").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "The backup's answer.", "stdout: {:?}", r.stdout);
    assert!(r.stderr.contains("trying anthropic:claude-backup"), "{}", r.stderr);
    assert_eq!(server.requests().len(), 5);
}

/// For scripts: `--output-format stream-json` prints one JSON event per line (tool calls
/// and results, each response's text once complete, usage, cost) and the result last;
/// `json` prints only the result; the prompt can come on stdin (then approvals cannot, and
/// are declined unless granted with --allow); `--system-prompt-append` reaches the request.
#[tokio::test(flavor = "multi_thread")]
async fn json_output_for_scripts_and_the_prompt_on_stdin() {
    let ws = fixture();
    let server = FakeServer::start(script()).await.expect("fake");
    let r = weft_agent(&server, ws.path(), &["--output-format", "stream-json", "--allow", "sh test.sh", "--system-prompt-append", "Answer in haiku."], "").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events: Vec<serde_json::Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().expect("type")).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "tool_call").count(), 3, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "tool_result").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "usage").count(), 4);
    assert!(kinds.contains(&"cost") && kinds.contains(&"checkpoint"), "{kinds:?}");
    let run = events.iter().find(|e| e["type"] == "tool_result" && e["id"] == "t3").expect("the command's result");
    assert!(run["content"].as_str().expect("text").contains("PASS"));
    let text = events.iter().find(|e| e["type"] == "text").expect("text");
    assert_eq!(text["text"], "Fixed the sign in add.sh.");
    let result = events.last().expect("result");
    assert_eq!((result["type"].as_str(), result["is_error"].as_bool(), result["end"].as_str()), (Some("result"), Some(false), Some("done")));
    assert_eq!(result["result"], "Fixed the sign in add.sh.");
    assert_eq!(result["tool_calls"], 3);
    assert!(result["usage"]["output_tokens"].as_u64().expect("tokens") > 0);
    assert!(server.requests()[0].body["system"].to_string().contains("Answer in haiku."), "the system prompt has the addition");

    // json: the result alone; the prompt on stdin; the command not allowed, so declined.
    let ws = fixture();
    let server = FakeServer::start(script()).await.expect("fake");
    let r = weft_agent_prompt(&server, ws.path(), &["--output-format", "json"], None, "The test fails; fix it.\n").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one object: {}", r.stdout);
    let result: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    assert_eq!(result["result"], "Fixed the sign in add.sh.");
    assert!(server.requests()[0].body.to_string().contains("The test fails; fix it."), "the prompt from stdin was sent");
    assert!(r.stderr.contains("the prompt came on stdin"), "{}", r.stderr);
    assert!(server.requests()[3].body.to_string().contains("the user declined"));
}

/// Every run is saved as a thread of the folder (where the app's panel lists them too);
/// `weft agent threads --json` lists them; `--resume ID` and `--continue` go on with one,
/// the model seeing the conversation so far.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_saved_as_threads_listed_and_resumed() {
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    let server = FakeServer::start(vec![say("First answer."), say("Second answer."), say("Third answer.")]).await.expect("fake");
    let dir = ws.path().to_str().expect("utf8").to_owned();
    let base = ["agent", "-C", dir.as_str(), "--model", "anthropic:claude-test", "--output-format", "json"];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        let out = weft(app.path(), &server, &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("result")
    };
    let first = tokio::task::block_in_place(|| run(&["Say something."]));
    let id = first["thread"].as_str().expect("thread id").to_owned();
    let listed = tokio::task::block_in_place(|| weft(app.path(), &server, &["agent", "-C", dir.as_str(), "threads", "--json"]));
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("list");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!((list[0]["title"].as_str(), list[0]["turns"].as_u64()), (Some("Say something."), Some(1)));

    tokio::task::block_in_place(|| run(&["--resume", &id, "And more."]));
    let req = server.requests()[1].body.to_string();
    assert!(req.contains("Say something.") && req.contains("First answer.") && req.contains("And more."), "the conversation so far: {req}");
    tokio::task::block_in_place(|| run(&["--continue", "Last."]));
    let req = server.requests()[2].body.to_string();
    assert!(req.contains("Second answer.") && req.contains("Last."), "{req}");
    let listed = tokio::task::block_in_place(|| weft(app.path(), &server, &["agent", "-C", dir.as_str(), "threads", "--json"]));
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("list");
    assert_eq!(list.as_array().expect("list").len(), 1, "one thread, three turns");
    assert_eq!(list[0]["turns"], 3);
    let bad = tokio::task::block_in_place(|| weft(app.path(), &server, &["agent", "-C", dir.as_str(), "--resume", "nope", "x"]));
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("no thread nope"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// `--image` sends a picture with the prompt; one that is not what its name says is refused
/// before any request.
#[tokio::test(flavor = "multi_thread")]
async fn an_image_goes_with_the_prompt_and_a_bad_one_is_refused_first() {
    let ws = fixture();
    // A real 1×1 PNG.
    const PNG: [u8; 70] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xfc, 0xcf, 0xc0, 0x50, 0x0f, 0x00, 0x04, 0x85, 0x01, 0x80, 0x84, 0xa9, 0x8c, 0x21, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    std::fs::write(ws.path().join("shot.png"), PNG).expect("png");
    std::fs::write(ws.path().join("fake.jpg"), PNG).expect("jpg");
    let server = FakeServer::start(vec![say("A single pixel.")]).await.expect("fake");
    let png = ws.path().join("shot.png");
    let r = weft_agent_prompt(&server, ws.path(), &["--image", png.to_str().expect("utf8")], Some("what is this?"), "").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let content = &server.requests()[0].body["messages"][0]["content"];
    assert_eq!((content[0]["text"].as_str(), content[1]["type"].as_str(), content[1]["source"]["media_type"].as_str()), (Some("what is this?"), Some("image"), Some("image/png")), "{content}");

    let jpg = ws.path().join("fake.jpg");
    let r = weft_agent_prompt(&server, ws.path(), &["--image", jpg.to_str().expect("utf8")], Some("and this?"), "").await;
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("fake.jpg: the image says it is image/jpeg but its bytes are image/png"), "{}", r.stderr);
    assert_eq!(server.requests().len(), 1, "nothing was sent");
}

/// A new user with nothing but an AWS profile: `weft agent -m bedrock:…` finds the profile's
/// keys and region in `~/.aws` through the AWS SDK's own chain, signs every request (the
/// fake recomputes each SigV4 signature and refuses a wrong one), and fixes the test.
#[tokio::test(flavor = "multi_thread")]
async fn a_user_with_an_aws_profile_runs_the_agent_on_bedrock() {
    use weft_llm::fake::aws::AwsAuth;
    const MODEL: &str = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";
    let ws = fixture();
    let server = FakeServer::start(vec![
        Reply::bedrock(Turn::new(MODEL).tool_use("tooluse_1", "edit_file", json!({"path": "add.sh", "old_string": "$1 - $2", "new_string": "$1 + $2"})).bedrock()),
        Reply::bedrock(Turn::new(MODEL).text("Fixed the sign.").bedrock()),
    ])
    .await
    .expect("fake");
    server.require_aws(AwsAuth::SigV4 { access_key_id: "AKIDPROFILE00000001".into(), secret_access_key: "profile/secret/key".into(), region: "eu-west-3".into() });
    let app = tempfile::tempdir().expect("tmp");
    let home = app.path().join("home");
    std::fs::create_dir_all(home.join(".aws")).expect("home");
    std::fs::write(home.join(".aws/credentials"), "[weft-test]\naws_access_key_id = AKIDPROFILE00000001\naws_secret_access_key = profile/secret/key\n").expect("credentials");
    std::fs::write(home.join(".aws/config"), "[profile weft-test]\nregion = eu-west-3\n").expect("config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weft"));
    cmd.args(["agent", "-C", ws.path().to_str().expect("utf8"), "--model", &format!("bedrock:{MODEL}"), "--output-format", "json", "make the test pass"])
        .env("AWS_PROFILE", "weft-test")
        // Where the AWS SDK sends Bedrock Runtime requests when told (a VPC endpoint, here the fake).
        .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url())
        .env("WEFT_CONFIG_DIR", app.path().join("c"))
        .env("WEFT_DATA_DIR", app.path().join("d"))
        .env("HOME", &home)
        .env("USERPROFILE", &home)
        .stdin(Stdio::null());
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_BEARER_TOKEN_BEDROCK", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"] {
        cmd.env_remove(var);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("weft agent")).await.expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let result: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).expect("json result");
    assert_eq!(result["result"], "Fixed the sign.", "{result}");
    assert!(result["cost_usd"].as_f64().is_some_and(|c| c > 0.0), "priced as Claude on Bedrock: {result}");
    assert_eq!(std::fs::read_to_string(ws.path().join("add.sh")).expect("read"), ADD.replace("$1 - $2", "$1 + $2"));
    let sent = server.requests();
    assert_eq!(sent.len(), 2, "both requests passed the signature check");
    assert!(sent.iter().all(|r| r.header("authorization").is_some_and(|a| a.contains("/eu-west-3/bedrock/aws4_request"))), "the profile's region");
}
