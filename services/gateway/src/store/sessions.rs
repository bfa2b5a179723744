//! Sessions: refresh tokens (stored as hashes; rotated on every refresh), the
//! sealed answers a retried refresh may get again, and the log of every
//! login, failure, lock and logout.

use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// What happened at the door, as `login_events.kind` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginEvent {
    Success,
    /// Unknown login name or wrong password.
    Failure,
    /// The failure that locked the account.
    Locked,
    RefusedLocked,
    RefusedDisabled,
    OidcSuccess,
    /// An accepted external token naming no enabled local user.
    OidcRefused,
    Refresh,
    /// A retried refresh answered again.
    RefreshReplay,
    /// A rotated refresh token came back: the session was ended.
    RefreshReuse,
    Logout,
    LogoutAll,
}

impl LoginEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginEvent::Success => "success",
            LoginEvent::Failure => "failure",
            LoginEvent::Locked => "locked",
            LoginEvent::RefusedLocked => "refused_locked",
            LoginEvent::RefusedDisabled => "refused_disabled",
            LoginEvent::OidcSuccess => "oidc_success",
            LoginEvent::OidcRefused => "oidc_refused",
            LoginEvent::Refresh => "refresh",
            LoginEvent::RefreshReplay => "refresh_replay",
            LoginEvent::RefreshReuse => "refresh_reuse",
            LoginEvent::Logout => "logout",
            LoginEvent::LogoutAll => "logout_all",
        }
    }
}

impl Store {
    pub async fn log_login_event(
        tx: &mut PgConnection,
        login_name: &str,
        user_id: Option<Uuid>,
        kind: LoginEvent,
        address: &str,
        detail: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO login_events (login_name, user_id, kind, address, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(login_name)
            .bind(user_id)
            .bind(kind.as_str())
            .bind(address)
            .bind(detail)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    pub async fn insert_refresh_token(
        tx: &mut PgConnection,
        token_hash: &str,
        session_id: Uuid,
        user_id: Uuid,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, user_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(session_id)
            .bind(user_id)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// The refresh token with this hash, locked for the rotation.
    pub async fn refresh_token_for_update(
        tx: &mut PgConnection,
        token_hash: &str,
    ) -> Result<Option<RefreshRow>> {
        Ok(sqlx::query_as(
            "SELECT session_id, user_id, expires_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?)
    }

    pub async fn revoke_refresh_token(tx: &mut PgConnection, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    pub async fn insert_replay(
        tx: &mut PgConnection,
        token_hash: &str,
        request_id: &str,
        sealed: &[u8],
    ) -> Result<()> {
        // Answers are kept minutes, not forever.
        sqlx::query("DELETE FROM refresh_replays WHERE created_at < now() - interval '1 day'")
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO refresh_replays (token_hash, request_id, sealed) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(token_hash)
            .bind(request_id)
            .bind(sealed)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// The sealed answer of a recent refresh with this token and request id,
    /// if its session is still alive.
    pub async fn recent_replay(
        tx: &mut PgConnection,
        token_hash: &str,
        request_id: &str,
        session_id: Uuid,
        within: time::Duration,
    ) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar(
            "SELECT r.sealed FROM refresh_replays r
             WHERE r.token_hash = $1 AND r.request_id = $2 AND r.created_at > now() - $3::interval
               AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = $4 AND t.revoked_at IS NULL)",
        )
        .bind(token_hash)
        .bind(request_id)
        .bind(format!("{} seconds", within.whole_seconds()))
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await?)
    }

    /// Revokes every live token of a session; returns how many sessions ended.
    pub async fn revoke_session(tx: &mut PgConnection, session_id: Uuid) -> Result<i64> {
        let revoked = sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL")
            .bind(session_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        Ok(i64::from(revoked > 0))
    }

    pub async fn revoke_all_sessions(tx: &mut PgConnection, user_id: Uuid) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "WITH revoked AS (UPDATE refresh_tokens SET revoked_at = now()
                              WHERE user_id = $1 AND revoked_at IS NULL RETURNING session_id)
             SELECT count(DISTINCT session_id) FROM revoked",
        )
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?)
    }
}
