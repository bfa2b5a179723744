//! Member RPCs: registration, reads (masked, or revealed and recorded),
//! listing and changes.

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission, caller};
use relief_runtime::error::{FieldViolations, invalid_field};
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::{PageToken, page_size};
use relief_runtime::time::today;
use tonic::{Request, Status};
use uuid::Uuid;

use super::{LedgerApi, convert, parse_etag, parse_uuid};
use crate::domain::id_number::IdNumber;
use crate::domain::masking::mask_phone;
use crate::domain::member::{
    MemberDraft, SealedFacts, has_control_chars, valid_phone, validate_family, validate_new_member,
    validate_sensitive,
};
use crate::domain::org::OrgKind;
use crate::error::Error;
use crate::store::{Change, MemberRow, NewMemberRow, Store};

/// The paths `UpdateMember` accepts.
const MEMBER_MASK_PATHS: [&str; 10] = [
    "name",
    "party_join_date",
    "work_unit",
    "employment_status",
    "phone",
    "address",
    "family_members",
    "sensitive",
    "receives_dibao",
    "receives_special_care",
];

/// Checks a reveal request: the permission on the resource and a reason.
pub(super) fn check_reveal(
    caller: &Caller,
    path: &str,
    reveal: bool,
    reason: &str,
) -> Result<bool, Status> {
    if !reveal {
        return Ok(false);
    }
    if reason.trim().is_empty() {
        return Err(invalid_field(
            "reveal_reason",
            "required when reveal_sensitive is set: why the data is needed",
        ));
    }
    caller.authorize(Permission::SensitiveRead, path)?;
    Ok(true)
}

impl LedgerApi {
    /// Inserts a validated member (used by CreateMember and ImportMembers).
    pub(super) async fn insert_member(
        &self,
        tx: &mut sqlx::PgConnection,
        caller: &Caller,
        draft: &MemberDraft,
        reason: &str,
    ) -> Result<MemberRow, Status> {
        let branch = self
            .store
            .org(draft.branch_id)
            .await?
            .ok_or_else(|| invalid_field("member.branch.org_id", "no such organisation"))?;
        caller.authorize(Permission::MemberWrite, &branch.path)?;
        if branch.kind() != OrgKind::Branch {
            return Err(invalid_field(
                "member.branch.org_id",
                "members belong to a branch (党支部), not to this node",
            ));
        }
        let member_id = Uuid::new_v4();
        let sealed = self
            .pii
            .seal(&member_id.to_string(), &draft.sealed)
            .map_err(Error::from)?;
        let id_hash = self.pii.id_number_hash(draft.id_number.as_str());
        Store::insert_member(
            tx,
            NewMemberRow {
                member_id,
                org_id: branch.org_id,
                org_path: &branch.path,
                name: &draft.name,
                sex: draft.sex.as_str(),
                birth_date: draft.birth_date,
                id_number_hash: &id_hash,
                id_number_masked: &draft.id_number.masked(),
                party_join_date: draft.party_join_date,
                work_unit: &draft.work_unit,
                employment_status: draft.employment as i32,
                phone_masked: &mask_phone(&draft.sealed.phone),
                address: &draft.address,
                receives_dibao: draft.receives_dibao,
                receives_special_care: draft.receives_special_care,
                family_public: serde_json::to_value(&draft.family).unwrap_or_default(),
                sealed,
                created_by: &caller.user_id,
            },
        )
        .await?;
        let row = Store::member(tx, member_id)
            .await?
            .ok_or_else(|| Status::internal("member vanished inside its own transaction"))?;
        Store::log_change(
            tx,
            Change {
                actor: &caller.actor(),
                action: "member.created",
                resource: &format!("members/{member_id}"),
                reason,
                changed_fields: Vec::new(),
                before: None,
                after: Some(convert::member_audit_view(&row)),
            },
        )
        .await?;
        Ok(row)
    }

