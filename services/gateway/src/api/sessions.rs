//! Sessions: login by password or by an external provider's token, refresh
//! with rotating refresh tokens (a retry with the same `request_id` gets the
//! same sealed answer), logout, and who the caller is. Every attempt, good or
//! bad, is logged in `login_events`, so a refused login still commits.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use relief_proto::gateway::v1 as pb;
use relief_runtime::auth::{Caller, TokenSigner};
use relief_runtime::error::{Error, Result};
use sqlx::{PgConnection, Postgres, Transaction};
use time::{Duration, OffsetDateTime};
use tonic::Request;
use uuid::Uuid;

use super::convert;
use crate::domain::lockout::{self, LockoutPolicy, Slowdown};
use crate::domain::sessions::{Credentials, ExternalToken, Farewell, Renewal};
use crate::domain::{password, tokens};
use crate::ended::EndedSessions;
use crate::oidc::OidcVerifier;
use crate::store::{BindingRow, LoginEvent, Store, UserRow};

const WRONG_CREDENTIALS: &str = "login name or password is wrong";
/// How long a lost Refresh answer can be asked for again (same request_id).
const REPLAY_WINDOW: Duration = Duration::minutes(5);

/// Token lifetimes and lockout, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub access_ttl: StdDuration,
    pub refresh_ttl: Duration,
    pub lockout: LockoutPolicy,
}

#[derive(Clone)]
pub(super) struct Sessions {
    store: Store,
    signer: Arc<TokenSigner>,
    policy: SessionPolicy,
    /// The external OpenID Connect provider, when one is configured.
    oidc: Option<Arc<OidcVerifier>>,
    /// Sessions ended, whose access tokens are refused at once.
    ended: Arc<EndedSessions>,
    /// Failed logins per name from all addresses (`domain::lockout`).
    slowdown: Arc<Mutex<Slowdown>>,
}

/// The address a request came from, for the lockout and the login log: the
/// TCP peer (as tonic or, on the HTTP port, axum saw it). A peer on a
/// loopback or private network is a proxy in front of the gateway (an
/// ingress, a load balancer): then the address it appended last to
/// `x-forwarded-for` — what a client writes into that header itself comes
/// before it and is never taken.
pub(super) fn address<T>(request: &Request<T>) -> String {
    let peer = request.remote_addr().or_else(|| {
        request
            .extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|info| info.0)
    });
    let Some(peer) = peer.map(|peer| peer.ip()) else {
        return String::new();
    };
    let internal = match peer {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local(),
    };
    let forwarded = request
        .metadata()
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    match forwarded {
        Some(client) if internal => client.to_string(),
        _ => peer.to_string(),
    }
}

/// The user an access token was issued to.
fn subject(caller: &Caller) -> Result<Uuid> {
    Uuid::parse_str(&caller.user_id)
        .map_err(|_| Error::invalid("access token subject", "must be a UUID"))
}

fn unauthenticated(why: impl Into<String>) -> Error {
    Error::Unauthenticated(why.into())
}

fn refresh_refused() -> Error {
    unauthenticated("refresh token refused; log in again")
}

impl Sessions {
    pub(super) fn new(
        store: Store,
        signer: Arc<TokenSigner>,
        policy: SessionPolicy,
        oidc: Option<Arc<OidcVerifier>>,
        ended: Arc<EndedSessions>,
    ) -> Self {
        Sessions {
            store,
            signer,
            policy,
            oidc,
            ended,
            slowdown: Arc::default(),
        }
    }

