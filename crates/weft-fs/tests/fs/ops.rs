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
    let unique = format!("trash-me-{}.txt", std::process::id());
    write(dir.path(), &unique, "bye");
    let w = ws(&dir);
    match w.delete(&unique, false) {
        Ok(()) => {
            assert!(!dir.path().join(&unique).exists());
            // In the trash, not deleted for good (the freedesktop trash under XDG_DATA_HOME).
            #[cfg(target_os = "linux")]
            {
                let data = std::env::var_os("XDG_DATA_HOME").map(std::path::PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/share")));
                let trashed = data.map(|d| d.join("Trash/files").join(&unique)).expect("a trash folder");
                assert_eq!(std::fs::read_to_string(&trashed).expect("the file is in the trash"), "bye");
                let _ = std::fs::remove_file(trashed);
            }
        }
        // No trash on this system: the error says so and the file is untouched. CI has
        // one (WEFT_REQUIRE_TRASH), so there this branch fails.
        Err(e) => {
            assert!(std::env::var_os("WEFT_REQUIRE_TRASH").is_none(), "the trash is required here: {e}");
            assert_eq!(e.code(), "trash_failed");
            assert!(dir.path().join(&unique).exists());
        }
    }
}
