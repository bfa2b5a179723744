//! Tokens of an external OpenID Connect provider (统一身份认证), accepted in
//! exchange for the gateway's own: the provider's signature, issuer, audience
//! and expiry are checked against its published keys (JWKS), and the person is
//! the local user whose login name equals the configured claim. The provider
//! never grants roles; the bindings kept here do.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct OidcSettings {
    /// The provider's issuer (`iss`); empty: external tokens are not accepted.
    #[serde(default)]
    pub issuer: String,
    /// The audience (`aud`) its tokens must name: the gateway's client id.
    #[serde(default)]
    pub audience: String,
    /// Where the provider publishes its keys (JWKS).
    #[serde(default)]
    pub jwks_url: String,
    /// The claim holding the login name of the local user.
    #[serde(default = "default_login_claim")]
    pub login_claim: String,
}

fn default_login_claim() -> String {
    "preferred_username".to_owned()
}

/// Keys are fetched again for an unknown `kid` (the provider rotated), but
/// not more often than this, so forged kids cannot make us hammer it.
const REFETCH_AFTER: Duration = Duration::from_secs(30);

/// The provider's keys by `kid` (with the algorithm each is for, if said),
/// and when they were fetched.
#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, (DecodingKey, Option<Algorithm>)>,
    fetched_at: Option<Instant>,
}

pub struct OidcVerifier {
    settings: OidcSettings,
    http: reqwest::Client,
    keys: Mutex<KeyCache>,
}

impl OidcVerifier {
    /// `None` when no provider is configured.
    pub fn new(settings: &OidcSettings) -> anyhow::Result<Option<Self>> {
        if settings.issuer.is_empty() {
            return Ok(None);
        }
        anyhow::ensure!(
            !settings.audience.is_empty(),
            "gateway.oidc.audience must be set with gateway.oidc.issuer"
        );
        anyhow::ensure!(
            settings.jwks_url.starts_with("http://"),
            "gateway.oidc.jwks_url must be an http:// URL reachable from the gateway (this build has no TLS client; \
             use the provider's in-cluster address)"
        );
        Ok(Some(OidcVerifier {
            settings: settings.clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            keys: Mutex::new(KeyCache::default()),
        }))
    }

    async fn refresh_keys(&self) -> Result<(), String> {
        let set: JwkSet = self
            .http
            .get(&self.settings.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|err| format!("cannot fetch the provider's keys: {err}"))?
            .json()
            .await
            .map_err(|err| format!("the provider's keys are not a JWKS: {err}"))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                let algorithm = jwk
                    .common
                    .key_algorithm
                    .and_then(|alg| alg.to_string().parse().ok());
                keys.insert(kid, (key, algorithm));
            }
        }
        if let Ok(mut cached) = self.keys.lock() {
            *cached = KeyCache {
                keys,
                fetched_at: Some(Instant::now()),
            };
        }
        Ok(())
    }

    fn cached_key(&self, kid: &str) -> Option<(DecodingKey, Option<Algorithm>)> {
        self.keys
            .lock()
            .ok()
            .and_then(|cached| cached.keys.get(kid).cloned())
    }

    fn may_refetch(&self) -> bool {
        self.keys
            .lock()
            .map(|cached| {
                cached
                    .fetched_at
                    .is_none_or(|at| at.elapsed() >= REFETCH_AFTER)
            })
            .unwrap_or(false)
    }

    /// The login name an external token stands for, or why it is refused.
    pub async fn login_name(&self, token: &str) -> Result<String, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| "not a signed token".to_owned())?;
        // Only public-key signatures: an HMAC token could be forged with the public key.
        if !matches!(
            header.alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
                | Algorithm::ES256
                | Algorithm::ES384
                | Algorithm::EdDSA
        ) {
            return Err(format!(
                "tokens signed with {:?} are not accepted",
                header.alg
            ));
        }
        let kid = header
            .kid
            .ok_or_else(|| "the token names no key".to_owned())?;
        let mut key = self.cached_key(&kid);
        if key.is_none() && self.may_refetch() {
            self.refresh_keys().await?;
            key = self.cached_key(&kid);
        }
        let (key, algorithm) = key.ok_or_else(|| "the provider has no such key".to_owned())?;
        if algorithm.is_some_and(|expected| expected != header.alg) {
            return Err("the token's algorithm does not match its key".to_owned());
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.leeway = 30;
        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).map_err(|err| {
                match err.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        "the token has expired".to_owned()
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidIssuer => {
                        "the token is from another issuer".to_owned()
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                        "the token is for another audience".to_owned()
                    }
                    _ => "the token is refused".to_owned(),
                }
            })?;
        data.claims
            .get(&self.settings.login_claim)
            .and_then(|value| value.as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("the token has no {} claim", self.settings.login_claim))
    }
}
