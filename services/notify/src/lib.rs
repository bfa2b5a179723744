//! 通知 — the notification service (SPEC §7): events the other services
//! publish through their outbox relays are accepted once by id, routed to
//! the people who must act (role holders at the event's organisation or
//! above, asked of the gateway's identity service; organisations of the
//! ledger), rendered from the department's Chinese templates, written to
//! their in-app inboxes and sent by e-mail (SMTP) and SMS (the provider's
//! HTTP API) once per recipient and channel, every attempt on record.
//!
//! Reads top-down: [`api`] authorises each RPC and asks, [`domain`] parses
//! requests and holds the rules (no I/O), [`store`] holds every SQL
//! statement, [`directory`] asks the owners of people and organisations,
//! [`worker`] sends what is due through [`channels`].

pub mod api;
pub mod channels;
pub mod directory;
pub mod domain;
pub mod store;
pub mod worker;

use std::future::Future;
use std::net::SocketAddr;

use relief_proto::notify::v1::notification_service_server::NotificationServiceServer;
use relief_runtime::app::Foundation;
use relief_runtime::config::RuntimeSettings;
use relief_runtime::serve::GrpcService;
use serde::Deserialize;

use crate::channels::Channels;
use crate::channels::email::{Mailer, SmtpSettings};
use crate::channels::sms::{SmsProvider, SmsSettings};
use crate::directory::Directory;
use crate::store::Store;
use crate::worker::{DeliverySettings, Worker};

/// Embedded defaults of this service, under the runtime's.
const DEFAULTS: &str = include_str!("../config/defaults.yaml");

/// Migrations of the `notify` schema, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The gRPC service name, for health checks.
pub const SERVICE_NAME: &str = "relief.notify.v1.NotificationService";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub runtime: RuntimeSettings,
    #[serde(default)]
    pub notify: NotifySettings,
}

/// What only the notification service is told (`notify.*`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NotifySettings {
    #[serde(default)]
    pub smtp: SmtpSettings,
    #[serde(default)]
    pub sms: SmsSettings,
    #[serde(default)]
    pub delivery: DeliverySettings,
}

impl Settings {
    pub fn load() -> anyhow::Result<Self> {
        Ok(relief_runtime::config::load(DEFAULTS)?)
    }
}

/// A built notification service: migrated, listening, not yet serving.
pub struct Application {
    foundation: Foundation,
    api: api::NotifyApi,
    worker: Worker,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let foundation = Foundation::build("notify", settings.runtime, &MIGRATOR).await?;
        let store = Store::new(foundation.pool.clone());
        let directory = Directory::new(&foundation.settings.peers, foundation.principal.as_ref())?;
        let api = api::NotifyApi::new(foundation.rpc(&[]), store, directory);
        let channels = Channels {
            email: Mailer::new(&settings.notify.smtp)?,
            sms: SmsProvider::new(&settings.notify.sms)?,
        };
        let worker = Worker::new(foundation.pool.clone(), channels, settings.notify.delivery);
        Ok(Application {
            foundation,
            api,
            worker,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.foundation.local_addr()
    }

    /// Serves and sends until `shutdown` completes; then drains and returns.
    /// The worker stops at once: a message it was sending stays SENDING and
    /// is taken again after its lease (see [`store`]).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let max_bytes = self.foundation.settings.limits.max_message_bytes;
        let server = NotificationServiceServer::new(self.api)
            .max_decoding_message_size(max_bytes)
            .max_encoding_message_size(max_bytes);
        let service = GrpcService {
            names: vec![SERVICE_NAME.to_owned()],
            routes: tonic::service::Routes::new(server),
            gates: vec![&api::gates::GATES],
        };
        let worker = tokio::spawn(self.worker.run());
        let served = self.foundation.serve(service, shutdown).await;
        worker.abort();
        served
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_name_the_notifier_principal_and_the_catcher() {
        let settings: Settings =
            relief_runtime::config::load(DEFAULTS).expect("the embedded defaults load");
        let principal = &settings.runtime.auth.principal;
        assert_eq!(principal.kid, "notify");
        assert_eq!(principal.roles.len(), 1);
        assert_eq!(
            principal.roles[0].role,
            relief_runtime::auth::Role::Notifier
        );
        assert_eq!(settings.runtime.grpc.port, 50054);
        assert_eq!(settings.notify.smtp.port, 2525);
        assert_eq!(settings.notify.delivery.max_attempts, 6);
    }
}
