//! A workspace's git repository: its status (branch, upstream, ahead/behind, the changed
//! files as staged, changed, untracked and conflicted, an operation in progress), staging
//! and unstaging, discarding, committing (amend, sign-off, hooks), the versions of a file
//! a diff compares, branches, history (the log, a commit's files, blame) and merge
//! conflicts ([`conflict`]).
//!
//! Every operation runs the user's own `git` (found on the PATH of their login shell, see
//! `weft_pty::process::background_command`), not a library, and that is deliberate:
//! - commits run the repository's hooks and signing exactly as `git commit` does, and a
//!   hook's refusal comes back with its own output;
//! - fetch, pull and push (next) use the user's credential helpers and ssh agent, which
//!   neither gix nor libgit2 reproduce in full, and nothing is stored by Weft;
//! - the user's config (`core.autocrlf`, filters, `status.showUntrackedFiles`, safe
//!   directories) applies as on the command line, so Weft never disagrees with `git`;
//! - status is `git status --porcelain=v2`, a stable, documented format.
//!   What this costs: a process per operation (a few milliseconds), and status is as fast
//!   as git's own. Keeping state between refreshes (gix's index and a watcher) is where a
//!   faster status would come from; it is not built yet.
//!
//! Paths in and out are relative to the workspace, which may be a folder inside the
//! repository: files outside it are not reported.

