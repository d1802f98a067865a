//! Language servers for a workspace: which server speaks which language (the built-in
//! list, plus any configured), each started on demand when a file of its language opens
//! and the server is installed (else one notice with the install hint), restarted with
//! backoff when it crashes (its documents opened again, so diagnostics come back), shut
//! down with the workspace. Documents are synced whole on each change (servers differ in
//! their incremental support; a full text is always right); positions are UTF-16, as the
//! protocol's default and as the editor counts. Diagnostics and server states are events;
//! requests (hover, definition, completion, references) return plain shapes.
//!
//! The connection itself is ./rpc.rs. A server's stderr goes to the log.

pub mod rpc;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rpc::{Connection, Notification, RpcError};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{broadcast, mpsc, Notify};
use tracing::{info, warn};

/// How long a server may take to answer `initialize` (a big TypeScript project is slow).
const INIT_TIMEOUT: Duration = Duration::from_secs(60);
/// A request's answer is waited for this long; an editor request must never hang.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Crashes within this window count towards giving up.
const CRASH_WINDOW: Duration = Duration::from_secs(120);
const MAX_CRASHES: usize = 5;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum LspError {
    #[error("no language server for {0}")]
    NoServer(String),
    #[error("{0} is not installed: {1}")]
    Missing(String, String),
    #[error("the language server stopped: {0}")]
    Failed(String),
    #[error("{0}")]
    Rpc(#[from] RpcError),
}

/// A server: its command, the languages it serves and how to install it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerSpec {
    pub name: String,
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// LSP language ids (`typescript`, `python`…).
    pub languages: Vec<String>,
    #[serde(default)]
    pub initialization_options: Option<Value>,
    /// The server's settings (`workspace/didChangeConfiguration`, and the answers to its
    /// `workspace/configuration` by section): `{"gopls": {"staticcheck": true}}`.
    #[serde(default)]
    pub settings: Option<Value>,
    #[serde(default)]
    pub install_hint: String,
}

fn spec(name: &str, command: &str, args: &[&str], languages: &[&str], hint: &str) -> ServerSpec {
    ServerSpec { name: name.into(), command: command.into(), args: args.iter().map(|s| s.to_string()).collect(), languages: languages.iter().map(|s| s.to_string()).collect(), initialization_options: None, settings: None, install_hint: hint.into() }
}

/// TypeScript computes inlay hints only when asked and only the kinds its preferences
/// name (all off by default): every kind on, so the editor's setting alone decides
/// whether they show.
fn typescript_settings() -> Value {
    let hints = json!({"inlayHints": {
        "includeInlayParameterNameHints": "literals",
        "includeInlayParameterNameHintsWhenArgumentMatchesName": false,
        "includeInlayFunctionParameterTypeHints": true,
        "includeInlayVariableTypeHints": true,
        "includeInlayVariableTypeHintsWhenTypeMatchesName": false,
        "includeInlayPropertyDeclarationTypeHints": true,
        "includeInlayFunctionLikeReturnTypeHints": true,
        "includeInlayEnumMemberValueHints": true,
    }});
    json!({"typescript": hints, "javascript": hints})
}

/// The servers Weft knows, in order of preference per language.
pub fn builtin_specs() -> Vec<ServerSpec> {
    vec![
        ServerSpec { settings: Some(typescript_settings()), ..spec("typescript-language-server", "typescript-language-server", &["--stdio"], &["typescript", "typescriptreact", "javascript", "javascriptreact"], "npm install -g typescript-language-server typescript") },
        spec("pyright", "pyright-langserver", &["--stdio"], &["python"], "npm install -g pyright (or pip install pyright)"),
        spec("basedpyright", "basedpyright-langserver", &["--stdio"], &["python"], "pip install basedpyright"),
        spec("pylsp", "pylsp", &[], &["python"], "pip install python-lsp-server"),
        spec("rust-analyzer", "rust-analyzer", &[], &["rust"], "rustup component add rust-analyzer"),
        spec("gopls", "gopls", &[], &["go"], "go install golang.org/x/tools/gopls@latest"),
        spec("clangd", "clangd", &[], &["c", "cpp"], "apt install clangd (or your platform's LLVM package)"),
    ]
}

