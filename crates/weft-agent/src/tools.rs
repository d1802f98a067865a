//! The agent's tools: what it can see and do in the workspace. Every path goes through the
//! workspace jail; every result is text the model reads, errors included (a failed tool is
//! an answer, not a crash).

use crate::command::Commands;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use weft_fs::{Encoding, Workspace};
use weft_llm::Tool;

/// Lines `read_file` returns when no range is given.
const READ_LINES: usize = 2000;
const SEARCH_RESULTS: usize = 200;
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub content: String,
    pub is_error: bool,
    /// Pictures for the model to look at (a screenshot of the preview, an MCP tool's).
    pub images: Vec<weft_llm::ImageSource>,
    /// What the pictures show as text, where it is known (a page's DOM): a picture showing
    /// a secret is not sent (pixels cannot be masked).
    pub shown: String,
}

impl Outcome {
    pub fn ok(content: impl Into<String>) -> Self {
        Outcome { content: content.into(), is_error: false, images: vec![], shown: String::new() }
    }

    pub fn err(content: impl Into<String>) -> Self {
        Outcome { content: content.into(), is_error: true, images: vec![], shown: String::new() }
    }
}

/// The tools a sub-agent (the `task` tool) has: they read, they change nothing.
pub const READ_ONLY: [&str; 8] = ["list_dir", "read_file", "search", "outline", "repo_map", "git_status", "git_diff", "definition"];

/// Tools that change files, before which a turn takes its checkpoint.
pub fn changes_files(tool: &str) -> bool {
    // An MCP server's tool may write anywhere it likes: the checkpoint comes first.
    matches!(tool, "edit_file" | "write_file" | "rename" | "delete" | "run_command") || is_extra(tool)
}

/// The workspace paths a tool call will change (for review), when they are known up front.
pub fn touched_paths(tool: &str, input: &Value) -> Vec<String> {
    let s = |k: &str| input[k].as_str().map(str::to_owned);
    match tool {
        "edit_file" | "write_file" | "delete" => s("path").into_iter().collect(),
        "rename" => [s("from"), s("to")].into_iter().flatten().collect(),
        _ => vec![],
    }
}

