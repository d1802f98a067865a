//! Collaboration through the API: a terminal shared with guests streams to them, and takes
//! their keystrokes only when the host allows it.

use std::time::{Duration, Instant};

use serde_json::json;
use weft_api::Stream;
use weft_collab::{terminal, Backoff, Peer};
use yrs::{Array, Map};

use crate::fixture;

/// The output a guest sees: the chunks of the output array, joined.
fn output(p: &Peer) -> String {
    p.read(|doc| {
        let arr = doc.get_or_insert_array(terminal::OUTPUT);
        let txn = yrs::Transact::transact(doc);
        arr.iter(&txn).map(|v| v.to_string(&txn)).collect()
    })
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends a presence state named `name` through `p`'s connection: allowed for every role, and
/// handled by the host after anything `p` sent before it.
fn announce(p: &Peer, name: &str) {
    use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
    use yrs::updates::encoder::Encode;
    let entry = AwarenessUpdateEntry { clock: 1, json: std::sync::Arc::from(format!(r#"{{"user":{{"name":"{name}"}}}}"#)) };
    let update = AwarenessUpdate { clients: [(yrs::block::ClientID::new(0xfeed + name.len() as u64), entry)].into_iter().collect() };
    p.from_editor(&yrs::sync::Message::Awareness(update).encode_v1()).expect("presence");
}

/// Whether a presence named `name` reached the peer that owns `events`.
fn saw(events: &mut tokio::sync::broadcast::Receiver<weft_collab::PeerEvent>, seen: &mut Vec<String>, name: &str) -> bool {
    use yrs::updates::decoder::Decode;
    while let Ok(e) = events.try_recv() {
        if let weft_collab::PeerEvent::Message(bytes) = e {
            if let Ok(yrs::sync::Message::Awareness(u)) = yrs::sync::Message::decode_v1(&bytes) {
                seen.extend(u.clients.values().map(|c| c.json.to_string()));
            }
        }
    }
    seen.iter().any(|j| j.contains(&format!(r#""name":"{name}""#)))
}

fn type_keys(p: &Peer, keys: &str) {
    let keys = keys.to_owned();
    p.edit_with(|doc| doc.get_or_insert_array(terminal::KEYS), move |arr, txn| {
        arr.push_back(txn, keys);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_terminal_streams_to_guests_and_takes_their_keys_only_when_allowed() {
    let f = fixture(crate::SERVE);
    let info = f.api.call(json!({"method": "terminalSpawn", "params": {"cols": 80, "rows": 24}}), Some(Stream::new("t", |_| true))).await.expect("spawn");
    let id = info["id"].as_u64().expect("id");
    let call = |v: serde_json::Value| {
        let api = f.api.clone();
        async move { api.call(v.clone(), None).await.unwrap_or_else(|e| panic!("{v}: {e}")) }
    };
    let err = f.api.call(json!({"method": "collabShareTerminal", "params": {"id": id}}), None).await.expect_err("not sharing");
    assert_eq!(err.code, "not_sharing");
    call(json!({"method": "collabShare", "params": {"local": true}})).await;
    let status = call(json!({"method": "collabShareTerminal", "params": {"id": id, "writable": false}})).await;
    assert_eq!(status["terminals"], json!([{"id": id, "writable": false}]));
    let status = call(json!({"method": "collabInvite", "params": {"name": "Bo", "readOnly": false}})).await;
    let link = status["guests"][0]["link"].as_str().expect("link").to_owned();
    let (base, token) = link.split_once("/?token=").expect("link");
    let join = |room: String| Peer::join(format!("{base}/{room}?token={token}"), &room, Backoff::default());

    // The tree room lists it for guests.
    let tree = join("tree".into());
    until("the tree lists the terminal", || {
        tree.read(|doc| {
            let m = doc.get_or_insert_map(weft_collab::TERMINALS);
            let txn = yrs::Transact::transact(doc);
            m.get(&txn, &id.to_string()).map(|v| v.to_string(&txn).contains(r#""writable":false"#)).unwrap_or(false)
        })
    })
    .await;

    // What runs in it reaches the guest.
    let out = join(format!("terminal/{id}"));
    call(json!({"method": "terminalWrite", "params": {"id": id, "data": "echo shared-$((6*7))\r"}})).await;
    until("the guest sees the output", || output(&out).contains("shared-42")).await;

    // Read-only: the guest's keys are refused by the host.
    let input = join(format!("terminal/{id}/input"));
    let watcher = join(format!("terminal/{id}/input"));
    let (_, mut watching) = watcher.open();
    let mut seen = vec![];
    until("the input room joined", || input.status() != weft_collab::PeerStatus::Connecting && watcher.status() != weft_collab::PeerStatus::Connecting).await;
    type_keys(&input, "echo nope-$((1+1))\r");
    // A marker after the keys, through the same connection: once another participant sees
    // it, the host has handled the keys; and a command the host runs after that prints after
    // anything the keys would have run.
    announce(&input, "after-keys");
    until("the marker relayed", || saw(&mut watching, &mut seen, "after-keys")).await;
    call(json!({"method": "terminalWrite", "params": {"id": id, "data": "echo marker-$((2*4))\r"}})).await;
    until("the host's marker command ran", || output(&out).contains("marker-8")).await;
    assert!(!output(&out).contains("nope-2"), "a read-only terminal ran a guest's command: {}", output(&out));

    // Writable: they run (a fresh connection: the refused edit stays only in the old one).
    call(json!({"method": "collabShareTerminal", "params": {"id": id, "writable": true}})).await;
    drop(input);
    let input = join(format!("terminal/{id}/input"));
    until("the input room joined", || input.status() == weft_collab::PeerStatus::Online).await;
    type_keys(&input, "echo typed-$((2+3))\r");
    until("the guest's command ran", || output(&out).contains("typed-5")).await;

    // A read-only guest may never type, whatever the terminal allows.
    let status = call(json!({"method": "collabInvite", "params": {"name": "Cy", "readOnly": true}})).await;
    let cy = status["guests"].as_array().expect("guests").iter().find(|g| g["name"] == "Cy").expect("cy")["token"].as_str().expect("token").to_owned();
    let ro = Peer::join(format!("{base}/terminal/{id}/input?token={cy}"), "terminal/x/input", Backoff::default());
    until("told read-only", || ro.status() == weft_collab::PeerStatus::ReadOnly).await;
    let (_, mut watching) = input.open();
    let mut seen = vec![];
    type_keys(&ro, "echo sneaky-$((3+4))\r");
    announce(&ro, "after-sneaky");
    until("the marker relayed", || saw(&mut watching, &mut seen, "after-sneaky")).await;
    call(json!({"method": "terminalWrite", "params": {"id": id, "data": "echo marker-$((3*3))\r"}})).await;
    until("the host's marker command ran", || output(&out).contains("marker-9")).await;
    assert!(!output(&out).contains("sneaky-7"));

    // Unshared: guests no longer find it.
    let status = call(json!({"method": "collabUnshareTerminal", "params": {"id": id}})).await;
    assert_eq!(status["terminals"], json!([]));
    let gone = join(format!("terminal/{id}"));
    until("refused", || gone.status().is_final()).await;
}
