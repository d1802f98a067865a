use super::*;
use serde_json::json;
use std::time::Instant;
use weft_llm::fake::{anthropic_error_event, FakeServer, Reply, Turn};
use weft_llm::{Block, LlmError, Message, Request, Role, StopReason, Tool, Usage};

fn request() -> Request {
    Request {
        system: "You are a careful coding agent.".into(),
        messages: vec![Message::user("Fix the failing test.")],
        tools: vec![
            Tool { name: "read_file".into(), description: "Read a file".into(), input_schema: json!({"type": "object", "properties": {"path": {"type": "string"}}}) },
            Tool { name: "edit_file".into(), description: "Edit a file".into(), input_schema: json!({"type": "object"}) },
        ],
        max_tokens: 1024,
        cache: true,
        ..Request::default()
    }
}

const TEXT: &str = "Héllo, wörld — 你好 👋🏽 the test is fixed.";

#[tokio::test]
async fn streams_text_through_pings_and_utf8_split_across_chunks() {
    let usage = Usage { input_tokens: 12, output_tokens: 34, cache_read_tokens: 5000, cache_write_tokens: 700 };
    // Three-byte pieces cut through every multi-byte character above.
    let reply = Reply::sse(Turn::new("claude-test").text(TEXT).usage(usage).pings().anthropic()).split_every(3);
    let server = FakeServer::start(vec![reply]).await.expect("fake");
    let events = Events::default();
    let r = client(&[anthropic(&server.url())])
        .stream(&route(&["anthropic:claude-test"]), &request(), &mut events.sink())
        .await
        .expect("response");
    assert_eq!(r.message.text(), TEXT);
    assert_eq!(events.visible_text(), TEXT, "streamed deltas add up to the message");
    assert_eq!(r.stop, StopReason::EndTurn);
    assert_eq!(r.usage, usage, "cache reads and writes are accounted");
    assert_eq!((r.provider.as_str(), r.model.as_str(), r.id.as_str()), ("anthropic", "claude-test", "msg_fake_01"));

    let sent = &server.requests()[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/messages"));
    assert_eq!(sent.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    let b = &sent.body;
    assert_eq!(b["stream"], true);
    assert_eq!(b["model"], "claude-test");
    assert_eq!(b["system"][0]["cache_control"]["type"], "ephemeral", "system prompt cached");
    assert!(b["tools"][0].get("cache_control").is_none());
    assert_eq!(b["tools"][1]["cache_control"]["type"], "ephemeral", "breakpoint after the last tool");
    assert_eq!(b["messages"][0]["content"][0]["cache_control"]["type"], "ephemeral", "conversation so far cached");
    assert!(b.get("thinking").is_none());
}

#[tokio::test]
async fn tool_input_arriving_in_many_fragments_is_assembled() {
    let input = json!({"path": "src/lib.rs", "old": "a == b\n", "new": "a != b — ✓\n", "opts": {"all": false, "n": [1, 2]}});
    let mut turn = Turn::new("claude-test").text("Let me edit it.").tool_use("toolu_01", "edit_file", input.clone());
    turn.piece = 1;
    let server = FakeServer::start(vec![Reply::sse(turn.anthropic())]).await.expect("fake");
    let events = Events::default();
    let r = client(&[anthropic(&server.url())])
        .stream(&route(&["anthropic:claude-test"]), &request(), &mut events.sink())
        .await
        .expect("response");
    assert_eq!(r.stop, StopReason::ToolUse);
    let uses: Vec<_> = r.message.tool_uses().collect();
    assert_eq!(uses, vec![("toolu_01", "edit_file", &input)]);
    let all = events.all();
    assert!(all.contains(&Event::ToolUseStart { index: 1, id: "toolu_01".into(), name: "edit_file".into() }));
    let fragments: String = all
        .iter()
        .filter_map(|e| match e {
            Event::ToolInput { index: 1, partial_json } => Some(partial_json.as_str()),
            _ => None,
        })
        .collect();
    assert!(all.iter().filter(|e| matches!(e, Event::ToolInput { .. })).count() > 50);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&fragments).expect("json"), input);
}

