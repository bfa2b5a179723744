//! Register row RPCs: add, read, list, adjust, remove, recognise, verify.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission, caller};
use relief_runtime::error::{FieldViolations, invalid_field};
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::{PageToken, page_size};
use relief_runtime::time::today;
use sqlx::PgConnection;
use tonic::{Request, Status};
use uuid::Uuid;

use super::members::check_reveal;
use super::{LedgerApi, convert, parse_etag, parse_uuid};
use crate::domain::record::{
    RecordDraft, category_str, check_annual_income, check_cause, check_household_size, outcome_str,
    source_str, validate_new_record, validate_verification,
};
use crate::error::Error;
use crate::store::{Change, NewRecordRow, RecordFilter, RecordRow, Store, VerificationRow};

/// The common part of every change to one record: a request id, the record
/// and the etag it was read at. Each bad one goes into `violations`.
fn check_record_change(
    violations: &mut FieldViolations,
    request_id: &str,
    record_id: &str,
    etag: &str,
) -> (Option<Uuid>, i64) {
    violations.check_request_id(request_id);
    let record_id = parse_uuid("record_id", record_id)
        .map_err(|status| violations.add("record_id", status.message()))
        .ok();
    let version = parse_etag("etag", etag)
        .map_err(|status| violations.add("etag", status.message()))
        .unwrap_or(0);
    (record_id, version)
}

/// What a record change is, for its history.
struct Why<'a> {
    action: &'a str,
    reason: &'a str,
    /// Sealed fields that changed (their values never enter the history).
    sealed_changed: &'a [&'a str],
}

/// Associated data binding a sealed income to its record.
fn income_aad(record_id: Uuid) -> String {
    format!("records/{record_id}")
}

impl LedgerApi {
    fn open_income(&self, row: &RecordRow) -> Result<i64, Status> {
        Ok(self
            .pii
            .open::<i64>(&income_aad(row.record_id), &row.sealed_income)
            .map_err(Error::from)?)
    }

    /// The record as the caller may see it right after a change: masked.
    async fn record_response(
        &self,
        conn: &mut PgConnection,
        record_id: Uuid,
    ) -> Result<pb::HardshipRecord, Status> {
        let row = Store::record(conn, record_id)
            .await?
            .ok_or_else(|| Status::internal("record vanished inside its own transaction"))?;
        let verifications = Store::verifications_in(conn, &[record_id]).await?;
        Ok(convert::record(&row, &verifications, None))
    }

