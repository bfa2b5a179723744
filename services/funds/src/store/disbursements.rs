//! Disbursements (发放) and receipts (签字回执). A payment and its receipt
//! change their allocation's state, so both take the allocation's row lock
//! first (the caller holds it).

use relief_proto::common::v1::Actor;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{AccountSpec, AllocationRow, NewPosting, Store};
use crate::domain::account::{AccountKind, PostingKind, PostingRefused};
use crate::domain::allocation::AllocationState;
use crate::domain::commands::{DisbursementListing, NewPayment, NewReceipt};
use crate::domain::receipt::voucher_number;
use relief_runtime::error::{Error, Result};

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
}

/// A payment the rules admitted, of the locked `allocation`.
#[derive(Debug, Clone)]
pub struct Disbursing<'a> {
    pub allocation: &'a AllocationRow,
    pub payment: &'a NewPayment,
    /// The allocation's state once paid.
    pub paid: AllocationState,
    pub by: &'a Actor,
    pub request_id: &'a str,
}

/// A receipt the rules admitted, of a payment of the locked `allocation`.
#[derive(Debug, Clone)]
pub struct Receipting<'a> {
    pub allocation: &'a AllocationRow,
    pub receipt: &'a NewReceipt,
    /// The allocation's state once receipted.
    pub receipted: AllocationState,
    pub by: &'a Actor,
}

impl Store {
    /// 发放: opens the member's payout account if need be, posts the amount
    /// from the organisation's relief account to it, records the payment and
    /// moves the allocation on. `Ok(Err(_))` when the organisation's account
    /// does not hold the amount.
    pub async fn disburse(
        tx: &mut PgConnection,
        disbursing: &Disbursing<'_>,
    ) -> Result<Result<DisbursementRow, PostingRefused>> {
        let allocation = disbursing.allocation;
        let payment = disbursing.payment;
        let org_account = Store::ensure_account(tx, &allocation.org_account()).await?;
        let member_account = Store::ensure_account(
            tx,
            &AccountSpec {
                kind: AccountKind::MemberPayout,
                year: 0,
                org_id: allocation.org_id,
                org_path: &allocation.org_path,
                org_name: &allocation.org_name,
                member_id: &allocation.member_id,
                member_name: &allocation.member_name,
            },
        )
        .await?;
        let disbursement_id = Uuid::new_v4();
        let posting_id = Uuid::new_v4();
        let reason = format!(
            "发放 {} {}",
            allocation.member_name,
            allocation.relief_type.chinese()
        );
        let posted = Store::post(
            tx,
            &NewPosting {
                posting_id,
                kind: PostingKind::Disbursement,
                debit: member_account,
                credit: org_account,
                amount: payment.amount,
                reason: &reason,
                year: allocation.year,
                org_id: allocation.org_id,
                org_path: &allocation.org_path,
                org_name: &allocation.org_name,
                allocation_id: Some(allocation.allocation_id),
                disbursement_id: Some(disbursement_id),
                reversal_of: None,
                authorised_by: "",
                authorisation_reference: "",
                posted_by: disbursing.by,
                request_id: disbursing.request_id,
            },
        )
        .await?;
        if let Err(refused) = posted {
            return Ok(Err(refused));
        }
        sqlx::query(
            "INSERT INTO disbursements (disbursement_id, allocation_id, method, paid_date, paid_by, amount,
                bank_reference, posting_id, recorded_by_id, recorded_by_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(disbursement_id)
        .bind(allocation.allocation_id)
        .bind(payment.method as i32)
        .bind(payment.paid_date)
        .bind(&payment.paid_by)
        .bind(payment.amount.fen())
        .bind(&payment.bank_reference)
        .bind(posting_id)
        .bind(&disbursing.by.user_id)
        .bind(&disbursing.by.display_name)
        .execute(&mut *tx)
        .await?;
        Store::set_allocation_state(
            tx,
            allocation.allocation_id,
            disbursing.paid,
            payment.amount,
        )
        .await?;
        let row = Store::disbursement_in(tx, disbursement_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("disbursement {disbursement_id}")))?;
        Ok(Ok(row))
    }

