//! One accepted connection of the mock, and the means for a request handler to kill it with a TCP reset.
//!
//! hyper owns the socket while it serves a connection, so a handler cannot close it directly. Instead the
//! connection task races hyper against an [`Abort`]: when a handler triggers it, the task drops hyper's
//! connection, and the socket wrapper's `Drop` sets `SO_LINGER` to zero first, so the kernel sends RST
//! rather than FIN — what a crashed or killed inference server looks like to the client.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// A one-shot "reset this connection" signal shared by a connection and its request handlers.
#[derive(Debug, Default)]
pub(super) struct Abort {
    fired: AtomicBool,
    notify: Notify,
}

impl Abort {
    /// Asks the connection task to reset the connection now. Safe to call more than once.
    pub(super) fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        // `notify_one` keeps a permit when nobody waits yet, so a fire before the wait is not lost.
        self.notify.notify_one();
    }

    /// Resolves once [`Abort::fire`] has been called.
    pub(super) async fn fired(&self) {
        self.notify.notified().await;
    }

    fn has_fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

/// The accepted socket, handed to hyper; resets instead of closing when its [`Abort`] fired.
pub(super) struct AbortableStream {
    inner: TcpStream,
    abort: Arc<Abort>,
}

impl AbortableStream {
    pub(super) fn new(inner: TcpStream, abort: Arc<Abort>) -> Self {
        Self { inner, abort }
    }
}

impl Drop for AbortableStream {
    fn drop(&mut self) {
        if self.abort.has_fired() {
            // Zero linger makes the close abortive (RST) and never blocks. If it fails the close is a
            // plain FIN, which clients still see as an early end: degraded, not wrong.
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for AbortableStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for AbortableStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
