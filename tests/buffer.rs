//! Public behaviour of `ByteBuffer`: Go's own `ByteBuffer` tests re-expressed, every trait, and a
//! model-based property test against `Vec<u8>`.

// Both `Write` traits at once: `write!` must still resolve (the inherent `write_fmt`).
use std::fmt::Write as _;
use std::io::Write as _;

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{self, Read};
use std::mem::size_of;

use bytebufferpool::{ByteBuffer, FormatError};
use proptest::prelude::*;

// ---- Go's bytebuffer_test.go -----------------------------------------------------------------

/// Go's `TestByteBufferReadFrom`: 20 rounds, each appending the whole reader after what is there.
#[test]
fn go_read_from_appends() {
    let prefix = "foobar";
    let expected = "asadfsdafsadfasdfisdsdfa";
    let mut bb = ByteBuffer::new();
    bb.push_str(prefix);
    for i in 0..20 {
        let n = bb.read_from(io::Cursor::new(expected)).unwrap();
        assert_eq!(n, expected.len(), "round {i}");
        assert_eq!(
            bb.len(),
            prefix.len() + (i + 1) * expected.len(),
            "round {i}"
        );
        assert_eq!(&bb[..prefix.len()], prefix.as_bytes());
        for j in 0..=i {
            let start = prefix.len() + j * expected.len();
            assert_eq!(
                &bb[start..start + expected.len()],
                expected.as_bytes(),
                "round {i}"
            );
        }
    }
}

/// Go's `TestByteBufferWriteTo`: 10 rounds, each writing the whole contents; nothing is drained.
#[test]
fn go_write_to_does_not_drain() {
    let expected = "foobarbaz";
    let mut bb = ByteBuffer::new();
    bb.push_str(&expected[..3]);
    bb.push_str(&expected[3..]);
    let mut w = Vec::new();
    for i in 0..10 {
        let n = bb.write_to(&mut w).unwrap();
        assert_eq!(n, expected.len(), "round {i}");
        assert_eq!(w, expected.as_bytes(), "round {i}");
        w.clear();
    }
    assert_eq!(bb, expected);
}

#[test]
fn write_to_twice_writes_twice() {
    let bb = ByteBuffer::from("ab");
    let mut w = Vec::new();
    bb.write_to(&mut w).unwrap();
    bb.write_to(&mut w).unwrap();
    assert_eq!(w, b"abab");
}

#[test]
fn write_to_reports_writer_errors() {
    struct Full;
    impl io::Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let bb = ByteBuffer::from("data");
    let err = bb.write_to(Full).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    assert_eq!(bb, "data", "a failed write_to leaves the buffer as it was");
}

/// Go's `Set` / `SetString`: replace the contents, reuse the capacity.
#[test]
fn go_set_and_set_str_reuse_capacity() {
    let mut bb = ByteBuffer::with_capacity(128);
    bb.push_str("some old contents");
    let ptr = bb.as_ptr();
    let cap = bb.capacity();
    bb.set(b"new");
    assert_eq!(bb, "new");
    assert_eq!(bb.capacity(), cap);
    assert_eq!(
        bb.as_ptr(),
        ptr,
        "set must not reallocate when the capacity suffices"
    );
    bb.set_str("newer contents");
    assert_eq!(bb, "newer contents");
    assert_eq!(bb.as_ptr(), ptr);
}

/// Go's `Reset`: empties, keeps the capacity.
#[test]
fn go_reset_keeps_capacity() {
    let mut bb = ByteBuffer::new();
    bb.extend_from_slice(&[7; 1000]);
    let cap = bb.capacity();
    bb.clear();
    assert!(bb.is_empty());
    assert_eq!(bb.len(), 0);
    assert_eq!(bb.capacity(), cap);
}

/// Go's `Len`, `Write`, `WriteByte`, `WriteString`, `Bytes`, `String`.
#[test]
fn go_write_methods() {
    let mut bb = ByteBuffer::new();
    assert_eq!(bb.write(b"ab").unwrap(), 2);
    bb.push(b'c');
    bb.push_str("dé");
    assert_eq!(bb.len(), 6);
    assert_eq!(bb.as_slice(), "abcdé".as_bytes());
    assert_eq!(bb.to_string_lossy(), "abcdé");
    assert_eq!(bb.as_str(), Ok("abcdé"));
}

