//! The end-to-end harness: a fresh schema in the throwaway PostgreSQL that
//! `cargo xtask test` started, real services on port 0, and tokens signed
//! with the development keys, so tests drive the system the way a client does.

use std::net::SocketAddr;
use std::time::Duration;

use relief_runtime::auth::{Role, RoleBinding, TokenSigner};
use relief_runtime::config::{
    AuthSettings, CommitteeSettings, DatabaseSettings, GrpcSettings, LimitSettings, PeerSettings,
    RuntimeSettings, TelemetrySettings, TrustedKey,
};
use secrecy::SecretString;
use tokio::sync::oneshot;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::Channel;

pub mod notify;

pub const DEV_GATEWAY_PUBLIC_KEY: &str = include_str!("../../deploy/dev-keys/gateway.pub.pem");
pub const DEV_GATEWAY_PRIVATE_KEY: &str = include_str!("../../deploy/dev-keys/gateway.key.pem");
pub const DEV_FUNDS_PUBLIC_KEY: &str = include_str!("../../deploy/dev-keys/funds.pub.pem");
pub const DEV_FUNDS_PRIVATE_KEY: &str = include_str!("../../deploy/dev-keys/funds.key.pem");
pub const DEV_WORKFLOW_PUBLIC_KEY: &str = include_str!("../../deploy/dev-keys/workflow.pub.pem");
pub const DEV_WORKFLOW_PRIVATE_KEY: &str = include_str!("../../deploy/dev-keys/workflow.key.pem");
pub const AUDIENCE: &str = "relief-ledger";
pub const ROOT: &str = "/1/";

/// The database `cargo xtask test` started.
pub fn database_url() -> String {
    std::env::var("RELIEF_TEST_DATABASE_URL")
        .expect("RELIEF_TEST_DATABASE_URL is not set: run the tests with `cargo xtask test`")
}

/// A schema name no other test uses.
pub fn unique_schema(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// What every service needs in a test: port 0, a fresh schema, the dev
/// gateway key trusted, no trace export.
pub fn runtime_settings(schema: &str) -> RuntimeSettings {
    RuntimeSettings {
        grpc: GrpcSettings {
            host: "127.0.0.1".into(),
            port: 0,
        },
        database: DatabaseSettings {
            url: SecretString::from(database_url()),
            schema: schema.to_owned(),
            max_connections: 5,
        },
        auth: AuthSettings {
            trusted_keys: vec![TrustedKey {
                kid: "gateway-dev".into(),
                issuer: "relief-gateway".into(),
                public_key_pem: DEV_GATEWAY_PUBLIC_KEY.into(),
                allowed_roles: Vec::new(),
            }],
            service_signing_key: None,
            principal: Default::default(),
            audience: AUDIENCE.into(),
            clock_skew_seconds: 0,
        },
        telemetry: TelemetrySettings {
            level: "warn".into(),
            log_format: "pretty".into(),
            otlp_endpoint: String::new(),
        },
        limits: LimitSettings {
            request_timeout_ms: 30_000,
            concurrency: 64,
            max_message_bytes: 16 * 1024 * 1024,
            drain_ms: 0,
            idempotency_retention_days: 30,
        },
        peers: PeerSettings::default(),
        committee: CommitteeSettings {
            org_id: 1,
            path: "/1/".into(),
            name: "市直机关工委".into(),
        },
        outbox: Default::default(),
    }
}

pub fn signer() -> TokenSigner {
    TokenSigner::from_pem(
        "gateway-dev",
        "relief-gateway",
        AUDIENCE,
        DEV_GATEWAY_PRIVATE_KEY,
    )
    .expect("dev key")
}

/// A user token with one role on one node.
pub fn token(role: Role, org_path: &str) -> String {
    token_for(
        &format!("user-{}-{}", role, org_path.replace('/', "_")),
        vec![RoleBinding {
            role,
            org_path: org_path.to_owned(),
        }],
    )
}

/// A user token with any bindings.
pub fn token_for(user_id: &str, roles: Vec<RoleBinding>) -> String {
    signer()
        .sign(
            user_id,
            &format!("测试用户 {user_id}"),
            None,
            roles,
            Duration::from_secs(600),
        )
        .expect("signing a test token")
}

/// Adds the bearer token to every call.
#[derive(Clone)]
pub struct Bearer(pub String);

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let value = MetadataValue::try_from(format!("Bearer {}", self.0))
            .map_err(|_| tonic::Status::internal("token"))?;
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}

pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("address")
        .connect()
        .await
        .expect("connecting to the service under test")
}

/// What a spawned service is told to stop with.
pub type Shutdown = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// A running service under test — any of them: its gRPC address, its HTTP
/// address if it has one (the gateway), its schema. Dropping it stops it.
pub struct Spawned {
    pub addr: SocketAddr,
    pub http: Option<SocketAddr>,
    pub schema: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Spawned {
    /// The one way a test starts a service: `run` serves a built service
    /// until the shutdown it is given completes.
    pub fn run<Fut>(
        schema: &str,
        addr: SocketAddr,
        http: Option<SocketAddr>,
        run: impl FnOnce(Shutdown) -> Fut,
    ) -> Spawned
    where
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(Box::pin(async {
            let _ = stopped.await;
        })));
        Spawned {
            addr,
            http,
            schema: schema.to_owned(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Asks the service to stop (as SIGTERM would) and waits until it has.
    pub async fn stop_and_wait(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }

    /// A URL on the service's HTTP side (the gateway's).
    pub fn url(&self, path: &str) -> String {
        let http = self.http.expect("this service has no HTTP side");
        format!("http://{http}{path}")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A pool on the service's own schema, for what a test must do behind the
/// service's back (e.g. tamper with a row to prove the audit chain notices).
pub async fn raw_pool(schema: &str) -> sqlx::PgPool {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(&database_url())
        .expect("database url")
        .options([("search_path", schema)]);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .expect("connecting to the test database")
}

/// Starts the ledger service on a fresh schema.
pub async fn spawn_ledger() -> Spawned {
    spawn_ledger_draining(0).await
}

/// Starts the ledger service on a fresh schema, draining for `drain_ms`
/// when asked to stop.
pub async fn spawn_ledger_draining(drain_ms: u64) -> Spawned {
    spawn_ledger_with(|settings| settings.runtime.limits.drain_ms = drain_ms).await
}

/// Starts the ledger service on a fresh schema that, besides users' tokens,
/// trusts the funds and workflow services' own principals with the one role
/// their keys may carry (department), as every deployment configures it:
/// both read members and organisations from the ledger, and the workflow
/// writes register rows; and the notification service's (notifier), which
/// reads organisations.
pub async fn spawn_ledger_for_peers() -> Spawned {
    spawn_ledger_with(|settings| {
        settings
            .runtime
            .auth
            .trusted_keys
            .push(notify::notify_trusted_key());
        for (name, pem) in [
            ("funds", DEV_FUNDS_PUBLIC_KEY),
            ("workflow", DEV_WORKFLOW_PUBLIC_KEY),
        ] {
            settings.runtime.auth.trusted_keys.push(TrustedKey {
                kid: name.into(),
                issuer: name.into(),
                public_key_pem: pem.into(),
                // department for their reads and writes, relay for
                // publishing (which the ledger grants nothing to).
                allowed_roles: vec!["department".into(), "reader".into(), "relay".into()],
            });
        }
    })
    .await
}

/// Has the funds service read members and organisations from `ledger`, as
/// its own principal with the roles every deployment gives it (reader and
/// relay on the whole tree, signed with the development key).
pub fn funds_reads_ledger(settings: &mut relief_funds::Settings, ledger: &Spawned) {
    let runtime = &mut settings.runtime;
    runtime
        .peers
        .insert("ledger", &format!("http://{}", ledger.addr));
    runtime.peers.timeout_ms = 5_000;
    runtime.auth.service_signing_key = Some(SecretString::from(DEV_FUNDS_PRIVATE_KEY));
    runtime.auth.principal.roles = [Role::Reader, Role::Relay]
        .into_iter()
        .map(|role| RoleBinding {
            role,
            org_path: ROOT.into(),
        })
        .collect();
}

/// Starts the ledger service on a fresh schema, with its settings changed
/// by `configure`.
pub async fn spawn_ledger_with(configure: impl FnOnce(&mut relief_ledger::Settings)) -> Spawned {
    let schema = unique_schema("ledger");
    let mut settings = relief_ledger::Settings {
        runtime: runtime_settings(&schema),
        ledger: relief_ledger::LedgerSettings {
            pii_encryption_key: SecretString::from(base64_key(1)),
            pii_hash_key: SecretString::from(base64_key(2)),
        },
    };
    configure(&mut settings);
    let app = relief_ledger::Application::build(settings)
        .await
        .expect("building the ledger");
    Spawned::run(&schema, app.local_addr(), None, |stop| app.run_until(stop))
}

/// Starts the funds service on `schema`, with its settings changed by `configure`.
pub async fn spawn_funds(
    schema: &str,
    configure: impl FnOnce(&mut relief_funds::Settings),
) -> Spawned {
    let mut settings = relief_funds::Settings {
        runtime: runtime_settings(schema),
        funds: relief_funds::FundsSettings {
            // The funds stories run without a workflow: the decisions they
            // cite are recorded as given. A test with a workflow configures
            // peers.workflow, and then the workflow is asked.
            accept_cited_decisions: true,
            ..Default::default()
        },
    };
    settings.runtime.database.max_connections = 20;
    configure(&mut settings);
    let app = relief_funds::Application::build(settings)
        .await
        .expect("building the funds service");
    Spawned::run(schema, app.local_addr(), None, |stop| app.run_until(stop))
}

/// Starts the workflow service on a fresh schema, reading and writing the
/// register through `ledger` as its own principal, with its settings changed
/// by `configure`.
pub async fn spawn_workflow(
    ledger: &Spawned,
    configure: impl FnOnce(&mut relief_workflow::Settings),
) -> Spawned {
    spawn_workflow_on(&unique_schema("workflow"), ledger, configure).await
}

/// Starts the workflow service on `schema` — a new one, or the schema of a
/// workflow stopped before (a restart keeps its applications and notices).
pub async fn spawn_workflow_on(
    schema: &str,
    ledger: &Spawned,
    configure: impl FnOnce(&mut relief_workflow::Settings),
) -> Spawned {
    let mut settings = relief_workflow::Settings {
        runtime: runtime_settings(schema),
        workflow: relief_workflow::WorkflowSettings {
            household_encryption_key: SecretString::from(base64_key(3)),
            notice_sweep_interval_ms: 200,
        },
    };
    let runtime = &mut settings.runtime;
    runtime
        .peers
        .insert("ledger", &format!("http://{}", ledger.addr));
    runtime.peers.timeout_ms = 5_000;
    runtime.auth.service_signing_key = Some(SecretString::from(DEV_WORKFLOW_PRIVATE_KEY));
    runtime.auth.principal.kid = "workflow".into();
    runtime.auth.principal.issuer = "workflow".into();
    runtime.auth.principal.roles = vec![RoleBinding {
        role: Role::Department,
        org_path: ROOT.into(),
    }];
    configure(&mut settings);
    let app = relief_workflow::Application::build(settings)
        .await
        .expect("building the workflow service");
    Spawned::run(schema, app.local_addr(), None, |stop| app.run_until(stop))
}

fn base64_key(seed: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([seed; 32])
}

pub const ADMIN_LOGIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "Winter-relief-2026";

/// What a gateway test may vary.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    pub access_ttl_seconds: u64,
    pub per_user_per_second: f64,
    pub per_user_burst: f64,
    pub max_body_bytes: usize,
    pub max_failures: i32,
    /// An external OpenID Connect provider (issuer, audience, JWKS URL).
    pub oidc: Option<(String, String, String)>,
    /// More services behind the gateway, by peer name (`funds`, …) and
    /// address: configuration only.
    pub peers: Vec<(String, SocketAddr)>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            access_ttl_seconds: 600,
            per_user_per_second: 1000.0,
            per_user_burst: 1000.0,
            max_body_bytes: 64 * 1024,
            max_failures: 3,
            oidc: None,
            peers: Vec::new(),
        }
    }
}

/// Starts a gateway in front of `ledger`, with the bootstrap administrator.
pub async fn spawn_gateway(ledger: &Spawned, options: GatewayOptions) -> Spawned {
    let schema = unique_schema("gateway");
    let mut runtime = runtime_settings(&schema);
    // The notification service reads whom to tell (its notifier role only).
    runtime.auth.trusted_keys.push(notify::notify_trusted_key());
    runtime
        .peers
        .insert("ledger", &format!("http://{}", ledger.addr));
    for (name, addr) in &options.peers {
        runtime.peers.insert(name, &format!("http://{addr}"));
    }
    runtime.peers.timeout_ms = 5_000;
    let settings = relief_gateway::Settings {
        runtime,
        gateway: relief_gateway::GatewaySettings {
            http_host: "127.0.0.1".into(),
            http_port: 0,
            signing_key: SecretString::from(DEV_GATEWAY_PRIVATE_KEY),
            signing_kid: "gateway-dev".into(),
            issuer: "relief-gateway".into(),
            access_token_ttl_seconds: options.access_ttl_seconds,
            refresh_token_ttl_seconds: 3600,
            lockout: relief_gateway::LockoutSettings {
                max_failures: options.max_failures,
                lock_seconds: 60,
            },
            rate_limit: relief_gateway::RateLimitSettings {
                per_user_per_second: options.per_user_per_second,
                per_user_burst: options.per_user_burst,
                per_address_per_second: options.per_user_per_second,
                per_address_burst: options.per_user_burst,
            },
            max_body_bytes: options.max_body_bytes,
            cors_allowed_origins: vec!["https://relief.example".into()],
            bootstrap_admin: relief_gateway::BootstrapAdmin {
                login_name: ADMIN_LOGIN.into(),
                password: SecretString::from(ADMIN_PASSWORD),
            },
            oidc: {
                let (issuer, audience, jwks_url) = options.oidc.clone().unwrap_or_default();
                relief_gateway::oidc::OidcSettings {
                    issuer,
                    audience,
                    jwks_url,
                    login_claim: "preferred_username".into(),
                }
            },
        },
    };
    let app = relief_gateway::Application::build(settings)
        .await
        .expect("building the gateway");
    let (grpc, http) = (app.grpc_addr(), app.http_addr());
    Spawned::run(&schema, grpc, Some(http), |stop| app.run_until(stop))
}

/// A Python interpreter with `packages` installed from PyPI, in a virtualenv
/// under `dir` made on first use: for checks by clients that know nothing of
/// this code (a reflection-based gRPC client, an OpenAPI validator).
pub fn python_with(dir: &std::path::Path, packages: &[&str]) -> std::path::PathBuf {
    use std::process::Command;
    let python = dir.join("bin/python");
    let marker = dir.join(format!(
        "installed-{}",
        packages.join("+").replace(['=', '<', '>'], "_")
    ));
    if !marker.exists() {
        if !python.exists() {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(dir)
                .status()
                .expect("python3 -m venv");
            assert!(
                status.success(),
                "creating a virtualenv in {}",
                dir.display()
            );
        }
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages)
            .status()
            .expect("pip install");
        assert!(status.success(), "installing {packages:?} from PyPI");
        std::fs::write(&marker, "").expect("marker");
    }
    python
}
