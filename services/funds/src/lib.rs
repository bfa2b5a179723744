//! 救助资金 — the relief funds (SPEC §4 step 7, §6; measures §4.5, §5.1,
//! §5.3): the yearly budget from party dues, relief standards, allocations to
//! units' grassroots organisations, payments to members, signed receipts that
//! make vouchers, the special inspection — as a double-entry ledger whose
//! postings are never edited — and events for the notification and workflow
//! services, through the runtime's transactional outbox.
//!
//! Reads top-down: [`api`] authorises each RPC and asks, [`domain`] parses
//! requests and holds the rules (no I/O), [`store`] holds every SQL statement,
//! [`export`] writes the .xlsx files, [`events`] and [`courier`] tell the
//! other services, [`sweep`] announces overdue receipts. Members and
//! organisations are the ledger's, read through [`register`]; the committee
//! decision an allocation cites is checked through [`decisions`].

pub mod api;
pub mod courier;
pub mod decisions;
pub mod domain;
pub mod events;
pub mod export;
pub mod register;
pub mod store;
pub mod sweep;

use std::future::Future;
use std::net::SocketAddr;

use relief_proto::funds::v1::funds_service_server::FundsServiceServer;
use relief_runtime::app::Foundation;
use relief_runtime::config::RuntimeSettings;
use relief_runtime::outbox::Relay;
use relief_runtime::serve::GrpcService;
use serde::Deserialize;

use crate::courier::FundsCourier;
use crate::domain::refusal::REFUSALS;
use crate::register::Register;
use crate::store::Store;
use crate::sweep::ReceiptSweep;

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
    #[serde(default)]
    pub funds: FundsSettings,
}

/// What only the funds service is told (`funds.*`). The committee, the
/// service's principal and the outbox relay's pacing are the runtime's.
#[derive(Debug, Clone, Deserialize)]
pub struct FundsSettings {
    /// A payment this many days old without a receipt gets a RECEIPT_MISSING
    /// event (once).
    pub receipt_missing_after_days: i32,
    /// How often the sweep looks for such payments.
    pub receipt_sweep_interval_ms: u64,
    /// Without a workflow service, record the committee decision an
    /// allocation cites as given instead of refusing it (a funds service run
    /// on its own: its tests, past years' books). With `peers.workflow` set
    /// the workflow is always asked.
    #[serde(default)]
    pub accept_cited_decisions: bool,
}

impl Default for FundsSettings {
    /// The embedded defaults (what tests start from).
    fn default() -> Self {
        FundsSettings {
            receipt_missing_after_days: 30,
            receipt_sweep_interval_ms: 3_600_000,
            accept_cited_decisions: false,
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
    foundation: Foundation,
    api: api::FundsApi,
    relay: Relay<FundsCourier>,
    sweep: ReceiptSweep,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let foundation = Foundation::build("funds", settings.runtime, &MIGRATOR).await?;
        let store = Store::new(foundation.pool.clone());
        let register = Register::new(&foundation.settings.peers, foundation.principal.clone())?;
        let decisions = decisions::configured(
            &foundation.settings.peers,
            foundation.principal.as_ref(),
            settings.funds.accept_cited_decisions,
        )?;
        let api = api::FundsApi::new(
            foundation.rpc(&REFUSALS),
            store.clone(),
            register,
            decisions,
        );
        let courier = FundsCourier::new(&foundation.settings.peers, foundation.principal.clone())?;
        let relay = Relay::new(
            foundation.pool.clone(),
            foundation.settings.outbox.clone(),
            courier,
        );
        let sweep = ReceiptSweep::new(store, settings.funds);
        Ok(Application {
            foundation,
            api,
            relay,
            sweep,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.foundation.local_addr()
    }

    /// Serves, relays the outbox and sweeps for overdue receipts until
    /// `shutdown` completes; then drains and returns. The relay stops at
    /// once: an event it was delivering stays undelivered in the outbox and
    /// is delivered again by the next run.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let max_bytes = self.foundation.settings.limits.max_message_bytes;
        let server = FundsServiceServer::new(self.api)
            .max_decoding_message_size(max_bytes)
            .max_encoding_message_size(max_bytes);
        let service = GrpcService {
            names: vec![SERVICE_NAME.to_owned()],
            routes: tonic::service::Routes::new(server),
            gates: vec![&api::gates::GATES],
        };
        let relay = tokio::spawn(self.relay.run());
        let sweep = tokio::spawn(self.sweep.run());
        let served = self.foundation.serve(service, shutdown).await;
        relay.abort();
        sweep.abort();
        served
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_name_the_principal_and_the_receipt_limits() {
        let settings: Settings =
            relief_runtime::config::load(DEFAULTS).expect("the embedded defaults load");
        let principal = &settings.runtime.auth.principal;
        assert_eq!(
            (principal.kid.as_str(), principal.issuer.as_str()),
            ("funds", "funds")
        );
        assert_eq!(principal.roles.len(), 2);
        assert_eq!(principal.roles[0].role, relief_runtime::auth::Role::Reader);
        assert_eq!(principal.roles[1].role, relief_runtime::auth::Role::Relay);
        assert_eq!(principal.roles[0].org_path, "/1/");
        assert_eq!(settings.runtime.committee.path, "/1/");
        assert_eq!(settings.funds.receipt_missing_after_days, 30);
        assert_eq!(settings.funds.receipt_sweep_interval_ms, 3_600_000);
        assert!(!settings.funds.accept_cited_decisions);
    }
}
