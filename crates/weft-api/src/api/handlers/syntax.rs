use super::*;

pub(crate) fn open(api: &Api, doc: String, path: String, text: String, _stream: Option<Stream>) -> Result<crate::Analysis> {
    let open = api.open()?;
    // The path is only a name here (the text comes from the editor), but a
    // path outside the workspace has no business in its index.
    open.ws.resolve(&path)?;
    let limit = u64::from(api.settings().0.large_file_mb) * 1024 * 1024;
    Ok(open.syntax.open(doc, path, text, limit)?)
}

pub(crate) fn edit(api: &Api, doc: String, changes: Vec<weft_syntax::Change>, length: u32, _stream: Option<Stream>) -> Result<crate::Analysis> {
    Ok(api.open()?.syntax.edit(&doc, &changes, length)?)
}

pub(crate) fn close(api: &Api, doc: String, _stream: Option<Stream>) -> Result<()> {
    api.open()?.syntax.close(&doc);
    Ok(())
}

pub(crate) fn expand(api: &Api, doc: String, from: u32, to: u32, _stream: Option<Stream>) -> Result<Option<weft_syntax::Span>> {
    Ok(api.open()?.syntax.expand(&doc, weft_syntax::Span { from, to })?)
}

pub(crate) fn symbol_search(api: &Api, query: String, limit: Option<u32>, _stream: Option<Stream>) -> Result<Vec<weft_syntax::SymbolHit>> {
    let open = api.open()?;
    Ok(open.syntax.search(&query, limit.unwrap_or(100).min(1000) as usize, || open.ws.list_files()))
}

pub(crate) fn repo_map(api: &Api, tokens: u32, focus: Vec<String>, _stream: Option<Stream>) -> Result<weft_syntax::RepoMap> {
    let open = api.open()?;
    Ok(open.syntax.repo_map(tokens.clamp(64, 200_000), &focus, || open.ws.list_files()))
}

/// Stream: the symbol index build's progress (frames) as it goes; the result is where it
/// is now.
pub(crate) fn index_status(api: &Api, stream: Option<Stream>) -> Result<crate::IndexProgress> {
    let syntax = api.open()?.syntax.clone();
    let mut events = syntax.subscribe();
    if let Some(stream) = stream {
        let cancel = SearchCancel::default();
        api.inner.cancels.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), cancel.clone());
        tokio::runtime::Handle::current().spawn(async move {
            loop {
                match events.recv().await {
                    Ok(p) => {
                        if cancel.is_cancelled() || !stream.json(&p) {
                            break;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        });
    }
    Ok(syntax.progress())
}

/// Stops the symbol index build under way; false when none was running.
pub(crate) fn index_stop(api: &Api, _stream: Option<Stream>) -> Result<bool> {
    Ok(api.open()?.syntax.stop_build())
}
