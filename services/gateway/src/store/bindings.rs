//! Role bindings: a role on an organisation node, granted by someone for a
//! reason. Revoked bindings stay, so who had which rights when stays visible.

use relief_runtime::auth::Role;
use relief_runtime::error::Result;
use relief_runtime::scope::subtree_patterns;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BindingRow {
    pub role_binding_id: Uuid,
    pub user_id: Uuid,
    pub user_display_name: String,
    /// The role's wire name; read it through [`BindingRow::role`].
    role: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub granted_by_id: String,
    pub granted_by_name: String,
    pub reason: String,
    pub granted_at: OffsetDateTime,
}

impl BindingRow {
    /// The role bound; `None` only for a name this build does not know.
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

const BINDING_COLUMNS: &str =
    "b.role_binding_id, b.user_id, u.display_name AS user_display_name, b.role, b.org_id,
    b.org_path, b.org_name, b.granted_by_id, b.granted_by_name, b.reason, b.granted_at";

/// A new role binding as written. A second live binding of the same role on
/// the same node breaks `role_bindings_live`.
pub struct NewBindingRow<'a> {
    pub role_binding_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub org_id: i64,
    pub org_path: &'a str,
    pub org_name: &'a str,
    pub granted_by_id: &'a str,
    pub granted_by_name: &'a str,
    pub reason: &'a str,
}

impl Store {
    pub async fn insert_binding(tx: &mut PgConnection, binding: NewBindingRow<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO role_bindings (role_binding_id, user_id, role, org_id, org_path, org_name, granted_by_id,
                granted_by_name, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(binding.role_binding_id)
        .bind(binding.user_id)
        .bind(binding.role.as_str())
        .bind(binding.org_id)
        .bind(binding.org_path)
        .bind(binding.org_name)
        .bind(binding.granted_by_id)
        .bind(binding.granted_by_name)
        .bind(binding.reason)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// A live binding.
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
        role: Option<Role>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<BindingRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BINDING_COLUMNS} FROM role_bindings b JOIN users u ON u.user_id = b.user_id
             WHERE b.revoked_at IS NULL
               AND (b.org_path LIKE ANY($1) OR ($2::text IS NOT NULL AND $2 LIKE b.org_path || '%'))
               AND ($3::uuid IS NULL OR b.user_id = $3)
               AND ($4::text IS NULL OR b.role = $4)
               AND b.role_binding_id > $5
             ORDER BY b.role_binding_id LIMIT $6"
        )))
        .bind(subtree_patterns(roots))
        .bind(ancestors_of)
        .bind(user_id)
        .bind(role.map(Role::as_str))
        .bind(after.unwrap_or_else(Uuid::nil))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
