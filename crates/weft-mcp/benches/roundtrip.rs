//! An MCP tool call's round trip through Weft (`Hub::call`: the name resolved, the request
//! framed, the answer matched and flattened for the model) against the same server driven
//! by a bare loop (one JSON line written, one read, nothing else), interleaved: Weft's
//! overhead around the server's own time. Prints p50/p99 and the difference; asserts
//! nothing.
//!
//!   cargo bench -p weft-mcp --bench roundtrip -- [CALLS]
//!
//! The server is the official test server (scripts/mcp-servers), its `echo` tool.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{json, Value};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

fn main() {
    let calls: usize = std::env::args().skip(1).find(|a| !a.starts_with("--")).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mcp-servers/node_modules/.bin/mcp-server-everything");
    assert!(bin.exists(), "install the test server: scripts/setup.sh with WEFT_SETUP_TESTS=1");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("tmp");

    // The bare peer: the server's stdio, one line out, one line back.
    let mut child = Command::new(&bin).arg("stdio").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("server");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let mut rpc = |id: Option<u64>, method: &str, params: Value| -> Value {
        let msg = match id {
            Some(id) => json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
            None => json!({"jsonrpc": "2.0", "method": method, "params": params}),
        };
        writeln!(stdin, "{msg}").expect("write");
        stdin.flush().expect("flush");
        let Some(id) = id else { return Value::Null };
        loop {
            line.clear();
            stdout.read_line(&mut line).expect("read");
            let v: Value = serde_json::from_str(&line).expect("json");
            if v["id"] == id {
                return v;
            }
        }
    };
    rpc(Some(0), "initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}));
    rpc(None, "notifications/initialized", json!({}));

    let servers = weft_mcp::config::parse(&json!({"mcpServers": {"e": {"command": bin, "args": ["stdio"]}}}), weft_mcp::Source::User);
    let hub = weft_mcp::Hub::new(dir.path(), servers, None);
    rt.block_on(hub.tools());

    let (mut weft, mut bare) = (vec![], vec![]);
    let args = json!({"message": "a short message"});
    for i in 0..calls + 100 {
        let t = Instant::now();
        let r = rt.block_on(hub.call("mcp__e__echo", &args));
        let w = t.elapsed().as_secs_f64() * 1e6;
        assert!(!r.is_error, "{r:?}");
        let t = Instant::now();
        let v = rpc(Some(i as u64 + 1), "tools/call", json!({"name": "echo", "arguments": args}));
        let b = t.elapsed().as_secs_f64() * 1e6;
        assert!(v["result"].is_object(), "{v}");
        if i >= 100 {
            weft.push(w);
            bare.push(b);
        }
    }
    let (w50, w99, b50, b99) = (pct(&mut weft, 0.5), pct(&mut weft, 0.99), pct(&mut bare, 0.5), pct(&mut bare, 0.99));
    println!("MCP tool round trip, server-everything's echo over stdio, {calls} calls each (after 100 warm-up), interleaved");
    println!("  through Weft (Hub::call):  p50 {w50:>7.0} µs   p99 {w99:>7.0} µs");
    println!("  bare loop (line out/in):   p50 {b50:>7.0} µs   p99 {b99:>7.0} µs");
    println!("  Weft's overhead:           p50 {:>+7.0} µs   p99 {:>+7.0} µs", w50 - b50, w99 - b99);
    let _ = child.kill();
}
