//! Checkpoints of a workspace, with or without git: every non-ignored file, whoever changed
//! it, snapshotted into one SQLite database per workspace (kept in the app's data
//! directory, never in the workspace).
//!
//! - Content-addressed objects (BLAKE3), packed per checkpoint and zstd-compressed together
//!   ([`blobs`]), and one tree object per directory, so a checkpoint after a one-file edit
//!   stores that file and the trees on its path, nothing else.
//! - A stat index (size, mtime, ctime, inode, mode → hash) lets a checkpoint skip reading
//!   files that did not change.
//! - A checkpoint is one SQLite transaction (WAL): a process killed at any moment leaves
//!   the previous checkpoints whole.
//! - Restore is previewed ([`Store::preview`]), always takes a checkpoint first (so it can
//!   be undone by restoring that one), writes each file atomically with its mode, and
//!   reports per-file failures without stopping.

mod blobs;
mod manifest;
mod restore;
mod scan;
mod text;
mod walk;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

pub use manifest::{Hash, Manifest, Node};
pub use text::{is_binary, line_count, unified};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("checkpoint store: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("there is no checkpoint #{0}")]
    NotFound(i64),
    #[error("the checkpoint store is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
}

type Result<T> = std::result::Result<T, StoreError>;

/// Why a checkpoint was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Origin {
    /// Taken by hand, with a label.
    Manual,
    /// Before an agent turn that may change files.
    Agent,
    /// Before a restore, so the restore can be undone.
    Restore,
    /// After the workspace went quiet following changes from any source.
    Activity,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Manual => "manual",
            Origin::Agent => "agent",
            Origin::Restore => "restore",
            Origin::Activity => "activity",
        }
    }
    fn parse(s: &str) -> Origin {
        match s {
            "agent" => Origin::Agent,
            "restore" => Origin::Restore,
            "activity" => Origin::Activity,
            _ => Origin::Manual,
        }
    }
}

/// A file the checkpoint did not take, and why (too large, unreadable, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Checkpoint {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Milliseconds since the Unix epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_ms: i64,
    pub label: String,
    pub origin: Origin,
    /// Files in the checkpoint, and their total size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Against the checkpoint before it.
    pub summary: Summary,
    pub skipped: Vec<Skipped>,
    /// What the caller attached: the agent's conversation state and metrics.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub meta: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Summary {
    pub added: u32,
    pub modified: u32,
    pub deleted: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub lines_added: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub lines_removed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ChangeStatus {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileChange {
    pub path: String,
    pub status: ChangeStatus,
    /// None for binary and very large files.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub lines_added: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub lines_removed: Option<u64>,
}

/// One side of a comparison: a checkpoint, or the files on disk now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Checkpoint(i64),
    Working,
}

/// A file as one side has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    File { bytes: Vec<u8>, mode: u32 },
    Symlink { target: String },
}

/// Exactly what a restore would do to the working tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RestorePlan {
    pub modify: Vec<String>,
    pub create: Vec<String>,
    pub delete: Vec<String>,
    /// In the checkpoint but on disk as a file the current state could not capture (over
    /// the size limit, unreadable, or ignored by today's rules): not touched, since
    /// nothing could bring the file back afterwards.
    #[serde(default)]
    pub left_alone: Vec<String>,
}

impl RestorePlan {
    /// Every path the restore writes or deletes: what undoing it restores (restoring the
    /// safety checkpoint over everything would also reach files this restore left alone).
    pub fn changed(&self) -> Vec<String> {
        let mut v: Vec<String> = self.modify.iter().chain(&self.create).chain(&self.delete).cloned().collect();
        v.sort();
        v
    }

