//! The reviews (measures §四.2–§四.3) and the plain acts on an application,
//! as requests carry them: the branch's findings with the six-ground
//! exclusion checklist, the superior organisation's opinion, and the steps
//! that carry only an etag and a comment.

use relief_proto::workflow::v1::{self as pb, ExclusionGround, ReviewDecision};
use relief_runtime::error::{Error, FieldViolations};
use relief_runtime::ids;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Refused because an exclusion ground applies (measures §二.2).
pub const EXCLUDED: &str = "EXCLUSION_GROUND_APPLIES";

/// The six grounds, in the measures' order.
pub const GROUNDS: [ExclusionGround; 6] = [
    ExclusionGround::NotFulfillingObligations,
    ExclusionGround::NotCooperating,
    ExclusionGround::FamilyPlanningViolation,
    ExclusionGround::IllegalActivityOrPetitions,
    ExclusionGround::RefusesWork,
    ExclusionGround::UnderProceedings,
];

/// The ground's words in the measures.
pub fn ground_name(ground: ExclusionGround) -> &'static str {
    match ground {
        ExclusionGround::NotFulfillingObligations => "不履行党员义务",
        ExclusionGround::NotCooperating => "对所在单位党组织安排部署的工作不支持、不配合",
        ExclusionGround::FamilyPlanningViolation => "因违反计划生育规定导致生活困难",
        ExclusionGround::IllegalActivityOrPetitions => {
            "参与黄赌毒、封建迷信、邪教组织等违法违纪活动，参与或煽动集体、越级上访"
        }
        ExclusionGround::RefusesWork => "家庭有劳动能力的成员无正当理由拒绝就业或参加劳动",
        ExclusionGround::UnderProceedings => "有违法违纪行为正在接受处理",
        ExclusionGround::Unspecified => "未指定",
    }
}

/// One answered line of the checklist, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub ground: i32,
    pub checked: bool,
    pub applies: bool,
    pub note: String,
}

/// 排除情形核查 — the six grounds of measures §二.2, each answered once,
/// checked and with a note, as `field` (the request's list) gives them;
/// every problem is named in `violations`.
pub fn exclusion_checklist(
    field: &str,
    given: &[pb::ExclusionCheck],
    violations: &mut FieldViolations,
) -> Vec<Check> {
    let mut checks = Vec::new();
    for (i, check) in given.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let ground = ExclusionGround::try_from(check.ground).unwrap_or_default();
        if ground == ExclusionGround::Unspecified {
            violations.add(format!("{field}.ground"), "unknown ground");
            continue;
        }
        if checks.iter().any(|c: &Check| c.ground == check.ground) {
            violations.add(format!("{field}.ground"), "each ground is answered once");
        }
        violations.check(
            !check.checked,
            &format!("{field}.checked"),
            "every ground must be checked (每项均须核查)",
        );
        violations.check_text(&format!("{field}.note"), &check.note, 500);
        violations.check(
            check.note.trim().is_empty(),
            &format!("{field}.note"),
            "required: how it was checked and what was found",
        );
        checks.push(Check {
            ground: check.ground,
            checked: check.checked,
            applies: check.applies,
            note: check.note.trim().to_owned(),
        });
    }
    for ground in GROUNDS {
        violations.check(
            !checks.iter().any(|c| c.ground == ground as i32),
            field,
            &format!(
                "ground {} ({}) is not answered",
                ground.as_str_name(),
                ground_name(ground)
            ),
        );
    }
    checks
}

/// The first ground of `checks` that applies, if any.
pub fn applying_ground(checks: &[Check]) -> Option<ExclusionGround> {
    checks
        .iter()
        .find(|check| check.applies)
        .and_then(|check| ExclusionGround::try_from(check.ground).ok())
}

/// A review as stored (branch or superior level): the opinion, the decision
/// and who gave it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub findings: String,
    #[serde(default)]
    pub checks: Vec<Check>,
    pub decision: i32,
    pub reason: String,
    pub reviewer_id: String,
    pub reviewer_name: String,
    /// Unix seconds.
    pub at: i64,
    /// The reviewing organisation (superior reviews).
    #[serde(default)]
    pub org_id: i64,
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub org_path: String,
}

