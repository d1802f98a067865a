//! The host over real WebSockets, with peers that are Yjs documents speaking the
//! y-websocket protocol as any Yjs client does.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};
use weft_collab::{CollabError, Hub, HubOptions, Role, CONTENT};
use yrs::encoding::read::Cursor;
use yrs::sync::protocol::MessageReader;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Map, Doc, GetString, OffsetKind, Options, ReadTxn, Text, Transact, Update};

#[path = "collab/disk_sync.rs"]
mod disk_sync;

async fn host(max_frame: usize) -> (Arc<Hub>, String) {
    host_with(HubOptions { max_frame, ..HubOptions::default() }).await
}

async fn host_with(options: HubOptions) -> (Arc<Hub>, String) {
    let hub = Hub::new(
        Box::new(|room: &str| match room.strip_prefix("file/") {
            Some(p) if p.split('/').any(|s| s == ".." || s.is_empty()) => Err(CollabError::NotShared(room.into())),
            Some("secret.env") => Err(CollabError::NotShared(room.into())),
            Some("a.txt") => Ok("hello".into()),
            Some("b.txt") => Ok("".into()),
            _ => Err(CollabError::NoRoom(room.into())),
        }),
        options,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = hub.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (hub, format!("ws://{addr}"))
}

struct Peer {
    doc: Doc,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    denied: Vec<String>,
    closed: Option<u16>,
    /// The host's sync step 2 arrived: the document is in.
    synced: bool,
}

async fn join(base: &str, room: &str, token: &str) -> Result<Peer, u16> {
    match connect_async(format!("{base}/{room}?token={token}")).await {
        Ok((ws, _)) => {
            let doc = Doc::with_options(Options { offset_kind: OffsetKind::Utf16, ..Options::default() });
            let mut p = Peer { doc, ws, denied: vec![], closed: None, synced: false };
            // A Yjs client opens with its own sync step 1.
            let sv = p.doc.transact().state_vector();
            p.send(Message::Sync(SyncMessage::SyncStep1(sv))).await;
            p.pump_until("the first sync", |p| p.synced || p.closed.is_some()).await;
            Ok(p)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("connect: {e}"),
    }
}

impl Peer {
    async fn send(&mut self, m: Message) {
        self.ws.send(Ws::Binary(m.encode_v1().into())).await.expect("send");
    }

    /// Reads what arrives for `wait`, as a Yjs client would handle it.
    async fn pump(&mut self, wait: Duration) {
        let end = tokio::time::Instant::now() + wait;
        while let Ok(Some(msg)) = tokio::time::timeout_at(end, self.ws.next()).await {
            match msg {
                Ok(Ws::Binary(data)) => {
                    let mut dec = DecoderV1::new(Cursor::new(&data));
                    let msgs: Vec<Message> = MessageReader::new(&mut dec).collect::<Result<_, _>>().expect("server frames decode");
                    for m in msgs {
                        match m {
                            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                                let u = self.doc.transact().encode_state_as_update_v1(&sv);
                                self.send(Message::Sync(SyncMessage::SyncStep2(u))).await;
                            }
                            Message::Sync(SyncMessage::SyncStep2(u)) => {
                                self.doc.transact_mut().apply_update(Update::decode_v1(&u).expect("update")).expect("apply");
                                self.synced = true;
                            }
                            Message::Sync(SyncMessage::Update(u)) => {
                                self.doc.transact_mut().apply_update(Update::decode_v1(&u).expect("update")).expect("apply");
                            }
                            Message::Auth(Some(reason)) => self.denied.push(reason),
                            _ => {}
                        }
                    }
                }
                Ok(Ws::Close(f)) => {
                    self.closed = Some(f.map_or(1005, |f| f.code.into()));
                    return;
                }
                Ok(_) => {}
                Err(_) => {
                    self.closed.get_or_insert(1006);
                    return;
                }
            }
        }
    }

    /// Reads what arrives until `done` holds (or the connection closes); fails after 10 s.
    async fn pump_until(&mut self, what: &str, done: impl Fn(&Peer) -> bool) {
        let end = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(self) {
            assert!(tokio::time::Instant::now() < end, "timed out waiting for {what} (text {:?}, closed {:?})", self.text(), self.closed);
            if self.closed.is_some() {
                assert!(done(self), "the connection closed ({:?}) before {what}", self.closed);
            }
            self.pump(Duration::from_millis(20)).await;
        }
    }

    /// Whether the host's marker (see [`marker`]) has arrived: everything the host sent
    /// this peer before it has too.
    fn has_marker(&self, n: u32) -> bool {
        let m = self.doc.get_or_insert_map("marker");
        let txn = self.doc.transact();
        m.get(&txn, &n.to_string()).is_some()
    }

    fn text(&self) -> String {
        let t = self.doc.get_or_insert_text(CONTENT);
        t.get_string(&self.doc.transact())
    }

    /// Types at `index` and sends the update, as an editor bound to the Y.Text would.
    async fn type_at(&mut self, index: u32, s: &str) {
        let t = self.doc.get_or_insert_text(CONTENT);
        let update = {
            let mut txn = self.doc.transact_mut();
            t.insert(&mut txn, index, s);
            txn.encode_update_v1()
        };
        self.send(Message::Sync(SyncMessage::Update(update))).await;
    }
}

/// A change only the host makes (an entry in a map no client uses), relayed to everyone
/// after whatever the room relayed before: once a peer has it, it has all that too.
fn marker(room: &weft_collab::Room, n: u32) {
    room.host_edit(|d| d.get_or_insert_map("marker"), |m, txn| {
        m.insert(txn, n.to_string(), true);
    });
}

#[tokio::test]
async fn edits_from_each_peer_and_from_the_host_reach_everyone() {
    let (hub, base) = host(1 << 20).await;
    let (ta, tb) = (hub.invite("Ada", Role::ReadWrite), hub.invite("Bo", Role::ReadWrite));
    let mut a = join(&base, "file/a.txt", &ta).await.expect("a joins");
    let mut b = join(&base, "file/a.txt", &tb).await.expect("b joins");
    assert_eq!(a.text(), "hello", "the first sync brings the file's text");
    assert_eq!(b.text(), "hello");
    a.type_at(5, " world").await;
    b.pump_until("a's edit", |p| p.text() == "hello world").await;
    // Concurrent edits merge the same everywhere.
    a.type_at(0, "¡").await;
    b.type_at(11, "!").await;
    a.pump_until("both edits at a", |p| p.text() == "¡hello world!").await;
    b.pump_until("both edits at b", |p| p.text() == "¡hello world!").await;
    let room = hub.room("file/a.txt").expect("room");
    assert_eq!(a.text(), "¡hello world!");
    assert_eq!(b.text(), a.text());
    assert_eq!(room.text(), a.text());
    // The file changed on the host's disk while the guests' edits were not saved yet: the
    // disk's change ("hello" -> "Hello") merges with theirs; nothing is lost.
    assert!(room.disk_changed("Hello"));
    a.pump_until("the disk change at a", |p| p.text() == "¡Hello world!").await;
    b.pump_until("the disk change at b", |p| p.text() == "¡Hello world!").await;
    // Saved: the save coming back from the disk changes nothing.
    let v = room.version();
    let save = room.begin_save();
    room.end_save(save, true);
    assert!(!room.disk_changed(&room.text()));
    assert_eq!(room.version(), v);
    // After the save, a disk change is relative to the saved text.
    assert!(room.disk_changed("¡Hello world!\nmore\n"));
    a.pump_until("the later disk change", |p| p.text() == "¡Hello world!\nmore\n").await;
}

#[tokio::test]
async fn no_token_a_wrong_one_a_removed_one_or_an_unshared_path_get_nothing() {
    let (hub, base) = host(1 << 20).await;
    let t = hub.invite("Ada", Role::ReadWrite);
    assert_eq!(join(&base, "file/a.txt", "").await.err(), Some(401));
    assert_eq!(join(&base, "file/a.txt", "0123456789abcdef").await.err(), Some(401));
    assert_eq!(join(&base, "file/../etc/passwd", &t).await.err(), Some(403));
    assert_eq!(join(&base, "file/secret.env", &t).await.err(), Some(403));
    assert_eq!(join(&base, "file/nope.txt", &t).await.err(), Some(404));
    // Removed: the open connection closes and the token stops working.
    let mut a = join(&base, "file/a.txt", &t).await.expect("joins");
    hub.remove(&t).expect("remove");
    a.pump_until("the close", |p| p.closed.is_some()).await;
    assert_eq!(a.closed, Some(4401));
    assert_eq!(join(&base, "file/a.txt", &t).await.err(), Some(401));
    assert_eq!(hub.remove(&t), Err(CollabError::UnknownGuest));
}

#[tokio::test]
async fn a_read_only_guests_changes_are_refused_by_the_server() {
    let (hub, base) = host(1 << 20).await;
    let (tr, tw) = (hub.invite("Reader", Role::ReadOnly), hub.invite("Writer", Role::ReadWrite));
    let mut r = join(&base, "file/b.txt", &tr).await.expect("reader");
    let mut w = join(&base, "file/b.txt", &tw).await.expect("writer");
    r.type_at(0, "sneaky").await;
    // The refusal coming back says the host handled the edit.
    r.pump_until("the refusal", |p| p.denied.len() == 2).await;
    assert!(r.denied.iter().all(|d| d.contains("read-only")));
    let room = hub.room("file/b.txt").expect("room");
    assert_eq!(room.text(), "");
    marker(&room, 1);
    w.pump_until("the host's marker", |p| p.has_marker(1)).await;
    assert_eq!(w.text(), "", "nobody else sees it");
    // The reader still follows the writer live (its own refused text stays only with it).
    w.type_at(0, "shared").await;
    r.pump_until("the writer's edit", |p| p.text().contains("shared")).await;
    // Made writable, it resyncs and its edits are taken.
    hub.set_role(&tr, Role::ReadWrite).expect("role");
    let mut r2 = join(&base, "file/b.txt", &tr).await.expect("rejoin");
    assert_eq!(r2.text(), "shared");
    r2.type_at(6, "!").await;
    w.pump_until("the rejoined reader's edit", |p| p.text() == "shared!").await;
    assert_eq!(hub.room("file/b.txt").expect("room").text(), "shared!");
}

#[tokio::test]
async fn malformed_or_oversized_frames_close_only_that_connection() {
    let (hub, base) = host(4096).await;
    let t = hub.invite("Ada", Role::ReadWrite);
    let mut good = join(&base, "file/a.txt", &t).await.expect("good");
    let mut bad = join(&base, "file/a.txt", &t).await.expect("bad");
    bad.ws.send(Ws::Binary(vec![0, 1, 200, 200, 200].into())).await.expect("send");
    bad.pump_until("the close", |p| p.closed.is_some()).await;
    assert_eq!(bad.closed, Some(1007));
    let mut text = join(&base, "file/a.txt", &t).await.expect("text");
    text.ws.send(Ws::Text("hello".into())).await.expect("send");
    text.pump_until("the close", |p| p.closed.is_some()).await;
    assert_eq!(text.closed, Some(1003));
    let mut big = join(&base, "file/a.txt", &t).await.expect("big");
    let _ = big.ws.send(Ws::Binary(vec![0u8; 64 * 1024].into())).await;
    big.pump_until("the close", |p| p.closed.is_some()).await;
    // The host goes on serving everyone else.
    good.type_at(5, "!").await;
    let mut late = join(&base, "file/a.txt", &t).await.expect("late");
    late.pump_until("the good peer's edit", |p| p.text() == "hello!").await;
    marker(&hub.room("file/a.txt").expect("room"), 1);
    good.pump_until("the host's marker (still connected)", |p| p.has_marker(1)).await;
    assert!(good.closed.is_none());
}

#[test]
fn the_minimal_edit_is_the_changed_middle_in_utf16_units() {
    assert_eq!(weft_collab::minimal_edit("hello world", "hello brave world"), (6, 0, "brave ".into()));
    assert_eq!(weft_collab::minimal_edit("a😀b", "a😀cb"), (3, 0, "c".into()));
    assert_eq!(weft_collab::minimal_edit("abc", "abc"), (3, 0, String::new()));
    assert_eq!(weft_collab::minimal_edit("aXa", "aa"), (1, 1, String::new()));
}

/// The real folder host (its own loader, a real .gitignore), asked with raw HTTP upgrade
/// requests: each refusal has the status the README promises, and a shared file upgrades.
#[tokio::test]
async fn the_folder_host_answers_each_refusal_with_its_status() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The folder inside a scratch folder that also holds a file outside it.
    let scratch = tempfile::tempdir().expect("tmp");
    std::fs::write(scratch.path().join("outside.txt"), "not yours\n").expect("write");
    let dir = scratch.path().join("folder");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let dir = tempfile::TempDir::new_in(&dir).expect("tmp");
    std::fs::write(dir.path().join("a.txt"), "shared\n").expect("write");
    std::fs::write(dir.path().join(".gitignore"), "secret.env\n").expect("write");
    std::fs::write(dir.path().join("secret.env"), "TOKEN=1\n").expect("write");
    std::fs::create_dir_all(dir.path().join(".git")).expect("mkdir");
    std::fs::write(dir.path().join(".git/config"), "[core]\n").expect("write");
    let ws = weft_fs::Workspace::open(dir.path()).expect("workspace");
    let host = weft_collab::WorkspaceHost::start(ws, weft_collab::HostOptions::default()).await.expect("host");
    let token = host.hub.invite("Ada", Role::ReadOnly);
    let status = |path: String| {
        let addr = host.addr;
        async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
            s.write_all(req.as_bytes()).await.expect("write");
            let mut buf = vec![0u8; 512];
            let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await.expect("an answer").expect("read");
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            head.split(' ').nth(1).and_then(|c| c.parse::<u16>().ok()).unwrap_or(0)
        }
    };
    assert_eq!(status(format!("/file/a.txt?token={token}")).await, 101, "a shared file");
    assert_eq!(status("/file/a.txt".into()).await, 401, "no token");
    assert_eq!(status("/file/a.txt?token=wrong".into()).await, 401, "a wrong token");
    assert_eq!(status(format!("/file/../../outside.txt?token={token}")).await, 403, "up and out");
    assert_eq!(status(format!("/file/%2e%2e/%2e%2e/outside.txt?token={token}")).await, 403, "up and out, encoded");
    assert_eq!(status(format!("/file/secret.env?token={token}")).await, 403, "an ignored file");
    assert_eq!(status(format!("/file/.git/config?token={token}")).await, 403, ".git");
    assert_eq!(status(format!("/file/nope.txt?token={token}")).await, 403, "a file that does not exist: the same answer");
    host.hub.remove(&token).expect("remove");
    assert_eq!(status(format!("/file/a.txt?token={token}")).await, 401, "a removed guest");
}

/// A connection that stops answering (a peer gone without closing) is closed after two
/// ping rounds; one that reads (and so answers pings) stays.
#[tokio::test]
async fn a_connection_that_answers_no_pings_is_closed() {
    let (hub, base) = host_with(HubOptions { ping_every: Duration::from_millis(100), ..HubOptions::default() }).await;
    let (quiet, alive) = (hub.invite("Quiet", Role::ReadWrite), hub.invite("Alive", Role::ReadWrite));
    let (_silent, _) = connect_async(format!("{base}/file/a.txt?token={quiet}")).await.expect("connect");
    let (reader, _) = connect_async(format!("{base}/file/a.txt?token={alive}")).await.expect("connect");
    // Reading is what answers pings (tungstenite replies with a pong as it reads).
    let (_w, mut r) = reader.split();
    tokio::spawn(async move { while let Some(Ok(_)) = r.next().await {} });
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while hub.open_connections(&quiet) > 0 {
        assert!(tokio::time::Instant::now() < end, "the silent connection was never closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(hub.open_connections(&alive), 1, "the connection that answers stays");
}
