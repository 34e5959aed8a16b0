//! The main demo: a real HTTP/1.1 server and client on loopback (hyper 1), the server
//! assembling every request body in a pooled buffer.
//!
//! The client sends POSTs whose body sizes follow `workloads/sizes.txt` (lognormal, median
//! ~2 KiB), some with `Content-Length` and some chunked, and a few over the server's limit. Each
//! carries an FNV-1a checksum in `x-checksum`; the server collects the body with
//! `ByteBufferPool::collect_body`, checks it and answers 200, 400 (checksum) or 413 (too
//! large). Then the same run again with the server collecting into a plain `Vec<u8>`, for
//! comparison. At the end: the pool's calibration stats and requests per second.
//!
//! Run with `cargo run --release --example http_body [-- --requests N --connections C]`.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytebufferpool::ByteBufferPool;
use bytes::{Buf, Bytes};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// The server's limit on a request body.
const LIMIT: usize = 256 * 1024;

struct Args {
    requests: usize,
    connections: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        requests: 20_000,
        connections: 4,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            let v = it.next().ok_or(format!("{name} needs a value"))?;
            v.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or(format!("{name}: {v:?} is not a positive number"))
        };
        match flag.as_str() {
            "--requests" => args.requests = value("--requests")?,
            "--connections" => args.connections = value("--connections")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    if args.connections > MAX_CONNECTIONS {
        return Err(format!(
            "--connections: at most {MAX_CONNECTIONS} (each is a socket on loopback)"
        ));
    }
    Ok(args)
}

const USAGE: &str = "usage: http_body [--requests N] [--connections C]   (C at most 256)";

/// The most client connections: each is a socket, and the client treats a failed connection
/// as a bug in the demo, not as load to shed.
const MAX_CONNECTIONS: usize = 256;

/// FNV-1a, 64 bits: the checksum the client sends and the server checks.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// How the server collects a body.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Pooled,
    PlainVec,
}

/// One request's body: all at once with its length known (`Content-Length`), or in 1,460-byte
/// frames with no length (`Transfer-Encoding: chunked`).
struct DemoBody {
    data: Bytes,
    chunked: bool,
}

impl Body for DemoBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let n = if self.chunked {
            self.data.len().min(1460)
        } else {
            self.data.len()
        };
        let frame = self.data.split_to(n);
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn size_hint(&self) -> SizeHint {
        if self.chunked {
            SizeHint::default()
        } else {
            SizeHint::with_exact(self.data.len() as u64)
        }
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }
}

/// Collects into a plain `Vec<u8>`, with the same limit: the comparison run.
async fn collect_into_vec(body: &mut Incoming) -> Result<Vec<u8>, StatusCode> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| StatusCode::BAD_REQUEST)?;
        if let Ok(mut data) = frame.into_data() {
            if out.len() + data.remaining() > LIMIT {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
            while data.has_remaining() {
                let chunk = data.chunk();
                out.extend_from_slice(chunk);
                let n = chunk.len();
                data.advance(n);
            }
        }
    }
    Ok(out)
}

async fn handle(
    pool: Arc<ByteBufferPool>,
    mode: Mode,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let expected = req
        .headers()
        .get("x-checksum")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = req.into_body();
    let checked = match mode {
        Mode::Pooled => match pool.collect_body(&mut body, LIMIT).await {
            // `buf` is an owned guard: it could be held across awaits or sent to a task.
            Ok(buf) => Ok(fnv1a(&buf)),
            Err(e) if e.is_too_large() => Err(StatusCode::PAYLOAD_TOO_LARGE),
            Err(_) => Err(StatusCode::BAD_REQUEST),
        },
        Mode::PlainVec => collect_into_vec(&mut body).await.map(|v| fnv1a(&v)),
    };
    let status = match checked {
        Ok(sum) if Some(sum) == expected => StatusCode::OK,
        Ok(_) => StatusCode::BAD_REQUEST,
        Err(status) => {
            // Drain what is left so that the connection can carry the next request.
            while let Some(Ok(_)) = body.frame().await {}
            status
        }
    };
    let mut resp = Response::new(Full::new(Bytes::from_static(b"")));
    *resp.status_mut() = status;
    Ok(resp)
}

