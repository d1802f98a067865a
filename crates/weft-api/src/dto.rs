//! The wire shapes. `Request` is the whole method table; the TypeScript bindings in
//! ui/src/bindings are generated from these types (see tests/bindings), and CI fails when
//! they are stale.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use weft_fs::{Encoding, LineEnding, SearchOptions};

use crate::Settings;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "method", content = "params", rename_all = "camelCase")]
pub enum Request {
    /// What this backend is and what is open. -> AppInfo
    Info,
    /// Desktop only: switch the window to another folder. -> WorkspaceInfo
    #[serde(rename_all = "camelCase")]
    OpenWorkspace { path: String },
    /// -> RecentWorkspace[]
    RecentWorkspaces,
    /// One level of the tree. -> TreeEntry[]
    #[serde(rename_all = "camelCase")]
    ListDir { path: String },
    /// -> FileDto
    #[serde(rename_all = "camelCase")]
    ReadFile { path: String },
    /// Atomic save in the given encoding. -> SaveResult
    #[serde(rename_all = "camelCase")]
    WriteFile { path: String, text: String, encoding: Encoding },
    #[serde(rename_all = "camelCase")]
    CreateFile { path: String },
    #[serde(rename_all = "camelCase")]
    CreateDir { path: String },
    /// Rename or move; never overwrites.
    #[serde(rename_all = "camelCase")]
    Rename { from: String, to: String },
    /// To the OS trash unless `permanent`.
    #[serde(rename_all = "camelCase")]
    Delete { path: String, #[serde(default)] permanent: bool },
    /// Fuzzy file finder. -> FinderMatch[]
    #[serde(rename_all = "camelCase")]
    FindFiles { query: String, #[serde(default)] limit: Option<u32> },
    /// Streams SearchEvent frames; -> SearchSummary when done.
    #[serde(rename_all = "camelCase")]
    Search { options: SearchOptions },
    /// Preview (apply = false) or apply a replace. -> ReplaceOutcome[]
    #[serde(rename_all = "camelCase")]
    Replace { options: SearchOptions, replacement: String, #[serde(default)] paths: Option<Vec<String>>, apply: bool },
    /// Streams WatchEvent frames until cancelled. -> null
    Watch,
    /// Stops a stream started by this client.
    #[serde(rename_all = "camelCase")]
    Cancel { stream: String },
    /// Starts following an editor document for code intelligence. `doc` is minted by the
    /// client, one per open file; `text` has "\n" line breaks. -> Analysis
    #[serde(rename_all = "camelCase")]
    SyntaxOpen { doc: String, path: String, text: String },
    /// One CodeMirror change set, in the coordinates before it; `length` is the document's
    /// length after it. Fails with `syntax_out_of_sync` when the sides drifted, and the
    /// client opens the document again. -> Analysis
    #[serde(rename_all = "camelCase")]
    SyntaxEdit { doc: String, changes: Vec<weft_syntax::Change>, length: u32 },
    #[serde(rename_all = "camelCase")]
    SyntaxClose { doc: String },
    /// The smallest syntax node strictly around a selection. -> Span | null
    #[serde(rename_all = "camelCase")]
    SyntaxExpand { doc: String, from: u32, to: u32 },
    /// Go to symbol in workspace: definitions by fuzzy name. -> SymbolHit[]
    #[serde(rename_all = "camelCase")]
    SymbolSearch { query: String, #[serde(default)] limit: Option<u32> },
    /// The ranked summary of the workspace for a token budget; `focus` are the files the
    /// user works on (their names rank higher). -> RepoMap
    #[serde(rename_all = "camelCase")]
    RepoMap { tokens: u32, #[serde(default)] focus: Vec<String> },
    /// -> SettingsDto
    GetSettings,
    /// Validates and writes the settings file's text. -> SettingsDto
    #[serde(rename_all = "camelCase")]
    SetSettings { text: String },
    /// -> Session
    GetSession,
    #[serde(rename_all = "camelCase")]
    SaveSession { session: Session },
    /// Starts a terminal (the user's shell, in the workspace). Streams the output as raw
    /// byte frames and a final TerminalEvent. `flowControl`: the client acks what it has
    /// rendered (terminalAck) and output pauses while 1 MiB is unacknowledged. -> TerminalInfo
    #[serde(rename_all = "camelCase")]
    TerminalSpawn { cols: u16, rows: u16, #[serde(default)] flow_control: bool },
    /// Re-attaches to a running terminal (after a reload): streams its scrollback, then
    /// live output. -> TerminalInfo
    #[serde(rename_all = "camelCase")]
    TerminalAttach { #[ts(type = "number")] id: u64, #[serde(default)] flow_control: bool },
    /// Keystrokes or pasted text.
    #[serde(rename_all = "camelCase")]
    TerminalWrite { #[ts(type = "number")] id: u64, data: String },
    #[serde(rename_all = "camelCase")]
    TerminalResize { #[ts(type = "number")] id: u64, cols: u16, rows: u16 },
    #[serde(rename_all = "camelCase")]
    TerminalAck { #[ts(type = "number")] id: u64, #[ts(type = "number")] bytes: u64 },
    /// Pids of processes still running in the terminal besides the shell. -> number[]
    #[serde(rename_all = "camelCase")]
    TerminalChildren { #[ts(type = "number")] id: u64 },
    /// Kills the shell and everything it started.
    #[serde(rename_all = "camelCase")]
    TerminalClose { #[ts(type = "number")] id: u64 },
    /// -> TerminalInfo[]
    TerminalList,
    /// Checkpoints of the open folder, newest first. -> Checkpoint[]
    CheckpointList,
    /// A manual checkpoint with a label. -> Created (new: false when nothing changed)
    #[serde(rename_all = "camelCase")]
    CheckpointCreate { #[serde(default)] label: String },
    /// The files a checkpoint changed against the one before it. -> FileChange[]
    #[serde(rename_all = "camelCase")]
    CheckpointChanges { #[ts(type = "number")] id: i64 },
    /// Changes from one side to the other; null is the files on disk now. -> FileChange[]
    #[serde(rename_all = "camelCase")]
    CheckpointDiff { #[ts(type = "number | null")] from: Option<i64>, #[ts(type = "number | null")] to: Option<i64> },
    /// One file in a checkpoint (or on disk when id is null). -> CheckpointFile
    #[serde(rename_all = "camelCase")]
    CheckpointFile { #[ts(type = "number | null")] id: Option<i64>, path: String },
    /// What restoring would modify, create and delete; `paths` limits it to those files
    /// and folders. -> RestorePlan
    #[serde(rename_all = "camelCase")]
    CheckpointPreview { #[ts(type = "number")] id: i64, #[serde(default)] paths: Option<Vec<String>> },
    /// Restores after taking a checkpoint of the current state (its id undoes it).
    /// -> RestoreReport
    #[serde(rename_all = "camelCase")]
    CheckpointRestore { #[ts(type = "number")] id: i64, #[serde(default)] paths: Option<Vec<String>> },
    /// Deletes checkpoints and frees what only they used. -> GcReport
    #[serde(rename_all = "camelCase")]
    CheckpointDelete { #[ts(type = "number[]")] ids: Vec<i64> },
    /// Streams each new checkpoint (any origin) as a Checkpoint frame until cancelled.
    CheckpointEvents,
    /// The AI providers with their base URLs and where their keys come from (never the
    /// keys). -> ProviderStatus[]
    AgentProviders,
    /// Stores a provider's key in the user-only key file (null forgets it). -> null
    #[serde(rename_all = "camelCase")]
    AgentSetKey { provider: String, key: Option<String> },
    /// "Test connection": the models the provider lists. -> string[]
    #[serde(rename_all = "camelCase")]
    AgentModels { provider: String },
    /// Saved threads of the open folder, newest first. -> ThreadSummary[]
    AgentThreads,
    /// -> AgentThread
    #[serde(rename_all = "camelCase")]
    AgentThread { thread: String },
    /// Starts a turn in a thread (created when new; the id is minted by the client).
    /// Streams AgentFrame frames, the last being `done`. `model` overrides the settings'
    /// model for this turn; `mentions` are what the prompt @-mentions. -> null, at once
    #[serde(rename_all = "camelCase")]
    AgentSend { thread: String, prompt: String, #[serde(default)] model: Option<String>, #[serde(default)] mentions: Vec<weft_agent::Mention> },
    /// Answers an approval card: "once", "always" or "deny". -> null
    #[serde(rename_all = "camelCase")]
    AgentApprove { request: String, answer: String },
    /// Stops the thread's running turn. -> boolean (whether one was running)
    #[serde(rename_all = "camelCase")]
    AgentStop { thread: String },
    /// The files the thread's turns changed, hunk by hunk, until settled. -> FileReview[]
    #[serde(rename_all = "camelCase")]
    AgentReview { thread: String },
    /// Accept or reject (rejecting puts the old text back on disk). -> FileReview[]
    #[serde(rename_all = "camelCase")]
    AgentReviewAction { thread: String, action: crate::ReviewAction },
    /// Restores a turn's starting point: the code (from its checkpoint; undoable), the
    /// conversation (cut back to before it), or both. -> AgentThread
    #[serde(rename_all = "camelCase")]
    AgentRestore { thread: String, turn: u32, code: bool, conversation: bool },
    /// The thread as Markdown. -> string
    #[serde(rename_all = "camelCase")]
    AgentExport { thread: String },
    #[serde(rename_all = "camelCase")]
    AgentDelete { thread: String },
    /// Cost and tokens for the dashboard: the last `days` days (0: all), grouped by day,
    /// model, workspace, thread and task. -> UsageSummary
    #[serde(rename_all = "camelCase")]
    UsageSummary { #[serde(default)] days: u32 },
    /// The live meter: a thread of the open folder, and today. -> UsageMeter
    #[serde(rename_all = "camelCase")]
    UsageMeter { #[serde(default)] thread: Option<String> },
    /// The ledger rows of the last `days` days (0: all) as CSV. -> string
    #[serde(rename_all = "camelCase")]
    UsageExport { #[serde(default)] days: u32 },
    /// The price table in force ($ per million tokens) and the user's prices.json. -> PriceList
    UsagePrices,
    /// Validates and writes prices.json (an object of "provider:model" -> {input, output,
    /// cacheRead, cacheWrite} in $ per million tokens). -> PriceList
    #[serde(rename_all = "camelCase")]
    UsageSetPrices { text: String },
    /// A commit message for the folder's staged git changes (else its unstaged ones), from
    /// the `commitMessage` task model. -> CommitMessage
    SuggestCommitMessage,
    /// Shares the open folder with guests: on the network over TLS (wss://, the
    /// certificate pinned by the invite links), or with `local` plain ws:// on 127.0.0.1
    /// only. -> CollabStatus
    #[serde(rename_all = "camelCase")]
    CollabShare { #[serde(default)] port: u16, #[serde(default)] local: bool },
    /// -> CollabStatus
    CollabStatus,
    /// A new guest and their token. -> CollabStatus
    #[serde(rename_all = "camelCase")]
    CollabInvite { name: String, #[serde(default)] read_only: bool },
    /// -> CollabStatus
    #[serde(rename_all = "camelCase")]
    CollabSetRole { token: String, read_only: bool },
    /// The guest's connections close and the token stops working. -> CollabStatus
    #[serde(rename_all = "camelCase")]
    CollabRemove { token: String },
    /// Stops sharing: every guest is disconnected. -> CollabStatus
    CollabStop,
    /// Shares a terminal with the guests (read-only unless `writable`: then guests with
    /// write access may type into it); again to change `writable`. -> CollabStatus
    #[serde(rename_all = "camelCase")]
    CollabShareTerminal { #[ts(type = "number")] id: u64, #[serde(default)] writable: bool },
    /// -> CollabStatus
    #[serde(rename_all = "camelCase")]
    CollabUnshareTerminal { #[ts(type = "number")] id: u64 },
    /// Joins a session from its invite link (`wss://HOST:PORT/?token=TOKEN&fp=SHA256`,
    /// or `ws://` on loopback), leaving any other. Nothing connects until a room is opened. -> CollabJoined
    #[serde(rename_all = "camelCase")]
    CollabJoin { link: String },
    /// Stream: a room of the joined session (`tree`, `file/<path>`) as y-sync messages
    /// (raw bytes: the document, then updates and awareness) and `CollabEvent` JSON frames.
    /// The room stays joined, editable offline, until `collabLeave`.
    #[serde(rename_all = "camelCase")]
    CollabOpen { room: String },
    /// y-sync messages from the editor for an open room. -> number[][] (replies)
    #[serde(rename_all = "camelCase")]
    CollabPush { room: String, data: Vec<u8> },
    /// Leaves the joined session: every room disconnects. -> null
    CollabLeave,
    /// Binds an editor to the open document of `path` (opened from the file if nobody has
    /// it open): streams raw y-sync messages (the whole text first) and DocEvent frames.
    /// Files over the large-file limit fail with `large_file`. -> DocInfo
    #[serde(rename_all = "camelCase")]
    DocOpen { path: String },
    /// y-sync messages from an editor bound by docOpen. -> number[][] (replies)
    #[serde(rename_all = "camelCase")]
    DocPush { #[ts(type = "number")] conn: u64, data: Vec<u8> },
    /// Writes the document of `path` to its file (a change on disk not merged yet is merged
    /// first). -> DocSaved
    #[serde(rename_all = "camelCase")]
    DocSave { path: String },
    /// The editor closed; `discard`: its user chose not to save, and when no one else has
    /// the document open its unsaved edits go. -> null
    #[serde(rename_all = "camelCase")]
    DocClose { #[ts(type = "number")] conn: u64, #[serde(default)] discard: bool },
    /// After a conflict with the disk: the document takes the file's text. -> null
    #[serde(rename_all = "camelCase")]
    DocTakeDisk { path: String },
    /// After a conflict with the disk: the user keeps the document's text. -> null
    #[serde(rename_all = "camelCase")]
    DocKeepMine { path: String },
    /// The UI is interactive: logs the start-up time and the UI's own marks (name, ms
    /// since the page began loading), and prints them for benchmarks.
    #[serde(rename_all = "camelCase")]
    UiReady { #[serde(default)] marks: Vec<(String, f64)> },
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    /// "desktop" or "serve".
    pub mode: String,
    pub workspace: Option<WorkspaceInfo>,
    /// Whether Open Folder is allowed (desktop); a browser client is pinned to its folder.
    pub can_open_folders: bool,
    pub platform: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceInfo {
    pub root: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecentWorkspace {
    pub path: String,
    pub name: String,
    #[ts(type = "number")]
    pub opened_at_ms: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FileDto {
    pub path: String,
    pub text: String,
    pub encoding: Encoding,
    /// Human label for the status bar, e.g. "UTF-8".
    pub encoding_label: String,
    pub line_ending: LineEnding,
    #[ts(type = "number")]
    pub size: u64,
    #[ts(type = "number")]
    pub mtime_ms: u64,
    /// Over the large-file limit: open read-only, no highlighting, no analysis.
    pub large: bool,
    pub readonly: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SaveResult {
    #[ts(type = "number")]
    pub mtime_ms: u64,
}

/// Frames of a `search` stream.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum SearchEvent {
    Hit { hit: weft_fs::SearchHit },
    Done { summary: weft_fs::SearchSummary },
    Error { error: crate::ApiError },
}

/// Frames of a `watch` stream.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WatchEvent {
    pub changes: Vec<weft_fs::FsChange>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    pub settings: Settings,
    /// The file's text as the user wrote it (defaults when there is no file yet).
    pub text: String,
    pub path: String,
    /// Set when the file on disk is not valid settings: defaults are in force.
    pub error: Option<String>,
}

/// What reopening a folder restores: the editor groups and their tabs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Session {
    pub groups: Vec<GroupSession>,
    pub active_group: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupSession {
    pub files: Vec<String>,
    pub active: Option<String>,
}

/// The JSON frames of a terminal stream (its output comes as raw byte frames).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum TerminalEvent {
    Exit { code: Option<u32>, signal: Option<String> },
}

/// One file as a checkpoint (or the disk) has it, for the diff view.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointFile {
    pub path: String,
    pub exists: bool,
    /// The text (invalid UTF-8 shown with replacement characters); null for binary files.
    pub text: Option<String>,
    pub binary: bool,
    pub symlink: Option<String>,
    pub mode: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageMeter {
    pub thread: Option<weft_usage::Totals>,
    pub today: weft_usage::Totals,
    pub budgets: weft_usage::Budgets,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PriceList {
    pub path: String,
    /// The user's prices.json as written ("{}" when there is none).
    pub text: String,
    pub prices: std::collections::BTreeMap<String, weft_usage::Price>,
    pub local_providers: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollabStatus {
    /// `wss://HOST:PORT` (or `ws://127.0.0.1:PORT` when local) while sharing.
    pub url: Option<String>,
    /// The certificate fingerprint guests pin (SHA-256, hex), on the network.
    pub fingerprint: Option<String>,
    /// While sharing: the link the host's own editor joins with (never shown to guests).
    pub self_link: Option<String>,
    pub guests: Vec<CollabGuest>,
    /// The terminals shared with guests.
    pub terminals: Vec<CollabTerminal>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollabTerminal {
    #[ts(type = "number")]
    pub id: u64,
    pub writable: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollabJoined {
    /// `ws://HOST:PORT`.
    pub host: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollabGuest {
    pub name: String,
    pub token: String,
    pub read_only: bool,
    /// The invite link to give this guest.
    pub link: String,
}
