//! Organisation nodes.

use relief_proto::ledger::v1 as pb;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::Store;
use crate::domain::org::{OrgKind, ROOT_PATH, depth};
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub org_id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub name: String,
    pub unit_name: String,
    pub path: String,
    pub version: i64,
    pub updated_at: OffsetDateTime,
}

impl OrgRow {
    pub fn kind(&self) -> OrgKind {
        OrgKind::parse(&self.kind).unwrap_or(OrgKind::Branch)
    }

    /// A branch hanging directly under the committee skips the superior review.
    pub fn directly_under_committee(&self) -> bool {
        self.kind() == OrgKind::Branch && depth(&self.path) == depth(ROOT_PATH) + 1
    }

    pub fn to_proto(&self) -> pb::Org {
        pb::Org {
            org_id: self.org_id,
            parent_id: self.parent_id.unwrap_or(0),
            kind: match self.kind() {
                OrgKind::Committee => pb::OrgKind::Committee,
                OrgKind::Superior => pb::OrgKind::Superior,
                OrgKind::Branch => pb::OrgKind::Branch,
            } as i32,
            name: self.name.clone(),
            unit_name: self.unit_name.clone(),
            path: self.path.clone(),
            directly_under_committee: self.directly_under_committee(),
            etag: self.version.to_string(),
        }
    }

    pub fn to_ref(&self) -> Option<relief_proto::common::v1::OrgRef> {
        super::org_ref(self.org_id, &self.path, &self.name)
    }
}

const ORG_COLUMNS: &str = "org_id, parent_id, kind, name, unit_name, path, version, updated_at";

impl Store {
    pub async fn org(&self, org_id: i64) -> Result<Option<OrgRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS} FROM orgs WHERE org_id = $1"
        )))
        .bind(org_id)
        .fetch_optional(self.pool())
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
        .bind(kind.as_str())
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
        let patterns = super::subtree_patterns(parent_paths);
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
