//! Signing in to a remote MCP server that asks for it, as the MCP authorization spec lays
//! out: the server's 401 names its protected-resource metadata (RFC 9728), which names the
//! authorization server, whose metadata (RFC 8414, or OpenID discovery) gives the
//! endpoints; Weft registers itself there (RFC 7591) unless it already has, and sends the
//! user's browser to authorize with PKCE (S256 only) and the server as the `resource`
//! (RFC 8707); the answer comes back to a one-shot listener on 127.0.0.1 (RFC 8252), and
//! the code is exchanged for tokens, refreshed when they expire.
//!
//! Grants are kept per server URL in a file only the user can read, in Weft's data folder.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a 401's `WWW-Authenticate: Bearer …` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    pub resource_metadata: Option<String>,
    pub scope: Option<String>,
}

impl Challenge {
    /// The Bearer challenge's `resource_metadata` and `scope` (quoted or not).
    pub fn parse(header: &str) -> Challenge {
        let mut c = Challenge::default();
        let Some(rest) = header.trim().strip_prefix("Bearer").or_else(|| header.trim().strip_prefix("bearer")) else { return c };
        let mut s = rest.trim();
        while !s.is_empty() {
            let Some((key, after)) = s.split_once('=') else { break };
            let key = key.trim().trim_start_matches(',').trim();
            let after = after.trim_start();
            let (value, next) = if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"').unwrap_or(q.len());
                (&q[..end], q.get(end + 1..).unwrap_or(""))
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim(), &after[end..])
            };
            match key {
                "resource_metadata" => c.resource_metadata = Some(value.to_owned()),
                "scope" => c.scope = Some(value.to_owned()),
                _ => {}
            }
            s = next.trim_start().trim_start_matches(',').trim_start();
        }
        c
    }
}

/// A server's sign-in, kept between sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub issuer: String,
    pub token_endpoint: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub redirect_uri: String,
    pub resource: String,
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Unix seconds; None when the server did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

