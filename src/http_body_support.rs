//! Feature `http-body`: collecting an `http_body::Body` into a pooled buffer, with a limit.

use std::error::Error;
use std::fmt;
use std::future::poll_fn;
use std::pin::pin;

use bytes::Buf;
use http_body::Body;

use crate::sync::Arc;
use crate::{ByteBuffer, ByteBufferPool, OwnedPooledBuffer, PooledBuffer};

/// Why [`ByteBufferPool::collect_body`] (or [`collect_body`](crate::collect_body)) gave up.
/// The buffer it was filling has gone back to the pool.
#[derive(Debug)]
#[non_exhaustive]
pub enum CollectError<E> {
    /// The body is longer than the limit (by its size hint, or by the bytes received). A
    /// server answers `413 Payload Too Large`. If you passed `&mut body`, the rest of it is
    /// still unread: drain it to keep the connection, or close the connection.
    TooLarge {
        /// The limit that was passed.
        limit: usize,
    },
    /// The body itself failed (a connection reset mid-stream, say).
    Body(E),
}

impl<E> CollectError<E> {
    /// Whether the body was over the limit.
    pub fn is_too_large(&self) -> bool {
        matches!(self, CollectError::TooLarge { .. })
    }
}

impl<E: fmt::Display> fmt::Display for CollectError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollectError::TooLarge { limit } => {
                write!(f, "body is larger than the limit of {limit} bytes")
            }
            CollectError::Body(e) => write!(f, "body failed: {e}"),
        }
    }
}

impl<E: Error + 'static> Error for CollectError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            CollectError::TooLarge { .. } => None,
            CollectError::Body(e) => Some(e),
        }
    }
}

/// The most bytes reserved up front on a size hint's word: a hint is the peer's claim (a
/// `Content-Length`), and a lie must not make the pool allocate, or try to allocate, more than
/// this before a byte arrives. A longer body grows as it arrives (to powers of two).
const MAX_PRESIZE: usize = 1 << 20;

/// What to reserve for a body with this size hint: its exact length, or its lower bound, at
/// most [`MAX_PRESIZE`]; `None` when nothing is known (then the pool's calibrated default size
/// serves). `Err` if the hint is already over the limit.
fn presize<B: Body>(body: &B, limit: usize) -> Result<Option<usize>, CollectError<B::Error>> {
    let hint = body.size_hint();
    let too_large = |n: u64| n > limit as u64;
    let reserve = |n: u64| usize::try_from(n).map_or(MAX_PRESIZE, |n| n.min(MAX_PRESIZE));
    if let Some(exact) = hint.exact() {
        return if too_large(exact) {
            Err(CollectError::TooLarge { limit })
        } else {
            Ok(Some(reserve(exact)))
        };
    }
    if too_large(hint.lower()) {
        return Err(CollectError::TooLarge { limit });
    }
    Ok(Some(reserve(hint.lower())).filter(|&n| n > 0))
}

/// Appends every data frame of `body` to `buf`, stopping with `TooLarge` past `limit` bytes.
/// Trailers are ignored.
async fn fill<B: Body>(
    buf: &mut ByteBuffer,
    body: B,
    limit: usize,
) -> Result<(), CollectError<B::Error>> {
    let mut body = pin!(body);
    while let Some(frame) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(CollectError::Body)?;
        if let Ok(mut data) = frame.into_data() {
            if data.remaining() > limit - buf.len() {
                return Err(CollectError::TooLarge { limit });
            }
            buf.grow(data.remaining());
            while data.has_remaining() {
                let chunk = data.chunk();
                let n = chunk.len();
                buf.extend_from_slice(chunk);
                data.advance(n);
            }
        }
    }
    Ok(())
}

impl ByteBufferPool {
    /// Collects an HTTP body into a buffer of this pool, held by an owned guard (`'static` and
    /// `Send`: it can be kept across `.await` and sent to other tasks). Pre-sizes the buffer
    /// from the body's size hint (which carries `Content-Length`), up to 1 MiB: the hint is the
    /// peer's word, so a larger body grows as it arrives, and a hint that lies (say, a
    /// `Content-Length` of 2^63 with no limit) allocates nothing more. A body of unknown
    /// length (chunked) gets a buffer of the calibrated default size. Feature `http-body`.
    ///
    /// Pass `&mut body` to keep the body, for instance to drain it after `TooLarge`.
    ///
    /// # Errors
    ///
    /// [`CollectError::TooLarge`] if the body is longer than `limit` bytes (known up front
    /// from an exact size hint, or found while reading), [`CollectError::Body`] if the body
    /// fails. Either way the buffer goes back to the pool.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use http_body_util::Full;
    ///
    /// let pool = Arc::new(bytebufferpool::ByteBufferPool::new());
    /// let body = Full::new(bytes::Bytes::from_static(b"{\"id\":1}"));
    /// let buf = pool.collect_body(body, 1 << 20).await.unwrap();
    /// assert_eq!(*buf, "{\"id\":1}");
    ///
    /// let too_big = Full::new(bytes::Bytes::from(vec![0u8; 100]));
    /// assert!(pool.collect_body(too_big, 10).await.unwrap_err().is_too_large());
    /// # });
    /// ```
    pub async fn collect_body<B: Body>(
        self: &Arc<Self>,
        body: B,
        limit: usize,
    ) -> Result<OwnedPooledBuffer, CollectError<B::Error>> {
        let mut guard = match presize(&body, limit)? {
            Some(n) => self.get_owned_with_capacity(n),
            None => self.get_owned(),
        };
        fill(&mut guard, body, limit).await?;
        Ok(guard)
    }
}

/// [`ByteBufferPool::collect_body`] into the global default pool. Feature `http-body`.
///
/// # Errors
///
/// As [`ByteBufferPool::collect_body`].
///
/// # Examples
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let body = http_body_util::Full::new(bytes::Bytes::from_static(b"hello"));
/// let buf = bytebufferpool::collect_body(body, 1024).await.unwrap();
/// assert_eq!(*buf, "hello");
/// # });
/// ```
pub async fn collect_body<B: Body>(
    body: B,
    limit: usize,
) -> Result<PooledBuffer<'static>, CollectError<B::Error>> {
    let pool = crate::default_pool();
    let mut guard = match presize(&body, limit)? {
        Some(n) => pool.get_with_capacity(n),
        None => pool.get(),
    };
    fill(&mut guard, body, limit).await?;
    Ok(guard)
}
