//! Request hygiene at the door: a request id on every request, rate limits per
//! signed-in user and per client address, security headers, and one JSON
//! access-log line per request.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, header};
use relief_runtime::auth::{Authentication, Caller};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::errors::error_response;

pub const REQUEST_ID: HeaderName = relief_runtime::telemetry::REQUEST_ID;

/// A token bucket's shape: sustained rate and burst.
#[derive(Debug, Clone, Copy)]
pub struct BucketSpec {
    pub per_second: f64,
    pub burst: f64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Whose bucket a request takes from: the signed-in user's, else the client address's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key<'a> {
    User(&'a str),
    Address(Option<IpAddr>),
}

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::User(user) => write!(f, "user:{user}"),
            Key::Address(address) => write!(f, "addr:{}", Address(*address)),
        }
    }
}

/// The buckets by key: a request finds its own without a key being built for it.
#[derive(Default)]
struct Buckets {
    users: HashMap<String, Bucket>,
    addresses: HashMap<Option<IpAddr>, Bucket>,
}

/// Token buckets keyed by user or address, kept in memory (each gateway
/// replica limits on its own; the limits are per replica).
pub struct RateLimiter {
    per_user: BucketSpec,
    per_address: BucketSpec,
    buckets: Mutex<Buckets>,
}

impl RateLimiter {
    pub fn new(per_user: BucketSpec, per_address: BucketSpec) -> Self {
        RateLimiter {
            per_user,
            per_address,
            buckets: Mutex::new(Buckets::default()),
        }
    }

    /// Takes one token for `key`; when none is left, how long until one is.
    fn take(&self, key: Key<'_>, spec: BucketSpec, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let Buckets { users, addresses } = &mut *buckets;
        if users.len() + addresses.len() > 100_000 {
            // Forget idle callers rather than grow without bound.
            let live = |bucket: &Bucket| now.duration_since(bucket.at) < Duration::from_secs(600);
            users.retain(|_, bucket| live(bucket));
            addresses.retain(|_, bucket| live(bucket));
        }
        let full = Bucket {
            tokens: spec.burst,
            at: now,
        };
        let bucket = match key {
            // A known user's bucket is found without copying the name.
            Key::User(user) => {
                if !users.contains_key(user) {
                    users.insert(user.to_owned(), full);
                }
                let Some(bucket) = users.get_mut(user) else {
                    return Ok(());
                };
                bucket
            }
            Key::Address(address) => addresses.entry(address).or_insert(full),
        };
        let elapsed = now.duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * spec.per_second).min(spec.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / spec.per_second,
            ))
        }
    }
}

fn is_grpc(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"))
}

/// The client address: the TCP peer, as axum or tonic recorded it.
pub fn client_address(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
        .or_else(|| {
            request
                .extensions()
                .get::<tonic::transport::server::TcpConnectInfo>()
                .and_then(|info| info.remote_addr())
        })
}

/// The caller the serving layer verified, if any.
fn caller(request: &Request) -> Option<&Caller> {
    match request.extensions().get::<Authentication>() {
        Some(Authentication::Caller(caller)) => Some(caller),
        _ => None,
    }
}

fn caller_id(request: &Request) -> Option<&str> {
    caller(request).map(|caller| caller.user_id.as_str())
}

pub async fn rate_limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    match over_limit(&limiter, &request) {
        Some(refusal) => refusal,
        None => next.run(request).await,
    }
}

/// The refusal of a request past its caller's rate (by user when signed in,
/// else by address), or `None` to let it through.
fn over_limit(limiter: &RateLimiter, request: &Request) -> Option<Response> {
    let (key, spec) = match caller_id(request) {
        Some(user) => (Key::User(user), limiter.per_user),
        None => (
            Key::Address(client_address(request).map(|address| address.ip())),
            limiter.per_address,
        ),
    };
    let wait = limiter.take(key, spec, Instant::now()).err()?;
    let seconds = wait.as_secs().max(1);
    tracing::warn!(key = %key, retry_after = seconds, "rate limited");
    let message = format!("too many requests; retry after {seconds} s");
    let mut response = if is_grpc(request) {
        let mut details = ErrorDetails::new();
        details.set_retry_info(Some(wait));
        super::super::proxy::status_response(Status::with_error_details(
            Code::ResourceExhausted,
            message,
            details,
        ))
    } else {
        error_response(
            http::StatusCode::TOO_MANY_REQUESTS,
            Code::ResourceExhausted,
            &message,
            Vec::new(),
        )
    };
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Some(response)
}

