//! `weft checkpoint` as scripts use it, and the store's crash safety: the real binary is
//! killed with SIGKILL at random moments while taking checkpoints.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use weft_store::{Content, Store, StoreOptions};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn weft(data: &Path, ws: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_weft"));
    c.arg("checkpoint").arg("-C").arg(ws).env("WEFT_DATA_DIR", data).env("WEFT_CONFIG_DIR", data.join("config"));
    c
}

/// The workspace as a checkpoint should hold it: path -> bytes and mode.
fn disk(root: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (Vec<u8>, u32)>) {
        for e in fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            let m = fs::symlink_metadata(&p).expect("meta");
            if m.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("rel").to_str().expect("utf8").to_owned();
                out.insert(rel, (fs::read(&p).expect("read"), m.permissions().mode() & 0o7777));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn stored(store: &Store, id: i64) -> BTreeMap<String, (Vec<u8>, u32)> {
    store
        .contents(id)
        .expect("contents")
        .into_iter()
        .map(|(p, c)| match c {
            Content::File { bytes, mode } => (p, (bytes, mode)),
            Content::Symlink { .. } => panic!("no links in this tree"),
        })
        .collect()
}

fn mutate(root: &Path, rng: &mut Rng, round: u64) {
    for _ in 0..6 {
        let dir = root.join(format!("d{}", rng.below(12)));
        fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join(format!("f{}.txt", rng.below(30)));
        match rng.below(6) {
            0 => {
                let _ = fs::remove_file(&path);
            }
            _ => {
                let n = rng.below(40_000) as usize;
                let body: String = (0..n / 40).map(|i| format!("round {round} line {i} {}\n", rng.next())).collect();
                fs::write(&path, body).expect("write");
                fs::set_permissions(&path, fs::Permissions::from_mode([0o644, 0o755][rng.below(2) as usize])).expect("chmod");
            }
        }
    }
}

#[test]
fn checkpoints_survive_sigkill_at_random_moments() {
    let ws = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    let mut rng = Rng(0xc0ffee);
    for round in 0..40 {
        mutate(ws.path(), &mut rng, round);
    }
    let db = Store::db_path(data.path(), ws.path());

    let open = || Store::open(&db, ws.path(), StoreOptions::default()).expect("open");
    let mut expected: BTreeMap<i64, BTreeMap<String, (Vec<u8>, u32)>> = BTreeMap::new();
    // Commits the current state uninterrupted, checks it, and says how long it took: the
    // kills land anywhere in up to one and a half times that.
    let commit = |expected: &mut BTreeMap<i64, BTreeMap<String, (Vec<u8>, u32)>>| {
        let state = disk(ws.path());
        let t = Instant::now();
        assert!(weft(data.path(), ws.path()).arg("create").stdout(Stdio::null()).status().expect("run").success());
        let took = t.elapsed();
        let store = open();
        let latest = store.list().expect("list")[0].id;
        assert_eq!(stored(&store, latest), state);
        expected.insert(latest, state);
        took
    };
    let mut window = commit(&mut expected);
    let (mut committed, mut killed) = (0, 0);
    for round in 0..200u64 {
        mutate(ws.path(), &mut rng, 1000 + round);
        let state = disk(ws.path());
        let mut child = weft(data.path(), ws.path()).arg("create").stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.below(window.as_micros() as u64 * 3 / 2 + 1)));
        child.kill().expect("SIGKILL");
        if child.wait().expect("wait").success() {
            committed += 1;
        } else {
            killed += 1;
        }

        let store = open();
        assert_eq!(store.integrity_check().expect("check"), "ok", "round {round}");
        let latest = store.list().expect("list").first().map(|c| c.id).expect("checkpoints");
        if !expected.contains_key(&latest) {
            // The killed process got as far as committing: it holds exactly the state then.
            assert_eq!(stored(&store, latest), state, "round {round}: checkpoint #{latest}");
            expected.insert(latest, state);
        }
        drop(store);
        // Now and then a run that finishes, as the app's next automatic checkpoint would.
        if round % 5 == 4 {
            mutate(ws.path(), &mut rng, 5000 + round);
            window = commit(&mut expected);
        }
    }
    assert!(killed > 50 && committed > 20, "kills must land mid-checkpoint and some runs must finish ({killed} killed, {committed} finished)");

    // Every checkpoint, including those before the kills, still holds exactly its state.
    let store = open();
    for (id, state) in &expected {
        assert_eq!(&stored(&store, *id), state, "checkpoint #{id}");
    }
    // And a real restore of an early one reproduces it on disk.
    let (first, state) = expected.iter().next().expect("first");
    let report = store.restore(*first, None).expect("restore");
    assert!(report.failed.is_empty());
    assert_eq!(&disk(ws.path()), state);
    eprintln!("{} checkpoints verified; {killed} runs killed, {committed} finished", expected.len());
}

#[test]
fn the_command_line_creates_lists_diffs_and_restores() {
    let ws = tempfile::tempdir().expect("tmp");
    let data = tempfile::tempdir().expect("tmp");
    fs::write(ws.path().join("notes.md"), "# Notes\nfirst\n").expect("write");
    let out = |args: &[&str]| {
        let o = weft(data.path(), ws.path()).args(args).output().expect("run");
        (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (ok, text, _) = out(&["create", "-m", "before the edit"]);
    assert!(ok);
    assert!(text.contains("checkpoint #1 created"), "{text}");
    fs::write(ws.path().join("notes.md"), "# Notes\nsecond\n").expect("write");

    let (ok, text, _) = out(&["diff", "1"]);
    assert!(ok);
    assert!(text.contains("-first\n+second\n"), "{text}");

    let (ok, text, _) = out(&["restore", "1", "--dry-run"]);
    assert!(ok);
    assert_eq!(text.trim(), "modify  notes.md");
    assert_eq!(fs::read_to_string(ws.path().join("notes.md")).expect("read"), "# Notes\nsecond\n", "a dry run changes nothing");

    let (ok, text, _) = out(&["--json", "restore", "1"]);
    assert!(ok);
    let report: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(fs::read_to_string(ws.path().join("notes.md")).expect("read"), "# Notes\nfirst\n");
    let undo = report["undo"].as_i64().expect("undo").to_string();
    assert!(out(&["restore", &undo]).0);
    assert_eq!(fs::read_to_string(ws.path().join("notes.md")).expect("read"), "# Notes\nsecond\n");

    let (_, text, _) = out(&["list"]);
    assert!(text.contains("before the edit") && text.contains("restore"), "{text}");
    let (ok, _, err) = out(&["show", "77"]);
    assert!(!ok);
    assert_eq!(err.trim(), "weft: there is no checkpoint #77");
}
