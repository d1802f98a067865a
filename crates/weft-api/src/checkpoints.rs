//! Checkpoints of the open workspace: its store, and the activity capture that takes a
//! checkpoint once the workspace has gone quiet after changes from any source, so a build
//! script or a `sed -i` in the terminal is captured as surely as an editor save.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::{info, warn};
use weft_store::{Checkpoint, Origin, Retention, Store, StoreError, StoreOptions};

use crate::{AppPaths, Settings, Stream};

pub fn store_options(s: &Settings) -> StoreOptions {
    StoreOptions { ignore: s.checkpoint_ignore.clone(), max_file_bytes: u64::from(s.checkpoint_max_file_mb) * 1024 * 1024 }
}

pub fn retention(s: &Settings) -> Retention {
    Retention { keep_days: s.checkpoint_keep_days, keep_max: s.checkpoint_keep_max }
}

/// The store of the workspace at `root`, in the app's data directory (never inside the
/// workspace), with the user's checkpoint settings.
pub fn open_store(paths: &AppPaths, root: &Path) -> Result<Store, StoreError> {
    let (settings, _) = crate::settings::load(&paths.settings_file());
    Store::open(&Store::db_path(&paths.data_dir, root), root, store_options(&settings))
}

/// Prune and collect garbage after this many new automatic checkpoints.
const PRUNE_EVERY: u32 = 25;

/// Takes automatic checkpoints (the folder-open baseline and the activity ones) with the
/// user's settings as they are at that moment.
struct Taker {
    store: Arc<Store>,
    paths: AppPaths,
    listeners: Arc<Mutex<HashMap<String, Stream>>>,
    since_prune: Mutex<u32>,
    /// Whether the folder-open checkpoint has been taken (or was not wanted).
    baseline: Mutex<bool>,
}

impl Taker {
    fn take(&self, label: &str) {
        let settings = crate::settings::load(&self.paths.settings_file()).0;
        if !settings.checkpoint_auto {
            return;
        }
        self.store.set_options(store_options(&settings));
        match self.store.create(label, Origin::Activity, None) {
            Ok(c) if c.new => {
                announce(&self.listeners, &c.checkpoint);
                let mut n = self.since_prune.lock().unwrap_or_else(|e| e.into_inner());
                *n += 1;
                if *n >= PRUNE_EVERY {
                    *n = 0;
                    match self.store.prune(&retention(&settings)) {
                        Ok(r) if r.checkpoints_removed > 0 => info!(?r, "checkpoints pruned"),
                        Ok(_) => {}
                        Err(e) => warn!("pruning checkpoints failed: {e}"),
                    }
                }
            }
            Ok(_) => {}
            Err(e) => warn!("automatic checkpoint failed: {e}"),
        }
    }

    /// The folder as it was when opened, once. Shown as such in the timeline; only stored
    /// when the folder changed since the last time it was open. Whoever comes first takes
    /// it (the start-up queue, or a save that must not change the folder before it); the
    /// other waits for it on the lock.
    fn baseline(&self) {
        let mut taken = self.baseline.lock().unwrap_or_else(|e| e.into_inner());
        if !*taken {
            self.take("Folder opened");
            *taken = true;
        }
    }
}

pub struct Checkpoints {
    pub store: Arc<Store>,
    taker: Arc<Taker>,
    changed: mpsc::Sender<()>,
}

impl Checkpoints {
    /// Starts activity capture: one checkpoint after each quiet period following changes
    /// (when `checkpointAuto` is on). The folder-open checkpoint is [`Checkpoints::baseline`],
    /// which the caller queues after start-up; activity before it is captured by it.
    pub fn start(store: Store, paths: AppPaths) -> Self {
        let store = Arc::new(store);
        let taker = Arc::new(Taker { store: store.clone(), paths: paths.clone(), listeners: Arc::default(), since_prune: Mutex::new(0), baseline: Mutex::new(false) });
        let (tx, rx) = mpsc::channel::<()>();
        let t = taker.clone();
        let spawned = std::thread::Builder::new().name("weft-checkpoints".into()).spawn(move || {
            // Each change restarts the quiet period; the loop ends when the workspace
            // closes (the sender is dropped).
            while rx.recv().is_ok() {
                // Read once per burst, not per watcher batch: a flood sends many.
                let quiet = Duration::from_millis(u64::from(crate::settings::load(&t.paths.settings_file()).0.checkpoint_quiet_ms));
                loop {
                    match rx.recv_timeout(quiet) {
                        Ok(()) => continue,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                // Before the folder-open checkpoint nothing is taken: it will hold this.
                if *t.baseline.lock().unwrap_or_else(|e| e.into_inner()) {
                    t.take("");
                }
            }
        });
        if let Err(e) = spawned {
            warn!("could not start automatic checkpoints: {e}");
        }
        Self { store, taker, changed: tx }
    }

    /// Something in the workspace changed (from the watcher).
    pub fn notifier(&self) -> impl Fn() + Send + 'static {
        let tx = Mutex::new(self.changed.clone());
        move || {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(());
            }
        }
    }

    /// The folder-open checkpoint, if not taken yet (blocks while it is being taken).
    /// Queued after start-up, and called before anything Weft itself writes into the folder
    /// (a save, a rename), so the folder as it was when opened is always in the timeline.
    pub fn baseline(&self) {
        self.taker.baseline();
    }

    pub fn subscribe(&self, stream: Stream) {
        if let Ok(mut l) = self.taker.listeners.lock() {
            l.insert(stream.id.clone(), stream);
        }
    }

    pub fn unsubscribe(&self, id: &str) {
        if let Ok(mut l) = self.taker.listeners.lock() {
            l.remove(id);
        }
    }

    pub fn announce(&self, c: &Checkpoint) {
        announce(&self.taker.listeners, c);
    }
}

fn announce(listeners: &Mutex<HashMap<String, Stream>>, c: &Checkpoint) {
    if let Ok(mut l) = listeners.lock() {
        l.retain(|_, s| s.json(c));
    }
}
