//! Allocations (拨付), disbursements (发放) and receipts (签字回执). Every
//! change to an allocation locks its row first, so its state moves one step
//! at a time whatever the concurrency.

use relief_proto::funds::v1 as pb;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::Store;
use crate::domain::allocation::{AllocationState, HardshipCategory, ReliefType};
use crate::domain::money::Money;
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AllocationRow {
    pub allocation_id: Uuid,
    pub seq: i64,
    pub application_id: String,
    pub decision_id: String,
    pub meeting_number: String,
    pub meeting_date: Option<Date>,
    pub member_id: String,
    pub member_name: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub year: i32,
    pub relief_type: i32,
    pub hardship_category: i32,
    pub amount: i64,
    pub paid: i64,
    pub standard_amount: i64,
    pub special_case: bool,
    pub special_case_reason: String,
    pub state: String,
    pub posting_id: Uuid,
    pub allocated_by_id: String,
    pub allocated_by_name: String,
    pub allocated_at: OffsetDateTime,
    pub allocated_date: Date,
    /// Incremented by every change of state; the etag.
    pub version: i64,
    /// The live disbursement, if any.
    pub disbursement_id: Option<Uuid>,
    pub voucher_number: Option<String>,
}

const ALLOCATION_SELECT: &str = "SELECT a.allocation_id, a.seq, a.application_id, a.decision_id, a.meeting_number,
        a.meeting_date, a.member_id, a.member_name, a.org_id, a.org_path, a.org_name, a.year, a.relief_type,
        a.hardship_category, a.amount, a.paid, a.standard_amount, a.special_case, a.special_case_reason,
        a.state, a.posting_id, a.allocated_by_id, a.allocated_by_name, a.allocated_at, a.allocated_date,
        a.version, d.disbursement_id, r.voucher_number
    FROM allocations a
    LEFT JOIN disbursements d ON d.allocation_id = a.allocation_id AND NOT d.reversed
    LEFT JOIN receipts r ON r.disbursement_id = d.disbursement_id";

impl AllocationRow {
    pub fn state(&self) -> AllocationState {
        AllocationState::parse(&self.state).unwrap_or(AllocationState::Reversed)
    }

    pub fn amount(&self) -> Money {
        Money::from_fen(self.amount)
    }

    pub fn relief_type(&self) -> ReliefType {
        ReliefType::from_i32(self.relief_type).unwrap_or(ReliefType::OneTimeRelief)
    }

    pub fn category(&self) -> HardshipCategory {
        HardshipCategory::from_i32(self.hardship_category).unwrap_or(HardshipCategory::Other)
    }

    pub fn org(&self) -> relief_proto::common::v1::OrgRef {
        relief_proto::common::v1::OrgRef {
            org_id: self.org_id,
            path: self.org_path.clone(),
            name: self.org_name.clone(),
        }
    }

