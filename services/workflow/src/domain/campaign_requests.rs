//! What the campaign's requests carry, parsed with every bad field named:
//! the department's (open, change, close, issue, accept, return), the
//! branches' (verify a row, their meeting and notice) and the unit's
//! (collect, submit), and the reads.

use relief_proto::common::v1::{self as common, HardshipCategory, VerificationOutcome};
use relief_proto::workflow::v1::{
    self as pb, CampaignNoticeOutcome, CampaignState, CampaignUnitState,
};
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::pagination::Page;
use relief_runtime::text::{MAX_NAME, MAX_PROSE, MAX_REASON, MAX_TITLE};
use relief_runtime::time::{from_proto, from_timestamp, is_unset};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::review::{Check, applying_ground, exclusion_checklist, ground_name};

/// The longest return reason or meeting resolution.
const MAX_RESOLUTION: usize = 2000;

/// A required date: named when missing or impossible.
fn date(value: Option<&common::Date>, field: &str, violations: &mut FieldViolations) -> Date {
    if is_unset(value) {
        violations.add(field, "required");
        return Date::MIN;
    }
    from_proto(value).unwrap_or_else(|| {
        violations.add(field, "not a real date");
        Date::MIN
    })
}

fn year(value: i32, field: &str, violations: &mut FieldViolations) {
    violations.check(
        !(2000..=2100).contains(&value),
        field,
        "a four-digit year between 2000 and 2100",
    );
}

/// OpenCampaign: the year, its title and deadlines.
pub struct NewCampaign {
    pub year: i32,
    pub title: String,
    pub collect_by: Date,
    pub submit_by: Date,
}

impl TryFrom<pb::OpenCampaignRequest> for NewCampaign {
    type Error = FieldViolations;
    fn try_from(r: pb::OpenCampaignRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let c = r.campaign.unwrap_or_default();
        year(c.year, "campaign.year", &mut violations);
        violations.check_required_line("campaign.title", &c.title, MAX_TITLE, "required");
        let collect_by = date(
            c.collect_by_date.as_ref(),
            "campaign.collect_by_date",
            &mut violations,
        );
        let submit_by = date(
            c.submit_by_date.as_ref(),
            "campaign.submit_by_date",
            &mut violations,
        );
        violations.check(
            submit_by < collect_by,
            "campaign.submit_by_date",
            "is before collect_by_date: the form is collected before the summary is submitted",
        );
        violations.then(|| NewCampaign {
            year: c.year,
            title: c.title.trim().to_owned(),
            collect_by,
            submit_by,
        })
    }
}

/// UpdateCampaign: the fields named in the mask.
pub struct CampaignChange {
    pub campaign_id: Uuid,
    pub version: i64,
    pub title: Option<String>,
    pub collect_by: Option<Date>,
    pub submit_by: Option<Date>,
    pub reason: String,
}

const UPDATABLE: [&str; 3] = ["title", "collect_by_date", "submit_by_date"];

impl TryFrom<pb::UpdateCampaignRequest> for CampaignChange {
    type Error = FieldViolations;
    fn try_from(r: pb::UpdateCampaignRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let c = r.campaign.unwrap_or_default();
        let campaign_id = ids::uuid(&c.campaign_id, "campaign.campaign_id", &mut violations);
        let version = ids::etag(&c.etag, "campaign.etag", &mut violations);
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        violations.check(
            paths.is_empty(),
            "update_mask",
            "required: the fields to change",
        );
        for path in &paths {
            violations.check(
                !UPDATABLE.contains(&path.as_str()),
                "update_mask",
                &format!(
                    "{path} cannot be changed; allowed: {}",
                    UPDATABLE.join(", ")
                ),
            );
        }
        let named = |path: &str| paths.iter().any(|p| p == path);
        let title = named("title").then(|| {
            violations.check_required_line("campaign.title", &c.title, MAX_TITLE, "required");
            c.title.trim().to_owned()
        });
        let collect_by = named("collect_by_date").then(|| {
            date(
                c.collect_by_date.as_ref(),
                "campaign.collect_by_date",
                &mut violations,
            )
        });
        let submit_by = named("submit_by_date").then(|| {
            date(
                c.submit_by_date.as_ref(),
                "campaign.submit_by_date",
                &mut violations,
            )
        });
        violations.check_required_line("reason", &r.reason, MAX_REASON, "required");
        violations.then(|| CampaignChange {
            campaign_id: campaign_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            title,
            collect_by,
            submit_by,
            reason: r.reason.trim().to_owned(),
        })
    }
}