/// The gateway's gRPC port in one step, where three would cost a boxed future
/// each on every call: the caller's rate limit, the access line, and the
/// request id echoed (the serving layer settled it before any of this).
pub async fn grpc_edge(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    around_grpc(&limiter, request, |request| next.run(request)).await
}

/// What [`grpc_edge`] does around `inner`, for a caller that is not axum middleware (the
/// gateway's forwarding of upstream calls, see [`crate::proxy::Forwarder`]).
pub async fn around_grpc<F>(
    limiter: &RateLimiter,
    request: Request,
    inner: impl FnOnce(Request) -> F,
) -> Response
where
    F: std::future::Future<Output = Response>,
{
    let line = AccessLine::of(&request);
    let mut response = match over_limit(limiter, &request) {
        Some(refusal) => refusal,
        None => inner(request).await,
    };
    line.write(&response);
    if let Some(request_id) = line.request_id {
        response.headers_mut().insert(REQUEST_ID, request_id);
    }
    response
}

/// Accepts a sane `x-request-id` or makes one, and echoes it. On the gRPC port the serving
/// layer has settled it already (and the span carries it); on the HTTP port it is settled here.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let given = request.headers().get(&REQUEST_ID).cloned();
    let value = relief_runtime::telemetry::request_id(request.headers());
    if given.as_ref() != Some(&value) {
        request.headers_mut().insert(REQUEST_ID, value.clone());
        if let Ok(id) = value.to_str() {
            tracing::Span::current().record("request_id", id);
        }
    }
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID, value);
    response
}

/// Headers every browser-facing answer carries.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ),
        ("cross-origin-resource-policy", "same-site"),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A client address as the access line shows it: the IP, or nothing.
struct Address(Option<IpAddr>);

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(address) => address.fmt(f),
            None => Ok(()),
        }
    }
}

/// One structured line per request: what, who, how it ended, how long. What the line needs
/// from the request is kept by reference count (URI, header value) or by value (address), not
/// copied into new strings.
pub async fn access_log(request: Request, next: Next) -> Response {
    let line = AccessLine::of(&request);
    let response = next.run(request).await;
    line.write(&response);
    response.into_response()
}

/// What the access line says of a request, taken before it is handed on.
struct AccessLine {
    started: Instant,
    method: http::Method,
    uri: http::Uri,
    request_id: Option<HeaderValue>,
    /// The caller the serving layer verified (shared, not copied), if any.
    user: Option<Caller>,
    address: Option<std::net::IpAddr>,
}

impl AccessLine {
    fn of(request: &Request) -> Self {
        AccessLine {
            started: Instant::now(),
            method: request.method().clone(),
            uri: request.uri().clone(),
            request_id: request.headers().get(&REQUEST_ID).cloned(),
            user: caller(request).cloned(),
            address: client_address(request).map(|address| address.ip()),
        }
    }

    /// Logs the line for the request's `response`.
    fn write(&self, response: &Response) {
        let grpc_status = response
            .headers()
            .get("grpc-status")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        tracing::info!(
            target: "access",
            method = self.method.as_str(),
            path = self.uri.path(),
            status = response.status().as_u16(),
            grpc_status,
            latency_ms = self.started.elapsed().as_millis() as u64,
            request_id = self
                .request_id
                .as_ref()
                .and_then(|value| value.to_str().ok())
                .unwrap_or(""),
            user = self.user.as_ref().map_or("", |caller| caller.user_id.as_str()),
            address = %Address(self.address),
            "request"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_at_its_rate() {
        let spec = BucketSpec {
            per_second: 2.0,
            burst: 2.0,
        };
        let limiter = RateLimiter::new(spec, spec);
        let start = Instant::now();
        assert!(limiter.take(Key::User("k"), spec, start).is_ok());
        assert!(limiter.take(Key::User("k"), spec, start).is_ok());
        let wait = limiter
            .take(Key::User("k"), spec, start)
            .expect_err("empty");
        assert!(wait <= Duration::from_millis(500) && wait > Duration::ZERO);
        assert!(
            limiter.take(Key::User("other"), spec, start).is_ok(),
            "buckets are per key"
        );
        assert!(
            limiter
                .take(Key::User("k"), spec, start + Duration::from_millis(600))
                .is_ok()
        );
    }
}
