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
    let app = tempfile::tempdir().expect("tmp");
    let mut args = vec!["agent", "-C", ws.to_str().expect("utf8"), "--model", "anthropic:claude-test"];
    args.extend_from_slice(extra);
    args.push("The test fails; fix it.");
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(&args)
        .env("ANTHROPIC_BASE_URL", server.url())
        .env("ANTHROPIC_API_KEY", "sk-ant-cli-test")
        .env("WEFT_CONFIG_DIR", app.path().join("c"))
        .env("WEFT_DATA_DIR", app.path().join("d"))
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