#[tokio::test]
async fn thinking_is_kept_with_its_signature_and_sent_back_verbatim() {
    let turn = Turn::new("claude-test")
        .thinking("The assertion is inverted; reading the file first.", "sig-EqQBCgYIARABGAI=")
        .tool_use("toolu_02", "read_file", json!({"path": "src/lib.rs"}));
    let server = FakeServer::start(vec![Reply::sse(turn.anthropic()), Reply::sse(Turn::new("claude-test").text("Done.").anthropic())])
        .await
        .expect("fake");
    let c = client(&[anthropic(&server.url())]);
    let mut req = Request { thinking_budget: Some(2048), temperature: Some(0.2), ..request() };
    let events = Events::default();
    let first = c.stream(&route(&["anthropic:claude-test"]), &req, &mut events.sink()).await.expect("first");
    assert_eq!(
        first.message.content[0],
        Block::Thinking { thinking: "The assertion is inverted; reading the file first.".into(), signature: "sig-EqQBCgYIARABGAI=".into() }
    );
    assert!(events.all().iter().any(|e| matches!(e, Event::Thinking { index: 0, .. })));

    req.messages.push(first.message.clone());
    req.messages.push(Message {
        role: Role::User,
        content: vec![Block::ToolResult { tool_use_id: "toolu_02".into(), content: "fn f() {}".into(), is_error: false }],
    });
    let second = c.stream(&route(&["anthropic:claude-test"]), &req, &mut |_| {}).await.expect("second");
    assert_eq!(second.message.text(), "Done.");
    let body = &server.requests()[1].body;
    assert_eq!(body["thinking"], json!({"type": "enabled", "budget_tokens": 2048}));
    assert!(body.get("temperature").is_none(), "the API refuses temperature with thinking");
    let sent = &body["messages"][1]["content"];
    assert_eq!(sent[0], json!({"type": "thinking", "thinking": "The assertion is inverted; reading the file first.", "signature": "sig-EqQBCgYIARABGAI="}));
    assert_eq!(sent[1], json!({"type": "tool_use", "id": "toolu_02", "name": "read_file", "input": {"path": "src/lib.rs"}}));
    assert_eq!(body["messages"][2]["content"][0]["type"], "tool_result");
    assert_eq!(body["messages"][2]["content"][0]["cache_control"]["type"], "ephemeral");
}

#[tokio::test]
async fn every_stop_reason_is_reported() {
    let reasons = [
        StopReason::EndTurn,
        StopReason::MaxTokens,
        StopReason::StopSequence,
        StopReason::ToolUse,
        StopReason::PauseTurn,
        StopReason::Refusal,
        StopReason::ContextWindowExceeded,
        StopReason::Other("some_future_reason".into()),
    ];
    let script = reasons.iter().map(|r| Reply::sse(Turn::new("m").text("x").stop(r.clone()).anthropic())).collect();
    let server = FakeServer::start(script).await.expect("fake");
    let c = client(&[anthropic(&server.url())]);
    for want in reasons {
        let r = c.stream(&route(&["anthropic:m"]), &request(), &mut |_| {}).await.expect("response");
        assert_eq!(r.stop, want);
    }
}

