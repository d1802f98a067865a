//! The workspace symbol index and the repo map, on real files in a temporary folder.

use std::fs;

use weft_syntax::{repo_map, SymbolIndex};

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        ("src/store.rs", "pub struct CheckpointStore {\n    root: String,\n}\n\nimpl CheckpointStore {\n    pub fn open_existing(root: &str) -> CheckpointStore {\n        CheckpointStore { root: root.into() }\n    }\n}\n"),
        ("src/main.rs", "mod store;\nuse store::CheckpointStore;\n\nfn main() {\n    let s = CheckpointStore::open_existing(\".\");\n    let t = CheckpointStore::open_existing(\"..\");\n    helper_unused();\n}\n\nfn helper_unused() {}\n"),
        ("src/cli.rs", "use crate::store::CheckpointStore;\n\npub fn run_cli() {\n    CheckpointStore::open_existing(\"x\");\n}\n"),
        ("web/app.ts", "export class ViewModel {\n  render(): string { return \"\"; }\n}\n"),
        ("README.md", "# Demo\n\n## Usage\n"),
        ("notes.txt", "not code\n"),
    ];
    for (path, text) in files {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    }
    dir
}

fn all_files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        out.push(entry.strip_prefix(dir).expect("inside").to_string_lossy().replace('\\', "/"));
    }
    out.sort();
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn symbols_are_found_by_fuzzy_name_and_follow_the_disk() {
    let dir = workspace();
    let index = SymbolIndex::new(dir.path(), 1 << 20);
    let stats = index.build(&all_files(dir.path()));
    assert_eq!((stats.files, stats.skipped), (5, 1), "notes.txt is not code");

    let hits = index.search("chkstore", 10);
    assert_eq!(hits[0].name, "CheckpointStore");
    assert_eq!((hits[0].path.as_str(), hits[0].line, hits[0].kind.as_str()), ("src/store.rs", 1, "struct"));
    let open = index.search("open_existing", 5);
    assert_eq!(open[0].container.as_deref(), Some("impl CheckpointStore"));
    assert_eq!(open[0].kind, "method");
    assert_eq!(index.search("Usage", 5)[0].kind, "heading");
    assert!(index.search("zzzqqq", 5).is_empty());

    // A new function on disk is found once the watcher reports the file …
    fs::write(dir.path().join("web/app.ts"), "export class ViewModel {}\nexport function mountEverything() {}\n").expect("write");
    assert!(index.search("mountEverything", 5).is_empty(), "nothing changes before the update");
    index.update_path("web/app.ts");
    let hit = &index.search("mountEverything", 5)[0];
    assert_eq!((hit.path.as_str(), hit.line), ("web/app.ts", 2));
    assert!(index.search("render", 5).iter().all(|h| h.path != "web/app.ts"), "the removed method is gone");
    // … and a deleted file's symbols leave with it, also under a deleted folder.
    fs::remove_file(dir.path().join("src/cli.rs")).expect("rm");
    index.update_path("src/cli.rs");
    assert!(index.search("run_cli", 5).is_empty());
    index.remove("web");
    assert!(index.search("ViewModel", 5).is_empty());
}

#[test]
fn the_repo_map_ranks_what_is_used_and_keeps_to_its_budget() {
    let dir = workspace();
    let index = SymbolIndex::new(dir.path(), 1 << 20);
    index.build(&all_files(dir.path()));
    let files = index.snapshot();

    let map = repo_map(&files, &[], 1000);
    assert!(map.tokens <= 1000);
    assert_eq!(map.definitions_shown, map.definitions_total, "a small workspace fits whole:\n{}", map.text);
    // The store, used by two other files, comes first, with its signatures and the impl
    // that holds the method.
    let first = map.text.lines().next().expect("a line");
    assert_eq!(first, "src/store.rs:", "{}", map.text);
    assert!(map.text.contains("│pub struct CheckpointStore\n"), "{}", map.text);
    assert!(map.text.contains("│impl CheckpointStore\n│    pub fn open_existing(root: &str) -> CheckpointStore\n"), "{}", map.text);

    // A tight budget keeps the most used definitions only.
    let small = repo_map(&files, &[], 20);
    assert!(small.tokens <= 20, "{} tokens", small.tokens);
    assert!(small.definitions_shown >= 1 && small.definitions_shown < map.definitions_shown);
    assert!(small.text.starts_with("src/store.rs:\n"), "{}", small.text);
    assert!(!small.text.contains("ViewModel"));
}

