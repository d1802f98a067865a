use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};
use weft_fs::{atomic_write, FileFinder, SearchCancel, Watcher, Workspace};
use weft_pty::{PtyEvent, SpawnOptions, Terminals};

mod guest;
mod handlers;

pub use guest::GUEST_METHODS;
pub use handlers::{results as method_results, Method, MethodResult, Request};

use crate::agent::AgentHost;
use crate::checkpoints::Checkpoints;
use crate::syntax::Syntax;
use crate::dto::*;
use weft_store::{Content, Origin, Side};
use crate::{ApiError, AppPaths, Settings, Stream, StreamFrame};

/// A shell over the API (the desktop window, `weft serve`): its name, which the UI reads
/// as `AppInfo.mode`, and the requests it refuses, each with the reason the caller reads.
/// Each shell declares its own list (src-tauri, crates/weft-server); the dispatch checks
/// it before any handler runs.
#[derive(Debug, Clone, Copy)]
pub struct Shell {
    pub name: &'static str,
    pub unsupported: &'static [(Method, &'static str)],
}

impl Shell {
    fn refuses(&self, method: Method) -> Option<&'static str> {
        self.unsupported.iter().find(|(m, _)| *m == method).map(|(_, why)| *why)
    }

    /// `unsupported` when this shell refuses `method`, with its reason.
    fn allows(&self, method: Method) -> Result<()> {
        match self.refuses(method) {
            Some(why) => Err(ApiError::new(crate::ErrorCode::Unsupported, format!("{} does not do {}: {why}", self.name, method.name()))),
            None => Ok(()),
        }
    }
}

#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    shell: Shell,
    paths: AppPaths,
    workspace: RwLock<Option<Arc<OpenWorkspace>>>,
    /// Cancellation of running streams, by the id the client minted.
    cancels: Mutex<HashMap<String, SearchCancel>>,
    started: std::time::Instant,
    /// The start-up's ready line was printed (the first frame's or the workbench's).
    ready_reported: std::sync::atomic::AtomicBool,
    /// Work that waits for the UI's whole workbench (./startup.rs).
    pub(crate) startup: Arc<crate::startup::Startup>,
    /// Every terminal: the user's and the agent's commands (which the user can watch).
    terminals: Arc<Terminals>,
    /// The collaboration session this app joined as a participant, if any.
    joined: Mutex<Option<Arc<crate::collab::Joined>>>,
    /// Runs of configurations, and the ports every terminal listens on.
    runs: Arc<crate::run::Runs>,
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
    editors: Arc<crate::docs::Editors>,
    _merging: weft_doc::Merging,
    /// The folder's git repository, found on the first git request (and looked for again
    /// while there is none: a `git init` in the terminal makes one).
    git: Mutex<Option<Arc<weft_git::Repo>>>,
    /// Work-tree paths changed since git's last status (the watcher's), so a refresh asks
    /// git about those only.
    pub(crate) git_touched: Arc<weft_git::Touched>,
    /// The folder's MCP servers (stopped when the folder closes: dropping the hub).
    pub(crate) mcp: Arc<weft_mcp::Hub>,
    /// The folder's language servers (none starts before the UI's first frame).
    lsp: Arc<weft_lsp::Lsp>,
    /// The project's variables and secrets.
    pub(crate) env: Arc<crate::env::ProjectEnv>,
}

type Result<T> = std::result::Result<T, ApiError>;

/// An [`Api`] that does not keep it alive (what the shared folder's host holds: the API
/// holds the host).
#[derive(Clone)]
pub(crate) struct WeakApi(std::sync::Weak<Inner>);

impl WeakApi {
    pub(crate) fn upgrade(&self) -> Option<Api> {
        self.0.upgrade().map(|inner| Api { inner })
    }
}

