//! Calling another service: a deadline on every call, the trace context and a
//! request id passed on, and an identity — the caller's own token when acting
//! on a user's behalf, or the service's own principal for work it does alone.

use std::sync::Arc;
use std::time::Duration;

use tonic::Status;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint};

use crate::auth::{Caller, ServicePrincipal};

/// Whose authority an outgoing call carries.
#[derive(Clone)]
pub enum CallAs {
    /// The user who called us: their token, so the callee checks *their* rights.
    Caller(Caller),
    /// This service itself, with only the roles its principal was given.
    Service(Arc<ServicePrincipal>),
}

/// Adds identity, deadline, trace context and request id to every call.
#[derive(Clone)]
pub struct PeerInterceptor {
    call_as: CallAs,
    deadline: Duration,
}

impl PeerInterceptor {
    pub fn new(call_as: CallAs, deadline: Duration) -> Self {
        PeerInterceptor { call_as, deadline }
    }
}

impl Interceptor for PeerInterceptor {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        let token = match &self.call_as {
            CallAs::Caller(caller) => caller.token().to_owned(),
            CallAs::Service(principal) => principal
                .token()
                .map_err(|err| Status::internal(format!("cannot mint the service token: {err}")))?,
        };
        let bearer = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::internal("token is not valid metadata"))?;
        request.metadata_mut().insert("authorization", bearer);
        request.set_timeout(self.deadline);
        crate::telemetry::inject_current_context(request.metadata_mut());
        Ok(request)
    }
}

/// The largest header block (an answer's trailers included) taken from a
/// peer. Our services bound their answers far below it (see
/// [`crate::error::MAX_VIOLATIONS`]); hyper's default of 16 KiB is so close
/// that a block past twice the limit ends the whole HTTP/2 connection
/// (GOAWAY), failing every other call sharing it.
const PEER_MAX_HEADER_LIST_BYTES: u32 = 256 * 1024;

/// A lazily connected channel to a peer at `address` (e.g. `http://ledger:50051`).
pub fn peer_channel(address: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(address.to_owned())?
        .connect_timeout(Duration::from_secs(5))
        .http2_max_header_list_size(PEER_MAX_HEADER_LIST_BYTES)
        .connect_lazy())
}

/// A peer as this service's own principal calls it: the lazily connected
/// channel with identity, deadline and trace context added to every call.
pub type ServiceChannel = tonic::codegen::InterceptedService<Channel, PeerInterceptor>;

/// The channel to the peer `name` (`peers.<name>`) as this service's own
/// principal; `None` when the peer or the principal (the service's signing
/// key) is not configured — the caller decides whether that refuses work or
/// leaves it waiting, and says so.
pub fn service_channel(
    peers: &crate::config::PeerSettings,
    name: &str,
    principal: Option<&Arc<ServicePrincipal>>,
) -> anyhow::Result<Option<ServiceChannel>> {
    let (Some(address), Some(principal)) = (peers.address(name), principal) else {
        return Ok(None);
    };
    Ok(Some(tonic::codegen::InterceptedService::new(
        peer_channel(address)?,
        PeerInterceptor::new(
            CallAs::Service(principal.clone()),
            Duration::from_millis(peers.timeout_ms),
        ),
    )))
}
