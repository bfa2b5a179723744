//! The campaign's rows (relief.workflow.v1.CampaignService, issue 11): the
//! department opens, issues, accepts and returns, at the committee;
//! branches verify their own rows and hold their meeting and notice; the
//! unit — its superior organisation — collects and submits; whoever reads
//! the register reads campaigns and the units they are bound over or
//! inside (a branch sees its unit's progress, never another unit's).

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Permission::*;

use super::fixture::Fixture;
use super::rows::{CAMPAIGNS, CampaignAct, Need, Row, STALE_ETAG, Scope, Target, msg, rid};

const MANAGE: Need = Need::AnyOf(&[CampaignManage]);
const READ: Need = Need::AnyOf(&[RecordRead]);

fn index(t: Target) -> usize {
    match t {
        Target::Own => 0,
        Target::Sibling => 1,
        Target::Other => 2,
    }
}

fn unit_id(f: &Fixture, t: Target) -> String {
    f.campaign.units[index(t)].campaign_unit_id.clone()
}

fn campaign_id(f: &Fixture) -> String {
    f.campaign.campaign.campaign_id.clone()
}

fn today() -> Option<common::Date> {
    Some(relief_runtime::time::to_proto(relief_runtime::time::today()))
}

fn checklist() -> Vec<pb::ExclusionCheck> {
    (1..=6)
        .map(|ground| pb::ExclusionCheck {
            ground,
            checked: true,
            applies: false,
            note: "矩阵测试：无此情形".into(),
        })
        .collect()
}

pub fn rows() -> Vec<Row> {
    let mut rows = department();
    rows.extend(units());
    rows
}

/// The department's acts and the campaign-wide reads.
fn department() -> Vec<Row> {
    use Scope::{Anywhere, Committee};
    vec![
        // The fixture's year has its campaign: refused as a duplicate once
        // the department is let in.
        Row::new(CAMPAIGNS, "OpenCampaign", MANAGE, Committee, |f, _| {
            msg(pb::OpenCampaignRequest {
                request_id: rid(),
                campaign: Some(pb::Campaign {
                    year: f.year,
                    title: "矩阵测试".into(),
                    collect_by_date: today(),
                    submit_by_date: today(),
                    ..Default::default()
                }),
            })
        }),
        Row::new(CAMPAIGNS, "GetCampaign", READ, Anywhere, |f, _| {
            msg(pb::GetCampaignRequest {
                campaign_id: campaign_id(f),
            })
        }),
        Row::new(CAMPAIGNS, "ListCampaigns", READ, Anywhere, |_, _| {
            msg(pb::ListCampaignsRequest::default())
        }),
        Row::new(CAMPAIGNS, "UpdateCampaign", MANAGE, Committee, |f, _| {
            msg(pb::UpdateCampaignRequest {
                request_id: rid(),
                campaign: Some(pb::Campaign {
                    campaign_id: campaign_id(f),
                    etag: STALE_ETAG.into(),
                    title: "矩阵测试".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["title".into()],
                }),
                reason: "矩阵测试".into(),
            })
        }),
        Row::new(CAMPAIGNS, "CloseCampaign", MANAGE, Committee, |f, _| {
            msg(pb::CloseCampaignRequest {
                request_id: rid(),
                campaign_id: campaign_id(f),
                etag: STALE_ETAG.into(),
                comment: "矩阵测试".into(),
            })
        }),
        // Issued already: every unit is left as it is.
        Row::new(CAMPAIGNS, "IssueSummaryForms", MANAGE, Committee, |f, _| {
            msg(pb::IssueSummaryFormsRequest {
                request_id: rid(),
                campaign_id: campaign_id(f),
                unit_org_ids: Vec::new(),
            })
        }),
        Row::new(CAMPAIGNS, "ListCampaignUnits", READ, Anywhere, |f, _| {
            msg(pb::ListCampaignUnitsRequest {
                campaign_id: campaign_id(f),
                ..Default::default()
            })
        }),
        Row::new(CAMPAIGNS, "GetCampaignProgress", READ, Anywhere, |f, _| {
            msg(pb::GetCampaignProgressRequest {
                campaign_id: campaign_id(f),
                org_id: 0,
            })
        }),
        // Every unit the caller sees (none, for a caller who sees none).
        Row::new(
            CAMPAIGNS,
            "ExportCampaignOverview",
            Need::AnyOf(&[ExportForms]),
            Anywhere,
            |f, _| {
                msg(pb::ExportCampaignOverviewRequest {
                    campaign_id: campaign_id(f),
                })
            },
        ),
        Row::new(CAMPAIGNS, "AcceptUnitSummary", MANAGE, Committee, |f, t| {
            msg(pb::AcceptUnitSummaryRequest {
                request_id: rid(),
                campaign_unit_id: unit_id(f, t),
                etag: STALE_ETAG.into(),
                comment: String::new(),
            })
        }),
        Row::new(CAMPAIGNS, "ReturnUnitSummary", MANAGE, Committee, |f, t| {
            msg(pb::ReturnUnitSummaryRequest {
                request_id: rid(),
                campaign_unit_id: unit_id(f, t),
                etag: STALE_ETAG.into(),
                reason: "矩阵测试".into(),
                row_ids: Vec::new(),
            })
        }),
    ]
}

