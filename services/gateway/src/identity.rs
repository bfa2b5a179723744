//! IdentityService: login with rotating refresh tokens, lockout, users and
//! role bindings. Passwords are argon2id; refresh tokens are stored hashed;
//! access tokens are short-lived Ed25519 JWTs that every service verifies.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use relief_proto::common::v1 as common;
use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_server::IdentityService;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_runtime::auth::{Caller, Permission, Role, RoleBinding, TokenSigner, caller};
use relief_runtime::client::{CallAs, PeerInterceptor};
use relief_runtime::error::{FieldViolations, invalid_field};
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::{PageToken, page_size};
use relief_runtime::time::timestamp;
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::lockout::{self, LockoutPolicy};
use crate::domain::{password, roles, tokens};
use crate::error::Error;
use crate::store::{BindingRow, NewBinding, NewUser, Store, UserFilter, UserRow};

use relief_runtime::auth::COMMITTEE_PATH as ROOT;
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
pub struct IdentityApi {
    store: Store,
    signer: Arc<TokenSigner>,
    policy: SessionPolicy,
    /// The ledger, asked for an organisation's path when a role is granted.
    ledger: Option<Channel>,
    peer_timeout: StdDuration,
    /// The external OpenID Connect provider, when one is configured.
    oidc: Option<Arc<crate::oidc::OidcVerifier>>,
}

/// A user's live bindings as token roles.
fn token_roles(bindings: &[BindingRow]) -> Vec<RoleBinding> {
    bindings
        .iter()
        .filter_map(|binding| {
            Role::parse(&binding.role).map(|role| RoleBinding {
                role,
                org_path: binding.org_path.clone(),
            })
        })
        .collect()
}

fn user_proto(row: &UserRow) -> pb::User {
    pb::User {
        user_id: row.user_id.to_string(),
        login_name: row.login_name.clone(),
        display_name: row.display_name.clone(),
        email: row.email.clone(),
        mobile: row.mobile.clone(),
        member_id: row.member_id.clone(),
        enabled: row.enabled,
        disabled_reason: row.disabled_reason.clone(),
        must_change_password: row.must_change_password,
        last_login_time: row.last_login_at.map(timestamp),
        password_change_time: Some(timestamp(row.password_changed_at)),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        etag: row.version.to_string(),
    }
}

fn binding_proto(row: &BindingRow) -> pb::RoleBinding {
    pb::RoleBinding {
        role_binding_id: row.role_binding_id.to_string(),
        user_id: row.user_id.to_string(),
        user_display_name: row.user_display_name.clone(),
        role: Role::parse(&row.role).map_or(pb::Role::Unspecified, roles::to_proto) as i32,
        org: Some(common::OrgRef {
            org_id: row.org_id,
            path: row.org_path.clone(),
            name: row.org_name.clone(),
        }),
        granted: Some(common::ChangeStamp {
            actor: Some(common::Actor {
                user_id: row.granted_by_id.clone(),
                display_name: row.granted_by_name.clone(),
            }),
            change_time: Some(timestamp(row.granted_at)),
            reason: row.reason.clone(),
        }),
    }
}

fn parse_uuid(field: &str, value: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(value).map_err(|_| invalid_field(field, "must be a UUID"))
}