async fn serve(listener: TcpListener, pool: Arc<ByteBufferPool>, mode: Mode) {
    while let Ok((stream, _)) = listener.accept().await {
        let pool = pool.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(pool.clone(), mode, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Request `i`: its body and whether it is meant to be refused.
fn request_body(i: usize, sizes: &[usize]) -> (Bytes, bool, bool) {
    let over_limit = i % 500 == 499;
    let len = if over_limit {
        LIMIT + 1 + i % 4096
    } else {
        sizes[i % sizes.len()].min(LIMIT)
    };
    let data: Vec<u8> = (0..len).map(|j| (i + j * 7) as u8).collect();
    (Bytes::from(data), i % 3 == 0, over_limit)
}

#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    too_large: AtomicUsize,
    unexpected: AtomicUsize,
    done: AtomicUsize,
}

/// Runs the client's connections; returns the tally and the seconds from `t0` to the last
/// response.
async fn run_client(
    addr: SocketAddr,
    args: &Args,
    sizes: Arc<Vec<usize>>,
    label: &str,
    t0: Instant,
) -> (Tally, f64) {
    let tally = Arc::new(Tally::default());
    let mut tasks = Vec::new();
    for c in 0..args.connections {
        let (sizes, tally) = (sizes.clone(), tally.clone());
        let (requests, connections) = (args.requests, args.connections);
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).ok();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            for i in (c..requests).step_by(connections) {
                let (data, chunked, over_limit) = request_body(i, &sizes);
                let sum = fnv1a(&data);
                let req = Request::post("/upload")
                    .header("host", "127.0.0.1")
                    .header("x-checksum", sum.to_string())
                    .body(DemoBody { data, chunked })
                    .expect("request");
                sender.ready().await.expect("connection ready");
                let resp = sender.send_request(req).await.expect("response");
                let status = resp.status();
                let _ = resp.into_body().collect().await;
                let counter = match (status, over_limit) {
                    (StatusCode::OK, false) => &tally.ok,
                    (StatusCode::PAYLOAD_TOO_LARGE, true) => &tally.too_large,
                    _ => &tally.unexpected,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                tally.done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let progress = {
        let (tally, label, total) = (tally.clone(), label.to_string(), args.requests);
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
        tokio::spawn(async move {
            // On a terminal, one line updated in place; elsewhere (CI logs) just the total.
            loop {
                if !terminal {
                    while tally.done.load(Ordering::Relaxed) < total {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    println!("  {label}: {total}/{total} requests");
                    break;
                }
                let done = tally.done.load(Ordering::Relaxed);
                print!("\r  {label}: {done}/{total} requests");
                std::io::stdout().flush().ok();
                if done >= total {
                    println!();
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    for t in tasks {
        t.await.expect("client task");
    }
    // Timed here, when the last response is in: the progress task wakes every 50 or 200 ms,
    // and waiting for it first rounded the time up to that (the rate was mostly rounding).
    let secs = t0.elapsed().as_secs_f64();
    progress.await.ok();
    (Arc::try_unwrap(tally).unwrap_or_default(), secs)
}

async fn phase(
    args: &Args,
    sizes: Arc<Vec<usize>>,
    pool: Arc<ByteBufferPool>,
    mode: Mode,
) -> (Tally, f64) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let server = tokio::spawn(serve(listener, pool, mode));
    let label = if mode == Mode::Pooled {
        "pooled buffers"
    } else {
        "plain Vec<u8>"
    };
    let (tally, secs) = run_client(addr, args, sizes, label, Instant::now()).await;
    server.abort();
    let rate = args.requests as f64 / secs;
    (tally, rate)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let sizes: Arc<Vec<usize>> = Arc::new(
        include_str!("../workloads/sizes.txt")
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let pool = Arc::new(ByteBufferPool::new());
    println!(
        "{} POSTs over {} connections to a hyper server on 127.0.0.1 (body limit {} KiB; every \
         third chunked, every 500th over the limit)",
        args.requests,
        args.connections,
        LIMIT / 1024
    );
    let (pooled, pooled_rate) =
        rt.block_on(phase(&args, sizes.clone(), pool.clone(), Mode::Pooled));
    let (plain, plain_rate) = rt.block_on(phase(&args, sizes, pool.clone(), Mode::PlainVec));
    rt.shutdown_timeout(Duration::from_secs(1));

    println!(
        "\nThe server's ByteBufferPool after the pooled run:\n{}",
        pool.stats()
    );
    let row = |name: &str, t: &Tally, rate: f64| {
        println!(
            "{name:<16} {:>6} ok, {:>3} refused with 413, {:>3} unexpected, {rate:>8.0} requests/s",
            t.ok.load(Ordering::Relaxed),
            t.too_large.load(Ordering::Relaxed),
            t.unexpected.load(Ordering::Relaxed),
        );
    };
    row("pooled buffers", &pooled, pooled_rate);
    row("plain Vec<u8>", &plain, plain_rate);
    let unexpected =
        pooled.unexpected.load(Ordering::Relaxed) + plain.unexpected.load(Ordering::Relaxed);
    if unexpected > 0 {
        eprintln!("{unexpected} responses were not what the client expected");
        std::process::exit(1);
    }
}