    pub(super) async fn create_member_impl(
        &self,
        request: Request<pb::CreateMemberRequest>,
    ) -> Result<pb::Member, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        let draft = match &request.member {
            None => {
                violations.add("member", "required");
                None
            }
            Some(member) => match validate_new_member(member, today()) {
                Ok(draft) => Some(draft),
                Err(member_violations) => {
                    violations.extend_prefixed("", member_violations);
                    None
                }
            },
        };
        violations.into_result()?;
        let draft = draft.ok_or_else(|| invalid_field("member", "required"))?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(member) =
            idempotency::claim(&mut tx, "CreateMember", &request.request_id, &request).await?
        {
            return Ok(member);
        }
        let row = self.insert_member(&mut tx, &caller, &draft, "").await?;
        let response = convert::member(&row, None);
        idempotency::finish(tx, &request.request_id, response).await
    }

    /// Opens a member's sealed facts and records who read them and why.
    async fn reveal_member(
        &self,
        caller: &Caller,
        row: &MemberRow,
        reason: &str,
    ) -> Result<SealedFacts, Status> {
        let facts: SealedFacts = self
            .pii
            .open(&row.member_id.to_string(), &row.sealed)
            .map_err(Error::from)?;
        let mut tx = self.store.begin().await?;
        Store::log_sensitive_read(
            &mut tx,
            &caller.actor(),
            &format!("members/{}", row.member_id),
            reason,
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(facts)
    }

    pub(super) async fn get_member_impl(
        &self,
        request: Request<pb::GetMemberRequest>,
    ) -> Result<pb::Member, Status> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let member_id = parse_uuid("member_id", &request.member_id)?;
        let mut conn = self.store.pool().acquire().await.map_err(Error::from)?;
        let row = Store::member(&mut conn, member_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("member {member_id}"))))?;
        drop(conn);
        caller.authorize(Permission::MemberRead, &row.org_path)?;
        if check_reveal(
            caller,
            &row.org_path,
            request.reveal_sensitive,
            &request.reveal_reason,
        )? {
            let facts = self
                .reveal_member(caller, &row, request.reveal_reason.trim())
                .await?;
            return Ok(convert::member(&row, Some(&facts)));
        }
        Ok(convert::member(&row, None))
    }

    pub(super) async fn find_member_impl(
        &self,
        request: Request<pb::FindMemberByIdNumberRequest>,
    ) -> Result<pb::Member, Status> {
        let caller = caller(&request)?;
        let id = IdNumber::parse(&request.get_ref().id_number, today())
            .map_err(|err| invalid_field("id_number", &err.to_string()))?;
        let not_found = || Status::from(Error::NotFound("member with this ID number".to_owned()));
        let row = self
            .store
            .member_by_hash(&self.pii.id_number_hash(id.as_str()))
            .await?
            .ok_or_else(not_found)?;
        // Outside the caller's subtree the answer is the same as for nobody.
        if !caller.may(Permission::MemberRead, &row.org_path) {
            return Err(not_found());
        }
        Ok(convert::member(&row, None))
    }

    pub(super) async fn list_members_impl(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<pb::ListMembersResponse, Status> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let limit = page_size(request.page_size, "page_size")?;
        if has_control_chars(&request.name_prefix) {
            return Err(invalid_field("name_prefix", "contains control characters"));
        }
        let after = match PageToken::decode(&request.page_token, "page_token")? {
            None => None,
            Some(token) => {
                let (name, id) = token.after_text().split_once('\u{1f}').ok_or_else(|| {
                    invalid_field("page_token", "not a page token from a previous response")
                })?;
                Some((name.to_owned(), parse_uuid("page_token", id)?))
            }
        };
        let roots = self
            .listing_roots(caller, Permission::MemberRead, request.org_id, "org_id")
            .await?;
        let mut rows = self
            .store
            .list_members(&roots, request.name_prefix.trim(), after, limit + 1)
            .await?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|row| {
                    PageToken::text(&format!("{}\u{1f}{}", row.name, row.member_id)).encode()
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(pb::ListMembersResponse {
            members: rows.iter().map(|row| convert::member(row, None)).collect(),
            next_page_token,
        })
    }

    pub(super) async fn update_member_impl(
        &self,
        request: Request<pb::UpdateMemberRequest>,
    ) -> Result<pb::Member, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        let member = request.member.clone().unwrap_or_default();
        let paths = request
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.clone())
            .unwrap_or_default();
        if paths.is_empty() {
            violations.add("update_mask", "required: the fields to change");
        }
        for path in &paths {
            if !MEMBER_MASK_PATHS.contains(&path.as_str()) {
                violations.add("update_mask", format!("{path} cannot be changed here"));
            }
        }
        if request.reason.trim().is_empty() {
            violations.add("reason", "required: why the member's information changes");
        }
        let member_id = match parse_uuid("member.member_id", &member.member_id) {
            Ok(id) => Some(id),
            Err(status) => {
                violations.add("member.member_id", status.message());
                None
            }
        };
        let version = parse_etag("member.etag", &member.etag).unwrap_or_else(|status| {
            violations.add("member.etag", status.message());
            0
        });
        violations.into_result()?;
        let member_id =
            member_id.ok_or_else(|| invalid_field("member.member_id", "must be a UUID"))?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(member) =
            idempotency::claim(&mut tx, "UpdateMember", &request.request_id, &request).await?
        {
            return Ok(member);
        }
        let current = Store::member(&mut tx, member_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("member {member_id}"))))?;
        caller.authorize(Permission::MemberWrite, &current.org_path)?;
        if current.version != version {
            return Err(Error::EtagMismatch(format!("member {member_id}")).into());
        }
        let mut facts: SealedFacts = self
            .pii
            .open(&member_id.to_string(), &current.sealed)
            .map_err(Error::from)?;
        let mut next = current.clone();
        let mut violations = FieldViolations::new();
        let has = |name: &str| paths.iter().any(|p| p == name);
        if has("name") {
            if member.name.trim().is_empty() || member.name.chars().count() > 50 {
                violations.add("member.name", "required, at most 50 characters");
            }
            next.name = member.name.trim().to_owned();
        }
        if has("party_join_date") {
            match relief_runtime::time::from_proto(member.party_join_date.as_ref()) {
                Some(date) if date <= today() && date.year() - current.birth_date.year() >= 18 => {
                    next.party_join_date = date
                }
                _ => violations.add(
                    "member.party_join_date",
                    "a real date, not in the future, at 18 or older",
                ),
            }
        }
        if has("work_unit") {
            if member.work_unit.trim().is_empty() || member.work_unit.chars().count() > 100 {
                violations.add("member.work_unit", "required, at most 100 characters");
            }
            next.work_unit = member.work_unit.trim().to_owned();
        }
        if has("employment_status") {
            match pb::EmploymentStatus::try_from(member.employment_status) {
                Ok(status) if status != pb::EmploymentStatus::Unspecified => {
                    next.employment_status = status as i32
                }
                _ => violations.add(
                    "member.employment_status",
                    "required: in post, retired, laid off or other",
                ),
            }
        }
        if has("phone") {
            if !member.phone.is_empty() && !valid_phone(&member.phone) {
                violations.add(
                    "member.phone",
                    "not a mobile (11 digits) or landline number",
                );
            }
            facts.phone = member.phone.trim().to_owned();
            next.phone_masked = mask_phone(&facts.phone);
        }
        if has("address") {
            if member.address.chars().count() > 200 {
                violations.add("member.address", "at most 200 characters");
            }
            next.address = member.address.trim().to_owned();
        }
        if has("family_members") {
            let (public, private) = validate_family(
                &mut violations,
                "member.family_members",
                &member.family_members,
            );
            next.family_public = serde_json::to_value(public).unwrap_or_default();
            facts.family = private;
        }
        if has("sensitive") {
            validate_sensitive(
                &mut violations,
                "member.sensitive",
                &member.sensitive.clone().unwrap_or_default(),
                &mut facts,
            );
        }
        if has("receives_dibao") {
            next.receives_dibao = member.receives_dibao;
        }
        if has("receives_special_care") {
            next.receives_special_care = member.receives_special_care;
        }
        violations.into_result()?;
        next.sealed = self
            .pii
            .seal(&member_id.to_string(), &facts)
            .map_err(Error::from)?;
        if !Store::update_member(&mut tx, &next, version).await? {
            return Err(Error::EtagMismatch(format!("member {member_id}")).into());
        }
        let updated = Store::member(&mut tx, member_id)
            .await?
            .ok_or_else(|| Status::internal("member vanished inside its own transaction"))?;
        let before = convert::member_audit_view(&current);
        let after = convert::member_audit_view(&updated);
        let mut changed = convert::changed_fields(&before, &after);
        // Sealed facts never enter the history; that they changed does.
        for sealed_path in ["sensitive", "phone", "family_members"] {
            if has(sealed_path) && !changed.iter().any(|c| c == sealed_path) {
                changed.push(sealed_path.to_owned());
            }
        }
        Store::log_change(
            &mut tx,
            Change {
                actor: &caller.actor(),
                action: "member.updated",
                resource: &format!("members/{member_id}"),
                reason: request.reason.trim(),
                changed_fields: changed,
                before: Some(before),
                after: Some(after),
            },
        )
        .await?;
        let response = convert::member(&updated, None);
        idempotency::finish(tx, &request.request_id, response).await
    }
}
