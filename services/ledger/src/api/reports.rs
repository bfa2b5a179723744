//! Everything that reads across the register: history, statistics, the forms
//! (.xlsx), bulk import, and the log of unmasked reads.

use std::collections::HashMap;

use futures::StreamExt;
use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission, caller};
use relief_runtime::error::{FieldViolations, field_violations, invalid_field};
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::{PageToken, page_size};
use relief_runtime::time::{timestamp, today};
use tonic::{Code, Request, Status, Streaming};
use uuid::Uuid;

use super::{FileStream, LedgerApi, parse_uuid};
use crate::domain::member::{SealedFacts, Sex, employment_chinese, validate_new_member};
use crate::domain::record::{
    category_chinese, category_parse, household_income, validate_new_record,
};
use crate::error::Error;
use crate::export::{FormLine, XLSX_CONTENT_TYPE};
use crate::store::{RecordFilter, RecordRow, Store};

/// Rows one import may carry.
const MAX_IMPORT_ROWS: usize = 10_000;
/// Bytes per streamed file chunk.
const CHUNK_BYTES: usize = 64 * 1024;

/// Streams a generated file in chunks; the name and type go in the first.
fn file_stream(file_name: String, bytes: Vec<u8>) -> FileStream {
    let chunks: Vec<Result<common::FileChunk, Status>> = bytes
        .chunks(CHUNK_BYTES)
        .enumerate()
        .map(|(index, data)| {
            Ok(common::FileChunk {
                file_name: if index == 0 {
                    file_name.clone()
                } else {
                    String::new()
                },
                content_type: if index == 0 {
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
    pub(super) async fn list_history_impl(
        &self,
        request: Request<pb::ListHistoryRequest>,
    ) -> Result<pb::ListHistoryResponse, Status> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let limit = page_size(request.page_size, "page_size")?;
        let after = PageToken::decode(&request.page_token, "page_token")?
            .map_or(0, |token| token.after_int());
        let (kind, id) = request
            .resource
            .split_once('/')
            .ok_or_else(|| invalid_field("resource", "must be members/{id} or records/{id}"))?;
        let id = parse_uuid("resource", id)?;
        let mut conn = self.store.pool().acquire().await.map_err(Error::from)?;
        let path = match kind {
            "members" => Store::member(&mut conn, id).await?.map(|row| row.org_path),
            "records" => Store::record(&mut conn, id).await?.map(|row| row.org_path),
            _ => {
                return Err(invalid_field(
                    "resource",
                    "must be members/{id} or records/{id}",
                ));
            }
        }
        .ok_or_else(|| Status::from(Error::NotFound(request.resource.clone())))?;
        drop(conn);
        caller.authorize(Permission::RecordRead, &path)?;
        let resource = format!("{kind}/{id}");
        let mut rows = self.store.history(&resource, after, limit + 1).await?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|row| PageToken::int(row.history_id).encode())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(pb::ListHistoryResponse {
            entries: rows
                .into_iter()
                .map(|row| pb::HistoryEntry {
                    stamp: Some(common::ChangeStamp {
                        actor: crate::store::actor(&row.actor_id, &row.actor_name),
                        change_time: Some(timestamp(row.at)),
                        reason: row.reason,
                    }),
                    action: row.action,
                    changed_fields: row.changed_fields,
                    before_json: row.before_json.map(|v| v.to_string()).unwrap_or_default(),
                    after_json: row.after_json.map(|v| v.to_string()).unwrap_or_default(),
                })
                .collect(),
            next_page_token,
        })
    }

    pub(super) async fn statistics_impl(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Result<pb::Statistics, Status> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let year = if request.year == 0 {
            today().year()
        } else {
            request.year
        };
        if !(1990..=2200).contains(&year) {
            return Err(invalid_field(
                "year",
                "must be a four-digit year, or 0 for this year",
            ));
        }
        let roots = self
            .listing_roots(caller, Permission::RecordRead, request.org_id, "org_id")
            .await?;
        let rows = self.store.statistics(&roots, year).await?;
        let unit_ids: Vec<i64> = rows.iter().map(|row| row.unit_id).collect();
        let units: HashMap<i64, crate::store::OrgRow> = self
            .store
            .orgs_by_ids(&unit_ids)
            .await?
            .into_iter()
            .map(|org| (org.org_id, org))
            .collect();
        let cells: Vec<pb::StatisticsCell> = rows
            .iter()
            .map(|row| pb::StatisticsCell {
                unit: units.get(&row.unit_id).and_then(|org| org.to_ref()),
                category: category_parse(&row.category) as i32,
                active: row.active as i32,
                added: row.added as i32,
                removed: row.removed as i32,
            })
            .collect();
        Ok(pb::Statistics {
            year,
            total_active: cells.iter().map(|c| c.active).sum(),
            total_added: cells.iter().map(|c| c.added).sum(),
            total_removed: cells.iter().map(|c| c.removed).sum(),
            cells,
        })
    }

    /// One import row, in its own transaction: a bad row never touches the good ones.
    async fn import_row(&self, caller: &Caller, row: &pb::ImportRow) -> pb::ImportRowResult {
        let mut result = pb::ImportRowResult {
            row_number: row.row_number,
            ..Default::default()
        };
        let errors = |violations: Vec<(String, String)>| {
            violations
                .into_iter()
                .map(|(field, description)| pb::FieldError { field, description })
                .collect()
        };
        match self.try_import_row(caller, row).await {
            Ok(done) => done,
            Err(status) => {
                let mut violations = field_violations(&status);
                if violations.is_empty() {
                    let field = match status.code() {
                        Code::AlreadyExists if status.message().starts_with("member_id") => {
                            "record"
                        }
                        Code::AlreadyExists => "member.id_number",
                        Code::PermissionDenied | Code::NotFound => "member.branch.org_id",
                        _ => "",
                    };
                    violations.push((field.to_owned(), status.message().to_owned()));
                }
                result.errors = errors(violations);
                result
            }
        }
    }

    async fn try_import_row(
        &self,
        caller: &Caller,
        row: &pb::ImportRow,
    ) -> Result<pb::ImportRowResult, Status> {
        let mut violations = FieldViolations::new();
        violations.check_request_id(&row.request_id);
        let member = match &row.member {
            None => {
                violations.add("member", "required");
                None
            }
            Some(member) => validate_new_member(member, today())
                .map_err(|errs| violations.extend_prefixed("", errs))
                .ok(),
        };
        let record = match &row.record {
            None => None,
            Some(record) => validate_new_record(record, today(), "record.")
                .map_err(|errs| violations.extend_prefixed("", errs))
                .ok(),
        };
        violations.into_result()?;
        let member = member.ok_or_else(|| invalid_field("member", "required"))?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(done) =
            idempotency::claim(&mut tx, "ImportMembers.row", &row.request_id, row).await?
        {
            return Ok(done);
        }
        let member_row = self
            .insert_member(&mut tx, caller, &member, "批量导入")
            .await?;
        let record_id = match record {
            Some(mut draft) => {
                if draft.source_kind == pb::RecordSourceKind::Manual {
                    draft.source_kind = pb::RecordSourceKind::Import;
                }
                self.insert_record(&mut tx, caller, member_row.member_id, &draft)
                    .await?
                    .record_id
            }
            None => String::new(),
        };
        let done = pb::ImportRowResult {
            row_number: row.row_number,
            ok: true,
            member_id: member_row.member_id.to_string(),
            record_id,
            errors: Vec::new(),
        };
        idempotency::complete(&mut tx, &row.request_id, &done).await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(done)
    }

    pub(super) async fn import_members_impl(
        &self,
        request: Request<Streaming<pb::ImportRow>>,
    ) -> Result<pb::ImportMembersResponse, Status> {
        let caller = caller(&request)?.clone();
        caller.scopes(Permission::MemberWrite)?;
        let mut rows = request.into_inner();
        let mut results = Vec::new();
        while let Some(row) = rows.next().await {
            let row = row?;
            if results.len() >= MAX_IMPORT_ROWS {
                return Err(Status::resource_exhausted(format!(
                    "an import carries at most {MAX_IMPORT_ROWS} rows; rows up to {} were processed",
                    results.len()
                )));
            }
            results.push(self.import_row(&caller, &row).await);
        }
        let imported = results.iter().filter(|r| r.ok).count() as i32;
        Ok(pb::ImportMembersResponse {
            refused: results.len() as i32 - imported,
            imported,
            results,
        })
    }

    /// The lines of a form for `rows`, unmasked when the caller may read
    /// every row's sensitive data (and then the read is recorded).
    async fn form_lines(
        &self,
        caller: &Caller,
        rows: &[RecordRow],
        what: &str,
    ) -> Result<Vec<FormLine>, Status> {
        let member_ids: Vec<Uuid> = rows.iter().map(|row| row.member_id).collect();
        let members: HashMap<Uuid, crate::store::MemberRow> = self
            .store
            .members_by_ids(&member_ids)
            .await?
            .into_iter()
            .map(|m| (m.member_id, m))
            .collect();
        let reveal = rows
            .iter()
            .all(|row| caller.may(Permission::SensitiveRead, &row.org_path));
        if reveal && !rows.is_empty() {
            let mut tx = self.store.begin().await?;
            Store::log_sensitive_read(&mut tx, &caller.actor(), what, "导出表格").await?;
            tx.commit().await.map_err(Error::from)?;
        }
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
            let facts: Option<SealedFacts> = if reveal {
                Some(
                    self.pii
                        .open(&member.member_id.to_string(), &member.sealed)
                        .map_err(Error::from)?,
                )
            } else {
                None
            };
            let income: Option<i64> = if reveal {
                Some(
                    self.pii
                        .open(&format!("records/{}", row.record_id), &row.sealed_income)
                        .map_err(Error::from)?,
                )
            } else {
                None
            };
            let derived = income.map(|fen| household_income(fen, row.household_size));
            lines.push(FormLine {
                org_name: row.org_name.clone(),
                unit_name: member.unit_name.clone(),
                name: member.name.clone(),
                sex: Sex::parse(&member.sex)
                    .map(Sex::chinese)
                    .unwrap_or_default()
                    .to_owned(),
                birth_date: Some(member.birth_date),
                id_number: facts
                    .as_ref()
                    .map_or_else(|| member.id_number_masked.clone(), |f| f.id_number.clone()),
                party_join_date: Some(member.party_join_date),
                work_unit: member.work_unit.clone(),
                employment: employment_chinese(
                    pb::EmploymentStatus::try_from(member.employment_status)
                        .unwrap_or(pb::EmploymentStatus::Unspecified),
                )
                .to_owned(),
                health: facts
                    .as_ref()
                    .map(|f| f.health_status.clone())
                    .unwrap_or_default(),
                household_size: row.household_size,
                annual_household_income_fen: income,
                monthly_per_capita_fen: derived
                    .and_then(|d| d.monthly_per_capita_income)
                    .map(|m| m.fen),
                category: category_chinese(category_parse(&row.category)).to_owned(),
                cause: row.cause.clone(),
                receives_dibao: member.receives_dibao,
                recognised: row.recognised,
                active: row.status == "active",
                since: Some(row.since),
                until: row.until,
                phone: facts
                    .as_ref()
                    .map_or_else(|| member.phone_masked.clone(), |f| f.phone.clone()),
                remark: row.description.chars().take(60).collect(),
            });
        }
        Ok(lines)
    }

    /// The name a form is issued under: the chosen node, or the committee.
    async fn form_org_name(&self, org_id: i64) -> Result<String, Status> {
        let id = if org_id == 0 { 1 } else { org_id };
        Ok(self
            .store
            .org(id)
            .await?
            .map(|org| org.name)
            .unwrap_or_default())
    }

    pub(super) async fn export_register_impl(
        &self,
        request: Request<pb::ExportRegisterRequest>,
    ) -> Result<FileStream, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        caller.scopes(Permission::ExportForms)?;
        let roots = self
            .listing_roots(&caller, Permission::ExportForms, request.org_id, "org_id")
            .await?;
        let filter = RecordFilter {
            roots,
            status: if request.include_removed {
                String::new()
            } else {
                "active".to_owned()
            },
            ..RecordFilter::default()
        };
        let rows = self.store.list_records(&filter, None, 0).await?;
        let what = format!("export:register:{}", request.org_id);
        let lines = self.form_lines(&caller, &rows, &what).await?;
        let org_name = self.form_org_name(request.org_id).await?;
        let bytes = crate::export::management_register(&org_name, today(), &lines)
            .map_err(|err| relief_runtime::error::internal("writing the register", err))?;
        Ok(file_stream(
            format!("市直机关困难党员管理台账（{org_name}）.xlsx"),
            bytes,
        ))
    }

    pub(super) async fn export_new_members_impl(
        &self,
        request: Request<pb::ExportNewMembersFormRequest>,
    ) -> Result<FileStream, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        if !(1990..=2200).contains(&request.year) {
            return Err(invalid_field("year", "required: a four-digit year"));
        }
        let roots = self
            .listing_roots(&caller, Permission::ExportForms, request.org_id, "org_id")
            .await?;
        let filter = RecordFilter {
            roots,
            year: request.year,
            ..RecordFilter::default()
        };
        let rows: Vec<RecordRow> = self
            .store
            .list_records(&filter, None, 0)
            .await?
            .into_iter()
            .filter(|row| row.since.year() == request.year)
            .collect();
        let what = format!("export:new-members:{}:{}", request.year, request.org_id);
        let lines = self.form_lines(&caller, &rows, &what).await?;
        let org_name = self.form_org_name(request.org_id).await?;
        let bytes = crate::export::new_members_form(request.year, &org_name, &lines)
            .map_err(|err| relief_runtime::error::internal("writing the form", err))?;
        Ok(file_stream(
            format!("{}年度市直机关新增困难党员备案统计表.xlsx", request.year),
            bytes,
        ))
    }

    pub(super) async fn list_sensitive_reads_impl(
        &self,
        request: Request<pb::ListSensitiveReadsRequest>,
    ) -> Result<pb::ListSensitiveReadsResponse, Status> {
        let caller = caller(&request)?;
        caller.authorize(Permission::AuditRead, crate::domain::org::ROOT_PATH)?;
        let request = request.get_ref();
        let limit = page_size(request.page_size, "page_size")?;
        let after = PageToken::decode(&request.page_token, "page_token")?
            .map_or(0, |token| token.after_int());
        let mut rows = self
            .store
            .sensitive_reads(&request.resource, after, limit + 1)
            .await?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|row| PageToken::int(row.read_id).encode())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(pb::ListSensitiveReadsResponse {
            reads: rows
                .into_iter()
                .map(|row| pb::SensitiveRead {
                    reader: crate::store::actor(&row.reader_id, &row.reader_name),
                    read_time: Some(timestamp(row.at)),
                    resource: row.resource,
                    reason: row.reason,
                })
                .collect(),
            next_page_token,
        })
    }
}
