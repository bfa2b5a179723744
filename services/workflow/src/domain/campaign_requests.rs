//! What the campaign's writes carry, parsed with every bad field named:
//! the department's (open, change, close, issue, accept, return) and the
//! unit's (collect, submit); the branches' are in
//! [`super::campaign_findings`], the reads beside the API.

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::text::{MAX_NAME, MAX_REASON, MAX_TITLE};
use relief_runtime::time::{from_proto, from_timestamp, is_unset};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The longest return reason or meeting resolution.
pub const MAX_RESOLUTION: usize = 2000;

/// A required date: named when missing or impossible.
pub fn required_date(
    value: Option<&common::Date>,
    field: &str,
    violations: &mut FieldViolations,
) -> Date {
    if is_unset(value) {
        violations.add(field, "required");
        return Date::MIN;
    }
    from_proto(value).unwrap_or_else(|| {
        violations.add(field, "not a real date");
        Date::MIN
    })
}

/// A four-digit year of the register.
pub fn check_year(value: i32, field: &str, violations: &mut FieldViolations) {
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
        check_year(c.year, "campaign.year", &mut violations);
        violations.check_required_line("campaign.title", &c.title, MAX_TITLE, "required");
        let collect_by = required_date(
            c.collect_by_date.as_ref(),
            "campaign.collect_by_date",
            &mut violations,
        );
        let submit_by = required_date(
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
            required_date(
                c.collect_by_date.as_ref(),
                "campaign.collect_by_date",
                &mut violations,
            )
        });
        let submit_by = named("submit_by_date").then(|| {
            required_date(
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
        let signed_date = required_date(
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
