//! Git: the folder's repository through weft-git (the user's own git). Every change
//! returns the new status, so the panel shows what git did, not what the UI expected.

use super::*;
use crate::GitVersions;
use weft_git::conflict::Take;
use weft_git::{Blame, Branch, CommitDetail, CommitOptions, Committed, LogEntry, Repo, Status, Version};

impl Api {
    /// The folder's repository, looked for again while there is none.
    fn repo(&self) -> Result<Arc<Repo>> {
        let open = self.open()?;
        let mut slot = open.git.lock().map_err(ApiError::internal)?;
        if let Some(r) = slot.as_ref() {
            return Ok(r.clone());
        }
        let repo = Repo::discover(open.ws.root())?.ok_or_else(|| ApiError::new(crate::ErrorCode::NotGit, "this folder is not in a git repository"))?.with_touched(open.git_touched.clone());
        let repo = Arc::new(repo);
        *slot = Some(repo.clone());
        Ok(repo)
    }
}

pub(crate) fn status(api: &Api, _stream: Option<Stream>) -> Result<Option<Status>> {
    status_with(api, false)
}

pub(crate) fn rescan(api: &Api, _stream: Option<Stream>) -> Result<Option<Status>> {
    status_with(api, true)
}

/// `whole`: ask git about the whole work tree, not only what the watcher saw change.
fn status_with(api: &Api, whole: bool) -> Result<Option<Status>> {
    match api.repo() {
        Ok(r) => Ok(Some(r.status_with(whole)?)),
        Err(e) if e.code == crate::ErrorCode::NotGit => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) fn stage(api: &Api, paths: Vec<String>, _stream: Option<Stream>) -> Result<Status> {
    let r = api.repo()?;
    r.stage(&paths)?;
    Ok(r.status()?)
}

/// Stages `text` as the file's content (a hunk or lines staged from the editor).
pub(crate) fn stage_text(api: &Api, path: String, text: String, _stream: Option<Stream>) -> Result<Status> {
    let r = api.repo()?;
    r.stage_text(&path, text.as_bytes())?;
    Ok(r.status()?)
}

pub(crate) fn unstage(api: &Api, paths: Vec<String>, _stream: Option<Stream>) -> Result<Status> {
    let r = api.repo()?;
    r.unstage(&paths)?;
    Ok(r.status()?)
}

/// Discards the files' unstaged changes; what they held is kept in a checkpoint first
/// (the timeline restores it), so a discard is never the end of anything.
pub(crate) fn discard(api: &Api, paths: Vec<String>, _stream: Option<Stream>) -> Result<Status> {
    let r = api.repo()?;
    let label = match paths.as_slice() {
        [one] => format!("Before discarding the changes to {one}"),
        many => format!("Before discarding the changes to {} files", many.len()),
    };
    // Labelled first: the folder's opening checkpoint, if still to come, would hold the
    // same state under its own name (and this one would add nothing).
    super::checkpoints::create(api, label, None)?;
    api.before_write();
    r.discard(&paths)?;
    Ok(r.status()?)
}

pub(crate) fn commit(api: &Api, message: String, amend: bool, signoff: bool, all: bool, _stream: Option<Stream>) -> Result<Committed> {
    let r = api.repo()?;
    // Open documents with unsaved edits are not in the commit: that is git's rule too
    // (it commits files). The panel says so before it asks.
    Ok(r.commit(&message, CommitOptions { amend, signoff, all })?)
}

pub(crate) fn versions(api: &Api, path: String, staged: bool, rev: Option<String>, from: Option<String>, _stream: Option<Stream>) -> Result<GitVersions> {
    let r = api.repo()?;
    let text = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8_lossy(&b).into_owned());
    if let Some(rev) = rev {
        // A commit's change to the file: its first parent's (under its old name, for a
        // rename) and the commit's.
        let left = r.show(Version::Parent(rev.clone()), from.as_deref().unwrap_or(&path))?;
        return Ok(GitVersions { left: text(left), right: text(r.show(Version::Commit(rev), &path)?) });
    }
    if staged {
        return Ok(GitVersions { left: text(r.show(Version::Head, &path)?), right: text(r.show(Version::Index, &path)?) });
    }
    let left = match r.show(Version::Index, &path)? {
        Some(b) => Some(b),
        None => r.show(Version::Head, &path)?,
    };
    let open = api.open()?;
    let right = match open.ws.read_bytes(&path) {
        Ok(b) => Some(b),
        Err(weft_fs::FsError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(GitVersions { left: text(left), right: text(right) })
}

/// Fetch, pull or push, git's progress lines as frames (JSON strings); the new status.
pub(crate) fn sync(api: &Api, op: weft_git::SyncOp, stream: Option<Stream>) -> Result<Status> {
    let r = api.repo()?;
    if op == weft_git::SyncOp::Pull {
        // A pull rewrites files: the folder-open checkpoint first, as for any write.
        api.before_write();
    }
    let rebase = api.settings().0.git_pull_rebase;
    r.sync(op, rebase, |line| {
        if let Some(s) = &stream {
            s.json(line);
        }
    })?;
    Ok(r.status()?)
}

pub(crate) fn stashes(api: &Api, _stream: Option<Stream>) -> Result<Vec<weft_git::Stash>> {
    Ok(api.repo()?.stashes()?)
}

/// push (the changes, untracked files too with `untracked`), pop, apply or drop stash `index`.
pub(crate) fn stash(api: &Api, action: String, index: u32, message: String, untracked: bool, _stream: Option<Stream>) -> Result<Status> {
    let r = api.repo()?;
    api.before_write();
    match action.as_str() {
        "push" => r.stash_push(&message, untracked)?,
        "pop" => r.stash_apply(index, true)?,
        "apply" => r.stash_apply(index, false)?,
        "drop" => r.stash_drop(index)?,
        other => return Err(ApiError::bad_request(format!("{other:?} is not push, pop, apply or drop"))),
    }
    Ok(r.status()?)
}

pub(crate) fn branches(api: &Api, _stream: Option<Stream>) -> Result<Vec<Branch>> {
    Ok(api.repo()?.branches()?)
}

pub(crate) fn switch(api: &Api, name: String, create: bool, _stream: Option<Stream>) -> Result<Status> {
    let r = api.repo()?;
    api.before_write();
    r.switch(&name, create)?;
    Ok(r.status()?)
}

pub(crate) fn log(api: &Api, path: Option<String>, skip: u32, limit: u32, _stream: Option<Stream>) -> Result<Vec<LogEntry>> {
    Ok(api.repo()?.log(path.as_deref(), skip, limit.clamp(1, 1000))?)
}

pub(crate) fn commit_detail(api: &Api, rev: String, _stream: Option<Stream>) -> Result<CommitDetail> {
    Ok(api.repo()?.commit_detail(&rev)?)
}

/// Blames the open document's text when there is one (so the lines are the editor's, its
/// unsaved ones uncommitted), else the file on disk.
pub(crate) fn blame(api: &Api, path: String, _stream: Option<Stream>) -> Result<Blame> {
    let r = api.repo()?;
    let open = api.open()?;
    open.ws.resolve(&path)?;
    let text = open.docs.file_text(&path).map(|(t, _)| t);
    Ok(r.blame(&path, text.as_deref().map(str::as_bytes))?)
}

/// `action`: rename (to `to`) or delete (`force`: even when not merged); the branches after.
pub(crate) fn branch(api: &Api, action: String, name: String, to: String, force: bool, _stream: Option<Stream>) -> Result<Vec<Branch>> {
    let r = api.repo()?;
    match action.as_str() {
        "rename" => r.rename_branch(&name, &to)?,
        "delete" => r.delete_branch(&name, force)?,
        other => return Err(ApiError::bad_request(format!("{other:?} is not rename or delete"))),
    }
    Ok(r.branches()?)
}

/// Resolves every conflict in a file one way and marks it resolved (stages it). The text
/// changes through its document when one is open (editors see it; the document saves),
/// after a checkpoint of the file with its markers.
pub(crate) fn resolve(api: &Api, path: String, take: Take, _stream: Option<Stream>) -> Result<Status> {
    let r = api.repo()?;
    let open = api.open()?;
    open.ws.resolve(&path)?;
    // The open document's text, else the file's (with its encoding, to write it back in).
    let (text, on_disk) = match open.docs.file_text(&path) {
        Some((t, _)) => (t, None),
        None => {
            let c = open.ws.read_text(&path)?.content;
            (c.text, Some(c.encoding))
        }
    };
    let resolved = weft_git::conflict::resolve_all(&text, take).ok_or_else(|| ApiError::new(crate::ErrorCode::Git, format!("{path} has no conflict markers")))?;
    super::checkpoints::create(api, format!("Before resolving the conflicts in {path}"), None)?;
    api.before_write();
    match on_disk {
        None => open.docs.agent_edit(&path, &text, &resolved)?,
        Some(enc) => drop(open.ws.write_text(&path, &resolved, enc)?),
    }
    r.stage(&[path])?;
    Ok(r.status()?)
}

/// A conflicted file's three versions: the common base, ours (checked out) and theirs
/// (being merged in); None where a side does not have the file (added or deleted there).
pub(crate) fn conflict_versions(api: &Api, path: String, _stream: Option<Stream>) -> Result<crate::GitConflictVersions> {
    let r = api.repo()?;
    let text = |v: Option<Vec<u8>>| v.map(|b| String::from_utf8_lossy(&b).into_owned());
    Ok(crate::GitConflictVersions { base: text(r.show(Version::Stage(1), &path)?), ours: text(r.show(Version::Stage(2), &path)?), theirs: text(r.show(Version::Stage(3), &path)?) })
}
