//! The payments a member's receipt form (领取签收单) is printed for.

use time::Date;
use uuid::Uuid;

use super::Store;
use relief_runtime::error::Result;

/// One payment, with what its form prints.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReceiptFormRow {
    pub disbursement_id: Uuid,
    pub method: i32,
    pub paid_date: Date,
    pub paid_by: String,
    pub amount: i64,
    pub reversed: bool,
    pub member_name: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub year: i32,
    pub relief_type: i32,
    pub hardship_category: i32,
    pub meeting_number: String,
    /// 凭证号, once the signed receipt is recorded (a reprint).
    pub voucher_number: Option<String>,
}

const FORM_SELECT: &str =
    "SELECT d.disbursement_id, d.method, d.paid_date, d.paid_by, d.amount, d.reversed,
        a.member_name, a.org_id, a.org_path, a.org_name, a.year, a.relief_type, a.hardship_category,
        a.meeting_number, r.voucher_number
    FROM disbursements d
    JOIN allocations a ON a.allocation_id = d.allocation_id
    LEFT JOIN receipts r ON r.disbursement_id = d.disbursement_id";

impl Store {
    /// One payment's form, whatever its state.
    pub async fn receipt_form(&self, disbursement_id: Uuid) -> Result<Option<ReceiptFormRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{FORM_SELECT} WHERE d.disbursement_id = $1"
        )))
        .bind(disbursement_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The year's payments in the subtrees matching `patterns` that stand
    /// and await their signed receipt, in the order they were paid.
    pub async fn receipt_forms(
        &self,
        year: i32,
        patterns: &[String],
    ) -> Result<Vec<ReceiptFormRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{FORM_SELECT}
             WHERE a.year = $1 AND a.org_path LIKE ANY($2) AND NOT d.reversed AND r.receipt_id IS NULL
             ORDER BY d.seq"
        )))
        .bind(year)
        .bind(patterns)
        .fetch_all(self.pool())
        .await?)
    }
}
