//! 年度核查 — the CampaignService (SPEC §5; notice §二–§三), on the same
//! pipeline as the cases: the department opens a campaign and issues each
//! unit its summary form ([`campaigns`]); branches verify their rows
//! ([`rows`]), hold their meeting and notice; the unit collects and
//! submits, the department accepts — writing the outcomes to the register
//! ([`acceptance`]) — or returns ([`units`]). Who may do what is
//! [`access`]; the answers are built in [`convert`]; the 汇总表 is
//! [`summary_form`] and the department's [`overview`]; the reminders to the notification service are
//! [`reminders`].

mod acceptance;
mod access;
mod campaigns;
mod convert;
mod overview;
mod queries;
mod reminders;
mod rows;
mod submission;
mod summary_form;
mod units;

use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::campaign_service_server::CampaignService;
use relief_runtime::files::FileStream;
use tonic::{Request, Response, Status};

use self::queries::{ById, CampaignQuery, ProgressQuery, RowQuery, UnitQuery};
use super::WorkflowApi;
use crate::domain::campaign_findings::{MeetingEntry, NoticeEntry, RowFindings};
use crate::domain::campaign_requests::{
    CampaignChange, Collection, Issue, NewCampaign, Submission, SummaryReturn, Versioned,
};
#[tonic::async_trait]
impl CampaignService for WorkflowApi {
    async fn open_campaign(
        &self,
        request: Request<pb::OpenCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        self.rpc
            .write(
                "OpenCampaign",
                request,
                |caller, command: NewCampaign, work| self.campaign_open(caller, command, work),
            )
            .await
    }

    async fn get_campaign(
        &self,
        request: Request<pb::GetCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        self.rpc
            .read(request, |caller, query: ById| {
                self.campaign_get(caller, query)
            })
            .await
    }

    async fn list_campaigns(
        &self,
        request: Request<pb::ListCampaignsRequest>,
    ) -> Result<Response<pb::ListCampaignsResponse>, Status> {
        self.rpc
            .read(request, |caller, query: CampaignQuery| {
                self.campaign_list(caller, query)
            })
            .await
    }

    async fn update_campaign(
        &self,
        request: Request<pb::UpdateCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        self.rpc
            .write(
                "UpdateCampaign",
                request,
                |caller, command: CampaignChange, work| self.campaign_update(caller, command, work),
            )
            .await
    }

    async fn close_campaign(
        &self,
        request: Request<pb::CloseCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        self.rpc
            .write(
                "CloseCampaign",
                request,
                |caller, command: Versioned, work| self.campaign_close(caller, command, work),
            )
            .await
    }

    async fn issue_summary_forms(
        &self,
        request: Request<pb::IssueSummaryFormsRequest>,
    ) -> Result<Response<pb::IssueSummaryFormsResponse>, Status> {
        self.rpc
            .write(
                "IssueSummaryForms",
                request,
                |caller, command: Issue, work| self.forms_issue(caller, command, work),
            )
            .await
    }

    async fn get_campaign_unit(
        &self,
        request: Request<pb::GetCampaignUnitRequest>,
    ) -> Result<Response<pb::CampaignUnit>, Status> {
        self.rpc
            .read(request, |caller, query: ById| self.unit_get(caller, query))
            .await
    }

    async fn list_campaign_units(
        &self,
        request: Request<pb::ListCampaignUnitsRequest>,
    ) -> Result<Response<pb::ListCampaignUnitsResponse>, Status> {
        self.rpc
            .read(request, |caller, query: UnitQuery| {
                self.unit_list(caller, query)
            })
            .await
    }

    async fn get_campaign_progress(
        &self,
        request: Request<pb::GetCampaignProgressRequest>,
    ) -> Result<Response<pb::CampaignProgress>, Status> {
        self.rpc
            .read(request, |caller, query: ProgressQuery| {
                self.campaign_progress(caller, query)
            })
            .await
    }

    async fn record_form_collection(
        &self,
        request: Request<pb::RecordFormCollectionRequest>,
    ) -> Result<Response<pb::CampaignUnit>, Status> {
        self.rpc
            .write(
                "RecordFormCollection",
                request,
                |caller, command: Collection, work| self.unit_collect(caller, command, work),
            )
            .await
    }

    async fn list_verification_rows(
        &self,
        request: Request<pb::ListVerificationRowsRequest>,
    ) -> Result<Response<pb::ListVerificationRowsResponse>, Status> {
        self.rpc
            .read(request, |caller, query: RowQuery| {
                self.row_list(caller, query)
            })
            .await
    }

    async fn record_row_verification(
        &self,
        request: Request<pb::RecordRowVerificationRequest>,
    ) -> Result<Response<pb::VerificationRow>, Status> {
        self.rpc
            .write(
                "RecordRowVerification",
                request,
                |caller, command: RowFindings, work| self.row_verify(caller, command, work),
            )
            .await
    }

    async fn record_branch_meeting(
        &self,
        request: Request<pb::RecordBranchMeetingRequest>,
    ) -> Result<Response<pb::CampaignUnit>, Status> {
        self.rpc
            .write(
                "RecordBranchMeeting",
                request,
                |caller, command: MeetingEntry, work| self.unit_meeting(caller, command, work),
            )
            .await
    }

    async fn record_campaign_notice_result(
        &self,
        request: Request<pb::RecordCampaignNoticeResultRequest>,
    ) -> Result<Response<pb::CampaignUnit>, Status> {
        self.rpc
            .write(
                "RecordCampaignNoticeResult",
                request,
                |caller, command: NoticeEntry, work| self.unit_notice(caller, command, work),
            )
            .await
    }

    async fn submit_unit_summary(
        &self,
        request: Request<pb::SubmitUnitSummaryRequest>,
    ) -> Result<Response<pb::CampaignUnit>, Status> {
        self.rpc
            .write(
                "SubmitUnitSummary",
                request,
                |caller, command: Submission, work| self.unit_submit(caller, command, work),
            )
            .await
    }

    async fn accept_unit_summary(
        &self,
        request: Request<pb::AcceptUnitSummaryRequest>,
    ) -> Result<Response<pb::CampaignUnit>, Status> {
        self.rpc
            .write(
                "AcceptUnitSummary",
                request,
                |caller, command: Versioned, work| self.unit_accept(caller, command, work),
            )
            .await
    }

    async fn return_unit_summary(
        &self,
        request: Request<pb::ReturnUnitSummaryRequest>,
    ) -> Result<Response<pb::CampaignUnit>, Status> {
        self.rpc
            .write(
                "ReturnUnitSummary",
                request,
                |caller, command: SummaryReturn, work| self.unit_return(caller, command, work),
            )
            .await
    }

    type ExportCampaignOverviewStream = FileStream;

    async fn export_campaign_overview(
        &self,
        request: Request<pb::ExportCampaignOverviewRequest>,
    ) -> Result<Response<Self::ExportCampaignOverviewStream>, Status> {
        self.rpc
            .read(request, |caller, query: ById| {
                self.campaign_overview_file(caller, query)
            })
            .await
    }

    type ExportSummaryFormStream = FileStream;

    async fn export_summary_form(
        &self,
        request: Request<pb::ExportSummaryFormRequest>,
    ) -> Result<Response<Self::ExportSummaryFormStream>, Status> {
        self.rpc
            .read(request, |caller, query: ById| {
                self.summary_form_file(caller, query)
            })
            .await
    }
}
