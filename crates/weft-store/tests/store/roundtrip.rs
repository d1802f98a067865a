use std::fs;

use weft_store::{ChangeStatus, Origin, Side};

use crate::common::*;

#[test]
fn restore_reproduces_bytes_modes_and_links_exactly_and_undo_gives_back_the_state_before() {
    for seed in [0x5eed_u64, 42, 7_777] {
        let f = fixture();
        let root = f.ws.path();
        let mut rng = Rng(seed);
        random_tree(root, &mut rng, 150);
        let state1 = read_tree(root);
        let cp1 = f.store.create("first", Origin::Manual, None).unwrap();
        assert!(cp1.new);
        assert_eq!(cp1.checkpoint.files as usize, state1.len(), "seed {seed}: every file and link is taken");

        mutate(root, &mut rng, 1);
        let state2 = read_tree(root);
        assert_ne!(state1, state2);
        let cp2 = f.store.create("second", Origin::Manual, None).unwrap();
        assert!(cp2.new);

        let preview = f.store.preview(cp1.checkpoint.id, None).unwrap();
        let report = f.store.restore(cp1.checkpoint.id, None).unwrap();
        assert!(report.failed.is_empty(), "seed {seed}: {:?}", report.failed);
        assert_eq!(report.plan, preview, "the restore does what the preview said");
        assert_eq!(read_tree(root), state1, "seed {seed}: restore gives back checkpoint 1 exactly");

        // The safety checkpoint before the restore is the state the user had: undo.
        assert_eq!(report.undo, cp2.checkpoint.id, "nothing changed since #2, so #2 is the undo point");
        let undo = f.store.restore(report.undo, None).unwrap();
        assert!(undo.failed.is_empty());
        assert_eq!(read_tree(root), state2, "seed {seed}: undo of restore gives back the state before it");

        // Every checkpoint reads back exactly, through the store's own API too.
        let m = f.store.manifest(Side::Checkpoint(cp1.checkpoint.id)).unwrap();
        assert_eq!(m.len(), state1.len());
        assert_eq!(f.store.integrity_check().unwrap(), "ok");
    }
}

#[test]
fn identical_consecutive_snapshots_are_stored_once() {
    let f = fixture();
    fs::write(f.ws.path().join("a.txt"), "one\n").unwrap();
    let a = f.store.create("a", Origin::Activity, None).unwrap();
    let b = f.store.create("b", Origin::Activity, None).unwrap();
    assert!(a.new);
    assert!(!b.new);
    assert_eq!(b.checkpoint.id, a.checkpoint.id);
    assert_eq!(f.store.list().unwrap().len(), 1);
}

#[test]
fn a_checkpoint_records_what_changed_with_line_counts_skips_ignored_and_large_files() {
    let f = fixture();
    let root = f.ws.path();
    fs::write(root.join(".gitignore"), "build/\n").unwrap();
    fs::create_dir_all(root.join("build")).unwrap();
    fs::write(root.join("build/out.o"), "ignored").unwrap();
    fs::create_dir_all(root.join("node_modules/x")).unwrap();
    fs::write(root.join("node_modules/x/index.js"), "ignored by the weft list").unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join(".git/HEAD"), "ref: x").unwrap();
    fs::write(root.join("big.bin"), vec![7u8; 11 * 1024 * 1024]).unwrap();
    fs::write(root.join("keep.txt"), "a\nb\nc\n").unwrap();
    fs::write(root.join("gone.txt"), "x\ny\n").unwrap();
    let first = f.store.create("", Origin::Manual, Some(serde_json::json!({"tokens": 12}))).unwrap().checkpoint;
    assert_eq!(first.files, 3, "keep.txt, gone.txt and .gitignore");
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].path, "big.bin");
    assert_eq!(first.meta, Some(serde_json::json!({"tokens": 12})));

    fs::write(root.join("keep.txt"), "a\nB\nc\nd\n").unwrap();
    fs::remove_file(root.join("gone.txt")).unwrap();
    fs::write(root.join("new.txt"), "1\n2\n3\n").unwrap();
    let second = f.store.create("edit", Origin::Manual, None).unwrap().checkpoint;
    assert_eq!((second.summary.added, second.summary.modified, second.summary.deleted), (1, 1, 1));
    assert_eq!((second.summary.lines_added, second.summary.lines_removed), (3 + 2, 2 + 1));
    let changes = f.store.changes(second.id).unwrap();
    let got: Vec<_> = changes.iter().map(|c| (c.path.as_str(), c.status, c.lines_added, c.lines_removed)).collect();
    assert_eq!(
        got,
        vec![("gone.txt", ChangeStatus::Deleted, Some(0), Some(2)), ("keep.txt", ChangeStatus::Modified, Some(2), Some(1)), ("new.txt", ChangeStatus::Added, Some(3), Some(0))]
    );
    // And against the working tree, after one more edit.
    fs::write(root.join("new.txt"), "1\n2\n").unwrap();
    let d = f.store.diff(Side::Checkpoint(second.id), Side::Working).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].path.as_str(), d[0].lines_removed), ("new.txt", Some(1)));
}

#[test]
fn a_store_inside_its_own_workspace_does_not_snapshot_itself() {
    // A home folder opened as a workspace contains the data directory.
    let ws = tempfile::tempdir().unwrap();
    fs::write(ws.path().join("a.txt"), "a").unwrap();
    let db = weft_store::Store::db_path(&ws.path().join(".local/share/weft"), ws.path());
    let store = weft_store::Store::open(&db, ws.path(), Default::default()).unwrap();
    let first = store.create("", Origin::Manual, None).unwrap();
    assert_eq!(first.checkpoint.files, 1, "only a.txt");
    let again = store.create("", Origin::Manual, None).unwrap();
    assert!(!again.new, "the database's own writes are not changes");
}
