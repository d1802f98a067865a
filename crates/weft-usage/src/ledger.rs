//! The ledger: one row per model request, in one SQLite file for all workspaces (budgets
//! per day and month span them). Costs are stored as they were computed at the time, in
//! nano-dollars, so a later price change does not rewrite history.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use weft_llm::Usage;

use crate::UsageError;

type Result<T> = std::result::Result<T, UsageError>;

/// One model request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_ms: i64,
    /// The workspace folder's path.
    pub workspace: String,
    pub thread: String,
    /// What the request was for: "agent", "summary", "title", …
    pub task: String,
    pub provider: String,
    pub model: String,
    pub usage: Usage,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub latency_ms: u64,
    /// What it cost, in nano-dollars.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cost_nanos: i64,
    /// False when the model had no price: its cost is recorded as zero.
    pub priced: bool,
    /// What it would have cost on the model the task would use without routing (the
    /// agent's model); the difference is what routing saved.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub baseline_nanos: i64,
    /// Why the request failed (LlmError's code: "overloaded", "truncated"…); None when it
    /// answered. A failed request is still billed for what the provider counted.
    #[serde(default)]
    pub error: Option<String>,
}

/// Requests, tokens and cost of a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
    pub usage: Usage,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cost_nanos: i64,
    /// Baseline minus cost: what routing saved.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub saved_nanos: i64,
    /// Requests to models without a price.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unpriced: u64,
    /// Requests that failed (retried, fallen back from, or given up).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
}

/// Which rows: everything, a workspace, a thread, today or this month (local time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Workspace(String),
    Thread { workspace: String, thread: String },
    Today,
    ThisMonth,
    Day(String),
    Month(String),
}

/// A group of a summary ("2026-11-30", "anthropic:claude-sonnet-4-5", a workspace, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub key: String,
    /// For threads: the workspace it belongs to.
    pub detail: String,
    pub totals: Totals,
}

/// What the dashboard and `weft usage` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UsageSummary {
    /// The first day included (local), or "" for everything.
    pub since: String,
    pub total: Totals,
    pub today: Totals,
    pub this_month: Totals,
    /// Oldest first, days without requests left out.
    pub by_day: Vec<Group>,
    /// Most expensive first.
    pub by_model: Vec<Group>,
    pub by_workspace: Vec<Group>,
    pub by_thread: Vec<Group>,
    pub by_task: Vec<Group>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    workspace TEXT NOT NULL,
    thread TEXT NOT NULL,
    task TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    latency_ms INTEGER NOT NULL,
    cost_nanos INTEGER NOT NULL,
    priced INTEGER NOT NULL,
    baseline_nanos INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_at ON requests(at_ms);
CREATE INDEX IF NOT EXISTS requests_thread ON requests(workspace, thread);
-- Threshold alerts already shown, by scope and period: each fires once.
CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
";

const TOTALS: &str = "COUNT(*), COALESCE(SUM(input_tokens),0), COALESCE(SUM(output_tokens),0), COALESCE(SUM(cache_read_tokens),0), \
COALESCE(SUM(cache_write_tokens),0), COALESCE(SUM(cost_nanos),0), COALESCE(SUM(baseline_nanos - cost_nanos),0), COALESCE(SUM(1 - priced),0), \
COALESCE(SUM(error IS NOT NULL),0)";

/// Local calendar day and month of a row, in SQL.
const DAY: &str = "date(at_ms / 1000, 'unixepoch', 'localtime')";
const MONTH: &str = "strftime('%Y-%m', at_ms / 1000, 'unixepoch', 'localtime')";