/// An act that needs only the application, its etag and a comment.
#[derive(Debug, Clone)]
pub struct Step {
    pub application_id: Uuid,
    pub version: i64,
    pub comment: String,
}

fn step(
    id: &str,
    etag: &str,
    comment: &str,
    field: &str,
    required: bool,
) -> Result<Step, FieldViolations> {
    let mut violations = FieldViolations::new();
    let application_id = ids::uuid(id, "application_id", &mut violations);
    let version = ids::etag(etag, "etag", &mut violations);
    if required {
        violations.check_text(field, comment, 500);
        violations.check(comment.trim().is_empty(), field, "required");
    } else {
        violations.check_text(field, comment, 500);
    }
    violations.then(|| Step {
        application_id: application_id.unwrap_or_default(),
        version: version.unwrap_or_default(),
        comment: comment.trim().to_owned(),
    })
}

impl TryFrom<pb::SubmitApplicationRequest> for Step {
    type Error = FieldViolations;
    fn try_from(r: pb::SubmitApplicationRequest) -> Result<Self, FieldViolations> {
        step(&r.application_id, &r.etag, &r.comment, "comment", false)
    }
}

impl TryFrom<pb::StartBranchReviewRequest> for Step {
    type Error = FieldViolations;
    fn try_from(r: pb::StartBranchReviewRequest) -> Result<Self, FieldViolations> {
        step(&r.application_id, &r.etag, &r.comment, "comment", false)
    }
}

/// 撤回 — the applicant withdraws, saying why.
#[derive(Debug, Clone)]
pub struct Withdrawal(pub Step);

impl TryFrom<pb::WithdrawApplicationRequest> for Withdrawal {
    type Error = FieldViolations;
    fn try_from(r: pb::WithdrawApplicationRequest) -> Result<Self, FieldViolations> {
        step(&r.application_id, &r.etag, &r.reason, "reason", true).map(Withdrawal)
    }
}

/// 退回补充材料 — what is missing, in words, and the kinds of proof asked for.
#[derive(Debug, Clone)]
pub struct ReturnOrder {
    pub step: Step,
    pub kinds: Vec<i32>,
}

impl TryFrom<pb::ReturnForMaterialRequest> for ReturnOrder {
    type Error = FieldViolations;
    fn try_from(r: pb::ReturnForMaterialRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        for (i, kind) in r.requested_evidence_kinds.iter().enumerate() {
            violations.check(
                !matches!(pb::EvidenceKind::try_from(*kind), Ok(k) if k != pb::EvidenceKind::Unspecified),
                &format!("requested_evidence_kinds[{i}]"),
                "unknown evidence kind",
            );
        }
        let step = match step(&r.application_id, &r.etag, &r.note, "note", true) {
            Ok(step) => Some(step),
            Err(more) => {
                violations.merge(more);
                None
            }
        };
        match (step, violations.is_empty()) {
            (Some(step), true) => Ok(ReturnOrder {
                step,
                kinds: r.requested_evidence_kinds,
            }),
            _ => Err(violations),
        }
    }
}

/// A reviewer's opinion and decision (branch or superior level).
#[derive(Debug, Clone)]
pub struct Opinion {
    pub step: Step,
    pub findings: String,
    pub decision: ReviewDecision,
    pub reason: String,
    pub checks: Vec<Check>,
}

fn opinion(
    step: Result<Step, FieldViolations>,
    findings: &str,
    decision: i32,
    reason: &str,
    violations: &mut FieldViolations,
) -> (Option<Step>, ReviewDecision) {
    violations.check_text("review.findings", findings, 2000);
    violations.check(
        findings.trim().is_empty(),
        "review.findings",
        "required: the written findings",
    );
    let decision = match ReviewDecision::try_from(decision) {
        Ok(ReviewDecision::Unspecified) | Err(_) => {
            violations.add(
                "review.decision",
                "required: APPROVE, REFUSE or RETURN_FOR_MATERIAL",
            );
            ReviewDecision::Unspecified
        }
        Ok(decision) => decision,
    };
    violations.check_text("review.decision_reason", reason, 1000);
    violations.check(
        decision != ReviewDecision::Approve
            && decision != ReviewDecision::Unspecified
            && reason.trim().is_empty(),
        "review.decision_reason",
        "required when refusing or returning",
    );
    let step = match step {
        Ok(step) => Some(step),
        Err(more) => {
            violations.merge(more);
            None
        }
    };
    (step, decision)
}

