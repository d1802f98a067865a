use super::*;
use serde_json::json;
use weft_llm::fake::{gemini_error_chunk, FakeServer, Reply, Turn};
use weft_llm::{Block, ImageSource, LlmError, Message, Request, Role, StopReason, Usage};

/// With a schema keyword Gemini's OpenAPI-subset `parameters` would refuse.
fn request() -> Request {
    let mut r = super::request();
    r.tools[0].input_schema["additionalProperties"] = json!(false);
    r
}

pub fn gemini(url: &str) -> Arc<dyn Provider> {
    ProviderConfig::new("gemini", ProviderKind::Gemini, url).with_key(Some(weft_llm::ApiKey::new("AIza-test"))).build().expect("provider")
}

#[tokio::test]
async fn streams_text_over_crlf_sse_with_usage_metadata() {
    let usage = Usage { input_tokens: 100, output_tokens: 20, cache_read_tokens: 64, cache_write_tokens: 0 };
    let reply = Reply::sse(Turn::new("gemini-2.5-flash").text("Grüße — 🦀 done").usage(usage).gemini()).split_every(3);
    let server = FakeServer::start(vec![reply]).await.expect("fake");
    let events = Events::default();
    let r = client(&[gemini(&server.url())]).stream(&route(&["gemini:gemini-2.5-flash"]), &request(), &mut events.sink()).await.expect("response");
    assert_eq!(r.message.text(), "Grüße — 🦀 done");
    assert_eq!(events.visible_text(), "Grüße — 🦀 done");
    assert_eq!(r.stop, StopReason::EndTurn);
    assert_eq!(r.usage, usage, "the cached part of the prompt count is moved out of input");
    assert_eq!((r.provider.as_str(), r.model.as_str(), r.id.as_str()), ("gemini", "gemini-2.5-flash", "msg_fake_01"));

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    assert_eq!(sent.header("x-goog-api-key"), Some("AIza-test"));
    let b = &sent.body;
    assert_eq!(b["systemInstruction"], json!({"parts": [{"text": "You are a coding agent."}]}));
    assert_eq!(b["contents"], json!([{"role": "user", "parts": [{"text": "List the files."}]}]));
    let decl = &b["tools"][0]["functionDeclarations"][0];
    assert_eq!(decl["name"], "list_dir");
    assert_eq!(decl["parametersJsonSchema"]["additionalProperties"], false, "the schema goes as JSON Schema, unchanged");
    assert_eq!(b["generationConfig"], json!({"maxOutputTokens": 512}));
}

#[tokio::test]
async fn a_function_call_round_trip_keeps_the_thought_signature_and_names_the_function() {
    // No call id from Gemini (as its API mostly sends), a thought, and the signature on the call.
    let turn = Turn::new("gemini-3-pro-preview").thinking("I should list src.", "c2lnbmF0dXJl").tool_use("", "list_dir", json!({"path": "src"}));
    let server = FakeServer::start(vec![Reply::sse(turn.gemini()), Reply::sse(Turn::new("gemini-3-pro-preview").text("Two files.").gemini())]).await.expect("fake");
    let c = client(&[gemini(&server.url())]);
    let mut req = request();
    req.thinking_budget = Some(2048);
    let events = Events::default();
    let r = c.stream(&route(&["gemini:gemini-3-pro-preview"]), &req, &mut events.sink()).await.expect("response");
    assert_eq!(r.stop, StopReason::ToolUse, "STOP after a function call is a tool-use stop");
    let uses: Vec<_> = r.message.tool_uses().map(|(id, n, i)| (id.to_owned(), n.to_owned(), i.clone())).collect();
    assert_eq!(uses.len(), 1);
    let (id, name, input) = &uses[0];
    assert_eq!((name.as_str(), input), ("list_dir", &json!({"path": "src"})));
    assert!(!id.is_empty(), "a call without an id gets one");
    let thought: String = events.all().into_iter().filter_map(|e| if let Event::Thinking { text, .. } = e { Some(text) } else { None }).collect();
    assert_eq!(thought, "I should list src.", "thoughts are shown");
    assert_eq!(server.requests()[0].body["generationConfig"]["thinkingConfig"], json!({"thinkingBudget": 2048, "includeThoughts": true}));

    // The agent answers the call; the next request carries the call with its signature
    // and the response under the function's name.
    req.messages.push(r.message.clone());
    req.messages.push(Message { role: Role::User, content: vec![Block::ToolResult { tool_use_id: id.clone(), content: "a.rs\nb.rs".into(), is_error: false }] });
    c.stream(&route(&["gemini:gemini-3-pro-preview"]), &req, &mut |_| {}).await.expect("second response");
    let contents = &server.requests()[1].body["contents"];
    let model = &contents[1];
    assert_eq!(model["role"], "model");
    let parts = model["parts"].as_array().expect("parts");
    let call = parts.iter().find(|p| p.get("functionCall").is_some()).expect("the call is sent back");
    assert_eq!(call["thoughtSignature"], "c2lnbmF0dXJl", "the signature goes back on the call it came with");
    assert_eq!(call["functionCall"], json!({"name": "list_dir", "args": {"path": "src"}}), "a made-up id is never sent");
    assert!(parts.iter().all(|p| p["thought"] != true || p["thoughtSignature"].is_string()), "unsigned thoughts are not sent back");
    assert_eq!(contents[2], json!({"role": "user", "parts": [{"functionResponse": {"name": "list_dir", "response": {"output": "a.rs\nb.rs"}}}]}));
}

