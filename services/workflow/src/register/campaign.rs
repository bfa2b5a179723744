//! 年度核查 — what the campaign reads from the register (the active rows a
//! unit's form is issued with) and writes back on acceptance: one
//! verification entry per row for the year, through the ledger's
//! RecordVerification, which adjusts or removes the row as its outcome says.
//!
//! Applying is idempotent: a row whose record already carries this
//! campaign's verification of the year is done; otherwise the request id is
//! derived from the campaign row and the record's etag, so a retry after a
//! lost commit replays the ledger's answer and writes nothing twice.

use relief_proto::common::v1::{Money, VerificationOutcome};
use relief_proto::ledger::v1 as ledger;
use relief_runtime::error::{Error, Result};
use time::Date;
use tonic::Code;
use uuid::Uuid;

use super::{Register, unanswered};

/// The ledger's page size when reading every active row.
const PAGE: i32 = 500;

/// One row's outcome, as the register is told it.
#[derive(Debug, Clone)]
pub struct VerificationEntry {
    pub campaign_id: Uuid,
    pub row_id: Uuid,
    pub record_id: Uuid,
    pub year: i32,
    pub outcome: VerificationOutcome,
    /// The findings, with the removal reason for a removal.
    pub findings: String,
    pub meeting_date: Date,
    pub notice_start: Date,
    pub notice_end: Date,
    pub notice_result: String,
    pub adjust_category: i32,
    pub adjust_household_size: i32,
    pub adjust_income_fen: Option<i64>,
}

/// What became of a row on the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Written now.
    Written,
    /// This campaign's verification was there already.
    AlreadyThere,
}

impl Register {
    /// Every active register row under `org_id` (0: all).
    pub async fn active_records(&self, org_id: i64) -> Result<Vec<ledger::HardshipRecord>> {
        let mut ledger = self.ledger()?;
        let mut records = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = ledger
                .list_records(ledger::ListRecordsRequest {
                    org_id,
                    status: ledger::RecordStatus::Active as i32,
                    page_size: PAGE,
                    page_token: page_token.clone(),
                    ..Default::default()
                })
                .await
                .map_err(|status| unanswered("active register rows", status))?
                .into_inner();
            records.extend(page.records);
            if page.next_page_token.is_empty() {
                return Ok(records);
            }
            page_token = page.next_page_token;
        }
    }

    /// The register row `record_id` as it is now (masked).
    pub async fn record(&self, record_id: Uuid) -> Result<ledger::HardshipRecord> {
        self.ledger()?
            .get_record(ledger::GetRecordRequest {
                record_id: record_id.to_string(),
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| unanswered("register row", status))
    }

    /// Writes one row's verification for the year, unless it is there.
    pub async fn apply_verification(&self, entry: &VerificationEntry) -> Result<Applied> {
        let record = self.record(entry.record_id).await?;
        let campaign_id = entry.campaign_id.to_string();
        if record
            .verifications
            .iter()
            .any(|v| v.year == entry.year && v.campaign_id == campaign_id)
        {
            return Ok(Applied::AlreadyThere);
        }
        // Removed meanwhile (a case between campaigns): the removal the
        // campaign decided is on the register already.
        if entry.outcome == VerificationOutcome::Remove
            && record.status == ledger::RecordStatus::Removed as i32
        {
            return Ok(Applied::AlreadyThere);
        }
        let date = |d: Date| Some(relief_runtime::time::to_proto(d));
        let adjust = entry.outcome == VerificationOutcome::Adjust;
        let written = self
            .ledger()?
            .record_verification(ledger::RecordVerificationRequest {
                request_id: format!("workflow-campaign-row-{}-{}", entry.row_id, record.etag),
                record_id: record.record_id.clone(),
                etag: record.etag.clone(),
                verification: Some(ledger::Verification {
                    year: entry.year,
                    outcome: entry.outcome as i32,
                    findings: entry.findings.clone(),
                    branch_meeting_date: date(entry.meeting_date),
                    notice_start: date(entry.notice_start),
                    notice_end: date(entry.notice_end),
                    notice_result: entry.notice_result.clone(),
                    campaign_id,
                    ..Default::default()
                }),
                adjust_category: if adjust { entry.adjust_category } else { 0 },
                adjust_household_size: if adjust {
                    entry.adjust_household_size
                } else {
                    0
                },
                adjust_annual_household_income: entry
                    .adjust_income_fen
                    .filter(|_| adjust)
                    .map(|fen| Money { fen }),
            })
            .await;
        match written {
            Ok(_) => Ok(Applied::Written),
            // The register refuses (a year before the row, a removed row):
            // the department is told why, unchanged.
            Err(status) if status.code() == Code::FailedPrecondition => {
                Err(Error::Upstream(Box::new(status)))
            }
            Err(status) => Err(unanswered("register verification", status)),
        }
    }
}
