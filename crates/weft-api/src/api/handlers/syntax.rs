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
