//! Requests about register rows: add, read, list, adjust, remove,
//! recognise, verify.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::time::{from_proto, is_unset, today};
use time::Date;
use uuid::Uuid;

use super::{Page, mask_paths, reveal_reason};
use crate::domain::record::{
    HardshipCategory, MAX_DESCRIPTION, RecordDraft, RecordStatus, check_annual_income, check_cause,
    check_household_size, validate_new_record,
};
use crate::domain::verification::{VerificationDraft, validate_verification};
use relief_runtime::text::{MAX_LINE, MAX_REASON};

/// A change to one record: which, and the version the caller read.
#[derive(Debug, Clone, Copy)]
pub struct RecordAt {
    pub record_id: Uuid,
    pub version: i64,
}

impl RecordAt {
    fn parse(
        record_id: &str,
        etag: &str,
        prefix: &str,
        violations: &mut FieldViolations,
    ) -> Option<Self> {
        let record_id = ids::uuid(record_id, &format!("{prefix}record_id"), violations);
        let version = ids::etag(etag, &format!("{prefix}etag"), violations);
        Some(RecordAt {
            record_id: record_id?,
            version: version?,
        })
    }
}

/// CreateRecord: a row for a registered member.
#[derive(Debug)]
pub struct NewRecord {
    pub member_id: Uuid,
    pub draft: RecordDraft,
}

impl TryFrom<pb::CreateRecordRequest> for NewRecord {
    type Error = FieldViolations;

    fn try_from(request: pb::CreateRecordRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let member_id = ids::uuid(&request.member_id, "member_id", &mut violations);
        let draft = validate_new_record(&request, today(), "")
            .map_err(|more| violations.merge(more))
            .ok();
        match (member_id, draft) {
            (Some(member_id), Some(draft)) => violations.then(|| NewRecord { member_id, draft }),
            _ => Err(violations),
        }
    }
}

/// GetRecord: masked, or with the income revealed for a recorded reason.
#[derive(Debug)]
pub struct RecordRead {
    pub record_id: Uuid,
    pub reveal: Option<String>,
}

impl TryFrom<pb::GetRecordRequest> for RecordRead {
    type Error = FieldViolations;

    fn try_from(request: pb::GetRecordRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let record_id = ids::uuid(&request.record_id, "record_id", &mut violations);
        let reveal = reveal_reason(
            request.reveal_sensitive,
            &request.reveal_reason,
            &mut violations,
        );
        match record_id {
            Some(record_id) => violations.then(|| RecordRead { record_id, reveal }),
            None => Err(violations),
        }
    }
}

/// ListRecords: filters (`None`: any) and a page in (since, record) order.
#[derive(Debug)]
pub struct RecordListing {
    pub org_id: Option<i64>,
    pub category: Option<HardshipCategory>,
    pub status: Option<RecordStatus>,
    /// On the register at some time during this year.
    pub year: Option<i32>,
    pub name_prefix: String,
    pub member_id: Option<Uuid>,
    /// After the last record of the page before, by id.
    pub page: Page<Uuid>,
}

impl TryFrom<pb::ListRecordsRequest> for RecordListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListRecordsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        violations.check_line("name_prefix", &request.name_prefix, MAX_LINE);
        let page = Page::parse("ListRecords", &request, &mut violations);
        if common::HardshipCategory::try_from(request.category).is_err() {
            violations.add("category", "unknown category");
        }
        if pb::RecordStatus::try_from(request.status).is_err() {
            violations.add("status", "unknown status");
        }
        if request.year != 0 && !(1990..=2200).contains(&request.year) {
            violations.add("year", "must be a four-digit year, or 0 for any");
        }
        let member_id = if request.member_id.is_empty() {
            None
        } else {
            ids::uuid(&request.member_id, "member_id", &mut violations)
        };
        let org_id = ids::optional_org_id(request.org_id, "org_id", &mut violations);
        violations.then(|| RecordListing {
            org_id,
            category: HardshipCategory::from_proto(request.category),
            status: RecordStatus::from_proto(request.status),
            year: (request.year != 0).then_some(request.year),
            name_prefix: request.name_prefix.trim().to_owned(),
            member_id,
            page,
        })
    }
}

/// UpdateRecord: an adjustment of the fields the mask names.
#[derive(Debug)]
pub struct RecordAdjustment {
    pub at: RecordAt,
    pub reason: String,
    pub category: Option<HardshipCategory>,
    pub cause: Option<String>,
    pub description: Option<String>,
    pub household_size: Option<i32>,
    pub annual_household_income_fen: Option<i64>,
}

