//! 台账记录 — when a notice passes, the member goes on the register (SPEC §4
//! step 4): the ledger creates the member's hardship record with the case as
//! its source, or — the member has an active record already, one per member
//! — adjusts that record to the case and the case links to it.
//!
//! Every call is idempotent, so the sweep may retry after any failure: the
//! create's `request_id` is derived from the notice (a retry answers the
//! record made the first time), and an adjustment is made only while the
//! record differs from the case, with a `request_id` bound to the record's
//! etag (a retry after an adjustment finds nothing left to change).

use prost_types::FieldMask;
use relief_proto::common::v1::{HardshipCategory, Money};
use relief_proto::ledger::v1 as ledger;
use relief_runtime::error::Result;
use time::Date;
use tonic::Code;
use uuid::Uuid;

use super::{Register, unanswered};
use crate::domain::notice_text::hardship_phrase;

/// Longest 主要困难原因 the ledger keeps.
const MAX_CAUSE: usize = 200;

/// What the register is told of a case whose notice passed.
#[derive(Debug, Clone)]
pub struct RecordEntry {
    pub public_notice_id: Uuid,
    pub application_id: Uuid,
    pub member_id: Uuid,
    pub category: i32,
    /// The application's description of the hardship.
    pub description: String,
    pub household_size: i32,
    pub annual_household_income_fen: i64,
    /// The day the member goes on the register: the day the notice ended.
    pub since: Date,
}

impl RecordEntry {
    /// 主要困难原因 — the first line of the description, else the category's
    /// phrase: one line, as the register's column holds it.
    pub fn cause(&self) -> String {
        let first = self
            .description
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or_default()
            .replace('\t', " ");
        if first.is_empty() {
            let category = HardshipCategory::try_from(self.category).unwrap_or_default();
            hardship_phrase(category).to_owned()
        } else {
            first.chars().take(MAX_CAUSE).collect()
        }
    }

    /// Whether the record says what the case says (the income is not
    /// compared: the ledger shows it only to a recorded reveal).
    fn matches(&self, record: &ledger::HardshipRecord) -> bool {
        record.category == self.category
            && record.cause == self.cause()
            && record.description == self.description
            && record.household_size == self.household_size
    }
}

impl Register {
    /// Puts the case's member on the register; answers the record's id.
    pub async fn register_hardship(&self, entry: &RecordEntry) -> Result<String> {
        let created = self
            .ledger()?
            .create_record(ledger::CreateRecordRequest {
                request_id: format!("workflow-notice-{}-record", entry.public_notice_id),
                member_id: entry.member_id.to_string(),
                category: entry.category,
                cause: entry.cause(),
                description: entry.description.clone(),
                household_size: entry.household_size,
                annual_household_income: Some(Money {
                    fen: entry.annual_household_income_fen,
                }),
                since: Some(relief_runtime::time::to_proto(entry.since)),
                source_kind: ledger::RecordSourceKind::Application as i32,
                source_ref: entry.application_id.to_string(),
            })
            .await;
        match created {
            Ok(record) => Ok(record.into_inner().record_id),
            // One active record per member: the case adjusts it.
            Err(status) if status.code() == Code::AlreadyExists => self.adjust(entry).await,
            Err(status) => Err(unanswered("register record", status)),
        }
    }

    /// Adjusts the member's active record to the case, unless it says so
    /// already; answers its id.
    async fn adjust(&self, entry: &RecordEntry) -> Result<String> {
        let mut ledger = self.ledger()?;
        let active = ledger
            .list_records(ledger::ListRecordsRequest {
                member_id: entry.member_id.to_string(),
                status: ledger::RecordStatus::Active as i32,
                page_size: 1,
                ..Default::default()
            })
            .await
            .map_err(|status| unanswered("member's active record", status))?
            .into_inner()
            .records
            .into_iter()
            .next();
        let Some(record) = active else {
            // Removed between the two calls: the next round creates it.
            return Err(unanswered(
                "member's active record",
                tonic::Status::unavailable("the active record went away; retried later"),
            ));
        };
        if entry.matches(&record) {
            return Ok(record.record_id);
        }
        let adjusted = ledger
            .update_record(ledger::UpdateRecordRequest {
                request_id: format!(
                    "workflow-notice-{}-adjust-{}",
                    entry.public_notice_id, record.etag
                ),
                record: Some(ledger::HardshipRecord {
                    record_id: record.record_id.clone(),
                    etag: record.etag.clone(),
                    category: entry.category,
                    cause: entry.cause(),
                    description: entry.description.clone(),
                    household_size: entry.household_size,
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: [
                        "category",
                        "cause",
                        "description",
                        "household_size",
                        "income.annual_household_income",
                    ]
                    .map(String::from)
                    .to_vec(),
                }),
                annual_household_income: Some(Money {
                    fen: entry.annual_household_income_fen,
                }),
                reason: format!(
                    "救助申请 {} 经支部初审并公示期满无异议，按申请更新台账",
                    entry.application_id
                ),
            })
            .await
            .map_err(|status| unanswered("adjusted register record", status))?;
        Ok(adjusted.into_inner().record_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(description: &str) -> RecordEntry {
        RecordEntry {
            public_notice_id: Uuid::nil(),
            application_id: Uuid::nil(),
            member_id: Uuid::nil(),
            category: HardshipCategory::MajorIllness as i32,
            description: description.to_owned(),
            household_size: 3,
            annual_household_income_fen: 3_600_000,
            since: Date::MIN,
        }
    }

    #[test]
    fn the_cause_is_the_first_line_of_the_description() {
        assert_eq!(
            entry("\n 本人患尿毒症\t透析 \n多年").cause(),
            "本人患尿毒症 透析"
        );
        assert_eq!(entry("  ").cause(), "本人或家庭成员患重大疾病");
        assert_eq!(entry(&"病".repeat(300)).cause().chars().count(), MAX_CAUSE);
    }

    #[test]
    fn a_record_that_says_what_the_case_says_is_not_adjusted() {
        let case = entry("本人患尿毒症");
        let mut record = ledger::HardshipRecord {
            category: case.category,
            cause: case.cause(),
            description: case.description.clone(),
            household_size: 3,
            ..Default::default()
        };
        assert!(case.matches(&record));
        record.household_size = 4;
        assert!(!case.matches(&record));
    }
}
