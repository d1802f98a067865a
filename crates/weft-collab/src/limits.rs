//! What the host's listener allows before a request is read: a bounded number of open
//! connections, a bounded number still sending their request, and a deadline for that
//! request to arrive. A client that opens connections and sends half a request (or
//! nothing) cannot hold the host's sockets: it is cut off after the deadline, and when
//! too many are waiting the oldest is closed to make room (a real client's request
//! arrives in milliseconds, so it is not the one that waits longest).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Weak};

use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections open at once (guests, tabs, reconnects in flight).
pub const MAX_CONNECTIONS: usize = 1024;
/// Connections that have not finished sending their request (nobody knows who they are
/// yet: the token is in the request).
pub const MAX_UNIDENTIFIED: usize = 64;
/// How long a connection may take to send its request's header.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Guarded<L> {
    inner: L,
    open: Arc<Semaphore>,
    /// The connections still sending their request, oldest first.
    waiting: Mutex<VecDeque<Weak<Waiting>>>,
}

/// A connection's "still sending its request" state, shared with the listener so it can
/// be told to give up its place.
#[derive(Default)]
struct Waiting {
    evicted: AtomicBool,
    waker: AtomicWaker,
}

impl<L> Guarded<L> {
    pub fn new(inner: L) -> Self {
        Guarded { inner, open: Arc::new(Semaphore::new(MAX_CONNECTIONS)), waiting: Mutex::default() }
    }

    /// Registers a new waiting connection, closing the oldest one when too many wait.
    fn wait(&self) -> Arc<Waiting> {
        let mut q = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        q.retain(|w| w.strong_count() > 0);
        while q.len() >= MAX_UNIDENTIFIED {
            if let Some(old) = q.pop_front().and_then(|w| w.upgrade()) {
                old.evicted.store(true, Ordering::SeqCst);
                old.waker.wake();
            }
        }
        let w = Arc::new(Waiting::default());
        q.push_back(Arc::downgrade(&w));
        w
    }
}

impl<L: axum::serve::Listener> axum::serve::Listener for Guarded<L> {
    type Io = HeaderDeadline<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, addr) = self.inner.accept().await;
            // Over the cap the connection is dropped unanswered: it costs nothing more.
            let Ok(open) = self.open.clone().try_acquire_owned() else { continue };
            return (HeaderDeadline::new(io, open, self.wait()), addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that must deliver a whole request header (up to the blank line) before
/// [`HEADER_TIMEOUT`]; after that it is an ordinary stream.
pub struct HeaderDeadline<T> {
    io: T,
    _open: OwnedSemaphorePermit,
    /// Held until the header is in.
    unidentified: Option<Arc<Waiting>>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// The last bytes read, to find "\r\n\r\n" across reads.
    tail: [u8; 3],
}

impl<T> HeaderDeadline<T> {
    fn new(io: T, open: OwnedSemaphorePermit, waiting: Arc<Waiting>) -> Self {
        HeaderDeadline { io, _open: open, unidentified: Some(waiting), deadline: Box::pin(tokio::time::sleep(HEADER_TIMEOUT)), tail: [0; 3] }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for HeaderDeadline<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let Some(waiting) = &this.unidentified else {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        };
        waiting.waker.register(cx.waker());
        if waiting.evicted.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::ConnectionReset, "too many connections were waiting to send a request")));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let new = &buf.filled()[before..];
                let mut window = this.tail.to_vec();
                window.extend_from_slice(new);
                if window.windows(4).any(|w| w == b"\r\n\r\n") {
                    this.unidentified = None;
                }
                // The window starts with the previous tail, so it has at least three bytes.
                this.tail.copy_from_slice(&window[window.len() - 3..]);
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the request header did not arrive in time"))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeaderDeadline<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::Semaphore;

    #[tokio::test(start_paused = true)]
    async fn a_header_that_never_ends_is_cut_off_and_a_whole_one_is_not() {
        let (mut client, server) = tokio::io::duplex(1024);
        let permit = || Arc::new(Semaphore::new(1)).try_acquire_owned().expect("permit");
        let mut io = HeaderDeadline::new(server, permit(), Arc::default());
        client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.expect("write");
        let mut buf = [0u8; 256];
        let n = io.read(&mut buf).await.expect("the first part");
        assert!(n > 0);
        // Nothing more comes: after the deadline the read fails.
        let err = io.read(&mut buf).await.expect_err("timed out");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);

        let (mut client, server) = tokio::io::duplex(1024);
        let mut io = HeaderDeadline::new(server, permit(), Arc::default());
        // The blank line split across two writes still counts.
        client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r").await.expect("write");
        let _ = io.read(&mut buf).await.expect("read");
        client.write_all(b"\n").await.expect("write");
        let _ = io.read(&mut buf).await.expect("read");
        assert!(io.unidentified.is_none(), "the header is in");
        // An idle connection after its header is not cut off.
        tokio::time::sleep(HEADER_TIMEOUT * 3).await;
        client.write_all(b"x").await.expect("write");
        assert_eq!(io.read(&mut buf).await.expect("still open"), 1);
    }

    #[tokio::test]
    async fn when_too_many_wait_the_oldest_is_closed() {
        let g = Guarded::new(());
        let first = g.wait();
        let rest: Vec<_> = (1..MAX_UNIDENTIFIED).map(|_| g.wait()).collect();
        assert!(!first.evicted.load(Ordering::SeqCst));
        let newest = g.wait();
        assert!(first.evicted.load(Ordering::SeqCst), "the oldest made room");
        assert!(!newest.evicted.load(Ordering::SeqCst) && rest.iter().all(|w| !w.evicted.load(Ordering::SeqCst)));
    }
}
