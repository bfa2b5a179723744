//! 专项检查 and exports — running and storing the special inspection, and
//! streaming it and the voucher list as .xlsx files.

use std::collections::HashMap;

use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Permission, caller};
use relief_runtime::error::{FieldViolations, invalid_field};
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::Page;
use tonic::Request;
use uuid::Uuid;

use super::{FileStream, FundsApi, check_year, parse_uuid};
use crate::domain::allocation::{HardshipCategory, ReliefType};
use crate::domain::inspection::{DEFAULT_LIMIT_DAYS, Limits, inspect};
use crate::domain::money::Money;
use crate::error::{Error, Result};
use crate::store::{Store, subtree_patterns};

/// The longest limit taken, in days (ten years).
const MAX_LIMIT_DAYS: i32 = 3_650;
/// Bytes per streamed chunk.
const CHUNK: usize = 64 * 1024;

impl FundsApi {
    pub(super) async fn do_run_inspection(
        &self,
        request: Request<pb::RunInspectionRequest>,
    ) -> Result<pb::InspectionReport> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut v = FieldViolations::new();
        check_year(request.year, "year", &mut v);
        let mut limit = |days: i32, field: &str| -> i32 {
            if !(0..=MAX_LIMIT_DAYS).contains(&days) {
                v.add(
                    field,
                    format!("must be 0 (default {DEFAULT_LIMIT_DAYS}) to {MAX_LIMIT_DAYS} days"),
                );
            }
            if days == 0 { DEFAULT_LIMIT_DAYS } else { days }
        };
        let unpaid_after_days = limit(request.unpaid_after_days, "unpaid_after_days");
        let receipt_missing_after_days = limit(
            request.receipt_missing_after_days,
            "receipt_missing_after_days",
        );
        let as_of = if relief_runtime::time::is_unset(request.as_of_date.as_ref()) {
            Some(relief_runtime::time::today())
        } else {
            let date = relief_runtime::time::from_proto(request.as_of_date.as_ref());
            if date.is_none() {
                v.add("as_of_date", "not a calendar date");
            }
            date
        };
        relief_runtime::idempotency::check_request_id(&request.request_id)?;
        v.into_result()?;
        let Some(as_of) = as_of else {
            return Err(invalid_field("as_of_date", "not a calendar date").into());
        };
        let roots = self
            .listing_roots(&caller, Permission::Inspect, request.org_id, "org_id")
            .await?;
        let [root] = roots.as_slice() else {
            return Err(invalid_field(
                "org_id",
                "required: your grants cover several subtrees; inspect one at a time",
            )
            .into());
        };
        let org = self.org_at(root).await?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, "RunInspection", &request.request_id, &request).await?
        {
            return Ok(answer);
        }
        let patterns = subtree_patterns(&roots);
        let facts = self.store.inspection_facts(request.year, &patterns).await?;
        let reversals = self.store.reversal_facts(request.year, &patterns).await?;
        let standards: HashMap<(ReliefType, HardshipCategory), Money> = self
            .store
            .standards_of_year(request.year)
            .await?
            .iter()
            .filter_map(|s| {
                Some((
                    (
                        ReliefType::from_i32(s.relief_type)?,
                        HardshipCategory::from_i32(s.hardship_category)?,
                    ),
                    Money::from_fen(s.amount),
                ))
            })
            .collect();
        let limits = Limits {
            unpaid_after_days,
            receipt_missing_after_days,
            as_of,
        };
        let report_id = Uuid::new_v4();
        let report = pb::InspectionReport {
            report_id: report_id.to_string(),
            year: request.year,
            org: Some(org.clone()),
            unpaid_after_days,
            receipt_missing_after_days,
            as_of_date: Some(relief_runtime::time::to_proto(as_of)),
            generated: Some(common::ChangeStamp {
                actor: Some(caller.actor()),
                change_time: Some(relief_runtime::time::timestamp(
                    time::OffsetDateTime::now_utc(),
                )),
                reason: String::new(),
            }),
            ..inspect(&facts, &standards, &reversals, limits)
        };
        Store::save_report(&mut tx, report_id, request.year, &org.path, &report).await?;
        Store::audit(
            &mut tx,
            &caller.actor(),
            "inspection.run",
            &format!("inspections/{report_id}"),
            serde_json::json!({
                "year": request.year,
                "org_path": org.path,
                "as_of": as_of.to_string(),
                "unpaid": report.unpaid_allocations.len(),
                "receipts_missing": report.receipts_missing.len(),
                "repeats": report.repeat_payments.len(),
                "above_standard": report.above_standard.len(),
                "reversals": report.reversals.len(),
            }),
        )
        .await?;
        idempotency::complete(&mut tx, &request.request_id, &report).await?;
        tx.commit().await?;
        Ok(report)
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

    async fn readable_report(
        &self,
        caller: &relief_runtime::auth::Caller,
        report_id: &str,
    ) -> Result<pb::InspectionReport> {
        let id = parse_uuid("report_id", report_id)?;
        let row = self
            .store
            .report(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("inspection report {id}")))?;
        caller.authorize(Permission::Inspect, &row.org_path)?;
        row.decode()
    }

    pub(super) async fn do_get_inspection_report(
        &self,
        request: Request<pb::GetInspectionReportRequest>,
    ) -> Result<pb::InspectionReport> {
        let caller = caller(&request)?;
        self.readable_report(caller, &request.get_ref().report_id)
            .await
    }

    pub(super) async fn do_list_inspection_reports(
        &self,
        request: Request<pb::ListInspectionReportsRequest>,
    ) -> Result<pb::ListInspectionReportsResponse> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let page = Page::<i64>::of("ListInspectionReports", request)?;
        let roots = self
            .listing_roots(caller, Permission::Inspect, request.org_id, "org_id")
            .await?;
        let mut rows = self
            .store
            .list_reports(
                request.year,
                &subtree_patterns(&roots),
                page.after.unwrap_or(0),
                page.fetch(),
            )
            .await?;
        let next_page_token = page.next(&mut rows, |r| r.seq);
        Ok(pb::ListInspectionReportsResponse {
            reports: rows.iter().map(|r| r.decode()).collect::<Result<_>>()?,
            next_page_token,
        })
    }

    pub(super) async fn do_export_inspection(
        &self,
        request: Request<pb::ExportInspectionRequest>,
    ) -> Result<FileStream> {
        let caller = caller(&request)?;
        let report = self
            .readable_report(caller, &request.get_ref().report_id)
            .await?;
        let bytes = crate::export::inspection_xlsx(&report)?;
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

    pub(super) async fn do_export_vouchers(
        &self,
        request: Request<pb::ExportVouchersRequest>,
    ) -> Result<FileStream> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let mut v = FieldViolations::new();
        if request.year != 0 {
            check_year(request.year, "year", &mut v);
        }
        let date = |date: Option<&common::Date>, field: &str, v: &mut FieldViolations| {
            if relief_runtime::time::is_unset(date) {
                return None;
            }
            let parsed = relief_runtime::time::from_proto(date);
            if parsed.is_none() {
                v.add(field, "not a calendar date");
            }
            parsed
        };
        let from = date(request.from_date.as_ref(), "from_date", &mut v);
        let to = date(request.to_date.as_ref(), "to_date", &mut v);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            v.add("to_date", "must not be before from_date");
        }
        v.into_result()?;
        let roots = self
            .listing_roots(caller, Permission::FundsRead, request.org_id, "org_id")
            .await?;
        let vouchers = self
            .store
            .vouchers(request.year, &subtree_patterns(&roots), from, to)
            .await?;
        let bytes = crate::export::vouchers_xlsx(request.year, &vouchers)?;
        let name = if request.year == 0 {
            "入帐凭证清单.xlsx".to_owned()
        } else {
            format!("{}年度入帐凭证清单.xlsx", request.year)
        };
        Ok(stream(name, bytes))
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
