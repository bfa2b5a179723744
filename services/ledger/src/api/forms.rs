//! The forms (.xlsx) the committee works with: the management register
//! (管理台账) and the year's new-members form, streamed in chunks. Masked
//! unless asked for unmasked with a reason by a caller who may read every
//! row's sensitive data; then each member and record shown is logged as read.

use std::collections::HashMap;

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, FieldViolations, Result};
use relief_runtime::time::today;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{FileStream, LedgerApi};
use crate::commands::reports::{NewMembersExport, RegisterExport};
use crate::domain::member::SealedFacts;
use crate::domain::record::{RecordStatus, household_income};
use crate::export::{FormLine, XLSX_CONTENT_TYPE};
use crate::store::{MemberRow, RecordFilter, RecordRow};

/// Bytes per streamed file chunk.
const CHUNK_BYTES: usize = 64 * 1024;

/// Streams a generated file in chunks; the name and type go in the first.
fn file_stream(file_name: String, bytes: Vec<u8>) -> FileStream {
    let chunks: Vec<Result<common::FileChunk, Status>> = bytes
        .chunks(CHUNK_BYTES)
        .enumerate()
        .map(|(index, data)| {
            let first = index == 0;
            Ok(common::FileChunk {
                file_name: if first {
                    file_name.clone()
                } else {
                    String::new()
                },
                content_type: if first {
                    XLSX_CONTENT_TYPE.to_owned()
                } else {
                    String::new()
                },
                data: data.to_vec(),
            })
        })
        .collect();
    Box::pin(futures::stream::iter(chunks))
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
        let rows = self.store.list_records(&filter, None, 0).await?;
        let org_id = query.org_id.unwrap_or(0);
        let what = format!("export:register:{org_id}");
        let reveal = query
            .reveal
            .as_deref()
            .map(|reason| (what.as_str(), reason));
        let lines = self
            .form_lines(&caller, &filter.roots, &rows, reveal)
            .await?;
        let org_name = self.form_org_name(query.org_id).await?;
        let bytes = crate::export::management_register(&org_name, today(), &lines)
            .map_err(|err| Error::internal("writing the register", err))?;
        Ok(file_stream(
            format!("市直机关困难党员管理台账（{org_name}）.xlsx"),
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
        let rows: Vec<RecordRow> = self
            .store
            .list_records(&filter, None, 0)
            .await?
            .into_iter()
            .filter(|row| row.since.year() == query.year)
            .collect();
        let what = format!(
            "export:new-members:{}:{}",
            query.year,
            query.org_id.unwrap_or(0)
        );
        let reveal = query
            .reveal
            .as_deref()
            .map(|reason| (what.as_str(), reason));
        let lines = self
            .form_lines(&caller, &filter.roots, &rows, reveal)
            .await?;
        let org_name = self.form_org_name(query.org_id).await?;
        let bytes = crate::export::new_members_form(query.year, &org_name, &lines)
            .map_err(|err| Error::internal("writing the form", err))?;
        Ok(file_stream(
            format!("{}年度市直机关新增困难党员备案统计表.xlsx", query.year),
            bytes,
        ))
    }

    /// The name a form is issued under: the chosen node, or the committee.
    async fn form_org_name(&self, org_id: Option<i64>) -> Result<String> {
        let id = org_id.unwrap_or(self.rpc.committee().org_id);
        Ok(self
            .store
            .org(id)
            .await?
            .map(|org| org.name)
            .unwrap_or_default())
    }

    /// The lines of a form for `rows` of the subtrees `roots`: masked, or,
    /// when `reveal` names the export and the caller's reason, unmasked —
    /// refused unless the caller may read sensitive data in every root and
    /// row — and then each member and record shown is logged as read.
    async fn form_lines(
        &self,
        caller: &Caller,
        roots: &[String],
        rows: &[RecordRow],
        reveal: Option<(&str, &str)>,
    ) -> Result<Vec<FormLine>> {
        let member_ids: Vec<Uuid> = rows.iter().map(|row| row.member_id).collect();
        let members: HashMap<Uuid, MemberRow> = self
            .store
            .members_by_ids(&member_ids)
            .await?
            .into_iter()
            .map(|m| (m.member_id, m))
            .collect();
        if let Some((what, reason)) = reveal {
            for path in roots.iter().chain(rows.iter().map(|row| &row.org_path)) {
                caller.authorize(Permission::SensitiveRead, path)?;
            }
            let mut read: Vec<String> = Vec::with_capacity(rows.len() * 2);
            for row in rows {
                read.push(format!("members/{}", row.member_id));
                read.push(format!("records/{}", row.record_id));
            }
            if !read.is_empty() {
                self.store
                    .log_sensitive_reads(
                        &caller.actor(),
                        what,
                        &read,
                        &format!("{reason} [{what}]"),
                    )
                    .await?;
            }
        }
        let reveal = reveal.is_some();
        // Forms read by organisation, then by date on the register.
        let mut ordered: Vec<&RecordRow> = rows.iter().collect();
        ordered.sort_by(|a, b| {
            (&a.org_path, a.since, &a.member_name).cmp(&(&b.org_path, b.since, &b.member_name))
        });
        let mut lines = Vec::with_capacity(rows.len());
        for row in ordered {
            let Some(member) = members.get(&row.member_id) else {
                continue;
            };
            let (facts, income) = if reveal {
                let facts: SealedFacts = self
                    .pii
                    .open(&member.member_id.to_string(), &member.sealed)?;
                (Some(facts), Some(self.open_income(row)?))
            } else {
                (None, None)
            };
            lines.push(form_line(row, member, facts.as_ref(), income));
        }
        Ok(lines)
    }
}

/// One line of a form: the row and its member, the sealed facts and the
/// income only when opened.
fn form_line(
    row: &RecordRow,
    member: &MemberRow,
    facts: Option<&SealedFacts>,
    income: Option<i64>,
) -> FormLine {
    let derived = income.map(|fen| household_income(fen, row.household_size));
    FormLine {
        org_name: row.org_name.clone(),
        unit_name: member.unit_name.clone(),
        name: member.name.clone(),
        sex: member.sex.chinese().to_owned(),
        birth_date: Some(member.birth_date),
        birth_year_only: facts.is_none(),
        id_number: facts.map_or_else(|| member.id_number_masked.clone(), |f| f.id_number.clone()),
        party_join_date: Some(member.party_join_date),
        work_unit: member.work_unit.clone(),
        employment: member.employment_status.chinese().to_owned(),
        health: facts.map(|f| f.health_status.clone()).unwrap_or_default(),
        household_size: row.household_size,
        annual_household_income_fen: income,
        monthly_per_capita_fen: derived
            .and_then(|d| d.monthly_per_capita_income)
            .map(|m| m.fen),
        category: row.category.chinese().to_owned(),
        cause: row.cause.clone(),
        receives_dibao: member.receives_dibao,
        recognised: row.recognised,
        active: row.status == RecordStatus::Active,
        since: Some(row.since),
        until: row.until,
        phone: facts.map_or_else(|| member.phone_masked.clone(), |f| f.phone.clone()),
        remark: row.description.chars().take(60).collect(),
    }
}
