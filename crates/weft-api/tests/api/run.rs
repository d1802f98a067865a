//! Runs through the API: a real Node server started from a configuration, its port noticed,
//! Stop freeing it; problems from a run's output; dependencies.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{collector, fixture, DESKTOP};

async fn call(api: &weft_api::Api, method: &str, params: Value) -> Result<Value, weft_api::ApiError> {
    // Requests without parameters take none at all.
    let req = if params == json!({}) { json!({"method": method}) } else { json!({"method": method, "params": params}) };
    api.call(req, None).await
}

/// Waits for a frame matching `pick`, looking at what arrived so far and what follows.
async fn frame(frames: &std::sync::Arc<std::sync::Mutex<Vec<Value>>>, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = frames.lock().expect("lock").iter().find(|v| pick(v)) {
            return v.clone();
        }
        assert!(Instant::now() < until, "no {what} frame; got {:?}", frames.lock().expect("lock"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn get(port: u16) -> String {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("send");
    let mut out = String::new();
    c.read_to_string(&mut out).expect("read");
    out
}

const SERVER: &str = r#"
const http = require('http');
const server = http.createServer((req, res) => res.end('hello from the run ' + process.env.GREETING));
server.listen(0, '127.0.0.1', () => console.log(`Server listening on http://localhost:${server.address().port}/`));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_run_is_seen_listening_and_stop_frees_its_port() {
    let f = fixture(DESKTOP);
    std::fs::write(f.ws.path().join("server.js"), SERVER).expect("write");
    std::fs::create_dir_all(f.ws.path().join(".weft")).expect("mkdir");
    std::fs::write(
        f.ws.path().join(".weft/run.json"),
        r#"[{"name": "web", "command": "node server.js", "env": {"GREETING": "with its env"}, "dependsOn": ["prepare"]},
            {"name": "prepare", "command": "echo ready > prepared.txt"}]"#,
    )
    .expect("write");
    let configs = call(&f.api, "runConfigs", json!({})).await.expect("configs");
    assert_eq!(configs["configs"][0]["name"], "web", "{configs}");
    assert_eq!(configs["problems"], json!([]));

    let (stream, frames) = collector();
    f.api.call(json!({"method": "runEvents"}), Some(stream)).await.expect("events");
    let info = call(&f.api, "runStart", json!({"name": "web"})).await.expect("start");
    // The dependency ran to its end first.
    assert_eq!(std::fs::read_to_string(f.ws.path().join("prepared.txt")).expect("prepared").trim(), "ready");
    let id = info["id"].as_u64().expect("id");
    assert_eq!(info["title"], "web");
    let started = frame(&frames, "started", |v| v["kind"] == "started" && v["terminal"] == id).await;
    assert_eq!(started["name"], "web");
    let opened = frame(&frames, "port", |v| v["kind"] == "port" && v["terminal"] == id && v["open"] == true).await;
    let port = opened["port"].as_u64().expect("port") as u16;
    assert_eq!(opened["url"], format!("http://localhost:{port}/"));
    assert_eq!(opened["title"], "web");
    // It is the run's server, with the configuration's environment.
    let body = get(port);
    assert!(body.ends_with("\r\n\r\nhello from the run with its env"), "{body}");
    let snapshot = call(&f.api, "runEvents", json!({})).await.expect("snapshot");
    assert!(snapshot["ports"].as_array().expect("ports").iter().any(|p| p["port"] == port), "{snapshot}");

    call(&f.api, "runStop", json!({"terminal": id})).await.expect("stop");
    frame(&frames, "port closed", |v| v["kind"] == "port" && v["port"] == port && v["open"] == false).await;
    let exited = frame(&frames, "exited", |v| v["kind"] == "exited" && v["terminal"] == id).await;
    assert!(exited["exit"]["code"] != json!(0), "killed, not ended well: {exited}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the port is free after Stop");
    // The terminal keeps what the run printed.
    let list = call(&f.api, "terminalList", json!({})).await.expect("list");
    assert!(list.as_array().expect("list").iter().any(|t| t["id"] == id && !t["exited"].is_null()), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_compiler_errors_become_problems_with_project_paths() {
    let f = fixture(DESKTOP);
    std::fs::create_dir_all(f.ws.path().join("web/src")).expect("mkdir");
    // tsc's own output format, printed by the run from its folder (web/).
    std::fs::write(f.ws.path().join("web/out.txt"), "src/a.ts(3,5): error TS2322: Type 'string' is not assignable to type 'number'.\n").expect("write");
    std::fs::create_dir_all(f.ws.path().join(".weft")).expect("mkdir");
    std::fs::write(f.ws.path().join(".weft/run.json"), r#"[{"name": "check", "command": "cat out.txt; exit 2", "cwd": "web"}]"#).expect("write");
    let (stream, frames) = collector();
    f.api.call(json!({"method": "runEvents"}), Some(stream)).await.expect("events");
    let info = call(&f.api, "runStart", json!({"name": "check"})).await.expect("start");
    let problems = frame(&frames, "problems", |v| v["kind"] == "problems").await;
    assert_eq!(problems["terminal"], info["id"]);
    let p = &problems["problems"][0];
    assert_eq!((p["path"].as_str(), p["line"].as_u64(), p["column"].as_u64(), p["code"].as_str()), (Some("web/src/a.ts"), Some(3), Some(5), Some("TS2322")));
    let exited = frame(&frames, "exited", |v| v["kind"] == "exited").await;
    assert_eq!(exited["exit"]["code"], 2);
    // A reconnecting UI gets the run and its problems.
    let snapshot = call(&f.api, "runEvents", json!({})).await.expect("snapshot");
    assert_eq!(snapshot["runs"][0]["problems"][0]["path"], "web/src/a.ts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_dependency_stops_the_run_and_says_why() {
    let f = fixture(DESKTOP);
    std::fs::create_dir_all(f.ws.path().join(".weft")).expect("mkdir");
    std::fs::write(f.ws.path().join(".weft/run.json"), r#"[{"name": "app", "command": "touch started.txt", "dependsOn": ["build"]}, {"name": "build", "command": "exit 3"}]"#).expect("write");
    let err = call(&f.api, "runStart", json!({"name": "app"})).await.expect_err("the build failed");
    assert_eq!(err.code, "run_failed");
    assert!(err.message.contains("\"build\" (which \"app\" depends on) ended with exit code 3"), "{}", err.message);
    assert!(!f.ws.path().join("started.txt").exists());
    let err = call(&f.api, "runStart", json!({"name": "nope"})).await.expect_err("no such configuration");
    assert_eq!(err.code, "bad_request");
}
