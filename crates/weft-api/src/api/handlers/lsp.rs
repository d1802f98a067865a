//! Language servers: hover, locations and completion at a position of an open file, and
//! the servers' states. Diagnostics reach editors as DocEvent frames (see docs.rs).

use super::*;
use weft_lsp::{Completion, Location, LspError, LspEvent};

fn lsp_err(e: LspError) -> ApiError {
    let code = match &e {
        LspError::NoServer(_) => crate::ErrorCode::Unsupported,
        LspError::Missing(..) | LspError::Failed(_) | LspError::Rpc(_) => crate::ErrorCode::Lsp,
    };
    ApiError::new(code, e.to_string())
}

/// How long a language request waits for the editor's edits it was asked after (its
/// state vector) to reach the document: the edit and the question travel separately (a
/// guest's on different sockets; the app's own are handled concurrently).
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(1);

/// The file a language-server request is about (None for the others).
pub(crate) fn request_path(r: &Request) -> Option<&str> {
    match r {
        Request::LspHover { path, .. }
        | Request::LspLocations { path, .. }
        | Request::LspCompletion { path, .. }
        | Request::LspResolveCompletion { path, .. }
        | Request::LspSignatureHelp { path, .. }
        | Request::LspHighlights { path, .. }
        | Request::LspInlayHints { path, .. }
        | Request::LspSemanticTokens { path }
        | Request::LspFormat { path, .. }
        | Request::LspCodeActions { path, .. }
        | Request::LspRename { path, .. } => Some(path),
        _ => None,
    }
}

