//! Serving a service over gRPC the way every client expects: health
//! (`grpc.health.v1`), reflection, authentication of every call, a deadline,
//! a concurrency limit, message-size limits, trace context, and a graceful
//! stop that reports NOT_SERVING before it drains.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tower::{Layer, Service};

use futures::future::{Either, Ready, ready};

use crate::auth::{Authentication, Gates, TokenVerifier, gates_for};
use crate::config::LimitSettings;
use crate::error::Error;

/// Verifies the bearer token of every request and leaves the conclusion in
/// the request's extensions for handlers (see [`crate::auth::caller`]), then
/// lets the call through its method's [`Gates`] — a caller with no right to
/// the method at all is refused before its request is read. Health checks
/// and reflection have no gates and need no token.
#[derive(Clone)]
pub struct AuthLayer {
    verifier: Arc<TokenVerifier>,
    gates: Arc<[&'static Gates]>,
}

impl AuthLayer {
    pub fn new(verifier: Arc<TokenVerifier>, gates: &[&'static Gates]) -> Self {
        AuthLayer {
            verifier,
            gates: gates.into(),
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: self.verifier.clone(),
            gates: self.gates.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    verifier: Arc<TokenVerifier>,
    gates: Arc<[&'static Gates]>,
}

impl<S, B, Answer> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<Answer>>,
    Answer: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<S::Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let authentication = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|token| match self.verifier.verify(token) {
                Ok(caller) => Authentication::Caller(caller),
                Err(reason) => {
                    tracing::info!(%reason, "bearer token refused");
                    Authentication::Refused(reason)
                }
            });
        if let Some((gates, method)) = gates_for(&self.gates, request.uri().path())
            && let Err(refused) = gates.admit(method, authentication.as_ref())
        {
            return Either::Left(ready(Ok(refused.into_http())));
        }
        if let Some(authentication) = authentication {
            request.extensions_mut().insert(authentication);
        }
        Either::Right(self.inner.call(request))
    }
}

/// A limit on the calls a process serves at once, over all its connections. A call over the
/// limit is refused at once — `RESOURCE_EXHAUSTED`, reason `OVERLOADED` — rather than queued
/// behind the others until its deadline: a caller learns in microseconds to back off or try
/// another replica. A call keeps its place until its answer's head is sent (a streamed answer's
/// chunks are not counted).
#[derive(Clone)]
pub struct InFlightLimitLayer {
    places: Arc<Semaphore>,
    limit: usize,
    service: &'static str,
}

impl InFlightLimitLayer {
    /// `service` names the process in the refusal's `ErrorInfo`.
    pub fn new(limit: usize, service: &'static str) -> Self {
        InFlightLimitLayer {
            places: Arc::new(Semaphore::new(limit)),
            limit,
            service,
        }
    }
}

impl<S> Layer<S> for InFlightLimitLayer {
    type Service = InFlightLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InFlightLimit {
            inner,
            limit: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct InFlightLimit<S> {
    inner: S,
    limit: InFlightLimitLayer,
}

impl<S, B, Answer> Service<http::Request<B>> for InFlightLimit<S>
where
    S: Service<http::Request<B>, Response = http::Response<Answer>>,
    Answer: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<S::Response, S::Error>>, Holding<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        match self.limit.places.clone().try_acquire_owned() {
            Ok(place) => Either::Right(Holding {
                answer: self.inner.call(request),
                _place: place,
            }),
            Err(_) => {
                tracing::warn!(
                    limit = self.limit.limit,
                    "call refused: limit of calls in flight"
                );
                let status = Error::Overloaded(self.limit.limit).into_status(self.limit.service);
                Either::Left(ready(Ok(status.into_http())))
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A call's answer, holding the call's place under the limit until it is ready.
    pub struct Holding<F> {
        #[pin]
        answer: F,
        _place: OwnedSemaphorePermit,
    }
}

impl<F: Future> Future for Holding<F> {
    type Output = F::Output;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().answer.poll(cx)
    }
}

/// Gives every request an id (the caller's when it is sane, see
/// [`crate::telemetry::request_id`]) and a span made with all its fields, in which the
/// layers inside — authentication first — and the handler run. It takes the place of tonic's
/// `trace_fn`, which makes the span before any layer can settle the request id.
#[derive(Clone, Copy, Default)]
pub struct RequestSpanLayer;

impl<S> Layer<S> for RequestSpanLayer {
    type Service = RequestSpan<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestSpan { inner }
    }
}

#[derive(Clone)]
pub struct RequestSpan<S> {
    inner: S,
}

impl<S, B> Service<http::Request<B>> for RequestSpan<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = tracing::instrument::Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let request_id = crate::telemetry::request_id(request.headers());
        let span = crate::telemetry::request_span(
            request.uri().path(),
            request.headers(),
            request_id.to_str().unwrap_or(""),
        );
        request
            .headers_mut()
            .insert(crate::telemetry::REQUEST_ID, request_id);
        let future = span.in_scope(|| self.inner.call(request));
        tracing::Instrument::instrument(future, span)
    }
}

/// One service process's gRPC surface, ready to serve.
pub struct GrpcService {
    /// Fully-qualified gRPC service names, for per-service health status.
    pub names: Vec<String>,
    pub routes: Routes,
    /// The gates of the services this process implements (not of those it
    /// only forwards to: their own process gates them).
    pub gates: Vec<&'static Gates>,
}

/// Serves `service` on `listener` until `shutdown` completes, then reports
/// NOT_SERVING, keeps answering for the drain period (so load balancers stop
/// sending), and finishes the calls in flight.
pub async fn serve(
    service_name: &'static str,
    listener: TcpListener,
    limits: &LimitSettings,
    verifier: Arc<TokenVerifier>,
    service: GrpcService,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("", ServingStatus::Serving).await;
    for name in &service.names {
        health
            .set_service_status(name.as_str(), ServingStatus::Serving)
            .await;
    }
    // Both reflection versions: grpcurl speaks v1, many other clients
    // (Postman, Python's grpc_reflection, older tools) still v1alpha.
    let descriptors = served_descriptors(&service.names)?;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_file_descriptor_set(descriptors.clone())
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let drain = Duration::from_millis(limits.drain_ms);
    let names = service.names.clone();
    let stopping = async move {
        shutdown.await;
        tracing::info!("stopping: reporting NOT_SERVING and draining");
        health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        for name in names {
            health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
        tokio::time::sleep(drain).await;
    };

    // One limit on calls in flight, over all connections (see `InFlightLimit`).
    tonic::transport::Server::builder()
        .timeout(Duration::from_millis(limits.request_timeout_ms))
        .layer(RequestSpanLayer)
        .layer(InFlightLimitLayer::new(limits.concurrency, service_name))
        .layer(AuthLayer::new(verifier, &service.gates))
        .add_routes(service.routes)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(
            // A listener handed in gets none of tonic's socket defaults: without
            // TCP_NODELAY, larger answers wait ~40 ms on delayed ACKs.
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            stopping,
        )
        .await?;
    Ok(())
}

/// The API's descriptors with only the services this process serves, so a
/// reflection client lists what it can call here and nothing else.
fn served_descriptors(served: &[String]) -> anyhow::Result<prost_types::FileDescriptorSet> {
    let mut set: prost_types::FileDescriptorSet =
        prost::Message::decode(relief_proto::FILE_DESCRIPTOR_SET)?;
    for file in &mut set.file {
        let package = file.package().to_owned();
        file.service
            .retain(|svc| served.contains(&format!("{package}.{}", svc.name())));
    }
    Ok(set)
}

/// Completes on Ctrl-C or SIGTERM (what Kubernetes sends first).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
