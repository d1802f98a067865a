//! Git through the API: a folder that is not a repository has no status (until `git init`),
//! staging and committing return the new state, a refusing hook's words come back, and a
//! discard keeps what it threw away in a checkpoint.

use std::process::Command;

use serde_json::{json, Value};

use super::{fixture, DESKTOP};

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn status_stage_commit_and_a_discard_kept_in_a_checkpoint() {
    let f = fixture(DESKTOP);
    let d = f.ws.path();
    let call = |v: Value| {
        let api = f.api.clone();
        async move { api.call(v.clone(), None).await }
    };
    assert_eq!(call(json!({"method": "gitStatus"})).await.expect("status"), Value::Null, "not a repository yet");
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "user.name", "Ada"]);
    git(d, &["config", "user.email", "ada@example.com"]);
    let st = call(json!({"method": "gitStatus"})).await.expect("status");
    assert_eq!(st["branch"], "main", "found once it is one: {st}");
    assert_eq!(st["files"][0]["path"], "hello.txt");
    assert_eq!(st["files"][0]["untracked"], true);

    let st = call(json!({"method": "gitStage", "params": {"paths": ["hello.txt"]}})).await.expect("stage");
    assert_eq!(st["files"][0]["staged"], "added", "{st}");
    let done = call(json!({"method": "gitCommit", "params": {"message": "first"}})).await.expect("commit");
    assert_eq!(done["summary"], "first");
    assert_eq!(git(d, &["log", "--format=%s"]).trim(), "first");

    // The timeline's first state before the edit below (a folder's first checkpoint is
    // taken after start-up, or before the first write: here, now).
    call(json!({"method": "checkpointCreate", "params": {"label": "start"}})).await.expect("checkpoint");
    // The versions a diff shows, staged and not.
    std::fs::write(d.join("hello.txt"), "hello there\n").expect("write");
    let v = call(json!({"method": "gitVersions", "params": {"path": "hello.txt"}})).await.expect("versions");
    assert_eq!((v["left"].as_str(), v["right"].as_str()), (Some("hello world\n"), Some("hello there\n")));

    // A hook's refusal is a `git` error with the hook's words.
    let hook = d.join(".git/hooks/commit-msg");
    std::fs::write(&hook, "#!/bin/sh\necho 'messages must say why' >&2\nexit 1\n").expect("hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let e = call(json!({"method": "gitCommit", "params": {"message": "x", "all": true}})).await.expect_err("refused");
    assert_eq!(e.code, weft_api::ErrorCode::Git);
    assert!(e.message.contains("messages must say why"), "{e}");

    // Discard: the file is back as committed, and the timeline has what it held.
    let before = call(json!({"method": "checkpointList"})).await.expect("list");
    let st = call(json!({"method": "gitDiscard", "params": {"paths": ["hello.txt"]}})).await.expect("discard");
    assert_eq!(st["files"], json!([]), "{st}");
    assert_eq!(std::fs::read_to_string(d.join("hello.txt")).expect("read"), "hello world\n");
    let after = call(json!({"method": "checkpointList"})).await.expect("list");
    assert!(after.as_array().map(Vec::len) > before.as_array().map(Vec::len), "a checkpoint was taken");
    let taken = after.as_array().expect("list").iter().find(|c| c["label"] == "Before discarding the changes to hello.txt").unwrap_or_else(|| panic!("{after}"));
    let id = taken["id"].as_i64().expect("id");
    let kept = call(json!({"method": "checkpointFile", "params": {"id": id, "path": "hello.txt"}})).await.expect("file");
    assert!(kept.to_string().contains("hello there"), "the discarded text is in the checkpoint: {kept}");

    // Bad paths are refused before git runs.
    let e = call(json!({"method": "gitStage", "params": {"paths": ["../outside"]}})).await.expect_err("outside");
    assert_eq!(e.code, weft_api::ErrorCode::OutsideWorkspace);
}

#[tokio::test]
async fn push_and_fetch_stream_gits_progress_and_answer_with_the_status() {
    let f = fixture(DESKTOP);
    let d = f.ws.path();
    let remote = tempfile::tempdir().expect("tmp");
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "first"]);
    git(d, &["remote", "add", "origin", remote.path().to_str().expect("utf8")]);
    let frames = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let fr = frames.clone();
    let stream = weft_api::Stream::new("sync", move |frame| {
        if let weft_api::StreamFrame::Json(v) = frame {
            fr.lock().expect("lock").push(v);
        }
        true
    });
    let st = f.api.call(json!({"method": "gitSync", "params": {"op": "push"}}), Some(stream)).await.expect("push");
    assert_eq!(st["upstream"], "origin/main", "{st}");
    assert!(frames.lock().expect("lock").iter().all(Value::is_string), "progress lines are strings");
    let st = f.api.call(json!({"method": "gitSync", "params": {"op": "fetch"}}), None).await.expect("fetch");
    assert_eq!((st["ahead"].as_u64(), st["behind"].as_u64()), (Some(0), Some(0)));
    let e = f.api.call(json!({"method": "gitSync", "params": {"op": "teleport"}}), None).await.expect_err("bad op");
    assert_eq!(e.code, weft_api::ErrorCode::BadRequest);
}

