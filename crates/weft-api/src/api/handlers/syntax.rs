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

/// Ctrl+T: the running language servers' workspace symbols first (they know the
/// language: overloads, members, declarations in generated code), then the tree-sitter
/// index's for everything else; one entry per place. A server slower than 1.5 s is not
/// waited for.
pub(crate) async fn symbol_search_all(api: &Api, query: String, limit: Option<u32>, _stream: Option<Stream>) -> Result<Vec<weft_syntax::SymbolHit>> {
    let limit = limit.unwrap_or(100).min(1000) as usize;
    let lsp = api.open()?.lsp.clone();
    let (q, a) = (query.clone(), api.clone());
    let index = tokio::task::spawn_blocking(move || symbol_search(&a, q, Some(limit as u32), None));
    let servers = if query.trim().is_empty() { vec![] } else { lsp.workspace_symbols(&query, std::time::Duration::from_millis(1500)).await };
    let index = index.await.map_err(ApiError::internal)??;
    let lower = query.to_lowercase();
    let mut out: Vec<weft_syntax::SymbolHit> = servers
        .into_iter()
        .map(|s| {
            // The query's letters in order in the name, for the list to mark.
            let mut indices = vec![];
            let mut want = lower.chars().peekable();
            for (i, c) in s.name.to_lowercase().chars().enumerate() {
                if want.peek() == Some(&c) {
                    indices.push(i as u32);
                    want.next();
                }
            }
            // The index's lines are 1-based; the protocol's 0-based.
            weft_syntax::SymbolHit { path: s.path, detail: String::new(), name: s.name, kind: s.kind, container: s.container, line: s.line + 1, column: s.character, indices, source: Some(s.server) }
        })
        .collect();
    for h in index {
        if !out.iter().any(|o| o.path == h.path && o.line == h.line && o.name == h.name) {
            out.push(h);
        }
    }
    out.truncate(limit);
    Ok(out)
}

pub(crate) fn repo_map(api: &Api, tokens: u32, focus: Vec<String>, _stream: Option<Stream>) -> Result<weft_syntax::RepoMap> {
    let open = api.open()?;
    Ok(open.syntax.repo_map(tokens.clamp(64, 200_000), &focus, || open.ws.list_files()))
}

/// Stream: the symbol index build's progress (frames) as it goes; the result is where it
/// is now.
pub(crate) fn index_status(api: &Api, stream: Option<Stream>) -> Result<crate::IndexProgress> {
    let syntax = api.open()?.syntax.clone();
    if let Some(stream) = stream {
        super::forward(api, stream, syntax.subscribe(), Some)?;
    }
    Ok(syntax.progress())
}

/// Stops the symbol index build under way; false when none was running.
pub(crate) fn index_stop(api: &Api, _stream: Option<Stream>) -> Result<bool> {
    Ok(api.open()?.syntax.stop_build())
}