    pub fn to_proto(&self) -> pb::Allocation {
        pb::Allocation {
            allocation_id: self.allocation_id.to_string(),
            application_id: self.application_id.clone(),
            decision: Some(pb::DecisionRef {
                decision_id: self.decision_id.clone(),
                meeting_number: self.meeting_number.clone(),
                meeting_date: self.meeting_date.map(relief_runtime::time::to_proto),
            }),
            member_id: self.member_id.clone(),
            member_name: self.member_name.clone(),
            org: Some(self.org()),
            year: self.year,
            relief_type: self.relief_type,
            hardship_category: self.hardship_category,
            amount: self.amount().to_proto(),
            standard_amount: Money::from_fen(self.standard_amount).to_proto(),
            special_case: self.special_case,
            special_case_reason: self.special_case_reason.clone(),
            state: self.state().to_proto() as i32,
            posting_id: self.posting_id.to_string(),
            disbursement_id: self
                .disbursement_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            voucher_number: self.voucher_number.clone().unwrap_or_default(),
            allocated_by: super::actor(&self.allocated_by_id, &self.allocated_by_name),
            allocate_time: Some(relief_runtime::time::timestamp(self.allocated_at)),
            etag: relief_runtime::ids::etag_of(self.version),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAllocation<'a> {
    pub allocation_id: Uuid,
    pub application_id: &'a str,
    pub decision_id: &'a str,
    pub meeting_number: &'a str,
    pub meeting_date: Option<Date>,
    pub member_id: &'a str,
    pub member_name: &'a str,
    pub org: &'a relief_proto::common::v1::OrgRef,
    pub year: i32,
    pub relief_type: ReliefType,
    pub category: HardshipCategory,
    pub amount: Money,
    pub standard_amount: Money,
    pub special_case: bool,
    pub special_case_reason: &'a str,
    pub posting_id: Uuid,
    pub allocated_by_id: &'a str,
    pub allocated_by_name: &'a str,
    pub allocated_date: Date,
}

#[derive(Debug, Clone, Default)]
pub struct AllocationFilter {
    pub patterns: Vec<String>,
    pub year: i32,
    pub member_id: String,
    pub state: Option<AllocationState>,
    pub relief_type: i32,
    pub application_id: String,
    /// Newest first: rows with `seq` below this (0: from the newest).
    pub before_seq: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReceiptRow {
    pub receipt_id: Uuid,
    pub disbursement_id: Uuid,
    pub allocation_id: Uuid,
    pub signer_name: String,
    pub signed_date: Date,
    pub scan_sha256: String,
    pub sealed: bool,
    pub voucher_number: String,
    pub recorded_by_id: String,
    pub recorded_by_name: String,
    pub recorded_at: OffsetDateTime,
}

impl ReceiptRow {
    pub fn to_proto(&self) -> pb::Receipt {
        pb::Receipt {
            receipt_id: self.receipt_id.to_string(),
            disbursement_id: self.disbursement_id.to_string(),
            allocation_id: self.allocation_id.to_string(),
            signer_name: self.signer_name.clone(),
            signed_date: Some(relief_runtime::time::to_proto(self.signed_date)),
            scan_sha256: self.scan_sha256.clone(),
            sealed: self.sealed,
            voucher_number: self.voucher_number.clone(),
            recorded_by: super::actor(&self.recorded_by_id, &self.recorded_by_name),
            record_time: Some(relief_runtime::time::timestamp(self.recorded_at)),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisbursementRow {
    pub disbursement_id: Uuid,
    pub seq: i64,
    pub allocation_id: Uuid,
    pub method: i32,
    pub paid_date: Date,
    pub paid_by: String,
    pub amount: i64,
    pub bank_reference: String,
    pub posting_id: Uuid,
    pub reversed: bool,
    pub recorded_by_id: String,
    pub recorded_by_name: String,
    pub recorded_at: OffsetDateTime,
    /// Incremented by the receipt and the reversal; the etag.
    pub version: i64,
    pub member_id: String,
    pub member_name: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub year: i32,
    pub receipt_id: Option<Uuid>,
    pub signer_name: Option<String>,
    pub signed_date: Option<Date>,
    pub scan_sha256: Option<String>,
    pub sealed: Option<bool>,
    pub voucher_number: Option<String>,
    pub receipt_recorded_by_id: Option<String>,
    pub receipt_recorded_by_name: Option<String>,
    pub receipt_recorded_at: Option<OffsetDateTime>,
}

const DISBURSEMENT_SELECT: &str = "SELECT d.disbursement_id, d.seq, d.allocation_id, d.method, d.paid_date, d.paid_by,
        d.amount, d.bank_reference, d.posting_id, d.reversed, d.recorded_by_id, d.recorded_by_name, d.recorded_at,
        d.version, a.member_id, a.member_name, a.org_id, a.org_path, a.org_name, a.year,
        r.receipt_id, r.signer_name, r.signed_date, r.scan_sha256, r.sealed, r.voucher_number,
        r.recorded_by_id AS receipt_recorded_by_id, r.recorded_by_name AS receipt_recorded_by_name,
        r.recorded_at AS receipt_recorded_at
    FROM disbursements d
    JOIN allocations a ON a.allocation_id = d.allocation_id
    LEFT JOIN receipts r ON r.disbursement_id = d.disbursement_id";

impl DisbursementRow {
    pub fn receipt(&self) -> Option<ReceiptRow> {
        Some(ReceiptRow {
            receipt_id: self.receipt_id?,
            disbursement_id: self.disbursement_id,
            allocation_id: self.allocation_id,
            signer_name: self.signer_name.clone()?,
            signed_date: self.signed_date?,
            scan_sha256: self.scan_sha256.clone()?,
            sealed: self.sealed?,
            voucher_number: self.voucher_number.clone()?,
            recorded_by_id: self.receipt_recorded_by_id.clone()?,
            recorded_by_name: self.receipt_recorded_by_name.clone()?,
            recorded_at: self.receipt_recorded_at?,
        })
    }

    pub fn to_proto(&self, today: Date) -> pb::Disbursement {
        let receipt = self.receipt();
        let days_without_receipt = if receipt.is_some() || self.reversed {
            0
        } else {
            i32::try_from(crate::domain::year::days_between(self.paid_date, today).max(0))
                .unwrap_or(i32::MAX)
        };
        pb::Disbursement {
            disbursement_id: self.disbursement_id.to_string(),
            allocation_id: self.allocation_id.to_string(),
            member_id: self.member_id.clone(),
            member_name: self.member_name.clone(),
            org: super::org_ref(self.org_id, &self.org_path, &self.org_name),
            method: self.method,
            paid_date: Some(relief_runtime::time::to_proto(self.paid_date)),
            paid_by: self.paid_by.clone(),
            amount: Money::from_fen(self.amount).to_proto(),
            bank_reference: self.bank_reference.clone(),
            posting_id: self.posting_id.to_string(),
            receipt: receipt.map(|receipt| receipt.to_proto()),
            days_without_receipt,
            recorded_by: super::actor(&self.recorded_by_id, &self.recorded_by_name),
            record_time: Some(relief_runtime::time::timestamp(self.recorded_at)),
            etag: relief_runtime::ids::etag_of(self.version),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewDisbursement<'a> {
    pub disbursement_id: Uuid,
    pub allocation_id: Uuid,
    pub method: i32,
    pub paid_date: Date,
    pub paid_by: &'a str,
    pub amount: Money,
    pub bank_reference: &'a str,
    pub posting_id: Uuid,
    pub recorded_by_id: &'a str,
    pub recorded_by_name: &'a str,
}

#[derive(Debug, Clone, Default)]
pub struct DisbursementFilter {
    pub patterns: Vec<String>,
    pub year: i32,
    pub allocation_id: Option<Uuid>,
    pub member_id: String,
    pub receipt_missing_only: bool,
    pub before_seq: i64,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct NewReceipt<'a> {
    pub receipt_id: Uuid,
    pub disbursement_id: Uuid,
    pub allocation_id: Uuid,
    pub signer_name: &'a str,
    pub signed_date: Date,
    pub scan_sha256: &'a str,
    pub sealed: bool,
    pub voucher_number: &'a str,
    pub recorded_by_id: &'a str,
    pub recorded_by_name: &'a str,
}

impl Store {
    pub async fn insert_allocation(tx: &mut PgConnection, new: &NewAllocation<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO allocations (allocation_id, application_id, decision_id, meeting_number, meeting_date,
                member_id, member_name, org_id, org_path, org_name, year, relief_type, hardship_category, amount,
                standard_amount, special_case, special_case_reason, state, posting_id, allocated_by_id,
                allocated_by_name, allocated_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'allocated',
                $18, $19, $20, $21)",
        )
        .bind(new.allocation_id)
        .bind(new.application_id)
        .bind(new.decision_id)
        .bind(new.meeting_number)
        .bind(new.meeting_date)
        .bind(new.member_id)
        .bind(new.member_name)
        .bind(new.org.org_id)
        .bind(&new.org.path)
        .bind(&new.org.name)
        .bind(new.year)
        .bind(new.relief_type.to_i32())
        .bind(new.category.to_i32())
        .bind(new.amount.fen())
        .bind(new.standard_amount.fen())
        .bind(new.special_case)
        .bind(new.special_case_reason)
        .bind(new.posting_id)
        .bind(new.allocated_by_id)
        .bind(new.allocated_by_name)
        .bind(new.allocated_date)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Serialises allocations for one member and year, so that the
    /// once-a-year rule holds against concurrent allocations.
    pub async fn lock_member_year(tx: &mut PgConnection, member_id: &str, year: i32) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("funds:member-year:{member_id}:{year}"))
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// The live allocation of an application, if any.
    pub async fn live_allocation_of_application(
        tx: &mut PgConnection,
        application_id: &str,
    ) -> Result<Option<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT allocation_id FROM allocations WHERE application_id = $1 AND state <> 'reversed'",
        )
        .bind(application_id)
        .fetch_optional(&mut *tx)
        .await?)
    }

    /// How many live allocations the member has in the year.
    pub async fn live_allocations_in_year(
        tx: &mut PgConnection,
        member_id: &str,
        year: i32,
    ) -> Result<usize> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM allocations WHERE member_id = $1 AND year = $2 AND state <> 'reversed'",
        )
        .bind(member_id)
        .bind(year)
        .fetch_one(&mut *tx)
        .await?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    pub async fn allocation_in(
        conn: &mut PgConnection,
        allocation_id: Uuid,
    ) -> Result<Option<AllocationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ALLOCATION_SELECT} WHERE a.allocation_id = $1"
        )))
        .bind(allocation_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub async fn allocation(&self, allocation_id: Uuid) -> Result<Option<AllocationRow>> {
        let mut conn = self.pool().acquire().await?;
        Self::allocation_in(&mut conn, allocation_id).await
    }

    /// Locks an allocation's row for a change of state, and reads it.
    pub async fn lock_allocation(
        tx: &mut PgConnection,
        allocation_id: Uuid,
    ) -> Result<Option<AllocationRow>> {
        let locked: Option<Uuid> = sqlx::query_scalar(
            "SELECT allocation_id FROM allocations WHERE allocation_id = $1 FOR UPDATE",
        )
        .bind(allocation_id)
        .fetch_optional(&mut *tx)
        .await?;
        match locked {
            Some(id) => Self::allocation_in(tx, id).await,
            None => Ok(None),
        }
    }

    /// Moves a locked allocation to `state`, with `paid` fen paid: a new
    /// version.
    pub async fn set_allocation_state(
        tx: &mut PgConnection,
        allocation_id: Uuid,
        state: AllocationState,
        paid: Money,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE allocations SET state = $2, paid = $3, version = version + 1 WHERE allocation_id = $1",
        )
            .bind(allocation_id)
            .bind(state.as_str())
            .bind(paid.fen())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    pub async fn list_allocations(&self, filter: &AllocationFilter) -> Result<Vec<AllocationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ALLOCATION_SELECT}
             WHERE ($1 = 0 OR a.seq < $1) AND a.org_path LIKE ANY($2)
               AND ($3 = 0 OR a.year = $3) AND ($4 = '' OR a.member_id = $4) AND ($5 = '' OR a.state = $5)
               AND ($6 = 0 OR a.relief_type = $6) AND ($7 = '' OR a.application_id = $7)
             ORDER BY a.seq DESC LIMIT $8"
        )))
        .bind(filter.before_seq)
        .bind(&filter.patterns)
        .bind(filter.year)
        .bind(&filter.member_id)
        .bind(filter.state.map(AllocationState::as_str).unwrap_or_default())
        .bind(filter.relief_type)
        .bind(&filter.application_id)
        .bind(filter.limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn insert_disbursement(
        tx: &mut PgConnection,
        new: &NewDisbursement<'_>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO disbursements (disbursement_id, allocation_id, method, paid_date, paid_by, amount,
                bank_reference, posting_id, recorded_by_id, recorded_by_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new.disbursement_id)
        .bind(new.allocation_id)
        .bind(new.method)
        .bind(new.paid_date)
        .bind(new.paid_by)
        .bind(new.amount.fen())
        .bind(new.bank_reference)
        .bind(new.posting_id)
        .bind(new.recorded_by_id)
        .bind(new.recorded_by_name)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    pub async fn disbursement_in(
        conn: &mut PgConnection,
        disbursement_id: Uuid,
    ) -> Result<Option<DisbursementRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{DISBURSEMENT_SELECT} WHERE d.disbursement_id = $1"
        )))
        .bind(disbursement_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub async fn disbursement(&self, disbursement_id: Uuid) -> Result<Option<DisbursementRow>> {
        let mut conn = self.pool().acquire().await?;
        Self::disbursement_in(&mut conn, disbursement_id).await
    }

    pub async fn mark_disbursement_reversed(
        tx: &mut PgConnection,
        disbursement_id: Uuid,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE disbursements SET reversed = true, version = version + 1 WHERE disbursement_id = $1",
        )
            .bind(disbursement_id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    pub async fn list_disbursements(
        &self,
        filter: &DisbursementFilter,
    ) -> Result<Vec<DisbursementRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{DISBURSEMENT_SELECT}
             WHERE ($1 = 0 OR d.seq < $1) AND a.org_path LIKE ANY($2)
               AND ($3 = 0 OR a.year = $3) AND ($4::uuid IS NULL OR d.allocation_id = $4)
               AND ($5 = '' OR a.member_id = $5)
               AND (NOT $6 OR (r.receipt_id IS NULL AND NOT d.reversed))
             ORDER BY d.seq DESC LIMIT $7"
        )))
        .bind(filter.before_seq)
        .bind(&filter.patterns)
        .bind(filter.year)
        .bind(filter.allocation_id)
        .bind(&filter.member_id)
        .bind(filter.receipt_missing_only)
        .bind(filter.limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The next voucher number of a year, without gaps (the counter's row
    /// lock orders concurrent receipts).
    pub async fn next_voucher(tx: &mut PgConnection, year: i32) -> Result<i32> {
        Ok(sqlx::query_scalar(
            "INSERT INTO voucher_counters (year, last) VALUES ($1, 1)
             ON CONFLICT (year) DO UPDATE SET last = voucher_counters.last + 1
             RETURNING last",
        )
        .bind(year)
        .fetch_one(&mut *tx)
        .await?)
    }

    /// Records a disbursement's receipt: the receipt's row, and a new version
    /// of the disbursement.
    pub async fn insert_receipt(tx: &mut PgConnection, new: &NewReceipt<'_>) -> Result<ReceiptRow> {
        sqlx::query("UPDATE disbursements SET version = version + 1 WHERE disbursement_id = $1")
            .bind(new.disbursement_id)
            .execute(&mut *tx)
            .await?;
        Ok(sqlx::query_as(
            "INSERT INTO receipts (receipt_id, disbursement_id, allocation_id, signer_name, signed_date,
                scan_sha256, sealed, voucher_number, recorded_by_id, recorded_by_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             RETURNING receipt_id, disbursement_id, allocation_id, signer_name, signed_date, scan_sha256,
                sealed, voucher_number, recorded_by_id, recorded_by_name, recorded_at",
        )
        .bind(new.receipt_id)
        .bind(new.disbursement_id)
        .bind(new.allocation_id)
        .bind(new.signer_name)
        .bind(new.signed_date)
        .bind(new.scan_sha256)
        .bind(new.sealed)
        .bind(new.voucher_number)
        .bind(new.recorded_by_id)
        .bind(new.recorded_by_name)
        .fetch_one(&mut *tx)
        .await?)
    }
}
