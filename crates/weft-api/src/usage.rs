//! The books behind the agent: every model request is priced and written to the usage
//! ledger, budgets are enforced before each request, and the live cost goes to the UI.
//! Shared by the app and the command-line agent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::warn;
use weft_agent::Spending;
use weft_llm::{ModelRef, Response};
use weft_usage::{Budgets, Ledger, Meter, Price, PriceTable, Scope};

use crate::{ApiError, AppPaths, Settings};

impl From<weft_usage::UsageError> for ApiError {
    fn from(e: weft_usage::UsageError) -> Self {
        ApiError::new(crate::ErrorCode::Usage, e.to_string())
    }
}

pub fn ledger_path(paths: &AppPaths) -> std::path::PathBuf {
    paths.data_dir.join("usage.sqlite")
}

pub fn prices_path(paths: &AppPaths) -> std::path::PathBuf {
    paths.config_dir.join("prices.json")
}

/// The shipped prices with the user's `prices.json` over them; providers on this machine
/// are free.
pub fn price_table(paths: &AppPaths, settings: &Settings) -> Result<PriceTable, ApiError> {
    let user: BTreeMap<String, Price> = match std::fs::read(prices_path(paths)) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| ApiError::new(crate::ErrorCode::InvalidPrices, format!("prices.json: {e}")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(ApiError::new(crate::ErrorCode::Io, format!("prices.json: {e}"))),
    };
    let mut t = PriceTable::new(&user).map_err(|e| ApiError::new(crate::ErrorCode::InvalidPrices, e))?;
    for p in crate::agent::providers(paths, settings) {
        if p.local {
            t.local_provider(&p.name);
        }
    }
    Ok(t)
}

pub fn budgets(s: &Settings) -> Budgets {
    Budgets { thread_usd: s.budget_thread_usd, day_usd: s.budget_day_usd, month_usd: s.budget_month_usd, alert_percent: s.budget_alert_percent }
}

/// The ledger, opened once per file for the life of the process: every request, the
/// meter and the dashboard share one connection instead of reopening SQLite each time.
pub fn ledger(paths: &AppPaths) -> Result<Arc<Ledger>, ApiError> {
    static OPEN: std::sync::Mutex<BTreeMap<std::path::PathBuf, Arc<Ledger>>> = std::sync::Mutex::new(BTreeMap::new());
    let path = ledger_path(paths);
    let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(l) = open.get(&path) {
        return Ok(l.clone());
    }
    let l = Arc::new(Ledger::open(&path)?);
    open.insert(path, l.clone());
    Ok(l)
}

pub fn meter(paths: &AppPaths, settings: &Settings) -> Result<Meter, ApiError> {
    Ok(Meter { ledger: ledger(paths)?, prices: price_table(paths, settings)?, budgets: budgets(settings) })
}

/// What a thread has cost and what today has, after each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spent {
    pub request_nanos: i64,
    pub priced: bool,
    pub thread_nanos: i64,
    pub today_nanos: i64,
}

/// The agent's [`Spending`] for one thread of one workspace.
pub struct Books {
    pub meter: Meter,
    pub workspace: String,
    pub thread: String,
    /// The agent's own model: what routed tasks are compared against.
    pub baseline: ModelRef,
    /// Told after each recorded request (the live meter).
    pub on_spent: Box<dyn Fn(Spent) + Send + Sync>,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Books {
    /// A ledger row of this thread's; the meter prices it.
    fn row(&self, task: &str, provider: &str, model: &str, usage: weft_llm::Usage, latency_ms: u64, error: Option<String>) -> weft_usage::Record {
        weft_usage::Record {
            at_ms: now_ms(),
            workspace: self.workspace.clone(),
            thread: self.thread.clone(),
            task: task.to_owned(),
            provider: provider.to_owned(),
            model: model.to_owned(),
            usage,
            latency_ms,
            cost_nanos: 0,
            priced: false,
            baseline_nanos: 0,
            error,
        }
    }
}

impl Spending for Books {
    fn before(&self, _task: &str, model: &ModelRef, input_tokens: u64, max_tokens: u32) -> Option<String> {
        // A typical answer, not the worst case: `max_tokens` would stop every request
        // long before the cap is really near.
        let estimate = self.meter.estimate(&model.provider, &model.model, input_tokens, u64::from(max_tokens.min(1024)));
        match self.meter.check(&self.workspace, &self.thread, estimate) {
            Ok(r) => r,
            // The books being unreadable must not stop the work; it is logged.
            Err(e) => {
                warn!("budget check failed: {e}");
                None
            }
        }
    }

    fn after(&self, task: &str, resp: &Response) -> Vec<String> {
        let record = self.row(task, &resp.provider, &resp.model, resp.usage, resp.latency.as_millis() as u64, None);
        let cost = match self.meter.record(record, Some((&self.baseline.provider, &self.baseline.model))) {
            Ok(c) => c,
            Err(e) => {
                warn!("recording usage failed: {e}");
                return vec![];
            }
        };
        let ledger = &self.meter.ledger;
        let thread = ledger.totals(&Scope::Thread { workspace: self.workspace.clone(), thread: self.thread.clone() }).map(|t| t.cost_nanos).unwrap_or(0);
        let today = ledger.totals(&Scope::Today).map(|t| t.cost_nanos).unwrap_or(0);
        (self.on_spent)(Spent { request_nanos: cost.nanos(), priced: cost != weft_usage::Cost::Unknown, thread_nanos: thread, today_nanos: today });
        self.meter.alerts(&self.workspace, &self.thread, now_ms()).unwrap_or_else(|e| {
            warn!("budget alerts failed: {e}");
            vec![]
        })
    }

    fn failed(&self, task: &str, provider: &str, model: &str, usage: weft_llm::Usage, code: &str) {
        let record = self.row(task, provider, model, usage, 0, Some(code.to_owned()));
        if let Err(e) = self.meter.record(record, Some((&self.baseline.provider, &self.baseline.model))) {
            warn!("recording a failed request failed: {e}");
        }
    }
}
