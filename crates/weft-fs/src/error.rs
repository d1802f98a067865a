use std::path::PathBuf;

/// Errors callers branch on. Every variant carries the workspace-relative path the user
/// asked about (never an absolute host path, which could leak a collaborator's layout).
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("'{0}' is outside the workspace")]
    OutsideWorkspace(String),
    #[error("'{path}' is not a valid workspace path: {reason}")]
    InvalidPath { path: String, reason: &'static str },
    #[error("'{0}' does not exist")]
    NotFound(String),
    #[error("'{0}' already exists")]
    AlreadyExists(String),
    #[error("'{0}' is a binary file")]
    Binary(String),
    #[error("'{path}' is too large to open ({size} bytes)")]
    TooLarge { path: String, size: u64 },
    #[error("'{path}' cannot be saved as {encoding}: {reason}")]
    Unencodable { path: String, encoding: &'static str, reason: String },
    #[error("'{0}' is not a directory")]
    NotADirectory(String),
    #[error("the workspace root {0} is not a directory")]
    BadRoot(PathBuf),
    #[error("invalid search pattern: {0}")]
    BadPattern(String),
    #[error("could not move '{0}' to the trash: {1}")]
    Trash(String, String),
    /// An open file changed on disk where its document has unsaved changes that clash: a
    /// save would write over the other program's text, so it waits for the user's choice.
    #[error("'{0}' changed on disk where you have unsaved changes: keep yours, take the disk's or compare before saving")]
    ChangedOnDisk(String),
    #[error("{op} '{path}': {source}")]
    Io { op: &'static str, path: String, #[source] source: std::io::Error },
}

impl FsError {
    pub(crate) fn io(op: &'static str, path: &str, source: std::io::Error) -> Self {
        match source.kind() {
            std::io::ErrorKind::NotFound => FsError::NotFound(path.to_owned()),
            std::io::ErrorKind::AlreadyExists => FsError::AlreadyExists(path.to_owned()),
            _ => FsError::Io { op, path: path.to_owned(), source },
        }
    }

    /// A stable, short code for UIs and wire protocols to switch on.
    pub fn code(&self) -> &'static str {
        match self {
            FsError::OutsideWorkspace(_) => "outside_workspace",
            FsError::InvalidPath { .. } => "invalid_path",
            FsError::NotFound(_) => "not_found",
            FsError::AlreadyExists(_) => "already_exists",
            FsError::Binary(_) => "binary_file",
            FsError::TooLarge { .. } => "too_large",
            FsError::Unencodable { .. } => "unencodable",
            FsError::NotADirectory(_) => "not_a_directory",
            FsError::BadRoot(_) => "bad_root",
            FsError::BadPattern(_) => "bad_pattern",
            FsError::Trash(..) => "trash_failed",
            FsError::ChangedOnDisk(_) => "changed_on_disk",
            FsError::Io { .. } => "io",
        }
    }
}
