use serde::Serialize;
use ts_rs::TS;

/// What crosses the boundary when a call fails: a code the UI switches on and a message a
/// person can read. Never a panic, never a host-internal path beyond the workspace.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("bad_request", message)
    }
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::new("internal", err.to_string())
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
        Self::new(e.code(), e.to_string())
    }
}

impl From<weft_pty::PtyError> for ApiError {
    fn from(e: weft_pty::PtyError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<weft_store::StoreError> for ApiError {
    fn from(e: weft_store::StoreError) -> Self {
        let code = match &e {
            weft_store::StoreError::NotFound(_) => "not_found",
            weft_store::StoreError::Invalid(_) => "bad_request",
            weft_store::StoreError::Io(_) => "io",
            weft_store::StoreError::Db(_) | weft_store::StoreError::Corrupt(_) => "checkpoint_store",
        };
        Self::new(code, e.to_string())
    }
}
