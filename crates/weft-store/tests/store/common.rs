#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use weft_store::{Store, StoreOptions};

/// A small seeded generator: the same seed builds the same trees on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// What a person would see on disk: every entry with its bytes, mode or link target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disk {
    File(Vec<u8>, u32),
    Link(String),
}

pub fn read_tree(root: &Path) -> BTreeMap<String, Disk> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Disk>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
        let m = fs::symlink_metadata(&p).unwrap();
        if m.file_type().is_symlink() {
            out.insert(rel, Disk::Link(fs::read_link(&p).unwrap().to_str().unwrap().to_owned()));
        } else if m.is_dir() {
            walk(root, &p, out);
        } else {
            out.insert(rel, Disk::File(fs::read(&p).unwrap(), mode(&m)));
        }
    }
}

/// A file's mode as a checkpoint records it: the permission bits on Unix; on Windows only
/// whether it is read-only.
#[cfg(unix)]
pub fn mode(m: &fs::Metadata) -> u32 {
    m.permissions().mode() & 0o7777
}
#[cfg(not(unix))]
pub fn mode(m: &fs::Metadata) -> u32 {
    if m.permissions().readonly() { 0o444 } else { 0o644 }
}

/// Sets a random mode (Unix); on Windows files stay writable (read-only files there are a
/// case of their own, not covered by these trees).
#[cfg(unix)]
fn random_mode(path: &Path, rng: &mut Rng) {
    let mode = [0o644, 0o755, 0o600, 0o444][rng.below(4) as usize];
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}
#[cfg(not(unix))]
fn random_mode(_path: &Path, rng: &mut Rng) {
    rng.below(4);
}

/// A symlink on Unix; on Windows (where making one needs a privilege) a small file.
#[cfg(unix)]
fn random_link(path: &Path, rng: &mut Rng) {
    std::os::unix::fs::symlink(["../a", "/etc/hostname", "missing-target", "f0-a.txt"][rng.below(4) as usize], path).unwrap();
}
#[cfg(not(unix))]
fn random_link(path: &Path, rng: &mut Rng) {
    fs::write(path, ["../a", "/etc/hostname", "missing-target", "f0-a.txt"][rng.below(4) as usize]).unwrap();
}

const NAMES: &[&str] = &["a", "src", "Ünïcödé", "深い", "with space", ".hidden", "x-y_z", "emoji-🦀"];

/// A random tree: text, binary and empty files, unicode and deep paths, executables and
/// symlinks (inside, dangling, and pointing out of the workspace).
pub fn random_tree(root: &Path, rng: &mut Rng, files: usize) {
    for i in 0..files {
        let depth = rng.below(7) as usize;
        let mut dir = root.to_path_buf();
        for _ in 0..depth {
            dir.push(NAMES[rng.below(NAMES.len() as u64) as usize]);
        }
        let path = dir.join(format!("f{i}-{}.{}", NAMES[rng.below(NAMES.len() as u64) as usize], ["txt", "bin", "rs", "sh"][rng.below(4) as usize]));
        if fs::symlink_metadata(&dir).map(|m| !m.is_dir()).unwrap_or(false) {
            continue;
        }
        fs::create_dir_all(&dir).unwrap();
        write_random(&path, rng, i);
    }
}

pub fn write_random(path: &Path, rng: &mut Rng, i: usize) {
    let _ = fs::remove_file(path);
    match rng.below(10) {
        0 => fs::write(path, b"").unwrap(),
        1 | 2 => {
            let n = rng.below(20_000) as usize;
            fs::write(path, rng.bytes(n)).unwrap();
        }
        3 => random_link(path, rng),
        _ => {
            let lines = rng.below(200);
            let text: String = (0..lines).map(|l| format!("line {l} of file {i}: {}\n", rng.next())).collect();
            fs::write(path, text).unwrap();
        }
    }
    if fs::symlink_metadata(path).unwrap().is_file() {
        random_mode(path, rng);
    }
}

/// Edits, adds, deletes and re-modes a share of the files.
pub fn mutate(root: &Path, rng: &mut Rng, round: usize) {
    let tree = read_tree(root);
    for (i, (path, _)) in tree.iter().enumerate() {
        let p = root.join(path);
        match rng.below(8) {
            0 => fs::remove_file(&p).unwrap(),
            1 => write_random(&p, rng, 10_000 + i),
            #[cfg(unix)]
            2 if fs::symlink_metadata(&p).unwrap().is_file() => {
                let mode = fs::metadata(&p).unwrap().permissions().mode() ^ 0o111;
                fs::set_permissions(&p, fs::Permissions::from_mode(mode & 0o7777)).unwrap();
            }
            _ => {}
        }
    }
    random_tree(root, rng, 10 + round);
}

pub struct Fixture {
    pub ws: tempfile::TempDir,
    pub data: tempfile::TempDir,
    pub store: Store,
}

pub fn fixture() -> Fixture {
    let ws = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::db_path(data.path(), ws.path()), ws.path(), StoreOptions::default()).unwrap();
    Fixture { ws, data, store }
}
