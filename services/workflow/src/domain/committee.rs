//! 工委审批 as requests carry it (measures §四.4): the department's proposal
//! (救助慰问意见) and the committee meeting's decision (工委会议决定), parsed
//! with every bad field named; and the funds milestones the funds service
//! reports (§四.5).

use relief_proto::common::v1::{HardshipCategory, ReliefType};
use relief_proto::workflow::v1::{self as pb, DecisionOutcome, FundsStage};
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::rules::Ask;

/// Largest amount a proposal or decision may name: 1,000,000 yuan — far
/// above any standard; a typo of a few zeros is caught here.
const MAX_AMOUNT_FEN: i64 = 100_000_000;

/// CreateCommitteeProposal.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub application_id: Uuid,
    pub version: i64,
    pub ask: Ask,
    pub special_case_reason: String,
    pub opinion: String,
    pub validate_only: bool,
}

/// What a proposal and an approval both carry: type, category, amount and
/// the special case, under `prefix` (`proposal.` / `decision.`).
fn terms(
    prefix: &str,
    relief_type: i32,
    category: i32,
    amount: Option<&relief_proto::common::v1::Money>,
    special_case: bool,
    reason: &str,
    v: &mut FieldViolations,
) -> Ask {
    let field = |name: &str| format!("{prefix}{name}");
    let relief_type = ReliefType::try_from(relief_type).unwrap_or_default();
    v.check(
        relief_type == ReliefType::Unspecified,
        &field("relief_type"),
        "required: ONE_TIME_RELIEF or SPRING_FESTIVAL_VISIT",
    );
    let category = HardshipCategory::try_from(category).unwrap_or_default();
    v.check(
        category == HardshipCategory::Unspecified,
        &field("hardship_category"),
        "required: the category the amount is based on",
    );
    let amount_fen = amount.map(|m| m.fen).unwrap_or_default();
    v.check(
        amount_fen <= 0 || amount_fen > MAX_AMOUNT_FEN,
        &field("amount"),
        "required: more than 0 and at most 1,000,000 yuan",
    );
    v.check_line(&field("special_case_reason"), reason, 1000);
    v.check(
        special_case && reason.trim().is_empty(),
        &field("special_case_reason"),
        "required with special_case: why the case is special",
    );
    Ask {
        relief_type,
        category,
        amount_fen,
        special_case,
    }
}

impl TryFrom<pb::CreateCommitteeProposalRequest> for Proposal {
    type Error = FieldViolations;
    fn try_from(r: pb::CreateCommitteeProposalRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let application_id = ids::uuid(&r.application_id, "application_id", &mut v);
        let version = ids::etag(&r.etag, "etag", &mut v);
        v.check(r.proposal.is_none(), "proposal", "required");
        let p = r.proposal.unwrap_or_default();
        let ask = terms(
            "proposal.",
            p.relief_type,
            p.hardship_category,
            p.amount.as_ref(),
            p.special_case,
            &p.special_case_reason,
            &mut v,
        );
        v.check_text("proposal.opinion", &p.opinion, 2000);
        v.then(|| Proposal {
            application_id: application_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            ask,
            special_case_reason: p.special_case_reason.trim().to_owned(),
            opinion: p.opinion.trim().to_owned(),
            validate_only: r.validate_only,
        })
    }
}

/// The meeting a decision is taken in (工委会议).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub number: String,
    pub date: Date,
    pub attendance: String,
    pub minutes: String,
}

/// RecordCommitteeDecision.
#[derive(Debug, Clone)]
pub struct Decision {
    pub application_id: Uuid,
    pub version: i64,
    pub meeting: Meeting,
    /// `Some` when approved, with the terms granted.
    pub approved: Option<Ask>,
    pub special_case_reason: String,
    /// The minutes' excerpt; a refusal's reason.
    pub minutes_excerpt: String,
}

impl TryFrom<pb::RecordCommitteeDecisionRequest> for Decision {
    type Error = FieldViolations;
    fn try_from(r: pb::RecordCommitteeDecisionRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let application_id = ids::uuid(&r.application_id, "application_id", &mut v);
        let version = ids::etag(&r.etag, "etag", &mut v);
        v.check(r.decision.is_none(), "decision", "required");
        let d = r.decision.unwrap_or_default();
        v.check_required_line(
            "decision.meeting_number",
            &d.meeting_number,
            100,
            "required: the meeting's number, e.g. 2026年第3次",
        );
        let date = relief_runtime::time::from_proto(d.meeting_date.as_ref());
        match date {
            None => v.add("decision.meeting_date", "required: a calendar date"),
            // Funds refuses a meeting in the future too: the decision is a
            // record of what a meeting did.
            Some(date) if date > relief_runtime::time::today() => {
                v.add("decision.meeting_date", "must not be in the future")
            }
            Some(_) => {}
        }
        v.check_line("meeting_attendance", &r.meeting_attendance, 1000);
        v.check_text("meeting_minutes", &r.meeting_minutes, 20_000);
        v.check_text("decision.minutes_excerpt", &d.minutes_excerpt, 2000);
        let outcome = DecisionOutcome::try_from(d.outcome).unwrap_or_default();
        let approved = match outcome {
            DecisionOutcome::Approved => Some(terms(
                "decision.",
                d.relief_type,
                d.hardship_category,
                d.amount.as_ref(),
                d.special_case,
                &d.special_case_reason,
                &mut v,
            )),
            DecisionOutcome::Refused => {
                v.check(
                    d.minutes_excerpt.trim().is_empty(),
                    "decision.minutes_excerpt",
                    "required when REFUSED: the meeting's reason",
                );
                None
            }
            DecisionOutcome::Unspecified => {
                v.add("decision.outcome", "required: APPROVED or REFUSED");
                None
            }
        };
        v.then(|| Decision {
            application_id: application_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            meeting: Meeting {
                number: d.meeting_number.trim().to_owned(),
                date: date.unwrap_or(Date::MIN),
                attendance: r.meeting_attendance.trim().to_owned(),
                minutes: r.meeting_minutes.trim().to_owned(),
            },
            special_case_reason: if approved.as_ref().is_some_and(|a| a.special_case) {
                d.special_case_reason.trim().to_owned()
            } else {
                String::new()
            },
            approved,
            minutes_excerpt: d.minutes_excerpt.trim().to_owned(),
        })
    }
}

