//! `weft serve`: the UI in a browser, backed by the same weft-api as the desktop app. A
//! thin shell: transport, access control and static files here; every request is
//! `Api::call`, and what it refuses is [`SHELL`]'s list.
//!
//! Security: binds 127.0.0.1 only; every request needs the random access token, either
//! in the URL (`?token=`; the first page load sets an HttpOnly, SameSite=Strict cookie
//! holding a value derived from the token, which opens the page's static assets and
//! nothing else) or, for the WebSocket, always in the URL and only from this server's
//! own origin, so neither a page elsewhere nor another local server that received the
//! cookie can reach the API. The Host header must name this server,
//! which defeats DNS rebinding.
//!
//! The WebSocket carries JSON envelopes: `{id, request, stream?}` in; `{id, ok}` or
//! `{id, error}` out; stream frames as `{stream, data}`, or as binary frames
//! `[u16 BE id length][id][bytes]` for raw bytes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tracing::{info, warn};
use weft_api::{wire, Api, Method, Shell};

/// What `weft serve` does not do. The page is reachable by anything that holds its URL on
/// this machine: it serves the one folder it was started on and names no other.
pub const SHELL: Shell = Shell {
    name: "serve",
    unsupported: &[
        (Method::OpenWorkspace, "it serves the one folder it was started on; start another `weft serve` for another folder"),
        (Method::RecentWorkspaces, "it serves the one folder it was started on and does not list the others"),
        (Method::TemplateCreate, "it serves the one folder it was started on; make new projects with `weft new` or the desktop app"),
        (Method::TemplateAdd, "it serves the one folder it was started on; add templates with the desktop app"),
        (Method::ProjectImport, "it serves the one folder it was started on; import archives with `weft import` or the desktop app"),
        (Method::GitClone, "it serves the one folder it was started on; clone with `weft clone` or the desktop app"),
    ],
};

pub struct Options {
    pub root: PathBuf,
    pub port: u16,
    pub ui: Option<PathBuf>,
    pub token: Option<String>,
    pub paths: weft_api::AppPaths,
}

#[derive(Clone)]
struct AppState {
    api: Api,
    token: Arc<str>,
    port: u16,
    ui_dir: Option<Arc<Path>>,
}

