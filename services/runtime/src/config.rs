//! Typed, layered configuration: embedded defaults → `config/<env>.yaml` →
//! `RELIEF__…` environment variables. Secrets are `SecretString` and never logged.

use config::{Config, Environment, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Defaults every service starts from; a service adds its own on top.
const RUNTIME_DEFAULTS: &str = include_str!("../config/base.yaml");

/// What every service process needs, whatever its domain.
#[derive(Debug, Clone, Deserialize)]
pub struct RuntimeSettings {
    pub grpc: GrpcSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub telemetry: TelemetrySettings,
    pub limits: LimitSettings,
    /// Addresses of the other services, for service-to-service calls.
    #[serde(default)]
    pub peers: PeerSettings,
    /// The committee (工委), root of the organisation tree: the one place
    /// every service learns its id, path and name from.
    pub committee: CommitteeSettings,
    /// How the service's outbox relay paces itself.
    #[serde(default)]
    pub outbox: crate::outbox::RelaySettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitteeSettings {
    pub org_id: i64,
    /// Materialised path, e.g. `/1/`.
    pub path: String,
    pub name: String,
}

impl CommitteeSettings {
    pub fn org_ref(&self) -> relief_proto::common::v1::OrgRef {
        relief_proto::common::v1::OrgRef {
            org_id: self.org_id,
            path: self.path.clone(),
            name: self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct GrpcSettings {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// PostgreSQL URL, e.g. `postgres://relief@127.0.0.1:5432/relief`.
    pub url: SecretString,
    /// The service's own schema: every table it owns lives there and nowhere else.
    pub schema: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// Keys whose tokens this service accepts. The gateway's key signs user
    /// tokens; each service's own key signs only that service's principal.
    pub trusted_keys: Vec<TrustedKey>,
    /// This service's own signing key (PKCS#8 PEM, Ed25519), for work it does
    /// on its own; absent for services that never call others on their own.
    #[serde(default)]
    pub service_signing_key: Option<SecretString>,
    /// Who the service is when it acts on its own (relays, timers): the key
    /// id and issuer its tokens carry, and its only roles. Used when
    /// `service_signing_key` is set.
    #[serde(default)]
    pub principal: PrincipalSettings,
    /// Audience every token must name.
    pub audience: String,
    /// Clock difference tolerated when checking a token's expiry.
    #[serde(default = "default_clock_skew")]
    pub clock_skew_seconds: u64,
}

/// The service's own principal; empty `kid`/`issuer` mean the service's name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PrincipalSettings {
    #[serde(default)]
    pub kid: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub roles: Vec<crate::auth::RoleBinding>,
}

fn default_clock_skew() -> u64 {
    5
}

#[derive(Debug, Clone, Deserialize)]
pub struct TrustedKey {
    /// The `kid` tokens signed with this key carry.
    pub kid: String,
    /// The only issuer that may sign with this key.
    pub issuer: String,
    /// Ed25519 public key, SPKI PEM.
    pub public_key_pem: String,
    /// Roles tokens of this key may carry; empty means any (the gateway's key).
    #[serde(default)]
    pub allowed_roles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// `info`, `relief_ledger=debug,info`, … (EnvFilter syntax).
    pub level: String,
    /// `json` for machines, `pretty` for a terminal.
    pub log_format: String,
    /// OTLP/gRPC endpoint, e.g. `http://127.0.0.1:4317`; empty: no export.
    pub otlp_endpoint: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LimitSettings {
    pub request_timeout_ms: u64,
    pub concurrency: usize,
    pub max_message_bytes: usize,
    /// How long a stopping server keeps answering in-flight calls.
    pub drain_ms: u64,
    /// How long a request id is remembered for replay.
    #[serde(default = "default_idempotency_days")]
    pub idempotency_retention_days: u64,
}

fn default_idempotency_days() -> u64 {
    30
}

/// The other services by name (`peers.ledger: http://ledger:50051`, …): a
/// new service is a new entry, not new code. Empty addresses count as absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PeerSettings {
    /// Deadline of every call to a peer.
    #[serde(default = "default_peer_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(flatten)]
    addresses: std::collections::BTreeMap<String, String>,
}

impl PeerSettings {
    /// The address of the service `name`, if one is configured.
    pub fn address(&self, name: &str) -> Option<&str> {
        self.addresses
            .get(name)
            .map(String::as_str)
            .filter(|address| !address.is_empty())
    }

    /// Every configured service, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.addresses
            .iter()
            .filter(|(_, address)| !address.is_empty())
            .map(|(name, address)| (name.as_str(), address.as_str()))
    }

    /// Adds or replaces a peer (tests, tools).
    pub fn insert(&mut self, name: &str, address: &str) {
        self.addresses.insert(name.to_owned(), address.to_owned());
    }
}

fn default_peer_timeout_ms() -> u64 {
    5_000
}

/// Loads a service's settings. `service_defaults` is the service's embedded
/// YAML; `RELIEF_ENV` (default `local`) picks `config/<env>.yaml` in the working
/// directory, if present; `RELIEF_CONFIG` names one more YAML file (a mounted
/// ConfigMap, or the file `cargo xtask up` writes); `RELIEF__A__B=…` overrides `a.b`.
pub fn load<T: DeserializeOwned>(service_defaults: &str) -> Result<T, config::ConfigError> {
    let env = std::env::var("RELIEF_ENV").unwrap_or_else(|_| "local".to_owned());
    let mut builder = Config::builder()
        .add_source(File::from_str(RUNTIME_DEFAULTS, FileFormat::Yaml))
        .add_source(File::from_str(service_defaults, FileFormat::Yaml))
        .add_source(File::with_name(&format!("config/{env}")).required(false));
    if let Ok(path) = std::env::var("RELIEF_CONFIG") {
        builder = builder.add_source(File::with_name(&path).required(true));
    }
    builder
        .add_source(
            Environment::with_prefix("RELIEF")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        )
        .build()?
        .try_deserialize()
}
