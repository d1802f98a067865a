//! weft-store against real directories and a real SQLite file.

mod common;
mod gc;
mod ignore_rules;
mod migrate;
mod restore;
mod roundtrip;
