//! Images in a conversation: how each wire format carries them, and what happens when a
//! model cannot read them.

use super::*;
use weft_llm::fake::{FakeServer, Reply, Turn};
use weft_llm::{Block, ImageSource, LlmError, Message, Request, Role};

/// A real 1×1 PNG.
pub const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn png() -> ImageSource {
    ImageSource::from_base64("image/png", PNG_1X1).expect("a real PNG")
}

/// A tool call answered with a screenshot, then the user's own picture.
fn request() -> Request {
    let call = Message { role: Role::Assistant, content: vec![Block::ToolUse { id: "t1".into(), name: "preview_screenshot".into(), input: serde_json::json!({}) }] };
    let result = Message {
        role: Role::User,
        content: vec![Block::ToolResult { tool_use_id: "t1".into(), content: "the screenshot follows".into(), is_error: false }, Block::Image { source: png() }],
    };
    let user = Message { role: Role::User, content: vec![Block::text("what is wrong here?"), Block::Image { source: png() }] };
    Request { messages: vec![Message::user("look at the page"), call, result, user], max_tokens: 100, ..Request::default() }
}

#[tokio::test]
async fn anthropic_gets_image_blocks_after_the_tool_results() {
    let server = FakeServer::start(vec![Reply::sse(Turn::new("claude-sonnet-4-5").text("a red box").anthropic())]).await.expect("fake");
    client(&[anthropic(&server.url())]).stream(&route(&["anthropic:claude-sonnet-4-5"]), &request(), &mut |_| {}).await.expect("answer");
    let body = &server.requests()[0].body;
    let image = serde_json::json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1X1}});
    let results = &body["messages"][2]["content"];
    assert_eq!(results[0]["type"], "tool_result", "tool results come first: {results}");
    assert_eq!(results[1], image);
    let user = &body["messages"][3]["content"];
    assert_eq!((user[0]["text"].as_str(), &user[1]["type"], &user[1]["source"]), (Some("what is wrong here?"), &image["type"], &image["source"]));
}

#[tokio::test]
async fn openai_gets_data_urls_in_a_user_message_after_the_tool_message() {
    let server = FakeServer::start(vec![Reply::sse(Turn::new("gpt-4o").text("a red box").openai())]).await.expect("fake");
    client(&[openai("openai", &server.url(), Some("sk-test"))]).stream(&route(&["openai:gpt-4o"]), &request(), &mut |_| {}).await.expect("answer");
    let msgs = server.requests()[0].body["messages"].as_array().expect("messages").clone();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap_or("")).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "user", "user"], "{msgs:?}");
    let url = format!("data:image/png;base64,{PNG_1X1}");
    assert_eq!(msgs[3]["content"], serde_json::json!([{"type": "image_url", "image_url": {"url": url}}]));
    assert_eq!(msgs[4]["content"][0], serde_json::json!({"type": "text", "text": "what is wrong here?"}));
    assert_eq!(msgs[4]["content"][1]["image_url"]["url"], url.as_str());
}

#[tokio::test]
async fn a_text_only_model_is_refused_before_sending_and_the_route_moves_on() {
    let text_only = FakeServer::start(vec![]).await.expect("fake");
    let vision = FakeServer::start(vec![Reply::sse(Turn::new("claude-haiku-4-5").text("seen").anthropic())]).await.expect("fake");
    let events = Events::default();
    let c = client(&[openai("openai", &text_only.url(), Some("sk-test")), anthropic(&vision.url())]);
    let r = c.stream(&route(&["openai:gpt-3.5-turbo", "anthropic:claude-haiku-4-5"]), &request(), &mut events.sink()).await.expect("fallback");
    assert_eq!(r.message.text(), "seen");
    assert!(text_only.requests().is_empty(), "nothing was sent to a model that cannot read it");
    assert!(events.all().iter().any(|e| matches!(e, Event::Fallback { error, .. } if error.contains("gpt-3.5-turbo does not read images"))));

    // Alone in its route: a clear refusal, and still nothing sent.
    let err = c.stream(&route(&["openai:gpt-3.5-turbo"]), &request(), &mut |_| {}).await.expect_err("refused");
    assert!(matches!(&err, LlmError::Unsupported { .. }), "{err:?}");
    assert_eq!(err.code(), "llm_unsupported");
    assert!(err.to_string().starts_with("openai: gpt-3.5-turbo does not read images; choose a model that does"), "{err}");
    assert!(text_only.requests().is_empty());

    // Without images the same model is fine.
    let plain = Request { messages: vec![Message::user("hi")], max_tokens: 10, ..Request::default() };
    text_only.push(Reply::sse(Turn::new("gpt-3.5-turbo").text("hello").openai()));
    assert_eq!(c.stream(&route(&["openai:gpt-3.5-turbo"]), &plain, &mut |_| {}).await.expect("text").message.text(), "hello");
}

#[test]
fn images_are_checked_before_they_go() {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(PNG_1X1).expect("b64");
    assert_eq!(ImageSource::from_bytes("image/PNG", &bytes).expect("png").media_type(), "image/png");
    let err = |r: Result<ImageSource, String>| r.expect_err("refused");
    assert_eq!(err(ImageSource::from_bytes("image/jpeg", &bytes)), "the image says it is image/jpeg but its bytes are image/png");
    assert_eq!(err(ImageSource::from_bytes("image/bmp", &bytes)), "\"image/bmp\" images are not accepted; use PNG, JPEG, GIF or WebP");
    assert_eq!(err(ImageSource::from_bytes("image/png", b"<svg/>")), "these bytes are not an image (expected image/png)");
    let mut big = bytes.clone();
    big.resize(6 * 1024 * 1024, 0);
    assert_eq!(err(ImageSource::from_bytes("image/png", &big)), "the image is 6.0 MB; models take at most 5 MB per image");
    assert!(err(ImageSource::from_base64("image/png", "not base64!")).starts_with("the image is not valid base64"));
    // JPEG, GIF and WebP by their signatures; image/jpg is JPEG.
    assert!(ImageSource::from_bytes("image/jpg", &[0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).is_ok());
    assert!(ImageSource::from_bytes("image/gif", b"GIF89a\x01\x00\x01\x00").is_ok());
    assert!(ImageSource::from_bytes("image/webp", b"RIFF\x24\x00\x00\x00WEBPVP8 ").is_ok());
}
