//! [`ByteBuffer`]: a growable byte buffer that feels like `Vec<u8>` and covers Go's `ByteBuffer`.

use std::borrow::{Borrow, BorrowMut};
use std::collections::TryReserveError;
use std::error::Error;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut, Index, IndexMut};
use std::slice::SliceIndex;
use std::str::Utf8Error;
use std::string::FromUtf8Error;
use std::{fmt, io, slice, vec};

/// A growable byte buffer: a `Vec<u8>` with the surface of Go's `bytebufferpool.ByteBuffer`.
///
/// `ByteBuffer` is what the pools of this crate hand out, but it is an ordinary owned type:
/// create one with [`new`](Self::new), write into it with [`extend_from_slice`], `write!`,
/// [`io::Write`] or [`fmt::Write`], read it as a `&[u8]` through `Deref`, and turn it into a
/// `Vec<u8>` without copying.
///
/// Every method of Go's `ByteBuffer` has a counterpart here under its std name; the Go name is
/// a rustdoc alias, so searching for `WriteString` finds [`push_str`](Self::push_str):
///
/// | Go | `ByteBuffer` |
/// |---|---|
/// | `Len` | [`len`](Self::len) |
/// | `Bytes` | [`as_slice`](Self::as_slice) (and `Deref<Target = [u8]>`) |
/// | `String` | [`to_string_lossy`](Self::to_string_lossy), [`as_str`](Self::as_str) |
/// | `Write` | [`extend_from_slice`](Self::extend_from_slice), [`io::Write`] |
/// | `WriteByte` | [`push`](Self::push) |
/// | `WriteString` | [`push_str`](Self::push_str), [`fmt::Write`] |
/// | `Set`, `SetString` | [`set`](Self::set), [`set_str`](Self::set_str) |
/// | `Reset` | [`clear`](Self::clear) |
/// | `ReadFrom` | [`read_from`](Self::read_from) |
/// | `WriteTo` | [`write_to`](Self::write_to) |
///
/// `write!` works whichever of [`io::Write`] and [`fmt::Write`] is in scope, both included,
/// through the inherent [`write_fmt`](Self::write_fmt).
///
/// # Growth
///
/// When a write needs room, the capacity grows to the next power of two that fits (at least
/// 8), so a buffer grown by its own writes always has a power-of-two capacity. The pools rely
/// on it: a buffer's capacity then tells which size class it serves, and Go's discard rule,
/// "capacity above `max_size`", no longer drops buffers whose *length* was within `max_size`
/// but whose capacity grew past it by non-doubling steps. Capacities set explicitly
/// ([`with_capacity`](Self::with_capacity), [`reserve_exact`](Self::reserve_exact), a `Vec`
/// adopted by `From`) are kept as given until the next growth.
///
/// `ByteBuffer` deliberately has no `Display`: bytes are not text. Its `Debug` prints a
/// byte-string literal such as `b"GET / HTTP/1.1\r\n"`.
///
/// # Examples
///
/// ```
/// use bytebufferpool::ByteBuffer;
/// use std::io::Write as _;
///
/// let mut buf = ByteBuffer::new();
/// buf.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
/// write!(buf, "Content-Length: {}\r\n\r\n", 5).unwrap();
/// buf.write_all(b"hello").unwrap();
/// assert!(buf.starts_with(b"HTTP/1.1"));
/// assert_eq!(buf.as_str(), Ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
///
/// let bytes: Vec<u8> = buf.into(); // no copy
/// assert_eq!(bytes.len(), 43);
/// ```
///
/// [`extend_from_slice`]: Self::extend_from_slice
#[derive(Default)]
pub struct ByteBuffer {
    buf: Vec<u8>,
}

