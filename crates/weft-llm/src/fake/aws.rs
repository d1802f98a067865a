//! The fake's Amazon Bedrock: answers in the binary event-stream encoding (each message
//! framed with its lengths and CRC32s, as `application/vnd.amazon.eventstream`), errors the
//! way Bedrock sends them (`x-amzn-errortype` over HTTP, `:exception-type` inside the
//! stream), and, when asked to, refuses every request whose SigV4 signature it cannot
//! recompute from the request's own bytes with the test's secret key: the check is written
//! here from the specification, independently of the SDK that signs.

use super::{Reply, Turn, TurnBlock};
use crate::types::StopReason;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How the fake wants Bedrock requests authenticated.
#[derive(Debug, Clone)]
pub enum AwsAuth {
    SigV4 { access_key_id: String, secret_access_key: String, region: String },
    /// A Bedrock API key (`Authorization: Bearer …`).
    Bearer(String),
}

/// One event-stream message: prelude (total and headers length, their CRC), string
/// headers, the payload, the CRC of everything before it.
pub fn message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut h = vec![];
    for (name, value) in headers {
        h.push(name.len() as u8);
        h.extend_from_slice(name.as_bytes());
        h.push(7); // string
        h.extend_from_slice(&(value.len() as u16).to_be_bytes());
        h.extend_from_slice(value.as_bytes());
    }
    let total = 12 + h.len() + payload.len() + 4;
    let mut m = Vec::with_capacity(total);
    m.extend_from_slice(&(total as u32).to_be_bytes());
    m.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&m);
    m.extend_from_slice(&prelude_crc.to_be_bytes());
    m.extend_from_slice(&h);
    m.extend_from_slice(payload);
    let crc = crc32fast::hash(&m);
    m.extend_from_slice(&crc.to_be_bytes());
    m
}

fn event(kind: &str, mut payload: Value) -> Vec<u8> {
    // Bedrock pads every event with a `p` field (so lengths reveal nothing); clients ignore it.
    payload["p"] = json!("abcdefghijkl");
    message(&[(":event-type", kind), (":content-type", "application/json"), (":message-type", "event")], payload.to_string().as_bytes())
}

/// An exception inside a 200 stream (`throttlingException`, `modelStreamErrorException`…).
pub fn exception(kind: &str, text: &str) -> Vec<u8> {
    message(&[(":exception-type", kind), (":content-type", "application/json"), (":message-type", "exception")], json!({"message": text}).to_string().as_bytes())
}

impl Reply {
    /// A Converse Stream answer: one event-stream message per HTTP chunk.
    pub fn bedrock(messages: Vec<Vec<u8>>) -> Self {
        Reply::Stream { pieces: messages, cut: false, content_type: "application/vnd.amazon.eventstream" }
    }

    /// An error as Bedrock answers over HTTP: its code in `x-amzn-errortype`, `{"message"}`.
    pub fn bedrock_error(status: u16, code: &str, text: &str) -> Self {
        Reply::json(status, json!({"message": text})).with_header("x-amzn-errortype", &format!("{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"))
    }
}

