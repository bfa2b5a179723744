//! 发放、签字回执 — paying an allocation to the member, the signed receipt,
//! and reading payments.

use relief_proto::funds::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use time::Date;
use uuid::Uuid;

use super::{Page, check_amount, check_optional_text, check_text, member_filter, org_filter};
use crate::domain::money::Money;
use crate::domain::receipt::{ReceiptClaim, check_fields};

/// 发放 — the allocation paid in full to the member.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub allocation_id: Uuid,
    pub method: pb::DisbursementMethod,
    pub paid_date: Date,
    pub paid_by: String,
    pub amount: Money,
    pub bank_reference: String,
    /// The allocation's version as last read (paying changes its state).
    pub allocation_version: i64,
}

impl NewPayment {
    /// The checks against the allocation: its full amount (one payment per
    /// allocation), on or after the day it was allocated.
    pub fn check_against(
        &self,
        allocated: Money,
        allocated_date: Date,
    ) -> Result<(), FieldViolations> {
        let mut v = FieldViolations::new();
        if self.amount != allocated {
            v.add(
                "disbursement.amount",
                format!(
                    "must be the allocation's full amount, {allocated}: one payment per allocation"
                ),
            );
        }
        if self.paid_date < allocated_date {
            v.add(
                "disbursement.paid_date",
                "must not be before the allocation's date",
            );
        }
        v.then(|| ())
    }
}

impl TryFrom<pb::RecordDisbursementRequest> for NewPayment {
    type Error = FieldViolations;

    fn try_from(request: pb::RecordDisbursementRequest) -> Result<Self, FieldViolations> {
        let today = relief_runtime::time::today();
        let mut v = FieldViolations::new();
        if request.disbursement.is_none() {
            v.add("disbursement", "required");
        }
        let given = request.disbursement.unwrap_or_default();
        let allocation_id = ids::uuid(&given.allocation_id, "disbursement.allocation_id", &mut v);
        let method = pb::DisbursementMethod::try_from(given.method).unwrap_or_default();
        match method {
            pb::DisbursementMethod::Unspecified => {
                v.add("disbursement.method", "required: cash or bank transfer");
            }
            pb::DisbursementMethod::BankTransfer => {
                check_text(
                    &given.bank_reference,
                    "disbursement.bank_reference",
                    100,
                    &mut v,
                );
            }
            pb::DisbursementMethod::Cash => {
                check_optional_text(
                    &given.bank_reference,
                    "disbursement.bank_reference",
                    100,
                    &mut v,
                );
            }
        }
        let paid_date = relief_runtime::time::from_proto(given.paid_date.as_ref());
        match paid_date {
            None => v.add("disbursement.paid_date", "required: a valid calendar date"),
            Some(date) if date > today => {
                v.add("disbursement.paid_date", "must not be in the future")
            }
            Some(_) => {}
        }
        check_text(&given.paid_by, "disbursement.paid_by", 64, &mut v);
        let amount = check_amount(
            given.amount.as_ref(),
            Money::MAX_RELIEF,
            "disbursement.amount",
            &mut v,
        );
        let version = ids::etag(&request.allocation_etag, "allocation_etag", &mut v);
        let (Some(allocation_id), Some(paid_date), Some(allocation_version), true) =
            (allocation_id, paid_date, version, v.is_empty())
        else {
            return Err(v);
        };
        Ok(NewPayment {
            allocation_id,
            method,
            paid_date,
            paid_by: given.paid_by,
            amount,
            bank_reference: given.bank_reference,
            allocation_version,
        })
    }
}

/// One payment.
#[derive(Debug, Clone, Copy)]
pub struct GetDisbursement {
    pub disbursement_id: Uuid,
}

impl TryFrom<pb::GetDisbursementRequest> for GetDisbursement {
    type Error = FieldViolations;

    fn try_from(request: pb::GetDisbursementRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let disbursement_id = ids::uuid(&request.disbursement_id, "disbursement_id", &mut v);
        v.then(|| GetDisbursement {
            disbursement_id: disbursement_id.unwrap_or_default(),
        })
    }
}

/// Payments, newest first, in the subtrees the caller may read.
#[derive(Debug, Clone)]
pub struct DisbursementListing {
    pub allocation_id: Option<Uuid>,
    pub year: i32,
    pub member_id: String,
    pub receipt_missing_only: bool,
    pub org_id: Option<i64>,
    /// `page.after` is the `seq` the previous page ended at (newest first).
    pub page: Page,
}

impl TryFrom<pb::ListDisbursementsRequest> for DisbursementListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListDisbursementsRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let allocation_id = if request.allocation_id.is_empty() {
            None
        } else {
            ids::uuid(&request.allocation_id, "allocation_id", &mut v)
        };
        let org_id = org_filter(request.org_id, &mut v);
        let member_id = member_filter(&request.member_id, &mut v);
        let page = Page::parse("ListDisbursements", &request, &mut v);
        v.then(|| DisbursementListing {
            allocation_id,
            year: request.year,
            member_id,
            receipt_missing_only: request.receipt_missing_only,
            org_id,
            page,
        })
    }
}

/// 签字回执 — the member's signed (or sealed) receipt of a payment.
#[derive(Debug, Clone)]
pub struct NewReceipt {
    pub disbursement_id: Uuid,
    pub signer_name: String,
    pub signed_date: Date,
    pub scan_sha256: String,
    pub sealed: bool,
    /// The payment's version as last read.
    pub version: i64,
}

impl NewReceipt {
    /// What the receipt states, for the checks against the payment.
    pub fn claim(&self) -> ReceiptClaim<'_> {
        ReceiptClaim {
            signer_name: &self.signer_name,
            sealed: self.sealed,
            scan_sha256: &self.scan_sha256,
            signed_date: Some(self.signed_date),
        }
    }
}

impl TryFrom<pb::RecordReceiptRequest> for NewReceipt {
    type Error = FieldViolations;

    fn try_from(request: pb::RecordReceiptRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let disbursement_id = ids::uuid(&request.disbursement_id, "disbursement_id", &mut v);
        let claim = ReceiptClaim {
            signer_name: &request.signer_name,
            sealed: request.sealed,
            scan_sha256: &request.scan_sha256,
            signed_date: relief_runtime::time::from_proto(request.signed_date.as_ref()),
        };
        check_fields(&claim, relief_runtime::time::today(), &mut v);
        let signed_date = claim.signed_date;
        let version = ids::etag(&request.etag, "etag", &mut v);
        let (Some(disbursement_id), Some(signed_date), Some(version), true) =
            (disbursement_id, signed_date, version, v.is_empty())
        else {
            return Err(v);
        };
        Ok(NewReceipt {
            disbursement_id,
            signer_name: request.signer_name.trim().to_owned(),
            signed_date,
            scan_sha256: request.scan_sha256.to_ascii_lowercase(),
            sealed: request.sealed,
            version,
        })
    }
}
