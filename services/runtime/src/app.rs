//! The start-up every service process shares: settings checked, tokens'
//! verifier, the migrated pool of the service's own schema, request-id
//! pruning, the service's own principal, the listener — then serving until
//! told to stop. A service's `Application::build` adds only its domain.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

use crate::auth::{ServicePrincipal, TokenSigner, TokenVerifier};
use crate::config::RuntimeSettings;
use crate::error::ConstraintRefusal;
use crate::rpc::Rpc;
use crate::serve::GrpcService;

/// A service process made ready to serve: migrated, listening, not serving yet.
pub struct Foundation {
    pub name: &'static str,
    pub settings: RuntimeSettings,
    pub pool: PgPool,
    pub verifier: Arc<TokenVerifier>,
    /// The service acting on its own; `None` without `auth.service_signing_key`.
    pub principal: Option<Arc<ServicePrincipal>>,
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl Foundation {
    /// Prepares the service `name` (its principal's default key id and issuer).
    pub async fn build(
        name: &'static str,
        settings: RuntimeSettings,
        migrator: &Migrator,
    ) -> anyhow::Result<Self> {
        let committee = &settings.committee;
        anyhow::ensure!(
            committee.path.starts_with('/')
                && committee.path.ends_with(&format!("/{}/", committee.org_id)),
            "committee.path must be the materialised path of committee.org_id, like /1/"
        );
        let verifier = Arc::new(TokenVerifier::new(&settings.auth)?);
        let principal = principal(name, &settings)?;
        let pool = crate::db::connect_and_migrate(&settings.database, migrator).await?;
        crate::idempotency::spawn_pruning(
            pool.clone(),
            Duration::from_secs(settings.limits.idempotency_retention_days * 86_400),
        );
        let listener = TcpListener::bind((settings.grpc.host.as_str(), settings.grpc.port)).await?;
        let local_addr = listener.local_addr()?;
        Ok(Foundation {
            name,
            settings,
            pool,
            verifier,
            principal,
            listener,
            local_addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The service's RPC pipeline.
    pub fn rpc(&self, refusals: &'static [ConstraintRefusal]) -> Rpc {
        Rpc::new(
            self.pool.clone(),
            self.name,
            refusals,
            self.settings.committee.org_ref(),
        )
    }

    /// Serves `service` until `shutdown` completes, then drains and returns.
    pub async fn serve(
        self,
        service: GrpcService,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        crate::serve::serve(
            self.name,
            self.listener,
            &self.settings.limits,
            self.verifier,
            service,
            shutdown,
        )
        .await
    }
}

fn principal(
    name: &str,
    settings: &RuntimeSettings,
) -> anyhow::Result<Option<Arc<ServicePrincipal>>> {
    let Some(key) = &settings.auth.service_signing_key else {
        return Ok(None);
    };
    let configured = &settings.auth.principal;
    let or_name = |value: &str| {
        if value.is_empty() {
            name.to_owned()
        } else {
            value.to_owned()
        }
    };
    let signer = TokenSigner::from_pem(
        &or_name(&configured.kid),
        &or_name(&configured.issuer),
        &settings.auth.audience,
        key.expose_secret(),
    )?;
    Ok(Some(Arc::new(ServicePrincipal::new(
        name,
        signer,
        configured.roles.clone(),
    ))))
}
