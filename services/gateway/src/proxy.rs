//! Forwarding gRPC calls to the services behind the gateway, unchanged: the
//! caller's token, deadline (`grpc-timeout`) and request id travel with the
//! call, the trace context is the gateway's span, and each service still
//! checks authorisation itself.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use relief_runtime::auth::Authentication;
use tonic::Status;
use tonic::transport::Channel;
use tower::{Service, ServiceExt};

use crate::edge::limits::{self, RateLimiter};

/// One upstream service: calls whose path starts with `/<name>/` go to it.
#[derive(Clone)]
pub struct Upstream {
    pub name: Arc<str>,
    channel: Channel,
}

impl Upstream {
    pub fn new(name: &str, channel: Channel) -> Self {
        Upstream {
            name: name.into(),
            channel,
        }
    }
}

/// Answers with a gRPC status (trailers-only), which gRPC and gRPC-Web
/// clients both read.
pub fn status_response(status: Status) -> Response {
    status.into_http::<axum::body::Body>().into_response()
}

impl Service<http::Request<axum::body::Body>> for Upstream {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> Self::Future {
        Box::pin(forward(self.channel.clone(), self.name.clone(), request).map(Ok))
    }
}

/// Forwards one call to `channel`, unless the gateway refused the caller's token (or there is
/// none): such a call never reaches a service.
async fn forward(
    channel: Channel,
    name: Arc<str>,
    request: http::Request<axum::body::Body>,
) -> Response {
    match request.extensions().get::<Authentication>() {
        Some(Authentication::Caller(_)) => {}
        Some(Authentication::Refused(reason)) => {
            return status_response(Status::unauthenticated(reason.clone()));
        }
        None => {
            return status_response(Status::unauthenticated("a bearer token is required"));
        }
    }
    let (mut parts, body) = request.into_parts();
    relief_runtime::telemetry::inject_into_headers(&mut parts.headers);
    let forwarded = http::Request::from_parts(parts, tonic::body::Body::new(body));
    match channel.oneshot(forwarded).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(err) => {
            tracing::warn!(upstream = %name, error = %err, "upstream unavailable");
            status_response(Status::unavailable(format!(
                "{name} is unavailable; try again shortly"
            )))
        }
    }
}

/// The gateway's gRPC port: a call to an upstream service is forwarded straight away, with
/// the port's rate limit and access line done inline ([`limits::around_grpc`]), rather than
/// through the axum router and its boxed middleware; anything else (the identity service,
/// unknown paths) goes to `local`, the router with that middleware.
#[derive(Clone)]
pub struct Forwarder {
    /// Upstream channels by fully-qualified gRPC service name.
    upstreams: Arc<HashMap<Arc<str>, Channel>>,
    limiter: Arc<RateLimiter>,
    local: axum::Router,
}

impl Forwarder {
    pub fn new(upstreams: &[Upstream], limiter: Arc<RateLimiter>, local: axum::Router) -> Self {
        Forwarder {
            upstreams: Arc::new(
                upstreams
                    .iter()
                    .map(|upstream| (upstream.name.clone(), upstream.channel.clone()))
                    .collect(),
            ),
            limiter,
            local,
        }
    }

    /// The upstream serving `path` (`/<service>/<method>`), with the service's name.
    fn upstream(&self, path: &str) -> Option<(&Arc<str>, &Channel)> {
        let (service, method) = path.strip_prefix('/')?.split_once('/')?;
        if method.is_empty() {
            return None;
        }
        self.upstreams.get_key_value(service)
    }
}

impl Service<http::Request<axum::body::Body>> for Forwarder {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> Self::Future {
        let Some((name, channel)) = self.upstream(request.uri().path()) else {
            return Box::pin(self.local.call(request));
        };
        let (name, channel) = (name.clone(), channel.clone());
        let limiter = self.limiter.clone();
        Box::pin(async move {
            Ok(
                limits::around_grpc(&limiter, request, |request| forward(channel, name, request))
                    .await,
            )
        })
    }
}
