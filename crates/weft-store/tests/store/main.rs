//! weft-store against real directories and a real SQLite file.
//!
//! The fixtures set file modes and make symlinks, so the suite is Unix-only until it has a
//! Windows counterpart (the library itself builds for Windows and is cross-checked).
#![cfg(unix)]

mod common;
mod gc;
mod ignore_rules;
mod migrate;
mod restore;
mod roundtrip;
