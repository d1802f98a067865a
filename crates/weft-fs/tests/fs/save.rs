use std::fs;
use std::os::unix::fs::PermissionsExt;

use weft_fs::{Encoding, LineEnding};

use crate::{write, ws};

#[test]
fn save_is_atomic_and_keeps_permissions() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("run.sh");
    fs::write(&p, "#!/bin/sh\necho old\n").expect("write");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o754)).expect("chmod");
    let w = ws(&dir);
    w.write_text("run.sh", "#!/bin/sh\necho new\n", Encoding::Utf8).expect("save");
    assert_eq!(fs::read_to_string(&p).expect("read"), "#!/bin/sh\necho new\n");
    assert_eq!(fs::metadata(&p).expect("meta").permissions().mode() & 0o777, 0o754);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("ls").filter_map(|e| e.ok()).filter(|e| e.file_name() != "run.sh").collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn odd_files_round_trip_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tmp");
    let w = ws(&dir);
    let cases: Vec<(&str, Vec<u8>, Encoding, LineEnding)> = vec![
        ("latin1.txt", b"caf\xe9 cr\xe8me\n".to_vec(), Encoding::Latin1, LineEnding::Lf),
        ("bom.txt", b"\xEF\xBB\xBFhello\r\nworld\r\n".to_vec(), Encoding::Utf8Bom, LineEnding::Crlf),
        ("plain.txt", "h\u{e9}llo \u{1F600}\n".as_bytes().to_vec(), Encoding::Utf8, LineEnding::Lf),
        ("empty.txt", Vec::new(), Encoding::Utf8, LineEnding::Lf),
    ];
    for (name, bytes, enc, le) in cases {
        fs::write(dir.path().join(name), &bytes).expect("write");
        let f = w.read_text(name).expect("read");
        assert_eq!((f.content.encoding, f.content.line_ending), (enc, le), "{name}");
        w.write_text(name, &f.content.text, f.content.encoding).expect("save");
        assert_eq!(fs::read(dir.path().join(name)).expect("read"), bytes, "{name} changed on save");
    }
    fs::write(dir.path().join("img.png"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").expect("write");
    assert_eq!(w.read_text("img.png").expect_err("binary").code(), "binary_file");
}

#[test]
fn unencodable_text_is_refused_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().expect("tmp");
    fs::write(dir.path().join("l1.txt"), b"caf\xe9\n").expect("write");
    let w = ws(&dir);
    let err = w.write_text("l1.txt", "caf\u{e9} \u{20ac}\n", Encoding::Latin1).expect_err("euro sign");
    assert_eq!(err.code(), "unencodable");
    assert_eq!(fs::read(dir.path().join("l1.txt")).expect("read"), b"caf\xe9\n");
}

/// A write that fails half way (the file size limit is hit, as a full disk would) must
/// leave the old file whole. RLIMIT_FSIZE binds root too, so this runs in a child process
/// with `ulimit -f` and SIGXFSZ ignored.
#[test]
fn failed_save_leaves_the_old_file_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let old = "original content\n".repeat(10);
    write(dir.path(), "keep.txt", &old);
    let exe = std::env::current_exe().expect("exe");
    // Output through pipes: the limit applies to every file the child writes, and the
    // parent's stdout may be a log file already larger than it.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 4; exec \"$0\" --exact save::child_save_big_file --ignored --nocapture")
        .arg(&exe)
        .env("WEFT_CHILD_DIR", dir.path())
        .output()
        .expect("spawn child");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "child test failed: {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read_to_string(dir.path().join("keep.txt")).expect("read"), old);
    let names: Vec<_> = fs::read_dir(dir.path()).expect("ls").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(names, vec!["keep.txt"], "temp file left behind");
}

#[test]
#[ignore = "run by failed_save_leaves_the_old_file_whole under a file size limit"]
fn child_save_big_file() {
    let Some(dir) = std::env::var_os("WEFT_CHILD_DIR") else { return };
    let w = weft_fs::Workspace::open(dir).expect("open");
    let big = "x".repeat(64 * 1024);
    let err = w.write_text("keep.txt", &big, Encoding::Utf8).expect_err("the write must fail");
    assert_eq!(err.code(), "io", "{err}");
}
