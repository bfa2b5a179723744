//! The gateway: the one door (SPEC §8). It owns identity — users, role
//! bindings, login with rotating refresh tokens, lockout — in its own schema,
//! signs the access tokens every service verifies, forwards gRPC calls to the
//! services unchanged, and serves the same calls as gRPC-Web and as JSON over
//! HTTP (with an OpenAPI document and file downloads), behind request ids,
//! rate limits and security headers.

pub mod api;
pub mod domain;
pub mod edge;
pub mod ended;
pub mod oidc;
pub mod proxy;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use relief_proto::gateway::v1::identity_service_server::IdentityServiceServer;
use relief_runtime::app::Foundation;
use relief_runtime::auth::TokenSigner;
use relief_runtime::config::RuntimeSettings;
use relief_runtime::error::ConstraintRefusal;
use relief_runtime::serve::GrpcService;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::net::TcpListener;
use tonic::Code;

use crate::api::{IdentityApi, SessionPolicy};
use crate::domain::lockout::LockoutPolicy;
use crate::edge::json::JsonEdge;
use crate::edge::limits::{BucketSpec, RateLimiter};
use crate::proxy::{Forwarder, Upstream};

const DEFAULTS: &str = include_str!("../config/defaults.yaml");
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
pub const IDENTITY_SERVICE: &str = "relief.gateway.v1.IdentityService";

/// The proto package the gateway serves itself.
const GATEWAY_PACKAGE: &str = "relief.gateway.v1";

