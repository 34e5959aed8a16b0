//! The feature integrations: `http-body`, `bytes`, `tokio`, `serde` (the dev-dependency on the
//! crate itself turns them all on for tests).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytebufferpool::{AgePolicy, ByteBuffer, ByteBufferPool, CollectError, Stats};
use bytes::{BufMut, Bytes};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};

fn pool() -> Arc<ByteBufferPool> {
    Arc::new(
        ByteBufferPool::builder()
            .age_policy(AgePolicy::Manual)
            .build()
            .unwrap(),
    )
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A body that hands out its frames (or errors) one by one, with no size hint: what a
/// chunked request looks like; or with a size hint that may lie.
struct Frames {
    frames: VecDeque<Result<Bytes, io::Error>>,
    hint: SizeHint,
}

impl Frames {
    fn chunked(data: &[u8], chunk: usize) -> Self {
        Self {
            frames: data
                .chunks(chunk)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect(),
            hint: SizeHint::default(),
        }
    }

    /// One frame of `data`, under an exact size hint of `hint` bytes.
    fn claiming(hint: u64, data: Bytes) -> Self {
        Self {
            frames: VecDeque::from([Ok(data)]),
            hint: SizeHint::with_exact(hint),
        }
    }
}

impl Body for Frames {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(self.frames.pop_front().map(|r| r.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        self.hint
    }
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

// ---- http-body -------------------------------------------------------------------------------

#[test]
fn collects_content_length_and_chunked_bodies() {
    let pool = pool();
    let body = data(10_000);
    block_on(async {
        let full = pool
            .collect_body(Full::new(Bytes::from(body.clone())), 1 << 20)
            .await
            .unwrap();
        assert_eq!(*full, body[..]);
        assert!(
            full.capacity() >= 10_000,
            "pre-sized from the exact size hint"
        );
        let chunked = pool
            .collect_body(Frames::chunked(&body, 1460), 1 << 20)
            .await
            .unwrap();
        assert_eq!(*chunked, body[..]);
        let global = bytebufferpool::collect_body(Frames::chunked(&body, 700), 1 << 20)
            .await
            .unwrap();
        assert_eq!(*global, body[..]);
    });
}

/// A size hint is the peer's word: without a limit, a `Content-Length` of 2^63 (or 2^40)
/// reserves at most 1 MiB up front instead of panicking on the capacity (or aborting on the
/// allocation), and the body is collected as it is.
#[test]
fn a_lying_size_hint_reserves_at_most_one_mib() {
    let pool = pool();
    block_on(async {
        for hint in [1 << 63, 1 << 40, 2 << 20] {
            let body = Frames::claiming(hint, Bytes::from_static(b"tiny"));
            let buf = pool.collect_body(body, usize::MAX).await.unwrap();
            assert_eq!(*buf, "tiny");
            assert_eq!(buf.capacity(), 1 << 20, "hint {hint}");
        }
        let honest = data(3 << 20);
        let body = Frames::claiming(honest.len() as u64, Bytes::from(honest.clone()));
        let buf = pool.collect_body(body, usize::MAX).await.unwrap();
        assert_eq!(*buf, honest[..], "a long body grows as it arrives");
    });
}

#[test]
fn over_the_limit_is_an_error_and_the_buffer_goes_back() {
    let pool = pool();
    block_on(async {
        // Known up front from Content-Length: refused before taking a buffer.
        let err = pool
            .collect_body(Full::new(Bytes::from(data(2000))), 1000)
            .await
            .unwrap_err();
        assert!(err.is_too_large());
        assert!(matches!(err, CollectError::TooLarge { limit: 1000 }));
        assert_eq!(pool.stats().gets, 0);
        // Found while reading a chunked body: the partly filled buffer returns to the pool.
        let mut body = Frames::chunked(&data(5000), 1000);
        let err = pool.collect_body(&mut body, 2500).await.unwrap_err();
        assert!(err.is_too_large(), "{err}");
        assert!(err.to_string().contains("2500"));
        let s = pool.stats();
        assert_eq!((s.gets, s.puts), (1, 1), "{s:?}");
        // The caller kept the body and can drain what is left.
        let rest = body.collect().await.unwrap().to_bytes();
        assert_eq!(rest.len(), 2000);
        // Exactly at the limit is fine.
        let ok = pool
            .collect_body(Frames::chunked(&data(2500), 1000), 2500)
            .await
            .unwrap();
        assert_eq!(ok.len(), 2500);
    });
}

#[test]
fn a_body_error_mid_stream_is_an_error_and_nothing_leaks() {
    let pool = pool();
    block_on(async {
        let body = Frames {
            frames: VecDeque::from(vec![
                Ok(Bytes::from_static(b"first ")),
                Ok(Bytes::from_static(b"second ")),
                Err(io::Error::new(io::ErrorKind::ConnectionReset, "peer reset")),
                Ok(Bytes::from_static(b"never")),
            ]),
            hint: SizeHint::default(),
        };
        let err = pool.collect_body(body, 1 << 20).await.unwrap_err();
        match &err {
            CollectError::Body(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
        assert!(std::error::Error::source(&err).is_some());
        let s = pool.stats();
        assert_eq!((s.gets, s.puts), (1, 1), "the buffer went back: {s:?}");
    });
}

/// A real hyper server and client on loopback: Content-Length and chunked requests, and one
/// over the limit answered with 413 on a connection that stays usable.
#[test]
fn hyper_server_collects_into_pooled_buffers() {
    use hyper::body::Incoming;
    use hyper::server::conn::http1 as server_http1;
    use hyper::service::service_fn;
    use hyper::{Request, Response, StatusCode};
    use hyper_util::rt::TokioIo;

    const LIMIT: usize = 64 * 1024;
    let pool = pool();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server_pool = pool.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let pool = server_pool.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let pool = pool.clone();
                        async move {
                            let mut body = req.into_body();
                            let (status, text) = match pool.collect_body(&mut body, LIMIT).await {
                                Ok(buf) => (StatusCode::OK, buf.len().to_string()),
                                Err(e) if e.is_too_large() => {
                                    // Drain the rest, so the connection stays usable.
                                    let _ = body.collect().await;
                                    (StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
                                }
                                Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
                            };
                            let mut resp = Response::new(Full::new(Bytes::from(text)));
                            *resp.status_mut() = status;
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = server_http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });

        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let cases: [(usize, bool, StatusCode); 4] = [
            (1000, false, StatusCode::OK),
            (30_000, true, StatusCode::OK),
            (LIMIT + 1, true, StatusCode::PAYLOAD_TOO_LARGE),
            (50_000, false, StatusCode::OK), // same connection, after the 413
        ];
        for (len, chunked, want) in cases {
            let payload = data(len);
            let req = Request::post("/")
                .header("host", "localhost")
                .body(if chunked {
                    Frames::chunked(&payload, 1460).boxed()
                } else {
                    Full::new(Bytes::from(payload))
                        .map_err(|e: Infallible| match e {})
                        .boxed()
                })
                .unwrap();
            sender.ready().await.unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status(), want, "{len} bytes, chunked {chunked}");
            let text = resp.into_body().collect().await.unwrap().to_bytes();
            if want == StatusCode::OK {
                assert_eq!(text, len.to_string());
            }
        }
    });
    let s = pool.stats();
    assert_eq!(s.gets, s.puts, "every buffer went back: {s:?}");
}

// ---- bytes -----------------------------------------------------------------------------------

#[test]
fn buf_mut_behaves_like_vec() {
    fn fill<B: BufMut>(b: &mut B) {
        b.put_slice(b"head:");
        b.put_u32(0xdead_beef);
        b.put_u16_le(7);
        b.put_bytes(b'-', 3);
        b.put(&b"tail"[..]);
        let chunk = b.chunk_mut();
        assert!(chunk.len() > 0);
        chunk[..2].copy_from_slice(b"!!");
        // SAFETY: the first two bytes of the chunk were just initialised.
        #[allow(unsafe_code)]
        unsafe {
            b.advance_mut(2)
        };
    }
    let mut ours = ByteBuffer::new();
    let mut vec = Vec::new();
    fill(&mut ours);
    fill(&mut vec);
    assert_eq!(ours, vec);
    assert!(ours.capacity().is_power_of_two());
    assert_eq!(ours.remaining_mut(), isize::MAX as usize - ours.len());
}

#[test]
#[should_panic]
fn advance_past_the_capacity_panics() {
    let mut b = ByteBuffer::with_capacity(8);
    // SAFETY: it panics before anything would be exposed (that is what this tests).
    #[allow(unsafe_code)]
    unsafe {
        b.advance_mut(9)
    };
}

#[test]
fn bytes_from_buffers_and_guards() {
    let b = ByteBuffer::from("plain");
    let ptr = b.as_ptr();
    let bytes = b.freeze();
    assert_eq!(bytes.as_ptr(), ptr, "no copy");

    let pool = pool();
    let mut g = pool.get_owned();
    g.extend_from_slice(b"pooled");
    let ptr = g.as_ptr();
    let bytes: Bytes = g.into();
    assert_eq!(bytes.as_ptr(), ptr, "no copy");
    let clones: Vec<Bytes> = (0..3).map(|_| bytes.slice(1..4)).collect();
    drop(bytes);
    assert_eq!(pool.stats().puts, 0);
    let handle = std::thread::spawn(move || drop(clones));
    handle.join().unwrap();
    assert_eq!(pool.stats().puts, 1, "returned when the last clone dropped");
    assert_eq!(pool.get().as_ptr(), ptr, "and reused");

    let global: Bytes = {
        let mut g = bytebufferpool::get();
        g.push_str("global");
        g.into()
    };
    assert_eq!(&global[..], b"global");
}

// ---- tokio -----------------------------------------------------------------------------------

#[test]
fn tokio_read_to_end_and_async_write() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pool = pool();
    block_on(async {
        let input = data(100_000);
        let buf = pool.read_to_end(&input[..]).await.unwrap();
        assert_eq!(*buf, input[..]);
        let limited = pool.read_to_end((&input[..]).take(10)).await.unwrap();
        assert_eq!(limited.len(), 10);

        let mut out = ByteBuffer::new();
        out.write_all(b"async ").await.unwrap();
        out.write_all(b"write").await.unwrap();
        out.flush().await.unwrap();
        out.shutdown().await.unwrap();
        assert_eq!(out, "async write");
        let mut guard = pool.get_owned();
        guard.write_all(b"through a guard").await.unwrap();
        assert_eq!(*guard, "through a guard");
    });
}

/// `read_to_end` grows the buffer as every write does, to powers of two, even from a buffer
/// whose capacity is a class bound that is not one (3,072 B here, reserved by an earlier
/// `get_with_capacity(3000)`; tokio's own `read_to_end` would double it to 24,576 B for this
/// body); and a body that fills the capacity exactly leaves it as it was.
#[test]
fn tokio_read_to_end_grows_to_powers_of_two() {
    let pool = pool();
    block_on(async {
        let input = data(20_000);
        drop(pool.get_with_capacity(3000));
        assert_eq!(pool.get_owned().capacity(), 3072);
        let buf = pool.read_to_end(&input[..]).await.unwrap();
        assert_eq!((buf.len(), buf.capacity()), (20_000, 32_768));
        assert_eq!(*buf, input[..]);
        drop(buf);
        drop(pool.get_with_capacity(3000));
        let exact = pool.read_to_end(&input[..3072]).await.unwrap();
        assert_eq!((exact.len(), exact.capacity()), (3072, 3072));
    });
}

#[test]
fn tokio_read_error_returns_the_buffer() {
    struct Failing(usize);
    impl tokio::io::AsyncRead for Failing {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.0 == 0 {
                return Poll::Ready(Err(io::Error::other("boom")));
            }
            self.0 -= 1;
            buf.put_slice(b"abc");
            Poll::Ready(Ok(()))
        }
    }
    let pool = pool();
    block_on(async {
        let err = pool.read_to_end(Failing(3)).await.unwrap_err();
        assert_eq!(err.to_string(), "boom");
    });
    let s = pool.stats();
    assert_eq!((s.gets, s.puts), (1, 1));
}

// ---- serde -----------------------------------------------------------------------------------

#[test]
fn stats_round_trip_through_serde_json() {
    let pool = pool();
    for n in [100, 1000, 5000] {
        let mut b = pool.get();
        b.resize(n, 0);
    }
    pool.calibrate();
    let stats = pool.stats();
    let json = serde_json::to_string(&stats).unwrap();
    assert!(json.contains("\"default_size\""), "{json}");
    let back: Stats = serde_json::from_str(&json).unwrap();
    assert_eq!(back, stats);
}

#[test]
fn byte_buffer_serializes_as_bytes() {
    let b = ByteBuffer::from(&[1u8, 2, 255][..]);
    let json = serde_json::to_string(&b).unwrap();
    assert_eq!(json, "[1,2,255]");
    let back: ByteBuffer = serde_json::from_str(&json).unwrap();
    assert_eq!(back, b);
    let from_str: ByteBuffer = serde_json::from_str("\"text\"").unwrap();
    assert_eq!(from_str, "text");
    assert!(
        serde_json::from_str::<ByteBuffer>("[256]").is_err(),
        "not a byte"
    );
}
