//! weft-fs against real files in temporary folders.

// Symlinks out of the folder and file modes: Unix only until they have Windows counterparts.
#[cfg(unix)]
mod jail;
mod ops;
#[cfg(unix)]
mod save;
mod search;
mod tree;
mod watch;
#[cfg(windows)]
mod windows;

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