    /// `Login`: the password checked against its hash (as slowly for an
    /// unknown or locked name); failures counted per name and address towards
    /// its lock there, and per name towards the slowdown (`domain::lockout`).
    /// An unknown name, a wrong password and a name locked for this address
    /// get the same answer.
    pub(super) async fn login(
        &self,
        credentials: Credentials,
        from: String,
    ) -> Result<pb::LoginResponse> {
        let Credentials {
            login_name,
            password: given,
        } = credentials;
        self.wait_for_turn(&login_name).await?;
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store.begin().await?;
        let locked = Store::login_locked_until(&mut tx, &login_name, &from).await?;
        let user = Store::user_by_login_for_update(&mut tx, &login_name).await?;
        let user_id = user.as_ref().map(|user| user.user_id);
        let stored = match &user {
            Some(user) if locked.is_none() => user.password_hash.clone(),
            // Same work as for a real account, so timing tells nothing either.
            _ => password::decoy_hash().to_owned(),
        };
        let matches = tokio::task::spawn_blocking(move || password::verify(&given, &stored))
            .await
            .map_err(|err| Error::internal("verifying a password", err))?;
        if locked.is_some() {
            let kind = LoginEvent::RefusedLocked;
            Store::log_login_event(&mut tx, &login_name, user_id, kind, &from, "").await?;
            tx.commit().await?;
            self.failed(&login_name);
            tracing::warn!(login_name, address = %from, "login refused: locked for this address");
            return Err(unauthenticated(WRONG_CREDENTIALS));
        }
        let Some(user) = user.filter(|_| matches) else {
            let why = if user_id.is_some() {
                "wrong password"
            } else {
                "unknown login name"
            };
            let failures = Store::count_login_failure(&mut tx, &login_name, &from).await?;
            Store::log_login_event(
                &mut tx,
                &login_name,
                user_id,
                LoginEvent::Failure,
                &from,
                why,
            )
            .await?;
            if let Some(until) = lockout::lock_after(self.policy.lockout, failures, now) {
                Store::lock_login(&mut tx, &login_name, &from, until).await?;
                let kind = LoginEvent::Locked;
                Store::log_login_event(&mut tx, &login_name, user_id, kind, &from, "").await?;
                tracing::warn!(login_name, address = %from, "login name locked for this address after repeated failures");
            }
            tx.commit().await?;
            self.failed(&login_name);
            tracing::warn!(login_name, address = %from, "login failed: {why}");
            return Err(unauthenticated(WRONG_CREDENTIALS));
        };
        if let Ok(mut slowdown) = self.slowdown.lock() {
            slowdown.succeeded(&login_name);
        }
        Store::clear_login_failures(&mut tx, &login_name, Some(&from)).await?;
        if !user.enabled {
            let kind = LoginEvent::RefusedDisabled;
            Store::log_login_event(&mut tx, &login_name, user_id, kind, &from, "").await?;
            tx.commit().await?;
            return Err(unauthenticated("the account is disabled"));
        }
        self.open_session(tx, &user, &from, LoginEvent::Success)
            .await
    }

