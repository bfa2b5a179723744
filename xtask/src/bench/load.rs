//! The load generator of the read-path comparison (`xtask bench-load <spec.json>`, run from
//! the release build): a fixed number of concurrent requests over a few connections to one
//! loopback address, bounded in time and in count, answering throughput and latency as one
//! JSON line. The same generator drives the baselines and the project, so their ratio is fair;
//! it is lean on purpose (pre-encoded bodies, hyper's client connections, no tower stack), since
//! on two cores its own CPU is taken from the servers it measures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

use super::cpu::{self, Watched};

/// What to send, where, and for how long.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spec {
    pub protocol: Protocol,
    pub address: SocketAddr,
    /// `/package.Service/Method` for gRPC, the URL path for JSON.
    pub path: String,
    /// Sent as `authorization: Bearer …` on every request.
    pub token: String,
    /// One request body per member id, sent in turn (protobuf for gRPC, JSON for JSON).
    pub bodies: Vec<Vec<u8>>,
    /// HTTP/2 connections (gRPC); HTTP/1.1 has one request in flight per connection.
    pub connections: usize,
    /// Requests in flight at any time, over all connections.
    pub concurrency: usize,
    pub warmup_ms: u64,
    pub measure_ms: u64,
    /// No more requests than this are sent, however fast the server is.
    pub max_requests: u64,
    /// The processes serving the load, whose CPU time per request is measured.
    pub watched: Vec<Watched>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Protocol {
    /// gRPC over HTTP/2 (cleartext, prior knowledge), unary.
    Grpc,
    /// JSON over HTTP/1.1 with keep-alive.
    Json,
}

/// What one run measured (requests completed inside the measuring window only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    /// The first failure, to say what went wrong.
    pub first_error: Option<String>,
    pub per_second: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    /// Mean size of an answer's body (the gRPC frame or the JSON document).
    pub answer_bytes: u64,
    /// CPU time per request in each watched process and in the load generator, by name.
    pub cpu_us_per_request: Vec<(String, f64)>,
}

struct Shared {
    spec: Spec,
    bodies: Vec<Bytes>,
    authorization: http::HeaderValue,
    uri: http::Uri,
    issued: AtomicU64,
    warm: Instant,
    end: Instant,
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
    answer_bytes: u64,
}

impl Tally {
    fn fail(&mut self, error: String) {
        self.errors += 1;
        self.first_error.get_or_insert(error);
    }
}

