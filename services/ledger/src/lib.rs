//! 台账 — the register of party members in hardship (SPEC §2, §3): the
//! organisation tree, members with their families, hardship records and their
//! yearly verifications, the register's forms, and the service's audit trail.
//!
//! Reads top-down: [`api`] validates and authorises each RPC, [`domain`] holds
//! the rules (no I/O), [`store`] holds every SQL statement, [`export`] writes
//! the forms, [`pii`] seals sensitive data.

pub mod api;
pub mod domain;
pub mod error;
pub mod export;
pub mod pii;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use relief_proto::ledger::v1::ledger_service_server::LedgerServiceServer;
use relief_runtime::auth::TokenVerifier;
use relief_runtime::config::RuntimeSettings;
use relief_runtime::serve::GrpcService;
use secrecy::SecretString;
use serde::Deserialize;
use tokio::net::TcpListener;

/// Embedded defaults of this service, under the runtime's.
const DEFAULTS: &str = include_str!("../config/defaults.yaml");

/// Migrations of the `ledger` schema, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub runtime: RuntimeSettings,
    pub ledger: LedgerSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LedgerSettings {
    pub pii_encryption_key: SecretString,
    pub pii_hash_key: SecretString,
    pub committee_name: String,
}

impl Settings {
    pub fn load() -> anyhow::Result<Self> {
        Ok(relief_runtime::config::load(DEFAULTS)?)
    }
}

/// A built ledger service: migrated, listening, not yet serving.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    settings: Settings,
    verifier: Arc<TokenVerifier>,
    api: api::LedgerApi,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pii = pii::Pii::from_settings(&settings.ledger)?;
        let verifier = Arc::new(TokenVerifier::new(&settings.runtime.auth)?);
        let pool =
            relief_runtime::db::connect_and_migrate(&settings.runtime.database, &MIGRATOR).await?;
        relief_runtime::idempotency::spawn_pruning(
            pool.clone(),
            Duration::from_secs(settings.runtime.limits.idempotency_retention_days * 86_400),
        );
        store::ensure_committee(&pool, &settings.ledger.committee_name).await?;
        let listener = TcpListener::bind((
            settings.runtime.grpc.host.as_str(),
            settings.runtime.grpc.port,
        ))
        .await?;
        let local_addr = listener.local_addr()?;
        let api = api::LedgerApi::new(store::Store::new(pool), pii);
        Ok(Application {
            listener,
            local_addr,
            settings,
            verifier,
            api,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then drains and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let limits = &self.settings.runtime.limits;
        let server = LedgerServiceServer::new(self.api)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let service = GrpcService {
            names: vec!["relief.ledger.v1.LedgerService"],
            routes: tonic::service::Routes::new(server),
        };
        relief_runtime::serve::serve(self.listener, limits, self.verifier, service, shutdown).await
    }
}