fn beijing(at: OffsetDateTime) -> String {
    let at = at.to_offset(relief_runtime::time::BEIJING);
    format!(
        "{}-{:02}-{:02} {:02}:{:02} 北京时间",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// The address a request came from, for the login log.
fn address<T>(request: &Request<T>) -> String {
    request
        .metadata()
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.remote_addr().map(|addr| addr.ip().to_string()))
        .unwrap_or_default()
}

async fn audit(
    tx: &mut PgConnection,
    actor: &common::Actor,
    action: &str,
    resource: &str,
    change: serde_json::Value,
) -> Result<(), Status> {
    relief_runtime::audit::append(tx, actor, action, resource, &change).await
}

impl IdentityApi {
    pub fn new(
        store: Store,
        signer: Arc<TokenSigner>,
        policy: SessionPolicy,
        ledger: Option<Channel>,
        peer_timeout: StdDuration,
        oidc: Option<Arc<crate::oidc::OidcVerifier>>,
    ) -> Self {
        IdentityApi {
            store,
            signer,
            policy,
            ledger,
            peer_timeout,
            oidc,
        }
    }

    /// Creates the first administrator when the store is empty.
    pub async fn bootstrap_admin(
        &self,
        login_name: &str,
        password_text: &str,
    ) -> anyhow::Result<()> {
        if password_text.is_empty() || self.store.user_count().await? > 0 {
            return Ok(());
        }
        let hash =
            password::hash(password_text).map_err(|err| anyhow::anyhow!("hashing: {err}"))?;
        let mut tx = self.store.begin().await?;
        let user_id = Uuid::new_v4();
        Store::insert_user(
            &mut tx,
            NewUser {
                user_id,
                login_name,
                display_name: "系统管理员（工委组织部）",
                email: "",
                mobile: "",
                member_id: None,
                password_hash: &hash,
                must_change_password: false,
            },
        )
        .await?;
        Store::insert_binding(
            &mut tx,
            NewBinding {
                role_binding_id: Uuid::new_v4(),
                user_id,
                role: Role::Department.as_str(),
                org_id: 1,
                org_path: ROOT,
                org_name: "",
                granted_by_id: "bootstrap",
                granted_by_name: "bootstrap",
                reason: "bootstrap administrator",
            },
        )
        .await?;
        let actor = common::Actor {
            user_id: "bootstrap".into(),
            display_name: "bootstrap".into(),
        };
        audit(
            &mut tx,
            &actor,
            "user.bootstrapped",
            &format!("users/{user_id}"),
            serde_json::json!({ "login_name": login_name }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(login_name, "bootstrap administrator created");
        Ok(())
    }

    /// A successful login (by password or external token): the failure count
    /// cleared, a new session, the event logged, the transaction committed.
    async fn open_session(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
        user: &UserRow,
        from: &str,
        kind: &str,
    ) -> Result<pb::LoginResponse, Status> {
        Store::record_login_success(&mut tx, user.user_id).await?;
        let (tokens, bindings) = self.issue(&mut tx, user, Uuid::new_v4()).await?;
        Store::log_login_event(
            &mut tx,
            &user.login_name,
            Some(user.user_id),
            kind,
            from,
            &tokens.session_id,
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        tracing::info!(login_name = %user.login_name, address = %from, session = %tokens.session_id, kind, "login");
        Ok(pb::LoginResponse {
            tokens: Some(tokens),
            must_change_password: user.must_change_password,
            user: Some(user_proto(user)),
            role_bindings: bindings.iter().map(binding_proto).collect(),
        })
    }

    /// Issues an access token and a new refresh token in session `session_id`.
    async fn issue(
        &self,
        tx: &mut PgConnection,
        user: &UserRow,
        session_id: Uuid,
    ) -> Result<(pb::AuthTokens, Vec<BindingRow>), Status> {
        let bindings = Store::bindings_of(tx, user.user_id).await?;
        let (access_token, access_expires) = self
            .signer
            .sign_in_session(
                &user.user_id.to_string(),
                &user.display_name,
                user.member_id.as_deref(),
                token_roles(&bindings),
                self.policy.access_ttl,
                Some(&session_id.to_string()),
            )
            .map_err(|err| relief_runtime::error::internal("signing a token", err))?;
        let refresh_token = tokens::new_refresh_token();
        let now = OffsetDateTime::now_utc();
        let refresh_expires = now + self.policy.refresh_ttl;
        Store::insert_refresh_token(
            tx,
            &tokens::refresh_token_hash(&refresh_token),
            session_id,
            user.user_id,
            refresh_expires,
        )
        .await?;
        Ok((
            pb::AuthTokens {
                access_token,
                refresh_token,
                token_type: "Bearer".into(),
                access_token_expire_time: OffsetDateTime::from_unix_timestamp(
                    access_expires as i64,
                )
                .ok()
                .map(timestamp),
                refresh_token_expire_time: Some(timestamp(refresh_expires)),
                session_id: session_id.to_string(),
            },
            bindings,
        ))
    }

    /// Whether `caller` administers `user`: the department over the whole
    /// tree, or an administrator whose subtree holds every binding of the user.
    fn may_manage(caller: &Caller, bindings: &[BindingRow]) -> bool {
        caller.may(Permission::IdentityAdmin, ROOT)
            || (!bindings.is_empty()
                && bindings
                    .iter()
                    .all(|b| caller.may(Permission::IdentityAdmin, &b.org_path)))
    }

    async fn managed_user(
        &self,
        tx: &mut PgConnection,
        caller: &Caller,
        user_id: Uuid,
    ) -> Result<(UserRow, Vec<BindingRow>), Status> {
        let user = Store::user(tx, user_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("user {user_id}"))))?;
        let bindings = Store::bindings_of(tx, user_id).await?;
        if !Self::may_manage(caller, &bindings) {
            return Err(Status::permission_denied(
                "this user is outside the organisations you administer",
            ));
        }
        Ok((user, bindings))
    }

    /// The organisation a role is granted on, as the ledger knows it (asked
    /// with the caller's own authority, so they must be able to see it).
    async fn org(&self, caller: &Caller, org_id: i64) -> Result<common::OrgRef, Status> {
        let channel = self.ledger.clone().ok_or_else(|| {
            Status::failed_precondition("the ledger service is not configured (peers.ledger)")
        })?;
        let mut ledger = LedgerServiceClient::with_interceptor(
            channel,
            PeerInterceptor::new(CallAs::Caller(caller.clone()), self.peer_timeout),
        );
        let org = ledger
            .get_org(relief_proto::ledger::v1::GetOrgRequest { org_id })
            .await
            .map_err(|status| match status.code() {
                tonic::Code::NotFound => {
                    invalid_field("role_binding.org.org_id", "no such organisation")
                }
                _ => status,
            })?
            .into_inner();
        Ok(common::OrgRef {
            org_id: org.org_id,
            path: org.path,
            name: org.name,
        })
    }
}

/// Empty, or an 11-digit mainland mobile number.
fn valid_mobile(mobile: &str) -> bool {
    mobile.is_empty()
        || (mobile.len() == 11
            && mobile.starts_with('1')
            && mobile.chars().all(|c| c.is_ascii_digit()))
}

#[tonic::async_trait]
impl IdentityService for IdentityApi {
    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let from = address(&request);
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        violations.check(
            request.login_name.trim().is_empty(),
            "login_name",
            "required",
        );
        violations.check(request.password.is_empty(), "password", "required");
        violations.into_result()?;
        let login_name = request.login_name.trim().to_owned();
        let now = OffsetDateTime::now_utc();

        let mut tx = self.store.begin().await?;
        let Some(user) = Store::user_by_login_for_update(&mut tx, &login_name).await? else {
            // Same work as for a real account, so timing does not tell names apart.
            let password_text = request.password.clone();
            let _ = tokio::task::spawn_blocking(move || {
                password::verify(&password_text, password::decoy_hash())
            })
            .await;
            Store::log_login_event(
                &mut tx,
                &login_name,
                None,
                "failure",
                &from,
                "unknown login name",
            )
            .await?;
            tx.commit().await.map_err(Error::from)?;
            tracing::warn!(login_name, address = %from, "login failed: unknown login name");
            return Err(Error::Unauthenticated(WRONG_CREDENTIALS.to_owned()).into());
        };
        if lockout::is_locked(user.locked_until, now) {
            Store::log_login_event(
                &mut tx,
                &login_name,
                Some(user.user_id),
                "refused_locked",
                &from,
                "",
            )
            .await?;
            tx.commit().await.map_err(Error::from)?;
            let until = user.locked_until.map(beijing).unwrap_or_default();
            return Err(Error::Unauthenticated(format!(
                "the account is locked after repeated failed logins until {until}"
            ))
            .into());
        }
        let stored = user.password_hash.clone();
        let password_text = request.password.clone();
        let matches =
            tokio::task::spawn_blocking(move || password::verify(&password_text, &stored))
                .await
                .map_err(|err| relief_runtime::error::internal("verifying a password", err))?;
        if !matches {
            let (failures, locked_until) =
                lockout::after_failure(self.policy.lockout, user.failed_logins, now);
            Store::record_login_failure(&mut tx, user.user_id, failures, locked_until).await?;
            Store::log_login_event(
                &mut tx,
                &login_name,
                Some(user.user_id),
                "failure",
                &from,
                "wrong password",
            )
            .await?;
            if locked_until.is_some() {
                Store::log_login_event(
                    &mut tx,
                    &login_name,
                    Some(user.user_id),
                    "locked",
                    &from,
                    "",
                )
                .await?;
                tracing::warn!(login_name, address = %from, "account locked after repeated failed logins");
            }
            tx.commit().await.map_err(Error::from)?;
            tracing::warn!(login_name, address = %from, "login failed: wrong password");
            return Err(Error::Unauthenticated(WRONG_CREDENTIALS.to_owned()).into());
        }
        if !user.enabled {
            Store::log_login_event(
                &mut tx,
                &login_name,
                Some(user.user_id),
                "refused_disabled",
                &from,
                "",
            )
            .await?;
            tx.commit().await.map_err(Error::from)?;
            return Err(Error::Unauthenticated("the account is disabled".to_owned()).into());
        }
        self.open_session(tx, &user, &from, "success")
            .await
            .map(Response::new)
    }

    async fn exchange_token(
        &self,
        request: Request<pb::ExchangeTokenRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let from = address(&request);
        let request = request.into_inner();
        let oidc = self.oidc.clone().ok_or_else(|| {
            Status::failed_precondition("no external identity provider is configured")
        })?;
        if request.external_token.is_empty() {
            return Err(invalid_field("external_token", "required"));
        }
        let login_name = match oidc.login_name(&request.external_token).await {
            Ok(login_name) => login_name,
            Err(reason) => {
                tracing::warn!(address = %from, reason, "external token refused");
                return Err(
                    Error::Unauthenticated(format!("external token refused: {reason}")).into(),
                );
            }
        };
        let mut tx = self.store.begin().await?;
        let user = Store::user_by_login_for_update(&mut tx, &login_name).await?;
        let Some(user) = user.filter(|user| {
            user.enabled && !lockout::is_locked(user.locked_until, OffsetDateTime::now_utc())
        }) else {
            Store::log_login_event(
                &mut tx,
                &login_name,
                None,
                "oidc_refused",
                &from,
                "no enabled local user",
            )
            .await?;
            tx.commit().await.map_err(Error::from)?;
            return Err(Error::Unauthenticated(
                "no enabled user here for this identity".to_owned(),
            )
            .into());
        };
        self.open_session(tx, &user, &from, "oidc_success")
            .await
            .map(Response::new)
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::RefreshResponse>, Status> {
        let from = address(&request);
        let request = request.into_inner();
        if request.refresh_token.is_empty() {
            return Err(invalid_field("refresh_token", "required"));
        }
        let hash = tokens::refresh_token_hash(&request.refresh_token);
        let mut tx = self.store.begin().await?;
        let refused = || {
            Status::from(Error::Unauthenticated(
                "refresh token refused; log in again".to_owned(),
            ))
        };
        let Some(token) = Store::refresh_token_for_update(&mut tx, &hash).await? else {
            return Err(refused());
        };
        if token.revoked_at.is_some() && !request.request_id.is_empty() {
            // The same refresh again, its answer lost on the way: answer it again.
            if let Some(sealed) = Store::recent_replay(
                &mut tx,
                &hash,
                &request.request_id,
                token.session_id,
                REPLAY_WINDOW,
            )
            .await?
                && let Some(answer) = tokens::open_replay(&request.refresh_token, &sealed)
                && let Ok(answer) =
                    <pb::RefreshResponse as prost::Message>::decode(answer.as_slice())
            {
                Store::log_login_event(
                    &mut tx,
                    "",
                    Some(token.user_id),
                    "refresh_replay",
                    &from,
                    &token.session_id.to_string(),
                )
                .await?;
                tx.commit().await.map_err(Error::from)?;
                return Ok(Response::new(answer));
            }
        }
        if token.revoked_at.is_some() {
            // A rotated token came back: someone holds a copy. End the session.
            Store::revoke_session(&mut tx, token.session_id).await?;
            Store::log_login_event(
                &mut tx,
                "",
                Some(token.user_id),
                "refresh_reuse",
                &from,
                &token.session_id.to_string(),
            )
            .await?;
            tx.commit().await.map_err(Error::from)?;
            tracing::warn!(session = %token.session_id, "a rotated refresh token was reused; session revoked");
            return Err(refused());
        }
        if token.expires_at <= OffsetDateTime::now_utc() {
            return Err(refused());
        }
        let user = Store::user(&mut tx, token.user_id)
            .await?
            .ok_or_else(refused)?;
        if !user.enabled {
            return Err(refused());
        }
        Store::revoke_refresh_token(&mut tx, &hash).await?;
        let (tokens, _) = self.issue(&mut tx, &user, token.session_id).await?;
        Store::log_login_event(
            &mut tx,
            &user.login_name,
            Some(user.user_id),
            "refresh",
            &from,
            &tokens.session_id,
        )
        .await?;
        let answer = pb::RefreshResponse {
            tokens: Some(tokens),
        };
        if !request.request_id.is_empty()
            && let Some(sealed) = tokens::seal_replay(
                &request.refresh_token,
                &prost::Message::encode_to_vec(&answer),
            )
        {
            Store::insert_replay(&mut tx, &hash, &request.request_id, &sealed).await?;
        }
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(answer))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let from = address(&request);
        let caller = caller(&request).ok().cloned();
        let request = request.into_inner();
        let mut tx = self.store.begin().await?;
        let revoked = if request.all_sessions {
            let caller = caller.ok_or_else(|| {
                Status::unauthenticated("logging out of every session needs an access token")
            })?;
            let user_id = parse_uuid("access token subject", &caller.user_id)?;
            let revoked = Store::revoke_all_sessions(&mut tx, user_id).await?;
            Store::log_login_event(&mut tx, "", Some(user_id), "logout_all", &from, "").await?;
            revoked
        } else {
            // The session to end: the refresh token's, else the access token's own.
            let session = if request.refresh_token.is_empty() {
                let session_id = caller
                    .as_ref()
                    .and_then(|caller| caller.session_id.clone())
                    .ok_or_else(|| {
                        invalid_field(
                            "refresh_token",
                            "required without an access token from a login session",
                        )
                    })?;
                let user_id = caller
                    .as_ref()
                    .and_then(|caller| Uuid::parse_str(&caller.user_id).ok());
                Uuid::parse_str(&session_id).ok().zip(user_id)
            } else {
                Store::refresh_token_for_update(
                    &mut tx,
                    &tokens::refresh_token_hash(&request.refresh_token),
                )
                .await?
                .map(|token| (token.session_id, token.user_id))
            };
            match session {
                Some((session_id, user_id)) => {
                    let revoked = Store::revoke_session(&mut tx, session_id).await?;
                    Store::log_login_event(
                        &mut tx,
                        "",
                        Some(user_id),
                        "logout",
                        &from,
                        &session_id.to_string(),
                    )
                    .await?;
                    revoked
                }
                None => 0,
            }
        };
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::LogoutResponse {
            revoked_sessions: revoked as i32,
        }))
    }

    async fn who_am_i(
        &self,
        request: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        let user_id = parse_uuid("access token subject", &caller.user_id)?;
        let mut conn = self.store.pool().acquire().await.map_err(Error::from)?;
        let user = Store::user(&mut conn, user_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("user {user_id}"))))?;
        let bindings = Store::bindings_of(&mut conn, user_id).await?;
        Ok(Response::new(pb::WhoAmIResponse {
            user: Some(user_proto(&user)),
            role_bindings: bindings.iter().map(binding_proto).collect(),
            session_id: caller.session_id.clone().unwrap_or_default(),
            access_token_expire_time: OffsetDateTime::from_unix_timestamp(caller.expires_at as i64)
                .ok()
                .map(timestamp),
        }))
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let caller = caller(&request)?.clone();
        caller.scopes(Permission::IdentityAdmin)?;
        let request = request.into_inner();
        let user = request.user.clone().unwrap_or_default();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        let login_name = user.login_name.trim();
        if login_name.len() < 3
            || login_name.len() > 40
            || !login_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            violations.add(
                "user.login_name",
                "3–40 characters: letters, digits, '.', '_' or '-'",
            );
        }
        if user.display_name.trim().is_empty() || user.display_name.chars().count() > 50 {
            violations.add("user.display_name", "required, at most 50 characters");
        }
        if !user.email.is_empty() && (!user.email.contains('@') || user.email.len() > 100) {
            violations.add("user.email", "not an e-mail address");
        }
        if !valid_mobile(&user.mobile) {
            violations.add("user.mobile", "an 11-digit mobile number");
        }
        if let Some(member_id) = &user.member_id
            && Uuid::parse_str(member_id).is_err()
        {
            violations.add(
                "user.member_id",
                "must be the UUID of a member of the register",
            );
        }
        if let Some(why) = password::policy_violation(&request.initial_password, login_name) {
            violations.add("initial_password", why);
        }
        violations.into_result()?;
        let initial = request.initial_password.clone();
        let hash = tokio::task::spawn_blocking(move || password::hash(&initial))
            .await
            .map_err(|err| relief_runtime::error::internal("hashing", err))?
            .map_err(|err| relief_runtime::error::internal("hashing", err))?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(done) =
            idempotency::claim(&mut tx, "CreateUser", &request.request_id, &request).await?
        {
            return Ok(Response::new(done));
        }
        let user_id = Uuid::new_v4();
        Store::insert_user(
            &mut tx,
            NewUser {
                user_id,
                login_name,
                display_name: user.display_name.trim(),
                email: user.email.trim(),
                mobile: user.mobile.trim(),
                member_id: user.member_id.as_deref(),
                password_hash: &hash,
                must_change_password: true,
            },
        )
        .await?;
        let row = Store::user(&mut tx, user_id)
            .await?
            .ok_or_else(|| Status::internal("user vanished inside its own transaction"))?;
        audit(
            &mut tx,
            &caller.actor(),
            "user.created",
            &format!("users/{user_id}"),
            serde_json::json!({ "login_name": login_name, "display_name": row.display_name }),
        )
        .await?;
        let response = user_proto(&row);
        idempotency::finish(tx, &request.request_id, response)
            .await
            .map(Response::new)
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let caller = caller(&request)?.clone();
        let user_id = parse_uuid("user_id", &request.get_ref().user_id)?;
        let mut conn = self.store.pool().acquire().await.map_err(Error::from)?;
        if caller.user_id == user_id.to_string() {
            let user = Store::user(&mut conn, user_id)
                .await?
                .ok_or_else(|| Status::from(Error::NotFound(format!("user {user_id}"))))?;
            return Ok(Response::new(user_proto(&user)));
        }
        let (user, _) = self.managed_user(&mut conn, &caller, user_id).await?;
        Ok(Response::new(user_proto(&user)))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let caller = caller(&request)?.clone();
        let scopes = caller.scopes(Permission::IdentityAdmin)?;
        let request = request.into_inner();
        let limit = page_size(request.page_size, "page_size")?;
        let after = match PageToken::decode(&request.page_token, "page_token")? {
            None => None,
            Some(token) => {
                let (login, id) = token.after_text().split_once('\u{1f}').ok_or_else(|| {
                    invalid_field("page_token", "not a page token from a previous response")
                })?;
                Some((login.to_owned(), parse_uuid("page_token", id)?))
            }
        };
        let role = match pb::Role::try_from(request.role) {
            Ok(pb::Role::Unspecified) => None,
            Ok(role) => roles::from_proto(role).map(|role| role.as_str().to_owned()),
            Err(_) => return Err(invalid_field("role", "unknown role")),
        };
        let mut roots = if caller.may(Permission::IdentityAdmin, ROOT) {
            None
        } else {
            Some(scopes.clone())
        };
        if request.org_id != 0 {
            let org = self.org(&caller, request.org_id).await?;
            let narrowed: Vec<String> = if scopes.iter().any(|s| org.path.starts_with(s.as_str())) {
                vec![org.path.clone()]
            } else {
                scopes
                    .iter()
                    .filter(|s| s.starts_with(org.path.as_str()))
                    .cloned()
                    .collect()
            };
            if narrowed.is_empty() {
                return Err(Status::permission_denied(
                    "that organisation is outside the ones you administer",
                ));
            }
            roots = Some(narrowed);
        }
        let filter = UserFilter {
            roots,
            role,
            enabled: request.enabled,
            query: request.query.trim().to_owned(),
            member_id: request.member_id.trim().to_owned(),
        };
        let mut rows = self.store.list_users(&filter, after, limit + 1).await?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|row| {
                    PageToken::text(&format!("{}\u{1f}{}", row.login_name, row.user_id)).encode()
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListUsersResponse {
            users: rows.iter().map(user_proto).collect(),
            next_page_token,
        }))
    }

    async fn update_user(
        &self,
        request: Request<pb::UpdateUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        const PATHS: [&str; 4] = ["display_name", "email", "mobile", "member_id"];
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let user = request.user.clone().unwrap_or_default();
        let paths = request
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.clone())
            .unwrap_or_default();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        violations.check(
            paths.is_empty(),
            "update_mask",
            "required: the fields to change",
        );
        for path in &paths {
            if !PATHS.contains(&path.as_str()) {
                violations.add("update_mask", format!("{path} cannot be changed here"));
            }
        }
        let user_id = parse_uuid("user.user_id", &user.user_id)
            .map_err(|s| violations.add("user.user_id", s.message()))
            .ok();
        let version = user
            .etag
            .parse::<i64>()
            .map_err(|_| violations.add("user.etag", "required: the etag from the last read"))
            .unwrap_or(0);
        let has = |name: &str| paths.iter().any(|p| p == name);
        if has("display_name")
            && (user.display_name.trim().is_empty() || user.display_name.chars().count() > 50)
        {
            violations.add("user.display_name", "required, at most 50 characters");
        }
        if has("email") && !user.email.is_empty() && !user.email.contains('@') {
            violations.add("user.email", "not an e-mail address");
        }
        if has("mobile") && !valid_mobile(&user.mobile) {
            violations.add("user.mobile", "an 11-digit mobile number");
        }
        if has("member_id")
            && user
                .member_id
                .as_deref()
                .is_some_and(|id| !id.is_empty() && Uuid::parse_str(id).is_err())
        {
            violations.add(
                "user.member_id",
                "must be the UUID of a member of the register",
            );
        }
        violations.into_result()?;
        let user_id = user_id.ok_or_else(|| invalid_field("user.user_id", "must be a UUID"))?;
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(done) =
            idempotency::claim(&mut tx, "UpdateUser", &request.request_id, &request).await?
        {
            return Ok(Response::new(done));
        }
        let (current, _) = self.managed_user(&mut tx, &caller, user_id).await?;
        let mut next = current.clone();
        if has("display_name") {
            next.display_name = user.display_name.trim().to_owned();
        }
        if has("email") {
            next.email = user.email.trim().to_owned();
        }
        if has("mobile") {
            next.mobile = user.mobile.trim().to_owned();
        }
        if has("member_id") {
            next.member_id = user.member_id.clone().filter(|id| !id.is_empty());
        }
        if !Store::update_user(&mut tx, &next, version).await? {
            return Err(Error::EtagMismatch(format!("user {user_id}")).into());
        }
        let updated = Store::user(&mut tx, user_id)
            .await?
            .ok_or_else(|| Status::internal("user vanished"))?;
        audit(
            &mut tx,
            &caller.actor(),
            "user.updated",
            &format!("users/{user_id}"),
            serde_json::json!({ "fields": paths }),
        )
        .await?;
        let response = user_proto(&updated);
        idempotency::finish(tx, &request.request_id, response)
            .await
            .map(Response::new)
    }

    async fn set_password(
        &self,
        request: Request<pb::SetPasswordRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        let user_id = parse_uuid("user_id", &request.user_id)
            .map_err(|s| violations.add("user_id", s.message()))
            .ok();
        violations.check(request.new_password.is_empty(), "new_password", "required");
        violations.into_result()?;
        let user_id = user_id.ok_or_else(|| invalid_field("user_id", "must be a UUID"))?;
        let own = caller.user_id == user_id.to_string();
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(done) =
            idempotency::claim(&mut tx, "SetPassword", &request.request_id, &request).await?
        {
            return Ok(Response::new(done));
        }
        let current = if own {
            Store::user(&mut tx, user_id)
                .await?
                .ok_or_else(|| Status::from(Error::NotFound(format!("user {user_id}"))))?
        } else {
            self.managed_user(&mut tx, &caller, user_id).await?.0
        };
        if own {
            let stored = current.password_hash.clone();
            let given = request.current_password.clone();
            let ok = tokio::task::spawn_blocking(move || password::verify(&given, &stored))
                .await
                .map_err(|err| relief_runtime::error::internal("verifying", err))?;
            if !ok {
                return Err(invalid_field("current_password", "does not match"));
            }
        }
        if let Some(why) = password::policy_violation(&request.new_password, &current.login_name) {
            return Err(invalid_field("new_password", why));
        }
        let new_password = request.new_password.clone();
        let hash = tokio::task::spawn_blocking(move || password::hash(&new_password))
            .await
            .map_err(|err| relief_runtime::error::internal("hashing", err))?
            .map_err(|err| relief_runtime::error::internal("hashing", err))?;
        let mut next = current.clone();
        next.password_hash = hash;
        next.password_changed_at = OffsetDateTime::now_utc();
        next.must_change_password = !own && request.require_change;
        next.failed_logins = 0;
        next.locked_until = None;
        if !Store::update_user(&mut tx, &next, current.version).await? {
            return Err(Error::EtagMismatch(format!("user {user_id}")).into());
        }
        if !own {
            // An administrator's reset ends every session of the user.
            Store::revoke_all_sessions(&mut tx, user_id).await?;
        }
        let updated = Store::user(&mut tx, user_id)
            .await?
            .ok_or_else(|| Status::internal("user vanished"))?;
        audit(
            &mut tx,
            &caller.actor(),
            "user.password_set",
            &format!("users/{user_id}"),
            serde_json::json!({ "by_self": own }),
        )
        .await?;
        let response = user_proto(&updated);
        idempotency::finish(tx, &request.request_id, response)
            .await
            .map(Response::new)
    }

    async fn disable_user(
        &self,
        request: Request<pb::DisableUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        self.set_enabled(
            &caller,
            &request.request_id,
            &request.user_id,
            &request.etag,
            &request.reason,
            false,
            &request,
        )
        .await
        .map(Response::new)
    }

    async fn enable_user(
        &self,
        request: Request<pb::EnableUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        self.set_enabled(
            &caller,
            &request.request_id,
            &request.user_id,
            &request.etag,
            &request.reason,
            true,
            &request,
        )
        .await
        .map(Response::new)
    }

    async fn create_role_binding(
        &self,
        request: Request<pb::CreateRoleBindingRequest>,
    ) -> Result<Response<pb::RoleBinding>, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let binding = request.role_binding.clone().unwrap_or_default();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        let user_id = parse_uuid("role_binding.user_id", &binding.user_id)
            .map_err(|s| violations.add("role_binding.user_id", s.message()))
            .ok();
        let role = pb::Role::try_from(binding.role)
            .ok()
            .and_then(roles::from_proto);
        violations.check(
            role.is_none(),
            "role_binding.role",
            "required: one of the roles",
        );
        let org_id = binding.org.as_ref().map_or(0, |org| org.org_id);
        violations.check(
            org_id <= 0,
            "role_binding.org.org_id",
            "required: the organisation the role applies on",
        );
        violations.into_result()?;
        let (Some(user_id), Some(role)) = (user_id, role) else {
            return Err(invalid_field("role_binding", "incomplete"));
        };
        let org = self.org(&caller, org_id).await?;
        if !roles::may_grant(&caller, role, &org.path) {
            return Err(Status::permission_denied(format!(
                "you may not grant {role} on {}",
                org.name
            )));
        }
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(done) =
            idempotency::claim(&mut tx, "CreateRoleBinding", &request.request_id, &request).await?
        {
            return Ok(Response::new(done));
        }
        let user = Store::user(&mut tx, user_id)
            .await?
            .ok_or_else(|| invalid_field("role_binding.user_id", "no such user"))?;
        if role == Role::Member && user.member_id.is_none() {
            return Err(invalid_field(
                "role_binding.role",
                "the member role needs the user linked to a member of the register (user.member_id)",
            ));
        }
        let role_binding_id = Uuid::new_v4();
        Store::insert_binding(
            &mut tx,
            NewBinding {
                role_binding_id,
                user_id,
                role: role.as_str(),
                org_id: org.org_id,
                org_path: &org.path,
                org_name: &org.name,
                granted_by_id: &caller.user_id,
                granted_by_name: &caller.display_name,
                reason: request.reason.trim(),
            },
        )
        .await?;
        let row = Store::binding(&mut tx, role_binding_id)
            .await?
            .ok_or_else(|| Status::internal("binding vanished"))?;
        audit(
            &mut tx,
            &caller.actor(),
            "role_binding.created",
            &format!("users/{user_id}"),
            serde_json::json!({ "role": role.as_str(), "org": org.path, "reason": request.reason }),
        )
        .await?;
        let response = binding_proto(&row);
        idempotency::finish(tx, &request.request_id, response)
            .await
            .map(Response::new)
    }

    async fn delete_role_binding(
        &self,
        request: Request<pb::DeleteRoleBindingRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        let id = parse_uuid("role_binding_id", &request.role_binding_id)
            .map_err(|s| violations.add("role_binding_id", s.message()))
            .ok();
        violations.check(
            request.reason.trim().is_empty(),
            "reason",
            "required: why the role is revoked",
        );
        violations.into_result()?;
        let id = id.ok_or_else(|| invalid_field("role_binding_id", "must be a UUID"))?;
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(done) =
            idempotency::claim::<_, ()>(&mut tx, "DeleteRoleBinding", &request.request_id, &request)
                .await?
        {
            return Ok(Response::new(done));
        }
        let binding = Store::binding(&mut tx, id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("role binding {id}"))))?;
        let role =
            Role::parse(&binding.role).ok_or_else(|| Status::internal("stored role unknown"))?;
        if !roles::may_grant(&caller, role, &binding.org_path) {
            return Err(Status::permission_denied("you may not revoke this role"));
        }
        Store::revoke_binding(&mut tx, id).await?;
        audit(&mut tx, &caller.actor(), "role_binding.revoked", &format!("users/{}", binding.user_id), serde_json::json!({ "role": binding.role, "org": binding.org_path, "reason": request.reason })).await?;
        idempotency::complete(&mut tx, &request.request_id, &()).await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(()))
    }

    async fn list_role_bindings(
        &self,
        request: Request<pb::ListRoleBindingsRequest>,
    ) -> Result<Response<pb::ListRoleBindingsResponse>, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let limit = page_size(request.page_size, "page_size")?;
        let after = match PageToken::decode(&request.page_token, "page_token")? {
            None => None,
            Some(token) => Some(parse_uuid("page_token", token.after_text())?),
        };
        let user_id = if request.user_id.is_empty() {
            None
        } else {
            Some(parse_uuid("user_id", &request.user_id)?)
        };
        let own = user_id.is_some_and(|id| id.to_string() == caller.user_id);
        let role = match pb::Role::try_from(request.role) {
            Ok(pb::Role::Unspecified) => None,
            Ok(role) => roles::from_proto(role).map(Role::as_str),
            Err(_) => return Err(invalid_field("role", "unknown role")),
        };
        let (roots, ancestors_of) = if own {
            (vec![ROOT.to_owned()], None)
        } else {
            let scopes = caller.scopes(Permission::IdentityAdmin)?;
            if request.org_id == 0 {
                (scopes, None)
            } else {
                let org = self.org(&caller, request.org_id).await?;
                if !scopes
                    .iter()
                    .any(|scope| org.path.starts_with(scope.as_str()))
                {
                    return Err(Status::permission_denied(
                        "that organisation is outside the ones you administer",
                    ));
                }
                let ancestors = request.include_ancestors.then(|| org.path.clone());
                (vec![org.path], ancestors)
            }
        };
        let mut rows = self
            .store
            .list_bindings(
                &roots,
                ancestors_of.as_deref(),
                user_id,
                role,
                after,
                limit + 1,
            )
            .await?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|row| PageToken::text(&row.role_binding_id.to_string()).encode())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListRoleBindingsResponse {
            role_bindings: rows.iter().map(binding_proto).collect(),
            next_page_token,
        }))
    }

    async fn verify_audit_chain(
        &self,
        request: Request<common::VerifyAuditChainRequest>,
    ) -> Result<Response<common::VerifyAuditChainResponse>, Status> {
        relief_runtime::audit::verify_rpc(self.store.pool(), request).await
    }

    async fn list_audit_entries(
        &self,
        request: Request<common::ListAuditEntriesRequest>,
    ) -> Result<Response<common::ListAuditEntriesResponse>, Status> {
        relief_runtime::audit::list_rpc(self.store.pool(), request).await
    }
}

