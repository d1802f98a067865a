use super::*;

pub(crate) async fn share(api: &Api, port: u16, local: bool, address: Option<String>, _stream: Option<Stream>) -> Result<CollabStatus> {
    let open = api.open()?;
    let shared = open.collab.lock().map_err(ApiError::internal)?.is_some();
    if !shared {
        let host = weft_collab::WorkspaceHost::serve(
            open.docs.clone(),
            weft_collab::HostOptions { port, store: Some(api.inner.paths.collab_dir(open.ws.root())), network: !local, address },
        )
        .await
        .map_err(|e| ApiError::new(crate::ErrorCode::Collab, format!("could not start sharing: {e}")))?;
        // Guests search the folder and list it through the API (crate::GUEST_METHODS).
        host.hub.set_api(Arc::new(crate::wire::GuestRequests(api.downgrade())));
        let mut slot = open.collab.lock().map_err(ApiError::internal)?;
        // Two shares at once: the first host stays, the second is dropped (it stops).
        if slot.is_none() {
            info!(url = %host.url(), "sharing the folder");
            *slot = Some(host);
        }
    }
    let slot = open.collab.lock().map_err(ApiError::internal)?;
    Ok(collab_status(slot.as_ref()))
}

pub(crate) fn status(api: &Api, _stream: Option<Stream>) -> Result<CollabStatus> {
    Ok(collab_status(api.open()?.collab.lock().map_err(ApiError::internal)?.as_ref()))
}

pub(crate) fn invite(api: &Api, name: String, read_only: bool, _stream: Option<Stream>) -> Result<CollabStatus> {
    let open = api.open()?;
    let slot = open.collab.lock().map_err(ApiError::internal)?;
    let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "the folder is not shared"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::bad_request("the guest needs a name"));
    }
    host.hub.invite(name, if read_only { weft_collab::Role::ReadOnly } else { weft_collab::Role::ReadWrite });
    Ok(collab_status(slot.as_ref()))
}

pub(crate) fn set_role(api: &Api, token: String, read_only: bool, _stream: Option<Stream>) -> Result<CollabStatus> {
    let open = api.open()?;
    let slot = open.collab.lock().map_err(ApiError::internal)?;
    let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "the folder is not shared"))?;
    host.hub.set_role(&token, if read_only { weft_collab::Role::ReadOnly } else { weft_collab::Role::ReadWrite }).map_err(|e| ApiError::new(crate::ErrorCode::NotFound, e.to_string()))?;
    Ok(collab_status(slot.as_ref()))
}

pub(crate) fn remove(api: &Api, token: String, _stream: Option<Stream>) -> Result<CollabStatus> {
    let open = api.open()?;
    let slot = open.collab.lock().map_err(ApiError::internal)?;
    let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "the folder is not shared"))?;
    host.hub.remove(&token).map_err(|e| ApiError::new(crate::ErrorCode::NotFound, e.to_string()))?;
    Ok(collab_status(slot.as_ref()))
}

pub(crate) fn stop(api: &Api, _stream: Option<Stream>) -> Result<CollabStatus> {
    let open = api.open()?;
    let mut slot = open.collab.lock().map_err(ApiError::internal)?;
    *slot = None;
    Ok(collab_status(None))
}

pub(crate) fn share_terminal(api: &Api, id: u64, writable: bool, _stream: Option<Stream>) -> Result<CollabStatus> {
    let open = api.open()?;
    let slot = open.collab.lock().map_err(ApiError::internal)?;
    let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "start sharing first"))?;
    let info = api.terminal_info(id)?;
    let inner = Arc::downgrade(&api.inner);
    let (shared, new) = host.share_terminal(id, &info.title, (info.cols, info.rows), writable, move |keys| {
        if let Some(inner) = inner.upgrade() {
            if let Err(e) = inner.terminals.write(id, keys.as_bytes()) {
                warn!("a guest typed into terminal {id}, which is gone: {e}");
            }
        }
    });
    if new {
        let out = Arc::downgrade(&shared);
        // The project's secrets never reach guests: a value the terminal prints is masked.
        let masker = std::sync::Mutex::new(weft_pty::mask::Masker::new(&open.env.secret_values()));
        let mask = move |bytes: &[u8], end: bool| {
            let mut m = masker.lock().unwrap_or_else(|p| p.into_inner());
            let mut shown = m.feed(bytes);
            if end {
                shown.extend(m.finish());
            }
            shown
        };
        api.inner.terminals.tap(
            id,
            Box::new(move |ev| match (out.upgrade(), ev) {
                (Some(t), PtyEvent::Output(bytes)) => {
                    t.write(&mask(&bytes, false));
                    true
                }
                (Some(t), PtyEvent::Exited(e)) => {
                    t.write(&mask(&[], true));
                    t.write(format!("\r\n[the shell exited{}]\r\n", e.code.map(|c| format!(" with status {c}")).unwrap_or_default()).as_bytes());
                    true
                }
                // Unshared: the tap goes.
                (None, _) => false,
            }),
        )?;
    }
    Ok(collab_status(slot.as_ref()))
}

