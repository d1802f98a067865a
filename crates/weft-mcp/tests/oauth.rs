//! Signing in to a remote MCP server: the official test server (`server-everything` over
//! Streamable HTTP) behind a gateway that wants a bearer token, with an authorization
//! server beside it speaking the real protocols (protected-resource and authorization-server
//! metadata, dynamic registration, the authorization code with PKCE, refresh). The test is
//! the user's browser: it follows the sign-in page's redirect back to Weft.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weft_mcp::{config, Hub, State};

fn everything() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mcp-servers/node_modules/.bin/mcp-server-everything");
    assert!(bin.exists(), "the test server is not installed: run scripts/setup.sh with WEFT_SETUP_TESTS=1 ({})", bin.display());
    bin
}

#[derive(Default)]
struct Auth {
    base: String,
    clients: BTreeMap<String, Vec<String>>,
    /// code -> (client, redirect_uri, S256 challenge, resource)
    codes: BTreeMap<String, (String, String, String, String)>,
    access: HashSet<String>,
    refresh: HashSet<String>,
    issued: u32,
    refreshed: u32,
    /// What the authorization request carried, for the test to check.
    authorize_query: BTreeMap<String, String>,
}

impl Auth {
    fn tokens(&mut self) -> Value {
        self.issued += 1;
        let (a, r) = (format!("at-{}", self.issued), format!("rt-{}", self.issued));
        self.access.insert(a.clone());
        self.refresh.insert(r.clone());
        json!({"access_token": a, "token_type": "Bearer", "expires_in": 3600, "refresh_token": r})
    }
}

fn form(s: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

async fn respond(sock: &mut tokio::net::TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body).await;
}

async fn json_reply(sock: &mut tokio::net::TcpStream, status: &str, v: Value) {
    respond(sock, status, &[("content-type", "application/json".into())], v.to_string().as_bytes()).await;
}

