//! A guest's requests of the host's app (`collabRequest` / `collabStream` on the guest,
//! `/.api` on the host): what the host shares (the files its tree shows) and nothing else.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use weft_api::{Api, AppPaths, Stream, StreamFrame};

use crate::{fixture, DESKTOP};

struct Guest {
    api: Api,
    _dir: tempfile::TempDir,
}

async fn join(link: &str) -> Guest {
    let dir = tempfile::tempdir().expect("tmp");
    let api = Api::new(DESKTOP, AppPaths { config_dir: dir.path().join("config"), data_dir: dir.path().join("data") });
    api.call(json!({"method": "collabJoin", "params": {"link": link}}), None).await.expect("join");
    Guest { api, _dir: dir }
}

impl Guest {
    async fn ask(&self, request: Value) -> Result<Value, weft_api::ApiError> {
        self.api.call(json!({"method": "collabRequest", "params": {"request": request}}), None).await
    }

    /// The files a search of the host finds, and its summary.
    async fn search(&self, query: &str, include: &[&str]) -> (BTreeSet<String>, Value) {
        let (stream, frames) = json_frames("guest-search");
        let request = json!({"method": "search", "params": {"options": {"query": query, "include": include}}});
        let summary = self.api.call(json!({"method": "collabStream", "params": {"request": request}}), Some(stream)).await.expect("search");
        let frames = frames.lock().expect("lock").clone();
        let files = frames.iter().filter(|f| f["type"] == "hit").map(|f| f["hit"]["path"].as_str().expect("path").to_owned()).collect();
        assert!(frames.iter().any(|f| f["type"] == "done"), "the host's last frame is relayed: {frames:?}");
        (files, summary)
    }
}

/// A stream that keeps its JSON frames.
fn json_frames(id: &str) -> (Stream, Arc<Mutex<Vec<Value>>>) {
    let frames: Arc<Mutex<Vec<Value>>> = Arc::default();
    let f = frames.clone();
    let stream = Stream::new(id, move |frame| {
        if let StreamFrame::Json(v) = frame {
            f.lock().expect("lock").push(v);
        }
        true
    });
    (stream, frames)
}