    pub fn is_empty(&self) -> bool {
        self.modify.is_empty() && self.create.is_empty() && self.delete.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FailedFile {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RestoreReport {
    /// The checkpoint of the state just before the restore: restoring it (with the same
    /// paths) undoes this restore.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub undo: i64,
    pub plan: RestorePlan,
    pub failed: Vec<FailedFile>,
}

/// The result of asking for a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Created {
    pub checkpoint: Checkpoint,
    /// False when nothing changed since the latest checkpoint, which is returned instead
    /// (identical consecutive snapshots are not stored twice).
    pub new: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retention {
    /// Automatic checkpoints (activity, restore, agent) older than this many days go;
    /// manual ones stay until deleted.
    pub keep_days: u32,
    /// At most this many automatic checkpoints are kept (the newest).
    pub keep_max: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GcReport {
    pub checkpoints_removed: u32,
    pub blobs_freed: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_freed: u64,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Gitignore-style patterns left out on top of .gitignore (e.g. `node_modules/`).
    pub ignore: Vec<String>,
    /// Files larger than this are skipped (and listed as skipped).
    pub max_file_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { ignore: vec!["node_modules/".into()], max_file_bytes: 10 * 1024 * 1024 }
    }
}

/// A file whose mtime is this close to the start of the scan that read it is not indexed
/// (it is read again next time): a write landing just after our read could carry the
/// same mtime, because file timestamps come from the kernel's coarse clock, which lags
/// real time by up to a scheduler tick. Like git's "racily clean" entries.
const RACY_NS: i64 = 100_000_000;
/// Timestamps in whole seconds mean a coarse filesystem (FAT, some network mounts): there
/// a whole two seconds are racy.
const RACY_COARSE_NS: i64 = 2_000_000_000;

fn racy(stat: &scan::Stat, started: i64) -> bool {
    let window = if stat.mtime_ns % 1_000_000_000 == 0 { RACY_COARSE_NS } else { RACY_NS };
    stat.mtime_ns > started - window || stat.ctime_ns > started - window
}

/// A checkpoint's change list, one compressed row: the first checkpoint of a big tree lists
/// every file, which as a row per path cost more than the file names' share of the tree.
const CHANGE_LISTS: &str = "
    CREATE TABLE IF NOT EXISTS change_lists (
      checkpoint INTEGER PRIMARY KEY REFERENCES checkpoints(id) ON DELETE CASCADE,
      data BLOB NOT NULL);";

/// Schema 1 to 2: objects packed (each old blob becomes a pack of one, nothing is
/// recompressed) and change lists compressed. One transaction: a crash leaves schema 1.
fn migrate_v1(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have migrated while this one waited for the lock.
    if tx.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? != 1 {
        return Ok(());
    }
    tx.execute_batch(blobs::SCHEMA)?;
    tx.execute_batch(blobs::MIGRATE_V1)?;
    tx.execute_batch(CHANGE_LISTS)?;
    let mut lists: Vec<(i64, Vec<FileChange>)> = Vec::new();
    {
        let mut stmt = tx.prepare("SELECT checkpoint, path, status, lines_added, lines_removed FROM changes ORDER BY checkpoint, path")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let change = FileChange {
                path: r.get(1)?,
                status: parse_status(&r.get::<_, String>(2)?),
                lines_added: r.get::<_, Option<i64>>(3)?.map(|n| n as u64),
                lines_removed: r.get::<_, Option<i64>>(4)?.map(|n| n as u64),
            };
            match lists.last_mut() {
                Some((last, list)) if *last == id => list.push(change),
                _ => lists.push((id, vec![change])),
            }
        }
    }
    for (id, list) in &lists {
        put_changes(&tx, *id, list)?;
    }
    tx.execute_batch("DROP TABLE changes; PRAGMA user_version = 2;")?;
    tx.commit()?;
    Ok(())
}

fn put_changes(conn: &Connection, id: i64, changes: &[FileChange]) -> Result<()> {
    let json = serde_json::to_vec(changes).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let data = zstd::bulk::compress(&json, 3)?;
    conn.prepare_cached("INSERT INTO change_lists (checkpoint, data) VALUES (?1, ?2)")?.execute(params![id, data])?;
    Ok(())
}

fn get_changes(conn: &Connection, id: i64) -> Result<Vec<FileChange>> {
    let data: Option<Vec<u8>> = conn.prepare_cached("SELECT data FROM change_lists WHERE checkpoint = ?1")?.query_row([id], |r| r.get(0)).optional()?;
    let Some(data) = data else { return Ok(Vec::new()) };
    let json = zstd::stream::decode_all(data.as_slice()).map_err(|e| StoreError::Corrupt(format!("a change list does not decompress: {e}")))?;
    serde_json::from_slice(&json).map_err(|e| StoreError::Corrupt(format!("a change list does not parse: {e}")))
}

pub struct Store {
    conn: Mutex<Connection>,
    root: PathBuf,
    opts: Mutex<StoreOptions>,
    cache: Mutex<Cache>,
    /// The folder holding the database (and its WAL), never snapshotted.
    db_dir: PathBuf,
    ignores: walk::IgnoreCache,
}

/// What the last checkpoint of this process wrote, so the next one neither re-reads the
/// previous manifest nor asks SQLite about every unchanged tree. Valid only while no
/// garbage collection (in any process) has run since: `gc_generation` says.
#[derive(Default)]
struct Cache {
    gc_generation: i64,
    trees: HashSet<Hash>,
    last: Option<(Hash, Manifest)>,
    index: Option<scan::Index>,
}

impl Store {
    /// Where the database of the workspace at `root` lives under the app's data directory.
    pub fn db_path(data_dir: &Path, root: &Path) -> PathBuf {
        let root = dunce::canonicalize(&root).unwrap_or_else(|_| root.to_path_buf());
        let name: String = root
            .file_name()
            .map(|n| n.to_string_lossy().chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(40).collect())
            .unwrap_or_else(|| "root".into());
        let id = blake3::hash(root.to_string_lossy().as_bytes()).to_hex();
        data_dir.join("checkpoints").join(format!("{name}-{}.sqlite", &id[..16]))
    }

    /// Opens (creating if needed) the store of the workspace at `root`.
    pub fn open(db: &Path, root: &Path, opts: StoreOptions) -> Result<Store> {
        let root = dunce::canonicalize(&root)?;
        if let Some(dir) = db.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // auto_vacuum only takes effect before the first table exists.
        conn.execute_batch(
            "PRAGMA auto_vacuum = INCREMENTAL;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;",
        )?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version == 0 {
            conn.execute_batch(
                "BEGIN IMMEDIATE;
                 CREATE TABLE IF NOT EXISTS checkpoints (
                   id INTEGER PRIMARY KEY AUTOINCREMENT,
                   created_ms INTEGER NOT NULL,
                   label TEXT NOT NULL,
                   origin TEXT NOT NULL,
                   root BLOB NOT NULL,
                   files INTEGER NOT NULL,
                   bytes INTEGER NOT NULL,
                   added INTEGER NOT NULL, modified INTEGER NOT NULL, deleted INTEGER NOT NULL,
                   lines_added INTEGER NOT NULL, lines_removed INTEGER NOT NULL,
                   skipped TEXT NOT NULL,
                   meta TEXT);
                 CREATE TABLE IF NOT EXISTS stat_index (
                   path TEXT PRIMARY KEY,
                   size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
                   ino INTEGER NOT NULL, mode INTEGER NOT NULL, hash BLOB NOT NULL) WITHOUT ROWID;
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
            )?;
            conn.execute_batch(blobs::SCHEMA)?;
            conn.execute_batch(CHANGE_LISTS)?;
            conn.execute_batch("PRAGMA user_version = 2; COMMIT;")?;
        } else if version == 1 {
            migrate_v1(&mut conn)?;
        } else if version > 2 {
            return Err(StoreError::Invalid(format!("{} was written by a newer Weft (schema {version})", db.display())));
        }
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('root', ?1)", [root.to_string_lossy()])?;
        let db_dir = db.parent().and_then(|d| dunce::canonicalize(&d).ok()).unwrap_or_default();
        Ok(Store { conn: Mutex::new(conn), root, opts: Mutex::new(opts), cache: Mutex::default(), ignores: walk::IgnoreCache::default(), db_dir })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn set_options(&self, opts: StoreOptions) {
        if let Ok(mut o) = self.opts.lock() {
            *o = opts;
        }
    }

    fn options(&self) -> StoreOptions {
        self.opts.lock().map(|o| o.clone()).unwrap_or_default()
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| StoreError::Invalid("the checkpoint store is busy after a failure".into()))
    }

    /// Snapshots the working tree. When nothing changed since the latest checkpoint, no new
    /// one is stored and the latest is returned with `new: false`.
    pub fn create(&self, label: &str, origin: Origin, meta: Option<serde_json::Value>) -> Result<Created> {
        let opts = self.options();
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut cache = self.cache.lock().map_err(|_| StoreError::Invalid("the checkpoint cache is poisoned".into()))?;
        let generation = gc_generation(&tx)?;
        if cache.gc_generation != generation {
            *cache = Cache { gc_generation: generation, ..Cache::default() };
        }
        let mut packer = blobs::Packer::default();
        let (manifest, skipped, bytes, index) = snapshot(&tx, &mut packer, &self.root, &self.db_dir, &self.ignores, &opts, cache.index.take())?;
        let mut trees = HashSet::new();
        let root = manifest::write_trees(&manifest, &mut |h, b| {
            trees.insert(*h);
            if cache.trees.contains(h) {
                return Ok(());
            }
            packer.put(&tx, h, b)
        })?;
        packer.flush(&tx)?;

        let latest: Option<(i64, Vec<u8>)> = tx.query_row("SELECT id, root FROM checkpoints ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        if let Some((id, prev_root)) = &latest {
            if prev_root.as_slice() == root.as_slice() {
                tx.commit()?;
                cache.index = Some(index);
                cache.trees = trees;
                cache.last = Some((root, manifest));
                let checkpoint = get_checkpoint(&conn, *id)?;
                return Ok(Created { checkpoint, new: false });
            }
        }
        let previous = match (&latest, cache.last.take()) {
            (Some((_, r)), Some((cached, m))) if r.as_slice() == cached.as_slice() => m,
            (Some((_, r)), _) => read_manifest(&tx, &to_hash(r)?)?,
            (None, _) => Manifest::new(),
        };
        // Separate readers: the two sides' contents come from different packs.
        let (mut old, mut new) = (blobs::Reader::new(&tx), blobs::Reader::new(&tx));
        let changes = compare(&previous, &manifest, &mut |h, _| old.get(h), &mut |h, _| new.get(h))?;
        let mut summary = Summary::default();
        for c in &changes {
            match c.status {
                ChangeStatus::Added => summary.added += 1,
                ChangeStatus::Modified => summary.modified += 1,
                ChangeStatus::Deleted => summary.deleted += 1,
            }
            summary.lines_added += c.lines_added.unwrap_or(0);
            summary.lines_removed += c.lines_removed.unwrap_or(0);
        }
        let created_ms = now_ms();
        let meta_text = meta.as_ref().map(|m| m.to_string());
        tx.execute(
            "INSERT INTO checkpoints (created_ms, label, origin, root, files, bytes, added, modified, deleted, lines_added, lines_removed, skipped, meta)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                created_ms,
                label,
                origin.as_str(),
                root.as_slice(),
                manifest.len() as i64,
                bytes as i64,
                summary.added,
                summary.modified,
                summary.deleted,
                summary.lines_added as i64,
                summary.lines_removed as i64,
                serde_json::to_string(&skipped).unwrap_or_else(|_| "[]".into()),
                meta_text
            ],
        )?;
        let id = tx.last_insert_rowid();
        put_changes(&tx, id, &changes)?;
        tx.commit()?;
        let checkpoint = Checkpoint { id, created_ms, label: label.to_owned(), origin, files: manifest.len() as u64, bytes, summary, skipped, meta };
        cache.index = Some(index);
        cache.trees = trees;
        cache.last = Some((root, manifest));
        Ok(Created { checkpoint, new: true })
    }

    /// Newest first.
    pub fn list(&self) -> Result<Vec<Checkpoint>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT_CHECKPOINT} ORDER BY id DESC"))?;
        let rows = stmt.query_map([], row_to_checkpoint)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn get(&self, id: i64) -> Result<Checkpoint> {
        get_checkpoint(&*self.conn()?, id)
    }

