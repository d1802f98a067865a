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

pub(crate) fn ui_ready(api: &Api, marks: Vec<(String, f64)>, first_frame: bool, _stream: Option<Stream>) -> Result<()> {
    // The queued work waits for the whole workbench: the first frame is drawn while the
    // editor's code still loads, which the queue must not slow.
    if !first_frame {
        api.inner.startup.ready("the UI is ready");
    }
    let ms = api.inner.started.elapsed().as_secs_f64() * 1e3;
    let marks: Vec<String> = marks.iter().map(|(name, at)| format!("{name} {at:.0}")).collect();
    let what = if first_frame { "first frame" } else { "workbench" };
    info!("ui ready ({what}) {ms:.0} ms after start (page: {})", marks.join(", "));
    // Benchmarks read these lines; they are off unless asked for. "weft-ready" is the first
    // interactive frame, whichever comes first; "weft-workbench" the whole workbench.
    if std::env::var_os("WEFT_REPORT_READY").is_some() {
        if !api.inner.ready_reported.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!("weft-ready {ms:.1} page: {}", marks.join(", "));
        }
        if !first_frame {
            eprintln!("weft-workbench {ms:.1} page: {}", marks.join(", "));
        }
    }
    Ok(())
}