    /// Waits for this attempt's turn when the name is slowed down, or
    /// refuses it when the queue is too long (`RESOURCE_EXHAUSTED`).
    async fn wait_for_turn(&self, login_name: &str) -> Result<()> {
        let turn = match self.slowdown.lock() {
            Ok(mut slowdown) => slowdown.admit(self.policy.lockout, login_name, Instant::now()),
            Err(_) => Ok(StdDuration::ZERO),
        };
        match turn {
            Ok(wait) if wait.is_zero() => Ok(()),
            Ok(wait) => {
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Err(retry_after) => Err(Error::Upstream(Box::new(
                tonic::Status::resource_exhausted(format!(
                    "too many failed logins for this name; retry after {} s",
                    retry_after.as_secs().max(1)
                )),
            ))),
        }
    }

    fn failed(&self, login_name: &str) {
        if let Ok(mut slowdown) = self.slowdown.lock() {
            slowdown.failed(self.policy.lockout, login_name, Instant::now());
        }
    }

    /// `ExchangeToken`: an external provider's token, checked against its
    /// keys, opens a session for the enabled local user it names.
    pub(super) async fn exchange(
        &self,
        token: ExternalToken,
        from: String,
    ) -> Result<pb::LoginResponse> {
        let oidc = self.oidc.clone().ok_or_else(|| {
            Error::refused(
                "OIDC_NOT_CONFIGURED",
                "no external identity provider is configured",
            )
        })?;
        let login_name = match oidc.login_name(&token.0).await {
            Ok(login_name) => login_name,
            Err(reason) => {
                tracing::warn!(address = %from, reason, "external token refused");
                return Err(unauthenticated(format!("external token refused: {reason}")));
            }
        };
        let mut tx = self.store.begin().await?;
        let user = Store::user_by_login_for_update(&mut tx, &login_name).await?;
        let Some(user) = user.filter(|user| user.enabled) else {
            let kind = LoginEvent::OidcRefused;
            Store::log_login_event(
                &mut tx,
                &login_name,
                None,
                kind,
                &from,
                "no enabled local user",
            )
            .await?;
            tx.commit().await?;
            return Err(unauthenticated("no enabled user here for this identity"));
        };
        self.open_session(tx, &user, &from, LoginEvent::OidcSuccess)
            .await
    }

    /// `Refresh`: the refresh token rotated within its session. A rotated
    /// token that comes back ends the session (someone holds a copy) — unless
    /// it comes with the `request_id` of the refresh that spent it, within
    /// minutes, on a live session: then the same answer, sealed with a key
    /// only that token derives, is given again.
    pub(super) async fn refresh(
        &self,
        renewal: Renewal,
        from: String,
    ) -> Result<pb::RefreshResponse> {
        let hash = tokens::refresh_token_hash(&renewal.refresh_token);
        let mut tx = self.store.begin().await?;
        let Some(token) = Store::refresh_token_for_update(&mut tx, &hash).await? else {
            return Err(refresh_refused());
        };
        let session = token.session_id.to_string();
        if token.revoked_at.is_some()
            && let Some(request_id) = &renewal.request_id
        {
            // The same refresh again, its answer lost on the way: answer it again.
            if let Some(sealed) =
                Store::recent_replay(&mut tx, &hash, request_id, token.session_id, REPLAY_WINDOW)
                    .await?
                && let Some(answer) = tokens::open_replay(&renewal.refresh_token, &sealed)
                && let Ok(answer) =
                    <pb::RefreshResponse as prost::Message>::decode(answer.as_slice())
            {
                let kind = LoginEvent::RefreshReplay;
                Store::log_login_event(&mut tx, "", Some(token.user_id), kind, &from, &session)
                    .await?;
                tx.commit().await?;
                return Ok(answer);
            }
        }
        if token.revoked_at.is_some() {
            // A rotated token came back: someone holds a copy. End the session.
            Store::revoke_session(&mut tx, token.session_id).await?;
            self.ended.end([token.session_id]);
            let kind = LoginEvent::RefreshReuse;
            Store::log_login_event(&mut tx, "", Some(token.user_id), kind, &from, &session).await?;
            tx.commit().await?;
            tracing::warn!(session = %token.session_id, "a rotated refresh token was reused; session revoked");
            return Err(refresh_refused());
        }
        if token.expires_at <= OffsetDateTime::now_utc() {
            return Err(refresh_refused());
        }
        let user = Store::user(&mut tx, token.user_id)
            .await?
            .filter(|user| user.enabled)
            .ok_or_else(refresh_refused)?;
        Store::revoke_refresh_token(&mut tx, &hash).await?;
        let (tokens, _) = self.issue(&mut tx, &user, token.session_id).await?;
        Store::log_login_event(
            &mut tx,
            &user.login_name,
            Some(user.user_id),
            LoginEvent::Refresh,
            &from,
            &tokens.session_id,
        )
        .await?;
        let answer = pb::RefreshResponse {
            tokens: Some(tokens),
        };
        if let Some(request_id) = &renewal.request_id
            && let Some(sealed) = tokens::seal_replay(
                &renewal.refresh_token,
                &prost::Message::encode_to_vec(&answer),
            )
        {
            Store::insert_replay(&mut tx, &hash, request_id, &sealed).await?;
        }
        tx.commit().await?;
        Ok(answer)
    }

    /// `Logout`: ends the refresh token's session, else the access token's
    /// own, or with `all_sessions` every session of the caller.
    pub(super) async fn logout(
        &self,
        caller: Option<Caller>,
        farewell: Farewell,
        from: String,
    ) -> Result<pb::LogoutResponse> {
        let mut tx = self.store.begin().await?;
        let revoked = if farewell.all_sessions {
            let caller = caller.ok_or_else(|| {
                unauthenticated("logging out of every session needs an access token")
            })?;
            let user_id = subject(&caller)?;
            let mut revoked = Store::revoke_all_sessions(&mut tx, user_id).await?;
            let kind = LoginEvent::LogoutAll;
            Store::log_login_event(&mut tx, "", Some(user_id), kind, &from, "").await?;
            // The caller's own session ends too, even with no refresh token left.
            if let Some(own) = caller
                .session_id
                .as_deref()
                .and_then(|id| Uuid::parse_str(id).ok())
                && !revoked.contains(&own)
            {
                Store::revoke_session(&mut tx, own).await?;
                self.ended.end([own]);
            }
            let count = revoked.len() as i64;
            self.ended.end(revoked.drain(..));
            count
        } else {
            let session = match &farewell.refresh_token {
                Some(refresh_token) => {
                    let hash = tokens::refresh_token_hash(refresh_token);
                    Store::refresh_token_for_update(&mut tx, &hash)
                        .await?
                        .map(|token| (token.session_id, token.user_id))
                }
                None => {
                    let session_id = caller
                        .as_ref()
                        .and_then(|caller| caller.session_id.as_deref())
                        .ok_or_else(|| {
                            Error::invalid(
                                "refresh_token",
                                "required without an access token from a login session",
                            )
                        })?;
                    let user_id = caller
                        .as_ref()
                        .and_then(|caller| Uuid::parse_str(&caller.user_id).ok());
                    Uuid::parse_str(session_id).ok().zip(user_id)
                }
            };
            match session {
                Some((session_id, user_id)) => {
                    let revoked = Store::revoke_session(&mut tx, session_id).await?;
                    self.ended.end([session_id]);
                    let (kind, detail) = (LoginEvent::Logout, session_id.to_string());
                    Store::log_login_event(&mut tx, "", Some(user_id), kind, &from, &detail)
                        .await?;
                    revoked
                }
                None => 0,
            }
        };
        tx.commit().await?;
        Ok(pb::LogoutResponse {
            revoked_sessions: revoked as i32,
        })
    }

    /// `WhoAmI`: the caller's user, live bindings and session.
    pub(super) async fn who_am_i(&self, caller: Caller) -> Result<pb::WhoAmIResponse> {
        let user_id = subject(&caller)?;
        let mut conn = self.store.pool().acquire().await?;
        let user = Store::user(&mut conn, user_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("user {user_id}")))?;
        let bindings = Store::bindings_of(&mut conn, user_id).await?;
        Ok(pb::WhoAmIResponse {
            user: Some(convert::user(&user)),
            role_bindings: bindings.iter().map(convert::binding).collect(),
            session_id: caller.session_id.clone().unwrap_or_default(),
            access_token_expire_time: convert::expiry(caller.expires_at),
        })
    }

