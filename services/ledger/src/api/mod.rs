//! The gRPC surface of the ledger. Each handler is one call into the
//! runtime's pipeline (`relief_runtime::rpc`): it authenticates, parses the
//! request into a command or query of [`crate::commands`] (every bad field
//! at once) and, for a write, claims the `request_id` and runs the act in
//! one transaction. The acts, in this module's children, authorise on the
//! resource's subtree, apply the domain's rules, store the change and record
//! its history and audit entry.

mod convert;
mod form_lines;
mod forms;
pub mod gates;
mod import;
mod members;
mod orgs;
mod records;
mod reports;

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_proto::ledger::v1::ledger_service_server::LedgerService;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Rpc, Work};
use relief_runtime::scope::listing_roots;
use tonic::{Request, Response, Status, Streaming};

use crate::commands::members::{ByIdNumber, MemberChange, MemberListing, MemberRead, NewMember};
use crate::commands::orgs::{NewOrg, OrgId, OrgListing, OrgRename};
use crate::commands::records::{
    NewRecord, Recognition, RecordAdjustment, RecordListing, RecordRead, RecordRemoval,
    Verification,
};
use crate::commands::relief::ReliefEntry;
use crate::commands::reports::{HistoryQuery, SensitiveReadsQuery, StatisticsQuery};
use crate::pii::Pii;
use crate::store::{Change, Store};

#[derive(Clone)]
pub struct LedgerApi {
    rpc: Rpc,
    store: Store,
    pii: Pii,
}

impl LedgerApi {
    pub fn new(rpc: Rpc, pii: Pii) -> Self {
        let store = Store::new(rpc.pool().clone());
        LedgerApi { rpc, store, pii }
    }

    /// The committee's path: the root of the tree, from configuration.
    fn committee_path(&self) -> &str {
        &self.rpc.committee().path
    }

    /// The subtree roots a listing covers: the caller's grants for
    /// `permission`, narrowed to the subtree of `org_id` when one is given.
    async fn roots(
        &self,
        caller: &Caller,
        permission: Permission,
        org_id: Option<i64>,
    ) -> Result<Vec<String>> {
        let Some(org_id) = org_id else {
            return listing_roots(caller, permission, None);
        };
        // A caller granted nothing learns nothing, not even whether the node exists.
        caller.scopes(permission)?;
        let org = self
            .store
            .org(org_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("organisation {org_id}")))?;
        listing_roots(caller, permission, Some(&org.path))
    }
}

/// Records a change in the resource's history and in the audit chain,
/// within the write's transaction.
async fn record_change(work: &mut Work, change: Change<'_>) -> Result<()> {
    let actor = work.actor().clone();
    Store::log_history(work.tx(), &actor, &change).await?;
    work.audit(change.action, change.resource, &change.audit_view())
        .await
}

use relief_runtime::files::FileStream;

#[tonic::async_trait]
impl LedgerService for LedgerApi {
    async fn create_org(
        &self,
        request: Request<pb::CreateOrgRequest>,
    ) -> Result<Response<pb::Org>, Status> {
        self.rpc
            .write("CreateOrg", request, |caller, command: NewOrg, work| {
                self.add_org(caller, command, work)
            })
            .await
    }

    async fn get_org(
        &self,
        request: Request<pb::GetOrgRequest>,
    ) -> Result<Response<pb::Org>, Status> {
        self.rpc
            .read(request, |caller, query: OrgId| self.org(caller, query))
            .await
    }

    async fn list_orgs(
        &self,
        request: Request<pb::ListOrgsRequest>,
    ) -> Result<Response<pb::ListOrgsResponse>, Status> {
        self.rpc
            .read(request, |caller, query: OrgListing| {
                self.orgs(caller, query)
            })
            .await
    }

    async fn update_org(
        &self,
        request: Request<pb::UpdateOrgRequest>,
    ) -> Result<Response<pb::Org>, Status> {
        self.rpc
            .write("UpdateOrg", request, |caller, command: OrgRename, work| {
                self.rename_org(caller, command, work)
            })
            .await
    }

    async fn create_member(
        &self,
        request: Request<pb::CreateMemberRequest>,
    ) -> Result<Response<pb::Member>, Status> {
        self.rpc
            .write(
                "CreateMember",
                request,
                |caller, command: NewMember, work| self.register(caller, command, work),
            )
            .await
    }

    async fn get_member(
        &self,
        request: Request<pb::GetMemberRequest>,
    ) -> Result<Response<pb::Member>, Status> {
        self.rpc
            .read(request, |caller, query: MemberRead| {
                self.member(caller, query)
            })
            .await
    }

