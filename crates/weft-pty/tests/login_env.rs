//! The login shell's environment reaches the programs a terminal starts (a process of its
//! own: the import is process-wide). A real bash, with a profile in a scratch HOME.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use weft_pty::{login_env, PtyEvent, SpawnOptions, Terminals};

fn bash() -> &'static Path {
    Path::new("/bin/bash")
}

#[test]
fn the_login_shells_environment_reaches_terminals_and_a_hanging_profile_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("tools");
    std::fs::create_dir(&bin).unwrap();
    let tool = bin.join("weft-profile-tool");
    std::fs::write(&tool, "#!/bin/sh\necho tool-found\n").unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A greeting before, and PATH and a variable set as a profile does.
    std::fs::write(
        home.path().join(".bash_profile"),
        format!("echo 'Welcome to your shell'\nexport PATH=\"{}:$PATH\"\nexport WEFT_FROM_PROFILE='from the profile'\n", bin.display()),
    )
    .unwrap();
    // Only this test's thread runs yet; the children read HOME from here.
    std::env::set_var("HOME", home.path());
    std::env::set_var("ANTHROPIC_API_KEY", "sk-never-passed");

    let vars = login_env::resolve(bash(), Duration::from_secs(20)).expect("bash answers");
    assert_eq!(vars.get("WEFT_FROM_PROFILE").map(String::as_str), Some("from the profile"));
    assert!(vars["PATH"].starts_with(&bin.display().to_string()), "{}", vars["PATH"]);
    assert!(!vars.contains_key("ANTHROPIC_API_KEY"), "Weft's secrets are not given to the user's rc files");

    // Imported in the background: a terminal started at once waits for it.
    login_env::import_in_background(bash().to_path_buf(), Duration::from_secs(20));
    let terminals = Terminals::new();
    let (tx, rx) = mpsc::channel();
    let opts = SpawnOptions {
        cwd: home.path().to_path_buf(),
        command: Some(vec!["/bin/sh".into(), "-c".into(), "weft-profile-tool; echo \"[$WEFT_FROM_PROFILE]\"".into()]),
        cols: 80,
        rows: 24,
        ..Default::default()
    };
    terminals
        .spawn(
            opts,
            Box::new(move |ev| {
                if let PtyEvent::Output(b) = ev {
                    let _ = tx.send(b);
                }
                true
            }),
            false,
        )
        .unwrap();
    let mut out = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !out.contains("[from the profile]") {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(b) = rx.recv_timeout(left) else { panic!("no output from the profile's environment: {out:?}") };
        out.push_str(&String::from_utf8_lossy(&b));
    }
    assert!(out.contains("tool-found"), "{out:?}");

    // A profile that hangs: the import gives up at its timeout and nothing is taken.
    std::fs::write(home.path().join(".bash_profile"), "sleep 30\nexport WEFT_FROM_PROFILE=late\n").unwrap();
    let started = Instant::now();
    let err = login_env::resolve(bash(), Duration::from_millis(500)).unwrap_err();
    assert!(err.contains("did not answer"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
