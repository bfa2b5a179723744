//! 年度核查 — recording a row's yearly verification, and what its outcome
//! does to the row: nothing, an adjustment, or its removal.

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use relief_runtime::time::today;

use super::super::LedgerApi;
use super::{RECORD_REMOVED, Why, removal_allowed};

/// A row is verified for a year it was on the register in: not one before
/// it came on (a row added in 2026 has no 2025 verification).
const YEAR_BEFORE_RECORD: &str = "YEAR_BEFORE_RECORD";
use crate::commands::records::Verification;
use crate::domain::record::RecordStatus;
use crate::domain::verification::{VerificationOutcome, removal_reason};
use crate::store::{Store, VerificationRow};

impl LedgerApi {
    pub(in crate::api) async fn verify(
        &self,
        caller: Caller,
        Verification { at, draft }: Verification,
        mut work: Work,
    ) -> Result<Done<pb::HardshipRecord>> {
        let before = Self::record_for_change(&mut work, &caller, Permission::Verify, at).await?;
        if before.status != RecordStatus::Active {
            return Err(Error::refused(
                RECORD_REMOVED,
                "only a record on the register can be verified",
            ));
        }
        if draft.year < before.since.year() {
            return Err(Error::refused(
                YEAR_BEFORE_RECORD,
                format!(
                    "the record came on the register on {}: it has no verification for {}",
                    before.since, draft.year
                ),
            ));
        }
        if draft.outcome == VerificationOutcome::Remove {
            removal_allowed(&caller, &before)?;
        }
        Store::insert_verification(
            work.tx(),
            &VerificationRow {
                record_id: at.record_id,
                year: draft.year,
                outcome: draft.outcome,
                findings: draft.findings.clone(),
                branch_meeting_date: draft.branch_meeting_date,
                notice_start: draft.notice_start,
                notice_end: draft.notice_end,
                notice_result: draft.notice_result.clone(),
                campaign_id: draft.campaign_id.clone(),
                verified_by_id: caller.user_id.clone(),
                verified_by_name: caller.display_name.clone(),
                verified_at: time::OffsetDateTime::now_utc(),
            },
        )
        .await?;
        let mut after = before.clone();
        let mut sealed_changed = vec!["verifications"];
        match draft.outcome {
            VerificationOutcome::Adjust => {
                let adjustment = &draft.adjustment;
                if let Some(category) = adjustment.category {
                    after.category = category;
                }
                if let Some(size) = adjustment.household_size {
                    after.household_size = size;
                }
                if let Some(fen) = adjustment.annual_household_income_fen {
                    after.sealed_income = self.seal_income(at.record_id, fen)?;
                    sealed_changed.push("income");
                }
            }
            VerificationOutcome::Remove => {
                after.status = RecordStatus::Removed;
                after.until = Some(today().max(before.since));
                after.removal_reason = removal_reason(draft.year, &draft.findings);
            }
            VerificationOutcome::Continue => {}
        }
        let action = format!("record.verified.{}", draft.outcome.as_str());
        let record = Self::save_record_change(
            &mut work,
            &before,
            &after,
            Why {
                action: &action,
                reason: &draft.findings,
                sealed_changed: &sealed_changed,
            },
        )
        .await?;
        Ok(work.done(record))
    }
}
