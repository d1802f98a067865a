//! The memory of Weft's side of the language-server plumbing with three real servers
//! running (typescript-language-server, pyright, clangd), each with a file open, its
//! diagnostics in, and a hundred completions and hovers asked: this process's resident
//! memory before the first server and after, and the servers' own (their whole process
//! trees: typescript-language-server runs tsserver under it) reported apart. Linux (/proc).
//! Prints figures; asserts nothing.
//!
//!   cargo bench -p weft-lsp --bench lsp_memory

use std::path::{Path, PathBuf};
use std::time::Duration;

use weft_lsp::{Lsp, LspEvent};

/// A /proc status field in kB.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok())
}

/// Proportional set size in kB (shared pages split between their users).
fn pss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    s.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok())
}

/// Every process below `root`, with its command name.
fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut all = vec![];
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // pid (comm) state ppid …: comm may hold spaces, so split after its closing paren.
        let Some(close) = stat.rfind(')') else { continue };
        let comm = stat[stat.find('(').map_or(0, |o| o + 1)..close].to_owned();
        let ppid = stat[close + 2..].split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
        all.push((pid, ppid, comm));
    }
    let mut out: Vec<(u32, String)> = vec![];
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid, comm) in &all {
            if *ppid == p {
                out.push((*pid, comm.clone()));
                frontier.push(*pid);
            }
        }
    }
    out
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

/// Waits until every one of `paths` has had diagnostics.
async fn diagnosed(events: &mut tokio::sync::broadcast::Receiver<LspEvent>, paths: &[&str]) {
    let end = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut left: Vec<&str> = paths.to_vec();
    while !left.is_empty() {
        match tokio::time::timeout_at(end, events.recv()).await {
            Ok(Ok(LspEvent::Diagnostics { path, .. })) => left.retain(|p| *p != path),
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            _ => panic!("no diagnostics for {left:?} within 120 s (are the test servers and clangd installed?)"),
        }
    }
}

fn main() {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/language-servers/node_modules/.bin");
    assert!(bin.join("typescript-language-server").exists(), "run scripts/setup.sh with WEFT_SETUP_TESTS=1 first ({})", bin.display());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("tmp");
    let d: &Path = dir.path();
    std::fs::write(d.join("tsconfig.json"), r#"{"compilerOptions": {"strict": true, "target": "es2020", "module": "commonjs"}}"#).expect("write");
    let ts = "export class Shape {\n  constructor(readonly side: number) {}\n  area(): number { return this.side * this.side; }\n}\nconst s = new Shape(2);\ns.\n";
    let py = "def area(side: int) -> int:\n    return side * side\n\nx: str = area(2)\n";
    let c = "#include <stdio.h>\nstatic int area(int side) { return side * side; }\nint main(void) { printf(\"%d\\n\", area(2)); return undefined_name; }\n";
    for (name, text) in [("shape.ts", ts), ("area.py", py), ("area.c", c)] {
        std::fs::write(d.join(name), text).expect("write");
    }
    let me = std::process::id();
    rt.block_on(async {
        // The runtime and the allocator warm before the baseline.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = (status_kb(me, "VmRSS:").unwrap_or(0), pss_kb(me).unwrap_or(0));
        let lsp = Lsp::new(d, vec![], vec![bin.clone()]);
        let mut events = lsp.subscribe();
        for (name, text) in [("shape.ts", ts), ("area.py", py), ("area.c", c)] {
            lsp.open(name, text.into());
        }
        diagnosed(&mut events, &["shape.ts", "area.py", "area.c"]).await;
        for i in 0..100u32 {
            let _ = lsp.completion("shape.ts", 5, 2).await;
            let _ = lsp.hover("shape.ts", 4, 6).await;
            let _ = lsp.hover("area.py", 3, 9 + i % 2).await;
            let _ = lsp.completion("area.c", 2, 20).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = (status_kb(me, "VmRSS:").unwrap_or(0), pss_kb(me).unwrap_or(0));
        let running = lsp.servers().iter().filter(|(_, s)| *s == weft_lsp::ServerState::Running).count();
        println!("three language servers ({running} running), a file each, diagnostics in, 100 rounds of completion and hover");
        println!("Weft's process: RSS {} before the servers, {} with them: +{}; PSS {} -> {}: +{}", mb(before.0), mb(after.0), mb(after.0.saturating_sub(before.0)), mb(before.1), mb(after.1), mb(after.1.saturating_sub(before.1)));
        let mut total = 0;
        for (pid, comm) in descendants(me) {
            let pss = pss_kb(pid).unwrap_or(0);
            total += pss;
            println!("  server process {pid} {comm}: PSS {}", mb(pss));
        }
        println!("the servers' own: PSS {} in all", mb(total));
        lsp.shutdown().await;
    });
}
