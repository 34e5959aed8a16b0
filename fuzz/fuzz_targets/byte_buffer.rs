//! Random sequences of `ByteBuffer` operations against a `Vec<u8>` model.
#![no_main]

use std::io::Write as _;

use arbitrary::Arbitrary;
use bytebufferpool::ByteBuffer;
use bytes::BufMut;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Push(u8),
    Pop,
    Extend(Vec<u8>),
    PushStr(String),
    Set(Vec<u8>),
    Clear,
    Truncate(u16),
    Resize(u16, u8),
    Reserve(u16),
    ReserveExact(u16),
    IoWrite(Vec<u8>),
    WriteFmt(u64),
    ReadFrom(Vec<u8>),
    ExtendIter(Vec<u8>),
    IndexSet(u16, u8),
    CloneFrom(Vec<u8>),
    PutSlice(Vec<u8>),
    PutBytes(u8, u8),
    PutU32(u32),
}

fuzz_target!(|ops: Vec<Op>| {
    let mut buf = ByteBuffer::new();
    let mut model: Vec<u8> = Vec::new();
    for op in &ops {
        match op {
            Op::Push(b) => {
                buf.push(*b);
                model.push(*b);
            }
            Op::Pop => assert_eq!(buf.pop(), model.pop()),
            Op::Extend(v) => {
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
            Op::Clear => {
                let cap = buf.capacity();
                buf.clear();
                model.clear();
                assert_eq!(buf.capacity(), cap);
            }
            Op::Truncate(n) => {
                buf.truncate(*n as usize);
                model.truncate(*n as usize);
            }
            Op::Resize(n, v) => {
                buf.resize(*n as usize, *v);
                model.resize(*n as usize, *v);
            }
            Op::Reserve(n) => {
                buf.reserve(*n as usize);
                assert!(buf.capacity() >= buf.len() + *n as usize);
            }
            Op::ReserveExact(n) => {
                buf.reserve_exact(*n as usize);
                assert!(buf.capacity() >= buf.len() + *n as usize);
            }
            Op::IoWrite(v) => {
                buf.write_all(v).unwrap();
                model.extend_from_slice(v);
            }
            Op::WriteFmt(n) => {
                write!(buf, "[{n}]").unwrap();
                model.extend_from_slice(format!("[{n}]").as_bytes());
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
                    let i = *i as usize % model.len();
                    buf[i] = *v;
                    model[i] = *v;
                }
            }
            Op::CloneFrom(v) => {
                buf.clone_from(&ByteBuffer::from(v.clone()));
                model.clone_from(v);
            }
            Op::PutSlice(v) => {
                buf.put_slice(v);
                model.put_slice(v);
            }
            Op::PutBytes(b, n) => {
                buf.put_bytes(*b, *n as usize);
                model.put_bytes(*b, *n as usize);
            }
            Op::PutU32(x) => {
                buf.put_u32(*x);
                model.put_u32(*x);
            }
        }
        assert_eq!(buf.as_slice(), model.as_slice(), "after {op:?}");
        assert!(buf.capacity() >= buf.len());
    }
    assert_eq!(buf.into_vec(), model);
});
