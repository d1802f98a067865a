//! What a collaboration guest may ask of the host's folder besides its rooms: reads of
//! what the host shares, which is exactly the files its tree shows (not ignored, not
//! `.git`, no link followed), less `.env` files. An allow-list: a request is refused here until it is added
//! with its checks, so a new request is never open to guests by accident.

use std::collections::HashSet;

use serde_json::Value;
use weft_fs::EntryKind;

use super::handlers::{dispatch, files};
use super::*;
use crate::ErrorCode;

/// The requests a guest may make, each checked below.
pub const GUEST_METHODS: &[Method] = &[
    Method::ListDir,
    Method::FindFiles,
    Method::Search,
    Method::DocAnalysis,
    Method::SymbolSearch,
    Method::GitStatus,
    Method::PreviewFetch,
    // The language servers' reads of a shared file; nothing that writes (rename, code
    // actions, formatting change files, maybe other than the one asked about).
    Method::LspHover,
    Method::LspLocations,
    Method::LspCompletion,
    Method::LspResolveCompletion,
    Method::LspSignatureHelp,
    Method::LspHighlights,
    Method::LspInlayHints,
    Method::LspSemanticTokens,
];

fn not_shared(what: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::NotShared, format!("{what} is not shared with guests"))
}

impl Api {
    /// [`Api::call`] for a guest of the shared folder: only [`GUEST_METHODS`], and only
    /// over what the host shares.
    pub async fn call_guest(&self, mut request: Value, stream: Option<Stream>, read_only: bool) -> Result<Value> {
        let method = request.get("method").and_then(Value::as_str).unwrap_or("?").to_owned();
        // The guest's replica's state vector for the file a language request is about.
        let sv: Option<Vec<u8>> = request.as_object_mut().and_then(|o| o.remove("sv")).and_then(|v| serde_json::from_value(v).ok());
        let request: Request = serde_json::from_value(request).map_err(|e| ApiError::bad_request(format!("malformed request: {e}")))?;
        if !GUEST_METHODS.contains(&request.method()) {
            return Err(not_shared(format!("{method} (the host's app)")));
        }
        if self.inner.workspace.read().map_err(ApiError::internal)?.is_none() {
            return Err(not_shared("this folder"));
        }
        let result = match request {
            Request::ListDir { path } => {
                let api = self.clone();
                tokio::task::spawn_blocking(move || api.guest_list_dir(&path)).await.map_err(ApiError::internal)?
            }
            Request::Search { options } => {
                let api = self.clone();
                tokio::task::spawn_blocking(move || {
                    // Include globs whitelist past the ignore rules (the host may search its
                    // ignored files by naming them); a guest's hits are the shared files only.
                    let shared: HashSet<String> = api.open()?.ws.shared_files().into_iter().collect();
                    let summary = files::search_where(&api, &options, stream, |p| shared.contains(p))?;
                    serde_json::to_value(summary).map_err(ApiError::internal)
                })
                .await
                .map_err(ApiError::internal)?
            }
            // Over the same list the tree shows, less .env files.
            other @ Request::FindFiles { .. } => {
                let mut found = dispatch(self, other, stream).await?;
                if let Some(list) = found.as_array_mut() {
                    list.retain(|m| !m.get("path").and_then(Value::as_str).is_some_and(weft_fs::is_env_file));
                }
                Ok(found)
            }
            // Read-only, and only the shared files' entries (a deleted file has no entry in
            // the tree: its name is not shared either).
            Request::GitStatus => {
                let api = self.clone();
                tokio::task::spawn_blocking(move || {
                    let Some(mut st) = super::handlers::git::status(&api, None)? else { return Ok(Value::Null) };
                    let shared: HashSet<String> = api.open()?.ws.shared_files().into_iter().collect();
                    st.files.retain(|f| shared.contains(&f.path));
                    serde_json::to_value(st).map_err(ApiError::internal)
                })
                .await
                .map_err(ApiError::internal)?
            }
            // The index is built from that list too, but the host's open documents join it
            // whatever their folder (an ignored file opened by the host): filtered here.
            Request::SymbolSearch { query, limit } => {
                let api = self.clone();
                tokio::task::spawn_blocking(move || {
                    let hits = super::handlers::syntax::symbol_search(&api, query, limit, None)?;
                    let shared: HashSet<String> = api.open()?.ws.shared_files().into_iter().collect();
                    let hits: Vec<_> = hits.into_iter().filter(|h| shared.contains(&h.path)).collect();
                    serde_json::to_value(hits).map_err(ApiError::internal)
                })
                .await
                .map_err(ApiError::internal)?
            }
            // A file the tree shows (the rooms' rule).
            Request::DocAnalysis { path } => {
                let api = self.clone();
                let shared = tokio::task::spawn_blocking(move || api.open().map(|o| o.ws.shared_files().binary_search(&path).is_ok().then_some(path)))
                    .await
                    .map_err(ApiError::internal)??;
                match shared {
                    Some(path) => dispatch(self, Request::DocAnalysis { path }, stream).await,
                    None => Err(not_shared("that file")),
                }
            }
            // A page of a port the host shares (checked there), fetched by the host: a
            // read-only guest may look (GET, HEAD, OPTIONS) but not send the app anything.
            Request::PreviewFetch { port, request } => {
                if read_only && !matches!(request.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
                    return Err(ApiError::new(ErrorCode::ReadOnly, format!("a read-only guest may not send {} requests to the host's app", request.method)));
                }
                dispatch(self, Request::PreviewFetch { port, request }, stream).await
            }
            // A shared file only, asked once the host's document holds what the guest had
            // when it asked; places outside the shared files are left out of the answer.
            r @ (Request::LspHover { .. }
            | Request::LspLocations { .. }
            | Request::LspCompletion { .. }
            | Request::LspResolveCompletion { .. }
            | Request::LspSignatureHelp { .. }
            | Request::LspHighlights { .. }
            | Request::LspInlayHints { .. }
            | Request::LspSemanticTokens { .. }) => {
                let path = super::handlers::lsp::request_path(&r).unwrap_or_default().to_owned();
                // Checked folder by folder as the tree lists them: a walk of the whole
                // folder for each hover would cost more than the hover.
                let api = self.clone();
                let p = path.clone();
                if !tokio::task::spawn_blocking(move || api.guest_shares_file(&p)).await.map_err(ApiError::internal)? {
                    return Err(not_shared("that file"));
                }
                if let Some(sv) = sv {
                    super::handlers::lsp::caught_up(self, &path, &sv).await;
                }
                let locations = matches!(r, Request::LspLocations { .. });
                let mut found = dispatch(self, r, stream).await?;
                if let (true, Some(list)) = (locations, found.as_array_mut()) {
                    let api = self.clone();
                    let taken = std::mem::take(list);
                    *list = tokio::task::spawn_blocking(move || {
                        let mut seen: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
                        taken.into_iter().filter(|l| {
                            let Some(p) = l.get("path").and_then(Value::as_str) else { return false };
                            *seen.entry(p.to_owned()).or_insert_with(|| api.guest_shares_file(p))
                        }).collect()
                    })
                    .await
                    .map_err(ApiError::internal)?;
                }
                Ok(found)
            }
            _ => unreachable!("GUEST_METHODS is checked above"),
        };
        if let Err(e) = &result {
            tracing::info!(method = %method, code = %e.code, "a guest's request failed: {}", e.message);
        }
        result
    }