pub mod conflict;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git is not installed (or not on the PATH).
    #[error("git is not installed or not on the PATH ({0})")]
    NoGit(std::io::Error),
    /// git ran and refused: its own message, as the command line shows it.
    #[error("{0}")]
    Failed(String),
    #[error("a path outside the repository: {0}")]
    Outside(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, GitError>;

/// How a file differs on one side (the index against HEAD, or the work tree against the index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitChange"))]
pub enum Change {
    Modified,
    Added,
    Deleted,
    Renamed,
    Copied,
    TypeChanged,
}

impl Change {
    fn from_code(c: u8) -> Option<Change> {
        Some(match c {
            b'M' => Change::Modified,
            b'A' => Change::Added,
            b'D' => Change::Deleted,
            b'R' => Change::Renamed,
            b'C' => Change::Copied,
            b'T' => Change::TypeChanged,
            _ => return None,
        })
    }
}

/// One changed file. A file can be both staged and changed (edited again after `git add`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitFileStatus"))]
pub struct FileStatus {
    /// Relative to the workspace, with `/`.
    pub path: String,
    /// A rename's or copy's source.
    pub orig_path: Option<String>,
    /// The change staged for the next commit.
    pub staged: Option<Change>,
    /// The change in the work tree not staged.
    pub unstaged: Option<Change>,
    pub untracked: bool,
    /// Unmerged: both sides changed it (a merge, rebase, cherry-pick or stash pop).
    pub conflicted: bool,
    pub submodule: bool,
}

/// An operation git is in the middle of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitRepoState"))]
pub enum RepoState {
    Clean,
    Merging,
    Rebasing,
    CherryPicking,
    Reverting,
    Bisecting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitStatus"))]
pub struct Status {
    /// The branch checked out; None on a detached HEAD.
    pub branch: Option<String>,
    /// The commit checked out; None before the first commit.
    pub head: Option<String>,
    /// The upstream branch, when one is set (`origin/main`).
    pub upstream: Option<String>,
    pub ahead: u32,
    pub behind: u32,
    pub state: RepoState,
    pub files: Vec<FileStatus>,
}

/// A local branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitBranch"))]
pub struct Branch {
    pub name: String,
    pub current: bool,
    pub upstream: Option<String>,
    /// The first line of its last commit's message.
    pub subject: String,
}

/// A stash entry, newest first (`stash@{index}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitStash"))]
pub struct Stash {
    pub index: u32,
    /// Its message (`WIP on main: …` when none was given).
    pub message: String,
}

/// What a commit made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitCommitted"))]
pub struct Committed {
    pub head: String,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CommitOptions {
    /// Replaces the last commit (its message too).
    pub amend: bool,
    /// Adds a Signed-off-by line.
    pub signoff: bool,
    /// Stages every change to tracked files first (`git commit -a`).
    pub all: bool,
}

/// What [`Repo::sync`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitSyncOp"))]
pub enum SyncOp {
    Fetch,
    Pull,
    Push,
}

/// Which version of a file: the last commit's, the staged one, a commit's, or the one
/// a commit changed (its first parent's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Head,
    Index,
    Commit(String),
    Parent(String),
    /// A merge's stage of a conflicted file: 1 the common base, 2 ours, 3 theirs.
    Stage(u8),
}

/// One commit of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitLogEntry"))]
pub struct LogEntry {
    pub hash: String,
    pub parents: Vec<String>,
    pub author: String,
    pub email: String,
    /// Author date, seconds since 1970.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time: i64,
    /// Branches and tags pointing at it (`HEAD -> main`, `origin/main`, `tag: v1`).
    pub refs: Vec<String>,
    pub summary: String,
}

/// A file a commit changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitCommitFile"))]
pub struct CommitFile {
    pub path: String,
    pub orig_path: Option<String>,
    pub change: Change,
}

/// A commit with its whole message and the files it changed (against its first parent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitCommitDetail"))]
pub struct CommitDetail {
    pub entry: LogEntry,
    /// The message after its summary line.
    pub body: String,
    pub files: Vec<CommitFile>,
}

/// Who last changed each line: the commits once, and each line's index into them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitBlame"))]
pub struct Blame {
    pub commits: Vec<BlameCommit>,
    pub lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitBlameCommit"))]
pub struct BlameCommit {
    pub hash: String,
    pub author: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time: i64,
    pub summary: String,
    /// Lines not committed yet (edited, or staged only).
    pub uncommitted: bool,
}

/// Paths the work tree changed at since the last status (a watcher tells it), so a
/// refresh asks git about those paths only. Shared with the watcher before a repository
/// is even found.
#[derive(Debug, Default)]
pub struct Touched {
    inner: std::sync::Mutex<TouchedSet>,
}

#[derive(Debug, Default)]
struct TouchedSet {
    paths: std::collections::BTreeSet<String>,
    /// Too much, or something (a .gitignore) that changes what other paths show.
    all: bool,
}

/// Above this many touched paths, one whole status is cheaper than naming them all.
const MAX_TOUCHED: usize = 256;

impl Touched {
    /// Work-tree paths (workspace-relative) that changed.
    pub fn touch<'a>(&self, paths: impl IntoIterator<Item = &'a str>) {
        let Ok(mut t) = self.inner.lock() else { return };
        for p in paths {
            if p.rsplit('/').next() == Some(".gitignore") || t.paths.len() >= MAX_TOUCHED {
                t.all = true;
            }
            if !t.all {
                t.paths.insert(p.to_owned());
            }
        }
    }

    fn take(&self) -> (Vec<String>, bool) {
        match self.inner.lock() {
            Ok(mut t) => {
                let all = std::mem::take(&mut t.all);
                (std::mem::take(&mut t.paths).into_iter().collect(), all)
            }
            Err(_) => (vec![], true),
        }
    }
}

/// What the work tree's watcher cannot see: the index, HEAD and an operation's state
/// files. When any of them changed (a commit or `git add` in a terminal, a checkout), the
/// next status is a whole one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp(Vec<Option<(u64, std::time::SystemTime)>>, Vec<u8>);

pub struct Repo {
    /// The workspace (where git runs).
    dir: PathBuf,
    touched: std::sync::Arc<Touched>,
    /// The last status and the stamp it was read under.
    last: std::sync::Mutex<Option<(Stamp, Status)>>,
    /// The workspace's path inside the repository ("" at its top, else `sub/dir/`).
    prefix: String,
    git_dir: PathBuf,
    /// The work tree's top (index entries are named from there).
    top: PathBuf,
}

impl Repo {
    /// The repository `dir` is in, if any; Ok(None) when it is not in one (or git is not
    /// installed: then nothing of git is shown, as for a folder without a repository).
    pub fn discover(dir: &Path) -> Result<Option<Repo>> {
        let out = match git_in(dir).args(["rev-parse", "--is-bare-repository", "--show-prefix", "--absolute-git-dir", "--show-toplevel"]).output() {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(GitError::NoGit(e)),
        };
        if !out.status.success() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let bare = lines.next() == Some("true");
        if bare {
            // A bare repository has no work tree to show changes of.
            return Ok(None);
        }
        let prefix = lines.next().unwrap_or("").to_owned();
        let git_dir = PathBuf::from(lines.next().unwrap_or(".git"));
        let top = lines.next().map_or_else(|| dir.to_owned(), PathBuf::from);
        Ok(Some(Repo { dir: dir.to_owned(), prefix, git_dir, top, touched: Default::default(), last: Default::default() }))
    }

    /// Refreshes ask only about the paths `touched` names (the caller's watcher fills it).
    pub fn with_touched(mut self, touched: std::sync::Arc<Touched>) -> Repo {
        self.touched = touched;
        self
    }

    fn stamp(&self) -> Stamp {
        let meta = |p: &str| std::fs::metadata(self.git_dir.join(p)).ok().and_then(|m| Some((m.len(), m.modified().ok()?)));
        let files = ["index", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply", "BISECT_LOG", "packed-refs"].iter().map(|p| meta(p)).collect();
        Stamp(files, std::fs::read(self.git_dir.join("HEAD")).unwrap_or_default())
    }

    fn git(&self) -> Command {
        git_in(&self.dir)
    }

    /// Runs git with `args`; its standard output, or its message when it fails.
    fn run(&self, args: &[&str]) -> Result<Vec<u8>> {
        run(self.git().args(args), None)
    }

    /// The status of the workspace's part of the repository. After a first whole one, a
    /// refresh asks git only about the paths the watcher touched (git then reads the index
    /// and stats those files, not the whole tree), unless the index, HEAD or an
    /// operation's state changed: then it is a whole one again.
    pub fn status(&self) -> Result<Status> {
        self.status_with(false)
    }

    /// [`Repo::status`]; with `whole`, of the whole work tree whatever was touched (a
    /// user's explicit refresh: a watcher can miss things).
    pub fn status_with(&self, whole: bool) -> Result<Status> {
        let stamp = self.stamp();
        let (touched, all) = self.touched.take();
        let last = if whole { None } else { self.last.lock().ok().and_then(|l| l.clone()) };
        let status = match last {
            Some((was, prev)) if was == stamp && !all => self.status_of(&prev, &touched)?,
            _ => self.whole_status()?,
        };
        if let Ok(mut l) = self.last.lock() {
            *l = Some((stamp, status.clone()));
        }
        Ok(status)
    }

    /// The whole work tree's status, nothing remembered.
    fn whole_status(&self) -> Result<Status> {
        // No optional locks: status must not rewrite the index (its refreshed stat data),
        // or every status would look like an index change to the next (as VS Code runs it).
        let out = run(self.git().env("GIT_OPTIONAL_LOCKS", "0").args(["status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all", "--", "."]), None)?;
        let mut status = parse_status(&out, &self.prefix);
        status.state = self.state();
        Ok(status)
    }

    /// `prev` with what git says now about `paths` (and anything under them). With no
    /// paths, git is still asked, about a path that is not there: the branch, its upstream
    /// and the ahead/behind counts change without the work tree (a fetch), and that costs
    /// one read of the index.
    fn status_of(&self, prev: &Status, paths: &[String]) -> Result<Status> {
        let Ok(mut specs) = self.pathspecs(paths) else { return self.whole_status() };
        if specs.is_empty() {
            specs.push(":(top,literal).weft-no-such-path".into());
        }
        let mut args = vec!["status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all", "--"];
        args.extend(specs.iter().map(String::as_str));
        let out = run(self.git().env("GIT_OPTIONAL_LOCKS", "0").args(&args), None)?;
        let mut fresh = parse_status(&out, &self.prefix);
        if paths.is_empty() {
            fresh.files.clear();
        }
        let under = |p: &str| paths.iter().any(|t| p == t || p.strip_prefix(t.as_str()).is_some_and(|r| r.starts_with('/')));
        // A rename pairs two paths; named by one only, git sees half of it.
        if fresh.files.iter().chain(&prev.files).any(|f| f.orig_path.is_some() && (under(&f.path) || f.orig_path.as_deref().is_some_and(under))) {
            return self.whole_status();
        }
        let mut files: Vec<FileStatus> = prev.files.iter().filter(|f| !under(&f.path)).cloned().collect();
        files.extend(fresh.files);
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Status { files, state: self.state(), ..fresh })
    }

    fn state(&self) -> RepoState {
        let has = |p: &str| self.git_dir.join(p).exists();
        if has("rebase-merge") || has("rebase-apply") {
            RepoState::Rebasing
        } else if has("MERGE_HEAD") {
            RepoState::Merging
        } else if has("CHERRY_PICK_HEAD") {
            RepoState::CherryPicking
        } else if has("REVERT_HEAD") {
            RepoState::Reverting
        } else if has("BISECT_LOG") {
            RepoState::Bisecting
        } else {
            RepoState::Clean
        }
    }

    /// Checks workspace-relative paths: no absolute path, no `..`, none naming `.git`.
    fn pathspecs(&self, paths: &[String]) -> Result<Vec<String>> {
        paths
            .iter()
            .map(|p| {
                let bad = p.is_empty() || p.starts_with('/') || p.contains('\\') || p.split('/').any(|s| s == ".." || s == ".git") || Path::new(p).is_absolute();
                if bad {
                    return Err(GitError::Outside(p.clone()));
                }
                // Literal: a file named `*.rs` is that file, not a pattern.
                Ok(format!(":(literal){p}"))
            })
            .collect()
    }

    fn with_paths(&self, args: &[&str], paths: &[String]) -> Result<Vec<u8>> {
        let specs = self.pathspecs(paths)?;
        let mut all: Vec<&str> = args.to_vec();
        all.push("--");
        all.extend(specs.iter().map(String::as_str));
        self.run(&all)
    }

    /// Stages the files (new, changed or deleted) as they are in the work tree.
    pub fn stage(&self, paths: &[String]) -> Result<()> {
        self.with_paths(&["add", "-A"], paths).map(drop)
    }

    /// Stages `text` as the file's content, whatever the work tree holds: what staging a
    /// hunk or some lines comes to (the editor computes the text: the staged one with those
    /// lines taken from the work tree). The file's mode is kept (a new file is 100644).
    pub fn stage_text(&self, path: &str, text: &[u8]) -> Result<()> {
        self.pathspecs(&[path.to_owned()])?;
        let full = format!("{}{}", self.prefix, path);
        let listed = self.run(&["ls-files", "-s", "--", &format!(":(literal){path}")])?;
        let mode = String::from_utf8_lossy(&listed).split(' ').next().filter(|m| m.len() == 6).unwrap_or("100644").to_owned();
        if mode == "160000" {
            return Err(GitError::Failed(format!("{path} is a submodule: stage it whole")));
        }
        // The blob as given: no clean filter (the text is already what the index should hold).
        let sha = run(self.git().args(["hash-object", "-w", "--stdin", "--no-filters"]), Some(text))?;
        let sha = String::from_utf8_lossy(&sha).trim().to_owned();
        // Run at the repository's top: --cacheinfo takes a path from there.
        run(git_in(&self.top).args(["update-index", "--add", "--cacheinfo", &format!("{mode},{sha},{full}")]), None).map(drop)
    }

    /// Takes the files out of the next commit; their changes stay in the work tree.
    pub fn unstage(&self, paths: &[String]) -> Result<()> {
        if self.head()?.is_none() {
            // Before the first commit there is no HEAD to reset to.
            return self.with_paths(&["rm", "--cached", "-r", "-q"], paths).map(drop);
        }
        self.with_paths(&["reset", "-q", "HEAD"], paths).map(drop)
    }

    /// Puts the files back as they are staged (or as committed, when nothing is staged);
    /// untracked files are deleted. The caller keeps what is lost (a checkpoint) first.
    pub fn discard(&self, paths: &[String]) -> Result<()> {
        self.pathspecs(paths)?;
        let status = self.status()?;
        let (mut tracked, mut untracked) = (vec![], vec![]);
        for p in paths {
            match status.files.iter().find(|f| &f.path == p) {
                Some(f) if f.untracked => untracked.push(p.clone()),
                Some(f) if f.staged == Some(Change::Added) && f.unstaged.is_none() => {}
                Some(_) => tracked.push(p.clone()),
                None => {}
            }
        }
        if !tracked.is_empty() {
            self.with_paths(&["checkout", "-q"], &tracked)?;
        }
        for p in &untracked {
            let path = self.dir.join(p);
            if path.is_dir() {
                std::fs::remove_dir_all(path)?;
            } else {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    /// The commit checked out, None before the first one.
    pub fn head(&self) -> Result<Option<String>> {
        match run(self.git().args(["rev-parse", "--verify", "-q", "HEAD"]), None) {
            Ok(out) => Ok(Some(String::from_utf8_lossy(&out).trim().to_owned())),
            Err(GitError::Failed(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Commits what is staged (with `all`, every change to tracked files) with `message`.
    /// A hook's refusal is the error, with the hook's output.
    pub fn commit(&self, message: &str, opts: CommitOptions) -> Result<Committed> {
        if message.trim().is_empty() && !opts.amend {
            return Err(GitError::Failed("the commit message is empty".into()));
        }
        let mut cmd = self.git();
        cmd.args(["commit", "--cleanup=strip", "-F", "-"]);
        if opts.amend {
            cmd.arg("--amend");
        }
        if opts.signoff {
            cmd.arg("--signoff");
        }
        if opts.all {
            cmd.arg("--all");
        }
        // No editor: the message is given; a commit that would open one must fail instead.
        cmd.env("GIT_EDITOR", ":");
        run(&mut cmd, Some(message.as_bytes()))?;
        let head = self.head()?.unwrap_or_default();
        let summary = String::from_utf8_lossy(&self.run(&["log", "-1", "--format=%s"])?).trim().to_owned();
        Ok(Committed { head, summary })
    }

    /// A file's text as committed or staged; None where it does not exist there.
    pub fn show(&self, version: Version, path: &str) -> Result<Option<Vec<u8>>> {
        self.pathspecs(&[path.to_owned()])?;
        let full = format!("{}{}", self.prefix, path);
        let spec = match version {
            Version::Head => format!("HEAD:{full}"),
            Version::Index => format!(":{full}"),
            Version::Commit(rev) => format!("{}:{full}", check_rev(&rev)?),
            Version::Parent(rev) => format!("{}^:{full}", check_rev(&rev)?),
            Version::Stage(n @ 1..=3) => format!(":{n}:{full}"),
            Version::Stage(n) => return Err(GitError::Failed(format!("stage {n} is not 1, 2 or 3"))),
        };
        match run(self.git().args(["cat-file", "blob", &spec]), None) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(GitError::Failed(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The unified diff of the work tree against the index (`staged`: of the index against
    /// the last commit), paths relative to the workspace, for people and models to read.
    pub fn diff(&self, staged: bool, paths: &[String]) -> Result<String> {
        let mut args = vec!["diff", "--no-color", "--no-ext-diff", "--relative"];
        if staged {
            args.push("--cached");
        }
        // The workspace's part of the repository unless files are named.
        let specs = if paths.is_empty() { vec![".".to_owned()] } else { paths.to_vec() };
        let out = self.with_paths(&args, &specs)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Fetch, pull or push with the user's own credentials (ssh agent, credential helpers;
    /// never a prompt: GIT_TERMINAL_PROMPT=0, ssh in batch mode), git's progress lines to
    /// `progress` as they come. Pull merges, or rebases with `rebase`. A branch without an
    /// upstream is pushed to `origin` and tracks it from then on.
    pub fn sync(&self, op: SyncOp, rebase: bool, progress: impl FnMut(&str)) -> Result<()> {
        let mut args: Vec<String> = match op {
            SyncOp::Fetch => vec!["fetch".into(), "--prune".into()],
            SyncOp::Pull => vec!["pull".into(), if rebase { "--rebase".into() } else { "--no-rebase".into() }],
            SyncOp::Push => vec!["push".into()],
        };
        args.push("--progress".into());
        if op == SyncOp::Push {
            let st = self.status()?;
            if st.upstream.is_none() {
                let branch = st.branch.ok_or_else(|| GitError::Failed("a detached HEAD has no branch to push".into()))?;
                args.extend(["--set-upstream".into(), "origin".into(), branch]);
            }
        }
        let mut cmd = self.git();
        cmd.args(&args);
        with_progress(cmd, &args[0], progress)
    }

    /// The stashes, newest first.
    pub fn stashes(&self) -> Result<Vec<Stash>> {
        let out = self.run(&["stash", "list", "--format=%gs"])?;
        Ok(String::from_utf8_lossy(&out).lines().enumerate().map(|(i, m)| Stash { index: i as u32, message: m.to_owned() }).collect())
    }

    /// Stashes the changes (untracked files too with `untracked`), with a message.
    pub fn stash_push(&self, message: &str, untracked: bool) -> Result<()> {
        let mut args = vec!["stash", "push", "--quiet"];
        if untracked {
            args.push("--include-untracked");
        }
        if !message.trim().is_empty() {
            args.extend(["--message", message]);
        }
        // git stashes the whole repository's changes, from a subfolder too.
        self.run(&args).map(drop)
    }

    /// Applies a stash (and drops it with `pop`); a conflict leaves the stash in place and
    /// is git's error, as on the command line.
    pub fn stash_apply(&self, index: u32, pop: bool) -> Result<()> {
        let name = format!("stash@{{{index}}}");
        self.run(&["stash", if pop { "pop" } else { "apply" }, "--index", "--quiet", &name]).map(drop)
    }

    pub fn stash_drop(&self, index: u32) -> Result<()> {
        let name = format!("stash@{{{index}}}");
        self.run(&["stash", "drop", "--quiet", &name]).map(drop)
    }

    /// The local branches, the current one marked.
    pub fn branches(&self) -> Result<Vec<Branch>> {
        let out = self.run(&["for-each-ref", "--format=%(HEAD)%00%(refname:short)%00%(upstream:short)%00%(contents:subject)", "refs/heads"])?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| {
                let mut f = l.split('\0');
                let current = f.next()? == "*";
                let name = f.next()?.to_owned();
                let upstream = f.next().filter(|u| !u.is_empty()).map(str::to_owned);
                let subject = f.next().unwrap_or("").to_owned();
                Some(Branch { name, current, upstream, subject })
            })
            .collect())
    }

    /// Switches to `name` (created from HEAD with `create`). Git refuses when the switch
    /// would overwrite changes in the work tree; its message says which files.
    pub fn switch(&self, name: &str, create: bool) -> Result<()> {
        if name.is_empty() || name.starts_with('-') {
            return Err(GitError::Failed(format!("{name:?} is not a branch name")));
        }
        if create {
            self.run(&["switch", "-q", "-c", name]).map(drop)
        } else {
            self.run(&["switch", "-q", name]).map(drop)
        }
    }
}

impl Repo {
    /// The repository's history (or a file's, following renames), newest first: `limit`
    /// commits after the first `skip`. Empty before the first commit.
    pub fn log(&self, path: Option<&str>, skip: u32, limit: u32) -> Result<Vec<LogEntry>> {
        if self.head()?.is_none() {
            return Ok(vec![]);
        }
        let (skip, limit) = (format!("--skip={skip}"), format!("--max-count={limit}"));
        let mut args = vec!["log", "--format=%H%x00%P%x00%an%x00%ae%x00%at%x00%D%x00%s%x1e", &skip, &limit];
        let spec;
        if let Some(p) = path {
            self.pathspecs(&[p.to_owned()])?;
            // --follow takes one plain path, not a pathspec.
            spec = p.to_owned();
            args.extend(["--follow", "--", &spec]);
        }
        let out = self.run(&args)?;
        Ok(String::from_utf8_lossy(&out).split('\x1e').filter_map(|r| parse_log_entry(r.trim_start_matches('\n'))).collect())
    }

    /// A commit's message and the files it changed against its first parent (everything,
    /// for the first commit), limited to the workspace's part of the repository.
    pub fn commit_detail(&self, rev: &str) -> Result<CommitDetail> {
        let rev = check_rev(rev)?;
        let out = self.run(&["show", "--no-patch", "--format=%H%x00%P%x00%an%x00%ae%x00%at%x00%D%x00%s%x1e%b", rev])?;
        let text = String::from_utf8_lossy(&out);
        let (head, body) = text.split_once('\x1e').unwrap_or((&text, ""));
        let entry = parse_log_entry(head).ok_or_else(|| GitError::Failed(format!("{rev} is not a commit")))?;
        let mut args = vec!["diff-tree", "-r", "-z", "-M", "--name-status", "--no-commit-id", "--relative"];
        let first;
        if let Some(p) = entry.parents.first() {
            first = p.clone();
            args.push(&first);
        } else {
            args.push("--root");
        }
        args.extend([entry.hash.as_str(), "--", "."]);
        let out = self.run(&args)?;
        let mut files = vec![];
        let mut fields = out.split(|b| *b == 0).map(|f| String::from_utf8_lossy(f).into_owned());
        while let Some(code) = fields.next() {
            let Some(change) = code.bytes().next().and_then(Change::from_code) else { continue };
            let two = matches!(change, Change::Renamed | Change::Copied);
            let orig = if two { fields.next() } else { None };
            let Some(path) = fields.next() else { break };
            files.push(CommitFile { path, orig_path: orig, change });
        }
        Ok(CommitDetail { entry, body: body.trim().to_owned(), files })
    }

    /// Who last changed each line of `path`; with `contents`, of that text instead of the
    /// file on disk (the editor's unsaved text: its edited lines are uncommitted).
    pub fn blame(&self, path: &str, contents: Option<&[u8]>) -> Result<Blame> {
        self.pathspecs(&[path.to_owned()])?;
        let mut cmd = self.git();
        cmd.args(["blame", "--porcelain"]);
        if contents.is_some() {
            cmd.args(["--contents", "-"]);
        }
        cmd.args(["--", path]);
        Ok(parse_blame(&run(&mut cmd, contents)?))
    }

    /// Renames a local branch; git refuses a name that exists.
    pub fn rename_branch(&self, from: &str, to: &str) -> Result<()> {
        check_branch(from)?;
        check_branch(to)?;
        self.run(&["branch", "-m", from, to]).map(drop)
    }

    /// Deletes a local branch. Without `force`, git refuses one whose commits are not
    /// merged, and says so: the UI asks before forcing.
    pub fn delete_branch(&self, name: &str, force: bool) -> Result<()> {
        check_branch(name)?;
        self.run(&["branch", if force { "-D" } else { "-d" }, name]).map(drop)
    }
}

fn check_branch(name: &str) -> Result<()> {
    if name.is_empty() || name.starts_with('-') {
        return Err(GitError::Failed(format!("{name:?} is not a branch name")));
    }
    Ok(())
}

/// A commit named from outside: an object name (hex), never an option or a range.
fn check_rev(rev: &str) -> Result<&str> {
    if (4..=64).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(rev)
    } else {
        Err(GitError::Failed(format!("{rev:?} is not a commit")))
    }
}

fn parse_log_entry(record: &str) -> Option<LogEntry> {
    let mut f = record.split('\0');
    let hash = f.next().filter(|h| !h.is_empty())?.to_owned();
    let parents = f.next()?.split(' ').filter(|p| !p.is_empty()).map(str::to_owned).collect();
    let author = f.next()?.to_owned();
    let email = f.next()?.to_owned();
    let time = f.next()?.parse().unwrap_or(0);
    let refs = f.next()?.split(", ").filter(|r| !r.is_empty()).map(str::to_owned).collect();
    let summary = f.next().unwrap_or("").trim_end().to_owned();
    Some(LogEntry { hash, parents, author, email, time, refs, summary })
}

/// `git blame --porcelain`: a header per run of lines (`<hash> <orig> <final> [<count>]`),
/// the commit's fields the first time it appears, and each line's text after a tab.
pub fn parse_blame(out: &[u8]) -> Blame {
    let mut blame = Blame::default();
    let mut current: Option<usize> = None;
    let mut index: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    for line in out.split(|b| *b == b'\n') {
        if line.first() == Some(&b'\t') {
            if let Some(c) = current {
                blame.lines.push(c as u32);
            }
            continue;
        }
        let (first, rest) = match line.iter().position(|b| *b == b' ') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b""[..]),
        };
        let is_header = matches!(first.len(), 40 | 64) && first.iter().all(u8::is_ascii_hexdigit) && rest.split(|b| *b == b' ').all(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit));
        if is_header {
            let next = blame.commits.len();
            let at = *index.entry(first).or_insert(next);
            if at == next {
                let hash = String::from_utf8_lossy(first).into_owned();
                let uncommitted = first.iter().all(|b| *b == b'0');
                blame.commits.push(BlameCommit { hash, author: String::new(), time: 0, summary: String::new(), uncommitted });
            }
            current = Some(at);
            continue;
        }
        let (first, rest) = (String::from_utf8_lossy(first), String::from_utf8_lossy(rest));
        let first: &str = &first;
        let Some(c) = current.and_then(|i| blame.commits.get_mut(i)) else { continue };
        match first {
            "author" => c.author = rest.into_owned(),
            "author-time" => c.time = rest.parse().unwrap_or(0),
            "summary" => c.summary = rest.into_owned(),
            _ => {}
        }
    }
    blame
}

fn git_in(dir: &Path) -> Command {
    let mut cmd = weft_pty::process::background_command("git");
    cmd.current_dir(dir);
    // Machine-readable output whatever the user's language and pager.
    cmd.env("LC_ALL", "C").env("GIT_PAGER", "cat").env("GIT_TERMINAL_PROMPT", "0").arg("-c").arg("core.quotepath=false");
    cmd
}

/// Runs `cmd` (with `input` on its standard input); its output, or git's message.
fn run(cmd: &mut Command, input: Option<&[u8]>) -> Result<Vec<u8>> {
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| if e.kind() == std::io::ErrorKind::NotFound { GitError::NoGit(e) } else { GitError::Io(e) })?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(input)?;
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    // A hook's output goes to either stream: show both, git's own words.
    let mut msg = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.trim().is_empty() {
        if !msg.is_empty() {
            msg.push('\n');
        }
        msg.push_str(stdout.trim());
    }
    if msg.is_empty() {
        msg = format!("git failed ({})", out.status);
    }
    Err(GitError::Failed(msg))
}

/// `git status --porcelain=v2 -z --branch` (paths relative to the repository's top), for
/// the workspace at `prefix` inside it.
pub fn parse_status(out: &[u8], prefix: &str) -> Status {
    let mut st = Status { branch: None, head: None, upstream: None, ahead: 0, behind: 0, state: RepoState::Clean, files: vec![] };
    let mut fields = out.split(|b| *b == 0).map(|f| String::from_utf8_lossy(f).into_owned());
    let rel = |p: &str| p.strip_prefix(prefix).map(str::to_owned);
    while let Some(entry) = fields.next() {
        if let Some(h) = entry.strip_prefix("# ") {
            let (key, val) = h.split_once(' ').unwrap_or((h, ""));
            match key {
                "branch.oid" if val != "(initial)" => st.head = Some(val.to_owned()),
                "branch.head" if val != "(detached)" => st.branch = Some(val.to_owned()),
                "branch.upstream" => st.upstream = Some(val.to_owned()),
                "branch.ab" => {
                    for part in val.split(' ') {
                        if let Some(n) = part.strip_prefix('+') {
                            st.ahead = n.parse().unwrap_or(0);
                        } else if let Some(n) = part.strip_prefix('-') {
                            st.behind = n.parse().unwrap_or(0);
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        let kind = entry.as_bytes().first().copied();
        match kind {
            Some(b'1') | Some(b'2') | Some(b'u') => {
                // Fields before the path: 1 → 8, 2 → 9, u → 10.
                let n = match kind {
                    Some(b'1') => 8,
                    Some(b'2') => 9,
                    _ => 10,
                };
                let parts: Vec<&str> = entry.splitn(n + 1, ' ').collect();
                let (Some(xy), Some(sub), Some(path)) = (parts.get(1), parts.get(2), parts.get(n)) else { continue };
                let orig = if kind == Some(b'2') { fields.next() } else { None };
                let Some(path) = rel(path) else { continue };
                let xy = xy.as_bytes();
                let conflicted = kind == Some(b'u');
                st.files.push(FileStatus {
                    path,
                    orig_path: orig.as_deref().and_then(rel),
                    staged: if conflicted { None } else { xy.first().and_then(|c| Change::from_code(*c)) },
                    unstaged: if conflicted { None } else { xy.get(1).and_then(|c| Change::from_code(*c)) },
                    untracked: false,
                    conflicted,
                    submodule: sub.starts_with('S'),
                });
            }
            Some(b'?') => {
                if let Some(path) = rel(&entry[2..]) {
                    st.files.push(FileStatus { path, orig_path: None, staged: None, unstaged: None, untracked: true, conflicted: false, submodule: false });
                }
            }
            _ => {}
        }
    }
    st.files.sort_by(|a, b| a.path.cmp(&b.path));
    st
}

/// Clones `url` into `dest` (a folder that does not exist yet, or is empty), with the
/// user's own credentials and git's progress lines to `progress`.
pub fn clone(url: &str, dest: &std::path::Path, progress: impl FnMut(&str)) -> Result<()> {
    if url.trim().is_empty() || url.starts_with('-') {
        return Err(GitError::Failed(format!("{url:?} is not a repository URL")));
    }
    let mut cmd = weft_pty::process::background_command("git");
    cmd.arg("clone").arg("--progress").arg("--").arg(url).arg(dest);
    with_progress(cmd, "clone", progress)
}

/// Runs a network git command (never prompting: GIT_TERMINAL_PROMPT=0, ssh in batch mode),
/// its progress lines (\r-redrawn or \n-ended) to `progress`; on failure git's own last
/// lines are the error.
fn with_progress(mut cmd: std::process::Command, what: &str, mut progress: impl FnMut(&str)) -> Result<()> {
    cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_SSH_COMMAND", std::env::var("GIT_SSH_COMMAND").unwrap_or_else(|_| "ssh -o BatchMode=yes".into()));
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| if e.kind() == std::io::ErrorKind::NotFound { GitError::NoGit(e) } else { GitError::Io(e) })?;
    let out = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut o) = out {
            let _ = std::io::Read::read_to_string(&mut o, &mut s);
        }
        s
    });
    let mut said: Vec<String> = vec![];
    if let Some(mut err) = child.stderr.take() {
        let mut buf = [0u8; 4096];
        let mut line = Vec::new();
        loop {
            let n = std::io::Read::read(&mut err, &mut buf)?;
            if n == 0 {
                break;
            }
            for &b in &buf[..n] {
                if b == b'\r' || b == b'\n' {
                    if !line.is_empty() {
                        let l = String::from_utf8_lossy(&line).trim().to_owned();
                        progress(&l);
                        if b == b'\n' {
                            said.push(l);
                        }
                        line.clear();
                    }
                } else {
                    line.push(b);
                }
            }
        }
    }
    let status = child.wait()?;
    let stdout = reader.join().unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let mut msg: Vec<String> = said.into_iter().filter(|l| !l.is_empty()).collect();
    msg.extend(stdout.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
    Err(GitError::Failed(if msg.is_empty() { format!("git {what} failed ({status})") } else { msg.join("\n") }))
}
