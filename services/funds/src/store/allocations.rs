//! Allocations (拨付). Every change to an allocation locks its row first, so
//! its state moves one step at a time whatever the concurrency.

use relief_proto::common::v1::{Actor, OrgRef};
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{AccountSpec, NewPosting, Store};
use crate::domain::account::{AccountKind, PostingKind, PostingRefused};
use crate::domain::allocation::{AllocationSituation, AllocationState};
use crate::domain::category::{HardshipCategory, ReliefType};
use crate::domain::commands::{AllocationListing, AllocationOrder};
use crate::domain::money::Money;
use crate::register::RegisteredMember;
use relief_runtime::error::{Error, Result};

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
    #[sqlx(try_from = "i32")]
    pub relief_type: ReliefType,
    #[sqlx(try_from = "i32")]
    pub hardship_category: HardshipCategory,
    pub amount: i64,
    pub paid: i64,
    pub standard_amount: i64,
    pub special_case: bool,
    pub special_case_reason: String,
    #[sqlx(try_from = "String")]
    pub state: AllocationState,
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
    pub fn amount(&self) -> Money {
        Money::from_fen(self.amount)
    }

    pub fn org(&self) -> OrgRef {
        OrgRef {
            org_id: self.org_id,
            path: self.org_path.clone(),
            name: self.org_name.clone(),
        }
    }

    /// The organisation's relief account, which holds the allocated money
    /// until it is paid.
    pub fn org_account(&self) -> AccountSpec<'_> {
        AccountSpec {
            kind: AccountKind::OrgReliefAccount,
            year: 0,
            org_id: self.org_id,
            org_path: &self.org_path,
            org_name: &self.org_name,
            member_id: "",
            member_name: "",
        }
    }
}

/// An allocation the rules admitted, to be made from the year's fund.
#[derive(Debug, Clone)]
pub struct Allocating<'a> {
    pub order: &'a AllocationOrder,
    /// The member as the ledger registers them.
    pub member: &'a RegisteredMember,
    /// The paying organisation as the ledger has it.
    pub org: &'a OrgRef,
    /// The year's fund account, as admitted.
    pub fund_account: Uuid,
    /// The standard when allocated (zero: none).
    pub standard: Money,
    pub by: &'a Actor,
    pub request_id: &'a str,
}

