use super::*;

pub(crate) fn summary(api: &Api, days: u32, _stream: Option<Stream>) -> Result<crate::UsageSummary> {
    // Reading the ledger needs no prices (or the key file the price table consults).
    Ok(crate::usage::ledger(&api.inner.paths)?.summary(days)?)
}

pub(crate) fn meter(api: &Api, thread: Option<String>, _stream: Option<Stream>) -> Result<UsageMeter> {
    let ledger = crate::usage::ledger(&api.inner.paths)?;
    let thread = match thread {
        Some(t) => Some(ledger.totals(&weft_usage::Scope::Thread { workspace: api.open()?.ws.root().display().to_string(), thread: t })?),
        None => None,
    };
    Ok(UsageMeter { thread, today: ledger.totals(&weft_usage::Scope::Today)?, budgets: crate::usage::budgets(&api.settings().0) })
}

pub(crate) fn export(api: &Api, days: u32, _stream: Option<Stream>) -> Result<String> {
    let ledger = crate::usage::ledger(&api.inner.paths)?;
    // The same window as the dashboard's, so the two agree.
    let (_, since_ms) = ledger.window(days)?;
    Ok(weft_usage::csv::write(&ledger.rows(since_ms)?))
}

pub(crate) fn prices(api: &Api, _stream: Option<Stream>) -> Result<PriceList> {
    Ok(api.price_list()?)
}

pub(crate) fn set_prices(api: &Api, text: String, _stream: Option<Stream>) -> Result<PriceList> {
    let user: std::collections::BTreeMap<String, weft_usage::Price> =
        serde_json::from_str(&text).map_err(|e| ApiError::new(crate::ErrorCode::InvalidPrices, format!("prices.json: {e}")))?;
    weft_usage::PriceTable::new(&user).map_err(|e| ApiError::new(crate::ErrorCode::InvalidPrices, e))?;
    std::fs::create_dir_all(&api.inner.paths.config_dir).map_err(|e| ApiError::new(crate::ErrorCode::Io, e.to_string()))?;
    atomic_write(&crate::usage::prices_path(&api.inner.paths), text.as_bytes()).map_err(|e| ApiError::new(crate::ErrorCode::Io, format!("saving prices.json: {e}")))?;
    Ok(api.price_list()?)
}
