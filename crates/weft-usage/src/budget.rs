//! Budgets: a hard cap and an alert threshold per thread, per day and per month. Before a
//! request, [`Meter::check`] says whether it would pass a cap (the agent then stops and
//! asks); after it, [`Meter::alerts`] reports each threshold crossed, once per period.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::ledger::{Ledger, Scope};
use crate::prices::{dollars, Cost, PriceTable};
use crate::{Record, UsageError};

/// Caps in US dollars; 0 means no cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Budgets {
    pub thread_usd: f64,
    pub day_usd: f64,
    pub month_usd: f64,
    /// Percent of a cap at which the user is told, once (0: never).
    pub alert_percent: u32,
}

/// The ledger with its prices and budgets: what the agent consults around each request.
pub struct Meter {
    pub ledger: Arc<Ledger>,
    pub prices: PriceTable,
    pub budgets: Budgets,
}

fn nanos(usd: f64) -> i64 {
    (usd * 1e9).round() as i64
}

fn usd(n: i64) -> String {
    format!("${:.2}", dollars(n))
}

impl Meter {
    /// The scopes that have a cap, with their names and alert keys.
    fn capped(&self, workspace: &str, thread: &str) -> Result<Vec<(Scope, f64, String, String)>, UsageError> {
        let (day, month) = self.ledger.today()?;
        let b = &self.budgets;
        Ok([
            (Scope::Thread { workspace: workspace.into(), thread: thread.into() }, b.thread_usd, "this thread's".to_owned(), format!("thread:{workspace}:{thread}")),
            (Scope::Day(day.clone()), b.day_usd, "today's".to_owned(), format!("day:{day}")),
            (Scope::Month(month.clone()), b.month_usd, "this month's".to_owned(), format!("month:{month}")),
        ]
        .into_iter()
        .filter(|(_, cap, _, _)| *cap > 0.0)
        .collect())
    }

    /// A request's likely cost: its input at the input price and `output_tokens` of
    /// output. Unknown models count as free (they are flagged in the ledger instead).
    pub fn estimate(&self, provider: &str, model: &str, input_tokens: u64, output_tokens: u64) -> i64 {
        let u = weft_llm::Usage { input_tokens, output_tokens, ..Default::default() };
        self.prices.cost(provider, model, &u).nanos()
    }

    /// None when the request fits every cap; else why not, for the user to decide.
    pub fn check(&self, workspace: &str, thread: &str, estimate_nanos: i64) -> Result<Option<String>, UsageError> {
        for (scope, cap, name, _) in self.capped(workspace, thread)? {
            let spent = self.ledger.totals(&scope)?.cost_nanos;
            if spent + estimate_nanos > nanos(cap) {
                return Ok(Some(format!(
                    "{name} spending is {} of its {} cap; the next request (about {}) would pass it",
                    usd(spent),
                    usd(nanos(cap)),
                    if estimate_nanos < 10_000_000 { "<$0.01".to_owned() } else { usd(estimate_nanos) }
                )));
            }
        }
        Ok(None)
    }

    /// Prices a finished request and writes it to the ledger; returns its cost.
    pub fn record(&self, mut r: Record, baseline: Option<(&str, &str)>) -> Result<Cost, UsageError> {
        let cost = self.prices.cost(&r.provider, &r.model, &r.usage);
        r.cost_nanos = cost.nanos();
        r.priced = cost != Cost::Unknown;
        r.baseline_nanos = match baseline {
            Some((p, m)) if (p, m) != (r.provider.as_str(), r.model.as_str()) => match self.prices.cost(p, m, &r.usage) {
                Cost::Priced(n) => n,
                Cost::Unknown => r.cost_nanos,
            },
            _ => r.cost_nanos,
        };
        self.ledger.record(&r)?;
        Ok(cost)
    }

    /// The thresholds crossed and not yet reported, each reported once per cap and period.
    pub fn alerts(&self, workspace: &str, thread: &str, now_ms: i64) -> Result<Vec<String>, UsageError> {
        let pct = self.budgets.alert_percent;
        if pct == 0 {
            return Ok(vec![]);
        }
        let mut out = Vec::new();
        for (scope, cap, name, key) in self.capped(workspace, thread)? {
            let spent = self.ledger.totals(&scope)?.cost_nanos;
            let cap_n = nanos(cap);
            if spent as i128 * 100 >= cap_n as i128 * i128::from(pct) && self.ledger.first_alert(&format!("{key}:{cap_n}:{pct}"), now_ms)? {
                out.push(format!("{} of {name} {} budget used ({}%)", usd(spent), usd(cap_n), spent as i128 * 100 / cap_n.max(1) as i128));
            }
        }
        Ok(out)
    }
}