// ---- read_from and failing readers -----------------------------------------------------------

/// A reader that hands out its chunks, then fails (or returns EOF).
struct Chunks {
    chunks: Vec<io::Result<Vec<u8>>>,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.chunks.is_empty() {
            return Ok(0);
        }
        match self.chunks.remove(0) {
            Ok(c) => {
                out[..c.len()].copy_from_slice(&c);
                Ok(c.len())
            }
            Err(e) => Err(e),
        }
    }
}

#[test]
fn read_from_failing_reader_keeps_bytes_read() {
    let mut bb = ByteBuffer::from("prefix:");
    let reader = Chunks {
        chunks: vec![
            Ok(b"abc".to_vec()),
            Ok(b"def".to_vec()),
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "peer went away",
            )),
            Ok(b"never read".to_vec()),
        ],
    };
    let err = bb.read_from(reader).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(bb, "prefix:abcdef", "bytes read before the error must stay");
}

#[test]
fn read_from_retries_interrupted() {
    let mut bb = ByteBuffer::new();
    let reader = Chunks {
        chunks: vec![
            Ok(b"ab".to_vec()),
            Err(io::Error::from(io::ErrorKind::Interrupted)),
            Ok(b"cd".to_vec()),
        ],
    };
    assert_eq!(bb.read_from(reader).unwrap(), 4);
    assert_eq!(bb, "abcd");
}

#[test]
fn read_from_large_input_returns_this_calls_count() {
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let mut bb = ByteBuffer::from("xy");
    assert_eq!(bb.read_from(&data[..]).unwrap(), data.len());
    assert_eq!(bb.len(), data.len() + 2);
    assert_eq!(&bb[2..], &data[..]);
    assert_eq!(bb.read_from(io::empty()).unwrap(), 0);
}

/// A reader that hands out one byte per call.
struct ByteByByte<'a>(&'a [u8]);

