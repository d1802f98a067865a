//! New projects through the API, as the desktop's New Project and Clone Repository do:
//! made in a new folder with progress, refused where they must be.

use std::process::Command;

use serde_json::json;

use super::{collector, fixture, DESKTOP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_makes_a_project_with_progress_and_a_first_commit() {
    let f = fixture(DESKTOP);
    let parent = tempfile::tempdir().expect("tmp");
    let list = f.api.call(json!({"method": "templateList"}), None).await.expect("list");
    assert!(list.as_array().expect("list").iter().any(|t| t["id"] == "html" && t["builtIn"] == true), "{list}");
    let (stream, frames) = collector();
    let made = f.api.call(json!({"method": "templateCreate", "params": {"template": "html", "parent": parent.path(), "name": "site"}}), Some(stream)).await.expect("create");
    let dir = parent.path().join("site");
    assert_eq!(made["path"], dir.display().to_string());
    assert_eq!(made["run"], "node serve.mjs");
    assert!(std::fs::read_to_string(dir.join("index.html")).expect("page").contains("<title>site</title>"));
    let steps: Vec<String> = frames.lock().expect("lock").iter().filter(|f| f["kind"] == "step").map(|f| f["title"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(steps, ["Copying the HTML, CSS and JavaScript template", "git init"]);
    // Made again into the same folder: refused, nothing touched.
    let err = f.api.call(json!({"method": "templateCreate", "params": {"template": "html", "parent": parent.path(), "name": "site"}}), None).await.expect_err("exists");
    assert_eq!(err.code, "already_exists");
    let err = f.api.call(json!({"method": "templateCreate", "params": {"template": "html", "parent": parent.path(), "name": "../escape"}}), None).await.expect_err("bad name");
    assert_eq!(err.code, "bad_request");
    let err = f.api.call(json!({"method": "templateCreate", "params": {"template": "html", "parent": "relative/dir", "name": "x"}}), None).await.expect_err("relative");
    assert_eq!(err.code, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_is_cloned_into_a_new_folder_and_its_runs_are_detected() {
    let f = fixture(DESKTOP);
    let origin = tempfile::tempdir().expect("tmp");
    let git = |args: &[&str]| assert!(Command::new("git").args(args).current_dir(origin.path()).output().expect("git").status.success(), "git {args:?}");
    std::fs::write(origin.path().join("package.json"), r#"{"scripts": {"dev": "vite"}}"#).expect("write");
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["-c", "user.name=A", "-c", "user.email=a@b", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "first"]);
    let parent = tempfile::tempdir().expect("tmp");
    let (stream, frames) = collector();
    let url = format!("file://{}", origin.path().display());
    let path = f.api.call(json!({"method": "gitClone", "params": {"url": url, "parent": parent.path(), "name": "copy"}}), Some(stream)).await.expect("clone");
    assert_eq!(path, json!(parent.path().join("copy").display().to_string()));
    assert!(parent.path().join("copy/package.json").is_file());
    assert!(frames.lock().expect("lock").iter().any(|l| l.as_str().is_some_and(|l| l.starts_with("Cloning into"))), "git's progress: {:?}", frames.lock().expect("lock"));
    assert_eq!(weft_run_names(&parent.path().join("copy")), ["npm: dev"]);
    // git's own message when it fails, and nothing left behind.
    let err = f.api.call(json!({"method": "gitClone", "params": {"url": format!("file://{}/nope", parent.path().display()), "parent": parent.path(), "name": "bad"}}), None).await.expect_err("no repo");
    assert_eq!(err.code, "git");
    assert!(err.message.contains("does not exist") || err.message.contains("not appear to be a git repository"), "{}", err.message);
    assert!(!parent.path().join("bad").exists());
}

fn weft_run_names(dir: &std::path::Path) -> Vec<String> {
    weft_run::detect(dir).configs.into_iter().map(|c| c.name).collect()
}