pub fn specs() -> Vec<Tool> {
    let t = |name: &str, description: &str, schema: Value| Tool { name: name.into(), description: description.into(), input_schema: schema };
    let path = json!({"type": "string", "description": "Workspace-relative path with / separators"});
    vec![
        t("list_dir", "List a directory of the workspace (ignored files are left out). Use \".\" for the root.",
          json!({"type": "object", "properties": {"path": path}, "required": ["path"]})),
        t("read_file", "Read a text file with line numbers. Give start_line/end_line (1-based, inclusive) for part of a long file.",
          json!({"type": "object", "properties": {"path": path, "start_line": {"type": "integer"}, "end_line": {"type": "integer"}}, "required": ["path"]})),
        t("search", "Search file contents in the workspace (ripgrep semantics, .gitignore respected). Returns path:line: text.",
          json!({"type": "object", "properties": {"query": {"type": "string"}, "regex": {"type": "boolean"}, "case_sensitive": {"type": "boolean"},
                 "include": {"type": "array", "items": {"type": "string"}, "description": "Globs such as src/**/*.rs"}}, "required": ["query"]})),
        t("outline", "The symbols (functions, types, methods…) defined in a file, with line numbers.",
          json!({"type": "object", "properties": {"path": path}, "required": ["path"]})),
        t("repo_map", "A ranked map of the workspace's most important definitions, to find your way in an unfamiliar codebase.",
          json!({"type": "object", "properties": {"tokens": {"type": "integer", "description": "Size budget, default 2048"}}})),
        t("git_status", "The git status of the workspace: the branch, its upstream and ahead/behind counts, an operation in progress, and each changed file (staged, unstaged, untracked, conflicted).",
          json!({"type": "object", "properties": {}})),
        t("git_diff", "The unified diff of the workspace's uncommitted changes (staged=true: of what is staged for the next commit). Give paths to limit it.",
          json!({"type": "object", "properties": {"staged": {"type": "boolean"}, "paths": {"type": "array", "items": path}}})),
        t("definition", "Where a symbol is defined, from the language server: give the file, the 1-based line it is used on, and the symbol's name. Returns path:line:column of each definition with that line's text.",
          json!({"type": "object", "properties": {"path": path, "line": {"type": "integer"}, "symbol": {"type": "string"}}, "required": ["path", "line", "symbol"]})),
        t("task", "Hand a self-contained task to a sub-agent with a fresh context and read-only tools (list, read, search, outline, repo map, git status and diff, definitions): it works on its own and returns its final report, and what it read does not fill your context. Use it to explore or to answer a question about the codebase. Write the prompt as a complete brief: it sees nothing of this conversation.",
          json!({"type": "object", "properties": {"description": {"type": "string", "description": "A few words saying what the task is"}, "prompt": {"type": "string", "description": "The full task for the sub-agent"}}, "required": ["description", "prompt"]})),
        t("edit_file", "Replace old_string with new_string in a file. old_string must occur exactly once: include enough surrounding lines to make it unique.",
          json!({"type": "object", "properties": {"path": path, "old_string": {"type": "string"}, "new_string": {"type": "string"}}, "required": ["path", "old_string", "new_string"]})),
        t("write_file", "Create a file, or overwrite one completely, with the given content. Folders are created as needed.",
          json!({"type": "object", "properties": {"path": path, "content": {"type": "string"}}, "required": ["path", "content"]})),
        t("rename", "Rename or move a file or folder inside the workspace.",
          json!({"type": "object", "properties": {"from": path, "to": path}, "required": ["from", "to"]})),
        t("delete", "Delete a file or folder (to the trash where there is one).",
          json!({"type": "object", "properties": {"path": path}, "required": ["path"]})),
        t("run_command", "Run a shell command in the workspace folder and return its output and exit code. With background=true it keeps running (dev servers, watchers) and returns an id for command_output and stop_command.",
          json!({"type": "object", "properties": {"command": {"type": "string"}, "timeout_secs": {"type": "integer", "description": "Default 120"}, "background": {"type": "boolean"}}, "required": ["command"]})),
        t("command_output", "New output of a background command since the last call, and whether it has exited.",
          json!({"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]})),
        t("stop_command", "Stop a background command and everything it started.",
          json!({"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]})),
    ]
}

/// The tool that looks at the running app, offered when the app has a preview.
fn preview_spec() -> Tool {
    Tool {
        name: "preview_screenshot".into(),
        description: "Take a screenshot of the running app as a browser shows it (the page loads and its scripts run first) and look at it, with what the page logged to its console while it loaded. Only ports that a program started in this workspace listens on (a run, a background command); without port: the one most recently opened.".into(),
        input_schema: json!({"type": "object", "properties": {
            "port": {"type": "integer", "description": "The local port, e.g. 5173"},
            "path": {"type": "string", "description": "The page's path and query, default /"},
            "width": {"type": "integer", "description": "Viewport width in pixels, default 1280"},
            "height": {"type": "integer", "description": "Viewport height in pixels, default 800"}}}),
    }
}

/// A picture of a page the workspace serves.
#[derive(Debug, Clone)]
pub struct PreviewShot {
    pub url: String,
    pub png: Vec<u8>,
    pub console: Vec<String>,
    /// The page's DOM as drawn.
    pub dom: String,
}

/// The app's preview, as the agent uses it: a picture of a page that one of the
/// workspace's terminals serves (never any other address).
pub trait Preview: Send + Sync {
    /// `port` None: the port most recently opened. `path` starts with `/`.
    fn screenshot<'a>(&'a self, port: Option<u16>, path: &'a str, width: u32, height: u32) -> Boxed<'a, Result<PreviewShot, String>>;
}

pub struct Toolbox {
    ws: Arc<Workspace>,
    pub commands: Commands,
    index: Mutex<Option<Arc<weft_syntax::SymbolIndex>>>,
    open: Option<Arc<dyn OpenFiles>>,
    intel: Option<Arc<dyn CodeIntel>>,
    extra: Option<Arc<dyn ExtraTools>>,
    preview: Option<Arc<dyn Preview>>,
    edits: Option<Arc<dyn EditLog>>,
}

/// Told of every change a file tool makes to a file (its bytes before and after; None: it
/// did not exist), while the file is still locked against other agents, so the change is
/// known in the order it happened: another thread's review takes it into its baseline and
/// goes on showing only its own edits.
pub trait EditLog: Send + Sync {
    fn changed(&self, path: &str, before: Option<&[u8]>, after: Option<&[u8]>);
}

/// A boxed future (trait objects cannot have async methods).
pub type Boxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The workspace's language servers, as the agent uses them: the errors its edits caused
/// (so it sees a type error it made at once), and where a symbol is defined.
pub trait CodeIntel: Send + Sync {
    /// The server's errors and warnings for `path` holding `text`, one line each
    /// (`line:column severity: message`); None when no server speaks the language or it
    /// did not answer in time.
    fn diagnostics<'a>(&'a self, path: &'a str, text: String) -> Boxed<'a, Option<Vec<String>>>;
    /// The definitions of what is at a 0-based line and UTF-16 column, as
    /// `path:line:column` (1-based).
    fn definition<'a>(&'a self, path: &'a str, line: u32, character: u32) -> Boxed<'a, Result<Vec<String>, String>>;
}

/// Tools from outside Weft (MCP servers'), named `mcp__<server>__<tool>`: listed at each
/// turn (which is when their servers start), called by name. They follow the same
/// permission rules as Weft's own tools: asked about unless allowed.
pub trait ExtraTools: Send + Sync {
    fn specs(&self) -> Boxed<'_, Vec<Tool>>;
    fn call<'a>(&'a self, name: &'a str, input: &'a Value) -> Boxed<'a, Outcome>;
}

/// Whether a tool name is an [`ExtraTools`] one.
pub fn is_extra(tool: &str) -> bool {
    tool.starts_with("mcp__")
}

/// The files the user has open in the editor: the agent reads (and edits from) the text
/// they see, unsaved edits included, rather than an older version on disk.
pub trait OpenFiles: Send + Sync {
    /// The open document of `path` as the file's text (its own line endings) and encoding;
    /// None when it is not open.
    fn text(&self, path: &str) -> Option<(String, Encoding)>;

    /// Changes the open document of `path` from `read` (what the agent read of it) to `text`
    /// and saves it; None when it is not open (the agent writes the file then).
    fn write(&self, path: &str, read: &str, text: &str) -> Option<Result<(), String>>;
}

/// Writes an edit: into the open document when there is one (the user sees it as the
/// agent's, and keeps what they typed since the agent read), else to the file.
fn write(ws: &Workspace, open: Option<&dyn OpenFiles>, path: &str, read: &str, text: &str, encoding: Encoding) -> Result<(), Outcome> {
    if let Some(done) = open.and_then(|o| o.write(path, read, text)) {
        return done.map_err(|e| Outcome::err(format!("could not save {path}: {e}")));
    }
    ws.write_text(path, text, encoding).map(drop).map_err(fs_err)
}

/// A file's text as the agent sees it: the open document's, else the disk's.
fn read(ws: &Workspace, open: Option<&dyn OpenFiles>, path: &str) -> weft_fs::Result<(String, Encoding)> {
    // Through the jail first: an open document is no way around it.
    ws.resolve(path)?;
    if let Some(t) = open.and_then(|o| o.text(path)) {
        return Ok(t);
    }
    ws.read_text(path).map(|f| (f.content.text, f.content.encoding))
}

fn str_arg<'a>(input: &'a Value, key: &str) -> Result<&'a str, Outcome> {
    input[key].as_str().ok_or_else(|| Outcome::err(format!("missing string argument \"{key}\"")))
}

impl Toolbox {
    /// The folder the agent works in.
    pub fn root(&self) -> &std::path::Path {
        self.ws.root()
    }

    pub fn new(ws: Arc<Workspace>) -> Self {
        Self::with_commands(ws, Commands::default())
    }

    pub fn with_commands(ws: Arc<Workspace>, commands: Commands) -> Self {
        Toolbox { ws, commands, index: Mutex::new(None), open: None, intel: None, extra: None, preview: None, edits: None }
    }

    /// Language servers for the edit tools' diagnostics and the definition tool.
    pub fn with_code_intel(mut self, intel: Arc<dyn CodeIntel>) -> Self {
        self.intel = Some(intel);
        self
    }

    /// Reads open files from the editor's documents (see [`OpenFiles`]).
    pub fn with_extra_tools(mut self, extra: Arc<dyn ExtraTools>) -> Self {
        self.extra = Some(extra);
        self
    }

    /// The preview the screenshot tool looks at.
    pub fn with_preview(mut self, preview: Arc<dyn Preview>) -> Self {
        self.preview = Some(preview);
        self
    }

    /// Weft's own tools and the extra ones (MCP servers', started now if they must be).
    pub async fn specs(&self) -> Vec<Tool> {
        let mut all = specs();
        if self.preview.is_some() {
            all.push(preview_spec());
        }
        if let Some(x) = &self.extra {
            all.extend(x.specs().await);
        }
        all
    }

    pub fn with_edit_log(mut self, log: Arc<dyn EditLog>) -> Self {
        self.edits = Some(log);
        self
    }

    pub fn with_open_files(mut self, open: Arc<dyn OpenFiles>) -> Self {
        self.open = Some(open);
        self
    }

    /// A file's bytes as the agent would read it now (the open document's text, encoded as
    /// the file is), for the review's "before"; None when it does not exist.
    pub fn current_bytes(&self, path: &str) -> Option<Vec<u8>> {
        current(&self.ws, self.open.as_deref(), path)
    }

    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// Runs one tool call. Blocking file work happens on the blocking pool.
    pub async fn run(&self, tool: &str, input: &Value, cancel: &CancellationToken) -> Outcome {
        let result = match tool {
            "run_command" => self.run_command(input, cancel).await,
            "command_output" => self.command_output(input),
            "stop_command" => self.stop_command(input),
            "definition" => self.definition(input).await,
            "preview_screenshot" => tokio::select! {
                o = self.screenshot(input) => o,
                _ = cancel.cancelled() => Err(Outcome::err("stopped")),
            },
            name if is_extra(name) => match &self.extra {
                Some(x) => tokio::select! {
                    o = x.call(name, input) => Ok(o),
                    _ = cancel.cancelled() => Err(Outcome::err("stopped")),
                },
                None => Err(Outcome::err(format!("{name} is not available in this session"))),
            },
            _ => {
                let ws = self.ws.clone();
                let (tool, input) = (tool.to_owned(), input.clone());
                let (index, open, edits) = (self.repo_index(), self.open.clone(), self.edits.clone());
                match tokio::task::spawn_blocking(move || file_tool(&ws, open.as_deref(), edits.as_deref(), &tool, &input, index)).await {
                    Ok(r) => r,
                    Err(e) => Err(Outcome::err(format!("the tool failed: {e}"))),
                }
            }
        };
        let outcome = result.unwrap_or_else(|e| e);
        match tool {
            "edit_file" | "write_file" if !outcome.is_error => self.with_diagnostics(input, outcome).await,
            _ => outcome,
        }
    }

    /// An edit's result, with what the language server now reports for the file (errors
    /// and warnings), so a type error the edit made is seen at once.
    async fn with_diagnostics(&self, input: &Value, mut outcome: Outcome) -> Outcome {
        let (Some(intel), Some(path)) = (&self.intel, input["path"].as_str()) else { return outcome };
        let (ws, open, p) = (self.ws.clone(), self.open.clone(), path.to_owned());
        let Ok(Ok((text, _))) = tokio::task::spawn_blocking(move || read(&ws, open.as_deref(), &p)).await else { return outcome };
        match intel.diagnostics(path, text).await {
            Some(lines) if lines.is_empty() => outcome.content.push_str("\n\nThe language server reports no errors in this file."),
            Some(lines) => {
                outcome.content.push_str("\n\nThe language server now reports in this file:\n");
                for l in lines.iter().take(30) {
                    outcome.content.push_str(l);
                    outcome.content.push('\n');
                }
                if lines.len() > 30 {
                    outcome.content.push_str(&format!("… and {} more\n", lines.len() - 30));
                }
            }
            None => {}
        }
        outcome
    }

    async fn screenshot(&self, input: &Value) -> Result<Outcome, Outcome> {
        let preview = self.preview.as_ref().ok_or_else(|| Outcome::err("there is no preview in this session"))?;
        let port = match input.get("port").filter(|p| !p.is_null()) {
            None => None,
            Some(p) => Some(p.as_u64().and_then(|p| u16::try_from(p).ok()).filter(|p| *p > 0).ok_or_else(|| Outcome::err(format!("port must be a number from 1 to 65535, not {p}")))?),
        };
        let path = input["path"].as_str().unwrap_or("/");
        let path = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
        let size = |k: &str, default: u32| input[k].as_u64().map_or(default, |v| v.clamp(200, 2000) as u32);
        let shot = preview.screenshot(port, &path, size("width", 1280), size("height", 800)).await.map_err(Outcome::err)?;
        let image = weft_llm::ImageSource::from_bytes("image/png", &shot.png).map_err(|e| Outcome::err(format!("the screenshot of {} is unusable: {e}", shot.url)))?;
        let console = if shot.console.is_empty() { "The console was empty while it loaded.".to_owned() } else { format!("The console while it loaded:\n{}", shot.console.join("\n")) };
        let mut o = Outcome::ok(format!("The screenshot of {} follows as an image.\n{console}", shot.url));
        o.images.push(image);
        o.shown = shot.dom;
        Ok(o)
    }

    async fn definition(&self, input: &Value) -> Result<Outcome, Outcome> {
        let intel = self.intel.as_ref().ok_or_else(|| Outcome::err("no language server is available in this session"))?;
        let path = str_arg(input, "path")?;
        let symbol = str_arg(input, "symbol")?;
        let line = input["line"].as_u64().ok_or_else(|| Outcome::err("missing integer argument \"line\""))? as usize;
        let (ws, open, p) = (self.ws.clone(), self.open.clone(), path.to_owned());
        let (text, _) = tokio::task::spawn_blocking(move || read(&ws, open.as_deref(), &p)).await.map_err(|e| Outcome::err(e.to_string()))?.map_err(fs_err)?;
        let Some(l) = text.lines().nth(line.saturating_sub(1)) else { return Err(Outcome::err(format!("{path} has no line {line}"))) };
        // The symbol as a whole word (`n` is not the n in `const`), else where it occurs.
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        let whole = l.match_indices(symbol).map(|(i, _)| i).find(|&i| !ident(l[..i].chars().next_back()) && !ident(l[i + symbol.len()..].chars().next()));
        let Some(at) = whole.or_else(|| l.find(symbol)) else { return Err(Outcome::err(format!("{symbol:?} is not on line {line} of {path}: {l:?}"))) };
        // The protocol counts UTF-16 units.
        let character = l[..at].encode_utf16().count() as u32;
        let found = intel.definition(path, (line - 1) as u32, character).await.map_err(Outcome::err)?;
        if found.is_empty() {
            return Ok(Outcome::ok(format!("the language server found no definition of {symbol}")));
        }
        // Each with its line's text, read the way the agent reads files.
        let mut out = String::new();
        for f in found.iter().take(20) {
            let mut parts = f.rsplitn(3, ':');
            let (_col, ln, file) = (parts.next(), parts.next().and_then(|n| n.parse::<usize>().ok()), parts.next());
            let shown = match (file, ln) {
                (Some(file), Some(ln)) => read(&self.ws, self.open.as_deref(), file).ok().and_then(|(t, _)| t.lines().nth(ln.saturating_sub(1)).map(|s| s.trim().to_owned())),
                _ => None,
            };
            out += &match shown {
                Some(s) => format!("{f}: {s}\n"),
                None => format!("{f}\n"),
            };
        }
        Ok(Outcome::ok(out))
    }

    /// The @-mentions as (label, text), read inside the workspace. A mention that cannot
    /// be read becomes a note saying why, so the model knows it is missing.
    pub async fn resolve(&self, mentions: &[crate::Mention]) -> Vec<(String, String)> {
        let (ws, index, mentions, open) = (self.ws.clone(), self.repo_index(), mentions.to_vec(), self.open.clone());
        tokio::task::spawn_blocking(move || mentions.iter().map(|m| resolve_one(&ws, open.as_deref(), &index, m)).collect())
            .await
            .unwrap_or_default()
    }

    /// The repo map for the system prompt, ranked towards `focus` (the files in play).
    pub async fn repo_map(&self, tokens: u32, focus: &[String]) -> String {
        let (ws, index, focus) = (self.ws.clone(), self.repo_index(), focus.to_vec());
        tokio::task::spawn_blocking(move || {
            if index.stats().files == 0 {
                index.build(&ws.list_files());
            }
            weft_syntax::repo_map(&index.snapshot(), &focus, tokens).text
        })
        .await
        .unwrap_or_default()
    }

    fn repo_index(&self) -> Arc<weft_syntax::SymbolIndex> {
        let mut slot = self.index.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert_with(|| Arc::new(weft_syntax::SymbolIndex::new(self.ws.root(), 1 << 20))).clone()
    }

    async fn run_command(&self, input: &Value, cancel: &CancellationToken) -> Result<Outcome, Outcome> {
        let cmd = str_arg(input, "command")?;
        if input["background"].as_bool() == Some(true) {
            let id = self.commands.start_background(self.ws.root(), cmd).map_err(Outcome::err)?;
            // A moment for start-up errors to show.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let (out, exit) = self.commands.poll(id).map_err(Outcome::err)?;
            let state = match exit {
                Some(e) => format!("exited with {}", e.code.map_or("a signal".into(), |c| format!("code {c}"))),
                None => "running".into(),
            };
            return Ok(Outcome::ok(format!("background command {id} {state}\n{out}")));
        }
        let timeout = Duration::from_secs(input["timeout_secs"].as_u64().unwrap_or(DEFAULT_TIMEOUT_SECS).clamp(1, 3600));
        let f = self.commands.run(self.ws.root(), cmd, timeout, cancel).await.map_err(Outcome::err)?;
        let status = if f.cancelled {
            "stopped by the user".to_owned()
        } else if f.timed_out {
            format!("timed out after {} s and was killed", timeout.as_secs())
        } else {
            match (f.exit_code, &f.signal) {
                (Some(c), _) => format!("exit code {c}"),
                (None, Some(s)) => format!("killed by {s}"),
                _ => "exited".into(),
            }
        };
        let failed = f.cancelled || f.timed_out || f.exit_code != Some(0);
        let content = format!("{status}\n{}", f.output);
        Ok(if failed { Outcome::err(content) } else { Outcome::ok(content) })
    }

    fn command_output(&self, input: &Value) -> Result<Outcome, Outcome> {
        let id = input["id"].as_u64().ok_or_else(|| Outcome::err("missing integer argument \"id\""))?;
        let (out, exit) = self.commands.poll(id).map_err(Outcome::err)?;
        let state = match exit {
            Some(e) => format!("exited ({})", e.code.map_or("signal".into(), |c| format!("code {c}"))),
            None => "running".into(),
        };
        Ok(Outcome::ok(format!("{state}\n{out}")))
    }

    fn stop_command(&self, input: &Value) -> Result<Outcome, Outcome> {
        let id = input["id"].as_u64().ok_or_else(|| Outcome::err("missing integer argument \"id\""))?;
        let out = self.commands.stop(id).map_err(Outcome::err)?;
        Ok(Outcome::ok(format!("stopped\n{out}")))
    }
}

fn resolve_one(ws: &Workspace, open: Option<&dyn OpenFiles>, index: &weft_syntax::SymbolIndex, m: &crate::Mention) -> (String, String) {
    use crate::context::cap;
    match m {
        crate::Mention::File { path, start_line, end_line } => {
            let label = match (start_line, end_line) {
                (Some(a), Some(b)) => format!("{path}:{a}-{b}"),
                (Some(a), None) => format!("{path}:{a}-"),
                _ => path.clone(),
            };
            let text = match read(ws, open, path) {
                Err(e) => format!("(could not read {path}: {e})"),
                Ok((text, _)) => {
                    let (a, b) = (start_line.unwrap_or(1).max(1) as usize, end_line.map_or(usize::MAX, |e| e as usize));
                    let lines: Vec<&str> = text.lines().skip(a - 1).take(b.saturating_sub(a - 1)).collect();
                    cap(&lines.join("\n"))
                }
            };
            (label, text)
        }
        crate::Mention::Symbol { name } => {
            if index.stats().files == 0 {
                index.build(&ws.list_files());
            }
            let hits: Vec<_> = index.search(name, 20).into_iter().filter(|h| h.name == *name).take(3).collect();
            if hits.is_empty() {
                return (name.clone(), format!("(no definition named {name} was found)"));
            }
            let mut out = String::new();
            for h in &hits {
                out.push_str(&format!("{}:{}\n{}\n", h.path, h.line, definition(ws, open, &h.path, h.line, name).unwrap_or_else(|| h.detail.clone())));
            }
            (name.clone(), cap(&out))
        }
        crate::Mention::Text { label, text } => (label.clone(), cap(text)),
    }
}

/// The source of the definition of `name` that starts on `line`, from the syntax tree.
fn definition(ws: &Workspace, open: Option<&dyn OpenFiles>, path: &str, line: u32, name: &str) -> Option<String> {
    let text = read(ws, open, path).ok()?.0;
    let lang = weft_syntax::Lang::detect(path, text.lines().next().unwrap_or(""))?;
    let doc = weft_syntax::Document::new(lang, text.clone()).ok()?;
    fn find<'a>(syms: &'a [weft_syntax::Symbol], line: u32, name: &str) -> Option<&'a weft_syntax::Symbol> {
        syms.iter().find_map(|s| if s.line == line && s.name == name { Some(s) } else { find(&s.children, line, name) })
    }
    let outline = doc.outline();
    let sym = find(&outline, line, name)?;
    // `from`/`to` are UTF-16 offsets (the editor's); find their byte positions.
    let (mut utf16, mut from, mut to) = (0u32, None, text.len());
    for (i, c) in text.char_indices() {
        if from.is_none() && utf16 >= sym.from {
            from = Some(i);
        }
        if utf16 >= sym.to {
            to = i;
            break;
        }
        utf16 += c.len_utf16() as u32;
    }
    let from = from?;
    // From the start of its line, so indentation reads right.
    let start = text[..from].rfind('\n').map_or(0, |i| i + 1);
    Some(text[start..to].to_owned())
}

/// A diff longer than this is cut (with a note): the model asks for single files then.
const GIT_DIFF_BYTES: usize = 64 * 1024;

/// Read-only git: the status and the diff, through the user's git (weft-git).
fn git_tool(ws: &Workspace, tool: &str, input: &Value) -> Result<Outcome, Outcome> {
    let git_err = |e: weft_git::GitError| Outcome::err(format!("git: {e}"));
    let repo = weft_git::Repo::discover(ws.root()).map_err(git_err)?.ok_or_else(|| Outcome::err("the workspace is not in a git repository"))?;
    if tool == "git_status" {
        let st = repo.status().map_err(git_err)?;
        let mut out = format!("branch: {}\n", st.branch.as_deref().unwrap_or("(detached HEAD)"));
        if let Some(u) = &st.upstream {
            out += &format!("upstream: {u} (ahead {}, behind {})\n", st.ahead, st.behind);
        }
        if st.state != weft_git::RepoState::Clean {
            out += &format!("in progress: {:?}\n", st.state);
        }
        if st.files.is_empty() {
            out += "no changes\n";
        }
        for f in &st.files {
            let what = if f.conflicted {
                "conflicted".to_owned()
            } else if f.untracked {
                "untracked".to_owned()
            } else {
                [f.staged.map(|c| format!("staged {c:?}")), f.unstaged.map(|c| format!("unstaged {c:?}"))].into_iter().flatten().collect::<Vec<_>>().join(", ").to_lowercase()
            };
            let from = f.orig_path.as_ref().map(|o| format!(" (from {o})")).unwrap_or_default();
            out += &format!("{}{from}: {what}\n", f.path);
        }
        return Ok(Outcome::ok(out));
    }
    let paths: Vec<String> = input["paths"].as_array().map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect()).unwrap_or_default();
    for p in &paths {
        ws.resolve(p).map_err(fs_err)?;
    }
    let mut diff = repo.diff(input["staged"].as_bool() == Some(true), &paths).map_err(git_err)?;
    if diff.is_empty() {
        diff = "no differences".into();
    } else if diff.len() > GIT_DIFF_BYTES {
        let mut cut = GIT_DIFF_BYTES;
        while !diff.is_char_boundary(cut) {
            cut -= 1;
        }
        diff.truncate(cut);
        diff += "\n[the diff is longer: ask for fewer paths]";
    }
    Ok(Outcome::ok(diff))
}

