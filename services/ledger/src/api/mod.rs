//! The gRPC surface of the ledger. Every handler does the same four things in
//! the same order: validate the request (all bad fields at once), authorise
//! the caller on the resource's subtree, apply the domain rule, store the
//! change with its history, audit entry and idempotency key in one transaction.

mod convert;
mod members;
mod orgs;
mod records;
mod reports;

use std::pin::Pin;

use futures::Stream;
use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_proto::ledger::v1::ledger_service_server::LedgerService;
use relief_runtime::auth::{Caller, Permission, in_subtree};
use relief_runtime::error::invalid_field;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use crate::error::Error;
use crate::pii::Pii;
use crate::store::Store;

#[derive(Clone)]
pub struct LedgerApi {
    store: Store,
    pii: Pii,
}

impl LedgerApi {
    pub fn new(store: Store, pii: Pii) -> Self {
        LedgerApi { store, pii }
    }

    /// The subtree roots a listing covers: the caller's grants for
    /// `permission`, narrowed to the subtree of `org_id` when one is given.
    async fn listing_roots(
        &self,
        caller: &Caller,
        permission: Permission,
        org_id: i64,
        field: &str,
    ) -> Result<Vec<String>, Status> {
        let scopes = caller.scopes(permission)?;
        if org_id == 0 {
            return Ok(scopes);
        }
        if org_id < 0 {
            return Err(invalid_field(field, "must be a positive organisation id"));
        }
        let org = self
            .store
            .org(org_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("organisation {org_id}"))))?;
        let roots = narrow_roots(&scopes, &org.path);
        if roots.is_empty() {
            return Err(Status::permission_denied(format!(
                "{permission:?} is not granted on {}",
                org.path
            )));
        }
        Ok(roots)
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

pub(crate) fn parse_uuid(field: &str, value: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(value).map_err(|_| invalid_field(field, "must be a UUID"))
}

pub(crate) fn parse_etag(field: &str, etag: &str) -> Result<i64, Status> {
    etag.parse::<i64>()
        .ok()
        .filter(|version| *version > 0)
        .ok_or_else(|| invalid_field(field, "required: the etag from the last read"))
}

type FileStream = Pin<Box<dyn Stream<Item = Result<common::FileChunk, Status>> + Send>>;

#[tonic::async_trait]
impl LedgerService for LedgerApi {
    async fn create_org(
        &self,
        request: Request<pb::CreateOrgRequest>,
    ) -> Result<Response<pb::Org>, Status> {
        self.create_org_impl(request).await.map(Response::new)
    }

    async fn get_org(
        &self,
        request: Request<pb::GetOrgRequest>,
    ) -> Result<Response<pb::Org>, Status> {
        self.get_org_impl(request).await.map(Response::new)
    }

    async fn list_orgs(
        &self,
        request: Request<pb::ListOrgsRequest>,
    ) -> Result<Response<pb::ListOrgsResponse>, Status> {
        self.list_orgs_impl(request).await.map(Response::new)
    }

    async fn update_org(
        &self,
        request: Request<pb::UpdateOrgRequest>,
    ) -> Result<Response<pb::Org>, Status> {
        self.update_org_impl(request).await.map(Response::new)
    }

    async fn create_member(
        &self,
        request: Request<pb::CreateMemberRequest>,
    ) -> Result<Response<pb::Member>, Status> {
        self.create_member_impl(request).await.map(Response::new)
    }

    async fn get_member(
        &self,
        request: Request<pb::GetMemberRequest>,
    ) -> Result<Response<pb::Member>, Status> {
        self.get_member_impl(request).await.map(Response::new)
    }

    async fn find_member_by_id_number(
        &self,
        request: Request<pb::FindMemberByIdNumberRequest>,
    ) -> Result<Response<pb::Member>, Status> {
        self.find_member_impl(request).await.map(Response::new)
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        self.list_members_impl(request).await.map(Response::new)
    }

    async fn update_member(
        &self,
        request: Request<pb::UpdateMemberRequest>,
    ) -> Result<Response<pb::Member>, Status> {
        self.update_member_impl(request).await.map(Response::new)
    }

    async fn create_record(
        &self,
        request: Request<pb::CreateRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.create_record_impl(request).await.map(Response::new)
    }

    async fn get_record(
        &self,
        request: Request<pb::GetRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.get_record_impl(request).await.map(Response::new)
    }

    async fn list_records(
        &self,
        request: Request<pb::ListRecordsRequest>,
    ) -> Result<Response<pb::ListRecordsResponse>, Status> {
        self.list_records_impl(request).await.map(Response::new)
    }

    async fn update_record(
        &self,
        request: Request<pb::UpdateRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.update_record_impl(request).await.map(Response::new)
    }

    async fn remove_record(
        &self,
        request: Request<pb::RemoveRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.remove_record_impl(request).await.map(Response::new)
    }

    async fn recognise_record(
        &self,
        request: Request<pb::RecogniseRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.recognise_record_impl(request).await.map(Response::new)
    }

    async fn record_verification(
        &self,
        request: Request<pb::RecordVerificationRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.record_verification_impl(request)
            .await
            .map(Response::new)
    }

    async fn list_history(
        &self,
        request: Request<pb::ListHistoryRequest>,
    ) -> Result<Response<pb::ListHistoryResponse>, Status> {
        self.list_history_impl(request).await.map(Response::new)
    }

    async fn get_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Result<Response<pb::Statistics>, Status> {
        self.statistics_impl(request).await.map(Response::new)
    }

    async fn import_members(
        &self,
        request: Request<Streaming<pb::ImportRow>>,
    ) -> Result<Response<pb::ImportMembersResponse>, Status> {
        self.import_members_impl(request).await.map(Response::new)
    }

    type ExportRegisterStream = FileStream;

    async fn export_register(
        &self,
        request: Request<pb::ExportRegisterRequest>,
    ) -> Result<Response<FileStream>, Status> {
        self.export_register_impl(request).await.map(Response::new)
    }

    type ExportNewMembersFormStream = FileStream;

    async fn export_new_members_form(
        &self,
        request: Request<pb::ExportNewMembersFormRequest>,
    ) -> Result<Response<FileStream>, Status> {
        self.export_new_members_impl(request)
            .await
            .map(Response::new)
    }

    async fn list_sensitive_reads(
        &self,
        request: Request<pb::ListSensitiveReadsRequest>,
    ) -> Result<Response<pb::ListSensitiveReadsResponse>, Status> {
        self.list_sensitive_reads_impl(request)
            .await
            .map(Response::new)
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
    fn narrowing_keeps_only_what_is_granted() {
        let scopes = vec!["/1/4/".to_owned(), "/1/9/12/".to_owned()];
        assert_eq!(narrow_roots(&scopes, "/1/4/7/"), vec!["/1/4/7/"]);
        assert_eq!(narrow_roots(&scopes, "/1/"), scopes);
        assert_eq!(narrow_roots(&scopes, "/1/9/"), vec!["/1/9/12/"]);
        assert!(narrow_roots(&scopes, "/1/5/").is_empty());
    }
}
