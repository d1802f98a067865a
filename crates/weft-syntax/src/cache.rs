//! The symbol index kept between sessions: one SQLite file per folder (in the data
//! directory), a row per file with the size, modification time and content hash it was
//! indexed at and its entry, so reopening a folder parses only what changed. A file whose
//! time changed but whose bytes did not (a checkout, a `touch`) is hashed, not parsed.
//! The rows are dropped whole when the grammars or the entry format change.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection};

use crate::index::{FlatSymbol, IndexedFile};
use crate::Lang;

/// Bump when the entry's encoding or what goes into it (outline rules) changes.
const FORMAT: u32 = 1;

/// One file as the cache last saw it.
pub struct Row {
    pub size: u64,
    pub mtime_ns: i64,
    pub hash: u64,
    pub entry: Vec<u8>,
}

pub struct IndexCache {
    conn: Mutex<Connection>,
}

/// What the grammars compiled in are: a change of any (a new grammar version) changes
/// what files parse to, so the cached entries no longer hold.
fn grammars() -> String {
    let mut h = 0xcbf29ce484222325u64;
    for l in Lang::ALL {
        let g = l.language();
        for n in [g.abi_version() as u64, g.node_kind_count() as u64, g.field_count() as u64, g.parse_state_count() as u64] {
            h = (h ^ n).wrapping_mul(0x100000001b3);
        }
    }
    format!("{FORMAT}:{}:{h:016x}", env!("CARGO_PKG_VERSION"))
}

impl IndexCache {
    /// Opens (or creates) the cache file; a cache from other grammars is emptied.
    pub fn open(path: &Path) -> Result<IndexCache, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let conn = Connection::open(path).map_err(|e| e.to_string())?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash INTEGER NOT NULL, entry BLOB NOT NULL);",
        )
        .map_err(|e| e.to_string())?;
        let want = grammars();
        let have: Option<String> = conn.query_row("SELECT value FROM meta WHERE key = 'grammars'", [], |r| r.get(0)).ok();
        if have.as_deref() != Some(&want) {
            conn.execute_batch("DELETE FROM files;").map_err(|e| e.to_string())?;
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('grammars', ?1)", params![want]).map_err(|e| e.to_string())?;
        }
        Ok(IndexCache { conn: Mutex::new(conn) })
    }

    pub fn load(&self) -> HashMap<String, Row> {
        let Ok(conn) = self.conn.lock() else { return HashMap::new() };
        let Ok(mut q) = conn.prepare("SELECT path, size, mtime_ns, hash, entry FROM files") else { return HashMap::new() };
        let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, Row { size: r.get::<_, i64>(1)? as u64, mtime_ns: r.get(2)?, hash: r.get::<_, i64>(3)? as u64, entry: r.get(4)? })));
        match rows {
            Ok(rows) => rows.filter_map(Result::ok).collect(),
            Err(_) => HashMap::new(),
        }
    }

    /// Writes the rows that changed and drops those of files gone, in one transaction.
    pub fn save(&self, changed: &[(String, Row)], removed: &[String]) -> Result<(), String> {
        if changed.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.lock().map_err(|e| e.to_string())?;
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        {
            let mut put = tx.prepare("INSERT OR REPLACE INTO files (path, size, mtime_ns, hash, entry) VALUES (?1, ?2, ?3, ?4, ?5)").map_err(|e| e.to_string())?;
            for (path, r) in changed {
                put.execute(params![path, r.size as i64, r.mtime_ns, r.hash as i64, r.entry]).map_err(|e| e.to_string())?;
            }
            let mut del = tx.prepare("DELETE FROM files WHERE path = ?1").map_err(|e| e.to_string())?;
            for path in removed {
                del.execute(params![path]).map_err(|e| e.to_string())?;
            }
        }
        tx.commit().map_err(|e| e.to_string())
    }
}

/// A file's content hash (FNV-1a over 8-byte words: fast, stable across runs).
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf29ce484222325u64 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = (h ^ u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).wrapping_mul(0x100000001b3);
        h ^= h >> 29;
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    h
}

