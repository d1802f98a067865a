//! The desktop shell: one window, the dialog, opener and updater plugins (./updates.rs), and IPC commands that hands every
//! request to weft-api. No domain logic lives here; streams are adapted onto Tauri
//! Channels (JSON frames as JSON, byte frames raw).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;

use serde_json::Value;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::State;

mod updates;
use weft_api::{Api, ApiError, AppPaths, Shell, Stream, StreamFrame};

/// The window does every request: it opens any folder the user picks and lists recent ones.
const SHELL: Shell = Shell { name: "desktop", unsupported: &[] };

#[tauri::command]
async fn call(api: State<'_, Api>, request: Value) -> Result<Value, ApiError> {
    api.call(request, None).await
}

/// A streaming call: the UI mints `stream` (the id it may later cancel) and the Channel.
#[tauri::command]
async fn call_stream(api: State<'_, Api>, request: Value, stream: String, channel: Channel<InvokeResponseBody>) -> Result<Value, ApiError> {
    let sink = move |frame: StreamFrame| match frame {
        StreamFrame::Json(v) => channel.send(InvokeResponseBody::Json(v.to_string())).is_ok(),
        StreamFrame::Bytes(b) => channel.send(InvokeResponseBody::Raw(b)).is_ok(),
    };
    api.call(request, Some(Stream::new(stream, sink))).await
}

/// Whether a terminal started the app (not the Finder, a desktop file or the Start menu).
fn from_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stdin())
}

/// The folder to open (see weft_api::launch_folder).
fn initial_folder() -> Option<PathBuf> {
    weft_api::launch_folder(std::env::args_os().nth(1).map(PathBuf::from), from_terminal(), std::env::current_dir().ok())
}

fn main() {
    let paths = AppPaths::from_env();
    let _log = weft_api::init_logging(&paths, "desktop");
    // One runtime for the whole app, handed to Tauri.
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("weft: could not start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    tauri::async_runtime::set(runtime.handle().clone());
    weft_api::import_login_env(from_terminal());
    let api = Api::new(SHELL, paths);
    if let Some(folder) = initial_folder() {
        if let Err(e) = api.open_workspace(&folder) {
            eprintln!("weft: {e}");
            tracing::warn!("could not open {}: {e}", folder.display());
        }
    }
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(api)
        .manage(updates::Updates::default())
        .invoke_handler(tauri::generate_handler![call, call_stream, updates::update_check, updates::update_download, updates::update_install])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("weft: the window failed: {e}");
        std::process::exit(1);
    }
}
