//! The printed forms as .xlsx streams: the special inspection report, the
//! voucher list and the members' receipts to sign. What the funds' own
//! books do not hold and the paper prints — the work unit (单位) of each
//! organisation and the name of the caller's own organisation (填报单位) —
//! is asked of the ledger, which owns the organisation tree.

use std::collections::HashMap;

use relief_proto::common::v1 as common;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use uuid::Uuid;

use super::{FileStream, Funds, patterns};
use crate::domain::commands::{GetReport, ReceiptFormsExport, VoucherExport};
use crate::domain::refusal::{self, Refusal};
use crate::export::{
    InspectionExtras, ReceiptForm, ReceiptForms, VoucherSheet, inspection_xlsx, receipt_forms_xlsx,
    vouchers_xlsx,
};

/// The ids of a materialised path, root first: `/1/4/12/` → 1, 4, 12.
fn path_ids(path: &str) -> Vec<i64> {
    path.split('/')
        .filter(|id| !id.is_empty())
        .filter_map(|id| id.parse().ok())
        .collect()
}

impl Funds {
    /// The name of the organisation at `path`, as the ledger has it now.
    async fn org_name_at(&self, path: &str) -> Result<String> {
        match path_ids(path).last() {
            Some(id) if path != self.committee.path => Ok(self.register.org(*id).await?.name),
            _ => Ok(self.committee.name.clone()),
        }
    }

    /// 单位 — the work unit an organisation belongs to: its `unit_name` in
    /// the ledger, else the name of the unit's organisation (the node right
    /// below the committee on its path: 机关党委, 党总支, or a branch
    /// directly under the committee) — never a branch of a unit.
    async fn unit_of(&self, path: &str) -> Result<String> {
        let ids = path_ids(path);
        let (Some(unit_id), Some(org_id)) = (ids.get(1), ids.last()) else {
            return Ok(self.committee.name.clone());
        };
        let org = self.register.org_with_unit(*org_id).await?;
        if !org.unit_name.trim().is_empty() {
            return Ok(org.unit_name);
        }
        if unit_id == org_id {
            return Ok(org.org.name);
        }
        let unit = self.register.org_with_unit(*unit_id).await?;
        Ok(if unit.unit_name.trim().is_empty() {
            unit.org.name
        } else {
            unit.unit_name
        })
    }

    /// The units of every path, each asked once.
    async fn units_of(&self, paths: Vec<String>) -> Result<HashMap<String, String>> {
        let mut units = HashMap::new();
        for path in paths {
            if !path.is_empty() && !units.contains_key(&path) {
                let unit = self.unit_of(&path).await?;
                units.insert(path, unit);
            }
        }
        Ok(units)
    }

    /// 填报单位 — the caller's own organisation for a form of `scope`: the
    /// deepest of the caller's bindings granting `permission` there.
    async fn filler(&self, caller: &Caller, permission: Permission, scope: &str) -> Result<String> {
        let own = caller
            .roles
            .iter()
            .filter(|binding| {
                binding.role.grants(permission) && scope.starts_with(&binding.org_path)
            })
            .map(|binding| binding.org_path.as_str())
            .max_by_key(|path| path.len())
            .unwrap_or(scope);
        self.org_name_at(own).await
    }

