use super::*;
use serde_json::{json, Value};
use weft_llm::fake::{openai_error_chunk, FakeServer, Reply, Turn};
use weft_llm::{Block, LlmError, Message, Role, StopReason, Usage};

#[tokio::test]
async fn streams_text_and_reads_the_usage_chunk() {
    let usage = Usage { input_tokens: 100, output_tokens: 20, cache_read_tokens: 64, cache_write_tokens: 0 };
    let reply = Reply::sse(Turn::new("gpt-test").text("Grüße — 🦀 done").usage(usage).pings().openai()).split_every(2);
    let server = FakeServer::start(vec![reply]).await.expect("fake");
    let events = Events::default();
    let r = client(&[openai("openai", &server.url(), Some("sk-oai-test"))])
        .stream(&route(&["openai:gpt-test"]), &request(), &mut events.sink())
        .await
        .expect("response");
    assert_eq!(r.message.text(), "Grüße — 🦀 done");
    assert_eq!(events.visible_text(), "Grüße — 🦀 done");
    assert_eq!(r.stop, StopReason::EndTurn);
    assert_eq!(r.usage, usage, "cached prompt tokens are moved out of input");

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-oai-test"));
    let b = &sent.body;
    assert_eq!(b["stream_options"]["include_usage"], true);
    assert_eq!(b["max_tokens"], 512, "non-OpenAI hosts get max_tokens");
    assert_eq!(b["messages"][0], json!({"role": "system", "content": "You are a coding agent."}));
    assert_eq!(b["tools"][0]["type"], "function");
    assert_eq!(b["tools"][0]["function"]["name"], "list_dir");
    assert_eq!(b["tools"][0]["function"]["parameters"]["type"], "object");
}

fn chunk(delta: Value, finish: Value) -> String {
    format!("data: {}\n\n", json!({"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}))
}

#[tokio::test]
async fn parallel_tool_calls_are_keyed_by_index_even_when_interleaved() {
    let call = |index: u64, id: Option<&str>, name: Option<&str>, args: &str| {
        let mut f = json!({"arguments": args});
        if let Some(n) = name {
            f["name"] = json!(n);
        }
        let mut c = json!({"index": index, "function": f});
        if let Some(id) = id {
            c["id"] = json!(id);
            c["type"] = json!("function");
        }
        chunk(json!({"tool_calls": [c]}), Value::Null)
    };
    let events = vec![
        chunk(json!({"role": "assistant", "content": null}), Value::Null),
        call(0, Some("call_a"), Some("list_dir"), ""),
        call(0, None, None, "{\"pa"),
        call(1, Some("call_b"), Some("read_file"), "{\"path\""),
        call(0, None, None, "th\": \"sr"),
        call(1, None, None, ": \"README.md\"}"),
        call(0, None, None, "c\"}"),
        chunk(json!({}), json!("tool_calls")),
        "data: [DONE]\n\n".into(),
    ];
    let server = FakeServer::start(vec![Reply::sse(events)]).await.expect("fake");
    let r = client(&[openai("local", &server.url(), None)])
        .stream(&route(&["local:m"]), &request(), &mut |_| {})
        .await
        .expect("response");
    assert_eq!(r.stop, StopReason::ToolUse);
    let uses: Vec<_> = r.message.tool_uses().map(|(id, n, i)| (id.to_owned(), n.to_owned(), i.clone())).collect();
    assert_eq!(
        uses,
        vec![
            ("call_a".into(), "list_dir".into(), json!({"path": "src"})),
            ("call_b".into(), "read_file".into(), json!({"path": "README.md"})),
        ]
    );
    assert_eq!(server.requests()[0].header("authorization"), None, "a local server gets no key");
}

#[tokio::test]
async fn the_conversation_maps_onto_chat_messages() {
    let server = FakeServer::start(vec![Reply::sse(Turn::new("m").text("ok").openai())]).await.expect("fake");
    let mut req = request();
    req.messages.push(Message {
        role: Role::Assistant,
        content: vec![
            Block::Thinking { thinking: "hidden".into(), signature: String::new() },
            Block::text("Looking."),
            Block::ToolUse { id: "call_1".into(), name: "list_dir".into(), input: json!({"path": "."}) },
        ],
    });
    req.messages.push(Message {
        role: Role::User,
        content: vec![Block::ToolResult { tool_use_id: "call_1".into(), content: "no such dir".into(), is_error: true }, Block::text("Try again.")],
    });
    client(&[openai("local", &server.url(), None)]).stream(&route(&["local:m"]), &req, &mut |_| {}).await.expect("response");
    let m = &server.requests()[0].body["messages"];
    assert_eq!(m[1], json!({"role": "user", "content": "List the files."}));
    assert_eq!(
        m[2],
        json!({"role": "assistant", "content": "Looking.", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "list_dir", "arguments": "{\"path\":\".\"}"}}]}),
        "thinking is not sent back"
    );
    assert_eq!(m[3], json!({"role": "tool", "tool_call_id": "call_1", "content": "Error: no such dir"}));
    assert_eq!(m[4], json!({"role": "user", "content": "Try again."}));
}

