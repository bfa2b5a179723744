//! Organisation nodes.

use relief_runtime::error::Result;
use relief_runtime::scope::subtree_patterns;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::Store;
use crate::domain::org::OrgKind;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub org_id: i64,
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub name: String,
    pub unit_name: String,
    pub path: String,
    pub version: i64,
    pub updated_at: OffsetDateTime,
}

const ORG_COLUMNS: &str = "org_id, parent_id, kind, name, unit_name, path, version, updated_at";

impl Store {
    pub async fn org(&self, org_id: i64) -> Result<Option<OrgRow>> {
        Self::org_in(&mut *self.pool().acquire().await?, org_id).await
    }

    /// A node, within an open transaction.
    pub async fn org_in(conn: &mut PgConnection, org_id: i64) -> Result<Option<OrgRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS} FROM orgs WHERE org_id = $1"
        )))
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub async fn orgs_by_paths(
        &self,
        paths: &[String],
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<OrgRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS} FROM orgs WHERE path = ANY($1) AND org_id > $2 ORDER BY org_id LIMIT $3"
        )))
        .bind(paths)
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn orgs_by_ids(&self, ids: &[i64]) -> Result<Vec<OrgRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS} FROM orgs WHERE org_id = ANY($1)"
        )))
        .bind(ids)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn insert_org(
        tx: &mut PgConnection,
        parent: &OrgRow,
        kind: OrgKind,
        name: &str,
        unit_name: &str,
    ) -> Result<OrgRow> {
        // The path needs the new id, so the id is drawn first.
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH next AS (SELECT nextval('orgs_org_id_seq') AS id)
             INSERT INTO orgs (org_id, parent_id, kind, name, unit_name, path)
             SELECT id, $1, $2, $3, $4, $5 || id || '/' FROM next
             RETURNING {ORG_COLUMNS}"
        )))
        .bind(parent.org_id)
        .bind(kind)
        .bind(name)
        .bind(unit_name)
        .bind(&parent.path)
        .fetch_one(&mut *tx)
        .await?)
    }

    /// Nodes under any of `roots`: the roots' direct children, or with
    /// `whole_subtree` every descendant (and the roots themselves). Ordered by
    /// id, after `after_id`.
    pub async fn list_orgs(
        &self,
        parent_paths: &[String],
        whole_subtree: bool,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<OrgRow>> {
        let patterns = subtree_patterns(parent_paths);
        let sql = if whole_subtree {
            format!(
                "SELECT {ORG_COLUMNS} FROM orgs WHERE path LIKE ANY($1) AND org_id > $2 ORDER BY org_id LIMIT $3"
            )
        } else {
            format!(
                "SELECT {ORG_COLUMNS} FROM orgs o WHERE org_id > $2
                 AND EXISTS (SELECT 1 FROM orgs p WHERE p.org_id = o.parent_id AND p.path || '%' = ANY($1))
                 ORDER BY org_id LIMIT $3"
            )
        };
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&patterns)
            .bind(after_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// Renames a node if it is still at `version`; `None` when it is not.
    pub async fn update_org(
        tx: &mut PgConnection,
        org_id: i64,
        version: i64,
        name: &str,
        unit_name: &str,
    ) -> Result<Option<OrgRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE orgs SET name = $3, unit_name = $4, version = version + 1, updated_at = now()
             WHERE org_id = $1 AND version = $2 RETURNING {ORG_COLUMNS}"
        )))
        .bind(org_id)
        .bind(version)
        .bind(name)
        .bind(unit_name)
        .fetch_optional(&mut *tx)
        .await?)
    }
}
