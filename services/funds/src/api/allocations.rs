//! 拨付 — allocations after a committee decision.

use relief_proto::common::v1::OrgRef;
use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Caller, Permission, in_subtree};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};

use super::{ALLOCATORS, Funds, authorize_any, convert, patterns};
use crate::domain::allocation::AllocationRefused;
use crate::domain::commands::{AllocationListing, AllocationOrder, GetAllocation};
use crate::domain::refusal::{self, Refusal};
use crate::events::{Event, NOTIFY, WORKFLOW};
use crate::register::RegisteredMember;
use crate::store::{Allocating, Store};

impl Funds {
    /// Parse → the member and the organisation from the ledger → authorise
    /// on the organisation → the committee's decision (the seam) → the rules
    /// on the stored situation → the store makes the allocation (posting and
    /// row) → event and audit entry.
    pub(super) async fn create_allocation(
        &self,
        caller: Caller,
        order: AllocationOrder,
        mut work: Work,
    ) -> Result<Done<pb::Allocation>> {
        // Only an allocator learns from the ledger whether a member exists.
        if !ALLOCATORS
            .iter()
            .any(|permission| caller.holds(*permission))
        {
            return Err(Error::PermissionDenied(format!(
                "none of {ALLOCATORS:?} is granted to this caller"
            )));
        }
        let (member, org) = self.payee(&order).await?;
        authorize_any(&caller, &ALLOCATORS, &org.path)?;
        self.decisions.confirm(&order, &member).await?;
        let situation = Store::allocation_situation(work.tx(), &order).await?;
        let fund_account = situation.admit(order.year, order.amount, order.special_case)?;
        let (actor, request_id) = (work.actor().clone(), work.request_id().to_owned());
        let allocating = Allocating {
            order: &order,
            member: &member,
            org: &org,
            fund_account,
            standard: situation.standard.unwrap_or_default(),
            by: &actor,
            request_id: &request_id,
        };
        let row = Store::allocate(work.tx(), &allocating)
            .await?
            // The balance read above was not locked; the posting's lock has
            // the last word when another allocation got there first.
            .map_err(|refused| {
                refused.refusal(|balance, amount| {
                    let short = AllocationRefused::FundShort { balance, amount };
                    (short.reason(), short.describe())
                })
            })?;

        let mut event = Event::new(
            pb::FundsEventKind::AllocationCreated,
            Some(row.org()),
            row.year,
        );
        event.message.application_id = row.application_id.clone();
        event.message.allocation_id = row.allocation_id.to_string();
        event.message.posting_id = row.posting_id.to_string();
        event.message.member_id = row.member_id.clone();
        event.message.amount = row.amount().to_proto();
        event.emit(&mut work, &[NOTIFY, WORKFLOW]).await?;
        work.audit(
            "allocation.created",
            &format!("allocations/{}", row.allocation_id),
            &serde_json::json!({
                "application_id": order.application_id,
                "decision_id": order.decision_id,
                "member_id": member.member_id.to_string(),
                "member_name": member.name,
                "org_id": org.org_id,
                "org_path": org.path,
                "year": order.year,
                "amount_fen": order.amount.fen(),
                "special_case": order.special_case,
                "special_case_reason": order.special_case_reason,
            }),
        )
        .await?;
        Ok(work.done(convert::allocation(&row)))
    }

    /// Who is paid and by whom, as the ledger has them: the member, and the
    /// organisation named (which must be the member's branch or above it,
    /// below the committee) or else the member's branch.
    async fn payee(&self, order: &AllocationOrder) -> Result<(RegisteredMember, OrgRef)> {
        let member = self.register.member(order.member_id).await?;
        let org = match order.org_id {
            None => member.branch.clone(),
            Some(org_id) if org_id == member.branch.org_id => member.branch.clone(),
            Some(org_id) => self.register.org(org_id).await?,
        };
        if !in_subtree(&member.branch.path, &org.path)
            || !in_subtree(&org.path, &self.committee.path)
            || org.path == self.committee.path
        {
            return Err(Refusal::new(
                refusal::MEMBER_NOT_IN_ORG,
                format!(
                    "member {} belongs to {} ({}), which is not {} ({}) or below it; the organisation that pays is the member's branch or one above it, below the committee",
                    member.member_id, member.branch.name, member.branch.path, org.name, org.path
                ),
            )
            .into());
        }
        Ok((member, org))
    }

    pub(super) async fn get_allocation(
        &self,
        caller: Caller,
        query: GetAllocation,
    ) -> Result<pb::Allocation> {
        let row = self
            .store
            .allocation(query.allocation_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("allocation {}", query.allocation_id)))?;
        caller.authorize(Permission::FundsRead, &row.org_path)?;
        Ok(convert::allocation(&row))
    }

    pub(super) async fn list_allocations(
        &self,
        caller: Caller,
        listing: AllocationListing,
    ) -> Result<pb::ListAllocationsResponse> {
        let roots = self
            .roots(&caller, Permission::FundsRead, listing.org_id)
            .await?;
        let mut rows = self
            .store
            .list_allocations(&listing, &patterns(&roots))
            .await?;
        let next_page_token = listing.page.next(&mut rows, |row| row.seq);
        Ok(pb::ListAllocationsResponse {
            allocations: rows.iter().map(convert::allocation).collect(),
            next_page_token,
        })
    }
}
