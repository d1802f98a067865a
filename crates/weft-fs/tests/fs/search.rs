use std::sync::Mutex;

use weft_fs::{SearchCancel, SearchHit, SearchOptions};

use crate::{write, ws};

fn run(w: &weft_fs::Workspace, opts: SearchOptions) -> Vec<SearchHit> {
    let hits = Mutex::new(Vec::new());
    w.search(&opts, &SearchCancel::default(), &|h| hits.lock().expect("lock").push(h)).expect("search");
    let mut v = hits.into_inner().expect("lock");
    v.sort_by(|a, b| a.path.cmp(&b.path));
    v
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let r = dir.path();
    write(r, ".gitignore", "ignored/\n");
    write(r, "src/a.rs", "fn alpha() {}\nlet Alphabet = 1;\n// alpha again alpha\n");
    write(r, "src/b.py", "def alpha():\n    return 'é alpha'\n");
    write(r, "docs/readme.md", "Alpha and omega\n");
    write(r, "ignored/x.rs", "alpha\n");
    std::fs::write(r.join("bin.dat"), b"alpha\x00\x01").expect("write");
    dir
}

#[test]
fn finds_lines_with_utf16_ranges_and_respects_gitignore_and_binaries() {
    let dir = fixture();
    let hits = run(&ws(&dir), SearchOptions { query: "alpha".into(), case_sensitive: true, ..Default::default() });
    let paths: Vec<_> = hits.iter().map(|h| h.path.as_str()).collect();
    assert_eq!(paths, vec!["src/a.rs", "src/b.py"]);
    let a = &hits[0];
    assert_eq!(a.lines.iter().map(|l| l.line).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(a.lines[1].ranges, vec![(3, 8), (15, 20)]);
    // "é" is one UTF-16 unit: the match starts at column 10 of "    return 'é alpha'".
    assert_eq!(hits[1].lines[1].ranges, vec![(14, 19)]);
}

#[test]
fn case_word_regex_and_globs() {
    let dir = fixture();
    let w = ws(&dir);
    let count = |o: SearchOptions| run(&w, o).iter().map(|h| h.lines.len()).sum::<usize>();
    assert_eq!(count(SearchOptions { query: "alpha".into(), ..Default::default() }), 6);
    assert_eq!(count(SearchOptions { query: "alpha".into(), whole_word: true, ..Default::default() }), 5);
    assert_eq!(count(SearchOptions { query: r"def \w+\(".into(), regex: true, ..Default::default() }), 1);
    assert_eq!(count(SearchOptions { query: "alpha".into(), include: vec!["*.py".into()], ..Default::default() }), 2);
    assert_eq!(count(SearchOptions { query: "alpha".into(), include: vec!["src".into()], exclude: vec!["*.py".into()], ..Default::default() }), 3);
    let err = w.search(&SearchOptions { query: "(".into(), regex: true, ..Default::default() }, &SearchCancel::default(), &|_| {}).expect_err("bad regex");
    assert_eq!(err.code(), "bad_pattern");
}

#[test]
fn cancelled_search_stops_and_says_so() {
    let dir = fixture();
    let cancel = SearchCancel::default();
    cancel.cancel();
    let summary = ws(&dir).search(&SearchOptions { query: "alpha".into(), ..Default::default() }, &cancel, &|_| {}).expect("search");
    assert!(summary.cancelled);
    assert_eq!(summary.matches, 0);
}

#[test]
fn replace_previews_then_applies() {
    let dir = fixture();
    let w = ws(&dir);
    let opts = SearchOptions { query: r"alpha(\w*)".into(), regex: true, case_sensitive: true, ..Default::default() };
    let preview = w.replace_in_files(&opts, "beta$1", None, false).expect("preview");
    assert_eq!(preview.iter().map(|o| (o.path.as_str(), o.replacements)).collect::<Vec<_>>(), vec![("src/a.rs", 3), ("src/b.py", 2)]);
    assert_eq!(preview[0].preview[0], (1, "fn alpha() {}".into(), "fn beta() {}".into()));
    assert!(std::fs::read_to_string(dir.path().join("src/a.rs")).expect("read").contains("alpha"), "preview wrote");
    w.replace_in_files(&opts, "beta$1", Some(vec!["src/a.rs".into()]), true).expect("apply");
    assert_eq!(std::fs::read_to_string(dir.path().join("src/a.rs")).expect("read"), "fn beta() {}\nlet Alphabet = 1;\n// beta again beta\n");
    assert!(std::fs::read_to_string(dir.path().join("src/b.py")).expect("read").contains("alpha"), "unselected file changed");
}
