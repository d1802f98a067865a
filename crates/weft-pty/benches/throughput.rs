//! `cat` of a large file through weft-pty to its consumer, against two peers in the same
//! run, interleaved: a bare PTY in this process (openpty, `cat` on the slave, one thread
//! reading the master in 64 KiB reads and counting: the physical limit, no relay), and
//! `script -qc 'cat FILE' /dev/null` (the PTY plus script's own copy to a pipe: what a
//! terminal program does). Prints medians and the throughput ratios; asserts nothing.
//!
//!   cargo bench -p weft-pty --bench throughput -- [MIB] [RUNS]

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use weft_pty::{PtyEvent, SpawnOptions, Terminals};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let mib: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(128);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("weft-pty-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let file = dir.join("data.txt");
    {
        // Printable lines of varying length, like build or log output.
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
        let mut x: u64 = 0x9E3779B97F4A7C15;
        let mut written = 0;
        while written < mib << 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 20 + (x % 100) as usize;
            let line: Vec<u8> = (0..len).map(|i| b' ' + ((x >> (i % 56)) as u8 % 94)).chain([b'\n']).collect();
            f.write_all(&line).expect("write");
            written += line.len();
        }
    }
    let path = file.to_str().expect("utf8").to_owned();
    let t = Terminals::new();
    let (mut ours, mut bare, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut n_ours, mut n_bare, mut n_theirs) = (0, 0, 0);
    for _ in 0..runs {
        let (d, n) = weft(&t, &path);
        ours.push(d);
        n_ours = n;
        let (d, n) = bare_pty(&path);
        bare.push(d);
        n_bare = n;
        let (d, n) = script(&path);
        theirs.push(d);
        n_theirs = n;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let med = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (a, c, b) = (med(ours), med(bare), med(theirs));
    let mbps = |n: usize, d: Duration| n as f64 / d.as_secs_f64() / 1048576.0;
    println!("cat of a {mib} MiB file through a PTY, {runs} runs each, interleaved, medians");
    println!("weft-pty   {:>8.0} ms  {:>7.0} MiB/s  ({n_ours} bytes)", a.as_secs_f64() * 1e3, mbps(n_ours, a));
    println!("bare PTY   {:>8.0} ms  {:>7.0} MiB/s  ({n_bare} bytes)", c.as_secs_f64() * 1e3, mbps(n_bare, c));
    println!("script     {:>8.0} ms  {:>7.0} MiB/s  ({n_theirs} bytes)", b.as_secs_f64() * 1e3, mbps(n_theirs, b));
    println!("throughput ratio weft/bare PTY: {:.2}x (the physical limit), weft/script: {:.2}x (goal >= 0.9x)", mbps(n_ours, a) / mbps(n_bare, c), mbps(n_ours, a) / mbps(n_theirs, b));
}

fn weft(t: &Terminals, path: &str) -> (Duration, usize) {
    let state = Arc::new((Mutex::new((0usize, false)), Condvar::new()));
    let s2 = state.clone();
    let sink = Box::new(move |ev: PtyEvent| {
        let (m, cv) = &*s2;
        let mut g = m.lock().expect("lock");
        match ev {
            PtyEvent::Output(b) => g.0 += b.len(),
            PtyEvent::Exited(_) => {
                g.1 = true;
                cv.notify_all();
            }
        }
        true
    });
    let start = Instant::now();
    let opts = SpawnOptions { cwd: std::env::temp_dir(), command: Some(vec!["cat".into(), path.into()]), env: vec![], cols: 120, rows: 40, ..Default::default() };
    t.spawn(opts, sink, false).expect("spawn");
    let (m, cv) = &*state;
    let mut g = m.lock().expect("lock");
    while !g.1 {
        g = cv.wait(g).expect("wait");
    }
    (start.elapsed(), g.0)
}

/// The physical limit: the PTY, the program, and one read loop on the master.
fn bare_pty(path: &str) -> (Duration, usize) {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    let start = Instant::now();
    let pair = native_pty_system().openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 }).expect("openpty");
    let mut cmd = CommandBuilder::new("cat");
    cmd.arg(path);
    let mut child = pair.slave.spawn_command(cmd).expect("spawn");
    // The master sees the end only once no slave is left open here.
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0;
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let _ = child.wait();
    (start.elapsed(), n)
}

fn script(path: &str) -> (Duration, usize) {
    let start = Instant::now();
    let mut child = Command::new("script")
        .args(["-qc", &format!("cat '{path}'"), "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) is installed");
    let mut out = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0;
    loop {
        match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let _ = child.wait();
    (start.elapsed(), n)
}
