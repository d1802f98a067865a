//! The ledger on a real SQLite file: exact costs from the price table, summaries that add
//! up, CSV that round-trips, caps that stop a request and alerts that fire once.

use std::collections::BTreeMap;
use std::sync::Arc;

use weft_llm::Usage;
use weft_usage::{csv, Budgets, Cost, Ledger, Meter, Price, PriceTable, Record, Scope};

fn usage(i: u64, o: u64, r: u64, w: u64) -> Usage {
    Usage { input_tokens: i, output_tokens: o, cache_read_tokens: r, cache_write_tokens: w }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64
}

fn rec(at_ms: i64, ws: &str, thread: &str, task: &str, provider: &str, model: &str, u: Usage) -> Record {
    Record { at_ms, workspace: ws.into(), thread: thread.into(), task: task.into(), provider: provider.into(), model: model.into(), usage: u, latency_ms: 900, cost_nanos: 0, priced: false, baseline_nanos: 0, error: None }
}

#[test]
fn costs_match_the_price_table_exactly_cache_tokens_included() {
    let t = PriceTable::new(&BTreeMap::new()).expect("prices");
    let u = usage(1_234, 567, 8_901, 2_345);
    // claude-sonnet-4-5: $3 in, $15 out, $0.30 cache read, $3.75 cache write per million.
    let want = 1_234 * 3_000 + 567 * 15_000 + 8_901 * 300 + 2_345 * 3_750;
    assert_eq!(t.cost("anthropic", "claude-sonnet-4-5", &u), Cost::Priced(want));
    assert_eq!(want, 23_671_050, "$0.02367105");
    // A dated snapshot is priced as its model; the longest listed prefix wins.
    assert_eq!(t.cost("anthropic", "claude-sonnet-4-5-20250929", &u), Cost::Priced(want));
    assert_eq!(t.cost("openai", "gpt-4.1-mini-2025-04-14", &usage(1_000_000, 0, 0, 0)), Cost::Priced(400_000_000));
    assert_eq!(t.cost("openai", "gpt-4.1", &usage(0, 1_000_000, 1_000_000, 0)), Cost::Priced(8_500_000_000));
    // Gemini: a preview snapshot is priced as its model, and Flash-Lite is not Flash.
    assert_eq!(t.cost("gemini", "gemini-2.5-flash-preview-09-2025", &usage(1_000_000, 1_000_000, 0, 0)), Cost::Priced(2_800_000_000));
    assert_eq!(t.cost("gemini", "gemini-2.5-flash-lite", &usage(1_000_000, 1_000_000, 1_000_000, 0)), Cost::Priced(510_000_000));
    // Bedrock: a cross-region profile and an ARN are priced as their model.
    let sonnet = Cost::Priced(3_000_000_000 + 15_000_000_000);
    assert_eq!(t.cost("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", &usage(1_000_000, 1_000_000, 0, 0)), sonnet);
    assert_eq!(t.cost("bedrock", "arn:aws:bedrock:us-east-1:1:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0", &usage(1_000_000, 1_000_000, 0, 0)), sonnet);
    assert_eq!(t.cost("bedrock", "arn:aws:bedrock:us-east-1:1:application-inference-profile/a1b2", &u), Cost::Unknown);
    // Unknown models are flagged, not guessed.
    assert_eq!(t.cost("openai", "mystery-model", &u), Cost::Unknown);
    // Local models are free.
    let mut local = PriceTable::new(&BTreeMap::new()).expect("prices");
    local.local_provider("ollama");
    assert_eq!(local.cost("ollama", "qwen2.5-coder:7b", &u), Cost::Priced(0));
    // The user's table adds and overrides.
    let mine = BTreeMap::from([
        ("vllm:llama-70b".to_owned(), Price { input: 0.6, output: 0.6, cache_read: 0.0, cache_write: 0.0 }),
        ("anthropic:claude-sonnet-4-5".to_owned(), Price { input: 2.5, output: 12.5, cache_read: 0.25, cache_write: 3.125 }),
    ]);
    let t = PriceTable::new(&mine).expect("prices");
    assert_eq!(t.cost("vllm", "llama-70b", &usage(1000, 1000, 0, 0)), Cost::Priced(1_200_000));
    assert_eq!(t.cost("anthropic", "claude-sonnet-4-5", &usage(0, 0, 0, 1000)), Cost::Priced(3_125_000));
    let bad = BTreeMap::from([("x:y".to_owned(), Price { input: 0.0001, output: 1.0, cache_read: 0.0, cache_write: 0.0 })]);
    assert!(PriceTable::new(&bad).expect_err("too precise").contains("x:y"));
}

