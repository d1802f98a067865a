use super::*;
use weft_llm::fake::{FakeServer, Reply, Turn};
use weft_llm::{LlmError, Message, Request};

fn request() -> Request {
    Request { messages: vec![Message::user("hi")], max_tokens: 100, ..Request::default() }
}

#[tokio::test]
async fn an_overloaded_model_falls_back_to_the_next_in_the_route() {
    let primary = FakeServer::start(vec![Reply::anthropic_error(529, "overloaded_error", "Overloaded"); 3]).await.expect("fake");
    let fallback = FakeServer::start(vec![Reply::sse(Turn::new("llama-local").text("from the fallback").openai())]).await.expect("fake");
    let events = Events::default();
    let r = client(&[anthropic(&primary.url()), openai("local", &fallback.url(), None)])
        .stream(&route(&["anthropic:claude-big", "local:llama-local"]), &request(), &mut events.sink())
        .await
        .expect("fallback answers");
    assert_eq!((r.provider.as_str(), r.model.as_str()), ("local", "llama-local"));
    assert_eq!(r.message.text(), "from the fallback");
    assert_eq!(primary.requests().len(), 3, "the primary was tried and retried first");
    let all = events.all();
    assert_eq!(all.iter().filter(|e| matches!(e, Event::Retry { .. })).count(), 2);
    assert!(all.iter().any(|e| matches!(e, Event::Fallback { from, to, error }
        if from == "anthropic:claude-big" && to == "local:llama-local" && error.contains("overloaded"))));
}

#[tokio::test]
async fn an_auth_failure_does_not_fall_back() {
    // Falling back would hide a key the user must fix (and could send the prompt elsewhere).
    let primary = FakeServer::start(vec![Reply::anthropic_error(401, "authentication_error", "invalid x-api-key")]).await.expect("fake");
    let fallback = FakeServer::start(vec![]).await.expect("fake");
    let err = client(&[anthropic(&primary.url()), openai("local", &fallback.url(), None)])
        .stream(&route(&["anthropic:a", "local:b"]), &request(), &mut |_| {})
        .await
        .expect_err("auth");
    assert!(matches!(err, LlmError::Auth { .. }));
    assert!(fallback.requests().is_empty());
}

#[tokio::test]
async fn a_missing_model_or_provider_moves_on() {
    let primary = FakeServer::start(vec![Reply::anthropic_error(404, "not_found_error", "model: claude-nope")]).await.expect("fake");
    let fallback = FakeServer::start(vec![Reply::sse(Turn::new("b").text("ok").anthropic())]).await.expect("fake");
    let mut c = client(&[anthropic(&primary.url())]);
    c.add(
        ProviderConfig::new("second", ProviderKind::Anthropic, fallback.url())
            .build()
            .expect("provider"),
    );
    let r = c.stream(&route(&["nowhere:x", "anthropic:claude-nope", "second:b"]), &request(), &mut |_| {}).await.expect("third");
    assert_eq!(r.provider, "second");
    assert_eq!(primary.requests().len(), 1, "a 404 is not retried on the same model");

    let err = c.stream(&route(&["nowhere:x"]), &request(), &mut |_| {}).await.expect_err("unknown");
    assert_eq!(err.to_string(), "no provider named \"nowhere\" is configured");
}

#[tokio::test]
async fn a_wait_longer_than_the_limit_is_not_waited_for() {
    let primary = FakeServer::start(vec![Reply::anthropic_error(429, "rate_limit_error", "slow down").with_header("retry-after", "3600")]).await.expect("fake");
    let fallback = FakeServer::start(vec![Reply::sse(Turn::new("b").text("ok").anthropic())]).await.expect("fake");
    let mut c = client(&[anthropic(&primary.url())]);
    c.add(ProviderConfig::new("second", ProviderKind::Anthropic, fallback.url()).build().expect("provider"));
    let started = std::time::Instant::now();
    let r = c.stream(&route(&["anthropic:a", "second:b"]), &request(), &mut |_| {}).await.expect("fallback");
    assert_eq!(r.provider, "second");
    assert!(started.elapsed() < Duration::from_secs(60), "did not sleep an hour");
    assert_eq!(primary.requests().len(), 1);
}

#[test]
fn backoff_doubles_with_jitter_and_is_capped() {
    let p = RetryPolicy { max_retries: 5, base_delay: Duration::from_millis(400), max_delay: Duration::from_secs(2), max_retry_after: Duration::from_secs(60) };
    let overloaded = LlmError::Overloaded { provider: "p".into(), message: "m".into(), retry_after: None };
    for (attempt, full) in [(1, 400), (2, 800), (3, 1600), (4, 2000), (9, 2000)] {
        for _ in 0..50 {
            let d = p.delay(attempt, &overloaded).as_millis() as u64;
            assert!(d <= full && d >= full * 3 / 4, "attempt {attempt}: {d} ms not within 75–100% of {full} ms");
        }
    }
    let told = LlmError::RateLimited { provider: "p".into(), message: "m".into(), retry_after: Some(Duration::from_millis(1234)) };
    assert_eq!(p.delay(1, &told), Duration::from_millis(1234), "the server's wait is honoured exactly");
}

#[test]
fn model_refs_keep_colons_in_model_names() {
    assert_eq!(ModelRef::parse("ollama:qwen2.5-coder:7b"), Some(ModelRef::new("ollama", "qwen2.5-coder:7b")));
    assert_eq!(ModelRef::parse("anthropic:claude-sonnet-4-5").map(|m| m.to_string()).as_deref(), Some("anthropic:claude-sonnet-4-5"));
    assert_eq!(ModelRef::parse("no-provider"), None);
    assert_eq!(ModelRef::parse(":m"), None);
}
