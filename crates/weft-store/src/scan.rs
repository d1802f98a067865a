//! Walking the working tree: which files a checkpoint covers, and their content hashes.
//! A (size, mtime, ctime, inode, mode) index from the previous checkpoint lets unchanged
//! files skip reading and hashing, like git's index.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use crate::manifest::{hash_bytes, Hash, Manifest, Node};
use crate::{walk, Skipped, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub mode: u32,
}

impl Stat {
    pub fn of(m: &fs::Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stat { size: m.len(), mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(), ctime_ns: m.ctime() * 1_000_000_000 + m.ctime_nsec(), ino: m.ino(), mode: m.mode() & 0o7777 }
        }
        #[cfg(not(unix))]
        {
            let ns = |t: std::io::Result<std::time::SystemTime>| t.ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos() as i64).unwrap_or(0);
            let mode = if m.permissions().readonly() { 0o444 } else { 0o644 };
            Stat { size: m.len(), mtime_ns: ns(m.modified()), ctime_ns: ns(m.created()), ino: 0, mode }
        }
    }
}

/// What the last storing scan learnt about a path.
pub type Index = HashMap<String, (Stat, Hash)>;

pub struct ScanOptions<'a> {
    /// Gitignore-style patterns excluded on top of .gitignore.
    pub ignore: &'a [String],
    pub max_file_bytes: u64,
    /// The store's own folder, when the workspace contains it (a home folder opened as a
    /// workspace): snapshotting the database into itself would never settle.
    pub exclude: Option<&'a Path>,
    pub ignores: &'a walk::IgnoreCache,
}

pub struct Scan {
    pub manifest: Manifest,
    pub skipped: Vec<Skipped>,
    pub bytes: u64,
    /// Paths whose content was read in this scan, with their stat (for the index).
    pub read: Vec<(String, Stat, Hash)>,
    /// Files the index knew (same stat): not read.
    pub known: usize,
}

/// Walks `root`. For every file whose stat does not match `index`, calls `on_read` with the
/// content and its hash (the store keeps the blob there).
pub fn scan(root: &Path, opts: &ScanOptions, index: &Index, on_read: &mut dyn FnMut(&str, &[u8], &Hash) -> Result<(), StoreError>) -> Result<Scan, StoreError> {
    let rules = walk::Rules::new(root, opts.ignore, opts.exclude, opts.ignores)?;
    // Listing and lstat-ing is most of an incremental checkpoint, so it runs on every
    // core; reading and storing changed files stays on the caller's thread (it owns the
    // SQLite transaction). Everything per file that needs no transaction happens in the
    // walk, in parallel: the lstat, the relative name, the index lookup.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let mut found = walk::walk(root, &rules, threads, &|rel, path, meta| {
        let known = match (&rel, &meta) {
            (Ok(rel), Ok(m)) if m.is_file() => index.get(rel).filter(|(s, _)| *s == Stat::of(m)).map(|(_, h)| *h),
            _ => None,
        };
        Found::Entry { path, rel, meta, known }
    });
    // Path order: new contents are packed in the order they are read, and neighbours in
    // the tree (one package's sources) compress best together. It also leaves the nodes
    // below already sorted.
    found.sort_unstable_by(|a, b| a.key().cmp(b.key()));

    let mut out = Scan { manifest: Manifest::new(), skipped: Vec::new(), bytes: 0, read: Vec::new(), known: 0 };
    let mut nodes: Vec<(String, Node)> = Vec::with_capacity(found.len());
    for item in found {
        let (path, rel, meta, known) = match item {
            Found::Error(path, reason) => {
                out.skipped.push(Skipped { path, reason });
                continue;
            }
            Found::Entry { path, rel, meta, known } => (path, rel, meta, known),
        };
        let rel = match rel {
            Ok(rel) => rel,
            Err(lossy) => {
                out.skipped.push(Skipped { path: lossy, reason: "the name is not valid UTF-8".into() });
                continue;
            }
        };
        let meta = match meta {
            Ok(m) => m,
            // Deleted between listing and looking: it is simply not in this checkpoint.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                out.skipped.push(Skipped { path: rel, reason: e.to_string() });
                continue;
            }
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            match fs::read_link(&path) {
                Ok(t) => match t.to_str() {
                    Some(t) => nodes.push((rel, Node::Symlink { target: t.to_owned() })),
                    None => out.skipped.push(Skipped { path: rel, reason: "the link target is not valid UTF-8".into() }),
                },
                Err(e) => out.skipped.push(Skipped { path: rel, reason: e.to_string() }),
            }
        } else if ft.is_file() {
            let stat = Stat::of(&meta);
            if stat.size > opts.max_file_bytes {
                out.skipped.push(Skipped { path: rel, reason: format!("larger than the {} MB limit", opts.max_file_bytes / (1024 * 1024)) });
                continue;
            }
            let hash = match known {
                Some(h) => {
                    out.known += 1;
                    h
                }
                None => match fs::read(&path) {
                    Ok(bytes) => {
                        let h = hash_bytes(&bytes);
                        on_read(&rel, &bytes, &h)?;
                        // The stat after reading: a write racing the read changes it, and
                        // then the index entry simply will not match next time.
                        let stat = Stat { size: bytes.len() as u64, ..stat };
                        out.read.push((rel.clone(), stat, h));
                        h
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        out.skipped.push(Skipped { path: rel, reason: e.to_string() });
                        continue;
                    }
                },
            };
            let size = meta.len();
            out.bytes += size;
            nodes.push((rel, Node::File { mode: stat.mode, size, hash }));
        }
        // Directories are implied by their files; sockets and fifos are not content.
    }
    // Sorted first, the map is built in one pass instead of 10k searching inserts.
    nodes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.manifest = nodes.into_iter().collect();
    Ok(out)
}

pub(crate) enum Found {
    Entry { path: std::path::PathBuf, rel: Result<String, String>, meta: std::io::Result<fs::Metadata>, known: Option<Hash> },
    Error(String, String),
}

impl Found {
    fn key(&self) -> &str {
        match self {
            Found::Entry { rel: Ok(r) | Err(r), .. } => r,
            Found::Error(path, _) => path,
        }
    }
}