impl Store {
    /// What the rules of `order` look at. Allocations for one member and
    /// year wait here for each other, so the once-a-year rule sees every
    /// earlier one.
    pub async fn allocation_situation(
        tx: &mut PgConnection,
        order: &AllocationOrder,
    ) -> Result<AllocationSituation> {
        // The member id's one canonical form: how it is stored and compared.
        let member_id = order.member_id.to_string();
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("funds:member-year:{member_id}:{}", order.year))
            .execute(&mut *tx)
            .await?;
        let existing: Option<Uuid> = sqlx::query_scalar(
            "SELECT allocation_id FROM allocations WHERE application_id = $1 AND state <> 'reversed'",
        )
        .bind(&order.application_id)
        .fetch_optional(&mut *tx)
        .await?;
        let earlier: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM allocations WHERE member_id = $1 AND year = $2 AND state <> 'reversed'",
        )
        .bind(&member_id)
        .bind(order.year)
        .fetch_one(&mut *tx)
        .await?;
        let standard = Store::standard(tx, order.year, order.relief_type, order.category)
            .await?
            .map(|standard| Money::from_fen(standard.amount));
        let fund = Store::year_account(tx, AccountKind::CommitteeReliefFund, order.year)
            .await?
            .map(|fund| (fund.account_id, fund.balance()));
        Ok(AllocationSituation {
            existing,
            earlier_in_year: usize::try_from(earlier).unwrap_or(usize::MAX),
            standard,
            fund,
        })
    }

    /// 拨付: remembers the organisation as the ledger has it, opens its relief account if need
    /// be, posts the amount from the year's fund to it, and records the
    /// allocation. `Ok(Err(_))` when the fund no longer holds the amount
    /// (its balance was read unlocked; the posting's lock has the last word).
    pub async fn allocate(
        tx: &mut PgConnection,
        allocating: &Allocating<'_>,
    ) -> Result<Result<AllocationRow, PostingRefused>> {
        let (order, member, org) = (allocating.order, allocating.member, allocating.org);
        Store::remember_org(tx, org).await?;
        let org_account = Store::ensure_account(
            tx,
            &AccountSpec {
                kind: AccountKind::OrgReliefAccount,
                year: 0,
                org_id: org.org_id,
                org_path: &org.path,
                org_name: &org.name,
                member_id: "",
                member_name: "",
            },
        )
        .await?;
        let allocation_id = Uuid::new_v4();
        let posting_id = Uuid::new_v4();
        let posted = Store::post(
            tx,
            &NewPosting {
                posting_id,
                kind: PostingKind::Allocation,
                debit: org_account,
                credit: allocating.fund_account,
                amount: order.amount,
                reason: &order.posting_reason(&member.name),
                year: order.year,
                org_id: org.org_id,
                org_path: &org.path,
                org_name: &org.name,
                allocation_id: Some(allocation_id),
                disbursement_id: None,
                reversal_of: None,
                authorised_by: "",
                authorisation_reference: "",
                posted_by: allocating.by,
                request_id: allocating.request_id,
            },
        )
        .await?;
        if let Err(refused) = posted {
            return Ok(Err(refused));
        }
        sqlx::query(
            "INSERT INTO allocations (allocation_id, application_id, decision_id, meeting_number, meeting_date,
                member_id, member_name, org_id, org_path, org_name, year, relief_type, hardship_category, amount,
                standard_amount, special_case, special_case_reason, state, posting_id, allocated_by_id,
                allocated_by_name, allocated_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                $19, $20, $21, $22)",
        )
        .bind(allocation_id)
        .bind(&order.application_id)
        .bind(&order.decision_id)
        .bind(&order.meeting_number)
        .bind(order.meeting_date)
        .bind(member.member_id.to_string())
        .bind(&member.name)
        .bind(org.org_id)
        .bind(&org.path)
        .bind(&org.name)
        .bind(order.year)
        .bind(order.relief_type.to_i32())
        .bind(order.category.to_i32())
        .bind(order.amount.fen())
        .bind(allocating.standard.fen())
        .bind(order.special_case)
        .bind(&order.special_case_reason)
        .bind(AllocationState::Allocated.as_str())
        .bind(posting_id)
        .bind(&allocating.by.user_id)
        .bind(&allocating.by.display_name)
        .bind(relief_runtime::time::today())
        .execute(&mut *tx)
        .await?;
        let row = Store::allocation_in(tx, allocation_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("allocation {allocation_id}")))?;
        Ok(Ok(row))
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

    /// A page of allocations in the subtrees matching `patterns`, newest first.
    pub async fn list_allocations(
        &self,
        listing: &AllocationListing,
        patterns: &[String],
    ) -> Result<Vec<AllocationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ALLOCATION_SELECT}
             WHERE ($1 = 0 OR a.seq < $1) AND a.org_path LIKE ANY($2)
               AND ($3 = 0 OR a.year = $3) AND ($4 = '' OR a.member_id = $4) AND ($5 = '' OR a.state = $5)
               AND ($6 = 0 OR a.relief_type = $6) AND ($7 = '' OR a.application_id = $7)
             ORDER BY a.seq DESC LIMIT $8"
        )))
        .bind(listing.page.after.unwrap_or(0))
        .bind(patterns)
        .bind(listing.year)
        .bind(&listing.member_id)
        .bind(listing.state.map(AllocationState::as_str).unwrap_or_default())
        .bind(listing.relief_type.map_or(0, ReliefType::to_i32))
        .bind(&listing.application_id)
        .bind(listing.page.fetch())
        .fetch_all(self.pool())
        .await?)
    }
}
