//! Weft's own participants ([`Peer`]) against a real host over real sockets, with the
//! network cut under them by a TCP proxy: offline edits merge on reconnect, many peers
//! with random cuts converge, a restarted host keeps its history and guests resync.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use weft_collab::{Backoff, Endpoint, HostOptions, Hub, HubOptions, Peer, PeerStatus, Role, WorkspaceHost};
use yrs::{GetString, Text};

/// A TCP relay to the host that can be cut (every connection through it dropped, new
/// ones refused) and restored: a network that goes away under a live session.
struct Link {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Link {
    async fn to(upstream: std::net::SocketAddr) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (u, c) = (up.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !u.load(Ordering::SeqCst) {
                    continue; // dropped: the network is down
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                c.lock().expect("conns").push(task);
            }
        });
        Link { port, up, conns, accept }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for t in self.conns.lock().expect("conns").drain(..) {
            t.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

fn fast() -> Backoff {
    Backoff { min: Duration::from_millis(20), max: Duration::from_millis(200) }
}

/// Waits (up to a generous deadline, for a loaded CI machine) until `f` holds.
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(tokio::time::Instant::now() < end, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn serve(hub: &Arc<Hub>, port: u16) -> (std::net::SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = hub.router();
    (addr, tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    }))
}

fn hub_with(text: &'static str, store: Option<std::path::PathBuf>) -> Arc<Hub> {
    Hub::new(
        Box::new(move |room: &str| if room == "file/a.txt" { Ok(text.into()) } else { Err(weft_collab::CollabError::NoRoom(room.into())) }),
        HubOptions { store, ..HubOptions::default() },
    )
}

fn url(port: u16, token: &str) -> String {
    format!("ws://127.0.0.1:{port}/file/a.txt?token={token}")
}

#[tokio::test]
async fn a_peer_keeps_editing_offline_and_merges_on_reconnect() {
    let hub = hub_with("hello", None);
    let (addr, _srv) = serve(&hub, 0).await;
    let (ta, tb) = (hub.invite("Ada", Role::ReadWrite), hub.invite("Bo", Role::ReadWrite));
    let link = Link::to(addr).await;
    let a = Peer::join(url(link.port, &ta), "file/a.txt", fast());
    let b = Peer::join(url(addr.port(), &tb), "file/a.txt", fast());
    until("both have the text", || a.text() == "hello" && b.text() == "hello").await;
    assert_eq!(a.status(), PeerStatus::Online);

    link.cut();
    until("a notices it is offline", || matches!(a.status(), PeerStatus::Offline { .. } | PeerStatus::Connecting)).await;
    a.insert(0, ">> ");
    a.insert(5, "y");
    b.insert(5, ", world");
    // Bo's edit has gone everywhere the network reaches (a third peer on the host's direct
    // path has it), and not to Ada, who is offline.
    let tc = hub.invite("Cy", Role::ReadOnly);
    let c = Peer::join(url(addr.port(), &tc), "file/a.txt", fast());
    until("the edit reached the host and a peer online", || c.text() == "hello, world").await;
    assert_eq!(a.text(), ">> heyllo", "offline edits stay in the local replica");
    assert_eq!(b.text(), "hello, world");

    link.restore();
    until("both sides merged", || a.text() == b.text() && a.text().contains('y') && a.text().contains("world")).await;
    assert_eq!(a.text(), ">> heyllo, world");
    assert_eq!(hub.room("file/a.txt").expect("room").text(), a.text());
    assert_eq!(a.status(), PeerStatus::Online);
}

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// Peers typing and deleting while their networks drop and return, several seeds. Each
/// insertion is a unique token and each deletion removes whole tokens, so the end can be
/// checked exactly: every token typed and not deleted is there once (a reconnect that
/// threw offline edits away, or applied them twice, fails), and everyone agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_edits_with_random_disconnects_converge_keep_every_edit_and_land_on_disk() {
    for seed in 1..=3u64 {
        random_run(seed).await;
    }
}

