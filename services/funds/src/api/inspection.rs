//! 专项检查 and exports — running and storing the special inspection, and
//! streaming it and the voucher list as .xlsx files.

use std::collections::HashMap;

use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use uuid::Uuid;

use super::{FileStream, Funds, patterns};
use crate::domain::commands::{GetReport, InspectionRun, ReportListing, VoucherExport};
use crate::domain::inspection::{Limits, inspect};
use crate::domain::money::Money;
use crate::store::Store;

/// Bytes per streamed chunk.
const CHUNK: usize = 64 * 1024;

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
    async fn org_at(&self, path: &str) -> Result<common::OrgRef> {
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

    pub(super) async fn export_inspection(
        &self,
        caller: Caller,
        query: GetReport,
    ) -> Result<FileStream> {
        let report = self.get_report(caller, query).await?;
        let bytes = crate::export::inspection_xlsx(&report)
            .map_err(|err| Error::internal("writing the inspection report", err))?;
        let name = format!(
            "{}年度救助资金专项检查报告（{}）.xlsx",
            report.year,
            report
                .org
                .as_ref()
                .map(|o| o.name.as_str())
                .unwrap_or_default()
        );
        Ok(stream(name, bytes))
    }

    pub(super) async fn export_vouchers(
        &self,
        caller: Caller,
        export: VoucherExport,
    ) -> Result<FileStream> {
        let roots = self
            .roots(&caller, Permission::FundsRead, export.org_id)
            .await?;
        let vouchers = self
            .store
            .vouchers(export.year, &patterns(&roots), export.from, export.to)
            .await?;
        let bytes = crate::export::vouchers_xlsx(export.year, &vouchers)
            .map_err(|err| Error::internal("writing the voucher list", err))?;
        Ok(stream(export.file_name(), bytes))
    }
}

/// A file as a stream of chunks; the first names it.
fn stream(file_name: String, bytes: Vec<u8>) -> FileStream {
    let mut chunks: Vec<Result<common::FileChunk, tonic::Status>> = bytes
        .chunks(CHUNK)
        .map(|data| {
            Ok(common::FileChunk {
                data: data.to_vec(),
                ..Default::default()
            })
        })
        .collect();
    let first = common::FileChunk {
        file_name,
        content_type: crate::export::XLSX_MIME.to_owned(),
        data: Vec::new(),
    };
    match chunks.first_mut() {
        Some(Ok(chunk)) => {
            chunk.file_name = first.file_name;
            chunk.content_type = first.content_type;
        }
        _ => chunks.push(Ok(first)),
    }
    Box::pin(futures::stream::iter(chunks))
}
