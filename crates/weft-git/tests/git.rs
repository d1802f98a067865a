//! weft-git against real repositories made here with the real `git`: status (renames,
//! ignored, untracked, a submodule, a conflict, a workspace inside the repository),
//! staging, unstaging, discarding, committing (amend, sign-off, a refusing hook), the
//! versions a diff compares, and branches.

use std::path::Path;
use std::process::Command;

use weft_git::{Change, CommitOptions, Repo, RepoState, Version};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z").output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// A repository with one commit: a.txt, b.txt, src/lib.rs and a .gitignore.
fn repo() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "user.name", "Ada"]);
    git(d, &["config", "user.email", "ada@example.com"]);
    git(d, &["config", "commit.gpgsign", "false"]);
    write(d, "a.txt", "one\ntwo\nthree\n");
    write(d, "b.txt", "bee\n");
    write(d, "src/lib.rs", "pub fn f() {}\n");
    write(d, ".gitignore", "*.log\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "first"]);
    let repo = Repo::discover(d).expect("discover").expect("a repository");
    (dir, repo)
}

#[test]
fn a_folder_outside_any_repository_has_none() {
    let dir = tempfile::tempdir().expect("tmp");
    // GIT_CEILING_DIRECTORIES is not needed: a fresh temp folder is under /tmp, not a repo.
    assert!(Repo::discover(dir.path()).expect("discover").is_none());
}

#[test]
fn status_sorts_changes_into_staged_changed_untracked_and_ignores_ignored() {
    let (dir, repo) = repo();
    let d = dir.path();
    let st = repo.status().expect("status");
    assert_eq!(st.branch.as_deref(), Some("main"));
    assert!(st.head.is_some());
    assert_eq!(st.state, RepoState::Clean);
    assert!(st.files.is_empty(), "{:?}", st.files);

    write(d, "a.txt", "one\n2\nthree\n");
    write(d, "new.txt", "new\n");
    write(d, "debug.log", "ignored\n");
    std::fs::remove_file(d.join("b.txt")).expect("rm");
    git(d, &["mv", "src/lib.rs", "src/core.rs"]);
    write(d, "staged.txt", "s\n");
    git(d, &["add", "staged.txt"]);
    write(d, "staged.txt", "s\nand more\n");
    let st = repo.status().expect("status");
    let f = |p: &str| st.files.iter().find(|f| f.path == p).unwrap_or_else(|| panic!("{p} in {:?}", st.files)).clone();
    assert_eq!((f("a.txt").staged, f("a.txt").unstaged), (None, Some(Change::Modified)));
    assert_eq!(f("b.txt").unstaged, Some(Change::Deleted));
    assert!(f("new.txt").untracked);
    let renamed = f("src/core.rs");
    assert_eq!((renamed.staged, renamed.orig_path.as_deref()), (Some(Change::Renamed), Some("src/lib.rs")));
    assert_eq!((f("staged.txt").staged, f("staged.txt").unstaged), (Some(Change::Added), Some(Change::Modified)));
    assert!(st.files.iter().all(|f| f.path != "debug.log"), "an ignored file is not a change");
    // Sorted by path.
    let paths: Vec<_> = st.files.iter().map(|f| f.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

#[test]
fn odd_file_names_come_back_as_they_are() {
    let (dir, repo) = repo();
    for name in ["with space.txt", "ünïcode.txt", "*.rs", "tab\there.txt"] {
        write(dir.path(), name, "x\n");
    }
    let st = repo.status().expect("status");
    let names: Vec<_> = st.files.iter().map(|f| f.path.as_str()).collect();
    for name in ["with space.txt", "ünïcode.txt", "*.rs", "tab\there.txt"] {
        assert!(names.contains(&name), "{name:?} in {names:?}");
    }
    // A pattern-looking name is that file only.
    repo.stage(&["*.rs".into()]).expect("stage");
    let st = repo.status().expect("status");
    let staged: Vec<_> = st.files.iter().filter(|f| f.staged.is_some()).map(|f| f.path.as_str()).collect();
    assert_eq!(staged, ["*.rs"]);
}

#[test]
fn stage_unstage_and_commit_what_was_staged_only() {
    let (dir, repo) = repo();
    let d = dir.path();
    write(d, "a.txt", "one\nTWO\nthree\n");
    write(d, "b.txt", "bee!\n");
    write(d, "c.txt", "sea\n");
    repo.stage(&["a.txt".into(), "c.txt".into()]).expect("stage");
    let st = repo.status().expect("status");
    let staged: Vec<_> = st.files.iter().filter(|f| f.staged.is_some()).map(|f| f.path.as_str()).collect();
    assert_eq!(staged, ["a.txt", "c.txt"]);
    repo.unstage(&["c.txt".into()]).expect("unstage");
    assert!(repo.status().expect("status").files.iter().find(|f| f.path == "c.txt").expect("c").untracked);

    let done = repo.commit("Second: a only\n\nbody", CommitOptions::default()).expect("commit");
    assert_eq!(done.summary, "Second: a only");
    assert_eq!(git(d, &["log", "-1", "--format=%s"]).trim(), "Second: a only");
    assert_eq!(git(d, &["show", "HEAD:a.txt"]), "one\nTWO\nthree\n");
    assert_eq!(git(d, &["show", "HEAD:b.txt"]), "bee\n", "b.txt was not staged");
    assert_eq!(done.head, git(d, &["rev-parse", "HEAD"]).trim());

    // Amend with sign-off: the same parent, a new message.
    let parent = git(d, &["rev-parse", "HEAD~1"]);
    let amended = repo.commit("Second, amended", CommitOptions { amend: true, signoff: true, all: false }).expect("amend");
    assert_eq!(git(d, &["rev-parse", "HEAD~1"]), parent);
    assert_eq!(amended.summary, "Second, amended");
    assert!(git(d, &["log", "-1", "--format=%B"]).contains("Signed-off-by: Ada <ada@example.com>"));

    // Nothing staged and `all`: every change to tracked files.
    let all = repo.commit("Third", CommitOptions { all: true, ..Default::default() }).expect("commit -a");
    assert_eq!(all.summary, "Third");
    assert_eq!(git(d, &["show", "HEAD:b.txt"]), "bee!\n");
    // An empty message is refused before git runs.
    assert!(repo.commit("  \n", CommitOptions::default()).is_err());
}

#[test]
fn unstaging_before_the_first_commit_works() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "x.txt", "x\n");
    let repo = Repo::discover(d).expect("discover").expect("repo");
    let st = repo.status().expect("status");
    assert_eq!((st.branch.as_deref(), st.head.as_deref()), (Some("main"), None));
    repo.stage(&["x.txt".into()]).expect("stage");
    assert_eq!(repo.status().expect("status").files[0].staged, Some(Change::Added));
    repo.unstage(&["x.txt".into()]).expect("unstage");
    assert!(repo.status().expect("status").files[0].untracked);
}

