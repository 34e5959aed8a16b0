//! Assembles HTTP/1.1 responses in a `ByteBuffer`: status line, headers written with `write!`,
//! and a body read from a source, then written out without draining the buffer.
//!
//! Run with `cargo run --release --example http_body`.

use std::io;

use bytebufferpool::ByteBuffer;

/// Writes one response for `body` into `out`, reusing its capacity.
fn render_response(out: &mut ByteBuffer, status: u16, reason: &str, body: &[u8]) -> io::Result<()> {
    out.clear(); // Go's Reset: keeps the capacity
    write!(out, "HTTP/1.1 {status} {reason}\r\n")?;
    write!(out, "Content-Type: application/json\r\n")?;
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.read_from(body)?; // Go's ReadFrom: appends until EOF
    Ok(())
}

fn main() -> io::Result<()> {
    let mut buf = ByteBuffer::with_capacity(256);
    let mut wire = Vec::new();
    let bodies: [&[u8]; 3] = [br#"{"id":1}"#, br#"{"id":2,"name":"two"}"#, b"{}"];
    for (i, body) in bodies.iter().enumerate() {
        let capacity_before = buf.capacity();
        render_response(&mut buf, 200, "OK", body)?;
        let n = buf.write_to(&mut wire)?; // Go's WriteTo: does not drain
        println!(
            "response {i}: {n} bytes, capacity {} (was {capacity_before}), first line {:?}",
            buf.capacity(),
            buf.split(|&b| b == b'\r')
                .next()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
        );
    }
    println!("\nlast response as Debug:\n{buf:?}");
    println!("\n{} bytes written to the wire in all", wire.len());
    Ok(())
}
