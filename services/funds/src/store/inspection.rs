//! What the special inspection and the voucher list read, and the stored
//! inspection reports.

use prost::Message;
use relief_proto::funds::v1 as pb;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::Store;
use crate::domain::account::PostingKind;
use crate::domain::allocation::AllocationState;
use crate::domain::category::{HardshipCategory, ReliefType};
use crate::domain::inspection::{AllocationFact, PaymentFact, ReversalFact};
use crate::domain::money::Money;
use relief_runtime::error::{Error, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
struct FactRow {
    allocation_id: Uuid,
    member_id: String,
    member_name: String,
    org_id: i64,
    org_path: String,
    org_name: String,
    #[sqlx(try_from = "i32")]
    relief_type: ReliefType,
    #[sqlx(try_from = "i32")]
    hardship_category: HardshipCategory,
    amount: i64,
    standard_amount: i64,
    special_case: bool,
    #[sqlx(try_from = "String")]
    state: AllocationState,
    allocated_date: Date,
    disbursement_id: Option<Uuid>,
    paid_date: Option<Date>,
    paid_amount: Option<i64>,
    receipted: Option<bool>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct ReversalRow {
    posting_id: Uuid,
    reversal_of: Uuid,
    #[sqlx(try_from = "String")]
    reversed_kind: PostingKind,
    amount: i64,
    reason: String,
    authorised_by: String,
    posted_at: OffsetDateTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub report_id: Uuid,
    pub seq: i64,
    pub org_path: String,
    pub report: Vec<u8>,
}

impl ReportRow {
    pub fn decode(&self) -> Result<pb::InspectionReport> {
        pb::InspectionReport::decode(self.report.as_slice())
            .map_err(|err| Error::internal("decoding a stored report", err))
    }
}

/// One voucher (a receipted payment) for the voucher list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VoucherRow {
    pub voucher_number: String,
    pub year: i32,
    pub org_name: String,
    pub org_path: String,
    pub member_name: String,
    pub relief_type: i32,
    pub hardship_category: i32,
    pub amount: i64,
    pub method: i32,
    pub paid_date: Date,
    pub paid_by: String,
    pub signer_name: String,
    pub signed_date: Date,
    pub sealed: bool,
    pub scan_sha256: String,
    pub recorded_by_name: String,
    pub recorded_at: OffsetDateTime,
    pub application_id: String,
}

impl Store {
    /// The facts of the year's allocations in the subtrees.
    pub async fn inspection_facts(
        &self,
        year: i32,
        patterns: &[String],
    ) -> Result<Vec<AllocationFact>> {
        let rows: Vec<FactRow> = sqlx::query_as(
            "SELECT a.allocation_id, a.member_id, a.member_name, a.org_id, a.org_path, a.org_name,
                a.relief_type, a.hardship_category, a.amount, a.standard_amount, a.special_case, a.state,
                a.allocated_date, d.disbursement_id, d.paid_date, d.amount AS paid_amount,
                (r.receipt_id IS NOT NULL) AS receipted
             FROM allocations a
             LEFT JOIN disbursements d ON d.allocation_id = a.allocation_id AND NOT d.reversed
             LEFT JOIN receipts r ON r.disbursement_id = d.disbursement_id
             WHERE a.year = $1 AND a.org_path LIKE ANY($2)
             ORDER BY a.seq",
        )
        .bind(year)
        .bind(patterns)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| AllocationFact {
                allocation_id: row.allocation_id.to_string(),
                member_id: row.member_id,
                member_name: row.member_name,
                org: relief_proto::common::v1::OrgRef {
                    org_id: row.org_id,
                    path: row.org_path,
                    name: row.org_name,
                },
                relief_type: row.relief_type,
                category: row.hardship_category,
                amount: Money::from_fen(row.amount),
                standard_at_allocation: Money::from_fen(row.standard_amount),
                special_case: row.special_case,
                state: row.state,
                allocated_date: row.allocated_date,
                payment: match (row.disbursement_id, row.paid_date, row.paid_amount) {
                    (Some(id), Some(paid_date), Some(amount)) => Some(PaymentFact {
                        disbursement_id: id.to_string(),
                        paid_date,
                        amount: Money::from_fen(amount),
                        receipted: row.receipted.unwrap_or(false),
                    }),
                    _ => None,
                },
            })
            .collect())
    }

    /// The year's reversal postings in the subtrees.
    pub async fn reversal_facts(
        &self,
        year: i32,
        patterns: &[String],
    ) -> Result<Vec<ReversalFact>> {
        let rows: Vec<ReversalRow> = sqlx::query_as(
            "SELECT p.posting_id, p.reversal_of, o.kind AS reversed_kind, p.amount, p.reason, p.authorised_by,
                p.posted_at
             FROM postings p JOIN postings o ON o.posting_id = p.reversal_of
             WHERE p.kind = 'reversal' AND p.year = $1 AND p.org_path LIKE ANY($2)
             ORDER BY p.seq",
        )
        .bind(year)
        .bind(patterns)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| ReversalFact {
                posting_id: row.posting_id.to_string(),
                reversal_of: row.reversal_of.to_string(),
                reversed_kind: row.reversed_kind,
                amount: Money::from_fen(row.amount),
                reason: row.reason,
                authorised_by: row.authorised_by,
                posted_at: row.posted_at,
            })
            .collect())
    }

    /// Every standard of a year.
    pub async fn standards_of_year(&self, year: i32) -> Result<Vec<super::StandardRow>> {
        self.standards(year, 0, 0, 1_000).await
    }

    pub async fn save_report(
        tx: &mut sqlx::PgConnection,
        report_id: Uuid,
        year: i32,
        org_path: &str,
        report: &pb::InspectionReport,
    ) -> Result<()> {
        sqlx::query("INSERT INTO inspection_reports (report_id, year, org_path, report) VALUES ($1, $2, $3, $4)")
            .bind(report_id)
            .bind(year)
            .bind(org_path)
            .bind(report.encode_to_vec())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    pub async fn report(&self, report_id: Uuid) -> Result<Option<ReportRow>> {
        Ok(sqlx::query_as(
            "SELECT report_id, seq, org_path, report FROM inspection_reports WHERE report_id = $1",
        )
        .bind(report_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Reports of subtrees inside `patterns`, newest first.
    pub async fn list_reports(
        &self,
        year: i32,
        patterns: &[String],
        before_seq: i64,
        limit: i64,
    ) -> Result<Vec<ReportRow>> {
        Ok(sqlx::query_as(
            "SELECT report_id, seq, org_path, report FROM inspection_reports
             WHERE ($1 = 0 OR year = $1) AND org_path LIKE ANY($2) AND ($3 = 0 OR seq < $3)
             ORDER BY seq DESC LIMIT $4",
        )
        .bind(year)
        .bind(patterns)
        .bind(before_seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Vouchers (receipted payments) by receipt date, in voucher order: by
    /// year, then by the number (`JZ-<year>-<n>`, n numeric — not the
    /// text, which would put JZ-2026-10000 before JZ-2026-9999).
    pub async fn vouchers(
        &self,
        year: i32,
        patterns: &[String],
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<VoucherRow>> {
        Ok(sqlx::query_as(
            "SELECT r.voucher_number, a.year, a.org_name, a.org_path, a.member_name, a.relief_type,
                a.hardship_category, d.amount, d.method, d.paid_date, d.paid_by, r.signer_name, r.signed_date,
                r.sealed, r.scan_sha256, r.recorded_by_name, r.recorded_at, a.application_id
             FROM receipts r
             JOIN disbursements d ON d.disbursement_id = r.disbursement_id
             JOIN allocations a ON a.allocation_id = r.allocation_id
             WHERE ($1 = 0 OR a.year = $1) AND a.org_path LIKE ANY($2)
               AND ($3::date IS NULL OR r.signed_date >= $3) AND ($4::date IS NULL OR r.signed_date <= $4)
             ORDER BY a.year, split_part(r.voucher_number, '-', 3)::integer, r.voucher_number",
        )
        .bind(year)
        .bind(patterns)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?)
    }
}
