//! Run configurations and their runs (see ../../run.rs).

use super::*;

pub(crate) fn configs(api: &Api, _stream: Option<Stream>) -> Result<weft_run::Detected> {
    Ok(weft_run::detect(api.open()?.ws.root()))
}

pub(crate) async fn start(api: &Api, name: String, _stream: Option<Stream>) -> Result<weft_pty::TerminalInfo> {
    let open = api.open()?;
    let root = open.ws.root().to_path_buf();
    let shell = api.settings().0.terminal_shell;
    // The project's variables and secrets; a configuration's own env wins over them.
    let env = open.env.vars()?;
    let id = api.inner.runs.start(&root, &name, &env, &shell).await?;
    api.terminal_info(id)
}

pub(crate) fn stop(api: &Api, terminal: u64, _stream: Option<Stream>) -> Result<()> {
    api.inner.runs.stop(terminal)
}

/// The address the preview loads `port`'s pages from (through its proxy, which gives them
/// the script reporting their console and navigation).
pub(crate) async fn preview_url(api: &Api, port: u16, _stream: Option<Stream>) -> Result<String> {
    Ok(format!("http://localhost:{}/", api.inner.runs.proxy(port).await?))
}

pub(crate) async fn screenshot(api: &Api, port: u16, path: Option<String>, _stream: Option<Stream>) -> Result<weft_llm::ImageSource> {
    let path = path.filter(|p| p.starts_with('/')).unwrap_or_else(|| "/".into());
    let shot = api.inner.runs.screenshot((port != 0).then_some(port), &path, 1280, 800).await.map_err(|e| ApiError::new(crate::ErrorCode::RunFailed, e))?;
    weft_llm::ImageSource::from_bytes("image/png", &shot.png).map_err(|e| ApiError::new(crate::ErrorCode::RunFailed, e))
}

/// A page of a preview the host shares, fetched for a guest (guest.rs checks the role).
pub(crate) async fn fetch(api: &Api, port: u16, request: crate::PreviewRequest, _stream: Option<Stream>) -> Result<crate::PreviewResponse> {
    let open = api.open()?;
    let shared = open.collab.lock().map_err(ApiError::internal)?.as_ref().is_some_and(|h| h.shared_previews().iter().any(|(p, _)| *p == port));
    if !shared {
        return Err(ApiError::new(crate::ErrorCode::NotShared, format!("port {port} is not shared with guests")));
    }
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = b64.decode(&request.body).map_err(|e| ApiError::bad_request(format!("the request's body is not base64: {e}")))?;
    let got = weft_run::proxy::fetch(port, weft_run::proxy::Fetch { method: request.method, path: request.path, headers: request.headers, body })
        .await
        .map_err(|e| ApiError::new(crate::ErrorCode::RunFailed, e))?;
    Ok(crate::PreviewResponse { status: got.status, headers: got.headers, body: b64.encode(&got.body) })
}

/// A guest's requests for the host's shared `port`, over the session it is in at the time
/// of each request (none after leaving).
struct GuestRelay {
    api: crate::api::WeakApi,
    port: u16,
}

impl weft_run::proxy::Relay for GuestRelay {
    fn fetch(&self, req: weft_run::proxy::Fetch) -> std::pin::Pin<Box<dyn std::future::Future<Output = std::result::Result<weft_run::proxy::Fetched, String>> + Send + '_>> {
        Box::pin(async move {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            let api = self.api.upgrade().ok_or("the app is closing")?;
            let joined = api.inner.joined.lock().ok().and_then(|j| j.clone()).ok_or("you are not in a session (you left it)")?;
            let request = crate::PreviewRequest { method: req.method, path: req.path, headers: req.headers, body: b64.encode(&req.body) };
            let v = joined
                .request(serde_json::json!({"method": "previewFetch", "params": {"port": self.port, "request": request}}), None)
                .await
                .map_err(|e| e.message)?;
            let got: crate::PreviewResponse = serde_json::from_value(v).map_err(|e| format!("the host's answer is malformed: {e}"))?;
            let body = b64.decode(&got.body).map_err(|e| format!("the host's answer is malformed: {e}"))?;
            Ok(weft_run::proxy::Fetched { status: got.status, headers: got.headers, body })
        })
    }
}

/// A guest's address for the preview the host shares on `port`: a relayed proxy of its own.
pub(crate) async fn guest_url(api: &Api, port: u16, _stream: Option<Stream>) -> Result<String> {
    api.joined()?;
    let relay = std::sync::Arc::new(GuestRelay { api: api.downgrade(), port });
    Ok(format!("http://localhost:{}/", api.inner.runs.guest_proxy(port, relay).await?))
}

pub(crate) fn events(api: &Api, stream: Option<Stream>) -> Result<crate::RunSnapshot> {
    let runs = &api.inner.runs;
    // Subscribed before the snapshot: an event between the two is seen twice, never missed.
    if let Some(stream) = stream {
        super::forward(api, stream, runs.subscribe(), Some)?;
    }
    Ok(runs.snapshot())
}