fn fs_err(e: weft_fs::FsError) -> Outcome {
    Outcome::err(e.to_string())
}

/// One change at a time per file, across every agent of the process: an edit reads the
/// file, changes it and writes it whole, so two threads' agents editing one file at once
/// would otherwise each write over the other's change. Locks are taken in path order (a
/// rename holds two) and dropped with the tool call.
fn path_locks(ws: &Workspace, paths: &[String]) -> Vec<Arc<Mutex<()>>> {
    static LOCKS: std::sync::LazyLock<Mutex<std::collections::HashMap<std::path::PathBuf, std::sync::Weak<Mutex<()>>>>> = std::sync::LazyLock::new(Default::default);
    let mut abs: Vec<std::path::PathBuf> = paths.iter().filter_map(|p| ws.resolve(p).ok()).collect();
    abs.sort();
    abs.dedup();
    let mut map = LOCKS.lock().unwrap_or_else(|p| p.into_inner());
    map.retain(|_, w| w.strong_count() > 0);
    abs.into_iter()
        .map(|p| match map.get(&p).and_then(std::sync::Weak::upgrade) {
            Some(l) => l,
            None => {
                let l = Arc::new(Mutex::new(()));
                map.insert(p, Arc::downgrade(&l));
                l
            }
        })
        .collect()
}