/// A merge conflict resolved through the API while an editor has the file open: the
/// editor's document takes the resolution (no second copy on disk fighting it), the file is
/// staged, the merge commits, and the log, a commit's files and blame read it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_resolved_through_the_api_reaches_the_open_editor_and_the_log_reads_the_merge() {
    let f = fixture(DESKTOP);
    let d = f.ws.path();
    let call = |v: Value| {
        let api = f.api.clone();
        async move { api.call(v.clone(), None).await }
    };
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "user.name", "Ada"]);
    git(d, &["config", "user.email", "ada@example.com"]);
    std::fs::write(d.join("a.txt"), "one\ntwo\n").expect("write");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "first"]);
    git(d, &["switch", "-q", "-c", "other"]);
    std::fs::write(d.join("a.txt"), "one\nOTHER\n").expect("write");
    git(d, &["commit", "-q", "-am", "other side"]);
    git(d, &["switch", "-q", "main"]);
    std::fs::write(d.join("a.txt"), "one\nMAIN\n").expect("write");
    git(d, &["commit", "-q", "-am", "main side"]);
    assert!(!Command::new("git").args(["merge", "-q", "other"]).current_dir(d).status().expect("merge").success());

    let v = call(json!({"method": "gitConflictVersions", "params": {"path": "a.txt"}})).await.expect("stages");
    assert_eq!((v["base"].as_str(), v["ours"].as_str(), v["theirs"].as_str()), (Some("one\ntwo\n"), Some("one\nMAIN\n"), Some("one\nOTHER\n")));
    let ed = crate::docs::Editor::open(&f.api, "a.txt").await;
    assert!(ed.text().contains("<<<<<<< HEAD\nMAIN\n=======\nOTHER\n>>>>>>> other\n"), "{}", ed.text());
    let e = call(json!({"method": "gitResolve", "params": {"path": "hello.txt", "take": "both"}})).await.expect_err("no markers");
    assert!(e.message.contains("no conflict markers"), "{e}");
    let st = call(json!({"method": "gitResolve", "params": {"path": "a.txt", "take": "both"}})).await.expect("resolve");
    assert_eq!(st["state"], "merging", "resolved, not yet committed: {st}");
    let a = st["files"].as_array().expect("files").iter().find(|f| f["path"] == "a.txt").expect("a").clone();
    assert_eq!((a["conflicted"].as_bool(), a["staged"].as_str()), (Some(false), Some("modified")), "{a}");
    assert_eq!(std::fs::read_to_string(d.join("a.txt")).expect("read"), "one\nMAIN\nOTHER\n");
    crate::docs::until("the editor has the resolution", || ed.text() == "one\nMAIN\nOTHER\n").await;
    assert!(call(json!({"method": "gitResolve", "params": {"path": "a.txt", "take": "sideways"}})).await.is_err(), "only ours, theirs or both");

    call(json!({"method": "gitCommit", "params": {"message": "Merge other"}})).await.expect("commit");
    let log = call(json!({"method": "gitLog", "params": {"limit": 10}})).await.expect("log");
    let summaries: Vec<_> = log.as_array().expect("log").iter().map(|e| e["summary"].as_str().expect("summary").to_owned()).collect();
    assert_eq!(summaries[0], "Merge other");
    assert_eq!(log[0]["parents"].as_array().expect("parents").len(), 2, "a merge");
    let file_log = call(json!({"method": "gitLog", "params": {"path": "a.txt", "limit": 1, "skip": 1}})).await.expect("file log");
    assert_eq!(file_log.as_array().expect("page").len(), 1);
    // The merge's change to a.txt against its first parent (main): OTHER added.
    let rev = log[0]["hash"].as_str().expect("hash").to_owned();
    let detail = call(json!({"method": "gitCommitDetail", "params": {"rev": rev}})).await.expect("detail");
    assert_eq!(detail["files"][0]["path"], "a.txt", "{detail}");
    let v = call(json!({"method": "gitVersions", "params": {"path": "a.txt", "rev": rev}})).await.expect("versions");
    assert_eq!((v["left"].as_str(), v["right"].as_str()), (Some("one\nMAIN\n"), Some("one\nMAIN\nOTHER\n")));

    // Blame reads the editor's text: a line typed and not saved is not committed yet.
    ed.type_at(0, "zero\n").await;
    let b = call(json!({"method": "gitBlame", "params": {"path": "a.txt"}})).await.expect("blame");
    let line = |i: usize| &b["commits"][b["lines"][i].as_u64().expect("index") as usize];
    assert_eq!(b["lines"].as_array().expect("lines").len(), 4);
    assert_eq!(line(0)["uncommitted"], true);
    assert_eq!(line(1)["summary"], "first");
    assert_eq!(line(2)["summary"], "main side");
    assert_eq!(line(3)["summary"], "other side");
    assert!(call(json!({"method": "gitBlame", "params": {"path": "../outside.txt"}})).await.is_err());
}
