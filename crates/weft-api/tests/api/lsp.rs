//! A language server behind the API: an editor's document is the server's (its typing
//! reaches the server, its diagnostics come back as DocEvent frames to every editor of the
//! file), hover and definition answer at a position, a server configured in the settings
//! is used, and nothing starts before the UI is ready.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use weft_api::{Api, AppPaths, Stream, StreamFrame};

use super::DESKTOP;

pub(crate) fn server_bin() -> String {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/language-servers/node_modules/.bin/typescript-language-server");
    assert!(p.exists(), "the test servers are not installed: run scripts/setup.sh with WEFT_SETUP_TESTS=1");
    p.canonicalize().expect("path").to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editors_document_is_the_servers_and_its_diagnostics_come_back() {
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    std::fs::write(ws.path().join("a.ts"), "export const answer: number = 42;\n").expect("write");
    std::fs::write(ws.path().join("b.ts"), "import { answer } from './a';\nconst s: string = answer;\n").expect("write");
    let api = Api::new(DESKTOP, AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") });
    // A configured server (the test's own copy), before the built-in one of the same name.
    let settings = json!({"languageServers": [{"name": "ts (configured)", "command": server_bin(), "args": ["--stdio"], "languages": ["typescript"]}]});
    api.call(json!({"method": "setSettings", "params": {"text": settings.to_string()}}), None).await.expect("settings");
    api.open_workspace(ws.path()).expect("open");

    let frames: Arc<Mutex<Vec<Value>>> = Arc::default();
    let f = frames.clone();
    let stream = Stream::new("ed", move |frame| {
        if let StreamFrame::Json(v) = frame {
            f.lock().expect("lock").push(v);
        }
        true
    });
    api.call(json!({"method": "docOpen", "params": {"path": "b.ts"}}), Some(stream)).await.expect("open");
    let status = api.call(json!({"method": "lspStatus"}), None).await.expect("status");
    assert_eq!(status[0]["state"], "starting", "held until the UI is ready: {status}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!frames.lock().expect("lock").iter().any(|f| f["kind"] == "diagnostics"), "nothing before ready");
    api.call(json!({"method": "uiReady", "params": {"marks": []}}), None).await.expect("ready");

    // The newest diagnostics frame once it satisfies `want`.
    let wait_for = |what: &'static str, want: fn(&Value) -> bool| {
        let frames = frames.clone();
        async move {
            let end = std::time::Instant::now() + Duration::from_secs(90);
            loop {
                let got = frames.lock().expect("lock").iter().rev().find(|f| f["kind"] == "diagnostics").cloned();
                if let Some(d) = got.filter(|d| want(&d["diagnostics"])) {
                    return d;
                }
                assert!(std::time::Instant::now() < end, "no diagnostics: {what}: {:?}", frames.lock().expect("lock").iter().filter(|f| f["kind"] == "diagnostics").collect::<Vec<_>>());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let d = wait_for("the type error", |d| d.to_string().contains("not assignable to type 'string'")).await;
    assert_eq!(d["diagnostics"][0]["line"], 1, "{d}");

    // Hover and definition at `answer` on line 2.
    let hover = api.call(json!({"method": "lspHover", "params": {"path": "b.ts", "line": 1, "character": 20}}), None).await.expect("hover");
    assert!(hover.as_str().unwrap_or("").contains("answer: number"), "{hover}");
    let defs = api.call(json!({"method": "lspLocations", "params": {"path": "b.ts", "kind": "definition", "line": 1, "character": 20}}), None).await.expect("definition");
    assert_eq!((defs[0]["path"].as_str(), defs[0]["line"].as_u64()), (Some("a.ts"), Some(0)), "{defs}");
    let e = api.call(json!({"method": "lspHover", "params": {"path": "../x.ts", "line": 0, "character": 0}}), None).await.expect_err("jailed");
    assert_eq!(e.code, weft_api::ErrorCode::OutsideWorkspace);

    // Another program fixes the file: the document merges it, and the server follows the
    // document (whoever changes it), so the error clears.
    std::fs::write(ws.path().join("b.ts"), "import { answer } from './a';\nconst s: number = answer;\n").expect("write");
    wait_for("the error gone", |d| d.as_array().is_some_and(|a| a.iter().all(|x| x["severity"] != "error"))).await;
}

/// A rename's files the editor does not have open are written on disk (in their own
/// encoding), after a checkpoint named for the rename; nothing outside the folder.
#[tokio::test]
async fn applying_a_workspace_edit_writes_after_a_checkpoint() {
    let f = super::fixture(DESKTOP);
    let d = f.ws.path();
    std::fs::write(d.join("c.ts"), "greet();\r\ngreet();\r\n").expect("write");
    let edit = |line: u32| json!({"line": line, "character": 0, "endLine": line, "endCharacter": 5, "newText": "welcome"});
    let files = json!([{"path": "c.ts", "edits": [edit(0), edit(1)]}]);
    let n = f.api.call(json!({"method": "lspApplyEdits", "params": {"files": files, "label": "Before renaming greet to welcome"}}), None).await.expect("apply");
    assert_eq!(n, 1);
    assert_eq!(std::fs::read_to_string(d.join("c.ts")).expect("read"), "welcome();\r\nwelcome();\r\n", "CRLF kept");
    let list = f.api.call(json!({"method": "checkpointList"}), None).await.expect("list");
    assert!(list.to_string().contains("Before renaming greet to welcome"), "{list}");
    let bad = json!([{"path": "../x.ts", "edits": [edit(0)]}]);
    let e = f.api.call(json!({"method": "lspApplyEdits", "params": {"files": bad, "label": "x"}}), None).await.expect_err("outside");
    assert_eq!(e.code, weft_api::ErrorCode::OutsideWorkspace);
}
