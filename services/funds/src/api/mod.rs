//! The gRPC surface of the funds service. Every handler does the same things
//! in the same order: validate the request (all bad fields at once),
//! authorise the caller on the resource's subtree, claim the request_id, apply
//! the domain rule, and store the change with its postings, outbox event,
//! audit entry and idempotency answer in one transaction.

mod accounts;
mod budget;
mod inspection;
mod payments;

use std::pin::Pin;

use futures::Stream;
use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as pb;
use relief_proto::funds::v1::funds_service_server::FundsService;
use relief_runtime::auth::{Caller, Permission, in_subtree};
use relief_runtime::error::{FieldViolations, invalid_field};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::money::Money;
use crate::error::{Error, Result};
use crate::store::Store;

#[derive(Clone)]
pub struct FundsApi {
    store: Store,
    /// The committee: owner of the fund and the income, root of every path.
    committee: common::OrgRef,
}

pub type FileStream = Pin<Box<dyn Stream<Item = Result<common::FileChunk, Status>> + Send>>;

impl FundsApi {
    pub fn new(store: Store, committee: common::OrgRef) -> Self {
        FundsApi { store, committee }
    }

    /// The subtree roots a listing covers: the caller's grants for
    /// `permission`, narrowed to the subtree of `org_id` when one is given.
    async fn listing_roots(
        &self,
        caller: &Caller,
        permission: Permission,
        org_id: i64,
        field: &str,
    ) -> Result<Vec<String>> {
        let scopes = caller.scopes(permission)?;
        if org_id == 0 {
            return Ok(scopes);
        }
        let org = self.known_org(org_id, field).await?;
        let roots = narrow_roots(&scopes, &org.path);
        if roots.is_empty() {
            return Err(Status::permission_denied(format!(
                "{permission:?} is not granted on {}",
                org.path
            ))
            .into());
        }
        Ok(roots)
    }

    /// An organisation by id: the committee, or one the service has seen.
    async fn known_org(&self, org_id: i64, field: &str) -> Result<common::OrgRef> {
        if org_id < 0 {
            return Err(invalid_field(field, "must be a positive organisation id").into());
        }
        if org_id == self.committee.org_id {
            return Ok(self.committee.clone());
        }
        self.store
            .org(org_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("funds records of organisation {org_id}")))
    }

    /// Whether the caller holds any of `permissions` at `path`.
    fn authorize_any(caller: &Caller, permissions: &[Permission], path: &str) -> Result<()> {
        if permissions
            .iter()
            .any(|permission| caller.may(*permission, path))
        {
            Ok(())
        } else {
            Err(Status::permission_denied(format!(
                "none of {permissions:?} is granted on {path} to this caller"
            ))
            .into())
        }
    }

    /// Checks an organisation reference given by a caller: a node below the
    /// committee, addressed by its materialised path ending in its id.
    fn check_org(
        &self,
        org: Option<&common::OrgRef>,
        field: &str,
        violations: &mut FieldViolations,
    ) {
        let Some(org) = org else {
            violations.add(
                field,
                "required: org_id, path and name of the grassroots organisation",
            );
            return;
        };
        if org.org_id <= 0 {
            violations.add(
                format!("{field}.org_id"),
                "must be a positive organisation id",
            );
        }
        if !is_path(&org.path) || !org.path.ends_with(&format!("/{}/", org.org_id)) {
            violations.add(
                format!("{field}.path"),
                "must be the node's materialised path ending in its org_id, e.g. /1/4/12/",
            );
        } else if !in_subtree(&org.path, &self.committee.path) || org.path == self.committee.path {
            violations.add(
                format!("{field}.path"),
                format!("must be below the committee ({})", self.committee.path),
            );
        }
        check_text(&org.name, &format!("{field}.name"), 200, violations);
    }
}

/// The parts of the caller's `scopes` inside the subtree at `path`: the
/// subtree itself when a scope covers it, or the scopes nested inside it.
pub fn narrow_roots(scopes: &[String], path: &str) -> Vec<String> {
    if scopes.iter().any(|scope| in_subtree(path, scope)) {
        return vec![path.to_owned()];
    }
    scopes
        .iter()
        .filter(|scope| in_subtree(scope, path))
        .cloned()
        .collect()
}