#[test]
fn a_hook_that_refuses_the_commit_is_the_error_with_its_output() {
    let (dir, repo) = repo();
    let d = dir.path();
    let hook = d.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'lint: trailing whitespace in a.txt' >&2\nexit 1\n").expect("hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    write(d, "a.txt", "changed \n");
    repo.stage(&["a.txt".into()]).expect("stage");
    let before = git(d, &["rev-parse", "HEAD"]);
    let e = repo.commit("refused", CommitOptions::default()).expect_err("the hook refuses");
    assert!(e.to_string().contains("lint: trailing whitespace in a.txt"), "{e}");
    assert_eq!(git(d, &["rev-parse", "HEAD"]), before, "nothing committed");
    assert_eq!(repo.status().expect("status").files[0].staged, Some(Change::Modified), "still staged");
}

#[test]
fn discard_restores_tracked_files_and_deletes_untracked_ones() {
    let (dir, repo) = repo();
    let d = dir.path();
    write(d, "a.txt", "ruined\n");
    write(d, "junk/new.txt", "junk\n");
    repo.discard(&["a.txt".into(), "junk/new.txt".into()]).expect("discard");
    assert_eq!(std::fs::read_to_string(d.join("a.txt")).expect("a"), "one\ntwo\nthree\n");
    assert!(!d.join("junk/new.txt").exists());
    assert!(repo.status().expect("status").files.is_empty());
    // Paths are checked: nothing outside the work tree, nothing in .git.
    for bad in ["../x", "/etc/passwd", ".git/config", "a/../../x"] {
        assert!(repo.discard(&[bad.into()]).is_err(), "{bad}");
        assert!(repo.stage(&[bad.into()]).is_err(), "{bad}");
    }
}

