//! Reading across the register: a resource's history, the year's
//! statistics, and the log of unmasked reads.

use std::collections::HashMap;

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};

use super::{LedgerApi, convert};
use crate::commands::reports::{HistoryQuery, Resource, SensitiveReadsQuery, StatisticsQuery};
use crate::store::OrgRow;

impl LedgerApi {
    pub(super) async fn history(
        &self,
        caller: Caller,
        query: HistoryQuery,
    ) -> Result<pb::ListHistoryResponse> {
        let resource = query.resource.name();
        let path = match query.resource {
            Resource::Member(id) => self.store.member(id).await?.map(|row| row.org_path),
            Resource::Record(id) => self.store.record(id).await?.map(|row| row.org_path),
        }
        .ok_or_else(|| Error::not_found(resource.clone()))?;
        caller.authorize(Permission::RecordRead, &path)?;
        let mut rows = self
            .store
            .history(&resource, query.page.after.unwrap_or(0), query.page.fetch())
            .await?;
        let next_page_token = query.page.next(&mut rows, |row| row.history_id);
        Ok(pb::ListHistoryResponse {
            entries: rows.into_iter().map(convert::history_entry).collect(),
            next_page_token,
        })
    }

    pub(super) async fn statistics(
        &self,
        caller: Caller,
        query: StatisticsQuery,
    ) -> Result<pb::Statistics> {
        let roots = self
            .roots(&caller, Permission::RecordRead, query.org_id)
            .await?;
        let rows = self.store.statistics(&roots, query.year).await?;
        let unit_ids: Vec<i64> = rows.iter().map(|row| row.unit_id).collect();
        let units: HashMap<i64, OrgRow> = self
            .store
            .orgs_by_ids(&unit_ids)
            .await?
            .into_iter()
            .map(|org| (org.org_id, org))
            .collect();
        let cells: Vec<pb::StatisticsCell> = rows
            .iter()
            .map(|row| pb::StatisticsCell {
                unit: units.get(&row.unit_id).and_then(convert::org_reference),
                category: row.category.to_proto() as i32,
                active: row.active as i32,
                added: row.added as i32,
                removed: row.removed as i32,
            })
            .collect();
        Ok(pb::Statistics {
            year: query.year,
            total_active: cells.iter().map(|c| c.active).sum(),
            total_added: cells.iter().map(|c| c.added).sum(),
            total_removed: cells.iter().map(|c| c.removed).sum(),
            cells,
        })
    }

    pub(super) async fn sensitive_reads(
        &self,
        caller: Caller,
        query: SensitiveReadsQuery,
    ) -> Result<pb::ListSensitiveReadsResponse> {
        caller.authorize(Permission::AuditRead, self.committee_path())?;
        let mut rows = self
            .store
            .sensitive_reads(
                &query.resource,
                query.page.after.unwrap_or(0),
                query.page.fetch(),
            )
            .await?;
        let next_page_token = query.page.next(&mut rows, |row| row.read_id);
        Ok(pb::ListSensitiveReadsResponse {
            reads: rows.into_iter().map(convert::sensitive_read).collect(),
            next_page_token,
        })
    }
}