/// The LSP language id of a file, by its name.
pub fn language_of(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    Some(match ext.as_str() {
        "ts" | "mts" | "cts" => "typescript",
        "tsx" => "typescriptreact",
        "js" | "mjs" | "cjs" => "javascript",
        "jsx" => "javascriptreact",
        "py" | "pyi" => "python",
        "rs" => "rust",
        "go" => "go",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => "cpp",
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspSeverity"))]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

/// A diagnostic, positions as the protocol gives them (0-based lines, UTF-16 columns).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspDiagnostic"))]
pub struct Diagnostic {
    pub line: u32,
    pub character: u32,
    pub end_line: u32,
    pub end_character: u32,
    pub severity: Severity,
    pub message: String,
    pub source: Option<String>,
    pub code: Option<String>,
}

/// A place in a file of the workspace (a definition, a reference).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspLocation"))]
pub struct Location {
    /// Workspace-relative; outside the workspace: absolute.
    pub path: String,
    pub line: u32,
    pub character: u32,
    pub end_line: u32,
    pub end_character: u32,
}

/// A completion item, as much as the editor shows and applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspCompletion"))]
pub struct Completion {
    pub label: String,
    /// The protocol's CompletionItemKind (1 text … 25 type parameter).
    pub kind: Option<u32>,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    /// What to insert (the label when the server gives nothing else).
    pub insert: String,
    /// The range the insert replaces, when the server names one (same line as the cursor).
    pub replace_from: Option<u32>,
    pub replace_to: Option<u32>,
    pub sort_text: Option<String>,
    pub filter_text: Option<String>,
    /// Edits elsewhere that come with it (an auto-import at the top of the file).
    pub additional_edits: Vec<TextEdit>,
    /// Typing one of these while the item is selected accepts it, then types the
    /// character (`.` after a member: `obj.member.`).
    pub commit_characters: Vec<String>,
    /// The server's item as it sent it, when the server fills it in on request
    /// (`completionItem/resolve`: the docs, the auto-import): given back to [`Lsp::resolve_completion`].
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub resolve: Option<Value>,
}

/// The signature being called at the cursor (while typing arguments).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspSignature"))]
pub struct Signature {
    /// `fn(a: number, b: string): void`
    pub label: String,
    pub documentation: Option<String>,
    /// The active parameter's part of `label` (UTF-16 offsets), when the server says.
    pub active: Option<(u32, u32)>,
    /// Other overloads, when there are several (1 of 3).
    pub index: u32,
    pub count: u32,
}

/// A label the server draws inside the code without it being text: a parameter's name
/// before an argument, an inferred type after a variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspInlayHint"))]
pub struct InlayHint {
    pub line: u32,
    pub character: u32,
    pub label: String,
    /// `type` or `parameter` (the protocol's kinds), when the server says.
    pub kind: Option<String>,
    pub padding_left: bool,
    pub padding_right: bool,
    pub tooltip: Option<String>,
}

/// The token types and modifiers Weft understands (the protocol's standard names); a
/// server's legend may name others, which are passed on as they are.
const TOKEN_TYPES: &[&str] = &[
    "namespace", "type", "class", "enum", "interface", "struct", "typeParameter", "parameter", "variable", "property", "enumMember",
    "event", "function", "method", "macro", "keyword", "modifier", "comment", "string", "number", "regexp", "operator", "decorator",
];
const TOKEN_MODIFIERS: &[&str] = &["declaration", "definition", "readonly", "static", "deprecated", "abstract", "async", "modification", "documentation", "defaultLibrary"];

/// A file's semantic tokens (what each name is, by the server's understanding: a
/// parameter, a readonly variable, a type), absolute: five numbers per token in `data`
/// (line, UTF-16 column, length, index into `types`, bit set over `modifiers`). Flat
/// because a large file has tens of thousands of tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspSemanticTokens"))]
pub struct SemanticTokens {
    pub types: Vec<String>,
    pub modifiers: Vec<String>,
    pub data: Vec<u32>,
}

/// The protocol's relative encoding (each token's line and column from the previous
/// token's) made absolute; a data array that does not come in fives loses its tail.
fn absolute_tokens(data: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(data.len());
    let (mut line, mut col) = (0u32, 0u32);
    for t in data.chunks_exact(5) {
        if t[0] > 0 {
            line = line.saturating_add(t[0]);
            col = t[1];
        } else {
            col = col.saturating_add(t[1]);
        }
        out.extend_from_slice(&[line, col, t[2], t[3], t[4]]);
    }
    out
}

/// A definition a server found by name (workspace/symbol).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceSymbol {
    pub name: String,
    /// The protocol's SymbolKind by name (`function`, `class`…).
    pub kind: String,
    pub container: Option<String>,
    pub path: String,
    pub line: u32,
    pub character: u32,
    pub server: String,
}

/// The protocol's SymbolKind numbers, by the names the symbol index uses.
fn symbol_kind(k: u64) -> &'static str {
    match k {
        2 => "module",
        3 => "namespace",
        5 => "class",
        6 => "method",
        7 => "property",
        8 => "field",
        9 => "constructor",
        10 => "enum",
        11 => "interface",
        12 => "function",
        13 => "variable",
        14 => "constant",
        22 => "enum member",
        23 => "struct",
        26 => "type parameter",
        _ => "symbol",
    }
}

/// A quick fix or refactoring the server offers for a range: its edits, ready to apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspCodeAction"))]
pub struct CodeAction {
    pub title: String,
    /// `quickfix`, `refactor.extract`, `source.organizeImports`…
    pub kind: Option<String>,
    /// The server's preferred fix for the problem.
    pub preferred: bool,
    pub edits: Vec<FileEdit>,
}

/// One replacement in a file, in protocol positions (0-based lines, UTF-16 columns).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspTextEdit"))]
pub struct TextEdit {
    pub line: u32,
    pub character: u32,
    pub end_line: u32,
    pub end_character: u32,
    pub new_text: String,
}

/// A file's edits of a workspace edit (a rename's).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspFileEdit"))]
pub struct FileEdit {
    /// Workspace-relative; outside the workspace: absolute (and not applied).
    pub path: String,
    pub edits: Vec<TextEdit>,
}

/// `text` with `edits` applied (protocol positions; the edits do not overlap, as the
/// protocol requires). Positions past a line's end are clamped to it.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    // Byte offsets of each line's start.
    let mut starts = vec![0usize];
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            starts.push(i + 1);
        }
    }
    let offset = |line: u32, character: u32| -> usize {
        let Some(&start) = starts.get(line as usize) else { return text.len() };
        let end = starts.get(line as usize + 1).map_or(text.len(), |e| e - 1);
        let mut units = 0u32;
        for (i, c) in text[start..end].char_indices() {
            if units >= character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        end
    };
    let mut spans: Vec<(usize, usize, &str)> = edits.iter().map(|e| (offset(e.line, e.character), offset(e.end_line, e.end_character), e.new_text.as_str())).collect();
    spans.sort_by_key(|s| (s.0, s.1));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (from, to, new) in spans {
        if from < at {
            continue; // overlapping: not allowed by the protocol; the first wins
        }
        out.push_str(&text[at..from]);
        out.push_str(new);
        at = to.max(from);
    }
    out.push_str(&text[at..]);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspServerState"))]
pub enum ServerState {
    Starting,
    Running,
    /// It crashed and is being started again.
    Restarting,
    /// Not installed: the message has the install hint.
    Missing,
    /// Gave up after crashing repeatedly (or it never initialised).
    Failed,
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LspEvent"))]
pub enum LspEvent {
    /// A file's diagnostics, all of them (replacing the previous ones).
    Diagnostics { path: String, diagnostics: Vec<Diagnostic> },
    Server { server: String, state: ServerState, message: String },
}

struct Running {
    conn: Arc<Connection>,
    caps: Value,
    child: Mutex<Option<tokio::process::Child>>,
}

enum Slot {
    Starting(Arc<Notify>),
    Running(Arc<Running>),
    Missing(String),
    Failed(String),
}

struct Doc {
    lang: &'static str,
    version: i32,
    text: String,
    /// The server's latest diagnostics, and the version they were published for (when the
    /// server says).
    diagnostics: Option<(Option<i32>, Vec<Diagnostic>)>,
    /// The same, as the server sent them: code actions are asked with them.
    raw_diagnostics: Option<Vec<Value>>,
}

struct State {
    servers: HashMap<String, Slot>,
    docs: HashMap<String, Doc>,
    crashes: HashMap<String, Vec<Instant>>,
    stopped: bool,
    /// Servers wait for [`Lsp::release`] (the app's start-up): these start then.
    held: Option<Vec<(ServerSpec, PathBuf)>>,
    /// The runtime servers run on (taken from the first caller that has one).
    runtime: Option<tokio::runtime::Handle>,
}

/// A language's server and where its command was found (None: not installed).
type Choice = Option<(ServerSpec, Option<PathBuf>)>;

/// The language servers of one workspace.
pub struct Lsp {
    root: PathBuf,
    specs: Vec<ServerSpec>,
    /// Where servers are looked for besides the PATH (the workspace's node_modules/.bin).
    search: Vec<PathBuf>,
    /// Each language's server as first looked up (found on the PATH or not): every
    /// change and request asks, and the PATH is not searched on each keystroke. Like a
    /// server's slot, it holds until the folder is opened again.
    chosen: Mutex<HashMap<String, Choice>>,
    state: Arc<Mutex<State>>,
    events: broadcast::Sender<LspEvent>,
    me: std::sync::Weak<Lsp>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Lsp {
    /// `configured` servers come before the built-in ones (a language's first installed
    /// server is used). Servers start at once; see [`Lsp::held`] for an app's start-up.
    pub fn new(root: &Path, configured: Vec<ServerSpec>, search: Vec<PathBuf>) -> Arc<Lsp> {
        let lsp = Self::held(root, configured, search);
        lsp.release();
        lsp
    }

    /// As [`Lsp::new`], but no server starts before [`Lsp::release`]: files opened before
    /// then are remembered and their servers start on release (after the app's first frame).
    pub fn held(root: &Path, configured: Vec<ServerSpec>, search: Vec<PathBuf>) -> Arc<Lsp> {
        let mut specs = configured;
        specs.extend(builtin_specs());
        let mut search = search;
        search.push(root.join("node_modules").join(".bin"));
        let (events, _) = broadcast::channel(1024);
        Arc::new_cyclic(|me| Lsp {
            root: root.to_owned(),
            specs,
            search,
            chosen: Mutex::default(),
            state: Arc::new(Mutex::new(State { servers: HashMap::new(), docs: HashMap::new(), crashes: HashMap::new(), stopped: false, held: Some(vec![]), runtime: tokio::runtime::Handle::try_current().ok() })),
            events,
            me: me.clone(),
        })
    }

    /// Servers may start (the ones files opened meanwhile need start now).
    pub fn release(&self) {
        let held = lock(&self.state).held.take().unwrap_or_default();
        for (spec, bin) in held {
            self.spawn_start(spec, bin, Duration::ZERO);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LspEvent> {
        self.events.subscribe()
    }

    fn emit(&self, e: LspEvent) {
        let _ = self.events.send(e);
    }

    /// The server for a language: the first configured or built-in one that is installed
    /// (else the first, to say it is missing).
    fn spec_for(&self, lang: &str) -> Choice {
        lock(&self.chosen).entry(lang.to_owned()).or_insert_with(|| self.look_up(lang)).clone()
    }

    fn look_up(&self, lang: &str) -> Choice {
        let candidates: Vec<&ServerSpec> = self.specs.iter().filter(|s| s.languages.iter().any(|l| l == lang)).collect();
        for s in &candidates {
            if let Some(p) = self.find(&s.command) {
                return Some(((*s).clone(), Some(p)));
            }
        }
        candidates.first().map(|s| ((*s).clone(), None))
    }

    fn find(&self, command: &str) -> Option<PathBuf> {
        weft_pty::process::find_program(command, &self.search)
    }

    /// A file was opened (its text as the editor holds it).
    pub fn open(&self, path: &str, text: String) {
        let Some(lang) = language_of(path) else { return };
        let Some((spec, found)) = self.spec_for(lang) else { return };
        let running = {
            let mut st = lock(&self.state);
            if st.stopped {
                return;
            }
            if st.runtime.is_none() {
                st.runtime = tokio::runtime::Handle::try_current().ok();
            }
            st.docs.insert(path.to_owned(), Doc { lang, version: 1, text: text.clone(), diagnostics: None, raw_diagnostics: None });
            match st.servers.get(&spec.name) {
                Some(Slot::Running(r)) => Some(r.clone()),
                Some(_) => None,
                None => {
                    match found {
                        Some(bin) => {
                            st.servers.insert(spec.name.clone(), Slot::Starting(Arc::new(Notify::new())));
                            match &mut st.held {
                                Some(held) => held.push((spec.clone(), bin)),
                                None => {
                                    drop(st);
                                    self.spawn_start(spec.clone(), bin, Duration::ZERO);
                                }
                            }
                        }
                        None => {
                            let msg = format!("{} is not installed: {}", spec.command, spec.install_hint);
                            st.servers.insert(spec.name.clone(), Slot::Missing(msg.clone()));
                            drop(st);
                            self.emit(LspEvent::Server { server: spec.name.clone(), state: ServerState::Missing, message: msg });
                        }
                    }
                    None
                }
            }
        };
        if let Some(r) = running {
            r.conn.notify("textDocument/didOpen", json!({"textDocument": {"uri": self.uri(path), "languageId": lang, "version": 1, "text": text}}));
        }
    }

    /// The file's text changed (the whole new text).
    pub fn change(&self, path: &str, text: String) {
        let (version, running) = {
            let mut st = lock(&self.state);
            let Some(doc) = st.docs.get_mut(path) else { return };
            if doc.text == text {
                return;
            }
            doc.version += 1;
            doc.text = text.clone();
            let (v, lang) = (doc.version, doc.lang);
            (v, self.running_for(&st, lang))
        };
        if let Some(r) = running {
            r.conn.notify("textDocument/didChange", json!({"textDocument": {"uri": self.uri(path), "version": version}, "contentChanges": [{"text": text}]}));
        }
    }

    pub fn close(&self, path: &str) {
        let running = {
            let mut st = lock(&self.state);
            let Some(doc) = st.docs.remove(path) else { return };
            self.running_for(&st, doc.lang)
        };
        if let Some(r) = running {
            r.conn.notify("textDocument/didClose", json!({"textDocument": {"uri": self.uri(path)}}));
        }
        self.emit(LspEvent::Diagnostics { path: path.to_owned(), diagnostics: vec![] });
    }

    fn running_for(&self, st: &State, lang: &str) -> Option<Arc<Running>> {
        let (spec, _) = self.spec_for(lang)?;
        match st.servers.get(&spec.name) {
            Some(Slot::Running(r)) => Some(r.clone()),
            _ => None,
        }
    }

    /// The running server for `path`'s language, waiting while it starts.
    async fn server_for(&self, path: &str) -> Result<Arc<Running>, LspError> {
        let lang = language_of(path).ok_or_else(|| LspError::NoServer(path.to_owned()))?;
        let (spec, _) = self.spec_for(lang).ok_or_else(|| LspError::NoServer(lang.to_owned()))?;
        let deadline = Instant::now() + INIT_TIMEOUT;
        loop {
            let wait = {
                let st = lock(&self.state);
                match st.servers.get(&spec.name) {
                    Some(Slot::Running(r)) => return Ok(r.clone()),
                    Some(Slot::Starting(n)) => n.clone(),
                    Some(Slot::Missing(m)) => return Err(LspError::Missing(spec.command.clone(), m.clone())),
                    Some(Slot::Failed(why)) => return Err(LspError::Failed(format!("{}: {why}", spec.name))),
                    None => return Err(LspError::NoServer(format!("{lang} (no file of it is open)"))),
                }
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(LspError::Rpc(RpcError::Timeout { method: "initialize".into(), secs: INIT_TIMEOUT.as_secs() }));
            }
            // Polled as well: a start that finished between the check and this wait
            // notified nobody.
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), wait.notified()).await;
        }
    }

    fn uri(&self, path: &str) -> String {
        let p = if Path::new(path).is_absolute() { PathBuf::from(path) } else { self.root.join(path) };
        path_to_uri(&p)
    }

    /// A URI from the server as a workspace-relative path (absolute outside it).
    fn rel(&self, uri: &str) -> String {
        let p = uri_to_path(uri);
        match p.strip_prefix(&self.root) {
            Ok(r) => r.to_string_lossy().replace('\\', "/"),
            Err(_) => p.to_string_lossy().into_owned(),
        }
    }

    fn spawn_start(&self, spec: ServerSpec, bin: PathBuf, delay: Duration) {
        let Some(me) = self.me.upgrade() else { return };
        let Some(rt) = lock(&self.state).runtime.clone() else {
            warn!("lsp: no runtime to start {} on", spec.name);
            return;
        };
        rt.spawn(async move {
            tokio::time::sleep(delay).await;
            me.start(spec, bin).await;
        });
    }

    async fn start(self: Arc<Self>, spec: ServerSpec, bin: PathBuf) {
        self.emit(LspEvent::Server { server: spec.name.clone(), state: ServerState::Starting, message: format!("starting {}", spec.name) });
        match self.launch(&spec, &bin).await {
            Ok((running, closed)) => {
                let docs: Option<Vec<(String, &'static str, i32, String)>> = {
                    let mut st = lock(&self.state);
                    if st.stopped {
                        None
                    } else {
                        let prev = st.servers.insert(spec.name.clone(), Slot::Running(running.clone()));
                        if let Some(Slot::Starting(n)) = prev {
                            n.notify_waiters();
                        }
                        Some(st.docs.iter().filter(|(_, d)| spec.languages.iter().any(|l| l == d.lang)).map(|(p, d)| (p.clone(), d.lang, d.version, d.text.clone())).collect())
                    }
                };
                // The workspace closed while it started.
                let Some(docs) = docs else {
                    shutdown(&running).await;
                    return;
                };
                for (path, lang, version, text) in docs {
                    running.conn.notify("textDocument/didOpen", json!({"textDocument": {"uri": self.uri(&path), "languageId": lang, "version": version, "text": text}}));
                }
                info!("lsp: {} is running", spec.name);
                self.emit(LspEvent::Server { server: spec.name.clone(), state: ServerState::Running, message: format!("{} is running", spec.name) });
                // Weak: the servers must not keep their workspace's Lsp alive.
                let me = Arc::downgrade(&self);
                tokio::spawn(async move {
                    let _ = closed.await;
                    if let Some(me) = me.upgrade() {
                        me.exited(spec, bin, running).await;
                    }
                });
            }
            Err(e) => {
                warn!("lsp: {} failed to start: {e}", spec.name);
                let why = format!("failed to start: {e}");
                self.crashed(spec, bin, why);
            }
        }
    }

    async fn launch(&self, spec: &ServerSpec, bin: &Path) -> Result<(Arc<Running>, tokio::sync::oneshot::Receiver<()>), String> {
        let mut cmd = tokio::process::Command::from(weft_pty::process::background_command(bin));
        cmd.args(&spec.args).current_dir(&self.root).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| e.to_string())?;
        let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (Some(stdin), Some(stdout)) = (stdin, stdout) else { return Err("no stdio".into()) };
        // The last thing the server said on stderr: why it would not start, in its words
        // (a rustup proxy without its component says how to add it).
        let last_words: Arc<Mutex<Option<String>>> = Arc::default();
        if let Some(stderr) = stderr {
            let (name, last) = (spec.name.clone(), last_words.clone());
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    info!(target: "lsp", "{name}: {l}");
                    if !l.trim().is_empty() {
                        *lock(&last) = Some(l.trim().chars().take(300).collect());
                    }
                }
            });
        }
        let (ntx, nrx) = mpsc::unbounded_channel();
        let (conn, closed) = Connection::start(BufReader::new(stdout), stdin, ntx);
        self.spawn_notifications(spec.name.clone(), nrx);
        let params = json!({
            "processId": std::process::id(),
            "clientInfo": {"name": "Weft"},
            "rootUri": path_to_uri(&self.root),
            "rootPath": self.root.to_string_lossy(),
            "workspaceFolders": [{"uri": path_to_uri(&self.root), "name": self.root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()}],
            "initializationOptions": spec.initialization_options.clone().unwrap_or(Value::Null),
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "workspace": {"configuration": true, "workspaceFolders": true, "applyEdit": false},
                "window": {"workDoneProgress": false},
                "textDocument": {
                    "synchronization": {"didSave": false, "willSave": false, "dynamicRegistration": false},
                    "publishDiagnostics": {"relatedInformation": false, "versionSupport": true},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "completion": {"completionItem": {"snippetSupport": false, "commitCharactersSupport": true, "documentationFormat": ["markdown", "plaintext"], "insertReplaceSupport": false, "resolveSupport": {"properties": ["documentation", "detail", "additionalTextEdits"]}}, "contextSupport": true},
                    "definition": {"linkSupport": false},
                    "typeDefinition": {"linkSupport": false},
                    "implementation": {"linkSupport": false},
                    "references": {},
                    "rename": {"prepareSupport": false},
                    "signatureHelp": {"signatureInformation": {"documentationFormat": ["markdown", "plaintext"], "parameterInformation": {"labelOffsetSupport": true}, "activeParameterSupport": true}},
                    "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["", "quickfix", "refactor", "refactor.extract", "refactor.inline", "refactor.rewrite", "source", "source.organizeImports", "source.fixAll"]}}, "isPreferredSupport": true, "resolveSupport": {"properties": ["edit"]}, "dataSupport": true},
                    "formatting": {},
                    "documentHighlight": {},
                    "inlayHint": {"resolveSupport": {"properties": []}},
                    "semanticTokens": {
                        "requests": {"full": true, "range": false},
                        "tokenTypes": TOKEN_TYPES,
                        "tokenModifiers": TOKEN_MODIFIERS,
                        "formats": ["relative"],
                        "overlappingTokenSupport": false,
                        "multilineTokenSupport": false,
                    },
                }
            }
        });
        let init = conn.request("initialize", params, INIT_TIMEOUT).await;
        let caps = match init {
            Ok(v) => v.get("capabilities").cloned().unwrap_or(Value::Null),
            Err(e) => {
                let _ = child.start_kill();
                // Its stderr may still be arriving.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Err(match lock(&last_words).take() {
                    Some(said) => format!("{e}: it said \"{said}\""),
                    None => e.to_string(),
                });
            }
        };
        conn.notify("initialized", json!({}));
        // Some servers (pyright) wait for settings before their first analysis: the spec's,
        // or none (their defaults).
        conn.configure(spec.settings.clone().unwrap_or_else(|| json!({})));
        Ok((Arc::new(Running { conn, caps, child: Mutex::new(Some(child)) }), closed))
    }

    fn spawn_notifications(&self, server: String, mut rx: mpsc::UnboundedReceiver<Notification>) {
        let Some(me) = self.me.upgrade() else { return };
        let weak = Arc::downgrade(&me);
        drop(me);
        tokio::spawn(async move {
            while let Some(n) = rx.recv().await {
                let Some(me) = weak.upgrade() else { break };
                match n.method.as_str() {
                    "textDocument/publishDiagnostics" => {
                        let path = me.rel(n.params["uri"].as_str().unwrap_or(""));
                        let diagnostics: Vec<Diagnostic> = n.params["diagnostics"].as_array().map(|a| a.iter().filter_map(diagnostic).collect()).unwrap_or_default();
                        {
                            // Only for files still open: a late report for a closed file is stale.
                            let mut st = lock(&me.state);
                            let Some(doc) = st.docs.get_mut(&path) else { continue };
                            let version = n.params["version"].as_i64().map(|v| v as i32);
                            doc.diagnostics = Some((version, diagnostics.clone()));
                            doc.raw_diagnostics = n.params["diagnostics"].as_array().cloned();
                        }
                        me.emit(LspEvent::Diagnostics { path, diagnostics });
                    }
                    "window/showMessage" if n.params["type"].as_u64() == Some(1) => {
                        me.emit(LspEvent::Server { server: server.clone(), state: ServerState::Running, message: n.params["message"].as_str().unwrap_or("").to_owned() });
                    }
                    "window/logMessage" => info!(target: "lsp", "{server}: {}", n.params["message"].as_str().unwrap_or("")),
                    _ => {}
                }
            }
        });
    }

    /// The server's output ended: stopped on purpose, or crashed (started again).
    async fn exited(self: Arc<Self>, spec: ServerSpec, bin: PathBuf, running: Arc<Running>) {
        let status = {
            let child = lock(&running.child).take();
            match child {
                Some(mut c) => c.wait().await.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
                None => "stopped".into(),
            }
        };
        if lock(&self.state).stopped {
            return;
        }
        warn!("lsp: {} exited ({status})", spec.name);
        self.crashed(spec, bin, format!("exited ({status})"));
    }

    fn crashed(&self, spec: ServerSpec, bin: PathBuf, why: String) {
        let mut st = lock(&self.state);
        if st.stopped {
            return;
        }
        let now = Instant::now();
        let times = st.crashes.entry(spec.name.clone()).or_default();
        times.retain(|t| now.duration_since(*t) < CRASH_WINDOW);
        times.push(now);
        let n = times.len();
        let notify = match st.servers.get(&spec.name) {
            Some(Slot::Starting(n)) => Some(n.clone()),
            _ => None,
        };
        if n >= MAX_CRASHES {
            st.servers.insert(spec.name.clone(), Slot::Failed(why.clone()));
            drop(st);
            if let Some(w) = notify {
                w.notify_waiters();
            }
            self.emit(LspEvent::Server { server: spec.name.clone(), state: ServerState::Failed, message: format!("{}: {why}; stopped after {n} crashes (reopen the folder to try again)", spec.name) });
            return;
        }
        st.servers.insert(spec.name.clone(), Slot::Starting(notify.unwrap_or_else(|| Arc::new(Notify::new()))));
        drop(st);
        // 0.5 s, 1 s, 2 s, 4 s…
        let delay = Duration::from_millis(500 << (n - 1).min(6));
        self.emit(LspEvent::Server { server: spec.name.clone(), state: ServerState::Restarting, message: format!("{}: {why}; restarting in {:.1} s", spec.name, delay.as_secs_f64()) });
        self.spawn_start(spec, bin, delay);
    }

    /// Asks the server of `path`'s language.
    pub async fn request(&self, path: &str, method: &str, params: Value) -> Result<Value, LspError> {
        let r = self.server_for(path).await?;
        Ok(r.conn.request(method, params, REQUEST_TIMEOUT).await?)
    }

    fn at(&self, path: &str, line: u32, character: u32) -> Value {
        json!({"textDocument": {"uri": self.uri(path)}, "position": {"line": line, "character": character}})
    }

    /// Hover: the server's text (Markdown), None when it has nothing there.
    pub async fn hover(&self, path: &str, line: u32, character: u32) -> Result<Option<String>, LspError> {
        let v = self.request(path, "textDocument/hover", self.at(path, line, character)).await?;
        Ok(markup(&v["contents"]).filter(|s| !s.trim().is_empty()))
    }

    /// Definition (`textDocument/definition`), type definition, implementation, references.
    pub async fn locations(&self, path: &str, method: &str, line: u32, character: u32) -> Result<Vec<Location>, LspError> {
        let mut params = self.at(path, line, character);
        if method == "textDocument/references" {
            params["context"] = json!({"includeDeclaration": true});
        }
        let v = self.request(path, method, params).await?;
        let items = match &v {
            Value::Array(a) => a.clone(),
            Value::Null => vec![],
            one => vec![one.clone()],
        };
        Ok(items.iter().filter_map(|l| self.location(l)).collect())
    }

    fn location(&self, l: &Value) -> Option<Location> {
        // Location or LocationLink.
        let uri = l["uri"].as_str().or_else(|| l["targetUri"].as_str())?;
        let range = if l["range"].is_object() { &l["range"] } else if l["targetSelectionRange"].is_object() { &l["targetSelectionRange"] } else { &l["targetRange"] };
        let n = |v: &Value| v.as_u64().unwrap_or(0) as u32;
        Some(Location { path: self.rel(uri), line: n(&range["start"]["line"]), character: n(&range["start"]["character"]), end_line: n(&range["end"]["line"]), end_character: n(&range["end"]["character"]) })
    }

    /// Completion at a position.
    pub async fn completion(&self, path: &str, line: u32, character: u32) -> Result<Vec<Completion>, LspError> {
        let r = self.server_for(path).await?;
        let v = r.conn.request("textDocument/completion", self.at(path, line, character), REQUEST_TIMEOUT).await?;
        let items = v.get("items").and_then(Value::as_array).or_else(|| v.as_array()).cloned().unwrap_or_default();
        // An item without its own commit characters has the list's, else the server's.
        let mut commit = strings(&v["itemDefaults"]["commitCharacters"]);
        if commit.is_empty() {
            commit = strings(&r.caps["completionProvider"]["allCommitCharacters"]);
        }
        // Servers send everything in scope (TypeScript: thousands, the auto-importable names
        // last) and leave filtering to the client: filter by the word typed before the
        // cursor first (its letters in order, as the editor's own matching does), so the
        // cap keeps what can match.
        let typed = {
            let st = lock(&self.state);
            st.docs.get(path).map(|d| word_before(&d.text, line, character)).unwrap_or_default()
        };
        let fits = |c: &Value| {
            let name = c["filterText"].as_str().or(c["label"].as_str()).unwrap_or("").to_lowercase();
            let mut chars = name.chars();
            typed.chars().all(|t| chars.any(|n| n == t))
        };
        Ok(items
            .iter()
            .filter(|c| fits(c))
            .take(500)
            .map(|c| {
                let mut c = completion(c);
                if c.commit_characters.is_empty() {
                    c.commit_characters = commit.clone();
                }
                c
            })
            .collect())
    }

    /// The diagnostics of `path` with `text` in it (the agent's edit): the server's answer
    /// to this text, waited for up to `wait`. A file no editor has open is opened for the
    /// question and closed after. None when no server speaks its language or none
    /// answered in time (a server still indexing).
    pub async fn check(&self, path: &str, text: String, wait: Duration) -> Option<Vec<Diagnostic>> {
        let lang = language_of(path)?;
        self.spec_for(lang)?.1?;
        let mut events = self.subscribe();
        let (was_open, same) = {
            let st = lock(&self.state);
            match st.docs.get(path) {
                Some(d) => (true, d.text == text),
                None => (false, false),
            }
        };
        if same {
            // Nothing new to send: the last answer is for this text, if there is one.
            let st = lock(&self.state);
            if let Some((_, d)) = st.docs.get(path).and_then(|d| d.diagnostics.clone()) {
                return Some(d);
            }
        } else if was_open {
            self.change(path, text);
        } else {
            self.open(path, text);
        }
        let end = tokio::time::Instant::now() + wait;
        let got = loop {
            match tokio::time::timeout_at(end, events.recv()).await {
                Ok(Ok(LspEvent::Diagnostics { path: p, diagnostics })) if p == path => break Some(diagnostics),
                Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(_)) | Err(_) => break None,
            }
        };
        if !was_open {
            self.close(path);
        }
        got
    }

    /// The edits renaming the symbol at a position to `new_name` would make, per file.
    pub async fn rename(&self, path: &str, line: u32, character: u32, new_name: &str) -> Result<Vec<FileEdit>, LspError> {
        let mut params = self.at(path, line, character);
        params["newName"] = json!(new_name);
        let v = self.request(path, "textDocument/rename", params).await?;
        let edit = |e: &Value| {
            let r = &e["range"];
            let n = |v: &Value| v.as_u64().unwrap_or(0) as u32;
            TextEdit { line: n(&r["start"]["line"]), character: n(&r["start"]["character"]), end_line: n(&r["end"]["line"]), end_character: n(&r["end"]["character"]), new_text: e["newText"].as_str().unwrap_or("").to_owned() }
        };
        let mut files: Vec<FileEdit> = vec![];
        if let Some(changes) = v["changes"].as_object() {
            for (uri, edits) in changes {
                files.push(FileEdit { path: self.rel(uri), edits: edits.as_array().map(|a| a.iter().map(edit).collect()).unwrap_or_default() });
            }
        }
        for dc in v["documentChanges"].as_array().into_iter().flatten() {
            match dc["textDocument"]["uri"].as_str() {
                Some(uri) => files.push(FileEdit { path: self.rel(uri), edits: dc["edits"].as_array().map(|a| a.iter().map(edit).collect()).unwrap_or_default() }),
                // Creating, renaming or deleting files: not what a symbol rename should do here.
                None => return Err(LspError::Rpc(RpcError::Server { code: 0, message: format!("the server's rename also {} files, which Weft does not apply", dc["kind"].as_str().unwrap_or("changes")) })),
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// A completion item filled in by its server (documentation, the edits that come with
    /// it such as an import); the item as it was when the server has nothing to add.
    pub async fn resolve_completion(&self, path: &str, item: Value) -> Result<Completion, LspError> {
        let v = self.request(path, "completionItem/resolve", item).await?;
        Ok(completion(&v))
    }

    /// Definitions whose name matches `query`, from every running server that has
    /// workspace symbols (`workspace/symbol`), each server bounded by `wait`; servers that
    /// fail or are slow are left out. Paths inside the workspace only.
    pub async fn workspace_symbols(&self, query: &str, wait: Duration) -> Vec<WorkspaceSymbol> {
        let running: Vec<(String, Arc<Running>)> = {
            let st = lock(&self.state);
            st.servers.iter().filter_map(|(n, s)| match s {
                Slot::Running(r) if provides(&r.caps["workspaceSymbolProvider"]) => Some((n.clone(), r.clone())),
                _ => None,
            }).collect()
        };
        let asks = running.into_iter().map(|(name, r)| async move {
            let v = r.conn.request("workspace/symbol", json!({"query": query}), wait).await.unwrap_or(Value::Null);
            (name, v)
        });
        let mut out = vec![];
        for (server, v) in futures_util::future::join_all(asks).await {
            for sym in v.as_array().into_iter().flatten() {
                let Some(loc) = self.location(&sym["location"]) else { continue };
                if loc.path.starts_with('/') || loc.path.contains(":\\") {
                    continue;
                }
                out.push(WorkspaceSymbol {
                    name: sym["name"].as_str().unwrap_or("").to_owned(),
                    kind: symbol_kind(sym["kind"].as_u64().unwrap_or(0)).to_owned(),
                    container: sym["containerName"].as_str().filter(|c| !c.is_empty()).map(str::to_owned),
                    path: loc.path,
                    line: loc.line,
                    character: loc.character,
                    server: server.clone(),
                });
            }
        }
        out
    }

    /// The signature being called at a position (None outside a call).
    pub async fn signature_help(&self, path: &str, line: u32, character: u32) -> Result<Option<Signature>, LspError> {
        let v = self.request(path, "textDocument/signatureHelp", self.at(path, line, character)).await?;
        let sigs = v["signatures"].as_array().cloned().unwrap_or_default();
        if sigs.is_empty() {
            return Ok(None);
        }
        let index = (v["activeSignature"].as_u64().unwrap_or(0) as usize).min(sigs.len() - 1);
        let sig = &sigs[index];
        let label = sig["label"].as_str().unwrap_or("").to_owned();
        let active_param = sig["activeParameter"].as_u64().or_else(|| v["activeParameter"].as_u64()).map(|a| a as usize);
        let active = active_param.and_then(|a| sig["parameters"].get(a)).and_then(|p| match &p["label"] {
            // [start, end] in UTF-16 units of the label, or the parameter's text within it.
            Value::Array(r) => Some((r.first()?.as_u64()? as u32, r.get(1)?.as_u64()? as u32)),
            Value::String(t) => label.find(t.as_str()).map(|at| (label[..at].encode_utf16().count() as u32, (label[..at].encode_utf16().count() + t.encode_utf16().count()) as u32)),
            _ => None,
        });
        Ok(Some(Signature { documentation: markup(&sig["documentation"]), label, active, index: index as u32, count: sigs.len() as u32 }))
    }

    /// The server's edits formatting the whole file.
    pub async fn format(&self, path: &str, tab_size: u32, insert_spaces: bool) -> Result<Vec<TextEdit>, LspError> {
        let params = json!({"textDocument": {"uri": self.uri(path)}, "options": {"tabSize": tab_size, "insertSpaces": insert_spaces, "trimTrailingWhitespace": true, "insertFinalNewline": true}});
        let v = self.request(path, "textDocument/formatting", params).await?;
        Ok(v.as_array().map(|a| a.iter().map(text_edit).collect()).unwrap_or_default())
    }

    /// Where the symbol at a position occurs in the file (for highlighting them all).
    pub async fn highlights(&self, path: &str, line: u32, character: u32) -> Result<Vec<Location>, LspError> {
        let v = self.request(path, "textDocument/documentHighlight", self.at(path, line, character)).await?;
        let n = |v: &Value| v.as_u64().unwrap_or(0) as u32;
        Ok(v.as_array()
            .map(|a| a.iter().map(|h| Location { path: path.to_owned(), line: n(&h["range"]["start"]["line"]), character: n(&h["range"]["start"]["character"]), end_line: n(&h["range"]["end"]["line"]), end_character: n(&h["range"]["end"]["character"]) }).collect())
            .unwrap_or_default())
    }

    /// The quick fixes and refactorings for a range, with the diagnostics there (the
    /// server's own, as it sent them), each with its edits (resolved when the server sends
    /// them later). Actions that only run a server command are left out: their edits
    /// would come back as a request Weft does not take.
    pub async fn code_actions(&self, path: &str, line: u32, character: u32, end_line: u32, end_character: u32) -> Result<Vec<CodeAction>, LspError> {
        let range = json!({"start": {"line": line, "character": character}, "end": {"line": end_line, "character": end_character}});
        let diagnostics: Vec<Value> = {
            let st = lock(&self.state);
            st.docs.get(path).and_then(|d| d.raw_diagnostics.clone()).unwrap_or_default().into_iter().filter(|d| overlaps(&d["range"], line, end_line)).collect()
        };
        let params = json!({"textDocument": {"uri": self.uri(path)}, "range": range, "context": {"diagnostics": diagnostics, "triggerKind": 1}});
        let v = self.request(path, "textDocument/codeAction", params).await?;
        let mut out = vec![];
        for a in v.as_array().into_iter().flatten() {
            // A bare Command (no edit possible) is skipped.
            if a["title"].is_string() && a["command"].is_string() {
                continue;
            }
            let mut action = a.clone();
            if action["edit"].is_null() && !action["data"].is_null() {
                if let Ok(r) = self.request(path, "codeAction/resolve", action.clone()).await {
                    action = r;
                }
            }
            let edits = self.workspace_edit(&action["edit"]);
            if edits.is_empty() {
                continue;
            }
            out.push(CodeAction { title: action["title"].as_str().unwrap_or("").to_owned(), kind: action["kind"].as_str().map(str::to_owned), preferred: action["isPreferred"].as_bool().unwrap_or(false), edits });
        }
        Ok(out)
    }

    /// A WorkspaceEdit's text edits per file (creates, renames and deletes of files are
    /// not taken: none of the requests above should need them).
    fn workspace_edit(&self, v: &Value) -> Vec<FileEdit> {
        let mut files: Vec<FileEdit> = vec![];
        if let Some(changes) = v["changes"].as_object() {
            for (uri, edits) in changes {
                files.push(FileEdit { path: self.rel(uri), edits: edits.as_array().map(|a| a.iter().map(text_edit).collect()).unwrap_or_default() });
            }
        }
        for dc in v["documentChanges"].as_array().into_iter().flatten() {
            if let Some(uri) = dc["textDocument"]["uri"].as_str() {
                files.push(FileEdit { path: self.rel(uri), edits: dc["edits"].as_array().map(|a| a.iter().map(text_edit).collect()).unwrap_or_default() });
            }
        }
        files.retain(|f| !f.edits.is_empty());
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }

    /// The inlay hints of lines `line..end_line` (the visible part). Empty when the
    /// server has none to give.
    pub async fn inlay_hints(&self, path: &str, line: u32, end_line: u32) -> Result<Vec<InlayHint>, LspError> {
        let r = self.server_for(path).await?;
        if !provides(&r.caps["inlayHintProvider"]) {
            return Ok(vec![]);
        }
        let params = json!({"textDocument": {"uri": self.uri(path)}, "range": {"start": {"line": line, "character": 0}, "end": {"line": end_line, "character": 0}}});
        let v = r.conn.request("textDocument/inlayHint", params, REQUEST_TIMEOUT).await?;
        let n = |v: &Value| v.as_u64().unwrap_or(0) as u32;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .map(|h| InlayHint {
                line: n(&h["position"]["line"]),
                character: n(&h["position"]["character"]),
                // A string, or parts (each possibly a link to a definition: shown as text).
                label: match &h["label"] {
                    Value::String(s) => s.clone(),
                    Value::Array(parts) => parts.iter().filter_map(|p| p["value"].as_str()).collect(),
                    _ => String::new(),
                },
                kind: match h["kind"].as_u64() {
                    Some(1) => Some("type".into()),
                    Some(2) => Some("parameter".into()),
                    _ => None,
                },
                padding_left: h["paddingLeft"].as_bool().unwrap_or(false),
                padding_right: h["paddingRight"].as_bool().unwrap_or(false),
                tooltip: markup(&h["tooltip"]),
            })
            .filter(|h| !h.label.is_empty())
            .collect())
    }

    /// The file's semantic tokens, None when its server has none (or not for whole files).
    pub async fn semantic_tokens(&self, path: &str) -> Result<Option<SemanticTokens>, LspError> {
        let r = self.server_for(path).await?;
        let provider = &r.caps["semanticTokensProvider"];
        if !provides(&provider["full"]) {
            return Ok(None);
        }
        let names = |v: &Value| -> Vec<String> { v.as_array().into_iter().flatten().map(|s| s.as_str().unwrap_or("").to_owned()).collect() };
        let (types, modifiers) = (names(&provider["legend"]["tokenTypes"]), names(&provider["legend"]["tokenModifiers"]));
        let v = r.conn.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": self.uri(path)}}), REQUEST_TIMEOUT).await?;
        let data: Vec<u32> = v["data"].as_array().into_iter().flatten().map(|n| n.as_u64().unwrap_or(0).min(u32::MAX as u64) as u32).collect();
        Ok(Some(SemanticTokens { types, modifiers, data: absolute_tokens(&data) }))
    }

    /// What the servers of this workspace are doing.
    pub fn servers(&self) -> Vec<(String, ServerState)> {
        let st = lock(&self.state);
        st.servers
            .iter()
            .map(|(n, s)| {
                let state = match s {
                    Slot::Starting(_) => ServerState::Starting,
                    Slot::Running(_) => ServerState::Running,
                    Slot::Missing(_) => ServerState::Missing,
                    Slot::Failed(_) => ServerState::Failed,
                };
                (n.clone(), state)
            })
            .collect()
    }

    /// The capabilities a running server announced (null while none runs for `path`).
    pub fn capabilities(&self, path: &str) -> Value {
        let st = lock(&self.state);
        language_of(path).and_then(|l| self.running_for(&st, l)).map(|r| r.caps.clone()).unwrap_or(Value::Null)
    }

    /// Shuts every server down (the workspace closes).
    pub async fn shutdown(&self) {
        let running: Vec<Arc<Running>> = {
            let mut st = lock(&self.state);
            st.stopped = true;
            st.servers.drain().filter_map(|(_, s)| if let Slot::Running(r) = s { Some(r) } else { None }).collect()
        };
        for r in running {
            shutdown(&r).await;
        }
    }

    /// Kills the server of `path`'s language as a crash would (tests of the restart).
    pub fn kill_for_test(&self, path: &str) -> bool {
        let st = lock(&self.state);
        let Some(r) = language_of(path).and_then(|l| self.running_for(&st, l)) else { return false };
        let mut c = lock(&r.child);
        c.as_mut().map(|c| c.start_kill().is_ok()).unwrap_or(false)
    }
}

impl Drop for Lsp {
    /// The workspace closed without an orderly shutdown: no server outlives it.
    fn drop(&mut self) {
        let mut st = lock(&self.state);
        st.stopped = true;
        for (_, slot) in st.servers.drain() {
            if let Slot::Running(r) = slot {
                if let Some(c) = lock(&r.child).as_mut() {
                    let _ = c.start_kill();
                }
            }
        }
    }
}

async fn shutdown(r: &Running) {
    let _ = r.conn.request("shutdown", Value::Null, Duration::from_secs(2)).await;
    r.conn.notify("exit", Value::Null);
    tokio::time::sleep(Duration::from_millis(100)).await;
    if let Some(mut c) = lock(&r.child).take() {
        let _ = c.start_kill();
    }
}

fn diagnostic(d: &Value) -> Option<Diagnostic> {
    let r = &d["range"];
    let n = |v: &Value| v.as_u64().unwrap_or(0) as u32;
    Some(Diagnostic {
        line: n(&r["start"]["line"]),
        character: n(&r["start"]["character"]),
        end_line: n(&r["end"]["line"]),
        end_character: n(&r["end"]["character"]),
        severity: match d["severity"].as_u64() {
            Some(2) => Severity::Warning,
            Some(3) => Severity::Info,
            Some(4) => Severity::Hint,
            _ => Severity::Error,
        },
        message: d["message"].as_str()?.to_owned(),
        source: d["source"].as_str().map(str::to_owned),
        code: match &d["code"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
    })
}

/// Hover contents (MarkupContent, MarkedString or an array of them) as Markdown.
fn markup(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => Some(a.iter().filter_map(markup).collect::<Vec<_>>().join("\n\n")),
        Value::Object(o) => {
            let value = o.get("value")?.as_str()?;
            match o.get("language").and_then(Value::as_str) {
                Some(lang) => Some(format!("```{lang}\n{value}\n```")),
                None => Some(value.to_owned()),
            }
        }
        _ => None,
    }
}

fn completion(c: &Value) -> Completion {
    let label = c["label"].as_str().unwrap_or("").to_owned();
    let edit = &c["textEdit"];
    let range = if edit["range"].is_object() { &edit["range"] } else { &edit["replace"] };
    let (from, to) = if range.is_object() { (range["start"]["character"].as_u64().map(|v| v as u32), range["end"]["character"].as_u64().map(|v| v as u32)) } else { (None, None) };
    let insert = edit["newText"].as_str().or_else(|| c["insertText"].as_str()).unwrap_or(&label).to_owned();
    Completion {
        kind: c["kind"].as_u64().map(|k| k as u32),
        detail: c["detail"].as_str().map(str::to_owned),
        documentation: markup(&c["documentation"]),
        insert,
        replace_from: from,
        replace_to: to,
        sort_text: c["sortText"].as_str().map(str::to_owned),
        filter_text: c["filterText"].as_str().map(str::to_owned),
        additional_edits: c["additionalTextEdits"].as_array().map(|a| a.iter().map(text_edit).collect()).unwrap_or_default(),
        commit_characters: strings(&c["commitCharacters"]),
        resolve: c.get("data").filter(|d| !d.is_null()).map(|_| c.clone()),
        label,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
}

/// A protocol TextEdit.
fn text_edit(e: &Value) -> TextEdit {
    let r = &e["range"];
    let n = |v: &Value| v.as_u64().unwrap_or(0) as u32;
    TextEdit { line: n(&r["start"]["line"]), character: n(&r["start"]["character"]), end_line: n(&r["end"]["line"]), end_character: n(&r["end"]["character"]), new_text: e["newText"].as_str().unwrap_or("").to_owned() }
}

/// Whether a capability is offered: `true` or an options object.
fn provides(cap: &Value) -> bool {
    !cap.is_null() && cap != &Value::Bool(false)
}

/// `file://` URI of an absolute path, percent-encoding what a URI path cannot hold.
pub fn path_to_uri(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !s.starts_with('/') {
        out.push('/');
    }
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            b':' if cfg!(windows) => out.push(':'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn uri_to_path(uri: &str) -> PathBuf {
    let s = uri.strip_prefix("file://").unwrap_or(uri);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    let mut path = String::from_utf8_lossy(&out).into_owned();
    // file:///C:/x on Windows.
    if cfg!(windows) && path.len() > 2 && path.as_bytes()[0] == b'/' && path.as_bytes()[2] == b':' {
        path.remove(0);
    }
    PathBuf::from(path)
}

/// Whether a protocol range touches lines `from..=to`.
fn overlaps(range: &Value, from: u32, to: u32) -> bool {
    let (a, b) = (range["start"]["line"].as_u64().unwrap_or(0) as u32, range["end"]["line"].as_u64().unwrap_or(0) as u32);
    a <= to && b >= from
}

/// The identifier characters just before a protocol position (lower-cased).
fn word_before(text: &str, line: u32, character: u32) -> String {
    let Some(l) = text.split('\n').nth(line as usize) else { return String::new() };
    let units: Vec<u16> = l.encode_utf16().take(character as usize).collect();
    let before = String::from_utf16_lossy(&units);
    let word: String = before.chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$').collect();
    word.chars().rev().collect::<String>().to_lowercase()
}