impl Turn {
    /// Converse Stream events: messageStart, each block's deltas (tool input in JSON
    /// fragments, reasoning then its signature), the stop, the metadata with the usage.
    pub fn bedrock(&self) -> Vec<Vec<u8>> {
        let mut out = vec![event("messageStart", json!({"role": "assistant"}))];
        for (i, b) in self.blocks.iter().enumerate() {
            let delta = |d: Value| event("contentBlockDelta", json!({"contentBlockIndex": i, "delta": d}));
            match b {
                TurnBlock::Text(t) => out.extend(self.pieces(t).into_iter().map(|p| delta(json!({"text": p})))),
                TurnBlock::Thinking { text, signature } => {
                    out.extend(self.pieces(text).into_iter().map(|p| delta(json!({"reasoningContent": {"text": p}}))));
                    out.push(delta(json!({"reasoningContent": {"signature": signature}})));
                }
                TurnBlock::ToolUse { id, name, input } => {
                    out.push(event("contentBlockStart", json!({"contentBlockIndex": i, "start": {"toolUse": {"toolUseId": id, "name": name}}})));
                    out.extend(self.pieces(&input.to_string()).into_iter().map(|p| delta(json!({"toolUse": {"input": p}}))));
                }
            }
            out.push(event("contentBlockStop", json!({"contentBlockIndex": i})));
        }
        let stop = match &self.stop {
            StopReason::EndTurn => "end_turn",
            StopReason::ToolUse => "tool_use",
            StopReason::MaxTokens => "max_tokens",
            StopReason::StopSequence => "stop_sequence",
            StopReason::Refusal => "content_filtered",
            StopReason::ContextWindowExceeded => "model_context_window_exceeded",
            StopReason::PauseTurn | StopReason::Other(_) => "end_turn",
        };
        out.push(event("messageStop", json!({"stopReason": stop})));
        let u = &self.usage;
        out.push(event(
            "metadata",
            json!({"usage": {"inputTokens": u.input_tokens, "outputTokens": u.output_tokens, "totalTokens": u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens,
                             "cacheReadInputTokens": u.cache_read_tokens, "cacheWriteInputTokens": u.cache_write_tokens},
                   "metrics": {"latencyMs": 12}}),
        ));
        out
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 says.
fn uri_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn uri_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks a request as Bedrock would; the error is (status, code, message) as it answers.
pub(crate) fn verify(auth: &AwsAuth, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Result<(), (u16, &'static str, String)> {
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let denied = |code: &'static str, m: &str| Err((403, code, m.to_owned()));
    let authorization = header("authorization").unwrap_or_default();
    let (key, secret, region) = match auth {
        AwsAuth::Bearer(token) => {
            return if authorization.strip_prefix("Bearer ") == Some(token.as_str()) { Ok(()) } else { denied("AccessDeniedException", "Invalid API Key format: Must start with pre-defined prefix") };
        }
        AwsAuth::SigV4 { access_key_id, secret_access_key, region } => (access_key_id, secret_access_key, region),
    };
    let Some(fields) = authorization.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return denied("MissingAuthenticationTokenException", "Missing Authentication Token");
    };
    let field = |k: &str| fields.split(',').map(str::trim).find_map(|f| f.strip_prefix(k)?.strip_prefix('='));
    let (Some(credential), Some(signed), Some(signature)) = (field("Credential"), field("SignedHeaders"), field("Signature")) else {
        return denied("IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature");
    };
    let mut scope = credential.splitn(2, '/');
    let (akid, scope) = (scope.next().unwrap_or_default(), scope.next().unwrap_or_default());
    if akid != key {
        return denied("UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    let amz_date = header("x-amz-date").unwrap_or_default();
    let parts: Vec<&str> = scope.split('/').collect();
    if parts.len() != 4 || Some(parts[0]) != amz_date.get(..8) || parts[1] != region || parts[2] != "bedrock" || parts[3] != "aws4_request" {
        return denied("InvalidSignatureException", &format!("Credential should be scoped to a valid region and service 'bedrock', not '{scope}'"));
    }
    let signed_names: Vec<&str> = signed.split(';').collect();
    if !signed_names.contains(&"host") {
        return denied("InvalidSignatureException", "The host header must be signed");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    // Every service but S3 encodes the (already encoded) path segments a second time.
    let canonical_uri: Vec<String> = path.split('/').map(uri_encode).collect();
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&uri_decode(k)), uri_encode(&uri_decode(v)))
        })
        .collect();
    params.sort();
    let canonical_query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut canonical_headers = String::new();
    for name in &signed_names {
        let values: Vec<String> = headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let body_hash = hex(&Sha256::digest(body));
    if header("x-amz-content-sha256").is_some_and(|h| h != body_hash && h != "UNSIGNED-PAYLOAD") {
        return denied("InvalidSignatureException", "The provided x-amz-content-sha256 header does not match the body");
    }
    let canonical = format!("{method}\n{}\n{}\n{canonical_headers}\n{signed}\n{body_hash}", canonical_uri.join("/"), canonical_query.join("&"));
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let mut k = hmac(format!("AWS4{secret}").as_bytes(), parts[0]);
    for part in [region.as_str(), "bedrock", "aws4_request"] {
        k = hmac(&k, part);
    }
    if hex(&hmac(&k, &to_sign)) != signature {
        return denied(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        );
    }
    Ok(())
}
