//! Collaboration host under load, side by side with the reference Node server
//! (`@y/websocket-server` 0.1.1, installed by `npm install` in benches/yjs-server).
//!
//! The load is a real editing trace (benches/data/automerge-paper.json.gz, ascii_only
//! automerge-paper: each transaction one Yjs update, as an editor would send it), replayed
//! into several documents at once by one writer per document while readers receive the
//! fan-out. Both servers get the same bytes from the same client code:
//!
//! - capacity: every writer sends its updates at WEFT_BENCH_RATE a second (default 250,
//!   under the host's per-connection budget of 300: a client sending faster is cut off, so
//!   "as fast as the socket takes them" measures the budget, not the host); the figure is
//!   updates applied and fanned out to every reader per second of the server's CPU time,
//!   the same offered load for both servers; and the update frames each server sends per
//!   update it receives (the Node server echoes each one back to its writer);
//! - latency: one document, updates paced 2 ms apart; the time from the writer's send until
//!   the last reader has it, p50 / p99;
//! - memory: the server's resident memory after the documents are loaded, minus its memory
//!   before, per document.
//!
//! Runs WEFT_BENCH_RUNS times (default 5) each, interleaved, a fresh server each run, the
//! side that goes first alternating; prints medians and ranges and ratios; asserts nothing.
//! `cargo bench -p weft-cli --bench collab_fanout` (WEFT_BENCH_TXNS, WEFT_BENCH_DOCS,
//! WEFT_BENCH_READERS, WEFT_BENCH_RATE, WEFT_BENCH_RUNS change the size).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::Message as Ws;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{GetString, Text, Transact};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The trace's transactions as y-sync update messages, and the final text.
fn trace_updates(limit: usize) -> (Vec<Vec<u8>>, String) {
    // Shipped in the repository (benches/data, CC BY 4.0, attribution in its README).
    let path = repo().join("benches/data/automerge-paper.json.gz");
    let mut json = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .read_to_string(&mut json)
        .expect("gzip");
    let trace: serde_json::Value = serde_json::from_str(&json).expect("trace json");
    let doc = yrs::Doc::new();
    let text = doc.get_or_insert_text("content");
    let mut out = vec![];
    for txn in trace["txns"].as_array().expect("txns").iter().take(limit) {
        let mut t = doc.transact_mut();
        for p in txn["patches"].as_array().expect("patches") {
            let (pos, del, ins) = (p[0].as_u64().unwrap_or(0) as u32, p[1].as_u64().unwrap_or(0) as u32, p[2].as_str().unwrap_or(""));
            if del > 0 {
                text.remove_range(&mut t, pos, del);
            }
            if !ins.is_empty() {
                text.insert(&mut t, pos, ins);
            }
        }
        out.push(Message::Sync(SyncMessage::Update(t.encode_update_v1())).encode_v1());
    }
    let final_text = text.get_string(&doc.transact());
    (out, final_text)
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

struct Server {
    name: &'static str,
    child: Child,
    base: String,
    token: String,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

fn wait_port(port: u16) {
    let end = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "server on {port} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `weft collab host --local` on a folder with one empty file per document, as users run it
/// (room logs written, saves to disk included).
fn weft(docs: usize) -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let folder = dir.path().join("share");
    std::fs::create_dir_all(&folder).expect("mkdir");
    for i in 0..docs {
        std::fs::write(folder.join(format!("doc{i}.txt")), "").expect("write");
    }
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["collab", "host", folder.to_str().expect("utf8"), "--local", "--port", &port.to_string(), "--guest", "bench"])
        .env("WEFT_DATA_DIR", dir.path().join("data"))
        .env("WEFT_CONFIG_DIR", dir.path().join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn weft");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let invite = lines.by_ref().map_while(Result::ok).find(|l| l.starts_with("invite bench")).expect("invite");
    std::thread::spawn(move || lines.for_each(drop));
    let token = invite.rsplit("token=").next().expect("token").to_owned();
    Server { name: "weft collab host", child, base: format!("ws://127.0.0.1:{port}"), token, _dir: Some(dir) }
}

fn node_server() -> Option<Server> {
    let bin = repo().join("benches/yjs-server/node_modules/@y/websocket-server/src/server.js");
    if !bin.exists() {
        eprintln!("(the reference server is not installed: cd benches/yjs-server && npm install)");
        return None;
    }
    let port = free_port();
    let child = Command::new("node")
        .arg(&bin)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn node");
    wait_port(port);
    Some(Server { name: "@y/websocket-server 0.1.1", child, base: format!("ws://127.0.0.1:{port}"), token: "none".into(), _dir: None })
}

/// Whether a frame is a document update (sync message, update or step 2).
fn is_update(data: &[u8]) -> bool {
    data.len() > 2 && data[0] == 0 && (data[1] == 2 || data[1] == 1)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(s: &Server, doc: usize) -> Socket {
    let url = format!("{}/file/doc{doc}.txt?token={}", s.base, s.token);
    // Small writes leave at once, as an editor's client would send them.
    tokio_tungstenite::connect_async_with_config(url, None, true).await.expect("connect").0
}

/// Applies what arrives to a document until its text is `len` long (the whole trace):
/// returns when that happened. A server may send a burst's updates one by one or, to a
/// reader that fell behind, the document at once; either way the reader ends with the text.
async fn read_until_len(mut ws: Socket, len: u32) -> Option<(Instant, usize)> {
    use yrs::updates::decoder::Decode;
    let doc = yrs::Doc::new();
    let text = doc.get_or_insert_text("content");
    let mut frames = 0;
    loop {
        match ws.next().await {
            Some(Ok(Ws::Binary(data))) if is_update(&data) => {
                frames += 1;
                if let Ok(Message::Sync(SyncMessage::Update(u) | SyncMessage::SyncStep2(u))) = Message::decode_v1(&data) {
                    if let Ok(u) = yrs::Update::decode_v1(&u) {
                        let _ = doc.transact_mut().apply_update(u);
                    }
                }
                if text.len(&doc.transact()) == len {
                    return Some((Instant::now(), frames));
                }
            }
            Some(Ok(_)) => {}
            _ => return None,
        }
    }
}

/// Reads until `n` updates arrived; returns when each arrived.
async fn read_updates(mut ws: Socket, n: usize) -> Vec<Instant> {
    let mut at = Vec::with_capacity(n);
    while at.len() < n {
        match ws.next().await {
            Some(Ok(Ws::Binary(data))) if is_update(&data) => at.push(Instant::now()),
            Some(Ok(_)) => {}
            _ => break,
        }
    }
    at
}

/// CPU time a process has used (user + system), from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

struct Figures {
    /// Update frames the server sent per update it received (to the readers, and any echo
    /// to the writer).
    out_per_update: f64,
    /// Updates fanned out per second of the server's CPU time: the same offered load for
    /// both servers, paced under the host's per-connection budget.
    per_cpu_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    kib_per_doc: f64,
}

async fn run(s: &Server, updates: &Arc<Vec<Vec<u8>>>, final_len: u32, docs: usize, readers: usize, rate: f64) -> Figures {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base_rss = rss_kib(s.child.id());

    // Throughput: every document at once.
    let n = updates.len();
    let start = Arc::new(Barrier::new(docs + 1));
    let mut reads = vec![];
    let mut writes = vec![];
    for d in 0..docs {
        for _ in 0..readers {
            let ws = connect(s, d).await;
            reads.push(tokio::spawn(read_until_len(ws, final_len)));
        }
        let w = connect(s, d).await;
        let (u, b) = (updates.clone(), start.clone());
        writes.push(tokio::spawn(async move {
            b.wait().await;
            let (mut sink, mut stream) = w.split();
            // The writer's own echo (the Node server sends it back) is drained, and counted.
            let echoed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let e = echoed.clone();
            let drain = tokio::spawn(async move {
                while let Some(Ok(m)) = stream.next().await {
                    if matches!(&m, Ws::Binary(d) if is_update(d)) {
                        e.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
            // Paced under the host's per-connection budget (300 messages a second), as a
            // client typing or replaying fast would be; both servers get the same load.
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            for m in u.iter() {
                tick.tick().await;
                sink.send(Ws::Binary(m.clone().into())).await.expect("send");
            }
            (sink, drain, echoed)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    start.wait().await;
    let cpu0 = cpu_time(s.child.id());
    let t0 = Instant::now();
    let mut last = t0;
    let mut frames_out = 0;
    for r in reads {
        let (done, frames) = r.await.expect("reader").unwrap_or_else(|| panic!("{}: a reader's connection ended before it had the whole text", s.name));
        last = last.max(done);
        frames_out += frames;
    }
    let _elapsed = last - t0;
    let cpu = cpu_time(s.child.id()).saturating_sub(cpu0);
    let kib_per_doc = rss_kib(s.child.id()).saturating_sub(base_rss) as f64 / docs as f64;
    let mut keep = vec![];
    let mut echoes = vec![];
    for w in writes {
        let (sink, drain, echoed) = w.await.expect("writer");
        keep.push((sink, drain));
        echoes.push(echoed);
    }
    // Echoes still on their way when the readers finished count too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    frames_out += echoes.iter().map(|e| e.load(std::sync::atomic::Ordering::Relaxed)).sum::<usize>();

    // Latency: one more document, paced.
    let paced = updates.len().min(2000);
    let lat_doc = docs; // a fresh room
    let mut lat_reads = vec![];
    for _ in 0..readers {
        lat_reads.push(tokio::spawn(read_updates(connect(s, lat_doc).await, paced)));
    }
    let w = connect(s, lat_doc).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut sink, mut stream) = w.split();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    let mut sent = Vec::with_capacity(paced);
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    for m in updates.iter().take(paced) {
        tick.tick().await;
        sent.push(Instant::now());
        sink.send(Ws::Binary(m.clone().into())).await.expect("send");
    }
    let mut worst = vec![Duration::ZERO; paced];
    for r in lat_reads {
        let got = r.await.expect("reader");
        assert_eq!(got.len(), paced);
        for (i, t) in got.iter().enumerate() {
            worst[i] = worst[i].max(t.saturating_duration_since(sent[i]));
        }
    }
    drain.abort();
    worst.sort();
    let pct = |p: f64| worst[((paced as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
    for (_, d) in &keep {
        d.abort();
    }
    drop(keep);
    Figures { out_per_update: frames_out as f64 / (n * docs) as f64, per_cpu_s: (n * docs) as f64 / cpu.as_secs_f64().max(0.01), p50_ms: pct(0.5), p99_ms: pct(0.99), kib_per_doc }
}

fn main() {
    // `cargo test` runs benches with --bench absent; only measure when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let txns = env_usize("WEFT_BENCH_TXNS", 3_000);
    let rate = env_usize("WEFT_BENCH_RATE", 250) as f64;
    let docs = env_usize("WEFT_BENCH_DOCS", 4);
    let readers = env_usize("WEFT_BENCH_READERS", 3);
    let (updates, final_text) = trace_updates(txns);
    let bytes: usize = updates.iter().map(Vec::len).sum();
    println!(
        "collab fan-out: automerge-paper trace, first {} transactions ({} KiB of updates, {} chars at the end), {docs} documents x (1 writer at {rate} updates/s + {readers} readers)",
        updates.len(),
        bytes / 1024,
        final_text.len()
    );
    let updates = Arc::new(updates);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let runs = env_usize("WEFT_BENCH_RUNS", 5);
    let final_len = final_text.encode_utf16().count() as u32;
    // Interleaved, a fresh server each run, the side that goes first alternating.
    let (mut ours, mut theirs) = (vec![], vec![]);
    for i in 0..runs {
        let mut one = |weft_side: bool| {
            if weft_side {
                let w = weft(docs + 1);
                ours.push(rt.block_on(run(&w, &updates, final_len, docs, readers, rate)));
            } else if let Some(n) = node_server() {
                theirs.push(rt.block_on(run(&n, &updates, final_len, docs, readers, rate)));
            }
        };
        one(i % 2 == 0);
        one(i % 2 != 0);
    }
    let med = |v: &[Figures], f: fn(&Figures) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(|a, b| a.total_cmp(b));
        (x[x.len() / 2], x[0], x[x.len() - 1])
    };
    println!("{runs} runs each, interleaved: median (min–max)");
    println!("{:<28} {:>26} {:>22} {:>22} {:>22} {:>16}", "server", "updates per CPU-second", "p50 ms", "p99 ms", "KiB/document", "frames out/update");
    let rows: Vec<(&str, &Vec<Figures>)> = [("weft collab host", &ours), ("@y/websocket-server 0.1.1", &theirs)].into_iter().filter(|(_, v)| !v.is_empty()).collect();
    let fig = |v: &[Figures], f: fn(&Figures) -> f64, prec: usize| {
        let (m, lo, hi) = med(v, f);
        format!("{m:.prec$} ({lo:.prec$}–{hi:.prec$})")
    };
    for (name, v) in &rows {
        println!(
            "{:<28} {:>26} {:>22} {:>22} {:>22} {:>16.2}",
            name,
            fig(v, |f| f.per_cpu_s, 0),
            fig(v, |f| f.p50_ms, 2),
            fig(v, |f| f.p99_ms, 2),
            fig(v, |f| f.kib_per_doc, 0),
            med(v, |f| f.out_per_update).0
        );
    }
    if !theirs.is_empty() {
        let (a, b) = (&ours, &theirs);
        println!(
            "weft / node (medians): updates per CPU-second {:.2}x (goal >= 2x), memory per document {:.2}x (goal <= 0.5x), p99 latency {:.2}x (goal <= 1x)",
            med(a, |f| f.per_cpu_s).0 / med(b, |f| f.per_cpu_s).0,
            med(a, |f| f.kib_per_doc).0 / med(b, |f| f.kib_per_doc).0.max(1.0),
            med(a, |f| f.p99_ms).0 / med(b, |f| f.p99_ms).0
        );
        println!("frames out per update: the Node server also echoes each update to its writer; Weft does not.");
    }
}
