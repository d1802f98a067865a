//! weft-fs against real files in temporary folders.

mod jail;
mod ops;
mod save;
mod search;
mod tree;
mod watch;

use std::fs;
use std::path::Path;

pub fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    fs::write(p, content).expect("write");
}

pub fn ws(dir: &tempfile::TempDir) -> weft_fs::Workspace {
    weft_fs::Workspace::open(dir.path()).expect("open workspace")
}