#[test]
fn summaries_add_up_and_csv_round_trips() {
    let dir = tempfile::tempdir().expect("tmp");
    let ledger = Arc::new(Ledger::open(&dir.path().join("usage.sqlite")).expect("ledger"));
    let meter = Meter { ledger: ledger.clone(), prices: PriceTable::new(&BTreeMap::new()).expect("prices"), budgets: Budgets::default() };
    let now = now_ms();
    let day = 86_400_000;
    let rows = [
        (now, "/w/a", "t1", "agent", "anthropic", "claude-sonnet-4-5", usage(10_000, 2_000, 50_000, 5_000)),
        (now - 1000, "/w/a", "t1", "summary", "anthropic", "claude-haiku-4-5", usage(20_000, 1_000, 0, 0)),
        (now - 2000, "/w/b, with a comma", "t2", "agent", "openai", "gpt-4.1", usage(3_000, 500, 1_000, 0)),
        (now - 3 * day, "/w/a", "t0", "agent", "anthropic", "claude-sonnet-4-5", usage(1_000, 100, 0, 0)),
        (now - 40 * day, "/w/a", "old", "agent", "openai", "mystery", usage(5, 5, 0, 0)),
    ];
    for (at, ws, th, task, p, m, u) in rows.clone() {
        // Summaries are priced against the agent's model: the saving of routing them.
        let baseline = (task == "summary").then_some(("anthropic", "claude-sonnet-4-5"));
        meter.record(rec(at, ws, th, task, p, m, u), baseline).expect("record");
    }
    let all = ledger.summary(0).expect("summary");
    assert_eq!(all.total.requests, 5);
    assert_eq!(all.total.unpriced, 1);
    let expect: i64 = (10_000 * 3_000 + 2_000 * 15_000 + 50_000 * 300 + 5_000 * 3_750) + (20_000 * 1_000 + 1_000 * 5_000) + (3_000 * 2_000 + 500 * 8_000 + 1_000 * 500) + (1_000 * 3_000 + 100 * 15_000);
    assert_eq!(all.total.cost_nanos, expect);
    // Routing the summary to Haiku saved the difference to Sonnet's price.
    assert_eq!(all.total.saved_nanos, (20_000 * 3_000 + 1_000 * 15_000) - (20_000 * 1_000 + 1_000 * 5_000));
    assert_eq!(all.by_task.iter().find(|g| g.key == "summary").expect("summary task").totals.saved_nanos, all.total.saved_nanos);
    // Every grouping adds up to the total.
    for groups in [&all.by_day, &all.by_model, &all.by_workspace, &all.by_thread, &all.by_task] {
        assert_eq!(groups.iter().map(|g| g.totals.cost_nanos).sum::<i64>(), expect);
        assert_eq!(groups.iter().map(|g| g.totals.requests).sum::<u64>(), 5);
    }
    assert_eq!(all.by_model[0].key, "anthropic:claude-sonnet-4-5", "most expensive first");
    assert_eq!(all.by_thread.iter().find(|g| g.key == "t2").expect("t2").detail, "/w/b, with a comma");
    assert!(all.today.requests >= 2, "the rows just written are today's (unless run at midnight)");
    // The last 30 days leave the 40-day-old row out.
    let month = ledger.summary(30).expect("30 days");
    assert_eq!(month.total.requests, 4);
    assert!(month.by_day.windows(2).all(|w| w[0].key < w[1].key), "days oldest first");
    let t1 = ledger.totals(&Scope::Thread { workspace: "/w/a".into(), thread: "t1".into() }).expect("thread");
    assert_eq!(t1.requests, 2);
    assert_eq!(t1.usage, usage(30_000, 3_000, 50_000, 5_000));

    // CSV out and back into another ledger: the same rows, the same totals.
    let text = csv::write(&ledger.rows(i64::MIN).expect("rows"));
    assert!(text.starts_with(csv::HEADER));
    assert!(text.contains("\"/w/b, with a comma\""));
    let back = csv::read(&text).expect("import");
    let other = Ledger::open(&dir.path().join("other.sqlite")).expect("ledger");
    for r in &back {
        other.record(r).expect("record");
    }
    assert_eq!(other.rows(i64::MIN).expect("rows"), ledger.rows(i64::MIN).expect("rows"));
    assert_eq!(other.summary(0).expect("summary").total, all.total);
    let err = csv::read("nope\n1,2\n").expect_err("no header");
    assert!(err.to_string().contains("header"));
    let err = csv::read(&format!("{}\n1,2,3\n", csv::HEADER)).expect_err("short row");
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn a_cap_stops_the_request_that_would_pass_it_and_an_alert_fires_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let ledger = Arc::new(Ledger::open(&dir.path().join("usage.sqlite")).expect("ledger"));
    let mut meter = Meter {
        ledger: ledger.clone(),
        prices: PriceTable::new(&BTreeMap::new()).expect("prices"),
        budgets: Budgets { thread_usd: 0.10, day_usd: 0.0, month_usd: 0.0, alert_percent: 80 },
    };
    let now = now_ms();
    // $0.075 spent: below the 80% threshold of $0.10.
    meter.record(rec(now, "/w", "t", "agent", "anthropic", "claude-sonnet-4-5", usage(0, 5_000, 0, 0)), None).expect("record");
    assert!(meter.alerts("/w", "t", now).expect("alerts").is_empty());
    // A request estimated at $0.03 would pass the cap; one at $0.02 would not.
    let est = meter.estimate("anthropic", "claude-sonnet-4-5", 10_000, 0);
    assert_eq!(est, 30_000_000);
    let why = meter.check("/w", "t", est).expect("check").expect("over the cap");
    assert!(why.contains("this thread's spending is $0.07 of its $0.10 cap"), "{why}");
    assert_eq!(meter.check("/w", "t", 20_000_000).expect("check"), None);
    // Another thread has its own cap.
    assert_eq!(meter.check("/w", "other", est).expect("check"), None);
    // Crossing 80% alerts once: $0.075 + $0.006 = 81%.
    meter.record(rec(now, "/w", "t", "agent", "anthropic", "claude-sonnet-4-5", usage(2_000, 0, 0, 0)), None).expect("record");
    let alerts = meter.alerts("/w", "t", now).expect("alerts");
    assert_eq!(alerts, ["$0.08 of this thread's $0.10 budget used (81%)"]);
    meter.record(rec(now, "/w", "t", "agent", "anthropic", "claude-sonnet-4-5", usage(1_000, 0, 0, 0)), None).expect("record");
    assert!(meter.alerts("/w", "t", now).expect("alerts").is_empty(), "only once");
    // A daily cap covers every workspace.
    meter.budgets = Budgets { thread_usd: 0.0, day_usd: 0.05, month_usd: 0.0, alert_percent: 0 };
    assert!(meter.check("/elsewhere", "x", 0).expect("check").expect("over").contains("today's spending"));
}

