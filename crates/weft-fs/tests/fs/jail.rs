use std::os::unix::fs::symlink;

use weft_fs::FsError;

use crate::{write, ws};

fn outside(r: Result<impl std::fmt::Debug, FsError>) {
    match r {
        Err(FsError::OutsideWorkspace(_)) | Err(FsError::InvalidPath { .. }) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn dotdot_and_absolute_paths_are_refused() {
    let outer = tempfile::tempdir().expect("tmp");
    let root = outer.path().join("ws");
    std::fs::create_dir(&root).expect("mkdir");
    write(outer.path(), "secret.txt", "secret");
    let w = weft_fs::Workspace::open(&root).expect("open");
    for bad in ["../secret.txt", "a/../../secret.txt", "./../secret.txt", "a/b/../../../secret.txt"] {
        outside(w.read_text(bad));
        outside(w.create_file(bad));
        outside(w.write_text(bad, "x", weft_fs::Encoding::Utf8));
    }
    let abs = outer.path().join("secret.txt");
    outside(w.read_text(abs.to_str().expect("utf8")));
    outside(w.read_text("/etc/passwd"));
    outside(w.read_text("C:\\Windows\\win.ini"));
    outside(w.read_text("a\0b"));
    assert_eq!(std::fs::read_to_string(&abs).expect("read"), "secret");
}

#[test]
fn symlinks_that_escape_are_refused() {
    let outer = tempfile::tempdir().expect("tmp");
    let root = outer.path().join("ws");
    std::fs::create_dir(&root).expect("mkdir");
    write(outer.path(), "out/secret.txt", "secret");
    symlink(outer.path().join("out"), root.join("dirlink")).expect("symlink");
    symlink(outer.path().join("out/secret.txt"), root.join("filelink")).expect("symlink");
    let w = weft_fs::Workspace::open(&root).expect("open");
    outside(w.read_text("dirlink/secret.txt"));
    outside(w.read_text("filelink"));
    outside(w.write_text("filelink", "pwned", weft_fs::Encoding::Utf8));
    outside(w.create_file("dirlink/new.txt"));
    outside(w.list_dir("dirlink"));
    outside(w.rename("dirlink/secret.txt", "stolen.txt"));
    assert_eq!(std::fs::read_to_string(outer.path().join("out/secret.txt")).expect("read"), "secret");
    assert!(!outer.path().join("out/new.txt").exists());
    // Deleting the link itself is fine and leaves the target alone.
    w.delete("filelink", true).expect("delete link");
    assert!(outer.path().join("out/secret.txt").exists());
}

#[test]
fn symlinks_inside_the_workspace_work() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "real/a.txt", "inside");
    symlink(dir.path().join("real"), dir.path().join("alias")).expect("symlink");
    let w = ws(&dir);
    assert_eq!(w.read_text("alias/a.txt").expect("read").content.text, "inside");
    w.write_text("alias/a.txt", "changed", weft_fs::Encoding::Utf8).expect("write");
    assert_eq!(std::fs::read_to_string(dir.path().join("real/a.txt")).expect("read"), "changed");
}

#[test]
fn odd_unicode_stays_inside() {
    let dir = tempfile::tempdir().expect("tmp");
    let w = ws(&dir);
    // Look-alikes of "..", "/" and "\": ordinary names, created inside the root.
    for name in ["\u{2025}/x", "\u{FF0E}\u{FF0E}\u{FF0F}y", "\u{2024}\u{2024}", "..\u{200B}", "a\u{2215}b", "é\u{301}"] {
        w.create_file(name).expect("create");
        let p = w.resolve(name).expect("resolve");
        assert!(p.starts_with(w.root()), "{name} resolved to {p:?}");
        assert!(p.exists());
    }
}
