//! Users: who may log in, their password hash, lockout state and version.

use relief_runtime::auth::Role;
use relief_runtime::error::Result;
use relief_runtime::scope::subtree_patterns;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;

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
    /// Who created the user (a user id; `bootstrap`), if recorded.
    pub created_by: Option<String>,
}

const USER_COLUMNS: &str = "user_id, login_name, display_name, email, mobile, member_id, enabled, disabled_reason,
    password_hash, must_change_password, failed_logins, locked_until, last_login_at, password_changed_at, version,
    created_at, updated_at, created_by";

/// A new user as written. A taken login name breaks `users_login_name_key`.
pub struct NewUserRow<'a> {
    pub user_id: Uuid,
    pub login_name: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub mobile: &'a str,
    pub member_id: Option<&'a str>,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub created_by: &'a str,
}

/// The users a caller administers (`domain::roles::may_administer`), as a
/// listing filters them: every live binding of the user lies where the
/// caller may grant its role; a user without bindings only for the whole
/// tree's administrators and the user's creator.
#[derive(Debug, Default)]
pub struct Administered {
    /// Each role with the subtree roots where the caller may grant it.
    pub grantable: Vec<(Role, Vec<String>)>,
    /// Users without bindings: all of them (the whole tree's administrators)…
    pub all_unbound: bool,
    /// …or those this caller created.
    pub creator: String,
}

/// What to list; empty means any.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Users holding a live binding inside one of these subtrees; `None`: all users.
    pub roots: Option<Vec<String>>,
    /// Only users the caller administers.
    pub administered: Administered,
    pub role: Option<Role>,
    pub enabled: Option<bool>,
    pub query: String,
    pub member_id: String,
}

impl Store {
    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn insert_user(tx: &mut PgConnection, user: NewUserRow<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (user_id, login_name, display_name, email, mobile, member_id, password_hash,
                must_change_password, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(user.user_id)
        .bind(user.login_name)
        .bind(user.display_name)
        .bind(user.email)
        .bind(user.mobile)
        .bind(user.member_id)
        .bind(user.password_hash)
        .bind(user.must_change_password)
        .bind(user.created_by)
        .execute(&mut *tx)
        .await?;
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

    /// Writes `row` over the user if it is still at `expected_version`;
    /// `false` when someone changed it first.
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

    /// Users matching `filter`, by login name then id, after the user
    /// `after` (a page token holds the id, not the login name; a user no
    /// longer under the roots ends the listing).
    pub async fn list_users(
        &self,
        filter: &UserFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<UserRow>> {
        let patterns = filter.roots.as_deref().map(subtree_patterns);
        // The (role, pattern) pairs under which a binding is administered.
        let (grant_roles, grant_patterns): (Vec<&str>, Vec<String>) = filter
            .administered
            .grantable
            .iter()
            .flat_map(|(role, roots)| {
                subtree_patterns(roots)
                    .into_iter()
                    .map(move |pattern| (role.as_str(), pattern))
            })
            .unzip();
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u
             WHERE ($1::text[] IS NULL OR EXISTS (SELECT 1 FROM role_bindings b WHERE b.user_id = u.user_id
                        AND b.revoked_at IS NULL AND b.org_path LIKE ANY($1)))
               AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM role_bindings b WHERE b.user_id = u.user_id
                        AND b.revoked_at IS NULL AND b.role = $2))
               AND ($3::bool IS NULL OR u.enabled = $3)
               AND ($4 = '' OR u.login_name ILIKE '%' || $4 || '%' OR u.display_name ILIKE '%' || $4 || '%')
               AND ($5 = '' OR u.member_id = $5)
               AND NOT EXISTS (SELECT 1 FROM role_bindings b WHERE b.user_id = u.user_id AND b.revoked_at IS NULL
                        AND NOT EXISTS (SELECT 1 FROM unnest($8::text[], $9::text[]) AS g(role, pattern)
                                        WHERE g.role = b.role AND b.org_path LIKE g.pattern))
               AND ($10 OR u.created_by = $11 OR EXISTS (SELECT 1 FROM role_bindings b
                        WHERE b.user_id = u.user_id AND b.revoked_at IS NULL))
               AND (u.login_name, u.user_id) > (
                   CASE WHEN $6::uuid IS NULL THEN ''
                        ELSE (SELECT c.login_name FROM users c WHERE c.user_id = $6
                              AND ($1::text[] IS NULL OR EXISTS (SELECT 1 FROM role_bindings b
                                   WHERE b.user_id = c.user_id AND b.revoked_at IS NULL AND b.org_path LIKE ANY($1)))) END,
                   COALESCE($6, '00000000-0000-0000-0000-000000000000'::uuid))
             ORDER BY u.login_name, u.user_id LIMIT $7"
        )))
        .bind(patterns)
        .bind(filter.role.map(Role::as_str))
        .bind(filter.enabled)
        .bind(filter.query.replace(['%', '_'], ""))
        .bind(&filter.member_id)
        .bind(after)
        .bind(limit)
        .bind(grant_roles)
        .bind(grant_patterns)
        .bind(filter.administered.all_unbound)
        .bind(&filter.administered.creator)
        .fetch_all(&self.pool)
        .await?)
    }
}