    /// Adds a validated register row for `member_id` (CreateRecord, import).
    pub(super) async fn insert_record(
        &self,
        tx: &mut PgConnection,
        caller: &Caller,
        member_id: Uuid,
        draft: &RecordDraft,
    ) -> Result<pb::HardshipRecord, Status> {
        let member = Store::member(tx, member_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("member {member_id}"))))?;
        caller.authorize(Permission::RecordWrite, &member.org_path)?;
        let record_id = Uuid::new_v4();
        let sealed_income = self
            .pii
            .seal(&income_aad(record_id), &draft.annual_household_income_fen)
            .map_err(Error::from)?;
        Store::insert_record(
            tx,
            NewRecordRow {
                record_id,
                member: &member,
                category: category_str(draft.category).unwrap_or("other"),
                cause: &draft.cause,
                description: &draft.description,
                household_size: draft.household_size,
                sealed_income,
                since: draft.since,
                source_kind: source_str(draft.source_kind),
                source_ref: &draft.source_ref,
                created_by_id: &caller.user_id,
                created_by_name: &caller.display_name,
            },
        )
        .await?;
        let row = Store::record(tx, record_id)
            .await?
            .ok_or_else(|| Status::internal("record vanished inside its own transaction"))?;
        Store::log_change(
            tx,
            Change {
                actor: &caller.actor(),
                action: "record.created",
                resource: &format!("records/{record_id}"),
                reason: "",
                changed_fields: Vec::new(),
                before: None,
                after: Some(convert::record_audit_view(&row)),
            },
        )
        .await?;
        self.record_response(tx, record_id).await
    }

    pub(super) async fn create_record_impl(
        &self,
        request: Request<pb::CreateRecordRequest>,
    ) -> Result<pb::HardshipRecord, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        let member_id = parse_uuid("member_id", &request.member_id)
            .map_err(|status| violations.add("member_id", status.message()))
            .ok();
        let draft = validate_new_record(&request, today(), "")
            .map_err(|errs| violations.extend_prefixed("", errs))
            .ok();
        violations.into_result()?;
        let (Some(member_id), Some(draft)) = (member_id, draft) else {
            return Err(invalid_field("member_id", "must be a UUID"));
        };
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(record) =
            idempotency::claim(&mut tx, "CreateRecord", &request.request_id, &request).await?
        {
            return Ok(record);
        }
        let response = self
            .insert_record(&mut tx, &caller, member_id, &draft)
            .await?;
        idempotency::finish(tx, &request.request_id, response).await
    }

    pub(super) async fn get_record_impl(
        &self,
        request: Request<pb::GetRecordRequest>,
    ) -> Result<pb::HardshipRecord, Status> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let record_id = parse_uuid("record_id", &request.record_id)?;
        let mut conn = self.store.pool().acquire().await.map_err(Error::from)?;
        let row = Store::record(&mut conn, record_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("record {record_id}"))))?;
        drop(conn);
        caller.authorize(Permission::RecordRead, &row.org_path)?;
        let verifications = self.store.verifications(&[record_id]).await?;
        if check_reveal(
            caller,
            &row.org_path,
            request.reveal_sensitive,
            &request.reveal_reason,
        )? {
            let income = self.open_income(&row)?;
            let mut tx = self.store.begin().await?;
            Store::log_sensitive_read(
                &mut tx,
                &caller.actor(),
                &format!("records/{record_id}"),
                request.reveal_reason.trim(),
            )
            .await?;
            tx.commit().await.map_err(Error::from)?;
            return Ok(convert::record(&row, &verifications, Some(income)));
        }
        Ok(convert::record(&row, &verifications, None))
    }

    pub(super) async fn list_records_impl(
        &self,
        request: Request<pb::ListRecordsRequest>,
    ) -> Result<pb::ListRecordsResponse, Status> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let mut violations = FieldViolations::new();
        if crate::domain::member::has_control_chars(&request.name_prefix) {
            violations.add("name_prefix", "contains control characters");
        }
        let limit = page_size(request.page_size, "page_size")
            .map_err(|status| violations.add("page_size", status.message()))
            .unwrap_or(0);
        let category = match common::HardshipCategory::try_from(request.category) {
            Ok(category) => category_str(category).unwrap_or("").to_owned(),
            Err(_) => {
                violations.add("category", "unknown category");
                String::new()
            }
        };
        let status = match pb::RecordStatus::try_from(request.status) {
            Ok(pb::RecordStatus::Active) => "active",
            Ok(pb::RecordStatus::Removed) => "removed",
            Ok(pb::RecordStatus::Unspecified) => "",
            Err(_) => {
                violations.add("status", "unknown status");
                ""
            }
        };
        if request.year != 0 && !(1990..=2200).contains(&request.year) {
            violations.add("year", "must be a four-digit year, or 0 for any");
        }
        let member_id = if request.member_id.is_empty() {
            None
        } else {
            parse_uuid("member_id", &request.member_id)
                .map_err(|status| violations.add("member_id", status.message()))
                .ok()
        };
        let after = match PageToken::decode(&request.page_token, "page_token") {
            Ok(None) => None,
            Ok(Some(token)) => parse_record_token(token.after_text()).or_else(|| {
                violations.add("page_token", "not a page token from a previous response");
                None
            }),
            Err(status) => {
                violations.add("page_token", status.message());
                None
            }
        };
        violations.into_result()?;
        let filter = RecordFilter {
            roots: self
                .listing_roots(caller, Permission::RecordRead, request.org_id, "org_id")
                .await?,
            category,
            status: status.to_owned(),
            year: request.year,
            name_prefix: request.name_prefix.trim().to_owned(),
            member_id,
        };
        let mut rows = self.store.list_records(&filter, after, limit + 1).await?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|row| {
                    PageToken::text(&format!("{}\u{1f}{}", row.since, row.record_id)).encode()
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        let ids: Vec<Uuid> = rows.iter().map(|row| row.record_id).collect();
        let verifications = self.store.verifications(&ids).await?;
        Ok(pb::ListRecordsResponse {
            records: rows
                .iter()
                .map(|row| convert::record(row, &verifications, None))
                .collect(),
            next_page_token,
        })
    }

    /// Loads a record for a change: exists, the caller holds `permission` on
    /// it, and it is still at `version`.
    async fn record_for_change(
        &self,
        tx: &mut PgConnection,
        caller: &Caller,
        permission: Permission,
        record_id: Uuid,
        version: i64,
    ) -> Result<RecordRow, Status> {
        let row = Store::record(tx, record_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("record {record_id}"))))?;
        caller.authorize(permission, &row.org_path)?;
        if row.version != version {
            return Err(Error::EtagMismatch(format!("record {record_id}")).into());
        }
        Ok(row)
    }

    /// Writes a changed record with its history, and answers with it.
    async fn save_record_change(
        &self,
        tx: &mut PgConnection,
        caller: &Caller,
        before: &RecordRow,
        after: &RecordRow,
        why: Why<'_>,
    ) -> Result<pb::HardshipRecord, Status> {
        let Why {
            action,
            reason,
            sealed_changed: extra_changed,
        } = why;
        if !Store::update_record(tx, after, before.version).await? {
            return Err(Error::EtagMismatch(format!("record {}", before.record_id)).into());
        }
        let before_view = convert::record_audit_view(before);
        let after_view = convert::record_audit_view(after);
        let mut changed = convert::changed_fields(&before_view, &after_view);
        changed.extend(extra_changed.iter().map(|field| (*field).to_owned()));
        Store::log_change(
            tx,
            Change {
                actor: &caller.actor(),
                action,
                resource: &format!("records/{}", before.record_id),
                reason,
                changed_fields: changed,
                before: Some(before_view),
                after: Some(after_view),
            },
        )
        .await?;
        self.record_response(tx, before.record_id).await
    }

    pub(super) async fn update_record_impl(
        &self,
        request: Request<pb::UpdateRecordRequest>,
    ) -> Result<pb::HardshipRecord, Status> {
        const PATHS: [&str; 5] = [
            "category",
            "cause",
            "description",
            "household_size",
            "income.annual_household_income",
        ];
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let record = request.record.clone().unwrap_or_default();
        let paths = request
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.clone())
            .unwrap_or_default();
        let has = |name: &str| paths.iter().any(|p| p == name);
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        if paths.is_empty() {
            violations.add("update_mask", "required: the fields to change");
        }
        for path in &paths {
            if !PATHS.contains(&path.as_str()) {
                violations.add("update_mask", format!("{path} cannot be changed here"));
            }
        }
        if request.reason.trim().is_empty() {
            violations.add("reason", "required: why the record changes");
        }
        let record_id = parse_uuid("record.record_id", &record.record_id)
            .map_err(|status| violations.add("record.record_id", status.message()))
            .ok();
        let version = parse_etag("record.etag", &record.etag)
            .map_err(|status| violations.add("record.etag", status.message()))
            .unwrap_or(0);
        let category = common::HardshipCategory::try_from(record.category)
            .ok()
            .and_then(category_str);
        if has("category") && category.is_none() {
            violations.add(
                "record.category",
                "required: one of the hardship categories",
            );
        }
        if has("cause") {
            check_cause(&mut violations, "record.cause", &record.cause);
        }
        if has("description") && record.description.chars().count() > 2000 {
            violations.add("record.description", "at most 2000 characters");
        }
        if has("household_size") {
            check_household_size(
                &mut violations,
                "record.household_size",
                record.household_size,
            );
        }
        if has("income.annual_household_income") {
            check_annual_income(
                &mut violations,
                "annual_household_income",
                request.annual_household_income.as_ref(),
            );
        }
        violations.into_result()?;
        let record_id =
            record_id.ok_or_else(|| invalid_field("record.record_id", "must be a UUID"))?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(record) =
            idempotency::claim(&mut tx, "UpdateRecord", &request.request_id, &request).await?
        {
            return Ok(record);
        }
        let before = self
            .record_for_change(
                &mut tx,
                &caller,
                Permission::RecordWrite,
                record_id,
                version,
            )
            .await?;
        if before.status != "active" {
            return Err(Error::FailedPrecondition(
                "a removed record cannot be adjusted".to_owned(),
            )
            .into());
        }
        let mut after = before.clone();
        if let (true, Some(category)) = (has("category"), category) {
            after.category = category.to_owned();
        }
        if has("cause") {
            after.cause = record.cause.trim().to_owned();
        }
        if has("description") {
            after.description = record.description.trim().to_owned();
        }
        if has("household_size") {
            after.household_size = record.household_size;
        }
        let mut extra = Vec::new();
        if has("income.annual_household_income") {
            let fen = request
                .annual_household_income
                .as_ref()
                .map_or(0, |money| money.fen);
            after.sealed_income = self
                .pii
                .seal(&income_aad(record_id), &fen)
                .map_err(Error::from)?;
            extra.push("income");
        }
        let response = self
            .save_record_change(
                &mut tx,
                &caller,
                &before,
                &after,
                Why {
                    action: "record.adjusted",
                    reason: request.reason.trim(),
                    sealed_changed: &extra,
                },
            )
            .await?;
        idempotency::finish(tx, &request.request_id, response).await
    }

    pub(super) async fn remove_record_impl(
        &self,
        request: Request<pb::RemoveRecordRequest>,
    ) -> Result<pb::HardshipRecord, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let (record_id, version) = check_record_change(
            &mut violations,
            &request.request_id,
            &request.record_id,
            &request.etag,
        );
        if request.reason.trim().is_empty() {
            violations.add("reason", "required: why the hardship ended");
        }
        let until = if relief_runtime::time::is_unset(request.until.as_ref()) {
            Some(today())
        } else {
            relief_runtime::time::from_proto(request.until.as_ref())
        };
        match until {
            None => violations.add("until", "not a real date"),
            Some(until) if until > today() => violations.add("until", "is in the future"),
            Some(_) => {}
        }
        violations.into_result()?;
        let (Some(record_id), Some(until)) = (record_id, until) else {
            return Err(invalid_field("record_id", "must be a UUID"));
        };
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(record) =
            idempotency::claim(&mut tx, "RemoveRecord", &request.request_id, &request).await?
        {
            return Ok(record);
        }
        let before = self
            .record_for_change(
                &mut tx,
                &caller,
                Permission::RecordWrite,
                record_id,
                version,
            )
            .await?;
        if before.status != "active" {
            return Err(
                Error::FailedPrecondition("the record is already removed".to_owned()).into(),
            );
        }
        if until < before.since {
            return Err(invalid_field("until", "is before the record's since date"));
        }
        let mut after = before.clone();
        after.status = "removed".to_owned();
        after.until = Some(until);
        after.removal_reason = request.reason.trim().to_owned();
        let response = self
            .save_record_change(
                &mut tx,
                &caller,
                &before,
                &after,
                Why {
                    action: "record.removed",
                    reason: request.reason.trim(),
                    sealed_changed: &[],
                },
            )
            .await?;
        idempotency::finish(tx, &request.request_id, response).await
    }

    pub(super) async fn recognise_record_impl(
        &self,
        request: Request<pb::RecogniseRecordRequest>,
    ) -> Result<pb::HardshipRecord, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let (record_id, version) = check_record_change(
            &mut violations,
            &request.request_id,
            &request.record_id,
            &request.etag,
        );
        violations.into_result()?;
        let record_id = record_id.ok_or_else(|| invalid_field("record_id", "must be a UUID"))?;
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(record) =
            idempotency::claim(&mut tx, "RecogniseRecord", &request.request_id, &request).await?
        {
            return Ok(record);
        }
        let before = self
            .record_for_change(
                &mut tx,
                &caller,
                Permission::RecordRecognise,
                record_id,
                version,
            )
            .await?;
        if before.recognised {
            return Err(
                Error::FailedPrecondition("the record is already recognised".to_owned()).into(),
            );
        }
        let mut after = before.clone();
        after.recognised = true;
        after.checked_by_id = caller.user_id.clone();
        after.checked_by_name = caller.display_name.clone();
        let response = self
            .save_record_change(
                &mut tx,
                &caller,
                &before,
                &after,
                Why {
                    action: "record.recognised",
                    reason: request.comment.trim(),
                    sealed_changed: &[],
                },
            )
            .await?;
        idempotency::finish(tx, &request.request_id, response).await
    }

    pub(super) async fn record_verification_impl(
        &self,
        request: Request<pb::RecordVerificationRequest>,
    ) -> Result<pb::HardshipRecord, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let (record_id, version) = check_record_change(
            &mut violations,
            &request.request_id,
            &request.record_id,
            &request.etag,
        );
        let draft = validate_verification(&request, today())
            .map_err(|errs| violations.extend_prefixed("", errs))
            .ok();
        violations.into_result()?;
        let (Some(record_id), Some(draft)) = (record_id, draft) else {
            return Err(invalid_field("record_id", "must be a UUID"));
        };
        let mut tx = self.store.begin().await?;
        if let Claim::Replay(record) =
            idempotency::claim(&mut tx, "RecordVerification", &request.request_id, &request).await?
        {
            return Ok(record);
        }
        let before = self
            .record_for_change(&mut tx, &caller, Permission::Verify, record_id, version)
            .await?;
        if before.status != "active" {
            return Err(Error::FailedPrecondition(
                "only a record on the register can be verified".to_owned(),
            )
            .into());
        }
        Store::insert_verification(
            &mut tx,
            &VerificationRow {
                record_id,
                year: draft.year,
                outcome: outcome_str(draft.outcome).unwrap_or("continue").to_owned(),
                findings: draft.findings.clone(),
                branch_meeting_date: draft.branch_meeting_date,
                notice_start: draft.notice_start,
                notice_end: draft.notice_end,
                notice_result: draft.notice_result.clone(),
                campaign_id: draft.campaign_id.clone(),
                verified_by_id: caller.user_id.clone(),
                verified_by_name: caller.display_name.clone(),
                verified_at: time::OffsetDateTime::now_utc(),
            },
        )
        .await?;
        let mut after = before.clone();
        let mut extra = vec!["verifications"];
        match draft.outcome {
            common::VerificationOutcome::Adjust => {
                if let Some(category) = common::HardshipCategory::try_from(request.adjust_category)
                    .ok()
                    .and_then(category_str)
                {
                    after.category = category.to_owned();
                }
                if request.adjust_household_size != 0 {
                    after.household_size = request.adjust_household_size;
                }
                if let Some(income) = &request.adjust_annual_household_income {
                    after.sealed_income = self
                        .pii
                        .seal(&income_aad(record_id), &income.fen)
                        .map_err(Error::from)?;
                    extra.push("income");
                }
            }
            common::VerificationOutcome::Remove => {
                after.status = "removed".to_owned();
                after.until = Some(today().max(before.since));
                after.removal_reason = format!("{}年度核查移出：{}", draft.year, draft.findings);
            }
            _ => {}
        }
        let action = format!(
            "record.verified.{}",
            outcome_str(draft.outcome).unwrap_or("continue")
        );
        let response = self
            .save_record_change(
                &mut tx,
                &caller,
                &before,
                &after,
                Why {
                    action: &action,
                    reason: &draft.findings,
                    sealed_changed: &extra,
                },
            )
            .await?;
        idempotency::finish(tx, &request.request_id, response).await
    }
}

/// `since \x1f record_id` of the last row of the previous page.
fn parse_record_token(text: &str) -> Option<(time::Date, Uuid)> {
    let (since, id) = text.split_once('\u{1f}')?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Some((
        time::Date::parse(since, &format).ok()?,
        Uuid::parse_str(id).ok()?,
    ))
}
