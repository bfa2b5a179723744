//! 发放 — paying an allocation to the member.

use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};

use super::{Funds, convert, patterns};
use crate::domain::commands::{DisbursementListing, GetDisbursement, NewPayment};
use crate::domain::refusal;
use crate::events::{Event, NOTIFY, WORKFLOW};
use crate::store::{Disbursing, Store};

impl Funds {
    pub(super) async fn record_disbursement(
        &self,
        caller: Caller,
        payment: NewPayment,
        mut work: Work,
    ) -> Result<Done<pb::Disbursement>> {
        let allocation_id = payment.allocation_id;
        let Some(seen) = Store::allocation_in(work.tx(), allocation_id).await? else {
            return Err(Error::invalid(
                "disbursement.allocation_id",
                "no such allocation",
            ));
        };
        caller.authorize(Permission::DisbursementRecord, &seen.org_path)?;
        let allocation = Store::lock_allocation(work.tx(), allocation_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("allocation {allocation_id}")))?;
        if allocation.version != payment.allocation_version {
            return Err(Error::EtagMismatch(format!("allocation {allocation_id}")));
        }
        let paid = allocation.state.disburse()?;
        payment.check_against(allocation.amount(), allocation.allocated_date)?;
        let (actor, request_id) = (work.actor().clone(), work.request_id().to_owned());
        let disbursing = Disbursing {
            allocation: &allocation,
            payment: &payment,
            paid,
            by: &actor,
            request_id: &request_id,
        };
        let row = Store::disburse(work.tx(), &disbursing)
            .await?
            .map_err(|_| {
                refusal::Refusal::new(
                    refusal::ORG_ACCOUNT_SHORTFALL,
                    format!(
                        "the organisation's account does not hold {} for this allocation",
                        payment.amount
                    ),
                )
            })?;

        let mut event = Event::new(
            pb::FundsEventKind::DisbursementRecorded,
            Some(allocation.org()),
            allocation.year,
        );
        event.message.application_id = allocation.application_id.clone();
        event.message.allocation_id = allocation_id.to_string();
        event.message.disbursement_id = row.disbursement_id.to_string();
        event.message.posting_id = row.posting_id.to_string();
        event.message.member_id = allocation.member_id.clone();
        event.message.amount = payment.amount.to_proto();
        event.emit(&mut work, &[NOTIFY, WORKFLOW]).await?;
        work.audit(
            "disbursement.recorded",
            &format!("disbursements/{}", row.disbursement_id),
            &serde_json::json!({
                "allocation_id": allocation_id.to_string(),
                "method": payment.method.as_str_name(),
                "paid_date": payment.paid_date.to_string(),
                "paid_by": payment.paid_by,
                "amount_fen": payment.amount.fen(),
            }),
        )
        .await?;
        Ok(work.done(convert::disbursement(&row, relief_runtime::time::today())))
    }

    pub(super) async fn get_disbursement(
        &self,
        caller: Caller,
        query: GetDisbursement,
    ) -> Result<pb::Disbursement> {
        let row = self
            .store
            .disbursement(query.disbursement_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("disbursement {}", query.disbursement_id)))?;
        caller.authorize(Permission::FundsRead, &row.org_path)?;
        Ok(convert::disbursement(&row, relief_runtime::time::today()))
    }

    pub(super) async fn list_disbursements(
        &self,
        caller: Caller,
        listing: DisbursementListing,
    ) -> Result<pb::ListDisbursementsResponse> {
        let roots = self
            .roots(&caller, Permission::FundsRead, listing.org_id)
            .await?;
        let mut rows = self
            .store
            .list_disbursements(&listing, &patterns(&roots))
            .await?;
        let next_page_token = listing.page.next(&mut rows, |row| row.seq);
        let today = relief_runtime::time::today();
        Ok(pb::ListDisbursementsResponse {
            disbursements: rows
                .iter()
                .map(|row| convert::disbursement(row, today))
                .collect(),
            next_page_token,
        })
    }
}
