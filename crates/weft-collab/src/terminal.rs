//! Sharing a terminal with guests. Two rooms, so the server's own write check is the
//! permission: `terminal/<id>` holds the output (only the host writes it) and
//! `terminal/<id>/input` takes what guests type (refused unless the host lets them type,
//! and always refused from read-only guests). Both are plain Yjs documents:
//!
//! - output: the `Y.Array` `output` of strings, appended in order; the oldest are dropped
//!   past a scrollback limit, so a guest joining late sees the recent screen;
//! - input: the `Y.Array` `keys` of strings; the host writes them to the terminal and
//!   removes them.
//!
//! Output is coalesced (one update per ~16 ms at most), so a flood is a few dozen updates a
//! second rather than one per read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use yrs::{Array, ArrayRef, Out};

use crate::Room;

pub const OUTPUT: &str = "output";
pub const KEYS: &str = "keys";
/// Characters of output kept for guests who join later.
pub const SCROLLBACK_CHARS: usize = 256 * 1024;

pub struct SharedTerminal {
    pub id: u64,
    pub output: Arc<Room>,
    pub input: Arc<Room>,
    pending: Arc<Mutex<Pending>>,
    flusher: tokio::task::AbortHandle,
}

#[derive(Default)]
struct Pending {
    /// Bytes not yet sent (an incomplete UTF-8 sequence waits for the rest).
    bytes: Vec<u8>,
    /// Lengths (in chars) of the chunks in the output array, oldest first.
    chunks: VecDeque<usize>,
    total: usize,
}

impl Drop for SharedTerminal {
    fn drop(&mut self) {
        self.flusher.abort();
    }
}

/// Text of `bytes` up to the last complete UTF-8 character; the rest stays in `bytes`.
fn take_text(bytes: &mut Vec<u8>) -> String {
    let cut = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        // Invalid bytes (not UTF-8 output): shown as U+FFFD, not held back forever.
        Err(_) => bytes.len(),
    };
    let text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    bytes.drain(..cut);
    text
}

impl SharedTerminal {
    /// The rooms of terminal `id`; `on_keys` gets what guests type. Must be called in a
    /// tokio runtime.
    pub fn new(id: u64, writable: bool, on_keys: impl Fn(String) + Send + Sync + 'static) -> SharedTerminal {
        let output = Arc::new(Room::new(&format!("terminal/{id}"), ""));
        output.set_locked(true);
        let input = Arc::new(Room::new(&format!("terminal/{id}/input"), ""));
        input.set_locked(!writable);
        input.on_guest_update(Arc::new(move |room: &Room| {
            let mut typed = String::new();
            room.host_edit(|doc| doc.get_or_insert_array(KEYS), |keys: ArrayRef, txn| {
                for v in keys.iter(txn) {
                    if let Out::Any(yrs::Any::String(s)) = v {
                        typed.push_str(&s);
                    }
                }
                let n = keys.len(txn);
                if n > 0 {
                    keys.remove_range(txn, 0, n);
                }
            });
            if !typed.is_empty() {
                on_keys(typed);
            }
        }));
        let pending: Arc<Mutex<Pending>> = Arc::default();
        let (p, out) = (pending.clone(), output.clone());
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(16));
            loop {
                tick.tick().await;
                flush(&out, &p);
            }
        })
        .abort_handle();
        SharedTerminal { id, output, input, pending, flusher }
    }

    /// Output from the terminal (called from its reader thread).
    pub fn write(&self, bytes: &[u8]) {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).bytes.extend_from_slice(bytes);
    }

    /// Whether guests (with write access) may type.
    pub fn set_writable(&self, writable: bool) {
        self.input.set_locked(!writable);
    }

    pub fn writable(&self) -> bool {
        !self.input.is_locked()
    }
}

fn flush(out: &Room, pending: &Mutex<Pending>) {
    let mut p = pending.lock().unwrap_or_else(|p| p.into_inner());
    let text = take_text(&mut p.bytes);
    if text.is_empty() {
        return;
    }
    let len = text.chars().count();
    p.chunks.push_back(len);
    p.total += len;
    let mut drop_n = 0u32;
    while p.total > SCROLLBACK_CHARS && p.chunks.len() > 1 {
        p.total -= p.chunks.pop_front().unwrap_or(0);
        drop_n += 1;
    }
    drop(p);
    out.host_edit(|doc| doc.get_or_insert_array(OUTPUT), |arr: ArrayRef, txn| {
        if drop_n > 0 {
            arr.remove_range(txn, 0, drop_n);
        }
        arr.push_back(txn, text);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_split_across_reads_waits_for_the_rest() {
        let mut b = "é".as_bytes()[..1].to_vec();
        assert_eq!(take_text(&mut b), "");
        b.extend_from_slice(&"é".as_bytes()[1..]);
        b.extend_from_slice(b"x");
        assert_eq!(take_text(&mut b), "éx");
        assert!(b.is_empty());
        let mut bad = vec![b'a', 0xff, b'b'];
        assert_eq!(take_text(&mut bad), "a\u{fffd}b");
    }
}