#[test]
fn the_versions_a_diff_compares() {
    let (dir, repo) = repo();
    let d = dir.path();
    write(d, "a.txt", "staged\n");
    repo.stage(&["a.txt".into()]).expect("stage");
    write(d, "a.txt", "working\n");
    assert_eq!(repo.show(Version::Head, "a.txt").expect("head").as_deref(), Some(&b"one\ntwo\nthree\n"[..]));
    assert_eq!(repo.show(Version::Index, "a.txt").expect("index").as_deref(), Some(&b"staged\n"[..]));
    assert_eq!(repo.show(Version::Head, "nope.txt").expect("none"), None);
}

#[test]
fn a_workspace_inside_the_repository_sees_its_own_files_by_its_own_paths() {
    let (dir, _) = repo();
    let d = dir.path();
    write(d, "src/extra.rs", "fn g() {}\n");
    write(d, "a.txt", "outside the workspace\n");
    let sub = Repo::discover(&d.join("src")).expect("discover").expect("repo");
    let st = sub.status().expect("status");
    let paths: Vec<_> = st.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["extra.rs"]);
    sub.stage(&["extra.rs".into()]).expect("stage");
    assert_eq!(sub.status().expect("status").files[0].staged, Some(Change::Added));
    assert_eq!(sub.show(Version::Head, "lib.rs").expect("show").as_deref(), Some(&b"pub fn f() {}\n"[..]));
}

#[test]
fn branches_switch_and_a_switch_that_would_lose_changes_is_refused() {
    let (dir, repo) = repo();
    let d = dir.path();
    repo.switch("feature", true).expect("create");
    write(d, "a.txt", "feature\n");
    repo.commit("on feature", CommitOptions { all: true, ..Default::default() }).expect("commit");
    let names: Vec<_> = repo.branches().expect("branches").into_iter().map(|b| (b.name, b.current)).collect();
    assert_eq!(names, [("feature".to_owned(), true), ("main".to_owned(), false)]);
    repo.switch("main", false).expect("back to main");
    assert_eq!(repo.status().expect("status").branch.as_deref(), Some("main"));
    // A change git would overwrite: refused with git's message, nothing lost.
    write(d, "a.txt", "unsaved work\n");
    let e = repo.switch("feature", false).expect_err("refused");
    assert!(e.to_string().contains("a.txt"), "{e}");
    assert_eq!(std::fs::read_to_string(d.join("a.txt")).expect("a"), "unsaved work\n");
    assert!(repo.switch("--force", false).is_err());
}

#[test]
fn a_merge_conflict_shows_as_conflicted_and_the_state_as_merging() {
    let (dir, repo) = repo();
    let d = dir.path();
    repo.switch("other", true).expect("branch");
    write(d, "a.txt", "one\nOTHER\nthree\n");
    repo.commit("other", CommitOptions { all: true, ..Default::default() }).expect("commit");
    repo.switch("main", false).expect("main");
    write(d, "a.txt", "one\nMAIN\nthree\n");
    repo.commit("main", CommitOptions { all: true, ..Default::default() }).expect("commit");
    let out = Command::new("git").args(["merge", "other"]).current_dir(d).output().expect("merge");
    assert!(!out.status.success(), "the merge conflicts");
    let st = repo.status().expect("status");
    assert_eq!(st.state, RepoState::Merging);
    let a = st.files.iter().find(|f| f.path == "a.txt").expect("a");
    assert!(a.conflicted && a.staged.is_none() && a.unstaged.is_none(), "{a:?}");
    // Resolved by hand and staged: no longer conflicted.
    write(d, "a.txt", "one\nMAIN\nOTHER\nthree\n");
    repo.stage(&["a.txt".into()]).expect("stage");
    let a = repo.status().expect("status").files.into_iter().find(|f| f.path == "a.txt").expect("a");
    assert!(!a.conflicted && a.staged == Some(Change::Modified), "{a:?}");
}

