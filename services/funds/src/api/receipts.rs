//! 签字回执 — the member's signed receipt, which makes a payment a voucher.

use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, FieldViolations, Result};
use relief_runtime::rpc::{Done, Work};

use super::{Funds, convert};
use crate::domain::commands::NewReceipt;
use crate::domain::duties::{self, Person};
use crate::domain::receipt::check_against_payment;
use crate::domain::refusal::{self, Refusal};
use crate::events::{Event, WORKFLOW};
use crate::store::{Receipting, Store};

impl Funds {
    pub(super) async fn record_receipt(
        &self,
        caller: Caller,
        receipt: NewReceipt,
        mut work: Work,
    ) -> Result<Done<pb::Receipt>> {
        let disbursement_id = receipt.disbursement_id;
        let Some(seen) = Store::disbursement_in(work.tx(), disbursement_id).await? else {
            return Err(Error::invalid("disbursement_id", "no such disbursement"));
        };
        caller.authorize(Permission::DisbursementRecord, &seen.org_path)?;
        duties::may_record_receipt(
            &seen.recorded_by_id,
            Person {
                user_id: &caller.user_id,
                display_name: &caller.display_name,
            },
        )?;
        // Every change of a payment takes its allocation's lock first.
        let allocation = Store::lock_allocation(work.tx(), seen.allocation_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("allocation {}", seen.allocation_id)))?;
        let disbursement = Store::disbursement_in(work.tx(), disbursement_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("disbursement {disbursement_id}")))?;
        if disbursement.version != receipt.version {
            return Err(Error::EtagMismatch(format!(
                "disbursement {disbursement_id}"
            )));
        }
        if disbursement.reversed {
            return Err(Refusal::new(
                refusal::PAYMENT_REVERSED,
                "the payment was reversed; a receipt belongs to a payment that stands",
            )
            .into());
        }
        if disbursement.receipt_id.is_some() {
            return Err(Refusal::new(
                refusal::RECEIPT_EXISTS,
                "the payment already has its receipt",
            )
            .into());
        }
        let receipted = allocation.state.receipt()?;
        if let Some(voucher) = Store::receipt_with_scan(work.tx(), &receipt.scan_sha256).await? {
            return Err(Refusal::new(
                refusal::RECEIPT_SCAN_REUSED,
                format!(
                    "this scan is the receipt of voucher {voucher} already: each payment's receipt is its own signed paper"
                ),
            )
            .into());
        }
        let mut v = FieldViolations::new();
        check_against_payment(
            &receipt.claim(),
            &allocation.member_name,
            disbursement.paid_date,
            &mut v,
        );
        v.finish()?;
        let actor = work.actor().clone();
        let row = Store::record_receipt(
            work.tx(),
            &Receipting {
                allocation: &allocation,
                receipt: &receipt,
                receipted,
                by: &actor,
            },
        )
        .await?;

        let mut event = Event::new(
            pb::FundsEventKind::ReceiptRecorded,
            Some(allocation.org()),
            allocation.year,
        );
        event.message.application_id = allocation.application_id.clone();
        event.message.allocation_id = allocation.allocation_id.to_string();
        event.message.disbursement_id = disbursement_id.to_string();
        event.message.receipt_id = row.receipt_id.to_string();
        event.message.member_id = allocation.member_id.clone();
        event.message.amount =
            crate::domain::money::Money::from_fen(disbursement.amount).to_proto();
        event.message.voucher_number = row.voucher_number.clone();
        event.emit(&mut work, &[WORKFLOW]).await?;
        work.audit(
            "receipt.recorded",
            &format!("disbursements/{disbursement_id}"),
            &serde_json::json!({
                "receipt_id": row.receipt_id.to_string(),
                "voucher_number": row.voucher_number,
                "signer_name": row.signer_name,
                "sealed": row.sealed,
                "scan_sha256": row.scan_sha256,
            }),
        )
        .await?;
        Ok(work.done(convert::receipt(&row)))
    }
}
