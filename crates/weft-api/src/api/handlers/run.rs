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

pub(crate) fn events(api: &Api, stream: Option<Stream>) -> Result<crate::RunSnapshot> {
    let runs = &api.inner.runs;
    // Subscribed before the snapshot: an event between the two is seen twice, never missed.
    if let Some(stream) = stream {
        super::forward(api, stream, runs.subscribe(), Some)?;
    }
    Ok(runs.snapshot())
}