#[test]
fn a_submodule_is_marked_and_upstream_counts_are_read() {
    let (dir, repo) = repo();
    let d = dir.path();
    // A bare remote: push, then one commit ahead.
    let remote = tempfile::tempdir().expect("tmp");
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    git(d, &["remote", "add", "origin", remote.path().to_str().expect("utf8")]);
    git(d, &["push", "-q", "-u", "origin", "main"]);
    write(d, "a.txt", "ahead\n");
    repo.commit("ahead", CommitOptions { all: true, ..Default::default() }).expect("commit");
    let st = repo.status().expect("status");
    assert_eq!((st.upstream.as_deref(), st.ahead, st.behind), (Some("origin/main"), 1, 0));

    let inner = tempfile::tempdir().expect("tmp");
    git(inner.path(), &["init", "-q", "-b", "main"]);
    git(inner.path(), &["-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "x"]);
    git(d, &["-c", "protocol.file.allow=always", "submodule", "-q", "add", inner.path().to_str().expect("utf8"), "sub"]);
    let st = repo.status().expect("status");
    let sub = st.files.iter().find(|f| f.path == "sub").expect("the submodule");
    assert!(sub.submodule && sub.staged == Some(Change::Added), "{sub:?}");
}

#[test]
fn the_status_parser_reads_porcelain_v2_records() {
    let records = ["# branch.oid abc", "# branch.head (detached)", "1 .M N... 100644 100644 100644 h1 h2 dir/a b.txt", "2 R. N... 100644 100644 100644 h1 h2 R100 new.txt", "old.txt", "u UU N... 100644 100644 100644 100644 h1 h2 h3 c.txt", "? u.txt", ""];
    let joined = records.join("\0");
    let out = joined.as_bytes();
    let st = weft_git::parse_status(out, "");
    assert_eq!((st.branch, st.head.as_deref()), (None, Some("abc")));
    let paths: Vec<_> = st.files.iter().map(|f| (f.path.as_str(), f.orig_path.as_deref())).collect();
    assert_eq!(paths, [("c.txt", None), ("dir/a b.txt", None), ("new.txt", Some("old.txt")), ("u.txt", None)]);
    // Outside the workspace's prefix: dropped.
    let st = weft_git::parse_status(out, "dir/");
    assert_eq!(st.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["a b.txt"]);
}

#[test]
fn staging_one_hunk_or_one_line_puts_exactly_that_in_the_index() {
    let (dir, repo) = repo();
    let d = dir.path();
    write(d, "a.txt", "ONE\ntwo\nthree\nfour\n");
    // The editor stages the first hunk only: the index text it computed.
    repo.stage_text("a.txt", b"ONE\ntwo\nthree\n").expect("stage hunk");
    assert_eq!(git(d, &["show", ":a.txt"]), "ONE\ntwo\nthree\n");
    assert_eq!(git(d, &["diff", "--cached", "--numstat"]).trim(), "1\t1\ta.txt");
    assert_eq!(git(d, &["diff", "--numstat"]).trim(), "1\t0\ta.txt", "the other hunk is still unstaged");
    let st = repo.status().expect("status");
    assert_eq!((st.files[0].staged, st.files[0].unstaged), (Some(Change::Modified), Some(Change::Modified)));
    // An executable keeps its mode; a new file is added.
    git(d, &["update-index", "--chmod=+x", "b.txt"]);
    repo.stage_text("b.txt", b"bee\nline\n").expect("stage");
    assert!(git(d, &["ls-files", "-s", "b.txt"]).starts_with("100755 "));
    repo.stage_text("src/new.rs", b"fn n() {}\n").expect("new");
    assert_eq!(git(d, &["show", ":src/new.rs"]), "fn n() {}\n");
    assert!(repo.stage_text("../x", b"x").is_err());
    // From a workspace inside the repository, by its own path.
    let sub = Repo::discover(&d.join("src")).expect("discover").expect("repo");
    sub.stage_text("lib.rs", b"pub fn f() {}\npub fn g() {}\n").expect("sub");
    assert_eq!(git(d, &["show", ":src/lib.rs"]), "pub fn f() {}\npub fn g() {}\n");
}

#[test]
fn the_diff_reads_as_git_prints_it_relative_to_the_workspace() {
    let (dir, repo) = repo();
    let d = dir.path();
    write(d, "src/lib.rs", "pub fn f() {}\npub fn g() {}\n");
    write(d, "a.txt", "one\n");
    let all = repo.diff(false, &[]).expect("diff");
    assert!(all.contains("+pub fn g() {}") && all.contains("-two"), "{all}");
    let one = repo.diff(false, &["a.txt".into()]).expect("diff");
    assert!(!one.contains("lib.rs"), "{one}");
    repo.stage(&["a.txt".into()]).expect("stage");
    assert!(repo.diff(true, &[]).expect("cached").contains("a/a.txt"));
    let sub = Repo::discover(&d.join("src")).expect("discover").expect("repo");
    let rel = sub.diff(false, &[]).expect("diff");
    assert!(rel.contains("a/lib.rs") && !rel.contains("a.txt"), "{rel}");
}

#[test]
fn fetch_pull_and_push_against_a_bare_remote_with_progress_and_gits_own_refusal() {
    use weft_git::SyncOp;
    let remote = tempfile::tempdir().expect("tmp");
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let url = remote.path().to_str().expect("utf8").to_owned();
    // Ada's clone publishes main: no upstream yet, so the push sets it.
    let (a_dir, a) = repo();
    git(a_dir.path(), &["remote", "add", "origin", &url]);
    let mut lines = vec![];
    a.sync(SyncOp::Push, false, |l| lines.push(l.to_owned())).expect("first push");
    assert_eq!(a.status().expect("status").upstream.as_deref(), Some("origin/main"));
    assert!(!lines.is_empty(), "git's progress came through");
    // Bo clones, Ada pushes a commit, Bo fetches: one behind; pulls: has it.
    let b_dir = tempfile::tempdir().expect("tmp");
    git(b_dir.path(), &["clone", "-q", &url, "."]);
    git(b_dir.path(), &["config", "user.name", "Bo"]);
    git(b_dir.path(), &["config", "user.email", "bo@example.com"]);
    let b = Repo::discover(b_dir.path()).expect("discover").expect("repo");
    write(a_dir.path(), "a.txt", "from Ada\n");
    a.commit("Ada's change", CommitOptions { all: true, ..Default::default() }).expect("commit");
    a.sync(SyncOp::Push, false, |_| {}).expect("push");
    b.sync(SyncOp::Fetch, false, |_| {}).expect("fetch");
    let st = b.status().expect("status");
    assert_eq!((st.ahead, st.behind), (0, 1));
    b.sync(SyncOp::Pull, false, |_| {}).expect("pull");
    assert_eq!(std::fs::read_to_string(b_dir.path().join("a.txt")).expect("read"), "from Ada\n");
    // Both commit; Bo pushes first; Ada's push is refused with git's words, nothing lost;
    // a rebasing pull puts Ada's commit on top, and then the push goes.
    write(b_dir.path(), "b.txt", "Bo's\n");
    b.stage(&["b.txt".into()]).expect("stage");
    b.commit("Bo's file", CommitOptions::default()).expect("commit");
    b.sync(SyncOp::Push, false, |_| {}).expect("push");
    write(a_dir.path(), "c.txt", "Ada's\n");
    a.stage(&["c.txt".into()]).expect("stage");
    a.commit("Ada's file", CommitOptions::default()).expect("commit");
    let e = a.sync(SyncOp::Push, false, |_| {}).expect_err("behind: refused");
    assert!(e.to_string().contains("rejected"), "{e}");
    a.sync(SyncOp::Pull, true, |_| {}).expect("pull --rebase");
    assert_eq!(git(a_dir.path(), &["log", "--format=%s", "-3"]).trim(), "Ada's file\nBo's file\nAda's change");
    a.sync(SyncOp::Push, false, |_| {}).expect("push after the rebase");
    assert_eq!(a.status().expect("status").ahead, 0);
}

#[test]
fn stash_push_list_pop_and_drop() {
    let (dir, repo) = repo();
    let d = dir.path();
    write(d, "a.txt", "work in progress\n");
    write(d, "new.txt", "untracked\n");
    repo.stage(&["a.txt".into()]).expect("stage");
    repo.stash_push("halfway there", true).expect("stash");
    assert!(repo.status().expect("status").files.is_empty(), "the work tree is clean");
    assert!(!d.join("new.txt").exists());
    write(d, "b.txt", "another\n");
    repo.stash_push("", false).expect("stash without a message");
    let list = repo.stashes().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].message, "On main: halfway there");
    assert!(list[0].message.starts_with("WIP on main"), "{list:?}");
    repo.stash_drop(0).expect("drop");
    // Pop brings back the staged change staged, and the untracked file.
    repo.stash_apply(0, true).expect("pop");
    let st = repo.status().expect("status");
    let a = st.files.iter().find(|f| f.path == "a.txt").expect("a");
    assert_eq!(a.staged, Some(Change::Modified), "{a:?}");
    assert!(st.files.iter().any(|f| f.path == "new.txt" && f.untracked));
    assert!(repo.stashes().expect("list").is_empty());
    // A pop that conflicts keeps the stash and says so in git's words.
    write(d, "a.txt", "stashed side\n");
    repo.stash_push("x", false).expect("stash");
    write(d, "a.txt", "other side\n");
    repo.commit("other", CommitOptions { all: true, ..Default::default() }).expect("commit");
    write(d, "a.txt", "dirty again\n");
    let e = repo.stash_apply(0, true).expect_err("would overwrite");
    assert!(e.to_string().contains("a.txt"), "{e}");
    assert_eq!(repo.stashes().expect("list").len(), 1, "kept");
}

