use weft_fs::EntryKind;

use crate::{write, ws};

#[test]
fn gitignore_is_respected_without_a_git_repo_and_git_is_hidden() {
    let dir = tempfile::tempdir().expect("tmp");
    let r = dir.path();
    write(r, ".gitignore", "target/\n*.log\n!keep.log\n");
    write(r, "src/main.rs", "fn main() {}");
    write(r, "src/nested/.gitignore", "gen.rs\n");
    write(r, "src/nested/gen.rs", "");
    write(r, "src/nested/mod.rs", "");
    write(r, "target/debug/app", "bin");
    write(r, "debug.log", "");
    write(r, "keep.log", "");
    write(r, ".git/HEAD", "ref: refs/heads/main");
    write(r, ".env", "A=1");
    let w = ws(&dir);
    let top: Vec<_> = w.list_dir("").expect("list").into_iter().map(|e| (e.name, e.kind)).collect();
    assert_eq!(
        top,
        vec![
            ("src".to_owned(), EntryKind::Dir),
            (".env".to_owned(), EntryKind::File),
            (".gitignore".to_owned(), EntryKind::File),
            ("keep.log".to_owned(), EntryKind::File),
        ]
    );
    let nested: Vec<_> = w.list_dir("src/nested").expect("list").into_iter().map(|e| e.path).collect();
    assert_eq!(nested, vec![".gitignore", "src/nested/mod.rs"].into_iter().map(|p| if p == ".gitignore" { "src/nested/.gitignore".to_owned() } else { p.to_owned() }).collect::<Vec<_>>());
    let all = w.list_files();
    assert_eq!(all, vec![".env", ".gitignore", "keep.log", "src/main.rs", "src/nested/.gitignore", "src/nested/mod.rs"]);
}

#[test]
fn listing_a_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "a.txt", "");
    assert_eq!(ws(&dir).list_dir("a.txt").expect_err("file").code(), "not_a_directory");
    assert_eq!(ws(&dir).list_dir("nope").expect_err("missing").code(), "not_found");
}

#[test]
fn finder_ranks_the_obvious_file_first() {
    let dir = tempfile::tempdir().expect("tmp");
    for p in ["src/editor/view.ts", "src/main.ts", "docs/mainly-about.md", "src/backend/tauri.ts"] {
        write(dir.path(), p, "");
    }
    let mut f = weft_fs::FileFinder::new(ws(&dir).list_files());
    let hits = f.query("main", 10);
    assert_eq!(hits[0].path, "src/main.ts");
    let hits = f.query("btau", 10);
    assert_eq!(hits[0].path, "src/backend/tauri.ts");
    assert!(f.query("zzzz", 10).is_empty());
}
