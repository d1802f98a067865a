//! The one-document model against the path it replaces, in the same run: a host editor's
//! keystroke reaching 3 guests, the host's memory per open shared document, and opening a
//! 10 MB file (until the editor holds its text, and what it costs the host).
//!
//!   cargo bench -p weft-api --bench doc_paths -- [KEYSTROKES] [DOCS]
//!
//! "document": the editor is bound to the folder's document (docOpen / docPush); the hub
//! serves that same document to guests.
//! "self-join": the path the host's editor took before the document model: the app joins
//! its own host as a participant (collabJoin / collabOpen / collabPush), a second replica
//! relaying to the room over a loopback WebSocket. The host's own link is now served
//! in-process (no socket, no replica), so the old path is taken here with an invite link,
//! which joins over the network as the self-join did.
//! Keystrokes alternate between the two paths, so both see the same machine load. Prints
//! figures and ratios; asserts nothing about time. Memory is the growth of the process's
//! resident set (Linux /proc), so it is a coarse figure: read it over many documents.
//! Opening a 10 MB file: "document" is docOpen until the editor's replica holds the whole
//! text; "before" is what the editor did before the document model: readFile, then the
//! text sent to the syntax mirror (syntaxOpen), which returned with the analysis. Three
//! files each, alternating; the host's growth measured once the tree-sitter analysis of
//! each is done (the document path sends the text first and its analysis after).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use weft_api::{Api, AppPaths, Shell, Stream, StreamFrame};
use weft_collab::{Backoff, Peer, PeerEvent};
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{GetString, OffsetKind, Options, Text, Transact, Update};

/// Resident memory of this process (Linux), for the memory figure: the host is this
/// process, and the growth when documents open is what they cost it.
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<usize>().ok()))
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// An editor's Yjs replica fed by a stream of y-sync frames (what the UI holds).
struct Replica {
    doc: yrs::Doc,
    inbox: Arc<Mutex<Vec<Vec<u8>>>>,
    /// A tree-sitter analysis of the document has arrived.
    analysed: Arc<std::sync::atomic::AtomicBool>,
}

impl Replica {
    fn new() -> (Replica, Stream) {
        let inbox: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let analysed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (i, a) = (inbox.clone(), analysed.clone());
        let stream = Stream::new("bench", move |f| {
            match f {
                StreamFrame::Bytes(b) => i.lock().expect("lock").push(b),
                StreamFrame::Json(v) if v["kind"] == "analysis" => a.store(true, std::sync::atomic::Ordering::SeqCst),
                StreamFrame::Json(_) => {}
            }
            true
        });
        (Replica { doc: yrs::Doc::with_options(Options { offset_kind: OffsetKind::Utf16, ..Options::default() }), inbox, analysed }, stream)
    }

