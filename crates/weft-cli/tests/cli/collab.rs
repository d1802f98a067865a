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

#[tokio::test]
async fn the_running_host_is_controlled_from_its_stdin() {
    use std::io::Write;
    let folder = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(folder.path().join("a.txt"), "hi").expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["collab", "host", folder.path().to_str().expect("utf8"), "--address", "127.0.0.1", "--guest", "alice"])
        .env("WEFT_CONFIG_DIR", data.path().join("c"))
        .env("WEFT_DATA_DIR", data.path().join("d"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
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
