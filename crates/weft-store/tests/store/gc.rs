use std::fs;

use weft_store::{Content, Origin, Retention, Side};

use crate::common::*;

#[test]
fn gc_frees_exactly_the_blobs_no_checkpoint_refers_to() {
    let f = fixture();
    let root = f.ws.path();
    let mut rng = Rng(99);
    random_tree(root, &mut rng, 80);
    let cp1 = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    mutate(root, &mut rng, 1);
    let cp2 = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    let state2 = read_tree(root);
    let (blobs_before, _) = f.store.blob_stats().unwrap();

    // Nothing is garbage while both exist.
    assert_eq!(f.store.gc().unwrap().blobs_freed, 0);

    let m1 = f.store.manifest(Side::Checkpoint(cp1)).unwrap();
    let m2 = f.store.manifest(Side::Checkpoint(cp2)).unwrap();
    let only_in_1: std::collections::HashSet<_> = m1.values().filter_map(|n| match n { weft_store::Node::File { hash, .. } => Some(*hash), _ => None }).collect();
    let in_2: std::collections::HashSet<_> = m2.values().filter_map(|n| match n { weft_store::Node::File { hash, .. } => Some(*hash), _ => None }).collect();
    let unique_files = only_in_1.difference(&in_2).count() as u32;
    assert!(unique_files > 0);

    assert_eq!(f.store.delete(&[cp1]).unwrap(), 1);
    let report = f.store.gc().unwrap();
    // The file contents only #1 had, plus the tree objects only #1 had.
    assert!(report.blobs_freed >= unique_files, "{report:?} vs {unique_files}");
    let (blobs_after, _) = f.store.blob_stats().unwrap();
    assert_eq!(blobs_after, blobs_before - u64::from(report.blobs_freed));
    // Exactly: what is left is what a store that only ever saw state #2 holds (a second
    // store, its own database, one checkpoint of the same tree; it shares no code path
    // with the collector).
    let fresh_data = tempfile::tempdir().unwrap();
    let fresh = weft_store::Store::open(&weft_store::Store::db_path(fresh_data.path(), root), root, Default::default()).unwrap();
    fresh.create("", Origin::Manual, None).unwrap();
    assert_eq!(blobs_after, fresh.blob_stats().unwrap().0, "after GC the store holds more (or less) than state #2 needs");

    // Every blob #2 refers to is still there: it restores exactly.
    for (path, node) in &m2 {
        if let weft_store::Node::File { .. } = node {
            assert!(matches!(f.store.content(Side::Checkpoint(cp2), path).unwrap(), Some(Content::File { .. })));
        }
    }
    mutate(root, &mut rng, 2);
    f.store.restore(cp2, None).unwrap();
    assert_eq!(read_tree(root), state2);
    assert_eq!(f.store.integrity_check().unwrap(), "ok");

    // A checkpoint after GC still works (the stat index never points at freed blobs).
    fs::write(root.join("after-gc.txt"), "x").unwrap();
    let cp3 = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    mutate(root, &mut rng, 3);
    let state3_expected = { f.store.restore(cp3, None).unwrap(); read_tree(root) };
    assert!(state3_expected.contains_key("after-gc.txt"));
}

#[test]
fn retention_drops_old_automatic_checkpoints_and_keeps_manual_ones() {
    let f = fixture();
    let root = f.ws.path();
    for i in 0..5 {
        fs::write(root.join("f.txt"), format!("{i}")).unwrap();
        let origin = if i == 0 { Origin::Manual } else { Origin::Activity };
        f.store.create("", origin, None).unwrap();
    }
    let report = f.store.prune(&Retention { keep_days: 30, keep_max: 2 }).unwrap();
    assert_eq!(report.checkpoints_removed, 2);
    let left: Vec<_> = f.store.list().unwrap().into_iter().map(|c| (c.id, c.origin)).collect();
    assert_eq!(left, vec![(5, Origin::Activity), (4, Origin::Activity), (1, Origin::Manual)]);
    assert!(report.blobs_freed > 0);
    f.store.restore(1, None).unwrap();
    assert_eq!(fs::read_to_string(root.join("f.txt")).unwrap(), "0");
}

#[test]
fn a_gc_by_another_process_does_not_leave_this_one_referring_to_freed_blobs() {
    let f = fixture();
    let root = f.ws.path();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::write(root.join("src/a.rs"), "fn a() {}\n").unwrap();
    fs::write(root.join("b.txt"), "b\n").unwrap();
    // Old enough that the stat index trusts them (set, not waited for).
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    for f in ["src/a.rs", "b.txt"] {
        fs::File::options().write(true).open(root.join(f)).unwrap().set_modified(past).unwrap();
    }
    let first = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;

    // The command line (another process, another connection) deletes it and collects.
    let other = weft_store::Store::open(&weft_store::Store::db_path(f.data.path(), root), root, Default::default()).unwrap();
    other.delete(&[first]).unwrap();
    assert_eq!(other.gc().unwrap().blobs_freed, 4, "two files and two trees");

    // This process's next checkpoint must store the unchanged content again.
    let again = f.store.create("", Origin::Manual, None).unwrap();
    assert!(again.new);
    fs::write(root.join("b.txt"), "changed\n").unwrap();
    fs::remove_dir_all(root.join("src")).unwrap();
    let report = f.store.restore(again.checkpoint.id, None).unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(fs::read_to_string(root.join("src/a.rs")).unwrap(), "fn a() {}\n");
    assert_eq!(fs::read_to_string(root.join("b.txt")).unwrap(), "b\n");
}

#[test]
fn deleting_history_gives_its_space_back_even_from_packs_shared_with_live_files() {
    let f = fixture();
    let root = f.ws.path();
    let mut rng = Rng(7);
    // Compressible text, written by one checkpoint: its contents share packs.
    let text = |rng: &mut Rng, i: usize| -> String { (0..400).map(|l| format!("fn f{i}_{l}() -> u64 {{ {} }}\n", rng.below(1000))).collect() };
    for i in 0..60 {
        fs::write(root.join(format!("f{i}.rs")), text(&mut rng, i)).unwrap();
    }
    let cp1 = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    // Most files change: #1's packs are left mostly dead, but not all dead.
    for i in 0..60 {
        if i % 5 != 0 {
            fs::write(root.join(format!("f{i}.rs")), text(&mut rng, 1000 + i)).unwrap();
        }
    }
    let cp2 = f.store.create("", Origin::Manual, None).unwrap().checkpoint.id;
    let state2 = read_tree(root);
    let (_, bytes_before) = f.store.blob_stats().unwrap();

    f.store.delete(&[cp1]).unwrap();
    let report = f.store.gc().unwrap();
    let (_, bytes_after) = f.store.blob_stats().unwrap();
    assert_eq!(report.bytes_freed, bytes_before - bytes_after);
    // Four fifths of #1's contents are gone, and #1 was about half of the store.
    assert!(bytes_after * 10 < bytes_before * 7, "{bytes_before} -> {bytes_after}");
    assert_eq!(f.store.integrity_check().unwrap(), "ok");

    // The files #2 shared with #1 were moved, not lost.
    for i in 0..60 {
        fs::write(root.join(format!("f{i}.rs")), "changed").unwrap();
    }
    f.store.restore(cp2, None).unwrap();
    assert_eq!(read_tree(root), state2);
}