impl ByteBuffer {
    /// Creates an empty buffer. It does not allocate until bytes are written.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::new();
    /// assert!(buf.is_empty());
    /// assert_eq!(buf.capacity(), 0);
    /// ```
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        Self { buf: Vec::new() }
    }

    /// Creates an empty buffer with room for at least `capacity` bytes.
    ///
    /// # Panics
    ///
    /// Panics if the capacity exceeds `isize::MAX` bytes, as [`Vec::with_capacity`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::with_capacity(4096);
    /// assert!(buf.is_empty());
    /// assert!(buf.capacity() >= 4096);
    /// ```
    #[inline]
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Returns the number of bytes in the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::from("abc");
    /// assert_eq!(buf.len(), 3);
    /// ```
    #[doc(alias = "Len")]
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Returns `true` if the buffer holds no bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::new();
    /// assert!(buf.is_empty());
    /// buf.push(b'x');
    /// assert!(!buf.is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Returns how many bytes the buffer can hold without reallocating.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::with_capacity(100);
    /// assert!(buf.capacity() >= 100);
    /// ```
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Returns the contents as a byte slice.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::from("abc");
    /// assert_eq!(buf.as_slice(), b"abc");
    /// ```
    #[doc(alias = "Bytes")]
    #[inline]
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Returns the contents as a mutable byte slice.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::from("abc");
    /// buf.as_mut_slice()[0] = b'A';
    /// assert_eq!(buf, "Abc");
    /// ```
    #[inline]
    #[must_use]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// Removes every byte and keeps the capacity, so the buffer can be filled again without
    /// allocating.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::from("some data");
    /// let capacity = buf.capacity();
    /// buf.clear();
    /// assert!(buf.is_empty());
    /// assert_eq!(buf.capacity(), capacity);
    /// ```
    #[doc(alias = "Reset")]
    #[inline]
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Shortens the buffer to `len` bytes, keeping the capacity. Does nothing if the buffer is
    /// already that short.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::from("hello world");
    /// buf.truncate(5);
    /// assert_eq!(buf, "hello");
    /// buf.truncate(50);
    /// assert_eq!(buf, "hello");
    /// ```
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Reserves room for at least `additional` more bytes; like every growth of a
    /// `ByteBuffer`, it rounds the new capacity up to a power of two (see the type's docs).
    ///
    /// # Panics
    ///
    /// Panics if the new capacity exceeds `isize::MAX` bytes. Use
    /// [`try_reserve`](Self::try_reserve) to get an error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::from("ab");
    /// buf.reserve(1000);
    /// assert!(buf.capacity() >= 1002);
    /// ```
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        self.grow(additional);
    }

    /// Reserves room for exactly `additional` more bytes, as [`Vec::reserve_exact`] does.
    ///
    /// # Panics
    ///
    /// Panics if the new capacity exceeds `isize::MAX` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::new();
    /// buf.reserve_exact(10);
    /// assert!(buf.capacity() >= 10);
    /// ```
    #[inline]
    pub fn reserve_exact(&mut self, additional: usize) {
        self.buf.reserve_exact(additional);
    }

    /// Tries to reserve room for at least `additional` more bytes; like
    /// [`reserve`](Self::reserve), it rounds the new capacity up to a power of two.
    ///
    /// # Errors
    ///
    /// Returns an error if the capacity would overflow or the allocator reports a failure; the
    /// buffer is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::new();
    /// assert!(buf.try_reserve(100).is_ok());
    /// assert_eq!(buf.capacity(), 128);
    /// assert!(buf.try_reserve(usize::MAX).is_err());
    /// ```
    #[inline]
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        if self.buf.capacity() - self.buf.len() >= additional {
            return Ok(());
        }
        let Some(needed) = self.buf.len().checked_add(additional) else {
            return self.buf.try_reserve(additional); // the overflow error, from `Vec`
        };
        self.buf
            .try_reserve_exact(grown_capacity(needed) - self.buf.len())
    }

    /// Appends one byte.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::new();
    /// buf.push(b'o');
    /// buf.push(b'k');
    /// assert_eq!(buf, "ok");
    /// ```
    #[doc(alias = "WriteByte")]
    #[inline]
    pub fn push(&mut self, byte: u8) {
        self.grow(1);
        self.buf.push(byte);
    }

    /// Removes the last byte and returns it, or `None` if the buffer is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::from("ab");
    /// assert_eq!(buf.pop(), Some(b'b'));
    /// assert_eq!(buf.pop(), Some(b'a'));
    /// assert_eq!(buf.pop(), None);
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<u8> {
        self.buf.pop()
    }

    /// Appends a slice of bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::new();
    /// buf.extend_from_slice(b"GET ");
    /// buf.extend_from_slice(b"/");
    /// assert_eq!(buf, "GET /");
    /// ```
    #[doc(alias = "Write")]
    #[inline]
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.grow(bytes.len());
        self.buf.extend_from_slice(bytes);
    }

    /// Appends the UTF-8 bytes of a string.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::new();
    /// buf.push_str("héllo");
    /// assert_eq!(buf.len(), 6);
    /// ```
    #[doc(alias = "WriteString")]
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }

    /// Replaces the contents with `bytes`, reusing the capacity already allocated.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::with_capacity(64);
    /// buf.extend_from_slice(b"old contents");
    /// buf.set(b"new");
    /// assert_eq!(buf, "new");
    /// assert!(buf.capacity() >= 64);
    /// ```
    #[doc(alias = "Set")]
    #[inline]
    pub fn set(&mut self, bytes: &[u8]) {
        self.buf.clear();
        self.extend_from_slice(bytes);
    }

    /// Replaces the contents with the UTF-8 bytes of `s`, reusing the capacity already allocated.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::from("old");
    /// buf.set_str("new contents");
    /// assert_eq!(buf, "new contents");
    /// ```
    #[doc(alias = "SetString")]
    #[inline]
    pub fn set_str(&mut self, s: &str) {
        self.set(s.as_bytes());
    }

    /// Resizes the buffer to `new_len` bytes, filling new room with `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::from("ab");
    /// buf.resize(4, b'.');
    /// assert_eq!(buf, "ab..");
    /// buf.resize(1, 0);
    /// assert_eq!(buf, "a");
    /// ```
    #[inline]
    pub fn resize(&mut self, new_len: usize, value: u8) {
        self.grow(new_len.saturating_sub(self.buf.len()));
        self.buf.resize(new_len, value);
    }

    /// The vector inside, for the feature integration that drives `Vec<u8>` APIs
    /// (`bytes::BufMut`).
    #[cfg(feature = "bytes")]
    #[inline]
    pub(crate) fn vec_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Makes room for `additional` more bytes, growing to the next power of two.
    #[inline]
    pub(crate) fn grow(&mut self, additional: usize) {
        if self.buf.capacity() - self.buf.len() < additional {
            self.grow_slow(additional);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_slow(&mut self, additional: usize) {
        // Saturating: `Vec` reports the overflow.
        let needed = self.buf.len().saturating_add(additional);
        self.buf
            .reserve_exact(grown_capacity(needed) - self.buf.len());
    }

    /// Reads from `reader` until end of file, **appending** to the buffer, and returns how many
    /// bytes this call read. Like Go's `ReadFrom`, it never discards what is already in the
    /// buffer. Reads interrupted by [`io::ErrorKind::Interrupted`] are retried. The buffer
    /// grows as every write grows it, to powers of two (see the type's docs), and not before
    /// the reader has shown that there is more to read: a body that fills the capacity
    /// exactly leaves it as it was.
    ///
    /// # Errors
    ///
    /// Returns the first other error of `reader`. The bytes read before the error stay in the
    /// buffer: nothing that was read is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = bytebufferpool::ByteBuffer::from("head:");
    /// let n = buf.read_from(&b"body"[..]).unwrap();
    /// assert_eq!(n, 4);
    /// assert_eq!(buf, "head:body");
    /// ```
    #[doc(alias = "ReadFrom")]
    pub fn read_from<R: io::Read>(&mut self, mut reader: R) -> io::Result<usize> {
        // std's `read_to_end` appends, retries `Interrupted`, reads into spare capacity without
        // zeroing it, and keeps the bytes already read when it returns an error. But it grows
        // the `Vec` by its own steps (to a reader's size hint, exactly), so it is only ever
        // given the spare capacity: `take` stops it there, and it probes for the end of file
        // without growing when the spare capacity is full. The growth is ours.
        use io::Read as _;
        let start = self.buf.len();
        loop {
            let spare = self.buf.capacity() - self.buf.len();
            if spare == 0 {
                let mut probe = [0u8; 32];
                let n = loop {
                    match reader.read(&mut probe) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                if n == 0 {
                    return Ok(self.buf.len() - start);
                }
                self.extend_from_slice(&probe[..n]);
                continue;
            }
            let n = reader
                .by_ref()
                .take(spare as u64)
                .read_to_end(&mut self.buf)?;
            if n < spare {
                // `read_to_end` stops below the limit only at the reader's end of file.
                return Ok(self.buf.len() - start);
            }
        }
    }

    /// Writes the whole contents to `writer` and returns how many bytes were written. The
    /// buffer is **not** drained: calling it twice writes the contents twice, as Go's `WriteTo`
    /// does.
    ///
    /// # Errors
    ///
    /// Returns the error of [`io::Write::write_all`] on `writer`; how much was written before
    /// it is unknown then.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::from("ping ");
    /// let mut out = Vec::new();
    /// assert_eq!(buf.write_to(&mut out).unwrap(), 5);
    /// assert_eq!(buf.write_to(&mut out).unwrap(), 5);
    /// assert_eq!(out, b"ping ping ");
    /// ```
    #[doc(alias = "WriteTo")]
    pub fn write_to<W: io::Write>(&self, mut writer: W) -> io::Result<usize> {
        writer.write_all(&self.buf)?;
        Ok(self.buf.len())
    }

    /// Returns the contents as a `&str` if they are valid UTF-8.
    ///
    /// # Errors
    ///
    /// Returns the [`Utf8Error`] that tells where the first invalid byte is.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::from("text");
    /// assert_eq!(buf.as_str(), Ok("text"));
    /// let bad = bytebufferpool::ByteBuffer::from(&[0xff, b'a'][..]);
    /// assert!(bad.as_str().is_err());
    /// ```
    #[doc(alias = "String")]
    #[inline]
    pub fn as_str(&self) -> Result<&str, Utf8Error> {
        std::str::from_utf8(&self.buf)
    }

    /// Returns the contents as text, replacing invalid UTF-8 with `U+FFFD`, as Go's `String`
    /// does with a `string(b)` conversion. Borrows when the contents are valid UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::from(&b"ok\xff"[..]);
    /// assert_eq!(buf.to_string_lossy(), "ok\u{fffd}");
    /// ```
    #[doc(alias = "String")]
    #[must_use]
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.buf)
    }

    /// Converts the buffer into a `Vec<u8>` without copying.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::from("abc");
    /// assert_eq!(buf.into_vec(), b"abc".to_vec());
    /// ```
    #[inline]
    #[must_use]
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// Converts the buffer into a `String` without copying, if it is valid UTF-8.
    ///
    /// # Errors
    ///
    /// Returns a [`FromUtf8Error`], from which [`FromUtf8Error::into_bytes`] gives the bytes
    /// back: nothing is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = bytebufferpool::ByteBuffer::from("abc");
    /// assert_eq!(buf.into_string().unwrap(), "abc");
    /// ```
    #[inline]
    pub fn into_string(self) -> Result<String, FromUtf8Error> {
        String::from_utf8(self.buf)
    }

    /// Formats into the buffer; this is what `write!(buf, ...)` calls.
    ///
    /// `ByteBuffer` implements both [`io::Write`] and [`fmt::Write`], and a type with both
    /// makes `write!` ambiguous when both traits are imported. This inherent method takes
    /// precedence over both, so `write!` compiles whichever traits are in scope. Its error
    /// type, [`FormatError`], converts into [`io::Error`] and [`fmt::Error`], so `?` works in a
    /// function returning either.
    ///
    /// # Errors
    ///
    /// Appending to a `ByteBuffer` cannot fail; an error comes only from a `Display` or `Debug`
    /// implementation that returned one. The bytes it wrote before failing stay in the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fmt::Write as _;
    /// use std::io::Write as _;
    ///
    /// let mut buf = bytebufferpool::ByteBuffer::new();
    /// write!(buf, "{}-{}", 4, 2).unwrap();
    /// buf.write_all(b"!").unwrap();
    /// buf.write_str("?").unwrap();
    /// assert_eq!(buf, "4-2!?");
    /// ```
    #[inline]
    pub fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> Result<(), FormatError> {
        fmt::Write::write_fmt(self, args).map_err(|_| FormatError(()))
    }
}