/// A unit's form, its rows, its branches' meetings and notices.
fn units() -> Vec<Row> {
    use CampaignAct::{Branch, Read, Unit};
    vec![
        Row::new(
            CAMPAIGNS,
            "GetCampaignUnit",
            READ,
            Scope::Campaign(Read),
            |f, t| {
                msg(pb::GetCampaignUnitRequest {
                    campaign_unit_id: unit_id(f, t),
                })
            },
        )
        .hidden(),
        Row::new(
            CAMPAIGNS,
            "ListVerificationRows",
            READ,
            Scope::Campaign(Read),
            |f, t| {
                msg(pb::ListVerificationRowsRequest {
                    campaign_unit_id: unit_id(f, t),
                    ..Default::default()
                })
            },
        )
        .hidden(),
        // A branch inside the unit exports its own rows of the form.
        Row::new(
            CAMPAIGNS,
            "ExportSummaryForm",
            Need::AnyOf(&[ExportForms]),
            Scope::Campaign(Read),
            |f, t| {
                msg(pb::ExportSummaryFormRequest {
                    campaign_unit_id: unit_id(f, t),
                })
            },
        )
        .hidden(),
        Row::new(
            CAMPAIGNS,
            "RecordFormCollection",
            Need::AnyOf(&[CampaignSubmit]),
            Scope::Campaign(Unit),
            |f, t| {
                msg(pb::RecordFormCollectionRequest {
                    request_id: rid(),
                    campaign_unit_id: unit_id(f, t),
                    etag: STALE_ETAG.into(),
                    collected_by_name: "矩阵".into(),
                    collect_time: None,
                })
            },
        )
        .hidden(),
        Row::new(
            CAMPAIGNS,
            "SubmitUnitSummary",
            Need::AnyOf(&[CampaignSubmit]),
            Scope::Campaign(Unit),
            |f, t| {
                msg(pb::SubmitUnitSummaryRequest {
                    request_id: rid(),
                    campaign_unit_id: unit_id(f, t),
                    etag: STALE_ETAG.into(),
                    submission: Some(pb::UnitSubmission {
                        signer_name: "矩阵".into(),
                        signer_title: "书记".into(),
                        signed_date: today(),
                        sealed: true,
                        scan_sha256: "ab".repeat(32),
                        ..Default::default()
                    }),
                    new_members: Vec::new(),
                })
            },
        )
        .hidden(),
        // The row lies in the target's branch: hidden from who may not
        // read that branch.
        Row::new(
            CAMPAIGNS,
            "RecordRowVerification",
            Need::AnyOf(&[Verify]),
            Scope::Target,
            |f, t| {
                let row = &f.campaign.rows[index(t)];
                msg(pb::RecordRowVerificationRequest {
                    request_id: rid(),
                    row: Some(pb::VerificationRow {
                        row_id: row.row_id.clone(),
                        etag: STALE_ETAG.into(),
                        outcome: common::VerificationOutcome::Continue as i32,
                        findings: "矩阵测试：仍然困难".into(),
                        exclusion_checks: checklist(),
                        ..Default::default()
                    }),
                })
            },
        )
        .hidden(),
        Row::new(
            CAMPAIGNS,
            "RecordBranchMeeting",
            Need::AnyOf(&[Verify]),
            Scope::Campaign(Branch),
            |f, t| {
                msg(pb::RecordBranchMeetingRequest {
                    request_id: rid(),
                    campaign_unit_id: unit_id(f, t),
                    etag: STALE_ETAG.into(),
                    branch_org_id: f.at(t).org.org_id,
                    meeting_date: today(),
                    attendance: 9,
                    resolution: "矩阵测试".into(),
                })
            },
        )
        .hidden(),
        Row::new(
            CAMPAIGNS,
            "RecordCampaignNoticeResult",
            Need::AnyOf(&[Verify]),
            Scope::Campaign(Branch),
            |f, t| {
                msg(pb::RecordCampaignNoticeResultRequest {
                    request_id: rid(),
                    campaign_unit_id: unit_id(f, t),
                    etag: STALE_ETAG.into(),
                    branch_org_id: f.at(t).org.org_id,
                    start_date: today(),
                    end_date: today(),
                    outcome: pb::CampaignNoticeOutcome::NoObjection as i32,
                    note: String::new(),
                })
            },
        )
        .hidden(),
    ]
}
