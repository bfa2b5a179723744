//! Every SQL statement of the gateway's identity store.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub user_id: Uuid,
    pub login_name: String,
    pub display_name: String,
    pub email: String,
    pub mobile: String,
    pub member_id: Option<String>,
    pub enabled: bool,
    pub disabled_reason: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub failed_logins: i32,
    pub locked_until: Option<OffsetDateTime>,
    pub last_login_at: Option<OffsetDateTime>,
    pub password_changed_at: OffsetDateTime,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BindingRow {
    pub role_binding_id: Uuid,
    pub user_id: Uuid,
    pub user_display_name: String,
    pub role: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub granted_by_id: String,
    pub granted_by_name: String,
    pub reason: String,
    pub granted_at: OffsetDateTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

const USER_COLUMNS: &str = "user_id, login_name, display_name, email, mobile, member_id, enabled, disabled_reason,
    password_hash, must_change_password, failed_logins, locked_until, last_login_at, password_changed_at, version,
    created_at, updated_at";
const BINDING_COLUMNS: &str =
    "b.role_binding_id, b.user_id, u.display_name AS user_display_name, b.role, b.org_id,
    b.org_path, b.org_name, b.granted_by_id, b.granted_by_name, b.reason, b.granted_at";

/// A new user as written.
pub struct NewUser<'a> {
    pub user_id: Uuid,
    pub login_name: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub mobile: &'a str,
    pub member_id: Option<&'a str>,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

/// A new role binding as written.
pub struct NewBinding<'a> {
    pub role_binding_id: Uuid,
    pub user_id: Uuid,
    pub role: &'a str,
    pub org_id: i64,
    pub org_path: &'a str,
    pub org_name: &'a str,
    pub granted_by_id: &'a str,
    pub granted_by_name: &'a str,
    pub reason: &'a str,
}