async fn random_run(seed: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.txt"), "start\n").expect("write");
    let ws = weft_fs::Workspace::open(dir.path()).expect("workspace");
    let host = WorkspaceHost::start(ws, weft_collab::HostOptions::default()).await.expect("host");
    let mut rng = Rng(0x5eed_1234_abcd_0000 ^ seed);
    const PEERS: usize = 4;
    let mut links = vec![];
    let mut peers = vec![];
    for i in 0..PEERS {
        let token = host.hub.invite(&format!("p{i}"), Role::ReadWrite);
        let link = Link::to(host.addr).await;
        peers.push(Peer::join(url(link.port, &token), "file/a.txt", fast()));
        links.push(link);
    }
    until("everyone has the file", || peers.iter().all(|p| p.text() == "start\n")).await;
    let mut down = [false; PEERS];
    let mut typed: Vec<String> = vec![];
    let mut deleted: std::collections::HashSet<String> = Default::default();
    for step in 0..300 {
        let i = rng.below(PEERS);
        match rng.below(10) {
            0 => {
                // Toggle this peer's network.
                if down[i] {
                    links[i].restore();
                } else {
                    links[i].cut();
                }
                down[i] = !down[i];
            }
            1..=2 => {
                // Delete one whole token this peer sees.
                let pick = rng.below(1 << 20);
                let mut gone = None;
                peers[i].edit(|t, txn| {
                    let s = t.get_string(txn);
                    let tokens: Vec<(usize, &str)> = s.match_indices('⟨').filter_map(|(at, _)| s[at..].find('⟩').map(|end| (at, &s[at..at + end + '⟩'.len_utf8()]))).collect();
                    if let Some(&(at, tok)) = tokens.get(pick % tokens.len().max(1)) {
                        let start = s[..at].encode_utf16().count() as u32;
                        t.remove_range(txn, start, tok.encode_utf16().count() as u32);
                        gone = Some(tok.to_owned());
                    }
                });
                if let Some(tok) = gone {
                    deleted.insert(tok);
                }
            }
            _ => {
                // A unique token (with a two-unit character in it), inserted between tokens.
                let tok = format!("⟨{seed}.{i}.{step}🦀é⟩");
                typed.push(tok.clone());
                let pick = rng.below(1 << 20);
                peers[i].edit(|t, txn| {
                    let s = t.get_string(txn);
                    let ends: Vec<usize> = std::iter::once(0).chain(s.match_indices('⟩').map(|(at, _)| at + '⟩'.len_utf8())).collect();
                    let at = ends[pick % ends.len()];
                    t.insert(txn, s[..at].encode_utf16().count() as u32, &tok);
                });
            }
        }
        if step % 25 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    for l in &links {
        l.restore();
    }
    until("all peers and the host agree", || {
        let t = peers[0].text();
        peers.iter().all(|p| p.text() == t) && host.hub.room("file/a.txt").map(|r| r.text() == t).unwrap_or(false)
    })
    .await;
    let text = peers[0].text();
    for tok in &typed {
        let n = text.matches(tok.as_str()).count();
        if deleted.contains(tok) {
            assert_eq!(n, 0, "seed {seed}: {tok} was deleted but is there");
        } else {
            assert_eq!(n, 1, "seed {seed}: {tok} typed once, there {n} times: {text}");
        }
    }
    assert!(typed.len() > deleted.len() + 50, "seed {seed}: the run kept edits to check");
    until("the host saved the merged text", || std::fs::read_to_string(dir.path().join("a.txt")).ok().as_deref() == Some(text.as_str())).await;
}

#[tokio::test]
async fn a_restarted_host_keeps_acknowledged_edits_and_guests_resync_without_duplicates() {
    let store = tempfile::tempdir().expect("store");
    let hub = hub_with("one", Some(store.path().to_owned()));
    let token = hub.invite("Ada", Role::ReadWrite);
    let (addr, srv) = serve(&hub, 0).await;
    // Through a relay, so the crash can drop the connections too (aborting the server's
    // accept loop leaves its connection tasks running).
    let link = Link::to(addr).await;
    let a = Peer::join(url(link.port, &token), "file/a.txt", fast());
    let watcher = Peer::join(url(link.port, &token), "file/a.txt", fast());
    until("a has the text", || a.text() == "one").await;
    a.insert(3, " two");
    // Acknowledged: the host relayed it to another participant.
    until("the host relayed the edit", || watcher.text() == "one two").await;

    // The host goes away without a chance to save; a comes back to a new one on the same
    // port, from the same store (the file on disk still says "one").
    srv.abort();
    link.cut();
    drop(watcher);
    drop(hub);
    until("a notices", || a.status() != PeerStatus::Online).await;
    a.insert(0, "zero ");
    let hub = hub_with("one", Some(store.path().to_owned()));
    assert_eq!(hub.guests().len(), 1, "the guest list survived");
    assert_eq!(hub.room("file/a.txt").expect("room").text(), "one two", "the acknowledged edit survived");
    let (_addr, _srv) = serve(&hub, addr.port()).await;
    link.restore();
    until("a resynced", || hub.room("file/a.txt").map(|r| r.text() == "zero one two").unwrap_or(false) && a.text() == "zero one two").await;
    assert_eq!(a.status(), PeerStatus::Online, "the same token still works");
}

#[tokio::test]
async fn refused_and_removed_peers_stop_retrying_and_say_why() {
    let hub = hub_with("x", None);
    let (addr, _srv) = serve(&hub, 0).await;
    let bad = Peer::join(url(addr.port(), "nope"), "file/a.txt", fast());
    until("refused", || bad.status().is_final()).await;
    assert!(matches!(bad.status(), PeerStatus::Refused { ref reason } if reason.contains("token")), "{:?}", bad.status());

    let ro = hub.invite("Ro", Role::ReadOnly);
    let r = Peer::join(url(addr.port(), &ro), "file/a.txt", fast());
    until("told it is read-only", || r.status() == PeerStatus::ReadOnly).await;

    let t = hub.invite("Gone", Role::ReadWrite);
    let g = Peer::join(url(addr.port(), &t), "file/a.txt", fast());
    until("online", || g.status() == PeerStatus::Online).await;
    hub.remove(&t).expect("remove");
    until("removed", || g.status() == PeerStatus::Removed).await;
}

#[tokio::test]
async fn on_the_network_the_host_serves_tls_and_guests_refuse_another_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.txt"), "secret plans").expect("write");
    let ws = weft_fs::Workspace::open(dir.path()).expect("workspace");
    let opts = HostOptions { network: true, address: Some("127.0.0.1".into()), ..HostOptions::default() };
    let host = WorkspaceHost::start(ws, opts).await.expect("host");
    let fp = host.fingerprint.clone().expect("a certificate");
    let token = host.hub.invite("Ada", Role::ReadWrite);
    let link = host.invite_link(&token);
    assert_eq!(link, format!("wss://127.0.0.1:{}/?token={token}&fp={fp}", host.addr.port()));
    let url = format!("wss://127.0.0.1:{}/file/a.txt?token={token}", host.addr.port());

    let good = Peer::join(Endpoint { url: url.clone(), pin: Some(fp.clone()) }, "file/a.txt", fast());
    until("the pinned guest synced", || good.text() == "secret plans").await;

    // Another certificate (a different host, or someone in between): refused before the
    // token is sent, and not retried.
    let wrong = "00".repeat(32);
    let mitm = Peer::join(Endpoint { url: url.clone(), pin: Some(wrong) }, "file/a.txt", fast());
    until("refused", || mitm.status().is_final()).await;
    assert!(matches!(mitm.status(), PeerStatus::Refused { ref reason } if reason.contains("certificate does not match")), "{:?}", mitm.status());
    assert_eq!(mitm.text(), "");

    // Plain ws:// to the TLS port gets nowhere.
    let plain = Peer::join(format!("ws://127.0.0.1:{}/file/a.txt?token={token}", host.addr.port()), "file/a.txt", fast());
    // It tried and failed (not merely "not yet"), and got nothing.
    until("the plain attempt failed", || matches!(plain.status(), PeerStatus::Offline { .. } | PeerStatus::Refused { .. })).await;
    assert_eq!(plain.text(), "");
}

