//! Accounts and postings: opening accounts as needed, and posting an amount
//! from one account to another under row locks taken in a fixed order, so
//! that concurrent postings neither overdraw nor deadlock.

use relief_proto::common::v1::{Actor, OrgRef};
use relief_runtime::error::{Error, Result};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;
use crate::domain::account::{AccountKind, PostingKind, PostingRefused, Totals};
use crate::domain::allocation::AllocationState;
use crate::domain::commands::{AccountListing, PostingListing};
use crate::domain::money::Money;
use crate::domain::reversal::ReversalEffect;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub account_id: Uuid,
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub kind: AccountKind,
    pub name: String,
    pub year: i32,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub member_id: String,
    pub member_name: String,
    pub total_in: i64,
    pub total_out: i64,
    pub created_at: OffsetDateTime,
}

const ACCOUNT_COLUMNS: &str = "account_id, seq, kind, name, year, org_id, org_path, org_name, member_id, member_name, total_in, total_out, created_at";

impl AccountRow {
    pub fn totals(&self) -> Totals {
        Totals {
            kind: self.kind,
            total_in: Money::from_fen(self.total_in),
            total_out: Money::from_fen(self.total_out),
        }
    }

    pub fn balance(&self) -> Money {
        self.totals().balance()
    }
}

/// What identifies an account, to open it on first use.
#[derive(Debug, Clone)]
pub struct AccountSpec<'a> {
    pub kind: AccountKind,
    pub year: i32,
    pub org_id: i64,
    pub org_path: &'a str,
    pub org_name: &'a str,
    pub member_id: &'a str,
    pub member_name: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostingRow {
    pub posting_id: Uuid,
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub kind: PostingKind,
    pub debit_account_id: Uuid,
    pub credit_account_id: Uuid,
    pub amount: i64,
    pub reason: String,
    pub year: i32,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub allocation_id: Option<Uuid>,
    pub disbursement_id: Option<Uuid>,
    pub reversal_of: Option<Uuid>,
    pub reversed_by: Option<Uuid>,
    pub authorised_by: String,
    pub authorisation_reference: String,
    pub posted_by_id: String,
    pub posted_by_name: String,
    pub posted_at: OffsetDateTime,
    pub request_id: String,
}

const POSTING_SELECT: &str = "SELECT p.posting_id, p.seq, p.kind, p.debit_account_id, p.credit_account_id, p.amount, p.reason,
        p.year, p.org_id, p.org_path, p.org_name, p.allocation_id, p.disbursement_id, p.reversal_of,
        r.posting_id AS reversed_by, p.authorised_by, p.authorisation_reference, p.posted_by_id,
        p.posted_by_name, p.posted_at, p.request_id
    FROM postings p LEFT JOIN postings r ON r.reversal_of = p.posting_id";

impl PostingRow {
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
}

/// A posting to make: `amount` from `credit` to `debit`.
#[derive(Debug, Clone)]
pub struct NewPosting<'a> {
    pub posting_id: Uuid,
    pub kind: PostingKind,
    pub debit: Uuid,
    pub credit: Uuid,
    pub amount: Money,
    pub reason: &'a str,
    pub year: i32,
    pub org_id: i64,
    pub org_path: &'a str,
    pub org_name: &'a str,
    pub allocation_id: Option<Uuid>,
    pub disbursement_id: Option<Uuid>,
    pub reversal_of: Option<Uuid>,
    pub authorised_by: &'a str,
    pub authorisation_reference: &'a str,
    pub posted_by: &'a Actor,
    pub request_id: &'a str,
}

