use super::*;

pub(crate) fn open(api: &Api, path: String, with_text: bool, stream: Option<Stream>) -> Result<crate::DocInfo> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("docOpen needs a stream"))?;
    let open = api.open()?;
    let limit = u64::from(api.settings().0.large_file_mb) * 1024 * 1024;
    open.editors.open(&open.docs, &open.syntax, &path, limit, with_text, stream)
}

pub(crate) fn analysis(api: &Api, path: String, stream: Option<Stream>) -> Result<()> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("docAnalysis needs a stream"))?;
    let open = api.open()?;
    let limit = u64::from(api.settings().0.large_file_mb) * 1024 * 1024;
    let cancel = SearchCancel::default();
    api.inner.cancels.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), cancel.clone());
    open.editors.watch_analysis(&open.docs, &open.syntax, &path, limit, stream, cancel)
}

pub(crate) fn push(api: &Api, conn: u64, data: Vec<u8>, _stream: Option<Stream>) -> Result<Vec<Vec<u8>>> {
    api.open()?.editors.push(conn, &data)
}

pub(crate) fn save(api: &Api, path: String, _stream: Option<Stream>) -> Result<crate::DocSaved> {
    let open = api.open()?;
    open.editors.save(&open.docs, &path)
}

pub(crate) fn save_all(api: &Api, _stream: Option<Stream>) -> Result<crate::SavedAll> {
    let (written, failed) = api.open()?.docs.save_all();
    match failed.into_iter().next() {
        Some((rel, e)) => Err(ApiError::new(crate::ErrorCode::Io, format!("{written} file(s) saved; {rel} could not be: {e}"))),
        None => Ok(crate::SavedAll { written: written as u32 }),
    }
}

pub(crate) fn close(api: &Api, conn: u64, discard: bool, _stream: Option<Stream>) -> Result<()> {
    let open = api.open()?;
    open.editors.close(&open.docs, &open.syntax, conn, discard)
}

pub(crate) fn take_disk(api: &Api, path: String, _stream: Option<Stream>) -> Result<()> {
    api.open()?.docs.take_disk(&path)?;
    Ok(())
}

pub(crate) fn keep_mine(api: &Api, path: String, _stream: Option<Stream>) -> Result<()> {
    let open = api.open()?;
    let doc = open.docs.get(&path).ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, format!("{path} is not open")))?;
    doc.clear_conflicts();
    Ok(())
}
