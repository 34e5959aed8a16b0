//! Feature `bytes`: `bytes::BufMut` for [`ByteBuffer`], and conversions into `bytes::Bytes`
//! without copying.

use bytes::buf::UninitSlice;
use bytes::{Buf, BufMut, Bytes};

use crate::{ByteBuffer, OwnedPooledBuffer, PooledBuffer};

// SAFETY: every method forwards to `bytes`' own `unsafe impl BufMut for Vec<u8>` on the
// vector inside, which upholds the trait's contract:
// - `remaining_mut`, `chunk_mut` and `advance_mut` describe and advance that vector's spare
//   capacity and length, and nothing else touches them in between;
// - `grow` (our power-of-two growth) only reserves capacity; it never shortens the vector or
//   exposes uninitialised bytes.
#[allow(unsafe_code)]
unsafe impl BufMut for ByteBuffer {
    #[inline]
    fn remaining_mut(&self) -> usize {
        isize::MAX as usize - self.len()
    }

    #[inline]
    unsafe fn advance_mut(&mut self, cnt: usize) {
        // SAFETY: the caller's contract (the first `cnt` bytes of `chunk_mut` are initialised)
        // is the same contract, for the same vector, that `Vec<u8>::advance_mut` requires.
        unsafe { self.vec_mut().advance_mut(cnt) }
    }

    #[inline]
    fn chunk_mut(&mut self) -> &mut UninitSlice {
        if self.capacity() == self.len() {
            self.grow(64); // as `Vec<u8>` does, but to a power of two
        }
        self.vec_mut().chunk_mut()
    }

    #[inline]
    fn put<T: Buf>(&mut self, mut src: T)
    where
        Self: Sized,
    {
        self.grow(src.remaining());
        while src.has_remaining() {
            let chunk = src.chunk();
            let n = chunk.len();
            self.extend_from_slice(chunk);
            src.advance(n);
        }
    }

    #[inline]
    fn put_slice(&mut self, src: &[u8]) {
        self.extend_from_slice(src);
    }

    #[inline]
    fn put_bytes(&mut self, val: u8, cnt: usize) {
        let len = self.len().saturating_add(cnt);
        self.resize(len, val);
    }
}

impl From<ByteBuffer> for Bytes {
    /// Moves the buffer's allocation into a `Bytes`; no copy.
    #[inline]
    fn from(buf: ByteBuffer) -> Self {
        Bytes::from(buf.into_vec())
    }
}

impl ByteBuffer {
    /// Converts the buffer into an immutable, cheaply cloneable `bytes::Bytes`, without
    /// copying. Feature `bytes`.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::from("frozen");
    /// let bytes: bytes::Bytes = buf.freeze();
    /// assert_eq!(&bytes[..], b"frozen");
    /// ```
    #[inline]
    pub fn freeze(self) -> Bytes {
        Bytes::from(self)
    }
}

impl From<OwnedPooledBuffer> for Bytes {
    /// Wraps the guard in a `Bytes` without copying (`Bytes::from_owner`): the buffer goes
    /// back to its pool when the last clone of the `Bytes` is dropped.
    #[inline]
    fn from(guard: OwnedPooledBuffer) -> Self {
        Bytes::from_owner(guard)
    }
}

impl OwnedPooledBuffer {
    /// Freezes the pooled buffer into a `bytes::Bytes` without copying; the buffer returns to
    /// the pool when the last clone of the `Bytes` is dropped. Feature `bytes`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(bytebufferpool::ByteBufferPool::new());
    /// let mut buf = pool.get_owned();
    /// buf.extend_from_slice(b"shared");
    /// let bytes = buf.freeze();
    /// let clone = bytes.clone();
    /// drop(bytes);
    /// assert_eq!(pool.stats().puts, 0); // a clone still holds it
    /// drop(clone);
    /// assert_eq!(pool.stats().puts, 1); // back in the pool
    /// ```
    #[inline]
    pub fn freeze(self) -> Bytes {
        Bytes::from(self)
    }
}

impl From<PooledBuffer<'static>> for Bytes {
    /// A guard of the global pool (or any `'static` pool) into `Bytes`, as for
    /// [`OwnedPooledBuffer`]: the buffer returns when the last clone drops.
    #[inline]
    fn from(guard: PooledBuffer<'static>) -> Self {
        Bytes::from_owner(guard)
    }
}
