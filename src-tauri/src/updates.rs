//! Updates: the Tauri updater plugin, driven by three commands the UI calls (check,
//! download, install). A desktop-shell concern, like the folder picker: `weft serve` and the
//! CLI are updated by whoever installed them.
//!
//! - The UI checks once after it is ready (never on the start-up path), and again when the
//!   user asks. What to show for a failed check is the UI's choice: nothing for the automatic
//!   one (no network is not an error worth a dialog), a message for the asked-for one.
//! - Download and install are separate steps: the download verifies the bundle's minisign
//!   signature against the public key in tauri.conf.json (and, with `requireSignedVersion`,
//!   that it was signed for the version announced), so a bundle that fails is refused before
//!   anything is written; only a verified download is kept for install.
//! - `WEFT_UPDATE_URL` replaces the configured endpoint (a company mirror, or the tests'
//!   server on 127.0.0.1). The release build accepts only https there; the key stays the
//!   one compiled in.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_updater::{Update, UpdaterExt};

/// The update found by the last check, and its verified bytes once downloaded.
#[derive(Default)]
pub struct Updates {
    found: Mutex<Option<Update>>,
    downloaded: Mutex<Option<(Update, Vec<u8>)>>,
}

/// What the UI shows for an available update.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInfo {
    version: String,
    current_version: String,
    date: Option<String>,
    notes: Option<String>,
}

/// Download progress: bytes so far and the total when the server sent one.
#[derive(Serialize, Clone)]
pub struct Progress {
    received: u64,
    total: Option<u64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn updater(app: &AppHandle) -> Result<tauri_plugin_updater::Updater, String> {
    let mut builder = app.updater_builder().timeout(Duration::from_secs(30));
    if let Some(url) = std::env::var("WEFT_UPDATE_URL").ok().filter(|u| !u.is_empty()) {
        let url = url.parse().map_err(|e| format!("WEFT_UPDATE_URL is not a URL: {e}"))?;
        builder = builder.endpoints(vec![url]).map_err(|e| e.to_string())?;
    }
    builder.build().map_err(|e| e.to_string())
}

/// Asks the update server; `None` when this is the newest version.
#[tauri::command]
pub async fn update_check(app: AppHandle, state: State<'_, Updates>) -> Result<Option<UpdateInfo>, String> {
    let found = updater(&app)?.check().await.map_err(|e| {
        tracing::info!("update check failed: {e}");
        format!("could not reach the update server: {e}")
    })?;
    let info = found.as_ref().map(|u| UpdateInfo {
        version: u.version.clone(),
        current_version: u.current_version.clone(),
        date: u.date.map(|d| d.to_string()),
        notes: u.body.clone(),
    });
    if let Some(info) = &info {
        tracing::info!("update {} available (running {})", info.version, info.current_version);
    }
    *lock(&state.found) = found;
    Ok(info)
}

/// Downloads the update the last check found and verifies its signature; the bytes are
/// kept only when it holds.
#[tauri::command]
pub async fn update_download(state: State<'_, Updates>, progress: Channel<Progress>) -> Result<(), String> {
    let update = lock(&state.found).clone().ok_or("no update has been found; check for updates first")?;
    let mut received = 0u64;
    let bytes = update
        .download(
            |chunk, total| {
                received += chunk as u64;
                let _ = progress.send(Progress { received, total });
            },
            || {},
        )
        .await
        .map_err(|e| match e {
            tauri_plugin_updater::Error::Minisign(_) | tauri_plugin_updater::Error::SignedVersionMismatch { .. } | tauri_plugin_updater::Error::MissingSignedVersion => {
                tracing::warn!("update {} refused: {e}", update.version);
                format!("the update's signature does not match Weft's key ({e}); it was not installed")
            }
            other => format!("the download failed: {other}"),
        })?;
    tracing::info!("update {} downloaded and verified ({} bytes)", update.version, bytes.len());
    *lock(&state.downloaded) = Some((update, bytes));
    Ok(())
}

/// Installs the verified download and restarts into it (Windows' installer exits the app
/// itself). The UI has already asked about unsaved edits.
#[tauri::command]
pub async fn update_install(app: AppHandle, state: State<'_, Updates>) -> Result<(), String> {
    let (update, bytes) = lock(&state.downloaded).take().ok_or("no verified update has been downloaded")?;
    update.install(&bytes).map_err(|e| format!("the update could not be installed: {e}"))?;
    app.restart()
}
