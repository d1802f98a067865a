//! `weft collab host` as an always-on host: killed with SIGKILL and started again, it has
//! every edit it had acknowledged, the same invite links work, and guests resync by
//! themselves.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use weft_collab::{Backoff, Endpoint, Peer, PeerStatus};

struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the host; returns it and the invite link printed for `alice`.
fn host(folder: &Path, data: &Path, port: u16) -> (Host, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["collab", "host", folder.to_str().expect("utf8"), "--port", &port.to_string(), "--address", "127.0.0.1", "--guest", "alice"])
        .env("WEFT_CONFIG_DIR", data.join("c"))
        .env("WEFT_DATA_DIR", data.join("d"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn weft collab host");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let invite = lines.by_ref().map_while(Result::ok).find(|l| l.starts_with("invite alice")).expect("an invite for alice");
    std::thread::spawn(move || lines.for_each(drop));
    let link = invite.rsplit(' ').next().expect("link").to_owned();
    (Host(child), link)
}

/// The room endpoint for `path` from an invite link `wss://HOST:PORT/?token=T&fp=F`.
fn room_url(link: &str, path: &str) -> Endpoint {
    let (base, query) = link.split_once("/?token=").expect("invite link shape");
    let (token, fp) = query.split_once("&fp=").expect("a fingerprint in the link");
    assert!(base.starts_with("wss://"), "on the network the host serves TLS: {link}");
    Endpoint { url: format!("{base}/file/{path}?token={token}"), pin: Some(fp.to_owned()) }
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(tokio::time::Instant::now() < end, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[tokio::test]
async fn a_host_killed_with_sigkill_keeps_acknowledged_edits_and_guests_resync() {
    let folder = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(folder.path().join("notes.md"), "# Notes\n").expect("write");
    let port = free_port();
    let (mut first, link) = host(folder.path(), data.path(), port);
    let backoff = Backoff { min: Duration::from_millis(50), max: Duration::from_millis(400) };
    let a = Peer::join(room_url(&link, "notes.md"), "file/notes.md", backoff);
    let b = Peer::join(room_url(&link, "notes.md"), "file/notes.md", backoff);
    until("both joined", || a.text() == "# Notes\n" && b.text() == "# Notes\n").await;
    a.insert(8, "- from alice\n");
    until("the host relayed it (acknowledged)", || b.text() == "# Notes\n- from alice\n").await;

    // SIGKILL: no shutdown path runs; the edit may not be saved to notes.md yet.
    first.0.kill().expect("kill");
    first.0.wait().expect("wait");
    drop(first);
    until("the guests notice", || a.status() != PeerStatus::Online && b.status() != PeerStatus::Online).await;
    b.insert(0, "<!-- b was offline -->\n");

    let (_second, link2) = host(folder.path(), data.path(), port);
    assert_eq!(link2, link, "the same invite link (token and certificate) works after a restart");
    let want = "<!-- b was offline -->\n# Notes\n- from alice\n";
    until("both resynced", || a.text() == want && b.text() == want).await;
    until("the host saved the merged text", || std::fs::read_to_string(folder.path().join("notes.md")).ok().as_deref() == Some(want)).await;
    assert_eq!(a.status(), PeerStatus::Online);
}

/// `weft collab host` on the network inviting alice, with stdin and stdout piped.
fn controlled_host(folder: &Path, data: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["collab", "host", folder.to_str().expect("utf8"), "--address", "127.0.0.1", "--guest", "alice"])
        .env("WEFT_CONFIG_DIR", data.join("c"))
        .env("WEFT_DATA_DIR", data.join("d"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn weft collab host")
}

#[tokio::test]
async fn the_running_host_is_controlled_from_its_stdin() {
    use std::io::Write;
    let folder = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(folder.path().join("a.txt"), "hi").expect("write");
    let mut child = controlled_host(folder.path(), data.path());
    let mut stdin = child.stdin.take().expect("stdin");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out = child.stdout.take().expect("stdout");
    std::thread::spawn(move || BufReader::new(out).lines().map_while(Result::ok).for_each(|l| drop(tx.send(l))));
    let _host = Host(child);
    let expect = |prefix: &str| loop {
        let l = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("no line starting {prefix:?}"));
        if l.starts_with(prefix) {
            return l;
        }
    };
    expect("invite alice (read-write): wss://");
    expect("commands:");

    let mut say = |s: &str| writeln!(stdin, "{s}").expect("write stdin");
    say("invite carol ro");
    let link = expect("invite carol (read-only): ").rsplit(' ').next().expect("link").to_owned();
    let carol = Peer::join(room_url(&link, "a.txt"), "file/a.txt", Backoff::default());
    until("carol is told she may only read", || carol.status() == PeerStatus::ReadOnly).await;
    say("rw carol");
    expect("carol is now read-write");
    say("guests");
    expect("alice (read-write): wss://");
    say("remove carol");
    expect("removed carol");
    until("carol is disconnected", || carol.status() == PeerStatus::Removed).await;
    say("remove nobody");
    expect("error: no guest named nobody");
    say("frobnicate");
    expect("unknown command");
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn backoff() -> Backoff {
    Backoff { min: Duration::from_millis(50), max: Duration::from_millis(400) }
}

/// A guest types; before the host saves, another program (a formatter, a script) rewrites
/// the file with the guest's edit already in it and a change of its own. The edit is there
/// once, and disk and guests agree. (It used to be merged as new: twice on disk, and the
/// guests never saw the result.)
#[tokio::test]
async fn an_outside_rewrite_holding_a_guests_unsaved_edit_does_not_duplicate_it() {
    let folder = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    let file = folder.path().join("notes.md");
    std::fs::write(&file, "line one\nline two\n").expect("write");
    let (_host, link) = host(folder.path(), data.path(), free_port());
    let a = Peer::join(room_url(&link, "notes.md"), "file/notes.md", backoff());
    let b = Peer::join(room_url(&link, "notes.md"), "file/notes.md", backoff());
    until("both joined", || a.text() == "line one\nline two\n" && b.text() == a.text()).await;
    a.insert(9, "guest line\n");
    until("the host relayed it", || b.text() == "line one\nguest line\nline two\n").await;
    // At once: the host saves only after a quiet 400 ms, so the edit is not on disk yet.
    assert_eq!(read(&file), "line one\nline two\n", "the rewrite races the host's save");
    std::fs::write(&file, "LINE ONE\nguest line\nline two\n").expect("rewrite");
    let want = "LINE ONE\nguest line\nline two\n";
    until("disk and both guests hold the rewrite, the edit once", || a.text() == want && b.text() == want && read(&file) == want).await;
}

/// A guest types in a large file while the host writes its saves: the host's own write,
/// reported by the watcher, is never merged again (it used to duplicate what was typed
/// since the previous save, in the document and on disk).
#[tokio::test]
async fn the_hosts_own_saves_coming_back_while_a_guest_types_change_nothing() {
    let folder = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    let file = folder.path().join("big.txt");
    // ~8 MB: each save takes long enough for typing to land while it is written.
    let body: String = (0..200_000).map(|i| format!("line {i:06} of the large file\n")).collect();
    std::fs::write(&file, &body).expect("write");
    let (_host, link) = host(folder.path(), data.path(), free_port());
    let a = Peer::join(room_url(&link, "big.txt"), "file/big.txt", backoff());
    until("joined", || a.text().len() == body.len()).await;
    let mut typed = vec![];
    // The host saves once the room was quiet for one 400 ms tick, so a save starts 400 to
    // 800 ms after the last keystroke; pauses drawn from that range make some bursts land
    // while a save is being written.
    let mut seed = 0x2545_f491_u64;
    for burst in 0..30 {
        for k in 0..2 {
            let token = format!("<t{burst}.{k}>\n");
            a.insert(0, &token);
            typed.push(token);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        tokio::time::sleep(Duration::from_millis(380 + (seed >> 33) % 440)).await;
    }
    let want: String = typed.iter().rev().cloned().collect::<String>() + &body;
    until("the document and the disk hold exactly what was typed", || a.text() == want && read(&file) == want).await;
}

/// The file changed on disk while the host was down, with a guest's edit the host had not
/// saved yet: on restart both are kept (the room's log used to overwrite the file).
#[tokio::test]
async fn a_file_changed_while_the_host_was_down_is_merged_on_restart() {
    let folder = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    let file = folder.path().join("notes.md");
    std::fs::write(&file, "# Notes\nsecond\n").expect("write");
    let port = free_port();
    let (mut first, link) = host(folder.path(), data.path(), port);
    let a = Peer::join(room_url(&link, "notes.md"), "file/notes.md", backoff());
    let b = Peer::join(room_url(&link, "notes.md"), "file/notes.md", backoff());
    until("both joined", || a.text() == "# Notes\nsecond\n" && b.text() == a.text()).await;
    a.insert(8, "from alice\n");
    until("the host relayed it", || b.text() == "# Notes\nfrom alice\nsecond\n").await;
    first.0.kill().expect("kill");
    first.0.wait().expect("wait");
    drop(first);
    drop(b);
    // While the host is down another program appends to the file (whether or not the host
    // had saved alice's line by then).
    let mut on_disk = read(&file);
    on_disk.push_str("appended while the host was down\n");
    std::fs::write(&file, &on_disk).expect("write");

    let (_second, _) = host(folder.path(), data.path(), port);
    let want = "# Notes\nfrom alice\nsecond\nappended while the host was down\n";
    until("alice resynced with the merged text", || a.text() == want).await;
    until("the host saved the merge", || read(&file) == want).await;
}

/// Ctrl+C (or SIGTERM) stops the host even while its stdin is open (it used to hang), and
/// what guests typed but the host had not saved yet is saved on the way out.
#[tokio::test]
async fn the_host_stops_on_sigint_or_sigterm_and_saves_first() {
    for signal in ["-INT", "-TERM"] {
        let folder = tempfile::tempdir().expect("tmp");
        let data = tempfile::tempdir().expect("tmp");
        let file = folder.path().join("notes.md");
        std::fs::write(&file, "# Notes\n").expect("write");
        let mut child = controlled_host(folder.path(), data.path());
        let _stdin = child.stdin.take().expect("stdin (kept open)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let invite = lines.by_ref().map_while(Result::ok).find(|l| l.starts_with("invite alice")).expect("an invite");
        let link = invite.rsplit(' ').next().expect("link").to_owned();
        let a = Peer::join(room_url(&link, "notes.md"), "file/notes.md", backoff());
        let b = Peer::join(room_url(&link, "notes.md"), "file/notes.md", backoff());
        until("joined", || a.text() == "# Notes\n" && b.text() == a.text()).await;
        a.insert(8, "typed just before the stop\n");
        until("the host relayed it", || b.text().contains("typed just before")).await;
        let pid = child.id().to_string();
        assert!(Command::new("kill").args([signal, &pid]).status().expect("kill").success());
        let waited = tokio::task::spawn_blocking(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            loop {
                if let Some(status) = child.try_wait().expect("wait") {
                    return Some(status);
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    return None;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
        .await
        .expect("join");
        let status = waited.unwrap_or_else(|| panic!("{signal}: the host did not stop"));
        assert!(status.success(), "{signal}: {status:?}");
        assert_eq!(read(&file), "# Notes\ntyped just before the stop\n", "{signal}: saved on the way out");
    }
}
