//! Every SQL statement of the ledger service, against its own schema only.
//! Handlers get rows and hand back drafts; no rule is decided here except
//! what the database itself guarantees (uniqueness, one active record), and
//! those refusals are named here, once, with their stable reasons.

mod members;
mod orgs;
mod records;
mod relief;

pub use members::{MemberRow, NewMemberRow};
pub use orgs::OrgRow;
pub use records::{NewRecordRow, RecordFilter, RecordRow, StatisticsRow, VerificationRow};
pub use relief::ReliefRow;

use relief_proto::common::v1::Actor;
use relief_runtime::config::CommitteeSettings;
use relief_runtime::error::{ConstraintRefusal, Result};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use tonic::Code;

/// A second registration of one person (the keyed hash of the ID number is unique).
pub const DUPLICATE_PERSON: &str = "DUPLICATE_PERSON";
/// A second active record of one member.
pub const ALREADY_ON_REGISTER: &str = "ALREADY_ON_REGISTER";
/// A second verification of one record in one year.
pub const ALREADY_VERIFIED: &str = "ALREADY_VERIFIED";
/// A second entry of relief received for one disbursement.
pub const RELIEF_ALREADY_RECORDED: &str = "RELIEF_ALREADY_RECORDED";

/// The constraints whose breach is a rule of the register refusing the
/// request (a concurrent request may win the race the handler's own checks
/// cannot see), given to the RPC pipeline.
pub static REFUSALS: [ConstraintRefusal; 3] = [
    ConstraintRefusal {
        constraint: "members_id_number_hash_key",
        code: Code::AlreadyExists,
        reason: DUPLICATE_PERSON,
        message: "member.id_number: a member with this ID number is already registered",
    },
    ConstraintRefusal {
        constraint: "records_one_active_per_member",
        code: Code::AlreadyExists,
        reason: ALREADY_ON_REGISTER,
        message: "member_id: the member already has an active record; adjust it instead",
    },
    ConstraintRefusal {
        constraint: "relief_received_one_per_disbursement",
        code: Code::AlreadyExists,
        reason: RELIEF_ALREADY_RECORDED,
        message: "disbursement_id: the relief of this disbursement is already recorded",
    },
];

/// Whether `err` is the breach of the unique constraint `constraint`.
fn breaks(err: &sqlx::Error, constraint: &str) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if db.is_unique_violation() && db.constraint() == Some(constraint))
}

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

/// One change, for the history of the resource (the audit chain gets the
/// same through the pipeline's `Work`).
pub struct Change<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub reason: &'a str,
    pub changed_fields: Vec<String>,
    /// Values before and after, sensitive ones already masked.
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Change<'_> {
    /// What the audit chain keeps of the change.
    pub fn audit_view(&self) -> serde_json::Value {
        serde_json::json!({
            "reason": self.reason,
            "changed_fields": self.changed_fields,
            "before": self.before,
            "after": self.after,
        })
    }
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

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Store { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Writes a change `actor` made into the resource's history.
    pub async fn log_history(
        tx: &mut PgConnection,
        actor: &Actor,
        change: &Change<'_>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO history (resource, action, actor_id, actor_name, reason, changed_fields, before_json, after_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(change.resource)
        .bind(change.action)
        .bind(&actor.user_id)
        .bind(&actor.display_name)
        .bind(change.reason)
        .bind(&change.changed_fields)
        .bind(&change.before)
        .bind(&change.after)
        .execute(&mut *tx)
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

    /// Records, in a transaction of its own, that `reader` saw `resource`
    /// unmasked and why — in the log of such reads and in the audit chain.
    pub async fn log_sensitive_read(
        &self,
        reader: &Actor,
        resource: &str,
        reason: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO sensitive_reads (resource, reader_id, reader_name, reason) VALUES ($1, $2, $3, $4)")
            .bind(resource)
            .bind(&reader.user_id)
            .bind(&reader.display_name)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        let audit = serde_json::json!({ "reason": reason });
        relief_runtime::audit::append(&mut tx, reader, "sensitive.read", resource, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records, in a transaction of its own, that `reader` saw every one of
    /// `resources` unmasked in one go (an export) and why: a line per
    /// resource in the log of such reads, so each member's log shows it, and
    /// one entry in the audit chain naming them all.
    pub async fn log_sensitive_reads(
        &self,
        reader: &Actor,
        what: &str,
        resources: &[String],
        reason: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sensitive_reads (resource, reader_id, reader_name, reason)
             SELECT resource, $2, $3, $4 FROM unnest($1::text[]) AS resource",
        )
        .bind(resources)
        .bind(&reader.user_id)
        .bind(&reader.display_name)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        let audit = serde_json::json!({ "reason": reason, "resources": resources });
        relief_runtime::audit::append(&mut tx, reader, "sensitive.export", what, &audit).await?;
        tx.commit().await?;
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

/// The committee, root of the tree, exists from the first start on, as the
/// node configuration names; later nodes are numbered after it.
pub async fn ensure_committee(pool: &PgPool, committee: &CommitteeSettings) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO orgs (org_id, parent_id, kind, name, path) VALUES ($1, NULL, 'committee', $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(committee.org_id)
    .bind(&committee.name)
    .bind(&committee.path)
    .execute(&mut *tx)
    .await?;
    let (org_id, path): (i64, String) =
        sqlx::query_as("SELECT org_id, path FROM orgs WHERE kind = 'committee'")
            .fetch_one(&mut *tx)
            .await?;
    anyhow::ensure!(
        org_id == committee.org_id && path == committee.path,
        "the register's committee is node {org_id} at {path}, but committee.org_id and committee.path say {} at {}",
        committee.org_id,
        committee.path
    );
    sqlx::query("SELECT setval('orgs_org_id_seq', GREATEST((SELECT max(org_id) FROM orgs), 1))")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
