//! `weft collab host [PATH]`: a headless, always-on collaboration host for a folder. Each
//! file that is not ignored is a room (`file/<path>`) any Yjs client can join with a
//! guest token; the invites are printed. Guests' edits are saved to the file once the
//! room has been quiet for a moment; a file changed on disk reaches every guest as an
//! edit merged with theirs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use weft_collab::{CollabError, Hub, HubOptions, Role};

pub struct Args {
    pub path: PathBuf,
    pub port: u16,
    /// NAME or NAME:ro.
    pub guests: Vec<String>,
}

pub async fn host(args: Args) -> anyhow::Result<()> {
    let ws = Arc::new(weft_fs::Workspace::open(&args.path).with_context(|| format!("{} is not a folder", args.path.display()))?);
    // What may be shared: the files the tree shows (not ignored, not .git), refreshed when
    // a room names one not seen yet.
    let files: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(ws.list_files().into_iter().collect()));
    let (w, f) = (ws.clone(), files.clone());
    let loader = Box::new(move |room: &str| {
        let rel = room.strip_prefix("file/").ok_or_else(|| CollabError::NoRoom(room.into()))?;
        let known = |f: &Mutex<HashSet<String>>| f.lock().map(|s| s.contains(rel)).unwrap_or(false);
        if !known(&f) {
            if let Ok(mut s) = f.lock() {
                *s = w.list_files().into_iter().collect();
            }
        }
        if !known(&f) {
            // Outside the folder, ignored, or absent: the same answer, so a guest cannot
            // probe for ignored files.
            return Err(CollabError::NotShared(room.into()));
        }
        let file = w.read_text(rel).map_err(|_| CollabError::NotShared(room.into()))?;
        Ok(file.content.text)
    });
    let hub = Hub::new(loader, HubOptions::default());
    // Disk -> rooms: a changed file that is open as a room is merged into it.
    let (h, w) = (hub.clone(), ws.clone());
    let _watcher = weft_fs::Watcher::start((*ws).clone(), Default::default(), move |changes| {
        for c in changes.iter().filter(|c| !c.is_dir) {
            if let (Some(room), Ok(file)) = (h.open_room(&format!("file/{}", c.path)), w.read_text(&c.path)) {
                room.disk_changed(&file.content.text);
            }
        }
    })
    .map_err(|e| eprintln!("weft collab: not watching the folder ({e}); changes on disk will not reach guests"))
    .ok();
    tokio::spawn(save_loop(hub.clone(), ws.clone()));
    let guests = if args.guests.is_empty() { vec!["guest".to_owned()] } else { args.guests };
    // Plain ws:// only on loopback until TLS with a pinned certificate is in place.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await.context("binding the port")?;
    let addr = listener.local_addr()?;
    println!("weft collab: sharing {} at ws://{addr}", ws.root().display());
    for g in guests {
        let (name, role) = match g.strip_suffix(":ro") {
            Some(n) => (n.to_owned(), Role::ReadOnly),
            None => (g.clone(), Role::ReadWrite),
        };
        let token = hub.invite(&name, role);
        let what = if role == Role::ReadOnly { "read-only" } else { "read-write" };
        println!("invite {name} ({what}): ws://{addr}/file/<path>?token={token}");
    }
    axum::serve(listener, hub.router()).with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")
}

/// Rooms -> disk: a room whose document stopped changing is written to its file (in the
/// file's own encoding), and becomes the base for changes coming from the disk.
async fn save_loop(hub: Arc<Hub>, ws: Arc<weft_fs::Workspace>) {
    // Version seen at the previous tick, and version last saved.
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut saved: HashMap<String, u64> = HashMap::new();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        for room in hub.rooms() {
            let v = room.version();
            let quiet = seen.insert(room.name.clone(), v) == Some(v);
            if !quiet || saved.get(&room.name).copied().unwrap_or(0) == v {
                continue;
            }
            let Some(rel) = room.name.strip_prefix("file/") else { continue };
            let encoding = ws.read_text(rel).map(|f| f.content.encoding).unwrap_or(weft_fs::Encoding::Utf8);
            match ws.write_text(rel, &room.text(), encoding) {
                Ok(_) => {
                    room.saved(v);
                    saved.insert(room.name.clone(), v);
                }
                Err(e) => eprintln!("weft collab: saving {rel} failed: {e}"),
            }
        }
    }
}
