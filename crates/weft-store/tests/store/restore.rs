use std::fs;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

use weft_store::{Content, Origin, Side};

use crate::common::*;

#[test]
fn restoring_chosen_files_touches_nothing_else() {
    let f = fixture();
    let root = f.ws.path();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::write(root.join("src/a.rs"), "a1").unwrap();
    fs::write(root.join("src/b.rs"), "b1").unwrap();
    fs::write(root.join("top.txt"), "t1").unwrap();
    let cp = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    fs::write(root.join("src/a.rs"), "a2").unwrap();
    fs::write(root.join("src/b.rs"), "b2").unwrap();
    fs::write(root.join("top.txt"), "t2").unwrap();
    fs::write(root.join("src/c.rs"), "c2").unwrap();

    let only = vec!["src/a.rs".to_string()];
    let plan = f.store.preview(cp, Some(&only)).unwrap();
    assert_eq!((plan.modify.clone(), plan.create.len(), plan.delete.len()), (vec!["src/a.rs".to_string()], 0, 0));
    f.store.restore(cp, Some(&only)).unwrap();
    assert_eq!(fs::read_to_string(root.join("src/a.rs")).unwrap(), "a1");
    assert_eq!(fs::read_to_string(root.join("src/b.rs")).unwrap(), "b2");

    // A folder restores everything under it, including deleting files born later.
    let folder = vec!["src".to_string()];
    let report = f.store.restore(cp, Some(&folder)).unwrap();
    assert_eq!(report.plan.delete, vec!["src/c.rs".to_string()]);
    assert_eq!(fs::read_to_string(root.join("src/b.rs")).unwrap(), "b1");
    assert!(!root.join("src/c.rs").exists());
    assert_eq!(fs::read_to_string(root.join("top.txt")).unwrap(), "t2", "outside the chosen folder");
}

#[cfg(unix)]
#[test]
fn restore_never_writes_through_a_symlink_out_of_the_workspace() {
    let f = fixture();
    let root = f.ws.path();
    let outside = tempfile::tempdir().unwrap();
    fs::create_dir_all(root.join("conf")).unwrap();
    fs::write(root.join("conf/app.toml"), "mine = true\n").unwrap();
    let cp = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;

    // Someone replaces the folder with a link to a folder elsewhere.
    fs::remove_dir_all(root.join("conf")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("conf")).unwrap();
    let report = f.store.restore(cp, None).unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(fs::read_dir(outside.path()).unwrap().next().is_none(), "nothing was written outside");
    assert!(fs::symlink_metadata(root.join("conf")).unwrap().is_dir(), "the link was replaced by the folder");
    assert_eq!(fs::read_to_string(root.join("conf/app.toml")).unwrap(), "mine = true\n");

    // Restoring only the file while the link is in the way: that file fails, clearly.
    fs::remove_dir_all(root.join("conf")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("conf")).unwrap();
    fs::write(root.join("other.txt"), "x").unwrap();
    let cp2 = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    fs::write(root.join("other.txt"), "y").unwrap();
    let paths = vec!["conf/app.toml".to_string(), "other.txt".to_string()];
    let report = f.store.restore(cp, Some(&paths)).unwrap();
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert_eq!(report.failed[0].path, "conf/app.toml");
    assert!(report.failed[0].message.contains("symlink"), "{}", report.failed[0].message);
    assert!(fs::read_dir(outside.path()).unwrap().next().is_none());
    assert!(!root.join("other.txt").exists(), "the other file was restored (it did not exist at #cp)");
    let _ = cp2;
}

#[test]
fn content_reads_either_side_and_the_jail_holds() {
    let f = fixture();
    let root = f.ws.path();
    fs::write(root.join("run.sh"), "#!/bin/sh\n").unwrap();
    #[cfg(unix)]
    fs::set_permissions(root.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    // An executable on Unix; Windows has only read-only or not.
    let mode = if cfg!(unix) { 0o755 } else { 0o644 };
    let cp = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    fs::write(root.join("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
    assert_eq!(f.store.content(Side::Checkpoint(cp), "run.sh").unwrap(), Some(Content::File { bytes: b"#!/bin/sh\n".to_vec(), mode }));
    assert_eq!(f.store.content(Side::Working, "run.sh").unwrap(), Some(Content::File { bytes: b"#!/bin/sh\necho hi\n".to_vec(), mode }));
    assert_eq!(f.store.content(Side::Checkpoint(cp), "nope").unwrap(), None);
    assert!(f.store.content(Side::Working, "../../etc/passwd").is_err());
    assert!(matches!(f.store.restore(9999, None), Err(weft_store::StoreError::NotFound(9999))));
    assert_eq!(f.store.list().unwrap().len(), 1, "a bad id takes no safety checkpoint");
}

/// A file the checkpoint had but the current state cannot capture (it grew over the size
/// limit; another is ignored by a rule added since): restore leaves both alone, says so in
/// the preview, and undoing the restore does not delete them. Restore used to write the
/// old versions over them, and the undo then deleted them for good.
#[test]
fn files_the_current_state_cannot_capture_are_left_alone() {
    let data = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let opts = weft_store::StoreOptions { max_file_bytes: 1024, ..weft_store::StoreOptions::default() };
    let store = weft_store::Store::open(&weft_store::Store::db_path(data.path(), root), root, opts).unwrap();
    fs::write(root.join("big.bin"), "small then").unwrap();
    fs::write(root.join("notes.txt"), "n1").unwrap();
    fs::write(root.join("plain.txt"), "p1").unwrap();
    let cp = store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    let big = vec![7u8; 4096];
    fs::write(root.join("big.bin"), &big).unwrap();
    fs::write(root.join("notes.txt"), "n2: kept out of checkpoints from now on").unwrap();
    fs::write(root.join(".gitignore"), "notes.txt\n").unwrap();
    fs::write(root.join("plain.txt"), "p2").unwrap();

    let plan = store.preview(cp, None).unwrap();
    assert_eq!(plan.left_alone, vec!["big.bin".to_string(), "notes.txt".to_string()]);
    assert!(!plan.create.contains(&"big.bin".to_string()) && !plan.modify.contains(&"big.bin".to_string()));
    let report = store.restore(cp, None).unwrap();
    assert_eq!(report.plan.left_alone, plan.left_alone);
    assert_eq!(fs::read(root.join("big.bin")).unwrap(), big, "not overwritten");
    assert_eq!(fs::read_to_string(root.join("notes.txt")).unwrap(), "n2: kept out of checkpoints from now on");
    assert_eq!(fs::read_to_string(root.join("plain.txt")).unwrap(), "p1", "the rest is restored");
    // Undo: what the restore changed goes back (the .gitignore it deleted included).
    store.restore(report.undo, Some(&report.plan.changed())).unwrap();
    assert_eq!(fs::read_to_string(root.join(".gitignore")).unwrap(), "notes.txt\n");
    assert_eq!(fs::read(root.join("big.bin")).unwrap(), big, "undo deletes nothing it could not capture");
    assert_eq!(fs::read_to_string(root.join("notes.txt")).unwrap(), "n2: kept out of checkpoints from now on");
    assert_eq!(fs::read_to_string(root.join("plain.txt")).unwrap(), "p2");
}
