//! Amazon Bedrock, natively: the Converse Stream API through the official AWS SDK, so
//! credentials come from the chain AWS users already have (environment, `~/.aws` profiles,
//! SSO, web identity, instance roles) or a Bedrock API key, and requests are SigV4-signed
//! and the binary event stream checked (CRCs) by the SDK itself.
//!
//! Every Bedrock model with tool use speaks Converse; Claude's thinking goes as an extra
//! model field and comes back as reasoning content with its signature, which Claude takes
//! back unchanged (signatures are valid across the Claude API and Bedrock). Model ids are
//! passed through as written: base ids, cross-region inference profiles (`us.…`,
//! `global.…`) and ARNs.
//!
//! The SDK's own retries are off: the route's retry policy (with its visible Retry events)
//! is the one that retries, the same for every provider.

use crate::error::{from_status, LlmError};
use crate::http::Assembler;
use crate::types::{Block, Event, ImageSource, Request, Response, Role, StopReason, Usage};
use crate::{BoxFuture, Provider, ProviderConfig};
use aws_sdk_bedrockruntime as br;
use aws_smithy_types::{Blob, Document, Number};
use br::error::{ProvideErrorMetadata, SdkError};
use br::types as t;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Instant;
use tokio::sync::OnceCell;

/// What an auth error tells the user to check.
const CREDENTIALS_HINT: &str = "AWS_PROFILE (or AWS_BEARER_TOKEN_BEDROCK)";

pub struct Bedrock {
    config: ProviderConfig,
    /// Built on the first request: loading AWS configuration reads files and may ask an
    /// SSO cache or a metadata service, which nothing should wait for at start-up.
    client: OnceCell<(br::Client, Option<aws_credential_types::provider::SharedCredentialsProvider>)>,
}

impl Bedrock {
    pub fn new(config: ProviderConfig) -> Result<Self, LlmError> {
        Ok(Bedrock { config, client: OnceCell::new() })
    }

    async fn client(&self) -> Result<&(br::Client, Option<aws_credential_types::provider::SharedCredentialsProvider>), LlmError> {
        self.client
            .get_or_try_init(|| async {
                let aws: &crate::AwsOptions = &self.config.aws;
                let http = aws_smithy_http_client::Builder::new()
                    .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring))
                    .build_https();
                let timeouts = aws_config::timeout::TimeoutConfig::builder().connect_timeout(self.config.connect_timeout).build();
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .http_client(http)
                    .retry_config(aws_config::retry::RetryConfig::disabled())
                    .timeout_config(timeouts);
                if let Some(r) = aws.region.as_deref().filter(|r| !r.trim().is_empty()) {
                    loader = loader.region(aws_config::Region::new(r.trim().to_owned()));
                }
                if let Some(p) = aws.profile.as_deref().filter(|p| !p.trim().is_empty()) {
                    loader = loader.profile_name(p.trim());
                }
                if let Some(k) = &aws.credentials {
                    let creds = aws_credential_types::Credentials::new(
                        &k.access_key_id,
                        k.secret_access_key.expose(),
                        k.session_token.as_ref().map(|s| s.expose().to_owned()),
                        None,
                        "weft-settings",
                    );
                    loader = loader.credentials_provider(creds);
                }
                let shared = loader.load().await;
                if shared.region().is_none() {
                    return Err(LlmError::InvalidRequest {
                        provider: self.config.name.clone(),
                        status: 400,
                        message: "no AWS region is set: choose one in Settings → AI (bedrockRegion), or set AWS_REGION or a region in your AWS profile".into(),
                    });
                }
                let mut b = br::config::Builder::from(&shared);
                if !self.config.base_url.trim().is_empty() {
                    b = b.endpoint_url(self.config.base_url.trim());
                }
                if let Some(key) = &self.config.api_key {
                    // A Bedrock API key: bearer auth instead of SigV4 for every request.
                    b = b
                        .bearer_token(br::config::Token::new(key.expose(), None))
                        .auth_scheme_preference([aws_smithy_runtime_api::client::auth::http::HTTP_BEARER_AUTH_SCHEME_ID]);
                }
                Ok((br::Client::from_conf(b.build()), shared.credentials_provider()))
            })
            .await
    }
}