    /// The files a checkpoint changed against the one before it.
    pub fn changes(&self, id: i64) -> Result<Vec<FileChange>> {
        let conn = self.conn()?;
        get_checkpoint(&conn, id)?;
        get_changes(&conn, id)
    }

    /// The manifest of one side (for tests, the CLI and the diff view).
    pub fn manifest(&self, side: Side) -> Result<Manifest> {
        let conn = self.conn()?;
        self.side_manifest(&conn, side)
    }

    /// A checkpoint's manifest: from memory when it is the one this process last wrote
    /// (the usual case for a restore's safety checkpoint and the newest entry's diffs).
    fn checkpoint_manifest(&self, conn: &Connection, id: i64) -> Result<Manifest> {
        let root = checkpoint_root(conn, id)?;
        if let Ok(cache) = self.cache.lock() {
            if let Some((r, m)) = &cache.last {
                if *r == root {
                    return Ok(m.clone());
                }
            }
        }
        read_manifest(conn, &root)
    }

    fn side_manifest(&self, conn: &Connection, side: Side) -> Result<Manifest> {
        match side {
            Side::Checkpoint(id) => self.checkpoint_manifest(conn, id),
            Side::Working => {
                let index = load_index(conn)?;
                let opts = self.options();
                let scan = scan::scan(&self.root, &scan::ScanOptions { ignore: &opts.ignore, max_file_bytes: opts.max_file_bytes, exclude: Some(&self.db_dir), ignores: &self.ignores }, &index, &mut |_, _, _| Ok(()))?;
                Ok(scan.manifest)
            }
        }
    }

