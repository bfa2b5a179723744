//! Reading register rows: one (masked, or with its income revealed and the
//! read recorded), or a filtered listing.

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use uuid::Uuid;

use super::super::{LedgerApi, convert};
use crate::commands::records::{RecordListing, RecordRead};
use crate::store::RecordFilter;

impl LedgerApi {
    pub(in crate::api) async fn record(
        &self,
        caller: Caller,
        query: RecordRead,
    ) -> Result<pb::HardshipRecord> {
        let record_id = query.record_id;
        let row = self
            .store
            .record(record_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("record {record_id}")))?;
        caller.authorize(Permission::RecordRead, &row.org_path)?;
        let verifications = self.store.verifications(&[record_id]).await?;
        let Some(reason) = query.reveal else {
            return Ok(convert::record(&row, &verifications, None));
        };
        caller.authorize(Permission::SensitiveRead, &row.org_path)?;
        let income = self.open_income(&row)?;
        self.store
            .log_sensitive_read(&caller.actor(), &format!("records/{record_id}"), &reason)
            .await?;
        Ok(convert::record(&row, &verifications, Some(income)))
    }

    pub(in crate::api) async fn records(
        &self,
        caller: Caller,
        query: RecordListing,
    ) -> Result<pb::ListRecordsResponse> {
        let filter = RecordFilter {
            roots: self
                .roots(&caller, Permission::RecordRead, query.org_id)
                .await?,
            category: query.category,
            status: query.status,
            year: query.year,
            name_prefix: query.name_prefix,
            member_id: query.member_id,
        };
        let mut rows = self
            .store
            .list_records(&filter, query.page.after, query.page.fetch())
            .await?;
        let next_page_token = query.page.next(&mut rows, |row| row.record_id);
        let ids: Vec<Uuid> = rows.iter().map(|row| row.record_id).collect();
        let verifications = self.store.verifications(&ids).await?;
        Ok(pb::ListRecordsResponse {
            records: rows
                .iter()
                .map(|row| convert::record(row, &verifications, None))
                .collect(),
            next_page_token,
        })
    }
}
