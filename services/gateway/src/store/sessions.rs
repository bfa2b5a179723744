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

    /// Revokes every live token of a session and records it ended (so its
    /// access tokens are refused too); returns how many live sessions ended.
    pub async fn revoke_session(tx: &mut PgConnection, session_id: Uuid) -> Result<i64> {
        let revoked = sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL")
            .bind(session_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "INSERT INTO ended_sessions (session_id, user_id)
             SELECT session_id, user_id FROM refresh_tokens WHERE session_id = $1 LIMIT 1
             ON CONFLICT DO NOTHING",
        )
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        Ok(i64::from(revoked > 0))
    }

    /// Revokes every live session of a user and records them ended; answers
    /// the sessions ended.
    pub async fn revoke_all_sessions(tx: &mut PgConnection, user_id: Uuid) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "WITH revoked AS (UPDATE refresh_tokens SET revoked_at = now()
                              WHERE user_id = $1 AND revoked_at IS NULL RETURNING session_id)
             INSERT INTO ended_sessions (session_id, user_id)
             SELECT DISTINCT session_id, $1 FROM revoked
             ON CONFLICT (session_id) DO UPDATE SET ended_at = ended_sessions.ended_at
             RETURNING session_id",
        )
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?)
    }

    /// The sessions ended within the last `within_seconds` (an access token's
    /// lifetime and a margin): those whose access tokens may still be unexpired.
    pub async fn recently_ended_sessions(&self, within_seconds: i64) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT session_id FROM ended_sessions WHERE ended_at > now() - make_interval(secs => $1)",
        )
        .bind(within_seconds as f64)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Until when `login_name` is locked for logins from `address`, if it is.
    pub async fn login_locked_until(
        tx: &mut PgConnection,
        login_name: &str,
        address: &str,
    ) -> Result<Option<OffsetDateTime>> {
        Ok(sqlx::query_scalar(
            "SELECT locked_until FROM login_throttle
             WHERE login_name = $1 AND address = $2 AND locked_until > now()",
        )
        .bind(login_name)
        .bind(address)
        .fetch_optional(&mut *tx)
        .await?
        .flatten())
    }

    /// Counts one more failed login of `login_name` from `address` (a row
    /// lock serialises concurrent ones); answers the failures in a row.
    pub async fn count_login_failure(
        tx: &mut PgConnection,
        login_name: &str,
        address: &str,
    ) -> Result<i32> {
        // Counts idle for a day are forgotten.
        sqlx::query(
            "DELETE FROM login_throttle WHERE updated_at < now() - interval '1 day'
               AND (locked_until IS NULL OR locked_until < now())",
        )
        .execute(&mut *tx)
        .await?;
        Ok(sqlx::query_scalar(
            "INSERT INTO login_throttle (login_name, address, failures) VALUES ($1, $2, 1)
             ON CONFLICT (login_name, address)
             DO UPDATE SET failures = login_throttle.failures + 1, updated_at = now()
             RETURNING failures",
        )
        .bind(login_name)
        .bind(address)
        .fetch_one(&mut *tx)
        .await?)
    }

    /// Locks `login_name` for logins from `address` until `until`; the count
    /// starts again.
    pub async fn lock_login(
        tx: &mut PgConnection,
        login_name: &str,
        address: &str,
        until: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE login_throttle SET failures = 0, locked_until = $3, updated_at = now()
             WHERE login_name = $1 AND address = $2",
        )
        .bind(login_name)
        .bind(address)
        .bind(until)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Forgets the failures of `login_name` — from `address` after a good
    /// login, or from everywhere (`None`) when an administrator resets the
    /// password or enables the user.
    pub async fn clear_login_failures(
        tx: &mut PgConnection,
        login_name: &str,
        address: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM login_throttle WHERE login_name = $1 AND ($2::text IS NULL OR address = $2)",
        )
        .bind(login_name)
        .bind(address)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
