//! The method table: every request the API answers, its parameters, its handler and its
//! result type, in one place. The `methods!` macro turns it into the `Request` enum (the
//! wire shape, exported to TypeScript), the dispatch (each handler's result is checked
//! against the type named here) and the list the TypeScript client is generated from
//! (tests/api/bindings.rs writes ui/src/bindings/client.ts). Adding a request is a line
//! here and its handler in the domain module.
//!
//! Handlers take the API, the parameters in order, and the stream when the caller opened
//! one. Most wait on the disk and are plain functions the dispatch runs on the blocking
//! pool; those that wait on the network are `async fn`s, marked `.await` in the table.

mod agent;
mod app;
mod checkpoints;
mod collab;
mod docs;
mod env;
pub(super) mod files;
pub(super) mod git;
pub(super) mod lsp;
mod mcp;
mod project;
pub(super) mod syntax;
mod run;
mod terminals;
mod usage;

// The handlers use what the API module does (its helpers, its imports).
use super::*;

/// Forwards a broadcast channel's events to a stream as JSON frames until the stream is
/// cancelled or its receiver goes; `pick` chooses (and shapes) what is sent. Lagging
/// receivers skip what they missed.
pub(super) fn forward<T: Clone + Send + 'static, F: serde::Serialize>(api: &Api, stream: Stream, mut events: tokio::sync::broadcast::Receiver<T>, pick: impl Fn(T) -> Option<F> + Send + 'static) -> Result<()> {
    let cancel = SearchCancel::default();
    api.inner.cancels.lock().map_err(ApiError::internal)?.insert(stream.id.clone(), cancel.clone());
    tokio::runtime::Handle::current().spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) => {
                    let Some(frame) = pick(e) else { continue };
                    if cancel.is_cancelled() || !stream.json(&frame) {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    });
    Ok(())
}
use serde::Deserialize;
use ts_rs::TS;
use weft_fs::{Encoding, SearchOptions};

type Result<T> = std::result::Result<T, ApiError>;

