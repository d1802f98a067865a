use super::*;

pub(crate) fn info(api: &Api, _stream: Option<Stream>) -> Result<AppInfo> {
    Ok(api.info())
}

pub(crate) fn open_workspace(api: &Api, path: String, _stream: Option<Stream>) -> Result<WorkspaceInfo> {
    Ok(api.open_workspace(Path::new(&path))?)
}

pub(crate) fn recent_workspaces(api: &Api, _stream: Option<Stream>) -> Result<Vec<RecentWorkspace>> {
    Ok(api.recent())
}

pub(crate) fn cancel(api: &Api, stream: String, _stream: Option<Stream>) -> Result<()> {
    api.cancel(&stream);
    Ok(())
}

pub(crate) fn get_settings(api: &Api, _stream: Option<Stream>) -> Result<SettingsDto> {
    Ok(api.settings_dto())
}

pub(crate) fn set_settings(api: &Api, text: String, _stream: Option<Stream>) -> Result<SettingsDto> {
    Ok(api.set_settings(&text)?)
}

pub(crate) fn get_session(api: &Api, _stream: Option<Stream>) -> Result<Session> {
    Ok(api.session())
}

pub(crate) fn save_session(api: &Api, session: Session, _stream: Option<Stream>) -> Result<()> {
    let file = api.session_file()?;
    write_json(&file, &session).map_err(|e| ApiError::new(crate::ErrorCode::Io, format!("saving the session: {e}")))?;
    Ok(())
}

pub(crate) fn ui_ready(api: &Api, marks: Vec<(String, f64)>, _stream: Option<Stream>) -> Result<()> {
    api.inner.startup.ready("the UI is ready");
    let ms = api.inner.started.elapsed().as_secs_f64() * 1e3;
    let marks: Vec<String> = marks.iter().map(|(name, at)| format!("{name} {at:.0}")).collect();
    info!("ui ready {ms:.0} ms after start (page: {})", marks.join(", "));
    // Benchmarks read this line; it is off unless asked for.
    if std::env::var_os("WEFT_REPORT_READY").is_some() {
        eprintln!("weft-ready {ms:.1} page: {}", marks.join(", "));
    }
    Ok(())
}
