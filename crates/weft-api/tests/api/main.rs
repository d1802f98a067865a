//! weft-api end to end over real folders: the JSON in, JSON out contract every transport
//! relies on.

mod agent;
mod bindings;
mod checkpoints;
mod collab;
mod docs;
mod git;
mod lsp;
mod project;
mod run;
mod guests;
mod syntax;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use weft_api::{Api, AppPaths, Method, Shell, Stream, StreamFrame};

/// Shells as the two real ones declare them: pinned to its folder like `weft serve`
/// (crates/weft-server tests its own list), and the desktop's with no refusals.
pub(crate) const SERVE: Shell = Shell { name: "serve", unsupported: &[(Method::OpenWorkspace, "it serves one folder")] };
pub(crate) const DESKTOP: Shell = Shell { name: "desktop", unsupported: &[] };

pub(crate) struct Fixture {
    pub(crate) api: Api,
    pub(crate) ws: tempfile::TempDir,
    _app: tempfile::TempDir,
}

pub(crate) fn fixture(shell: Shell) -> Fixture {
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    std::fs::write(ws.path().join("hello.txt"), "hello world\n").expect("write");
    let api = Api::new(shell, AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") });
    api.open_workspace(ws.path()).expect("open");
    Fixture { api, ws, _app: app }
}

fn collector() -> (Stream, Arc<Mutex<Vec<Value>>>) {
    let frames = Arc::new(Mutex::new(Vec::new()));
    let f = frames.clone();
    let stream = Stream::new("s1", move |frame| {
        if let StreamFrame::Json(v) = frame {
            f.lock().expect("lock").push(v);
        }
        true
    });
    (stream, frames)
}

#[tokio::test]
async fn malformed_requests_get_clear_errors() {
    let f = fixture(SERVE);
    for bad in [json!("nope"), json!({"method": "noSuchMethod"}), json!({"method": "readFile", "params": {"path": 3}}), json!({})] {
        let err = f.api.call(bad.clone(), None).await.expect_err("must fail");
        assert_eq!(err.code, "bad_request", "{bad}: {err}");
    }
    let err = f.api.call(json!({"method": "readFile", "params": {"path": "../etc/passwd"}}), None).await.expect_err("jail");
    assert_eq!(err.code, "outside_workspace");
    // A browser client cannot point the server at another folder.
    let err = f.api.call(json!({"method": "openWorkspace", "params": {"path": "/"}}), None).await.expect_err("pinned");
    assert_eq!(err.code, "unsupported");
    assert!(err.message.contains("serve does not do openWorkspace: it serves one folder"), "{}", err.message);
    assert_eq!(f.api.call(json!({"method": "info"}), None).await.expect("info")["canOpenFolders"], false);
}

#[tokio::test]
async fn read_and_write_round_trip() {
    let f = fixture(SERVE);
    let file = f.api.call(json!({"method": "readFile", "params": {"path": "hello.txt"}}), None).await.expect("read");
    assert_eq!(file["text"], "hello world\n");
    assert_eq!(file["encoding"], "utf8");
    assert_eq!(file["lineEnding"], "lf");
    f.api.call(json!({"method": "writeFile", "params": {"path": "hello.txt", "text": "bye\n", "encoding": "utf8"}}), None).await.expect("write");
    assert_eq!(std::fs::read_to_string(f.ws.path().join("hello.txt")).expect("read"), "bye\n");
}

#[tokio::test]
async fn search_streams_hits_then_done() {
    let f = fixture(SERVE);
    let (stream, frames) = collector();
    let summary = f.api.call(json!({"method": "search", "params": {"options": {"query": "world"}}}), Some(stream)).await.expect("search");
    assert_eq!(summary["matches"], 1);
    let frames = frames.lock().expect("lock");
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(frames[0]["type"], "hit");
    assert_eq!(frames[0]["hit"]["path"], "hello.txt");
    assert_eq!(frames[1]["type"], "done");
}

#[tokio::test]
async fn watch_stream_reports_outside_changes_until_cancelled() {
    let f = fixture(SERVE);
    let (stream, frames) = collector();
    f.api.call(json!({"method": "watch"}), Some(stream)).await.expect("watch");
    std::fs::write(f.ws.path().join("new.txt"), "x").expect("write");
    let mut seen = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = frames.lock().expect("lock").iter().any(|v| v["changes"].as_array().is_some_and(|c| c.iter().any(|c| c["path"] == "new.txt" && c["kind"] == "created")));
        if seen {
            break;
        }
    }
    assert!(seen, "no watch frame: {:?}", frames.lock().expect("lock"));
    f.api.call(json!({"method": "cancel", "params": {"stream": "s1"}}), None).await.expect("cancel");
    let before = frames.lock().expect("lock").len();
    // Another stream still watching: once it has seen the change, the cancelled one would
    // have too (every watcher batch goes to all streams at once).
    let (other, other_frames) = collector();
    let other = Stream::new("s2", move |f| other.sink.send(f));
    f.api.call(json!({"method": "watch"}), Some(other)).await.expect("watch");
    std::fs::write(f.ws.path().join("after.txt"), "x").expect("write");
    for _ in 0..200 {
        if other_frames.lock().expect("lock").iter().any(|v| v["changes"].as_array().is_some_and(|c| c.iter().any(|c| c["path"] == "after.txt"))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(other_frames.lock().expect("lock").iter().any(|v| v["changes"].as_array().is_some_and(|c| c.iter().any(|c| c["path"] == "after.txt"))), "the live stream never saw the change");
    assert_eq!(frames.lock().expect("lock").len(), before, "frames after cancel");
}

#[tokio::test]
async fn settings_are_validated_and_a_bad_file_is_never_overwritten() {
    let f = fixture(DESKTOP);
    let dto = f.api.call(json!({"method": "getSettings"}), None).await.expect("get");
    assert_eq!(dto["settings"]["theme"], "dark");
    let err = f.api.call(json!({"method": "setSettings", "params": {"text": "{\"theme\": \"purple\"}"}}), None).await.expect_err("invalid");
    assert_eq!(err.code, "invalid_settings");
    let err = f.api.call(json!({"method": "setSettings", "params": {"text": "{ not json"}}), None).await.expect_err("invalid");
    assert_eq!(err.code, "invalid_settings");
    let text = "{\n  \"theme\": \"light\",\n  \"vimMode\": true\n}\n";
    let dto = f.api.call(json!({"method": "setSettings", "params": {"text": text}}), None).await.expect("set");
    assert_eq!(dto["settings"]["theme"], "light");
    assert_eq!(dto["settings"]["vimMode"], true);
    assert_eq!(dto["settings"]["tabSize"], 4, "missing keys take defaults");
    assert_eq!(std::fs::read_to_string(dto["path"].as_str().expect("path")).expect("read"), text);
    // Broken by hand: defaults apply, the error is reported, the file stays as written.
    std::fs::write(dto["path"].as_str().expect("path"), "{ oops").expect("write");
    let dto = f.api.call(json!({"method": "getSettings"}), None).await.expect("get");
    assert_eq!(dto["settings"]["theme"], "dark");
    assert!(dto["error"].as_str().is_some_and(|e| e.contains("settings.json")));
    assert_eq!(dto["text"], "{ oops");
}

#[tokio::test]
async fn session_and_recent_folders_persist() {
    let f = fixture(DESKTOP);
    let session = json!({"groups": [{"files": ["hello.txt"], "active": "hello.txt"}], "activeGroup": 0});
    f.api.call(json!({"method": "saveSession", "params": {"session": session}}), None).await.expect("save");
    // A new process (a new Api) on the same data dir sees both.
    let api2 = Api::new(DESKTOP, f.api.paths().clone());
    api2.open_workspace(f.ws.path()).expect("open");
    let got = api2.call(json!({"method": "getSession"}), None).await.expect("get");
    assert_eq!(got["groups"][0]["files"][0], "hello.txt");
    let recent = api2.call(json!({"method": "recentWorkspaces"}), None).await.expect("recent");
    let recent = recent.as_array().expect("array");
    assert_eq!(recent.len(), 1, "the same folder is listed once");
    assert_eq!(recent[0]["path"], f.ws.path().canonicalize().expect("canon").display().to_string());
}

#[tokio::test]
async fn finder_notices_new_files() {
    let f = fixture(SERVE);
    let hits = f.api.call(json!({"method": "findFiles", "params": {"query": "fresh"}}), None).await.expect("find");
    assert_eq!(hits.as_array().expect("array").len(), 0);
    std::fs::write(f.ws.path().join("fresh-file.rs"), "").expect("write");
    let mut found = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let hits = f.api.call(json!({"method": "findFiles", "params": {"query": "fresh"}}), None).await.expect("find");
        if hits[0]["path"] == "fresh-file.rs" {
            found = true;
            break;
        }
    }
    assert!(found, "finder cache was not refreshed");
}

#[tokio::test]
async fn terminals_stream_raw_bytes_and_report_their_exit() {
    let f = fixture(SERVE);
    let bytes = Arc::new(Mutex::new(Vec::<u8>::new()));
    let events = Arc::new(Mutex::new(Vec::<Value>::new()));
    let (b, e) = (bytes.clone(), events.clone());
    let stream = Stream::new("t1", move |frame| {
        match frame {
            StreamFrame::Bytes(x) => b.lock().expect("lock").extend(x),
            StreamFrame::Json(v) => e.lock().expect("lock").push(v),
        }
        true
    });
    let info = f.api.call(json!({"method": "terminalSpawn", "params": {"cols": 100, "rows": 30}}), Some(stream)).await.expect("spawn");
    let id = info["id"].as_u64().expect("id");
    assert_eq!((info["cols"].as_u64(), info["rows"].as_u64()), (Some(100), Some(30)));
    // The shell starts in the workspace.
    f.api.call(json!({"method": "terminalWrite", "params": {"id": id, "data": "ls; exit 7\r"}}), None).await.expect("write");
    let mut done = false;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if !events.lock().expect("lock").is_empty() {
            done = true;
            break;
        }
    }
    assert!(done, "no exit frame; output: {:?}", String::from_utf8_lossy(&bytes.lock().expect("lock")));
    assert!(String::from_utf8_lossy(&bytes.lock().expect("lock")).contains("hello.txt"), "not started in the workspace");
    assert_eq!(events.lock().expect("lock")[0], json!({"type": "exit", "code": 7, "signal": null}));
    let err = f.api.call(json!({"method": "terminalWrite", "params": {"id": 4242, "data": "x"}}), None).await.expect_err("unknown");
    assert_eq!(err.code, "unknown_terminal");
    let err = f.api.call(json!({"method": "terminalSpawn", "params": {"cols": 80, "rows": 24}}), None).await.expect_err("no stream");
    assert_eq!(err.code, "bad_request");
}

