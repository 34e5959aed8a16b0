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
        // Not tokio's `read_to_end`, which grows the `Vec` by its own steps: reads go into the
        // buffer's spare capacity through its `BufMut`, which grows it to powers of two (as
        // every write does), and only once a probe has shown there is more to read, so a body
        // that fills the capacity exactly leaves it as it was.
        let mut guard = self.get_owned();
        loop {
            let read = if guard.len() == guard.capacity() {
                let mut probe = [0u8; 32];
                reader.read(&mut probe).await.inspect(|&n| {
                    guard.extend_from_slice(&probe[..n]);
                })
            } else {
                reader.read_buf(&mut *guard).await
            };
            match read {
                Ok(0) => return Ok(guard),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
