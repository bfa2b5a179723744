//! Bulk import of an existing paper register: each row is its own write
//! through the pipeline (its own `request_id` and transaction), so a bad row
//! never touches the good ones and a re-sent row creates nothing new.

use futures::StreamExt;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result, field_violations};
use relief_runtime::rpc::{Done, Work};
use tonic::{Request, Response, Status, Streaming};

use super::LedgerApi;
use crate::commands::reports::ImportedRow;
use crate::store::{ALREADY_ON_REGISTER, REFUSALS};

/// Rows one import may carry.
const MAX_IMPORT_ROWS: usize = 10_000;

impl LedgerApi {
    pub(super) async fn import_rows(
        &self,
        request: Request<Streaming<pb::ImportRow>>,
    ) -> Result<Response<pb::ImportMembersResponse>, Status> {
        let caller = self.rpc.caller(&request)?;
        caller
            .scopes(Permission::MemberWrite)
            .map_err(|refused| self.rpc.status(refused.into()))?;
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
            results.push(self.import_row(&caller, row).await);
        }
        let imported = results.iter().filter(|r| r.ok).count() as i32;
        Ok(Response::new(pb::ImportMembersResponse {
            refused: results.len() as i32 - imported,
            imported,
            results,
        }))
    }

    /// One row, answered: what it created, or why it was refused, by field.
    async fn import_row(&self, caller: &Caller, row: pb::ImportRow) -> pb::ImportRowResult {
        let row_number = row.row_number;
        let written = self
            .rpc
            .write_message(
                "ImportMembers.row",
                caller.clone(),
                row,
                |caller, row: ImportedRow, work| self.insert_row(caller, row, work),
            )
            .await;
        match written {
            Ok(done) => done,
            Err(err) => {
                let err = err.resolve(&REFUSALS);
                let field = refused_field(&err);
                pb::ImportRowResult {
                    row_number,
                    errors: row_errors(&self.rpc.status(err), field),
                    ..Default::default()
                }
            }
        }
    }

    async fn insert_row(
        &self,
        caller: Caller,
        row: ImportedRow,
        mut work: Work,
    ) -> Result<Done<pb::ImportRowResult>> {
        let member = self
            .insert_member(&mut work, &caller, &row.member, "批量导入")
            .await?;
        let record_id = match &row.record {
            Some(draft) => {
                self.insert_record(&mut work, &caller, member.member_id, draft)
                    .await?
                    .record_id
            }
            None => String::new(),
        };
        Ok(work.done(pb::ImportRowResult {
            row_number: row.row_number,
            ok: true,
            member_id: member.member_id.to_string(),
            record_id,
            errors: Vec::new(),
        }))
    }
}

/// The field a refusal without named fields concerns.
fn refused_field(err: &Error) -> &'static str {
    match err {
        Error::AlreadyExists { reason, .. } if *reason == ALREADY_ON_REGISTER => "record",
        Error::AlreadyExists { .. } => "member.id_number",
        Error::PermissionDenied(_) | Error::NotFound(_) => "member.branch.org_id",
        _ => "",
    }
}

/// Why a row was refused, by field: its bad fields, or the one field its
/// refusal concerns.
fn row_errors(status: &Status, refused_field: &str) -> Vec<pb::FieldError> {
    let mut violations = field_violations(status);
    if violations.is_empty() {
        violations.push((refused_field.to_owned(), status.message().to_owned()));
    }
    violations
        .into_iter()
        .map(|(field, description)| pb::FieldError { field, description })
        .collect()
}