fn names(entries: &Value) -> BTreeSet<String> {
    entries.as_array().expect("entries").iter().map(|e| e["path"].as_str().expect("path").to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_lists_and_searches_what_the_host_shares_and_nothing_else() {
    let f = fixture(DESKTOP);
    let root = f.ws.path();
    for (path, text) in [
        ("src/main.rs", "fn main() { needle(); }\n"),
        ("src/broken.rs", "fn broken( {\n"),
        (".gitignore", "secret/\n*.env\n"),
        ("secret/key.txt", "needle: the host's key\n"),
        ("secret/hidden.rs", "fn main_secret() {}\n"),
        ("prod.env", "NEEDLE=1 needle\n"),
        (".git/config", "needle\n"),
    ] {
        std::fs::create_dir_all(root.join(path).parent().expect("parent")).expect("mkdir");
        std::fs::write(root.join(path), text).expect("write");
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("secret"), root.join("linked")).expect("symlink");
    let call = |v: Value| {
        let api = f.api.clone();
        async move { api.call(v.clone(), None).await.unwrap_or_else(|e| panic!("{v}: {e}")) }
    };
    call(json!({"method": "collabShare", "params": {"local": true}})).await;
    let status = call(json!({"method": "collabInvite", "params": {"name": "Bo", "readOnly": false}})).await;
    let status = {
        let _ = status;
        call(json!({"method": "collabInvite", "params": {"name": "Cy", "readOnly": true}})).await
    };
    let link = |name: &str| {
        let g = status["guests"].as_array().expect("guests").iter().find(|g| g["name"] == name).expect("guest").clone();
        g["link"].as_str().expect("link").to_owned()
    };
    let bo = join(&link("Bo")).await;
    let cy = join(&link("Cy")).await;

    // The tree's view of the folder: no ignored folder, no .git.
    let top = names(&bo.ask(json!({"method": "listDir", "params": {"path": ""}})).await.expect("list"));
    assert!(top.contains("src") && top.contains(".gitignore"), "{top:?}");
    assert!(!top.contains("secret") && !top.contains("prod.env") && !top.contains(".git"), "{top:?}");
    assert_eq!(names(&bo.ask(json!({"method": "listDir", "params": {"path": "src"}})).await.expect("list src")), BTreeSet::from(["src/broken.rs".to_owned(), "src/main.rs".to_owned()]));
    // Naming what the tree does not show is refused, however it is spelled.
    let mut hidden = vec!["secret", ".git", "src/../secret", "../", "/etc", "src/./.."];
    if cfg!(unix) {
        hidden.push("linked");
    }
    for path in hidden {
        let e = bo.ask(json!({"method": "listDir", "params": {"path": path}})).await.expect_err(path);
        assert_eq!(e.code, weft_api::ErrorCode::NotShared, "{path}: {e}");
    }

    // Search: the shared file's hit only, even when the guest names ignored files in its
    // include globs (which let the host's own search reach them).
    let (files, summary) = bo.search("needle", &[]).await;
    assert_eq!(files, BTreeSet::from(["src/main.rs".to_owned()]));
    assert_eq!((summary["files"].as_u64(), summary["matches"].as_u64()), (Some(1), Some(1)), "{summary}");
    let (files, summary) = bo.search("needle", &["secret/**", "*.env", "linked/**"]).await;
    assert!(files.is_empty(), "ignored files reached a guest: {files:?}");
    assert_eq!(summary["files"], 0, "the summary counts only what was sent: {summary}");
    // The host's own search does reach them when it names them: the filter is the guest's.
    let mine = f.api.call(json!({"method": "search", "params": {"options": {"query": "needle", "include": ["*.env"]}}}), Some(Stream::new("own", |_| true))).await.expect("own search");
    assert_eq!(mine["files"], 1, "{mine}");
    // A read-only guest reads as much.
    assert_eq!(cy.search("needle", &[]).await.0, BTreeSet::from(["src/main.rs".to_owned()]));
    let found = cy.ask(json!({"method": "findFiles", "params": {"query": "key", "limit": 50}})).await.expect("find");
    assert!(!found.to_string().contains("secret/key.txt"), "{found}");
    let found = cy.ask(json!({"method": "findFiles", "params": {"query": "main", "limit": 50}})).await.expect("find");
    assert!(found.to_string().contains("src/main.rs"), "{found}");

    // The host's git status, read-only, with the shared files' entries only (an ignored
    // file is never in it; one the tree hides is left out).
    assert_eq!(bo.ask(json!({"method": "gitStatus"})).await.expect("status"), Value::Null, "not a repository yet");
    let git = |args: &[&str]| assert!(std::process::Command::new("git").args(args).current_dir(root).output().expect("git").status.success());
    git(&["init", "-q", "-b", "main"]);
    let st = bo.ask(json!({"method": "gitStatus"})).await.expect("status");
    let paths: BTreeSet<String> = st["files"].as_array().expect("files").iter().map(|f| f["path"].as_str().expect("path").to_owned()).collect();
    assert!(paths.contains("src/main.rs") && paths.contains(".gitignore"), "{paths:?}");
    // (The link itself shows in the tree, as git lists it; what it points into does not.)
    assert!(paths.iter().all(|p| !p.starts_with("secret") && !p.ends_with(".env") && !p.starts_with("linked/")), "{paths:?}");
    for request in [json!({"method": "gitStage", "params": {"paths": ["src/main.rs"]}}), json!({"method": "gitCommit", "params": {"message": "x"}})] {
        let e = bo.ask(request.clone()).await.expect_err("the host's alone");
        assert_eq!(e.code, weft_api::ErrorCode::NotShared, "{request}: {e}");
    }

    // Workspace symbols (Ctrl+T): the shared files' only, even with an ignored file open
    // on the host (open documents join the index whatever their folder).
    f.api.call(json!({"method": "docOpen", "params": {"path": "secret/hidden.rs"}}), Some(Stream::new("host-doc", |_| true))).await.expect("host opens an ignored file");
    let own = f.api.call(json!({"method": "symbolSearch", "params": {"query": "main_secret", "limit": 50}}), None).await.expect("own symbols");
    assert_eq!(own.as_array().map(Vec::len), Some(1), "the host's index holds the open file: {own}");
    let hits = cy.ask(json!({"method": "symbolSearch", "params": {"query": "main", "limit": 50}})).await.expect("symbols");
    let paths: BTreeSet<&str> = hits.as_array().expect("hits").iter().map(|h| h["path"].as_str().expect("path")).collect();
    assert_eq!(paths, BTreeSet::from(["src/main.rs"]), "{hits}");

    // The analysis of a shared file (its syntax errors, its outline) follows the document;
    // an ignored one is not the guest's to analyse.
    let (stream, frames) = json_frames("guest-analysis");
    let request = json!({"method": "docAnalysis", "params": {"path": "src/broken.rs"}});
    bo.api.call(json!({"method": "collabStream", "params": {"request": request}}), Some(stream)).await.expect("analysis");
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let errors = loop {
        let got = frames.lock().expect("lock").iter().find(|f| f["kind"] == "analysis").cloned();
        if let Some(f) = got {
            break f["analysis"]["errors"].as_array().expect("errors").len();
        }
        assert!(std::time::Instant::now() < end, "no analysis reached the guest");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(errors > 0, "the syntax error reached the guest: {:?}", frames.lock().expect("lock"));
    bo.api.cancel("guest-analysis");
    for path in ["prod.env", "secret/key.txt", ".git/config", "../outside.rs"] {
        let request = json!({"method": "docAnalysis", "params": {"path": path}});
        let e = bo.api.call(json!({"method": "collabStream", "params": {"request": request}}), Some(Stream::new("x", |_| true))).await.expect_err(path);
        assert_eq!(e.code, weft_api::ErrorCode::NotShared, "{path}: {e}");
    }

    // Everything else is the host's alone: reads outside the rooms, writes, terminals, the
    // agent, settings, sharing.
    for request in [
        json!({"method": "readFile", "params": {"path": "src/main.rs"}}),
        json!({"method": "writeFile", "params": {"path": "src/main.rs", "text": "taken", "encoding": "utf8"}}),
        json!({"method": "delete", "params": {"path": "src/main.rs"}}),
        json!({"method": "terminalSpawn", "params": {"cols": 80, "rows": 24}}),
        json!({"method": "openWorkspace", "params": {"path": "/"}}),
        json!({"method": "getSettings"}),
        json!({"method": "agentThreads"}),
        json!({"method": "collabInvite", "params": {"name": "Eve"}}),
        json!({"method": "checkpointList"}),
        json!({"method": "docOpen", "params": {"path": "src/main.rs"}}),
    ] {
        let e = bo.ask(request.clone()).await.expect_err(&request.to_string());
        assert_eq!(e.code, weft_api::ErrorCode::NotShared, "{request}: {e}");
    }
    assert_eq!(std::fs::read_to_string(root.join("src/main.rs")).expect("read"), "fn main() { needle(); }\n");
    let e = bo.ask(json!({"method": "noSuchMethod"})).await.expect_err("unknown");
    assert_eq!(e.code, weft_api::ErrorCode::BadRequest, "{e}");

    // A removed guest's requests stop at once; the others' go on.
    let token = status["guests"].as_array().expect("guests").iter().find(|g| g["name"] == "Bo").expect("Bo")["token"].as_str().expect("token").to_owned();
    call(json!({"method": "collabRemove", "params": {"token": token}})).await;
    let mut refused = None;
    for _ in 0..100 {
        match bo.ask(json!({"method": "listDir", "params": {"path": ""}})).await {
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("a removed guest was still answered");
    assert!(refused.message.contains("removed") || refused.message.contains("refused"), "{refused}");
    assert!(cy.ask(json!({"method": "listDir", "params": {"path": ""}})).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_answers_no_request_without_a_guest_token() {
    let f = fixture(DESKTOP);
    let status = f.api.call(json!({"method": "collabShare", "params": {"local": true}}), None).await.expect("share");
    let url = status["url"].as_str().expect("url").to_owned();
    for query in ["", "?token=", "?token=not-a-guest"] {
        let err = tokio_tungstenite::connect_async(format!("{url}/.api{query}")).await.expect_err(query);
        match err {
            tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status().as_u16(), 401, "{query}"),
            other => panic!("{query}: {other}"),
        }
    }
    // A guest that joined nothing has no host to ask.
    let g = join(&format!("{url}/?token=not-a-guest")).await;
    let e = g.ask(json!({"method": "listDir", "params": {"path": ""}})).await.expect_err("refused");
    assert_eq!(e.code, weft_api::ErrorCode::NotShared, "{e}");
}

/// What a stream sent: JSON frames and byte frames, in order.
#[derive(Clone, Debug)]
enum Got {
    Json(Value),
    Bytes(Vec<u8>),
}

fn recorder(id: &str) -> (Stream, Arc<Mutex<Vec<Got>>>) {
    let got: Arc<Mutex<Vec<Got>>> = Arc::default();
    let g = got.clone();
    let stream = Stream::new(id, move |frame| {
        g.lock().expect("lock").push(match frame {
            StreamFrame::Json(v) => Got::Json(v),
            StreamFrame::Bytes(b) => Got::Bytes(b),
        });
        true
    });
    (stream, got)
}

/// The text a Yjs client holds after applying the y-sync messages among `frames`.
fn text_of(frames: &[Got]) -> String {
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Transact};
    let doc = yrs::Doc::new();
    for f in frames {
        if let Got::Bytes(b) = f {
            if let Ok(yrs::sync::Message::Sync(yrs::sync::SyncMessage::SyncStep2(u) | yrs::sync::SyncMessage::Update(u))) = yrs::sync::Message::decode_v1(b) {
                doc.transact_mut().apply_update(yrs::Update::decode_v1(&u).expect("update")).expect("apply");
            }
        }
    }
    let text = doc.get_or_insert_text("content");
    let s = text.get_string(&doc.transact());
    s
}

/// The host's own session view (its self link) is served in-process: online at once with
/// the document's text, and its edits in the shared document as soon as they are pushed
/// (a peer of its own host would be connecting first, and edit a replica of its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_own_session_view_is_the_shared_document_itself() {
    use yrs::{Text, Transact};
    let f = fixture(DESKTOP);
    let status = f.api.call(json!({"method": "collabShare", "params": {"local": true}}), None).await.expect("share");
    let link = status["selfLink"].as_str().expect("self link").to_owned();
    f.api.call(json!({"method": "collabJoin", "params": {"link": link}}), None).await.expect("join own");
    let (stream, got) = recorder("own-room");
    f.api.call(json!({"method": "collabOpen", "params": {"room": "file/hello.txt"}}), Some(stream)).await.expect("open");
    let frames = got.lock().expect("lock").clone();
    match frames.first() {
        Some(Got::Json(v)) => assert_eq!(v["status"]["state"], "online", "{v}"),
        other => panic!("first frame: {other:?}"),
    }
    assert_eq!(text_of(&frames), "hello world\n");

    // On top of the document's own history: the state it started from is the host's.
    let base = {
        use yrs::updates::decoder::Decode;
        let mut all = None;
        for f in &frames {
            if let Got::Bytes(b) = f {
                if let Ok(yrs::sync::Message::Sync(yrs::sync::SyncMessage::SyncStep2(u))) = yrs::sync::Message::decode_v1(b) {
                    all = Some(u);
                }
            }
        }
        all.expect("the document's state")
    };
    let doc = yrs::Doc::new();
    {
        use yrs::updates::decoder::Decode;
        doc.transact_mut().apply_update(yrs::Update::decode_v1(&base).expect("state")).expect("apply");
    }
    let text = doc.get_or_insert_text("content");
    let update = {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "Hi. ");
        txn.encode_update_v1()
    };
    let data = yrs::updates::encoder::Encode::encode_v1(&yrs::sync::Message::Sync(yrs::sync::SyncMessage::Update(update)));
    f.api.call(json!({"method": "collabPush", "params": {"room": "file/hello.txt", "data": data}}), None).await.expect("push");
    let (editor, seen) = recorder("editor");
    f.api.call(json!({"method": "docOpen", "params": {"path": "hello.txt"}}), Some(editor)).await.expect("docOpen");
    assert_eq!(text_of(&seen.lock().expect("lock")), "Hi. hello world\n", "the editor's document has the view's edit at once");
}

/// A small app on a local port: a page at `/`, and `/echo` answering with the method and body.
fn app_server(name: &'static str) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut b = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if s.read(&mut b).unwrap_or(0) == 0 {
                    break;
                }
                head.push(b[0]);
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let len = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))).unwrap_or(0);
            let mut body = vec![0u8; len];
            let _ = s.read_exact(&mut body);
            let mut words = head.split_whitespace();
            let (method, path) = (words.next().unwrap_or("?").to_owned(), words.next().unwrap_or("/").to_owned());
            let (kind, text) = match path.as_str() {
                "/echo" => ("text/plain", format!("{method} {}", String::from_utf8_lossy(&body))),
                _ => ("text/html", format!("<html><head><title>{name}</title></head><body>the {name} app</body></html>")),
            };
            let _ = write!(s, "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}", text.len());
        }
    });
    port
}

