//! Windows only (run under Wine by scripts/test.sh): a save meets a file another program
//! holds open without sharing, as virus scanners and indexers do.

use std::os::windows::fs::OpenOptionsExt;
use std::time::Duration;

use weft_fs::{Encoding, Workspace};

fn held(path: &std::path::Path) -> std::fs::File {
    // No sharing at all: renaming over it fails while it is open.
    std::fs::OpenOptions::new().read(true).share_mode(0).open(path).expect("open without sharing")
}

#[test]
fn a_save_waits_out_a_program_that_holds_the_file_for_a_moment() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("a.txt"), "old").expect("write");
    let ws = Workspace::open(dir.path()).expect("ws");
    let file = held(&dir.path().join("a.txt"));
    let letgo = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(file);
    });
    ws.write_text("a.txt", "new", Encoding::Utf8).expect("saved once the file was let go");
    letgo.join().expect("thread");
    assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).expect("read"), "new");
}

#[test]
fn a_save_that_stays_blocked_fails_and_leaves_the_old_file_and_no_temp_file() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("a.txt"), "old").expect("write");
    let ws = Workspace::open(dir.path()).expect("ws");
    let file = held(&dir.path().join("a.txt"));
    let err = ws.write_text("a.txt", "new", Encoding::Utf8).expect_err("the file is held throughout");
    drop(file);
    assert!(err.to_string().contains("a.txt"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).expect("read"), "old");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "a temp file was left: {left:?}");
}

/// Windows' (and macOS') disks ignore case: `Notes.txt` already "exists" when `notes.txt`
/// is renamed to it, and the rename must still happen.
#[test]
fn a_case_only_rename_renames() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("notes.txt"), "n").expect("write");
    std::fs::write(dir.path().join("other.txt"), "o").expect("write");
    let ws = Workspace::open(dir.path()).expect("ws");
    ws.rename("notes.txt", "Notes.txt").expect("a case-only rename");
    let names: Vec<String> = std::fs::read_dir(dir.path()).expect("ls").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(names.contains(&"Notes.txt".to_owned()) && !names.contains(&"notes.txt".to_owned()), "{names:?}");
    // Another file under that name is still refused.
    assert!(ws.rename("other.txt", "NOTES.TXT").is_err());
    assert_eq!(std::fs::read_to_string(dir.path().join("Notes.txt")).expect("read"), "n");
}