/// How far a notice's start may lie from the approval. A branch may have
/// posted the paper notice on its board before entering the approval, so a
/// start in the past is honoured (its end is computed from it, and a notice
/// already over passes at once) — but only within this, so a mistyped year
/// cannot end at once a notice the unit never saw, nor park a case for
/// months behind a start far ahead.
pub const NOTICE_START_LEEWAY: time::Duration = time::Duration::days(30);

/// The branch review: the checklist must answer each of the six grounds
/// exactly once, every one checked, each with a note.
#[derive(Debug, Clone)]
pub struct BranchOpinion {
    pub opinion: Opinion,
    pub notice_start: Option<time::OffsetDateTime>,
    pub notice_text: String,
    /// 急办 — the branch finds the case cannot wait for the Spring Festival
    /// round (only with an approval).
    pub urgent: bool,
}

impl TryFrom<pb::SubmitBranchReviewRequest> for BranchOpinion {
    type Error = FieldViolations;
    fn try_from(r: pb::SubmitBranchReviewRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let review = r.review.unwrap_or_default();
        let urgent = review.urgent;
        violations.check(
            urgent && review.decision != ReviewDecision::Approve as i32,
            "review.urgent",
            "only an approval marks a case urgent",
        );
        let (step, decision) = opinion(
            step(&r.application_id, &r.etag, "", "comment", false),
            &review.findings,
            review.decision,
            &review.decision_reason,
            &mut violations,
        );
        let checks = exclusion_checklist(
            "review.exclusion_checks",
            &review.exclusion_checks,
            &mut violations,
        );
        violations.check_text("notice_text", &r.notice_text, 500);
        let notice_start = relief_runtime::time::from_timestamp(r.notice_start_time.as_ref());
        violations.check(
            r.notice_start_time.is_some() && notice_start.is_none(),
            "notice_start_time",
            "not a valid time",
        );
        violations.check(
            notice_start.is_some_and(|start| {
                (start - time::OffsetDateTime::now_utc()).abs() > NOTICE_START_LEEWAY
            }),
            "notice_start_time",
            "at most 30 days before or after today",
        );
        match (step, violations.is_empty()) {
            (Some(step), true) => Ok(BranchOpinion {
                opinion: Opinion {
                    step,
                    findings: review.findings.trim().to_owned(),
                    decision,
                    reason: review.decision_reason.trim().to_owned(),
                    checks,
                },
                notice_start,
                notice_text: r.notice_text.trim().to_owned(),
                urgent,
            }),
            _ => Err(violations),
        }
    }
}

impl BranchOpinion {
    /// An approval with a ground that applies is refused, naming the ground.
    pub fn excluding_ground(&self) -> Option<Error> {
        let applies: Vec<&str> = self
            .opinion
            .checks
            .iter()
            .filter(|c| c.applies)
            .map(|c| ground_name(ExclusionGround::try_from(c.ground).unwrap_or_default()))
            .collect();
        (!applies.is_empty()).then(|| {
            Error::refused(
                EXCLUDED,
                format!(
                    "the member is not eligible (measures §二.2): {}; refuse the application instead",
                    applies.join("；")
                ),
            )
        })
    }
}

/// The superior organisation's review.
#[derive(Debug, Clone)]
pub struct SuperiorOpinion(pub Opinion);

impl TryFrom<pb::SubmitSuperiorReviewRequest> for SuperiorOpinion {
    type Error = FieldViolations;
    fn try_from(r: pb::SubmitSuperiorReviewRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let review = r.review.unwrap_or_default();
        let (step, decision) = opinion(
            step(&r.application_id, &r.etag, "", "comment", false),
            &review.findings,
            review.decision,
            &review.decision_reason,
            &mut violations,
        );
        match (step, violations.is_empty()) {
            (Some(step), true) => Ok(SuperiorOpinion(Opinion {
                step,
                findings: review.findings.trim().to_owned(),
                decision,
                reason: review.decision_reason.trim().to_owned(),
                checks: Vec::new(),
            })),
            _ => Err(violations),
        }
    }
}
