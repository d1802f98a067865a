//! The preview's proxy: the preview pane shows a running app through a small HTTP proxy on
//! loopback, one per previewed port, so that the page can be given a script of Weft's. The
//! script tells the pane what the page logs (console calls, errors, rejected promises) and
//! where it navigates, and obeys back / forward / reload: none of which a cross-origin
//! iframe allows from outside.
//!
//! Everything else passes through unchanged: methods, headers, bodies (streamed), redirects
//! (a `Location` naming the app's own port is pointed at the proxy), and upgrades, so a
//! dev server's hot-reload WebSocket works through it. HTML responses are asked for without
//! compression and get one `<script>` tag after `<head>`.
//!
//! A collaboration guest previews the host's app through a *relayed* proxy on the guest's
//! machine: each request goes over the session to the host ([`Relay`]), which [`fetch`]es
//! it from the shared port and sends the whole response back. Bodies travel whole (up to
//! [`RELAY_MAX_BYTES`]) and there are no upgrades: a dev server's hot-reload socket is not
//! relayed, so a guest's preview reloads when the pane is told to.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// Where the page finds the script (a path no app uses).
pub const SCRIPT_PATH: &str = "/__weft_preview.js";

/// The script given to every HTML page seen through the proxy.
pub const SCRIPT: &str = r#"(() => {
  if (window.parent === window || window.__weftPreview) return;
  window.__weftPreview = true;
  const post = (m) => { try { parent.postMessage(Object.assign({ weftPreview: 1 }, m), '*'); } catch (e) {} };
  const show = (x) => {
    if (typeof x === 'string') return x;
    if (x instanceof Error) return x.stack || String(x);
    try { return JSON.stringify(x); } catch (e) { return String(x); }
  };
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    const original = console[level];
    console[level] = function (...args) {
      post({ kind: 'console', level, text: args.map(show).join(' ') });
      return original.apply(console, args);
    };
  }
  addEventListener('error', (e) => post({ kind: 'console', level: 'error', text: `${e.message} (${e.filename}:${e.lineno}:${e.colno})` }));
  addEventListener('unhandledrejection', (e) => post({ kind: 'console', level: 'error', text: `Unhandled promise rejection: ${show(e.reason)}` }));
  const where = () => post({ kind: 'location', href: location.href, title: document.title });
  for (const name of ['pushState', 'replaceState']) {
    const original = history[name];
    history[name] = function (...args) { const r = original.apply(this, args); where(); return r; };
  }
  addEventListener('popstate', where);
  addEventListener('hashchange', where);
  addEventListener('load', where);
  post({ kind: 'loaded', href: location.href });
  addEventListener('message', (e) => {
    if (e.source !== parent || !e.data || !e.data.weftPreview) return;
    if (e.data.go === 'back') history.back();
    if (e.data.go === 'forward') history.forward();
    if (e.data.go === 'reload') location.reload();
  });
  where();
})();
"#;

type Body = BoxBody<Bytes, hyper::Error>;

/// The largest request or response body relayed for a guest.
pub const RELAY_MAX_BYTES: usize = 32 * 1024 * 1024;

/// One request as it travels to the host.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fetch {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Its answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fetched {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Where a relayed proxy sends its requests (the collaboration session to the host).
pub trait Relay: Send + Sync + 'static {
    fn fetch(&self, req: Fetch) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Fetched, String>> + Send + '_>>;
}

/// Headers that belong to one connection, not to the request or response they travel with.
const HOP_BY_HOP: [&str; 8] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "content-length"];

