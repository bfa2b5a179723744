//! 账户与分录 — reading accounts and postings, and 冲销: reversing a posting
//! with the opposite one.

use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};

use super::{ALLOCATORS, Funds, authorize_any, convert, patterns};
use crate::domain::account::PostingKind;
use crate::domain::allocation::AllocationState;
use crate::domain::commands::{AccountListing, GetAccount, PostingListing, Reversal};
use crate::domain::duties::{self, Person};
use crate::domain::refusal;
use crate::domain::reversal::{ReversalTarget, plan_reversal};
use crate::events::Event;
use crate::store::{AllocationRow, DisbursementRow, PostingRow, Reversible, Reversing, Store};

impl Funds {
    pub(super) async fn get_account(
        &self,
        caller: Caller,
        query: GetAccount,
    ) -> Result<pb::Account> {
        let row = self
            .store
            .account(query.account_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("account {}", query.account_id)))?;
        caller.authorize(Permission::FundsRead, &row.org_path)?;
        Ok(convert::account(&row))
    }

    pub(super) async fn list_accounts(
        &self,
        caller: Caller,
        listing: AccountListing,
    ) -> Result<pb::ListAccountsResponse> {
        let roots = self
            .roots(&caller, Permission::FundsRead, listing.org_id)
            .await?;
        let mut rows = self
            .store
            .list_accounts(&listing, &patterns(&roots))
            .await?;
        let next_page_token = listing.page.next(&mut rows, |row| row.seq);
        Ok(pb::ListAccountsResponse {
            accounts: rows.iter().map(convert::account).collect(),
            next_page_token,
        })
    }

    pub(super) async fn list_postings(
        &self,
        caller: Caller,
        listing: PostingListing,
    ) -> Result<pb::ListPostingsResponse> {
        if let Some(account_id) = listing.account_id
            && self.store.account(account_id).await?.is_none()
        {
            return Err(Error::invalid("account_id", "no such account"));
        }
        let roots = self
            .roots(&caller, Permission::FundsRead, listing.org_id)
            .await?;
        let mut rows = self
            .store
            .list_postings(&listing, &patterns(&roots))
            .await?;
        let next_page_token = listing.page.next(&mut rows, |row| row.seq);
        Ok(pb::ListPostingsResponse {
            postings: rows.iter().map(convert::posting).collect(),
            next_page_token,
        })
    }

    pub(super) async fn reverse_posting(
        &self,
        caller: Caller,
        reversal: Reversal,
        mut work: Work,
    ) -> Result<Done<pb::Posting>> {
        let posting_id = reversal.posting_id;
        let Some(original) = Store::posting_in(work.tx(), posting_id).await? else {
            return Err(Error::invalid("posting_id", "no such posting"));
        };
        // Budget postings are finance's alone (the department, an
        // allocator, may not set the budget, so it does not undo it either).
        let rights: &[Permission] = match original.kind {
            PostingKind::Budget => &[Permission::FundsManage],
            _ => &ALLOCATORS,
        };
        authorize_any(&caller, rights, &original.org_path)?;
        duties::may_reverse(
            &original.posted_by_id,
            &reversal.authorised_by,
            Person {
                user_id: &caller.user_id,
                display_name: &caller.display_name,
            },
        )?;
        if matches!(
            original.kind,
            PostingKind::Allocation | PostingKind::Disbursement
        ) && reversal.version.is_none()
        {
            return Err(Error::invalid(
                "etag",
                "required: the etag from the last read of the allocation (or, for a payment, the disbursement) the posting belongs to",
            ));
        }
        let Reversible {
            posting: original,
            allocation,
            disbursement,
        } = Store::lock_reversible(work.tx(), &original).await?;
        let target = reversal_target(
            &original,
            allocation.as_ref(),
            disbursement.as_ref(),
            reversal.version,
        )?;
        let effect = plan_reversal(target, original.reversed_by.is_some())?;
        let amount = original.amount();
        let actor = work.actor().clone();
        let request_id = work.request_id().to_owned();
        let posted = Store::reverse(
            work.tx(),
            &Reversing {
                original: &original,
                effect,
                reason: &reversal.reason,
                authorised_by: &reversal.authorised_by,
                authorisation_reference: &reversal.authorisation_reference,
                by: &actor,
                request_id: &request_id,
            },
        )
        .await?
        .map_err(|refused| {
            refused.refusal(|balance, _| {
                (
                    refusal::ALREADY_SPENT,
                    format!(
                        "reversing takes {amount} back, but the account holds only {balance} (it was spent on)"
                    ),
                )
            })
        })?;

        let mut event = Event::new(
            pb::FundsEventKind::PostingReversed,
            Some(original.org()),
            original.year,
        );
        let id = |id: Option<uuid::Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
        event.message.posting_id = posted.posting_id.to_string();
        event.message.allocation_id = id(original.allocation_id);
        event.message.disbursement_id = id(original.disbursement_id);
        if let Some(allocation) = &allocation {
            event.message.application_id = allocation.application_id.clone();
            event.message.member_id = allocation.member_id.clone();
        }
        event.message.amount = amount.to_proto();
        event.emit(&mut work, &[]).await?;
        work.audit(
            "posting.reversed",
            &format!("postings/{posting_id}"),
            &serde_json::json!({
                "reversal": posted.posting_id.to_string(),
                "kind": original.kind.as_str(),
                "amount_fen": amount.fen(),
                "reason": reversal.reason,
                "authorised_by": reversal.authorised_by,
                "authorisation_reference": reversal.authorisation_reference,
            }),
        )
        .await?;
        Ok(work.done(convert::posting(&posted)))
    }
}

/// What reversing `original` puts back, if the caller read it last as it is
/// now (`version`, the etag of the allocation or of the payment).
fn reversal_target(
    original: &PostingRow,
    allocation: Option<&AllocationRow>,
    disbursement: Option<&DisbursementRow>,
    version: Option<i64>,
) -> Result<ReversalTarget> {
    Ok(match original.kind {
        PostingKind::Budget => ReversalTarget::Budget,
        PostingKind::Reversal => ReversalTarget::Reversal,
        PostingKind::Allocation => {
            if let Some(allocation) = allocation
                && Some(allocation.version) != version
            {
                return Err(Error::EtagMismatch(format!(
                    "allocation {}",
                    allocation.allocation_id
                )));
            }
            ReversalTarget::Allocation(allocation.map_or(AllocationState::Reversed, |a| a.state))
        }
        PostingKind::Disbursement => {
            if let Some(disbursement) = disbursement
                && Some(disbursement.version) != version
            {
                return Err(Error::EtagMismatch(format!(
                    "disbursement {}",
                    disbursement.disbursement_id
                )));
            }
            ReversalTarget::Disbursement {
                receipted: disbursement.is_some_and(|d| d.receipt_id.is_some()),
            }
        }
    })
}