#[test]
fn the_log_of_the_repository_and_of_a_file_through_its_rename_with_a_commits_files() {
    let (dir, repo) = repo();
    let d = dir.path();
    write(d, "a.txt", "one\nTWO\nthree\n");
    repo.commit("Change a", CommitOptions { all: true, ..Default::default() }).expect("commit");
    git(d, &["mv", "a.txt", "renamed.txt"]);
    write(d, "b.txt", "bee 2\n");
    repo.commit("Rename a; change b\n\nWhy: a clearer name.", CommitOptions { all: true, ..Default::default() }).expect("commit");
    git(d, &["tag", "v1"]);

    let log = repo.log(None, 0, 10).expect("log");
    assert_eq!(log.iter().map(|e| e.summary.as_str()).collect::<Vec<_>>(), ["Rename a; change b", "Change a", "first"]);
    assert_eq!(log[0].hash, git(d, &["rev-parse", "HEAD"]).trim());
    assert_eq!(log[0].parents, [log[1].hash.clone()]);
    assert!(log[2].parents.is_empty(), "the first commit has no parent");
    assert_eq!((log[0].author.as_str(), log[0].email.as_str()), ("Ada", "ada@example.com"));
    assert_eq!(log[2].time, 1_767_225_600, "the author date, 2026-01-01");
    assert!(log[0].refs.contains(&"HEAD -> main".to_owned()) && log[0].refs.contains(&"tag: v1".to_owned()), "{:?}", log[0].refs);
    // Pages.
    assert_eq!(repo.log(None, 1, 1).expect("page").iter().map(|e| e.summary.as_str()).collect::<Vec<_>>(), ["Change a"]);
    // A file's history follows it through the rename.
    let file = repo.log(Some("renamed.txt"), 0, 10).expect("file log");
    assert_eq!(file.iter().map(|e| e.summary.as_str()).collect::<Vec<_>>(), ["Rename a; change b", "Change a", "first"]);
    assert!(repo.log(Some("../x"), 0, 10).is_err(), "a path outside is refused");

    let detail = repo.commit_detail(&log[0].hash).expect("detail");
    assert_eq!(detail.body, "Why: a clearer name.");
    let files: Vec<_> = detail.files.iter().map(|f| (f.path.as_str(), f.orig_path.as_deref(), f.change)).collect();
    assert_eq!(files, [("b.txt", None, Change::Modified), ("renamed.txt", Some("a.txt"), Change::Renamed)]);
    // The versions its diff compares.
    assert_eq!(repo.show(Version::Parent(log[0].hash.clone()), "b.txt").expect("parent").as_deref(), Some(&b"bee\n"[..]));
    assert_eq!(repo.show(Version::Commit(log[0].hash.clone()), "b.txt").expect("commit").as_deref(), Some(&b"bee 2\n"[..]));
    // The first commit: every file added.
    let first = repo.commit_detail(&log[2].hash).expect("first");
    assert!(first.files.iter().all(|f| f.change == Change::Added) && first.files.len() == 4, "{:?}", first.files);
    // Only object names: no options, no ranges.
    for bad in ["--output=/tmp/x", "HEAD~1..HEAD", "main"] {
        assert!(repo.commit_detail(bad).is_err(), "{bad}");
        assert!(repo.show(Version::Commit(bad.into()), "b.txt").is_err(), "{bad}");
    }
}