/// terminalShell picks the program new terminals run.
#[cfg(unix)]
#[tokio::test]
async fn the_terminal_shell_setting_is_what_terminals_run() {
    let f = fixture(SERVE);
    f.api.call(json!({"method": "setSettings", "params": {"text": r#"{"terminalShell": ["/bin/sh", "-c", "echo shell-from-settings; exit 3"]}"#}}), None).await.expect("settings");
    let (bytes, exited) = (Arc::new(Mutex::new(Vec::<u8>::new())), Arc::new(Mutex::new(None::<Value>)));
    let (b, e) = (bytes.clone(), exited.clone());
    let stream = Stream::new("t2", move |frame| {
        match frame {
            StreamFrame::Bytes(x) => b.lock().expect("lock").extend(x),
            StreamFrame::Json(v) => *e.lock().expect("lock") = Some(v),
        }
        true
    });
    f.api.call(json!({"method": "terminalSpawn", "params": {"cols": 80, "rows": 24}}), Some(stream)).await.expect("spawn");
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while exited.lock().expect("lock").is_none() {
        assert!(std::time::Instant::now() < end, "the terminal never exited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(String::from_utf8_lossy(&bytes.lock().expect("lock")).contains("shell-from-settings"));
    assert_eq!(exited.lock().expect("lock").as_ref().map(|v| v["code"].clone()), Some(json!(3)));
}
