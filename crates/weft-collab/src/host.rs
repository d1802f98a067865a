//! Sharing a workspace folder: every file the tree shows (not ignored, not `.git`) is a
//! room, served straight from the folder's open documents ([`Documents`], the same ones the
//! host's own editor is bound to: no second copy, no self-join); guests' edits are saved to
//! the file once the room is quiet; a file changed on disk is merged into its document.
//! Used by `weft collab host` and by the app's Share.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::warn;
use weft_doc::Documents;
use weft_fs::Workspace;

use crate::terminal::SharedTerminal;
use yrs::Map;
use crate::{CollabError, Hub, HubOptions, Room, PREVIEWS, TERMINALS};

pub struct WorkspaceHost {
    pub hub: Arc<Hub>,
    pub addr: SocketAddr,
    /// The address put in links (the machine's address on its network, or loopback).
    pub public_host: String,
    /// The certificate's fingerprint when serving on the network (wss://).
    pub fingerprint: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    docs: Arc<Documents>,
    /// Only when the host opened the documents itself (`weft collab host`).
    _merging: Option<weft_doc::Merging>,
    _watcher: Option<weft_fs::Watcher>,
    terminals: Mutex<HashMap<u64, Arc<SharedTerminal>>>,
    /// Shared previews: port -> title.
    previews: Mutex<std::collections::BTreeMap<u16, String>>,
}

#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// 0: any free port.
    pub port: u16,
    /// Rooms' logs, guests and the certificate (see [`HubOptions::store`]).
    pub store: Option<PathBuf>,
    /// Serve on every interface over TLS (wss://, certificate pinned by the links), instead
    /// of plain ws:// on 127.0.0.1 only.
    pub network: bool,
    /// The host name or address to put in links (default: this machine's address on the
    /// network it routes through).
    pub address: Option<String>,
}

/// The address this machine would use to reach another: a UDP socket "connected" to a
/// documentation address sends nothing but picks the route.
fn lan_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

impl WorkspaceHost {
    /// Starts serving `ws` on 127.0.0.1:`port` (0: any free port), keeping rooms and
    /// guests in `store` (see [`HubOptions::store`]). Must be called inside a tokio
    /// runtime; serving stops when the host is dropped.
    pub async fn start(ws: Workspace, opts: HostOptions) -> std::io::Result<Self> {
        let docs = Documents::new(Arc::new(ws), opts.store.clone());
        let merging = docs.start_merging();
        let mut host = Self::serve(docs, opts).await?;
        host._merging = Some(merging);
        Ok(host)
    }

