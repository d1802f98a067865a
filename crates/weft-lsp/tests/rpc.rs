//! The JSON-RPC connection against a scripted server on an in-memory pipe: answers out of
//! order, malformed messages, a broken frame, a server that never answers, requests the
//! server makes of the client, and a flood of notifications. Nothing may hang or panic.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use weft_lsp::rpc::{read_message, Connection, Notification, RpcError};

/// The client's connection, and the server's ends of the pipes.
fn pair() -> (std::sync::Arc<Connection>, tokio::sync::oneshot::Receiver<()>, mpsc::UnboundedReceiver<Notification>, BufReader<DuplexStream>, DuplexStream) {
    let (client_out, server_in) = tokio::io::duplex(1 << 20);
    let (server_out, client_in) = tokio::io::duplex(1 << 20);
    let (ntx, nrx) = mpsc::unbounded_channel();
    let (conn, closed) = Connection::start(BufReader::new(client_in), client_out, ntx);
    (conn, closed, nrx, BufReader::new(server_in), server_out)
}

async fn send(w: &mut DuplexStream, v: Value) {
    let body = v.to_string();
    w.write_all(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes()).await.expect("write");
}

async fn next(r: &mut BufReader<DuplexStream>) -> Value {
    let body = tokio::time::timeout(Duration::from_secs(5), read_message(r)).await.expect("in time").expect("read").expect("a message");
    serde_json::from_slice(&body).expect("json")
}

#[tokio::test]
async fn answers_in_any_order_reach_their_requests() {
    let (conn, _closed, _n, mut r, mut w) = pair();
    let (c1, c2) = (conn.clone(), conn.clone());
    let a = tokio::spawn(async move { c1.request("a", json!({}), Duration::from_secs(5)).await });
    let b = tokio::spawn(async move { c2.request("b", json!({}), Duration::from_secs(5)).await });
    let (m1, m2) = (next(&mut r).await, next(&mut r).await);
    let id_of = |m: &Value, name: &str| if m["method"] == name { m["id"].clone() } else { Value::Null };
    let ida = if m1["method"] == "a" { id_of(&m1, "a") } else { id_of(&m2, "a") };
    let idb = if m1["method"] == "b" { id_of(&m1, "b") } else { id_of(&m2, "b") };
    // b first, then a.
    send(&mut w, json!({"jsonrpc": "2.0", "id": idb, "result": "for b"})).await;
    send(&mut w, json!({"jsonrpc": "2.0", "id": ida, "result": "for a"})).await;
    assert_eq!(a.await.expect("join"), Ok(json!("for a")));
    assert_eq!(b.await.expect("join"), Ok(json!("for b")));
}

#[tokio::test]
async fn a_malformed_message_is_skipped_and_an_error_answer_is_an_error() {
    let (conn, _closed, _n, mut r, mut w) = pair();
    let c = conn.clone();
    let req = tokio::spawn(async move { c.request("x", json!({}), Duration::from_secs(5)).await });
    let m = next(&mut r).await;
    w.write_all(b"Content-Length: 9\r\n\r\n{not json").await.expect("write");
    send(&mut w, json!({"jsonrpc": "2.0", "id": 999, "result": "nobody asked"})).await;
    send(&mut w, json!({"jsonrpc": "2.0", "id": m["id"], "error": {"code": -32603, "message": "it broke"}})).await;
    assert_eq!(req.await.expect("join"), Err(RpcError::Server { code: -32603, message: "it broke".into() }));
    // Still working after all that.
    let c = conn.clone();
    let req = tokio::spawn(async move { c.request("y", json!({}), Duration::from_secs(5)).await });
    let m = next(&mut r).await;
    send(&mut w, json!({"jsonrpc": "2.0", "id": m["id"], "result": 1})).await;
    assert_eq!(req.await.expect("join"), Ok(json!(1)));
}

#[tokio::test]
async fn a_broken_frame_closes_the_connection_and_waiting_requests_learn_it() {
    let (conn, closed, _n, mut r, mut w) = pair();
    let c = conn.clone();
    let req = tokio::spawn(async move { c.request("x", json!({}), Duration::from_secs(30)).await });
    next(&mut r).await;
    w.write_all(b"this is not a header\r\n\r\n").await.expect("write");
    assert_eq!(tokio::time::timeout(Duration::from_secs(5), req).await.expect("in time").expect("join"), Err(RpcError::Closed));
    tokio::time::timeout(Duration::from_secs(5), closed).await.expect("closed in time").expect("closed");
    assert_eq!(conn.request("after", json!({}), Duration::from_secs(1)).await.err().map(|e| matches!(e, RpcError::Closed | RpcError::Timeout { .. })), Some(true));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_is_told_to_cancel() {
    let (conn, _closed, _n, mut r, _w) = pair();
    let e = conn.request("initialize", json!({}), Duration::from_millis(200)).await.expect_err("no answer");
    assert_eq!(e, RpcError::Timeout { method: "initialize".into(), secs: 0 });
    let _req = next(&mut r).await;
    let cancel = next(&mut r).await;
    assert_eq!(cancel["method"], "$/cancelRequest");
}

#[tokio::test]
async fn the_servers_requests_are_answered_and_notifications_delivered_even_in_a_flood() {
    let (_conn, _closed, mut notes, mut r, mut w) = pair();
    send(&mut w, json!({"jsonrpc": "2.0", "id": 7, "method": "workspace/configuration", "params": {"items": [{"section": "a"}, {"section": "b"}]}})).await;
    let reply = next(&mut r).await;
    assert_eq!((reply["id"].clone(), reply["result"].clone()), (json!(7), json!([null, null])));
    send(&mut w, json!({"jsonrpc": "2.0", "id": "s1", "method": "weird/unknown", "params": {}})).await;
    let reply = next(&mut r).await;
    assert_eq!(reply["error"]["code"], -32601);
    // 5000 diagnostics notifications: all arrive, in order, and the connection keeps up.
    let writer = tokio::spawn(async move {
        for i in 0..5000 {
            send(&mut w, json!({"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": {"uri": "file:///a", "diagnostics": [], "n": i}})).await;
        }
        w
    });
    for i in 0..5000 {
        let n = tokio::time::timeout(Duration::from_secs(10), notes.recv()).await.expect("in time").expect("note");
        assert_eq!((n.method.as_str(), n.params["n"].as_i64()), ("textDocument/publishDiagnostics", Some(i)));
    }
    writer.await.expect("writer");
}

/// A server whose output has already ended when the first request is made (one that dies
/// at start): the request is told at once, not after its timeout.
#[tokio::test]
async fn a_request_after_the_server_went_fails_at_once() {
    let (conn, closed, _n, _r, w) = pair();
    drop(w);
    tokio::time::timeout(Duration::from_secs(5), closed).await.expect("closed in time").expect("closed");
    let asked = conn.request("initialize", json!({}), Duration::from_secs(60));
    let e = tokio::time::timeout(Duration::from_secs(20), asked).await.expect("told at once, not after the request's timeout").expect_err("no server");
    assert_eq!(e, RpcError::Closed);
}
