//! weft-store against real directories and a real SQLite file.

mod common;
mod gc;
mod restore;
mod roundtrip;
