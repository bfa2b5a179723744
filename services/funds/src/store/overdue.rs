//! 回执缺失 — payments whose signed receipt is overdue, announced once each.

use relief_runtime::error::Result;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Store;

/// A payment old enough to have its missing receipt announced.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OverdueReceipt {
    pub disbursement_id: Uuid,
    pub allocation_id: Uuid,
    pub application_id: String,
    pub member_id: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub year: i32,
    pub amount: i64,
}

impl Store {
    /// Payments paid on or before `paid_on_or_before` with no receipt and no
    /// RECEIPT_MISSING event yet, locked so two sweeps do not both announce.
    pub async fn overdue_receipts(
        tx: &mut PgConnection,
        paid_on_or_before: time::Date,
        limit: i64,
    ) -> Result<Vec<OverdueReceipt>> {
        Ok(sqlx::query_as(
            "SELECT d.disbursement_id, d.allocation_id, a.application_id, a.member_id, a.org_id, a.org_path,
                a.org_name, a.year, d.amount
             FROM disbursements d JOIN allocations a ON a.allocation_id = d.allocation_id
             WHERE NOT d.reversed AND d.receipt_missing_event_id IS NULL AND d.paid_date <= $1
               AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.disbursement_id = d.disbursement_id)
             ORDER BY d.seq LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
        )
        .bind(paid_on_or_before)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?)
    }

    /// Records that the payment's missing receipt was announced by `event_id`.
    pub async fn mark_receipt_missing_announced(
        tx: &mut PgConnection,
        disbursement_id: Uuid,
        event_id: Uuid,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE disbursements SET receipt_missing_event_id = $2 WHERE disbursement_id = $1",
        )
        .bind(disbursement_id)
        .bind(event_id)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
