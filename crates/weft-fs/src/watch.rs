//! Reports changes made on disk by anyone (other programs, a terminal, git) as batches of
//! workspace-relative paths.
//!
//! On Linux each non-ignored directory gets its own inotify watch, so `node_modules` or
//! `target` never exhaust the user's watch limit; a directory that appears later is
//! watched and scanned at once (files created in it before the watch existed are reported
//! too). Elsewhere the platform watcher is recursive by nature and we filter its events.
//! Events are coalesced: a batch goes out once the workspace has been quiet for
//! `debounce`, or at the latest after `max_delay` during a long burst.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use notify::{EventKind, RecursiveMode, Watcher as _};
use serde::Serialize;

use crate::{FsError, Result, Workspace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FsChangeKind {
    Created,
    Modified,
    Removed,
    /// Events were lost (the kernel queue overflowed): everything should be re-read.
    Rescan,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FsChange {
    pub path: String,
    pub kind: FsChangeKind,
    pub is_dir: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    pub debounce: Duration,
    pub max_delay: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self { debounce: Duration::from_millis(40), max_delay: Duration::from_millis(300) }
    }
}

/// Dropping the watcher stops it.
pub struct Watcher {
    inner: Inner,
}

enum Inner {
    Os { _watcher: Arc<Mutex<notify::RecommendedWatcher>>, ready: Arc<(Mutex<bool>, std::sync::Condvar)> },
    Fake(#[allow(dead_code)] crate::fs::FakeSubscription),
}

impl Watcher {
    /// Reports the workspace's changes as its file system sees them (the OS watcher, or a
    /// test's [`crate::FakeFs`]).
    pub fn start(ws: Workspace, opts: WatchOptions, on_batch: impl Fn(Vec<FsChange>) + Send + Sync + 'static) -> Result<Self> {
        let fs = ws.fs().clone();
        fs.watch(ws, opts, Box::new(on_batch))
    }

    pub(crate) fn fake(sub: crate::fs::FakeSubscription) -> Self {
        Watcher { inner: Inner::Fake(sub) }
    }

    pub(crate) fn os(ws: Workspace, opts: WatchOptions, on_batch: crate::fs::OnBatch) -> Result<Self> {
        let (tx, rx) = mpsc::channel();
        let inner = notify::recommended_watcher(move |res| {
            let _ = tx.send(res);
        })
        .map_err(|e| FsError::Io { op: "watch", path: String::new(), source: std::io::Error::other(e.to_string()) })?;
        let inner = Arc::new(Mutex::new(inner));
        let per_dir = cfg!(target_os = "linux");
        {
            let mut w = inner.lock().map_err(|_| FsError::Io { op: "watch", path: String::new(), source: std::io::Error::other("poisoned") })?;
            if per_dir {
                w.watch(ws.root(), RecursiveMode::NonRecursive)
            } else {
                w.watch(ws.root(), RecursiveMode::Recursive)
            }
            .map_err(|e| FsError::Io { op: "watch", path: String::new(), source: std::io::Error::other(e.to_string()) })?;
        }
        let weak = Arc::downgrade(&inner);
        let ready: Arc<(Mutex<bool>, std::sync::Condvar)> = Arc::default();
        let signal = ready.clone();
        std::thread::Builder::new()
            .name("weft-fs-watch".into())
            .spawn(move || {
                let mut state = WatchState { ws, per_dir, watcher: weak, ignores: HashMap::new() };
                if per_dir {
                    // Watch the existing tree in the background so opening is instant.
                    let root = state.ws.root().to_path_buf();
                    state.watch_dirs(&root);
                }
                if let Ok(mut r) = signal.0.lock() {
                    *r = true;
                    signal.1.notify_all();
                }
                run(state, rx, opts, on_batch);
            })
            .map_err(|e| FsError::Io { op: "watch", path: String::new(), source: e })?;
        Ok(Self { inner: Inner::Os { _watcher: inner, ready } })
    }

    /// Waits until every existing directory is watched (start() returns before that, so
    /// opening a large tree is instant). Returns false on timeout.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let Inner::Os { ready, .. } = &self.inner else { return true };
        let (m, cv) = &**ready;
        let Ok(guard) = m.lock() else { return false };
        cv.wait_timeout_while(guard, timeout, |r| !*r).map(|(r, _)| *r).unwrap_or(false)
    }
}

struct WatchState {
    ws: Workspace,
    per_dir: bool,
    watcher: Weak<Mutex<notify::RecommendedWatcher>>,
    /// Parsed .gitignore per directory (None: the directory has none).
    ignores: HashMap<PathBuf, Option<Gitignore>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hint {
    Created,
    Other,
}

fn run(
    mut state: WatchState,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
    opts: WatchOptions,
    on_batch: impl Fn(Vec<FsChange>),
) {
    let mut pending: BTreeMap<PathBuf, Hint> = BTreeMap::new();
    let mut rescan = false;
    let mut first_at: Option<Instant> = None;
    loop {
        // A receive timeout means the workspace was quiet for `debounce` (or the burst
        // reached `max_delay`): that is when a batch goes out.
        let timeout = match first_at {
            None => Duration::from_secs(3600),
            Some(t) => opts.debounce.min(opts.max_delay.saturating_sub(t.elapsed())),
        };
        let flush = match rx.recv_timeout(timeout) {
            Ok(Ok(event)) => {
                rescan |= event.need_rescan();
                state.absorb(event, &mut pending);
                first_at.get_or_insert_with(Instant::now);
                first_at.is_some_and(|t| t.elapsed() >= opts.max_delay)
            }
            Ok(Err(_)) => {
                rescan = true;
                first_at.get_or_insert_with(Instant::now);
                false
            }
            Err(RecvTimeoutError::Timeout) => first_at.is_some(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if !flush {
            continue;
        }
        first_at = None;
        let mut batch: Vec<FsChange> = std::mem::take(&mut pending)
            .into_iter()
            .filter_map(|(path, hint)| {
                let rel = state.ws.relative(&path)?;
                if rel.is_empty() {
                    return None;
                }
                let meta = std::fs::symlink_metadata(&path).ok();
                let kind = match (&meta, hint) {
                    (None, _) => FsChangeKind::Removed,
                    (Some(_), Hint::Created) => FsChangeKind::Created,
                    (Some(_), Hint::Other) => FsChangeKind::Modified,
                };
                Some(FsChange { path: rel, kind, is_dir: meta.is_some_and(|m| m.is_dir()) })
            })
            .collect();
        if std::mem::take(&mut rescan) {
            batch.push(FsChange { path: String::new(), kind: FsChangeKind::Rescan, is_dir: true });
        }
        if !batch.is_empty() {
            on_batch(batch);
        }
    }
}

impl WatchState {
    fn absorb(&mut self, event: notify::Event, pending: &mut BTreeMap<PathBuf, Hint>) {
        use notify::event::{ModifyKind, RenameMode};
        let hint = match event.kind {
            EventKind::Access(_) => return,
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => Hint::Created,
            _ => Hint::Other,
        };
        let both = matches!(event.kind, EventKind::Modify(ModifyKind::Name(RenameMode::Both)));
        for (i, path) in event.paths.into_iter().enumerate() {
            if self.ignored(&path) {
                continue;
            }
            if path.file_name().is_some_and(|n| n == ".gitignore") {
                self.ignores.clear();
            }
            // In a "both" rename the second path is the destination.
            let hint = if both && i == 1 { Hint::Created } else { hint };
            if hint == Hint::Created && self.per_dir && path.is_dir() {
                self.watch_tree(&path, Some(pending));
            }
            let slot = pending.entry(path).or_insert(hint);
            if hint == Hint::Created {
                *slot = Hint::Created;
            }
        }
    }

    /// Watches every non-ignored directory below `dir` (which is already watched). Only
    /// directories are matched against .gitignore: files are never looked at, which
    /// keeps the start-up walk of a large tree from competing with the window for CPU.
    fn watch_dirs(&mut self, dir: &Path) {
        let Some(watcher) = self.watcher.upgrade() else { return };
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for entry in entries.flatten() {
                if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                let path = entry.path();
                if self.ignored(&path) {
                    continue;
                }
                if let Ok(mut w) = watcher.lock() {
                    let _ = w.watch(&path, RecursiveMode::NonRecursive);
                }
                stack.push(path);
            }
        }
    }

    /// Watches `dir` and every non-ignored directory below it. With `report`, also records
    /// everything found as created: those entries may have appeared before the watch.
    fn watch_tree(&mut self, dir: &Path, mut report: Option<&mut BTreeMap<PathBuf, Hint>>) {
        let Some(watcher) = self.watcher.upgrade() else { return };
        for entry in crate::tree::walker(dir).build() {
            let Ok(entry) = entry else { continue };
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir {
                if let Ok(mut w) = watcher.lock() {
                    let _ = w.watch(entry.path(), RecursiveMode::NonRecursive);
                }
            }
            if entry.depth() > 0 {
                if let Some(r) = report.as_deref_mut() {
                    r.insert(entry.path().to_path_buf(), Hint::Created);
                }
            }
        }
    }

    fn ignored(&mut self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(self.ws.root()) else { return true };
        if rel.components().any(|c| c.as_os_str() == ".git") {
            return true;
        }
        if path.file_name().is_some_and(|n| crate::io::is_temp_name(&n.to_string_lossy())) {
            return true;
        }
        let is_dir = path.is_dir();
        // Deepest .gitignore first: the closest rule wins, as in git.
        let mut dir = path.parent();
        while let Some(d) = dir {
            if !d.starts_with(self.ws.root()) {
                break;
            }
            if let Some(gi) = self.gitignore_of(d) {
                let m = gi.matched_path_or_any_parents(path, is_dir);
                if m.is_ignore() {
                    return true;
                }
                if m.is_whitelist() {
                    return false;
                }
            }
            dir = d.parent();
        }
        false
    }

    fn gitignore_of(&mut self, dir: &Path) -> Option<&Gitignore> {
        self.ignores
            .entry(dir.to_path_buf())
            .or_insert_with(|| {
                let file = dir.join(".gitignore");
                if !file.is_file() {
                    return None;
                }
                let mut b = GitignoreBuilder::new(dir);
                b.add(&file);
                b.build().ok()
            })
            .as_ref()
    }
}
