//! Every built-in template makes a project whose own check (its build or its tests) passes,
//! with the real toolchains and package registries. A template whose toolchain this machine
//! lacks is skipped, and says so. Cargo projects build in one shared target folder
//! (WEFT_TEMPLATE_TARGET, else the system temp dir) so a second run is quick.

use std::path::Path;
use std::sync::Mutex;

use weft_template::{create, list, run_step, Progress, TemplateError};

fn make(id: &str, parent: &Path) -> (weft_template::Created, Vec<String>) {
    let lines = Mutex::new(Vec::new());
    let progress = |p: Progress| {
        let line = match p {
            Progress::Step { title } => format!("== {title}"),
            Progress::Output { line } => line,
        };
        lines.lock().expect("lock").push(line);
    };
    let created = create(id, &parent.join("Demo App"), None, &progress).unwrap_or_else(|e| panic!("{id}: {e}\n{}", lines.lock().expect("lock").join("\n")));
    (created, lines.into_inner().expect("lock"))
}

fn check(id: &str) {
    let t = list(None).into_iter().find(|t| t.id == id).unwrap_or_else(|| panic!("no template {id}"));
    if let Some(m) = t.missing.first() {
        println!("SKIPPED {id}: this machine has no {m}");
        return;
    }
    let parent = tempfile::tempdir().expect("tmp");
    let started = std::time::Instant::now();
    let (created, lines) = make(id, parent.path());
    let dir = Path::new(&created.path);
    // The name filled in, the dotfile named as it should be, and a first commit.
    assert!(dir.join(".gitignore").is_file(), "{id}: .gitignore");
    assert!(!dir.join("weft-template.json").exists(), "{id}: the manifest is the template's, not the project's");
    assert!(created.git, "{id}: the first commit");
    assert!(lines.iter().any(|l| l == "== git init"), "{id}: progress says what runs: {lines:?}");
    let target = std::env::var("WEFT_TEMPLATE_TARGET").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir().join("weft-template-target"));
    let out = Mutex::new(Vec::new());
    let check = format!("CARGO_TARGET_DIR='{}' {}", target.display(), created.check);
    let ok = run_step(dir, if cfg!(windows) { &created.check } else { &check }, &|p| {
        if let Progress::Output { line } = p {
            out.lock().expect("lock").push(line);
        }
    });
    assert!(ok.is_ok(), "{id}: `{}` failed: {ok:?}\n{}", created.check, out.lock().expect("lock").join("\n"));
    println!("{id}: made and checked (`{}`) in {:.1} s", created.check, started.elapsed().as_secs_f64());
}

#[test]
fn vite_react_ts_builds() {
    check("vite-react-ts");
}

#[test]
fn html_checks() {
    check("html");
}

#[test]
fn node_express_tests_pass() {
    check("node-express");
}

#[test]
fn python_fastapi_tests_pass() {
    check("python-fastapi");
}

#[test]
fn rust_cli_tests_pass() {
    check("rust-cli");
}

#[test]
fn rust_axum_tests_pass() {
    check("rust-axum");
}

#[test]
fn go_http_tests_pass() {
    check("go-http");
}

#[test]
fn tauri_app_checks() {
    check("tauri-app");
}

#[test]
fn the_gallery_has_the_templates_a_user_expects() {
    let ids: Vec<String> = list(None).into_iter().map(|t| t.id).collect();
    for id in ["vite-react-ts", "html", "node-express", "python-fastapi", "rust-cli", "rust-axum", "go-http", "tauri-app"] {
        assert!(ids.iter().any(|i| i == id), "{id} missing from {ids:?}");
    }
}

