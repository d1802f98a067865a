//! The open documents' text and how it meets the disk.
//!
//! Owns: the three-way merge of a document with a file changed on disk ([`merge3`]), the
//! record of what the document last loaded or saved ([`DiskSync`]), and turning a new text
//! into the smallest edits of a Yrs text ([`apply_text`]), so cursors and collaborators'
//! concurrent typing survive a change that came from the disk.
//!
//! [`Documents`] keeps the open documents of a folder: one [`Document`] (a Yrs doc with its
//! disk state, update log and the y-sync protocol) per open file, shared by the editor, the
//! agent and guests, so there is one copy of the text.
//!
//! Does not own: reading, writing or watching files (weft-fs), sockets, guests and tokens
//! (weft-collab). The merge itself is sans-IO: it is handed texts and returns one.
//!
//! The rules it enforces (the design's "disk sync is a three-way merge, never a timer"):
//! - a disk text equal to what the document last loaded or saved is our own write, or no
//!   change: it is ignored, whatever the timing of the watcher that reported it;
//! - otherwise base = last saved, ours = document, theirs = disk: a change made on one side
//!   is taken, an identical change on both sides is applied once, and a real conflict keeps
//!   the document's side and is reported with the disk's, never resolved by keeping both.

mod disk;
pub mod document;
pub mod documents;
pub mod fanout;
mod merge;
mod text;

pub use disk::DiskSync;
pub use merge::{merge3, Conflict, Merged};
pub use text::{apply_edits, apply_text, edited_in_place, text_edits, TextEdit};
pub use document::Document;
pub use documents::{doc_name, log_name, Documents, Form, Merging, Opened};
