//! What a branch records in the campaign — its findings on a row (the six
//! exclusion grounds checked again, the outcome and what it changes), its
//! general meeting and its notice result — parsed with every bad field named.

use relief_proto::common::v1::{HardshipCategory, VerificationOutcome};
use relief_proto::workflow::v1::{self as pb, CampaignNoticeOutcome};
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::text::{MAX_PROSE, MAX_REASON};
use time::Date;
use uuid::Uuid;

use super::campaign_requests::{MAX_RESOLUTION, required_date};
use super::review::{Check, applying_ground, exclusion_checklist, ground_name};

/// What an ADJUST outcome changes (each only when given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowAdjustment {
    pub category: i32,
    pub household_size: i32,
    pub annual_household_income_fen: Option<i64>,
}

/// RecordRowVerification: the branch's findings on one row.
pub struct RowFindings {
    pub row_id: Uuid,
    pub version: i64,
    pub outcome: VerificationOutcome,
    pub findings: String,
    pub checks: Vec<Check>,
    pub adjustment: RowAdjustment,
    pub removal_reason: String,
}

impl TryFrom<pb::RecordRowVerificationRequest> for RowFindings {
    type Error = FieldViolations;
    fn try_from(r: pb::RecordRowVerificationRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let row = r.row.unwrap_or_default();
        let row_id = ids::uuid(&row.row_id, "row.row_id", &mut violations);
        let version = ids::etag(&row.etag, "row.etag", &mut violations);
        let outcome = VerificationOutcome::try_from(row.outcome).unwrap_or_default();
        violations.check(
            outcome == VerificationOutcome::Unspecified,
            "row.outcome",
            "required: continue, adjust or remove",
        );
        violations.check_text("row.findings", &row.findings, MAX_PROSE);
        violations.check(
            row.findings.trim().is_empty(),
            "row.findings",
            "required: the branch's written findings on the member's present situation (文字材料)",
        );
        let checks = exclusion_checklist(
            "row.exclusion_checks",
            &row.exclusion_checks,
            &mut violations,
        );
        if let Some(ground) = applying_ground(&checks) {
            violations.check(
                outcome != VerificationOutcome::Remove,
                "row.outcome",
                &format!(
                    "exclusion ground {} ({}) applies: the row is removed",
                    ground.as_str_name(),
                    ground_name(ground)
                ),
            );
        }
        let adjustment = RowAdjustment {
            category: row.adjust_category,
            household_size: row.adjust_household_size,
            annual_household_income_fen: row.adjust_annual_household_income.map(|m| m.fen),
        };
        match outcome {
            VerificationOutcome::Adjust => {
                violations.check(
                    adjustment == RowAdjustment::default(),
                    "row.adjust_category",
                    "an ADJUST outcome changes the category, the household size or the income",
                );
                violations.check(
                    HardshipCategory::try_from(adjustment.category).is_err(),
                    "row.adjust_category",
                    "unknown category",
                );
                violations.check(
                    !(0..=30).contains(&adjustment.household_size),
                    "row.adjust_household_size",
                    "between 1 and 30 people, or 0 for unchanged",
                );
                violations.check(
                    adjustment
                        .annual_household_income_fen
                        .is_some_and(|fen| fen < 0),
                    "row.adjust_annual_household_income",
                    "cannot be negative",
                );
            }
            VerificationOutcome::Remove => {
                violations.check_required_line(
                    "row.removal_reason",
                    &row.removal_reason,
                    MAX_REASON,
                    "required",
                );
            }
            _ => {}
        }
        if outcome != VerificationOutcome::Adjust {
            violations.check(
                adjustment != RowAdjustment::default(),
                "row.adjust_category",
                "only an ADJUST outcome carries changed fields",
            );
        }
        if outcome != VerificationOutcome::Remove {
            violations.check(
                !row.removal_reason.is_empty(),
                "row.removal_reason",
                "only a REMOVE outcome carries a removal reason",
            );
        }
        violations.then(|| RowFindings {
            row_id: row_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            outcome,
            findings: row.findings.trim().to_owned(),
            checks,
            adjustment,
            removal_reason: row.removal_reason.trim().to_owned(),
        })
    }
}

/// RecordBranchMeeting.
pub struct MeetingEntry {
    pub unit_id: Uuid,
    pub version: i64,
    pub branch_id: i64,
    pub date: Date,
    pub attendance: i32,
    pub resolution: String,
}

impl TryFrom<pb::RecordBranchMeetingRequest> for MeetingEntry {
    type Error = FieldViolations;
    fn try_from(r: pb::RecordBranchMeetingRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let unit_id = ids::uuid(&r.campaign_unit_id, "campaign_unit_id", &mut violations);
        let version = ids::etag(&r.etag, "etag", &mut violations);
        violations.check(r.branch_org_id <= 0, "branch_org_id", "required");
        let date = required_date(r.meeting_date.as_ref(), "meeting_date", &mut violations);
        violations.check(
            date > relief_runtime::time::today(),
            "meeting_date",
            "is in the future: a meeting is recorded once held",
        );
        violations.check(
            r.attendance <= 0,
            "attendance",
            "required: the members present",
        );
        violations.check_text("resolution", &r.resolution, MAX_RESOLUTION);
        violations.check(r.resolution.trim().is_empty(), "resolution", "required");
        violations.then(|| MeetingEntry {
            unit_id: unit_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            branch_id: r.branch_org_id,
            date,
            attendance: r.attendance,
            resolution: r.resolution.trim().to_owned(),
        })
    }
}