/// One HTTP/1.1 exchange with a local port (the guest's preview proxy), whole.
async fn http(port: u16, method: &str, path: &str, body: &str) -> String {
    let request = format!("{method} {path} HTTP/1.1\r\nhost: localhost:{port}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        c.write_all(request.as_bytes()).expect("send");
        let mut out = String::new();
        let _ = c.read_to_string(&mut out);
        out
    })
    .await
    .expect("join")
}

/// The host's running app, seen by guests through the host: only the ports the host shares,
/// a read-only guest only looks (no POST reaches the app), and unsharing ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_see_a_shared_preview_through_the_host_and_nothing_else() {
    let f = fixture(DESKTOP);
    let (app, other) = (app_server("shop"), app_server("admin"));
    let call = |v: Value| {
        let api = f.api.clone();
        async move { api.call(v.clone(), None).await.unwrap_or_else(|e| panic!("{v}: {e}")) }
    };
    call(json!({"method": "collabShare", "params": {"local": true}})).await;
    call(json!({"method": "collabInvite", "params": {"name": "Bo", "readOnly": false}})).await;
    let status = call(json!({"method": "collabInvite", "params": {"name": "Cy", "readOnly": true}})).await;
    let link = |name: &str| status["guests"].as_array().expect("guests").iter().find(|g| g["name"] == name).expect("guest")["link"].as_str().expect("link").to_owned();
    let (bo, cy) = (join(&link("Bo")).await, join(&link("Cy")).await);
    let proxy_of = |g: &Guest| {
        let api = g.api.clone();
        async move {
            let url = api.call(json!({"method": "guestPreviewUrl", "params": {"port": app}}), None).await.expect("url");
            url.as_str().expect("url").trim_start_matches("http://localhost:").trim_end_matches('/').parse::<u16>().expect("port")
        }
    };
    let (bo_port, cy_port) = (proxy_of(&bo).await, proxy_of(&cy).await);

    // Not shared yet: the guest's preview says so, and the app was never asked.
    let page = http(bo_port, "GET", "/", "").await;
    assert!(page.starts_with("HTTP/1.1 502") && page.contains(&format!("port {app} is not shared with guests")), "{page}");

    let status = call(json!({"method": "collabSharePreview", "params": {"port": app}})).await;
    assert_eq!(status["previews"], json!([{"port": app, "title": format!("port {app}")}]));
    let page = http(bo_port, "GET", "/", "").await;
    assert!(page.starts_with("HTTP/1.1 200") && page.contains("the shop app"), "{page}");
    assert!(page.contains("<head><script src=\"/__weft_preview.js\"></script>"), "the pane's script, given on the guest's side: {page}");
    let posted = http(bo_port, "POST", "/echo", "from=bo").await;
    assert!(posted.ends_with("POST from=bo"), "{posted}");

    // The read-only guest looks, but sends the app nothing that could change it.
    assert!(http(cy_port, "GET", "/echo", "").await.ends_with("GET "), "a read-only guest may look");
    let refused = http(cy_port, "POST", "/echo", "from=cy").await;
    assert!(refused.starts_with("HTTP/1.1 502") && refused.contains("a read-only guest may not send POST requests"), "{refused}");

    // Another port of the host's is not reachable by naming it.
    let e = bo
        .ask(json!({"method": "previewFetch", "params": {"port": other, "request": {"method": "GET", "path": "/", "headers": []}}}))
        .await
        .expect_err("not shared");
    assert_eq!(e.code, weft_api::ErrorCode::NotShared, "{e}");

    call(json!({"method": "collabUnsharePreview", "params": {"port": app}})).await;
    let page = http(bo_port, "GET", "/", "").await;
    assert!(page.starts_with("HTTP/1.1 502") && page.contains("not shared"), "unsharing ends it: {page}");
}

