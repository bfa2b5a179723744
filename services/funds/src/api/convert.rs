//! Stored rows as the API shows them: the one place a row becomes a
//! message (money as `Money`, times as `Timestamp`, versions as etags).

use relief_proto::common::v1::{ChangeStamp, OrgRef};
use relief_proto::funds::v1 as pb;
use relief_runtime::ids::{actor, etag_of};
use relief_runtime::time::{timestamp, to_proto};
use time::Date;
use uuid::Uuid;

use crate::domain::money::Money;
use crate::domain::year::days_between;
use crate::store::{
    AccountRow, AllocationRow, BudgetFigures, DisbursementRow, PostingRow, ReceiptRow, StandardRow,
};

fn org(org_id: i64, path: &str, name: &str) -> Option<OrgRef> {
    Some(OrgRef {
        org_id,
        path: path.to_owned(),
        name: name.to_owned(),
    })
}

fn id(id: Option<Uuid>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

pub fn account(row: &AccountRow) -> pb::Account {
    pb::Account {
        account_id: row.account_id.to_string(),
        kind: row.kind.to_proto() as i32,
        name: row.name.clone(),
        year: row.year,
        org: org(row.org_id, &row.org_path, &row.org_name),
        member_id: row.member_id.clone(),
        member_name: row.member_name.clone(),
        balance: row.balance().to_proto(),
        total_in: Money::from_fen(row.total_in).to_proto(),
        total_out: Money::from_fen(row.total_out).to_proto(),
        create_time: Some(timestamp(row.created_at)),
    }
}

pub fn posting(row: &PostingRow) -> pb::Posting {
    pb::Posting {
        posting_id: row.posting_id.to_string(),
        kind: row.kind.to_proto() as i32,
        debit_account_id: row.debit_account_id.to_string(),
        credit_account_id: row.credit_account_id.to_string(),
        amount: row.amount().to_proto(),
        reason: row.reason.clone(),
        year: row.year,
        org: Some(row.org()),
        allocation_id: id(row.allocation_id),
        disbursement_id: id(row.disbursement_id),
        reversal_of: id(row.reversal_of),
        reversed_by: id(row.reversed_by),
        authorised_by: row.authorised_by.clone(),
        authorisation_reference: row.authorisation_reference.clone(),
        posted_by: actor(&row.posted_by_id, &row.posted_by_name),
        post_time: Some(timestamp(row.posted_at)),
        request_id: row.request_id.clone(),
    }
}

pub fn standard(row: &StandardRow) -> pb::ReliefStandard {
    pb::ReliefStandard {
        year: row.year,
        relief_type: row.relief_type.to_i32(),
        hardship_category: row.hardship_category.to_i32(),
        amount: Money::from_fen(row.amount).to_proto(),
        note: row.note.clone(),
        last_change: Some(ChangeStamp {
            actor: actor(&row.changed_by_id, &row.changed_by_name),
            change_time: Some(timestamp(row.changed_at)),
            reason: row.reason.clone(),
        }),
        etag: etag_of(row.version),
    }
}

/// 预算执行情况: budgeted (what income gave), the fund's balance (not yet
/// allocated), committed (allocated, not paid), paid and receipted.
pub fn budget_summary(figures: &BudgetFigures) -> pb::BudgetSummary {
    let sum = |f: fn(&crate::store::TypeSpending) -> i64| {
        Money::from_fen(figures.by_type.iter().map(f).sum())
    };
    let allocated = sum(|t| t.allocated);
    let paid = sum(|t| t.paid);
    pb::BudgetSummary {
        year: figures.year,
        fund_account_id: figures
            .fund
            .as_ref()
            .map(|f| f.account_id.to_string())
            .unwrap_or_default(),
        budgeted: figures
            .income
            .as_ref()
            .map(AccountRow::balance)
            .unwrap_or_default()
            .to_proto(),
        balance: figures
            .fund
            .as_ref()
            .map(AccountRow::balance)
            .unwrap_or_default()
            .to_proto(),
        committed: allocated.checked_sub(paid).unwrap_or_default().to_proto(),
        paid: paid.to_proto(),
        receipted: sum(|t| t.receipted).to_proto(),
        by_relief_type: figures
            .by_type
            .iter()
            .map(|t| pb::ReliefTypeSpending {
                relief_type: t.relief_type,
                allocated: Money::from_fen(t.allocated).to_proto(),
                paid: Money::from_fen(t.paid).to_proto(),
            })
            .collect(),
    }
}

pub fn allocation(row: &AllocationRow) -> pb::Allocation {
    pb::Allocation {
        allocation_id: row.allocation_id.to_string(),
        application_id: row.application_id.clone(),
        decision: Some(pb::DecisionRef {
            decision_id: row.decision_id.clone(),
            meeting_number: row.meeting_number.clone(),
            meeting_date: row.meeting_date.map(to_proto),
        }),
        member_id: row.member_id.clone(),
        member_name: row.member_name.clone(),
        org: Some(row.org()),
        year: row.year,
        relief_type: row.relief_type.to_i32(),
        hardship_category: row.hardship_category.to_i32(),
        amount: row.amount().to_proto(),
        standard_amount: Money::from_fen(row.standard_amount).to_proto(),
        special_case: row.special_case,
        special_case_reason: row.special_case_reason.clone(),
        state: row.state.to_proto() as i32,
        posting_id: row.posting_id.to_string(),
        disbursement_id: id(row.disbursement_id),
        voucher_number: row.voucher_number.clone().unwrap_or_default(),
        allocated_by: actor(&row.allocated_by_id, &row.allocated_by_name),
        allocate_time: Some(timestamp(row.allocated_at)),
        etag: etag_of(row.version),
    }
}

pub fn receipt(row: &ReceiptRow) -> pb::Receipt {
    pb::Receipt {
        receipt_id: row.receipt_id.to_string(),
        disbursement_id: row.disbursement_id.to_string(),
        allocation_id: row.allocation_id.to_string(),
        signer_name: row.signer_name.clone(),
        signed_date: Some(to_proto(row.signed_date)),
        scan_sha256: row.scan_sha256.clone(),
        sealed: row.sealed,
        voucher_number: row.voucher_number.clone(),
        recorded_by: actor(&row.recorded_by_id, &row.recorded_by_name),
        record_time: Some(timestamp(row.recorded_at)),
    }
}

/// A payment as of `today` (Beijing), which its days without a receipt
/// count to.
pub fn disbursement(row: &DisbursementRow, today: Date) -> pb::Disbursement {
    let signed = row.receipt();
    let days_without_receipt = if signed.is_some() || row.reversed {
        0
    } else {
        i32::try_from(days_between(row.paid_date, today).max(0)).unwrap_or(i32::MAX)
    };
    pb::Disbursement {
        disbursement_id: row.disbursement_id.to_string(),
        allocation_id: row.allocation_id.to_string(),
        member_id: row.member_id.clone(),
        member_name: row.member_name.clone(),
        org: org(row.org_id, &row.org_path, &row.org_name),
        method: row.method,
        paid_date: Some(to_proto(row.paid_date)),
        paid_by: row.paid_by.clone(),
        amount: Money::from_fen(row.amount).to_proto(),
        bank_reference: row.bank_reference.clone(),
        posting_id: row.posting_id.to_string(),
        receipt: signed.as_ref().map(receipt),
        days_without_receipt,
        recorded_by: actor(&row.recorded_by_id, &row.recorded_by_name),
        record_time: Some(timestamp(row.recorded_at)),
        etag: etag_of(row.version),
    }
}