    /// Serves documents the app already has open (and any other file of the folder, opened
    /// into `docs` when a guest asks): the host's editor and its guests edit the same
    /// documents. The caller feeds `docs` the folder's changes and runs its merge loop.
    pub async fn serve(docs: Arc<Documents>, opts: HostOptions) -> std::io::Result<Self> {
        let HostOptions { port, store, network, address } = opts;
        let ws = docs.workspace().clone();
        // What may be shared: the files the tree shows (not .env files), refreshed when a
        // room names one not seen yet.
        let listed = ws.shared_files();
        let tree = Arc::new(Room::tree(&listed));
        let files: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(listed.into_iter().collect()));
        let (w, f, d) = (ws.clone(), files.clone(), docs.clone());
        let loader = Box::new(move |room: &str| {
            let rel = room.strip_prefix("file/").ok_or_else(|| CollabError::NoRoom(room.into()))?;
            let known = |f: &Mutex<HashSet<String>>| f.lock().map(|s| s.contains(rel)).unwrap_or(false);
            if !known(&f) {
                if let Ok(mut s) = f.lock() {
                    *s = w.shared_files().into_iter().collect();
                }
            }
            if !known(&f) {
                // Outside the folder, ignored, or absent: one answer, so a guest cannot
                // probe for ignored files.
                return Err(CollabError::NotShared(room.into()));
            }
            d.open(rel).map(|o| o.doc).map_err(|_| CollabError::NotShared(room.into()))
        });
        let identity = match (&store, network) {
            (Some(dir), true) => Some(crate::tls::Identity::load_or_create(dir)?),
            (None, true) => Some(crate::tls::Identity::generate()?),
            (_, false) => None,
        };
        let hub = Hub::serving(loader, HubOptions { store: store.clone(), ..HubOptions::default() });
        hub.insert_room(tree.clone());
        docs.set_shared(true);
        let (w, d) = (ws.clone(), docs.clone());
        let watcher = weft_fs::Watcher::start((*ws).clone(), Default::default(), move |changes| {
            // A file came or went (or a folder, with whatever it held): the tree room is
            // brought up to date as one update.
            if changes.iter().any(|c| c.is_dir || !matches!(c.kind, weft_fs::FsChangeKind::Modified)) {
                let listed = w.shared_files();
                tree.set_files(&listed);
                if let Ok(mut s) = files.lock() {
                    *s = listed.into_iter().collect();
                }
            }
            // Merged at a bounded rate by the documents' merge loop (twice reported, once
            // merged: the queue is a set, and an unchanged file is no change).
            d.changed_on_disk(changes.iter().filter(|c| !c.is_dir).map(|c| c.path.as_str()));
        })
        .map_err(|e| warn!("collab: not watching the folder ({e}); changes on disk will not reach guests"))
        .ok();
        // Plain ws:// only on loopback; on the network, TLS with the pinned certificate.
        let ip = if network { "0.0.0.0" } else { "127.0.0.1" };
        // Without a port asked for, the one used last time for this folder: guests' links
        // (and their reconnects) keep working across restarts of the app.
        let port_file = store.as_ref().map(|d| d.join(if network { "port" } else { "port-local" }));
        let last = port_file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()).and_then(|p| p.trim().parse::<u16>().ok());
        let listener = match (port, last) {
            (0, Some(last)) => match tokio::net::TcpListener::bind((ip, last)).await {
                Ok(l) => l,
                Err(_) => tokio::net::TcpListener::bind((ip, 0)).await?,
            },
            _ => tokio::net::TcpListener::bind((ip, port)).await?,
        };
        if let Some(f) = &port_file {
            if let Ok(a) = listener.local_addr() {
                let _ = std::fs::write(f, a.port().to_string());
            }
        }
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = hub.router();
        let saver = tokio::spawn(save_loop(docs.clone()));
        let shutdown = async move {
            let _ = stopped.await;
        };
        match &identity {
            Some(id) => {
                let tls = crate::limits::Guarded::new(crate::tls::TlsListener::new(listener, id)?);
                tokio::spawn(async move {
                    let _ = axum::serve(tls, app).with_graceful_shutdown(shutdown).await;
                    saver.abort();
                });
            }
            None => {
                // Keystrokes are small writes: send each at once (no Nagle delay).
                let listener = crate::limits::Guarded::new(axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
                    let _ = tcp.set_nodelay(true);
                }));
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
                    saver.abort();
                });
            }
        }
        let public_host = match (address, network) {
            (Some(a), _) => a,
            (None, true) => lan_address().map(|ip| ip.to_string()).unwrap_or_else(|| "127.0.0.1".into()),
            (None, false) => "127.0.0.1".into(),
        };
        Ok(WorkspaceHost { hub, addr, public_host, fingerprint: identity.map(|i| i.fingerprint), stop: Some(stop), docs, _merging: None, _watcher: watcher, terminals: Mutex::default(), previews: Mutex::default() })
    }

    /// The base of room URLs: `ws://127.0.0.1:PORT`, or `wss://ADDRESS:PORT` on the network.
    pub fn url(&self) -> String {
        let scheme = if self.fingerprint.is_some() { "wss" } else { "ws" };
        format!("{scheme}://{}:{}", self.public_host, self.addr.port())
    }

    /// The invite link for a guest's token: `ws://HOST:PORT/?token=TOKEN`, or
    /// `wss://HOST:PORT/?token=TOKEN&fp=SHA256` with the certificate's fingerprint. A Yjs
    /// client uses the part before `/?` as its server URL and `token` as a parameter.
    pub fn invite_link(&self, token: &str) -> String {
        match &self.fingerprint {
            Some(fp) => format!("{}/?token={token}&fp={fp}", self.url()),
            None => format!("{}/?token={token}", self.url()),
        }
    }

    /// Shares a terminal (see [`crate::terminal`]): its rooms join the hub and the tree
    /// room's `terminals` map lists it (`id` -> `{"title", "writable", "cols", "rows"}` as
    /// JSON, the size being the host's), so guests find it. Sharing it again changes only
    /// whether guests may type. Returns the shared terminal, and whether it is newly shared
    /// (then its output is to be fed to it).
    pub fn share_terminal(&self, id: u64, title: &str, size: (u16, u16), writable: bool, on_keys: impl Fn(String) + Send + Sync + 'static) -> (Arc<SharedTerminal>, bool) {
        let mut shared = self.terminals.lock().unwrap_or_else(|p| p.into_inner());
        let (t, new) = match shared.get(&id) {
            Some(t) => (t.clone(), false),
            None => {
                let t = Arc::new(SharedTerminal::new(id, writable, on_keys));
                self.hub.insert_room(t.output.clone());
                self.hub.insert_room(t.input.clone());
                shared.insert(id, t.clone());
                (t, true)
            }
        };
        t.set_writable(writable);
        let entry = serde_json::json!({ "title": title, "writable": writable, "cols": size.0, "rows": size.1 }).to_string();
        if let Some(tree) = self.hub.open_room(crate::TREE) {
            tree.host_edit(|doc| doc.get_or_insert_map(TERMINALS), |map, txn| {
                map.insert(txn, id.to_string(), entry);
            });
        }
        (t, new)
    }

    /// Stops sharing a terminal: guests no longer find it, new connections are refused.
    pub fn unshare_terminal(&self, id: u64) {
        if self.terminals.lock().unwrap_or_else(|p| p.into_inner()).remove(&id).is_some() {
            self.hub.remove_room(&format!("terminal/{id}"));
            self.hub.remove_room(&format!("terminal/{id}/input"));
            if let Some(tree) = self.hub.open_room(crate::TREE) {
                tree.host_edit(|doc| doc.get_or_insert_map(TERMINALS), |map, txn| {
                    map.remove(txn, &id.to_string());
                });
            }
        }
    }

    /// Shares the preview of a local port: the tree room's `previews` map lists it, so guests
    /// find it; their requests for it are the app's to answer (only for listed ports).
    pub fn share_preview(&self, port: u16, title: &str) {
        self.previews.lock().unwrap_or_else(|p| p.into_inner()).insert(port, title.to_owned());
        let entry = serde_json::json!({ "title": title }).to_string();
        if let Some(tree) = self.hub.open_room(crate::TREE) {
            tree.host_edit(|doc| doc.get_or_insert_map(PREVIEWS), |map, txn| {
                map.insert(txn, port.to_string(), entry);
            });
        }
    }

    pub fn unshare_preview(&self, port: u16) {
        if self.previews.lock().unwrap_or_else(|p| p.into_inner()).remove(&port).is_some() {
            if let Some(tree) = self.hub.open_room(crate::TREE) {
                tree.host_edit(|doc| doc.get_or_insert_map(PREVIEWS), |map, txn| {
                    map.remove(txn, &port.to_string());
                });
            }
        }
    }

    /// The shared previews: (port, title), by port.
    pub fn shared_previews(&self) -> Vec<(u16, String)> {
        self.previews.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(p, t)| (*p, t.clone())).collect()
    }

    /// The shared terminals, by id.
    pub fn shared_terminals(&self) -> Vec<Arc<SharedTerminal>> {
        let mut v: Vec<_> = self.terminals.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        v.sort_by_key(|t| t.id);
        v
    }

    /// The open documents this host serves.
    pub fn documents(&self) -> &Arc<Documents> {
        &self.docs
    }

    /// Saves every shared file whose room holds text its file does not (before stopping:
    /// nothing a guest typed is left only in memory). Returns how many were written.
    pub fn save_all(&self) -> usize {
        let (written, failed) = self.docs.save_all();
        for (rel, e) in failed {
            warn!("collab: saving {rel} failed: {e}");
        }
        written
    }

    /// The link the host's own editor joins with: over loopback, always reachable.
    pub fn self_link(&self) -> String {
        let token = self.hub.host_token();
        match &self.fingerprint {
            Some(fp) => format!("wss://127.0.0.1:{}/?token={token}&fp={fp}", self.addr.port()),
            None => format!("ws://127.0.0.1:{}/?token={token}", self.addr.port()),
        }
    }
}