/// `/1/4/12/`: ids separated and closed by slashes.
pub fn is_path(path: &str) -> bool {
    path.len() >= 3
        && path.starts_with('/')
        && path.ends_with('/')
        && path[1..path.len() - 1]
            .split('/')
            .all(|id| !id.is_empty() && id.len() <= 18 && id.chars().all(|c| c.is_ascii_digit()))
}

pub(crate) fn parse_uuid(field: &str, value: &str) -> Result<Uuid> {
    Uuid::parse_str(value).map_err(|_| invalid_field(field, "must be a UUID").into())
}

/// A required, bounded text field.
pub(crate) fn check_text(
    value: &str,
    field: &str,
    max_chars: usize,
    violations: &mut FieldViolations,
) {
    if value.trim().is_empty() {
        violations.add(field, "required");
    } else if value.chars().count() > max_chars {
        violations.add(field, format!("at most {max_chars} characters"));
    }
}

/// An optional, bounded text field.
pub(crate) fn check_optional_text(
    value: &str,
    field: &str,
    max_chars: usize,
    violations: &mut FieldViolations,
) {
    if value.chars().count() > max_chars {
        violations.add(field, format!("at most {max_chars} characters"));
    }
}

/// A required positive amount up to `ceiling`.
pub(crate) fn check_amount(
    money: Option<&common::Money>,
    ceiling: Money,
    field: &str,
    violations: &mut FieldViolations,
) -> Money {
    let amount = Money::from_proto(money);
    if let Err(err) = amount.check_positive(ceiling) {
        violations.add(field, err.describe());
    }
    amount
}

/// A budget year, given today's Beijing date.
pub(crate) fn check_year(year: i32, field: &str, violations: &mut FieldViolations) {
    let today = relief_runtime::time::today();
    if !crate::domain::year::is_budget_year(year, today) {
        violations.add(field, crate::domain::year::year_violation(today));
    }
}

/// A new event for the outbox.
pub(crate) fn event(
    kind: pb::FundsEventKind,
    org: Option<common::OrgRef>,
    year: i32,
) -> pb::FundsEvent {
    pb::FundsEvent {
        event_id: Uuid::new_v4().to_string(),
        kind: kind as i32,
        occur_time: Some(relief_runtime::time::timestamp(
            time::OffsetDateTime::now_utc(),
        )),
        org,
        year,
        ..Default::default()
    }
}

