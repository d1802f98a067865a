//! The documents against a file system whose change reports arrive when the test says
//! (weft_fs::FakeFs): Weft's own saves, another program's writes and the watcher's reports
//! in chosen and in seeded random orders, with no sleeps and no timing. The real watcher's
//! reports arrive tens of milliseconds late, in batches; these orders include every order
//! that lateness can produce.

use std::path::PathBuf;
use std::sync::{Arc, Weak};

use weft_doc::Documents;
use weft_fs::{FakeFs, Watcher, Workspace};
use yrs::Text;

struct Setup {
    fake: Arc<FakeFs>,
    docs: Arc<Documents>,
    dir: tempfile::TempDir,
    _watcher: Watcher,
}

fn setup(files: &[(&str, &str)]) -> Setup {
    let dir = tempfile::tempdir().expect("tmp");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("fixture");
    }
    let fake = FakeFs::new();
    let ws = Workspace::open_with(dir.path(), fake.clone()).expect("workspace");
    let docs = Documents::new(Arc::new(ws.clone()), None);
    // What the app's watcher does with a report: the documents of those files merge it.
    let d: Weak<Documents> = Arc::downgrade(&docs);
    let watcher = Watcher::start(ws, Default::default(), move |changes| {
        if let Some(d) = d.upgrade() {
            d.changed_on_disk(changes.iter().filter(|c| !c.is_dir).map(|c| c.path.as_str()));
        }
    })
    .expect("watch");
    Setup { fake, docs, dir, _watcher: watcher }
}

impl Setup {
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn disk(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read")
    }

    fn text(&self, rel: &str) -> String {
        self.docs.get(rel).expect("open").text()
    }

    /// Someone types `s` at character `at` (a participant: the editor, a guest).
    fn type_at(&self, rel: &str, at: u32, s: &str) {
        let doc = self.docs.get(rel).expect("open");
        doc.host_edit(|d| d.get_or_insert_text("content"), |t, txn| t.insert(txn, at, s));
    }

    /// The reports held so far arrive, and the merge they cause is done.
    fn reports_arrive(&self) {
        self.fake.flush();
        self.docs.merge_pending();
    }
}

#[test]
fn our_own_save_reported_after_more_typing_changes_nothing() {
    let s = setup(&[("a.txt", "one\n")]);
    s.docs.open("a.txt").expect("open");
    s.fake.pause();
    s.type_at("a.txt", 0, "A");
    assert!(s.docs.save("a.txt").expect("save"));
    assert_eq!(s.fake.pending(), 1, "the save's own report is held");
    s.type_at("a.txt", 0, "B");
    s.reports_arrive();
    assert_eq!(s.text("a.txt"), "BAone\n", "the typing since the save is kept once, nothing comes back twice");
    assert_eq!(s.disk("a.txt"), "Aone\n");
    assert!(s.docs.get("a.txt").expect("open").unsaved());
}

#[test]
fn an_outside_rewrite_that_already_holds_the_unsaved_edit_applies_it_once() {
    let s = setup(&[("a.txt", "one\ntwo\n")]);
    s.docs.open("a.txt").expect("open");
    s.fake.pause();
    s.type_at("a.txt", 0, "X");
    // A formatter rewrote the file from the text with the edit in it, and added a line.
    s.fake.write(&s.path("a.txt"), b"Xone\ntwo\nthree\n").expect("write");
    s.reports_arrive();
    assert_eq!(s.text("a.txt"), "Xone\ntwo\nthree\n");
    assert!(!s.docs.get("a.txt").expect("open").unsaved(), "the disk holds the document's text");
    assert!(!s.docs.save("a.txt").expect("save"), "nothing to write");
}

#[test]
fn a_report_of_a_write_that_was_undone_before_it_arrived_changes_nothing() {
    let s = setup(&[("a.txt", "one\n")]);
    s.docs.open("a.txt").expect("open");
    s.fake.pause();
    s.fake.write(&s.path("a.txt"), b"one\ntwo\n").expect("write");
    s.fake.write(&s.path("a.txt"), b"one\n").expect("write");
    s.reports_arrive();
    assert_eq!(s.text("a.txt"), "one\n");
}

