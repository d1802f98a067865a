//! weft-run owns what it takes to run a project: its run configurations (detected from the
//! project's files, or the user's `.weft/run.json`), problem matchers that turn build and
//! test output into located problems, and noticing the local ports a run listens on.
//!
//! It starts no run itself: runs are terminals (weft-pty), started and stopped by
//! weft-api, which feeds their output here. The preview's proxy (./proxy.rs) is the one
//! server it runs, and a headless browser the one program (./screenshot.rs: a picture of
//! the preview for the agent). It knows nothing of Tauri or the UI.

pub mod detect;
pub mod matchers;
pub mod ports;
pub mod proxy;
pub mod screenshot;

pub use detect::{detect, plan, Detected, RunConfig, RunGroup, USER_FILE};
pub use matchers::{project_path, Problem, Scanner};
pub use ports::{PortEvent, Watcher};
