//! Reviewing what a turn changed. The agent's edits are on disk at once (so it can run the
//! tests); review compares each file with its bytes before the turn, hunk by hunk, and a
//! rejected hunk is put back on disk while the others stay.

use similar::{capture_diff_slices, Algorithm, DiffOp};
use std::collections::BTreeMap;
use weft_fs::Workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    /// A folder the agent renamed: `path` is its new name, `from` its old one.
    Renamed,
}

/// One run of changed lines. Line numbers are 1-based; a pure insertion has no old lines
/// and a pure deletion no new ones.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Hunk {
    pub old_start: usize,
    pub old_lines: Vec<String>,
    pub new_start: usize,
    pub new_lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FileReview {
    pub path: String,
    pub status: FileStatus,
    /// For a renamed folder, its name before the turn.
    pub from: Option<String>,
    /// Empty for binary files, which are reviewed whole.
    pub hunks: Vec<Hunk>,
}

fn lines(s: &str) -> Vec<&str> {
    s.split_inclusive('\n').collect()
}

fn groups(old: &[&str], new: &[&str]) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let mut out: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    let mut open = false;
    for op in capture_diff_slices(Algorithm::Myers, old, new) {
        if let DiffOp::Equal { .. } = op {
            open = false;
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        match out.last_mut() {
            Some(last) if open => {
                last.0.end = o.end;
                last.1.end = n.end;
            }
            _ => out.push((o, n)),
        }
        open = true;
    }
    out
}

/// The hunks that turn `old` into `new`.
pub fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let (o, n) = (lines(old), lines(new));
    groups(&o, &n)
        .into_iter()
        .map(|(or, nr)| Hunk {
            old_start: or.start + 1,
            old_lines: o[or].iter().map(|l| l.to_string()).collect(),
            new_start: nr.start + 1,
            new_lines: n[nr].iter().map(|l| l.to_string()).collect(),
        })
        .collect()
}

/// `new` with hunk `index` (of `hunks(old, new)`) put back as it was in `old`.
pub fn revert_hunk(old: &str, new: &str, index: usize) -> Option<String> {
    let (o, n) = (lines(old), lines(new));
    let (or, nr) = groups(&o, &n).into_iter().nth(index)?;
    let mut out = String::with_capacity(new.len());
    n[..nr.start].iter().for_each(|l| out.push_str(l));
    o[or].iter().for_each(|l| out.push_str(l));
    n[nr.end..].iter().for_each(|l| out.push_str(l));
    Some(out)
}

/// Files recorded at most for one deleted folder (a dependency folder is not worth holding
/// in memory; it goes to the trash whole anyway).
const FOLDER_FILES_MAX: usize = 5_000;
const FOLDER_BYTES_MAX: u64 = 64 << 20;

/// Every file under the folder `rel` (ignored ones too: they are deleted with it), with its
/// bytes, up to the limits above; links are not followed.
pub fn files_under(ws: &Workspace, rel: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(root) = ws.resolve(rel) else { return vec![] };
    let mut out = vec![];
    let mut total = 0u64;
    let mut stack = vec![(root, rel.trim_end_matches('/').to_owned())];
    while let Some((dir, name)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let Ok(meta) = e.path().symlink_metadata() else { continue };
            let child = format!("{name}/{}", e.file_name().to_string_lossy());
            if meta.is_dir() {
                stack.push((e.path(), child));
            } else if meta.is_file() {
                total += meta.len();
                if out.len() >= FOLDER_FILES_MAX || total > FOLDER_BYTES_MAX {
                    return out;
                }
                if let Ok(bytes) = std::fs::read(e.path()) {
                    out.push((child, bytes));
                }
            }
        }
    }
    out
}

/// Whether a folder move is still as it was made: the new name there, the old one free.
fn move_in_effect(ws: &Workspace, from: &str, to: &str) -> bool {
    let exists = |p: &str| ws.resolve(p).map(|p| p.symlink_metadata().is_ok()).unwrap_or(false);
    exists(to) && !exists(from)
}