    /// `path` as the tree names it when every folder on its way is one the tree shows (a
    /// folder the host ignores, `.git`, or a link, is not shared, and neither is what it
    /// holds).
    fn guest_shown_dir(&self, path: &str) -> Result<String> {
        let ws = &self.open()?.ws;
        let path = path.trim_matches('/');
        let path = if path == "." { "" } else { path };
        let mut parent = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            if part == "." || part == ".." || part.contains('\\') {
                return Err(not_shared(path));
            }
            let here = if parent.is_empty() { part.to_owned() } else { format!("{parent}/{part}") };
            let shown = ws.list_dir(&parent)?.into_iter().any(|e| e.path == here && e.kind == EntryKind::Dir && !e.symlink);
            if !shown {
                return Err(not_shared(path));
            }
            parent = here;
        }
        Ok(parent)
    }

    /// A folder's entries when the tree shows it. Links are listed as they are in the tree:
    /// a guest cannot open what they point to (their rooms are refused). .env files are not
    /// shared.
    fn guest_list_dir(&self, path: &str) -> Result<Value> {
        let dir = self.guest_shown_dir(path)?;
        let mut entries = self.open()?.ws.list_dir(&dir)?;
        entries.retain(|e| e.kind == EntryKind::Dir || !weft_fs::is_env_file(&e.path));
        serde_json::to_value(entries).map_err(ApiError::internal)
    }

    /// Whether `path` is a file the host shares: in a folder the tree shows, listed there,
    /// not a link, not a .env file.
    fn guest_shares_file(&self, path: &str) -> bool {
        let Some((dir, _)) = path.rsplit_once('/').or(Some(("", path))) else { return false };
        let Ok(dir) = self.guest_shown_dir(dir) else { return false };
        let Ok(open) = self.open() else { return false };
        !weft_fs::is_env_file(path) && open.ws.list_dir(&dir).is_ok_and(|list| list.iter().any(|e| e.path == path && e.kind != EntryKind::Dir && !e.symlink))
    }
}