impl Read for ByteByByte<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), out.is_empty()) {
            (Some((&b, rest)), false) => {
                out[0] = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// `read_from` grows as every write does, to powers of two, whatever the reader: a slice
/// (whose `read_to_end` reserves its exact length), a trickle, and after an explicit
/// capacity. So a body read into a pooled buffer is kept whenever its length is within
/// `max_size` (see `tests/byte_pool.rs`).
#[test]
fn read_from_grows_to_powers_of_two() {
    let data: Vec<u8> = (0..32_000u32).map(|i| (i % 251) as u8).collect();
    let mut bb = ByteBuffer::new();
    bb.read_from(&data[..20_000]).unwrap();
    assert_eq!(bb.capacity(), 32_768);
    bb.read_from(&data[20_000..]).unwrap();
    assert_eq!((bb.len(), bb.capacity()), (32_000, 32_768));
    assert_eq!(bb, data[..]);

    let mut trickle = ByteBuffer::new();
    assert_eq!(
        trickle.read_from(ByteByByte(&data[..1_000])).unwrap(),
        1_000
    );
    assert_eq!((trickle.capacity(), &trickle[..]), (1_024, &data[..1_000]));

    let mut sized = ByteBuffer::with_capacity(8_192);
    sized.read_from(&data[..20_000]).unwrap();
    assert_eq!(
        sized.capacity(),
        32_768,
        "from 8 KiB, to the power of two that fits"
    );

    let mut empty = ByteBuffer::new();
    assert_eq!(empty.read_from(io::empty()).unwrap(), 0);
    assert_eq!(empty.capacity(), 0, "nothing to read: no allocation");
}

/// A body that fills the capacity exactly leaves it as it was: the end of file is found
/// without growing.
#[test]
fn read_from_exact_fit_does_not_grow() {
    let mut bb = ByteBuffer::with_capacity(64);
    assert_eq!(bb.read_from(&[7u8; 64][..]).unwrap(), 64);
    assert_eq!((bb.len(), bb.capacity()), (64, 64));
    let mut trickle = ByteBuffer::with_capacity(64);
    assert_eq!(trickle.read_from(ByteByByte(&[7u8; 64])).unwrap(), 64);
    assert_eq!(trickle.capacity(), 64);
}

/// An interruption on the probe for the end of file (the buffer full) is retried too, and an
/// error there keeps what was read.
#[test]
fn read_from_probe_retries_interrupted_and_keeps_bytes_on_error() {
    let mut bb = ByteBuffer::new();
    let reader = Chunks {
        chunks: vec![
            Err(io::Error::from(io::ErrorKind::Interrupted)),
            Ok(b"ab".to_vec()),
        ],
    };
    assert_eq!(bb.read_from(reader).unwrap(), 2);
    assert_eq!(bb, "ab");

    let mut full = ByteBuffer::with_capacity(3);
    let reader = Chunks {
        chunks: vec![
            Ok(b"abc".to_vec()),
            Err(io::Error::from(io::ErrorKind::BrokenPipe)),
        ],
    };
    let err = full.read_from(reader).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(full, "abc");
}

// ---- write! with both Write traits in scope --------------------------------------------------

#[test]
fn write_macro_with_both_traits_in_scope() {
    let mut buf = ByteBuffer::new();
    write!(buf, "{}", 42).unwrap();
    buf.write_all(b"..").unwrap(); // io::Write
    buf.write_str("!").unwrap(); // fmt::Write
    buf.write_char('é').unwrap();
    writeln!(buf, " {:>3}", 7).unwrap();
    assert_eq!(buf, "42..!é   7\n");
}

#[test]
fn write_macro_question_mark_in_io_and_fmt_functions() {
    fn io_fn(buf: &mut ByteBuffer) -> io::Result<()> {
        write!(buf, "io{}", 1)?;
        Ok(())
    }
    fn fmt_fn(buf: &mut ByteBuffer) -> std::fmt::Result {
        write!(buf, "fmt{}", 2)?;
        Ok(())
    }
    fn boxed_fn(buf: &mut ByteBuffer) -> Result<(), Box<dyn std::error::Error>> {
        write!(buf, "box{}", 3)?;
        Ok(())
    }
    let mut buf = ByteBuffer::new();
    io_fn(&mut buf).unwrap();
    fmt_fn(&mut buf).unwrap();
    boxed_fn(&mut buf).unwrap();
    assert_eq!(buf, "io1fmt2box3");
}

#[test]
fn write_fmt_reports_a_failing_display() {
    struct Failing;
    impl std::fmt::Display for Failing {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("part")?;
            Err(std::fmt::Error)
        }
    }
    let mut buf = ByteBuffer::new();
    let err: FormatError = write!(buf, "a{}", Failing).unwrap_err();
    assert_eq!(buf, "apart", "bytes written before the error stay");
    let io_err: io::Error = err.into();
    assert_eq!(io_err.kind(), io::ErrorKind::Other);
    let _: std::fmt::Error = err.into();
    assert!(!err.to_string().is_empty());
}

#[test]
fn generic_writers_accept_byte_buffer() {
    fn via_io<W: io::Write>(mut w: W) {
        w.write_all(b"io,").unwrap();
        let n = w
            .write_vectored(&[io::IoSlice::new(b"ve"), io::IoSlice::new(b"c,")])
            .unwrap();
        assert_eq!(n, 4);
        w.flush().unwrap();
    }
    fn via_fmt<W: std::fmt::Write>(mut w: W) {
        w.write_str("fmt").unwrap();
    }
    let mut buf = ByteBuffer::new();
    via_io(&mut buf);
    via_fmt(&mut buf);
    assert_eq!(buf, "io,vec,fmt");
}

// ---- every trait -----------------------------------------------------------------------------

#[test]
fn default_and_new_do_not_allocate() {
    assert_eq!(ByteBuffer::default().capacity(), 0);
    assert_eq!(ByteBuffer::new().capacity(), 0);
    const EMPTY: ByteBuffer = ByteBuffer::new();
    assert!(EMPTY.is_empty());
}

#[test]
fn deref_asref_borrow_index() {
    use std::borrow::{Borrow, BorrowMut};
    let mut buf = ByteBuffer::from("hello");
    assert_eq!(&*buf, b"hello");
    assert_eq!(buf.first(), Some(&b'h')); // slice methods through Deref
    buf.make_ascii_uppercase(); // DerefMut
    assert_eq!(buf, "HELLO");
    assert_eq!(AsRef::<[u8]>::as_ref(&buf), b"HELLO");
    AsMut::<[u8]>::as_mut(&mut buf)[0] = b'J';
    assert_eq!(Borrow::<[u8]>::borrow(&buf), b"JELLO");
    BorrowMut::<[u8]>::borrow_mut(&mut buf)[1] = b'e';
    assert_eq!(buf[0], b'J');
    assert_eq!(&buf[1..3], b"eL");
    assert_eq!(&buf[..], b"JeLLO");
    buf[4] = b'!';
    buf[..2].copy_from_slice(b"ab");
    assert_eq!(buf, "abLL!");
}

#[test]
#[should_panic]
fn index_out_of_bounds_panics_like_a_slice() {
    let buf = ByteBuffer::from("ab");
    let _ = buf[2];
}

#[test]
fn hash_map_lookup_by_slice() {
    let mut map = HashMap::new();
    map.insert(ByteBuffer::from("key"), 1);
    assert_eq!(map.get(&b"key"[..]), Some(&1));
    fn h<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut s = DefaultHasher::new();
        t.hash(&mut s);
        s.finish()
    }
    assert_eq!(h(&ByteBuffer::from("xyz")), h(&b"xyz"[..]));
}

