//! Checkpoints through the API: activity capture of changes no editor made, restore with
//! undo, and clear errors.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use weft_api::{Api, AppPaths};

use crate::collector;

async fn call(api: &Api, v: Value) -> Value {
    api.call(v.clone(), None).await.unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// Waits for a streamed checkpoint that satisfies `pred`.
async fn wait_for(frames: &std::sync::Arc<std::sync::Mutex<Vec<Value>>>, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = frames.lock().expect("lock").iter().find(|v| pred(v)).cloned() {
            return v;
        }
        assert!(Instant::now() < end, "no checkpoint {what}; got {:?}", frames.lock().expect("lock"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_change_made_by_a_shell_command_is_captured_by_the_next_automatic_checkpoint() {
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    std::fs::write(ws.path().join("config.ini"), "mode = old\n").expect("write");
    let paths = AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") };
    std::fs::create_dir_all(&paths.config_dir).expect("mkdir");
    std::fs::write(paths.settings_file(), r#"{"checkpointQuietMs": 300}"#).expect("settings");
    let api = Api::new(crate::SERVE, paths.clone());
    let (stream, frames) = collector();
    api.open_workspace(ws.path()).expect("open");
    // The baseline is taken once the UI says it is interactive (soon after).
    call(&api, json!({"method": "uiReady", "params": {"marks": []}})).await;
    let end = Instant::now() + Duration::from_secs(20);
    while call(&api, json!({"method": "checkpointList"})).await.as_array().map_or(0, |a| a.len()) == 0 {
        assert!(Instant::now() < end, "no baseline checkpoint");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    api.call(json!({"method": "checkpointEvents"}), Some(stream)).await.expect("subscribe");

    // Not the editor: a command in a shell, as a user would run in the terminal.
    let status = std::process::Command::new("sh").arg("-c").arg("sed -i 's/old/new/' config.ini && printf 'x\\n' > made-by-shell.txt").current_dir(ws.path()).status().expect("sh");
    assert!(status.success());

    let cp = wait_for(&frames, "with the shell's changes", |v| v["summary"]["modified"] == 1 && v["summary"]["added"] == 1).await;
    assert_eq!(cp["origin"], "activity");
    let id = cp["id"].as_i64().expect("id");
    let changes = call(&api, json!({"method": "checkpointChanges", "params": {"id": id}})).await;
    let changed: Vec<&str> = changes.as_array().expect("array").iter().map(|c| c["path"].as_str().unwrap_or("")).collect();
    assert_eq!(changed, vec!["config.ini", "made-by-shell.txt"]);
    let file = call(&api, json!({"method": "checkpointFile", "params": {"id": id, "path": "config.ini"}})).await;
    assert_eq!(file["text"], "mode = new\n");

    // Restore the baseline from the API, then undo it.
    let list = call(&api, json!({"method": "checkpointList"})).await;
    let baseline = list.as_array().expect("array").last().expect("baseline")["id"].as_i64().expect("id");
    let plan = call(&api, json!({"method": "checkpointPreview", "params": {"id": baseline}})).await;
    assert_eq!(plan, json!({"modify": ["config.ini"], "create": [], "delete": ["made-by-shell.txt"], "leftAlone": []}));
    let report = call(&api, json!({"method": "checkpointRestore", "params": {"id": baseline}})).await;
    assert_eq!(std::fs::read_to_string(ws.path().join("config.ini")).expect("read"), "mode = old\n");
    assert!(!ws.path().join("made-by-shell.txt").exists());
    let undo = report["undo"].as_i64().expect("undo");
    call(&api, json!({"method": "checkpointRestore", "params": {"id": undo}})).await;
    assert_eq!(std::fs::read_to_string(ws.path().join("config.ini")).expect("read"), "mode = new\n");
    assert_eq!(std::fs::read_to_string(ws.path().join("made-by-shell.txt")).expect("read"), "x\n");

    let err = api.call(json!({"method": "checkpointRestore", "params": {"id": 424242}}), None).await.expect_err("unknown");
    assert_eq!(err.code, "not_found");
    assert!(err.message.contains("424242"), "{}", err.message);
}
