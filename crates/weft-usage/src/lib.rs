//! What AI costs in Weft.
//!
//! Owns: the ledger of every model request (one SQLite file for all workspaces), the
//! price table (shipped list prices plus the user's `prices.json`; local models free),
//! budgets with hard caps and alert thresholds, the summaries the dashboard and
//! `weft usage` show, and CSV export and import.
//!
//! Does not own: making requests (weft-llm), deciding what to do at a cap (the agent asks
//! the user), or how anything is shown.

mod budget;
pub mod csv;
mod ledger;
mod prices;

pub use budget::{Budgets, Meter};
pub use ledger::{Group, Ledger, Record, Scope, Totals, UsageSummary};
pub use prices::{dollars, Cost, Price, PriceTable, SHIPPED};

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("usage ledger: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("usage ledger: {0}")]
    Io(String),
    #[error("usage CSV: {0}")]
    Csv(String),
    #[error("prices: {0}")]
    Prices(String),
}