// ---- the request ----------------------------------------------------------------------

fn doc(v: &Value) -> Document {
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap_or(0.0)),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(doc).collect()),
        Value::Object(o) => Document::Object(o.iter().map(|(k, v)| (k.clone(), doc(v))).collect()),
    }
}

fn is_claude(model: &str) -> bool {
    crate::bedrock_model_family(model).starts_with("anthropic.claude")
}

fn built<T>(provider: &str, r: Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T, LlmError> {
    r.map_err(|e| LlmError::InvalidRequest { provider: provider.to_owned(), status: 400, message: format!("the conversation cannot be sent to Bedrock: {e}") })
}

fn image(provider: &str, source: &ImageSource) -> Result<t::ImageBlock, LlmError> {
    use base64::Engine as _;
    let ImageSource::Base64 { media_type, data } = source;
    let bytes = base64::engine::general_purpose::STANDARD.decode(data).map_err(|e| LlmError::InvalidRequest { provider: provider.to_owned(), status: 400, message: format!("an image is not valid base64 ({e})") })?;
    let format = t::ImageFormat::from(media_type.strip_prefix("image/").unwrap_or(media_type));
    built(provider, t::ImageBlock::builder().format(format).source(t::ImageSource::Bytes(Blob::new(bytes))).build())
}

/// The conversation as Converse messages.
fn messages(provider: &str, model: &str, req: &Request) -> Result<Vec<t::Message>, LlmError> {
    use base64::Engine as _;
    let claude = is_claude(model);
    let mut out = Vec::with_capacity(req.messages.len());
    for m in &req.messages {
        let mut content = vec![];
        for b in &m.content {
            content.push(match b {
                Block::Text { text } if text.is_empty() => continue,
                Block::Text { text } => t::ContentBlock::Text(text.clone()),
                // Only Claude takes reasoning back, and only with its signature (Gemini's are not).
                Block::Thinking { thinking, signature } if claude && !signature.is_empty() && !signature.starts_with(crate::gemini::SIGNATURE_MARK) => {
                    let r = built(provider, t::ReasoningTextBlock::builder().text(thinking).signature(signature).build())?;
                    t::ContentBlock::ReasoningContent(t::ReasoningContentBlock::ReasoningText(r))
                }
                Block::RedactedThinking { data } if claude => match base64::engine::general_purpose::STANDARD.decode(data) {
                    Ok(bytes) => t::ContentBlock::ReasoningContent(t::ReasoningContentBlock::RedactedContent(Blob::new(bytes))),
                    Err(_) => continue,
                },
                Block::Thinking { .. } | Block::RedactedThinking { .. } => continue,
                Block::ToolUse { id, name, input } => {
                    let input = if input.is_object() { doc(input) } else { Document::Object(HashMap::new()) };
                    t::ContentBlock::ToolUse(built(provider, t::ToolUseBlock::builder().tool_use_id(id).name(name).input(input).build())?)
                }
                Block::ToolResult { tool_use_id, content, is_error } => {
                    let mut r = t::ToolResultBlock::builder().tool_use_id(tool_use_id).content(t::ToolResultContentBlock::Text(content.clone()));
                    if *is_error {
                        r = r.status(t::ToolResultStatus::Error);
                    }
                    t::ContentBlock::ToolResult(built(provider, r.build())?)
                }
                Block::Image { source } => t::ContentBlock::Image(image(provider, source)?),
            });
        }
        if content.is_empty() {
            continue;
        }
        let role = match m.role {
            Role::User => t::ConversationRole::User,
            Role::Assistant => t::ConversationRole::Assistant,
        };
        out.push(built(provider, t::Message::builder().role(role).set_content(Some(content)).build())?);
    }
    // Prompt caching (Claude): the conversation so far is read from the cache next turn.
    if req.cache && claude {
        if let Some(last) = out.pop() {
            let mut content = last.content().to_vec();
            content.push(t::ContentBlock::CachePoint(cache_point(provider)?));
            out.push(built(provider, t::Message::builder().role(last.role().clone()).set_content(Some(content)).build())?);
        }
    }
    Ok(out)
}

fn cache_point(provider: &str) -> Result<t::CachePointBlock, LlmError> {
    built(provider, t::CachePointBlock::builder().r#type(t::CachePointType::Default).build())
}

fn tool_config(provider: &str, model: &str, req: &Request) -> Result<Option<t::ToolConfiguration>, LlmError> {
    if req.tools.is_empty() {
        return Ok(None);
    }
    let mut tools = vec![];
    for tool in &req.tools {
        let spec = t::ToolSpecification::builder().name(&tool.name).description(&tool.description).input_schema(t::ToolInputSchema::Json(doc(&tool.input_schema)));
        tools.push(t::Tool::ToolSpec(built(provider, spec.build())?));
    }
    if req.cache && is_claude(model) {
        tools.push(t::Tool::CachePoint(cache_point(provider)?));
    }
    Ok(Some(built(provider, t::ToolConfiguration::builder().set_tools(Some(tools)).build())?))
}

// ---- the answer -----------------------------------------------------------------------

fn stop_reason(r: &t::StopReason) -> StopReason {
    match r {
        t::StopReason::EndTurn => StopReason::EndTurn,
        t::StopReason::ToolUse => StopReason::ToolUse,
        t::StopReason::MaxTokens => StopReason::MaxTokens,
        t::StopReason::StopSequence => StopReason::StopSequence,
        t::StopReason::ContentFiltered | t::StopReason::GuardrailIntervened => StopReason::Refusal,
        t::StopReason::ModelContextWindowExceeded => StopReason::ContextWindowExceeded,
        other => StopReason::Other(other.as_str().to_owned()),
    }
}

/// Sorts a Bedrock error by its code (the same names over HTTP and inside the stream).
fn by_code(provider: &str, code: &str, message: String) -> LlmError {
    let p = provider.to_owned();
    match code {
        "ThrottlingException" | "ServiceQuotaExceededException" | "TooManyRequestsException" => LlmError::RateLimited { provider: p, message, retry_after: None },
        "ServiceUnavailableException" | "ModelNotReadyException" => LlmError::Overloaded { provider: p, message, retry_after: None },
        "AccessDeniedException" | "UnrecognizedClientException" | "InvalidSignatureException" | "ExpiredTokenException" | "IncompleteSignatureException" | "MissingAuthenticationTokenException" => {
            LlmError::Auth { provider: p, env: CREDENTIALS_HINT.into(), message }
        }
        "ValidationException" => LlmError::InvalidRequest { provider: p, status: 400, message },
        "ResourceNotFoundException" => LlmError::InvalidRequest { provider: p, status: 404, message },
        "ModelTimeoutException" => LlmError::Server { provider: p, status: 408, message },
        _ => LlmError::Server { provider: p, status: 500, message },
    }
}

/// The whole chain of an error's causes, for the user.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        let c_s = c.to_string();
        if !s.contains(&c_s) {
            s = format!("{s}: {c_s}");
        }
        source = c.source();
    }
    s
}

