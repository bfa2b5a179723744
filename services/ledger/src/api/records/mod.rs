//! Register rows (台账记录): [`reads`] (get, list), [`changes`] (add,
//! adjust, remove, recognise) and the yearly [`verification`]. What every
//! change shares is here: the row as it was read, the write with its
//! history, and the masked answer.

mod changes;
mod reads;
mod relief;

pub use relief::RELIEF_RECORDER;
mod verification;

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::Work;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{LedgerApi, convert, record_change};
use crate::commands::records::RecordAt;
use crate::store::{Change, RecordRow, Store};

/// A removed record can no longer change (it stays, so the help given stays visible).
const RECORD_REMOVED: &str = "RECORD_REMOVED";

/// A department-recognised row leaves the register only through the yearly
/// campaign or a case (branch meeting, notice, superior sign-off): the
/// workflow service's own principal, never a clerk alone.
const RECOGNISED_ROW_NEEDS_CAMPAIGN: &str = "RECOGNISED_ROW_NEEDS_CAMPAIGN";

/// The service whose principal carries campaigns and cases to the register.
const WORKFLOW: &str = "workflow";

/// `RECOGNISED_ROW_NEEDS_CAMPAIGN` when `row` is recognised and the caller
/// is not the workflow service's own principal.
fn removal_allowed(caller: &Caller, row: &RecordRow) -> Result<()> {
    if row.recognised && caller.service_principal() != Some(WORKFLOW) {
        return Err(Error::refused(
            RECOGNISED_ROW_NEEDS_CAMPAIGN,
            "a row the department recognised is removed only through the yearly campaign or a case (branch meeting, public notice, superior sign-off)",
        ));
    }
    Ok(())
}

/// Associated data binding a sealed income to its record.
fn income_aad(record_id: Uuid) -> String {
    format!("records/{record_id}")
}

/// What a record change is, for its history.
struct Why<'a> {
    action: &'a str,
    reason: &'a str,
    /// Sealed fields that changed (their values never enter the history).
    sealed_changed: &'a [&'a str],
}

impl LedgerApi {
    fn seal_income(&self, record_id: Uuid, fen: i64) -> Result<Vec<u8>> {
        Ok(self.pii.seal(&income_aad(record_id), &fen)?)
    }

    pub(super) fn open_income(&self, row: &RecordRow) -> Result<i64> {
        Ok(self
            .pii
            .open::<i64>(&income_aad(row.record_id), &row.sealed_income)?)
    }

    /// The record as the caller may see it right after a change: masked.
    async fn record_response(
        conn: &mut PgConnection,
        record_id: Uuid,
    ) -> Result<pb::HardshipRecord> {
        let row = Store::record_in(conn, record_id).await?.ok_or_else(|| {
            Error::internal("answering", "record vanished inside its own transaction")
        })?;
        let verifications = Store::verifications_in(conn, &[record_id]).await?;
        Ok(convert::record(&row, &verifications, None))
    }

    /// Loads a record for a change: it exists, the caller holds `permission`
    /// on it, and it is still at the version the caller read.
    async fn record_for_change(
        work: &mut Work,
        caller: &Caller,
        permission: Permission,
        at: RecordAt,
    ) -> Result<RecordRow> {
        let row = Store::record_in(work.tx(), at.record_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("record {}", at.record_id)))?;
        caller.authorize(permission, &row.org_path)?;
        if row.version != at.version {
            return Err(Error::EtagMismatch(format!("record {}", at.record_id)));
        }
        Ok(row)
    }

    /// Writes a changed record with its history, and answers with it.
    async fn save_record_change(
        work: &mut Work,
        before: &RecordRow,
        after: &RecordRow,
        why: Why<'_>,
    ) -> Result<pb::HardshipRecord> {
        if !Store::update_record(work.tx(), after, before.version).await? {
            return Err(Error::EtagMismatch(format!("record {}", before.record_id)));
        }
        let before_view = convert::record_audit_view(before);
        let after_view = convert::record_audit_view(after);
        let mut changed = convert::changed_fields(&before_view, &after_view);
        changed.extend(why.sealed_changed.iter().map(|field| (*field).to_owned()));
        record_change(
            work,
            Change {
                action: why.action,
                resource: &format!("records/{}", before.record_id),
                reason: why.reason,
                changed_fields: changed,
                before: Some(before_view),
                after: Some(after_view),
            },
        )
        .await?;
        Self::record_response(work.tx(), before.record_id).await
    }
}
