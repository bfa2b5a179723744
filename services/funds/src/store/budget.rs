//! 预算 — the committee's income and fund accounts of each year, the postings
//! between them, and what the budget summary reads.

use relief_proto::common::v1::{Actor, OrgRef};
use relief_runtime::error::Result;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{AccountRow, AccountSpec, NewPosting, PostingRow, Store};
use crate::domain::account::{AccountKind, PostingKind, PostingRefused};
use crate::domain::money::Money;

/// Allocated, paid and receipted of one relief type in a year.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TypeSpending {
    pub relief_type: i32,
    pub allocated: i64,
    pub paid: i64,
    pub receipted: i64,
}

/// What 预算执行情况 shows of a year.
#[derive(Debug, Clone)]
pub struct BudgetFigures {
    pub year: i32,
    /// Party-dues income: its balance is what was budgeted.
    pub income: Option<AccountRow>,
    /// The year's fund: its balance is what is not yet allocated.
    pub fund: Option<AccountRow>,
    pub by_type: Vec<TypeSpending>,
}

/// The year's income and fund accounts, as opened.
#[derive(Debug, Clone, Copy)]
pub struct YearAccounts {
    pub income: Uuid,
    pub fund: Uuid,
}

/// A posting between the year's income and fund.
#[derive(Debug, Clone)]
pub struct BudgetPosting<'a> {
    pub committee: &'a OrgRef,
    pub year: i32,
    /// `true`: from income to the fund; `false`: back.
    pub into_fund: bool,
    pub amount: Money,
    pub reason: &'a str,
    pub by: &'a Actor,
    pub request_id: &'a str,
}

impl Store {
    /// The committee's income and fund accounts of `year`, opened on first
    /// use, with the income's row locked: two budget changes of one year
    /// take turns.
    pub async fn lock_year_accounts(
        tx: &mut PgConnection,
        committee: &OrgRef,
        year: i32,
    ) -> Result<(YearAccounts, AccountRow)> {
        let spec = |kind| AccountSpec {
            kind,
            year,
            org_id: committee.org_id,
            org_path: &committee.path,
            org_name: &committee.name,
            member_id: "",
            member_name: "",
        };
        let income = Store::ensure_account(tx, &spec(AccountKind::PartyDuesIncome)).await?;
        let fund = Store::ensure_account(tx, &spec(AccountKind::CommitteeReliefFund)).await?;
        let locked = Store::lock_account(tx, income).await?;
        Ok((YearAccounts { income, fund }, locked))
    }

    /// Posts between the year's income and fund (accounts as opened).
    pub async fn post_budget(
        tx: &mut PgConnection,
        accounts: YearAccounts,
        posting: &BudgetPosting<'_>,
    ) -> Result<Result<PostingRow, PostingRefused>> {
        let (debit, credit) = if posting.into_fund {
            (accounts.fund, accounts.income)
        } else {
            (accounts.income, accounts.fund)
        };
        Store::post(
            tx,
            &NewPosting {
                posting_id: Uuid::new_v4(),
                kind: PostingKind::Budget,
                debit,
                credit,
                amount: posting.amount,
                reason: posting.reason,
                year: posting.year,
                org_id: posting.committee.org_id,
                org_path: &posting.committee.path,
                org_name: &posting.committee.name,
                allocation_id: None,
                disbursement_id: None,
                reversal_of: None,
                authorised_by: "",
                authorisation_reference: "",
                posted_by: posting.by,
                request_id: posting.request_id,
            },
        )
        .await
    }

    /// 预算执行情况 of a year, as seen by `conn` (inside a transaction: with
    /// its own changes).
    pub async fn budget_figures(conn: &mut PgConnection, year: i32) -> Result<BudgetFigures> {
        let income = Store::year_account(conn, AccountKind::PartyDuesIncome, year).await?;
        let fund = Store::year_account(conn, AccountKind::CommitteeReliefFund, year).await?;
        // Per relief type: allocated, paid and receipted of the year's live
        // allocations.
        let by_type = sqlx::query_as(
            "SELECT relief_type, COALESCE(sum(amount), 0)::bigint AS allocated,
                COALESCE(sum(paid), 0)::bigint AS paid,
                COALESCE(sum(paid) FILTER (WHERE state = 'receipted'), 0)::bigint AS receipted
             FROM allocations WHERE year = $1 AND state <> 'reversed'
             GROUP BY relief_type ORDER BY relief_type",
        )
        .bind(year)
        .fetch_all(&mut *conn)
        .await?;
        Ok(BudgetFigures {
            year,
            income,
            fund,
            by_type,
        })
    }
}