#[tokio::test]
async fn reasoning_from_local_models_is_shown_as_thinking() {
    let server = FakeServer::start(vec![Reply::sse(Turn::new("qwen3:8b").thinking("Let me think.", "").text("Answer.").openai())]).await.expect("fake");
    let events = Events::default();
    let r = client(&[openai("ollama", &server.url(), None)])
        .stream(&route(&["ollama:qwen3:8b"]), &request(), &mut events.sink())
        .await
        .expect("response");
    assert_eq!(r.model, "qwen3:8b");
    assert_eq!(r.message.content[0], Block::Thinking { thinking: "Let me think.".into(), signature: String::new() });
    assert_eq!(r.message.text(), "Answer.");
    assert!(events.all().iter().any(|e| matches!(e, Event::Thinking { .. })));
    assert_eq!(server.requests()[0].body["model"], "qwen3:8b");
}

#[tokio::test]
async fn mid_stream_error_and_rate_limit_are_retried() {
    let mut broken = Turn::new("m").text("partial that must vanish").openai();
    broken.truncate(3);
    broken.push(openai_error_chunk("server_error", "The server had an error while processing your request."));
    let server = FakeServer::start(vec![
        Reply::sse(broken),
        Reply::openai_error(429, "requests", "rate_limit_exceeded", "Rate limit reached for requests").with_header("retry-after-ms", "50"),
        Reply::sse(Turn::new("m").text("whole").openai()),
    ])
    .await
    .expect("fake");
    let events = Events::default();
    let r = client(&[openai("openai", &server.url(), Some("k"))])
        .stream(&route(&["openai:m"]), &request(), &mut events.sink())
        .await
        .expect("response");
    assert_eq!(r.message.text(), "whole");
    assert_eq!(events.visible_text(), "whole");
    let retries: Vec<_> = events.all().into_iter().filter(|e| matches!(e, Event::Retry { .. })).collect();
    assert_eq!(retries.len(), 2);
    assert!(matches!(&retries[0], Event::Retry { error, .. } if error.contains("server error") && error.contains("while processing")));
    assert!(matches!(&retries[1], Event::Retry { delay, error, .. } if *delay == Duration::from_millis(50) && error.contains("Rate limit reached")));
}

#[tokio::test]
async fn a_stream_without_done_is_whole_only_if_it_finished() {
    let turn = Turn::new("m").text("finished").openai();
    // Ends after the usage chunk without [DONE]: accepted (some servers omit it).
    let no_done = Reply::sse(turn[..turn.len() - 1].to_vec());
    // Ends before any finish_reason: cut off.
    let cut = Reply::sse(turn[..2].to_vec());
    let server = FakeServer::start(vec![no_done, cut.clone(), cut.clone(), cut]).await.expect("fake");
    let c = client(&[openai("local", &server.url(), None)]);
    let r = c.stream(&route(&["local:m"]), &request(), &mut |_| {}).await.expect("no [DONE] but finished");
    assert_eq!(r.message.text(), "finished");
    let err = c.stream(&route(&["local:m"]), &request(), &mut |_| {}).await.expect_err("cut");
    assert!(matches!(err, LlmError::Truncated { .. }), "{err:?}");
}

#[tokio::test]
async fn an_invalid_key_names_the_variable_to_fix() {
    let server = FakeServer::start(vec![Reply::openai_error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-oai-t***")]).await.expect("fake");
    let err = client(&[openai("openai", &server.url(), Some("sk-oai-test"))])
        .stream(&route(&["openai:m"]), &request(), &mut |_| {})
        .await
        .expect_err("401");
    assert!(matches!(err, LlmError::Auth { .. }));
    assert!(err.to_string().contains("OPENAI_API_KEY") && err.to_string().contains("Incorrect API key"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn openai_itself_gets_max_completion_tokens() {
    // The field choice depends on the host only; the body builder shows it without a network.
    let b = weft_llm::wire::openai_body("o4-mini", &request(), "max_completion_tokens");
    assert_eq!(b["max_completion_tokens"], 512);
    assert!(b.get("max_tokens").is_none());
}
