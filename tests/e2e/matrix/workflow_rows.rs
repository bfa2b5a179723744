//! The workflow's rows (relief.workflow.v1: applications, committee,
//! calendar, audit); the reviews, the notice and the committee's are in
//! [`super::review_rows`]. What each needs, from SPEC §1, §4 and issue 10:
//! applicants create and see only their own cases, branch staff their
//! branch's, superior organisations their subtree's, the department and the
//! committee all, auditors read; a case a caller may not read is hidden
//! (`NOT_FOUND`). The calendar and settings are the department's, at the
//! committee.

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Permission::*;

use super::fixture::{Cases, Fixture};
use super::rows::{APPLICATIONS, AUDIT, CALENDAR, Need, Row, STALE_ETAG, Scope, Target, msg, rid};

const READ_CASE: Need = Need::Case {
    any: &[ApplicationRead],
    own: &[ApplicationReadOwn],
};
const SUBMIT_CASE: Need = Need::Case {
    any: &[ApplicationSubmit],
    own: &[ApplicationSubmitOwn],
};

pub fn cases(f: &Fixture, t: Target) -> &Cases {
    &f.at(t).cases
}

pub fn id_of(app: &pb::Application) -> String {
    app.application_id.clone()
}

pub fn rows() -> Vec<Row> {
    let mut rows = applications();
    rows.extend(super::review_rows::rows());
    rows.extend(others());
    rows
}

