//! The desktop shell: one window, the dialog, opener and updater plugins (./updates.rs), and IPC commands that hands every
//! request to weft-api. No domain logic lives here; streams are adapted onto Tauri
//! Channels (JSON frames as JSON, byte frames raw).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;

use serde_json::Value;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::State;

mod menu;
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
    let builder = tauri::Builder::default();
    // macOS only: elsewhere the window has no menu bar (see ./menu.rs).
    #[cfg(target_os = "macos")]
    let builder = builder.menu(menu::build).on_menu_event(|app, event| menu::clicked(app, event.id().as_ref()));
    let app = builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(api)
        .manage(updates::Updates::default())
        .invoke_handler(tauri::generate_handler![call, call_stream, updates::update_check, updates::update_download, updates::update_install])
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("weft: the window failed: {e}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        // Quit from the Dock or the system (or ⌘Q before the UI took it) while the window is
        // open: the UI asks about unsaved edits and closes the window itself, and closing the
        // last window ends the app. A restart for an update is not stopped.
        if let tauri::RunEvent::ExitRequested { api, code, .. } = event {
            if code != Some(tauri::RESTART_EXIT_CODE) && tauri::Manager::get_webview_window(app, "main").is_some() {
                api.prevent_exit();
                menu::clicked(app, "app.quit");
            }
        }
    });
}