impl IdentityApi {
    #[allow(clippy::too_many_arguments)]
    async fn set_enabled<Q: prost::Message>(
        &self,
        caller: &Caller,
        request_id: &str,
        user_id: &str,
        etag: &str,
        reason: &str,
        enabled: bool,
        request: &Q,
    ) -> Result<pb::User, Status> {
        let mut violations = FieldViolations::new();
        violations.check_request_id(request_id);
        let user_id = parse_uuid("user_id", user_id)
            .map_err(|s| violations.add("user_id", s.message()))
            .ok();
        let version = etag
            .parse::<i64>()
            .map_err(|_| violations.add("etag", "required: the etag from the last read"))
            .unwrap_or(0);
        violations.check(reason.trim().is_empty(), "reason", "required");
        violations.into_result()?;
        let user_id = user_id.ok_or_else(|| invalid_field("user_id", "must be a UUID"))?;
        let method = if enabled { "EnableUser" } else { "DisableUser" };
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(done) =
            idempotency::claim(&mut tx, method, request_id, request).await?
        {
            return Ok(done);
        }
        let (current, _) = self.managed_user(&mut tx, caller, user_id).await?;
        if current.user_id.to_string() == caller.user_id && !enabled {
            return Err(Error::FailedPrecondition(
                "you cannot disable your own account".to_owned(),
            )
            .into());
        }
        let mut next = current.clone();
        next.enabled = enabled;
        next.disabled_reason = if enabled {
            String::new()
        } else {
            reason.trim().to_owned()
        };
        if enabled {
            next.failed_logins = 0;
            next.locked_until = None;
        }
        if !Store::update_user(&mut tx, &next, version).await? {
            return Err(Error::EtagMismatch(format!("user {user_id}")).into());
        }
        if !enabled {
            Store::revoke_all_sessions(&mut tx, user_id).await?;
        }
        let updated = Store::user(&mut tx, user_id)
            .await?
            .ok_or_else(|| Status::internal("user vanished"))?;
        let action = if enabled {
            "user.enabled"
        } else {
            "user.disabled"
        };
        audit(
            &mut tx,
            &caller.actor(),
            action,
            &format!("users/{user_id}"),
            serde_json::json!({ "reason": reason }),
        )
        .await?;
        let response = user_proto(&updated);
        idempotency::complete(&mut tx, request_id, &response).await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(response)
    }
}
