//! 台账 — the register of party members in hardship (SPEC §2, §3): the
//! organisation tree, members with their families, hardship records and their
//! yearly verifications, the register's forms, and the service's audit trail.
//!
//! Reads top-down: [`api`] hands each RPC to the runtime's pipeline,
//! [`commands`] parses requests (every bad field at once), [`domain`] holds
//! the rules (no I/O), [`store`] holds every SQL statement, [`export`] writes
//! the forms, [`pii`] seals sensitive data.

pub mod api;
pub mod commands;
pub mod domain;
pub mod export;
pub mod pii;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;

use relief_proto::ledger::v1::ledger_service_server::LedgerServiceServer;
use relief_runtime::app::Foundation;
use relief_runtime::config::RuntimeSettings;
use relief_runtime::serve::GrpcService;
use secrecy::SecretString;
use serde::Deserialize;

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

/// The ledger's own settings: the keys of its sealed data. (The committee,
/// root of its tree, is `committee` of the runtime's settings.)
#[derive(Debug, Clone, Deserialize)]
pub struct LedgerSettings {
    pub pii_encryption_key: SecretString,
    pub pii_hash_key: SecretString,
}

impl Settings {
    pub fn load() -> anyhow::Result<Self> {
        Ok(relief_runtime::config::load(DEFAULTS)?)
    }
}

/// A built ledger service: migrated, listening, not yet serving.
pub struct Application {
    foundation: Foundation,
    api: api::LedgerApi,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pii = pii::Pii::from_settings(&settings.ledger)?;
        let committee = &settings.runtime.committee;
        anyhow::ensure!(
            committee.path == format!("/{}/", committee.org_id),
            "committee.path must be /{}/: the committee is the root of the ledger's tree",
            committee.org_id
        );
        let foundation = Foundation::build("ledger", settings.runtime, &MIGRATOR).await?;
        store::ensure_committee(&foundation.pool, &foundation.settings.committee).await?;
        let api = api::LedgerApi::new(foundation.rpc(&store::REFUSALS), pii);
        Ok(Application { foundation, api })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.foundation.local_addr()
    }

    /// Serves until `shutdown` completes, then drains and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let limits = &self.foundation.settings.limits;
        let server = LedgerServiceServer::new(self.api)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let service = GrpcService {
            names: vec!["relief.ledger.v1.LedgerService".to_owned()],
            routes: tonic::service::Routes::new(server),
            gates: vec![&api::gates::GATES],
        };
        self.foundation.serve(service, shutdown).await
    }
}
