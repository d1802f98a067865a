//! The open documents' text and how it meets the disk.
//!
//! Owns: the three-way merge of a document with a file changed on disk ([`merge3`]), the
//! record of what the document last loaded or saved ([`DiskSync`]), and turning a new text
//! into the smallest edits of a Yrs text ([`apply_text`]), so cursors and collaborators'
//! concurrent typing survive a change that came from the disk.
//!
//! Does not own: reading, writing or watching files (weft-fs), sockets and rooms
//! (weft-collab). It is sans-IO: callers hand it texts and apply what it returns.
//!
//! The rules it enforces (see `docs/ARCHITECTURE.md`, "Disk sync"):
//! - a disk text equal to what the document last loaded or saved is our own write, or no
//!   change: it is ignored, whatever the timing of the watcher that reported it;
//! - otherwise base = last saved, ours = document, theirs = disk: a change made on one side
//!   is taken, an identical change on both sides is applied once, and a real conflict keeps
//!   the document's side and is reported with the disk's, never resolved by keeping both.

mod disk;
mod merge;
mod text;

pub use disk::DiskSync;
pub use merge::{merge3, Conflict, Merged};
pub use text::{apply_edits, apply_text, edited_in_place, text_edits, TextEdit};
