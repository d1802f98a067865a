//! Port detection latency: from a server's `listen` returning to the watcher reporting the
//! port (the moment the UI can offer a preview). Goal (issue #25): under 300 ms p99.
//!
//! Each round starts a real Node server in a session of its own (as a terminal's programs
//! are), which listens on a free port after a random pause and prints the wall-clock time
//! `listen` returned, then its port. Three figures side by side:
//! - floor: when the server's line reached us through its pipe (the fastest anything that
//!   reads output could know; the peer every detector is measured against);
//! - sockets: the watcher alone, finding the socket through /proc (a server that prints
//!   nothing);
//! - announced: the watcher told the announced port as the line arrives (what a run's
//!   output does).
//!
//! `cargo bench -p weft-run --bench ports [-- ROUNDS]` (default 40). Linux only.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use weft_run::{ports, PortEvent};

const SERVER: &str = r#"
const net = require('net');
setTimeout(() => {
  const s = net.createServer(() => {});
  s.listen(0, '127.0.0.1', () => {
    const at = performance.timeOrigin + performance.now();
    console.log(`${at.toFixed(3)} Listening on http://localhost:${s.address().port}/`);
    setTimeout(() => process.exit(0), 400);
  });
}, 150 + Math.random() * 200);
"#;

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if !cfg!(target_os = "linux") {
        println!("ports: the socket source is Linux's /proc; nothing to measure here");
        return;
    }
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(40);
    let (mut floor, mut sockets, mut announced) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let hint = round % 2 == 1;
        // setsid(1) makes the server the leader of a new session (same pid), as a
        // terminal's shell is.
        let mut child = match Command::new("setsid").args(["node", "-e", SERVER]).stdout(Stdio::piped()).spawn() {
            Ok(c) => c,
            Err(e) => return println!("ports: node (and setsid) are needed: {e}"),
        };
        let leader = child.id();
        let (tx, rx) = mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        let watcher = ports::Watcher::start(
            Box::new(move || vec![(1, leader)]),
            Box::new(move |e| {
                if let PortEvent::Opened { port, .. } = e {
                    let _ = tx.lock().map(|t| t.send((port, now_ms())));
                }
            }),
        );
        let mut line = String::new();
        let Some(out) = child.stdout.take() else { return };
        BufReader::new(out).read_line(&mut line).ok();
        let read_at = now_ms();
        let mut words = line.split_whitespace();
        let listened: f64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(read_at);
        let port = ports::mentioned(&line).first().copied().unwrap_or(0);
        if hint {
            watcher.hint(1, &[port]);
        }
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok((p, at)) if p == port => {
                floor.push(read_at - listened);
                if hint { &mut announced } else { &mut sockets }.push(at - listened);
            }
            other => println!("round {round}: no report for port {port} ({other:?})"),
        }
        drop(watcher);
        let _ = child.wait();
    }
    let show = |name: &str, v: &mut Vec<f64>| {
        if v.is_empty() {
            return println!("{name:<10} no samples");
        }
        let n = v.len();
        println!("{name:<10} n={n:<3} p50 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms", pct(v, 0.5), pct(v, 0.99), pct(v, 1.0));
    };
    println!("port detection latency, from listen() returning (goal: p99 under 300 ms)");
    show("floor", &mut floor);
    show("sockets", &mut sockets);
    show("announced", &mut announced);
    if !floor.is_empty() && !sockets.is_empty() && !announced.is_empty() {
        let f = pct(&mut floor, 0.5).max(0.01);
        println!("ratio to the floor (p50): sockets {:.1}×, announced {:.1}×", pct(&mut sockets, 0.5) / f, pct(&mut announced, 0.5) / f);
    }
}
