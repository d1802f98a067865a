//! One directory level at a time, so a 100k-file repository opens at once: the UI asks for
//! the children of a folder when the user expands it.

use std::fs;

use ignore::WalkBuilder;
use serde::Serialize;

use crate::{FsError, Result, Workspace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EntryKind {
    File,
    Dir,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TreeEntry {
    pub name: String,
    /// Workspace-relative, `/`-separated.
    pub path: String,
    pub kind: EntryKind,
    pub symlink: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
}

/// The walker every listing, search and watch filter shares: .gitignore (even outside a
/// git repository), .ignore, global git excludes; hidden files shown; .git never.
pub(crate) fn walker(dir: &std::path::Path) -> WalkBuilder {
    let mut b = WalkBuilder::new(dir);
    b.hidden(false)
        .require_git(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(true)
        .parents(true)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git" && !crate::io::is_temp_name(&e.file_name().to_string_lossy()));
    b
}

impl Workspace {
    pub fn list_dir(&self, rel: &str) -> Result<Vec<TreeEntry>> {
        let dir = self.resolve_follow(rel)?;
        let meta = fs::metadata(&dir).map_err(|e| FsError::io("list", rel, e))?;
        if !meta.is_dir() {
            return Err(FsError::NotADirectory(rel.to_owned()));
        }
        let mut out = Vec::new();
        for entry in walker(&dir).max_depth(Some(1)).build() {
            let Ok(entry) = entry else { continue };
            if entry.depth() == 0 {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if rel.trim_matches('/').is_empty() || rel == "." {
                name.clone()
            } else {
                format!("{}/{}", rel.trim_matches('/'), name)
            };
            let symlink = entry.path_is_symlink();
            // A link is shown as what it points to; a dangling link as a file.
            let target_meta = fs::metadata(entry.path()).ok();
            let kind = match &target_meta {
                Some(m) if m.is_dir() => EntryKind::Dir,
                _ => EntryKind::File,
            };
            let size = target_meta.map(|m| m.len()).unwrap_or(0);
            out.push(TreeEntry { name, path, kind, symlink, size });
        }
        out.sort_by(|a, b| {
            (a.kind != EntryKind::Dir, a.name.to_lowercase(), &a.name).cmp(&(b.kind != EntryKind::Dir, b.name.to_lowercase(), &b.name))
        });
        Ok(out)
    }

    /// What collaboration guests may see: the files the tree shows but `.env` files, which
    /// hold secrets whether or not the project ignores them.
    pub fn shared_files(&self) -> Vec<String> {
        let mut v = self.list_files();
        v.retain(|p| !is_env_file(p));
        v
    }

    /// Every non-ignored file, workspace-relative, for the fuzzy finder. Parallel walk.
    pub fn list_files(&self) -> Vec<String> {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<String>>();
        walker(self.root()).build_parallel().run(|| {
            let mut batch = Batch { tx: tx.clone(), items: Vec::with_capacity(256) };
            Box::new(move |entry| {
                if let Ok(e) = entry {
                    if e.file_type().is_some_and(|t| !t.is_dir()) {
                        if let Some(rel) = self.relative(e.path()) {
                            batch.push(rel);
                        }
                    }
                }
                ignore::WalkState::Continue
            })
        });
        drop(tx);
        let mut all: Vec<String> = rx.into_iter().flatten().collect();
        all.sort_unstable();
        all
    }
}

/// Per-thread batching for the parallel walk; flushes what is left when the walker
/// drops its thread's closure.
pub(crate) struct Batch<T> {
    pub tx: std::sync::mpsc::Sender<Vec<T>>,
    pub items: Vec<T>,
}

impl<T> Batch<T> {
    pub fn push(&mut self, item: T) {
        self.items.push(item);
        if self.items.len() >= 256 {
            let _ = self.tx.send(std::mem::take(&mut self.items));
        }
    }
}

impl<T> Drop for Batch<T> {
    fn drop(&mut self) {
        if !self.items.is_empty() {
            let _ = self.tx.send(std::mem::take(&mut self.items));
        }
    }
}

/// `.env`, `.env.local`, `.env.production`… (secrets, by convention), but not the examples
/// committed for others to copy.
pub fn is_env_file(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    (name == ".env" || name.starts_with(".env.")) && !matches!(name, ".env.example" | ".env.sample" | ".env.template" | ".env.dist")
}
