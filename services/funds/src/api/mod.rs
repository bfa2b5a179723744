//! The gRPC surface of the funds service. Every RPC goes through the
//! runtime's pipeline (`relief_runtime::rpc`): the request is parsed into a
//! command or query of [`crate::domain::commands`] (every bad field named);
//! the act here authorises the caller on the resource's subtree, asks the
//! domain's rules, and has the store make the change — with its outbox
//! events and audit entry — in the pipeline's transaction.

mod accounts;
mod allocations;
mod budget;
mod convert;
mod disbursements;
mod exports;
pub mod gates;
mod inspection;
mod receipts;

use std::sync::Arc;

use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as pb;
use relief_proto::funds::v1::funds_service_server::FundsService;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::Rpc;
use tonic::{Request, Response, Status};

use crate::decisions::DecisionCheck;
use crate::domain::commands::AllocationOrder;
use crate::register::Register;
use crate::store::Store;

pub use relief_runtime::files::FileStream;

/// Who may allocate and reverse: the funds' managers and allocators.
const ALLOCATORS: [Permission; 2] = [Permission::FundsManage, Permission::FundsAllocate];

/// The funds service's RPCs, each through the pipeline.
pub struct FundsApi {
    rpc: Rpc,
    funds: Funds,
}

impl FundsApi {
    /// The service's RPCs on `store`, taking members and organisations from
    /// the ledger (`register`) and checking cited committee decisions with
    /// `decisions`.
    pub fn new(
        rpc: Rpc,
        store: Store,
        register: Register,
        decisions: Arc<dyn DecisionCheck>,
    ) -> Self {
        let committee = rpc.committee().clone();
        FundsApi {
            rpc,
            funds: Funds {
                store,
                committee,
                register,
                decisions,
            },
        }
    }
}

/// What the acts of the RPCs share: the store, the committee — owner of
/// the fund and the income, root of every path —, the ledger's register of
/// members and organisations, and the check of committee decisions.
pub(crate) struct Funds {
    store: Store,
    committee: common::OrgRef,
    register: Register,
    decisions: Arc<dyn DecisionCheck>,
}

impl Funds {
    /// The subtree roots a listing covers: the caller's grants for
    /// `permission`, narrowed to the subtree of `org_id` when one is given.
    async fn roots(
        &self,
        caller: &Caller,
        permission: Permission,
        org_id: Option<i64>,
    ) -> Result<Vec<String>> {
        // A caller without the permission learns nothing of the organisation.
        caller.scopes(permission)?;
        let path = match org_id {
            Some(org_id) => Some(self.known_org(org_id).await?.path),
            None => None,
        };
        relief_runtime::scope::listing_roots(caller, permission, path.as_deref())
    }

    /// An organisation by id: the committee, or one the service has seen.
    async fn known_org(&self, org_id: i64) -> Result<common::OrgRef> {
        if org_id == self.committee.org_id {
            return Ok(self.committee.clone());
        }
        self.store
            .org(org_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("funds records of organisation {org_id}")))
    }
}

/// Whether the caller holds any of `permissions` at `path`.
fn authorize_any(caller: &Caller, permissions: &[Permission], path: &str) -> Result<()> {
    if permissions
        .iter()
        .any(|permission| caller.may(*permission, path))
    {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "none of {permissions:?} is granted on {path} to this caller"
        )))
    }
}

/// `LIKE` patterns of the subtrees at `roots`.
fn patterns(roots: &[String]) -> Vec<String> {
    relief_runtime::scope::subtree_patterns(roots)
}

