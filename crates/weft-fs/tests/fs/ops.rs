use std::fs;

use crate::{write, ws};

#[test]
fn create_rename_move_delete() {
    let dir = tempfile::tempdir().expect("tmp");
    let r = dir.path();
    let w = ws(&dir);
    w.create_file("a/b/new.txt").expect("create with parents");
    assert!(r.join("a/b/new.txt").is_file());
    assert_eq!(w.create_file("a/b/new.txt").expect_err("exists").code(), "already_exists");
    w.create_dir("pkg").expect("mkdir");
    assert_eq!(w.create_dir("pkg").expect_err("exists").code(), "already_exists");

    fs::write(r.join("a/b/new.txt"), "payload").expect("write");
    w.rename("a/b/new.txt", "a/b/renamed.txt").expect("rename");
    assert_eq!(fs::read_to_string(r.join("a/b/renamed.txt")).expect("read"), "payload");
    // Drag to move into another folder.
    w.rename("a/b/renamed.txt", "pkg/renamed.txt").expect("move");
    assert!(r.join("pkg/renamed.txt").is_file() && !r.join("a/b/renamed.txt").exists());
    // Never overwrite.
    write(r, "other.txt", "keep me");
    assert_eq!(w.rename("pkg/renamed.txt", "other.txt").expect_err("clash").code(), "already_exists");
    assert_eq!(fs::read_to_string(r.join("other.txt")).expect("read"), "keep me");
    // A folder cannot go inside itself.
    assert_eq!(w.rename("a", "a/b/a").expect_err("into itself").code(), "invalid_path");
    // Moving a folder moves its contents.
    w.rename("a", "pkg/a").expect("move dir");
    assert!(r.join("pkg/a/b").is_dir());

    w.delete("other.txt", true).expect("delete file");
    assert!(!r.join("other.txt").exists());
    w.delete("pkg", true).expect("delete dir");
    assert!(!r.join("pkg").exists());
    assert_eq!(w.delete("", true).expect_err("root").code(), "invalid_path");
    assert_eq!(w.delete("missing", true).expect_err("missing").code(), "not_found");
}

#[test]
fn delete_to_trash_removes_from_the_workspace() {
    // scripts/test.sh points XDG_DATA_HOME at a scratch folder, so this trash is not the user's.
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "trash-me.txt", "bye");
    let w = ws(&dir);
    match w.delete("trash-me.txt", false) {
        Ok(()) => assert!(!dir.path().join("trash-me.txt").exists()),
        // No trash on this system: the error says so and the file is untouched.
        Err(e) => {
            assert_eq!(e.code(), "trash_failed");
            assert!(dir.path().join("trash-me.txt").exists());
        }
    }
}
