//! The gRPC surface of the workflow. Each handler is one call into the
//! runtime's pipeline (`relief_runtime::rpc`): authenticate, parse into a
//! command of [`crate::domain`] (every bad field at once), and for a write
//! claim the `request_id` and run the act in one transaction. The acts, in
//! this module's children, lock the application, authorise on its branch
//! path ([`access`]), move it along its path ([`flow`]) and store the change.

mod access;
mod applications;
mod calendar;
mod campaign;
mod committee;
mod convert;
mod deadlines;
mod evidence;
mod flow;
mod forms;
mod funds;
pub mod gates;
mod notices;
mod queries;
mod reminders;
mod reviews;

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::application_service_server::ApplicationService;
use relief_proto::workflow::v1::audit_service_server::AuditService;
use relief_runtime::rpc::Rpc;
use relief_runtime::sealing::Sealer;
use tonic::{Request, Response, Status, Streaming};

use crate::courier::Funds;
use crate::domain::application::{ApplicationChange, NewApplication};
use crate::domain::review::{BranchOpinion, ReturnOrder, Step, SuperiorOpinion, Withdrawal};
use crate::register::Register;
use crate::store::Store;

pub use queries::{ApplicationQuery, ApplicationRead, StepQuery};

/// The workflow acting by itself, on one of its timers: nobody did it; the
/// service did. `timer` names which in the trail (公示期满, 核查提醒, …).
fn system_actor(timer: &str) -> common::Actor {
    common::Actor {
        user_id: "system:workflow".to_owned(),
        display_name: format!("系统（{timer}）"),
    }
}

/// Every service of the workflow process, over one pipeline and one store.
#[derive(Clone)]
pub struct WorkflowApi {
    rpc: Rpc,
    store: Store,
    register: Register,
    funds: Funds,
    sealer: Sealer,
}

impl WorkflowApi {
    pub fn new(rpc: Rpc, register: Register, funds: Funds, sealer: Sealer) -> Self {
        let store = Store::new(rpc.pool().clone());
        WorkflowApi {
            rpc,
            store,
            register,
            funds,
            sealer,
        }
    }
}

use relief_runtime::files::FileStream;

#[tonic::async_trait]
impl ApplicationService for WorkflowApi {
    async fn create_application(
        &self,
        request: Request<pb::CreateApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "CreateApplication",
                request,
                |caller, command: NewApplication, work| self.create(caller, command, work),
            )
            .await
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .read(request, |caller, query: ApplicationRead| {
                self.get(caller, query)
            })
            .await
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        self.rpc
            .read(request, |caller, query: ApplicationQuery| {
                self.list(caller, query)
            })
            .await
    }

    async fn update_application(
        &self,
        request: Request<pb::UpdateApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "UpdateApplication",
                request,
                |caller, command: ApplicationChange, work| self.update(caller, command, work),
            )
            .await
    }

    async fn submit_application(
        &self,
        request: Request<pb::SubmitApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "SubmitApplication",
                request,
                |caller, command: Step, work| self.submit(caller, command, work),
            )
            .await
    }

    async fn withdraw_application(
        &self,
        request: Request<pb::WithdrawApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "WithdrawApplication",
                request,
                |caller, command: Withdrawal, work| self.withdraw(caller, command, work),
            )
            .await
    }

    async fn return_for_material(
        &self,
        request: Request<pb::ReturnForMaterialRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "ReturnForMaterial",
                request,
                |caller, command: ReturnOrder, work| {
                    self.return_for_material_act(caller, command, work)
                },
            )
            .await
    }

    async fn list_application_steps(
        &self,
        request: Request<pb::ListApplicationStepsRequest>,
    ) -> Result<Response<pb::ListApplicationStepsResponse>, Status> {
        self.rpc
            .read(request, |caller, query: StepQuery| {
                self.steps(caller, query)
            })
            .await
    }

    async fn upload_evidence(
        &self,
        request: Request<Streaming<pb::UploadEvidenceRequest>>,
    ) -> Result<Response<pb::Evidence>, Status> {
        self.evidence_upload(request).await
    }

    async fn list_evidence(
        &self,
        request: Request<pb::ListEvidenceRequest>,
    ) -> Result<Response<pb::ListEvidenceResponse>, Status> {
        self.evidence_list(request).await
    }

    type DownloadEvidenceStream = FileStream;

    async fn download_evidence(
        &self,
        request: Request<pb::DownloadEvidenceRequest>,
    ) -> Result<Response<Self::DownloadEvidenceStream>, Status> {
        self.evidence_download(request).await
    }

    async fn start_branch_review(
        &self,
        request: Request<pb::StartBranchReviewRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "StartBranchReview",
                request,
                |caller, command: Step, work| self.start_branch_review_act(caller, command, work),
            )
            .await
    }

    async fn submit_branch_review(
        &self,
        request: Request<pb::SubmitBranchReviewRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "SubmitBranchReview",
                request,
                |caller, command: BranchOpinion, work| self.branch_review(caller, command, work),
            )
            .await
    }

    async fn get_public_notice(
        &self,
        request: Request<pb::GetPublicNoticeRequest>,
    ) -> Result<Response<pb::PublicNotice>, Status> {
        self.notice_get(request).await
    }

    async fn list_public_notices(
        &self,
        request: Request<pb::ListPublicNoticesRequest>,
    ) -> Result<Response<pb::ListPublicNoticesResponse>, Status> {
        self.notice_list(request).await
    }

    async fn raise_objection(
        &self,
        request: Request<pb::RaiseObjectionRequest>,
    ) -> Result<Response<pb::Objection>, Status> {
        self.objection_raise(request).await
    }

    async fn resolve_objection(
        &self,
        request: Request<pb::ResolveObjectionRequest>,
    ) -> Result<Response<pb::Objection>, Status> {
        self.objection_resolve(request).await
    }

    async fn submit_superior_review(
        &self,
        request: Request<pb::SubmitSuperiorReviewRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "SubmitSuperiorReview",
                request,
                |caller, command: SuperiorOpinion, work| {
                    self.superior_review(caller, command, work)
                },
            )
            .await
    }

    async fn record_funds_progress(
        &self,
        request: Request<pb::RecordFundsProgressRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.funds_progress(request).await
    }

    type ExportApprovalFormStream = FileStream;

    async fn export_approval_form(
        &self,
        request: Request<pb::ExportApprovalFormRequest>,
    ) -> Result<Response<Self::ExportApprovalFormStream>, Status> {
        self.approval_form_export(request).await
    }
}

#[tonic::async_trait]
impl AuditService for WorkflowApi {
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