/// Seeded interleavings: participants typing lines, saves, another program rewriting the
/// file (from the disk, or from the document with its unsaved edits in it), reports held
/// and released in random order. At the end the document and the disk agree, every typed
/// line is there exactly once, and so is every line the other program added, unless that
/// program itself wrote over it later (writing from a document that had not merged it yet):
/// then it is gone, and not brought back.
#[test]
fn seeded_interleavings_of_typing_saves_outside_writes_and_late_reports_converge() {
    for seed in 1..=40u64 {
        run(seed, 120);
    }
}

/// Saves; when the file clashes with unsaved changes the save refuses (nothing is written
/// over the other program's text) and the user, shown the clash, keeps their own text
/// ("Keep mine"): the other program's lines in the clash are then gone by their choice.
/// Returns whether it wrote.
fn save_as_the_user_would(s: &Setup, expected: &mut Vec<String>, log: &mut Vec<String>) -> bool {
    match s.docs.save("f.txt") {
        Ok(wrote) => wrote,
        Err(weft_fs::FsError::ChangedOnDisk(_)) => {
            let doc = s.docs.get("f.txt").expect("open");
            for c in doc.conflicts() {
                for l in c.theirs.lines().filter(|l| !c.ours.lines().any(|o| o == *l)) {
                    expected.retain(|t| t != l);
                }
                log.push(format!("clash: ours {:?} theirs {:?}; the user keeps mine", c.ours, c.theirs));
            }
            doc.clear_conflicts();
            s.docs.save("f.txt").expect("save after keeping mine")
        }
        Err(e) => panic!("save: {e}"),
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn run(seed: u64, steps: usize) {
    let s = setup(&[("f.txt", "base 0\nbase 1\nbase 2\n")]);
    s.docs.open("f.txt").expect("open");
    let mut rng = Rng(seed);
    let mut typed: Vec<String> = vec![];
    let mut overwritten: Vec<String> = vec![];
    let mut log = vec![];
    for step in 0..steps {
        match rng.below(10) {
            // Typing a whole new line somewhere.
            0..=3 => {
                let text = s.text("f.txt");
                let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|&i| i <= text.len()).collect();
                let at = starts[rng.below(starts.len() as u64) as usize];
                let line = format!("typed {seed}-{step}-{}\n", rng.below(1_000_000));
                s.type_at("f.txt", text[..at].encode_utf16().count() as u32, &line);
                typed.push(line.trim_end().to_owned());
                log.push(format!("type {line:?} at {at}"));
            }
            4 | 5 => {
                let saved = save_as_the_user_would(&s, &mut typed, &mut log);
                log.push(format!("save (wrote: {saved})"));
            }
            // Another program adds a line: to the file as it is on disk, or to the text it
            // got from the editor (so with the unsaved edits in it).
            6 => {
                let from_doc = rng.below(2) == 0;
                let base = if from_doc { s.text("f.txt") } else { s.disk("f.txt") };
                if from_doc {
                    // Its own earlier lines the document has not merged yet: it deletes them.
                    let disk = s.disk("f.txt");
                    for l in disk.lines().filter(|l| l.starts_with("outside ") && !base.lines().any(|b| b == *l)) {
                        typed.retain(|t| t != l);
                        overwritten.push(l.to_owned());
                    }
                }
                let lines: Vec<&str> = base.lines().collect();
                let at = rng.below(lines.len() as u64 + 1) as usize;
                let line = format!("outside {seed}-{step}-{}", rng.below(1_000_000));
                let mut out: Vec<&str> = lines.clone();
                out.insert(at, &line);
                s.fake.write(&s.path("f.txt"), (out.join("\n") + "\n").as_bytes()).expect("write");
                typed.push(line.clone());
                log.push(format!("outside writes {line:?} at line {at} (from the {})", if from_doc { "document" } else { "disk" }));
            }
            7 => {
                s.fake.pause();
                log.push("reports held".into());
            }
            8 => {
                let n = s.fake.flush();
                log.push(format!("{n} report(s) arrive"));
            }
            _ => {
                let n = s.docs.merge_pending();
                log.push(format!("{n} merge(s)"));
            }
        }
    }
    s.fake.resume();
    s.docs.merge_pending();
    save_as_the_user_would(&s, &mut typed, &mut log);
    s.reports_arrive();
    let text = s.text("f.txt");
    let context = || format!("seed {seed}\n{}\n--- document:\n{text}--- disk:\n{}", log.join("\n"), s.disk("f.txt"));
    assert_eq!(s.disk("f.txt"), text, "disk and document differ: {}", context());
    for line in &typed {
        let n = text.lines().filter(|l| l == line).count();
        assert_eq!(n, 1, "{line:?} is there {n} times: {}", context());
    }
    for line in &overwritten {
        assert!(!text.lines().any(|l| l == line), "{line:?}, written over by its own program, came back: {}", context());
    }
    for base in ["base 0", "base 1", "base 2"] {
        assert_eq!(text.lines().filter(|l| *l == base).count(), 1, "{base} lost or doubled: {}", context());
    }
}

#[test]
fn a_save_merges_an_unreported_outside_write_that_holds_unsaved_lines_plus_its_own() {
    let s = setup(&[("a.txt", "l0\nl1\nl2\n")]);
    s.docs.open("a.txt").expect("open");
    s.fake.pause();
    s.type_at("a.txt", 3, "t1\n");
    s.type_at("a.txt", 0, "t2\n");
    let doc_text = s.text("a.txt");
    let mut lines: Vec<&str> = doc_text.lines().collect();
    lines.insert(2, "X");
    s.fake.write(&s.path("a.txt"), (lines.join("\n") + "\n").as_bytes()).expect("write");
    s.type_at("a.txt", 0, "t3\n");
    s.docs.save("a.txt").expect("save");
    assert_eq!(s.text("a.txt"), "t3\nt2\nl0\nX\nt1\nl1\nl2\n");
}

/// Found by the seeded test: a save merged a clashing change another program had just
/// written and then wrote its own text over it at once; the other program's text was left
/// only in the conflict's record. Now the save waits for the user's choice.
#[test]
fn a_save_never_writes_over_a_clash_the_user_has_not_settled() {
    let s = setup(&[("a.txt", "x = 1\n")]);
    s.docs.open("a.txt").expect("open");
    s.fake.pause();
    let doc = s.docs.get("a.txt").expect("open");
    doc.host_edit(|d| d.get_or_insert_text("content"), |t, txn| {
        t.remove_range(txn, 4, 1);
        t.insert(txn, 4, "2");
    });
    s.fake.write(&s.path("a.txt"), b"x = 3\n").expect("write");
    let err = s.docs.save("a.txt").expect_err("the save must wait for the user");
    assert!(matches!(err, weft_fs::FsError::ChangedOnDisk(_)), "{err}");
    assert_eq!(s.disk("a.txt"), "x = 3\n", "the other program's text is still on disk");
    assert_eq!((s.text("a.txt").as_str(), doc.conflicts().len()), ("x = 2\n", 1));
    // "Keep mine": then saving writes it.
    doc.clear_conflicts();
    assert!(s.docs.save("a.txt").expect("save"));
    assert_eq!(s.disk("a.txt"), "x = 2\n");
}

/// A file that grows past what can be opened as text while its document is open: the
/// document keeps its text, nothing is merged from the file, and a save with nothing
/// unsaved does not write over it.
#[test]
fn a_file_that_becomes_too_large_while_open_keeps_the_document_and_is_not_written_over() {
    use weft_fs::Fs;
    let s = setup(&[("a.txt", "small\n")]);
    s.docs.open("a.txt").expect("open");
    s.fake.pause();
    // A log that grew past the limit (sparse: its size is what the read looks at first).
    let path = s.path("a.txt");
    std::fs::OpenOptions::new().write(true).open(&path).expect("open").set_len(weft_fs::MAX_OPEN_BYTES + 1).expect("grow");
    s.fake.touched(&[&path]);
    s.reports_arrive();
    assert_eq!(s.text("a.txt"), "small\n", "the document keeps its text");
    assert!(!s.docs.save("a.txt").expect("save"), "nothing unsaved: nothing written");
    assert_eq!(std::fs::metadata(&path).expect("meta").len(), weft_fs::MAX_OPEN_BYTES + 1, "the large file is untouched");
}
