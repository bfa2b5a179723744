//! 救助申请流程 — the application workflow (SPEC §4; measures §二–§五): a
//! relief case from the member's application through the branch review, the
//! 7-day public notice, the superior review and the committee's decision to
//! the funds and the signed receipt.
//!
//! Reads top-down: [`api`] authorises each RPC and acts, [`domain`] parses
//! requests and holds the rules (no I/O), [`store`] holds every SQL
//! statement, [`register`] asks the ledger, which owns members and
//! organisations, [`courier`] asks funds (the year's standards; an
//! approval's allocation, through the outbox), [`calendar`] knows the Spring
//! Festival and working days, [`export`] writes the approval form.

pub mod api;
pub mod calendar;
pub mod courier;
pub mod domain;
pub mod export;
pub mod register;
pub mod store;
pub mod sweep;

use std::future::Future;
use std::net::SocketAddr;

use relief_proto::workflow::v1::application_service_server::ApplicationServiceServer;
use relief_proto::workflow::v1::audit_service_server::AuditServiceServer;
use relief_proto::workflow::v1::calendar_service_server::CalendarServiceServer;
use relief_proto::workflow::v1::campaign_service_server::CampaignServiceServer;
use relief_proto::workflow::v1::committee_service_server::CommitteeServiceServer;
use relief_runtime::app::Foundation;
use relief_runtime::config::RuntimeSettings;
use relief_runtime::outbox::Relay;
use relief_runtime::sealing::Sealer;
use relief_runtime::serve::GrpcService;
use serde::Deserialize;

use crate::courier::{Funds, WorkflowCourier};
use crate::register::Register;

/// Embedded defaults of this service, under the runtime's.
const DEFAULTS: &str = include_str!("../config/defaults.yaml");

/// Migrations of the `workflow` schema, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The gRPC service names, for health checks.
pub const SERVICE_NAMES: [&str; 5] = [
    "relief.workflow.v1.ApplicationService",
    "relief.workflow.v1.CommitteeService",
    "relief.workflow.v1.CalendarService",
    "relief.workflow.v1.CampaignService",
    "relief.workflow.v1.AuditService",
];

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub runtime: RuntimeSettings,
    pub workflow: WorkflowSettings,
}

/// What only the workflow service is told (`workflow.*`).
#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowSettings {
    /// Base64 of 32 bytes sealing the household facts at rest.
    pub household_encryption_key: secrecy::SecretString,
    /// How often public notices whose time is up are looked for.
    pub notice_sweep_interval_ms: u64,
}

impl Settings {
    pub fn load() -> anyhow::Result<Self> {
        Ok(relief_runtime::config::load(DEFAULTS)?)
    }
}

/// A built workflow service: migrated, listening, not yet serving.
pub struct Application {
    foundation: Foundation,
    api: api::WorkflowApi,
    /// Delivers the outbox: approvals' allocation requests to funds, the
    /// campaign's reminders to the notification service.
    relay: Relay<WorkflowCourier>,
    /// The timers: notices whose time is up, reminders that are due.
    sweep: sweep::Sweep,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret;
        let sealer = Sealer::from_base64_key(
            "workflow.household_encryption_key",
            settings.workflow.household_encryption_key.expose_secret(),
        )?;
        let foundation = Foundation::build("workflow", settings.runtime, &MIGRATOR).await?;
        let register = Register::new(&foundation.settings.peers, foundation.principal.as_ref())?;
        let funds = Funds::new(&foundation.settings.peers, foundation.principal.as_ref())?;
        let notify =
            courier::notify_client(&foundation.settings.peers, foundation.principal.as_ref())?;
        let api = api::WorkflowApi::new(
            foundation.rpc(&store::REFUSALS),
            register,
            funds.clone(),
            sealer,
        );
        let relay = Relay::new(
            foundation.pool.clone(),
            foundation.settings.outbox.clone(),
            WorkflowCourier::new(funds, notify),
        );
        let sweep = sweep::Sweep::new(api.clone(), settings.workflow.notice_sweep_interval_ms);
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

    /// Serves until `shutdown` completes; then drains and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let max_bytes = self.foundation.settings.limits.max_message_bytes;
        let routes = tonic::service::Routes::new(
            ApplicationServiceServer::new(self.api.clone())
                .max_decoding_message_size(max_bytes)
                .max_encoding_message_size(max_bytes),
        )
        .add_service(
            CommitteeServiceServer::new(self.api.clone())
                .max_decoding_message_size(max_bytes)
                .max_encoding_message_size(max_bytes),
        )
        .add_service(CalendarServiceServer::new(self.api.clone()))
        .add_service(
            CampaignServiceServer::new(self.api.clone())
                .max_decoding_message_size(max_bytes)
                .max_encoding_message_size(max_bytes),
        )
        .add_service(AuditServiceServer::new(self.api));
        let service = GrpcService {
            names: SERVICE_NAMES
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
            routes,
            gates: api::gates::ALL.to_vec(),
        };
        // Aborted at shutdown: a delivery under way stays in the outbox and
        // is made again by the next run.
        let relay = tokio::spawn(self.relay.run());
        // Aborted at shutdown too: a notice being passed, a reminder being
        // written, rolls back and stays due; the next run does it.
        let sweep = tokio::spawn(self.sweep.run());
        let served = self.foundation.serve(service, shutdown).await;
        relay.abort();
        sweep.abort();
        served
    }
}
