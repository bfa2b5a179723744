//! Rows to messages: an application as the API shows it, household facts
//! masked unless the caller may read them and asked with a reason.

use relief_proto::common::v1::{Actor, Date as ProtoDate, Money, OrgRef};
use relief_proto::workflow::v1 as pb;
use relief_runtime::error::Result;
use relief_runtime::ids::etag_of;
use relief_runtime::sealing::Sealer;
use relief_runtime::time::timestamp;

use crate::domain::evidence_rules;
use crate::domain::household::Household;
use crate::domain::review::Review;
use crate::store::{ApplicationRow, DecisionRow, ProposalRow, Surroundings};

fn actor(user_id: &str, display_name: &str) -> Option<Actor> {
    (!user_id.is_empty()).then(|| Actor {
        user_id: user_id.to_owned(),
        display_name: display_name.to_owned(),
    })
}

/// The row id the household facts are sealed for.
pub fn household_aad(row: &ApplicationRow) -> String {
    format!("application:{}", row.application_id)
}

fn branch_review(review: &Review) -> pb::BranchReview {
    pb::BranchReview {
        findings: review.findings.clone(),
        exclusion_checks: review
            .checks
            .iter()
            .map(|c| pb::ExclusionCheck {
                ground: c.ground,
                checked: c.checked,
                applies: c.applies,
                note: c.note.clone(),
            })
            .collect(),
        decision: review.decision,
        decision_reason: review.reason.clone(),
        reviewer: actor(&review.reviewer_id, &review.reviewer_name),
        review_time: time::OffsetDateTime::from_unix_timestamp(review.at)
            .ok()
            .map(timestamp),
        urgent: false,
    }
}

fn superior_review(review: &Review) -> pb::SuperiorReview {
    pb::SuperiorReview {
        reviewer_org: Some(OrgRef {
            org_id: review.org_id,
            path: review.org_path.clone(),
            name: review.org_name.clone(),
        }),
        findings: review.findings.clone(),
        decision: review.decision,
        decision_reason: review.reason.clone(),
        reviewer: actor(&review.reviewer_id, &review.reviewer_name),
        review_time: time::OffsetDateTime::from_unix_timestamp(review.at)
            .ok()
            .map(timestamp),
    }
}

pub fn proposal(application_id: &str, row: &ProposalRow) -> pb::CommitteeProposal {
    pb::CommitteeProposal {
        proposal_id: row.proposal_id.to_string(),
        application_id: application_id.to_owned(),
        relief_type: row.relief_type,
        hardship_category: row.hardship_category,
        amount: Some(Money {
            fen: row.amount_fen,
        }),
        standard_amount: Some(Money {
            fen: row.standard_fen,
        }),
        rule_checks: serde_json::from_value(row.rule_checks.0.clone())
            .map(|checks: Vec<(i32, i32, String)>| {
                checks
                    .into_iter()
                    .map(|(rule, outcome, detail)| pb::RuleCheck {
                        rule,
                        outcome,
                        detail,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        special_case: row.special_case,
        special_case_reason: row.special_case_reason.clone(),
        opinion: row.opinion.clone(),
        proposed_by: actor(&row.proposed_by_id, &row.proposed_by_name),
        propose_time: Some(timestamp(row.proposed_at)),
    }
}

pub fn decision(application_id: &str, row: &DecisionRow) -> pb::CommitteeDecision {
    pb::CommitteeDecision {
        decision_id: row.decision_id.to_string(),
        application_id: application_id.to_owned(),
        proposal_id: row.proposal_id.to_string(),
        meeting_date: Some(ProtoDate {
            year: row.meeting_date.year(),
            month: i32::from(u8::from(row.meeting_date.month())),
            day: i32::from(row.meeting_date.day()),
        }),
        meeting_number: row.meeting_number.clone(),
        outcome: row.outcome,
        relief_type: row.relief_type,
        hardship_category: row.hardship_category,
        amount: Some(Money {
            fen: row.amount_fen,
        }),
        special_case: row.special_case,
        special_case_reason: row.special_case_reason.clone(),
        minutes_excerpt: row.minutes_excerpt.clone(),
        recorded_by: actor(&row.recorded_by_id, &row.recorded_by_name),
        record_time: Some(timestamp(row.recorded_at)),
    }
}

/// The application as the API shows it; `reveal` shows the household facts
/// whole (the caller may, and gave a reason that was logged).
pub fn application(
    row: &ApplicationRow,
    around: &Surroundings,
    sealer: &Sealer,
    reveal: bool,
) -> Result<pb::Application> {
    let household: Household = sealer.open(&household_aad(row), &row.household_sealed)?;
    let id = row.application_id.to_string();
    let category = relief_proto::common::v1::HardshipCategory::try_from(row.hardship_category)
        .unwrap_or_default();
    let state = crate::domain::state::from_stored(row.state)?;
    let missing = if matches!(
        state,
        pb::ApplicationState::Draft
            | pb::ApplicationState::ReturnedForMaterial
            | pb::ApplicationState::Submitted
            | pb::ApplicationState::BranchReview
    ) {
        evidence_rules::missing(category, &around.accepted_kinds)
    } else {
        Vec::new()
    };
    let level = row.current_level();
    let now = time::OffsetDateTime::now_utc();
    Ok(pb::Application {
        application_id: id.clone(),
        member_id: row.member_id.to_string(),
        member_name: row.member_name.clone(),
        branch: Some(OrgRef {
            org_id: row.branch_id,
            path: row.branch_path.clone(),
            name: row.branch_name.clone(),
        }),
        superior_org: level.map(|level| OrgRef {
            org_id: level.org_id,
            path: level.path.clone(),
            name: level.name.clone(),
        }),
        skips_superior_review: row.skips_superior_review(),
        year: row.year,
        hardship_category: row.hardship_category,
        other_categories_met: row.other_categories.clone(),
        affected_person: row.affected_person,
        affected_relation: row.affected_relation.clone(),
        requested_relief_type: row.requested_relief_type,
        description: row.description.clone(),
        household: Some(household.to_proto(reveal)),
        entered_on_behalf: row.entered_on_behalf,
        created_by: actor(&row.created_by_id, &row.created_by_name),
        state: row.state,
        state_enter_time: Some(timestamp(row.state_entered_at)),
        state_deadline_time: row.state_deadline.map(timestamp),
        overdue: row.state_deadline.is_some_and(|due| due < now),
        returned_from_state: row.returned_from_state,
        return_note: row.return_note.clone(),
        missing_evidence_kinds: missing.into_iter().map(|k| k as i32).collect(),
        evidence_count: around.evidence_count,
        branch_review: row.branch_review.as_ref().map(|r| pb::BranchReview {
            urgent: row.urgent,
            ..branch_review(&r.0)
        }),
        public_notice_id: around
            .public_notice_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        superior_review: row.superior_review.as_ref().map(|r| superior_review(&r.0)),
        proposal: around.proposal.as_ref().map(|p| proposal(&id, p)),
        decision: around.decision.as_ref().map(|d| decision(&id, d)),
        register_record_id: row.register_record_id.clone(),
        allocation_id: row.allocation_id.clone(),
        disbursement_id: row.disbursement_id.clone(),
        voucher_number: row.voucher_number.clone(),
        close_reason: row.close_reason.clone(),
        close_time: row.closed_at.map(timestamp),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        submit_time: row.submitted_at.map(timestamp),
        etag: etag_of(row.version),
        urgent: row.urgent,
    })
}
