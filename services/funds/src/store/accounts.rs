//! Accounts and postings: opening accounts as needed, and posting an amount
//! from one account to another under row locks taken in a fixed order, so
//! that concurrent postings neither overdraw nor deadlock.

use relief_proto::funds::v1 as pb;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;
use crate::domain::account::{AccountKind, PostingKind, PostingRefused, Totals};
use crate::domain::money::Money;
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub account_id: Uuid,
    pub seq: i64,
    pub kind: String,
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
    pub fn kind(&self) -> AccountKind {
        AccountKind::parse(&self.kind).unwrap_or(AccountKind::OrgReliefAccount)
    }

    pub fn totals(&self) -> Totals {
        Totals {
            kind: self.kind(),
            total_in: Money::from_fen(self.total_in),
            total_out: Money::from_fen(self.total_out),
        }
    }

    pub fn balance(&self) -> Money {
        self.totals().balance()
    }

    pub fn to_proto(&self) -> pb::Account {
        pb::Account {
            account_id: self.account_id.to_string(),
            kind: self.kind().to_proto() as i32,
            name: self.name.clone(),
            year: self.year,
            org: super::org_ref(self.org_id, &self.org_path, &self.org_name),
            member_id: self.member_id.clone(),
            member_name: self.member_name.clone(),
            balance: self.balance().to_proto(),
            total_in: Money::from_fen(self.total_in).to_proto(),
            total_out: Money::from_fen(self.total_out).to_proto(),
            create_time: Some(relief_runtime::time::timestamp(self.created_at)),
        }
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
    pub kind: String,
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
    pub fn kind(&self) -> PostingKind {
        PostingKind::parse(&self.kind).unwrap_or(PostingKind::Reversal)
    }

    pub fn amount(&self) -> Money {
        Money::from_fen(self.amount)
    }

    pub fn to_proto(&self) -> pb::Posting {
        let id = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
        pb::Posting {
            posting_id: self.posting_id.to_string(),
            kind: self.kind().to_proto() as i32,
            debit_account_id: self.debit_account_id.to_string(),
            credit_account_id: self.credit_account_id.to_string(),
            amount: self.amount().to_proto(),
            reason: self.reason.clone(),
            year: self.year,
            org: super::org_ref(self.org_id, &self.org_path, &self.org_name),
            allocation_id: id(self.allocation_id),
            disbursement_id: id(self.disbursement_id),
            reversal_of: id(self.reversal_of),
            reversed_by: id(self.reversed_by),
            authorised_by: self.authorised_by.clone(),
            authorisation_reference: self.authorisation_reference.clone(),
            posted_by: super::actor(&self.posted_by_id, &self.posted_by_name),
            post_time: Some(relief_runtime::time::timestamp(self.posted_at)),
            request_id: self.request_id.clone(),
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
    pub posted_by_id: &'a str,
    pub posted_by_name: &'a str,
    pub request_id: &'a str,
}

#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub kind: Option<AccountKind>,
    pub year: i32,
    pub member_id: String,
    pub patterns: Vec<String>,
    pub after_seq: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, Default)]
pub struct PostingFilter {
    pub account_id: Option<Uuid>,
    pub allocation_id: Option<Uuid>,
    pub kind: Option<PostingKind>,
    pub year: i32,
    pub patterns: Vec<String>,
    pub after_seq: i64,
    pub limit: i64,
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

    pub async fn list_accounts(&self, filter: &AccountFilter) -> Result<Vec<AccountRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts
             WHERE seq > $1 AND org_path LIKE ANY($2)
               AND ($3 = '' OR kind = $3) AND ($4 = 0 OR year = $4) AND ($5 = '' OR member_id = $5)
             ORDER BY seq LIMIT $6"
        )))
        .bind(filter.after_seq)
        .bind(&filter.patterns)
        .bind(filter.kind.map(AccountKind::as_str).unwrap_or_default())
        .bind(filter.year)
        .bind(&filter.member_id)
        .bind(filter.limit)
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
            return Err(crate::error::Error::NotFound("account".to_owned()));
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
        .bind(posting.posted_by_id)
        .bind(posting.posted_by_name)
        .bind(posting.request_id)
        .execute(&mut *tx)
        .await?;
        let row = Self::posting_in(tx, posting.posting_id)
            .await?
            .ok_or_else(|| crate::error::Error::NotFound("posting".to_owned()))?;
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

    pub async fn list_postings(&self, filter: &PostingFilter) -> Result<Vec<PostingRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{POSTING_SELECT}
             WHERE p.seq > $1 AND p.org_path LIKE ANY($2)
               AND ($3::uuid IS NULL OR p.debit_account_id = $3 OR p.credit_account_id = $3)
               AND ($4::uuid IS NULL OR p.allocation_id = $4)
               AND ($5 = '' OR p.kind = $5) AND ($6 = 0 OR p.year = $6)
             ORDER BY p.seq LIMIT $7"
        )))
        .bind(filter.after_seq)
        .bind(&filter.patterns)
        .bind(filter.account_id)
        .bind(filter.allocation_id)
        .bind(filter.kind.map(PostingKind::as_str).unwrap_or_default())
        .bind(filter.year)
        .bind(filter.limit)
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