/// A guest gets the host's language server for a shared file: hover, definition,
/// completion right after its own typing (the host answers once its document holds the
/// guest's edit), and never a place outside the shared files; a file the host does not
/// share is refused, and nothing that writes is open to guests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_get_the_hosts_language_features_for_shared_files() {
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Text, Transact};
    let ws = tempfile::tempdir().expect("tmp");
    let app = tempfile::tempdir().expect("tmp");
    let root = ws.path();
    for (path, text) in [
        ("tsconfig.json", r#"{"compilerOptions": {"strict": true, "target": "es2020", "module": "commonjs"}}"#),
        (".gitignore", "vendor/\n"),
        ("vendor/lib.ts", "export function hidden(): number { return 1; }\n"),
        ("a.ts", "export function greet(name: string): string { return name; }\n"),
        ("b.ts", "import { greet } from './a';\nimport { hidden } from './vendor/lib';\nconst x = greet('x');\nconst y = hidden();\n"),
    ] {
        std::fs::create_dir_all(root.join(path).parent().expect("parent")).expect("mkdir");
        std::fs::write(root.join(path), text).expect("write");
    }
    let host = Api::new(DESKTOP, AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") });
    let settings = json!({"languageServers": [{"name": "ts", "command": crate::lsp::server_bin(), "args": ["--stdio"], "languages": ["typescript"]}]});
    host.call(json!({"method": "setSettings", "params": {"text": settings.to_string()}}), None).await.expect("settings");
    host.open_workspace(root).expect("open");
    host.call(json!({"method": "uiReady", "params": {"marks": []}}), None).await.expect("ready");
    host.call(json!({"method": "collabShare", "params": {"local": true}}), None).await.expect("share");
    let status = host.call(json!({"method": "collabInvite", "params": {"name": "Bo", "readOnly": false}}), None).await.expect("invite");
    let bo = join(status["guests"][0]["link"].as_str().expect("link")).await;

    // The guest opens b.ts as its workbench does: the room, and the host's analysis of it
    // (which gives the document to the host's server).
    let (room, got) = recorder("room-b");
    bo.api.call(json!({"method": "collabOpen", "params": {"room": "file/b.ts"}}), Some(room)).await.expect("room");
    bo.api.call(json!({"method": "collabStream", "params": {"request": {"method": "docAnalysis", "params": {"path": "b.ts"}}}}), Some(Stream::new("an", |_| true))).await.expect("analysis");
    let ask = |request: Value| bo.ask(request);
    // Hover, once the server runs and has read the project (before that it knows the
    // import's name only).
    let end = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        match ask(json!({"method": "lspHover", "params": {"path": "b.ts", "line": 2, "character": 11}})).await {
            Ok(Value::String(s)) if s.contains("greet(name: string): string") => break,
            other => {
                assert!(std::time::Instant::now() < end, "no hover with greet's type: {other:?}");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
    // Definition across shared files; one in a file the host does not share is left out
    // (the host's own answer has it).
    let defs = ask(json!({"method": "lspLocations", "params": {"path": "b.ts", "kind": "definition", "line": 2, "character": 11}})).await.expect("definition");
    assert_eq!((defs[0]["path"].as_str(), defs[0]["line"].as_u64()), (Some("a.ts"), Some(0)), "{defs}");
    let hidden = json!({"method": "lspLocations", "params": {"path": "b.ts", "kind": "definition", "line": 3, "character": 11}});
    let own = host.call(hidden.clone(), None).await.expect("the host's definition");
    assert_eq!(own[0]["path"], "vendor/lib.ts", "{own}");
    assert_eq!(ask(hidden).await.expect("the guest's"), json!([]), "a place the host does not share");

    // The guest types `x.` in its replica and asks at once: the list is for its text.
    let doc = yrs::Doc::new();
    for f in got.lock().expect("lock").iter() {
        if let Got::Bytes(b) = f {
            if let Ok(yrs::sync::Message::Sync(yrs::sync::SyncMessage::SyncStep2(u) | yrs::sync::SyncMessage::Update(u))) = yrs::sync::Message::decode_v1(b) {
                doc.transact_mut().apply_update(yrs::Update::decode_v1(&u).expect("update")).expect("apply");
            }
        }
    }
    let text = doc.get_or_insert_text("content");
    let len = text.get_string(&doc.transact()).len() as u32;
    let update = {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, len, "x.");
        txn.encode_update_v1()
    };
    let data = yrs::updates::encoder::Encode::encode_v1(&yrs::sync::Message::Sync(yrs::sync::SyncMessage::Update(update)));
    bo.api.call(json!({"method": "collabPush", "params": {"room": "file/b.ts", "data": data}}), None).await.expect("push");
    let items = ask(json!({"method": "lspCompletion", "params": {"path": "b.ts", "line": 4, "character": 2}})).await.expect("completion");
    let labels: Vec<&str> = items.as_array().expect("items").iter().filter_map(|c| c["label"].as_str()).collect();
    assert!(labels.contains(&"toUpperCase"), "string's members after `x.`: {labels:?}");

    // Not shared, or not a read: refused.
    for request in [
        json!({"method": "lspHover", "params": {"path": "vendor/lib.ts", "line": 0, "character": 17}}),
        json!({"method": "lspSemanticTokens", "params": {"path": "../outside.ts"}}),
        json!({"method": "lspRename", "params": {"path": "b.ts", "line": 2, "character": 11, "newName": "hi"}}),
        json!({"method": "lspFormat", "params": {"path": "b.ts", "tabSize": 2, "insertSpaces": true}}),
        json!({"method": "lspCodeActions", "params": {"path": "b.ts", "line": 0, "character": 0, "endLine": 0, "endCharacter": 1}}),
        json!({"method": "lspApplyEdits", "params": {"files": [], "label": "x"}}),
    ] {
        let e = ask(request.clone()).await.expect_err(&request.to_string());
        assert_eq!(e.code, weft_api::ErrorCode::NotShared, "{request}: {e}");
    }
}
