//! Every SQL statement of the funds service, against its own schema only.
//! What the database guarantees — non-negative balances, one live allocation
//! per application, one live payment per allocation, paid ≤ allocated, one
//! reversal per posting, immutable postings — is declared in the migrations;
//! the statements here take the row locks that make the service's own checks
//! hold under concurrency, and sequence each change's rows (an allocation is
//! its posting and its row, made together by [`Store::allocate`]).

mod accounts;
mod allocations;
mod budget;
mod disbursements;
mod inspection;
mod overdue;
mod receipt_forms;
mod standards;

pub use accounts::{AccountRow, AccountSpec, NewPosting, PostingRow, Reversible, Reversing};
pub use allocations::{Allocating, AllocationRow};
pub use budget::{BudgetFigures, BudgetPosting, TypeSpending, YearAccounts};
pub use disbursements::{DisbursementRow, Disbursing, ReceiptRow, Receipting};
pub use inspection::{ReportRow, VoucherRow};
pub use overdue::OverdueReceipt;
pub use receipt_forms::ReceiptFormRow;
pub use standards::{StandardRow, StandardWrite};

use relief_proto::common::v1::OrgRef;
use relief_runtime::error::Result;
use sqlx::{PgConnection, PgPool};

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Store { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Remembers an organisation as the ledger has it now (never as a
    /// caller wrote it), so later filters by its id find its subtree. The
    /// ledger never moves a node, so only its name may change here.
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
}