#[tokio::test]
async fn ids_signatures_and_errors_map_both_ways() {
    let server = FakeServer::start(vec![Reply::sse(Turn::new("m").text("ok").gemini())]).await.expect("fake");
    let png = ImageSource::from_bytes("image/png", b"\x89PNG\r\n\x1a\n0000").expect("png");
    let mut req = request();
    req.messages.push(Message {
        role: Role::Assistant,
        content: vec![
            // Anthropic's thinking (after a fallback) means nothing to Gemini.
            Block::Thinking { thinking: "claude thought".into(), signature: "EqQBCkYIARgC".into() },
            Block::Thinking { thinking: "gemini thought".into(), signature: "gemini:Z3NpZw==".into() },
            Block::text(""),
            Block::ToolUse { id: "call-7".into(), name: "read_file".into(), input: json!({"path": "a"}) },
        ],
    });
    req.messages.push(Message {
        role: Role::User,
        content: vec![Block::ToolResult { tool_use_id: "call-7".into(), content: "no such file".into(), is_error: true }, Block::Image { source: png.clone() }],
    });
    client(&[gemini(&server.url())]).stream(&route(&["gemini:models/m"]), &req, &mut |_| {}).await.expect("response");
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1beta/models/m:streamGenerateContent?alt=sse", "models/ is optional in the name");
    let c = &sent.body["contents"];
    assert_eq!(
        c[1]["parts"],
        json!([{"text": "gemini thought", "thought": true, "thoughtSignature": "Z3NpZw=="}, {"functionCall": {"name": "read_file", "args": {"path": "a"}, "id": "call-7"}}]),
        "Gemini's own ids and signed thoughts go back; another provider's thinking and empty text do not"
    );
    let ImageSource::Base64 { data, .. } = &png;
    assert_eq!(
        c[2]["parts"],
        json!([{"functionResponse": {"name": "read_file", "response": {"error": "no such file"}, "id": "call-7"}}, {"inlineData": {"mimeType": "image/png", "data": data}}])
    );
}

#[tokio::test]
async fn throttling_waits_as_retry_info_says_then_succeeds() {
    let server = FakeServer::start(vec![
        Reply::gemini_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Generate Content API requests per minute'", Some("0.2s"), None),
        Reply::sse(Turn::new("gemini-2.5-pro").text("After the wait.").gemini()),
    ])
    .await
    .expect("fake");
    let events = Events::default();
    let r = client(&[gemini(&server.url())]).stream(&route(&["gemini:gemini-2.5-pro"]), &request(), &mut events.sink()).await.expect("response");
    assert_eq!(r.message.text(), "After the wait.");
    let retry = events.all().into_iter().find_map(|e| match e {
        Event::Retry { delay, error, .. } => Some((delay, error)),
        _ => None,
    });
    let (delay, error) = retry.expect("a retry");
    assert_eq!(delay, std::time::Duration::from_millis(200), "RetryInfo.retryDelay is the wait");
    assert!(error.contains("rate limited") && error.contains("Quota exceeded"), "{error}");
}

