//! weft-fs owns everything Weft does with the files of one workspace folder: the path jail
//! that keeps every client-supplied path inside the root, the gitignore-aware lazy tree,
//! atomic reads and writes that never lose bytes, file operations, a batched watcher for
//! changes made by other programs, the fuzzy file finder and project-wide search.
//!
//! It does not know about the UI, IPC, settings or any transport: callers hand it
//! workspace-relative paths (always `/`-separated) and get plain Rust values and callbacks.

mod error;
mod finder;
mod fs;
mod io;
mod jail;
mod ops;
mod search;
mod tree;
mod watch;

pub use error::FsError;
pub use finder::{FileFinder, FinderMatch};
pub use fs::{FakeFs, Fs, OnBatch, RealFs};
pub use io::{atomic_write, atomic_write_mode, encode, is_temp_name, Encoding, FileText, LineEnding, TextFile, LARGE_FILE_BYTES, MAX_OPEN_BYTES};
pub use jail::Workspace;
pub use search::{ReplaceOutcome, SearchCancel, SearchHit, SearchLine, SearchOptions, SearchSummary};
pub use tree::{is_env_file, EntryKind, TreeEntry};
pub use watch::{FsChange, FsChangeKind, Watcher, WatchOptions};

pub type Result<T, E = FsError> = std::result::Result<T, E>;