macro_rules! methods {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident $({ $($(#[$fattr:meta])* $field:ident : $fty:ty),* $(,)? })? => $($handler:ident)::+ $(. $awaited:ident)? -> $out:ty $(, frames $($frame:ty)|+)?;
    )*) => {
        #[derive(Debug, Clone, Deserialize, TS)]
        #[serde(tag = "method", content = "params", rename_all = "camelCase", rename_all_fields = "camelCase")]
        pub enum Request {
            $(
                $(#[doc = $doc])*
                $variant $({ $($(#[$fattr])* $field: $fty),* })?,
            )*
        }

        /// A request's name without its parameters: what a shell lists as unsupported.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Method {
            $($variant,)*
        }

        impl Request {
            pub fn method(&self) -> Method {
                match self {
                    $(Request::$variant { .. } => Method::$variant,)*
                }
            }
        }

        impl Method {
            /// The wire name (`readFile`).
            pub fn name(self) -> String {
                match self {
                    $(Method::$variant => lower_first(stringify!($variant)),)*
                }
            }
        }

        /// Runs the handler of `request`: an async one on the runtime, a blocking one on the
        /// blocking pool.
        pub(crate) async fn dispatch(api: &Api, request: Request, stream: Option<Stream>) -> Result<Value> {
            match request {
                $(
                    Request::$variant $({ $($field),* })? => {
                        let out: Result<$out> = invoke!([$($awaited)?] api, ($($handler)::+) ($($($field),*)?) stream);
                        serde_json::to_value(out?).map_err(ApiError::internal)
                    }
                )*
            }
        }

        /// Each method's wire name and the TypeScript of its result, in table order.
        pub fn results() -> Vec<MethodResult> {
            vec![$(
                MethodResult {
                    method: lower_first(stringify!($variant)),
                    params: 0 $($( + { let _ = stringify!($field); 1 } )*)? > 0,
                    ts: <$out as TS>::name(),
                    frames: None::<String> $( .or(Some(vec![$(<$frame as TS>::name()),+].join(" | "))) )?,
                },
            )*]
        }
    };
}

/// One handler call. `handler.await` in the table: an async fn, awaited here (it waits on
/// the network or on other tasks, never on the disk). Otherwise a plain fn that may block
/// on the disk or a lock: it runs on the blocking pool, so the async workers stay free.
macro_rules! invoke {
    ([await] $api:ident, ($($h:tt)*) ($($f:ident),*) $stream:ident) => {
        $($h)*($api, $($f,)* $stream).await
    };
    ([] $api:ident, ($($h:tt)*) ($($f:ident),*) $stream:ident) => {{
        let api = $api.clone();
        // The request's span follows it onto the blocking pool.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| $($h)*(&api, $($f,)* $stream))).await.map_err(|e| ApiError::internal(format!("request failed: {e}")))?
    }};
}

/// For async handlers: a step that blocks (the disk, the OS keychain), on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f)).await.map_err(|e| ApiError::internal(format!("request failed: {e}")))?
}

/// A method as the TypeScript client sees it.
#[derive(Debug, Clone)]
pub struct MethodResult {
    pub method: String,
    /// Whether it takes parameters.
    pub params: bool,
    pub ts: String,
    /// A streaming method's frames (TypeScript), when it streams.
    pub frames: Option<String>,
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

methods! {
    /// What this backend is and what is open.
    Info => app::info -> AppInfo;
    /// Desktop only: switch the window to another folder.
    OpenWorkspace { path: String } => app::open_workspace -> WorkspaceInfo;
    RecentWorkspaces => app::recent_workspaces -> Vec<RecentWorkspace>;
    /// One level of the tree.
    ListDir { path: String } => files::list_dir -> Vec<weft_fs::TreeEntry>;
    ReadFile { path: String } => files::read_file -> FileDto;
    /// Atomic save in the given encoding.
    WriteFile { path: String, text: String, encoding: Encoding } => files::write_file -> SaveResult;
    CreateFile { path: String } => files::create_file -> ();
    CreateDir { path: String } => files::create_dir -> ();
    /// Rename or move; never overwrites.
    Rename { from: String, to: String } => files::rename -> ();
    /// To the OS trash unless `permanent`.
    Delete { path: String, #[serde(default)] permanent: bool } => files::delete -> ();
    /// Fuzzy file finder.
    FindFiles { query: String, #[serde(default)] limit: Option<u32> } => files::find_files -> Vec<weft_fs::FinderMatch>;
    /// Streams SearchEvent frames; -> SearchSummary when done.
    Search { options: SearchOptions } => files::search -> weft_fs::SearchSummary, frames SearchEvent;
    /// Preview (apply = false) or apply a replace.
    Replace { options: SearchOptions, replacement: String, #[serde(default)] paths: Option<Vec<String>>, apply: bool } => files::replace -> Vec<weft_fs::ReplaceOutcome>;
    /// Streams WatchEvent frames until cancelled.
    Watch => files::watch -> (), frames WatchEvent;
    /// Stops a stream started by this client.
    Cancel { stream: String } => app::cancel -> ();
    /// Starts following an editor document for code intelligence. `doc` is minted by the
    /// client, one per open file; `text` has "\n" line breaks.
    SyntaxOpen { doc: String, path: String, text: String } => syntax::open -> crate::Analysis;
    /// One CodeMirror change set, in the coordinates before it; `length` is the document's
    /// length after it. Fails with `syntax_out_of_sync` when the sides drifted, and the
    /// client opens the document again.
    SyntaxEdit { doc: String, changes: Vec<weft_syntax::Change>, length: u32 } => syntax::edit -> crate::Analysis;
    SyntaxClose { doc: String } => syntax::close -> ();
    /// The smallest syntax node strictly around a selection. -> Span | null
    SyntaxExpand { doc: String, from: u32, to: u32 } => syntax::expand -> Option<weft_syntax::Span>;
    /// Go to symbol in workspace: the running language servers' workspace symbols, then
    /// the tree-sitter index's definitions by fuzzy name.
    SymbolSearch { query: String, #[serde(default)] limit: Option<u32> } => syntax::symbol_search_all.await -> Vec<weft_syntax::SymbolHit>;
    /// The ranked summary of the workspace for a token budget; `focus` are the files the
    /// user works on (their names rank higher).
    RepoMap { tokens: u32, #[serde(default)] focus: Vec<String> } => syntax::repo_map -> weft_syntax::RepoMap;
    /// Stream: the workspace symbol index build's progress (IndexProgress frames) while one
    /// runs; the result is where it is now.
    SymbolIndexStatus => syntax::index_status -> crate::IndexProgress, frames crate::IndexProgress;
    /// Stops the symbol index build under way (what it parsed is kept for the next one).
    SymbolIndexStop => syntax::index_stop -> bool;
    GetSettings => app::get_settings -> SettingsDto;
    /// Validates and writes the settings file's text.
    SetSettings { text: String } => app::set_settings -> SettingsDto;
    GetSession => app::get_session -> Session;
    SaveSession { session: Session } => app::save_session -> ();
    /// Starts a terminal (the user's shell, in the workspace). Streams the output as raw
    /// byte frames and a final TerminalEvent. `flowControl`: the client acks what it has
    /// rendered (terminalAck) and output pauses while 1 MiB is unacknowledged.
    TerminalSpawn { cols: u16, rows: u16, #[serde(default)] flow_control: bool } => terminals::spawn -> weft_pty::TerminalInfo, frames crate::Bytes | TerminalEvent;
    /// Re-attaches to a running terminal (after a reload): streams its scrollback, then
    /// live output.
    TerminalAttach { #[ts(type = "number")] id: u64, #[serde(default)] flow_control: bool } => terminals::attach -> weft_pty::TerminalInfo, frames crate::Bytes | TerminalEvent;
    /// Keystrokes or pasted text.
    TerminalWrite { #[ts(type = "number")] id: u64, data: String } => terminals::write -> ();
    TerminalResize { #[ts(type = "number")] id: u64, cols: u16, rows: u16 } => terminals::resize -> ();
    TerminalAck { #[ts(type = "number")] id: u64, #[ts(type = "number")] bytes: u64 } => terminals::ack -> ();
    /// Pids of processes still running in the terminal besides the shell.
    TerminalChildren { #[ts(type = "number")] id: u64 } => terminals::children -> Vec<u32>;
    /// Kills the shell and everything it started.
    TerminalClose { #[ts(type = "number")] id: u64 } => terminals::close -> ();
    TerminalList => terminals::list -> Vec<weft_pty::TerminalInfo>;
    /// The project's variables (values shown) and secrets (names only).
    EnvList => env::list -> Vec<crate::EnvVar>;
    /// Sets a variable: a secret goes to the OS keychain, a plain one to .weft/env.json.
    EnvSet { name: String, value: String, #[serde(default)] secret: bool } => env::set -> Vec<crate::EnvVar>;
    EnvRemove { name: String } => env::remove -> Vec<crate::EnvVar>;
    /// Reads a .env file of the project into secrets; the names imported.
    EnvImport { path: String } => env::import -> Vec<String>;
    /// The template gallery: built in, and the user's own.
    TemplateList => project::list -> Vec<weft_template::Template>;
    /// Makes a project from a template in the new folder `parent/name` (install step and a
    /// first commit included); progress streams as TemplateProgress frames.
    TemplateCreate { template: String, parent: String, name: String } => project::create -> weft_template::Created, frames weft_template::Progress;
    /// Adds a template from a git repository (its root holds weft-template.json).
    TemplateAdd { url: String } => project::add -> weft_template::Template, frames weft_template::Progress;
    /// Unpacks a .zip, .tar, .tar.gz or .tgz into the new folder `parent/name` (a lone top
    /// folder left out; an entry reaching outside, or a link, refuses the whole archive).
    ProjectImport { archive: String, parent: String, name: String } => project::import -> String, frames weft_template::Progress;
    /// Clones a repository into the new folder `parent/name`; git's progress lines stream.
    GitClone { url: String, parent: String, name: String } => project::clone -> String, frames String;
    /// The folder's run configurations (detected, and .weft/run.json's) and what could not
    /// be read.
    RunConfigs => run::configs -> weft_run::Detected;
    /// Starts a configuration (after those it depends on) in a terminal of its own; a run
    /// of it still going is replaced. Resolves with the run's terminal once it started.
    RunStart { name: String } => run::start.await -> weft_pty::TerminalInfo;
    /// Ends a run's whole process tree; its terminal keeps the output.
    RunStop { #[ts(type = "number")] terminal: u64 } => run::stop -> ();
    /// Where the preview loads a local port's pages from: a proxy of Weft's that gives each
    /// page a script reporting its console and navigation to the pane.
    PreviewUrl { port: u16 } => run::preview_url.await -> String;
    /// A picture (PNG) of a page a program started in Weft serves, taken by the machine's
    /// Chromium-family browser: for the user to hand the agent. `port` 0: the newest.
    PreviewScreenshot { port: u16, #[serde(default)] path: Option<String> } => run::screenshot.await -> weft_llm::ImageSource;
    /// Stream: runs started and ended, problems from their output, and every terminal's
    /// local ports opening and closing (RunEvent frames); the result is how things are now.
    RunEvents => run::events -> crate::RunSnapshot, frames crate::RunEvent;
    /// Checkpoints of the open folder, newest first.
    CheckpointList => checkpoints::list -> Vec<weft_store::Checkpoint>;
    /// A manual checkpoint with a label.
    CheckpointCreate { #[serde(default)] label: String } => checkpoints::create -> weft_store::Created;
    /// The files a checkpoint changed against the one before it.
    CheckpointChanges { #[ts(type = "number")] id: i64 } => checkpoints::changes -> Vec<weft_store::FileChange>;
    /// Changes from one side to the other; null is the files on disk now.
    CheckpointDiff { #[ts(type = "number | null")] from: Option<i64>, #[ts(type = "number | null")] to: Option<i64> } => checkpoints::diff -> Vec<weft_store::FileChange>;
    /// One file in a checkpoint (or on disk when id is null).
    CheckpointFile { #[ts(type = "number | null")] id: Option<i64>, path: String } => checkpoints::file -> CheckpointFile;
    /// What restoring would modify, create and delete; `paths` limits it to those files
    /// and folders.
    CheckpointPreview { #[ts(type = "number")] id: i64, #[serde(default)] paths: Option<Vec<String>> } => checkpoints::preview -> weft_store::RestorePlan;
    /// Restores after taking a checkpoint of the current state (its id undoes it).
    CheckpointRestore { #[ts(type = "number")] id: i64, #[serde(default)] paths: Option<Vec<String>> } => checkpoints::restore -> weft_store::RestoreReport;
    /// Deletes checkpoints and frees what only they used.
    CheckpointDelete { #[ts(type = "number[] ")] ids: Vec<i64> } => checkpoints::delete -> weft_store::GcReport;
    /// Streams each new checkpoint (any origin) as a Checkpoint frame until cancelled.
    CheckpointEvents => checkpoints::events -> (), frames weft_store::Checkpoint;
    /// The AI providers with their base URLs and where their keys come from (never the
    /// keys).
    AgentProviders => agent::providers -> Vec<crate::ProviderStatus>;
    /// Stores a provider's key in the user-only key file (null forgets it).
    AgentSetKey { provider: String, key: Option<String> } => agent::set_key -> ();
    /// "Test connection": the models the provider lists.
    AgentModels { provider: String } => agent::models.await -> Vec<String>;
    /// Saved threads of the open folder, newest first.
    AgentThreads => agent::threads -> Vec<crate::ThreadSummary>;
    /// The slash commands for the prompt: `/init`, the project's `.weft/prompts/` and
    /// `.claude/commands/`, the user's prompts folder.
    AgentPrompts => agent::prompts -> Vec<weft_agent::prompts::SlashCommand>;
    AgentThread { thread: String } => agent::thread -> crate::AgentThread;
    /// Starts a turn in a thread (created when new; the id is minted by the client).
    /// Streams AgentFrame frames, the last being `done`. `model` overrides the settings'
    /// model for this turn; `mentions` are what the prompt @-mentions. Returns at once.
    AgentSend { thread: String, prompt: String, #[serde(default)] model: Option<String>, #[serde(default)] mentions: Vec<weft_agent::Mention>, #[serde(default)] options: Option<crate::TurnOptions>, #[serde(default)] images: Vec<weft_llm::ImageSource> } => agent::send.await -> (), frames crate::AgentFrame;
    /// Answers an approval card: "once", "always" or "deny".
    AgentApprove { request: String, answer: String } => agent::approve -> ();
    /// Stops the thread's running turn.
    AgentStop { thread: String } => agent::stop -> bool;
    /// The files the thread's turns changed, hunk by hunk, until settled.
    AgentReview { thread: String } => agent::review -> Vec<weft_agent::FileReview>;
    /// Accept or reject (rejecting puts the old text back on disk).
    AgentReviewAction { thread: String, action: crate::ReviewAction } => agent::review_action -> Vec<weft_agent::FileReview>;
    /// Restores a turn's starting point: the code (from its checkpoint; undoable), the
    /// conversation (cut back to before it), or both.
    AgentRestore { thread: String, turn: u32, code: bool, conversation: bool } => agent::restore -> crate::AgentThread;
    /// The thread as Markdown.
    AgentExport { thread: String } => agent::export -> String;
    AgentDelete { thread: String } => agent::delete -> ();
    /// Cost and tokens for the dashboard: the last `days` days (0: all), grouped by day,
    /// model, workspace, thread and task.
    UsageSummary { #[serde(default)] days: u32 } => usage::summary -> crate::UsageSummary;
    /// The live meter: a thread of the open folder, and today.
    UsageMeter { #[serde(default)] thread: Option<String> } => usage::meter -> UsageMeter;
    /// The ledger rows of the last `days` days (0: all) as CSV.
    UsageExport { #[serde(default)] days: u32 } => usage::export -> String;
    /// The price table in force ($ per million tokens) and the user's prices.json.
    UsagePrices => usage::prices -> PriceList;
    /// Validates and writes prices.json (an object of "provider:model" -> {input, output,
    /// cacheRead, cacheWrite} in $ per million tokens).
    UsageSetPrices { text: String } => usage::set_prices -> PriceList;
    /// A commit message for the folder's staged git changes (else its unstaged ones), from
    /// the `commitMessage` task model.
    SuggestCommitMessage => agent::suggest_commit_message.await -> crate::CommitMessage;
    /// The folder's git status (null when it is not in a repository): branch, upstream,
    /// ahead/behind, an operation in progress, and the changed files.
    /// After the first, a status asks git only about the paths the folder's watcher saw
    /// change (unless the index or HEAD changed).
    GitStatus => git::status -> Option<weft_git::Status>;
    /// The status of every file, whatever the watcher saw (the panel's refresh button).
    GitRescan => git::rescan -> Option<weft_git::Status>;
    /// Stages files (new, changed, deleted) as they are on disk; the new status.
    GitStage { paths: Vec<String> } => git::stage -> weft_git::Status;
    /// Stages `text` as the file's content: a hunk or some lines staged from the editor
    /// (the staged text with those lines taken from the editor's).
    GitStageText { path: String, text: String } => git::stage_text -> weft_git::Status;
    /// Takes files out of the next commit (their changes stay on disk).
    GitUnstage { paths: Vec<String> } => git::unstage -> weft_git::Status;
    /// Puts files back as staged or committed (untracked ones are deleted), after a
    /// checkpoint of what they held.
    GitDiscard { paths: Vec<String> } => git::discard -> weft_git::Status;
    /// Commits the staged changes (`all`: every change to tracked files); a refusing
    /// hook's output is the error (`git`).
    GitCommit { message: String, #[serde(default)] amend: bool, #[serde(default)] signoff: bool, #[serde(default)] all: bool } => git::commit -> weft_git::Committed;
    /// The two texts a file's diff compares (staged: last commit and index; else the
    /// index, or the last commit, and the file on disk).
    /// With `rev`: the commit's change to the file (its first parent's text, under `from`
    /// for a rename, and the commit's).
    GitVersions { path: String, #[serde(default)] staged: bool, #[serde(default)] rev: Option<String>, #[serde(default)] from: Option<String> } => git::versions -> crate::GitVersions;
    /// The history of the repository (or of `path`, through renames), newest first:
    /// `limit` commits after the first `skip`.
    GitLog { #[serde(default)] path: Option<String>, #[serde(default)] skip: u32, limit: u32 } => git::log -> Vec<weft_git::LogEntry>;
    /// A commit's whole message and the files it changed.
    GitCommitDetail { rev: String } => git::commit_detail -> weft_git::CommitDetail;
    /// Who last changed each line of a file (of the open document's text, when open).
    GitBlame { path: String } => git::blame -> weft_git::Blame;
    /// `action`: rename (to `to`) or delete (`force`: even unmerged); the branches after.
    GitBranch { action: String, name: String, #[serde(default)] to: String, #[serde(default)] force: bool } => git::branch -> Vec<weft_git::Branch>;
    /// Resolves every conflict in a file one way (ours, theirs or both) and stages it,
    /// after a checkpoint; the new status.
    GitResolve { path: String, take: weft_git::conflict::Take } => git::resolve -> weft_git::Status;
    /// A conflicted file's base, ours and theirs (the merge's stages 1, 2 and 3).
    GitConflictVersions { path: String } => git::conflict_versions -> crate::GitConflictVersions;
    GitBranches => git::branches -> Vec<weft_git::Branch>;
    GitStashes => git::stashes -> Vec<weft_git::Stash>;
    /// `action`: push (the changes, with untracked files when `untracked`), pop, apply or
    /// drop stash `index`; the new status.
    GitStash { action: String, #[serde(default)] index: u32, #[serde(default)] message: String, #[serde(default)] untracked: bool } => git::stash -> weft_git::Status;
    /// Stream: fetch, pull (merging, or rebasing with the setting gitPullRebase) or push
    /// with your own credentials; git's progress lines as frames; the new status. A branch
    /// without an upstream is pushed to origin and tracks it.
    GitSync { op: weft_git::SyncOp } => git::sync -> weft_git::Status, frames String;
    /// The language server's hover at a position of an open file (0-based line, UTF-16
    /// column): Markdown, or null where it has nothing.
    LspHover { path: String, line: u32, character: u32 } => lsp::hover.await -> Option<String>;
    /// `kind`: definition, typeDefinition, implementation or references.
    LspLocations { path: String, kind: String, line: u32, character: u32 } => lsp::locations.await -> Vec<weft_lsp::Location>;
    LspCompletion { path: String, line: u32, character: u32 } => lsp::completion.await -> Vec<weft_lsp::Completion>;
    /// A completion item's `resolve` given back: the item with the server's docs and the
    /// edits that come with it (an auto-import).
    LspResolveCompletion { path: String, #[ts(type = "unknown")] item: serde_json::Value } => lsp::resolve_completion.await -> weft_lsp::Completion;
    /// The signature being called at a position (while typing arguments); null outside one.
    LspSignatureHelp { path: String, line: u32, character: u32 } => lsp::signature_help.await -> Option<weft_lsp::Signature>;
    /// The server's edits formatting the whole file (not applied: the editor applies them).
    LspFormat { path: String, tab_size: u32, insert_spaces: bool } => lsp::format.await -> Vec<weft_lsp::TextEdit>;
    /// Where the symbol at a position occurs in the file.
    LspHighlights { path: String, line: u32, character: u32 } => lsp::highlights.await -> Vec<weft_lsp::Location>;
    /// Quick fixes and refactorings for a range (with the server's diagnostics there), each
    /// with its edits per file, not applied.
    LspCodeActions { path: String, line: u32, character: u32, end_line: u32, end_character: u32 } => lsp::code_actions.await -> Vec<weft_lsp::CodeAction>;
    /// The inlay hints (parameter names, inferred types) of lines `line..endLine` of an
    /// open file; empty where its server gives none.
    LspInlayHints { path: String, line: u32, end_line: u32 } => lsp::inlay_hints.await -> Vec<weft_lsp::InlayHint>;
    /// The file's semantic tokens (what each name is to the server), absolute; null when
    /// its server has none.
    LspSemanticTokens { path: String } => lsp::semantic_tokens.await -> Option<weft_lsp::SemanticTokens>;
    /// The edits renaming the symbol at a position would make, per file (not applied).
    LspRename { path: String, line: u32, character: u32, new_name: String } => lsp::rename.await -> Vec<weft_lsp::FileEdit>;
    /// Applies a workspace edit's files (those no editor of the caller has open: it applies
    /// its own) after a checkpoint named `label`; the number of files written.
    LspApplyEdits { files: Vec<weft_lsp::FileEdit>, label: String } => lsp::apply_edits -> u32;
    /// Stream: the language servers' states (LspEvent `server` frames) as they change; the
    /// result is each server's state now.
    LspStatus => lsp::status -> Vec<weft_lsp::LspEvent>, frames weft_lsp::LspEvent;
    /// The folder's MCP servers (`.mcp.json` and the mcpServers setting) and their states;
    /// nothing is started.
    McpStatus => mcp::status -> Vec<weft_mcp::ServerStatus>;
    /// Starts every trusted MCP server not running; the states after.
    McpStart => mcp::start.await -> Vec<weft_mcp::ServerStatus>;
    /// Trusts a project's MCP server as configured now (it runs from then on, until its
    /// command changes) and starts it.
    McpTrust { name: String } => mcp::trust.await -> weft_mcp::ServerStatus;
    McpRestart { name: String } => mcp::restart.await -> weft_mcp::ServerStatus;
    /// Starts signing in to a remote MCP server that asked for it (OAuth): the page to open
    /// in the browser. When the browser comes back, the server starts (its state says so).
    McpSignIn { name: String } => mcp::sign_in.await -> String;
    /// Forgets a remote MCP server's sign-in.
    McpSignOut { name: String } => mcp::sign_out.await -> weft_mcp::ServerStatus;
    /// The running MCP servers' resources (to @-mention).
    McpResources => mcp::resources.await -> Vec<crate::McpResourceDto>;
    /// The running MCP servers' prompts (slash commands `/mcp__server__prompt`).
    McpPrompts => mcp::prompts.await -> Vec<crate::McpPromptDto>;
    /// A resource's contents as text (binary ones described), to mention it.
    McpReadResource { server: String, uri: String } => mcp::read_resource.await -> String;
    /// Switches branch (`create`: a new one from HEAD); git refuses a switch that would
    /// overwrite changes, with the files it names.
    GitSwitch { name: String, #[serde(default)] create: bool } => git::switch -> weft_git::Status;
    /// Shares the open folder with guests: on the network over TLS (wss://, the
    /// certificate pinned by the invite links), or with `local` plain ws:// on 127.0.0.1
    /// only.
    /// `address`: the host name or address invite links name (default: this machine's
    /// address on its network).
    CollabShare { #[serde(default)] port: u16, #[serde(default)] local: bool, #[serde(default)] address: Option<String> } => collab::share.await -> CollabStatus;
    CollabStatus => collab::status -> CollabStatus;
    /// A new guest and their token.
    CollabInvite { name: String, #[serde(default)] read_only: bool } => collab::invite -> CollabStatus;
    CollabSetRole { token: String, read_only: bool } => collab::set_role -> CollabStatus;
    /// The guest's connections close and the token stops working.
    CollabRemove { token: String } => collab::remove -> CollabStatus;
    /// Stops sharing: every guest is disconnected.
    CollabStop => collab::stop -> CollabStatus;
    /// Shares a terminal with the guests (read-only unless `writable`: then guests with
    /// write access may type into it); again to change `writable`.
    CollabShareTerminal { #[ts(type = "number")] id: u64, #[serde(default)] writable: bool } => collab::share_terminal -> CollabStatus;
    CollabUnshareTerminal { #[ts(type = "number")] id: u64 } => collab::unshare_terminal -> CollabStatus;
    /// Lets guests see the preview of a local port (through the host; a read-only guest
    /// only looks). Listed in the tree room's `previews` map.
    CollabSharePreview { port: u16 } => collab::share_preview -> CollabStatus;
    CollabUnsharePreview { port: u16 } => collab::unshare_preview -> CollabStatus;
    /// A guest's request of a shared preview, answered by the host's app (guests only
    /// send it, over the session; the guest's own proxy does: GuestPreviewUrl).
    PreviewFetch { port: u16, request: crate::PreviewRequest } => run::fetch.await -> crate::PreviewResponse;
    /// In a session joined as a guest: the local address showing the host's shared `port`.
    GuestPreviewUrl { port: u16 } => run::guest_url.await -> String;
    /// Joins a session from its invite link (`wss://HOST:PORT/?token=TOKEN&fp=SHA256`,
    /// or `ws://` on loopback), leaving any other. Nothing connects until a room is opened.
    CollabJoin { link: String } => collab::join -> CollabJoined;
    /// Stream: a room of the joined session (`tree`, `file/<path>`) as y-sync messages
    /// (raw bytes: the document, then updates and awareness) and `CollabEvent` JSON frames.
    /// The room stays joined, editable offline, until `collabLeave`.
    CollabOpen { room: String } => collab::open -> (), frames crate::Bytes | crate::CollabEvent;
    /// y-sync messages from the editor for an open room.
    CollabPush { room: String, data: Vec<u8> } => collab::push -> Vec<Vec<u8>>;
    /// A request of the joined session's host (what it lets guests do: list and search its
    /// shared files), answered as the host's API answers it.
    CollabRequest { #[ts(type = "Request")] request: Value } => collab::request.await -> crate::Json;
    /// Stream: the same for a streaming request (search); the host's frames are relayed.
    CollabStream { #[ts(type = "Request")] request: Value } => collab::request.await -> crate::Json, frames crate::Bytes | crate::Json;
    /// Leaves the joined session: every room disconnects.
    CollabLeave => collab::leave -> ();
    /// Binds an editor to the open document of `path` (opened from the file if nobody has
    /// it open): streams raw y-sync messages (the whole text first) and DocEvent frames.
    /// Files over the large-file limit fail with `large_file`. `withText`: the reply
    /// carries the text too (for a first frame drawn before Yjs has loaded).
    DocOpen { path: String, #[serde(default)] with_text: bool } => docs::open -> crate::DocInfo, frames crate::Bytes | crate::DocEvent;
    /// Stream: the analysis of `path`'s document (outline, syntax errors, folds) as
    /// DocEvent `analysis` frames, for a view not bound by docOpen (a guest's live editor,
    /// through the host); the document is held until the stream is cancelled.
    DocAnalysis { path: String } => docs::analysis -> (), frames crate::DocEvent;
    /// y-sync messages from an editor bound by docOpen.
    DocPush { #[ts(type = "number")] conn: u64, data: Vec<u8> } => docs::push -> Vec<Vec<u8>>;
    /// Writes the document of `path` to its file (a change on disk not merged yet is merged
    /// first).
    DocSave { path: String } => docs::save -> crate::DocSaved;
    /// Writes every open document with unsaved edits; fails with the first file that could
    /// not be written (after trying the others).
    DocSaveAll => docs::save_all -> crate::SavedAll;
    /// The editor closed; `discard`: its user chose not to save, and when no one else has
    /// the document open its unsaved edits go.
    DocClose { #[ts(type = "number")] conn: u64, #[serde(default)] discard: bool } => docs::close -> ();
    /// After a conflict with the disk: the document takes the file's text.
    DocTakeDisk { path: String } => docs::take_disk -> ();
    /// After a conflict with the disk: the user keeps the document's text.
    DocKeepMine { path: String } => docs::keep_mine -> ();
    /// The UI is interactive: logs the start-up time and the UI's own marks (name, ms
    /// since the page began loading), and prints them for benchmarks. `firstFrame`: only
    /// the start-up's first frame (the tree and the restored text, editable) is up; the
    /// work queued until ready waits for the call without it (the whole workbench).
    UiReady { #[serde(default)] marks: Vec<(String, f64)>, #[serde(default)] first_frame: bool } => app::ui_ready -> ();
}