/// One request per connection: the metadata, registration, authorization, tokens, and the
/// MCP endpoint (checked for a token, then passed to the real server, streams and all).
async fn serve(mut sock: tokio::net::TcpStream, auth: Arc<Mutex<Auth>>, upstream: String, http: reqwest::Client) {
    let mut buf = vec![];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut tmp = [0u8; 8192];
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (first.next().unwrap_or_default().to_owned(), first.next().unwrap_or_default().to_owned());
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let len: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let mut tmp = [0u8; 8192];
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&tmp[..n]),
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let base = auth.lock().expect("auth").base.clone();
    match (method.as_str(), path) {
        ("GET", "/.well-known/oauth-protected-resource/mcp") => {
            json_reply(&mut sock, "200 OK", json!({"resource": format!("{base}/mcp"), "authorization_servers": [base], "scopes_supported": ["mcp:tools"]})).await
        }
        ("GET", "/.well-known/oauth-authorization-server") => {
            json_reply(&mut sock, "200 OK", json!({"issuer": base, "authorization_endpoint": format!("{base}/authorize"), "token_endpoint": format!("{base}/token"),
                "registration_endpoint": format!("{base}/register"), "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"]}))
            .await
        }
        ("POST", "/register") => {
            let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let uris: Vec<String> = req["redirect_uris"].as_array().into_iter().flatten().filter_map(|u| u.as_str().map(str::to_owned)).collect();
            let id = {
                let mut a = auth.lock().expect("auth");
                let id = format!("client-{}", a.clients.len() + 1);
                a.clients.insert(id.clone(), uris.clone());
                id
            };
            json_reply(&mut sock, "201 Created", json!({"client_id": id, "redirect_uris": uris, "token_endpoint_auth_method": "none"})).await
        }
        ("GET", "/authorize") => {
            let q = form(query);
            let location = {
                let mut a = auth.lock().expect("auth");
                a.authorize_query = q.clone();
                let client_ok = a.clients.get(q.get("client_id").map(String::as_str).unwrap_or("")).is_some_and(|uris| q.get("redirect_uri").is_some_and(|r| uris.contains(r)));
                if !client_ok || q.get("code_challenge_method").map(String::as_str) != Some("S256") || q.get("response_type").map(String::as_str) != Some("code") {
                    None
                } else {
                    let code = format!("code-{}", a.codes.len() + 1);
                    let g = |k: &str| q.get(k).cloned().unwrap_or_default();
                    a.codes.insert(code.clone(), (g("client_id"), g("redirect_uri"), g("code_challenge"), g("resource")));
                    Some(format!("{}?code={code}&state={}", g("redirect_uri"), url::form_urlencoded::byte_serialize(g("state").as_bytes()).collect::<String>()))
                }
            };
            match location {
                Some(l) => respond(&mut sock, "302 Found", &[("location", l)], b"").await,
                None => json_reply(&mut sock, "400 Bad Request", json!({"error": "invalid_request"})).await,
            }
        }
        ("POST", "/token") => {
            let f = form(&String::from_utf8_lossy(&body));
            let reply = {
            let mut a = auth.lock().expect("auth");
            match f.get("grant_type").map(String::as_str) {
                Some("authorization_code") => match a.codes.remove(f.get("code").map(String::as_str).unwrap_or("")) {
                    Some((client, redirect, challenge, resource)) => {
                        let verifier = f.get("code_verifier").cloned().unwrap_or_default();
                        let s256 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                        if f.get("client_id") != Some(&client) || f.get("redirect_uri") != Some(&redirect) || s256 != challenge || f.get("resource") != Some(&resource) {
                            Err("invalid_grant")
                        } else {
                            Ok(a.tokens())
                        }
                    }
                    None => Err("invalid_grant"),
                },
                Some("refresh_token") => {
                    if a.refresh.remove(f.get("refresh_token").map(String::as_str).unwrap_or("")) {
                        a.refreshed += 1;
                        Ok(a.tokens())
                    } else {
                        Err("invalid_grant")
                    }
                }
                _ => Err("unsupported_grant_type"),
            }
            };
            match reply {
                Ok(v) => json_reply(&mut sock, "200 OK", v).await,
                Err(e) => json_reply(&mut sock, "400 Bad Request", json!({"error": e})).await,
            }
        }
        (_, "/mcp") => {
            let token = header("authorization").and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned));
            if !token.is_some_and(|t| auth.lock().expect("auth").access.contains(&t)) {
                let challenge = format!(r#"Bearer error="invalid_token", resource_metadata="{base}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools""#);
                return respond(&mut sock, "401 Unauthorized", &[("www-authenticate", challenge)], b"").await;
            }
            let mut req = http.request(method.parse().expect("method"), &upstream).body(body);
            for k in ["content-type", "accept", "mcp-session-id", "mcp-protocol-version"] {
                if let Some(v) = header(k) {
                    req = req.header(k, v);
                }
            }
            let Ok(resp) = req.send().await else { return respond(&mut sock, "502 Bad Gateway", &[], b"").await };
            let mut head = format!("HTTP/1.1 {}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n", resp.status());
            for k in ["content-type", "mcp-session-id"] {
                if let Some(v) = resp.headers().get(k).and_then(|v| v.to_str().ok()) {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
            }
            head.push_str("\r\n");
            let _ = sock.write_all(head.as_bytes()).await;
            let mut resp = resp;
            while let Ok(Some(chunk)) = resp.chunk().await {
                let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
                c.extend_from_slice(&chunk);
                c.extend_from_slice(b"\r\n");
                if sock.write_all(&c).await.is_err() {
                    return;
                }
            }
            let _ = sock.write_all(b"0\r\n\r\n").await;
        }
        _ => respond(&mut sock, "404 Not Found", &[], b"").await,
    }
}

