//! Where a workspace's change events come from. [`RealFs`] is the OS watcher (see
//! `watch.rs`), which sees every change, Weft's own saves included, some tens of
//! milliseconds later. [`FakeFs`] works on the same real files but reports a change the
//! moment it is made through it (Weft's own writes, and a test's "other program" writes),
//! or, paused, holds the reports until the test flushes them: a test decides the order in
//! which saves, outside writes and their events arrive, instead of sleeping and hoping.
//! (Zed's `FakeFs` is the model; ours keeps real files, so the jail, encodings and atomic
//! writes under test are the real ones.)

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::{FsChange, FsChangeKind, Result, WatchOptions, Watcher, Workspace};

/// A batch of changes, as the watcher delivers it.
pub type OnBatch = Box<dyn Fn(Vec<FsChange>) + Send + Sync + 'static>;

pub trait Fs: Send + Sync + 'static {
    /// Weft itself changed these host paths (a save, a create, a rename, a delete). The OS
    /// watcher notices on its own; a fake one reports them from here.
    fn touched(&self, _paths: &[&Path]) {}

    /// Starts reporting changes under the workspace's root until the watcher is dropped.
    fn watch(&self, ws: Workspace, opts: WatchOptions, on_batch: OnBatch) -> Result<Watcher>;
}

impl std::fmt::Debug for dyn Fs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fs")
    }
}

/// The disk and the platform's watcher.
#[derive(Debug, Default)]
pub struct RealFs;

impl Fs for RealFs {
    fn watch(&self, ws: Workspace, opts: WatchOptions, on_batch: OnBatch) -> Result<Watcher> {
        Watcher::os(ws, opts, on_batch)
    }
}

#[derive(Default)]
struct FakeState {
    paused: bool,
    /// Changed paths in the order they changed (each once), and whether any change made it.
    queue: Vec<(PathBuf, bool)>,
    subscribers: Vec<(u64, Workspace, Arc<OnBatch>)>,
    next_id: u64,
    delivered: usize,
}

/// Real files, change reports under the test's control. See the module docs.
#[derive(Default)]
pub struct FakeFs {
    state: Arc<Mutex<FakeState>>,
}

impl FakeFs {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds every report from now on until [`FakeFs::flush`] (or `resume`).
    pub fn pause(&self) {
        self.lock().paused = true;
    }

    /// Reports whatever is held and stops holding.
    pub fn resume(&self) {
        self.lock().paused = false;
        self.flush();
    }

    /// Changes held, not yet reported.
    pub fn pending(&self) -> usize {
        self.lock().queue.len()
    }

    /// Changes reported so far, to every subscriber (a test's "has it arrived yet").
    pub fn delivered(&self) -> usize {
        self.lock().delivered
    }

    /// Reports what is held now, as one batch, on the caller's thread; returns how many
    /// changes. Kinds are read from the disk as the real watcher reads them: gone is
    /// Removed, a path that came into being is Created, anything else Modified.
    pub fn flush(&self) -> usize {
        let (queue, subscribers) = {
            let mut s = self.lock();
            (std::mem::take(&mut s.queue), s.subscribers.clone())
        };
        if queue.is_empty() {
            return 0;
        }
        for (_, ws, on_batch) in &subscribers {
            let batch: Vec<FsChange> = queue
                .iter()
                .filter_map(|(path, created)| {
                    let rel = ws.relative(path).filter(|r| !r.is_empty())?;
                    if rel.split('/').any(|c| c == ".git") || path.file_name().is_some_and(|n| crate::io::is_temp_name(&n.to_string_lossy())) {
                        return None;
                    }
                    let meta = std::fs::symlink_metadata(path).ok();
                    let kind = match (&meta, created) {
                        (None, _) => FsChangeKind::Removed,
                        (Some(_), true) => FsChangeKind::Created,
                        (Some(_), false) => FsChangeKind::Modified,
                    };
                    Some(FsChange { path: rel, kind, is_dir: meta.is_some_and(|m| m.is_dir()) })
                })
                .collect();
            if !batch.is_empty() {
                on_batch(batch);
            }
        }
        self.lock().delivered += queue.len();
        queue.len()
    }

    fn changed(&self, paths: &[(&Path, bool)]) {
        let paused = {
            let mut s = self.lock();
            for (p, created) in paths {
                match s.queue.iter_mut().find(|(q, _)| q == p) {
                    Some(slot) => slot.1 |= created,
                    None => s.queue.push((p.to_path_buf(), *created)),
                }
            }
            s.paused
        };
        if !paused {
            self.flush();
        }
    }

    /// Another program writes `path` (not atomically: in place, as `sed -i` or a build
    /// would look to a reader; the report follows).
    pub fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let created = !path.exists();
        std::fs::write(path, bytes)?;
        self.changed(&[(path, created)]);
        Ok(())
    }

    /// Another program deletes `path` (a file).
    pub fn remove(&self, path: &Path) -> std::io::Result<()> {
        std::fs::remove_file(path)?;
        self.changed(&[(path, false)]);
        Ok(())
    }

    /// Another program moves `from` to `to` (`git mv`, `mv`).
    pub fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::rename(from, to)?;
        self.changed(&[(from, false), (to, true)]);
        Ok(())
    }
}

impl Fs for FakeFs {
    fn touched(&self, paths: &[&Path]) {
        // Whether a path came into being is not known here; the disk says at flush time
        // whether it is gone. A created file reported as modified is what the OS watcher
        // does too when its create and write events coalesce.
        // (`changed` keeps each path once.)
        let list: Vec<(&Path, bool)> = paths.iter().map(|p| (*p, false)).collect();
        self.changed(&list);
    }

    fn watch(&self, ws: Workspace, _opts: WatchOptions, on_batch: OnBatch) -> Result<Watcher> {
        let mut s = self.lock();
        s.next_id += 1;
        let id = s.next_id;
        s.subscribers.push((id, ws, Arc::new(on_batch)));
        Ok(Watcher::fake(FakeSubscription { id, state: Arc::downgrade(&self.state) }))
    }
}

/// Removes its subscriber when the watcher is dropped.
pub(crate) struct FakeSubscription {
    id: u64,
    state: std::sync::Weak<Mutex<FakeState>>,
}

impl Drop for FakeSubscription {
    fn drop(&mut self) {
        if let Some(s) = self.state.upgrade() {
            s.lock().unwrap_or_else(|p| p.into_inner()).subscribers.retain(|(id, _, _)| *id != self.id);
        }
    }
}
