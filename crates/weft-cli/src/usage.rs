//! `weft usage`: what the AI has cost, from the same ledger as the app's dashboard —
//! totals, by day, by model, by workspace, by thread, by task — or the rows as CSV;
//! `weft usage import FILE.csv` merges a ledger exported on another machine.

use anyhow::Context;
use clap::Subcommand;
use weft_api::{Group, Totals, UsageSummary};

#[derive(Subcommand)]
pub enum Cmd {
    /// Adds the rows of a CSV written by `weft usage --csv` (or the dashboard's Export).
    Import { file: std::path::PathBuf },
}

pub struct Args {
    pub days: u32,
    pub csv: bool,
    pub json: bool,
    pub cmd: Option<Cmd>,
}

fn usd(nanos: i64) -> String {
    let d = nanos as f64 / 1e9;
    if d != 0.0 && d.abs() < 0.01 { format!("${d:.4}") } else { format!("${d:.2}") }
}

fn tokens(t: &Totals) -> u64 {
    t.usage.input_tokens + t.usage.output_tokens + t.usage.cache_read_tokens + t.usage.cache_write_tokens
}

fn line(label: &str, t: &Totals) -> String {
    let mut unpriced = if t.unpriced > 0 { format!("  ({} unpriced)", t.unpriced) } else { String::new() };
    if t.failed > 0 {
        unpriced.push_str(&format!("  ({} failed)", t.failed));
    }
    format!("  {label:<44} {:>10} {:>6} req {:>12} tok{unpriced}", usd(t.cost_nanos), t.requests, tokens(t))
}

fn section(out: &mut String, title: &str, groups: &[Group], limit: usize) {
    if groups.is_empty() {
        return;
    }
    out.push_str(&format!("\n{title}\n"));
    for g in groups.iter().take(limit) {
        let label = if g.detail.is_empty() { g.key.clone() } else { format!("{} ({})", g.key, g.detail) };
        let label: String = if label.chars().count() > 44 { format!("…{}", label.chars().rev().take(43).collect::<Vec<_>>().into_iter().rev().collect::<String>()) } else { label };
        out.push_str(&line(&label, &g.totals));
        out.push('\n');
    }
    if groups.len() > limit {
        out.push_str(&format!("  … and {} more\n", groups.len() - limit));
    }
}

pub fn render(s: &UsageSummary, days: u32) -> String {
    let mut out = String::new();
    let span = if days == 0 { "all time".to_owned() } else { format!("the last {days} days (since {})", s.since) };
    out.push_str(&format!("AI usage, {span}\n"));
    out.push_str(&line("total", &s.total));
    out.push('\n');
    out.push_str(&line("today", &s.today));
    out.push('\n');
    out.push_str(&line("this month", &s.this_month));
    out.push('\n');
    if s.total.saved_nanos > 0 {
        out.push_str(&format!("  routing saved {} (cheaper models for titles and summaries)\n", usd(s.total.saved_nanos)));
    }
    section(&mut out, "By day", &s.by_day, 400);
    section(&mut out, "By model", &s.by_model, 20);
    section(&mut out, "By workspace", &s.by_workspace, 20);
    section(&mut out, "By thread", &s.by_thread, 20);
    section(&mut out, "By task", &s.by_task, 20);
    out
}

pub fn run(paths: &weft_api::AppPaths, args: Args) -> anyhow::Result<()> {
    let (settings, _) = weft_api::load_settings(&paths.settings_file());
    let meter = weft_api::usage_meter(paths, &settings).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if let Some(Cmd::Import { file }) = args.cmd {
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let rows = read_csv(&text)?;
        for r in &rows {
            meter.ledger.record(r)?;
        }
        println!("imported {} requests from {}", rows.len(), file.display());
        return Ok(());
    }
    if args.csv {
        let (_, since) = meter.ledger.window(args.days)?;
        print!("{}", weft_api::usage_csv(&meter.ledger.rows(since)?));
        return Ok(());
    }
    let summary = meter.ledger.summary(args.days)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", render(&summary, args.days));
    }
    Ok(())
}

fn read_csv(text: &str) -> anyhow::Result<Vec<weft_api::UsageRecord>> {
    weft_api::usage_csv_read(text).map_err(|e| anyhow::anyhow!("{e}"))
}