impl Grant {
    /// Expired, or about to (within a minute).
    pub fn expired(&self) -> bool {
        self.expires_at.is_some_and(|t| t <= now() + 60)
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The saved grants, by server URL: one JSON file, readable by the user alone.
#[derive(Debug, Clone)]
pub struct Grants {
    path: PathBuf,
}

impl Grants {
    pub fn at(path: PathBuf) -> Grants {
        Grants { path }
    }

    /// Every saved grant, by server URL.
    pub fn all(&self) -> BTreeMap<String, Grant> {
        std::fs::read(&self.path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    pub fn get(&self, url: &str) -> Option<Grant> {
        self.all().remove(url)
    }

    pub fn save(&self, url: &str, grant: Option<Grant>) -> std::io::Result<()> {
        let mut all = self.all();
        match grant {
            Some(g) => all.insert(url.to_owned(), g),
            None => all.remove(url),
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        {
            use std::io::Write as _;
            let mut f = opts.open(&tmp)?;
            f.write_all(&serde_json::to_vec_pretty(&all).map_err(std::io::Error::other)?)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn random(n: usize) -> Result<String, String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness for the sign-in: {e}"))?;
    Ok(b64(&buf))
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let resp = http.get(url).header("Accept", "application/json").send().await.map_err(|e| format!("{url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON ({e})"))
}

/// The first of `urls` that answers with a JSON document.
async fn first_json(http: &reqwest::Client, urls: &[String]) -> Result<Value, String> {
    let mut why = vec![];
    for u in urls {
        match get_json(http, u).await {
            Ok(v) => return Ok(v),
            Err(e) => why.push(e),
        }
    }
    Err(why.join("; "))
}

/// `{origin}/.well-known/{name}{path}`, then (for a path) `{origin}/.well-known/{name}`.
fn well_known(url: &url::Url, name: &str) -> Vec<String> {
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    let mut out = vec![];
    if !path.is_empty() {
        out.push(format!("{origin}/.well-known/{name}{path}"));
    }
    out.push(format!("{origin}/.well-known/{name}"));
    out
}

/// The authorization server's endpoints, as its metadata names them.
#[derive(Debug, Clone)]
struct Endpoints {
    issuer: String,
    authorization: String,
    token: String,
    registration: Option<String>,
}

async fn discover(http: &reqwest::Client, server: &url::Url, challenge: &Challenge) -> Result<(Endpoints, Option<String>), String> {
    let prm_urls = match &challenge.resource_metadata {
        Some(u) => vec![u.clone()],
        None => well_known(server, "oauth-protected-resource"),
    };
    let prm = first_json(http, &prm_urls).await.map_err(|e| format!("the server asks for a sign-in but its protected-resource metadata could not be read ({e})"))?;
    let issuer = prm["authorization_servers"].as_array().and_then(|a| a.first()).and_then(Value::as_str).ok_or("the server's metadata names no authorization server")?;
    let issuer_url = url::Url::parse(issuer).map_err(|e| format!("the authorization server {issuer:?} is not a URL ({e})"))?;
    let mut urls = well_known(&issuer_url, "oauth-authorization-server");
    urls.extend(well_known(&issuer_url, "openid-configuration"));
    urls.push(format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')));
    urls.dedup();
    let meta = first_json(http, &urls).await.map_err(|e| format!("the authorization server's metadata could not be read ({e})"))?;
    // PKCE with S256 is required; a server that does not say it supports it is refused.
    let pkce = meta["code_challenge_methods_supported"].as_array().is_some_and(|m| m.iter().any(|x| x == "S256"));
    if !pkce {
        return Err(format!("{issuer} does not offer PKCE with S256, which MCP requires; not signing in"));
    }
    let s = |k: &str| meta[k].as_str().map(str::to_owned);
    let endpoints = Endpoints {
        issuer: s("issuer").unwrap_or_else(|| issuer.to_owned()),
        authorization: s("authorization_endpoint").ok_or("the authorization server has no authorization_endpoint")?,
        token: s("token_endpoint").ok_or("the authorization server has no token_endpoint")?,
        registration: s("registration_endpoint"),
    };
    let scope = challenge.scope.clone().or_else(|| {
        let scopes: Vec<&str> = prm["scopes_supported"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        (!scopes.is_empty()).then(|| scopes.join(" "))
    });
    Ok((endpoints, scope))
}

/// A sign-in under way: the page to open in the browser, and the listener its answer
/// comes back to.
pub struct SignIn {
    pub url: String,
    listener: tokio::net::TcpListener,
    endpoints: Endpoints,
    client_id: String,
    client_secret: Option<String>,
    redirect_uri: String,
    resource: String,
    verifier: String,
    state: String,
}

/// Starts a sign-in to the MCP server at `server_url`. `known`: a grant from before, whose
/// registration is reused when it was made with the same authorization server.
pub async fn begin(http: &reqwest::Client, server_url: &str, challenge: &Challenge, known: Option<&Grant>) -> Result<SignIn, String> {
    let server = url::Url::parse(server_url).map_err(|e| format!("{server_url:?} is not a URL ({e})"))?;
    let (endpoints, scope) = discover(http, &server, challenge).await?;
    // The same port as the registration when it is free (the redirect URI must match).
    let reuse = known.filter(|g| g.issuer == endpoints.issuer);
    let port = reuse.and_then(|g| url::Url::parse(&g.redirect_uri).ok()).and_then(|u| u.port());
    let listener = match port {
        Some(p) => tokio::net::TcpListener::bind(("127.0.0.1", p)).await.ok(),
        None => None,
    };
    let (listener, reuse) = match listener {
        Some(l) => (l, reuse),
        None => (tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| format!("no port for the sign-in's answer: {e}"))?, None),
    };
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let (client_id, client_secret) = match reuse {
        Some(g) => (g.client_id.clone(), g.client_secret.clone()),
        None => register(http, &endpoints, &redirect_uri).await?,
    };
    let verifier = random(32)?;
    let state = random(16)?;
    let challenge_s256 = b64(&Sha256::digest(verifier.as_bytes()));
    // The resource is the server's URL without a fragment (RFC 8707's canonical form).
    let mut resource = server.clone();
    resource.set_fragment(None);
    let resource = resource.to_string();
    let mut auth = url::Url::parse(&endpoints.authorization).map_err(|e| format!("the authorization endpoint is not a URL ({e})"))?;
    {
        let mut q = auth.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("code_challenge", &challenge_s256)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", &state)
            .append_pair("resource", &resource);
        if let Some(s) = &scope {
            q.append_pair("scope", s);
        }
    }
    Ok(SignIn { url: auth.to_string(), listener, endpoints, client_id, client_secret, redirect_uri, resource, verifier, state })
}

/// Registers Weft with the authorization server (a public client: PKCE, no secret).
async fn register(http: &reqwest::Client, endpoints: &Endpoints, redirect_uri: &str) -> Result<(String, Option<String>), String> {
    let Some(reg) = &endpoints.registration else {
        return Err(format!("{} offers no client registration; Weft cannot sign in there without one", endpoints.issuer));
    };
    let body = serde_json::json!({
        "client_name": "Weft",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    let resp = http.post(reg).header("Content-Type", "application/json").body(body.to_string()).send().await.map_err(|e| format!("registering with {}: {e}", endpoints.issuer))?;
    let status = resp.status();
    let v: Value = resp.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{} refused the registration (HTTP {status}: {})", endpoints.issuer, v["error_description"].as_str().or(v["error"].as_str()).unwrap_or("no reason")));
    }
    let id = v["client_id"].as_str().ok_or("the registration gave no client_id")?;
    Ok((id.to_owned(), v["client_secret"].as_str().map(str::to_owned)))
}

impl SignIn {
    /// Waits (at most `wait`) for the browser to come back with the code, and exchanges it.
    pub async fn finish(self, http: &reqwest::Client, wait: Duration) -> Result<Grant, String> {
        let query = tokio::time::timeout(wait, callback(&self.listener)).await.map_err(|_| format!("the sign-in was not finished within {} minutes", wait.as_secs() / 60))??;
        let pairs: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        if pairs.get("state") != Some(&self.state) {
            return Err("the sign-in's answer does not belong to this sign-in (state differs); not used".into());
        }
        if let Some(e) = pairs.get("error") {
            return Err(format!("the sign-in was refused: {}", pairs.get("error_description").unwrap_or(e)));
        }
        let code = pairs.get("code").ok_or("the sign-in's answer has no code")?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", self.verifier.as_str()),
            ("resource", self.resource.as_str()),
        ];
        let v = token_request(http, &self.endpoints.token, &form, self.client_secret.as_deref(), &self.client_id).await?;
        Ok(Grant {
            issuer: self.endpoints.issuer,
            token_endpoint: self.endpoints.token,
            client_id: self.client_id,
            client_secret: self.client_secret,
            redirect_uri: self.redirect_uri,
            resource: self.resource,
            access_token: v.0,
            refresh_token: v.1,
            expires_at: v.2,
        })
    }
}

/// A fresh access token from the grant's refresh token (kept when the server sends none).
pub async fn refresh(http: &reqwest::Client, grant: &Grant) -> Result<Grant, String> {
    let token = grant.refresh_token.as_deref().ok_or("the sign-in has expired and cannot be renewed; sign in again")?;
    let form = [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", grant.client_id.as_str()), ("resource", grant.resource.as_str())];
    let (access, refresh, expires) = token_request(http, &grant.token_endpoint, &form, grant.client_secret.as_deref(), &grant.client_id).await?;
    Ok(Grant { access_token: access, refresh_token: refresh.or_else(|| grant.refresh_token.clone()), expires_at: expires, ..grant.clone() })
}

async fn token_request(http: &reqwest::Client, endpoint: &str, form: &[(&str, &str)], secret: Option<&str>, client_id: &str) -> Result<(String, Option<String>, Option<u64>), String> {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = http.post(endpoint).header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json").body(body);
    if let Some(s) = secret {
        req = req.basic_auth(client_id, Some(s));
    }
    let resp = req.send().await.map_err(|e| format!("{endpoint}: {e}"))?;
    let status = resp.status();
    let v: Value = resp.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("the token was refused (HTTP {status}: {})", v["error_description"].as_str().or(v["error"].as_str()).unwrap_or("no reason")));
    }
    let access = v["access_token"].as_str().ok_or("the token answer has no access_token")?;
    if !v["token_type"].as_str().is_none_or(|t| t.eq_ignore_ascii_case("bearer")) {
        return Err(format!("the token is of type {}, not Bearer", v["token_type"]));
    }
    Ok((access.to_owned(), v["refresh_token"].as_str().map(str::to_owned), v["expires_in"].as_u64().map(|s| now() + s)))
}

/// The query of the first `GET /callback?…` to the listener; the browser is told it can close
/// the tab. Anything else (a favicon) gets a 404 and the wait goes on.
async fn callback(listener: &tokio::net::TcpListener) -> Result<String, String> {
    loop {
        let (mut sock, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 8192];
        let mut n = 0;
        while n < buf.len() && !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
            match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf[n..])).await {
                Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
                Ok(Ok(k)) => n += k,
            }
        }
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        let target = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let Some(query) = target.strip_prefix("/callback?").or_else(|| (target == "/callback").then_some("")) else {
            let _ = sock.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
            continue;
        };
        let page = "<!doctype html><meta charset=utf-8><title>Weft</title><p style=\"font:16px system-ui;margin:3em\">Signed in. You can close this tab and go back to Weft.";
        let _ = sock.write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}", page.len()).as_bytes()).await;
        return Ok(query.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::Challenge;

    #[test]
    fn challenges_are_read_quoted_or_not() {
        let c = Challenge::parse(r#"Bearer error="invalid_token", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write""#);
        assert_eq!(c.resource_metadata.as_deref(), Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp"));
        assert_eq!(c.scope.as_deref(), Some("files:read files:write"));
        let c = Challenge::parse("Bearer resource_metadata=https://x/y, realm=mcp");
        assert_eq!(c.resource_metadata.as_deref(), Some("https://x/y"));
        assert_eq!(Challenge::parse("Basic realm=x"), Challenge::default());
    }
}
