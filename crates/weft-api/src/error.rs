use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every way a call can fail, as the UI switches on it (exported to TypeScript, so a code
/// the UI checks for is one Rust can send).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Requests
    BadRequest,
    Internal,
    /// The shell does not do this request (its list says why).
    Unsupported,
    Busy,
    NoWorkspace,
    // Files
    NotFound,
    OutsideWorkspace,
    InvalidPath,
    AlreadyExists,
    BinaryFile,
    TooLarge,
    /// Over the large-file limit: opened read-only, not as a document.
    LargeFile,
    Unencodable,
    NotADirectory,
    BadRoot,
    BadPattern,
    TrashFailed,
    /// A save refused: the file changed on disk where the document has clashing unsaved
    /// changes; the user chooses first (keep mine, take disk, compare).
    ChangedOnDisk,
    Io,
    // Terminals
    UnknownTerminal,
    TerminalExited,
    SpawnFailed,
    /// A run configuration could not start: one it depends on failed.
    RunFailed,
    /// A new project could not be made: its template needs a program that is missing, or
    /// its install step failed (the message has the step's output).
    ProjectFailed,
    // Code intelligence
    SyntaxOutOfSync,
    // Checkpoints and git
    NoCheckpoint,
    CheckpointStore,
    NotGit,
    NothingToCommit,
    /// A language server failed, is missing (the message has the install hint) or did not
    /// answer in time.
    Lsp,
    /// An MCP server is not configured, not trusted, failed to start or failed a request.
    Mcp,
    /// git refused an operation: the message is git's own (a hook's output, the files a
    /// switch would overwrite, a lock left behind).
    Git,
    // Settings, prices, usage
    InvalidSettings,
    InvalidPrices,
    Usage,
    OverBudget,
    // The agent and models
    NoModel,
    BadModel,
    LlmKeys,
    LlmAuth,
    LlmRateLimited,
    LlmOverloaded,
    LlmServer,
    LlmInvalidRequest,
    LlmConnection,
    LlmTruncated,
    LlmMalformed,
    LlmUnknownProvider,
    /// The model cannot take what was sent (images, for a text-only model).
    LlmUnsupported,
    Review,
    CorruptThread,
    // Collaboration
    Collab,
    NotSharing,
    NotJoined,
    /// A guest asked the host for something it does not share with guests.
    NotShared,
    /// A read-only guest asked for something that would change the host's side.
    ReadOnly,
}

impl ErrorCode {
    /// The wire name (`"not_found"`).
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// So tests and callers can say `err.code == "not_found"`.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// What crosses the boundary when a call fails: a code the UI switches on and a message a
/// person can read. Never a panic, never a host-internal path beyond the workspace.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, err.to_string())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

impl From<weft_fs::FsError> for ApiError {
    fn from(e: weft_fs::FsError) -> Self {
        use weft_fs::FsError as F;
        let code = match &e {
            F::OutsideWorkspace(_) => ErrorCode::OutsideWorkspace,
            F::InvalidPath { .. } => ErrorCode::InvalidPath,
            F::NotFound(_) => ErrorCode::NotFound,
            F::AlreadyExists(_) => ErrorCode::AlreadyExists,
            F::Binary(_) => ErrorCode::BinaryFile,
            F::TooLarge { .. } => ErrorCode::TooLarge,
            F::Unencodable { .. } => ErrorCode::Unencodable,
            F::NotADirectory(_) => ErrorCode::NotADirectory,
            F::BadRoot(_) => ErrorCode::BadRoot,
            F::BadPattern(_) => ErrorCode::BadPattern,
            F::Trash(..) => ErrorCode::TrashFailed,
            F::ChangedOnDisk(_) => ErrorCode::ChangedOnDisk,
            F::Io { .. } => ErrorCode::Io,
        };
        Self::new(code, e.to_string())
    }
}

impl From<weft_pty::PtyError> for ApiError {
    fn from(e: weft_pty::PtyError) -> Self {
        use weft_pty::PtyError as P;
        let code = match &e {
            P::Unknown(_) => ErrorCode::UnknownTerminal,
            P::Exited(_) => ErrorCode::TerminalExited,
            P::Spawn(_) => ErrorCode::SpawnFailed,
            P::Io { .. } => ErrorCode::Io,
        };
        Self::new(code, e.to_string())
    }
}

impl From<weft_git::GitError> for ApiError {
    fn from(e: weft_git::GitError) -> Self {
        let code = match &e {
            weft_git::GitError::Outside(_) => ErrorCode::OutsideWorkspace,
            weft_git::GitError::Io(_) => ErrorCode::Io,
            weft_git::GitError::NoGit(_) | weft_git::GitError::Failed(_) => ErrorCode::Git,
        };
        Self::new(code, e.to_string())
    }
}

impl From<weft_store::StoreError> for ApiError {
    fn from(e: weft_store::StoreError) -> Self {
        let code = match &e {
            weft_store::StoreError::NotFound(_) => ErrorCode::NotFound,
            weft_store::StoreError::Invalid(_) => ErrorCode::BadRequest,
            weft_store::StoreError::Io(_) => ErrorCode::Io,
            weft_store::StoreError::Db(_) | weft_store::StoreError::Corrupt(_) => ErrorCode::CheckpointStore,
        };
        Self::new(code, e.to_string())
    }
}
