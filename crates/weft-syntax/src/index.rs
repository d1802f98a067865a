//! The workspace symbol index (Go to symbol in workspace) and the raw material of the
//! repo map: per file, the symbols it defines and the identifiers it uses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use serde::{Deserialize, Serialize};
use tree_sitter::{Parser, Tree};

use crate::outline::{self, is_definition, Symbol};
use crate::Lang;

/// One definition, flattened out of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatSymbol {
    pub name: String,
    pub kind: String,
    pub detail: String,
    pub container: Option<String>,
    pub line: u32,
    pub column: u32,
    /// Lines of the enclosing items (an impl, a class), outermost first, for context.
    pub parents: Vec<(u32, u32, String)>,
}

pub struct IndexedFile {
    pub lang: Lang,
    pub symbols: Vec<FlatSymbol>,
    /// Hashes of the identifiers the file uses, with counts, sorted by hash.
    pub refs: Vec<(u64, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SymbolHit {
    pub path: String,
    pub name: String,
    pub kind: String,
    pub detail: String,
    pub container: Option<String>,
    pub line: u32,
    pub column: u32,
    pub indices: Vec<u32>,
    /// Who found it when not the index: the language server's name.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IndexStats {
    pub files: u32,
    pub symbols: u32,
    pub skipped: u32,
    /// Of `files`, how many were parsed (the rest came from the cache of the last session).
    pub parsed: u32,
    /// The build was stopped before the end (what it had parsed is cached).
    pub cancelled: bool,
}

/// How a cached build treated one file.
enum Got {
    /// From the cache as it was.
    Kept(IndexedFile),
    /// From the cache, its row to be written again (its time changed, its bytes did not).
    Touched(IndexedFile, crate::cache::Row),
    Parsed(IndexedFile, crate::cache::Row),
}

/// Whether a modification time is too recent to trust: a write within the same tick of the
/// file system's clock could follow without changing it (git's "racy clean"). Such a file is
/// cached with no time, so the next session hashes it.
fn racy(mtime: std::time::SystemTime) -> bool {
    std::time::SystemTime::now().duration_since(mtime).map_or(true, |d| d < std::time::Duration::from_secs(2))
}

pub struct SymbolIndex {
    root: PathBuf,
    max_bytes: u64,
    files: RwLock<HashMap<String, Arc<IndexedFile>>>,
}

impl SymbolIndex {
    /// Files larger than `max_bytes` are not analysed (they are generated or data).
    pub fn new(root: &Path, max_bytes: u64) -> Self {
        Self { root: root.to_path_buf(), max_bytes, files: RwLock::default() }
    }

    /// Indexes the given workspace-relative paths on all cores, replacing what was there.
    pub fn build(&self, paths: &[String]) -> IndexStats {
        self.build_with_threads(paths, std::thread::available_parallelism().map_or(2, |n| n.get()).min(8))
    }

    pub fn build_with_threads(&self, paths: &[String], threads: usize) -> IndexStats {
        let results = on_threads(paths, threads, &|| false, &|parser, path| self.read(parser, path));
        let mut map = HashMap::new();
        let mut stats = IndexStats::default();
        for (path, f) in results {
            stats.files += 1;
            stats.parsed += 1;
            stats.symbols += f.symbols.len() as u32;
            map.insert(path, Arc::new(f));
        }
        stats.skipped = paths.len() as u32 - stats.files;
        if let Ok(mut files) = self.files.write() {
            *files = map;
        }
        stats
    }

    /// [`SymbolIndex::build`] through a cache of the last session: a file with the size and
    /// time it had then is not read; one whose bytes hash the same is not parsed; the rest
    /// are, and the cache is brought up to date (rows of files gone are dropped). `progress`
    /// hears (done, total) every few hundred files; `cancel` stops the build, keeping the
    /// index as it was and caching what was parsed, so the next build goes on from there.
    pub fn build_cached(&self, paths: &[String], cache: &crate::cache::IndexCache, threads: usize, cancel: Option<&std::sync::atomic::AtomicBool>, progress: Option<&(dyn Fn(usize, usize) + Sync)>) -> IndexStats {
        let rows = cache.load();
        let done = AtomicUsize::new(0);
        let stopped = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        let results = on_threads(paths, threads, &stopped, &|parser, path| {
            let got = self.read_cached(parser, path, rows.get(path));
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(p) = progress.filter(|_| n % 256 == 0) {
                p(n, paths.len());
            }
            got
        });
        let cancelled = stopped();
        let mut map = HashMap::new();
        let mut stats = IndexStats { cancelled, ..IndexStats::default() };
        let mut changed = Vec::new();
        for (path, got) in results {
            let f = match got {
                Got::Kept(f) => f,
                Got::Touched(f, row) => {
                    changed.push((path.clone(), row));
                    f
                }
                Got::Parsed(f, row) => {
                    stats.parsed += 1;
                    changed.push((path.clone(), row));
                    f
                }
            };
            stats.files += 1;
            stats.symbols += f.symbols.len() as u32;
            map.insert(path, Arc::new(f));
        }
        // Files gone (or no longer indexed) leave the cache; a stopped build knows too
        // little to say which.
        let removed: Vec<String> = if cancelled { vec![] } else { rows.keys().filter(|p| !map.contains_key(*p)).cloned().collect() };
        if let Err(e) = cache.save(&changed, &removed) {
            tracing::warn!("symbol index cache: {e}");
        }
        if cancelled {
            return stats;
        }
        stats.skipped = paths.len() as u32 - stats.files;
        if let Ok(mut files) = self.files.write() {
            *files = map;
        }
        stats
    }

    fn read_cached(&self, parser: &mut Parser, rel: &str, row: Option<&crate::cache::Row>) -> Option<Got> {
        let lang = Lang::detect(rel, "")?;
        let path = self.root.join(rel);
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > self.max_bytes {
            return None;
        }
        let mtime = meta.modified().ok();
        let mtime_ns = match mtime {
            Some(t) if !racy(t) => t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64),
            _ => 0,
        };
        if let Some(r) = row.filter(|r| r.size == meta.len() && r.mtime_ns == mtime_ns && mtime_ns != 0) {
            if let Some(f) = crate::cache::decode(&r.entry) {
                return Some(Got::Kept(f));
            }
        }
        let bytes = std::fs::read(&path).ok()?;
        let hash = crate::cache::content_hash(&bytes);
        if let Some(r) = row.filter(|r| r.hash == hash) {
            if let Some(f) = crate::cache::decode(&r.entry) {
                let row = crate::cache::Row { size: meta.len(), mtime_ns, hash, entry: r.entry.clone() };
                return Some(Got::Touched(f, row));
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let f = index_text(parser, lang, &text)?;
        let row = crate::cache::Row { size: meta.len(), mtime_ns, hash, entry: crate::cache::encode(&f) };
        Some(Got::Parsed(f, row))
    }

    fn read(&self, parser: &mut Parser, rel: &str) -> Option<IndexedFile> {
        let lang = Lang::detect(rel, "")?;
        let path = self.root.join(rel);
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > self.max_bytes {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        let text = String::from_utf8_lossy(&bytes);
        index_text(parser, lang, &text)
    }

    /// Re-reads one file after it changed on disk; a file that is gone, or is no longer
    /// something we analyse, leaves the index.
    pub fn update_path(&self, rel: &str) {
        let mut parser = Parser::new();
        let entry = self.read(&mut parser, rel);
        self.put(rel, entry);
    }

    /// Takes an open editor's text in place of the file on disk.
    pub fn update_text(&self, rel: &str, lang: Lang, tree: &Tree, text: &str) {
        let f = from_tree(lang, tree, text);
        self.put(rel, Some(f));
    }

    /// Drops a path, or every path under it when it was a directory.
    pub fn remove(&self, rel: &str) {
        if let Ok(mut files) = self.files.write() {
            let prefix = format!("{}/", rel.trim_end_matches('/'));
            files.retain(|p, _| p != rel && !p.starts_with(&prefix));
        }
    }

    fn put(&self, rel: &str, entry: Option<IndexedFile>) {
        if let Ok(mut files) = self.files.write() {
            match entry {
                Some(f) => files.insert(rel.to_string(), Arc::new(f)),
                None => files.remove(rel),
            };
        }
    }

    pub fn stats(&self) -> IndexStats {
        let files = self.files.read().map(|f| f.clone()).unwrap_or_default();
        IndexStats { files: files.len() as u32, symbols: files.values().map(|f| f.symbols.len() as u32).sum(), ..IndexStats::default() }
    }

    /// A snapshot of the index, sorted by path.
    pub fn snapshot(&self) -> Vec<(String, Arc<IndexedFile>)> {
        let mut all: Vec<_> = self.files.read().map(|f| f.iter().map(|(p, f)| (p.clone(), f.clone())).collect()).unwrap_or_default();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Definitions whose name matches the query fuzzily, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SymbolHit> {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut indices = Vec::new();
        let mut hits: Vec<(u32, SymbolHit)> = Vec::new();
        for (path, f) in self.snapshot() {
            for s in f.symbols.iter().filter(|s| is_definition(&s.kind)) {
                indices.clear();
                let score = if query.trim().is_empty() {
                    Some(0)
                } else {
                    pattern.indices(Utf32Str::new(&s.name, &mut buf), &mut matcher, &mut indices)
                };
                if let Some(score) = score {
                    indices.sort_unstable();
                    indices.dedup();
                    let hit = SymbolHit {
                        path: path.clone(),
                        name: s.name.clone(),
                        kind: s.kind.clone(),
                        detail: s.detail.clone(),
                        container: s.container.clone(),
                        line: s.line,
                        column: s.column,
                        indices: indices.clone(),
                        source: None,
                    };
                    hits.push((score, hit));
                }
            }
        }
        hits.sort_by(|(sa, a), (sb, b)| sb.cmp(sa).then(a.name.len().cmp(&b.name.len())).then(a.path.cmp(&b.path)).then(a.line.cmp(&b.line)));
        hits.truncate(limit);
        hits.into_iter().map(|(_, h)| h).collect()
    }
}

/// `each` over `paths` on `threads` threads (a parser each), until done or `stop` says so;
/// the paths it gave something for, with what it gave.
fn on_threads<T: Send>(paths: &[String], threads: usize, stop: &(dyn Fn() -> bool + Sync), each: &(dyn Fn(&mut Parser, &String) -> Option<T> + Sync)) -> Vec<(String, T)> {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut parser = Parser::new();
                    let mut out = Vec::new();
                    while !stop() {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        if let Some(v) = each(&mut parser, path) {
                            out.push((path.clone(), v));
                        }
                    }
                    out
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).flatten().collect()
    })
}

/// Parses one file's text into an index entry.
pub fn index_text(parser: &mut Parser, lang: Lang, text: &str) -> Option<IndexedFile> {
    parser.set_language(&lang.language()).ok()?;
    let tree = parser.parse(text, None)?;
    Some(from_tree(lang, &tree, text))
}

fn from_tree(lang: Lang, tree: &Tree, text: &str) -> IndexedFile {
    // The index never talks to the editor, so no UTF-16 offsets are needed.
    let outline = outline::extract(lang, tree, text, &|_| 0);
    let mut symbols = Vec::new();
    flatten(&outline, &mut Vec::new(), &mut symbols);
    IndexedFile { lang, symbols, refs: identifiers(tree, text) }
}

fn flatten(items: &[Symbol], parents: &mut Vec<(u32, u32, String)>, out: &mut Vec<FlatSymbol>) {
    for s in items {
        out.push(FlatSymbol {
            name: s.name.clone(),
            kind: s.kind.clone(),
            detail: s.detail.clone(),
            container: parents.last().map(|p| p.2.clone()),
            line: s.line,
            column: s.column,
            parents: parents.clone(),
        });
        if !s.children.is_empty() {
            parents.push((s.line, s.column, s.detail.clone()));
            flatten(&s.children, parents, out);
            parents.pop();
        }
    }
}

/// Every identifier-like leaf, hashed and counted: who uses which names.
fn identifiers(tree: &Tree, text: &str) -> Vec<(u64, u32)> {
    let mut counts: HashMap<u64, u32> = HashMap::new();
    crate::text::walk(tree, |node| {
        let kind = node.kind();
        if node.child_count() == 0 && (kind.ends_with("identifier") || kind == "constant") {
            if let Some(t) = text.get(node.byte_range()) {
                *counts.entry(name_hash(t)).or_insert(0) += 1;
            }
        }
        true
    });
    let mut refs: Vec<(u64, u32)> = counts.into_iter().collect();
    refs.sort_unstable();
    refs
}

/// FNV-1a: stable across runs, good enough to tell identifiers apart.
pub(crate) fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}