    /// The voucher number of the receipt that already carries the scan
    /// `scan_sha256` (lower-case hex), if any. Takes the scan's lock first,
    /// so two receipts with one scan are decided one after the other.
    pub async fn receipt_with_scan(
        tx: &mut PgConnection,
        scan_sha256: &str,
    ) -> Result<Option<String>> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("funds:receipt-scan:{scan_sha256}"))
            .execute(&mut *tx)
            .await?;
        Ok(sqlx::query_scalar(
            "SELECT voucher_number FROM receipts WHERE lower(scan_sha256) = $1
             ORDER BY recorded_at LIMIT 1",
        )
        .bind(scan_sha256)
        .fetch_optional(&mut *tx)
        .await?)
    }

    /// 签字回执 → 入帐凭证: numbers the voucher (per year, without gaps: the
    /// counter's row lock orders concurrent receipts), records the receipt
    /// with a new version of its payment, and moves the allocation on. The
    /// receipt's time is taken with its number, under the counter's lock, so
    /// vouchers in number order are in time order too.
    pub async fn record_receipt(
        tx: &mut PgConnection,
        receipting: &Receipting<'_>,
    ) -> Result<ReceiptRow> {
        let allocation = receipting.allocation;
        let receipt = receipting.receipt;
        let n: i32 = sqlx::query_scalar(
            "INSERT INTO voucher_counters (year, last) VALUES ($1, 1)
             ON CONFLICT (year) DO UPDATE SET last = voucher_counters.last + 1
             RETURNING last",
        )
        .bind(allocation.year)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE disbursements SET version = version + 1 WHERE disbursement_id = $1")
            .bind(receipt.disbursement_id)
            .execute(&mut *tx)
            .await?;
        let row: ReceiptRow = sqlx::query_as(
            "INSERT INTO receipts (receipt_id, disbursement_id, allocation_id, signer_name, signed_date,
                scan_sha256, sealed, voucher_number, recorded_by_id, recorded_by_name, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, clock_timestamp())
             RETURNING receipt_id, disbursement_id, allocation_id, signer_name, signed_date, scan_sha256,
                sealed, voucher_number, recorded_by_id, recorded_by_name, recorded_at",
        )
        .bind(Uuid::new_v4())
        .bind(receipt.disbursement_id)
        .bind(allocation.allocation_id)
        .bind(&receipt.signer_name)
        .bind(receipt.signed_date)
        .bind(&receipt.scan_sha256)
        .bind(receipt.sealed)
        .bind(voucher_number(allocation.year, n))
        .bind(&receipting.by.user_id)
        .bind(&receipting.by.display_name)
        .fetch_one(&mut *tx)
        .await?;
        Store::set_allocation_state(
            tx,
            allocation.allocation_id,
            receipting.receipted,
            allocation.amount(),
        )
        .await?;
        Ok(row)
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

    /// Marks a payment reversed: a new version.
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

    /// A page of payments in the subtrees matching `patterns`, newest first.
    pub async fn list_disbursements(
        &self,
        listing: &DisbursementListing,
        patterns: &[String],
    ) -> Result<Vec<DisbursementRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{DISBURSEMENT_SELECT}
             WHERE ($1 = 0 OR d.seq < $1) AND a.org_path LIKE ANY($2)
               AND ($3 = 0 OR a.year = $3) AND ($4::uuid IS NULL OR d.allocation_id = $4)
               AND ($5 = '' OR a.member_id = $5)
               AND (NOT $6 OR (r.receipt_id IS NULL AND NOT d.reversed))
             ORDER BY d.seq DESC LIMIT $7"
        )))
        .bind(listing.page.after.unwrap_or(0))
        .bind(patterns)
        .bind(listing.year)
        .bind(listing.allocation_id)
        .bind(&listing.member_id)
        .bind(listing.receipt_missing_only)
        .bind(listing.page.fetch())
        .fetch_all(self.pool())
        .await?)
    }
}
