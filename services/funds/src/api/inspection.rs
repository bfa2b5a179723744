//! 专项检查 — running and storing the special inspection, and reading it
//! back (its export: [`super::exports`]).

use std::collections::HashMap;

use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use uuid::Uuid;

use super::{Funds, patterns};
use crate::domain::commands::{GetReport, InspectionRun, ReportListing};
use crate::domain::inspection::{Limits, inspect};
use crate::domain::money::Money;
use crate::store::Store;

impl Funds {
    pub(super) async fn run_inspection(
        &self,
        caller: Caller,
        run: InspectionRun,
        mut work: Work,
    ) -> Result<Done<pb::InspectionReport>> {
        let roots = self.roots(&caller, Permission::Inspect, run.org_id).await?;
        let [root] = roots.as_slice() else {
            return Err(Error::invalid(
                "org_id",
                "required: your grants cover several subtrees; inspect one at a time",
            ));
        };
        let org = self.org_at(root).await?;
        let patterns = patterns(&roots);
        let facts = self.store.inspection_facts(run.year, &patterns).await?;
        let reversals = self.store.reversal_facts(run.year, &patterns).await?;
        let standards: HashMap<_, _> = self
            .store
            .standards_of_year(run.year)
            .await?
            .iter()
            .map(|s| {
                (
                    (s.relief_type, s.hardship_category),
                    Money::from_fen(s.amount),
                )
            })
            .collect();
        let limits = Limits {
            unpaid_after_days: run.unpaid_after_days,
            receipt_missing_after_days: run.receipt_missing_after_days,
            as_of: run.as_of,
        };
        let report_id = Uuid::new_v4();
        let report = pb::InspectionReport {
            report_id: report_id.to_string(),
            year: run.year,
            org: Some(org.clone()),
            unpaid_after_days: run.unpaid_after_days,
            receipt_missing_after_days: run.receipt_missing_after_days,
            as_of_date: Some(relief_runtime::time::to_proto(run.as_of)),
            generated: Some(common::ChangeStamp {
                actor: Some(caller.actor()),
                change_time: Some(relief_runtime::time::timestamp(
                    time::OffsetDateTime::now_utc(),
                )),
                reason: String::new(),
            }),
            ..inspect(&facts, &standards, &reversals, limits)
        };
        Store::save_report(work.tx(), report_id, run.year, &org.path, &report).await?;
        work.audit(
            "inspection.run",
            &format!("inspections/{report_id}"),
            &serde_json::json!({
                "year": run.year,
                "org_path": org.path,
                "as_of": run.as_of.to_string(),
                "unpaid": report.unpaid_allocations.len(),
                "receipts_missing": report.receipts_missing.len(),
                "repeats": report.repeat_payments.len(),
                "above_standard": report.above_standard.len(),
                "reversals": report.reversals.len(),
            }),
        )
        .await?;
        Ok(work.done(report))
    }

    /// The organisation at a subtree root, as known.
    pub(super) async fn org_at(&self, path: &str) -> Result<common::OrgRef> {
        if path == self.committee.path {
            return Ok(self.committee.clone());
        }
        let id = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0);
        Ok(match self.store.org(id).await? {
            Some(org) if org.path == path => org,
            _ => common::OrgRef {
                org_id: id,
                path: path.to_owned(),
                name: String::new(),
            },
        })
    }

    pub(super) async fn get_report(
        &self,
        caller: Caller,
        query: GetReport,
    ) -> Result<pb::InspectionReport> {
        let row =
            self.store.report(query.report_id).await?.ok_or_else(|| {
                Error::not_found(format!("inspection report {}", query.report_id))
            })?;
        caller.authorize(Permission::Inspect, &row.org_path)?;
        row.decode()
    }

    pub(super) async fn list_reports(
        &self,
        caller: Caller,
        listing: ReportListing,
    ) -> Result<pb::ListInspectionReportsResponse> {
        let roots = self
            .roots(&caller, Permission::Inspect, listing.org_id)
            .await?;
        let page = listing.page;
        let mut rows = self
            .store
            .list_reports(
                listing.year,
                &patterns(&roots),
                page.after.unwrap_or(0),
                page.fetch(),
            )
            .await?;
        let next_page_token = page.next(&mut rows, |row| row.seq);
        Ok(pb::ListInspectionReportsResponse {
            reports: rows.iter().map(|row| row.decode()).collect::<Result<_>>()?,
            next_page_token,
        })
    }
}