/// A change to one campaign or unit at the version the caller read, with
/// the caller's words (CloseCampaign, AcceptUnitSummary).
pub struct Versioned {
    pub id: Uuid,
    pub version: i64,
    pub comment: String,
}

impl TryFrom<pb::CloseCampaignRequest> for Versioned {
    type Error = FieldViolations;
    fn try_from(r: pb::CloseCampaignRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let id = ids::uuid(&r.campaign_id, "campaign_id", &mut violations);
        let version = ids::etag(&r.etag, "etag", &mut violations);
        violations.check_text("comment", &r.comment, MAX_REASON);
        violations.then(|| Versioned {
            id: id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            comment: r.comment.trim().to_owned(),
        })
    }
}

impl TryFrom<pb::AcceptUnitSummaryRequest> for Versioned {
    type Error = FieldViolations;
    fn try_from(r: pb::AcceptUnitSummaryRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let id = ids::uuid(&r.campaign_unit_id, "campaign_unit_id", &mut violations);
        let version = ids::etag(&r.etag, "etag", &mut violations);
        violations.check_text("comment", &r.comment, MAX_REASON);
        violations.then(|| Versioned {
            id: id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            comment: r.comment.trim().to_owned(),
        })
    }
}

/// One resource by id (GetCampaign, GetCampaignUnit, ExportSummaryForm).
pub struct ById(pub Uuid);

fn by_id(value: &str, field: &str) -> Result<ById, FieldViolations> {
    let mut violations = FieldViolations::new();
    let id = ids::uuid(value, field, &mut violations);
    violations.then(|| ById(id.unwrap_or_default()))
}

impl TryFrom<pb::GetCampaignRequest> for ById {
    type Error = FieldViolations;
    fn try_from(r: pb::GetCampaignRequest) -> Result<Self, FieldViolations> {
        by_id(&r.campaign_id, "campaign_id")
    }
}

impl TryFrom<pb::GetCampaignUnitRequest> for ById {
    type Error = FieldViolations;
    fn try_from(r: pb::GetCampaignUnitRequest) -> Result<Self, FieldViolations> {
        by_id(&r.campaign_unit_id, "campaign_unit_id")
    }
}

impl TryFrom<pb::ExportCampaignOverviewRequest> for ById {
    type Error = FieldViolations;
    fn try_from(r: pb::ExportCampaignOverviewRequest) -> Result<Self, FieldViolations> {
        by_id(&r.campaign_id, "campaign_id")
    }
}

impl TryFrom<pb::ExportSummaryFormRequest> for ById {
    type Error = FieldViolations;
    fn try_from(r: pb::ExportSummaryFormRequest) -> Result<Self, FieldViolations> {
        by_id(&r.campaign_unit_id, "campaign_unit_id")
    }
}

/// ListCampaigns.
pub struct CampaignQuery {
    pub year: Option<i32>,
    pub state: Option<i32>,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListCampaignsRequest> for CampaignQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListCampaignsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListCampaigns", &r, &mut violations);
        if r.year != 0 {
            year(r.year, "year", &mut violations);
        }
        violations.check(
            CampaignState::try_from(r.state).is_err(),
            "state",
            "unknown state",
        );
        violations.then(|| CampaignQuery {
            year: (r.year != 0).then_some(r.year),
            state: (r.state != 0).then_some(r.state),
            page,
        })
    }
}

/// IssueSummaryForms.
pub struct Issue {
    pub campaign_id: Uuid,
    pub unit_org_ids: Vec<i64>,
}

