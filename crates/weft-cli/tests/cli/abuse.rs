//! `weft collab host` under abuse, CI-sized: 200 connections, a read-only guest flooding
//! presence, a guest that never reads while another types, 100 connections that send half
//! a request. The host's memory stays under a ceiling (printed), the abusers are cut off,
//! and well-behaved guests still sync.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message as Ws;
use weft_collab::{Backoff, Endpoint, Peer};
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message};
use yrs::updates::encoder::Encode;

/// The host's resident memory in MiB, from /proc.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0.0);
    kb / 1024.0
}

const CEILING_MIB: f64 = 256.0;

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_holds_under_floods_slow_readers_and_half_open_connections() {
    let folder = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(folder.path().join("a.txt"), "hello\n").expect("write");
    let mut args = vec!["collab".to_owned(), "host".into(), folder.path().display().to_string(), "--local".into(), "--guest".into(), "ada".into(), "--guest".into(), "bo:ro".into(), "--guest".into(), "flood:ro".into(), "--guest".into(), "lazy".into()];
    for g in 0..8 {
        args.extend(["--guest".into(), format!("crowd{g}")]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(&args)
        .env("WEFT_CONFIG_DIR", data.path().join("c"))
        .env("WEFT_DATA_DIR", data.path().join("d"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let _host = Kill(child);
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut base = String::new();
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("invite ") {
            let name = rest.split(' ').next().unwrap_or_default().to_owned();
            let link = rest.rsplit(' ').next().unwrap_or_default();
            let (b, t) = link.split_once("/?token=").expect("link");
            base = b.to_owned();
            tokens.insert(name, t.to_owned());
        }
        if line.starts_with("commands:") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let url = |who: &str| format!("{base}/file/a.txt?token={}", tokens[who]);
    let before = rss_mib(pid);

    // 200 connections from eight guests, each reading what it is sent.
    let mut crowd = vec![];
    for i in 0..200 {
        let (ws, _) = tokio_tungstenite::connect_async(url(&format!("crowd{}", i % 8))).await.expect("crowd connects");
        let (_, mut read) = ws.split();
        crowd.push(tokio::spawn(async move { while let Some(Ok(_)) = read.next().await {} }));
    }
    // A guest whose token already holds its share of connections is refused more.
    let mut extra = vec![];
    for _ in 0..weft_collab::MAX_CONNECTIONS_PER_GUEST {
        extra.push(tokio_tungstenite::connect_async(url("crowd0")).await);
    }
    assert!(extra.iter().any(|r| r.as_ref().is_err_and(|e| e.to_string().contains("429"))), "a guest's connections are capped");
    drop(extra);

    // 100 connections that send half a request and then nothing.
    let mut half_open = vec![];
    for _ in 0..100 {
        if let Ok(mut s) = tokio::net::TcpStream::connect(base.trim_start_matches("ws://")).await {
            let _ = s.write_all(b"GET /file/a.txt?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\n").await;
            half_open.push(s);
        }
    }

    // A guest that never reads while another types a lot.
    let (lazy, _) = tokio_tungstenite::connect_async(url("lazy")).await.expect("lazy connects");
    let ada = Peer::join(Endpoint { url: url("ada"), pin: None }, "file/a.txt", Backoff::default());
    let bo = Peer::join(Endpoint { url: url("bo"), pin: None }, "file/a.txt", Backoff::default());

    // A read-only guest flooding presence: new ids, large states, as fast as it can.
    let (mut flood, _) = tokio_tungstenite::connect_async(url("flood")).await.expect("flood connects");
    let state: Arc<str> = Arc::from(format!(r#"{{"user":{{"name":"{}"}}}}"#, "x".repeat(64 * 1024)));
    let mut sent = 0;
    for id in 0..4000u64 {
        let mut clients = HashMap::new();
        clients.insert(yrs::block::ClientID::new(1_000_000 + id), AwarenessUpdateEntry { clock: 1, json: state.clone() });
        if flood.send(Ws::Binary(Message::Awareness(AwarenessUpdate { clients }).encode_v1().into())).await.is_err() {
            break;
        }
        sent += 1;
    }
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(m) = flood.next().await {
            if matches!(m, Ok(Ws::Close(_)) | Err(_)) {
                return true;
            }
        }
        true
    })
    .await
    .unwrap_or(false);
    assert!(closed, "the flooding guest was cut off (it sent {sent} presence messages)");

    let deadline = Instant::now() + Duration::from_secs(30);
    while !(ada.text() == "hello\n" && bo.text() == "hello\n") {
        assert!(Instant::now() < deadline, "the well-behaved guests joined");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for i in 0..2000u32 {
        ada.insert(6 + i, "x");
        if i % 100 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let started = Instant::now();
    ada.insert(0, "ping ");
    while !bo.text().starts_with("ping ") {
        assert!(started.elapsed() < Duration::from_secs(10), "a well-behaved guest synced (bo has {} bytes)", bo.text().len());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sync_ms = started.elapsed().as_millis();
    let during = rss_mib(pid);
    println!("collab host under abuse: RSS {before:.0} MiB at start, {during:.0} MiB with 200 connections, a presence flood, a reader that never reads and 100 half-open connections (ceiling {CEILING_MIB} MiB); a well-behaved guest's edit arrived in {sync_ms} ms");
    assert!(during < CEILING_MIB, "the host grew to {during:.0} MiB");
    drop((lazy, half_open, crowd));
}