fn state(hub: &Hub, name: &str) -> weft_mcp::ServerStatus {
    hub.status().into_iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no status for {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_asks_for_a_sign_in_is_signed_in_through_the_browser_and_renewed() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut server = tokio::process::Command::new(everything()).arg("streamableHttp").env("PORT", port.to_string()).kill_on_drop(true).stderr(std::process::Stdio::null()).spawn().expect("server");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let gateway = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("gateway");
    let base = format!("http://127.0.0.1:{}", gateway.local_addr().expect("addr").port());
    let auth = Arc::new(Mutex::new(Auth { base: base.clone(), ..Auth::default() }));
    let (a, upstream, http) = (auth.clone(), format!("http://127.0.0.1:{port}/mcp"), reqwest::Client::new());
    tokio::spawn(async move {
        while let Ok((sock, _)) = gateway.accept().await {
            tokio::spawn(serve(sock, a.clone(), upstream.clone(), http.clone()));
        }
    });

    let servers = config::parse(&json!({"mcpServers": {"remote": {"type": "http", "url": format!("{base}/mcp")}}}), config::Source::User);
    let hub = Hub::new(dir.path(), servers, Some(dir.path().join("trust.json")));
    hub.set_grants(dir.path().join("oauth.json"));

    // Unsigned: the server's 401 shows as a sign-in to do, and the agent goes on without it.
    assert!(hub.tools().await.is_empty());
    let s = state(&hub, "remote");
    assert_eq!((s.state, s.signed_in), (State::NeedsSignIn, false), "{s:?}");

    // Sign In: the page to open, with PKCE, the server as the resource, the scope it named.
    let page = hub.sign_in("remote").await.expect("sign-in page");
    assert!(page.starts_with(&format!("{base}/authorize?")), "{page}");
    // The browser: the authorization server sends it back to Weft's listener.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(3)).build().expect("browser");
    let landing = browser.get(&page).send().await.expect("authorize").text().await.expect("page");
    assert!(landing.contains("Signed in"), "{landing}");
    {
        let a = auth.lock().expect("auth");
        let q = &a.authorize_query;
        assert_eq!(q.get("resource"), Some(&format!("{base}/mcp")));
        assert_eq!(q.get("scope").map(String::as_str), Some("mcp:tools"));
        assert!(q.get("redirect_uri").is_some_and(|r| r.starts_with("http://127.0.0.1:")), "{q:?}");
        assert_eq!(a.clients.len(), 1, "registered once");
    }
    // The server starts with the token, and its tools work.
    for _ in 0..100 {
        if state(&hub, "remote").state == State::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state(&hub, "remote").state, State::Running, "{:?}", state(&hub, "remote"));
    let r = hub.call("mcp__remote__echo", &json!({"message": "signed in"})).await;
    assert!(!r.is_error && r.text.contains("signed in"), "{r:?}");
    let saved = std::fs::read_to_string(dir.path().join("oauth.json")).expect("saved");
    assert!(saved.contains("rt-1"), "the grant is kept for next time");
    #[cfg(unix)]
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(dir.path().join("oauth.json")).expect("meta").permissions()) & 0o777, 0o600);

    // The server stops taking the token (revoked, expired early): the next start renews it
    // with the refresh token, without the user.
    auth.lock().expect("auth").access.clear();
    hub.restart("remote").await.expect("restart");
    assert_eq!(state(&hub, "remote").state, State::Running, "{:?}", state(&hub, "remote"));
    assert_eq!(auth.lock().expect("auth").refreshed, 1);
    let r = hub.call("mcp__remote__echo", &json!({"message": "renewed"})).await;
    assert!(r.text.contains("renewed"), "{r:?}");

    // Signed out (and the refresh token gone too): back to asking.
    assert!(state(&hub, "remote").signed_in);
    hub.sign_out("remote").await.expect("sign out");
    let s = state(&hub, "remote");
    assert_eq!((s.state, s.signed_in), (State::NeedsSignIn, false));
    hub.stop_all().await;
    let _ = server.kill().await;
}