#[test]
fn eq_and_ord() {
    let a = ByteBuffer::from("abc");
    let b = ByteBuffer::from("abd");
    assert!(a < b);
    assert_eq!(a.cmp(&a.clone()), std::cmp::Ordering::Equal);
    assert_eq!(a.partial_cmp(&b), Some(std::cmp::Ordering::Less));
    assert_ne!(a, b);
    // Both directions, every right-hand side.
    let v: Vec<u8> = b"abc".to_vec();
    let s = String::from("abc");
    assert!(a == b"abc"[..]);
    assert!(b"abc"[..] == a);
    let sl: &[u8] = b"abc";
    assert!(a == sl);
    assert!(sl == a);
    assert!(a == *b"abc");
    assert!(*b"abc" == a);
    assert!(a == b"abc");
    assert!(b"abc" == a);
    assert!(a == v);
    assert!(v == a);
    assert!(a == *"abc");
    assert!(*"abc" == a);
    assert!(a == "abc");
    assert!("abc" == a);
    assert!(a == s);
    assert!(s == a);
    assert!(a != "abd");
    assert!("abd" != a);
}

#[test]
fn clone_and_clone_from_reuse_capacity() {
    let src = ByteBuffer::from("source");
    let c = src.clone();
    assert_eq!(c, src);
    let mut dst = ByteBuffer::with_capacity(256);
    let ptr = dst.as_ptr();
    dst.clone_from(&src);
    assert_eq!(dst, "source");
    assert_eq!(
        dst.as_ptr(),
        ptr,
        "clone_from reuses the destination's allocation"
    );
}

