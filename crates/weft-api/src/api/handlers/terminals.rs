use super::*;

pub(crate) fn spawn(api: &Api, cols: u16, rows: u16, flow_control: bool, stream: Option<Stream>) -> Result<weft_pty::TerminalInfo> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("terminalSpawn needs a stream"))?;
    let settings = api.settings().0;
    let shell = settings.terminal_shell;
    let command = (!shell.is_empty()).then_some(shell);
    let open = api.open()?;
    let env = if settings.terminal_project_env { open.env.vars()? } else { Vec::new() };
    let opts = SpawnOptions { cwd: open.ws.root().to_path_buf(), command, cols, rows, env, ..SpawnOptions::default() };
    let id = api.inner.terminals.spawn(opts, terminal_sink(stream), flow_control)?;
    Ok(api.terminal_info(id)?)
}

/// A terminal of the user's is taken over by the new stream (a reload); one of the agent's
/// commands is watched: the agent keeps reading it, and the watcher gets its output so far,
/// then what follows, until it cancels.
pub(crate) fn attach(api: &Api, id: u64, flow_control: bool, stream: Option<Stream>) -> Result<weft_pty::TerminalInfo> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("terminalAttach needs a stream"))?;
    let info = api.terminal_info(id)?;
    if info.agent {
        // Cancelling the stream ends the watch at the next output (a closed stream's sink
        // says so itself).
        let cancel = SearchCancel::default();
        api.inner.cancels.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), cancel.clone());
        let sink = terminal_sink(stream);
        api.inner.terminals.tap(id, Box::new(move |ev| !cancel.is_cancelled() && sink(ev)))?;
    } else {
        api.inner.terminals.attach(id, terminal_sink(stream), flow_control)?;
    }
    Ok(api.terminal_info(id)?)
}

pub(crate) fn write(api: &Api, id: u64, data: String, _stream: Option<Stream>) -> Result<()> {
    Ok(api.inner.terminals.write(id, data.as_bytes())?)
}

pub(crate) fn resize(api: &Api, id: u64, cols: u16, rows: u16, _stream: Option<Stream>) -> Result<()> {
    Ok(api.inner.terminals.resize(id, cols, rows)?)
}

pub(crate) fn ack(api: &Api, id: u64, bytes: u64, _stream: Option<Stream>) -> Result<()> {
    Ok(api.inner.terminals.ack(id, bytes)?)
}

pub(crate) fn children(api: &Api, id: u64, _stream: Option<Stream>) -> Result<Vec<u32>> {
    Ok(api.inner.terminals.running_children(id)?)
}

pub(crate) fn close(api: &Api, id: u64, _stream: Option<Stream>) -> Result<()> {
    Ok(api.inner.terminals.close(id)?)
}

pub(crate) fn list(api: &Api, _stream: Option<Stream>) -> Result<Vec<weft_pty::TerminalInfo>> {
    Ok(api.inner.terminals.list())
}