/// RecordCampaignNoticeResult.
pub struct NoticeEntry {
    pub unit_id: Uuid,
    pub version: i64,
    pub branch_id: i64,
    pub start: Date,
    pub end: Date,
    pub outcome: CampaignNoticeOutcome,
    pub note: String,
}

impl TryFrom<pb::RecordCampaignNoticeResultRequest> for NoticeEntry {
    type Error = FieldViolations;
    fn try_from(r: pb::RecordCampaignNoticeResultRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let unit_id = ids::uuid(&r.campaign_unit_id, "campaign_unit_id", &mut violations);
        let version = ids::etag(&r.etag, "etag", &mut violations);
        violations.check(r.branch_org_id <= 0, "branch_org_id", "required");
        let start = required_date(r.start_date.as_ref(), "start_date", &mut violations);
        let end = required_date(r.end_date.as_ref(), "end_date", &mut violations);
        violations.check(end < start, "end_date", "is before start_date");
        violations.check(
            end > relief_runtime::time::today(),
            "end_date",
            "is in the future: the result is recorded once the notice is over",
        );
        let outcome = CampaignNoticeOutcome::try_from(r.outcome).unwrap_or_default();
        violations.check(
            outcome == CampaignNoticeOutcome::Unspecified,
            "outcome",
            "required: no objection, or objections resolved",
        );
        violations.check_text("note", &r.note, MAX_REASON);
        violations.check(
            outcome == CampaignNoticeOutcome::ObjectionsResolved && r.note.trim().is_empty(),
            "note",
            "required when objections were raised: what they were and how they were handled",
        );
        violations.then(|| NoticeEntry {
            unit_id: unit_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            branch_id: r.branch_org_id,
            start,
            end,
            outcome,
            note: r.note.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grounds(applies: bool) -> Vec<pb::ExclusionCheck> {
        super::super::review::GROUNDS
            .iter()
            .map(|ground| pb::ExclusionCheck {
                ground: *ground as i32,
                checked: true,
                applies: applies && *ground == super::super::review::GROUNDS[5],
                note: "经核查无此情形".into(),
            })
            .collect()
    }

    fn fields(result: Result<RowFindings, FieldViolations>) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(violations) => violations
                .into_pairs()
                .into_iter()
                .map(|(f, _)| f)
                .collect(),
        }
    }

    fn request(row: pb::VerificationRow) -> pb::RecordRowVerificationRequest {
        pb::RecordRowVerificationRequest {
            request_id: "r".into(),
            row: Some(pb::VerificationRow {
                row_id: Uuid::nil().to_string(),
                etag: "1".into(),
                findings: "仍在透析，家庭收入未变".into(),
                ..row
            }),
        }
    }

    #[test]
    fn every_bad_field_of_a_verification_is_named() {
        let empty = pb::RecordRowVerificationRequest::default();
        let named = fields(RowFindings::try_from(empty));
        for field in [
            "row.row_id",
            "row.etag",
            "row.outcome",
            "row.findings",
            "row.exclusion_checks",
        ] {
            assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
        }
    }

    #[test]
    fn a_ground_that_applies_removes_the_row() {
        let kept = request(pb::VerificationRow {
            outcome: VerificationOutcome::Continue as i32,
            exclusion_checks: grounds(true),
            ..Default::default()
        });
        assert_eq!(fields(RowFindings::try_from(kept)), vec!["row.outcome"]);
        let removed = request(pb::VerificationRow {
            outcome: VerificationOutcome::Remove as i32,
            exclusion_checks: grounds(true),
            removal_reason: "正在接受纪律审查".into(),
            ..Default::default()
        });
        assert!(RowFindings::try_from(removed).is_ok());
    }

    #[test]
    fn an_adjustment_must_change_something_and_only_an_adjustment_may() {
        let nothing = request(pb::VerificationRow {
            outcome: VerificationOutcome::Adjust as i32,
            exclusion_checks: grounds(false),
            ..Default::default()
        });
        assert_eq!(
            fields(RowFindings::try_from(nothing)),
            vec!["row.adjust_category"]
        );
        let stray = request(pb::VerificationRow {
            outcome: VerificationOutcome::Continue as i32,
            exclusion_checks: grounds(false),
            adjust_household_size: 2,
            removal_reason: "无".into(),
            ..Default::default()
        });
        assert_eq!(
            fields(RowFindings::try_from(stray)),
            vec!["row.adjust_category", "row.removal_reason"]
        );
    }
}
