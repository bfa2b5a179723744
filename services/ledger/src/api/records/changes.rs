//! Changing the register: add a row, adjust it, remove it (the hardship
//! ended), recognise it (认定).

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use uuid::Uuid;

use super::super::{LedgerApi, convert, record_change};
use super::{RECORD_REMOVED, Why, removal_allowed};
use crate::commands::records::{NewRecord, Recognition, RecordAdjustment, RecordRemoval};
use crate::domain::record::{RecordDraft, RecordStatus};
use crate::store::{Change, NewRecordRow, Store};

/// A row is recognised once.
const ALREADY_RECOGNISED: &str = "ALREADY_RECOGNISED";

impl LedgerApi {
    /// Adds a checked register row for `member_id` (CreateRecord, and an
    /// import row that carries one).
    pub(in crate::api) async fn insert_record(
        &self,
        work: &mut Work,
        caller: &Caller,
        member_id: Uuid,
        draft: &RecordDraft,
    ) -> Result<pb::HardshipRecord> {
        let member = Store::member_in(work.tx(), member_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("member {member_id}")))?;
        caller.authorize(Permission::RecordWrite, &member.org_path)?;
        let record_id = Uuid::new_v4();
        let sealed_income = self.seal_income(record_id, draft.annual_household_income_fen)?;
        Store::insert_record(
            work.tx(),
            NewRecordRow {
                record_id,
                member: &member,
                category: draft.category,
                cause: &draft.cause,
                description: &draft.description,
                household_size: draft.household_size,
                sealed_income,
                since: draft.since,
                source_kind: draft.source_kind,
                source_ref: &draft.source_ref,
                created_by_id: &caller.user_id,
                created_by_name: &caller.display_name,
            },
        )
        .await?;
        let row = Store::record_in(work.tx(), record_id)
            .await?
            .ok_or_else(|| {
                Error::internal("adding", "record vanished inside its own transaction")
            })?;
        record_change(
            work,
            Change {
                action: "record.created",
                resource: &format!("records/{record_id}"),
                reason: "",
                changed_fields: Vec::new(),
                before: None,
                after: Some(convert::record_audit_view(&row)),
            },
        )
        .await?;
        Self::record_response(work.tx(), record_id).await
    }

    pub(in crate::api) async fn add_record(
        &self,
        caller: Caller,
        command: NewRecord,
        mut work: Work,
    ) -> Result<Done<pb::HardshipRecord>> {
        let record = self
            .insert_record(&mut work, &caller, command.member_id, &command.draft)
            .await?;
        Ok(work.done(record))
    }

    pub(in crate::api) async fn adjust_record(
        &self,
        caller: Caller,
        command: RecordAdjustment,
        mut work: Work,
    ) -> Result<Done<pb::HardshipRecord>> {
        let before =
            Self::record_for_change(&mut work, &caller, Permission::RecordWrite, command.at)
                .await?;
        if before.status != RecordStatus::Active {
            return Err(Error::refused(
                RECORD_REMOVED,
                "a removed record cannot be adjusted",
            ));
        }
        let mut after = before.clone();
        if let Some(category) = command.category {
            after.category = category;
        }
        if let Some(cause) = command.cause {
            after.cause = cause;
        }
        if let Some(description) = command.description {
            after.description = description;
        }
        if let Some(size) = command.household_size {
            after.household_size = size;
        }
        let mut sealed_changed = Vec::new();
        if let Some(fen) = command.annual_household_income_fen {
            after.sealed_income = self.seal_income(before.record_id, fen)?;
            sealed_changed.push("income");
        }
        let record = Self::save_record_change(
            &mut work,
            &before,
            &after,
            Why {
                action: "record.adjusted",
                reason: &command.reason,
                sealed_changed: &sealed_changed,
            },
        )
        .await?;
        Ok(work.done(record))
    }

    pub(in crate::api) async fn remove(
        &self,
        caller: Caller,
        command: RecordRemoval,
        mut work: Work,
    ) -> Result<Done<pb::HardshipRecord>> {
        let before =
            Self::record_for_change(&mut work, &caller, Permission::RecordWrite, command.at)
                .await?;
        if before.status != RecordStatus::Active {
            return Err(Error::refused(
                RECORD_REMOVED,
                "the record is already removed",
            ));
        }
        removal_allowed(&caller, &before)?;
        if command.until < before.since {
            return Err(Error::invalid("until", "is before the record's since date"));
        }
        let mut after = before.clone();
        after.status = RecordStatus::Removed;
        after.until = Some(command.until);
        after.removal_reason = command.reason.clone();
        let record = Self::save_record_change(
            &mut work,
            &before,
            &after,
            Why {
                action: "record.removed",
                reason: &command.reason,
                sealed_changed: &[],
            },
        )
        .await?;
        Ok(work.done(record))
    }

    pub(in crate::api) async fn recognise(
        &self,
        caller: Caller,
        command: Recognition,
        mut work: Work,
    ) -> Result<Done<pb::HardshipRecord>> {
        let before =
            Self::record_for_change(&mut work, &caller, Permission::RecordRecognise, command.at)
                .await?;
        if before.recognised {
            return Err(Error::refused(
                ALREADY_RECOGNISED,
                "the record is already recognised",
            ));
        }
        let mut after = before.clone();
        after.recognised = true;
        after.checked_by_id = caller.user_id.clone();
        after.checked_by_name = caller.display_name.clone();
        let record = Self::save_record_change(
            &mut work,
            &before,
            &after,
            Why {
                action: "record.recognised",
                reason: &command.comment,
                sealed_changed: &[],
            },
        )
        .await?;
        Ok(work.done(record))
    }
}
