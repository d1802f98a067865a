//! weft-store against real directories and a real SQLite file.
//!
//! On Unix the fixtures set file modes and make symlinks; on Windows (run under Wine by
//! scripts/test.sh) the same trees are built with plain writable files, and the tests about
//! modes and symlinks are Unix-only.

mod common;
mod gc;
mod ignore_rules;
mod migrate;
mod restore;
mod roundtrip;
