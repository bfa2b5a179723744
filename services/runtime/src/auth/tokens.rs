//! Signing and verifying access tokens, and the service's own principal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::{Caller, Claims, Role, RoleBinding};
use crate::config::AuthSettings;

struct Trusted {
    issuer: String,
    key: DecodingKey,
    allowed_roles: Vec<Role>,
}

/// Verifies access tokens against the configured trusted keys.
///
/// A client sends the same token with every call until it expires, and an Ed25519 signature
/// check is most of what a read costs, so a token that passed every check is remembered, by
/// its exact text, with the caller it stands for, until it expires. A remembered token is
/// taken only while it is still unexpired (the same leeway as a full check); everything else
/// a full check decides (key, signature, issuer, audience, roles a key may grant) depends on
/// the token's text and this verifier's fixed configuration alone, so it cannot change in the
/// meantime. Refused tokens are never remembered, and the memory is bounded.
pub struct TokenVerifier {
    keys: HashMap<String, Trusted>,
    audience: String,
    leeway: u64,
    verified: Mutex<HashMap<Box<str>, Verified>>,
    /// Whether a login session has ended (see [`TokenVerifier::refuse_ended_sessions`]).
    ended: OnceLock<SessionEnded>,
}

/// Answers whether the login session with this id has ended.
pub type SessionEnded = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A token that passed every check, and until when it may be taken without another.
struct Verified {
    caller: Caller,
    /// `exp` plus the leeway, in seconds since the Unix epoch.
    valid_until: u64,
}

const SESSION_ENDED: &str = "the session of this token has ended; log in again";

/// Tokens remembered at most (a few hundred bytes each): far more than the users active at
/// once within a token's lifetime.
const VERIFIED_CAPACITY: usize = 10_000;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

impl TokenVerifier {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        for trusted in &settings.trusted_keys {
            let key = DecodingKey::from_ed_pem(trusted.public_key_pem.as_bytes())
                .map_err(|err| anyhow::anyhow!("auth.trusted_keys[{}]: {err}", trusted.kid))?;
            let allowed_roles = trusted
                .allowed_roles
                .iter()
                .map(|name| {
                    Role::parse(name).ok_or_else(|| {
                        anyhow::anyhow!("auth.trusted_keys[{}]: unknown role {name}", trusted.kid)
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            keys.insert(
                trusted.kid.clone(),
                Trusted {
                    issuer: trusted.issuer.clone(),
                    key,
                    allowed_roles,
                },
            );
        }
        Ok(TokenVerifier {
            keys,
            audience: settings.audience.clone(),
            leeway: settings.clock_skew_seconds,
            verified: Mutex::new(HashMap::new()),
            ended: OnceLock::new(),
        })
    }

    /// From now on, a token whose login session `ended` says has ended is
    /// refused, however valid its signature and expiry — checked on every
    /// call, remembered token or not, so `ended` must answer from memory
    /// (the gateway keeps the ended sessions in memory). Set once.
    pub fn refuse_ended_sessions(&self, ended: SessionEnded) {
        let _ = self.ended.set(ended);
    }

    fn session_ended(&self, caller: &Caller) -> bool {
        match (self.ended.get(), caller.session_id.as_deref()) {
            (Some(ended), Some(session)) => ended(session),
            _ => false,
        }
    }

    /// The caller a bearer token stands for, or why it is refused.
    pub fn verify(&self, token: &str) -> Result<Caller, String> {
        let now = unix_now();
        if let Ok(verified) = self.verified.lock()
            && let Some(known) = verified.get(token)
            && now <= known.valid_until
        {
            let caller = known.caller.clone();
            drop(verified);
            if self.session_ended(&caller) {
                return Err(SESSION_ENDED.to_owned());
            }
            return Ok(caller);
        }
        let caller = self.verify_fully(token)?;
        if self.session_ended(&caller) {
            return Err(SESSION_ENDED.to_owned());
        }
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= VERIFIED_CAPACITY {
                verified.retain(|_, known| now <= known.valid_until);
                if verified.len() >= VERIFIED_CAPACITY {
                    verified.clear();
                }
            }
            verified.insert(
                token.into(),
                Verified {
                    caller: caller.clone(),
                    valid_until: caller.expires_at.saturating_add(self.leeway),
                },
            );
        }
        Ok(caller)
    }

    /// Every check of a token: known key, signature, issuer, audience, expiry, and the roles
    /// its key may grant.
    fn verify_fully(&self, token: &str) -> Result<Caller, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| "malformed token".to_owned())?;
        let kid = header.kid.ok_or_else(|| "token names no key".to_owned())?;
        let trusted = self
            .keys
            .get(&kid)
            .ok_or_else(|| "token signed by an unknown key".to_owned())?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&trusted.issuer]);
        validation.leeway = self.leeway;
        let data =
            jsonwebtoken::decode::<Claims>(token, &trusted.key, &validation).map_err(|err| {
                match err.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => "token expired".to_owned(),
                    _ => "token refused".to_owned(),
                }
            })?;
        if !trusted.allowed_roles.is_empty()
            && let Some(binding) = data
                .claims
                .roles
                .iter()
                .find(|binding| !trusted.allowed_roles.contains(&binding.role))
        {
            return Err(format!("key {kid} may not grant role {}", binding.role));
        }
        if let Some(service) = data.claims.sub.strip_prefix(super::SERVICE_SUBJECT_PREFIX)
            && service != trusted.issuer
        {
            return Err(format!(
                "key {kid} may not sign for the service principal {service}"
            ));
        }
        Ok(Caller::from_claims(data.claims, token))
    }
}

