//! Feature `tokio`: `AsyncWrite` for [`ByteBuffer`] (always ready, never fails), and reading an
//! `AsyncRead` to its end into a pooled buffer.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use crate::sync::Arc;
use crate::{ByteBuffer, ByteBufferPool, OwnedPooledBuffer};

impl AsyncWrite for ByteBuffer {
    #[inline]
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Write::write_vectored(self.get_mut(), bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    #[inline]
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    #[inline]
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl ByteBufferPool {
    /// Reads `reader` to its end into a buffer of this pool, held by an owned guard (so it can
    /// cross `.await` points and move between tasks). Feature `tokio`.
    ///
    /// To bound the size, pass `reader.take(limit)`.
    ///
    /// # Errors
    ///
    /// The first error of `reader` (other than `Interrupted`). The buffer then goes back to the
    /// pool with the guard; nothing is leaked.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(bytebufferpool::ByteBufferPool::new());
    /// let buf = pool.read_to_end(&b"from an AsyncRead"[..]).await.unwrap();
    /// assert_eq!(*buf, "from an AsyncRead");
    /// # });
    /// ```
    pub async fn read_to_end<R>(self: &Arc<Self>, mut reader: R) -> io::Result<OwnedPooledBuffer>
    where
        R: AsyncRead + Unpin,
    {
        let mut guard = self.get_owned();
        reader.read_to_end(guard.vec_mut()).await?;
        Ok(guard)
    }
}
