//! Requests that read across the register — history, statistics, the forms,
//! the log of unmasked reads — and the rows of a bulk import.

use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::text::MAX_LINE;
use relief_runtime::time::today;
use uuid::Uuid;

use super::{Page, reveal_reason};
use crate::domain::member::{MemberDraft, validate_new_member};
use crate::domain::record::{RecordDraft, SourceKind, validate_new_record};

/// What has a history: a member or a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Member(Uuid),
    Record(Uuid),
}

impl Resource {
    /// `members/{id}` or `records/{id}`, as the history names it.
    pub fn name(self) -> String {
        match self {
            Resource::Member(id) => format!("members/{id}"),
            Resource::Record(id) => format!("records/{id}"),
        }
    }
}

/// ListHistory: the changes of one member or record.
#[derive(Debug)]
pub struct HistoryQuery {
    pub resource: Resource,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListHistoryRequest> for HistoryQuery {
    type Error = FieldViolations;

    fn try_from(request: pb::ListHistoryRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListHistory", &request, &mut violations);
        let resource = match request.resource.split_once('/') {
            Some((kind @ ("members" | "records"), id)) => {
                ids::uuid(id, "resource", &mut violations).map(|id| {
                    if kind == "members" {
                        Resource::Member(id)
                    } else {
                        Resource::Record(id)
                    }
                })
            }
            _ => {
                violations.add("resource", "must be members/{id} or records/{id}");
                None
            }
        };
        match resource {
            Some(resource) => violations.then(|| HistoryQuery { resource, page }),
            None => Err(violations),
        }
    }
}

/// GetStatistics: one year, in the caller's subtree or a part of it.
#[derive(Debug)]
pub struct StatisticsQuery {
    pub org_id: Option<i64>,
    pub year: i32,
}

impl TryFrom<pb::GetStatisticsRequest> for StatisticsQuery {
    type Error = FieldViolations;

    fn try_from(request: pb::GetStatisticsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let year = if request.year == 0 {
            today().year()
        } else {
            request.year
        };
        if !(1990..=2200).contains(&year) {
            violations.add("year", "must be a four-digit year, or 0 for this year");
        }
        let org_id = ids::optional_org_id(request.org_id, "org_id", &mut violations);
        violations.then(|| StatisticsQuery { org_id, year })
    }
}

/// ListSensitiveReads: who saw what unmasked, optionally for one resource.
#[derive(Debug)]
pub struct SensitiveReadsQuery {
    pub resource: String,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListSensitiveReadsRequest> for SensitiveReadsQuery {
    type Error = FieldViolations;

    fn try_from(request: pb::ListSensitiveReadsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListSensitiveReads", &request, &mut violations);
        violations.check_line("resource", &request.resource, MAX_LINE);
        violations.then(|| SensitiveReadsQuery {
            resource: request.resource,
            page,
        })
    }
}

/// ExportRegister: the management register (管理台账) of a subtree.
#[derive(Debug)]
pub struct RegisterExport {
    pub org_id: Option<i64>,
    pub include_removed: bool,
    /// Unmasked, for this reason (recorded per member).
    pub reveal: Option<String>,
}

impl TryFrom<pb::ExportRegisterRequest> for RegisterExport {
    type Error = FieldViolations;

    fn try_from(request: pb::ExportRegisterRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let org_id = ids::optional_org_id(request.org_id, "org_id", &mut violations);
        let reveal = reveal_reason(
            request.reveal_sensitive,
            &request.reveal_reason,
            &mut violations,
        );
        violations.then(|| RegisterExport {
            org_id,
            include_removed: request.include_removed,
            reveal,
        })
    }
}

/// ExportNewMembersForm: the year's form of members newly on the register.
#[derive(Debug)]
pub struct NewMembersExport {
    pub org_id: Option<i64>,
    pub year: i32,
    /// Unmasked, for this reason (recorded per member).
    pub reveal: Option<String>,
}

impl TryFrom<pb::ExportNewMembersFormRequest> for NewMembersExport {
    type Error = FieldViolations;

    fn try_from(request: pb::ExportNewMembersFormRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        if !(1990..=2200).contains(&request.year) {
            violations.add("year", "required: a four-digit year");
        }
        let org_id = ids::optional_org_id(request.org_id, "org_id", &mut violations);
        let reveal = reveal_reason(
            request.reveal_sensitive,
            &request.reveal_reason,
            &mut violations,
        );
        violations.then(|| NewMembersExport {
            org_id,
            year: request.year,
            reveal,
        })
    }
}

/// One row of ImportMembers: a member, and a record for them if the paper
/// register had one.
#[derive(Debug)]
pub struct ImportedRow {
    pub row_number: i32,
    pub member: MemberDraft,
    pub record: Option<RecordDraft>,
}

impl TryFrom<pb::ImportRow> for ImportedRow {
    type Error = FieldViolations;

    fn try_from(row: pb::ImportRow) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let member = match &row.member {
            None => {
                violations.add("member", "required");
                None
            }
            Some(member) => validate_new_member(member, today())
                .map_err(|more| violations.merge(more))
                .ok(),
        };
        let record = match &row.record {
            None => None,
            Some(record) => validate_new_record(record, today(), "record.")
                .map_err(|more| violations.merge(more))
                .ok(),
        };
        let record = record.map(|mut draft| {
            // A row entered by hand on paper arrives by import.
            if draft.source_kind == SourceKind::Manual {
                draft.source_kind = SourceKind::Import;
            }
            draft
        });
        match member {
            Some(member) => violations.then(|| ImportedRow {
                row_number: row.row_number,
                member,
                record,
            }),
            None => Err(violations),
        }
    }
}
