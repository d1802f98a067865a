//! `weft env` as scripts use it: a secret set from stdin is listed by name only, never
//! written into the project folder, and reaches a run of the project through the API.

use std::io::Write;
use std::process::{Command, Stdio};

fn weft(app: &std::path::Path, ws: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("env")
        .arg("-C")
        .arg(ws)
        .args(args)
        .env("WEFT_DATA_DIR", app.join("data"))
        .env("WEFT_CONFIG_DIR", app.join("config"))
        .env("WEFT_NO_KEYCHAIN", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft env");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write");
    child.wait_with_output().expect("output")
}

#[test]
fn weft_env_sets_lists_and_removes_without_writing_the_secret_into_the_folder() {
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    let secret = "cli-secret-5e8b2f10";
    let out = weft(app.path(), ws.path(), &["set", "DB_PASSWORD"], &format!("{secret}\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = weft(app.path(), ws.path(), &["set", "--plain", "PORT"], "8080\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = weft(app.path(), ws.path(), &["list"], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "DB_PASSWORD (secret)\nPORT=8080\n");
    let json: serde_json::Value = serde_json::from_slice(&weft(app.path(), ws.path(), &["list", "--json"], "").stdout).expect("json");
    assert_eq!(json, serde_json::json!([{"name": "DB_PASSWORD", "secret": true, "value": null}, {"name": "PORT", "secret": false, "value": "8080"}]));
    // The folder holds the plain variable only.
    assert_eq!(std::fs::read_to_string(ws.path().join(".weft/env.json")).expect("env.json"), "{\n  \"PORT\": \"8080\"\n}\n");
    // What a run of the folder gets, through the same store the app reads.
    let env = weft_api::ProjectEnv::new(&weft_api::AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") }, &dunce::canonicalize(ws.path()).expect("canon"));
    let vars = env.vars().expect("vars");
    assert!(vars.contains(&("DB_PASSWORD".to_owned(), secret.to_owned())), "{vars:?}");
    // Bad input: a clear error, nothing changed.
    let out = weft(app.path(), ws.path(), &["set", "NOT-A-NAME"], "x");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a variable name"));
    let out = weft(app.path(), ws.path(), &["rm", "DB_PASSWORD"], "");
    assert!(out.status.success());
    let out = weft(app.path(), ws.path(), &["rm", "DB_PASSWORD"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no variable named DB_PASSWORD"));
    assert_eq!(String::from_utf8_lossy(&weft(app.path(), ws.path(), &["list"], "").stdout), "PORT=8080\n");
}