fn file_tool(ws: &Workspace, open: Option<&dyn OpenFiles>, edits: Option<&dyn EditLog>, tool: &str, input: &Value, index: Arc<weft_syntax::SymbolIndex>) -> Result<Outcome, Outcome> {
    let paths = touched_paths(tool, input);
    let locks = path_locks(ws, &paths);
    let _held: Vec<_> = locks.iter().map(|l| l.lock().unwrap_or_else(|p| p.into_inner())).collect();
    let Some(log) = edits.filter(|_| changes_files(tool)) else { return file_tool_locked(ws, open, tool, input, index) };
    // Files only (a folder's move or deletion is the review's own business).
    let now = |p: &str| if ws.resolve(p).is_ok_and(|a| a.is_dir()) { None } else { current(ws, open, p) };
    let before: Vec<Option<Vec<u8>>> = paths.iter().map(|p| now(p)).collect();
    let out = file_tool_locked(ws, open, tool, input, index);
    for (p, b) in paths.iter().zip(before) {
        let a = now(p);
        if a != b {
            log.changed(p, b.as_deref(), a.as_deref());
        }
    }
    out
}

/// A file's bytes as an agent sees them (the open document's, else the disk's).
fn current(ws: &Workspace, open: Option<&dyn OpenFiles>, path: &str) -> Option<Vec<u8>> {
    if let Some((text, encoding)) = open.and_then(|o| o.text(path)) {
        return weft_fs::encode(path, &text, encoding).ok();
    }
    ws.read_bytes(path).ok()
}