/// The error of [`ByteBuffer::write_fmt`]: a formatting trait implementation returned an error.
///
/// It converts into [`fmt::Error`] and [`io::Error`] (of kind [`io::ErrorKind::Other`]), so
/// `write!(buf, ...)?` works in functions returning either.
///
/// # Examples
///
/// ```
/// use std::fmt;
///
/// fn render(buf: &mut bytebufferpool::ByteBuffer) -> std::io::Result<()> {
///     write!(buf, "{}", 1)?; // FormatError -> io::Error
///     Ok(())
/// }
/// fn render_fmt(buf: &mut bytebufferpool::ByteBuffer) -> fmt::Result {
///     write!(buf, "{}", 2)?; // FormatError -> fmt::Error
///     Ok(())
/// }
/// let mut buf = bytebufferpool::ByteBuffer::new();
/// render(&mut buf).unwrap();
/// render_fmt(&mut buf).unwrap();
/// assert_eq!(buf, "12");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatError(());

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a formatting trait implementation returned an error")
    }
}

impl Error for FormatError {}

impl From<FormatError> for fmt::Error {
    #[inline]
    fn from(_: FormatError) -> Self {
        fmt::Error
    }
}

impl From<FormatError> for io::Error {
    fn from(e: FormatError) -> Self {
        io::Error::other(e)
    }
}

