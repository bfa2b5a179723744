//! 救助资金 — the relief funds (SPEC §4 step 7, §6; measures §4.5, §5.1,
//! §5.3): the yearly budget from party dues, relief standards, allocations to
//! units' grassroots organisations, payments to members, signed receipts that
//! make vouchers, the special inspection — as a double-entry ledger whose
//! postings are never edited — and a transactional outbox relayed to the
//! notification and workflow services.
//!
//! Reads top-down: [`api`] validates and authorises each RPC, [`domain`]
//! holds the rules (no I/O), [`store`] holds every SQL statement, [`export`]
//! writes the .xlsx files, [`relay`] delivers the outbox.

pub mod api;
pub mod domain;
pub mod error;
pub mod export;
pub mod relay;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use relief_proto::common::v1::OrgRef;
use relief_proto::funds::v1::funds_service_server::FundsServiceServer;
use relief_runtime::auth::{RoleBinding, ServicePrincipal, TokenSigner, TokenVerifier};
use relief_runtime::config::RuntimeSettings;
use relief_runtime::serve::GrpcService;
use secrecy::ExposeSecret;
use serde::Deserialize;
use tokio::net::TcpListener;

/// Embedded defaults of this service, under the runtime's.
const DEFAULTS: &str = include_str!("../config/defaults.yaml");

/// Migrations of the `funds` schema, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The gRPC service name, for health checks.
pub const SERVICE_NAME: &str = "relief.funds.v1.FundsService";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub runtime: RuntimeSettings,
    pub funds: FundsSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FundsSettings {
    /// The committee, owner of the funds.
    pub committee: CommitteeSettings,
    pub principal_kid: String,
    pub principal_issuer: String,
    pub principal_roles: Vec<RoleBinding>,
    pub relay: RelaySettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitteeSettings {
    pub org_id: i64,
    pub path: String,
    pub name: String,
}

impl CommitteeSettings {
    pub fn org_ref(&self) -> OrgRef {
        OrgRef {
            org_id: self.org_id,
            path: self.path.clone(),
            name: self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RelaySettings {
    pub poll_interval_ms: u64,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub batch_size: i64,
    pub receipt_missing_after_days: i32,
    pub receipt_sweep_interval_ms: u64,
}

impl Default for FundsSettings {
    /// The embedded defaults (what tests start from).
    fn default() -> Self {
        FundsSettings {
            committee: CommitteeSettings {
                org_id: 1,
                path: "/1/".to_owned(),
                name: "市直机关工委".to_owned(),
            },
            principal_kid: "funds".to_owned(),
            principal_issuer: "funds".to_owned(),
            principal_roles: vec![RoleBinding {
                role: relief_runtime::auth::Role::Department,
                org_path: "/1/".to_owned(),
            }],
            relay: RelaySettings {
                poll_interval_ms: 1_000,
                initial_backoff_ms: 1_000,
                max_backoff_ms: 300_000,
                batch_size: 50,
                receipt_missing_after_days: 30,
                receipt_sweep_interval_ms: 3_600_000,
            },
        }
    }
}

impl Settings {
    pub fn load() -> anyhow::Result<Self> {
        Ok(relief_runtime::config::load(DEFAULTS)?)
    }
}

/// A built funds service: migrated, listening, not yet serving.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    settings: Settings,
    verifier: Arc<TokenVerifier>,
    api: api::FundsApi,
    relay: relay::Relay,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let committee = &settings.funds.committee;
        anyhow::ensure!(
            committee.path.starts_with('/') && committee.path.ends_with('/'),
            "funds.committee.path must be a materialised path like /1/"
        );
        let verifier = Arc::new(TokenVerifier::new(&settings.runtime.auth)?);
        let principal = match &settings.runtime.auth.service_signing_key {
            Some(key) => Some(Arc::new(ServicePrincipal::new(
                "funds",
                TokenSigner::from_pem(
                    &settings.funds.principal_kid,
                    &settings.funds.principal_issuer,
                    &settings.runtime.auth.audience,
                    key.expose_secret(),
                )?,
                settings.funds.principal_roles.clone(),
            ))),
            None => None,
        };
        let pool =
            relief_runtime::db::connect_and_migrate(&settings.runtime.database, &MIGRATOR).await?;
        relief_runtime::idempotency::spawn_pruning(
            pool.clone(),
            Duration::from_secs(settings.runtime.limits.idempotency_retention_days * 86_400),
        );
        let store = store::Store::new(pool);
        let listener = TcpListener::bind((
            settings.runtime.grpc.host.as_str(),
            settings.runtime.grpc.port,
        ))
        .await?;
        let local_addr = listener.local_addr()?;
        let api = api::FundsApi::new(store.clone(), committee.org_ref());
        let relay = relay::Relay::new(
            store,
            settings.funds.relay.clone(),
            &settings.runtime.peers,
            principal,
        )?;
        Ok(Application {
            listener,
            local_addr,
            settings,
            verifier,
            api,
            relay,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves, and relays the outbox, until `shutdown` completes; then drains
    /// and returns. The relay stops at once: an event it was delivering stays
    /// undelivered in the outbox and is delivered again by the next run.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let limits = &self.settings.runtime.limits;
        let server = FundsServiceServer::new(self.api)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let service = GrpcService {
            names: vec![SERVICE_NAME],
            routes: tonic::service::Routes::new(server),
        };
        let relay = tokio::spawn(self.relay.run());
        let served =
            relief_runtime::serve::serve(self.listener, limits, self.verifier, service, shutdown)
                .await;
        relay.abort();
        served
    }
}
