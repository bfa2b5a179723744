//! 账户与分录 — reading accounts and postings, and 冲销: reversing a posting
//! with the opposite one.

use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Permission, caller};
use relief_runtime::error::{FieldViolations, invalid_field};
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::Page;
use tonic::Request;
use uuid::Uuid;

use super::{FundsApi, check_text, event, parse_uuid};
use crate::domain::account::{AccountKind, PostingKind, PostingRefused};
use crate::domain::allocation::AllocationState;
use crate::domain::money::Money;
use crate::domain::reversal::{ReversalEffect, ReversalTarget, plan_reversal};
use crate::error::{Error, Result};
use crate::store::{AccountFilter, NewPosting, PostingFilter, Store, subtree_patterns};

impl FundsApi {
    pub(super) async fn do_get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<pb::Account> {
        let caller = caller(&request)?;
        let id = parse_uuid("account_id", &request.get_ref().account_id)?;
        let row = self
            .store
            .account(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("account {id}")))?;
        caller.authorize(Permission::FundsRead, &row.org_path)?;
        Ok(row.to_proto())
    }

    pub(super) async fn do_list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Result<pb::ListAccountsResponse> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let kind = pb::AccountKind::try_from(request.kind)
            .map_err(|_| invalid_field("kind", "not an account kind"))?;
        let page = Page::<i64>::of("ListAccounts", request)?;
        let roots = self
            .listing_roots(caller, Permission::FundsRead, request.org_id, "org_id")
            .await?;
        let mut rows = self
            .store
            .list_accounts(&AccountFilter {
                kind: AccountKind::from_proto(kind),
                year: request.year,
                member_id: request.member_id.clone(),
                patterns: subtree_patterns(&roots),
                after_seq: page.after.unwrap_or(0),
                limit: page.fetch(),
            })
            .await?;
        let next_page_token = page.next(&mut rows, |r| r.seq);
        Ok(pb::ListAccountsResponse {
            accounts: rows.iter().map(|r| r.to_proto()).collect(),
            next_page_token,
        })
    }

    pub(super) async fn do_list_postings(
        &self,
        request: Request<pb::ListPostingsRequest>,
    ) -> Result<pb::ListPostingsResponse> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let kind = pb::PostingKind::try_from(request.kind)
            .map_err(|_| invalid_field("kind", "not a posting kind"))?;
        let account_id = if request.account_id.is_empty() {
            None
        } else {
            let id = parse_uuid("account_id", &request.account_id)?;
            if self.store.account(id).await?.is_none() {
                return Err(invalid_field("account_id", "no such account").into());
            }
            Some(id)
        };
        let allocation_id = if request.allocation_id.is_empty() {
            None
        } else {
            Some(parse_uuid("allocation_id", &request.allocation_id)?)
        };
        let page = Page::<i64>::of("ListPostings", request)?;
        let roots = self
            .listing_roots(caller, Permission::FundsRead, request.org_id, "org_id")
            .await?;
        let mut rows = self
            .store
            .list_postings(&PostingFilter {
                account_id,
                allocation_id,
                kind: PostingKind::from_proto(kind),
                year: request.year,
                patterns: subtree_patterns(&roots),
                after_seq: page.after.unwrap_or(0),
                limit: page.fetch(),
            })
            .await?;
        let next_page_token = page.next(&mut rows, |r| r.seq);
        Ok(pb::ListPostingsResponse {
            postings: rows.iter().map(|r| r.to_proto()).collect(),
            next_page_token,
        })
    }

    pub(super) async fn do_reverse_posting(
        &self,
        request: Request<pb::ReversePostingRequest>,
    ) -> Result<pb::Posting> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let posting_id = Uuid::parse_str(&request.posting_id).ok();
        if posting_id.is_none() {
            violations.add("posting_id", "must be a UUID");
        }
        check_text(&request.reason, "reason", 500, &mut violations);
        check_text(
            &request.authorised_by,
            "authorised_by",
            200,
            &mut violations,
        );
        super::check_optional_text(
            &request.authorisation_reference,
            "authorisation_reference",
            200,
            &mut violations,
        );
        // Required once the posting is known to belong to an allocation or a
        // disbursement; well-formed whenever given.
        let version = if request.etag.is_empty() {
            None
        } else {
            relief_runtime::ids::etag(&request.etag, "etag", &mut violations)
        };
        relief_runtime::idempotency::check_request_id(&request.request_id)?;
        violations.into_result()?;
        let Some(posting_id) = posting_id else {
            return Err(invalid_field("posting_id", "must be a UUID").into());
        };
        let Some(original) = self.store.posting(posting_id).await? else {
            return Err(invalid_field("posting_id", "no such posting").into());
        };
        Self::authorize_any(
            &caller,
            &[Permission::FundsManage, Permission::FundsAllocate],
            &original.org_path,
        )?;
        let version = match (original.kind(), version) {
            (PostingKind::Allocation | PostingKind::Disbursement, None) => {
                return Err(invalid_field(
                    "etag",
                    "required: the etag from the last read of the allocation (or, for a payment, the disbursement) the posting belongs to",
                )
                .into());
            }
            (_, version) => version,
        };

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, "ReversePosting", &request.request_id, &request).await?
        {
            return Ok(answer);
        }
        // The allocation's row is locked before the posting is read again, so
        // its state and the posting's reversal are seen as they are now.
        let allocation = match original.allocation_id {
            Some(id) => Store::lock_allocation(&mut tx, id).await?,
            None => None,
        };
        let original = Store::posting_in(&mut tx, posting_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("posting {posting_id}")))?;
        let target = match original.kind() {
            PostingKind::Budget => ReversalTarget::Budget,
            PostingKind::Reversal => ReversalTarget::Reversal,
            PostingKind::Allocation => {
                if let Some(allocation) = &allocation
                    && Some(allocation.version) != version
                {
                    return Err(Error::EtagMismatch(format!(
                        "allocation {}",
                        allocation.allocation_id
                    )));
                }
                ReversalTarget::Allocation(
                    allocation
                        .as_ref()
                        .map_or(AllocationState::Reversed, |a| a.state()),
                )
            }
            PostingKind::Disbursement => {
                let disbursement = match original.disbursement_id {
                    Some(id) => Store::disbursement_in(&mut tx, id).await?,
                    None => None,
                };
                // Read under the allocation's lock, taken above.
                if let Some(disbursement) = &disbursement
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
        };
        let effect = plan_reversal(target, original.reversed_by.is_some())
            .map_err(Error::FailedPrecondition)?;
        let reversal_id = Uuid::new_v4();
        let amount = original.amount();
        Store::post(
            &mut tx,
            &NewPosting {
                posting_id: reversal_id,
                kind: PostingKind::Reversal,
                debit: original.credit_account_id,
                credit: original.debit_account_id,
                amount,
                reason: &request.reason,
                year: original.year,
                org_id: original.org_id,
                org_path: &original.org_path,
                org_name: &original.org_name,
                allocation_id: original.allocation_id,
                disbursement_id: original.disbursement_id,
                reversal_of: Some(original.posting_id),
                authorised_by: &request.authorised_by,
                authorisation_reference: &request.authorisation_reference,
                posted_by_id: &caller.user_id,
                posted_by_name: &caller.display_name,
                request_id: &request.request_id,
            },
        )
        .await?
        .map_err(|refused| match refused {
            PostingRefused::Shortfall { balance, .. } => Error::FailedPrecondition(format!(
                "reversing takes {amount} back, but the account holds only {balance} (it was spent on)"
            )),
            PostingRefused::Overflow => Error::FailedPrecondition("the amount is out of range".to_owned()),
        })?;
        match (effect, original.allocation_id) {
            (ReversalEffect::Allocation, Some(id)) => {
                Store::set_allocation_state(&mut tx, id, AllocationState::Reversed, Money::ZERO)
                    .await?;
            }
            (ReversalEffect::Disbursement, Some(id)) => {
                if let Some(disbursement_id) = original.disbursement_id {
                    Store::mark_disbursement_reversed(&mut tx, disbursement_id).await?;
                }
                Store::set_allocation_state(&mut tx, id, AllocationState::Allocated, Money::ZERO)
                    .await?;
            }
            _ => {}
        }
        let mut outbox = event(
            pb::FundsEventKind::PostingReversed,
            super::super::store::org_ref(original.org_id, &original.org_path, &original.org_name),
            original.year,
        );
        outbox.posting_id = reversal_id.to_string();
        outbox.allocation_id = original
            .allocation_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        outbox.disbursement_id = original
            .disbursement_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        outbox.application_id = allocation
            .as_ref()
            .map(|a| a.application_id.clone())
            .unwrap_or_default();
        outbox.member_id = allocation
            .as_ref()
            .map(|a| a.member_id.clone())
            .unwrap_or_default();
        outbox.amount = amount.to_proto();
        Store::emit(&mut tx, &outbox, &[]).await?;
        Store::audit(
            &mut tx,
            &caller.actor(),
            "posting.reversed",
            &format!("postings/{posting_id}"),
            serde_json::json!({
                "reversal": reversal_id.to_string(),
                "kind": original.kind().as_str(),
                "amount_fen": amount.fen(),
                "reason": request.reason,
                "authorised_by": request.authorised_by,
                "authorisation_reference": request.authorisation_reference,
            }),
        )
        .await?;
        let answer = Store::posting_in(&mut tx, reversal_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("posting {reversal_id}")))?
            .to_proto();
        idempotency::complete(&mut tx, &request.request_id, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }
}