#[test]
fn an_empty_repository_has_an_empty_log() {
    let dir = tempfile::tempdir().expect("tmp");
    git(dir.path(), &["init", "-q"]);
    let repo = Repo::discover(dir.path()).expect("discover").expect("repo");
    assert!(repo.log(None, 0, 10).expect("log").is_empty());
}

#[test]
fn blame_names_each_lines_commit_and_the_editors_unsaved_lines_as_uncommitted() {
    let (dir, repo) = repo();
    let d = dir.path();
    git(d, &["config", "user.name", "Grace"]);
    write(d, "a.txt", "one\nTWO\nthree\n");
    repo.commit("Shout two", CommitOptions { all: true, ..Default::default() }).expect("commit");
    let b = repo.blame("a.txt", None).expect("blame");
    let who: Vec<_> = b.lines.iter().map(|&i| (b.commits[i as usize].author.as_str(), b.commits[i as usize].summary.as_str())).collect();
    assert_eq!(who, [("Ada", "first"), ("Grace", "Shout two"), ("Ada", "first")]);
    assert_eq!(b.commits.len(), 2, "each commit once");
    assert_eq!(b.commits[b.lines[1] as usize].hash, git(d, &["rev-parse", "HEAD"]).trim());
    assert_eq!(b.commits[0].time, 1_767_225_600);
    // The editor's text: an inserted line is not committed yet; the others keep their commit.
    let b = repo.blame("a.txt", Some(b"zero\none\nTWO\nthree\n")).expect("blame contents");
    assert_eq!(b.lines.len(), 4);
    let first = &b.commits[b.lines[0] as usize];
    assert!(first.uncommitted, "{first:?}");
    assert_eq!(b.commits[b.lines[2] as usize].summary, "Shout two");
    // What the porcelain parser does with git's own output equals git's line count.
    let porcelain = git(d, &["blame", "--porcelain", "--", "src/lib.rs"]);
    assert_eq!(weft_git::parse_blame(porcelain.as_bytes()).lines.len(), 1);
    assert!(repo.blame("nope.txt", None).is_err(), "git's own message for a file it does not know");
}