impl Store {
    /// The id of the account `spec` names, opening it if it does not exist.
    /// Concurrent openers meet on the unique index; both get the one account.
    pub async fn ensure_account(tx: &mut PgConnection, spec: &AccountSpec<'_>) -> Result<Uuid> {
        let name = spec
            .kind
            .display_name(spec.year, spec.org_name, spec.member_name);
        sqlx::query(
            "INSERT INTO accounts (account_id, kind, name, year, org_id, org_path, org_name, member_id, member_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(spec.kind.as_str())
        .bind(&name)
        .bind(spec.year)
        .bind(spec.org_id)
        .bind(spec.org_path)
        .bind(spec.org_name)
        .bind(spec.member_id)
        .bind(spec.member_name)
        .execute(&mut *tx)
        .await?;
        let id: Uuid = match spec.kind {
            AccountKind::CommitteeReliefFund | AccountKind::PartyDuesIncome => {
                sqlx::query_scalar("SELECT account_id FROM accounts WHERE kind = $1 AND year = $2")
                    .bind(spec.kind.as_str())
                    .bind(spec.year)
                    .fetch_one(&mut *tx)
                    .await?
            }
            AccountKind::OrgReliefAccount => sqlx::query_scalar(
                "SELECT account_id FROM accounts WHERE kind = 'org_relief_account' AND org_id = $1",
            )
            .bind(spec.org_id)
            .fetch_one(&mut *tx)
            .await?,
            AccountKind::MemberPayout => sqlx::query_scalar(
                "SELECT account_id FROM accounts WHERE kind = 'member_payout' AND member_id = $1",
            )
            .bind(spec.member_id)
            .fetch_one(&mut *tx)
            .await?,
        };
        Ok(id)
    }

    /// The year's fund or income account, if opened.
    pub async fn year_account(
        conn: &mut PgConnection,
        kind: AccountKind,
        year: i32,
    ) -> Result<Option<AccountRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE kind = $1 AND year = $2"
        )))
        .bind(kind.as_str())
        .bind(year)
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub async fn account(&self, account_id: Uuid) -> Result<Option<AccountRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = $1"
        )))
        .bind(account_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// A page of accounts in the subtrees matching `patterns`, oldest first.
    pub async fn list_accounts(
        &self,
        listing: &AccountListing,
        patterns: &[String],
    ) -> Result<Vec<AccountRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts
             WHERE seq > $1 AND org_path LIKE ANY($2)
               AND ($3 = '' OR kind = $3) AND ($4 = 0 OR year = $4) AND ($5 = '' OR member_id = $5)
             ORDER BY seq LIMIT $6"
        )))
        .bind(listing.page.after.unwrap_or(0))
        .bind(patterns)
        .bind(listing.kind.map(AccountKind::as_str).unwrap_or_default())
        .bind(listing.year)
        .bind(&listing.member_id)
        .bind(listing.page.fetch())
        .fetch_all(self.pool())
        .await?)
    }

    /// Posts `amount` from `credit` to `debit`: locks both accounts (in id
    /// order, so two postings between the same accounts cannot deadlock),
    /// checks the balances with the domain's rule, updates the totals (the
    /// table's CHECK is the last word should anything slip past) and writes
    /// the immutable posting. `Ok(Err(_))` when the balance does not allow it.
    pub async fn post(
        tx: &mut PgConnection,
        posting: &NewPosting<'_>,
    ) -> Result<Result<PostingRow, PostingRefused>> {
        let mut ids = [posting.debit, posting.credit];
        ids.sort();
        let locked: Vec<AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = ANY($1) ORDER BY account_id FOR UPDATE"
        )))
        .bind(&ids[..])
        .fetch_all(&mut *tx)
        .await?;
        let find = |id: Uuid| locked.iter().find(|row| row.account_id == id);
        let (Some(debit), Some(credit)) = (find(posting.debit), find(posting.credit)) else {
            return Err(Error::not_found("account"));
        };
        let gave = match credit.totals().give(posting.amount) {
            Ok(totals) => totals,
            Err(refused) => return Ok(Err(refused)),
        };
        let got = match debit.totals().receive(posting.amount) {
            Ok(totals) => totals,
            Err(refused) => return Ok(Err(refused)),
        };
        for (id, totals) in [(posting.credit, gave), (posting.debit, got)] {
            sqlx::query("UPDATE accounts SET total_in = $2, total_out = $3 WHERE account_id = $1")
                .bind(id)
                .bind(totals.total_in.fen())
                .bind(totals.total_out.fen())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO postings (posting_id, kind, debit_account_id, credit_account_id, amount, reason, year,
                org_id, org_path, org_name, allocation_id, disbursement_id, reversal_of, authorised_by,
                authorisation_reference, posted_by_id, posted_by_name, request_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(posting.posting_id)
        .bind(posting.kind.as_str())
        .bind(posting.debit)
        .bind(posting.credit)
        .bind(posting.amount.fen())
        .bind(posting.reason)
        .bind(posting.year)
        .bind(posting.org_id)
        .bind(posting.org_path)
        .bind(posting.org_name)
        .bind(posting.allocation_id)
        .bind(posting.disbursement_id)
        .bind(posting.reversal_of)
        .bind(posting.authorised_by)
        .bind(posting.authorisation_reference)
        .bind(&posting.posted_by.user_id)
        .bind(&posting.posted_by.display_name)
        .bind(posting.request_id)
        .execute(&mut *tx)
        .await?;
        let row = Self::posting_in(tx, posting.posting_id)
            .await?
            .ok_or_else(|| Error::not_found("posting"))?;
        Ok(Ok(row))
    }

    pub async fn posting_in(
        conn: &mut PgConnection,
        posting_id: Uuid,
    ) -> Result<Option<PostingRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{POSTING_SELECT} WHERE p.posting_id = $1"
        )))
        .bind(posting_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub async fn posting(&self, posting_id: Uuid) -> Result<Option<PostingRow>> {
        let mut conn = self.pool().acquire().await?;
        Self::posting_in(&mut conn, posting_id).await
    }

    /// A page of postings in the subtrees matching `patterns`, oldest first.
    pub async fn list_postings(
        &self,
        listing: &PostingListing,
        patterns: &[String],
    ) -> Result<Vec<PostingRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{POSTING_SELECT}
             WHERE p.seq > $1 AND p.org_path LIKE ANY($2)
               AND ($3::uuid IS NULL OR p.debit_account_id = $3 OR p.credit_account_id = $3)
               AND ($4::uuid IS NULL OR p.allocation_id = $4)
               AND ($5 = '' OR p.kind = $5) AND ($6 = 0 OR p.year = $6)
             ORDER BY p.seq LIMIT $7"
        )))
        .bind(listing.page.after.unwrap_or(0))
        .bind(patterns)
        .bind(listing.account_id)
        .bind(listing.allocation_id)
        .bind(listing.kind.map(PostingKind::as_str).unwrap_or_default())
        .bind(listing.year)
        .bind(listing.page.fetch())
        .fetch_all(self.pool())
        .await?)
    }

    /// Locks one account's row for this transaction, and reads it.
    pub async fn lock_account(tx: &mut PgConnection, account_id: Uuid) -> Result<AccountRow> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = $1 FOR UPDATE"
        )))
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await?)
    }
}

