//! The wire shapes (the method table itself is in api/handlers); the TypeScript bindings in
//! ui/src/bindings are generated from these types (see tests/bindings), and CI fails when
//! they are stale.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use weft_fs::{Encoding, LineEnding};

use crate::Settings;


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

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
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
    /// The ports whose preview guests may see.
    pub previews: Vec<CollabPreview>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollabPreview {
    pub port: u16,
    pub title: String,
}

/// A guest's request of a shared preview, as it travels to the host (body base64).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRequest {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: String,
}

/// The host app's answer (body base64).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
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

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollabGuest {
    pub name: String,
    pub token: String,
    pub read_only: bool,
    /// The invite link to give this guest.
    pub link: String,
}

/// What `docSaveAll` wrote.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedAll {
    pub written: u32,
}

/// The two sides of a file's diff.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GitVersions {
    /// The base: the last commit's text for a staged change, else the staged (or
    /// committed) text. None where the file does not exist there (new).
    pub left: Option<String>,
    /// The staged text for a staged change, else the file on disk. None when deleted.
    pub right: Option<String>,
}

/// A resource of an MCP server.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct McpResourceDto {
    pub server: String,
    pub resource: weft_mcp::Resource,
}

/// A prompt of an MCP server.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct McpPromptDto {
    pub server: String,
    pub prompt: weft_mcp::Prompt,
}

/// A conflicted file's versions from the merge's stages.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GitConflictVersions {
    pub base: Option<String>,
    pub ours: Option<String>,
    pub theirs: Option<String>,
}