    /// A successful login (by password or external token): the failure count
    /// cleared, a new session, the event logged, the transaction committed.
    async fn open_session(
        &self,
        mut tx: Transaction<'static, Postgres>,
        user: &UserRow,
        from: &str,
        kind: LoginEvent,
    ) -> Result<pb::LoginResponse> {
        Store::record_login_success(&mut tx, user.user_id).await?;
        let (tokens, bindings) = self.issue(&mut tx, user, Uuid::new_v4()).await?;
        let (login_name, user_id) = (&user.login_name, Some(user.user_id));
        Store::log_login_event(&mut tx, login_name, user_id, kind, from, &tokens.session_id)
            .await?;
        tx.commit().await?;
        tracing::info!(login_name = %user.login_name, address = %from, session = %tokens.session_id, kind = kind.as_str(), "login");
        Ok(pb::LoginResponse {
            tokens: Some(tokens),
            must_change_password: user.must_change_password,
            user: Some(convert::user(user)),
            role_bindings: bindings.iter().map(convert::binding).collect(),
        })
    }

    /// Issues an access token and a new refresh token in session `session_id`.
    async fn issue(
        &self,
        tx: &mut PgConnection,
        user: &UserRow,
        session_id: Uuid,
    ) -> Result<(pb::AuthTokens, Vec<BindingRow>)> {
        let bindings = Store::bindings_of(tx, user.user_id).await?;
        let (access_token, access_expires) = self
            .signer
            .sign_in_session(
                &user.user_id.to_string(),
                &user.display_name,
                user.member_id.as_deref(),
                convert::token_roles(&bindings),
                self.policy.access_ttl,
                Some(&session_id.to_string()),
                user.must_change_password,
            )
            .map_err(|err| Error::internal("signing a token", err))?;
        let refresh_token = tokens::new_refresh_token();
        let refresh_expires = OffsetDateTime::now_utc() + self.policy.refresh_ttl;
        Store::insert_refresh_token(
            tx,
            &tokens::refresh_token_hash(&refresh_token),
            session_id,
            user.user_id,
            refresh_expires,
        )
        .await?;
        let tokens = pb::AuthTokens {
            access_token,
            refresh_token,
            token_type: "Bearer".into(),
            access_token_expire_time: convert::expiry(access_expires),
            refresh_token_expire_time: Some(relief_runtime::time::timestamp(refresh_expires)),
            session_id: session_id.to_string(),
        };
        Ok((tokens, bindings))
    }
}