fn file_tool_locked(ws: &Workspace, open: Option<&dyn OpenFiles>, tool: &str, input: &Value, index: Arc<weft_syntax::SymbolIndex>) -> Result<Outcome, Outcome> {
    match tool {
        "git_status" | "git_diff" => git_tool(ws, tool, input),
        "list_dir" => {
            let path = input["path"].as_str().unwrap_or(".");
            let rel = if path == "." || path == "/" { "" } else { path.trim_end_matches('/') };
            let entries = ws.list_dir(rel).map_err(fs_err)?;
            let mut out = String::new();
            for e in entries {
                let dir = matches!(e.kind, weft_fs::EntryKind::Dir);
                out.push_str(&e.path);
                out.push_str(if dir { "/\n" } else { "\n" });
            }
            Ok(Outcome::ok(if out.is_empty() { "(empty)".into() } else { out }))
        }
        "read_file" => {
            let path = str_arg(input, "path")?;
            let (text, _) = read(ws, open, path).map_err(fs_err)?;
            let lines: Vec<&str> = text.lines().collect();
            let total = lines.len();
            let start = input["start_line"].as_u64().unwrap_or(1).max(1) as usize;
            let end = input["end_line"].as_u64().map(|e| e as usize).unwrap_or(start + READ_LINES - 1).min(total);
            if start > total.max(1) {
                return Err(Outcome::err(format!("{path} has {total} lines; start_line {start} is past the end")));
            }
            let mut out = String::new();
            for (i, l) in lines.iter().enumerate().take(end).skip(start - 1) {
                out.push_str(&format!("{:>6}\t{}\n", i + 1, l));
            }
            if end < total || start > 1 {
                out.push_str(&format!("(lines {start}–{end} of {total})\n"));
            }
            Ok(Outcome::ok(out))
        }
        "search" => {
            let opts = weft_fs::SearchOptions {
                query: str_arg(input, "query")?.to_owned(),
                regex: input["regex"].as_bool().unwrap_or(false),
                case_sensitive: input["case_sensitive"].as_bool().unwrap_or(false),
                include: input["include"].as_array().into_iter().flatten().filter_map(|g| g.as_str().map(str::to_owned)).collect(),
                max_results: SEARCH_RESULTS,
                ..Default::default()
            };
            let hits = Mutex::new(Vec::new());
            let summary = ws
                .search(&opts, &weft_fs::SearchCancel::default(), &|h| hits.lock().unwrap_or_else(|p| p.into_inner()).push(h))
                .map_err(fs_err)?;
            let mut hits = hits.into_inner().unwrap_or_else(|p| p.into_inner());
            hits.sort_by(|a, b| a.path.cmp(&b.path));
            let mut out = String::new();
            for h in hits {
                for l in h.lines {
                    out.push_str(&format!("{}:{}: {}\n", h.path, l.line, l.text.trim_end()));
                }
            }
            if summary.truncated {
                out.push_str(&format!("(stopped at {SEARCH_RESULTS} matching lines; narrow the query)\n"));
            }
            Ok(Outcome::ok(if out.is_empty() { "no matches".into() } else { out }))
        }
        "outline" => {
            let path = str_arg(input, "path")?;
            let (text, _) = read(ws, open, path).map_err(fs_err)?;
            let lang = weft_syntax::Lang::detect(path, text.lines().next().unwrap_or(""))
                .ok_or_else(|| Outcome::err(format!("no outline for {path}: its language is not known")))?;
            let doc = weft_syntax::Document::new(lang, text).map_err(|e| Outcome::err(e.to_string()))?;
            let out = weft_syntax::outline::render(&doc.outline());
            Ok(Outcome::ok(if out.is_empty() { "no symbols".into() } else { out }))
        }
        "repo_map" => {
            let budget = input["tokens"].as_u64().unwrap_or(2048).clamp(256, 16384) as u32;
            if index.stats().files == 0 {
                index.build(&ws.list_files());
            }
            let map = weft_syntax::repo_map(&index.snapshot(), &[], budget);
            Ok(Outcome::ok(map.text))
        }
        "edit_file" => {
            let path = str_arg(input, "path")?;
            let (old, new) = (str_arg(input, "old_string")?, str_arg(input, "new_string")?);
            if old.is_empty() {
                return Err(Outcome::err("old_string is empty; use write_file to create a file"));
            }
            // The text the user sees (an open document's, unsaved edits included): the edit is
            // made on it and written, so what was on screen is what the edit applies to.
            let (text, encoding) = read(ws, open, path).map_err(fs_err)?;
            let text = &text;
            // The model writes \n; a CRLF file is matched and edited in its own line ends.
            let crlf = text.contains("\r\n") && !old.contains("\r\n");
            let (old, new) = if crlf { (old.replace('\n', "\r\n"), new.replace('\n', "\r\n")) } else { (old.to_owned(), new.to_owned()) };
            match text.matches(old.as_str()).count() {
                0 => Err(Outcome::err(format!("old_string was not found in {path}; read the file again and copy the text exactly"))),
                1 => {
                    let updated = text.replacen(old.as_str(), &new, 1);
                    write(ws, open, path, text, &updated, encoding)?;
                    Ok(Outcome::ok(format!("edited {path}")))
                }
                n => Err(Outcome::err(format!("old_string occurs {n} times in {path}; include more context so it occurs once"))),
            }
        }
        "write_file" => {
            let path = str_arg(input, "path")?;
            let content = str_arg(input, "content")?;
            let abs = ws.resolve(path).map_err(fs_err)?;
            if let Some(dir) = abs.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Outcome::err(format!("cannot create the folder for {path}: {e}")))?;
            }
            let existed = abs.exists();
            match open.and_then(|o| o.text(path)) {
                // Open in the editor: the whole text replaced, as the agent's edit.
                Some((read, encoding)) => write(ws, open, path, &read, content, encoding)?,
                None => ws.write_text(path, content, Encoding::Utf8).map(drop).map_err(fs_err)?,
            }
            Ok(Outcome::ok(format!("{} {path}", if existed { "overwrote" } else { "created" })))
        }
        "rename" => {
            let (from, to) = (str_arg(input, "from")?, str_arg(input, "to")?);
            ws.rename(from, to).map_err(fs_err)?;
            Ok(Outcome::ok(format!("renamed {from} to {to}")))
        }
        "delete" => {
            let path = str_arg(input, "path")?;
            ws.delete(path, false).map_err(fs_err)?;
            Ok(Outcome::ok(format!("deleted {path}")))
        }
        other => Err(Outcome::err(format!("there is no tool named {other}"))),
    }
}
