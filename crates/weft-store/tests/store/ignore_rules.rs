//! The checkpoint walk keeps git's ignore rules. Oracle: git itself (`git ls-files
//! --others --exclude-standard` in the tree, the user's list as `--exclude`), over seeded
//! random trees with random .gitignore files at every level, negations, anchored and
//! directory patterns, .git/info/exclude and the user's own checkpoint ignore list. The
//! store walks with the `ignore` crate; an oracle on that crate would share its mistakes.
//! Under Wine (no git for Windows programs there) the `ignore` crate's walker stands in.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use weft_store::{Side, Store, StoreOptions};

use crate::common::Rng;

const NAMES: &[&str] = &["a", "b", "build", "keep.log", "x.log", "y.tmp", ".hidden", "sub", "deep", "top-only.txt", "z.rs"];
const PATTERNS: &[&str] = &["*.log", "!keep.log", "build/", "/top-only.txt", "**/deep", "*.tmp", "sub/", "!sub/", "b", "!b", "a/*.rs", "/a", ".hidden", "!*.rs", "# comment", "sub/**/z.rs", "[ab]/y.tmp"];

fn random_ignores(rng: &mut Rng) -> String {
    (0..1 + rng.below(4)).map(|_| PATTERNS[rng.below(PATTERNS.len() as u64) as usize]).collect::<Vec<_>>().join("\n") + "\n"
}

fn build(root: &Path, dir: &Path, rng: &mut Rng, depth: usize) {
    fs::create_dir_all(dir).unwrap();
    if rng.below(2) == 0 {
        fs::write(dir.join(".gitignore"), random_ignores(rng)).unwrap();
    }
    for _ in 0..2 + rng.below(5) {
        let name = NAMES[rng.below(NAMES.len() as u64) as usize];
        let p = dir.join(name);
        if p.exists() {
            continue;
        }
        if depth < 4 && rng.below(3) == 0 {
            build(root, &p, rng, depth + 1);
        } else {
            fs::write(&p, name).unwrap();
        }
    }
}

/// What git lists as not ignored in `root` (no global excludes, nothing tracked).
#[cfg(unix)]
fn oracle(root: &Path, user: &[String]) -> BTreeSet<String> {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "core.excludesFile=/dev/null", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", root)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    git(&["init", "-q"]);
    let mut args = vec!["ls-files".to_owned(), "-z".into(), "--others".into(), "--exclude-standard".into()];
    args.extend(user.iter().map(|p| format!("--exclude={p}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let listed = git(&args);
    let files: BTreeSet<String> = listed.split(|b| *b == 0).filter(|p| !p.is_empty()).map(|p| String::from_utf8_lossy(p).into_owned()).collect();
    // `git init` added nothing the store would list (.git is never walked).
    files
}

#[cfg(not(unix))]
fn oracle(root: &Path, user: &[String]) -> BTreeSet<String> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for p in user {
        overrides.add(&format!("!{p}")).unwrap();
    }
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .parents(false)
        .git_global(false)
        .ignore(false)
        .require_git(false)
        .overrides(overrides.build().unwrap())
        .filter_entry(|e| e.file_name() != ".git")
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        // The store names paths with '/' on every system.
        .map(|e| e.path().strip_prefix(root).unwrap().to_str().unwrap().replace(std::path::MAIN_SEPARATOR, "/"))
        .collect()
}

#[test]
fn the_walk_ignores_exactly_what_git_rules_ignore() {
    for seed in 1..=60u64 {
        let ws = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let root = ws.path();
        let mut rng = Rng(seed * 7919);
        build(root, root, &mut rng, 0);
        fs::create_dir_all(root.join(".git/info")).unwrap();
        fs::write(root.join(".git/info/exclude"), random_ignores(&mut rng)).unwrap();
        let user: Vec<String> = if seed % 3 == 0 { vec!["deep/".into(), "*.rs".into()] } else { vec![] };
        let store = Store::open(&Store::db_path(data.path(), root), root, StoreOptions { ignore: user.clone(), max_file_bytes: 1 << 20 }).unwrap();
        let walked: BTreeSet<String> = store.manifest(Side::Working).unwrap().into_keys().collect();
        assert_eq!(walked, oracle(root, &user), "seed {seed}");
    }
}