    async fn find_member_by_id_number(
        &self,
        request: Request<pb::FindMemberByIdNumberRequest>,
    ) -> Result<Response<pb::Member>, Status> {
        self.rpc
            .read(request, |caller, query: ByIdNumber| {
                self.member_by_id_number(caller, query)
            })
            .await
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        self.rpc
            .read(request, |caller, query: MemberListing| {
                self.members(caller, query)
            })
            .await
    }

    async fn update_member(
        &self,
        request: Request<pb::UpdateMemberRequest>,
    ) -> Result<Response<pb::Member>, Status> {
        self.rpc
            .write(
                "UpdateMember",
                request,
                |caller, command: MemberChange, work| self.change_member(caller, command, work),
            )
            .await
    }

    async fn create_record(
        &self,
        request: Request<pb::CreateRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.rpc
            .write(
                "CreateRecord",
                request,
                |caller, command: NewRecord, work| self.add_record(caller, command, work),
            )
            .await
    }

    async fn get_record(
        &self,
        request: Request<pb::GetRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.rpc
            .read(request, |caller, query: RecordRead| {
                self.record(caller, query)
            })
            .await
    }

    async fn list_records(
        &self,
        request: Request<pb::ListRecordsRequest>,
    ) -> Result<Response<pb::ListRecordsResponse>, Status> {
        self.rpc
            .read(request, |caller, query: RecordListing| {
                self.records(caller, query)
            })
            .await
    }

    async fn update_record(
        &self,
        request: Request<pb::UpdateRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.rpc
            .write(
                "UpdateRecord",
                request,
                |caller, command: RecordAdjustment, work| self.adjust_record(caller, command, work),
            )
            .await
    }

    async fn remove_record(
        &self,
        request: Request<pb::RemoveRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.rpc
            .write(
                "RemoveRecord",
                request,
                |caller, command: RecordRemoval, work| self.remove(caller, command, work),
            )
            .await
    }

    async fn recognise_record(
        &self,
        request: Request<pb::RecogniseRecordRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.rpc
            .write(
                "RecogniseRecord",
                request,
                |caller, command: Recognition, work| self.recognise(caller, command, work),
            )
            .await
    }

    async fn record_verification(
        &self,
        request: Request<pb::RecordVerificationRequest>,
    ) -> Result<Response<pb::HardshipRecord>, Status> {
        self.rpc
            .write(
                "RecordVerification",
                request,
                |caller, command: Verification, work| self.verify(caller, command, work),
            )
            .await
    }

    async fn record_relief_received(
        &self,
        request: Request<pb::RecordReliefReceivedRequest>,
    ) -> Result<Response<pb::ReliefReceived>, Status> {
        self.rpc
            .write(
                "RecordReliefReceived",
                request,
                |caller, entry: ReliefEntry, work| self.record_relief(caller, entry, work),
            )
            .await
    }

    async fn list_history(
        &self,
        request: Request<pb::ListHistoryRequest>,
    ) -> Result<Response<pb::ListHistoryResponse>, Status> {
        self.rpc
            .read(request, |caller, query: HistoryQuery| {
                self.history(caller, query)
            })
            .await
    }

    async fn get_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Result<Response<pb::Statistics>, Status> {
        self.rpc
            .read(request, |caller, query: StatisticsQuery| {
                self.statistics(caller, query)
            })
            .await
    }

    async fn import_members(
        &self,
        request: Request<Streaming<pb::ImportRow>>,
    ) -> Result<Response<pb::ImportMembersResponse>, Status> {
        self.import_rows(request).await
    }

    type ExportRegisterStream = FileStream;

    async fn export_register(
        &self,
        request: Request<pb::ExportRegisterRequest>,
    ) -> Result<Response<FileStream>, Status> {
        self.register_form(request).await
    }

    type ExportNewMembersFormStream = FileStream;

    async fn export_new_members_form(
        &self,
        request: Request<pb::ExportNewMembersFormRequest>,
    ) -> Result<Response<FileStream>, Status> {
        self.new_members_form(request).await
    }

    async fn list_sensitive_reads(
        &self,
        request: Request<pb::ListSensitiveReadsRequest>,
    ) -> Result<Response<pb::ListSensitiveReadsResponse>, Status> {
        self.rpc
            .read(request, |caller, query: SensitiveReadsQuery| {
                self.sensitive_reads(caller, query)
            })
            .await
    }

    async fn verify_audit_chain(
        &self,
        request: Request<common::VerifyAuditChainRequest>,
    ) -> Result<Response<common::VerifyAuditChainResponse>, Status> {
        relief_runtime::audit::verify_chain(&self.rpc, request).await
    }

    async fn list_audit_entries(
        &self,
        request: Request<common::ListAuditEntriesRequest>,
    ) -> Result<Response<common::ListAuditEntriesResponse>, Status> {
        relief_runtime::audit::list_entries(&self.rpc, request).await
    }
}
