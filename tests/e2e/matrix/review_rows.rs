//! The workflow's rows for the reviews at each level, the public notice and
//! the committee. Each level reviews at its own node: the branch, its
//! superior organisation, the committee (the department proposes, the
//! meeting decides); a caller who may not read the case is told nothing of
//! it (`NOT_FOUND`). The public notice is public inside the unit — the
//! branch and the organisations above it — and anyone there may object, but
//! the auditor only reads (SPEC §1) and operations sees no personal data.

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Permission::*;
use relief_runtime::auth::Role;

use super::rows::{APPLICATIONS, COMMITTEE, Level, Need, Row, STALE_ETAG, Scope, Target, msg, rid};
use super::workflow_rows::{cases, id_of};

/// ReturnForMaterial's gate: a reviewer at any level.
const REVIEWER: Need = Need::AnyOf(&[BranchReview, SuperiorReview, CommitteePropose]);
/// Who sees the notice: everyone in the unit but operations.
const SEES_NOTICE: Need = Need::InUnit(&[Role::Operations]);
/// Who objects: the unit's members and its organisations — not those who
/// only read (auditor, operations), nor the committee that decides the case
/// later and finance that books it.
const OBJECTS: Need = Need::InUnit(&[
    Role::Operations,
    Role::Auditor,
    Role::Committee,
    Role::Finance,
]);

fn today() -> Option<common::Date> {
    Some(relief_runtime::time::to_proto(relief_runtime::time::today()))
}
/// The reviews, the notice and the committee.
pub fn rows() -> Vec<Row> {
    use Scope::{Above, Target as In};
    vec![
        Row::new(
            APPLICATIONS,
            "StartBranchReview",
            Need::AnyOf(&[BranchReview]),
            In,
            |f, t| {
                msg(pb::StartBranchReviewRequest {
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
            "SubmitBranchReview",
            Need::AnyOf(&[BranchReview]),
            In,
            |f, t| {
                msg(pb::SubmitBranchReviewRequest {
                    request_id: rid(),
                    application_id: id_of(&cases(f, t).in_review),
                    etag: STALE_ETAG.into(),
                    review: Some(super::fixture::approval()),
                    ..Default::default()
                })
            },
        )
        .hidden(),
        Row::new(
            APPLICATIONS,
            "ReturnForMaterial",
            Need::AnyOf(&[BranchReview]),
            In,
            |f, t| return_for_material(&cases(f, t).in_review),
        )
        .variant("in branch review")
        .gate(REVIEWER)
        .hidden(),
        Row::new(
            APPLICATIONS,
            "ReturnForMaterial",
            Need::AnyOf(&[SuperiorReview]),
            Above(Level::Superior),
            |f, t| return_for_material(&cases(f, t).superior),
        )
        .variant("in superior review")
        .gate(REVIEWER)
        .hidden(),
        // A case in any other state is the committee's to return.
        Row::new(
            APPLICATIONS,
            "ReturnForMaterial",
            Need::AnyOf(&[CommitteePropose]),
            Above(Level::Committee),
            |f, t| return_for_material(&cases(f, t).submitted),
        )
        .variant("at the committee")
        .gate(REVIEWER)
        .hidden(),
        Row::new(APPLICATIONS, "GetPublicNotice", SEES_NOTICE, In, |f, t| {
            msg(pb::GetPublicNoticeRequest {
                public_notice_id: cases(f, t).running_notice_id.clone(),
            })
        })
        .hidden(),
        // A listing shows what the caller's bindings reach, so it is never
        // refused for where it asks; but each notice carries the same public
        // line as GetPublicNotice, which operations may not read.
        Row::new(
            APPLICATIONS,
            "ListPublicNotices",
            SEES_NOTICE,
            Scope::Anywhere,
            |f, _| {
                msg(pb::ListPublicNoticesRequest {
                    org_id: f.at(Target::Own).org.org_id,
                    ..Default::default()
                })
            },
        ),
        // On a notice not shown yet: authorised, then refused.
        Row::new(APPLICATIONS, "RaiseObjection", OBJECTS, In, |f, t| {
            msg(pb::RaiseObjectionRequest {
                request_id: rid(),
                public_notice_id: cases(f, t).future_notice_id.clone(),
                content: "矩阵测试".into(),
                objector_name: "李四".into(),
                objector_contact: "13900000001".into(),
            })
        })
        .hidden(),
        // An objection dismissed already: authorised, then refused.
        Row::new(
            APPLICATIONS,
            "ResolveObjection",
            Need::AnyOf(&[BranchReview]),
            In,
            |f, t| {
                msg(pb::ResolveObjectionRequest {
                    request_id: rid(),
                    objection_id: cases(f, t).dismissed_objection_id.clone(),
                    resolution: pb::ObjectionResolution::Upheld as i32,
                    resolution_note: "矩阵测试".into(),
                })
            },
        )
        .hidden(),
        Row::new(
            APPLICATIONS,
            "SubmitSuperiorReview",
            Need::AnyOf(&[SuperiorReview]),
            Above(Level::Superior),
            |f, t| {
                msg(pb::SubmitSuperiorReviewRequest {
                    request_id: rid(),
                    application_id: id_of(&cases(f, t).superior),
                    etag: STALE_ETAG.into(),
                    review: Some(pb::SuperiorReview {
                        findings: "经复核，情况属实".into(),
                        decision: pb::ReviewDecision::Approve as i32,
                        ..Default::default()
                    }),
                })
            },
        )
        .hidden(),
        Row::new(
            COMMITTEE,
            "CreateCommitteeProposal",
            Need::AnyOf(&[CommitteePropose]),
            Above(Level::Committee),
            |f, t| {
                msg(pb::CreateCommitteeProposalRequest {
                    request_id: rid(),
                    application_id: id_of(&cases(f, t).superior),
                    etag: STALE_ETAG.into(),
                    proposal: Some(pb::CommitteeProposal {
                        relief_type: common::ReliefType::SpringFestivalVisit as i32,
                        hardship_category: common::HardshipCategory::Other as i32,
                        amount: Some(common::Money { fen: 50_000 }),
                        opinion: "建议春节走访慰问".into(),
                        ..Default::default()
                    }),
                    validate_only: false,
                })
            },
        )
        .hidden(),
        Row::new(
            COMMITTEE,
            "RecordCommitteeDecision",
            Need::AnyOf(&[CommitteeDecide]),
            Above(Level::Committee),
            |f, t| {
                msg(pb::RecordCommitteeDecisionRequest {
                    request_id: rid(),
                    application_id: id_of(&cases(f, t).superior),
                    etag: STALE_ETAG.into(),
                    decision: Some(pb::CommitteeDecision {
                        meeting_date: today(),
                        meeting_number: "2026年第9次".into(),
                        outcome: pb::DecisionOutcome::Refused as i32,
                        minutes_excerpt: "矩阵测试".into(),
                        ..Default::default()
                    }),
                    meeting_attendance: "全体委员".into(),
                    meeting_minutes: "矩阵测试".into(),
                })
            },
        )
        .hidden(),
    ]
}

fn return_for_material(app: &pb::Application) -> Vec<u8> {
    msg(pb::ReturnForMaterialRequest {
        request_id: rid(),
        application_id: id_of(app),
        etag: STALE_ETAG.into(),
        note: "请补充收入证明".into(),
        requested_evidence_kinds: Vec::new(),
    })
}