impl TryFrom<pb::IssueSummaryFormsRequest> for Issue {
    type Error = FieldViolations;
    fn try_from(r: pb::IssueSummaryFormsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let campaign_id = ids::uuid(&r.campaign_id, "campaign_id", &mut violations);
        for (i, org_id) in r.unit_org_ids.iter().enumerate() {
            violations.check(
                *org_id <= 0,
                &format!("unit_org_ids[{i}]"),
                "not an organisation id",
            );
        }
        let mut unit_org_ids = r.unit_org_ids.clone();
        unit_org_ids.sort_unstable();
        unit_org_ids.dedup();
        violations.then(|| Issue {
            campaign_id: campaign_id.unwrap_or_default(),
            unit_org_ids,
        })
    }
}

/// ListCampaignUnits.
pub struct UnitQuery {
    pub campaign_id: Uuid,
    pub org_id: Option<i64>,
    pub state: Option<i32>,
    pub late_only: bool,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListCampaignUnitsRequest> for UnitQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListCampaignUnitsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListCampaignUnits", &r, &mut violations);
        let campaign_id = ids::uuid(&r.campaign_id, "campaign_id", &mut violations);
        let org_id = ids::optional_org_id(r.org_id, "org_id", &mut violations);
        violations.check(
            CampaignUnitState::try_from(r.state).is_err(),
            "state",
            "unknown state",
        );
        violations.then(|| UnitQuery {
            campaign_id: campaign_id.unwrap_or_default(),
            org_id,
            state: (r.state != 0).then_some(r.state),
            late_only: r.late_only,
            page,
        })
    }
}

/// GetCampaignProgress.
pub struct ProgressQuery {
    pub campaign_id: Uuid,
    pub org_id: Option<i64>,
}

impl TryFrom<pb::GetCampaignProgressRequest> for ProgressQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::GetCampaignProgressRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let campaign_id = ids::uuid(&r.campaign_id, "campaign_id", &mut violations);
        let org_id = ids::optional_org_id(r.org_id, "org_id", &mut violations);
        violations.then(|| ProgressQuery {
            campaign_id: campaign_id.unwrap_or_default(),
            org_id,
        })
    }
}

/// RecordFormCollection.
pub struct Collection {
    pub unit_id: Uuid,
    pub version: i64,
    pub collected_by_name: String,
    pub at: Option<OffsetDateTime>,
}

impl TryFrom<pb::RecordFormCollectionRequest> for Collection {
    type Error = FieldViolations;
    fn try_from(r: pb::RecordFormCollectionRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let unit_id = ids::uuid(&r.campaign_unit_id, "campaign_unit_id", &mut violations);
        let version = ids::etag(&r.etag, "etag", &mut violations);
        violations.check_required_line(
            "collected_by_name",
            &r.collected_by_name,
            MAX_NAME,
            "required",
        );
        let at = from_timestamp(r.collect_time.as_ref());
        violations.check(
            r.collect_time.is_some() && at.is_none(),
            "collect_time",
            "not a valid time",
        );
        violations.check(
            at.is_some_and(|at| at > OffsetDateTime::now_utc()),
            "collect_time",
            "is in the future",
        );
        violations.then(|| Collection {
            unit_id: unit_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            collected_by_name: r.collected_by_name.trim().to_owned(),
            at,
        })
    }
}

/// ListVerificationRows.
pub struct RowQuery {
    pub unit_id: Uuid,
    pub branch_org_id: Option<i64>,
    pub unverified_only: bool,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListVerificationRowsRequest> for RowQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListVerificationRowsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListVerificationRows", &r, &mut violations);
        let unit_id = ids::uuid(&r.campaign_unit_id, "campaign_unit_id", &mut violations);
        let branch_org_id = ids::optional_org_id(r.branch_org_id, "branch_org_id", &mut violations);
        violations.then(|| RowQuery {
            unit_id: unit_id.unwrap_or_default(),
            branch_org_id,
            unverified_only: r.unverified_only,
            page,
        })
    }
}

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
        let date = date(r.meeting_date.as_ref(), "meeting_date", &mut violations);
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
        let start = date(r.start_date.as_ref(), "start_date", &mut violations);
        let end = date(r.end_date.as_ref(), "end_date", &mut violations);
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