fn sdk_error<E, R>(provider: &str, url: &str, e: SdkError<E, R>) -> LlmError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = chain(&e);
    match &e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            let text = err.message().unwrap_or("no message").to_owned();
            match err.code() {
                Some(code) => by_code(provider, code, text),
                None => LlmError::Server { provider: provider.to_owned(), status: 500, message },
            }
        }
        // Credentials that could not be found or refreshed fail before anything is sent.
        _ if message.contains("credentials") || message.contains("identity") => LlmError::Auth {
            provider: provider.to_owned(),
            env: CREDENTIALS_HINT.into(),
            message: format!("no usable AWS credentials: sign in with `aws sso login`, choose a profile (bedrockProfile or AWS_PROFILE), set AWS_ACCESS_KEY_ID, or save a Bedrock API key; the SDK said: {message}"),
        },
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => LlmError::Connection { provider: provider.to_owned(), url: url.to_owned(), message },
        SdkError::ResponseError(_) => LlmError::Truncated { provider: provider.to_owned(), message },
        _ => from_status(provider, CREDENTIALS_HINT, 400, "", message, None),
    }
}

/// An exception inside the stream: sorted by its kind (its metadata may carry no code).
fn stream_error<R: std::fmt::Debug>(provider: &str, url: &str, e: SdkError<t::error::ConverseStreamOutputError, R>) -> LlmError {
    use t::error::ConverseStreamOutputError as E;
    if let SdkError::ServiceError(s) = &e {
        let err = s.err();
        let code = match err {
            E::ThrottlingException(_) => "ThrottlingException",
            E::ServiceUnavailableException(_) => "ServiceUnavailableException",
            E::ValidationException(_) => "ValidationException",
            E::InternalServerException(_) => "InternalServerException",
            E::ModelStreamErrorException(_) => "ModelStreamErrorException",
            other => other.code().unwrap_or_default(),
        };
        return by_code(provider, code, err.message().unwrap_or("no message").to_owned());
    }
    sdk_error(provider, url, e)
}

