//! The request log, in a process of its own: a test that installs a log subscriber for its
//! thread must not share the process with tests that log without one (tracing caches, per
//! log line, whether anyone listens, and other tests' threads race that cache).

use std::sync::{Arc, Mutex};

use serde_json::json;
use weft_api::{Api, AppPaths, Shell};

/// A failed request is logged once, with its request id, method and code; what a handler
/// logs carries the same id (the request's span).
#[test]
fn failed_requests_are_logged_with_their_id_method_and_code() {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let b = buf.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || b.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (ws, app) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    std::fs::write(ws.path().join("hello.txt"), "hello world\n").expect("write");
    let api = Api::new(Shell { name: "serve", unsupported: &[] }, AppPaths { config_dir: app.path().join("config"), data_dir: app.path().join("data") });
    api.open_workspace(ws.path()).expect("open");
    rt.block_on(async {
        api.call(json!({"method": "readFile", "params": {"path": "hello.txt"}}), None).await.expect("read");
        let err = api.call(json!({"method": "readFile", "params": {"path": "missing.txt"}}), None).await.expect_err("missing");
        assert_eq!(err.code, "not_found");
    });
    let log = String::from_utf8(buf.0.lock().expect("lock").clone()).expect("utf-8");
    let failed: Vec<&str> = log.lines().filter(|l| l.contains("code=")).collect();
    assert_eq!(failed.len(), 1, "one line per failed request, none for the one that worked:\n{log}");
    assert!(failed[0].contains("request{id=") && failed[0].contains("method=readFile") && failed[0].contains("code=not_found"), "{}", failed[0]);
}