// ---- the entry's encoding: varints and length-prefixed strings ------------------------

fn put_u(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_s(out: &mut Vec<u8>, s: &str) {
    put_u(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub fn encode(f: &IndexedFile) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + f.symbols.len() * 48 + f.refs.len() * 10);
    out.push(Lang::ALL.iter().position(|l| *l == f.lang).unwrap_or(0) as u8);
    put_u(&mut out, f.symbols.len() as u64);
    for s in &f.symbols {
        put_s(&mut out, &s.name);
        put_s(&mut out, &s.kind);
        put_s(&mut out, &s.detail);
        match &s.container {
            Some(c) => {
                out.push(1);
                put_s(&mut out, c);
            }
            None => out.push(0),
        }
        put_u(&mut out, u64::from(s.line));
        put_u(&mut out, u64::from(s.column));
        put_u(&mut out, s.parents.len() as u64);
        for (line, col, d) in &s.parents {
            put_u(&mut out, u64::from(*line));
            put_u(&mut out, u64::from(*col));
            put_s(&mut out, d);
        }
    }
    put_u(&mut out, f.refs.len() as u64);
    let mut last = 0u64;
    for (h, n) in &f.refs {
        // Sorted by hash: the gaps are smaller than the hashes.
        put_u(&mut out, h.wrapping_sub(last));
        last = *h;
        put_u(&mut out, u64::from(*n));
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first()?;
            self.0 = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }
    fn s(&mut self) -> Option<String> {
        let n = self.u()? as usize;
        if n > self.0.len() {
            return None;
        }
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8(s.to_vec()).ok()
    }
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
}

/// None for bytes that are not an entry (a damaged row is parsed again, not trusted).
pub fn decode(bytes: &[u8]) -> Option<IndexedFile> {
    let mut r = Reader(bytes);
    let lang = *Lang::ALL.get(r.byte()? as usize)?;
    let n = r.u()? as usize;
    let mut symbols = Vec::with_capacity(n.min(100_000));
    for _ in 0..n {
        let (name, kind, detail) = (r.s()?, r.s()?, r.s()?);
        let container = if r.byte()? == 1 { Some(r.s()?) } else { None };
        let (line, column) = (u32::try_from(r.u()?).ok()?, u32::try_from(r.u()?).ok()?);
        let np = r.u()? as usize;
        let mut parents = Vec::with_capacity(np.min(64));
        for _ in 0..np {
            parents.push((u32::try_from(r.u()?).ok()?, u32::try_from(r.u()?).ok()?, r.s()?));
        }
        symbols.push(FlatSymbol { name, kind, detail, container, line, column, parents });
    }
    let nr = r.u()? as usize;
    let mut refs = Vec::with_capacity(nr.min(1_000_000));
    let mut last = 0u64;
    for _ in 0..nr {
        last = last.wrapping_add(r.u()?);
        refs.push((last, u32::try_from(r.u()?).ok()?));
    }
    r.0.is_empty().then_some(IndexedFile { lang, symbols, refs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_a_damaged_one_is_refused() {
        let text = "pub struct A { x: u32 }\nimpl A {\n    fn f(&self) {}\n}\n";
        let mut parser = tree_sitter::Parser::new();
        let f = crate::index::index_text(&mut parser, Lang::Rust, text).expect("parse");
        let bytes = encode(&f);
        let back = decode(&bytes).expect("decode");
        assert_eq!((back.lang, &back.symbols, &back.refs), (f.lang, &f.symbols, &f.refs));
        for cut in 1..bytes.len() {
            assert!(decode(&bytes[..bytes.len() - cut]).is_none(), "cut by {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_none(), "trailing bytes");
        assert_ne!(content_hash(b"abcdefgh1"), content_hash(b"abcdefgh2"));
        assert_ne!(content_hash(b""), content_hash(b"\0"));
    }
}
