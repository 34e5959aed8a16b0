//! Feature `serde`: `ByteBuffer` as bytes (as `bytes` does for `Bytes`). `Stats` derives its
//! implementations in `stats.rs`.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ByteBuffer;

impl Serialize for ByteBuffer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self)
    }
}

struct ByteBufferVisitor;

impl<'de> Visitor<'de> for ByteBufferVisitor {
    type Value = ByteBuffer;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte array")
    }

    fn visit_seq<V: SeqAccess<'de>>(self, mut seq: V) -> Result<ByteBuffer, V::Error> {
        let mut buf = ByteBuffer::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element::<u8>()? {
            buf.push(b);
        }
        Ok(buf)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteBuffer, E> {
        Ok(ByteBuffer::from(v))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<ByteBuffer, E> {
        Ok(ByteBuffer::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteBuffer, E> {
        Ok(ByteBuffer::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<ByteBuffer, E> {
        Ok(ByteBuffer::from(v))
    }
}

impl<'de> Deserialize<'de> for ByteBuffer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ByteBuffer, D::Error> {
        deserializer.deserialize_byte_buf(ByteBufferVisitor)
    }
}