    fn sync(&self) {
        for f in self.inbox.lock().expect("lock").drain(..) {
            let mut dec = DecoderV1::from(f.as_slice());
            for m in MessageReader::new(&mut dec).flatten() {
                if let Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) = m {
                    if let Ok(u) = Update::decode_v1(&u) {
                        let _ = self.doc.transact_mut().apply_update(u);
                    }
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.sync();
        let t = self.doc.get_or_insert_text("content");
        let s = t.get_string(&self.doc.transact());
        s.len()
    }

    /// A keystroke at the start of the text, as a y-sync update message.
    fn type_front(&self, s: &str) -> Vec<u8> {
        self.sync();
        let t = self.doc.get_or_insert_text("content");
        let mut txn = self.doc.transact_mut();
        t.insert(&mut txn, 0, s);
        Message::Sync(SyncMessage::Update(txn.encode_update_v1())).encode_v1()
    }
}

async fn call(api: &Api, v: Value, stream: Option<Stream>) -> Value {
    api.call(v.clone(), stream).await.unwrap_or_else(|e| panic!("{v}: {e}"))
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let keystrokes = args.first().copied().unwrap_or(300);
    let docs = args.get(1).copied().unwrap_or(50);
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    let line = "fn line() -> u32 { 42 } // some ordinary source text\n";
    std::fs::write(ws.path().join("a.txt"), line.repeat(200)).expect("write");
    for i in 0..docs {
        std::fs::write(ws.path().join(format!("m{i}.txt")), line.repeat(2000)).expect("write");
    }
    let api = Api::new(Shell { name: "bench", unsupported: &[] }, AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") });
    api.open_workspace(ws.path()).expect("open");
    call(&api, json!({"method": "collabShare", "params": {"local": true}}), None).await;
    let status = call(&api, json!({"method": "collabInvite", "params": {"name": "g", "readOnly": false}}), None).await;
    let link = status["guests"][0]["link"].as_str().expect("link").to_owned();
    let (base, token) = link.split_once("/?token=").expect("link");

    // --- keystrokes ------------------------------------------------------------------
    let guests: Vec<Peer> = (0..3).map(|_| Peer::join(format!("{base}/file/a.txt?token={token}"), "file/a.txt", Backoff::default())).collect();
    let initial = line.repeat(200);
    until("the guests synced", || guests.iter().all(|g| g.text() == initial)).await;
    let mut inboxes: Vec<_> = guests.iter().map(|g| g.open().1).collect();

    let (doc_ed, stream) = Replica::new();
    let info = call(&api, json!({"method": "docOpen", "params": {"path": "a.txt"}}), Some(stream)).await;
    let conn = info["conn"].as_u64().expect("conn");
    until("the editor synced", || doc_ed.len() == initial.len()).await;

    call(&api, json!({"method": "collabJoin", "params": {"link": link}}), None).await;
    let (join_ed, stream) = Replica::new();
    call(&api, json!({"method": "collabOpen", "params": {"room": "file/a.txt"}}), Some(stream)).await;
    until("the self-joined editor synced", || join_ed.len() >= initial.len()).await;

    let (mut t_doc, mut t_join) = (vec![], vec![]);
    for k in 0..keystrokes * 2 {
        let token = format!("‹{k}›");
        let by_doc = k % 2 == 0;
        let ed = if by_doc { &doc_ed } else { &join_ed };
        // Both replicas see both paths' keystrokes (they share the room): the one typing
        // waits until it has the last one, or its keystroke would be concurrent with it
        // (and land after it, not at the front).
        if k > 0 {
            let prev = format!("‹{}›", k - 1);
            until("the typing editor has the last keystroke", || {
                ed.sync();
                ed.doc.get_or_insert_text("content").get_string(&ed.doc.transact()).starts_with(&prev)
            })
            .await;
        }
        let data = ed.type_front(&token);
        let t0 = Instant::now();
        if by_doc {
            call(&api, json!({"method": "docPush", "params": {"conn": conn, "data": data}}), None).await;
        } else {
            call(&api, json!({"method": "collabPush", "params": {"room": "file/a.txt", "data": data}}), None).await;
        }
        for (g, rx) in guests.iter().zip(inboxes.iter_mut()) {
            while !g.text().starts_with(&token) {
                match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                    Ok(Ok(PeerEvent::Message(_) | PeerEvent::Status(_) | PeerEvent::Synced)) | Ok(Err(_)) => {}
                    Err(_) => {
                        let head = |t: String| t.chars().take(30).collect::<String>();
                        panic!("keystroke {k} never reached a guest: guest {:?}, self-joined editor {:?}, bound editor {:?}", head(g.text()), head({ join_ed.sync(); join_ed.doc.get_or_insert_text("content").get_string(&join_ed.doc.transact()) }), head({ doc_ed.sync(); doc_ed.doc.get_or_insert_text("content").get_string(&doc_ed.doc.transact()) }))
                    }
                }
            }
        }
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        if by_doc { t_doc.push(ms) } else { t_join.push(ms) }
    }
    let (d50, d99, j50, j99) = (pct(&mut t_doc, 0.5), pct(&mut t_doc, 0.99), pct(&mut t_join, 0.5), pct(&mut t_join, 0.99));
    println!("keystroke to 3 guests ({keystrokes} each path, alternating)");
    println!("  document  p50 {d50:.2} ms  p99 {d99:.2} ms");
    println!("  self-join p50 {j50:.2} ms  p99 {j99:.2} ms");
    println!("  ratio document/self-join: p50 {:.2}x  p99 {:.2}x", d50 / j50, d99 / j99);

    // --- memory per open shared document --------------------------------------------
    // Host side (this process): the document alone, against the document plus the
    // self-joined replica. The editor's own replica lives in the page in both cases and is
    // not counted; the streams' replicas here are dropped before measuring.
    let settle = || async { tokio::time::sleep(Duration::from_millis(300)).await };
    settle().await;
    let before = rss();
    for i in 0..docs {
        let (r, stream) = Replica::new();
        call(&api, json!({"method": "docOpen", "params": {"path": format!("m{i}.txt")}}), Some(stream)).await;
        until("synced", || r.len() > 0).await;
    }
    settle().await;
    let with_docs = rss();
    for i in 0..docs {
        let (r, stream) = Replica::new();
        call(&api, json!({"method": "collabOpen", "params": {"room": format!("file/m{i}.txt")}}), Some(stream)).await;
        until("synced", || r.len() > 0).await;
    }
    settle().await;
    let with_join = rss();
    let per_doc = (with_docs.saturating_sub(before)) as f64 / docs as f64;
    let per_join = per_doc + (with_join.saturating_sub(with_docs)) as f64 / docs as f64;
    let kib = |b: f64| b / 1024.0;
    println!("host memory per open shared document ({docs} files of {} KiB)", line.len() * 2000 / 1024);
    println!("  document            {:.0} KiB", kib(per_doc));
    println!("  document + self-join {:.0} KiB", kib(per_join));
    println!("  ratio: {:.2}x", per_doc / per_join);

    // Opening a 10 MB file, each path on files of its own (nothing cached between them).
    let big: String = (0..).map(|i| format!("function f{i}(a, b) {{ return a * {i} + b; }} // {}\n", "x".repeat(i % 40))).scan(0usize, |n, l| {
        *n += l.len();
        (*n <= 10 << 20).then_some(l)
    }).collect();
    for i in 0..6 {
        std::fs::write(ws.path().join(format!("big{i}.js")), &big).expect("write");
    }
    let (mut t_doc, mut t_before, mut m_doc, mut m_before, mut t_doc_analysed) = (vec![], vec![], vec![], vec![], vec![]);
    let mut keep = vec![];
    for i in 0..6 {
        settle().await;
        let base = rss();
        let path = format!("big{i}.js");
        let t0 = Instant::now();
        if i % 2 == 0 {
            let (r, stream) = Replica::new();
            call(&api, json!({"method": "docOpen", "params": {"path": path}}), Some(stream)).await;
            until("the whole text", || r.len() == big.len()).await;
            t_doc.push(t0.elapsed().as_secs_f64() * 1e3);
            // The document's analysis follows the text: wait for it before measuring.
            until("the analysis", || r.analysed.load(std::sync::atomic::Ordering::SeqCst)).await;
            t_doc_analysed.push(t0.elapsed().as_secs_f64() * 1e3);
            keep.push(r);
            tokio::time::sleep(Duration::from_millis(300)).await;
            m_doc.push(rss().saturating_sub(base) as f64 / 1048576.0);
        } else {
            let f = call(&api, json!({"method": "readFile", "params": {"path": path}}), None).await;
            let text = f["text"].as_str().expect("text").to_owned();
            call(&api, json!({"method": "syntaxOpen", "params": {"doc": format!("b{i}"), "path": path, "text": text}}), None).await;
            t_before.push(t0.elapsed().as_secs_f64() * 1e3);
            tokio::time::sleep(Duration::from_millis(300)).await;
            m_before.push(rss().saturating_sub(base) as f64 / 1048576.0);
        }
    }
    let show = |v: &[f64]| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(", ");
    println!("opening a {:.1} MB file until the editor holds its text (3 each, alternating)", big.len() as f64 / 1e6);
    println!("  document  {} ms (analysed at {} ms); host +{} MB", show(&t_doc), show(&t_doc_analysed), show(&m_doc));
    println!("  before    {} ms (analysed when it returns); host +{} MB", show(&t_before), show(&m_before));
    println!("  (the page's first paint of the text is the browser's part, the same for both)");
}