/// A failed request is a row with its error: counted, billed for what the provider counted,
/// kept through CSV; a ledger from before the column gains it and its rows read as answered.
#[test]
fn failed_requests_are_counted_with_their_error_and_old_ledgers_gain_the_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("usage.sqlite");
    {
        // A ledger as the version before wrote it: no error column.
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute_batch("CREATE TABLE requests (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, workspace TEXT NOT NULL, thread TEXT NOT NULL, task TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL, latency_ms INTEGER NOT NULL, cost_nanos INTEGER NOT NULL, priced INTEGER NOT NULL, baseline_nanos INTEGER NOT NULL);
            INSERT INTO requests VALUES (1, 1000, '/w', 't', 'agent', 'anthropic', 'claude-test', 10, 5, 0, 0, 900, 0, 0, 0);").expect("old ledger");
    }
    let ledger = Ledger::open(&path).expect("opens and migrates");
    let mut failed = rec(2000, "/w", "t", "agent", "anthropic", "claude-test", usage(10, 3, 0, 0));
    failed.error = Some("truncated".into());
    ledger.record(&failed).expect("record");
    let t = ledger.totals(&Scope::All).expect("totals");
    assert_eq!((t.requests, t.failed, t.usage.output_tokens), (2, 1, 8));
    let rows = ledger.rows(0).expect("rows");
    assert_eq!(rows.iter().map(|r| r.error.clone()).collect::<Vec<_>>(), vec![None, Some("truncated".to_owned())]);
    let back = weft_usage::csv::read(&weft_usage::csv::write(&rows)).expect("csv");
    assert_eq!(back, rows);
    // A CSV written before the column still imports.
    let old = "time_utc,at_ms,workspace,thread,task,provider,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,latency_ms,cost_usd,priced,baseline_usd\n1970-01-01T00:00:01Z,1000,/w,t,agent,anthropic,claude-test,10,5,0,0,900,0.000000000,0,0.000000000\n";
    assert_eq!(weft_usage::csv::read(old).expect("old csv")[0].error, None);
}
