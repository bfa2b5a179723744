//! Members: registration, reads (masked, or revealed and recorded), listing
//! and changes.

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use uuid::Uuid;

use super::{LedgerApi, convert, record_change};
use crate::commands::members::{ByIdNumber, MemberChange, MemberListing, MemberRead, NewMember};
use crate::domain::member::{MemberDraft, SealedFacts, joined_as_adult};
use crate::domain::org::OrgKind;
use crate::store::{Change, MemberRow, NewMemberRow, Store};
use relief_runtime::masking::mask_phone;

impl LedgerApi {
    /// Registers a checked member (CreateMember, and each row of an import).
    pub(super) async fn insert_member(
        &self,
        work: &mut Work,
        caller: &Caller,
        draft: &MemberDraft,
        reason: &str,
    ) -> Result<MemberRow> {
        let branch = Store::org_in(work.tx(), draft.branch_id)
            .await?
            .ok_or_else(|| Error::invalid("member.branch.org_id", "no such organisation"))?;
        caller.authorize(Permission::MemberWrite, &branch.path)?;
        if branch.kind != OrgKind::Branch {
            return Err(Error::invalid(
                "member.branch.org_id",
                "members belong to a branch (党支部), not to this node",
            ));
        }
        let member_id = Uuid::new_v4();
        let sealed = self.pii.seal(&member_id.to_string(), &draft.sealed)?;
        let id_hash = self.pii.id_number_hash(draft.id_number.as_str());
        Store::insert_member(
            work.tx(),
            NewMemberRow {
                member_id,
                org_id: branch.org_id,
                org_path: &branch.path,
                name: &draft.name,
                sex: draft.sex,
                birth_date: draft.birth_date,
                id_number_hash: &id_hash,
                id_number_masked: &draft.id_number.masked(),
                party_join_date: draft.party_join_date,
                work_unit: &draft.work_unit,
                employment_status: draft.employment,
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
        let row = Store::member_in(work.tx(), member_id)
            .await?
            .ok_or_else(|| {
                Error::internal("registering", "member vanished inside its own transaction")
            })?;
        record_change(
            work,
            Change {
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

    pub(super) async fn register(
        &self,
        caller: Caller,
        NewMember(draft): NewMember,
        mut work: Work,
    ) -> Result<Done<pb::Member>> {
        let row = self.insert_member(&mut work, &caller, &draft, "").await?;
        Ok(work.done(convert::member(&row, None)))
    }

    pub(super) async fn member(&self, caller: Caller, query: MemberRead) -> Result<pb::Member> {
        let row = self
            .store
            .member(query.member_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("member {}", query.member_id)))?;
        caller.authorize(Permission::MemberRead, &row.org_path)?;
        let Some(reason) = query.reveal else {
            return Ok(convert::member(&row, None));
        };
        caller.authorize(Permission::SensitiveRead, &row.org_path)?;
        let facts: SealedFacts = self.pii.open(&row.member_id.to_string(), &row.sealed)?;
        self.store
            .log_sensitive_read(
                &caller.actor(),
                &format!("members/{}", row.member_id),
                &reason,
            )
            .await?;
        Ok(convert::member(&row, Some(&facts)))
    }

    pub(super) async fn member_by_id_number(
        &self,
        caller: Caller,
        ByIdNumber(id): ByIdNumber,
    ) -> Result<pb::Member> {
        let not_found = || Error::not_found("member with this ID number");
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

    pub(super) async fn members(
        &self,
        caller: Caller,
        query: MemberListing,
    ) -> Result<pb::ListMembersResponse> {
        let roots = self
            .roots(&caller, Permission::MemberRead, query.org_id)
            .await?;
        let mut rows = self
            .store
            .list_members(
                &roots,
                &query.name_prefix,
                query.page.after,
                query.page.fetch(),
            )
            .await?;
        let next_page_token = query.page.next(&mut rows, |row| row.member_id);
        Ok(pb::ListMembersResponse {
            members: rows.iter().map(|row| convert::member(row, None)).collect(),
            next_page_token,
        })
    }

    pub(super) async fn change_member(
        &self,
        caller: Caller,
        change: MemberChange,
        mut work: Work,
    ) -> Result<Done<pb::Member>> {
        let member_id = change.member_id;
        let current = Store::member_in(work.tx(), member_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("member {member_id}")))?;
        caller.authorize(Permission::MemberWrite, &current.org_path)?;
        if current.version != change.version {
            return Err(Error::EtagMismatch(format!("member {member_id}")));
        }
        if let Some(joined) = change.party_join_date
            && !joined_as_adult(current.birth_date, joined)
        {
            return Err(Error::invalid(
                "member.party_join_date",
                "a real date, not in the future, at 18 or older",
            ));
        }
        let mut facts: SealedFacts = self.pii.open(&member_id.to_string(), &current.sealed)?;
        let sealed_changed = change.sealed_changed();
        let mut next = current.clone();
        if let Some(name) = change.name {
            next.name = name;
        }
        if let Some(date) = change.party_join_date {
            next.party_join_date = date;
        }
        if let Some(work_unit) = change.work_unit {
            next.work_unit = work_unit;
        }
        if let Some(employment) = change.employment {
            next.employment_status = employment;
        }
        if let Some(phone) = change.phone {
            next.phone_masked = mask_phone(&phone);
            facts.phone = phone;
        }
        if let Some(address) = change.address {
            next.address = address;
        }
        if let Some((public, private)) = change.family {
            next.family_public = serde_json::to_value(public).unwrap_or_default();
            facts.family = private;
        }
        if let Some(sensitive) = change.sensitive {
            facts.set_sensitive(sensitive);
        }
        if let Some(dibao) = change.receives_dibao {
            next.receives_dibao = dibao;
        }
        if let Some(special_care) = change.receives_special_care {
            next.receives_special_care = special_care;
        }
        next.sealed = self.pii.seal(&member_id.to_string(), &facts)?;
        if !Store::update_member(work.tx(), &next, change.version).await? {
            return Err(Error::EtagMismatch(format!("member {member_id}")));
        }
        let updated = Store::member_in(work.tx(), member_id)
            .await?
            .ok_or_else(|| {
                Error::internal("updating", "member vanished inside its own transaction")
            })?;
        let before = convert::member_audit_view(&current);
        let after = convert::member_audit_view(&updated);
        let mut changed = convert::changed_fields(&before, &after);
        // Sealed facts never enter the history; that they changed does.
        for sealed_path in sealed_changed {
            if !changed.iter().any(|c| c == sealed_path) {
                changed.push(sealed_path.to_owned());
            }
        }
        record_change(
            &mut work,
            Change {
                action: "member.updated",
                resource: &format!("members/{member_id}"),
                reason: &change.reason,
                changed_fields: changed,
                before: Some(before),
                after: Some(after),
            },
        )
        .await?;
        Ok(work.done(convert::member(&updated, None)))
    }
}
