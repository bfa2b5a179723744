//! 专项检查 and exports — running the special inspection, reading its
//! reports, and the voucher list.

use relief_proto::funds::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use time::Date;
use uuid::Uuid;

use super::{Page, check_year, optional_date, org_filter};
use crate::domain::inspection::DEFAULT_LIMIT_DAYS;

/// The longest limit taken, in days (ten years).
const MAX_LIMIT_DAYS: i32 = 3_650;

/// 专项检查 of a year, in one subtree, with its limits.
#[derive(Debug, Clone)]
pub struct InspectionRun {
    pub year: i32,
    pub org_id: Option<i64>,
    pub unpaid_after_days: i32,
    pub receipt_missing_after_days: i32,
    pub as_of: Date,
}

impl TryFrom<pb::RunInspectionRequest> for InspectionRun {
    type Error = FieldViolations;

    fn try_from(request: pb::RunInspectionRequest) -> Result<Self, FieldViolations> {
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
            optional_date(request.as_of_date.as_ref(), "as_of_date", &mut v)
        };
        let org_id = org_filter(request.org_id, &mut v);
        let (Some(as_of), true) = (as_of, v.is_empty()) else {
            return Err(v);
        };
        Ok(InspectionRun {
            year: request.year,
            org_id,
            unpaid_after_days,
            receipt_missing_after_days,
            as_of,
        })
    }
}

/// One stored inspection report (to read or to export).
#[derive(Debug, Clone, Copy)]
pub struct GetReport {
    pub report_id: Uuid,
}

impl GetReport {
    fn parse(report_id: &str) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let report_id = ids::uuid(report_id, "report_id", &mut v);
        v.then(|| GetReport {
            report_id: report_id.unwrap_or_default(),
        })
    }
}

impl TryFrom<pb::GetInspectionReportRequest> for GetReport {
    type Error = FieldViolations;

    fn try_from(request: pb::GetInspectionReportRequest) -> Result<Self, FieldViolations> {
        GetReport::parse(&request.report_id)
    }
}

impl TryFrom<pb::ExportInspectionRequest> for GetReport {
    type Error = FieldViolations;

    fn try_from(request: pb::ExportInspectionRequest) -> Result<Self, FieldViolations> {
        GetReport::parse(&request.report_id)
    }
}

/// Stored reports, newest first, of subtrees the caller may inspect.
#[derive(Debug, Clone)]
pub struct ReportListing {
    pub year: i32,
    pub org_id: Option<i64>,
    /// `page.after` is the `seq` the previous page ended at (newest first).
    pub page: Page,
}

impl TryFrom<pb::ListInspectionReportsRequest> for ReportListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListInspectionReportsRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let org_id = org_filter(request.org_id, &mut v);
        let page = Page::parse("ListInspectionReports", &request, &mut v);
        v.then(|| ReportListing {
            year: request.year,
            org_id,
            page,
        })
    }
}

/// 入帐凭证清单 — the vouchers of a year (0: every year), by receipt date.
#[derive(Debug, Clone)]
pub struct VoucherExport {
    pub year: i32,
    pub org_id: Option<i64>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl VoucherExport {
    /// The file's name: the year, whose vouchers (`scope`, the
    /// organisation exported) and the period, if one is asked.
    pub fn file_name(&self, scope: &str) -> String {
        let year = match self.year {
            0 => String::new(),
            year => format!("{year}年度"),
        };
        let period = match (self.from, self.to) {
            (None, None) => String::new(),
            (from, to) => format!(
                "，{}至{}",
                from.map(|d| d.to_string()).unwrap_or_default(),
                to.map(|d| d.to_string()).unwrap_or_default()
            ),
        };
        format!("{year}入帐凭证清单（{scope}{period}）.xlsx")
    }
}

impl TryFrom<pb::ExportVouchersRequest> for VoucherExport {
    type Error = FieldViolations;

    fn try_from(request: pb::ExportVouchersRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        if request.year != 0 {
            check_year(request.year, "year", &mut v);
        }
        let from = optional_date(request.from_date.as_ref(), "from_date", &mut v);
        let to = optional_date(request.to_date.as_ref(), "to_date", &mut v);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            v.add("to_date", "must not be before from_date");
        }
        let org_id = org_filter(request.org_id, &mut v);
        v.then(|| VoucherExport {
            year: request.year,
            org_id,
            from,
            to,
        })
    }
}

/// 领取签收单 — the forms members sign: one payment's, or a batch.
#[derive(Debug, Clone)]
pub enum ReceiptFormsExport {
    /// One payment's form.
    Payment(Uuid),
    /// The payments of a year, in a subtree (none: everywhere the caller
    /// pays), still awaiting their signed receipt.
    Batch { year: i32, org_id: Option<i64> },
}

impl TryFrom<pb::ExportReceiptFormsRequest> for ReceiptFormsExport {
    type Error = FieldViolations;

    fn try_from(request: pb::ExportReceiptFormsRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        if request.disbursement_id.is_empty() {
            check_year(request.year, "year", &mut v);
            let org_id = org_filter(request.org_id, &mut v);
            return v.then(|| ReceiptFormsExport::Batch {
                year: request.year,
                org_id,
            });
        }
        let disbursement_id = ids::uuid(&request.disbursement_id, "disbursement_id", &mut v);
        for (set, field) in [(request.org_id != 0, "org_id"), (request.year != 0, "year")] {
            if set {
                v.add(
                    field,
                    "a batch's field: leave it unset with disbursement_id (one payment's form)",
                );
            }
        }
        v.then(|| ReceiptFormsExport::Payment(disbursement_id.unwrap_or_default()))
    }
}