#[test]
fn branches_are_renamed_and_deleted_and_an_unmerged_one_only_when_forced() {
    let (dir, repo) = repo();
    let d = dir.path();
    repo.switch("topic", true).expect("create");
    write(d, "t.txt", "t\n");
    repo.stage(&["t.txt".into()]).expect("stage");
    repo.commit("topic work", CommitOptions::default()).expect("commit");
    repo.switch("main", false).expect("main");
    repo.rename_branch("topic", "feature").expect("rename");
    let names: Vec<_> = repo.branches().expect("branches").into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["feature", "main"]);
    assert!(repo.rename_branch("feature", "main").is_err(), "a name that exists");
    let refused = repo.delete_branch("feature", false).expect_err("unmerged");
    assert!(refused.to_string().contains("not fully merged"), "git's own words: {refused}");
    repo.delete_branch("feature", true).expect("forced");
    assert_eq!(repo.branches().expect("branches").len(), 1);
    assert!(repo.delete_branch("-D", false).is_err());
}

/// A refresh asks git about the paths the watcher touched only; a change git's own files
/// show (the index from a `git add` elsewhere, HEAD, a remote's ref) is seen without being
/// touched, and `whole` sees everything.
#[test]
fn a_refresh_asks_about_touched_paths_and_sees_what_the_watcher_cannot() {
    let (dir, repo) = repo();
    let d = dir.path();
    let touched = std::sync::Arc::new(weft_git::Touched::default());
    let repo = repo.with_touched(touched.clone());
    assert!(repo.status().expect("first").files.is_empty());
    // Changed on disk, not touched: a refresh does not look (the watcher would have told).
    write(d, "a.txt", "one\nTWO\nthree\n");
    write(d, "src/new.rs", "// new\n");
    assert!(repo.status().expect("untouched").files.is_empty(), "only touched paths are asked about");
    touched.touch(["a.txt"]);
    let st = repo.status().expect("touched");
    assert_eq!(st.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["a.txt"]);
    // A folder touched covers what is under it.
    touched.touch(["src"]);
    let st = repo.status().expect("dir");
    assert_eq!(st.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["a.txt", "src/new.rs"]);
    // A file put back: its entry goes.
    write(d, "a.txt", "one\ntwo\nthree\n");
    touched.touch(["a.txt"]);
    assert_eq!(repo.status().expect("back").files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["src/new.rs"]);
    // `git add` in a terminal changes the index: a whole status, untouched paths included.
    write(d, "b.txt", "changed unseen\n");
    git(d, &["add", "src/new.rs"]);
    let st = repo.status().expect("index changed");
    let files: Vec<_> = st.files.iter().map(|f| (f.path.as_str(), f.staged.is_some())).collect();
    assert_eq!(files, [("b.txt", false), ("src/new.rs", true)]);
    // A remote's ref moves (a fetch): nothing touched, and the counts still follow.
    let first = git(d, &["rev-parse", "HEAD"]).trim().to_owned();
    git(d, &["commit", "-q", "-m", "second"]);
    git(d, &["update-ref", "refs/remotes/origin/main", &first]);
    git(d, &["remote", "add", "origin", "../nowhere"]);
    git(d, &["config", "branch.main.remote", "origin"]);
    git(d, &["config", "branch.main.merge", "refs/heads/main"]);
    assert_eq!(repo.status().expect("after commit").ahead, 1);
    let second = git(d, &["rev-parse", "HEAD"]).trim().to_owned();
    git(d, &["update-ref", "refs/remotes/origin/main", &second]);
    assert_eq!(repo.status().expect("after fetch").ahead, 0, "the header is git's, every time");
    // A .gitignore touched: what every other path shows may change, so a whole status.
    write(d, "x.log", "ignored\n");
    write(d, "c.txt", "unseen\n");
    touched.touch([".gitignore"]);
    assert!(repo.status().expect("gitignore").files.iter().any(|f| f.path == "c.txt"));
    // Whole: everything, whatever was touched.
    write(d, "d.txt", "unseen too\n");
    assert!(repo.status_with(true).expect("whole").files.iter().any(|f| f.path == "d.txt"));
}

