//! A store written by an older Weft (schema 1: a row per blob and per changed path) opens
//! with every checkpoint, change list and content intact, and keeps working.

use std::fs;

use rusqlite::Connection;
use weft_store::{Origin, Side, Store, StoreOptions};

use crate::common::*;

/// Rewrites a current store into schema 1's layout, the way that version stored things.
fn downgrade_to_v1(db: &std::path::Path) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(
        "CREATE TABLE blobs (id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, size INTEGER NOT NULL, codec INTEGER NOT NULL, data BLOB NOT NULL);
         CREATE TABLE changes (checkpoint INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE, path TEXT NOT NULL, status TEXT NOT NULL,
           lines_added INTEGER, lines_removed INTEGER, PRIMARY KEY (checkpoint, path)) WITHOUT ROWID;",
    )
    .unwrap();
    let objects: Vec<(Vec<u8>, i64, i64, i64, i64, Vec<u8>)> = conn
        .prepare("SELECT o.hash, o.offset, o.size, p.codec, p.size, p.data FROM objects o JOIN packs p ON p.id = o.pack")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (i, (hash, offset, size, codec, pack_size, data)) in objects.into_iter().enumerate() {
        let pack = if codec == 1 { zstd::bulk::decompress(&data, pack_size as usize).unwrap() } else { data };
        let bytes = &pack[offset as usize..(offset + size) as usize];
        // Every other one compressed on its own, as schema 1 did when it paid.
        let (codec, data) = if i % 2 == 0 { (1, zstd::bulk::compress(bytes, 3).unwrap()) } else { (0, bytes.to_vec()) };
        conn.execute("INSERT INTO blobs (hash, size, codec, data) VALUES (?1, ?2, ?3, ?4)", rusqlite::params![hash, size, codec, data]).unwrap();
    }
    let lists: Vec<(i64, Vec<u8>)> = conn.prepare("SELECT checkpoint, data FROM change_lists").unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap();
    for (id, data) in lists {
        let list: Vec<serde_json::Value> = serde_json::from_slice(&zstd::stream::decode_all(data.as_slice()).unwrap()).unwrap();
        for c in list {
            conn.execute("INSERT INTO changes VALUES (?1, ?2, ?3, ?4, ?5)", rusqlite::params![id, c["path"].as_str(), c["status"].as_str(), c["linesAdded"].as_i64(), c["linesRemoved"].as_i64()]).unwrap();
        }
    }
    conn.execute_batch("DROP TABLE objects; DROP TABLE packs; DROP TABLE change_lists; PRAGMA user_version = 1;").unwrap();
}

#[test]
fn a_schema_1_store_opens_with_everything_and_keeps_working() {
    let ws = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = ws.path();
    let db = Store::db_path(data.path(), root);
    let mut rng = Rng(2024);
    random_tree(root, &mut rng, 60);
    let (ids, states, changes, listed) = {
        let store = Store::open(&db, root, StoreOptions::default()).unwrap();
        let mut ids = Vec::new();
        let mut states = Vec::new();
        for round in 0..3 {
            ids.push(store.create(&format!("round {round}"), Origin::Manual, None).unwrap().checkpoint.id);
            states.push(read_tree(root));
            mutate(root, &mut rng, round);
        }
        let changes: Vec<_> = ids.iter().map(|id| store.changes(*id).unwrap()).collect();
        let listed: Vec<_> = store.list().unwrap().into_iter().map(|c| (c.id, c.label, c.files, c.summary)).collect();
        (ids, states, changes, listed)
    };
    downgrade_to_v1(&db);

    let store = Store::open(&db, root, StoreOptions::default()).unwrap();
    assert_eq!(store.list().unwrap().into_iter().map(|c| (c.id, c.label, c.files, c.summary)).collect::<Vec<_>>(), listed);
    for (id, expected) in ids.iter().zip(&changes) {
        assert_eq!(&store.changes(*id).unwrap(), expected);
    }
    assert_eq!(store.integrity_check().unwrap(), "ok");
    // New checkpoints, restores of old ones and GC all work on the migrated store.
    let now = store.create("after", Origin::Manual, None).unwrap().checkpoint.id;
    let now_state = read_tree(root);
    for (id, state) in ids.iter().zip(&states) {
        store.restore(*id, None).unwrap();
        assert_eq!(&read_tree(root), state);
    }
    store.delete(&ids[..2]).unwrap();
    store.gc().unwrap();
    store.restore(now, None).unwrap();
    assert_eq!(read_tree(root), now_state);
    assert!(store.diff(Side::Checkpoint(ids[2]), Side::Working).is_ok());
    drop(store);
    // Reopening a migrated store is a no-op.
    fs::metadata(&db).unwrap();
    Store::open(&db, root, StoreOptions::default()).unwrap().get(now).unwrap();
}
