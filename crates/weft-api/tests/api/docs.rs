//! Editors bound to the open documents, as the UI binds (docOpen / docPush / docSave), with
//! a Yrs replica standing in for the browser's Yjs one: one copy of each file's text, disk
//! changes merged into it three-way, guests of a shared folder editing that same copy.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use weft_api::{Api, Stream, StreamFrame};
use weft_collab::{Backoff, Peer};
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{GetString, OffsetKind, Options, Text, Transact, Update};

use crate::fixture;

/// An editor: a replica of the document, fed by its docOpen stream.
pub(crate) struct Editor {
    api: Api,
    conn: u64,
    doc: yrs::Doc,
    inbox: Arc<Mutex<Vec<Vec<u8>>>>,
    events: Arc<Mutex<Vec<Value>>>,
    info: Value,
}

impl Editor {
    pub(crate) async fn open(api: &Api, path: &str) -> Editor {
        let inbox: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let events: Arc<Mutex<Vec<Value>>> = Arc::default();
        let (i, e) = (inbox.clone(), events.clone());
        let stream = Stream::new(format!("doc-{path}"), move |frame| {
            match frame {
                StreamFrame::Bytes(b) => i.lock().expect("lock").push(b),
                StreamFrame::Json(v) => e.lock().expect("lock").push(v),
            }
            true
        });
        let info = api.call(json!({"method": "docOpen", "params": {"path": path}}), Some(stream)).await.unwrap_or_else(|e| panic!("docOpen {path}: {e}"));
        let ed = Editor {
            api: api.clone(),
            conn: info["conn"].as_u64().expect("conn"),
            doc: yrs::Doc::with_options(Options { offset_kind: OffsetKind::Utf16, ..Options::default() }),
            inbox,
            events,
            info,
        };
        ed.sync();
        ed
    }

    /// Applies what the stream brought.
    fn sync(&self) {
        let frames: Vec<Vec<u8>> = self.inbox.lock().expect("lock").drain(..).collect();
        for f in frames {
            let mut dec = DecoderV1::from(f.as_slice());
            for m in MessageReader::new(&mut dec) {
                if let Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) = m.expect("message") {
                    self.doc.transact_mut().apply_update(Update::decode_v1(&u).expect("update")).expect("apply");
                }
            }
        }
    }

    pub(crate) fn text(&self) -> String {
        self.sync();
        let t = self.doc.get_or_insert_text("content");
        let s = t.get_string(&self.doc.transact());
        s
    }

    /// Types `s` at `at` (UTF-16) and sends the update, as y-codemirror does.
    pub(crate) async fn type_at(&self, at: u32, s: &str) {
        self.sync();
        let t = self.doc.get_or_insert_text("content");
        let update = {
            let mut txn = self.doc.transact_mut();
            t.insert(&mut txn, at, s);
            txn.encode_update_v1()
        };
        let data = Message::Sync(SyncMessage::Update(update)).encode_v1();
        self.api.call(json!({"method": "docPush", "params": {"conn": self.conn, "data": data}}), None).await.expect("docPush");
    }

    /// The file's text as last loaded or saved, from the newest `saved` frame.
    pub(crate) fn saved(&self) -> Option<String> {
        self.events.lock().expect("lock").iter().rev().find(|e| e["kind"] == "saved").map(|e| e["text"].as_str().expect("text").to_owned())
    }

    fn conflicts(&self) -> usize {
        self.events.lock().expect("lock").iter().rev().find(|e| e["kind"] == "saved").map(|e| e["conflicts"].as_array().expect("conflicts").len()).unwrap_or(0)
    }

    async fn close(&self, discard: bool) {
        self.api.call(json!({"method": "docClose", "params": {"conn": self.conn, "discard": discard}}), None).await.expect("docClose");
    }
}

async fn save(api: &Api, path: &str) -> Value {
    api.call(json!({"method": "docSave", "params": {"path": path}}), None).await.expect("docSave")
}