const RECORD_MASK_PATHS: [&str; 5] = [
    "category",
    "cause",
    "description",
    "household_size",
    "income.annual_household_income",
];

impl TryFrom<pb::UpdateRecordRequest> for RecordAdjustment {
    type Error = FieldViolations;

    fn try_from(request: pb::UpdateRecordRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let record = request.record.unwrap_or_default();
        let paths = mask_paths(request.update_mask.as_ref());
        let has = |name: &str| paths.iter().any(|path| path == name);
        if paths.is_empty() {
            violations.add("update_mask", "required: the fields to change");
        }
        for path in &paths {
            if !RECORD_MASK_PATHS.contains(&path.as_str()) {
                violations.add("update_mask", format!("{path} cannot be changed here"));
            }
        }
        violations.check_required_line(
            "reason",
            &request.reason,
            MAX_REASON,
            "required: why the record changes",
        );
        let at = RecordAt::parse(&record.record_id, &record.etag, "record.", &mut violations);
        let category = if has("category") {
            let category = HardshipCategory::from_proto(record.category);
            if category.is_none() {
                violations.add(
                    "record.category",
                    "required: one of the hardship categories",
                );
            }
            category
        } else {
            None
        };
        let cause = has("cause").then(|| {
            check_cause(&mut violations, "record.cause", &record.cause);
            record.cause.trim().to_owned()
        });
        let description = has("description").then(|| {
            violations.check_text("record.description", &record.description, MAX_DESCRIPTION);
            record.description.trim().to_owned()
        });
        let household_size = has("household_size").then(|| {
            check_household_size(
                &mut violations,
                "record.household_size",
                record.household_size,
            );
            record.household_size
        });
        let income = has("income.annual_household_income").then(|| {
            check_annual_income(
                &mut violations,
                "annual_household_income",
                request.annual_household_income.as_ref(),
            );
            request
                .annual_household_income
                .as_ref()
                .map_or(0, |money| money.fen)
        });
        match at {
            Some(at) => violations.then(|| RecordAdjustment {
                at,
                reason: request.reason.trim().to_owned(),
                category,
                cause,
                description,
                household_size,
                annual_household_income_fen: income,
            }),
            None => Err(violations),
        }
    }
}

/// RemoveRecord: the hardship ended on `until`.
#[derive(Debug)]
pub struct RecordRemoval {
    pub at: RecordAt,
    pub reason: String,
    pub until: Date,
}

impl TryFrom<pb::RemoveRecordRequest> for RecordRemoval {
    type Error = FieldViolations;

    fn try_from(request: pb::RemoveRecordRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let at = RecordAt::parse(&request.record_id, &request.etag, "", &mut violations);
        violations.check_required_line(
            "reason",
            &request.reason,
            MAX_REASON,
            "required: why the hardship ended",
        );
        let until = if is_unset(request.until.as_ref()) {
            Some(today())
        } else {
            from_proto(request.until.as_ref())
        };
        match until {
            None => violations.add("until", "not a real date"),
            Some(until) if until > today() => violations.add("until", "is in the future"),
            Some(_) => {}
        }
        match (at, until) {
            (Some(at), Some(until)) => violations.then(|| RecordRemoval {
                at,
                reason: request.reason.trim().to_owned(),
                until,
            }),
            _ => Err(violations),
        }
    }
}

/// RecogniseRecord: the department's recognition (认定) of a row.
#[derive(Debug)]
pub struct Recognition {
    pub at: RecordAt,
    pub comment: String,
}

impl TryFrom<pb::RecogniseRecordRequest> for Recognition {
    type Error = FieldViolations;

    fn try_from(request: pb::RecogniseRecordRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let at = RecordAt::parse(&request.record_id, &request.etag, "", &mut violations);
        violations.check_text("comment", &request.comment, MAX_REASON);
        match at {
            Some(at) => violations.then(|| Recognition {
                at,
                comment: request.comment.trim().to_owned(),
            }),
            None => Err(violations),
        }
    }
}

/// RecordVerification: the year's verification of a row.
#[derive(Debug)]
pub struct Verification {
    pub at: RecordAt,
    pub draft: VerificationDraft,
}

impl TryFrom<pb::RecordVerificationRequest> for Verification {
    type Error = FieldViolations;

    fn try_from(request: pb::RecordVerificationRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let at = RecordAt::parse(&request.record_id, &request.etag, "", &mut violations);
        let draft = validate_verification(&request, today())
            .map_err(|more| violations.merge(more))
            .ok();
        match (at, draft) {
            (Some(at), Some(draft)) => violations.then(|| Verification { at, draft }),
            _ => Err(violations),
        }
    }
}
