//! Bedrock through the real AWS SDK against the fake Bedrock: requests the fake verifies
//! by recomputing their SigV4 signatures, answers in the binary event stream with CRCs.

use super::*;
use serde_json::json;
use weft_llm::fake::aws::{exception, AwsAuth};
use weft_llm::fake::{FakeServer, Reply, Turn};
use weft_llm::{AwsKeys, AwsOptions, Block, LlmError, Message, Role, StopReason, Usage};

const AKID: &str = "AKIDWEFTTEST0000001";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn provider(url: &str, secret: &str, bearer: Option<&str>) -> Arc<dyn Provider> {
    let mut c = ProviderConfig::new("bedrock", ProviderKind::Bedrock, url).with_key(bearer.map(weft_llm::ApiKey::new));
    c.aws = AwsOptions {
        region: Some("us-east-1".into()),
        profile: None,
        credentials: Some(AwsKeys { access_key_id: AKID.into(), secret_access_key: weft_llm::ApiKey::new(secret), session_token: None }),
    };
    c.build().expect("provider")
}

async fn signed_server(script: Vec<Reply>) -> FakeServer {
    let server = FakeServer::start(script).await.expect("fake");
    server.require_aws(AwsAuth::SigV4 { access_key_id: AKID.into(), secret_access_key: SECRET.into(), region: "us-east-1".into() });
    server
}