pub(crate) fn unshare_terminal(api: &Api, id: u64, _stream: Option<Stream>) -> Result<CollabStatus> {
    let open = api.open()?;
    let slot = open.collab.lock().map_err(ApiError::internal)?;
    if let Some(host) = slot.as_ref() {
        host.unshare_terminal(id);
    }
    Ok(collab_status(slot.as_ref()))
}

/// Shares the preview of a local port with guests (they reach it through the host).
pub(crate) fn share_preview(api: &Api, port: u16, _stream: Option<Stream>) -> Result<CollabStatus> {
    if port == 0 {
        return Err(ApiError::bad_request("port 0 is not a server's port"));
    }
    let open = api.open()?;
    // Named as the terminal serving it is (a run's name), else by its number.
    let title = api.inner.runs.snapshot().ports.into_iter().find(|p| p.port == port).map(|p| p.title).filter(|t| !t.is_empty()).unwrap_or_else(|| format!("port {port}"));
    let slot = open.collab.lock().map_err(ApiError::internal)?;
    let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "start sharing first"))?;
    host.share_preview(port, &title);
    Ok(collab_status(slot.as_ref()))
}

pub(crate) fn unshare_preview(api: &Api, port: u16, _stream: Option<Stream>) -> Result<CollabStatus> {
    let open = api.open()?;
    let slot = open.collab.lock().map_err(ApiError::internal)?;
    if let Some(host) = slot.as_ref() {
        host.unshare_preview(port);
    }
    Ok(collab_status(slot.as_ref()))
}

pub(crate) fn join(api: &Api, link: String, _stream: Option<Stream>) -> Result<CollabJoined> {
    // The host's own session view (its self link) is served in-process: no socket to
    // itself, no second copy of its documents.
    let own = api.open().ok().and_then(|o| o.collab.lock().ok().and_then(|h| h.as_ref().map(|h| h.hub.clone())));
    let joined = match own.filter(|hub| crate::collab::Joined::is_own(&link, hub)) {
        Some(hub) => crate::collab::Joined::own(&link, hub)?,
        None => crate::collab::Joined::new(&link)?,
    };
    let host = joined.base.clone();
    info!(%host, "joining a collaboration session");
    *api.inner.joined.lock().map_err(ApiError::internal)? = Some(Arc::new(joined));
    Ok(CollabJoined { host })
}

pub(crate) fn open(api: &Api, room: String, stream: Option<Stream>) -> Result<()> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("collabOpen needs a stream"))?;
    let joined = api.joined()?;
    let cancel = SearchCancel::default();
    api.inner.cancels.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), cancel.clone());
    joined.open(&room, stream, cancel)?;
    Ok(())
}

pub(crate) fn push(api: &Api, room: String, data: Vec<u8>, _stream: Option<Stream>) -> Result<Vec<Vec<u8>>> {
    Ok(api.joined()?.push(&room, &data)?)
}

pub(crate) async fn request(api: &Api, request: Value, stream: Option<Stream>) -> Result<crate::Json> {
    Ok(crate::Json(api.joined()?.request(request, stream).await?))
}

pub(crate) fn leave(api: &Api, _stream: Option<Stream>) -> Result<()> {
    *api.inner.joined.lock().map_err(ApiError::internal)? = None;
    Ok(())
}