/// Signs access tokens: the gateway for users, a service for its own principal.
#[derive(Clone)]
pub struct TokenSigner {
    kid: String,
    issuer: String,
    audience: String,
    key: EncodingKey,
}

impl TokenSigner {
    pub fn from_pem(
        kid: &str,
        issuer: &str,
        audience: &str,
        private_key_pem: &str,
    ) -> anyhow::Result<Self> {
        Ok(TokenSigner {
            kid: kid.to_owned(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            key: EncodingKey::from_ed_pem(private_key_pem.as_bytes())?,
        })
    }

    /// A token for `subject` with `roles`, valid for `ttl`.
    pub fn sign(
        &self,
        subject: &str,
        display_name: &str,
        member_id: Option<&str>,
        roles: Vec<RoleBinding>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        Ok(self
            .sign_in_session(subject, display_name, member_id, roles, ttl, None, false)?
            .0)
    }

    /// As [`TokenSigner::sign`], naming the login session the token belongs
    /// to and whether the user must change their password before anything
    /// else; answers the token and its expiry (seconds since the Unix epoch).
    #[allow(clippy::too_many_arguments)]
    pub fn sign_in_session(
        &self,
        subject: &str,
        display_name: &str,
        member_id: Option<&str>,
        roles: Vec<RoleBinding>,
        ttl: Duration,
        session_id: Option<&str>,
        must_change_password: bool,
    ) -> anyhow::Result<(String, u64)> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_owned(),
            exp: now + ttl.as_secs(),
            iat: now,
            name: display_name.to_owned(),
            member_id: member_id.map(str::to_owned),
            roles,
            sid: session_id.map(str::to_owned),
            must_change_password,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok((
            jsonwebtoken::encode(&header, &claims, &self.key)?,
            claims.exp,
        ))
    }
}

/// A service acting on its own (timers, outbox relays): a principal with only
/// the roles it needs, whose short-lived token is minted and reused until
/// shortly before it expires.
pub struct ServicePrincipal {
    name: String,
    signer: TokenSigner,
    roles: Vec<RoleBinding>,
    cached: Mutex<Option<(String, SystemTime)>>,
}

impl ServicePrincipal {
    const TTL: Duration = Duration::from_secs(300);

    pub fn new(name: &str, signer: TokenSigner, roles: Vec<RoleBinding>) -> Self {
        ServicePrincipal {
            name: name.to_owned(),
            signer,
            roles,
            cached: Mutex::new(None),
        }
    }

    /// This principal holding only its bindings of `role`: what a call that needs no more
    /// carries, so that the callee could not be made to do anything else by it (an outbox relay
    /// publishing to the notification service holds nothing but the relay role there).
    pub fn only(&self, role: Role) -> ServicePrincipal {
        ServicePrincipal::new(
            &self.name,
            self.signer.clone(),
            self.roles
                .iter()
                .filter(|binding| binding.role == role)
                .cloned()
                .collect(),
        )
    }

    pub fn token(&self) -> anyhow::Result<String> {
        let mut cached = self
            .cached
            .lock()
            .map_err(|_| anyhow::anyhow!("token cache poisoned"))?;
        if let Some((token, renew_at)) = cached.as_ref()
            && SystemTime::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let token = self.signer.sign(
            &format!("service:{}", self.name),
            &self.name,
            None,
            self.roles.clone(),
            Self::TTL,
        )?;
        *cached = Some((token.clone(), SystemTime::now() + Self::TTL / 2));
        Ok(token)
    }
}