#[tokio::test]
async fn a_bad_key_is_an_auth_error_although_gemini_says_400() {
    let server = FakeServer::start(vec![Reply::gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", None, Some("API_KEY_INVALID"))]).await.expect("fake");
    let err = client(&[gemini(&server.url())]).stream(&route(&["gemini:gemini-2.5-pro"]), &request(), &mut |_| {}).await.expect_err("refused");
    assert!(matches!(&err, LlmError::Auth { env, .. } if env == "GEMINI_API_KEY"), "{err:?}");
    assert_eq!(server.requests().len(), 1, "not retried");
}

#[tokio::test]
async fn a_stream_cut_before_its_finish_reason_is_retried_and_the_partial_text_dropped() {
    let whole = Turn::new("gemini-2.5-flash").text("This answer is long enough to be cut in the middle.").gemini();
    let server = FakeServer::start(vec![Reply::sse(whole.clone()).drop_last(2), Reply::sse(whole)]).await.expect("fake");
    let events = Events::default();
    let r = client(&[gemini(&server.url())]).stream(&route(&["gemini:gemini-2.5-flash"]), &request(), &mut events.sink()).await.expect("response");
    assert_eq!(r.message.text(), "This answer is long enough to be cut in the middle.");
    assert_eq!(events.visible_text(), r.message.text(), "the cut attempt's words are gone");
    let failed = events.all().into_iter().find_map(|e| match e {
        Event::Failed { code, .. } => Some(code),
        _ => None,
    });
    assert_eq!(failed.as_deref(), Some("llm_truncated"));
}

#[tokio::test]
async fn an_error_inside_the_stream_and_an_unavailable_model_are_sorted() {
    let mut pieces = Turn::new("gemini-2.5-pro").text("Half").gemini();
    pieces.truncate(1);
    pieces.push(gemini_error_chunk(503, "UNAVAILABLE", "The model is overloaded. Please try again later."));
    let server = FakeServer::start(vec![Reply::sse(pieces)]).await.expect("fake");
    let mut c = Client::new(weft_llm::RetryPolicy { max_retries: 0, ..quick() });
    c.add(gemini(&server.url()));
    let err = c.stream(&route(&["gemini:gemini-2.5-pro"]), &request(), &mut |_| {}).await.expect_err("overloaded");
    assert!(matches!(err, LlmError::Overloaded { .. }), "{err:?}");

    let bad = c.stream(&route(&["gemini:../../v1/files"]), &request(), &mut |_| {}).await.expect_err("not a name");
    assert!(matches!(&bad, LlmError::InvalidRequest { message, .. } if message.contains("not a Gemini model name")), "{bad:?}");
    assert_eq!(server.requests().len(), 1, "a path in the model name never reaches the server");
}

#[tokio::test]
async fn a_blocked_prompt_and_a_safety_stop_are_refusals() {
    let blocked = format!("data: {}\r\n\r\n", json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 9}}));
    let server = FakeServer::start(vec![Reply::sse(vec![blocked]), Reply::sse(Turn::new("m").text("I can").stop(StopReason::Refusal).gemini())]).await.expect("fake");
    let c = client(&[gemini(&server.url())]);
    let r = c.stream(&route(&["gemini:m"]), &request(), &mut |_| {}).await.expect("response");
    assert_eq!(r.stop, StopReason::Refusal);
    assert!(r.message.text().contains("PROHIBITED_CONTENT"), "the user is told why: {}", r.message.text());
    let r = c.stream(&route(&["gemini:m"]), &request(), &mut |_| {}).await.expect("response");
    assert_eq!(r.stop, StopReason::Refusal);
}

#[tokio::test]
async fn the_model_list_pages_and_keeps_only_chat_models() {
    let page1 = json!({"models": [
        {"name": "models/gemini-2.5-pro", "supportedGenerationMethods": ["generateContent", "countTokens"]},
        {"name": "models/text-embedding-004", "supportedGenerationMethods": ["embedContent"]}], "nextPageToken": "p2"});
    let page2 = json!({"models": [{"name": "models/gemini-2.5-flash", "supportedGenerationMethods": ["generateContent"]}]});
    let server = FakeServer::start(vec![Reply::json(200, page1), Reply::json(200, page2)]).await.expect("fake");
    let models = gemini(&server.url()).models().await.expect("models");
    assert_eq!(models, vec!["gemini-2.5-pro", "gemini-2.5-flash"]);
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, vec!["/v1beta/models?pageSize=1000", "/v1beta/models?pageSize=1000&pageToken=p2"]);
}
