//! A room's outgoing frames, kept for its connections to send: the newest ones, bounded
//! in count and in bytes. A connection that falls behind what is kept is told how much it
//! missed and gets the whole document once instead (see the server), so neither a slow
//! reader nor large updates can make the host hold more than the bound.

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::document::Frame;

/// Frames kept per room, and their bytes at most (the newest frame is always kept).
pub const MAX_FRAMES: usize = 1024;
pub const MAX_BYTES: usize = 32 << 20;

#[derive(Default)]
pub struct Fanout {
    ring: Mutex<Ring>,
    notify: Notify,
}

#[derive(Default)]
struct Ring {
    frames: VecDeque<Frame>,
    /// The sequence number of `frames[0]`.
    first: u64,
    bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing new yet.
    Empty,
    /// This many frames were dropped before this receiver read them.
    Lagged(u64),
}

pub struct Receiver {
    fanout: Arc<Fanout>,
    next: u64,
}

impl Fanout {
    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn send(&self, frame: Frame) {
        {
            let mut r = self.ring();
            r.bytes += frame.1.len();
            r.frames.push_back(frame);
            while r.frames.len() > MAX_FRAMES || (r.bytes > MAX_BYTES && r.frames.len() > 1) {
                if let Some(old) = r.frames.pop_front() {
                    r.bytes -= old.1.len();
                    r.first += 1;
                }
            }
        }
        self.notify.notify_waiters();
    }

    /// A receiver of the frames sent from now on.
    pub fn subscribe(self: &Arc<Self>) -> Receiver {
        let r = self.ring();
        Receiver { fanout: self.clone(), next: r.first + r.frames.len() as u64 }
    }

    /// Bytes held now.
    pub fn held_bytes(&self) -> usize {
        self.ring().bytes
    }
}

impl Receiver {
    pub fn try_recv(&mut self) -> Result<Frame, TryRecvError> {
        let r = self.fanout.ring();
        if self.next < r.first {
            let missed = r.first - self.next;
            self.next = r.first;
            return Err(TryRecvError::Lagged(missed));
        }
        match r.frames.get((self.next - r.first) as usize) {
            Some(f) => {
                self.next += 1;
                Ok(f.clone())
            }
            None => Err(TryRecvError::Empty),
        }
    }

    /// The next frame; `Err(n)` when `n` frames were dropped before it could be read.
    pub async fn recv(&mut self) -> Result<Frame, u64> {
        loop {
            let fanout = self.fanout.clone();
            let mut notified = pin!(fanout.notify.notified());
            // Registered before looking, so a frame sent in between still wakes it.
            notified.as_mut().enable();
            match self.try_recv() {
                Ok(f) => return Ok(f),
                Err(TryRecvError::Lagged(n)) => return Err(n),
                Err(TryRecvError::Empty) => notified.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Frame {
        (1, Arc::from(vec![0u8; n]))
    }

    #[test]
    fn a_slow_reader_is_told_what_it_missed_and_the_host_holds_at_most_the_bound() {
        let f = Arc::new(Fanout::default());
        let mut slow = f.subscribe();
        for _ in 0..(MAX_FRAMES + 10) {
            f.send(frame(10));
        }
        assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(10)));
        assert!(slow.try_recv().is_ok(), "then reads on from the oldest kept");
        // Large frames: bounded by bytes, the newest always kept.
        for _ in 0..10 {
            f.send(frame(MAX_BYTES / 4));
        }
        assert!(f.held_bytes() <= MAX_BYTES, "{}", f.held_bytes());
        f.send(frame(MAX_BYTES * 2));
        assert_eq!(f.held_bytes(), MAX_BYTES * 2, "only the newest, whatever its size");
    }

    #[tokio::test]
    async fn recv_waits_for_the_next_frame() {
        let f = Arc::new(Fanout::default());
        let mut rx = f.subscribe();
        let g = f.clone();
        let sender = tokio::spawn(async move {
            tokio::task::yield_now().await;
            g.send(frame(3));
        });
        assert_eq!(rx.recv().await.map(|f| f.1.len()), Ok(3));
        sender.await.expect("sent");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}
