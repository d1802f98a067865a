//! Checkpoint speed and size against git on the same tree, in the same run.
//!
//! The tree: 10,000 real source files copied from the UI's node_modules (JavaScript,
//! TypeScript, JSON, Markdown, maps), or from WEFT_BENCH_SRC. Two identical copies: one
//! gets `git add -A && git commit -q`, the other a Weft checkpoint. The first snapshot is
//! taken WEFT_BENCH_FIRST times (default 5) from scratch (a new repository, a new store),
//! interleaved, the side that goes first alternating, after a read of both trees so the page
//! cache is equally warm; the median is reported. Then one file is edited in both and each
//! takes another snapshot, alternating too. Sizes: the SQLite file against .git/objects,
//! both as apparent size and as space on disk (`du`).
//!
//! cargo bench -p weft-store --bench checkpoint
//! (WEFT_BENCH_SRC=DIR another tree, WEFT_BENCH_ROUNDS=N edits, WEFT_BENCH_FIRST=N,
//! WEFT_BENCH_KEEP_DB=FILE)

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use weft_store::{Origin, Store, StoreOptions};

const FILES: usize = 10_000;
const MAX_FILE: u64 = 1024 * 1024;

fn main() {
    let sources: Vec<PathBuf> = match std::env::var_os("WEFT_BENCH_SRC") {
        Some(s) => vec![PathBuf::from(s)],
        None => {
            let cargo = std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
            let mut v = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules")];
            v.extend(cargo.map(|c| c.join("registry/src")));
            v
        }
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (a, b) = (tmp.path().join("weft"), tmp.path().join("git"));
    let (mut n, mut bytes) = (0, 0);
    for (i, src) in sources.iter().enumerate() {
        let (k, b2) = copy_tree(src, &[&a.join(format!("src{i}")), &b.join(format!("src{i}"))], FILES - n);
        n += k;
        bytes += b2;
        println!("tree: {k} files from {}", src.display());
    }
    println!("tree: {n} files, {:.1} MB", bytes as f64 / 1e6);

    // Equally warm: every file of both copies read once.
    for root in [&a, &b] {
        warm(root);
    }
    let data = tmp.path().join("data");
    let db = Store::db_path(&data, &a);
    let opts = || StoreOptions { ignore: vec![], max_file_bytes: 64 * MAX_FILE };
    let firsts: usize = std::env::var("WEFT_BENCH_FIRST").ok().and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let (mut git_fulls, mut weft_fulls) = (Vec::new(), Vec::new());
    for i in 0..firsts {
        let _ = fs::remove_dir_all(b.join(".git"));
        let _ = fs::remove_dir_all(&data);
        git(&b, &["init", "-q"]);
        git(&b, &["config", "user.email", "bench@weft"]);
        git(&b, &["config", "user.name", "bench"]);
        git(&b, &["config", "gc.auto", "0"]);
        let store = Store::open(&db, &a, opts()).expect("open");
        let (g, w) = both(i, &b, "full", &store);
        git_fulls.push(g);
        weft_fulls.push(w);
    }
    let store = Store::open(&db, &a, opts()).expect("open");
    let med_of = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (git_full, weft_full) = (med_of(&mut git_fulls), med_of(&mut weft_fulls));
    let range = |v: &[Duration]| format!("{:.0}–{:.0} ms", v[0].as_secs_f64() * 1e3, v[v.len() - 1].as_secs_f64() * 1e3);
    println!("first snapshot, {firsts} runs each: weft {}, git {}", range(&weft_fulls), range(&git_fulls));
    let git_files: usize = String::from_utf8_lossy(&Command::new("git").args(["ls-files"]).current_dir(&b).output().expect("git").stdout).lines().count();
    let weft_files = store.list().expect("list")[0].files as usize;

    // One-file edits, a few rounds: the median is reported.
    let edited = first_text_file(&a);
    let (mut git_inc, mut weft_inc) = (Vec::new(), Vec::new());
    let rounds: usize = std::env::var("WEFT_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    for round in 0..rounds {
        for root in [&a, &b] {
            let p = root.join(&edited);
            let mut text = fs::read(&p).expect("read");
            text.extend_from_slice(format!("\n// edit {round}\n").as_bytes());
            fs::write(&p, text).expect("write");
        }
        let (g, w) = both(round, &b, &format!("edit{round}"), &store);
        git_inc.push(g);
        weft_inc.push(w);
    }
    let (blobs, payload) = store.blob_stats().expect("stats");
    println!("blobs: {blobs}, compressed payload {:.1} MB", payload as f64 / 1e6);
    drop(store); // folds the WAL into the database file
    let weft_size = file_size(&db) + file_size(&db.with_extension("sqlite-wal"));
    let weft_du = du(&db) + du(&db.with_extension("sqlite-wal"));
    // For looking inside (e.g. SQLite's dbstat) after the run.
    if let Some(keep) = std::env::var_os("WEFT_BENCH_KEEP_DB") {
        fs::copy(&db, keep).expect("keep the database");
    }
    let (git_size, git_du) = (dir_size(&b.join(".git/objects")), du(&b.join(".git/objects")));

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (gi, wi) = (med(&mut git_inc), med(&mut weft_inc));
    println!("files snapshotted: weft {weft_files}, git {git_files}");
    println!("| step | weft | git | weft / git |");
    println!("|---|---:|---:|---:|");
    println!("| first checkpoint ({n} files, median of {firsts}) | {:.0} ms | {:.0} ms | {:.2}x |", ms(weft_full), ms(git_full), ms(weft_full) / ms(git_full));
    println!("| after a one-file edit (median of {rounds}) | {:.1} ms | {:.1} ms | {:.2}x |", ms(wi), ms(gi), ms(wi) / ms(gi));
    let mb = |b: u64| b as f64 / 1e6;
    println!("| store size after {} snapshots, apparent | {:.1} MB | {:.1} MB | {:.2}x |", rounds + 1, mb(weft_size), mb(git_size), weft_size as f64 / git_size as f64);
    println!("| the same, space on disk (du) | {:.1} MB | {:.1} MB | {:.2}x |", mb(weft_du), mb(git_du), weft_du as f64 / git_du as f64);
}

/// One snapshot by each side, git first on even rounds and Weft first on odd ones: (git, weft).
fn both(round: usize, git_root: &Path, label: &str, store: &Store) -> (Duration, Duration) {
    let g = || time(|| sh(git_root, &format!("git add -A && git commit -q -m {label}")));
    let w = || {
        time(|| {
            let c = store.create(label, Origin::Manual, None).expect("create");
            assert!(c.new, "the tree changed, so the checkpoint is new");
        })
    };
    if round % 2 == 0 {
        let gd = g();
        (gd, w())
    } else {
        let wd = w();
        (g(), wd)
    }
}

/// Reads every file under `root` once (the page cache then holds both trees alike).
fn warm(root: &Path) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).expect("read_dir").filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let _ = fs::read(&p);
            }
        }
    }
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn git(dir: &Path, args: &[&str]) {
    assert!(Command::new("git").args(args).current_dir(dir).status().expect("git").success());
}