/// Largest WebSocket message accepted from a client (a save of a big file fits).
const MAX_MESSAGE: usize = 300 * 1024 * 1024;

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let api = Api::new(SHELL, opts.paths);
    let info = api.open_workspace(&opts.root).with_context(|| format!("opening {}", opts.root.display()))?;
    let token = match opts.token {
        Some(t) if t.len() >= 16 => t,
        Some(_) => anyhow::bail!("--token must be at least 16 characters"),
        None => random_token()?,
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], opts.port)))
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", opts.port))?;
    let port = listener.local_addr()?.port();
    let ui_dir = opts.ui.or_else(find_ui_dir);
    if ui_dir.is_none() {
        warn!("no built UI found; run `npm run build` in ui/ or pass --ui");
        eprintln!("warning: no built UI found (run `npm --prefix ui run build`, or pass --ui DIR)");
    }
    let state = AppState { api, token: token.into(), port, ui_dir: ui_dir.map(Into::into) };
    let app = Router::new()
        .route("/ws", get(ws_handler))
        .fallback(static_handler)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state.clone());
    // Not println!: it panics when stdout is closed, and a server must outlive its terminal.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Weft is serving {} at", info.root);
        let _ = writeln!(out, "  http://127.0.0.1:{port}/?token={}", state.token);
        let _ = writeln!(out, "Anyone with this URL can read and change files in that folder. Ctrl+C stops.");
        let _ = out.flush();
    }
    info!(port, root = %info.root, "serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for the token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn find_ui_dir() -> Option<PathBuf> {
    let exe_dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    [exe_dir.join("ui"), exe_dir.join("../share/weft/ui"), Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist")]
        .into_iter()
        .find(|d| d.join("index.html").is_file())
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn query_token(req: &Request) -> Option<String> {
    req.uri().query()?.split('&').find_map(|kv| kv.strip_prefix("token=").map(str::to_owned))
}

fn cookie_name(port: u16) -> String {
    format!("weft_assets_{port}")
}

/// What the cookie holds: a value derived from the token that opens the page's static
/// assets and nothing else. Cookies are not kept apart by port, so any other server on
/// 127.0.0.1 the browser visits receives it; with it, that server can fetch the UI's
/// files, never open the API (the WebSocket needs the token itself).
fn asset_key(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("weft serve assets\0{token}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A browser always says where a WebSocket comes from: only this server's own page may
/// open one (a page elsewhere that learnt the token still cannot). Programs that are not
/// browsers send no Origin; they need the token all the same.
fn origin_ok(req: &Request, port: u16) -> bool {
    match req.headers().get(header::ORIGIN).map(|o| o.to_str().unwrap_or("")) {
        None => true,
        Some(o) => o == format!("http://127.0.0.1:{port}") || o == format!("http://localhost:{port}"),
    }
}

fn cookie_token(req: &Request, port: u16) -> Option<String> {
    let name = cookie_name(port);
    req.headers().get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let host_ok = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h == format!("127.0.0.1:{}", st.port) || h == format!("localhost:{}", st.port));
    if !host_ok {
        return (StatusCode::FORBIDDEN, "Weft: unexpected Host header\n").into_response();
    }
    let from_query = query_token(&req).is_some_and(|t| same(&t, &st.token));
    let is_ws = req.uri().path() == "/ws";
    let from_cookie = !is_ws && cookie_token(&req, st.port).is_some_and(|t| same(&t, &asset_key(&st.token)));
    if !from_query && !from_cookie {
        return (StatusCode::UNAUTHORIZED, "Weft: this server needs the access token from the URL it printed\n").into_response();
    }
    if is_ws && !origin_ok(&req, st.port) {
        return (StatusCode::FORBIDDEN, "Weft: WebSocket from another origin\n").into_response();
    }
    let mut res = next.run(req).await;
    if from_query && !is_ws {
        let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Strict", cookie_name(st.port), asset_key(&st.token));
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

async fn static_handler(State(st): State<AppState>, req: Request) -> Response {
    let Some(dir) = st.ui_dir.clone() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "Weft: the UI is not built. Run `npm --prefix ui run build`.\n").into_response();
    };
    let rel = req.uri().path().trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    // Static assets are ours, but still never serve outside the UI folder.
    if rel.split('/').any(|p| p == ".." || p.contains('\\')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = dir.join(rel);
    let path = if path.is_file() { path } else { dir.join("index.html") };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mime = mime_guess::from_path(&path).first_or_octet_stream();
            let mut res = Response::new(Body::from(bytes));
            if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
                res.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                // The preview frames the app a run serves on this machine (see ui/src/preview.ts).
                HeaderValue::from_static("default-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-src http://localhost:* http://127.0.0.1:* http://[::1]:*"),
            );
            res
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn ws_handler(State(st): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_MESSAGE).on_upgrade(move |socket| connection(st, socket))
}

/// One browser tab: the API's wire protocol (weft_api::wire), replies funnelled through one
/// writer task. A malformed envelope closes this connection only.
async fn connection(st: AppState, socket: WebSocket) {
    let (mut ws_tx, mut ws_rx) = socket.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Message>();
    let writer = tokio::spawn(async move {
        while let Some(m) = out_rx.recv().await {
            if ws_tx.send(m).await.is_err() {
                break;
            }
        }
        let _ = ws_tx.close().await;
    });
    let requests = wire::Connection::new(st.api.clone(), wire::Access::Owner, out_tx.clone());
    while let Some(Ok(msg)) = ws_rx.next().await {
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Binary(_) => {
                let _ = out_tx.send(close_message("binary requests are not supported"));
                break;
            }
        };
        if let Err(why) = requests.message(&text) {
            let _ = out_tx.send(close_message(&why));
            break;
        }
    }
    // Its streams stop; the writer ends when the last sender (a running request's) goes.
    drop(requests);
    drop(out_tx);
    let _ = writer.await;
}

fn close_message(reason: &str) -> Message {
    Message::Close(Some(axum::extract::ws::CloseFrame { code: 1008, reason: reason.to_owned().into() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[tokio::test]
    async fn the_server_refuses_what_its_list_says_and_nothing_else() {
        let (ws, app) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        std::fs::write(ws.path().join("a.txt"), "a\n").expect("write");
        let api = Api::new(SHELL, weft_api::AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") });
        api.open_workspace(ws.path()).expect("open");
        let new = json!({"template": "html", "parent": app.path(), "name": "x"});
        let clone = json!({"url": "https://example.com/r.git", "parent": app.path(), "name": "x"});
        for (method, params) in [("openWorkspace", json!({"path": app.path()})), ("recentWorkspaces", Value::Null), ("templateCreate", new), ("templateAdd", json!({"url": "u"})), ("gitClone", clone.clone()), ("projectImport", json!({"archive": "/x.zip", "parent": app.path(), "name": "x"}))] {
            let err = api.call(json!({"method": method, "params": params}), None).await.expect_err(method);
            assert_eq!(err.code, "unsupported", "{method}: {err}");
            assert!(err.message.starts_with(&format!("serve does not do {method}: ")), "{}", err.message);
        }
        let info = api.call(json!({"method": "info"}), None).await.expect("info");
        assert_eq!((info["mode"].as_str(), info["canOpenFolders"].as_bool()), (Some("serve"), Some(false)));
        // Everything else is the API's to answer.
        let file = api.call(json!({"method": "readFile", "params": {"path": "a.txt"}}), None).await.expect("read");
        assert_eq!(file["text"], "a\n");
    }
}