#[test]
fn a_users_own_template_is_listed_and_used_and_bad_input_is_refused() {
    let user = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(user.path().join("notes/docs")).expect("mkdir");
    std::fs::write(user.path().join("notes/weft-template.json"), r#"{"name": "Notes", "description": "Markdown notes", "run": "", "check": "test -f README.md"}"#).expect("write");
    std::fs::write(user.path().join("notes/README.md"), "# {{name}}\n").expect("write");
    std::fs::write(user.path().join("notes/docs/intro.md"), "Crate: {{crate_name}}\n").expect("write");
    let t = list(Some(user.path())).into_iter().find(|t| t.id == "notes").expect("listed");
    assert!(!t.built_in);
    let parent = tempfile::tempdir().expect("tmp");
    let dest = parent.path().join("My Notes");
    let created = create("notes", &dest, Some(user.path()), &|_| {}).expect("made");
    assert_eq!(std::fs::read_to_string(dest.join("README.md")).expect("read"), "# My Notes\n");
    assert_eq!(std::fs::read_to_string(dest.join("docs/intro.md")).expect("read"), "Crate: my-notes\n");
    assert_eq!(created.path, dest.display().to_string());
    // A folder that is not empty is never written into.
    let err = create("notes", &dest, Some(user.path()), &|_| {}).expect_err("exists");
    assert!(matches!(err, TemplateError::Exists(_)), "{err}");
    assert!(matches!(create("nope", &parent.path().join("x"), None, &|_| {}).expect_err("unknown"), TemplateError::Unknown(_)));
    // A template needing what is not here fails before anything is made.
    std::fs::create_dir_all(user.path().join("odd")).expect("mkdir");
    std::fs::write(user.path().join("odd/weft-template.json"), r#"{"name": "Odd", "needs": ["no-such-program-weft"]}"#).expect("write");
    let err = create("odd", &parent.path().join("odd"), Some(user.path()), &|_| {}).expect_err("missing");
    assert_eq!(err.to_string(), "the template needs no-such-program-weft, which is not installed here");
    assert!(!parent.path().join("odd").exists());
}

// ---- importing an archive -------------------------------------------------------------------

fn zip_of(path: &Path, entries: &[(&str, &str)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    for (name, text) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).expect("entry");
        std::io::Write::write_all(&mut w, text.as_bytes()).expect("write");
    }
    w.finish().expect("finish");
}

fn targz_of(path: &Path, entries: &[(&str, &str, u32)]) {
    let gz = flate2::write::GzEncoder::new(std::fs::File::create(path).expect("create"), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (name, text, mode) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(*mode);
        // Written raw: the builder itself refuses `..`, an attacker's tool does not.
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, text.as_bytes()).expect("append");
    }
    b.into_inner().expect("tar").finish().expect("gz");
}

#[test]
fn a_zip_from_a_forge_opens_into_a_folder_without_its_top_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let archive = dir.path().join("shop-main.zip");
    zip_of(&archive, &[("shop-main/package.json", r#"{"scripts": {"dev": "vite"}}"#), ("shop-main/src/a.js", "export {}\n")]);
    let dest = dir.path().join("shop");
    assert_eq!(weft_template::import_archive(&archive, &dest, &|_| {}).expect("unpacked"), 2);
    assert_eq!(std::fs::read_to_string(dest.join("src/a.js")).expect("a.js"), "export {}\n");
    assert!(dest.join("package.json").is_file() && !dest.join("shop-main").exists());
}

#[test]
fn a_tarball_keeps_modes_and_several_top_entries() {
    let dir = tempfile::tempdir().expect("tmp");
    let archive = dir.path().join("tool.tar.gz");
    targz_of(&archive, &[("run.sh", "#!/bin/sh\necho hi\n", 0o755), ("README.md", "# tool\n", 0o644)]);
    let dest = dir.path().join("tool");
    assert_eq!(weft_template::import_archive(&archive, &dest, &|_| {}).expect("unpacked"), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dest.join("run.sh")).expect("meta").permissions().mode() & 0o777, 0o755);
    }
}

#[test]
fn an_archive_reaching_outside_its_folder_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let zip = dir.path().join("evil.zip");
    zip_of(&zip, &[("ok.txt", "fine"), ("../evil.txt", "escaped")]);
    let dest = dir.path().join("out");
    let err = weft_template::import_archive(&zip, &dest, &|_| {}).expect_err("refused");
    assert!(err.to_string().contains("would land outside the folder"), "{err}");
    assert!(!dest.exists() && !dir.path().join("evil.txt").exists());
    let tgz = dir.path().join("evil.tgz");
    targz_of(&tgz, &[("a/ok.txt", "fine", 0o644), ("a/../../evil.txt", "escaped", 0o644)]);
    let err = weft_template::import_archive(&tgz, &dest, &|_| {}).expect_err("refused");
    assert!(err.to_string().contains("would land outside the folder"), "{err}");
    assert!(!dest.exists() && !dir.path().join("evil.txt").exists());
    let err = weft_template::import_archive(&dir.path().join("notes.rar"), &dest, &|_| {}).expect_err("unknown kind");
    assert!(err.to_string().contains("is not a .zip, .tar, .tar.gz or .tgz"), "{err}");
}