#[test]
fn debug_is_a_byte_string() {
    let buf = ByteBuffer::from(&b"GET / HTTP/1.1\r\n\x00\xfe"[..]);
    assert_eq!(format!("{buf:?}"), r#"b"GET / HTTP/1.1\r\n\0\xfe""#);
    assert_eq!(format!("{:?}", ByteBuffer::new()), r#"b"""#);
}

#[test]
fn conversions() {
    let v = vec![1u8, 2, 3];
    let ptr = v.as_ptr();
    let buf = ByteBuffer::from(v);
    assert_eq!(buf.as_ptr(), ptr, "From<Vec<u8>> adopts the allocation");
    let back: Vec<u8> = buf.into();
    assert_eq!(
        back.as_ptr(),
        ptr,
        "Vec<u8>: From<ByteBuffer> gives it back"
    );

    let s = String::from("text");
    let ptr = s.as_ptr();
    let buf = ByteBuffer::from(s);
    assert_eq!(buf.as_ptr(), ptr);
    assert_eq!(buf.into_string().unwrap(), "text");

    let boxed: Box<[u8]> = Box::from(&b"box"[..]);
    assert_eq!(ByteBuffer::from(boxed), "box");
    assert_eq!(ByteBuffer::from(&b"slice"[..]), "slice");
    assert_eq!(ByteBuffer::from("str"), "str");
    assert_eq!(ByteBuffer::from([1u8, 2]), [1u8, 2]);
    assert_eq!(ByteBuffer::from(&[3u8, 4]), [3u8, 4]);
    assert_eq!(ByteBuffer::from("v").into_vec(), b"v");

    let err = ByteBuffer::from(&[0xffu8][..]).into_string().unwrap_err();
    assert_eq!(
        err.into_bytes(),
        vec![0xff],
        "a failed into_string loses nothing"
    );
}

#[test]
fn iterators() {
    let buf: ByteBuffer = (1u8..=3).collect();
    assert_eq!(buf, [1u8, 2, 3]);
    let buf2: ByteBuffer = [4u8, 5].iter().collect();
    assert_eq!(buf2, [4u8, 5]);

    let mut buf = buf;
    buf.extend([9u8, 8]);
    buf.extend(&[7u8]);
    assert_eq!(buf, [1u8, 2, 3, 9, 8, 7]);

    let sum: u32 = (&buf).into_iter().map(|&b| u32::from(b)).sum();
    assert_eq!(sum, 30);
    for b in &mut buf {
        *b += 1;
    }
    let owned: Vec<u8> = buf.into_iter().collect();
    assert_eq!(owned, [2, 3, 4, 10, 9, 8]);
}

#[test]
fn vec_like_methods() {
    let mut buf = ByteBuffer::from("abc");
    assert_eq!(buf.pop(), Some(b'c'));
    buf.resize(4, b'-');
    assert_eq!(buf, "ab--");
    buf.truncate(1);
    assert_eq!(buf, "a");
    buf.reserve(100);
    assert!(buf.capacity() >= 101);
    buf.reserve_exact(200);
    assert!(buf.capacity() >= 201);
    assert!(buf.try_reserve(usize::MAX).is_err());
    assert_eq!(buf, "a", "a failed try_reserve leaves the buffer unchanged");
    let mut fresh = ByteBuffer::new();
    fresh.try_reserve(100).unwrap();
    assert_eq!(fresh.capacity(), 128, "try_reserve rounds like reserve");
    fresh.try_reserve(128).unwrap();
    assert_eq!(fresh.capacity(), 128, "room enough: unchanged");
    fresh.extend_from_slice(&[0; 100]);
    fresh.try_reserve(29).unwrap();
    assert_eq!(fresh.capacity(), 256);
    buf.as_mut_slice()[0] = b'z';
    assert_eq!(buf.as_slice(), b"z");
    assert_eq!(format!("{buf:x}"), "7a");
}

// ---- bounds and layout -----------------------------------------------------------------------

#[test]
fn test_bounds() {
    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}
    fn is_unpin<T: Unpin>() {}
    fn is_unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    is_send::<ByteBuffer>();
    is_sync::<ByteBuffer>();
    is_unpin::<ByteBuffer>();
    is_unwind_safe::<ByteBuffer>();
    is_send::<FormatError>();
    is_sync::<FormatError>();
}

#[test]
fn test_layout() {
    assert_eq!(size_of::<ByteBuffer>(), 3 * size_of::<usize>());
    assert_eq!(size_of::<Option<ByteBuffer>>(), size_of::<ByteBuffer>());
}

// ---- model-based property test ---------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Push(u8),
    Pop,
    ExtendFromSlice(Vec<u8>),
    PushStr(String),
    Set(Vec<u8>),
    SetStr(String),
    Clear,
    Truncate(usize),
    Resize(usize, u8),
    Reserve(usize),
    IoWrite(Vec<u8>),
    FmtWriteStr(String),
    WriteMacro(u64),
    ReadFrom(Vec<u8>),
    ExtendIter(Vec<u8>),
    IndexSet(usize, u8),
    CloneFrom(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..300);
    prop_oneof![
        any::<u8>().prop_map(Op::Push),
        Just(Op::Pop),
        bytes().prop_map(Op::ExtendFromSlice),
        ".{0,40}".prop_map(Op::PushStr),
        bytes().prop_map(Op::Set),
        ".{0,40}".prop_map(Op::SetStr),
        Just(Op::Clear),
        (0usize..600).prop_map(Op::Truncate),
        (0usize..600, any::<u8>()).prop_map(|(n, v)| Op::Resize(n, v)),
        (0usize..4096).prop_map(Op::Reserve),
        bytes().prop_map(Op::IoWrite),
        ".{0,40}".prop_map(Op::FmtWriteStr),
        any::<u64>().prop_map(Op::WriteMacro),
        bytes().prop_map(Op::ReadFrom),
        bytes().prop_map(Op::ExtendIter),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Op::IndexSet(i, v)),
        bytes().prop_map(Op::CloneFrom),
    ]
}

