//! Code intelligence through the API: documents follow change sets, drift is detected and
//! recovered, symbol search sees changes on disk through the real watcher, paths are jailed.

use std::time::Duration;

use serde_json::{json, Value};

use crate::fixture;

async fn call(api: &weft_api::Api, method: &str, params: Value) -> Result<Value, weft_api::ApiError> {
    api.call(json!({"method": method, "params": params}), None).await
}

#[tokio::test]
async fn a_document_follows_edits_and_reports_drift() {
    let f = fixture(crate::SERVE);
    let text = "fn main() {\n    let x = 1;\n}\n";
    let a = call(&f.api, "syntaxOpen", json!({"doc": "d1", "path": "src/main.rs", "text": text})).await.expect("open");
    assert_eq!(a["language"], "rust");
    assert_eq!(a["outline"][0]["name"], "main");
    assert_eq!(a["errors"], json!([]));
    assert_eq!(a["folds"].as_array().expect("folds").len(), 1);

    // Delete the closing brace: the unclosed function is an error.
    let len = text.len() as u32;
    let a = call(&f.api, "syntaxEdit", json!({"doc": "d1", "changes": [{"from": len - 2, "to": len - 1, "insert": ""}], "length": len - 1}))
        .await
        .expect("edit");
    assert_eq!(a["errors"].as_array().expect("errors").len(), 1, "{a}");
    assert_eq!(a["errors"][0]["line"], 1);
    assert!(a["errors"][0]["message"].as_str().expect("message").starts_with("syntax error"), "{a}");

    // A client whose idea of the length differs is told, and must open again.
    let err = call(&f.api, "syntaxEdit", json!({"doc": "d1", "changes": [], "length": 999})).await.expect_err("drift");
    assert_eq!(err.code, "syntax_out_of_sync");
    let err = call(&f.api, "syntaxEdit", json!({"doc": "d1", "changes": [], "length": len - 1})).await.expect_err("gone");
    assert_eq!(err.code, "syntax_out_of_sync", "a drifted document is dropped");

    // Unknown languages analyse to nothing, and paths outside the workspace are refused.
    let a = call(&f.api, "syntaxOpen", json!({"doc": "d2", "path": "notes.txt", "text": "hello"})).await.expect("open");
    assert_eq!(a["language"], Value::Null);
    let err = call(&f.api, "syntaxOpen", json!({"doc": "d3", "path": "../outside.rs", "text": ""})).await.expect_err("jail");
    assert_eq!(err.code, "outside_workspace", "{err:?}");
    let err = call(&f.api, "syntaxEdit", json!({"doc": "d1", "changes": [{"from": "x"}], "length": 1})).await.expect_err("malformed");
    assert_eq!(err.code, "bad_request");
}

#[tokio::test]
async fn symbol_search_follows_the_disk_and_the_editor() {
    let f = fixture(crate::SERVE);
    std::fs::create_dir_all(f.ws.path().join("src")).expect("mkdir");
    std::fs::write(f.ws.path().join("src/lib.rs"), "pub struct Ledger;\n").expect("write");
    let hits = call(&f.api, "symbolSearch", json!({"query": "ledger"})).await.expect("search");
    assert_eq!(hits[0]["name"], "Ledger");
    assert_eq!(hits[0]["path"], "src/lib.rs");

    // A file written by another program is indexed once the watcher reports it.
    std::fs::write(f.ws.path().join("src/budget.py"), "class MonthlyBudget:\n    pass\n").expect("write");
    let mut found = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let hits = call(&f.api, "symbolSearch", json!({"query": "MonthlyBudget"})).await.expect("search");
        if hits[0]["name"] == "MonthlyBudget" {
            found = hits[0].clone();
            break;
        }
    }
    assert_eq!(found["path"], "src/budget.py", "the watcher's change reached the index");
    assert_eq!(found["line"], 1);

    // Unsaved editor text is what search sees while the file is open.
    call(&f.api, "syntaxOpen", json!({"doc": "e1", "path": "src/lib.rs", "text": "pub struct Ledger;\npub fn post_entry() {}\n"})).await.expect("open");
    let hits = call(&f.api, "symbolSearch", json!({"query": "post_entry"})).await.expect("search");
    assert_eq!(hits[0]["line"], 2);
    call(&f.api, "syntaxClose", json!({"doc": "e1"})).await.expect("close");
    let hits = call(&f.api, "symbolSearch", json!({"query": "post_entry"})).await.expect("search");
    assert_eq!(hits, json!([]), "closing without saving goes back to the disk");

    let map = call(&f.api, "repoMap", json!({"tokens": 500})).await.expect("map");
    assert!(map["text"].as_str().expect("text").contains("pub struct Ledger"), "{map}");
    assert!(map["tokens"].as_u64().expect("tokens") <= 500);
}

/// The symbol index's first build reports its progress (the status bar's) and, with the
/// folder opened again by a new session on the same data directory, nothing is parsed
/// again: the index was kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_build_reports_progress_and_a_new_session_parses_nothing_again() {
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    for i in 0..700 {
        let p = ws.path().join(format!("src/m{}/f{i}.rs", i / 100));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, format!("pub fn function_number_{i}() {{}}\n")).expect("write");
    }
    let paths = weft_api::AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") };
    let session = || {
        let api = weft_api::Api::new(crate::SERVE, paths.clone());
        api.open_workspace(ws.path()).expect("open");
        api
    };
    let api = session();
    let frames = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let f = frames.clone();
    let stream = weft_api::Stream::new("ix", move |frame| {
        if let weft_api::StreamFrame::Json(v) = frame {
            f.lock().expect("lock").push(v);
        }
        true
    });
    let now = api.call(json!({"method": "symbolIndexStatus"}), Some(stream)).await.expect("status");
    assert_eq!(now["running"], false, "nothing is built before it is needed");
    let hits = call(&api, "symbolSearch", json!({"query": "function_number_699"})).await.expect("search");
    assert_eq!(hits[0]["path"], "src/m6/f699.rs");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = frames.lock().expect("lock").clone();
    assert!(seen.iter().any(|p| p["running"] == true && p["total"] == 700 && p["done"].as_u64().is_some_and(|d| d > 0 && d < 700)), "progress while it ran: {seen:?}");
    let last = seen.last().expect("frames");
    assert_eq!((last["running"].as_bool(), last["stats"]["files"].as_u64()), (Some(false), Some(700)), "and the end, with the figures: {last}");
    let after = api.call(json!({"method": "symbolIndexStatus"}), None).await.expect("status");
    assert_eq!(after["stats"]["parsed"], 700, "{after}");
    assert_eq!(api.call(json!({"method": "symbolIndexStop"}), None).await.expect("stop"), false, "nothing to stop");
    drop(api);

    let again = session();
    call(&again, "symbolSearch", json!({"query": "function_number_1"})).await.expect("search");
    let st = again.call(json!({"method": "symbolIndexStatus"}), None).await.expect("status");
    assert_eq!((st["stats"]["files"].as_u64(), st["stats"]["parsed"].as_u64()), (Some(700), Some(0)), "kept between sessions: {st}");
}
