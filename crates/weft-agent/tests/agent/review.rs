use super::*;
use weft_agent::{FileStatus, Review};

const LIB: &str = "fn one() -> i32 {\n    1\n}\n\nfn two() -> i32 {\n    2\n}\n";

#[tokio::test]
async fn a_rejected_hunk_is_reverted_on_disk_and_the_rest_kept() {
    let s = setup(
        vec![
            tool("t1", "edit_file", json!({"path": "lib.rs", "old_string": "    1\n", "new_string": "    10\n"})),
            tool("t2", "edit_file", json!({"path": "lib.rs", "old_string": "    2\n", "new_string": "    20\n"})),
            tool("t3", "write_file", json!({"path": "notes/new.md", "content": "# new\n"})),
            say("Changed both and added notes."),
        ],
        Approval::Once,
        Policy::default(),
    )
    .await;
    std::fs::write(s.root.join("lib.rs"), LIB).expect("fixture");
    let (out, _, _) = run(&s, "change things").await;
    let ws = weft_fs::Workspace::open(&s.root).expect("ws");
    let mut review = Review::new(out.originals);
    let files = review.files(&ws);
    assert_eq!(files.len(), 2);
    let lib = files.iter().find(|f| f.path == "lib.rs").expect("lib.rs in review");
    assert_eq!(lib.status, FileStatus::Modified);
    assert_eq!(lib.hunks.len(), 2);
    assert_eq!((lib.hunks[0].old_lines.clone(), lib.hunks[0].new_lines.clone()), (vec!["    1\n".into()], vec!["    10\n".into()]));
    assert_eq!(files.iter().find(|f| f.path == "notes/new.md").map(|f| f.status), Some(FileStatus::Added));

    review.reject_hunk(&ws, "lib.rs", 0).expect("reject first hunk");
    assert_eq!(std::fs::read_to_string(s.root.join("lib.rs")).expect("read"), LIB.replace("    2\n", "    20\n"));
    assert_eq!(review.files(&ws).iter().find(|f| f.path == "lib.rs").map(|f| f.hunks.len()), Some(1));

    review.reject_file(&ws, "notes/new.md").expect("reject the new file");
    assert!(!s.root.join("notes/new.md").exists(), "a rejected new file is removed");
    review.accept_file("lib.rs").expect("accept the rest");
    assert!(review.files(&ws).is_empty());
    assert_eq!(std::fs::read_to_string(s.root.join("lib.rs")).expect("read"), LIB.replace("    2\n", "    20\n"));
}

/// The agent renames a folder (holding a file no checkpoint has: it is ignored), edits a
/// file in it under its new name and adds one: *Reject all* puts the folder back under its
/// old name with everything in it. It used to delete both folders for good.
#[tokio::test]
async fn reject_all_renames_a_moved_folder_back_and_deletes_nothing_for_good() {
    let s = setup(
        vec![
            tool("t1", "rename", json!({"from": "src", "to": "lib"})),
            tool("t2", "edit_file", json!({"path": "lib/a.rs", "old_string": "1", "new_string": "2"})),
            tool("t3", "write_file", json!({"path": "lib/new.rs", "content": "// new\n"})),
            say("Moved src to lib."),
        ],
        Approval::Once,
        Policy::default(),
    )
    .await;
    std::fs::create_dir_all(s.root.join("src")).expect("mkdir");
    std::fs::write(s.root.join("src/a.rs"), "const A: i32 = 1;\n").expect("fixture");
    std::fs::write(s.root.join(".gitignore"), "*.log\n").expect("fixture");
    std::fs::write(s.root.join("src/debug.log"), "only here\n").expect("fixture");
    let (out, _, _) = run(&s, "move src").await;
    assert!(s.root.join("lib/a.rs").exists() && !s.root.join("src").exists(), "the turn moved the folder");
    let ws = weft_fs::Workspace::open(&s.root).expect("ws");
    let mut review = Review::new(out.originals);
    review.moves = out.moves;
    let files = review.files(&ws);
    let moved = files.iter().find(|f| f.status == FileStatus::Renamed).expect("the move is in the review");
    assert_eq!((moved.path.as_str(), moved.from.as_deref()), ("lib", Some("src")));

    review.reject_all(&ws).expect("reject all");
    assert_eq!(std::fs::read_to_string(s.root.join("src/a.rs")).expect("a.rs back"), "const A: i32 = 1;\n");
    assert_eq!(std::fs::read_to_string(s.root.join("src/debug.log")).expect("the ignored file kept"), "only here\n");
    assert!(!s.root.join("lib").exists(), "the new name is gone (renamed back, not deleted)");
    assert!(!s.root.join("src/new.rs").exists(), "the added file went to the trash");
    assert!(review.files(&ws).is_empty());
}

/// The agent deletes a folder: its files are in the review as deleted, and rejecting
/// brings them back (ignored ones included).
#[tokio::test]
async fn a_deleted_folder_comes_back_when_rejected() {
    let s = setup(vec![tool("t1", "delete", json!({"path": "old"})), say("Deleted old.")], Approval::Once, Policy::default()).await;
    std::fs::create_dir_all(s.root.join("old/deep")).expect("mkdir");
    std::fs::write(s.root.join("old/a.rs"), "a\n").expect("fixture");
    std::fs::write(s.root.join("old/deep/b.log"), "ignored\n").expect("fixture");
    std::fs::write(s.root.join(".gitignore"), "*.log\n").expect("fixture");
    let (out, _, _) = run(&s, "remove old").await;
    assert!(!s.root.join("old").exists(), "the turn deleted it");
    let ws = weft_fs::Workspace::open(&s.root).expect("ws");
    let mut review = Review::new(out.originals);
    let files = review.files(&ws);
    assert!(files.iter().any(|f| f.path == "old/a.rs" && f.status == FileStatus::Deleted), "{files:?}");
    review.reject_all(&ws).expect("reject all");
    assert_eq!(std::fs::read_to_string(s.root.join("old/a.rs")).expect("back"), "a\n");
    assert_eq!(std::fs::read_to_string(s.root.join("old/deep/b.log")).expect("back"), "ignored\n");
}