/// Waits (at most [`CATCH_UP`]) until the open document of `path` holds every edit of the
/// state vector `sv` the request was sent with, so the server is asked about the text the
/// asker had (the `.` just typed). A file not open, or a vector that does not decode, is
/// not waited for.
pub(crate) async fn caught_up(api: &Api, path: &str, sv: &[u8]) {
    let Some(doc) = api.open().ok().and_then(|o| o.docs.get(path)) else { return };
    let end = tokio::time::Instant::now() + CATCH_UP;
    while !doc.holds(sv) && tokio::time::Instant::now() < end {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// The request's file, checked against the jail (the server reads what we name); the
/// workspace's servers.
fn jailed(api: &Api, path: &str) -> Result<Arc<weft_lsp::Lsp>> {
    let open = api.open()?;
    open.ws.resolve(path)?;
    Ok(open.lsp.clone())
}

/// [`jailed`], and the file's server given the document's text as it is now: the document
/// reaches servers after a pause in typing, and a request at a position must be answered
/// for the text the editor has (signature help right after `(`, completion after `.`).
fn checked(api: &Api, path: &str) -> Result<Arc<weft_lsp::Lsp>> {
    let lsp = jailed(api, path)?;
    if let Some(doc) = api.open()?.docs.get(path) {
        lsp.change(path, doc.text());
    }
    Ok(lsp)
}

pub(crate) async fn hover(api: &Api, path: String, line: u32, character: u32, _stream: Option<Stream>) -> Result<Option<String>> {
    checked(api, &path)?.hover(&path, line, character).await.map_err(lsp_err)
}

pub(crate) async fn locations(api: &Api, path: String, kind: String, line: u32, character: u32, _stream: Option<Stream>) -> Result<Vec<Location>> {
    let method = match kind.as_str() {
        "definition" => "textDocument/definition",
        "typeDefinition" => "textDocument/typeDefinition",
        "implementation" => "textDocument/implementation",
        "references" => "textDocument/references",
        other => return Err(ApiError::bad_request(format!("{other:?} is not definition, typeDefinition, implementation or references"))),
    };
    checked(api, &path)?.locations(&path, method, line, character).await.map_err(lsp_err)
}

/// A completion item filled in by its server (its docs, its auto-import). The server is
/// not handed the document first: the item belongs to the text it was listed for, and
/// the editor resolves it as it inserts it (TypeScript drops what it knows of a list when
/// the document changes, and would answer without the import).
pub(crate) async fn resolve_completion(api: &Api, path: String, item: serde_json::Value, _stream: Option<Stream>) -> Result<Completion> {
    jailed(api, &path)?.resolve_completion(&path, item).await.map_err(lsp_err)
}

pub(crate) async fn signature_help(api: &Api, path: String, line: u32, character: u32, _stream: Option<Stream>) -> Result<Option<weft_lsp::Signature>> {
    checked(api, &path)?.signature_help(&path, line, character).await.map_err(lsp_err)
}

/// The edits formatting the file (the editor applies them to its document).
pub(crate) async fn format(api: &Api, path: String, tab_size: u32, insert_spaces: bool, _stream: Option<Stream>) -> Result<Vec<weft_lsp::TextEdit>> {
    checked(api, &path)?.format(&path, tab_size.clamp(1, 16), insert_spaces).await.map_err(lsp_err)
}

pub(crate) async fn highlights(api: &Api, path: String, line: u32, character: u32, _stream: Option<Stream>) -> Result<Vec<Location>> {
    checked(api, &path)?.highlights(&path, line, character).await.map_err(lsp_err)
}

/// Whether an error only says no server runs for the file (none for its language, not
/// installed, given up on): the editor asks for hints and tokens by itself as you type,
/// so that answers "none", not an error each time (the status bar says why once).
fn no_server(e: &LspError) -> bool {
    matches!(e, LspError::NoServer(_) | LspError::Missing(..) | LspError::Failed(_))
}

pub(crate) async fn inlay_hints(api: &Api, path: String, line: u32, end_line: u32, _stream: Option<Stream>) -> Result<Vec<weft_lsp::InlayHint>> {
    match checked(api, &path)?.inlay_hints(&path, line, end_line.max(line)).await {
        Err(e) if no_server(&e) => Ok(vec![]),
        r => r.map_err(lsp_err),
    }
}

pub(crate) async fn semantic_tokens(api: &Api, path: String, _stream: Option<Stream>) -> Result<Option<weft_lsp::SemanticTokens>> {
    match checked(api, &path)?.semantic_tokens(&path).await {
        Err(e) if no_server(&e) => Ok(None),
        r => r.map_err(lsp_err),
    }
}

/// Quick fixes and refactorings for a range, each with its edits per file.
pub(crate) async fn code_actions(api: &Api, path: String, line: u32, character: u32, end_line: u32, end_character: u32, _stream: Option<Stream>) -> Result<Vec<weft_lsp::CodeAction>> {
    checked(api, &path)?.code_actions(&path, line, character, end_line, end_character).await.map_err(lsp_err)
}

/// The edits a rename would make, per file (the editor previews them, applies those of its
/// open files itself, and sends the rest to lspApplyEdits).
pub(crate) async fn rename(api: &Api, path: String, line: u32, character: u32, new_name: String, _stream: Option<Stream>) -> Result<Vec<weft_lsp::FileEdit>> {
    if new_name.trim().is_empty() {
        return Err(ApiError::bad_request("the new name is empty"));
    }
    checked(api, &path)?.rename(&path, line, character, &new_name).await.map_err(lsp_err)
}

/// Applies edits to files (the ones no editor of this window has open), after a checkpoint
/// named by `label`, so the timeline undoes the whole edit. A file another editor holds
/// (a guest's) is edited in its document; the rest on disk, in their own encodings.
pub(crate) fn apply_edits(api: &Api, files: Vec<weft_lsp::FileEdit>, label: String, _stream: Option<Stream>) -> Result<u32> {
    let open = api.open()?;
    for f in &files {
        open.ws.resolve(&f.path)?;
    }
    if files.is_empty() {
        return Ok(0);
    }
    super::checkpoints::create(api, label, None)?;
    api.before_write();
    let mut written = 0;
    for f in &files {
        if let Some((text, _)) = open.docs.file_text(&f.path) {
            let after = weft_lsp::apply_edits(&text, &f.edits);
            open.docs.agent_edit(&f.path, &text, &after)?;
        } else {
            let file = open.ws.read_text(&f.path)?;
            let after = weft_lsp::apply_edits(&file.content.text, &f.edits);
            open.ws.write_text(&f.path, &after, file.content.encoding)?;
        }
        written += 1;
    }
    Ok(written)
}

pub(crate) async fn completion(api: &Api, path: String, line: u32, character: u32, _stream: Option<Stream>) -> Result<Vec<Completion>> {
    checked(api, &path)?.completion(&path, line, character).await.map_err(lsp_err)
}

/// Stream: the servers' states as they change (starting, running, missing with the
/// install hint, restarting, failed); the result is every server known so far.
pub(crate) fn status(api: &Api, stream: Option<Stream>) -> Result<Vec<LspEvent>> {
    let lsp = api.open()?.lsp.clone();
    let events = lsp.subscribe();
    let now = lsp.servers().into_iter().map(|(server, state)| LspEvent::Server { message: String::new(), server, state }).collect();
    if let Some(stream) = stream {
        super::forward(api, stream, events, |e| matches!(e, LspEvent::Server { .. }).then_some(e))?;
    }
    Ok(now)
}