/// The capacity a growth to hold `needed` bytes gives: the next power of two (at least 8), or
/// `needed` itself past the largest power of two.
fn grown_capacity(needed: usize) -> usize {
    needed.checked_next_power_of_two().unwrap_or(needed).max(8)
}

// ---- io::Write / fmt::Write ------------------------------------------------------------------

impl io::Write for ByteBuffer {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let n = bufs.iter().map(|b| b.len()).sum();
        self.grow(n);
        bufs.iter().for_each(|b| self.buf.extend_from_slice(b));
        Ok(n)
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.extend_from_slice(buf);
        Ok(())
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Write for ByteBuffer {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }

    #[inline]
    fn write_char(&mut self, c: char) -> fmt::Result {
        self.push_str(c.encode_utf8(&mut [0; 4]));
        Ok(())
    }
}

// ---- Deref, AsRef, Borrow, Index ---------------------------------------------------------------

impl Deref for ByteBuffer {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl DerefMut for ByteBuffer {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl AsRef<[u8]> for ByteBuffer {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl AsMut<[u8]> for ByteBuffer {
    #[inline]
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl Borrow<[u8]> for ByteBuffer {
    #[inline]
    fn borrow(&self) -> &[u8] {
        &self.buf
    }
}

impl BorrowMut<[u8]> for ByteBuffer {
    #[inline]
    fn borrow_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl<I: SliceIndex<[u8]>> Index<I> for ByteBuffer {
    type Output = I::Output;

    #[inline]
    fn index(&self, index: I) -> &I::Output {
        &self.buf[index]
    }
}

impl<I: SliceIndex<[u8]>> IndexMut<I> for ByteBuffer {
    #[inline]
    fn index_mut(&mut self, index: I) -> &mut I::Output {
        &mut self.buf[index]
    }
}

// ---- Clone, Debug, Hex, Eq, Ord, Hash ----------------------------------------------------------

impl Clone for ByteBuffer {
    #[inline]
    fn clone(&self) -> Self {
        Self {
            buf: self.buf.clone(),
        }
    }

