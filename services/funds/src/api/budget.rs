//! 预算与救助标准 — the year's budget from party dues, and the relief
//! standards the committee applies.

use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};

use super::{ALLOCATORS, Funds, authorize_any, convert};
use crate::domain::account::budget_change;
use crate::domain::commands::{BudgetChange, BudgetYear, StandardChange, StandardListing, TopUp};
use crate::domain::refusal::{self, Refusal};
use crate::events::Event;
use crate::store::{BudgetPosting, StandardRow, StandardWrite, Store};

impl Funds {
    pub(super) async fn set_budget(
        &self,
        caller: Caller,
        change: BudgetChange,
        mut work: Work,
    ) -> Result<Done<pb::BudgetSummary>> {
        caller.authorize(Permission::FundsManage, &self.committee.path)?;
        let (accounts, income) =
            Store::lock_year_accounts(work.tx(), &self.committee, change.year).await?;
        let current = income.balance();
        let target = change.target;
        if let Some((into_fund, amount)) = budget_change(current, target) {
            let (actor, request_id) = (work.actor().clone(), work.request_id().to_owned());
            let posting = BudgetPosting {
                committee: &self.committee,
                year: change.year,
                into_fund,
                amount,
                reason: &change.reason,
                by: &actor,
                request_id: &request_id,
            };
            Store::post_budget(work.tx(), accounts, &posting)
                .await?
                .map_err(|refused| {
                    refused.refusal(|balance, _| {
                        (
                            refusal::BUDGET_ALLOCATED,
                            format!(
                                "lowering the budget from {current} to {target} takes {amount} back, but only {balance} is not yet allocated"
                            ),
                        )
                    })
                })?;
        }
        let summary =
            convert::budget_summary(&Store::budget_figures(work.tx(), change.year).await?);
        let mut event = Event::new(
            pb::FundsEventKind::BudgetChanged,
            Some(self.committee.clone()),
            change.year,
        );
        event.message.amount = target.to_proto();
        event.emit(&mut work, &[]).await?;
        work.audit(
            "budget.set",
            &format!("budgets/{}", change.year),
            &serde_json::json!({
                "from_fen": current.fen(),
                "to_fen": target.fen(),
                "reason": change.reason,
            }),
        )
        .await?;
        Ok(work.done(summary))
    }

    pub(super) async fn top_up_budget(
        &self,
        caller: Caller,
        top_up: TopUp,
        mut work: Work,
    ) -> Result<Done<pb::BudgetSummary>> {
        caller.authorize(Permission::FundsManage, &self.committee.path)?;
        let (accounts, _) =
            Store::lock_year_accounts(work.tx(), &self.committee, top_up.year).await?;
        let (actor, request_id) = (work.actor().clone(), work.request_id().to_owned());
        let posting = BudgetPosting {
            committee: &self.committee,
            year: top_up.year,
            into_fund: true,
            amount: top_up.amount,
            reason: &top_up.reason,
            by: &actor,
            request_id: &request_id,
        };
        Store::post_budget(work.tx(), accounts, &posting)
            .await?
            .map_err(|_| {
                Refusal::new(
                    refusal::BUDGET_LIMIT,
                    format!("the year's budget cannot take {} more", top_up.amount),
                )
            })?;
        let summary =
            convert::budget_summary(&Store::budget_figures(work.tx(), top_up.year).await?);
        let mut event = Event::new(
            pb::FundsEventKind::BudgetChanged,
            Some(self.committee.clone()),
            top_up.year,
        );
        event.message.amount = top_up.amount.to_proto();
        event.emit(&mut work, &[]).await?;
        work.audit(
            "budget.top_up",
            &format!("budgets/{}", top_up.year),
            &serde_json::json!({ "amount_fen": top_up.amount.fen(), "reason": top_up.reason }),
        )
        .await?;
        Ok(work.done(summary))
    }

    pub(super) async fn budget_summary(
        &self,
        caller: Caller,
        query: BudgetYear,
    ) -> Result<pb::BudgetSummary> {
        caller.authorize(Permission::FundsRead, &self.committee.path)?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(convert::budget_summary(
            &Store::budget_figures(&mut conn, query.year).await?,
        ))
    }

    pub(super) async fn put_relief_standard(
        &self,
        caller: Caller,
        change: StandardChange,
        mut work: Work,
    ) -> Result<Done<pb::ReliefStandard>> {
        authorize_any(&caller, &ALLOCATORS, &self.committee.path)?;
        let resource = change.resource();
        let before =
            Store::standard(work.tx(), change.year, change.relief_type, change.category).await?;
        let actor = work.actor().clone();
        let write = StandardWrite {
            change: &change,
            by: &actor,
        };
        let row = match (before.as_ref(), change.version) {
            (None, _) => Store::insert_standard(work.tx(), &write).await?,
            (Some(_), None) => {
                return Err(Error::invalid(
                    "standard.etag",
                    "required: the standard exists; give the etag from the last read",
                ));
            }
            (Some(_), Some(version)) => Store::update_standard(work.tx(), &write, version).await?,
        }
        .ok_or_else(|| Error::EtagMismatch(format!("the standard {resource}")))?;
        work.audit(
            if before.is_some() {
                "standard.updated"
            } else {
                "standard.created"
            },
            &resource,
            &serde_json::json!({
                "before_fen": before.map(|b| b.amount),
                "after_fen": row.amount,
                "note": row.note,
                "reason": change.reason,
            }),
        )
        .await?;
        Ok(work.done(convert::standard(&row)))
    }

    pub(super) async fn list_standards(
        &self,
        caller: Caller,
        listing: StandardListing,
    ) -> Result<pb::ListReliefStandardsResponse> {
        caller.scopes(Permission::FundsRead)?;
        let page = listing.page;
        let mut rows = self
            .store
            .standards(
                listing.year,
                listing.relief_type,
                page.after.unwrap_or(0),
                page.fetch(),
            )
            .await?;
        let next_page_token = page.next(&mut rows, StandardRow::sort_key);
        Ok(pb::ListReliefStandardsResponse {
            standards: rows.iter().map(convert::standard).collect(),
            next_page_token,
        })
    }
}