#[tokio::test]
async fn a_signed_request_streams_text_and_usage_from_the_event_stream() {
    let usage = Usage { input_tokens: 100, output_tokens: 20, cache_read_tokens: 64, cache_write_tokens: 8 };
    let server = signed_server(vec![Reply::bedrock(Turn::new(SONNET).text("Grüße — 🦀 done").usage(usage).bedrock()).split_every(5)]).await;
    let events = Events::default();
    let mut req = request();
    req.cache = true;
    let r = client(&[provider(&server.url(), SECRET, None)]).stream(&route(&[&format!("bedrock:{SONNET}")]), &req, &mut events.sink()).await.expect("response");
    assert_eq!(r.message.text(), "Grüße — 🦀 done");
    assert_eq!(events.visible_text(), "Grüße — 🦀 done");
    assert_eq!(r.stop, StopReason::EndTurn);
    assert_eq!(r.usage, usage);
    assert_eq!((r.provider.as_str(), r.model.as_str()), ("bedrock", SONNET));

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream", "the model id is one encoded path segment");
    assert!(sent.header("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 Credential=AKIDWEFTTEST0000001/")), "SigV4, verified by the fake");
    let b = &sent.body;
    assert_eq!(b["messages"][0], json!({"role": "user", "content": [{"text": "List the files."}, {"cachePoint": {"type": "default"}}]}));
    assert_eq!(b["system"], json!([{"text": "You are a coding agent."}, {"cachePoint": {"type": "default"}}]), "Claude's prompt is cached");
    assert_eq!(b["toolConfig"]["tools"][0]["toolSpec"]["name"], "list_dir");
    assert_eq!(b["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["type"], "object");
    assert_eq!(b["toolConfig"]["tools"][1], json!({"cachePoint": {"type": "default"}}));
    assert_eq!(b["inferenceConfig"], json!({"maxTokens": 512}));
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_signature_check_and_not_retried() {
    let server = signed_server(vec![Reply::bedrock(Turn::new(SONNET).text("never").bedrock())]).await;
    let err = client(&[provider(&server.url(), "not-the-secret", None)]).stream(&route(&[&format!("bedrock:{SONNET}")]), &request(), &mut |_| {}).await.expect_err("refused");
    assert!(matches!(&err, LlmError::Auth { message, env, .. } if message.contains("signature we calculated does not match") && env.contains("AWS_PROFILE")), "{err:?}");
    assert_eq!(server.requests().len(), 1, "an auth failure is not retried");
}

#[tokio::test]
async fn thinking_and_a_tool_call_round_trip_with_the_signature() {
    let turn = Turn::new(SONNET).thinking("List src first.", "sig-abc").tool_use("tooluse_1", "list_dir", json!({"path": "src"}));
    let server = signed_server(vec![Reply::bedrock(turn.bedrock()), Reply::bedrock(Turn::new(SONNET).text("Two files.").bedrock())]).await;
    let c = client(&[provider(&server.url(), SECRET, None)]);
    let route = route(&[&format!("bedrock:{SONNET}")]);
    let mut req = request();
    req.thinking_budget = Some(2048);
    req.temperature = Some(0.5);
    let r = c.stream(&route, &req, &mut |_| {}).await.expect("response");
    assert_eq!(r.stop, StopReason::ToolUse);
    assert_eq!(r.message.content[0], Block::Thinking { thinking: "List src first.".into(), signature: "sig-abc".into() });
    assert_eq!(r.message.tool_uses().map(|(id, n, i)| (id.to_owned(), n.to_owned(), i.clone())).collect::<Vec<_>>(), vec![("tooluse_1".into(), "list_dir".into(), json!({"path": "src"}))]);
    let first = &server.requests()[0].body;
    assert_eq!(first["additionalModelRequestFields"], json!({"thinking": {"type": "enabled", "budget_tokens": 2048}}));
    assert!(first["inferenceConfig"].get("temperature").is_none(), "no temperature with thinking: {}", first["inferenceConfig"]);

    req.messages.push(r.message.clone());
    req.messages.push(Message { role: Role::User, content: vec![Block::ToolResult { tool_use_id: "tooluse_1".into(), content: "no such dir".into(), is_error: true }] });
    c.stream(&route, &req, &mut |_| {}).await.expect("second");
    let m = &server.requests()[1].body["messages"];
    assert_eq!(
        m[1],
        json!({"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "List src first.", "signature": "sig-abc"}}},
            {"toolUse": {"toolUseId": "tooluse_1", "name": "list_dir", "input": {"path": "src"}}}]})
    );
    assert_eq!(m[2], json!({"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "no such dir"}], "status": "error"}}]}));
}

#[tokio::test]
async fn throttling_a_stream_exception_a_cut_and_a_bad_checksum_are_retried() {
    let good = || Reply::bedrock(Turn::new(SONNET).text("Finally whole.").bedrock());
    let mut corrupt = Turn::new(SONNET).text("Corrupted on the wire").bedrock();
    let last = corrupt[1].len() - 6;
    corrupt[1][last] ^= 0x20; // a flipped bit in the payload: the message CRC no longer matches
    let mut thrown = Turn::new(SONNET).text("Half of it").bedrock();
    thrown.truncate(2);
    thrown.push(exception("throttlingException", "Too many tokens, please wait before trying again."));
    let mut cut = Turn::new(SONNET).text("This one is cut").bedrock();
    cut.truncate(3);
    let server = signed_server(vec![
        Reply::bedrock_error(429, "ThrottlingException", "Too many requests, please wait before trying again."),
        Reply::bedrock(thrown),
        Reply::bedrock(cut),
        Reply::bedrock(corrupt),
        good(),
    ])
    .await;
    let mut c = Client::new(weft_llm::RetryPolicy { max_retries: 4, ..quick() });
    c.add(provider(&server.url(), SECRET, None));
    let events = Events::default();
    let r = c.stream(&route(&[&format!("bedrock:{SONNET}")]), &request(), &mut events.sink()).await.expect("response");
    assert_eq!(r.message.text(), "Finally whole.");
    assert_eq!(events.visible_text(), "Finally whole.", "no failed attempt's words remain");
    let codes: Vec<String> = events.all().into_iter().filter_map(|e| if let Event::Failed { code, .. } = e { Some(code) } else { None }).collect();
    assert_eq!(codes[..3], ["llm_rate_limited", "llm_rate_limited", "llm_truncated"], "{codes:?}");
    assert_eq!(codes.len(), 4, "the corrupted message failed too: {codes:?}");
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn an_inference_profile_arn_is_signed_as_one_segment_and_an_api_key_is_a_bearer_token() {
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";
    let server = signed_server(vec![Reply::bedrock(Turn::new("x").text("ok").bedrock())]).await;
    let r = client(&[provider(&server.url(), SECRET, None)]).stream(&route(&[&format!("bedrock:{arn}")]), &request(), &mut |_| {}).await.expect("response");
    assert_eq!(r.message.text(), "ok");
    assert_eq!(server.requests()[0].path, "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3/converse-stream");

    let keyed = FakeServer::start(vec![Reply::bedrock(Turn::new("x").text("with a key").bedrock())]).await.expect("fake");
    keyed.require_aws(AwsAuth::Bearer("ABSKbedrock-api-key".into()));
    let r = client(&[provider(&keyed.url(), SECRET, Some("ABSKbedrock-api-key"))]).stream(&route(&["bedrock:amazon.nova-pro-v1:0"]), &request(), &mut |_| {}).await.expect("response");
    assert_eq!(r.message.text(), "with a key");
    assert!(keyed.requests()[0].body["system"].as_array().is_some_and(|s| s.len() == 1), "no cache points for a model that is not Claude");
}

#[tokio::test]
async fn an_unknown_model_moves_the_route_on_and_a_validation_error_stops_it() {
    let server = signed_server(vec![
        Reply::bedrock_error(404, "ResourceNotFoundException", "Model not found."),
        Reply::bedrock(Turn::new("x").text("from the fallback").bedrock()),
        Reply::bedrock_error(400, "ValidationException", "The provided model identifier is invalid."),
    ])
    .await;
    let c = client(&[provider(&server.url(), SECRET, None)]);
    let r = c.stream(&route(&["bedrock:anthropic.claude-nonexistent-v1:0", "bedrock:amazon.nova-lite-v1:0"]), &request(), &mut |_| {}).await.expect("fallback");
    assert_eq!(r.model, "amazon.nova-lite-v1:0");
    let err = c.stream(&route(&["bedrock:bad"]), &request(), &mut |_| {}).await.expect_err("invalid");
    assert!(matches!(&err, LlmError::InvalidRequest { status: 400, message, .. } if message.contains("model identifier is invalid")), "{err:?}");
}

/// Without credentials anywhere, the answer says where to put them (and comes without
/// sending anything); without a region, it says where to set one.
#[tokio::test]
async fn no_credentials_or_no_region_is_a_clear_error() {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
    let own = ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_BEARER_TOKEN_BEDROCK", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"];
    if own.iter().any(|v| std::env::var_os(v).is_some()) || home.join(".aws").exists() {
        eprintln!("skipped: this machine has AWS configuration of its own");
        return;
    }
    let server = FakeServer::start(vec![]).await.expect("fake");
    let mut c = ProviderConfig::new("bedrock", ProviderKind::Bedrock, server.url());
    c.aws.region = Some("us-east-1".into());
    let started = std::time::Instant::now();
    let err = client(&[c.build().expect("provider")]).stream(&route(&[&format!("bedrock:{SONNET}")]), &request(), &mut |_| {}).await.expect_err("no credentials");
    assert!(matches!(&err, LlmError::Auth { env, .. } if env.contains("AWS_PROFILE")), "{err:?}");
    eprintln!("no credentials found in {:?}: {err}", started.elapsed());
    assert!(server.requests().is_empty(), "nothing unsigned was sent");

    let c = ProviderConfig::new("bedrock", ProviderKind::Bedrock, server.url());
    let err = client(&[c.build().expect("provider")]).stream(&route(&[&format!("bedrock:{SONNET}")]), &request(), &mut |_| {}).await.expect_err("no region");
    assert!(err.to_string().contains("no AWS region is set") && err.to_string().contains("AWS_REGION"), "{err}");
}

/// A picture goes to Claude on Bedrock as an image block of bytes (base64 in the JSON), after
/// the tool results; a text-only Bedrock model is refused before anything is sent.
#[tokio::test]
async fn images_go_as_image_blocks_and_a_text_only_model_is_refused_first() {
    let server = signed_server(vec![Reply::bedrock(Turn::new(SONNET).text("A red square.").bedrock())]).await;
    let png = weft_llm::ImageSource::from_bytes("image/png", b"\x89PNG\r\n\x1a\n0000").expect("png");
    let mut req = request();
    req.messages = vec![Message { role: Role::User, content: vec![Block::text("What is this?"), Block::Image { source: png.clone() }] }];
    let c = client(&[provider(&server.url(), SECRET, None)]);
    c.stream(&route(&[&format!("bedrock:{SONNET}")]), &req, &mut |_| {}).await.expect("response");
    let weft_llm::ImageSource::Base64 { data, .. } = &png;
    assert_eq!(server.requests()[0].body["messages"][0]["content"][1], json!({"image": {"format": "png", "source": {"bytes": data}}}));
    let err = c.stream(&route(&["bedrock:us.amazon.nova-micro-v1:0"]), &req, &mut |_| {}).await.expect_err("text only");
    assert!(matches!(err, LlmError::Unsupported { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1, "nothing sent to the text-only model");
}