impl Api {
    pub fn new(shell: Shell, paths: AppPaths) -> Self {
        let started = std::time::Instant::now();
        let terminals = Arc::new(Terminals::new());
        Self { inner: Arc::new(Inner { shell, paths, workspace: RwLock::new(None), cancels: Mutex::new(HashMap::new()), started, ready_reported: Default::default(), startup: crate::startup::Startup::new(started), terminals: terminals.clone(), joined: Mutex::new(None), runs: Arc::new(crate::run::Runs::new(terminals)) }) }
    }

    pub(crate) fn downgrade(&self) -> WeakApi {
        WeakApi(Arc::downgrade(&self.inner))
    }

    pub fn paths(&self) -> &AppPaths {
        &self.inner.paths
    }

    /// Opens (or switches to) a workspace folder and starts watching it.
    pub fn open_workspace(&self, path: &Path) -> Result<WorkspaceInfo> {
        let t = std::time::Instant::now();
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
        // The folder-open checkpoint walks (and for a new folder copies) the whole folder:
        // after the first frame, or before Weft first writes into the folder.
        if let Ok(c) = &checkpoints {
            let c = c.clone();
            self.inner.startup.after_ready("folder-open checkpoint", move || c.baseline());
        }
        // The symbol index of the last session, so reopening parses only what changed.
        let index_cache = self.inner.paths.data_dir.join("index").join(format!("{}.sqlite", crate::paths::workspace_key(ws.root())));
        let syntax = Arc::new(Syntax::new(ws.root()).with_cache(index_cache));
        // Unsaved edits are logged where a shared folder's rooms are: one log per document
        // whether or not the folder is shared.
        let docs = weft_doc::Documents::new(Arc::new(ws.clone()), Some(self.inner.paths.collab_dir(ws.root())));
        let merging = docs.start_merging();
        if let Ok(c) = &checkpoints {
            let c = c.clone();
            docs.before_writes(Arc::new(move || c.baseline()));
        }
        let editors = Arc::new(crate::docs::Editors::default());
        // Language servers: the user's configured ones first; none starts before ready.
        let lsp = weft_lsp::Lsp::held(ws.root(), self.settings().0.language_servers.clone(), vec![]);
        editors.set_lsp(lsp.clone());
        let held = lsp.clone();
        self.inner.startup.after_ready("language servers", move || held.release());
        let (sx, ws2, d, eds) = (syntax.clone(), ws.clone(), docs.clone(), editors.clone());
        let git_touched = Arc::new(weft_git::Touched::default());
        let touched = git_touched.clone();
        let watcher = Watcher::start(ws.clone(), Default::default(), move |changes| {
            // Before anyone hears of the change: the status they ask for next must see it.
            touched.touch(changes.iter().map(|c| c.path.as_str()));
            // A file moved by another program: its open document (and editors) follow.
            let removed: Vec<&str> = changes.iter().filter(|c| !c.is_dir && c.kind == weft_fs::FsChangeKind::Removed).map(|c| c.path.as_str()).collect();
            if !removed.is_empty() {
                let created: Vec<&str> = changes.iter().filter(|c| !c.is_dir && c.kind == weft_fs::FsChangeKind::Created).map(|c| c.path.as_str()).collect();
                for (from, to) in d.follow_renames(&removed, &created) {
                    eds.moved_outside(&from, &to);
                }
            }
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
        // The agent's cursor leaves every document when its turn ends.
        let on_turn_end: crate::agent::TurnEndHook = Arc::new(move || d.agent_done());
        // MCP servers: none starts with the folder (the first agent turn or the MCP list
        // starts them); the project's only once trusted.
        let mcp = weft_mcp::Hub::new(ws.root(), self.settings().0.mcp_servers(), Some(self.inner.paths.data_dir.join("mcp-trust.json")));
        // Sign-ins to remote servers: the user's, for every folder (a file only they can read).
        mcp.set_grants(self.inner.paths.data_dir.join("mcp-oauth.json"));
        // The settings file, not the Api: the Api holds this folder, which holds the agent.
        let settings_file = self.inner.paths.settings_file();
        let mcp_tools = Arc::new(McpTools { hub: mcp.clone(), settings: Arc::new(move || crate::settings::load(&settings_file).0) });
        let env = Arc::new(crate::env::ProjectEnv::new(&self.inner.paths, ws.root()));
        let agents = Arc::new(
            AgentHost::new(ws.clone(), store, self.inner.paths.clone(), &crate::paths::workspace_key(ws.root()))
                .with_extra_tools(mcp_tools)
                .with_turn_end_hook(on_turn_end)
                .with_open_files(Arc::new(OpenDocs(docs.clone())))
                .with_code_intel(Arc::new(LspIntel(lsp.clone())))
                .with_terminals(self.inner.terminals.clone())
                .with_preview(Arc::new(crate::run::RunPreview(self.inner.runs.clone())))
                .with_project_env(env.clone()),
        );
        info!(root = %info.root, "workspace opened in {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        self.remember_recent(&info);
        *self.inner.workspace.write().map_err(ApiError::internal)? =
            Some(Arc::new(OpenWorkspace { ws, checkpoints, _watcher: watcher, listeners, finder, syntax, agents, collab, docs, editors, _merging: merging, git: Mutex::default(), git_touched, lsp, mcp, env }));
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
    pub async fn call(&self, mut request: Value, stream: Option<Stream>) -> Result<Value> {
        use tracing::Instrument;
        // A language request may carry the asking editor's state vector (see
        // handlers::lsp::caught_up): beside the method, not one of its parameters.
        let sv: Option<Vec<u8>> = request.as_object_mut().and_then(|o| o.remove("sv")).and_then(|v| serde_json::from_value(v).ok());
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let method = request.get("method").and_then(Value::as_str).unwrap_or("?").to_owned();
        // Everything a handler logs carries the request's id and method.
        let span = tracing::info_span!("request", id, method = %method);
        let result = async {
            let request: Request = serde_json::from_value(request).map_err(|e| ApiError::bad_request(format!("malformed request: {e}")))?;
            self.inner.shell.allows(request.method())?;
            if let (Some(sv), Some(path)) = (&sv, handlers::lsp::request_path(&request)) {
                handlers::lsp::caught_up(self, path, sv).await;
            }
            handlers::dispatch(self, request, stream).await
        }
        .instrument(span.clone())
        .await;
        if let Err(e) = &result {
            // Every failed request, with its id and method, whatever the transport.
            span.in_scope(|| tracing::warn!(code = %e.code, "{}", e.message));
        }
        result
    }

    /// The same requests for Rust callers (the CLI): typed in, the result as the type the
    /// method table names. The shell's refusals apply as in [`Api::call`].
    pub async fn request<T: serde::de::DeserializeOwned>(&self, request: Request) -> Result<T> {
        let method = request.method();
        self.inner.shell.allows(method)?;
        let value = handlers::dispatch(self, request, None).await?;
        serde_json::from_value(value).map_err(|e| ApiError::internal(format!("{}: unexpected result: {e}", method.name())))
    }

    /// Before Weft writes into the folder: the folder-open checkpoint first.
    fn before_write(&self) {
        if let Ok(c) = self.store() {
            c.baseline();
        }
    }

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
        if let Some(j) = self.inner.joined.lock().ok().and_then(|j| j.clone()) {
            j.cancel(stream_id);
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
            mode: self.inner.shell.name.into(),
            workspace: self.open().ok().map(|o| WorkspaceInfo { root: o.ws.root().display().to_string(), name: o.ws.name() }),
            can_open_folders: self.inner.shell.refuses(Method::OpenWorkspace).is_none(),
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

/// The agent reads open files from their documents (what the user sees).
/// The language servers as the agent asks them (weft_agent::CodeIntel).
struct LspIntel(Arc<weft_lsp::Lsp>);

impl weft_agent::CodeIntel for LspIntel {
    fn diagnostics<'a>(&'a self, path: &'a str, text: String) -> weft_agent::tools::Boxed<'a, Option<Vec<String>>> {
        Box::pin(async move {
            // A server that is still loading the project may take a while the first time.
            let found = self.0.check(path, text, std::time::Duration::from_secs(8)).await?;
            Some(
                found
                    .iter()
                    .filter(|d| matches!(d.severity, weft_lsp::Severity::Error | weft_lsp::Severity::Warning))
                    .map(|d| format!("{}:{} {}: {}", d.line + 1, d.character + 1, if d.severity == weft_lsp::Severity::Error { "error" } else { "warning" }, d.message.replace('\n', " ")))
                    .collect(),
            )
        })
    }

    fn definition<'a>(&'a self, path: &'a str, line: u32, character: u32) -> weft_agent::tools::Boxed<'a, std::result::Result<Vec<String>, String>> {
        Box::pin(async move {
            let found = self.0.locations(path, "textDocument/definition", line, character).await.map_err(|e| e.to_string())?;
            Ok(found.iter().map(|l| format!("{}:{}:{}", l.path, l.line + 1, l.character + 1)).collect())
        })
    }
}

/// The folder's MCP servers as the agent's extra tools. The user's servers are read from
/// the settings at each turn, so a server added there is there for the next turn.
struct McpTools {
    hub: Arc<weft_mcp::Hub>,
    settings: Arc<dyn Fn() -> Settings + Send + Sync>,
}

impl weft_agent::ExtraTools for McpTools {
    fn specs(&self) -> weft_agent::tools::Boxed<'_, Vec<weft_llm::Tool>> {
        Box::pin(async move {
            let s = (self.settings)();
            self.hub.set_user_servers(s.mcp_servers());
            self.hub.set_tool_timeout(std::time::Duration::from_secs(u64::from(s.mcp_tool_timeout_secs)));
            self.hub.tools().await.into_iter().map(|t| weft_llm::Tool { name: t.name, description: t.description, input_schema: t.input_schema }).collect()
        })
    }

    fn call<'a>(&'a self, name: &'a str, input: &'a serde_json::Value) -> weft_agent::tools::Boxed<'a, weft_agent::Outcome> {
        Box::pin(async move {
            let r = self.hub.call(name, input).await;
            let mut o = if r.is_error { weft_agent::Outcome::err(r.text) } else { weft_agent::Outcome::ok(r.text) };
            for (mime, data) in r.images {
                // A picture no model could take is said so, not sent.
                match weft_llm::ImageSource::from_base64(&mime, &data) {
                    Ok(image) => o.images.push(image),
                    Err(e) => o.content.push_str(&format!("\n(an image was left out: {e})")),
                }
            }
            o
        })
    }
}

struct OpenDocs(Arc<weft_doc::Documents>);

impl weft_agent::OpenFiles for OpenDocs {
    fn text(&self, path: &str) -> Option<(String, weft_fs::Encoding)> {
        self.0.file_text(path)
    }

    fn write(&self, path: &str, read: &str, text: &str) -> Option<std::result::Result<(), String>> {
        self.0.get(path)?;
        Some(self.0.agent_edit(path, read, text).map_err(|e| e.to_string()))
    }
}

fn collab_status(host: Option<&weft_collab::WorkspaceHost>) -> CollabStatus {
    CollabStatus {
        url: host.map(|h| h.url()),
        self_link: host.map(|h| h.self_link()),
        fingerprint: host.and_then(|h| h.fingerprint.clone()),
        terminals: host.map(|h| h.shared_terminals().iter().map(|t| CollabTerminal { id: t.id, writable: t.writable() }).collect()).unwrap_or_default(),
        previews: host.map(|h| h.shared_previews().into_iter().map(|(port, title)| crate::dto::CollabPreview { port, title }).collect()).unwrap_or_default(),
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

fn pretty(v: &impl Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

fn write_json(path: &Path, v: &impl Serialize) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    atomic_write(path, pretty(v).as_bytes())
}
