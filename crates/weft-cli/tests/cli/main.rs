//! `weft serve` as a user runs it: a real process on loopback, real HTTP and WebSocket.

mod abuse;
mod agent;
// File modes and symlinks in the round trip: Unix only until it has a Windows counterpart.
#[cfg(unix)]
mod checkpoint;
mod collab;
mod env;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

struct Server {
    child: Child,
    port: u16,
    token: String,
    _ws: tempfile::TempDir,
    _ui: tempfile::TempDir,
    _app: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Server {
    let ws = tempfile::tempdir().expect("tmp");
    std::fs::write(ws.path().join("a.txt"), "alpha\n").expect("write");
    let ui = tempfile::tempdir().expect("tmp");
    std::fs::write(ui.path().join("index.html"), "<!doctype html><title>weft</title>").expect("write");
    std::fs::write(ui.path().join("app.js"), "console.log(1)").expect("write");
    let app = tempfile::tempdir().expect("tmp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["serve", ws.path().to_str().expect("utf8"), "--ui", ui.path().to_str().expect("utf8")])
        .env("WEFT_CONFIG_DIR", app.path().join("c"))
        .env("WEFT_DATA_DIR", app.path().join("d"))
        .env_remove("WEFT_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn weft serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines.by_ref().map_while(Result::ok).find(|l| l.contains("?token=")).expect("printed URL");
    // Keep draining stdout so the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let url = url.trim();
    let port = url.split(':').nth(2).and_then(|p| p.split('/').next()).and_then(|p| p.parse().ok()).expect("port");
    let token = url.split("?token=").nth(1).expect("token").to_owned();
    assert!(token.len() >= 32, "token too short: {token}");
    Server { child, port, token, _ws: ws, _ui: ui, _app: app }
}

/// A raw HTTP/1.1 GET, so headers (Host, Cookie) are exactly what the test says.
fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut req = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out)
}

#[test]
fn requests_without_the_token_are_refused() {
    let s = serve();
    assert_eq!(get(s.port, "/", &[]).0, 401);
    assert_eq!(get(s.port, "/app.js", &[]).0, 401);
    assert_eq!(get(s.port, "/?token=wrong", &[]).0, 401);
    assert_eq!(get(s.port, &format!("/?token={}x", s.token), &[]).0, 401);
    let (status, page) = get(s.port, &format!("/?token={}", s.token), &[]);
    assert_eq!(status, 200);
    assert!(page.contains("<title>weft</title>"));
    // The page load sets a cookie so the page's own assets load without the token in URLs.
    let cookie = page
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_owned();
    assert!(page.to_lowercase().contains("httponly"));
    assert_eq!(get(s.port, "/app.js", &[("Cookie", &cookie)]).0, 200);
    // Cookies are not kept apart by port: any other server on 127.0.0.1 the browser visits
    // gets this one. It must not be the token, and it must not open the API.
    assert!(!cookie.contains(&s.token), "the cookie carries the access token: {cookie}");
    fn upgrade<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut h = vec![("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")];
        h.extend_from_slice(extra);
        h
    }
    assert_eq!(get(s.port, "/ws", &upgrade(&[("Cookie", &cookie)])).0, 401, "the cookie opens no WebSocket");
    let ws_path = format!("/ws?token={}", s.token);
    assert_eq!(get(s.port, &ws_path, &upgrade(&[("Origin", "http://127.0.0.1:9")])).0, 403, "a page on another origin");
    // (The server's own page is let through: see the WebSocket test, which connects with it.)
    // DNS rebinding: a foreign Host is refused even with the token.
    assert_eq!(get(s.port, &format!("/?token={}", s.token), &[("Host", "evil.example:80")]).0, 403);
}

async fn call(ws: &mut (impl SinkExt<Message> + StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin), id: u64, request: Value) -> Value {
    let _ = ws.send(Message::Text(json!({"id": id, "request": request}).to_string().into())).await;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("reply in time").expect("open").expect("frame");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).expect("json");
            if v["id"] == id {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn websocket_needs_the_token_and_a_bad_client_only_closes_itself() {
    let s = serve();
    let err = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}/ws", s.port)).await.expect_err("no token");
    assert!(err.to_string().contains("401"), "{err}");
    let url = format!("ws://127.0.0.1:{}/ws?token={}", s.port, s.token);
    // As the browser opens it from the server's own page: with its Origin.
    let mut own = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).expect("request");
    own.headers_mut().insert("Origin", format!("http://127.0.0.1:{}", s.port).parse().expect("header"));
    let (mut good, _) = tokio_tungstenite::connect_async(own).await.expect("connect from the server's own origin");
    let (mut bad, _) = tokio_tungstenite::connect_async(&url).await.expect("connect");

    let r = call(&mut good, 1, json!({"method": "readFile", "params": {"path": "a.txt"}})).await;
    assert_eq!(r["ok"]["text"], "alpha\n");
    let r = call(&mut good, 2, json!({"method": "readFile", "params": {"path": "../../etc/passwd"}})).await;
    assert_eq!(r["error"]["code"], "outside_workspace");

    bad.send(Message::Text("{this is not json".into())).await.expect("send");
    let mut closed = false;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), bad.next()).await {
        match msg {
            Ok(Message::Close(_)) | Err(_) => {
                closed = true;
                break;
            }
            _ => {}
        }
    }
    assert!(closed, "malformed message did not close the connection");
    // The other client is unaffected.
    let r = call(&mut good, 3, json!({"method": "info"})).await;
    assert_eq!(r["ok"]["mode"], "serve");
}