    pub(super) async fn export_inspection(
        &self,
        caller: Caller,
        query: GetReport,
    ) -> Result<FileStream> {
        let report = self.get_report(caller, query).await?;
        let orgs: Vec<Option<common::OrgRef>> = report
            .by_unit
            .iter()
            .map(|u| u.unit.clone())
            .chain(report.unpaid_allocations.iter().map(|u| u.unit.clone()))
            .chain(report.receipts_missing.iter().map(|m| m.unit.clone()))
            .chain(report.repeat_payments.iter().map(|r| r.unit.clone()))
            .chain(report.above_standard.iter().map(|a| a.unit.clone()))
            .collect();
        let units = self
            .units_of(orgs.into_iter().flatten().map(|org| org.path).collect())
            .await?;
        let mut vouchers = HashMap::new();
        let allocation_ids: Vec<String> = report
            .repeat_payments
            .iter()
            .flat_map(|r| r.allocation_ids.iter().cloned())
            .chain(
                report
                    .above_standard
                    .iter()
                    .map(|a| a.allocation_id.clone()),
            )
            .collect();
        for id in allocation_ids {
            let Ok(uuid) = Uuid::parse_str(&id) else {
                continue;
            };
            if let Some(number) = self
                .store
                .allocation(uuid)
                .await?
                .and_then(|row| row.voucher_number)
            {
                vouchers.insert(id, number);
            }
        }
        let bytes = inspection_xlsx(&report, &InspectionExtras { vouchers, units })
            .map_err(|err| Error::internal("writing the inspection report", err))?;
        let as_of = relief_runtime::time::from_proto(report.as_of_date.as_ref())
            .map(|d| format!("，截至{d}"))
            .unwrap_or_default();
        let name = format!(
            "{}年度救助资金专项检查报告（{}{as_of}）.xlsx",
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
        let paths = vouchers.iter().map(|v| v.org_path.clone()).collect();
        let units = self.units_of(paths).await?;
        let filler = self
            .filler(&caller, Permission::FundsRead, &roots[0])
            .await?;
        let scope = match (export.org_id, roots.as_slice()) {
            (Some(_), [root]) => self.org_name_at(root).await?,
            _ => filler.clone(),
        };
        let bytes = vouchers_xlsx(&VoucherSheet {
            year: export.year,
            from: export.from,
            to: export.to,
            filler: &filler,
            printed_at: time::OffsetDateTime::now_utc(),
            vouchers: &vouchers,
            units: &units,
        })
        .map_err(|err| Error::internal("writing the voucher list", err))?;
        Ok(stream(export.file_name(&scope), bytes))
    }

    pub(super) async fn export_receipt_forms(
        &self,
        caller: Caller,
        export: ReceiptFormsExport,
    ) -> Result<FileStream> {
        let permission = Permission::DisbursementRecord;
        let (payments, scope, name) = match export {
            ReceiptFormsExport::Payment(disbursement_id) => {
                let payment = self
                    .store
                    .receipt_form(disbursement_id)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("disbursement {disbursement_id}")))?;
                caller.authorize(permission, &payment.org_path)?;
                if payment.reversed {
                    return Err(Refusal::new(
                        refusal::PAYMENT_REVERSED,
                        "the payment was reversed: there is nothing for the member to sign",
                    )
                    .into());
                }
                let name = format!(
                    "困难党员救助金领取签收单（{}，{}）.xlsx",
                    payment.member_name, payment.paid_date
                );
                let scope = payment.org_path.clone();
                (vec![payment], scope, name)
            }
            ReceiptFormsExport::Batch { year, org_id } => {
                let roots = self.roots(&caller, permission, org_id).await?;
                let payments = self.store.receipt_forms(year, &patterns(&roots)).await?;
                let scope_name = match roots.as_slice() {
                    [root] => self.org_name_at(root).await?,
                    _ => self.filler(&caller, permission, &roots[0]).await?,
                };
                let name = format!(
                    "{year}年度困难党员救助金领取签收单（{scope_name}，{}份）.xlsx",
                    payments.len()
                );
                (payments, roots[0].clone(), name)
            }
        };
        let filler = self.filler(&caller, permission, &scope).await?;
        let paths = payments.iter().map(|p| p.org_path.clone()).collect();
        let units = self.units_of(paths).await?;
        let forms = payments
            .iter()
            .map(|payment| ReceiptForm {
                payment,
                unit: units.get(&payment.org_path).cloned().unwrap_or_default(),
            })
            .collect();
        let bytes = receipt_forms_xlsx(&ReceiptForms {
            filler: &filler,
            printed_at: time::OffsetDateTime::now_utc(),
            forms,
        })
        .map_err(|err| Error::internal("writing the receipt forms", err))?;
        Ok(stream(name, bytes))
    }
}

/// A generated form as a stream of chunks; the first names it.
fn stream(file_name: String, bytes: Vec<u8>) -> FileStream {
    relief_runtime::files::file_stream(file_name, crate::export::XLSX_MIME.to_owned(), bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_read_as_ids_root_first() {
        assert_eq!(super::path_ids("/1/4/12/"), vec![1, 4, 12]);
        assert_eq!(super::path_ids("/1/"), vec![1]);
    }
}