impl Provider for Bedrock {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn stream<'a>(
        &'a self,
        model: &'a str,
        req: &'a Request,
        on: &'a mut (dyn FnMut(Event) + Send),
    ) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let started = Instant::now();
            let provider = self.config.name.as_str();
            let (client, _) = self.client().await?;
            let url = if self.config.base_url.is_empty() { "Bedrock".to_owned() } else { self.config.base_url.clone() };
            let mut inference = t::InferenceConfiguration::builder().max_tokens(i32::try_from(req.max_tokens).unwrap_or(i32::MAX));
            if !req.stop_sequences.is_empty() {
                inference = inference.set_stop_sequences(Some(req.stop_sequences.clone()));
            }
            let thinking = req.thinking_budget.filter(|_| is_claude(model));
            if let (Some(temp), None) = (req.temperature, thinking) {
                // Claude refuses a temperature together with thinking.
                inference = inference.temperature(temp);
            }
            let mut call = client
                .converse_stream()
                .model_id(model)
                .set_messages(Some(messages(provider, model, req)?))
                .set_tool_config(tool_config(provider, model, req)?)
                .inference_config(inference.build());
            if !req.system.is_empty() {
                call = call.system(t::SystemContentBlock::Text(req.system.clone()));
                if req.cache && is_claude(model) {
                    call = call.system(t::SystemContentBlock::CachePoint(cache_point(provider)?));
                }
            }
            if let Some(budget) = thinking {
                call = call.additional_model_request_fields(doc(&serde_json::json!({"thinking": {"type": "enabled", "budget_tokens": budget}})));
            }
            let mut out = call.send().await.map_err(|e| sdk_error(provider, &url, e))?;

            let mut blocks = Assembler::default();
            let mut stop = None;
            let mut usage = Usage::default();
            let mut metadata = false;
            loop {
                let next = tokio::time::timeout(self.config.read_timeout, out.stream.recv())
                    .await
                    .map_err(|_| LlmError::Truncated { provider: provider.to_owned(), message: format!("nothing arrived for {} s", self.config.read_timeout.as_secs()) })?;
                let Some(ev) = next.map_err(|e| stream_error(provider, &url, e))? else { break };
                match ev {
                    t::ConverseStreamOutput::ContentBlockStart(e) => {
                        if let Some(t::ContentBlockStart::ToolUse(tool)) = e.start {
                            let i = e.content_block_index.max(0) as usize;
                            blocks.start(i, Block::ToolUse { id: tool.tool_use_id, name: tool.name, input: Value::Null }, on);
                        }
                    }
                    t::ConverseStreamOutput::ContentBlockDelta(e) => {
                        let i = e.content_block_index.max(0) as usize;
                        match e.delta {
                            Some(t::ContentBlockDelta::Text(s)) => blocks.text(i, &s, on),
                            Some(t::ContentBlockDelta::ToolUse(d)) => blocks.tool_input(i, &d.input, on),
                            Some(t::ContentBlockDelta::ReasoningContent(t::ReasoningContentBlockDelta::Text(s))) => blocks.thinking(i, &s, on),
                            Some(t::ContentBlockDelta::ReasoningContent(t::ReasoningContentBlockDelta::Signature(s))) => blocks.signature(i, &s),
                            Some(t::ContentBlockDelta::ReasoningContent(t::ReasoningContentBlockDelta::RedactedContent(b))) => {
                                use base64::Engine as _;
                                blocks.start(i, Block::RedactedThinking { data: base64::engine::general_purpose::STANDARD.encode(b.as_ref()) }, on);
                            }
                            _ => {} // citations and kinds never asked for
                        }
                    }
                    t::ConverseStreamOutput::MessageStop(e) => stop = Some(stop_reason(&e.stop_reason)),
                    t::ConverseStreamOutput::Metadata(e) => {
                        if let Some(u) = e.usage {
                            let n = |v: i32| u64::try_from(v).unwrap_or(0);
                            usage = Usage {
                                input_tokens: n(u.input_tokens),
                                output_tokens: n(u.output_tokens),
                                cache_read_tokens: u.cache_read_input_tokens.map(n).unwrap_or(0),
                                cache_write_tokens: u.cache_write_input_tokens.map(n).unwrap_or(0),
                            };
                            on(Event::Metered { usage });
                        }
                        metadata = true;
                    }
                    _ => {}
                }
            }
            // The stream ends after the metadata event; without a stop and the usage it was cut.
            if stop.is_none() || !metadata {
                return Err(LlmError::Truncated { provider: provider.to_owned(), message: "the event stream ended before the message's stop and metadata".into() });
            }
            crate::http::response(provider, model, String::new(), String::new(), blocks, stop, usage, started)
        })
    }

    fn accepts_images(&self, model: &str) -> Option<bool> {
        crate::vision::bedrock(crate::bedrock_model_family(model))
    }

    /// Bedrock Runtime has no model list (that is the control-plane API); the models Weft
    /// knows are listed once the credentials are found, so "Test connection" says whether
    /// they are.
    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, LlmError>> {
        Box::pin(async move {
            let (_, credentials) = self.client().await?;
            if self.config.api_key.is_none() {
                use aws_credential_types::provider::ProvideCredentials as _;
                let provider = credentials.as_ref().ok_or_else(|| LlmError::Auth {
                    provider: self.config.name.clone(),
                    env: CREDENTIALS_HINT.into(),
                    message: "no AWS credentials are configured".into(),
                })?;
                provider.provide_credentials().await.map_err(|e| LlmError::Auth { provider: self.config.name.clone(), env: CREDENTIALS_HINT.into(), message: chain(&e) })?;
            }
            Ok(KNOWN_MODELS.iter().map(|m| (*m).to_owned()).collect())
        })
    }
}

/// Cross-region inference profiles of the models people use for coding, as Bedrock names them.
const KNOWN_MODELS: &[&str] = &[
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "us.anthropic.claude-opus-4-1-20250805-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.amazon.nova-pro-v1:0",
    "us.amazon.nova-lite-v1:0",
    "us.meta.llama4-maverick-17b-instruct-v1:0",
];

#[cfg(test)]
mod tests {
    #[test]
    fn profiles_and_arns_name_their_model() {
        for (id, want) in [
            ("anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0"),
            ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
            ("meta.llama3-70b-instruct-v1:0", "meta.llama3-70b-instruct-v1:0"),
        ] {
            assert_eq!(crate::bedrock_model_family(id), want, "{id}");
        }
        assert!(super::is_claude("apac.anthropic.claude-3-5-sonnet-20240620-v1:0"));
        assert!(!super::is_claude("amazon.nova-pro-v1:0"));
    }
}
