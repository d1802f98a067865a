use super::*;

pub(crate) fn list_dir(api: &Api, path: String, _stream: Option<Stream>) -> Result<Vec<weft_fs::TreeEntry>> {
    Ok(api.open()?.ws.list_dir(&path)?)
}

pub(crate) fn read_file(api: &Api, path: String, _stream: Option<Stream>) -> Result<FileDto> {
    let f = api.open()?.ws.read_text(&path)?;
    let limit = u64::from(api.settings().0.large_file_mb) * 1024 * 1024;
    Ok(FileDto {
        path,
        encoding_label: f.content.encoding.label().into(),
        text: f.content.text,
        encoding: f.content.encoding,
        line_ending: f.content.line_ending,
        size: f.size,
        mtime_ms: f.mtime_ms,
        large: f.size > limit,
        readonly: f.readonly || f.size > limit,
    })
}

pub(crate) fn write_file(api: &Api, path: String, text: String, encoding: Encoding, _stream: Option<Stream>) -> Result<SaveResult> {
    api.before_write();
    let mtime_ms = api.open()?.ws.write_text(&path, &text, encoding)?;
    Ok(SaveResult { mtime_ms })
}

pub(crate) fn create_file(api: &Api, path: String, _stream: Option<Stream>) -> Result<()> {
    api.before_write();
    Ok(api.open()?.ws.create_file(&path)?)
}

pub(crate) fn create_dir(api: &Api, path: String, _stream: Option<Stream>) -> Result<()> {
    api.before_write();
    Ok(api.open()?.ws.create_dir(&path)?)
}

pub(crate) fn rename(api: &Api, from: String, to: String, _stream: Option<Stream>) -> Result<()> {
    let open = api.open()?;
    api.before_write();
    let renamed = open.ws.rename(&from, &to)?;
    // Open documents follow the file, unsaved edits and all.
    open.docs.renamed(&from, &to);
    open.editors.renamed(&from, &to);
    Ok(renamed)
}

pub(crate) fn delete(api: &Api, path: String, permanent: bool, _stream: Option<Stream>) -> Result<()> {
    api.before_write();
    Ok(api.open()?.ws.delete(&path, permanent)?)
}

pub(crate) fn find_files(api: &Api, query: String, limit: Option<u32>, _stream: Option<Stream>) -> Result<Vec<weft_fs::FinderMatch>> {
    let open = api.open()?;
    let mut finder = open.finder.lock().map_err(ApiError::internal)?;
    let finder = finder.get_or_insert_with(|| FileFinder::new(open.ws.list_files()));
    Ok(finder.query(&query, limit.unwrap_or(50).min(500) as usize))
}

pub(crate) fn search(api: &Api, options: SearchOptions, stream: Option<Stream>) -> Result<weft_fs::SearchSummary> {
    search_where(api, &options, stream, |_| true)
}

/// A search whose hits are only the files `keep` lets through (a guest's: the shared
/// ones); the summary counts what was sent.
pub(crate) fn search_where(api: &Api, options: &SearchOptions, stream: Option<Stream>, keep: impl Fn(&str) -> bool + Sync) -> Result<weft_fs::SearchSummary> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let stream = stream.ok_or_else(|| ApiError::bad_request("search needs a stream"))?;
    let cancel = SearchCancel::default();
    api.inner.cancels.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), cancel.clone());
    let (files, matches) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let result = api.open().and_then(|open| {
        open.ws
            .search(options, &cancel, &|hit| {
                if !keep(&hit.path) {
                    return;
                }
                files.fetch_add(1, Ordering::Relaxed);
                matches.fetch_add(hit.lines.len(), Ordering::Relaxed);
                if !stream.json(SearchEvent::Hit { hit }) {
                    cancel.cancel();
                }
            })
            .map(|summary| weft_fs::SearchSummary { files: files.load(Ordering::Relaxed), matches: matches.load(Ordering::Relaxed), ..summary })
            .map_err(ApiError::from)
    });
    if let Ok(mut c) = api.inner.cancels.lock() {
        c.remove(&stream.id);
    }
    // The last frame says how it ended, so a client never waits on the reply
    // and the frames racing each other.
    match &result {
        Ok(summary) => stream.json(SearchEvent::Done { summary: summary.clone() }),
        Err(e) => stream.json(SearchEvent::Error { error: e.clone() }),
    };
    Ok(result?)
}

pub(crate) fn replace(api: &Api, options: SearchOptions, replacement: String, paths: Option<Vec<String>>, apply: bool, _stream: Option<Stream>) -> Result<Vec<weft_fs::ReplaceOutcome>> {
    if apply {
        api.before_write();
    }
    Ok(api.open()?.ws.replace_in_files(&options, &replacement, paths, apply)?)
}

pub(crate) fn watch(api: &Api, stream: Option<Stream>) -> Result<()> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("watch needs a stream"))?;
    let open = api.open()?;
    open.listeners.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), stream);
    Ok(())
}