#[tokio::test]
async fn an_overloaded_error_inside_a_200_stream_is_retried() {
    let mut broken = Turn::new("m").text("This partial answer must vanish.").anthropic();
    broken.truncate(4);
    broken.push(anthropic_error_event("overloaded_error", "Overloaded"));
    let server = FakeServer::start(vec![Reply::sse(broken), Reply::sse(Turn::new("m").text("Second try.").anthropic())])
        .await
        .expect("fake");
    let events = Events::default();
    let r = client(&[anthropic(&server.url())])
        .stream(&route(&["anthropic:m"]), &request(), &mut events.sink())
        .await
        .expect("response");
    assert_eq!(r.message.text(), "Second try.");
    assert_eq!(events.visible_text(), "Second try.");
    let retry = events.all().into_iter().find(|e| matches!(e, Event::Retry { .. })).expect("a retry event");
    let Event::Retry { attempt, error, .. } = retry else { unreachable!() };
    assert_eq!(attempt, 1);
    assert!(error.contains("overloaded") && error.contains("Overloaded"), "{error}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_rate_limit_waits_as_long_as_retry_after_says() {
    let server = FakeServer::start(vec![
        Reply::anthropic_error(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit").with_header("retry-after", "1"),
        Reply::sse(Turn::new("m").text("ok").anthropic()),
    ])
    .await
    .expect("fake");
    let events = Events::default();
    let started = Instant::now();
    let r = client(&[anthropic(&server.url())])
        .stream(&route(&["anthropic:m"]), &request(), &mut events.sink())
        .await
        .expect("response");
    assert_eq!(r.message.text(), "ok");
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for retry-after");
    assert!(events.all().iter().any(|e| matches!(e, Event::Retry { delay, error, .. }
        if *delay == Duration::from_secs(1) && error.contains("rate limited"))));
}

#[tokio::test]
async fn truncated_streams_are_retried_then_reported() {
    let full = Reply::sse(Turn::new("m").text("A complete answer.").anthropic());
    let len = match &full {
        Reply::Stream { pieces, .. } => pieces.concat().len(),
        _ => unreachable!(),
    };
    // Cut mid-body (connection dropped), then cleanly closed without message_stop, then whole.
    let server = FakeServer::start(vec![full.clone().cut_after(len / 2), full.clone().drop_last(1), full.clone()]).await.expect("fake");
    let events = Events::default();
    let r = client(&[anthropic(&server.url())])
        .stream(&route(&["anthropic:m"]), &request(), &mut events.sink())
        .await
        .expect("third attempt succeeds");
    assert_eq!(r.message.text(), "A complete answer.");
    assert_eq!(events.all().iter().filter(|e| matches!(e, Event::Retry { .. })).count(), 2);

    // Every attempt cut: the error says so.
    let server = FakeServer::start(vec![full.clone().drop_last(1); 3]).await.expect("fake");
    let err = client(&[anthropic(&server.url())]).stream(&route(&["anthropic:m"]), &request(), &mut |_| {}).await.expect_err("cut");
    assert!(matches!(err, LlmError::Truncated { .. }), "{err:?}");
    assert!(err.to_string().contains("cut off"), "{err}");
    assert_eq!(server.requests().len(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn an_invalid_key_fails_at_once_with_a_clear_message() {
    let server = FakeServer::start(vec![Reply::anthropic_error(401, "authentication_error", "invalid x-api-key")]).await.expect("fake");
    let err = client(&[anthropic(&server.url())]).stream(&route(&["anthropic:m"]), &request(), &mut |_| {}).await.expect_err("401");
    assert!(matches!(err, LlmError::Auth { .. }));
    let msg = err.to_string();
    assert!(msg.contains("invalid x-api-key") && msg.contains("ANTHROPIC_API_KEY"), "{msg}");
    assert!(!msg.contains("sk-ant-test"), "the key itself is never shown");
    assert_eq!(server.requests().len(), 1, "not retried");
}

#[tokio::test]
async fn a_bad_request_is_not_retried() {
    let server = FakeServer::start(vec![Reply::anthropic_error(400, "invalid_request_error", "max_tokens: must be at most 8192")]).await.expect("fake");
    let err = client(&[anthropic(&server.url())]).stream(&route(&["anthropic:m"]), &request(), &mut |_| {}).await.expect_err("400");
    assert!(matches!(err, LlmError::InvalidRequest { status: 400, .. }), "{err:?}");
    assert!(err.to_string().contains("max_tokens: must be at most 8192"));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_malformed_event_is_named_in_the_error() {
    let bad = || Reply::sse(vec!["event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"de\n\n".into()]);
    let server = FakeServer::start(vec![bad(), bad(), bad()]).await.expect("fake");
    let err = client(&[anthropic(&server.url())]).stream(&route(&["anthropic:m"]), &request(), &mut |_| {}).await.expect_err("malformed");
    assert!(matches!(err, LlmError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("not JSON") && err.to_string().contains("content_block_delta"), "{err}");
}

#[tokio::test]
async fn lists_models_for_the_picker_and_test_connection() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        json!({"data": [{"type": "model", "id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5"}, {"type": "model", "id": "claude-haiku-4-5"}], "has_more": false}),
    )])
    .await
    .expect("fake");
    let models = anthropic(&server.url()).models().await.expect("models");
    assert_eq!(models, ["claude-sonnet-4-5", "claude-haiku-4-5"]);
    assert!(server.requests()[0].path.starts_with("/v1/models"));
}

/// A provider that redirects to another host does not get the key sent there: the
/// request stops with the provider's answer, and the other host receives nothing.
#[tokio::test]
async fn the_key_does_not_follow_a_redirect_to_another_host() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let elsewhere = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let target = format!("http://{}/v1/messages", elsewhere.local_addr().expect("addr"));
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let g = got.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = elsewhere.accept().await {
            let mut buf = vec![0u8; 65536];
            let n = s.read(&mut buf).await.unwrap_or(0);
            g.lock().expect("got").push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = s.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n").await;
        }
    });
    let provider = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", provider.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut s, _)) = provider.accept().await {
            let mut buf = vec![0u8; 65536];
            let _ = s.read(&mut buf).await;
            let reply = format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}\r\ncontent-length: 0\r\n\r\n");
            let _ = s.write_all(reply.as_bytes()).await;
        }
    });
    let err = client(&[anthropic(&url)]).stream(&route(&["anthropic:claude-test"]), &request(), &mut Events::default().sink()).await.expect_err("a redirect elsewhere is not followed");
    assert!(got.lock().expect("got").is_empty(), "the other host was sent: {:?}", got.lock().expect("got"));
    assert!(!err.to_string().is_empty());
}