/// What to list; empty means any.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Users holding a live binding inside one of these subtrees; `None`: all users.
    pub roots: Option<Vec<String>>,
    pub role: Option<String>,
    pub enabled: Option<bool>,
    pub query: String,
    pub member_id: String,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Store { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn insert_user(tx: &mut PgConnection, user: NewUser<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (user_id, login_name, display_name, email, mobile, member_id, password_hash,
                must_change_password)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(user.user_id)
        .bind(user.login_name)
        .bind(user.display_name)
        .bind(user.email)
        .bind(user.mobile)
        .bind(user.member_id)
        .bind(user.password_hash)
        .bind(user.must_change_password)
        .execute(&mut *tx)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::AlreadyExists("user.login_name: this login name is taken".to_owned())
            }
            _ => Error::Database(err),
        })?;
        Ok(())
    }

    pub async fn user(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE user_id = $1"
        )))
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// The user of a login name, locked for the rest of the transaction so
    /// concurrent attempts count their failures one after another.
    pub async fn user_by_login_for_update(
        tx: &mut PgConnection,
        login_name: &str,
    ) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE login_name = $1 FOR UPDATE"
        )))
        .bind(login_name)
        .fetch_optional(&mut *tx)
        .await?)
    }

    pub async fn record_login_failure(
        tx: &mut PgConnection,
        user_id: Uuid,
        failures: i32,
        locked_until: Option<OffsetDateTime>,
    ) -> Result<()> {
        sqlx::query("UPDATE users SET failed_logins = $2, locked_until = COALESCE($3, locked_until) WHERE user_id = $1")
            .bind(user_id)
            .bind(failures)
            .bind(locked_until)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    pub async fn record_login_success(tx: &mut PgConnection, user_id: Uuid) -> Result<()> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    pub async fn log_login_event(
        tx: &mut PgConnection,
        login_name: &str,
        user_id: Option<Uuid>,
        kind: &str,
        address: &str,
        detail: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO login_events (login_name, user_id, kind, address, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(login_name)
            .bind(user_id)
            .bind(kind)
            .bind(address)
            .bind(detail)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    pub async fn update_user(
        tx: &mut PgConnection,
        row: &UserRow,
        expected_version: i64,
    ) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE users SET display_name = $3, email = $4, mobile = $5, member_id = $6, enabled = $7,
                disabled_reason = $8, password_hash = $9, must_change_password = $10,
                password_changed_at = $11, failed_logins = $12, locked_until = $13,
                version = version + 1, updated_at = now()
             WHERE user_id = $1 AND version = $2",
        )
        .bind(row.user_id)
        .bind(expected_version)
        .bind(&row.display_name)
        .bind(&row.email)
        .bind(&row.mobile)
        .bind(&row.member_id)
        .bind(row.enabled)
        .bind(&row.disabled_reason)
        .bind(&row.password_hash)
        .bind(row.must_change_password)
        .bind(row.password_changed_at)
        .bind(row.failed_logins)
        .bind(row.locked_until)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    pub async fn list_users(
        &self,
        filter: &UserFilter,
        after: Option<(String, Uuid)>,
        limit: i64,
    ) -> Result<Vec<UserRow>> {
        let (after_login, after_id) = after.unwrap_or_default();
        let patterns: Option<Vec<String>> = filter
            .roots
            .as_ref()
            .map(|roots| roots.iter().map(|root| format!("{root}%")).collect());
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u
             WHERE ($1::text[] IS NULL OR EXISTS (SELECT 1 FROM role_bindings b WHERE b.user_id = u.user_id
                        AND b.revoked_at IS NULL AND b.org_path LIKE ANY($1)))
               AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM role_bindings b WHERE b.user_id = u.user_id
                        AND b.revoked_at IS NULL AND b.role = $2))
               AND ($3::bool IS NULL OR u.enabled = $3)
               AND ($4 = '' OR u.login_name ILIKE '%' || $4 || '%' OR u.display_name ILIKE '%' || $4 || '%')
               AND ($5 = '' OR u.member_id = $5)
               AND (u.login_name, u.user_id) > ($6, $7)
             ORDER BY u.login_name, u.user_id LIMIT $8"
        )))
        .bind(patterns)
        .bind(&filter.role)
        .bind(filter.enabled)
        .bind(filter.query.replace(['%', '_'], ""))
        .bind(&filter.member_id)
        .bind(after_login)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn insert_binding(tx: &mut PgConnection, binding: NewBinding<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO role_bindings (role_binding_id, user_id, role, org_id, org_path, org_name, granted_by_id,
                granted_by_name, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(binding.role_binding_id)
        .bind(binding.user_id)
        .bind(binding.role)
        .bind(binding.org_id)
        .bind(binding.org_path)
        .bind(binding.org_name)
        .bind(binding.granted_by_id)
        .bind(binding.granted_by_name)
        .bind(binding.reason)
        .execute(&mut *tx)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::AlreadyExists("role_binding: the user already holds this role on this node".to_owned())
            }
            _ => Error::Database(err),
        })?;
        Ok(())
    }

    pub async fn binding(conn: &mut PgConnection, id: Uuid) -> Result<Option<BindingRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BINDING_COLUMNS} FROM role_bindings b JOIN users u ON u.user_id = b.user_id
             WHERE b.role_binding_id = $1 AND b.revoked_at IS NULL"
        )))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub async fn revoke_binding(tx: &mut PgConnection, id: Uuid) -> Result<bool> {
        Ok(sqlx::query("UPDATE role_bindings SET revoked_at = now() WHERE role_binding_id = $1 AND revoked_at IS NULL")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1)
    }

    /// Live bindings of a user.
    pub async fn bindings_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<BindingRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BINDING_COLUMNS} FROM role_bindings b JOIN users u ON u.user_id = b.user_id
             WHERE b.user_id = $1 AND b.revoked_at IS NULL ORDER BY b.granted_at, b.role_binding_id"
        )))
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Live bindings by filter: inside `roots` (or, with `ancestors_of`, on any
    /// node above or at that path), of a user, of a role.
    pub async fn list_bindings(
        &self,
        roots: &[String],
        ancestors_of: Option<&str>,
        user_id: Option<Uuid>,
        role: Option<&str>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<BindingRow>> {
        let patterns: Vec<String> = roots.iter().map(|root| format!("{root}%")).collect();
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BINDING_COLUMNS} FROM role_bindings b JOIN users u ON u.user_id = b.user_id
             WHERE b.revoked_at IS NULL
               AND (b.org_path LIKE ANY($1) OR ($2::text IS NOT NULL AND $2 LIKE b.org_path || '%'))
               AND ($3::uuid IS NULL OR b.user_id = $3)
               AND ($4::text IS NULL OR b.role = $4)
               AND b.role_binding_id > $5
             ORDER BY b.role_binding_id LIMIT $6"
        )))
        .bind(patterns)
        .bind(ancestors_of)
        .bind(user_id)
        .bind(role)
        .bind(after.unwrap_or_else(Uuid::nil))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
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