/// What a turn changed, still awaiting accept or reject.
#[derive(Debug, Clone, Default)]
pub struct Review {
    /// Path → bytes before the turn (`None`: the file did not exist).
    pub originals: BTreeMap<String, Option<Vec<u8>>>,
    /// Folders renamed (from, to), in the order they were: undone in reverse.
    pub moves: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{0} is not part of this review")]
    NotInReview(String),
    #[error("{path} has no hunk {index} (it may have changed since)")]
    NoHunk { path: String, index: usize },
    #[error(transparent)]
    Fs(#[from] weft_fs::FsError),
    #[error("cannot restore {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl Review {
    pub fn new(originals: BTreeMap<String, Option<Vec<u8>>>) -> Self {
        Review { originals, moves: vec![] }
    }

    /// Adds a later turn's originals. A file already under review keeps its earlier
    /// original, so the review spans every turn since it was last settled.
    pub fn extend(&mut self, originals: BTreeMap<String, Option<Vec<u8>>>) {
        for (path, before) in originals {
            self.originals.entry(path).or_insert(before);
        }
    }

    /// Another writer (a second thread's agent, a review of its) changed `path` from `before`
    /// to `after`: that change goes into this review's original too, so the review goes on
    /// showing only this thread's edits, and rejecting them keeps the other's. A change that
    /// overlaps this thread's own lines cannot be told apart from them and stays in view.
    pub fn rebase(&mut self, path: &str, before: Option<&[u8]>, after: Option<&[u8]>) {
        let Some(Some(original)) = self.originals.get(path) else { return };
        let text = |b: &[u8]| std::str::from_utf8(b).ok().map(str::to_owned);
        let (Some(orig), Some(before), Some(after)) = (text(original), before.and_then(text), after.and_then(text)) else { return };
        let merged = weft_doc::merge3(&before, &orig, &after);
        if merged.conflicts.is_empty() {
            self.originals.insert(path.to_owned(), Some(merged.text.into_bytes()));
        }
    }

    /// The files that differ from their originals now, with their hunks.
    pub fn files(&self, ws: &Workspace) -> Vec<FileReview> {
        let mut out = Vec::new();
        for (path, before) in &self.originals {
            let now = ws.read_bytes(path).ok();
            if now == *before {
                continue;
            }
            let status = match (before, &now) {
                (None, _) => FileStatus::Added,
                (_, None) => FileStatus::Deleted,
                _ => FileStatus::Modified,
            };
            let text = |b: &Option<Vec<u8>>| match b {
                None => Some(String::new()),
                Some(b) => String::from_utf8(b.clone()).ok(),
            };
            let hunks = match (text(before), text(&now)) {
                (Some(o), Some(n)) => hunks(&o, &n),
                _ => vec![],
            };
            out.push(FileReview { path: path.clone(), status, from: None, hunks });
        }
        for (from, to) in self.moves_in_effect(ws) {
            out.push(FileReview { path: to, status: FileStatus::Renamed, from: Some(from), hunks: vec![] });
        }
        out
    }

    /// The folder moves still as the agent left them (the new name there, the old free).
    fn moves_in_effect(&self, ws: &Workspace) -> Vec<(String, String)> {
        self.moves.iter().filter(|(from, to)| move_in_effect(ws, from, to)).cloned().collect()
    }

    /// Puts a renamed folder back under its old name.
    fn undo_move(&mut self, ws: &Workspace, to: &str) -> Result<bool, ReviewError> {
        let Some(i) = self.moves.iter().rposition(|(_, t)| t == to) else { return Ok(false) };
        let (from, to) = self.moves.remove(i);
        if move_in_effect(ws, &from, &to) {
            if let Some(parent) = ws.resolve(&from)?.parent() {
                std::fs::create_dir_all(parent).map_err(|source| ReviewError::Io { path: from.clone(), source })?;
            }
            ws.rename(&to, &from)?;
        }
        Ok(true)
    }


    /// Keeps the file as it is and takes it out of the review.
    pub fn accept_file(&mut self, path: &str) -> Result<(), ReviewError> {
        if self.originals.remove(path).is_some() {
            return Ok(());
        }
        let i = self.moves.iter().rposition(|(_, to)| to == path).ok_or_else(|| ReviewError::NotInReview(path.to_owned()))?;
        self.moves.remove(i);
        Ok(())
    }

    /// Puts the whole file back as it was before the turn (deleting it if it was new).
    pub fn reject_file(&mut self, ws: &Workspace, path: &str) -> Result<(), ReviewError> {
        if !self.originals.contains_key(path) && self.undo_move(ws, path)? {
            return Ok(());
        }
        let before = self.originals.get(path).ok_or_else(|| ReviewError::NotInReview(path.to_owned()))?;
        match before {
            Some(bytes) => {
                if let Some(dir) = ws.resolve(path)?.parent() {
                    std::fs::create_dir_all(dir).map_err(|source| ReviewError::Io { path: path.to_owned(), source })?;
                }
                ws.write_bytes(path, bytes)?;
            }
            None => {
                // New in the turn: to the trash, never deleted for good (a review is not the
                // place to lose work, and the file may have been edited since).
                if ws.resolve(path)?.symlink_metadata().is_ok() {
                    ws.delete(path, false)?;
                }
            }
        }
        self.originals.remove(path);
        Ok(())
    }

    /// Reverts one hunk on disk; the file stays in review for its other hunks.
    pub fn reject_hunk(&mut self, ws: &Workspace, path: &str, index: usize) -> Result<(), ReviewError> {
        let before = self.originals.get(path).ok_or_else(|| ReviewError::NotInReview(path.to_owned()))?;
        let old = match before {
            Some(b) => String::from_utf8(b.clone()).ok(),
            None => Some(String::new()),
        };
        let now = ws.read_bytes(path).ok().and_then(|b| String::from_utf8(b).ok());
        let no_hunk = || ReviewError::NoHunk { path: path.to_owned(), index };
        let (Some(old), Some(now)) = (old, now) else { return Err(no_hunk()) };
        let reverted = revert_hunk(&old, &now, index).ok_or_else(no_hunk)?;
        ws.write_bytes(path, reverted.as_bytes())?;
        Ok(())
    }

    pub fn accept_all(&mut self) {
        self.originals.clear();
        self.moves.clear();
    }

    /// Everything back as it was: files changed inside a renamed folder first (at the
    /// folder's new name), then the folders renamed back, newest first, then the rest.
    pub fn reject_all(&mut self, ws: &Workspace) -> Result<(), ReviewError> {
        let inside_moved = |p: &str, moves: &[(String, String)]| moves.iter().any(|(_, to)| p.strip_prefix(to.as_str()).is_some_and(|r| r.starts_with('/')));
        let (first, rest): (Vec<String>, Vec<String>) = self.originals.keys().cloned().partition(|p| inside_moved(p, &self.moves));
        for p in first {
            self.reject_file(ws, &p)?;
        }
        while let Some((_, to)) = self.moves.last().cloned() {
            self.undo_move(ws, &to)?;
        }
        for p in rest {
            self.reject_file(ws, &p)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejecting_each_hunk_in_turn_gives_back_the_original() {
        let old = "a\nb\nc\nd\ne\nf\n";
        let new = "a\nB\nc\nd\ninserted\ne\n";
        let h = hunks(old, new);
        assert_eq!(h.len(), 3, "{h:?}");
        assert_eq!((h[0].old_lines.clone(), h[0].new_lines.clone()), (vec!["b\n".to_string()], vec!["B\n".to_string()]));
        let once = revert_hunk(old, new, 1).expect("hunk 1");
        assert_eq!(once, "a\nB\nc\nd\ne\n");
        let mut cur = new.to_owned();
        while !hunks(old, &cur).is_empty() {
            cur = revert_hunk(old, &cur, 0).expect("hunk");
        }
        assert_eq!(cur, old);
        assert_eq!(revert_hunk(old, new, 9), None);
    }

    #[test]
    fn another_writers_change_joins_the_original_unless_it_overlaps_ours() {
        let mut r = Review::new(BTreeMap::from([("f".to_owned(), Some(b"a\nb\nc\nd\n".to_vec()))]));
        // Ours: b -> B. Another writer then changes d -> D on top of it.
        r.rebase("f", Some(b"a\nB\nc\nd\n"), Some(b"a\nB\nc\nD\n"));
        assert_eq!(r.originals["f"].as_deref(), Some(&b"a\nb\nc\nD\n"[..]), "the other's change is in the original");
        // A change on our own line cannot be told apart from ours: the original stays.
        r.rebase("f", Some(b"a\nB\nc\nD\n"), Some(b"a\nBB\nc\nD\n"));
        assert_eq!(r.originals["f"].as_deref(), Some(&b"a\nb\nc\nD\n"[..]));
        // A file this review does not hold, or one it created, is left alone.
        r.rebase("g", Some(b"x"), Some(b"y"));
        assert!(!r.originals.contains_key("g"));
    }

    #[test]
    fn files_without_a_final_newline() {
        let (old, new) = ("x\ny", "x\nz");
        assert_eq!(revert_hunk(old, new, 0).as_deref(), Some("x\ny"));
    }
}
