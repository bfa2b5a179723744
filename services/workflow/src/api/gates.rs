//! Who may call each workflow RPC at all (see [`relief_runtime::auth::Gates`]):
//! the permissions its handler checks on the application's subtree, asked
//! first of the caller's roles wherever bound.

use relief_runtime::auth::Gate::{AnyOf, ServicePrincipal, SignedIn};
use relief_runtime::auth::Gates;
use relief_runtime::auth::Permission::*;

/// The funds service reports allocations, payments and receipts.
pub const FUNDS: &str = "funds";

pub static APPLICATIONS: Gates = Gates {
    service: "relief.workflow.v1.ApplicationService",
    methods: &[
        (
            "CreateApplication",
            AnyOf(&[ApplicationSubmit, ApplicationSubmitOwn]),
        ),
        (
            "GetApplication",
            AnyOf(&[ApplicationRead, ApplicationReadOwn]),
        ),
        (
            "ListApplications",
            AnyOf(&[ApplicationRead, ApplicationReadOwn]),
        ),
        (
            "UpdateApplication",
            AnyOf(&[ApplicationSubmit, ApplicationSubmitOwn]),
        ),
        (
            "SubmitApplication",
            AnyOf(&[ApplicationSubmit, ApplicationSubmitOwn]),
        ),
        (
            "WithdrawApplication",
            AnyOf(&[ApplicationSubmit, ApplicationSubmitOwn]),
        ),
        (
            "ReturnForMaterial",
            AnyOf(&[BranchReview, SuperiorReview, CommitteePropose]),
        ),
        (
            "ListApplicationSteps",
            AnyOf(&[ApplicationRead, ApplicationReadOwn]),
        ),
        (
            "UploadEvidence",
            AnyOf(&[ApplicationSubmit, ApplicationSubmitOwn, BranchReview]),
        ),
        (
            "ListEvidence",
            AnyOf(&[ApplicationRead, ApplicationReadOwn]),
        ),
        (
            "DownloadEvidence",
            AnyOf(&[ApplicationRead, ApplicationReadOwn]),
        ),
        ("StartBranchReview", AnyOf(&[BranchReview])),
        ("SubmitBranchReview", AnyOf(&[BranchReview])),
        // The notice is public inside the unit (the handler checks the
        // binding covers it) to whoever reads cases — never operations,
        // which sees no personal data. Its members and organisations may
        // object; those who only read (auditors), the committee that decides
        // the case later and finance do not.
        (
            "GetPublicNotice",
            AnyOf(&[ApplicationRead, ApplicationReadOwn]),
        ),
        (
            "ListPublicNotices",
            AnyOf(&[ApplicationRead, ApplicationReadOwn]),
        ),
        (
            "RaiseObjection",
            AnyOf(&[ObjectionRaise, ApplicationReadOwn]),
        ),
        ("ResolveObjection", AnyOf(&[BranchReview])),
        ("SubmitSuperiorReview", AnyOf(&[SuperiorReview])),
        ("RecordFundsProgress", ServicePrincipal(FUNDS)),
        (
            "ExportApprovalForm",
            AnyOf(&[ExportForms, ApplicationReadOwn]),
        ),
    ],
};

pub static COMMITTEE: Gates = Gates {
    service: "relief.workflow.v1.CommitteeService",
    methods: &[
        ("CreateCommitteeProposal", AnyOf(&[CommitteePropose])),
        ("RecordCommitteeDecision", AnyOf(&[CommitteeDecide])),
    ],
};

pub static CALENDAR: Gates = Gates {
    service: "relief.workflow.v1.CalendarService",
    methods: &[
        ("GetSpringFestival", SignedIn),
        ("GetHolidayCalendar", SignedIn),
        ("PutHolidayCalendar", AnyOf(&[CampaignManage])),
        ("GetWorkflowSettings", SignedIn),
        ("UpdateWorkflowSettings", AnyOf(&[CampaignManage])),
    ],
};

/// The yearly campaign: the department manages; branches verify their rows
/// and hold their meeting and notice (Verify); the unit collects and
/// submits (CampaignSubmit); whoever reads the register reads it.
pub static CAMPAIGNS: Gates = Gates {
    service: "relief.workflow.v1.CampaignService",
    methods: &[
        ("OpenCampaign", AnyOf(&[CampaignManage])),
        ("GetCampaign", AnyOf(&[RecordRead])),
        ("ListCampaigns", AnyOf(&[RecordRead])),
        ("UpdateCampaign", AnyOf(&[CampaignManage])),
        ("CloseCampaign", AnyOf(&[CampaignManage])),
        ("IssueSummaryForms", AnyOf(&[CampaignManage])),
        ("GetCampaignUnit", AnyOf(&[RecordRead])),
        ("ListCampaignUnits", AnyOf(&[RecordRead])),
        ("GetCampaignProgress", AnyOf(&[RecordRead])),
        ("RecordFormCollection", AnyOf(&[CampaignSubmit])),
        ("ListVerificationRows", AnyOf(&[RecordRead])),
        ("RecordRowVerification", AnyOf(&[Verify])),
        ("RecordBranchMeeting", AnyOf(&[Verify])),
        ("RecordCampaignNoticeResult", AnyOf(&[Verify])),
        ("SubmitUnitSummary", AnyOf(&[CampaignSubmit])),
        ("AcceptUnitSummary", AnyOf(&[CampaignManage])),
        ("ReturnUnitSummary", AnyOf(&[CampaignManage])),
        ("ExportSummaryForm", AnyOf(&[ExportForms])),
        ("ExportCampaignOverview", AnyOf(&[ExportForms])),
    ],
};

pub static AUDIT: Gates = Gates {
    service: "relief.workflow.v1.AuditService",
    methods: &[
        ("VerifyAuditChain", AnyOf(&[AuditRead])),
        ("ListAuditEntries", AnyOf(&[AuditRead])),
    ],
};

/// Every gate table this process serves.
pub static ALL: [&Gates; 5] = [&APPLICATIONS, &COMMITTEE, &CALENDAR, &CAMPAIGNS, &AUDIT];

#[cfg(test)]
mod tests {
    #[test]
    fn every_workflow_rpc_has_a_gate() {
        for gates in super::ALL {
            assert_eq!(
                gates.mismatches(),
                Vec::<String>::new(),
                "{}",
                gates.service
            );
        }
    }
}
