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
