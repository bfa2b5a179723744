//! 预算与救助标准 — the year's budget from party dues, and the relief
//! standards the committee applies.

use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Permission, caller};
use relief_runtime::error::FieldViolations;
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::Page;
use sqlx::PgConnection;
use tonic::Request;
use uuid::Uuid;

use super::{FundsApi, check_amount, check_optional_text, check_text, check_year, event};
use crate::domain::account::{AccountKind, PostingKind, PostingRefused, budget_change};
use crate::domain::allocation::{HardshipCategory, ReliefType};
use crate::domain::money::Money;
use crate::error::{Error, Result};
use crate::store::{AccountSpec, NewPosting, StandardWrite, Store};

impl FundsApi {
    pub(super) async fn do_set_budget(
        &self,
        request: Request<pb::SetBudgetRequest>,
    ) -> Result<pb::BudgetSummary> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        check_year(request.year, "year", &mut violations);
        let target = Money::from_proto(request.amount.as_ref());
        if target < Money::ZERO {
            violations.add("amount", "must not be negative");
        } else if target > Money::MAX_BUDGET {
            violations.add(
                "amount",
                format!("at most {}; is this a typo?", Money::MAX_BUDGET),
            );
        }
        check_text(&request.reason, "reason", 500, &mut violations);
        relief_runtime::idempotency::check_request_id(&request.request_id)?;
        violations.into_result()?;
        caller.authorize(Permission::FundsManage, &self.committee.path)?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, "SetBudget", &request.request_id, &request).await?
        {
            return Ok(answer);
        }
        let (income, fund) = self.year_accounts(&mut tx, request.year).await?;
        // The income row is locked first, so two budget changes of one year
        // compute their difference one after the other.
        let current = Store::lock_account(&mut tx, income).await?.balance();
        if let Some((up, amount)) = budget_change(current, target) {
            let (debit, credit) = if up { (fund, income) } else { (income, fund) };
            self.post_budget(&mut tx, &caller, &request.request_id, debit, credit, amount, &request.reason, request.year)
                .await?
                .map_err(|refused| match refused {
                    PostingRefused::Shortfall { balance, .. } => Error::FailedPrecondition(format!(
                        "lowering the budget from {current} to {target} takes {amount} back, but only {balance} is not yet allocated"
                    )),
                    PostingRefused::Overflow => Error::FailedPrecondition("the amount is out of range".to_owned()),
                })?;
        }
        let summary = Self::budget_summary(&mut tx, request.year).await?;
        let mut outbox = event(
            pb::FundsEventKind::BudgetChanged,
            Some(self.committee.clone()),
            request.year,
        );
        outbox.amount = target.to_proto();
        Store::emit(&mut tx, &outbox, &[]).await?;
        Store::audit(
            &mut tx,
            &caller.actor(),
            "budget.set",
            &format!("budgets/{}", request.year),
            serde_json::json!({ "from_fen": current.fen(), "to_fen": target.fen(), "reason": request.reason }),
        )
        .await?;
        idempotency::complete(&mut tx, &request.request_id, &summary).await?;
        tx.commit().await?;
        Ok(summary)
    }

    pub(super) async fn do_top_up_budget(
        &self,
        request: Request<pb::TopUpBudgetRequest>,
    ) -> Result<pb::BudgetSummary> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        check_year(request.year, "year", &mut violations);
        let amount = check_amount(
            request.amount.as_ref(),
            Money::MAX_BUDGET,
            "amount",
            &mut violations,
        );
        check_text(&request.reason, "reason", 500, &mut violations);
        relief_runtime::idempotency::check_request_id(&request.request_id)?;
        violations.into_result()?;
        caller.authorize(Permission::FundsManage, &self.committee.path)?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, "TopUpBudget", &request.request_id, &request).await?
        {
            return Ok(answer);
        }
        let (income, fund) = self.year_accounts(&mut tx, request.year).await?;
        Store::lock_account(&mut tx, income).await?;
        self.post_budget(
            &mut tx,
            &caller,
            &request.request_id,
            fund,
            income,
            amount,
            &request.reason,
            request.year,
        )
        .await?
        .map_err(|_| {
            Error::FailedPrecondition(format!("the year's budget cannot take {amount} more"))
        })?;
        let summary = Self::budget_summary(&mut tx, request.year).await?;
        let mut outbox = event(
            pb::FundsEventKind::BudgetChanged,
            Some(self.committee.clone()),
            request.year,
        );
        outbox.amount = amount.to_proto();
        Store::emit(&mut tx, &outbox, &[]).await?;
        Store::audit(
            &mut tx,
            &caller.actor(),
            "budget.top_up",
            &format!("budgets/{}", request.year),
            serde_json::json!({ "amount_fen": amount.fen(), "reason": request.reason }),
        )
        .await?;
        idempotency::complete(&mut tx, &request.request_id, &summary).await?;
        tx.commit().await?;
        Ok(summary)
    }

    pub(super) async fn do_get_budget_summary(
        &self,
        request: Request<pb::GetBudgetSummaryRequest>,
    ) -> Result<pb::BudgetSummary> {
        let caller = caller(&request)?;
        let mut violations = FieldViolations::new();
        check_year(request.get_ref().year, "year", &mut violations);
        violations.into_result()?;
        caller.authorize(Permission::FundsRead, &self.committee.path)?;
        let mut conn = self.store.pool().acquire().await?;
        Self::budget_summary(&mut conn, request.get_ref().year).await
    }

    /// The year's income and fund accounts, opened on first use.
    async fn year_accounts(&self, tx: &mut PgConnection, year: i32) -> Result<(Uuid, Uuid)> {
        let spec = |kind| AccountSpec {
            kind,
            year,
            org_id: self.committee.org_id,
            org_path: &self.committee.path,
            org_name: &self.committee.name,
            member_id: "",
            member_name: "",
        };
        let income = Store::ensure_account(tx, &spec(AccountKind::PartyDuesIncome)).await?;
        let fund = Store::ensure_account(tx, &spec(AccountKind::CommitteeReliefFund)).await?;
        Ok((income, fund))
    }

    #[allow(clippy::too_many_arguments)]
    async fn post_budget(
        &self,
        tx: &mut PgConnection,
        caller: &relief_runtime::auth::Caller,
        request_id: &str,
        debit: Uuid,
        credit: Uuid,
        amount: Money,
        reason: &str,
        year: i32,
    ) -> Result<Result<crate::store::PostingRow, PostingRefused>> {
        Store::post(
            tx,
            &NewPosting {
                posting_id: Uuid::new_v4(),
                kind: PostingKind::Budget,
                debit,
                credit,
                amount,
                reason,
                year,
                org_id: self.committee.org_id,
                org_path: &self.committee.path,
                org_name: &self.committee.name,
                allocation_id: None,
                disbursement_id: None,
                reversal_of: None,
                authorised_by: "",
                authorisation_reference: "",
                posted_by_id: &caller.user_id,
                posted_by_name: &caller.display_name,
                request_id,
            },
        )
        .await
    }

    /// 预算执行情况 of a year, as seen by `conn` (inside a transaction: with
    /// its own changes).
    pub(super) async fn budget_summary(
        conn: &mut PgConnection,
        year: i32,
    ) -> Result<pb::BudgetSummary> {
        let income = Store::year_account(conn, AccountKind::PartyDuesIncome, year).await?;
        let fund = Store::year_account(conn, AccountKind::CommitteeReliefFund, year).await?;
        let by_type = Store::spending_by_type(conn, year).await?;
        let sum = |f: fn(&crate::store::TypeSpending) -> i64| {
            Money::from_fen(by_type.iter().map(f).sum())
        };
        let allocated = sum(|t| t.allocated);
        let paid = sum(|t| t.paid);
        Ok(pb::BudgetSummary {
            year,
            fund_account_id: fund
                .as_ref()
                .map(|f| f.account_id.to_string())
                .unwrap_or_default(),
            budgeted: income.map(|i| i.balance()).unwrap_or_default().to_proto(),
            balance: fund.map(|f| f.balance()).unwrap_or_default().to_proto(),
            committed: allocated.checked_sub(paid).unwrap_or_default().to_proto(),
            paid: paid.to_proto(),
            receipted: sum(|t| t.receipted).to_proto(),
            by_relief_type: by_type
                .iter()
                .map(|t| pb::ReliefTypeSpending {
                    relief_type: t.relief_type,
                    allocated: Money::from_fen(t.allocated).to_proto(),
                    paid: Money::from_fen(t.paid).to_proto(),
                })
                .collect(),
        })
    }

    pub(super) async fn do_put_relief_standard(
        &self,
        request: Request<pb::PutReliefStandardRequest>,
    ) -> Result<pb::ReliefStandard> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let standard = request.standard.clone().unwrap_or_default();
        if request.standard.is_none() {
            violations.add("standard", "required");
        }
        check_year(standard.year, "standard.year", &mut violations);
        let relief_type = ReliefType::from_i32(standard.relief_type);
        if relief_type.is_none() {
            violations.add(
                "standard.relief_type",
                "required: one-time relief or Spring Festival visit",
            );
        }
        let category = HardshipCategory::from_i32(standard.hardship_category);
        if category.is_none() {
            violations.add(
                "standard.hardship_category",
                "required: one of the categories of measures §2.1",
            );
        }
        let amount = check_amount(
            standard.amount.as_ref(),
            Money::MAX_RELIEF,
            "standard.amount",
            &mut violations,
        );
        check_optional_text(&standard.note, "standard.note", 500, &mut violations);
        check_optional_text(&request.reason, "reason", 500, &mut violations);
        let version = if standard.etag.is_empty() {
            None
        } else {
            match standard.etag.parse::<i64>() {
                Ok(version) if version > 0 => Some(version),
                _ => {
                    violations.add("standard.etag", "not an etag from a previous read");
                    None
                }
            }
        };
        relief_runtime::idempotency::check_request_id(&request.request_id)?;
        violations.into_result()?;
        let (Some(relief_type), Some(category)) = (relief_type, category) else {
            return Err(relief_runtime::error::invalid_field(
                "standard",
                "relief_type and hardship_category are required",
            )
            .into());
        };
        Self::authorize_any(
            &caller,
            &[Permission::FundsManage, Permission::FundsAllocate],
            &self.committee.path,
        )?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, "PutReliefStandard", &request.request_id, &request).await?
        {
            return Ok(answer);
        }
        let write = StandardWrite {
            year: standard.year,
            relief_type,
            category,
            amount,
            note: &standard.note,
            changed_by_id: &caller.user_id,
            changed_by_name: &caller.display_name,
            reason: &request.reason,
        };
        let resource = format!(
            "standards/{}/{}/{}",
            standard.year,
            relief_type.to_i32(),
            category.to_i32()
        );
        let before = Store::standard(&mut tx, standard.year, relief_type, category).await?;
        let row = match (before.as_ref(), version) {
            (None, _) => Store::insert_standard(&mut tx, &write).await?,
            (Some(_), None) => {
                return Err(Error::Invalid({
                    let mut v = FieldViolations::new();
                    v.add(
                        "standard.etag",
                        "required: the standard exists; give the etag from the last read",
                    );
                    v
                }));
            }
            (Some(_), Some(version)) => Store::update_standard(&mut tx, &write, version).await?,
        }
        .ok_or_else(|| Error::EtagMismatch(format!("the standard {resource}")))?;
        Store::audit(
            &mut tx,
            &caller.actor(),
            if before.is_some() {
                "standard.updated"
            } else {
                "standard.created"
            },
            &resource,
            serde_json::json!({
                "before_fen": before.map(|b| b.amount),
                "after_fen": row.amount,
                "note": row.note,
                "reason": request.reason,
            }),
        )
        .await?;
        let answer = row.to_proto();
        idempotency::complete(&mut tx, &request.request_id, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn do_list_relief_standards(
        &self,
        request: Request<pb::ListReliefStandardsRequest>,
    ) -> Result<pb::ListReliefStandardsResponse> {
        let caller = caller(&request)?;
        caller.scopes(Permission::FundsRead)?;
        let request = request.get_ref();
        let page = Page::<i64>::of("ListReliefStandards", request)?;
        let mut rows = self
            .store
            .list_standards(
                request.year,
                request.relief_type,
                page.after.unwrap_or(0),
                page.fetch(),
            )
            .await?;
        let next_page_token = page.next(&mut rows, |r| r.sort_key());
        Ok(pb::ListReliefStandardsResponse {
            standards: rows.iter().map(|r| r.to_proto()).collect(),
            next_page_token,
        })
    }
}