fn totals_from(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Totals> {
    let u = |i: usize| r.get::<_, i64>(at + i).map(|v| v.max(0) as u64);
    Ok(Totals {
        requests: u(0)?,
        usage: Usage { input_tokens: u(1)?, output_tokens: u(2)?, cache_read_tokens: u(3)?, cache_write_tokens: u(4)? },
        cost_nanos: r.get(at + 5)?,
        saved_nanos: r.get(at + 6)?,
        unpriced: u(7)?,
        failed: u(8)?,
    })
}

pub struct Ledger {
    conn: Mutex<Connection>,
}

impl Ledger {
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| UsageError::Io(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL: the app and a `weft agent` in a terminal record at the same time.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        // Ledgers from before failed requests were recorded gain the column (NULL: answered).
        let has_error: bool = conn.query_row("SELECT COUNT(*) FROM pragma_table_info('requests') WHERE name = 'error'", [], |r| r.get::<_, i64>(0)).map(|n| n > 0)?;
        if !has_error {
            conn.execute_batch("ALTER TABLE requests ADD COLUMN error TEXT")?;
        }
        Ok(Ledger { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, r: &Record) -> Result<()> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.conn().execute(
            "INSERT INTO requests (at_ms, workspace, thread, task, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, latency_ms, cost_nanos, priced, baseline_nanos, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                r.at_ms, r.workspace, r.thread, r.task, r.provider, r.model,
                n(r.usage.input_tokens), n(r.usage.output_tokens), n(r.usage.cache_read_tokens), n(r.usage.cache_write_tokens),
                n(r.latency_ms), r.cost_nanos, r.priced, r.baseline_nanos, r.error
            ],
        )?;
        Ok(())
    }

    fn filter(scope: &Scope) -> (String, Vec<String>) {
        match scope {
            Scope::All => ("1".into(), vec![]),
            Scope::Workspace(w) => ("workspace = ?1".into(), vec![w.clone()]),
            Scope::Thread { workspace, thread } => ("workspace = ?1 AND thread = ?2".into(), vec![workspace.clone(), thread.clone()]),
            Scope::Today => (format!("{DAY} = date('now', 'localtime')"), vec![]),
            Scope::ThisMonth => (format!("{MONTH} = strftime('%Y-%m', 'now', 'localtime')"), vec![]),
            Scope::Day(d) => (format!("{DAY} = ?1"), vec![d.clone()]),
            Scope::Month(m) => (format!("{MONTH} = ?1"), vec![m.clone()]),
        }
    }

    pub fn totals(&self, scope: &Scope) -> Result<Totals> {
        let (filter, args) = Self::filter(scope);
        let conn = self.conn();
        let t = conn.query_row(&format!("SELECT {TOTALS} FROM requests WHERE {filter}"), rusqlite::params_from_iter(args), |r| totals_from(r, 0))?;
        Ok(t)
    }

    /// Today's date and this month in local time, as the ledger groups them.
    pub fn today(&self) -> Result<(String, String)> {
        Ok(self.conn().query_row("SELECT date('now', 'localtime'), strftime('%Y-%m', 'now', 'localtime')", [], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    fn groups(&self, key: &str, detail: &str, since_ms: i64, order: &str) -> Result<Vec<Group>> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!("SELECT {key}, {detail}, {TOTALS} FROM requests WHERE at_ms >= ?1 GROUP BY {key}, {detail} ORDER BY {order}"))?;
        let rows = st.query_map([since_ms], |r| Ok(Group { key: r.get(0)?, detail: r.get(1)?, totals: totals_from(r, 2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The first local day of the last `days` days and its midnight in ms; ("", MIN) for 0.
    pub fn window(&self, days: u32) -> Result<(String, i64)> {
        if days == 0 {
            return Ok((String::new(), i64::MIN));
        }
        Ok(self.conn().query_row(
            "SELECT date('now', 'localtime', ?1), CAST(strftime('%s', date('now', 'localtime', ?1), 'utc') AS INTEGER) * 1000",
            [format!("-{} days", days - 1)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Everything since `days` ago (local midnight), grouped the ways the dashboard shows;
    /// `days` 0 means all time.
    pub fn summary(&self, days: u32) -> Result<UsageSummary> {
        let (since, since_ms) = self.window(days)?;
        let by_cost = "SUM(cost_nanos) DESC, COUNT(*) DESC";
        let total = if days == 0 {
            self.totals(&Scope::All)?
        } else {
            let conn = self.conn();
            conn.query_row(&format!("SELECT {TOTALS} FROM requests WHERE at_ms >= ?1"), [since_ms], |r| totals_from(r, 0))?
        };
        Ok(UsageSummary {
            since,
            total,
            today: self.totals(&Scope::Today)?,
            this_month: self.totals(&Scope::ThisMonth)?,
            by_day: self.groups(DAY, "''", since_ms, "1")?,
            by_model: self.groups("provider || ':' || model", "''", since_ms, by_cost)?,
            by_workspace: self.groups("workspace", "''", since_ms, by_cost)?,
            by_thread: self.groups("thread", "workspace", since_ms, by_cost)?,
            by_task: self.groups("task", "''", since_ms, by_cost)?,
        })
    }

    /// Every row since `since_ms`, oldest first.
    pub fn rows(&self, since_ms: i64) -> Result<Vec<Record>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT at_ms, workspace, thread, task, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, latency_ms, cost_nanos, priced, baseline_nanos, error
             FROM requests WHERE at_ms >= ?1 ORDER BY at_ms, id",
        )?;
        let u = |r: &rusqlite::Row<'_>, i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        let rows = st.query_map([since_ms], |r| {
            Ok(Record {
                at_ms: r.get(0)?,
                workspace: r.get(1)?,
                thread: r.get(2)?,
                task: r.get(3)?,
                provider: r.get(4)?,
                model: r.get(5)?,
                usage: Usage { input_tokens: u(r, 6)?, output_tokens: u(r, 7)?, cache_read_tokens: u(r, 8)?, cache_write_tokens: u(r, 9)? },
                latency_ms: u(r, 10)?,
                cost_nanos: r.get(11)?,
                priced: r.get(12)?,
                baseline_nanos: r.get(13)?,
                error: r.get(14)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks a threshold alert as shown; false when it already was.
    pub fn first_alert(&self, key: &str, now_ms: i64) -> Result<bool> {
        let conn = self.conn();
        let seen: Option<i64> = conn.query_row("SELECT at_ms FROM alerts WHERE key = ?1", [key], |r| r.get(0)).optional()?;
        if seen.is_some() {
            return Ok(false);
        }
        conn.execute("INSERT INTO alerts (key, at_ms) VALUES (?1, ?2)", params![key, now_ms])?;
        Ok(true)
    }
}
