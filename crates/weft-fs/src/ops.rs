//! Creating, renaming, moving and deleting entries. Nothing here overwrites an existing
//! entry: a clash is an error the user sees, never a silent loss.

use std::fs;

use crate::{FsError, Result, Workspace};

impl Workspace {
    pub fn create_file(&self, rel: &str) -> Result<()> {
        let path = self.resolve(rel)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| FsError::io("create", rel, e))?;
        }
        fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(|e| FsError::io("create", rel, e))?;
        self.fs().touched(&[&path]);
        Ok(())
    }

    pub fn create_dir(&self, rel: &str) -> Result<()> {
        let path = self.resolve(rel)?;
        if path.symlink_metadata().is_ok() {
            return Err(FsError::AlreadyExists(rel.to_owned()));
        }
        fs::create_dir_all(&path).map_err(|e| FsError::io("create folder", rel, e))?;
        self.fs().touched(&[&path]);
        Ok(())
    }

    /// Rename or move (drag and drop in the tree). Refuses to overwrite, and refuses to
    /// move a folder into itself.
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        let src = self.resolve(from)?;
        let dst = self.resolve(to)?;
        if src == self.root() || dst == self.root() {
            return Err(FsError::InvalidPath { path: from.to_owned(), reason: "the workspace root cannot be moved" });
        }
        src.symlink_metadata().map_err(|e| FsError::io("rename", from, e))?;
        // On a case-insensitive disk (Windows, macOS) `Notes.txt` "exists" when renaming
        // `notes.txt` to it: it is the same file, and a case-only rename is allowed.
        let case_only = dst.symlink_metadata().is_ok();
        if case_only && !same_file::is_same_file(&src, &dst).unwrap_or(false) {
            return Err(FsError::AlreadyExists(to.to_owned()));
        }
        if dst.starts_with(&src) {
            return Err(FsError::InvalidPath { path: to.to_owned(), reason: "a folder cannot be moved into itself" });
        }
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).map_err(|e| FsError::io("rename", to, e))?;
        }
        if case_only {
            // Through a temporary name, as `git mv` does there: renaming a file onto another
            // spelling of itself is a no-op on some systems (Wine's, older SMB servers).
            let tmp = src.with_file_name(format!(".weft-rename-{}", std::process::id()));
            fs::rename(&src, &tmp).map_err(|e| FsError::io("rename", from, e))?;
            if let Err(e) = fs::rename(&tmp, &dst) {
                let _ = fs::rename(&tmp, &src);
                return Err(FsError::io("rename", from, e));
            }
        } else {
            fs::rename(&src, &dst).map_err(|e| FsError::io("rename", from, e))?;
        }
        self.fs().touched(&[&src, &dst]);
        Ok(())
    }

    /// Moves the entry to the OS trash; with `permanent` (or where no trash exists and the
    /// user confirmed) removes it for good.
    pub fn delete(&self, rel: &str, permanent: bool) -> Result<()> {
        let path = self.resolve(rel)?;
        if path == self.root() {
            return Err(FsError::InvalidPath { path: rel.to_owned(), reason: "the workspace root cannot be deleted" });
        }
        let meta = path.symlink_metadata().map_err(|e| FsError::io("delete", rel, e))?;
        if permanent {
            let r = if meta.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            r.map_err(|e| FsError::io("delete", rel, e))?;
        } else {
            os_trash().delete(&path).map_err(|e| FsError::Trash(rel.to_owned(), e.to_string()))?;
        }
        self.fs().touched(&[&path]);
        Ok(())
    }
}

/// The OS trash. On macOS through NSFileManager, not the crate's default of scripting the
/// Finder, which asks the user to let Weft control the Finder (and is slower); the price is
/// that the Finder's "Put Back" does not know where the file came from.
fn os_trash() -> trash::TrashContext {
    #[allow(unused_mut)]
    let mut ctx = trash::TrashContext::default();
    #[cfg(target_os = "macos")]
    trash::macos::TrashContextExtMacos::set_delete_method(&mut ctx, trash::macos::DeleteMethod::NsFileManager);
    ctx
}