/// A posting about to be reversed and what it belongs to, read under the
/// allocation's row lock: its state, its payment and the posting's own
/// reversal are seen as they are now.
#[derive(Debug, Clone)]
pub struct Reversible {
    pub posting: PostingRow,
    pub allocation: Option<super::AllocationRow>,
    pub disbursement: Option<super::DisbursementRow>,
}

/// 冲销 — the opposite of `original`, and what it puts back (`effect`).
#[derive(Debug, Clone)]
pub struct Reversing<'a> {
    pub original: &'a PostingRow,
    pub effect: ReversalEffect,
    pub reason: &'a str,
    pub authorised_by: &'a str,
    pub authorisation_reference: &'a str,
    pub by: &'a Actor,
    pub request_id: &'a str,
}

impl Store {
    /// Locks the allocation `seen` belongs to, then reads the posting and
    /// its payment again.
    pub async fn lock_reversible(tx: &mut PgConnection, seen: &PostingRow) -> Result<Reversible> {
        let allocation = match seen.allocation_id {
            Some(id) => Store::lock_allocation(tx, id).await?,
            None => None,
        };
        let posting = Store::posting_in(tx, seen.posting_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("posting {}", seen.posting_id)))?;
        let disbursement = match posting.disbursement_id {
            Some(id) => Store::disbursement_in(tx, id).await?,
            None => None,
        };
        Ok(Reversible {
            posting,
            allocation,
            disbursement,
        })
    }

    /// Posts the opposite of the original posting and puts back what it
    /// belonged to: a reversed allocation is REVERSED, a reversed payment's
    /// allocation is ALLOCATED again. `Ok(Err(_))` when the account the money
    /// returns from no longer holds it.
    pub async fn reverse(
        tx: &mut PgConnection,
        reversing: &Reversing<'_>,
    ) -> Result<Result<PostingRow, PostingRefused>> {
        let original = reversing.original;
        let reversal = match Store::post(
            tx,
            &NewPosting {
                posting_id: Uuid::new_v4(),
                kind: PostingKind::Reversal,
                debit: original.credit_account_id,
                credit: original.debit_account_id,
                amount: original.amount(),
                reason: reversing.reason,
                year: original.year,
                org_id: original.org_id,
                org_path: &original.org_path,
                org_name: &original.org_name,
                allocation_id: original.allocation_id,
                disbursement_id: original.disbursement_id,
                reversal_of: Some(original.posting_id),
                authorised_by: reversing.authorised_by,
                authorisation_reference: reversing.authorisation_reference,
                posted_by: reversing.by,
                request_id: reversing.request_id,
            },
        )
        .await?
        {
            Ok(reversal) => reversal,
            Err(refused) => return Ok(Err(refused)),
        };
        match (reversing.effect, original.allocation_id) {
            (ReversalEffect::Allocation, Some(id)) => {
                Store::set_allocation_state(tx, id, AllocationState::Reversed, Money::ZERO).await?;
            }
            (ReversalEffect::Disbursement, Some(id)) => {
                if let Some(disbursement_id) = original.disbursement_id {
                    Store::mark_disbursement_reversed(tx, disbursement_id).await?;
                }
                Store::set_allocation_state(tx, id, AllocationState::Allocated, Money::ZERO)
                    .await?;
            }
            _ => {}
        }
        Ok(Ok(reversal))
    }
}
