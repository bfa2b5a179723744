//! The funds' rows (relief.funds.v1.FundsService). What each needs, from
//! SPEC §1, §6 and issue 8 (items 14, 16): finance keeps the budget; the
//! department allocates, sets the standards and reverses allocations
//! (finance may do the same); budget postings are reversed by finance only;
//! the unit's organisation (branch staff, superior organisation) pays and
//! records receipts; everyone with funds work reads its subtree's money; the
//! inspection is the department's, the committee's, finance's and the
//! auditor's. The budget, the standards and the audit trail belong to the
//! committee.

use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as pb;
use relief_runtime::auth::Permission::*;

use super::rows::{FUNDS, Need, Row, STALE_ETAG, Scope, msg, rid};

fn today() -> Option<common::Date> {
    Some(relief_runtime::time::to_proto(relief_runtime::time::today()))
}

pub fn rows() -> Vec<Row> {
    use Need::AnyOf;
    use Scope::{Anywhere, Committee, Target as In};
    const READ: Need = AnyOf(&[FundsRead]);
    const ALLOCATE: Need = AnyOf(&[FundsManage, FundsAllocate]);
    vec![
        Row::new(FUNDS, "GetAccount", READ, In, |f, t| {
            msg(pb::GetAccountRequest {
                account_id: f.at(t).account_id.clone(),
            })
        }),
        Row::new(FUNDS, "ListAccounts", READ, In, |f, t| {
            msg(pb::ListAccountsRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        Row::new(FUNDS, "ListPostings", READ, In, |f, t| {
            msg(pb::ListPostingsRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        // The branch's allocation posting, its payment made: allowed, the
        // stale etag refuses it.
        Row::new(FUNDS, "ReversePosting", ALLOCATE, In, |f, t| {
            msg(pb::ReversePostingRequest {
                request_id: rid(),
                posting_id: f.at(t).allocation.posting_id.clone(),
                reason: "矩阵测试".into(),
                authorised_by: "李主任（组织部）".into(),
                authorisation_reference: "工委会议2026年第5次".into(),
                etag: STALE_ETAG.into(),
            })
        })
        .variant("allocation posting"),
        // Issue 8 item 14: budget postings only by finance. The first allowed
        // cell reverses the fixture's 1-fen top-up; later ones find it reversed.
        Row::new(
            FUNDS,
            "ReversePosting",
            AnyOf(&[FundsManage]),
            Committee,
            |f, _| {
                msg(pb::ReversePostingRequest {
                    request_id: rid(),
                    posting_id: f.budget_posting_id.clone(),
                    reason: "矩阵测试".into(),
                    authorised_by: "李主任（工委）".into(),
                    authorisation_reference: "工委会议2026年第5次".into(),
                    etag: String::new(),
                })
            },
        )
        .variant("budget posting"),
        // Next year's budget, set ahead: this year's is the fixture's.
        Row::new(
            FUNDS,
            "SetBudget",
            AnyOf(&[FundsManage]),
            Committee,
            |f, _| {
                msg(pb::SetBudgetRequest {
                    request_id: rid(),
                    year: f.year + 1,
                    amount: Some(common::Money { fen: 1_000_000 }),
                    reason: "矩阵测试".into(),
                })
            },
        ),
        Row::new(
            FUNDS,
            "TopUpBudget",
            AnyOf(&[FundsManage]),
            Committee,
            |f, _| {
                msg(pb::TopUpBudgetRequest {
                    request_id: rid(),
                    year: f.year + 1,
                    amount: Some(common::Money { fen: 1 }),
                    reason: "矩阵测试".into(),
                })
            },
        ),
        Row::new(FUNDS, "GetBudgetSummary", READ, Committee, |f, _| {
            msg(pb::GetBudgetSummaryRequest { year: f.year })
        }),
        Row::new(FUNDS, "PutReliefStandard", ALLOCATE, Committee, |f, _| {
            msg(pb::PutReliefStandardRequest {
                request_id: rid(),
                standard: Some(pb::ReliefStandard {
                    etag: STALE_ETAG.into(),
                    ..f.standard.clone()
                }),
                reason: "矩阵测试".into(),
            })
        }),
        // The standards are rules for the whole tree: anyone reading funds
        // reads them.
        Row::new(FUNDS, "ListReliefStandards", READ, Anywhere, |f, _| {
            msg(pb::ListReliefStandardsRequest {
                year: f.year,
                ..Default::default()
            })
        }),
        // A second allocation to the branch's member this year without the
        // committee's special case: allowed, it is refused as a repeat.
        Row::new(FUNDS, "CreateAllocation", ALLOCATE, In, |f, t| {
            let branch = f.at(t);
            msg(pb::CreateAllocationRequest {
                request_id: rid(),
                allocation: Some(pb::Allocation {
                    application_id: format!("matrix-repeat-{}", rid()),
                    decision: Some(pb::DecisionRef {
                        decision_id: format!("matrix-repeat-{}", rid()),
                        meeting_number: format!("{}年第2次", f.year),
                        meeting_date: today(),
                    }),
                    member_id: branch.allocation.member_id.clone(),
                    member_name: branch.allocation.member_name.clone(),
                    org: branch.allocation.org.clone(),
                    year: f.year,
                    relief_type: branch.allocation.relief_type,
                    hardship_category: branch.allocation.hardship_category,
                    amount: Some(common::Money { fen: 1_000 }),
                    ..Default::default()
                }),
            })
        }),
        Row::new(FUNDS, "GetAllocation", READ, In, |f, t| {
            msg(pb::GetAllocationRequest {
                allocation_id: f.at(t).allocation.allocation_id.clone(),
            })
        }),
        Row::new(FUNDS, "ListAllocations", READ, In, |f, t| {
            msg(pb::ListAllocationsRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        // The allocation is paid already and the etag stale: allowed, refused.
        Row::new(
            FUNDS,
            "RecordDisbursement",
            AnyOf(&[DisbursementRecord]),
            In,
            |f, t| {
                let branch = f.at(t);
                msg(pb::RecordDisbursementRequest {
                    request_id: rid(),
                    disbursement: Some(pb::Disbursement {
                        allocation_id: branch.allocation.allocation_id.clone(),
                        method: pb::DisbursementMethod::Cash as i32,
                        paid_date: today(),
                        paid_by: "矩阵经办".into(),
                        amount: branch.allocation.amount,
                        ..Default::default()
                    }),
                    allocation_etag: STALE_ETAG.into(),
                })
            },
        ),
        Row::new(FUNDS, "GetDisbursement", READ, In, |f, t| {
            msg(pb::GetDisbursementRequest {
                disbursement_id: f.at(t).disbursement.disbursement_id.clone(),
            })
        }),
        Row::new(FUNDS, "ListDisbursements", READ, In, |f, t| {
            msg(pb::ListDisbursementsRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        Row::new(
            FUNDS,
            "RecordReceipt",
            AnyOf(&[DisbursementRecord]),
            In,
            |f, t| {
                let branch = f.at(t);
                msg(pb::RecordReceiptRequest {
                    request_id: rid(),
                    disbursement_id: branch.disbursement.disbursement_id.clone(),
                    signer_name: branch.member.name.clone(),
                    signed_date: today(),
                    scan_sha256: format!(
                        "{}{}",
                        uuid::Uuid::new_v4().simple(),
                        uuid::Uuid::new_v4().simple()
                    ),
                    sealed: false,
                    etag: STALE_ETAG.into(),
                })
            },
        ),
        Row::new(FUNDS, "RunInspection", AnyOf(&[Inspect]), In, |f, t| {
            msg(pb::RunInspectionRequest {
                request_id: rid(),
                year: f.year,
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        Row::new(
            FUNDS,
            "GetInspectionReport",
            AnyOf(&[Inspect]),
            In,
            |f, t| {
                msg(pb::GetInspectionReportRequest {
                    report_id: f.at(t).report_id.clone(),
                })
            },
        ),
        Row::new(
            FUNDS,
            "ListInspectionReports",
            AnyOf(&[Inspect]),
            In,
            |f, t| {
                msg(pb::ListInspectionReportsRequest {
                    org_id: f.at(t).org.org_id,
                    ..Default::default()
                })
            },
        ),
        Row::new(FUNDS, "ExportInspection", AnyOf(&[Inspect]), In, |f, t| {
            msg(pb::ExportInspectionRequest {
                report_id: f.at(t).report_id.clone(),
            })
        }),
        Row::new(FUNDS, "ExportVouchers", READ, In, |f, t| {
            msg(pb::ExportVouchersRequest {
                year: f.year,
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        // The forms members sign are printed by who pays (issue 9).
        Row::new(
            FUNDS,
            "ExportReceiptForms",
            AnyOf(&[DisbursementRecord]),
            In,
            |f, t| {
                msg(pb::ExportReceiptFormsRequest {
                    disbursement_id: f.at(t).disbursement.disbursement_id.clone(),
                    ..Default::default()
                })
            },
        ),
        Row::new(
            FUNDS,
            "VerifyAuditChain",
            AnyOf(&[AuditRead]),
            Committee,
            |_, _| msg(common::VerifyAuditChainRequest {}),
        ),
        Row::new(
            FUNDS,
            "ListAuditEntries",
            AnyOf(&[AuditRead]),
            Committee,
            |_, _| msg(common::ListAuditEntriesRequest::default()),
        ),
    ]
}
