//! Forwarding gRPC calls to the services behind the gateway, unchanged: the
//! caller's token, deadline (`grpc-timeout`) and request id travel with the
//! call, the trace context is the gateway's span, and each service still
//! checks authorisation itself.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use relief_runtime::auth::Authentication;
use tonic::Status;
use tonic::transport::Channel;
use tower::{Service, ServiceExt};

/// One upstream service: calls whose path starts with `/<name>/` go to it.
#[derive(Clone)]
pub struct Upstream {
    pub name: std::sync::Arc<str>,
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
        let channel = self.channel.clone();
        let name = self.name.clone();
        Box::pin(async move {
            // A token the gateway refuses never reaches a service.
            match request.extensions().get::<Authentication>() {
                Some(Authentication::Caller(_)) => {}
                Some(Authentication::Refused(reason)) => {
                    return Ok(status_response(Status::unauthenticated(reason.clone())));
                }
                None => {
                    return Ok(status_response(Status::unauthenticated(
                        "a bearer token is required",
                    )));
                }
            }
            let (mut parts, body) = request.into_parts();
            relief_runtime::telemetry::inject_into_headers(&mut parts.headers);
            let forwarded = http::Request::from_parts(parts, tonic::body::Body::new(body));
            match channel.oneshot(forwarded).await {
                Ok(response) => Ok(response.map(axum::body::Body::new)),
                Err(err) => {
                    tracing::warn!(upstream = %name, error = %err, "upstream unavailable");
                    Ok(status_response(Status::unavailable(format!(
                        "{name} is unavailable; try again shortly"
                    ))))
                }
            }
        })
    }
}