/// Reopening a folder parses only what changed since: the cache of the last session keeps
/// each file's entry with its size, time and content hash.
#[test]
fn reopening_parses_exactly_the_files_that_changed() {
    let dir = workspace();
    let cache_dir = tempfile::tempdir().expect("tmp");
    let db = cache_dir.path().join("index.sqlite");
    // Old enough times: a time within the file system's last tick is not trusted.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let age = |rel: &str| fs::File::options().write(true).open(dir.path().join(rel)).expect("open").set_modified(old).expect("mtime");
    let files = all_files(dir.path());
    for f in &files {
        age(f);
    }
    let open = || {
        let cache = weft_syntax::IndexCache::open(&db).expect("cache");
        let index = SymbolIndex::new(dir.path(), 1 << 20);
        let stats = index.build_cached(&files, &cache, 2, None, None);
        (index, stats)
    };
    let (first, stats) = open();
    assert_eq!((stats.files, stats.parsed), (5, 5), "a cold build parses every indexed file: {stats:?}");
    let plain = SymbolIndex::new(dir.path(), 1 << 20);
    plain.build(&files);
    assert_eq!(first.search("", 100), plain.search("", 100), "the same index as a build without the cache");

    let (second, stats) = open();
    assert_eq!((stats.files, stats.parsed), (5, 0), "nothing changed: nothing parsed");
    assert_eq!(second.search("store", 10), plain.search("store", 10), "entries come back whole");
    assert_eq!(weft_syntax::repo_map(&second.snapshot(), &[], 512).text, weft_syntax::repo_map(&plain.snapshot(), &[], 512).text);

    // One file changed: exactly one parse, and its new symbol found.
    fs::write(dir.path().join("src/cli.rs"), "pub fn run_cli_changed() {}\n").expect("write");
    age("src/cli.rs");
    let (third, stats) = open();
    assert_eq!(stats.parsed, 1, "{stats:?}");
    assert_eq!(third.search("run_cli_changed", 1)[0].path, "src/cli.rs");
    // Touched, same bytes (a checkout rewrites files as they were): hashed, not parsed.
    fs::write(dir.path().join("src/main.rs"), fs::read(dir.path().join("src/main.rs")).expect("read")).expect("rewrite");
    let touched = std::time::SystemTime::now() - std::time::Duration::from_secs(30);
    fs::File::options().write(true).open(dir.path().join("src/main.rs")).expect("open").set_modified(touched).expect("mtime");
    assert_eq!(open().1.parsed, 0, "same bytes, new time: not parsed");
    assert_eq!(open().1.parsed, 0, "and the new time is remembered");
    // A file gone leaves the index and the cache.
    fs::remove_file(dir.path().join("web/app.ts")).expect("rm");
    let files2: Vec<String> = files.iter().filter(|f| *f != "web/app.ts").cloned().collect();
    let cache = weft_syntax::IndexCache::open(&db).expect("cache");
    let index = SymbolIndex::new(dir.path(), 1 << 20);
    let stats = index.build_cached(&files2, &cache, 2, None, None);
    assert_eq!((stats.files, stats.parsed), (4, 0));
    assert!(index.search("ViewModel", 5).is_empty());
    assert!(!cache.load().contains_key("web/app.ts"));
    // A file written this very moment is cached without its time, so the next session looks
    // at its bytes (a second write in the same tick would otherwise go unseen).
    fs::write(dir.path().join("src/cli.rs"), "pub fn fresh() {}\n").expect("write");
    let stats = index.build_cached(&files2, &cache, 2, None, None);
    assert_eq!(stats.parsed, 1);
    fs::write(dir.path().join("src/cli.rs"), "pub fn fresh2() {}\n").expect("write");
    let stats = index.build_cached(&files2, &cache, 2, None, None);
    assert_eq!(stats.parsed, 1, "the second write in the same second is seen");
    assert_eq!(index.search("fresh2", 1).len(), 1);
}

#[test]
fn a_stopped_build_keeps_the_index_and_caches_what_it_parsed() {
    let dir = workspace();
    let cache_dir = tempfile::tempdir().expect("tmp");
    let cache = weft_syntax::IndexCache::open(&cache_dir.path().join("i.sqlite")).expect("cache");
    let files = all_files(dir.path());
    let index = SymbolIndex::new(dir.path(), 1 << 20);
    let stop = std::sync::atomic::AtomicBool::new(true);
    let stats = index.build_cached(&files, &cache, 1, Some(&stop), None);
    assert!(stats.cancelled);
    assert_eq!(index.stats().files, 0, "the index is as it was");
    let seen = std::sync::Mutex::new(vec![]);
    let progress = |done: usize, total: usize| seen.lock().expect("lock").push((done, total));
    let stats = index.build_cached(&files, &cache, 1, None, Some(&progress));
    assert!(!stats.cancelled && stats.files == 5);
}