/// SubmitUnitSummary: the signed, sealed form and the new members.
pub struct Submission {
    pub unit_id: Uuid,
    pub version: i64,
    pub signer_name: String,
    pub signer_title: String,
    pub signed_date: Date,
    pub scan_sha256: String,
    /// Each new member's application and whether the paper came in.
    pub new_members: Vec<(Uuid, bool)>,
}

impl TryFrom<pb::SubmitUnitSummaryRequest> for Submission {
    type Error = FieldViolations;
    fn try_from(r: pb::SubmitUnitSummaryRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let unit_id = ids::uuid(&r.campaign_unit_id, "campaign_unit_id", &mut violations);
        let version = ids::etag(&r.etag, "etag", &mut violations);
        let s = r.submission.unwrap_or_default();
        violations.check_required_line(
            "submission.signer_name",
            &s.signer_name,
            MAX_NAME,
            "required",
        );
        violations.check_required_line(
            "submission.signer_title",
            &s.signer_title,
            MAX_TITLE,
            "required",
        );
        let signed_date = date(
            s.signed_date.as_ref(),
            "submission.signed_date",
            &mut violations,
        );
        violations.check(
            signed_date > relief_runtime::time::today(),
            "submission.signed_date",
            "is in the future",
        );
        violations.check(
            !s.sealed,
            "submission.sealed",
            "the summary is submitted signed and sealed (签字盖章)",
        );
        let scan = s.scan_sha256.to_ascii_lowercase();
        violations.check(
            scan.len() != 64 || !scan.bytes().all(|b| b.is_ascii_hexdigit()),
            "submission.scan_sha256",
            "the hex SHA-256 of the scanned signed form (64 hex digits)",
        );
        let mut new_members = Vec::new();
        for (i, entry) in r.new_members.iter().enumerate() {
            let field = format!("new_members[{i}].application_id");
            if let Some(id) = ids::uuid(&entry.application_id, &field, &mut violations) {
                violations.check(
                    new_members.iter().any(|(seen, _)| *seen == id),
                    &field,
                    "named twice",
                );
                new_members.push((id, entry.paper_received));
            }
        }
        violations.then(|| Submission {
            unit_id: unit_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            signer_name: s.signer_name.trim().to_owned(),
            signer_title: s.signer_title.trim().to_owned(),
            signed_date,
            scan_sha256: scan,
            new_members,
        })
    }
}

/// ReturnUnitSummary.
pub struct SummaryReturn {
    pub unit_id: Uuid,
    pub version: i64,
    pub reason: String,
    pub row_ids: Vec<Uuid>,
}

impl TryFrom<pb::ReturnUnitSummaryRequest> for SummaryReturn {
    type Error = FieldViolations;
    fn try_from(r: pb::ReturnUnitSummaryRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let unit_id = ids::uuid(&r.campaign_unit_id, "campaign_unit_id", &mut violations);
        let version = ids::etag(&r.etag, "etag", &mut violations);
        violations.check_text("reason", &r.reason, MAX_RESOLUTION);
        violations.check(
            r.reason.trim().is_empty(),
            "reason",
            "required: what the unit must correct",
        );
        let row_ids: Vec<Uuid> = r
            .row_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| ids::uuid(id, &format!("row_ids[{i}]"), &mut violations))
            .collect();
        violations.then(|| SummaryReturn {
            unit_id: unit_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            reason: r.reason.trim().to_owned(),
            row_ids,
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

    #[test]
    fn a_campaign_submits_after_it_collects() {
        let open = pb::OpenCampaignRequest {
            request_id: "r".into(),
            campaign: Some(pb::Campaign {
                year: 2026,
                title: "2026年度困难党员台账更新".into(),
                collect_by_date: Some(common::Date {
                    year: 2026,
                    month: 12,
                    day: 10,
                }),
                submit_by_date: Some(common::Date {
                    year: 2026,
                    month: 11,
                    day: 30,
                }),
                ..Default::default()
            }),
        };
        let named: Vec<String> = NewCampaign::try_from(open)
            .err()
            .map(|v| v.into_pairs().into_iter().map(|(f, _)| f).collect())
            .unwrap_or_default();
        assert_eq!(named, vec!["campaign.submit_by_date"]);
    }
}
