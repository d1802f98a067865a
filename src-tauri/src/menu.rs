//! The macOS menu bar. A Mac app without one has no ⌘Q, no Edit menu for copy and paste in
//! native dialogs, and ⌘W closes the window; Linux and Windows windows have no menu bar
//! (the workbench's own keys and command palette serve there), so it is installed only on
//! macOS, though it is built the same everywhere.
//!
//! Items that are workbench commands carry the command's id: a click is sent to the UI
//! (`weft://menu`), which runs the command (so "Close Editor" closes the tab, and "Quit"
//! asks about unsaved edits first). Copy, paste, undo and the window items are the system's
//! own, sent to the focused view as on any Mac (CodeMirror and the shared-editing undo
//! handle the system's undo). The accelerators are the default keys: a key remapped in the
//! keybindings setting still works, and the menu shows the default (noted, not yet synced).

use tauri::menu::{AboutMetadata, Menu, MenuItemBuilder, SubmenuBuilder};
use tauri::{AppHandle, Emitter, Runtime};

/// The event a menu command is sent to the UI with; its payload is the command id.
pub const EVENT: &str = "weft://menu";

#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let command = |id: &str, text: &str, key: Option<&str>| {
        let item = MenuItemBuilder::with_id(id, text);
        match key {
            Some(k) => item.accelerator(k).build(app),
            None => item.build(app),
        }
    };
    let weft = SubmenuBuilder::new(app, "Weft")
        .about(Some(AboutMetadata { name: Some("Weft".into()), ..Default::default() }))
        .item(&command("app.checkForUpdates", "Check for Updates…", None)?)
        .separator()
        .item(&command("workbench.settings", "Settings…", Some("CmdOrCtrl+,"))?)
        .separator()
        .services()
        .separator()
        .hide()
        .hide_others()
        .show_all()
        .separator()
        .item(&command("app.quit", "Quit Weft", Some("CmdOrCtrl+Q"))?)
        .build()?;
    let file = SubmenuBuilder::new(app, "File")
        .item(&command("file.openFolder", "Open Folder…", Some("CmdOrCtrl+O"))?)
        .separator()
        .item(&command("file.save", "Save", Some("CmdOrCtrl+S"))?)
        .item(&command("file.saveAll", "Save All", Some("CmdOrCtrl+Alt+S"))?)
        .separator()
        .item(&command("editor.close", "Close Editor", Some("CmdOrCtrl+W"))?)
        .item(&command("app.closeWindow", "Close Window", Some("CmdOrCtrl+Shift+W"))?)
        .build()?;
    let edit = SubmenuBuilder::new(app, "Edit").undo().redo().separator().cut().copy().paste().select_all().build()?;
    let view = SubmenuBuilder::new(app, "View")
        .item(&command("workbench.commandPalette", "Command Palette…", Some("CmdOrCtrl+Shift+P"))?)
        .item(&command("workbench.goToFile", "Go to File…", Some("CmdOrCtrl+P"))?)
        .item(&command("workbench.search", "Search in Files", Some("CmdOrCtrl+Shift+F"))?)
        .separator()
        .item(&command("view.toggleSidebar", "Toggle Sidebar", Some("CmdOrCtrl+B"))?)
        .item(&command("view.toggleTerminal", "Toggle Terminal", Some("CmdOrCtrl+`"))?)
        .item(&command("view.toggleAgent", "Toggle Agent", Some("CmdOrCtrl+Alt+I"))?)
        .separator()
        .fullscreen()
        .build()?;
    let window = SubmenuBuilder::new(app, "Window").minimize().maximize().separator().bring_all_to_front().build()?;
    Menu::with_items(app, &[&weft, &file, &edit, &view, &window])
}

/// A menu click: handed to the UI, which knows the commands.
pub fn clicked<R: Runtime>(app: &AppHandle<R>, id: &str) {
    if let Err(e) = app.emit(EVENT, id) {
        tracing::warn!("menu {id}: {e}");
    }
}