/// Fetches `req` from the app on local port `target`, whole: the host's side of a guest's
/// preview. The app is asked for an uncompressed body, and an answer over
/// [`RELAY_MAX_BYTES`] is refused rather than cut.
pub async fn fetch(target: u16, req: Fetch) -> Result<Fetched, String> {
    let stream = connect(target).await.map_err(|e| format!("nothing answers on port {target} ({e})"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut builder = Request::builder().method(req.method.as_str()).uri(if req.path.starts_with('/') { req.path.as_str() } else { "/" });
    for (k, v) in &req.headers {
        let lower = k.to_ascii_lowercase();
        if HOP_BY_HOP.contains(&lower.as_str()) || lower == "accept-encoding" || lower == "host" {
            continue;
        }
        builder = builder.header(k.as_str(), v.as_str());
    }
    let request = builder.header(header::HOST, format!("localhost:{target}")).body(Full::new(Bytes::from(req.body))).map_err(|e| format!("a request the app cannot be sent: {e}"))?;
    let resp = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let (parts, body) = resp.into_parts();
    let limited = http_body_util::Limited::new(body, RELAY_MAX_BYTES);
    let body = limited.collect().await.map_err(|e| format!("the answer could not be read whole (at most {} MB are relayed): {e}", RELAY_MAX_BYTES >> 20))?.to_bytes();
    let headers = parts
        .headers
        .iter()
        .filter(|(k, _)| !HOP_BY_HOP.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    Ok(Fetched { status: parts.status.as_u16(), headers, body: body.to_vec() })
}

fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into()).map_err(|never: Infallible| match never {}).boxed()
}

/// A proxy to the app on `target`, listening on its own loopback port until dropped.
pub struct Proxy {
    pub port: u16,
    pub target: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub async fn start(target: u16) -> std::io::Result<Proxy> {
        Self::serve(target, None).await
    }

    /// A proxy whose requests go through `relay` (a guest's view of the host's `target`).
    pub async fn start_relayed(target: u16, relay: std::sync::Arc<dyn Relay>) -> std::io::Result<Proxy> {
        Self::serve(target, Some(relay)).await
    }

    async fn serve(target: u16, relay: Option<std::sync::Arc<dyn Relay>>) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let relay = relay.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let relay = relay.clone();
                        async move {
                            match relay {
                                Some(r) => handle_relayed(req, r, target, port).await,
                                None => handle(req, target, port).await,
                            }
                        }
                    });
                    if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).with_upgrades().await {
                        tracing::debug!("preview proxy connection: {e}");
                    }
                });
            }
        });
        Ok(Proxy { port, target, task })
    }
}

async fn connect(target: u16) -> std::io::Result<TcpStream> {
    match TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], target))).await {
        Ok(s) => Ok(s),
        // A server listening on ::1 only (Node's "localhost" on some systems).
        Err(_) => TcpStream::connect(SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, target))).await,
    }
}

fn bad_gateway(target: u16, why: impl std::fmt::Display) -> Response<Body> {
    let mut r = Response::new(full(format!(
        "<!doctype html><title>Not running</title><body style=\"font-family:system-ui;padding:2em;color:#555\"><h2>Nothing answers on port {target}</h2><p>{why}</p><p>The preview reloads when it listens again.</p><script src=\"{SCRIPT_PATH}\"></script>"
    )));
    *r.status_mut() = StatusCode::BAD_GATEWAY;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r
}

fn is_upgrade<T>(req: &Request<T>) -> bool {
    req.headers().get(header::CONNECTION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.to_ascii_lowercase().contains("upgrade"))
}

fn script() -> Response<Body> {
    let mut r = Response::new(full(SCRIPT));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// A guest's request: whole, over the relay; the answer given the same treatment as a
/// local one (redirects kept in the preview, pages given the script).
async fn handle_relayed(req: Request<Incoming>, relay: std::sync::Arc<dyn Relay>, target: u16, own: u16) -> Result<Response<Body>, Infallible> {
    if req.uri().path() == SCRIPT_PATH {
        return Ok(script());
    }
    if is_upgrade(&req) {
        let mut r = Response::new(full("upgrades (a dev server's hot-reload socket) are not relayed to guests"));
        *r.status_mut() = StatusCode::NOT_IMPLEMENTED;
        return Ok(r);
    }
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, RELAY_MAX_BYTES).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(e) => return Ok(bad_gateway(target, format!("the request's body could not be relayed: {e}"))),
    };
    let headers = parts.headers.iter().filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned()))).collect();
    let path = parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let fetched = match relay.fetch(Fetch { method: parts.method.as_str().to_owned(), path, headers, body }).await {
        Ok(f) => f,
        Err(e) => return Ok(bad_gateway(target, e)),
    };
    let mut resp = Response::new(());
    *resp.status_mut() = StatusCode::from_u16(fetched.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (k, v) in &fetched.headers {
        if let (Ok(k), Ok(v)) = (header::HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
            resp.headers_mut().append(k, v);
        }
    }
    keep_redirect_here(&mut resp, target, own);
    let (parts, ()) = resp.into_parts();
    let html = is_html(&parts.headers);
    Ok(Response::from_parts(parts, full(if html { inject(&fetched.body) } else { fetched.body })))
}

