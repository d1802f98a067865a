//! The ledger as CSV (one row per request) and back, so it opens in a spreadsheet and
//! ledgers from two machines can be merged. Costs are in dollars with nine decimals: the
//! exact nano-dollar amounts.

use crate::{Record, UsageError};
use weft_llm::Usage;

pub const HEADER: &str = "time_utc,at_ms,workspace,thread,task,provider,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,latency_ms,cost_usd,priced,baseline_usd,error";

/// The header before failed requests were recorded (read, never written).
const HEADER_V1: &str = "time_utc,at_ms,workspace,thread,task,provider,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,latency_ms,cost_usd,priced,baseline_usd";

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn money(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let a = n.unsigned_abs();
    format!("{sign}{}.{:09}", a / 1_000_000_000, a % 1_000_000_000)
}

fn parse_money(s: &str) -> Option<i64> {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 9 {
        return None;
    }
    let n = whole.parse::<i64>().ok()? * 1_000_000_000 + format!("{frac:0<9}").parse::<i64>().ok()?;
    Some(if neg { -n } else { n })
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub fn iso_utc(ms: i64) -> String {
    let (secs, days) = (ms.div_euclid(1000), ms.div_euclid(86_400_000));
    let (y, m, d) = civil(days);
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

pub fn write(rows: &[Record]) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for r in rows {
        let u = &r.usage;
        let cols = [
            iso_utc(r.at_ms),
            r.at_ms.to_string(),
            field(&r.workspace),
            field(&r.thread),
            field(&r.task),
            field(&r.provider),
            field(&r.model),
            u.input_tokens.to_string(),
            u.output_tokens.to_string(),
            u.cache_read_tokens.to_string(),
            u.cache_write_tokens.to_string(),
            r.latency_ms.to_string(),
            money(r.cost_nanos),
            u8::from(r.priced).to_string(),
            money(r.baseline_nanos),
            field(r.error.as_deref().unwrap_or("")),
        ];
        out.push_str(&cols.join(","));
        out.push('\n');
    }
    out
}

/// Splits CSV text into rows of fields (quoted fields may hold commas, quotes, newlines).
fn split(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cur) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cur)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cur));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || !row.is_empty() {
        row.push(cur);
        rows.push(row);
    }
    rows
}

/// Reads what [`write`] wrote. Any bad row fails the whole import, naming its line.
pub fn read(text: &str) -> Result<Vec<Record>, UsageError> {
    let mut rows = split(text).into_iter();
    let fields = match rows.next() {
        Some(h) if h.join(",") == HEADER => 16,
        Some(h) if h.join(",") == HEADER_V1 => 15,
        _ => return Err(UsageError::Csv(format!("the first line must be the header: {HEADER}"))),
    };
    rows.enumerate()
        .filter(|(_, r)| !(r.len() == 1 && r[0].is_empty()))
        .map(|(i, r)| {
            let line = i + 2;
            let bad = |what: &str| UsageError::Csv(format!("line {line}: {what}"));
            if r.len() != fields {
                return Err(bad(&format!("{} fields, expected {fields}", r.len())));
            }
            let num = |k: usize| r[k].parse::<u64>().map_err(|_| bad(&format!("field {} is not a count: {:?}", k + 1, r[k])));
            Ok(Record {
                at_ms: r[1].parse().map_err(|_| bad("at_ms is not a number"))?,
                workspace: r[2].clone(),
                thread: r[3].clone(),
                task: r[4].clone(),
                provider: r[5].clone(),
                model: r[6].clone(),
                usage: Usage { input_tokens: num(7)?, output_tokens: num(8)?, cache_read_tokens: num(9)?, cache_write_tokens: num(10)? },
                latency_ms: num(11)?,
                cost_nanos: parse_money(&r[12]).ok_or_else(|| bad("cost_usd is not an amount"))?,
                priced: r[13] == "1",
                baseline_nanos: parse_money(&r[14]).ok_or_else(|| bad("baseline_usd is not an amount"))?,
                error: r.get(15).filter(|e| !e.is_empty()).cloned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_money_are_exact() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_764_547_200_000), "2025-12-01T00:00:00Z");
        assert_eq!(iso_utc(951_825_600_000), "2000-02-29T12:00:00Z");
        assert_eq!(money(1_234_567_891), "1.234567891");
        assert_eq!(money(-5), "-0.000000005");
        assert_eq!(parse_money("1.234567891"), Some(1_234_567_891));
        assert_eq!(parse_money("0.5"), Some(500_000_000));
        assert_eq!(parse_money("-0.000000005"), Some(-5));
        assert_eq!(parse_money("1.0000000001"), None);
    }
}
