//! Every SQL statement of the funds service, against its own schema only.
//! What the database guarantees — non-negative balances, one live allocation
//! per application, one live payment per allocation, paid ≤ allocated, one
//! reversal per posting, immutable postings — is declared in the migration;
//! the statements here take the row locks that make the service's own checks
//! hold under concurrency.

mod accounts;
mod allocations;
mod inspection;
mod outbox;
mod standards;

pub use accounts::{AccountFilter, AccountRow, AccountSpec, NewPosting, PostingFilter, PostingRow};
pub use allocations::{
    AllocationFilter, AllocationRow, DisbursementFilter, DisbursementRow, NewAllocation,
    NewDisbursement, NewReceipt, ReceiptRow,
};
pub use inspection::{ReportRow, TypeSpending, VoucherRow};
pub use outbox::{Destination, DueDelivery, OverdueReceipt};
pub use standards::{StandardRow, StandardWrite};

use relief_proto::common::v1::{Actor, OrgRef};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::error::Result;

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

/// `LIKE` patterns for subtree roots (paths hold only digits and slashes).
pub fn subtree_patterns(roots: &[String]) -> Vec<String> {
    roots.iter().map(|root| format!("{root}%")).collect()
}

pub fn org_ref(org_id: i64, path: &str, name: &str) -> Option<OrgRef> {
    Some(OrgRef {
        org_id,
        path: path.to_owned(),
        name: name.to_owned(),
    })
}

pub fn actor(user_id: &str, display_name: &str) -> Option<Actor> {
    Some(Actor {
        user_id: user_id.to_owned(),
        display_name: display_name.to_owned(),
    })
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

    /// Remembers an organisation reference as a caller gave it, so later
    /// filters by its id find its subtree.
    pub async fn remember_org(tx: &mut PgConnection, org: &OrgRef) -> Result<()> {
        sqlx::query(
            "INSERT INTO orgs (org_id, path, name) VALUES ($1, $2, $3)
             ON CONFLICT (org_id) DO UPDATE SET path = EXCLUDED.path, name = EXCLUDED.name, updated_at = now()
             WHERE orgs.path <> EXCLUDED.path OR orgs.name <> EXCLUDED.name",
        )
        .bind(org.org_id)
        .bind(&org.path)
        .bind(&org.name)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// An organisation this service has seen.
    pub async fn org(&self, org_id: i64) -> Result<Option<OrgRef>> {
        let row: Option<(i64, String, String)> =
            sqlx::query_as("SELECT org_id, path, name FROM orgs WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(org_id, path, name)| OrgRef { org_id, path, name }))
    }

    /// Appends a change to the audit chain, in the change's transaction.
    pub async fn audit(
        tx: &mut PgConnection,
        actor: &Actor,
        action: &str,
        resource: &str,
        change: serde_json::Value,
    ) -> Result<()> {
        relief_runtime::audit::append(tx, actor, action, resource, &change).await?;
        Ok(())
    }
}