fn apply(buf: &mut ByteBuffer, model: &mut Vec<u8>, op: &Op) {
    match op {
        Op::Push(b) => {
            buf.push(*b);
            model.push(*b);
        }
        Op::Pop => assert_eq!(buf.pop(), model.pop()),
        Op::ExtendFromSlice(v) => {
            buf.extend_from_slice(v);
            model.extend_from_slice(v);
        }
        Op::PushStr(s) => {
            buf.push_str(s);
            model.extend_from_slice(s.as_bytes());
        }
        Op::Set(v) => {
            buf.set(v);
            model.clone_from(v);
        }
        Op::SetStr(s) => {
            buf.set_str(s);
            *model = s.as_bytes().to_vec();
        }
        Op::Clear => {
            let cap = buf.capacity();
            buf.clear();
            model.clear();
            assert_eq!(buf.capacity(), cap);
        }
        Op::Truncate(n) => {
            buf.truncate(*n);
            model.truncate(*n);
        }
        Op::Resize(n, v) => {
            buf.resize(*n, *v);
            model.resize(*n, *v);
        }
        Op::Reserve(n) => {
            buf.reserve(*n);
            assert!(buf.capacity() >= buf.len() + n);
        }
        Op::IoWrite(v) => {
            assert_eq!(io::Write::write(buf, v).unwrap(), v.len());
            model.extend_from_slice(v);
        }
        Op::FmtWriteStr(s) => {
            std::fmt::Write::write_str(buf, s).unwrap();
            model.extend_from_slice(s.as_bytes());
        }
        Op::WriteMacro(n) => {
            write!(buf, "<{n}>").unwrap();
            model.extend_from_slice(format!("<{n}>").as_bytes());
        }
        Op::ReadFrom(v) => {
            assert_eq!(buf.read_from(&v[..]).unwrap(), v.len());
            model.extend_from_slice(v);
        }
        Op::ExtendIter(v) => {
            buf.extend(v.iter().copied());
            model.extend(v.iter().copied());
        }
        Op::IndexSet(i, v) => {
            if !model.is_empty() {
                let i = i % model.len();
                buf[i] = *v;
                model[i] = *v;
            }
        }
        Op::CloneFrom(v) => {
            buf.clone_from(&ByteBuffer::from(v.clone()));
            model.clone_from(v);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 1_000 }))]

    #[test]
    fn behaves_like_vec(ops in proptest::collection::vec(op(), 0..40)) {
        let mut buf = ByteBuffer::new();
        let mut model = Vec::new();
        for op in &ops {
            apply(&mut buf, &mut model, op);
            prop_assert_eq!(buf.as_slice(), model.as_slice(), "after {:?}", op);
            prop_assert_eq!(buf.len(), model.len());
            prop_assert_eq!(buf.is_empty(), model.is_empty());
            prop_assert!(buf.capacity() >= buf.len());
            prop_assert_eq!(buf.as_str().ok(), std::str::from_utf8(&model).ok());
            prop_assert_eq!(buf.to_string_lossy(), String::from_utf8_lossy(&model));
        }
        let mut out = Vec::new();
        prop_assert_eq!(buf.write_to(&mut out).unwrap(), model.len());
        prop_assert_eq!(&out, &model);
        prop_assert_eq!(buf.into_vec(), model);
    }
}