pub(crate) async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The folder-open checkpoint waits for the UI's first frame, but a save made before it is
/// taken (here: no UI ever says ready) takes it first: the timeline holds the file as it
/// was when the folder was opened, and the save comes after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_before_the_folder_open_checkpoint_waits_for_it() {
    let f = fixture(crate::SERVE);
    let ed = Editor::open(&f.api, "hello.txt").await;
    ed.type_at(0, "changed: ").await;
    let saved = save(&f.api, "hello.txt").await;
    assert_eq!(saved["wrote"], true);
    let list = f.api.call(json!({"method": "checkpointList"}), None).await.expect("list");
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 1, "the folder-open checkpoint, taken by the save: {list:?}");
    assert_eq!(list[0]["label"], "Folder opened");
    let id = list[0]["id"].as_i64().expect("id");
    let file = f.api.call(json!({"method": "checkpointFile", "params": {"id": id, "path": "hello.txt"}}), None).await.expect("file");
    assert_eq!(file["text"], "hello world\n", "the file as it was before the save");
    assert_eq!(std::fs::read_to_string(f.ws.path().join("hello.txt")).expect("read"), "changed: hello world\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_saves_its_document_and_a_change_on_disk_that_holds_its_edit_is_not_applied_twice() {
    let f = fixture(crate::SERVE);
    let path = f.ws.path().join("hello.txt");
    let ed = Editor::open(&f.api, "hello.txt").await;
    assert_eq!(ed.text(), "hello world\n");
    until("the saved text", || ed.saved().as_deref() == Some("hello world\n")).await;

    ed.type_at(0, "A").await;
    let saved = save(&f.api, "hello.txt").await;
    assert_eq!(saved["wrote"], true);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "Ahello world\n");
    until("the editor told it is saved", || ed.saved().as_deref() == Some("Ahello world\n")).await;

    // An unsaved edit, then a program (a formatter, a script) writes a version of the file
    // that already has it, plus a line of its own: the edit is in the document once.
    ed.type_at(0, "B").await;
    std::fs::write(&path, "BAhello world\nmore\n").expect("write");
    until("the disk change merged", || ed.text() == "BAhello world\nmore\n").await;
    // Our own save coming back through the watcher changes nothing either: another open
    // file changed after it is merged by the same loop, so once that shows, the save's
    // report has been handled.
    std::fs::write(f.ws.path().join("marker.txt"), "before\n").expect("write");
    let marker = Editor::open(&f.api, "marker.txt").await;
    save(&f.api, "hello.txt").await;
    std::fs::write(f.ws.path().join("marker.txt"), "after\n").expect("write");
    until("the marker merged", || marker.text() == "after\n").await;
    assert_eq!(ed.text(), "BAhello world\nmore\n");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "BAhello world\nmore\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clash_with_the_disk_keeps_the_editors_text_and_says_so_and_take_disk_takes_it() {
    let f = fixture(crate::SERVE);
    let path = f.ws.path().join("hello.txt");
    let ed = Editor::open(&f.api, "hello.txt").await;
    ed.type_at(5, ", mine").await;
    std::fs::write(&path, "hello theirs\n").expect("write");
    until("the conflict reported", || ed.conflicts() == 1).await;
    assert_eq!(ed.text(), "hello, mine world\n", "the editor's side is kept");
    f.api.call(json!({"method": "docTakeDisk", "params": {"path": "hello.txt"}}), None).await.expect("take disk");
    until("the disk's text taken", || ed.text() == "hello theirs\n" && ed.conflicts() == 0).await;
    assert_eq!(ed.saved().as_deref(), Some("hello theirs\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crlf_files_are_edited_with_lf_and_saved_with_crlf() {
    let f = fixture(crate::SERVE);
    let path = f.ws.path().join("dos.txt");
    std::fs::write(&path, b"one\r\ntwo\r\n").expect("write");
    let ed = Editor::open(&f.api, "dos.txt").await;
    assert_eq!(ed.info["lineEnding"], "crlf");
    assert_eq!(ed.text(), "one\ntwo\n");
    ed.type_at(0, "zero\n").await;
    save(&f.api, "dos.txt").await;
    assert_eq!(std::fs::read(&path).expect("read"), b"zero\r\none\r\ntwo\r\n");
    // A CRLF rewrite outside is merged in the same terms.
    std::fs::write(&path, b"zero\r\none\r\ntwo\r\nthree\r\n").expect("write");
    until("the outside line", || ed.text() == "zero\none\ntwo\nthree\n").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_editors_share_one_document_and_discarding_drops_unsaved_edits_only_when_the_last_one_goes() {
    let f = fixture(crate::SERVE);
    let a = Editor::open(&f.api, "hello.txt").await;
    let b = Editor::open(&f.api, "hello.txt").await;
    a.type_at(0, "x").await;
    until("b sees a's edit", || b.text() == "xhello world\n").await;
    a.close(true).await;
    // b still holds it: the edit stays.
    let c = Editor::open(&f.api, "hello.txt").await;
    assert_eq!(c.text(), "xhello world\n");
    b.close(true).await;
    c.close(true).await;
    // Nobody holds it and its user discarded: the next open starts from the file.
    let d = Editor::open(&f.api, "hello.txt").await;
    assert_eq!(d.text(), "hello world\n");
    // Closed without a choice (the window went) with unsaved edits: kept, not lost.
    d.type_at(0, "y").await;
    d.close(false).await;
    let e = Editor::open(&f.api, "hello.txt").await;
    assert_eq!(e.text(), "yhello world\n");
    assert_eq!(std::fs::read_to_string(f.ws.path().join("hello.txt")).expect("read"), "hello world\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_of_the_shared_folder_edits_the_editors_document_itself() {
    let f = fixture(crate::SERVE);
    let ed = Editor::open(&f.api, "hello.txt").await;
    // Unsaved when sharing starts: the guest gets the editor's text, not the file's.
    ed.type_at(0, "draft: ").await;
    f.api.call(json!({"method": "collabShare", "params": {"local": true}}), None).await.expect("share");
    let status = f.api.call(json!({"method": "collabInvite", "params": {"name": "Bo", "readOnly": false}}), None).await.expect("invite");
    let link = status["guests"][0]["link"].as_str().expect("link").to_owned();
    let (base, token) = link.split_once("/?token=").expect("link");
    let guest = Peer::join(format!("{base}/file/hello.txt?token={token}"), "file/hello.txt", Backoff::default());
    until("the guest has the editor's text", || guest.text() == "draft: hello world\n").await;
    guest.edit_with(|doc| doc.get_or_insert_text("content"), |t, txn| t.push(txn, "from Bo\n"));
    until("the editor has the guest's line", || ed.text() == "draft: hello world\nfrom Bo\n").await;
    ed.type_at(0, ">").await;
    until("the guest has the editor's edit", || guest.text() == ">draft: hello world\nfrom Bo\n").await;
    // While shared, edits are saved when the document goes quiet, the host's too.
    until("saved on the host", || std::fs::read_to_string(f.ws.path().join("hello.txt")).ok().as_deref() == Some(">draft: hello world\nfrom Bo\n")).await;
}

impl Editor {
    /// Outline names of the newest analysis frame.
    fn outline(&self) -> Vec<String> {
        let events = self.events.lock().expect("lock");
        let Some(a) = events.iter().rev().find(|e| e["kind"] == "analysis") else { return vec![] };
        a["analysis"]["outline"].as_array().expect("outline").iter().map(|s| s["name"].as_str().expect("name").to_owned()).collect()
    }

    fn errors(&self) -> usize {
        let events = self.events.lock().expect("lock");
        events.iter().rev().find(|e| e["kind"] == "analysis").map(|a| a["analysis"]["errors"].as_array().expect("errors").len()).unwrap_or(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tree_sitter_reads_the_document_whoever_changes_it() {
    let f = fixture(crate::SERVE);
    let path = f.ws.path().join("lib.rs");
    std::fs::write(&path, "fn main() {}\n").expect("write");
    let ed = Editor::open(&f.api, "lib.rs").await;
    assert!(ed.info["syntax"].as_str().is_some_and(|s| !s.is_empty()));
    until("the first analysis", || ed.outline() == ["main"]).await;
    // A program changes the file: merged into the document, and the analysis follows.
    std::fs::write(&path, "fn helper() {}\nfn main() {}\n").expect("write");
    until("the outline after the disk change", || ed.outline() == ["helper", "main"]).await;
    // The analysis can reach this editor before the change itself does; typing at 0 before
    // then is a concurrent insert at the same place, ordered by the replicas' ids (CI saw
    // "fn helper() {}\nfn broken( {}\n…"). A user types into the text they see, so wait for it.
    until("the editor holds the disk change", || ed.text() == "fn helper() {}\nfn main() {}\n").await;
    // The editor types a syntax error; then fixes it.
    ed.type_at(0, "fn broken( {}\n").await;
    until("the error", || ed.errors() > 0 && ed.outline().contains(&"helper".to_owned())).await;
    assert_eq!(ed.text(), "fn broken( {}\nfn helper() {}\nfn main() {}\n");
    // A second editor of the same document gets the same analysis, without opening its own.
    let other = Editor::open(&f.api, "lib.rs").await;
    until("the second editor's analysis", || other.errors() > 0).await;
    assert_eq!(ed.info["syntax"], other.info["syntax"], "one analysis per document");
}

/// Two names for one file (a link and its target; on Windows, two spellings of its case)
/// open one document: typing in one editor shows in the other, and no two copies fight
/// over the file.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_names_for_one_file_open_one_document() {
    let f = fixture(crate::SERVE);
    std::os::unix::fs::symlink("hello.txt", f.ws.path().join("alias.txt")).expect("link");
    let a = Editor::open(&f.api, "hello.txt").await;
    let b = Editor::open(&f.api, "alias.txt").await;
    a.type_at(0, "one document: ").await;
    until("the other name's editor has it", || b.text() == "one document: hello world\n").await;
    assert_eq!(a.info["syntax"], b.info["syntax"], "one analysis, so one document");
}

/// Two spellings of one file's case (a case-insensitive disk, where realpath keeps the
/// spelling it was given, as macOS's does) open one document. Linux disks are case-
/// sensitive, so the second spelling is made a hard link of the first: one file, two names
/// that differ only in case, which is what such a disk shows.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_spellings_of_one_files_case_open_one_document() {
    let f = fixture(crate::SERVE);
    std::fs::hard_link(f.ws.path().join("hello.txt"), f.ws.path().join("HELLO.txt")).expect("link");
    let a = Editor::open(&f.api, "hello.txt").await;
    let b = Editor::open(&f.api, "HELLO.txt").await;
    a.type_at(0, "one document: ").await;
    until("the other spelling's editor has it", || b.text() == "one document: hello world\n").await;
    assert_eq!(a.info["syntax"], b.info["syntax"], "one analysis, so one document");
}

/// Another program moves an open file: the document follows it with its unsaved edits,
/// the editor is told the new name, and saving writes the new file (the old name does
/// not come back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_moved_by_another_program_takes_its_open_document_along() {
    let f = fixture(crate::SERVE);
    let ed = Editor::open(&f.api, "hello.txt").await;
    ed.type_at(0, "unsaved: ").await;
    std::fs::rename(f.ws.path().join("hello.txt"), f.ws.path().join("moved.txt")).expect("mv");
    until("the editor told of the move", || ed.events.lock().expect("lock").iter().any(|e| e["kind"] == "renamed" && e["from"] == "hello.txt" && e["to"] == "moved.txt")).await;
    save(&f.api, "moved.txt").await;
    assert_eq!(std::fs::read_to_string(f.ws.path().join("moved.txt")).expect("read"), "unsaved: hello world\n");
    assert!(!f.ws.path().join("hello.txt").exists(), "the old name came back");
    assert_eq!(ed.text(), "unsaved: hello world\n");
}

/// A file that turns binary while open (a build writes over it): the document keeps its
/// text, nothing is merged from bytes that are not text, and a save with nothing unsaved
/// does not write over the new file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_turns_binary_while_open_loses_neither_side() {
    let f = fixture(crate::SERVE);
    let path = f.ws.path().join("hello.txt");
    let ed = Editor::open(&f.api, "hello.txt").await;
    let binary = [0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 3, 0, 0xff];
    std::fs::write(&path, binary).expect("write");
    // Another open file changed after it is merged by the same loop: once it shows, the
    // binary file's turn has come and gone.
    std::fs::write(f.ws.path().join("marker.txt"), "before\n").expect("write");
    let marker = Editor::open(&f.api, "marker.txt").await;
    std::fs::write(f.ws.path().join("marker.txt"), "after\n").expect("write");
    until("the marker merged", || marker.text() == "after\n").await;
    assert_eq!(ed.text(), "hello world\n", "the document kept its text");
    let saved = save(&f.api, "hello.txt").await;
    assert_eq!(saved["wrote"], false, "nothing unsaved: the binary file is left alone");
    assert_eq!(std::fs::read(&path).expect("read"), binary);
}

/// The start-up's first frame shows the text from docOpen's reply (`withText`): it is the
/// document's, unsaved edits included (a reloaded page), not the file's on disk; and an
/// open that does not ask gets none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_with_text_replies_with_the_documents_text_unsaved_edits_included() {
    let f = fixture(crate::SERVE);
    let a = Editor::open(&f.api, "hello.txt").await;
    assert_eq!(a.info["text"], Value::Null, "not asked for");
    a.type_at(0, "unsaved ").await;
    let stream = Stream::new("doc-with-text", |_| true);
    let info = f.api.call(json!({"method": "docOpen", "params": {"path": "hello.txt", "withText": true}}), Some(stream)).await.expect("docOpen");
    assert_eq!(info["text"], "unsaved hello world\n");
    assert_eq!(std::fs::read_to_string(f.ws.path().join("hello.txt")).expect("read"), "hello world\n");
}

/// The work queued until ready (here the folder-open checkpoint) waits for the whole
/// workbench: the first frame's ready does not start it; the workbench's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_frames_ready_does_not_start_the_queued_work_the_workbenchs_does() {
    let f = fixture(crate::SERVE);
    f.api.call(json!({"method": "listDir", "params": {"path": ""}}), None).await.expect("list");
    let checkpoints = || async { f.api.call(json!({"method": "checkpointList"}), None).await.expect("list").as_array().expect("array").len() };
    f.api.call(json!({"method": "uiReady", "params": {"marks": [], "firstFrame": true}}), None).await.expect("ready");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(checkpoints().await, 0, "the folder-open checkpoint waits for the workbench");
    f.api.call(json!({"method": "uiReady", "params": {"marks": []}}), None).await.expect("ready");
    let end = Instant::now() + Duration::from_secs(20);
    while checkpoints().await == 0 {
        assert!(Instant::now() < end, "the folder-open checkpoint never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