    /// Reuses `self`'s allocation where it is large enough.
    #[inline]
    fn clone_from(&mut self, source: &Self) {
        self.buf.clone_from(&source.buf);
    }
}

/// Prints a byte-string literal, `b"..."`, escaping as [`bytes::Bytes`] does: `\n`, `\r`,
/// `\t`, `\\`, `\"`, `\0`, printable ASCII as is, every other byte as `\xNN`.
///
/// [`bytes::Bytes`]: https://docs.rs/bytes/latest/bytes/struct.Bytes.html
impl fmt::Debug for ByteBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b\"")?;
        for &b in &self.buf {
            match b {
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                b'\t' => f.write_str("\\t")?,
                b'\\' | b'"' => write!(f, "\\{}", b as char)?,
                b'\0' => f.write_str("\\0")?,
                0x20..=0x7e => fmt::Write::write_char(f, b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str("\"")
    }
}

/// Prints every byte as two lowercase hex digits, with no separator.
impl fmt::LowerHex for ByteBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.buf.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Prints every byte as two uppercase hex digits, with no separator.
impl fmt::UpperHex for ByteBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.buf.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

impl PartialEq for ByteBuffer {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.buf == other.buf
    }
}

impl Eq for ByteBuffer {}

impl PartialOrd for ByteBuffer {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByteBuffer {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

/// Hashes exactly as the `[u8]` it holds, as [`Borrow<[u8]>`](Borrow) requires.
impl Hash for ByteBuffer {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

/// `ByteBuffer == rhs` and `rhs == ByteBuffer`, comparing bytes.
macro_rules! impl_eq {
    ($([$($g:tt)*] $rhs:ty => |$o:ident| $as_slice:expr;)*) => {$(
        impl<$($g)*> PartialEq<$rhs> for ByteBuffer {
            #[inline]
            fn eq(&self, $o: &$rhs) -> bool {
                self.as_slice() == $as_slice
            }
        }

        impl<$($g)*> PartialEq<ByteBuffer> for $rhs {
            #[inline]
            fn eq(&self, other: &ByteBuffer) -> bool {
                other == self
            }
        }
    )*};
}

impl_eq! {
    [] [u8] => |o| o;
    ['a] &'a [u8] => |o| *o;
    [const N: usize] [u8; N] => |o| &o[..];
    ['a, const N: usize] &'a [u8; N] => |o| &o[..];
    [] Vec<u8> => |o| o.as_slice();
    [] str => |o| o.as_bytes();
    ['a] &'a str => |o| o.as_bytes();
    [] String => |o| o.as_bytes();
}

// ---- Conversions ---------------------------------------------------------------------------------

impl From<Vec<u8>> for ByteBuffer {
    /// Adopts the vector's allocation; no copy.
    #[inline]
    fn from(buf: Vec<u8>) -> Self {
        Self { buf }
    }
}

impl From<String> for ByteBuffer {
    /// Adopts the string's allocation; no copy.
    #[inline]
    fn from(s: String) -> Self {
        Self {
            buf: s.into_bytes(),
        }
    }
}

impl From<Box<[u8]>> for ByteBuffer {
    /// Adopts the boxed slice's allocation; no copy.
    #[inline]
    fn from(b: Box<[u8]>) -> Self {
        Self { buf: b.into_vec() }
    }
}

impl From<&[u8]> for ByteBuffer {
    #[inline]
    fn from(b: &[u8]) -> Self {
        Self { buf: b.to_vec() }
    }
}

impl From<&str> for ByteBuffer {
    #[inline]
    fn from(s: &str) -> Self {
        Self {
            buf: s.as_bytes().to_vec(),
        }
    }
}

impl<const N: usize> From<[u8; N]> for ByteBuffer {
    #[inline]
    fn from(b: [u8; N]) -> Self {
        Self { buf: b.to_vec() }
    }
}

impl<const N: usize> From<&[u8; N]> for ByteBuffer {
    #[inline]
    fn from(b: &[u8; N]) -> Self {
        Self { buf: b.to_vec() }
    }
}

impl From<ByteBuffer> for Vec<u8> {
    /// Gives up the buffer's allocation; no copy.
    #[inline]
    fn from(b: ByteBuffer) -> Self {
        b.buf
    }
}

// ---- Iterators -----------------------------------------------------------------------------------

impl Extend<u8> for ByteBuffer {
    #[inline]
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.grow(iter.size_hint().0);
        iter.for_each(|b| self.push(b));
    }
}

impl<'a> Extend<&'a u8> for ByteBuffer {
    #[inline]
    fn extend<I: IntoIterator<Item = &'a u8>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

impl FromIterator<u8> for ByteBuffer {
    #[inline]
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Self {
        Self {
            buf: Vec::from_iter(iter),
        }
    }
}

impl<'a> FromIterator<&'a u8> for ByteBuffer {
    #[inline]
    fn from_iter<I: IntoIterator<Item = &'a u8>>(iter: I) -> Self {
        Self {
            buf: iter.into_iter().copied().collect(),
        }
    }
}

impl IntoIterator for ByteBuffer {
    type Item = u8;
    type IntoIter = vec::IntoIter<u8>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.buf.into_iter()
    }
}

impl<'a> IntoIterator for &'a ByteBuffer {
    type Item = &'a u8;
    type IntoIter = slice::Iter<'a, u8>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.buf.iter()
    }
}

impl<'a> IntoIterator for &'a mut ByteBuffer {
    type Item = &'a mut u8;
    type IntoIter = slice::IterMut<'a, u8>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.buf.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_escapes_like_bytes() {
        let buf = ByteBuffer::from(&b"a\"\\\n\r\t\0\x7f\xff~ "[..]);
        assert_eq!(format!("{buf:?}"), r#"b"a\"\\\n\r\t\0\x7f\xff~ ""#);
    }

    #[test]
    fn hex() {
        let buf = ByteBuffer::from(&[0x0a, 0xff][..]);
        assert_eq!(format!("{buf:x}"), "0aff");
        assert_eq!(format!("{buf:X}"), "0AFF");
    }
}