fn respond<T>(result: Result<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl FundsService for FundsApi {
    async fn get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        respond(self.do_get_account(request).await)
    }

    async fn list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Result<Response<pb::ListAccountsResponse>, Status> {
        respond(self.do_list_accounts(request).await)
    }

    async fn list_postings(
        &self,
        request: Request<pb::ListPostingsRequest>,
    ) -> Result<Response<pb::ListPostingsResponse>, Status> {
        respond(self.do_list_postings(request).await)
    }

    async fn reverse_posting(
        &self,
        request: Request<pb::ReversePostingRequest>,
    ) -> Result<Response<pb::Posting>, Status> {
        respond(self.do_reverse_posting(request).await)
    }

    async fn set_budget(
        &self,
        request: Request<pb::SetBudgetRequest>,
    ) -> Result<Response<pb::BudgetSummary>, Status> {
        respond(self.do_set_budget(request).await)
    }

    async fn top_up_budget(
        &self,
        request: Request<pb::TopUpBudgetRequest>,
    ) -> Result<Response<pb::BudgetSummary>, Status> {
        respond(self.do_top_up_budget(request).await)
    }

    async fn get_budget_summary(
        &self,
        request: Request<pb::GetBudgetSummaryRequest>,
    ) -> Result<Response<pb::BudgetSummary>, Status> {
        respond(self.do_get_budget_summary(request).await)
    }

    async fn put_relief_standard(
        &self,
        request: Request<pb::PutReliefStandardRequest>,
    ) -> Result<Response<pb::ReliefStandard>, Status> {
        respond(self.do_put_relief_standard(request).await)
    }

    async fn list_relief_standards(
        &self,
        request: Request<pb::ListReliefStandardsRequest>,
    ) -> Result<Response<pb::ListReliefStandardsResponse>, Status> {
        respond(self.do_list_relief_standards(request).await)
    }

    async fn create_allocation(
        &self,
        request: Request<pb::CreateAllocationRequest>,
    ) -> Result<Response<pb::Allocation>, Status> {
        respond(self.do_create_allocation(request).await)
    }

    async fn get_allocation(
        &self,
        request: Request<pb::GetAllocationRequest>,
    ) -> Result<Response<pb::Allocation>, Status> {
        respond(self.do_get_allocation(request).await)
    }

    async fn list_allocations(
        &self,
        request: Request<pb::ListAllocationsRequest>,
    ) -> Result<Response<pb::ListAllocationsResponse>, Status> {
        respond(self.do_list_allocations(request).await)
    }

    async fn record_disbursement(
        &self,
        request: Request<pb::RecordDisbursementRequest>,
    ) -> Result<Response<pb::Disbursement>, Status> {
        respond(self.do_record_disbursement(request).await)
    }

    async fn get_disbursement(
        &self,
        request: Request<pb::GetDisbursementRequest>,
    ) -> Result<Response<pb::Disbursement>, Status> {
        respond(self.do_get_disbursement(request).await)
    }

    async fn list_disbursements(
        &self,
        request: Request<pb::ListDisbursementsRequest>,
    ) -> Result<Response<pb::ListDisbursementsResponse>, Status> {
        respond(self.do_list_disbursements(request).await)
    }

    async fn record_receipt(
        &self,
        request: Request<pb::RecordReceiptRequest>,
    ) -> Result<Response<pb::Receipt>, Status> {
        respond(self.do_record_receipt(request).await)
    }

    async fn run_inspection(
        &self,
        request: Request<pb::RunInspectionRequest>,
    ) -> Result<Response<pb::InspectionReport>, Status> {
        respond(self.do_run_inspection(request).await)
    }

    async fn get_inspection_report(
        &self,
        request: Request<pb::GetInspectionReportRequest>,
    ) -> Result<Response<pb::InspectionReport>, Status> {
        respond(self.do_get_inspection_report(request).await)
    }

    async fn list_inspection_reports(
        &self,
        request: Request<pb::ListInspectionReportsRequest>,
    ) -> Result<Response<pb::ListInspectionReportsResponse>, Status> {
        respond(self.do_list_inspection_reports(request).await)
    }

    type ExportInspectionStream = FileStream;

    async fn export_inspection(
        &self,
        request: Request<pb::ExportInspectionRequest>,
    ) -> Result<Response<Self::ExportInspectionStream>, Status> {
        respond(self.do_export_inspection(request).await)
    }

    type ExportVouchersStream = FileStream;

    async fn export_vouchers(
        &self,
        request: Request<pb::ExportVouchersRequest>,
    ) -> Result<Response<Self::ExportVouchersStream>, Status> {
        respond(self.do_export_vouchers(request).await)
    }

    async fn verify_audit_chain(
        &self,
        request: Request<common::VerifyAuditChainRequest>,
    ) -> Result<Response<common::VerifyAuditChainResponse>, Status> {
        relief_runtime::audit::verify_rpc(self.store.pool(), request).await
    }

    async fn list_audit_entries(
        &self,
        request: Request<common::ListAuditEntriesRequest>,
    ) -> Result<Response<common::ListAuditEntriesResponse>, Status> {
        relief_runtime::audit::list_rpc(self.store.pool(), request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(is_path("/1/"));
        assert!(is_path("/1/4/12/"));
        assert!(!is_path("/1/4/12"));
        assert!(!is_path("1/4/"));
        assert!(!is_path("/1//4/"));
        assert!(!is_path("/1/x/"));
        assert!(!is_path("/"));
        assert!(!is_path(""));
    }

    #[test]
    fn narrowing() {
        let scopes = vec!["/1/4/".to_owned(), "/1/7/9/".to_owned()];
        assert_eq!(narrow_roots(&scopes, "/1/4/12/"), ["/1/4/12/"]);
        assert_eq!(narrow_roots(&scopes, "/1/7/"), ["/1/7/9/"]);
        assert!(narrow_roots(&scopes, "/1/8/").is_empty());
        assert_eq!(narrow_roots(&scopes, "/1/"), ["/1/4/", "/1/7/9/"]);
    }
}