/// RecordFundsProgress: one milestone from the funds service.
#[derive(Debug, Clone)]
pub struct Progress {
    pub application_id: Uuid,
    pub stage: FundsStage,
    pub allocation_id: String,
    pub disbursement_id: String,
    pub voucher_number: String,
    pub at: Option<OffsetDateTime>,
}

impl TryFrom<pb::RecordFundsProgressRequest> for Progress {
    type Error = FieldViolations;
    fn try_from(r: pb::RecordFundsProgressRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let application_id = ids::uuid(&r.application_id, "application_id", &mut v);
        let stage = FundsStage::try_from(r.stage).unwrap_or_default();
        v.check(
            stage == FundsStage::Unspecified,
            "stage",
            "required: ALLOCATED, DISBURSED or RECEIPTED",
        );
        v.check_required_line("allocation_id", &r.allocation_id, 128, "required");
        if matches!(stage, FundsStage::Disbursed | FundsStage::Receipted) {
            v.check_required_line(
                "disbursement_id",
                &r.disbursement_id,
                100,
                "required from DISBURSED on",
            );
        }
        if stage == FundsStage::Receipted {
            v.check_required_line(
                "voucher_number",
                &r.voucher_number,
                50,
                "required when RECEIPTED",
            );
        }
        let at = relief_runtime::time::from_timestamp(r.event_time.as_ref());
        v.check(
            r.event_time.is_some() && at.is_none(),
            "event_time",
            "not a valid time",
        );
        v.then(|| Progress {
            application_id: application_id.unwrap_or_default(),
            stage,
            allocation_id: r.allocation_id.trim().to_owned(),
            disbursement_id: r.disbursement_id.trim().to_owned(),
            voucher_number: r.voucher_number.trim().to_owned(),
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_proto::common::v1::{Date as ProtoDate, Money};

    fn decision() -> pb::RecordCommitteeDecisionRequest {
        pb::RecordCommitteeDecisionRequest {
            request_id: "r".into(),
            application_id: Uuid::from_u128(1).to_string(),
            etag: "3".into(),
            decision: Some(pb::CommitteeDecision {
                meeting_date: Some(ProtoDate {
                    year: 2026,
                    month: 11,
                    day: 2,
                }),
                meeting_number: "2026年第3次".into(),
                outcome: DecisionOutcome::Approved as i32,
                relief_type: ReliefType::SpringFestivalVisit as i32,
                hardship_category: HardshipCategory::Other as i32,
                amount: Some(Money { fen: 50_000 }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn fields(violations: FieldViolations) -> Vec<String> {
        violations
            .into_pairs()
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn an_approval_carries_its_terms() {
        let parsed = Decision::try_from(decision()).expect("valid");
        let ask = parsed.approved.expect("approved");
        assert_eq!(ask.amount_fen, 50_000);
        assert_eq!(parsed.meeting.number, "2026年第3次");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut r = decision();
        let d = r.decision.as_mut().expect("set");
        d.meeting_number.clear();
        d.meeting_date = Some(ProtoDate {
            year: 2999,
            month: 1,
            day: 1,
        });
        d.amount = None;
        d.special_case = true;
        let got = fields(Decision::try_from(r).expect_err("invalid"));
        for field in [
            "decision.meeting_number",
            "decision.meeting_date",
            "decision.amount",
            "decision.special_case_reason",
        ] {
            assert!(got.iter().any(|f| f == field), "{field} in {got:?}");
        }
    }

    #[test]
    fn a_refusal_needs_its_reason_in_the_minutes() {
        let mut r = decision();
        let d = r.decision.as_mut().expect("set");
        d.outcome = DecisionOutcome::Refused as i32;
        d.amount = None;
        let got = fields(Decision::try_from(r.clone()).expect_err("no reason"));
        assert_eq!(got, vec!["decision.minutes_excerpt".to_owned()]);
        r.decision.as_mut().expect("set").minutes_excerpt = "经会议研究，不符合救助条件".into();
        assert!(Decision::try_from(r).expect("valid").approved.is_none());
    }

    #[test]
    fn a_receipt_needs_its_disbursement_and_voucher() {
        let r = pb::RecordFundsProgressRequest {
            request_id: "e".into(),
            application_id: Uuid::from_u128(1).to_string(),
            stage: FundsStage::Receipted as i32,
            allocation_id: "a".into(),
            ..Default::default()
        };
        let got = fields(Progress::try_from(r).expect_err("invalid"));
        assert_eq!(got, vec!["disbursement_id", "voucher_number"]);
    }
}
