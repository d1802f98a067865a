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