/// The case and its proof, as the applicant's side sees them.
fn applications() -> Vec<Row> {
    use Scope::Target as In;
    vec![
        // The target's applicant, aimed at another branch than theirs: the
        // caller is authorised on the member's branch, then refused.
        Row::new(
            APPLICATIONS,
            "CreateApplication",
            SUBMIT_CASE,
            In,
            |f, t| {
                let mut application = cases(f, t).submitted.clone();
                application.branch = Some(common::OrgRef {
                    org_id: f.unit_u.org_id,
                    ..Default::default()
                });
                msg(pb::CreateApplicationRequest {
                    request_id: rid(),
                    application: Some(application),
                })
            },
        ),
        Row::new(APPLICATIONS, "GetApplication", READ_CASE, In, |f, t| {
            msg(pb::GetApplicationRequest {
                application_id: id_of(&cases(f, t).submitted),
                ..Default::default()
            })
        })
        .hidden(),
        Row::new(
            APPLICATIONS,
            "GetApplication",
            Need::AllOf(&[ApplicationRead, SensitiveRead]),
            In,
            |f, t| {
                msg(pb::GetApplicationRequest {
                    application_id: id_of(&cases(f, t).submitted),
                    reveal_sensitive: true,
                    reveal_reason: "矩阵测试：核对家庭收入".into(),
                })
            },
        )
        .variant("reveal household")
        .gate(READ_CASE)
        .hidden(),
        Row::new(APPLICATIONS, "ListApplications", READ_CASE, In, |f, t| {
            msg(pb::ListApplicationsRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        Row::new(
            APPLICATIONS,
            "UpdateApplication",
            SUBMIT_CASE,
            In,
            |f, t| {
                let mut application = cases(f, t).submitted.clone();
                application.etag = STALE_ETAG.into();
                application.description = "补充：老人住院".into();
                msg(pb::UpdateApplicationRequest {
                    request_id: rid(),
                    application: Some(application),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["description".into()],
                    }),
                })
            },
        )
        .hidden(),
        Row::new(
            APPLICATIONS,
            "SubmitApplication",
            SUBMIT_CASE,
            In,
            |f, t| {
                msg(pb::SubmitApplicationRequest {
                    request_id: rid(),
                    application_id: id_of(&cases(f, t).submitted),
                    etag: STALE_ETAG.into(),
                    comment: String::new(),
                })
            },
        )
        .hidden(),
        Row::new(
            APPLICATIONS,
            "WithdrawApplication",
            SUBMIT_CASE,
            In,
            |f, t| {
                msg(pb::WithdrawApplicationRequest {
                    request_id: rid(),
                    application_id: id_of(&cases(f, t).submitted),
                    etag: STALE_ETAG.into(),
                    reason: "矩阵测试".into(),
                })
            },
        )
        .hidden(),
        Row::new(
            APPLICATIONS,
            "ListApplicationSteps",
            READ_CASE,
            In,
            |f, t| {
                msg(pb::ListApplicationStepsRequest {
                    application_id: id_of(&cases(f, t).submitted),
                    ..Default::default()
                })
            },
        )
        .hidden(),
        // The metadata alone, for a case with the superior organisation:
        // proof is no longer added there.
        Row::new(APPLICATIONS, "UploadEvidence", SUBMIT_CASE, In, |f, t| {
            use pb::upload_evidence_request::Content;
            msg(pb::UploadEvidenceRequest {
                request_id: rid(),
                content: Some(Content::Metadata(pb::EvidenceUpload {
                    application_id: id_of(&cases(f, t).superior),
                    kind: pb::EvidenceKind::Other as i32,
                    file_name: "说明.pdf".into(),
                    content_type: "application/pdf".into(),
                    description: "矩阵测试".into(),
                    ..Default::default()
                })),
            })
        })
        .hidden(),
        Row::new(APPLICATIONS, "ListEvidence", READ_CASE, In, |f, t| {
            msg(pb::ListEvidenceRequest {
                application_id: id_of(&cases(f, t).submitted),
                ..Default::default()
            })
        })
        .hidden(),
        Row::new(APPLICATIONS, "DownloadEvidence", READ_CASE, In, |f, t| {
            msg(pb::DownloadEvidenceRequest {
                evidence_id: cases(f, t).evidence_id.clone(),
                reason: "矩阵测试：核对证明".into(),
            })
        })
        .hidden(),
        Row::new(
            APPLICATIONS,
            "ExportApprovalForm",
            Need::Case {
                any: &[ExportForms],
                own: &[ApplicationReadOwn],
            },
            In,
            |f, t| {
                msg(pb::ExportApprovalFormRequest {
                    application_id: id_of(&cases(f, t).submitted),
                })
            },
        )
        .hidden(),
    ]
}

/// Funds' reports, the calendar, the audit trail.
fn others() -> Vec<Row> {
    use Need::{AnyOf, ServicePrincipal, SignedIn};
    use Scope::{Anywhere, Committee};
    const KEEPER: Need = AnyOf(&[CampaignManage]);
    vec![
        Row::new(
            APPLICATIONS,
            "RecordFundsProgress",
            ServicePrincipal("funds"),
            Anywhere,
            |f, _| {
                msg(pb::RecordFundsProgressRequest {
                    request_id: rid(),
                    application_id: id_of(&cases(f, Target::Own).superior),
                    stage: pb::FundsStage::Allocated as i32,
                    allocation_id: uuid::Uuid::new_v4().to_string(),
                    ..Default::default()
                })
            },
        ),
        Row::new(CALENDAR, "GetSpringFestival", SignedIn, Anywhere, |f, _| {
            msg(pb::GetSpringFestivalRequest { year: f.year })
        }),
        Row::new(
            CALENDAR,
            "GetHolidayCalendar",
            SignedIn,
            Anywhere,
            |f, _| msg(pb::GetHolidayCalendarRequest { year: f.year }),
        ),
        Row::new(CALENDAR, "PutHolidayCalendar", KEEPER, Committee, |f, _| {
            msg(pb::PutHolidayCalendarRequest {
                request_id: rid(),
                calendar: Some(pb::HolidayCalendar {
                    year: f.year + 1,
                    entries: vec![pb::HolidayEntry {
                        date: Some(common::Date {
                            year: f.year + 1,
                            month: 1,
                            day: 1,
                        }),
                        kind: pb::HolidayKind::Holiday as i32,
                        name: "元旦".into(),
                    }],
                    source: "国务院办公厅通知（矩阵测试）".into(),
                    etag: STALE_ETAG.into(),
                    ..Default::default()
                }),
                reason: "矩阵测试".into(),
            })
        }),
        Row::new(
            CALENDAR,
            "GetWorkflowSettings",
            SignedIn,
            Anywhere,
            |_, _| msg(pb::GetWorkflowSettingsRequest {}),
        ),
        Row::new(
            CALENDAR,
            "UpdateWorkflowSettings",
            KEEPER,
            Committee,
            |_, _| {
                msg(pb::UpdateWorkflowSettingsRequest {
                    request_id: rid(),
                    settings: Some(pb::WorkflowSettings {
                        notice_days: 7,
                        etag: STALE_ETAG.into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["notice_days".into()],
                    }),
                    reason: "矩阵测试".into(),
                })
            },
        ),
        Row::new(
            AUDIT,
            "VerifyAuditChain",
            AnyOf(&[AuditRead]),
            Committee,
            |_, _| msg(common::VerifyAuditChainRequest {}),
        ),
        Row::new(
            AUDIT,
            "ListAuditEntries",
            AnyOf(&[AuditRead]),
            Committee,
            |_, _| msg(common::ListAuditEntriesRequest::default()),
        ),
    ]
}
