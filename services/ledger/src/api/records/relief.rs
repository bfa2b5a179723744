//! 帮扶情况: relief a member received, written on their register row by the
//! workflow service's own principal when a signed receipt comes in (the gate
//! admits nobody else; checked again here, as every act checks its caller).

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Caller;
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use uuid::Uuid;

use super::super::{LedgerApi, convert, record_change};
use crate::commands::relief::ReliefEntry;
use crate::store::{Change, ReliefRow, Store};

/// The service whose principal records relief received.
pub const RELIEF_RECORDER: &str = "workflow";

impl LedgerApi {
    pub(in crate::api) async fn record_relief(
        &self,
        caller: Caller,
        entry: ReliefEntry,
        mut work: Work,
    ) -> Result<Done<pb::ReliefReceived>> {
        if caller.service_principal() != Some(RELIEF_RECORDER) {
            return Err(Error::PermissionDenied(format!(
                "relief received is recorded only by the {RELIEF_RECORDER} service's own principal"
            )));
        }
        Store::record_in(work.tx(), entry.record_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("record {}", entry.record_id)))?;
        let row = Store::insert_relief(
            work.tx(),
            &ReliefRow {
                entry_id: Uuid::new_v4(),
                record_id: entry.record_id,
                year: entry.year,
                relief_type: entry.relief_type,
                amount_fen: entry.amount_fen,
                voucher_number: entry.voucher_number,
                disbursement_id: entry.disbursement_id,
                received_on: entry.received_on,
                recorded_by_id: caller.user_id.clone(),
                recorded_by_name: caller.display_name.clone(),
                recorded_at: time::OffsetDateTime::now_utc(),
            },
        )
        .await?;
        record_change(
            &mut work,
            Change {
                action: "record.relief_received",
                resource: &format!("records/{}", row.record_id),
                reason: "",
                changed_fields: vec!["relief_received".to_owned()],
                before: None,
                after: Some(convert::relief_audit_view(&row)),
            },
        )
        .await?;
        Ok(work.done(convert::relief_received(&row)))
    }
}
