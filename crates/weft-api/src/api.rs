use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};
use weft_fs::{atomic_write, FileFinder, SearchCancel, Watcher, Workspace};
use weft_pty::{PtyEvent, SpawnOptions, Terminals};

use crate::agent::AgentHost;
use crate::checkpoints::Checkpoints;
use crate::syntax::Syntax;
use crate::dto::*;
use weft_store::{Content, Origin, Side};
use crate::{ApiError, AppPaths, Settings, Stream, StreamFrame};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The Tauri window: may open any folder the user picks.
    Desktop,
    /// `weft serve`: pinned to the folder it was started on.
    Serve,
}

#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    paths: AppPaths,
    workspace: RwLock<Option<Arc<OpenWorkspace>>>,
    /// Cancellation of running streams, by the id the client minted.
    cancels: Mutex<HashMap<String, SearchCancel>>,
    started: std::time::Instant,
    terminals: Terminals,
    /// The collaboration session this app joined as a participant, if any.
    joined: Mutex<Option<Arc<crate::collab::Joined>>>,
}

struct OpenWorkspace {
    ws: Workspace,
    /// None when the store could not be opened (the reason is logged and returned).
    checkpoints: std::result::Result<Arc<Checkpoints>, ApiError>,
    _watcher: Option<Watcher>,
    listeners: Arc<Mutex<HashMap<String, Stream>>>,
    /// The fuzzy finder's file list, dropped when files appear or disappear.
    finder: Arc<Mutex<Option<FileFinder>>>,
    syntax: Arc<Syntax>,
    agents: Arc<AgentHost>,
    /// Set while the folder is shared; dropping it stops the host.
    collab: Arc<Mutex<Option<weft_collab::WorkspaceHost>>>,
    /// The open files' documents: the editors, the agent and guests share them.
    docs: Arc<weft_doc::Documents>,
    editors: crate::docs::Editors,
    _merging: weft_doc::Merging,
}

type Result<T> = std::result::Result<T, ApiError>;

impl Api {
    pub fn new(mode: Mode, paths: AppPaths) -> Self {
        Self { inner: Arc::new(Inner { mode, paths, workspace: RwLock::new(None), cancels: Mutex::new(HashMap::new()), started: std::time::Instant::now(), terminals: Terminals::new(), joined: Mutex::new(None) }) }
    }

    pub fn paths(&self) -> &AppPaths {
        &self.inner.paths
    }

    /// Opens (or switches to) a workspace folder and starts watching it.
    pub fn open_workspace(&self, path: &Path) -> Result<WorkspaceInfo> {
        let ws = Workspace::open(path)?;
        let listeners: Arc<Mutex<HashMap<String, Stream>>> = Arc::default();
        let finder: Arc<Mutex<Option<FileFinder>>> = Arc::default();
        let (l, f) = (listeners.clone(), finder.clone());
        let checkpoints = crate::checkpoints::open_store(&self.inner.paths, ws.root())
            .map(|store| Arc::new(Checkpoints::start(store, self.inner.paths.clone())))
            .map_err(|e| {
                warn!("checkpoints of {} are off: {e}", ws.root().display());
                ApiError::from(e)
            });
        let activity = checkpoints.as_ref().ok().map(|c| c.notifier());
        let syntax = Arc::new(Syntax::new(ws.root()));
        // Unsaved edits are logged where a shared folder's rooms are: one log per document
        // whether or not the folder is shared.
        let docs = weft_doc::Documents::new(Arc::new(ws.clone()), Some(self.inner.paths.collab_dir(ws.root())));
        let merging = docs.start_merging();
        let (sx, ws2, d) = (syntax.clone(), ws.clone(), docs.clone());
        let watcher = Watcher::start(ws.clone(), Default::default(), move |changes| {
            d.changed_on_disk(changes.iter().filter(|c| !c.is_dir).map(|c| c.path.as_str()));
            // Re-parsing changed files must not hold up the next batch of events.
            let (sx, ws2, batch) = (sx.clone(), ws2.clone(), changes.clone());
            std::thread::spawn(move || sx.files_changed(&batch, || ws2.list_files()));
            if let Some(changed) = &activity {
                changed();
            }
            if changes.iter().any(|c| c.kind != weft_fs::FsChangeKind::Modified) {
                if let Ok(mut f) = f.lock() {
                    *f = None;
                }
            }
            let event = WatchEvent { changes };
            if let Ok(mut l) = l.lock() {
                l.retain(|_, s| s.json(&event));
            }
        })
        .map_err(|e| warn!("watching {} failed: {e}", ws.root().display()))
        .ok();
        let info = WorkspaceInfo { root: ws.root().display().to_string(), name: ws.name() };
        let store = checkpoints.as_ref().ok().map(|c| c.store.clone());
        let collab: Arc<Mutex<Option<weft_collab::WorkspaceHost>>> = Arc::default();
        let d = docs.clone();
        // The agent's writes reach the open documents (every editor, every guest) at once,
        // with its cursor, rather than when the watcher reports them.
        let on_write: crate::agent::WriteHook = Arc::new(move |path| match path {
            Some(p) => d.agent_wrote(p),
            None => d.agent_done(),
        });
        let agents = Arc::new(AgentHost::new(ws.clone(), store, self.inner.paths.clone(), &crate::paths::workspace_key(ws.root())).with_write_hook(on_write));
        info!(root = %info.root, "workspace opened");
        self.remember_recent(&info);
        *self.inner.workspace.write().map_err(ApiError::internal)? =
            Some(Arc::new(OpenWorkspace { ws, checkpoints, _watcher: watcher, listeners, finder, syntax, agents, collab, docs, editors: Default::default(), _merging: merging }));
        Ok(info)
    }

