//! Assembles HTTP/1.1 responses in pooled buffers: status line and headers written with
//! `write!`, the body read from a source, the whole written out, the buffer returned to the
//! pool when its guard drops. Prints what the pool's calibrator decided at the end.
//!
//! Run with `cargo run --release --example http_body`.

use std::io;

use bytebufferpool::ByteBuffer;

/// Writes one response for `body` into `out`.
fn render_response(out: &mut ByteBuffer, status: u16, reason: &str, body: &[u8]) -> io::Result<()> {
    write!(out, "HTTP/1.1 {status} {reason}\r\n")?;
    write!(out, "Content-Type: application/json\r\n")?;
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.read_from(body)?; // Go's ReadFrom: appends until EOF
    Ok(())
}

fn main() -> io::Result<()> {
    let mut wire = Vec::new();
    let mut bodies: Vec<Vec<u8>> = vec![
        br#"{"id":1}"#.to_vec(),
        br#"{"id":2,"name":"two"}"#.to_vec(),
        b"{}".to_vec(),
    ];
    // A heavier stream: 20,000 JSON bodies of 200 B to 6 KiB.
    for i in 0..20_000usize {
        let n = 200 + (i * 7919) % 6000;
        let mut body = format!("{{\"id\":{i},\"data\":\"").into_bytes();
        body.resize(n - 2, b'x');
        body.extend_from_slice(b"\"}");
        bodies.push(body);
    }
    for (i, body) in bodies.iter().enumerate() {
        let mut buf = bytebufferpool::get(); // a pooled buffer, empty
        render_response(&mut buf, 200, "OK", body)?;
        buf.write_to(&mut wire)?; // Go's WriteTo: does not drain
        if i < 3 {
            println!(
                "response {i}: {} bytes, capacity {}\n{:?}\n",
                buf.len(),
                buf.capacity(),
                *buf
            );
        }
        wire.clear();
    } // each guard returns its buffer here, cleared
    println!(
        "{} responses assembled; the default pool now:\n",
        bodies.len()
    );
    println!("{}", bytebufferpool::stats());
    Ok(())
}
