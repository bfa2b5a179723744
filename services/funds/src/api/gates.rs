//! Who may call each funds RPC at all (see [`relief_runtime::auth::Gates`]):
//! the permission its handler checks on the resource's subtree, asked first
//! of the caller's roles wherever bound.

use relief_runtime::auth::Gate::AnyOf;
use relief_runtime::auth::Gates;
use relief_runtime::auth::Permission::{self, *};

/// Allocating, reversing and setting standards: the funds' managers and
/// allocators (the handler narrows it by what is reversed).
const ALLOCATORS: &[Permission] = &[FundsManage, FundsAllocate];

pub static GATES: Gates = Gates {
    service: crate::SERVICE_NAME,
    methods: &[
        ("GetAccount", AnyOf(&[FundsRead])),
        ("ListAccounts", AnyOf(&[FundsRead])),
        ("ListPostings", AnyOf(&[FundsRead])),
        ("ReversePosting", AnyOf(ALLOCATORS)),
        ("SetBudget", AnyOf(&[FundsManage])),
        ("TopUpBudget", AnyOf(&[FundsManage])),
        ("GetBudgetSummary", AnyOf(&[FundsRead])),
        ("PutReliefStandard", AnyOf(ALLOCATORS)),
        ("ListReliefStandards", AnyOf(&[FundsRead])),
        ("CreateAllocation", AnyOf(ALLOCATORS)),
        ("GetAllocation", AnyOf(&[FundsRead])),
        ("ListAllocations", AnyOf(&[FundsRead])),
        ("RecordDisbursement", AnyOf(&[DisbursementRecord])),
        ("GetDisbursement", AnyOf(&[FundsRead])),
        ("ListDisbursements", AnyOf(&[FundsRead])),
        ("RecordReceipt", AnyOf(&[DisbursementRecord])),
        ("RunInspection", AnyOf(&[Inspect])),
        ("GetInspectionReport", AnyOf(&[Inspect])),
        ("ListInspectionReports", AnyOf(&[Inspect])),
        ("ExportInspection", AnyOf(&[Inspect])),
        ("ExportVouchers", AnyOf(&[FundsRead])),
        // The forms members sign are printed by who pays them.
        ("ExportReceiptForms", AnyOf(&[DisbursementRecord])),
        ("VerifyAuditChain", AnyOf(&[AuditRead])),
        ("ListAuditEntries", AnyOf(&[AuditRead])),
    ],
};

#[cfg(test)]
mod tests {
    #[test]
    fn every_funds_rpc_has_a_gate() {
        assert_eq!(super::GATES.mismatches(), Vec::<String>::new());
    }
}
