//! Every SQL statement of the ledger service, against its own schema only.
//! Handlers get rows and hand back drafts; no rule is decided here except
//! what the database itself guarantees (uniqueness, one active record).

mod members;
mod orgs;
mod records;

pub use members::{MemberRow, NewMemberRow};
pub use orgs::OrgRow;
pub use records::{NewRecordRow, RecordFilter, RecordRow, StatisticsRow, VerificationRow};

use relief_proto::common::v1::Actor;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use time::OffsetDateTime;

use crate::error::Result;

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

/// One change to record: in the history of the resource and in the audit
/// chain, within the transaction that made it.
pub struct Change<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub resource: &'a str,
    pub reason: &'a str,
    pub changed_fields: Vec<String>,
    /// Values before and after, sensitive ones already masked.
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct HistoryRow {
    pub history_id: i64,
    pub action: String,
    pub actor_id: String,
    pub actor_name: String,
    pub reason: String,
    pub changed_fields: Vec<String>,
    pub before_json: Option<serde_json::Value>,
    pub after_json: Option<serde_json::Value>,
    pub at: OffsetDateTime,
}

#[derive(Debug, sqlx::FromRow)]
pub struct SensitiveReadRow {
    pub read_id: i64,
    pub resource: String,
    pub reader_id: String,
    pub reader_name: String,
    pub reason: String,
    pub at: OffsetDateTime,
}

/// `LIKE` patterns for subtree roots (paths hold only digits and slashes).
pub fn subtree_patterns(roots: &[String]) -> Vec<String> {
    roots.iter().map(|root| format!("{root}%")).collect()
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

    /// Writes a change into the history and the audit chain.
    pub async fn log_change(tx: &mut PgConnection, change: Change<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO history (resource, action, actor_id, actor_name, reason, changed_fields, before_json, after_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(change.resource)
        .bind(change.action)
        .bind(&change.actor.user_id)
        .bind(&change.actor.display_name)
        .bind(change.reason)
        .bind(&change.changed_fields)
        .bind(&change.before)
        .bind(&change.after)
        .execute(&mut *tx)
        .await?;
        let audit = serde_json::json!({
            "reason": change.reason,
            "changed_fields": change.changed_fields,
            "before": change.before,
            "after": change.after,
        });
        relief_runtime::audit::append(tx, change.actor, change.action, change.resource, &audit)
            .await?;
        Ok(())
    }

    pub async fn history(&self, resource: &str, after: i64, limit: i64) -> Result<Vec<HistoryRow>> {
        Ok(sqlx::query_as(
            "SELECT history_id, action, actor_id, actor_name, reason, changed_fields, before_json, after_json, at
             FROM history WHERE resource = $1 AND history_id > $2 ORDER BY history_id LIMIT $3",
        )
        .bind(resource)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records that `reader` saw `resource` unmasked, and why.
    pub async fn log_sensitive_read(
        tx: &mut PgConnection,
        reader: &Actor,
        resource: &str,
        reason: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sensitive_reads (resource, reader_id, reader_name, reason) VALUES ($1, $2, $3, $4)")
            .bind(resource)
            .bind(&reader.user_id)
            .bind(&reader.display_name)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        let audit = serde_json::json!({ "reason": reason });
        relief_runtime::audit::append(tx, reader, "sensitive.read", resource, &audit).await?;
        Ok(())
    }

    pub async fn sensitive_reads(
        &self,
        resource: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SensitiveReadRow>> {
        Ok(sqlx::query_as(
            "SELECT read_id, resource, reader_id, reader_name, reason, at FROM sensitive_reads
             WHERE read_id > $1 AND ($2 = '' OR resource = $2) ORDER BY read_id LIMIT $3",
        )
        .bind(after)
        .bind(resource)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// The committee root exists from the first start on, as node 1.
pub async fn ensure_committee(pool: &PgPool, name: &str) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO orgs (org_id, parent_id, kind, name, path) VALUES (1, NULL, 'committee', $1, '/1/')
         ON CONFLICT DO NOTHING",
    )
    .bind(name)
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT setval('orgs_org_id_seq', GREATEST((SELECT max(org_id) FROM orgs), 1))")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A proto date for an optional stored date.
pub fn date_proto(date: Option<time::Date>) -> Option<relief_proto::common::v1::Date> {
    date.map(relief_runtime::time::to_proto)
}

pub fn actor(user_id: &str, display_name: &str) -> Option<Actor> {
    if user_id.is_empty() {
        None
    } else {
        Some(Actor {
            user_id: user_id.to_owned(),
            display_name: display_name.to_owned(),
        })
    }
}

/// Reference of an org for other messages.
pub fn org_ref(org_id: i64, path: &str, name: &str) -> Option<relief_proto::common::v1::OrgRef> {
    Some(relief_proto::common::v1::OrgRef {
        org_id,
        path: path.to_owned(),
        name: name.to_owned(),
    })
}
