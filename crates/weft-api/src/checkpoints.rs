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

enum Msg {
    Changed,
    /// The UI is interactive: background work may begin.
    Ready,
}

/// The baseline waits for the UI to be interactive (plus a moment), so a cold start does
/// not share its two cores with snapshotting the folder; headless, it waits this long.
const BASELINE_AFTER_READY: Duration = Duration::from_secs(2);
const BASELINE_AT_THE_LATEST: Duration = Duration::from_secs(10);

/// Prune and collect garbage after this many new automatic checkpoints.
const PRUNE_EVERY: u32 = 25;

pub struct Checkpoints {
    pub store: Arc<Store>,
    changed: mpsc::Sender<Msg>,
    listeners: Arc<Mutex<HashMap<String, Stream>>>,
}

impl Checkpoints {
    /// Starts activity capture: a baseline checkpoint now, then one after each quiet
    /// period following changes (when `checkpointAuto` is on).
    pub fn start(store: Store, paths: AppPaths) -> Self {
        let store = Arc::new(store);
        let listeners: Arc<Mutex<HashMap<String, Stream>>> = Arc::default();
        let (tx, rx) = mpsc::channel();
        let (s, l) = (store.clone(), listeners.clone());
        let spawned = std::thread::Builder::new().name("weft-checkpoints".into()).spawn(move || {
            let settings = || crate::settings::load(&paths.settings_file()).0;
            let mut since_prune = 0;
            let take = |since_prune: &mut u32, label: &str| {
                let settings = settings();
                if !settings.checkpoint_auto {
                    return;
                }
                s.set_options(store_options(&settings));
                match s.create(label, Origin::Activity, None) {
                    Ok(c) if c.new => {
                        announce(&l, &c.checkpoint);
                        *since_prune += 1;
                    }
                    Ok(_) => {}
                    Err(e) => warn!("automatic checkpoint failed: {e}"),
                }
                if *since_prune >= PRUNE_EVERY {
                    *since_prune = 0;
                    match s.prune(&retention(&settings)) {
                        Ok(r) if r.checkpoints_removed > 0 => info!(?r, "checkpoints pruned"),
                        Ok(_) => {}
                        Err(e) => warn!("pruning checkpoints failed: {e}"),
                    }
                }
            };
            let mut deadline = std::time::Instant::now() + BASELINE_AT_THE_LATEST;
            loop {
                match rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
                    Ok(Msg::Ready) => deadline = deadline.min(std::time::Instant::now() + BASELINE_AFTER_READY),
                    Ok(Msg::Changed) => {}
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            // Shown as such in the timeline; only stored when the folder changed since the
            // last time it was open.
            take(&mut since_prune, "Folder opened");
            // Each change restarts the quiet period; the loop ends when the workspace
            // closes (the sender is dropped).
            while let Ok(msg) = rx.recv() {
                if let Msg::Ready = msg {
                    continue;
                }
                // Read once per burst, not per watcher batch: a flood sends many.
                let quiet = Duration::from_millis(u64::from(settings().checkpoint_quiet_ms));
                loop {
                    match rx.recv_timeout(quiet) {
                        Ok(_) => continue,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                take(&mut since_prune, "");
            }
        });
        if let Err(e) = spawned {
            warn!("could not start automatic checkpoints: {e}");
        }
        Self { store, changed: tx, listeners }
    }

    /// Something in the workspace changed (from the watcher).
    pub fn notifier(&self) -> impl Fn() + Send + 'static {
        let tx = Mutex::new(self.changed.clone());
        move || {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(Msg::Changed);
            }
        }
    }

    /// The UI is up: the baseline checkpoint may be taken soon.
    pub fn ui_ready(&self) {
        let _ = self.changed.send(Msg::Ready);
    }

    pub fn subscribe(&self, stream: Stream) {
        if let Ok(mut l) = self.listeners.lock() {
            l.insert(stream.id.clone(), stream);
        }
    }

    pub fn unsubscribe(&self, id: &str) {
        if let Ok(mut l) = self.listeners.lock() {
            l.remove(id);
        }
    }

    pub fn announce(&self, c: &Checkpoint) {
        announce(&self.listeners, c);
    }
}

fn announce(listeners: &Mutex<HashMap<String, Stream>>, c: &Checkpoint) {
    if let Ok(mut l) = listeners.lock() {
        l.retain(|_, s| s.json(c));
    }
}