/// The identity store's constraints whose breach is a rule's refusal (a
/// concurrent request won the race, or the name was taken before).
static REFUSALS: [ConstraintRefusal; 2] = [
    ConstraintRefusal {
        constraint: "users_login_name_key",
        code: Code::AlreadyExists,
        reason: "LOGIN_NAME_TAKEN",
        message: "user.login_name: this login name is taken",
    },
    ConstraintRefusal {
        constraint: "role_bindings_live",
        code: Code::AlreadyExists,
        reason: "ROLE_ALREADY_BOUND",
        message: "role_binding: the user already holds this role on this node",
    },
];

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub runtime: RuntimeSettings,
    pub gateway: GatewaySettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GatewaySettings {
    pub http_host: String,
    /// 0 picks a free port (tests).
    pub http_port: u16,
    pub signing_key: SecretString,
    pub signing_kid: String,
    pub issuer: String,
    pub access_token_ttl_seconds: u64,
    pub refresh_token_ttl_seconds: i64,
    pub lockout: LockoutSettings,
    pub rate_limit: RateLimitSettings,
    pub max_body_bytes: usize,
    #[serde(default)]
    pub cors_allowed_origins: Vec<String>,
    pub bootstrap_admin: BootstrapAdmin,
    /// An external OpenID Connect provider whose tokens are exchanged.
    pub oidc: oidc::OidcSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LockoutSettings {
    pub max_failures: i32,
    pub lock_seconds: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    pub per_user_per_second: f64,
    pub per_user_burst: f64,
    pub per_address_per_second: f64,
    pub per_address_burst: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BootstrapAdmin {
    pub login_name: String,
    pub password: SecretString,
}

impl Settings {
    pub fn load() -> anyhow::Result<Self> {
        Ok(relief_runtime::config::load(DEFAULTS)?)
    }
}

/// The services behind the gateway. Each configured peer `name` serves the
/// proto package `relief.<name>.v1`, so every gRPC service of that package is
/// forwarded to it: a new service needs configuration, not code.
fn upstreams(
    settings: &RuntimeSettings,
    descriptors: &prost_reflect::DescriptorPool,
) -> anyhow::Result<Vec<Upstream>> {
    let mut upstreams = Vec::new();
    for (peer, address) in settings.peers.iter() {
        let package = format!("relief.{peer}.v1");
        // The gateway's own package is served here, not forwarded (a config
        // listing every service, the gateway included, must not loop).
        if package == GATEWAY_PACKAGE {
            continue;
        }
        let channel = relief_runtime::client::peer_channel(address)?;
        let mut served = 0;
        for service in descriptors
            .services()
            .filter(|service| service.package_name() == package)
        {
            upstreams.push(Upstream::new(service.full_name(), channel.clone()));
            served += 1;
        }
        if served == 0 {
            tracing::warn!(peer, %package, "peer configured, but no gRPC service is declared in its package");
        }
    }
    Ok(upstreams)
}

/// A built gateway: migrated, listening on both ports, not serving yet.
pub struct Application {
    /// The gRPC side (identity, and every upstream forwarded).
    foundation: Foundation,
    http_listener: TcpListener,
    grpc_router: axum::Router,
    http_router: axum::Router,
    services: Vec<String>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let Settings { runtime, gateway } = settings;
        anyhow::ensure!(
            !gateway.signing_key.expose_secret().is_empty(),
            "gateway.signing_key must be set (Ed25519 private key, PKCS#8 PEM)"
        );
        let signer = Arc::new(TokenSigner::from_pem(
            &gateway.signing_kid,
            &gateway.issuer,
            &runtime.auth.audience,
            gateway.signing_key.expose_secret(),
        )?);
        let foundation = Foundation::build("gateway", runtime, &MIGRATOR).await?;
        let runtime = &foundation.settings;
        let descriptors = prost_reflect::DescriptorPool::decode(relief_proto::FILE_DESCRIPTOR_SET)?;
        let upstreams = upstreams(runtime, &descriptors)?;
        // Tokens of ended sessions are refused on both ports (see `ended`).
        let ended = ended::EndedSessions::new(
            Duration::from_secs(gateway.access_token_ttl_seconds)
                + Duration::from_secs(runtime.auth.clock_skew_seconds),
        );
        let store = store::Store::new(foundation.pool.clone());
        ended.reload(&store).await?;
        ended.spawn_polling(store);
        let check = ended.clone();
        foundation
            .verifier
            .refuse_ended_sessions(Arc::new(move |session| check.has_ended(session)));
        let ledger = runtime
            .peers
            .address("ledger")
            .map(relief_runtime::client::peer_channel)
            .transpose()?;
        let identity = IdentityApi::new(
            foundation.rpc(&REFUSALS),
            signer,
            SessionPolicy {
                access_ttl: Duration::from_secs(gateway.access_token_ttl_seconds),
                refresh_ttl: time::Duration::seconds(gateway.refresh_token_ttl_seconds),
                lockout: LockoutPolicy {
                    max_failures: gateway.lockout.max_failures.max(1),
                    lock_for: time::Duration::seconds(gateway.lockout.lock_seconds),
                },
            },
            ledger,
            Duration::from_millis(runtime.peers.timeout_ms),
            oidc::OidcVerifier::new(&gateway.oidc)?.map(Arc::new),
            ended,
        );
        identity
            .bootstrap_admin(
                &gateway.bootstrap_admin.login_name,
                gateway.bootstrap_admin.password.expose_secret(),
            )
            .await?;

        let limits = &runtime.limits;
        let identity_server = IdentityServiceServer::new(identity)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let mut grpc_router = tonic::service::Routes::new(identity_server).into_axum_router();
        let mut services = vec![IDENTITY_SERVICE.to_owned()];
        for upstream in &upstreams {
            grpc_router = grpc_router
                .route_service(&format!("/{}/{{*rest}}", upstream.name), upstream.clone());
            services.push(upstream.name.to_string());
        }

        let limiter = Arc::new(RateLimiter::new(
            BucketSpec {
                per_second: gateway.rate_limit.per_user_per_second,
                burst: gateway.rate_limit.per_user_burst,
            },
            BucketSpec {
                per_second: gateway.rate_limit.per_address_per_second,
                burst: gateway.rate_limit.per_address_burst,
            },
        ));
        let openapi = Arc::new(edge::openapi::document(&descriptors, &services));
        let json = Arc::new(JsonEdge {
            pool: descriptors,
            services: services.clone(),
            dispatch: grpc_router.clone(),
            max_body_bytes: gateway.max_body_bytes,
            call_timeout: Duration::from_millis(limits.request_timeout_ms),
        });
        let http_router = edge::router(
            edge::HttpEdge {
                json,
                openapi,
                limiter: limiter.clone(),
                verifier: foundation.verifier.clone(),
                cors_allowed_origins: gateway.cors_allowed_origins.clone(),
                pool: foundation.pool.clone(),
            },
            grpc_router.clone(),
        );
        // On the gRPC port, upstream calls skip the router (see `Forwarder`); the identity
        // service and unknown paths take the router with the same edge as middleware.
        let local = grpc_router.layer(axum::middleware::from_fn_with_state(
            limiter.clone(),
            edge::limits::grpc_edge,
        ));
        let grpc_router =
            axum::Router::new().fallback_service(Forwarder::new(&upstreams, limiter, local));

        let http_listener =
            TcpListener::bind((gateway.http_host.as_str(), gateway.http_port)).await?;
        Ok(Application {
            foundation,
            http_listener,
            grpc_router,
            http_router,
            services,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.foundation.local_addr()
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http_listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves gRPC and HTTP until `shutdown` completes; both drain and stop.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let wait = |mut receiver: tokio::sync::watch::Receiver<bool>| async move {
            let _ = receiver.wait_for(|stopped| *stopped).await;
        };
        let grpc = self.foundation.serve(
            GrpcService {
                names: self.services,
                routes: tonic::service::Routes::from(self.grpc_router),
                gates: vec![&api::gates::GATES],
            },
            wait(stopping.clone()),
        );
        // As on the gRPC side: no Nagle delay on answers.
        let http_listener = axum::serve::ListenerExt::tap_io(self.http_listener, |tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::warn!(error = %err, "cannot set TCP_NODELAY");
            }
        });
        let http = axum::serve(
            http_listener,
            self.http_router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(wait(stopping));
        let (grpc, http) = tokio::join!(grpc, http);
        grpc?;
        http?;
        Ok(())
    }
}
