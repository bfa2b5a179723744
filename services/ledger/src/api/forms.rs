//! The forms (.xlsx) the committee works with: the management register
//! (管理台账) and the year's new-members form, streamed in chunks. Masked
//! unless asked for unmasked with a reason by a caller who may read every
//! row's sensitive data; then each member and record shown is logged as read.
//! 填报单位 is the caller's own organisation; rows come grouped by unit, then
//! branch, in the tree's order (numeric ids, not path text). The lines
//! themselves are built in [`super::form_lines`].

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, FieldViolations, Result};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::form_lines::{Reveal, tree_order};
use super::{FileStream, LedgerApi};
use crate::commands::reports::{NewMembersExport, RegisterExport};
use crate::domain::record::RecordStatus;
use crate::export::{FormHeader, XLSX_CONTENT_TYPE};
use crate::store::{RecordFilter, RecordRow};

/// Streams a generated form; the name and type go in the first chunk.
fn file_stream(file_name: String, bytes: Vec<u8>) -> FileStream {
    relief_runtime::files::file_stream(file_name, XLSX_CONTENT_TYPE.to_owned(), bytes)
}

/// The last id of a materialised path (`/1/4/12/` → 12).
pub(super) fn path_ids(path: &str) -> Vec<i64> {
    path.split('/')
        .filter(|part| !part.is_empty())
        .filter_map(|part| part.parse().ok())
        .collect()
}

impl LedgerApi {
    /// A streaming RPC's request: its caller and its parsed query.
    fn export_request<Q, C>(&self, request: Request<Q>) -> Result<(Caller, C), Status>
    where
        C: TryFrom<Q, Error = FieldViolations>,
    {
        let caller = self.rpc.caller(&request)?;
        let query = C::try_from(request.into_inner())
            .map_err(|violations| self.rpc.status(Error::Invalid(violations)))?;
        Ok((caller, query))
    }

    pub(super) async fn register_form(
        &self,
        request: Request<pb::ExportRegisterRequest>,
    ) -> Result<Response<FileStream>, Status> {
        let (caller, query): (Caller, RegisterExport) = self.export_request(request)?;
        self.register_file(caller, query)
            .await
            .map(Response::new)
            .map_err(|err| self.rpc.status(err))
    }

    async fn register_file(&self, caller: Caller, query: RegisterExport) -> Result<FileStream> {
        let filter = RecordFilter {
            roots: self
                .roots(&caller, Permission::ExportForms, query.org_id)
                .await?,
            status: (!query.include_removed).then_some(RecordStatus::Active),
            ..RecordFilter::default()
        };
        let mut rows = self.store.list_records(&filter, None, 0).await?;
        rows.sort_by(tree_order);
        let what = format!("export:register:{}", query.org_id.unwrap_or(0));
        let reveal = query.reveal.as_deref().map(|reason| Reveal {
            what: &what,
            reason,
        });
        let lines = self
            .form_lines(&caller, &filter.roots, &rows, reveal, None)
            .await?;
        let header = self.form_header(&caller, query.org_id).await?;
        let bytes = crate::export::management_register(&header, &lines)
            .map_err(|err| Error::internal("writing the register", err))?;
        Ok(file_stream(
            format!("市直机关困难党员管理台账（{}）.xlsx", header.named()),
            bytes,
        ))
    }

    pub(super) async fn new_members_form(
        &self,
        request: Request<pb::ExportNewMembersFormRequest>,
    ) -> Result<Response<FileStream>, Status> {
        let (caller, query): (Caller, NewMembersExport) = self.export_request(request)?;
        self.new_members_file(caller, query)
            .await
            .map(Response::new)
            .map_err(|err| self.rpc.status(err))
    }

    /// One row per person newly on the register in the year: of a member's
    /// records begun that year, the latest; a person whose latest is removed
    /// again is no longer filed (the form files members in hardship for the
    /// department to recognise — 认定 marks whether it has).
    async fn new_members_file(
        &self,
        caller: Caller,
        query: NewMembersExport,
    ) -> Result<FileStream> {
        let filter = RecordFilter {
            roots: self
                .roots(&caller, Permission::ExportForms, query.org_id)
                .await?,
            year: Some(query.year),
            ..RecordFilter::default()
        };
        let mut begun: Vec<RecordRow> = self
            .store
            .list_records(&filter, None, 0)
            .await?
            .into_iter()
            .filter(|row| row.since.year() == query.year)
            .collect();
        // Latest first per member, then keep each member's first.
        begun.sort_by(|a, b| {
            (a.member_id, b.since, b.created_at).cmp(&(b.member_id, a.since, a.created_at))
        });
        let mut seen: Vec<Uuid> = Vec::new();
        let mut people: Vec<RecordRow> = begun
            .into_iter()
            .filter(|row| {
                let first = !seen.contains(&row.member_id);
                seen.push(row.member_id);
                first
            })
            .filter(|row| row.status == RecordStatus::Active)
            .collect();
        people.sort_by(tree_order);
        let what = format!(
            "export:new-members:{}:{}",
            query.year,
            query.org_id.unwrap_or(0)
        );
        let reveal = query.reveal.as_deref().map(|reason| Reveal {
            what: &what,
            reason,
        });
        let lines = self
            .form_lines(&caller, &filter.roots, &people, reveal, Some(query.year))
            .await?;
        let header = self.form_header(&caller, query.org_id).await?;
        let bytes = crate::export::new_members_form(query.year, &header, &lines)
            .map_err(|err| Error::internal("writing the form", err))?;
        Ok(file_stream(
            format!(
                "{}年度市直机关新增困难党员备案统计表（{}）.xlsx",
                query.year,
                header.named()
            ),
            bytes,
        ))
    }

    /// 填报单位 — the caller's own organisation (the nodes where they may
    /// export forms) — and the subtree asked for when it is not that.
    async fn form_header(&self, caller: &Caller, org_id: Option<i64>) -> Result<FormHeader> {
        let roots = caller.scopes(Permission::ExportForms)?;
        let ids: Vec<i64> = roots
            .iter()
            .filter_map(|root| path_ids(root).last().copied())
            .collect();
        let mut own = self.store.orgs_by_ids(&ids).await?;
        own.sort_by_key(|org| path_ids(&org.path));
        let filler = own
            .iter()
            .map(|org| org.name.as_str())
            .collect::<Vec<_>>()
            .join("、");
        let scope = match org_id {
            Some(id) if !ids.contains(&id) => self.store.org(id).await?.map(|org| org.name),
            _ => None,
        };
        Ok(FormHeader {
            filler,
            scope,
            generated_at: OffsetDateTime::now_utc(),
        })
    }
}
