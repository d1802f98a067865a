//! weft-pty owns terminal sessions: real PTYs (portable-pty; ConPTY on Windows) running the
//! user's shell in the workspace, addressed by id.
//!
//! Output path: one blocking reader thread per PTY appends to a *bounded* buffer, so a
//! consumer that falls behind stops the reader, the kernel's PTY buffer fills and the
//! program writing blocks — memory never grows with a flood. A pump thread takes what is
//! buffered as frames (at once when output comes after a pause, so an echo is not delayed;
//! while output streams, up to 256 KiB or what arrived within ~4 ms; the reader wakes it
//! only when that is there) and hands them to the session's sink, keeping a scrollback ring
//! so a re-attached UI sees recent output. A sink may ask for flow control: then the pump
//! also waits while more than 1 MiB is unacknowledged, so the transport's queues stay
//! bounded too.
//!
//! It knows nothing of Tauri, WebSockets or JSON: bytes in, bytes and an exit status out.

pub mod login_env;
pub mod mask;
pub mod process;
mod session;

/// Variables holding Weft's own secrets (model keys, the server's token): removed from the
/// environment of every program Weft starts.
pub const SECRET_ENV: &[&str] = &["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "WEFT_TOKEN", "ANTHROPIC_AUTH_TOKEN", "GEMINI_API_KEY", "GOOGLE_API_KEY"];

pub use session::{ExitInfo, PtyEvent, SpawnOptions, TerminalInfo, Terminals};

#[derive(Debug, thiserror::Error)]
pub enum PtyError {
    #[error("no terminal with id {0} (it may have been closed)")]
    Unknown(u64),
    #[error("terminal {0} has exited")]
    Exited(u64),
    #[error("could not start the terminal: {0}")]
    Spawn(String),
    #[error("terminal {id}: {source}")]
    Io { id: u64, #[source] source: std::io::Error },
}

impl PtyError {
    pub fn code(&self) -> &'static str {
        match self {
            PtyError::Unknown(_) => "unknown_terminal",
            PtyError::Exited(_) => "terminal_exited",
            PtyError::Spawn(_) => "spawn_failed",
            PtyError::Io { .. } => "io",
        }
    }
}

pub type Result<T, E = PtyError> = std::result::Result<T, E>;