#[tonic::async_trait]
impl FundsService for FundsApi {
    async fn get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| funds.get_account(caller, query))
            .await
    }

    async fn list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Result<Response<pb::ListAccountsResponse>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| funds.list_accounts(caller, query))
            .await
    }

    async fn list_postings(
        &self,
        request: Request<pb::ListPostingsRequest>,
    ) -> Result<Response<pb::ListPostingsResponse>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| funds.list_postings(caller, query))
            .await
    }

    async fn reverse_posting(
        &self,
        request: Request<pb::ReversePostingRequest>,
    ) -> Result<Response<pb::Posting>, Status> {
        let funds = &self.funds;
        self.rpc
            .write("ReversePosting", request, |caller, command, work| {
                funds.reverse_posting(caller, command, work)
            })
            .await
    }

    async fn set_budget(
        &self,
        request: Request<pb::SetBudgetRequest>,
    ) -> Result<Response<pb::BudgetSummary>, Status> {
        let funds = &self.funds;
        self.rpc
            .write("SetBudget", request, |caller, command, work| {
                funds.set_budget(caller, command, work)
            })
            .await
    }

    async fn top_up_budget(
        &self,
        request: Request<pb::TopUpBudgetRequest>,
    ) -> Result<Response<pb::BudgetSummary>, Status> {
        let funds = &self.funds;
        self.rpc
            .write("TopUpBudget", request, |caller, command, work| {
                funds.top_up_budget(caller, command, work)
            })
            .await
    }

    async fn get_budget_summary(
        &self,
        request: Request<pb::GetBudgetSummaryRequest>,
    ) -> Result<Response<pb::BudgetSummary>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| funds.budget_summary(caller, query))
            .await
    }

    async fn put_relief_standard(
        &self,
        request: Request<pb::PutReliefStandardRequest>,
    ) -> Result<Response<pb::ReliefStandard>, Status> {
        let funds = &self.funds;
        self.rpc
            .write("PutReliefStandard", request, |caller, command, work| {
                funds.put_relief_standard(caller, command, work)
            })
            .await
    }

    async fn list_relief_standards(
        &self,
        request: Request<pb::ListReliefStandardsRequest>,
    ) -> Result<Response<pb::ListReliefStandardsResponse>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| funds.list_standards(caller, query))
            .await
    }

    async fn create_allocation(
        &self,
        request: Request<pb::CreateAllocationRequest>,
    ) -> Result<Response<pb::Allocation>, Status> {
        let funds = &self.funds;
        // An organisation named must be below the committee: parsing needs it.
        let committee = funds.committee.org_id;
        self.rpc
            .write_with(
                "CreateAllocation",
                request,
                |request| AllocationOrder::parse(request, committee),
                |caller, order, work| funds.create_allocation(caller, order, work),
            )
            .await
    }

    async fn get_allocation(
        &self,
        request: Request<pb::GetAllocationRequest>,
    ) -> Result<Response<pb::Allocation>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| funds.get_allocation(caller, query))
            .await
    }

    async fn list_allocations(
        &self,
        request: Request<pb::ListAllocationsRequest>,
    ) -> Result<Response<pb::ListAllocationsResponse>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| {
                funds.list_allocations(caller, query)
            })
            .await
    }

    async fn record_disbursement(
        &self,
        request: Request<pb::RecordDisbursementRequest>,
    ) -> Result<Response<pb::Disbursement>, Status> {
        let funds = &self.funds;
        self.rpc
            .write("RecordDisbursement", request, |caller, command, work| {
                funds.record_disbursement(caller, command, work)
            })
            .await
    }

    async fn get_disbursement(
        &self,
        request: Request<pb::GetDisbursementRequest>,
    ) -> Result<Response<pb::Disbursement>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| {
                funds.get_disbursement(caller, query)
            })
            .await
    }

    async fn list_disbursements(
        &self,
        request: Request<pb::ListDisbursementsRequest>,
    ) -> Result<Response<pb::ListDisbursementsResponse>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| {
                funds.list_disbursements(caller, query)
            })
            .await
    }

    async fn record_receipt(
        &self,
        request: Request<pb::RecordReceiptRequest>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let funds = &self.funds;
        self.rpc
            .write("RecordReceipt", request, |caller, command, work| {
                funds.record_receipt(caller, command, work)
            })
            .await
    }

    async fn run_inspection(
        &self,
        request: Request<pb::RunInspectionRequest>,
    ) -> Result<Response<pb::InspectionReport>, Status> {
        let funds = &self.funds;
        self.rpc
            .write("RunInspection", request, |caller, command, work| {
                funds.run_inspection(caller, command, work)
            })
            .await
    }

    async fn get_inspection_report(
        &self,
        request: Request<pb::GetInspectionReportRequest>,
    ) -> Result<Response<pb::InspectionReport>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| funds.get_report(caller, query))
            .await
    }

    async fn list_inspection_reports(
        &self,
        request: Request<pb::ListInspectionReportsRequest>,
    ) -> Result<Response<pb::ListInspectionReportsResponse>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| funds.list_reports(caller, query))
            .await
    }

    type ExportInspectionStream = FileStream;

    /// A stream, answered whole once the file is written: the pipeline's
    /// read suits it (the chunks cannot fail).
    async fn export_inspection(
        &self,
        request: Request<pb::ExportInspectionRequest>,
    ) -> Result<Response<Self::ExportInspectionStream>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| {
                funds.export_inspection(caller, query)
            })
            .await
    }

    type ExportVouchersStream = FileStream;

    async fn export_vouchers(
        &self,
        request: Request<pb::ExportVouchersRequest>,
    ) -> Result<Response<Self::ExportVouchersStream>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| {
                funds.export_vouchers(caller, query)
            })
            .await
    }

    type ExportReceiptFormsStream = FileStream;

    async fn export_receipt_forms(
        &self,
        request: Request<pb::ExportReceiptFormsRequest>,
    ) -> Result<Response<Self::ExportReceiptFormsStream>, Status> {
        let funds = &self.funds;
        self.rpc
            .read(request, |caller, query| {
                funds.export_receipt_forms(caller, query)
            })
            .await
    }

    async fn verify_audit_chain(
        &self,
        request: Request<common::VerifyAuditChainRequest>,
    ) -> Result<Response<common::VerifyAuditChainResponse>, Status> {
        relief_runtime::audit::verify_chain(&self.rpc, request).await
    }

    async fn list_audit_entries(
        &self,
        request: Request<common::ListAuditEntriesRequest>,
    ) -> Result<Response<common::ListAuditEntriesResponse>, Status> {
        relief_runtime::audit::list_entries(&self.rpc, request).await
    }
}
