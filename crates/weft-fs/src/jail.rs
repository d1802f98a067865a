//! The path jail. Every path from a client is workspace-relative text; it becomes a host
//! path only here, after lexical checks (no absolute paths, no `..`, no NUL) and a check
//! of the real, symlink-resolved location of everything that already exists on disk.

use std::path::{Component, Path, PathBuf};

use crate::{FsError, Result};

#[derive(Debug, Clone)]
pub struct Workspace {
    /// Canonical (symlink-free) root, so prefix checks against canonical paths are exact.
    root: PathBuf,
    /// Where change reports come from (see `fs.rs`).
    fs: std::sync::Arc<dyn crate::Fs>,
}

impl Workspace {
    pub fn open(root: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(root, std::sync::Arc::new(crate::RealFs))
    }

    /// A workspace whose changes are reported by `fs` (tests: a [`crate::FakeFs`]).
    pub fn open_with(root: impl AsRef<Path>, fs: std::sync::Arc<dyn crate::Fs>) -> Result<Self> {
        let root = root.as_ref();
        let canonical = dunce::canonicalize(root).map_err(|_| FsError::BadRoot(root.to_path_buf()))?;
        if !canonical.is_dir() {
            return Err(FsError::BadRoot(root.to_path_buf()));
        }
        Ok(Self { root: canonical, fs })
    }

    pub fn fs(&self) -> &std::sync::Arc<dyn crate::Fs> {
        &self.fs
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The display name of the workspace (its folder name).
    pub fn name(&self) -> String {
        self.root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "/".into())
    }

    /// Resolves a path whose last component is *not* followed if it is a symlink: used to
    /// create, rename and delete entries (deleting a link must delete the link, not its
    /// target). Every existing ancestor must resolve inside the root.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf> {
        let joined = self.lexical(rel)?;
        if joined == self.root {
            return Ok(joined);
        }
        let parent = joined.parent().unwrap_or(&self.root);
        self.check_real(rel, parent)?;
        Ok(joined)
    }

    /// Resolves a path and follows it if it is a symlink: used to read, write and list.
    /// A link that points outside the root is refused.
    pub fn resolve_follow(&self, rel: &str) -> Result<PathBuf> {
        let joined = self.resolve(rel)?;
        match std::fs::symlink_metadata(&joined) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let real = dunce::canonicalize(&joined).map_err(|e| FsError::io("resolve", rel, e))?;
                if !real.starts_with(&self.root) {
                    return Err(FsError::OutsideWorkspace(rel.to_owned()));
                }
                Ok(real)
            }
            _ => Ok(joined),
        }
    }

    /// The workspace-relative, `/`-separated form of a host path inside the root.
    pub fn relative(&self, abs: &Path) -> Option<String> {
        let rel = abs.strip_prefix(&self.root).ok()?;
        let mut out = String::new();
        for comp in rel.components() {
            if let Component::Normal(part) = comp {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(&part.to_string_lossy());
            } else {
                return None;
            }
        }
        Some(out)
    }

    fn lexical(&self, rel: &str) -> Result<PathBuf> {
        let invalid = |reason| FsError::InvalidPath { path: rel.to_owned(), reason };
        if rel.contains('\0') {
            return Err(invalid("contains a NUL byte"));
        }
        // Windows separators and drive prefixes are refused everywhere, so a path means
        // the same thing on every host of a collaboration session.
        if rel.starts_with('/') || rel.starts_with('\\') || Path::new(rel).is_absolute() || rel.contains('\\') && cfg!(windows) {
            return Err(FsError::OutsideWorkspace(rel.to_owned()));
        }
        if rel.len() >= 2 && rel.as_bytes()[1] == b':' && rel.as_bytes()[0].is_ascii_alphabetic() {
            return Err(FsError::OutsideWorkspace(rel.to_owned()));
        }
        let mut out = self.root.clone();
        for part in rel.split('/') {
            match part {
                "" | "." => continue,
                ".." => return Err(FsError::OutsideWorkspace(rel.to_owned())),
                _ => {
                    // Belt and braces: a component must be a single normal component.
                    let mut comps = Path::new(part).components();
                    match (comps.next(), comps.next()) {
                        (Some(Component::Normal(_)), None) => out.push(part),
                        _ => return Err(FsError::OutsideWorkspace(rel.to_owned())),
                    }
                }
            }
        }
        Ok(out)
    }

    /// Canonicalises the deepest existing ancestor of `path` and checks it is inside the
    /// root; this is what defeats a symlinked directory pointing outside.
    fn check_real(&self, rel: &str, path: &Path) -> Result<()> {
        let mut probe = path;
        loop {
            match dunce::canonicalize(&probe) {
                Ok(real) => {
                    return if real.starts_with(&self.root) {
                        Ok(())
                    } else {
                        Err(FsError::OutsideWorkspace(rel.to_owned()))
                    };
                }
                Err(_) => match probe.parent() {
                    Some(parent) if parent.starts_with(&self.root) => probe = parent,
                    _ => return Err(FsError::OutsideWorkspace(rel.to_owned())),
                },
            }
        }
    }
}