    /// What changed from `from` to `to`.
    pub fn diff(&self, from: Side, to: Side) -> Result<Vec<FileChange>> {
        let conn = self.conn()?;
        let (a, b) = (self.side_manifest(&conn, from)?, self.side_manifest(&conn, to)?);
        let reader = std::cell::RefCell::new(blobs::Reader::new(&conn));
        let read = |side: Side, h: &Hash, path: &str| -> Result<Vec<u8>> {
            match side {
                Side::Checkpoint(_) => reader.borrow_mut().get(h),
                Side::Working => Ok(std::fs::read(self.root.join(path))?),
            }
        };
        compare(&a, &b, &mut |h, p| read(from, h, p), &mut |h, p| read(to, h, p))
    }

    /// One file as `side` has it; None when it is not there.
    pub fn content(&self, side: Side, path: &str) -> Result<Option<Content>> {
        let conn = self.conn()?;
        match side {
            Side::Checkpoint(id) => {
                let manifest = self.checkpoint_manifest(&conn, id)?;
                Ok(match manifest.get(path) {
                    Some(Node::File { mode, hash, .. }) => Some(Content::File { bytes: blobs::Reader::new(&conn).get(hash)?, mode: *mode }),
                    Some(Node::Symlink { target }) => Some(Content::Symlink { target: target.clone() }),
                    None => None,
                })
            }
            Side::Working => {
                let ws = weft_fs::Workspace::open(&self.root).map_err(|e| StoreError::Invalid(e.to_string()))?;
                // The jail refuses paths that lead outside the workspace.
                let full = ws.resolve(path).map_err(|e| StoreError::Invalid(e.to_string()))?;
                match std::fs::symlink_metadata(&full) {
                    Ok(m) if m.file_type().is_symlink() => Ok(Some(Content::Symlink { target: std::fs::read_link(&full)?.to_string_lossy().into_owned() })),
                    Ok(m) if m.is_file() => Ok(Some(Content::File { bytes: std::fs::read(&full)?, mode: scan::Stat::of(&m).mode })),
                    Ok(_) => Ok(None),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// Every file of a checkpoint with its content, in path order.
    pub fn contents(&self, id: i64) -> Result<Vec<(String, Content)>> {
        let conn = self.conn()?;
        let manifest = self.checkpoint_manifest(&conn, id)?;
        let mut reader = blobs::Reader::new(&conn);
        manifest
            .into_iter()
            .map(|(path, node)| {
                let content = match node {
                    Node::File { mode, hash, .. } => Content::File { bytes: reader.get(&hash)?, mode },
                    Node::Symlink { target } => Content::Symlink { target },
                };
                Ok((path, content))
            })
            .collect()
    }

    /// What restoring checkpoint `id` would do; `paths` limits it to those files and
    /// folders (all of the workspace when None).
    pub fn preview(&self, id: i64, paths: Option<&[String]>) -> Result<RestorePlan> {
        let conn = self.conn()?;
        let target = self.checkpoint_manifest(&conn, id)?;
        let working = self.side_manifest(&conn, Side::Working)?;
        Ok(plan(&self.root, &working, &target, paths))
    }

    /// Restores checkpoint `id` (or only `paths` of it). A checkpoint of the current state
    /// is taken first; its id is returned as `undo`.
    pub fn restore(&self, id: i64, paths: Option<&[String]>) -> Result<RestoreReport> {
        // Fail early on an unknown id, before taking the safety checkpoint.
        self.get(id)?;
        let before = self.create(&format!("Before restoring #{id}"), Origin::Restore, None)?;
        let undo = before.checkpoint.id;
        let conn = self.conn()?;
        let target = self.checkpoint_manifest(&conn, id)?;
        let current = self.checkpoint_manifest(&conn, undo)?;
        let plan = plan(&self.root, &current, &target, paths);
        let mut reader = blobs::Reader::new(&conn);
        let failed = restore::apply(&self.root, &target, &plan, &mut |h| reader.get(h));
        Ok(RestoreReport { undo, plan, failed })
    }

    /// Deletes checkpoints (their blobs are freed by [`Store::gc`]).
    pub fn delete(&self, ids: &[i64]) -> Result<u32> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut n = 0;
        for id in ids {
            n += tx.execute("DELETE FROM checkpoints WHERE id = ?1", [id])? as u32;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Deletes checkpoints and frees what only they used.
    pub fn remove(&self, ids: &[i64]) -> Result<GcReport> {
        let removed = self.delete(ids)?;
        let mut report = self.gc()?;
        report.checkpoints_removed = removed;
        Ok(report)
    }

    /// The newest checkpoint's id.
    pub fn latest(&self) -> Result<Option<i64>> {
        Ok(self.conn()?.query_row("SELECT max(id) FROM checkpoints", [], |r| r.get(0))?)
    }

    /// Applies the retention policy to automatic checkpoints, then collects garbage.
    pub fn prune(&self, keep: &Retention) -> Result<GcReport> {
        let removed = {
            let conn = self.conn()?;
            let cutoff = now_ms() - i64::from(keep.keep_days) * 86_400_000;
            let mut n = conn.execute("DELETE FROM checkpoints WHERE origin != 'manual' AND created_ms < ?1", [cutoff])?;
            n += conn.execute(
                "DELETE FROM checkpoints WHERE origin != 'manual' AND id NOT IN
                   (SELECT id FROM checkpoints WHERE origin != 'manual' ORDER BY id DESC LIMIT ?1)",
                [keep.keep_max],
            )?;
            n as u32
        };
        let mut report = self.gc()?;
        report.checkpoints_removed = removed;
        Ok(report)
    }

    /// Frees every blob no checkpoint refers to, and only those.
    pub fn gc(&self) -> Result<GcReport> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut live = HashSet::new();
        let mut files = HashSet::new();
        {
            let mut stmt = tx.prepare("SELECT root FROM checkpoints")?;
            let roots = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            let mut reader = blobs::Reader::new(&tx);
            for r in roots {
                manifest::tree_hashes(&to_hash(&r)?, &mut |h| reader.get(h), &mut live, &mut files)?;
            }
        }
        live.extend(files);
        let freed = blobs::collect(&tx, &live)?;
        let report = GcReport { blobs_freed: freed.objects, bytes_freed: freed.bytes, ..GcReport::default() };
        // The index must never point at content that is gone: a later checkpoint would
        // trust it and refer to missing content.
        tx.execute("DELETE FROM stat_index WHERE hash NOT IN (SELECT hash FROM objects)", [])?;
        // Tells every process's cache that trees it remembers may be gone.
        tx.execute("INSERT INTO meta (key, value) VALUES ('gc_generation', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", [])?;
        tx.commit()?;
        conn.execute_batch("PRAGMA incremental_vacuum;")?;
        Ok(report)
    }

    /// SQLite's own consistency check ("ok" when sound).
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn()?.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Blobs stored, and their bytes on disk (compressed).
    pub fn blob_stats(&self) -> Result<(u64, u64)> {
        blobs::stats(&*self.conn()?)
    }
}

/// Walks the working tree inside the transaction: new contents become blobs and the stat
/// index learns what was read.
/// `cached` is this process's copy of the stat index (safe to reuse: an entry only says
/// "a file with this stat had this content"); the updated index comes back, for the
/// caller to keep once the transaction has committed.
fn snapshot(tx: &rusqlite::Transaction, packer: &mut blobs::Packer, root: &Path, db_dir: &Path, ignores: &walk::IgnoreCache, opts: &StoreOptions, cached: Option<scan::Index>) -> Result<(Manifest, Vec<Skipped>, u64, scan::Index)> {
    let mut index = match cached {
        Some(i) => i,
        None => load_index(tx)?,
    };
    let started = now_ns();
    let scan = scan::scan(root, &scan::ScanOptions { ignore: &opts.ignore, max_file_bytes: opts.max_file_bytes, exclude: Some(db_dir), ignores }, &index, &mut |_, bytes, hash| packer.put(tx, hash, bytes))?;
    {
        let mut up = tx.prepare_cached("INSERT OR REPLACE INTO stat_index (path, size, mtime_ns, ctime_ns, ino, mode, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
        for (path, stat, hash) in &scan.read {
            if racy(stat, started) {
                continue;
            }
            up.execute(params![path, stat.size as i64, stat.mtime_ns, stat.ctime_ns, stat.ino as i64, stat.mode, hash.as_slice()])?;
            index.insert(path.clone(), (stat.clone(), *hash));
        }
        // Entries for files no longer there: the usual answer, none, is known without
        // looking each path up (every entry the walk matched, or just wrote, is present).
        let present = scan.known + scan.read.iter().filter(|(p, _, _)| index.contains_key(p)).count();
        let gone: Vec<String> = if present == index.len() { Vec::new() } else { index.keys().filter(|p| !scan.manifest.contains_key(*p)).cloned().collect() };
        let mut del = tx.prepare_cached("DELETE FROM stat_index WHERE path = ?1")?;
        for path in gone {
            del.execute([&path])?;
            index.remove(&path);
        }
    }
    Ok((scan.manifest, scan.skipped, scan.bytes, index))
}

fn gc_generation(conn: &Connection) -> Result<i64> {
    let v: Option<String> = conn.query_row("SELECT value FROM meta WHERE key = 'gc_generation'", [], |r| r.get(0)).optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

fn load_index(conn: &Connection) -> Result<scan::Index> {
    let mut stmt = conn.prepare_cached("SELECT path, size, mtime_ns, ctime_ns, ino, mode, hash FROM stat_index")?;
    let mut rows = stmt.query([])?;
    let mut index = HashMap::new();
    while let Some(r) = rows.next()? {
        let hash: Vec<u8> = r.get(6)?;
        let stat = scan::Stat { size: r.get::<_, i64>(1)? as u64, mtime_ns: r.get(2)?, ctime_ns: r.get(3)?, ino: r.get::<_, i64>(4)? as u64, mode: r.get(5)? };
        index.insert(r.get(0)?, (stat, to_hash(&hash)?));
    }
    Ok(index)
}

fn read_manifest(conn: &Connection, root: &Hash) -> Result<Manifest> {
    let mut reader = blobs::Reader::new(conn);
    manifest::read_trees(root, &mut |h| reader.get(h))
}

fn checkpoint_root(conn: &Connection, id: i64) -> Result<Hash> {
    let root: Option<Vec<u8>> = conn.query_row("SELECT root FROM checkpoints WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    to_hash(&root.ok_or(StoreError::NotFound(id))?)
}

pub(crate) fn to_hash(bytes: &[u8]) -> Result<Hash> {
    bytes.try_into().map_err(|_| StoreError::Corrupt("a hash has the wrong length".into()))
}

const SELECT_CHECKPOINT: &str = "SELECT id, created_ms, label, origin, files, bytes, added, modified, deleted, lines_added, lines_removed, skipped, meta FROM checkpoints";

fn row_to_checkpoint(r: &rusqlite::Row) -> rusqlite::Result<Checkpoint> {
    let origin: String = r.get(3)?;
    let skipped: String = r.get(11)?;
    let meta: Option<String> = r.get(12)?;
    Ok(Checkpoint {
        id: r.get(0)?,
        created_ms: r.get(1)?,
        label: r.get(2)?,
        origin: Origin::parse(&origin),
        files: r.get::<_, i64>(4)? as u64,
        bytes: r.get::<_, i64>(5)? as u64,
        summary: Summary { added: r.get(6)?, modified: r.get(7)?, deleted: r.get(8)?, lines_added: r.get::<_, i64>(9)? as u64, lines_removed: r.get::<_, i64>(10)? as u64 },
        skipped: serde_json::from_str(&skipped).unwrap_or_default(),
        meta: meta.and_then(|m| serde_json::from_str(&m).ok()),
    })
}

fn get_checkpoint(conn: &Connection, id: i64) -> Result<Checkpoint> {
    conn.query_row(&format!("{SELECT_CHECKPOINT} WHERE id = ?1"), [id], row_to_checkpoint).optional()?.ok_or(StoreError::NotFound(id))
}

fn parse_status(s: &str) -> ChangeStatus {
    match s {
        "added" => ChangeStatus::Added,
        "deleted" => ChangeStatus::Deleted,
        _ => ChangeStatus::Modified,
    }
}

/// Changes from `a` to `b`, with line figures from blob contents.
fn compare(a: &Manifest, b: &Manifest, get_a: &mut dyn FnMut(&Hash, &str) -> Result<Vec<u8>>, get_b: &mut dyn FnMut(&Hash, &str) -> Result<Vec<u8>>) -> Result<Vec<FileChange>> {
    use std::cmp::Ordering;
    // Both maps are sorted: one merge pass, no lookups.
    let mut out = Vec::new();
    let (mut ia, mut ib) = (a.iter().peekable(), b.iter().peekable());
    loop {
        let order = match (ia.peek(), ib.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((pa, _)), Some((pb, _))) => pa.cmp(pb),
        };
        match order {
            Ordering::Less => {
                let Some((path, old)) = ia.next() else { break };
                let removed = match old {
                    Node::File { hash, .. } => text::line_count(&get_a(hash, path)?),
                    Node::Symlink { .. } => Some(1),
                };
                out.push(FileChange { path: path.clone(), status: ChangeStatus::Deleted, lines_added: removed.map(|_| 0), lines_removed: removed });
            }
            Ordering::Greater => {
                let Some((path, new)) = ib.next() else { break };
                let added = match new {
                    Node::File { hash, .. } => text::line_count(&get_b(hash, path)?),
                    Node::Symlink { .. } => Some(1),
                };
                out.push(FileChange { path: path.clone(), status: ChangeStatus::Added, lines_added: added, lines_removed: added.map(|_| 0) });
            }
            Ordering::Equal => {
                let (Some((path, old)), Some((_, new))) = (ia.next(), ib.next()) else { break };
                if new == old {
                    continue;
                }
                let (added, removed) = match (old, new) {
                    (Node::File { hash: ha, .. }, Node::File { hash: hb, .. }) if ha == hb => (Some(0), Some(0)), // mode change only
                    (Node::File { hash: ha, .. }, Node::File { hash: hb, .. }) => match text::line_diff(&get_a(ha, path)?, &get_b(hb, path)?) {
                        Some((x, y)) => (Some(x), Some(y)),
                        None => (None, None),
                    },
                    _ => (Some(1), Some(1)),
                };
                out.push(FileChange { path: path.clone(), status: ChangeStatus::Modified, lines_added: added, lines_removed: removed });
            }
        }
    }
    Ok(out)
}

fn in_scope(path: &str, paths: Option<&[String]>) -> bool {
    match paths {
        None => true,
        Some(ps) => ps.iter().any(|p| {
            let p = p.trim_end_matches('/');
            p.is_empty() || path == p || (path.starts_with(p) && path.as_bytes().get(p.len()) == Some(&b'/'))
        }),
    }
}

/// What restoring `target` over `working` (the current state as a checkpoint sees it)
/// does. A file the target has that `working` lacks but the disk has was left out of the
/// current state (too large, unreadable, ignored): writing over it could never be undone,
/// so it is left alone.
fn plan(root: &Path, working: &Manifest, target: &Manifest, paths: Option<&[String]>) -> RestorePlan {
    let mut plan = RestorePlan::default();
    let on_disk = |path: &str| restore::on_disk(root, path);
    for (path, node) in target {
        if !in_scope(path, paths) {
            continue;
        }
        match working.get(path) {
            None if on_disk(path) => plan.left_alone.push(path.clone()),
            None => plan.create.push(path.clone()),
            Some(w) if w != node => plan.modify.push(path.clone()),
            Some(_) => {}
        }
    }
    for path in working.keys() {
        if in_scope(path, paths) && !target.contains_key(path) {
            plan.delete.push(path.clone());
        }
    }
    plan
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}