    fn open(&self) -> Result<Arc<OpenWorkspace>> {
        self.inner
            .workspace
            .read()
            .map_err(ApiError::internal)?
            .clone()
            .ok_or_else(|| ApiError::new(crate::ErrorCode::NoWorkspace, "no folder is open"))
    }

    /// The one entry point: a JSON request in, a JSON result or an [`ApiError`] out.
    /// Malformed requests are errors, never panics.
    pub async fn call(&self, request: Value, stream: Option<Stream>) -> Result<Value> {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let method = request.get("method").and_then(Value::as_str).unwrap_or("?").to_owned();
        let result = async {
            let request: Request = serde_json::from_value(request).map_err(|e| ApiError::bad_request(format!("malformed request: {e}")))?;
            let api = self.clone();
            // Everything below touches the disk; keep it off the async workers.
            tokio::task::spawn_blocking(move || api.dispatch(request, stream))
                .await
                .map_err(|e| ApiError::internal(format!("request failed: {e}")))?
        }
        .await;
        if let Err(e) = &result {
            // Every failed request, with its id and method, whatever the transport.
            tracing::warn!(request = id, %method, code = %e.code, "{}", e.message);
        }
        result
    }

    fn dispatch(&self, request: Request, stream: Option<Stream>) -> Result<Value> {
        match request {
            Request::Info => to_json(self.info()),
            Request::OpenWorkspace { path } => {
                if self.inner.mode != Mode::Desktop {
                    return Err(ApiError::new(crate::ErrorCode::Forbidden, "this backend is pinned to its folder"));
                }
                to_json(self.open_workspace(Path::new(&path))?)
            }
            Request::RecentWorkspaces => to_json(self.recent()),
            Request::ListDir { path } => to_json(self.open()?.ws.list_dir(&path)?),
            Request::ReadFile { path } => {
                let f = self.open()?.ws.read_text(&path)?;
                let limit = u64::from(self.settings().0.large_file_mb) * 1024 * 1024;
                to_json(FileDto {
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
            Request::WriteFile { path, text, encoding } => {
                let mtime_ms = self.open()?.ws.write_text(&path, &text, encoding)?;
                to_json(SaveResult { mtime_ms })
            }
            Request::CreateFile { path } => to_json(self.open()?.ws.create_file(&path)?),
            Request::CreateDir { path } => to_json(self.open()?.ws.create_dir(&path)?),
            Request::Rename { from, to } => {
                let open = self.open()?;
                let renamed = open.ws.rename(&from, &to)?;
                // Open documents follow the file, unsaved edits and all.
                open.docs.renamed(&from, &to);
                open.editors.renamed(&from, &to);
                to_json(renamed)
            }
            Request::Delete { path, permanent } => to_json(self.open()?.ws.delete(&path, permanent)?),
            Request::FindFiles { query, limit } => {
                let open = self.open()?;
                let mut finder = open.finder.lock().map_err(ApiError::internal)?;
                let finder = finder.get_or_insert_with(|| FileFinder::new(open.ws.list_files()));
                to_json(finder.query(&query, limit.unwrap_or(50).min(500) as usize))
            }
            Request::Search { options } => {
                let stream = stream.ok_or_else(|| ApiError::bad_request("search needs a stream"))?;
                let cancel = SearchCancel::default();
                self.inner.cancels.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), cancel.clone());
                let result = self.open().and_then(|open| {
                    open.ws
                        .search(&options, &cancel, &|hit| {
                            if !stream.json(SearchEvent::Hit { hit }) {
                                cancel.cancel();
                            }
                        })
                        .map_err(ApiError::from)
                });
                if let Ok(mut c) = self.inner.cancels.lock() {
                    c.remove(&stream.id);
                }
                // The last frame says how it ended, so a client never waits on the reply
                // and the frames racing each other.
                match &result {
                    Ok(summary) => stream.json(SearchEvent::Done { summary: summary.clone() }),
                    Err(e) => stream.json(SearchEvent::Error { error: e.clone() }),
                };
                to_json(result?)
            }
            Request::Replace { options, replacement, paths, apply } => {
                to_json(self.open()?.ws.replace_in_files(&options, &replacement, paths, apply)?)
            }
            Request::Watch => {
                let stream = stream.ok_or_else(|| ApiError::bad_request("watch needs a stream"))?;
                let open = self.open()?;
                open.listeners.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), stream);
                Ok(Value::Null)
            }
            Request::Cancel { stream } => {
                self.cancel(&stream);
                Ok(Value::Null)
            }
            Request::SyntaxOpen { doc, path, text } => {
                let open = self.open()?;
                // The path is only a name here (the text comes from the editor), but a
                // path outside the workspace has no business in its index.
                open.ws.resolve(&path)?;
                let limit = u64::from(self.settings().0.large_file_mb) * 1024 * 1024;
                to_json(open.syntax.open(doc, path, text, limit)?)
            }
            Request::SyntaxEdit { doc, changes, length } => to_json(self.open()?.syntax.edit(&doc, &changes, length)?),
            Request::SyntaxClose { doc } => {
                self.open()?.syntax.close(&doc);
                Ok(Value::Null)
            }
            Request::SyntaxExpand { doc, from, to } => to_json(self.open()?.syntax.expand(&doc, weft_syntax::Span { from, to })?),
            Request::SymbolSearch { query, limit } => {
                let open = self.open()?;
                to_json(open.syntax.search(&query, limit.unwrap_or(100).min(1000) as usize, || open.ws.list_files()))
            }
            Request::RepoMap { tokens, focus } => {
                let open = self.open()?;
                to_json(open.syntax.repo_map(tokens.clamp(64, 200_000), &focus, || open.ws.list_files()))
            }
            Request::GetSettings => to_json(self.settings_dto()),
            Request::SetSettings { text } => to_json(self.set_settings(&text)?),
            Request::GetSession => to_json(self.session()),
            Request::TerminalSpawn { cols, rows, flow_control } => {
                let stream = stream.ok_or_else(|| ApiError::bad_request("terminalSpawn needs a stream"))?;
                let shell = self.settings().0.terminal_shell;
                let command = (!shell.is_empty()).then_some(shell);
                let opts = SpawnOptions { cwd: self.open()?.ws.root().to_path_buf(), command, env: Vec::new(), cols, rows };
                let id = self.inner.terminals.spawn(opts, terminal_sink(stream), flow_control)?;
                to_json(self.terminal_info(id)?)
            }
            Request::TerminalAttach { id, flow_control } => {
                let stream = stream.ok_or_else(|| ApiError::bad_request("terminalAttach needs a stream"))?;
                self.inner.terminals.attach(id, terminal_sink(stream), flow_control)?;
                to_json(self.terminal_info(id)?)
            }
            Request::TerminalWrite { id, data } => to_json(self.inner.terminals.write(id, data.as_bytes())?),
            Request::TerminalResize { id, cols, rows } => to_json(self.inner.terminals.resize(id, cols, rows)?),
            Request::TerminalAck { id, bytes } => to_json(self.inner.terminals.ack(id, bytes)?),
            Request::TerminalChildren { id } => to_json(self.inner.terminals.running_children(id)?),
            Request::TerminalClose { id } => to_json(self.inner.terminals.close(id)?),
            Request::TerminalList => to_json(self.inner.terminals.list()),
            Request::CheckpointList => to_json(self.store()?.store.list()?),
            Request::CheckpointCreate { label } => {
                let c = self.store()?;
                let created = c.store.create(label.trim(), Origin::Manual, None)?;
                if created.new {
                    c.announce(&created.checkpoint);
                }
                to_json(created)
            }
            Request::CheckpointChanges { id } => to_json(self.store()?.store.changes(id)?),
            Request::CheckpointDiff { from, to } => to_json(self.store()?.store.diff(side(from), side(to))?),
            Request::CheckpointFile { id, path } => to_json(checkpoint_file(&self.store()?.store, id, path)?),
            Request::CheckpointPreview { id, paths } => to_json(self.store()?.store.preview(id, paths.as_deref())?),
            Request::CheckpointRestore { id, paths } => {
                let c = self.store()?;
                let before = c.store.latest()?;
                let report = c.store.restore(id, paths.as_deref())?;
                if Some(report.undo) != before {
                    c.announce(&c.store.get(report.undo)?);
                }
                info!(id, undo = report.undo, failed = report.failed.len(), "checkpoint restored");
                to_json(report)
            }
            Request::CheckpointDelete { ids } => {
                to_json(self.store()?.store.remove(&ids)?)
            }
            Request::CheckpointEvents => {
                let stream = stream.ok_or_else(|| ApiError::bad_request("checkpointEvents needs a stream"))?;
                self.store()?.subscribe(stream);
                Ok(Value::Null)
            }
            Request::AgentProviders => to_json(crate::agent::providers(&self.inner.paths, &self.settings().0)),
            Request::AgentSetKey { provider, key } => {
                if provider.trim().is_empty() {
                    return Err(ApiError::bad_request("the provider name is empty"));
                }
                let key = key.filter(|k| !k.trim().is_empty()).map(weft_llm::ApiKey::new);
                crate::agent::key_store(&self.inner.paths).set(provider.trim(), key.as_ref()).map_err(|e| ApiError::new(crate::ErrorCode::LlmKeys, e.to_string()))?;
                Ok(Value::Null)
            }
            Request::AgentModels { provider } => {
                let client = crate::agent::llm_client(&self.inner.paths, &self.settings().0)?;
                let p = client.provider(&provider).ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, format!("no provider named {provider:?}")))?.clone();
                let models = tokio::runtime::Handle::current().block_on(p.models())?;
                to_json(models)
            }
            Request::AgentThreads => to_json(self.open()?.agents.threads()?),
            Request::AgentThread { thread } => to_json(self.open()?.agents.thread(&thread)?),
            Request::AgentSend { thread, prompt, model, mentions } => {
                let stream = stream.ok_or_else(|| ApiError::bad_request("agentSend needs a stream"))?;
                let prompt = weft_agent::Prompt { text: prompt, mentions };
                self.open()?.agents.send(&thread, prompt, model.as_deref(), &self.settings().0, stream)?;
                Ok(Value::Null)
            }
            Request::AgentApprove { request, answer } => {
                let answer = match answer.as_str() {
                    "once" => weft_agent::Approval::Once,
                    "always" => weft_agent::Approval::Always,
                    "deny" => weft_agent::Approval::Deny,
                    other => return Err(ApiError::bad_request(format!("answer must be \"once\", \"always\" or \"deny\", not {other:?}"))),
                };
                self.open()?.agents.approve(&request, answer)?;
                Ok(Value::Null)
            }
            Request::AgentStop { thread } => to_json(self.open()?.agents.stop(&thread)?),
            Request::AgentReview { thread } => to_json(self.open()?.agents.review(&thread)?),
            Request::AgentReviewAction { thread, action } => to_json(self.open()?.agents.review_action(&thread, &action)?),
            Request::AgentRestore { thread, turn, code, conversation } => {
                let open = self.open()?;
                if !code && !conversation {
                    return Err(ApiError::bad_request("restore the code, the conversation, or both"));
                }
                if code {
                    let id = open.agents.checkpoint_of(&thread, turn)?;
                    let c = self.store()?;
                    let report = c.store.restore(id, None)?;
                    c.announce(&c.store.get(report.undo)?);
                    info!(id, undo = report.undo, "agent turn's code restored");
                }
                if conversation {
                    return to_json(open.agents.restore_conversation(&thread, turn)?);
                }
                to_json(open.agents.thread(&thread)?)
            }
            Request::AgentExport { thread } => to_json(self.open()?.agents.export(&thread)?),
            Request::AgentDelete { thread } => {
                self.open()?.agents.delete(&thread)?;
                Ok(Value::Null)
            }
            // Reading the ledger needs no prices (or the key file the price table consults).
            Request::UsageSummary { days } => to_json(crate::usage::ledger(&self.inner.paths)?.summary(days)?),
            Request::UsageMeter { thread } => {
                let ledger = crate::usage::ledger(&self.inner.paths)?;
                let thread = match thread {
                    Some(t) => Some(ledger.totals(&weft_usage::Scope::Thread { workspace: self.open()?.ws.root().display().to_string(), thread: t })?),
                    None => None,
                };
                to_json(UsageMeter { thread, today: ledger.totals(&weft_usage::Scope::Today)?, budgets: crate::usage::budgets(&self.settings().0) })
            }
            Request::UsageExport { days } => {
                let ledger = crate::usage::ledger(&self.inner.paths)?;
                // The same window as the dashboard's, so the two agree.
                let (_, since_ms) = ledger.window(days)?;
                to_json(weft_usage::csv::write(&ledger.rows(since_ms)?))
            }
            Request::UsagePrices => to_json(self.price_list()?),
            Request::UsageSetPrices { text } => {
                let user: std::collections::BTreeMap<String, weft_usage::Price> =
                    serde_json::from_str(&text).map_err(|e| ApiError::new(crate::ErrorCode::InvalidPrices, format!("prices.json: {e}")))?;
                weft_usage::PriceTable::new(&user).map_err(|e| ApiError::new(crate::ErrorCode::InvalidPrices, e))?;
                std::fs::create_dir_all(&self.inner.paths.config_dir).map_err(|e| ApiError::new(crate::ErrorCode::Io, e.to_string()))?;
                atomic_write(&crate::usage::prices_path(&self.inner.paths), text.as_bytes()).map_err(|e| ApiError::new(crate::ErrorCode::Io, format!("saving prices.json: {e}")))?;
                to_json(self.price_list()?)
            }
            Request::CollabShare { port, local } => {
                let open = self.open()?;
                let mut slot = open.collab.lock().map_err(ApiError::internal)?;
                if slot.is_none() {
                    let host = tokio::runtime::Handle::current()
                        .block_on(weft_collab::WorkspaceHost::serve(
                            open.docs.clone(),
                            weft_collab::HostOptions { port, store: Some(self.inner.paths.collab_dir(open.ws.root())), network: !local, address: None },
                        ))
                        .map_err(|e| ApiError::new(crate::ErrorCode::Collab, format!("could not start sharing: {e}")))?;
                    info!(url = %host.url(), "sharing the folder");
                    *slot = Some(host);
                }
                to_json(collab_status(slot.as_ref()))
            }
            Request::CollabStatus => to_json(collab_status(self.open()?.collab.lock().map_err(ApiError::internal)?.as_ref())),
            Request::CollabInvite { name, read_only } => {
                let open = self.open()?;
                let slot = open.collab.lock().map_err(ApiError::internal)?;
                let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "the folder is not shared"))?;
                let name = name.trim();
                if name.is_empty() {
                    return Err(ApiError::bad_request("the guest needs a name"));
                }
                host.hub.invite(name, if read_only { weft_collab::Role::ReadOnly } else { weft_collab::Role::ReadWrite });
                to_json(collab_status(slot.as_ref()))
            }
            Request::CollabSetRole { token, read_only } => {
                let open = self.open()?;
                let slot = open.collab.lock().map_err(ApiError::internal)?;
                let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "the folder is not shared"))?;
                host.hub.set_role(&token, if read_only { weft_collab::Role::ReadOnly } else { weft_collab::Role::ReadWrite }).map_err(|e| ApiError::new(crate::ErrorCode::NotFound, e.to_string()))?;
                to_json(collab_status(slot.as_ref()))
            }
            Request::CollabRemove { token } => {
                let open = self.open()?;
                let slot = open.collab.lock().map_err(ApiError::internal)?;
                let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "the folder is not shared"))?;
                host.hub.remove(&token).map_err(|e| ApiError::new(crate::ErrorCode::NotFound, e.to_string()))?;
                to_json(collab_status(slot.as_ref()))
            }
            Request::CollabStop => {
                let open = self.open()?;
                let mut slot = open.collab.lock().map_err(ApiError::internal)?;
                *slot = None;
                to_json(collab_status(None))
            }
            Request::CollabShareTerminal { id, writable } => {
                let open = self.open()?;
                let slot = open.collab.lock().map_err(ApiError::internal)?;
                let host = slot.as_ref().ok_or_else(|| ApiError::new(crate::ErrorCode::NotSharing, "start sharing first"))?;
                let info = self.terminal_info(id)?;
                let inner = Arc::downgrade(&self.inner);
                let (shared, new) = host.share_terminal(id, &info.title, (info.cols, info.rows), writable, move |keys| {
                    if let Some(inner) = inner.upgrade() {
                        if let Err(e) = inner.terminals.write(id, keys.as_bytes()) {
                            warn!("a guest typed into terminal {id}, which is gone: {e}");
                        }
                    }
                });
                if new {
                    let out = Arc::downgrade(&shared);
                    self.inner.terminals.tap(
                        id,
                        Box::new(move |ev| match (out.upgrade(), ev) {
                            (Some(t), PtyEvent::Output(bytes)) => {
                                t.write(&bytes);
                                true
                            }
                            (Some(t), PtyEvent::Exited(e)) => {
                                t.write(format!("\r\n[the shell exited{}]\r\n", e.code.map(|c| format!(" with status {c}")).unwrap_or_default()).as_bytes());
                                true
                            }
                            // Unshared: the tap goes.
                            (None, _) => false,
                        }),
                    )?;
                }
                to_json(collab_status(slot.as_ref()))
            }
            Request::CollabUnshareTerminal { id } => {
                let open = self.open()?;
                let slot = open.collab.lock().map_err(ApiError::internal)?;
                if let Some(host) = slot.as_ref() {
                    host.unshare_terminal(id);
                }
                to_json(collab_status(slot.as_ref()))
            }
            Request::CollabJoin { link } => {
                let joined = crate::collab::Joined::new(&link)?;
                let host = joined.base.clone();
                info!(%host, "joining a collaboration session");
                *self.inner.joined.lock().map_err(ApiError::internal)? = Some(Arc::new(joined));
                to_json(CollabJoined { host })
            }
            Request::CollabOpen { room } => {
                let stream = stream.ok_or_else(|| ApiError::bad_request("collabOpen needs a stream"))?;
                let joined = self.joined()?;
                let cancel = SearchCancel::default();
                self.inner.cancels.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), cancel.clone());
                joined.open(&room, stream, cancel)?;
                Ok(Value::Null)
            }
            Request::CollabPush { room, data } => to_json(self.joined()?.push(&room, &data)?),
            Request::DocOpen { path } => {
                let stream = stream.ok_or_else(|| ApiError::bad_request("docOpen needs a stream"))?;
                let open = self.open()?;
                let limit = u64::from(self.settings().0.large_file_mb) * 1024 * 1024;
                to_json(open.editors.open(&open.docs, &path, limit, stream)?)
            }
            Request::DocPush { conn, data } => to_json(self.open()?.editors.push(conn, &data)?),
            Request::DocSave { path } => {
                let open = self.open()?;
                to_json(open.editors.save(&open.docs, &path)?)
            }
            Request::DocClose { conn, discard } => {
                let open = self.open()?;
                open.editors.close(&open.docs, conn, discard)?;
                Ok(Value::Null)
            }
            Request::DocTakeDisk { path } => {
                self.open()?.docs.take_disk(&path)?;
                Ok(Value::Null)
            }
            Request::DocKeepMine { path } => {
                let open = self.open()?;
                let doc = open.docs.get(&path).ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, format!("{path} is not open")))?;
                doc.clear_conflicts();
                Ok(Value::Null)
            }
            Request::CollabLeave => {
                *self.inner.joined.lock().map_err(ApiError::internal)? = None;
                Ok(Value::Null)
            }
            Request::SuggestCommitMessage => {
                let root = self.open()?.ws.root().to_path_buf();
                let settings = self.settings().0;
                to_json(tokio::runtime::Handle::current().block_on(crate::agent::suggest_commit_message(&self.inner.paths, &settings, &root))?)
            }
            Request::UiReady { marks } => {
                if let Ok(c) = self.store() {
                    c.ui_ready();
                }
                let ms = self.inner.started.elapsed().as_secs_f64() * 1e3;
                let marks: Vec<String> = marks.iter().map(|(name, at)| format!("{name} {at:.0}")).collect();
                info!("ui ready {ms:.0} ms after start (page: {})", marks.join(", "));
                // Benchmarks read this line; it is off unless asked for.
                if std::env::var_os("WEFT_REPORT_READY").is_some() {
                    eprintln!("weft-ready {ms:.1} page: {}", marks.join(", "));
                }
                Ok(Value::Null)
            }
            Request::SaveSession { session } => {
                let file = self.session_file()?;
                write_json(&file, &session).map_err(|e| ApiError::new(crate::ErrorCode::Io, format!("saving the session: {e}")))?;
                Ok(Value::Null)
            }
        }
    }

    /// Stops a stream: a running search, or a watch subscription. Transports call this
    /// for every stream of a connection that closed.
    /// The checkpoints of the open workspace.
    fn store(&self) -> Result<Arc<Checkpoints>> {
        self.open()?.checkpoints.clone()
    }

    pub fn cancel(&self, stream_id: &str) {
        if let Some(c) = self.inner.cancels.lock().ok().and_then(|mut c| c.remove(stream_id)) {
            c.cancel();
        }
        if let Ok(open) = self.open() {
            if let Ok(mut l) = open.listeners.lock() {
                l.remove(stream_id);
            }
            if let Ok(c) = &open.checkpoints {
                c.unsubscribe(stream_id);
            }
            open.agents.stream_closed(stream_id);
        }
    }

    fn joined(&self) -> Result<Arc<crate::collab::Joined>> {
        self.inner.joined.lock().map_err(ApiError::internal)?.clone().ok_or_else(|| ApiError::new(crate::ErrorCode::NotJoined, "join a session first (collabJoin)"))
    }

    fn terminal_info(&self, id: u64) -> Result<weft_pty::TerminalInfo> {
        self.inner.terminals.list().into_iter().find(|t| t.id == id).ok_or_else(|| ApiError::from(weft_pty::PtyError::Unknown(id)))
    }

    fn info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            mode: match self.inner.mode {
                Mode::Desktop => "desktop",
                Mode::Serve => "serve",
            }
            .into(),
            workspace: self.open().ok().map(|o| WorkspaceInfo { root: o.ws.root().display().to_string(), name: o.ws.name() }),
            can_open_folders: self.inner.mode == Mode::Desktop,
            platform: std::env::consts::OS.into(),
        }
    }

    fn price_list(&self) -> Result<PriceList> {
        let settings = self.settings().0;
        let table = crate::usage::price_table(&self.inner.paths, &settings)?;
        let local_providers = crate::agent::providers(&self.inner.paths, &settings).into_iter().filter(|p| p.local).map(|p| p.name).collect();
        let path = crate::usage::prices_path(&self.inner.paths);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "{}\n".into());
        Ok(PriceList { path: path.display().to_string(), text, prices: table.entries(), local_providers })
    }

    // ---- settings -------------------------------------------------------------------

    /// The settings in force, and the error that made defaults apply, if any.
    pub fn settings(&self) -> (Settings, Option<String>) {
        crate::settings::load(&self.inner.paths.settings_file())
    }

    fn settings_dto(&self) -> SettingsDto {
        let path = self.inner.paths.settings_file();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| pretty(&Settings::default()));
        let (settings, error) = self.settings();
        SettingsDto { settings, text, path: path.display().to_string(), error }
    }

    fn set_settings(&self, text: &str) -> Result<SettingsDto> {
        parse_settings(text).map_err(|e| ApiError::new(crate::ErrorCode::InvalidSettings, e))?;
        let path = self.inner.paths.settings_file();
        std::fs::create_dir_all(&self.inner.paths.config_dir).map_err(|e| ApiError::new(crate::ErrorCode::Io, e.to_string()))?;
        atomic_write(&path, text.as_bytes()).map_err(|e| ApiError::new(crate::ErrorCode::Io, format!("saving settings: {e}")))?;
        Ok(self.settings_dto())
    }

    // ---- recent folders and sessions ---------------------------------------------------

    fn recent_file(&self) -> PathBuf {
        self.inner.paths.data_dir.join("recent.json")
    }

    fn recent(&self) -> Vec<RecentWorkspace> {
        std::fs::read(self.recent_file()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    fn remember_recent(&self, info: &WorkspaceInfo) {
        let mut list = self.recent();
        list.retain(|r| r.path != info.root);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        list.insert(0, RecentWorkspace { path: info.root.clone(), name: info.name.clone(), opened_at_ms: now });
        list.truncate(12);
        if let Err(e) = write_json(&self.recent_file(), &list) {
            warn!("could not save recent folders: {e}");
        }
    }

    fn session_file(&self) -> Result<PathBuf> {
        let open = self.open()?;
        Ok(self.inner.paths.data_dir.join("sessions").join(format!("{}.json", crate::paths::workspace_key(open.ws.root()))))
    }

    fn session(&self) -> Session {
        self.session_file()
            .ok()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }
}

fn collab_status(host: Option<&weft_collab::WorkspaceHost>) -> CollabStatus {
    CollabStatus {
        url: host.map(|h| h.url()),
        self_link: host.map(|h| h.self_link()),
        fingerprint: host.and_then(|h| h.fingerprint.clone()),
        terminals: host.map(|h| h.shared_terminals().iter().map(|t| CollabTerminal { id: t.id, writable: t.writable() }).collect()).unwrap_or_default(),
        guests: host
            .map(|h| {
                h.hub
                    .guests()
                    .into_iter()
                    .map(|(token, g)| CollabGuest { name: g.name, link: h.invite_link(&token), token, read_only: g.role == weft_collab::Role::ReadOnly })
                    .collect()
            })
            .unwrap_or_default(),
    }
}


/// Terminal output goes as raw bytes; the exit as one JSON frame.
fn terminal_sink(stream: Stream) -> Box<dyn Fn(PtyEvent) -> bool + Send + Sync> {
    Box::new(move |ev| match ev {
        PtyEvent::Output(bytes) => stream.sink.send(StreamFrame::Bytes(bytes)),
        PtyEvent::Exited(e) => stream.json(TerminalEvent::Exit { code: e.code, signal: e.signal }),
    })
}

use crate::settings::parse as parse_settings;

fn side(id: Option<i64>) -> Side {
    id.map_or(Side::Working, Side::Checkpoint)
}

fn checkpoint_file(store: &weft_store::Store, id: Option<i64>, path: String) -> Result<CheckpointFile> {
    let mut out = CheckpointFile { path, exists: false, text: None, binary: false, symlink: None, mode: None };
    match store.content(side(id), &out.path)? {
        None => {}
        Some(Content::File { bytes, mode }) => {
            out.exists = true;
            out.mode = Some(mode);
            out.binary = weft_store::is_binary(&bytes);
            if !out.binary {
                out.text = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        Some(Content::Symlink { target }) => {
            out.exists = true;
            out.symlink = Some(target);
        }
    }
    Ok(out)
}

fn to_json(v: impl Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

fn pretty(v: &impl Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

fn write_json(path: &Path, v: &impl Serialize) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    atomic_write(path, pretty(v).as_bytes())
}