impl Drop for WorkspaceHost {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.docs.set_shared(false);
    }
}

/// Documents -> disk: a document whose text stopped changing is written to its file (in
/// the file's own encoding and line endings) and becomes the base for changes coming from
/// the disk. While shared, everyone's edits are saved this way, the host's too.
async fn save_loop(docs: Arc<Documents>) {
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut saved: HashMap<String, u64> = HashMap::new();
    loop {
        tokio::time::sleep(Duration::from_millis(400)).await;
        for (rel, doc) in docs.all() {
            let v = doc.version();
            let quiet = seen.insert(rel.clone(), v) == Some(v);
            if !quiet || saved.get(&rel).copied().unwrap_or(0) == v {
                continue;
            }
            // Off the runtime's threads: a save waits on the disk, relaying must not.
            let (d, r) = (docs.clone(), rel.clone());
            match tokio::task::spawn_blocking(move || d.save(&r)).await {
                Ok(Ok(_)) => {
                    saved.insert(rel, v);
                }
                // Waiting for the host's choice (keep mine, take disk): said once per version;
                // the next edit, or the host's own save, tries again.
                Ok(Err(e @ weft_fs::FsError::ChangedOnDisk(_))) => {
                    warn!("collab: not saving {rel}: {e}");
                    saved.insert(rel, v);
                }
                Ok(Err(e)) => warn!("collab: saving {rel} failed: {e}"),
                Err(e) => warn!("collab: saving {rel} failed: {e}"),
            }
        }
    }
}