/// The states a real repository can be in: a lock file left behind, a detached HEAD, a
/// rebase stopped on a conflict, a shallow clone, a linked worktree. Each shows what it is;
/// a refused operation is git's own message and changes nothing.
#[test]
fn odd_states_show_what_they_are_and_a_refused_operation_changes_nothing() {
    let (dir, repo) = repo();
    let d = dir.path();
    // A lock file left behind by a crashed git: staging is refused in git's words, status
    // still reads (it takes no lock), and nothing was staged.
    write(d, "a.txt", "locked out\n");
    std::fs::write(d.join(".git/index.lock"), "").expect("lock");
    let e = repo.stage(&["a.txt".into()]).expect_err("locked");
    assert!(e.to_string().contains("index.lock"), "git's message: {e}");
    let st = repo.status_with(true).expect("status under a lock");
    assert!(st.files.iter().any(|f| f.path == "a.txt" && f.staged.is_none() && f.unstaged.is_some()), "{st:?}");
    std::fs::remove_file(d.join(".git/index.lock")).expect("unlock");
    repo.discard(&["a.txt".into()]).expect("discard");

    // Detached HEAD: no branch, the commit.
    let head = git(d, &["rev-parse", "HEAD"]).trim().to_owned();
    git(d, &["switch", "-q", "--detach", "HEAD"]);
    let st = repo.status().expect("detached");
    assert_eq!((st.branch.as_deref(), st.head.as_deref()), (None, Some(head.as_str())));
    git(d, &["switch", "-q", "main"]);

    // A rebase stopped on a conflict.
    git(d, &["switch", "-q", "-c", "side"]);
    write(d, "a.txt", "side\n");
    git(d, &["commit", "-q", "-am", "side"]);
    git(d, &["switch", "-q", "main"]);
    write(d, "a.txt", "main\n");
    git(d, &["commit", "-q", "-am", "main"]);
    git(d, &["switch", "-q", "side"]);
    let out = Command::new("git").args(["rebase", "main"]).current_dir(d).output().expect("rebase");
    assert!(!out.status.success());
    let st = repo.status().expect("rebasing");
    assert_eq!(st.state, RepoState::Rebasing);
    assert!(st.files.iter().any(|f| f.path == "a.txt" && f.conflicted));
    git(d, &["rebase", "--abort"]);
    assert_eq!(repo.status().expect("aborted").state, RepoState::Clean);

    // A shallow clone: status and log read what is there.
    let shallow = tempfile::tempdir().expect("tmp");
    let url = format!("file://{}", d.display());
    git(shallow.path(), &["clone", "-q", "--depth", "1", "--branch", "main", &url, "c"]);
    let c = Repo::discover(&shallow.path().join("c")).expect("discover").expect("repo");
    assert!(c.status().expect("status").files.is_empty());
    assert_eq!(c.log(None, 0, 10).expect("log").len(), 1, "one commit in a depth-1 clone");

    // A linked worktree: its own HEAD and status.
    let wt = tempfile::tempdir().expect("tmp");
    let wt_path = wt.path().join("wt");
    git(d, &["worktree", "add", "-q", wt_path.to_str().expect("utf-8"), "main"]);
    let w = Repo::discover(&wt_path).expect("discover").expect("worktree");
    write(&wt_path, "b.txt", "in the worktree\n");
    let st = w.status().expect("worktree status");
    assert_eq!(st.branch.as_deref(), Some("main"));
    assert_eq!(st.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["b.txt"]);
    assert!(repo.status().expect("main checkout").files.iter().all(|f| f.path != "b.txt"), "the other checkout's change is not this one's");

    // A bare repository has no work tree: no repository to show.
    let bare = tempfile::tempdir().expect("tmp");
    git(bare.path(), &["init", "-q", "--bare"]);
    assert!(Repo::discover(bare.path()).expect("discover").is_none());
}