fn sh(dir: &Path, script: &str) {
    assert!(Command::new("sh").arg("-c").arg(script).current_dir(dir).status().expect("sh").success());
}

/// Copies the first `limit` regular files (depth first, sorted) under `src` to every `dst`.
fn copy_tree(src: &Path, dsts: &[&Path], limit: usize) -> (usize, u64) {
    let mut stack = vec![src.to_path_buf()];
    let (mut n, mut bytes) = (0, 0);
    while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.file_name()));
        for e in entries {
            let p = e.path();
            let Ok(m) = fs::symlink_metadata(&p) else { continue };
            let name = e.file_name();
            if m.is_dir() && name != ".git" {
                stack.push(p);
            } else if m.is_file() && m.len() <= MAX_FILE && name != ".gitignore" {
                if n == limit {
                    return (n, bytes);
                }
                let rel = p.strip_prefix(src).expect("rel");
                for d in dsts {
                    let to = d.join(rel);
                    fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
                    fs::copy(&p, &to).expect("copy");
                }
                n += 1;
                bytes += m.len();
            }
        }
    }
    (n, bytes)
}

fn first_text_file(root: &Path) -> PathBuf {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).expect("read_dir").filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() && !p.ends_with(".git") {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "js") {
                return p.strip_prefix(root).expect("rel").to_path_buf();
            }
        }
    }
    panic!("no .js file in the tree");
}

fn file_size(p: &Path) -> u64 {
    fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn dir_size(p: &Path) -> u64 {
    fs::read_dir(p).map(|rd| rd.filter_map(Result::ok).map(|e| {
        let m = e.metadata().expect("meta");
        if m.is_dir() { dir_size(&e.path()) } else { m.len() }
    }).sum()).unwrap_or(0)
}

fn du(p: &Path) -> u64 {
    let out = Command::new("du").args(["-sk"]).arg(p).output().expect("du");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().and_then(|k| k.parse::<u64>().ok()).unwrap_or(0) * 1024
}