/// The presence states in the awareness messages among `events` so far, by name.
fn presence(events: &mut tokio::sync::broadcast::Receiver<weft_collab::PeerEvent>, seen: &mut std::collections::HashMap<yrs::block::ClientID, String>) {
    use yrs::sync::Message;
    use yrs::updates::decoder::Decode;
    while let Ok(e) = events.try_recv() {
        if let weft_collab::PeerEvent::Message(bytes) = e {
            if let Ok(Message::Awareness(u)) = Message::decode_v1(&bytes) {
                for (id, entry) in u.clients {
                    seen.insert(id, entry.json.to_string());
                }
            }
        }
    }
}

#[tokio::test]
async fn the_agents_edit_arrives_with_its_cursor_which_leaves_after_the_turn() {
    let hub = hub_with("hello world", None);
    let (addr, _srv) = serve(&hub, 0).await;
    let t = hub.invite("Ada", Role::ReadWrite);
    let a = Peer::join(url(addr.port(), &t), "file/a.txt", fast());
    until("joined", || a.text() == "hello world").await;
    let (_, mut events) = a.open();
    let room = hub.room("file/a.txt").expect("room");

    assert!(room.agent_changed("hello brave world"));
    until("the agent's edit arrived", || a.text() == "hello brave world").await;
    let mut seen = std::collections::HashMap::new();
    until("the Agent's presence arrived", || {
        presence(&mut events, &mut seen);
        seen.values().any(|j| j.contains(r#""name":"Agent""#))
    })
    .await;
    let (agent_id, state) = seen.iter().find(|(_, j)| j.contains("Agent")).map(|(i, j)| (*i, j.clone())).expect("agent");
    // Its cursor is a Yjs relative position at the end of the change (before "world").
    let v: serde_json::Value = serde_json::from_str(&state).expect("json");
    assert_eq!(v["cursor"]["head"]["tname"], "content");
    assert!(v["cursor"]["head"]["item"]["clock"].is_u64(), "{state}");
    assert!(!room.agent_changed("hello brave world"), "the same text again is no change");

    room.agent_left();
    until("the Agent left", || {
        presence(&mut events, &mut seen);
        seen.get(&agent_id).map(String::as_str) == Some("null")
    })
    .await;
}

#[tokio::test]
async fn a_host_restarted_without_a_port_reuses_its_last_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = tempfile::tempdir().expect("store");
    std::fs::write(dir.path().join("a.txt"), "x").expect("write");
    let opts = || HostOptions { store: Some(store.path().to_owned()), ..HostOptions::default() };
    let first = WorkspaceHost::start(weft_fs::Workspace::open(dir.path()).expect("ws"), opts()).await.expect("host");
    let port = first.addr.port();
    drop(first);
    // The listener closes on its own task: wait until the port can be bound again.
    until("the first host's port is free", || std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()).await;
    let second = WorkspaceHost::start(weft_fs::Workspace::open(dir.path()).expect("ws"), opts()).await.expect("host");
    assert_eq!(second.addr.port(), port, "the same port, so guests' links still work");
}

/// An editor opened on a room must know when the replica holds the host's text: before
/// that it is empty (or only what was kept offline), and a search hit or a line to reveal
/// in it would land nowhere. `Synced` comes once, after the host's text, and not while the
/// network is down.
#[tokio::test]
async fn a_peer_says_when_it_first_holds_the_hosts_document() {
    let hub = hub_with("hello\nworld\n", None);
    let (addr, _srv) = serve(&hub, 0).await;
    let link = Link::to(addr).await;
    link.cut();
    let a = Peer::join(url(link.port, &hub.invite("Ada", Role::ReadWrite)), "file/a.txt", fast());
    let (_first, mut events) = a.open();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!a.synced(), "synced while the host was unreachable");
    assert_eq!(a.text(), "");
    link.restore();
    let mut seen_text = false;
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let e = tokio::time::timeout_at(end, events.recv()).await.expect("Synced in time").expect("event");
        match e {
            weft_collab::PeerEvent::Message(_) => seen_text |= a.text() == "hello\nworld\n",
            weft_collab::PeerEvent::Synced => break,
            weft_collab::PeerEvent::Status(_) => {}
        }
    }
    assert!(seen_text, "the host's text came before Synced");
    assert!(a.synced());
    assert_eq!(a.text(), "hello\nworld\n");
    // Once: a reconnect does not say it again.
    link.cut();
    until("offline", || matches!(a.status(), PeerStatus::Offline { .. } | PeerStatus::Connecting)).await;
    link.restore();
    until("online again", || a.status() == PeerStatus::Online).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(e) = events.try_recv() {
        assert!(!matches!(e, weft_collab::PeerEvent::Synced), "Synced twice");
    }
}