/// A redirect to the app's own address stays in the preview.
fn keep_redirect_here<T>(resp: &mut Response<T>, target: u16, own: u16) {
    if let Some(loc) = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) {
        let moved = [format!("//localhost:{target}"), format!("//127.0.0.1:{target}")].iter().fold(loc.to_owned(), |l, from| l.replace(from, &format!("//localhost:{own}")));
        if let Ok(v) = HeaderValue::from_str(&moved) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
    }
}

fn is_html(headers: &hyper::HeaderMap) -> bool {
    let html = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    html && headers.get(header::CONTENT_ENCODING).is_none_or(|v| v == "identity")
}

async fn handle(mut req: Request<Incoming>, target: u16, own: u16) -> Result<Response<Body>, Infallible> {
    if req.uri().path() == SCRIPT_PATH {
        return Ok(script());
    }
    let stream = match connect(target).await {
        Ok(s) => s,
        Err(e) => return Ok(bad_gateway(target, e)),
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
        Ok(x) => x,
        Err(e) => return Ok(bad_gateway(target, e)),
    };
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let upgrading = is_upgrade(&req);
    let downstream = upgrading.then(|| hyper::upgrade::on(&mut req));
    if !upgrading {
        // Pages come uncompressed, so the script tag can go in.
        req.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    let path = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
    *req.uri_mut() = path.parse().unwrap_or_default();
    let mut resp = match sender.send_request(req).await {
        Ok(r) => r,
        Err(e) => return Ok(bad_gateway(target, e)),
    };
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        if let Some(down) = downstream {
            let up = hyper::upgrade::on(&mut resp);
            tokio::spawn(async move {
                if let (Ok(down), Ok(up)) = (down.await, up.await) {
                    let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(down), &mut TokioIo::new(up)).await;
                }
            });
        }
        let (parts, _) = resp.into_parts();
        return Ok(Response::from_parts(parts, full(Bytes::new())));
    }
    keep_redirect_here(&mut resp, target, own);
    if !is_html(resp.headers()) {
        return Ok(resp.map(BodyExt::boxed));
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Ok(bad_gateway(target, e)),
    };
    let page = inject(&bytes);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::TRANSFER_ENCODING);
    // The app's CSP would refuse a script of another origin than its own: it is the
    // proxy's own path, so 'self' allows it; nothing else is changed.
    Ok(Response::from_parts(parts, full(page)))
}

/// The page with the script tag after `<head …>` (else after `<html …>`, else first).
pub fn inject(page: &[u8]) -> Vec<u8> {
    let tag = format!("<script src=\"{SCRIPT_PATH}\"></script>");
    let lower = page.to_ascii_lowercase();
    let after = |open: &[u8]| {
        let start = lower.windows(open.len()).position(|w| w == open)?;
        let rest = &lower[start + open.len()..];
        // `<head>` or `<head attr…>`, not `<header>`.
        if !matches!(rest.first(), Some(b'>') | Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r')) {
            return None;
        }
        Some(start + open.len() + rest.iter().position(|&b| b == b'>')? + 1)
    };
    let at = after(b"<head").or_else(|| after(b"<html")).unwrap_or(0);
    let mut out = Vec::with_capacity(page.len() + tag.len());
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&page[at..]);
    out
}