/// `xtask bench-load <spec.json>`: runs the spec and prints the outcome as JSON.
pub async fn main(args: &[String]) -> anyhow::Result<()> {
    let path = args
        .first()
        .context("usage: xtask bench-load <spec.json>")?;
    let spec: Spec = serde_json::from_slice(&std::fs::read(path)?)?;
    let outcome = run(spec).await?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

pub async fn run(spec: Spec) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        spec.address.ip().is_loopback(),
        "the load generator sends to loopback addresses only"
    );
    anyhow::ensure!(!spec.bodies.is_empty() && spec.connections > 0 && spec.concurrency > 0);
    let bodies = spec
        .bodies
        .iter()
        .map(|body| match spec.protocol {
            Protocol::Grpc => grpc_frame(body),
            Protocol::Json => Bytes::copy_from_slice(body),
        })
        .collect();
    let start = Instant::now();
    let warm = start + Duration::from_millis(spec.warmup_ms);
    let shared = Arc::new(Shared {
        authorization: format!("Bearer {}", spec.token).parse()?,
        uri: format!("http://{}{}", spec.address, spec.path).parse()?,
        bodies,
        issued: AtomicU64::new(0),
        warm,
        end: warm + Duration::from_millis(spec.measure_ms),
        spec,
    });
    let sampling = tokio::spawn(cpu::between(
        shared.warm,
        shared.end,
        shared.spec.watched.clone(),
    ));
    let mut workers = Vec::new();
    match shared.spec.protocol {
        Protocol::Grpc => {
            for connection in 0..shared.spec.connections {
                let io = connect(shared.spec.address).await?;
                let (sender, driver) =
                    hyper::client::conn::http2::Builder::new(TokioExecutor::new())
                        .handshake(io)
                        .await?;
                tokio::spawn(driver);
                // Streams spread evenly over the connections.
                let streams = (connection..shared.spec.concurrency)
                    .step_by(shared.spec.connections)
                    .count();
                for stream in 0..streams {
                    let sender = sender.clone();
                    let shared = shared.clone();
                    let first = connection + stream * shared.spec.connections;
                    workers.push(tokio::spawn(grpc_stream(shared, sender, first)));
                }
            }
        }
        Protocol::Json => {
            for connection in 0..shared.spec.concurrency {
                let io = connect(shared.spec.address).await?;
                let (sender, driver) = hyper::client::conn::http1::handshake(io).await?;
                tokio::spawn(driver);
                workers.push(tokio::spawn(json_connection(
                    shared.clone(),
                    sender,
                    connection,
                )));
            }
        }
    }
    let mut total = Tally::default();
    for worker in workers {
        let tally = worker.await?;
        total.latencies_us.extend(tally.latencies_us);
        total.errors += tally.errors;
        total.answer_bytes += tally.answer_bytes;
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
    }
    let requests = total.latencies_us.len() as u64;
    let cpu_us_per_request = sampling
        .await?
        .into_iter()
        .map(|(what, micros)| (what, micros as f64 / requests.max(1) as f64))
        .collect();
    total.latencies_us.sort_unstable();
    let percentile = |p: f64| {
        let index = ((total.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        u64::from(total.latencies_us.get(index).copied().unwrap_or_default())
    };
    Ok(Outcome {
        requests,
        errors: total.errors,
        first_error: total.first_error,
        per_second: requests as f64 / (shared.spec.measure_ms as f64 / 1000.0),
        p50_us: percentile(0.50),
        p99_us: percentile(0.99),
        answer_bytes: total.answer_bytes / requests.max(1),
        cpu_us_per_request,
    })
}

async fn connect(address: SocketAddr) -> anyhow::Result<TokioIo<TcpStream>> {
    let tcp = TcpStream::connect(address)
        .await
        .with_context(|| format!("connecting to {address}"))?;
    tcp.set_nodelay(true)?;
    Ok(TokioIo::new(tcp))
}

/// A protobuf message as one uncompressed gRPC length-prefixed frame.
fn grpc_frame(message: &[u8]) -> Bytes {
    let mut frame = Vec::with_capacity(5 + message.len());
    frame.push(0);
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(message);
    Bytes::from(frame)
}

/// Takes the next request slot: `None` when time or the request budget is spent.
fn next_slot(shared: &Shared) -> Option<Instant> {
    let now = Instant::now();
    if now >= shared.end
        || shared.issued.fetch_add(1, Ordering::Relaxed) >= shared.spec.max_requests
    {
        return None;
    }
    Some(now)
}

/// Counts an answer that completed inside the measuring window.
fn record(shared: &Shared, tally: &mut Tally, started: Instant, answer_bytes: usize) {
    let done = Instant::now();
    if started >= shared.warm && done <= shared.end {
        let micros = done.duration_since(started).as_micros();
        tally
            .latencies_us
            .push(u32::try_from(micros).unwrap_or(u32::MAX));
        tally.answer_bytes += answer_bytes as u64;
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);

async fn grpc_stream(
    shared: Arc<Shared>,
    mut sender: hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    mut turn: usize,
) -> Tally {
    let mut tally = Tally::default();
    while let Some(started) = next_slot(&shared) {
        let body = shared.bodies[turn % shared.bodies.len()].clone();
        turn += shared.spec.concurrency;
        let request = http::Request::post(shared.uri.clone())
            .header(http::header::CONTENT_TYPE, "application/grpc")
            .header(http::header::TE, "trailers")
            .header(http::header::AUTHORIZATION, shared.authorization.clone())
            .body(Full::new(body));
        let request = match request {
            Ok(request) => request,
            Err(err) => {
                tally.fail(err.to_string());
                break;
            }
        };
        let answer = tokio::time::timeout(TIMEOUT, async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let (parts, body) = response.into_parts();
            let collected = body.collect().await?;
            anyhow::Ok((parts, collected))
        })
        .await;
        match answer {
            Ok(Ok((parts, collected))) => {
                // A trailers-only answer carries its status in the headers.
                let status = collected
                    .trailers()
                    .and_then(|trailers| trailers.get("grpc-status"))
                    .or_else(|| parts.headers.get("grpc-status"))
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("missing")
                    .to_owned();
                let bytes = collected.to_bytes().len();
                if parts.status == http::StatusCode::OK && status == "0" {
                    record(&shared, &mut tally, started, bytes);
                } else {
                    let message = parts
                        .headers
                        .get("grpc-message")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("");
                    tally.fail(format!(
                        "HTTP {} grpc-status {status} {message}",
                        parts.status
                    ));
                }
            }
            Ok(Err(err)) => tally.fail(format!("{err:#}")),
            Err(_) => tally.fail("timed out".to_owned()),
        }
    }
    tally
}

async fn json_connection(
    shared: Arc<Shared>,
    mut sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    mut turn: usize,
) -> Tally {
    let mut tally = Tally::default();
    let host = shared.spec.address.to_string();
    while let Some(started) = next_slot(&shared) {
        let body = shared.bodies[turn % shared.bodies.len()].clone();
        turn += shared.spec.concurrency;
        let request = http::Request::post(shared.spec.path.as_str())
            .header(http::header::HOST, host.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::AUTHORIZATION, shared.authorization.clone())
            .body(Full::new(body));
        let request = match request {
            Ok(request) => request,
            Err(err) => {
                tally.fail(err.to_string());
                break;
            }
        };
        let answer = tokio::time::timeout(TIMEOUT, async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let (parts, body) = response.into_parts();
            let bytes = body.collect().await?.to_bytes();
            anyhow::Ok((parts.status, bytes))
        })
        .await;
        match answer {
            Ok(Ok((status, bytes))) if status == http::StatusCode::OK => {
                record(&shared, &mut tally, started, bytes.len());
            }
            Ok(Ok((status, bytes))) => {
                tally.fail(format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                ));
            }
            Ok(Err(err)) => {
                tally.fail(format!("{err:#}"));
                // The connection is gone; this slot of concurrency ends.
                break;
            }
            Err(_) => {
                tally.fail("timed out".to_owned());
                break;
            }
        }
    }
    tally
}
