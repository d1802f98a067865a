//! Writing a checkpoint back to the working tree. Each file is written atomically with its
//! mode; nothing is ever written through a symlink (a link in the way is replaced, a link
//! as a parent directory is an error for that file); one file's failure does not stop the
//! others.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::manifest::{hash_bytes, Hash, Manifest, Node};
use crate::{FailedFile, RestorePlan, StoreError};

pub fn apply(root: &Path, target: &Manifest, plan: &RestorePlan, content: &mut dyn FnMut(&Hash) -> Result<Vec<u8>, StoreError>) -> Vec<FailedFile> {
    let mut failed = Vec::new();
    let mut fail = |path: &str, message: String| failed.push(FailedFile { path: path.to_owned(), message });

    for path in &plan.delete {
        let full = join(root, path);
        match remove_entry(&full) {
            Ok(()) => prune_empty_parents(root, &full),
            Err(e) => fail(path, e.to_string()),
        }
    }
    for path in plan.modify.iter().chain(&plan.create) {
        let Some(node) = target.get(path) else { continue };
        if let Err(e) = write_entry(root, path, node, content) {
            fail(path, e.to_string());
        }
    }
    failed.sort_by(|a, b| a.path.cmp(&b.path));
    failed
}

/// Whether a file or link is at `rel` (a folder in the way is handled by the restore
/// itself: emptied of what the checkpoint holds, removed only if nothing else is left).
pub(crate) fn on_disk(root: &Path, rel: &str) -> bool {
    fs::symlink_metadata(join(root, rel)).is_ok_and(|m| !m.is_dir())
}

fn join(root: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(root.to_path_buf(), |p, c| p.join(c))
}

fn remove_entry(full: &Path) -> std::io::Result<()> {
    match fs::remove_file(full) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

/// Directories emptied by a restore go too, so that undoing a restore that created
/// `a/b/c.txt` leaves no `a/b/` behind.
fn prune_empty_parents(root: &Path, full: &Path) {
    let mut dir = full.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn write_entry(root: &Path, rel: &str, node: &Node, content: &mut dyn FnMut(&Hash) -> Result<Vec<u8>, StoreError>) -> Result<(), StoreError> {
    let full = join(root, rel);
    ensure_parents(root, rel)?;
    // A directory standing where the file goes (its own files were deleted above) must go.
    if let Ok(m) = fs::symlink_metadata(&full) {
        if m.is_dir() {
            fs::remove_dir(&full).map_err(|e| StoreError::Invalid(format!("a directory is in the way: {e}")))?;
        }
    }
    match node {
        Node::File { mode, hash, .. } => {
            let bytes = content(hash)?;
            if hash_bytes(&bytes) != *hash {
                return Err(StoreError::Corrupt(format!("the stored content of {rel} does not match its hash")));
            }
            weft_fs::atomic_write_mode(&full, &bytes, Some(*mode))?;
        }
        Node::Symlink { target } => write_symlink(&full, target)?,
    }
    Ok(())
}

/// Creates the missing parents of `rel`; every existing one must be a real directory.
fn ensure_parents(root: &Path, rel: &str) -> Result<(), StoreError> {
    let mut dir = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(StoreError::Invalid(format!("{} is a symlink; restore does not write through links", dir.strip_prefix(root).unwrap_or(&dir).display())));
            }
            Ok(_) => return Err(StoreError::Invalid(format!("{} is a file, not a directory", dir.strip_prefix(root).unwrap_or(&dir).display()))),
            Err(e) if e.kind() == ErrorKind::NotFound => fs::create_dir(&dir)?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn write_symlink(full: &Path, target: &str) -> Result<(), StoreError> {
    // Made beside and renamed over, so the old entry is replaced in one step.
    let name = full.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = full.with_file_name(format!(".{name}.weft-{}-link.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    if let Err(e) = fs::rename(&tmp, full) {
        let _ = fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(())
}

#[cfg(not(unix))]
fn write_symlink(full: &Path, target: &str) -> Result<(), StoreError> {
    let _ = fs::remove_file(full);
    std::os::windows::fs::symlink_file(target, full)?;
    Ok(())
}
