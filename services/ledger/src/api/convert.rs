//! Rows to messages, masked unless the caller revealed them. The masked view
//! is the default: sensitive values appear only in a response whose reader
//! was authorised, gave a reason and was recorded.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::ids::{actor, etag_of};
use relief_runtime::time::{timestamp, to_proto};

use crate::domain::member::{FamilyPublic, SealedFacts, money};
use crate::domain::org::directly_under_committee;
use crate::domain::record::household_income;
use crate::store::{
    HistoryRow, MemberRow, OrgRow, RecordRow, ReliefRow, SensitiveReadRow, VerificationRow,
};

/// A proto date for an optional stored date.
fn date_proto(date: Option<time::Date>) -> Option<common::Date> {
    date.map(to_proto)
}

fn org_ref(org_id: i64, path: &str, name: &str) -> Option<common::OrgRef> {
    Some(common::OrgRef {
        org_id,
        path: path.to_owned(),
        name: name.to_owned(),
    })
}

/// A node of the tree; `committee_path` is the configured root's.
pub fn org(row: &OrgRow, committee_path: &str) -> pb::Org {
    pb::Org {
        org_id: row.org_id,
        parent_id: row.parent_id.unwrap_or(0),
        kind: pb::OrgKind::from(row.kind) as i32,
        name: row.name.clone(),
        unit_name: row.unit_name.clone(),
        path: row.path.clone(),
        directly_under_committee: directly_under_committee(row.kind, &row.path, committee_path),
        etag: etag_of(row.version),
    }
}

/// A reference to a node from other messages.
pub fn org_reference(row: &OrgRow) -> Option<common::OrgRef> {
    org_ref(row.org_id, &row.path, &row.name)
}

/// The family's public part, read from the stored JSON in place (not from a copy of it).
pub fn family_public(row: &MemberRow) -> Vec<FamilyPublic> {
    serde::Deserialize::deserialize(&row.family_public).unwrap_or_default()
}

/// A member's birth date as an answer shows it: in full only beside the full
/// ID number (revealed), since it is the number's birth-date digits; otherwise
/// only the year, month and day 0 (SPEC §9: a mask is never undone by another
/// field).
pub fn birth_date(date: time::Date, revealed: bool) -> common::Date {
    if revealed {
        to_proto(date)
    } else {
        common::Date {
            year: date.year(),
            month: 0,
            day: 0,
        }
    }
}

/// The member as a message; `facts` are the opened sealed facts when the
/// caller revealed them, `None` for the masked view.
pub fn member(row: &MemberRow, facts: Option<&SealedFacts>) -> pb::Member {
    let family = family_public(row)
        .into_iter()
        .enumerate()
        .map(|(i, person)| {
            let private = facts.and_then(|facts| facts.family.get(i));
            pb::FamilyMember {
                relation: person.relation,
                name: person.name,
                age: person.age,
                occupation: person.occupation,
                annual_income: private.map(|p| money(p.annual_income_fen)),
                health: private.map(|p| p.health.clone()).unwrap_or_default(),
                able_to_work: person.able_to_work,
            }
        })
        .collect();
    pb::Member {
        member_id: row.member_id.to_string(),
        branch: org_ref(row.org_id, &row.org_path, &row.org_name),
        name: row.name.clone(),
        gender: row.sex.to_proto() as i32,
        birth_date: Some(birth_date(row.birth_date, facts.is_some())),
        id_number: facts.map_or_else(
            || row.id_number_masked.clone(),
            |facts| facts.id_number.clone(),
        ),
        party_join_date: Some(to_proto(row.party_join_date)),
        work_unit: row.work_unit.clone(),
        employment_status: row.employment_status.to_proto() as i32,
        phone: facts.map_or_else(|| row.phone_masked.clone(), |facts| facts.phone.clone()),
        address: row.address.clone(),
        family_members: family,
        sensitive: facts.map(SealedFacts::sensitive_proto),
        receives_dibao: row.receives_dibao,
        receives_special_care: row.receives_special_care,
        revealed: facts.is_some(),
        etag: etag_of(row.version),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

pub fn verification(row: &VerificationRow) -> pb::Verification {
    pb::Verification {
        year: row.year,
        outcome: row.outcome.to_proto() as i32,
        findings: row.findings.clone(),
        branch_meeting_date: date_proto(row.branch_meeting_date),
        notice_start: date_proto(row.notice_start),
        notice_end: date_proto(row.notice_end),
        notice_result: row.notice_result.clone(),
        verified_by: actor(&row.verified_by_id, &row.verified_by_name),
        verify_time: Some(timestamp(row.verified_at)),
        campaign_id: row.campaign_id.clone(),
    }
}

/// The record as a message; `income_fen` is the opened income when revealed.
pub fn record(
    row: &RecordRow,
    verifications: &[VerificationRow],
    income_fen: Option<i64>,
) -> pb::HardshipRecord {
    pb::HardshipRecord {
        record_id: row.record_id.to_string(),
        member_id: row.member_id.to_string(),
        member_name: row.member_name.clone(),
        branch: org_ref(row.org_id, &row.org_path, &row.org_name),
        category: row.category.to_proto() as i32,
        cause: row.cause.clone(),
        description: row.description.clone(),
        household_size: row.household_size,
        income: income_fen.map(|fen| household_income(fen, row.household_size)),
        status: row.status.to_proto() as i32,
        recognised: row.recognised,
        since: Some(to_proto(row.since)),
        until: date_proto(row.until),
        removal_reason: row.removal_reason.clone(),
        source_kind: row.source_kind.to_proto() as i32,
        source_ref: row.source_ref.clone(),
        verifications: verifications
            .iter()
            .filter(|v| v.record_id == row.record_id)
            .map(verification)
            .collect(),
        created_by: actor(&row.created_by_id, &row.created_by_name),
        checked_by: actor(&row.checked_by_id, &row.checked_by_name),
        etag: etag_of(row.version),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        revealed: income_fen.is_some(),
    }
}

/// What the history and audit trail keep of a member: everything but the
/// sealed facts, which appear only as "changed".
pub fn member_audit_view(row: &MemberRow) -> serde_json::Value {
    serde_json::json!({
        "branch": row.org_id,
        "name": row.name,
        "sex": row.sex.as_str(),
        "id_number": row.id_number_masked,
        "party_join_date": row.party_join_date.to_string(),
        "work_unit": row.work_unit,
        "employment_status": row.employment_status as i32,
        "phone": row.phone_masked,
        "address": row.address,
        "receives_dibao": row.receives_dibao,
        "receives_special_care": row.receives_special_care,
        "family": row.family_public,
    })
}

pub fn record_audit_view(row: &RecordRow) -> serde_json::Value {
    serde_json::json!({
        "member_id": row.member_id.to_string(),
        "category": row.category.as_str(),
        "cause": row.cause,
        "description": row.description,
        "household_size": row.household_size,
        "status": row.status.as_str(),
        "recognised": row.recognised,
        "since": row.since.to_string(),
        "until": row.until.map(|d| d.to_string()),
        "removal_reason": row.removal_reason,
        "source": format!("{}:{}", row.source_kind.as_str(), row.source_ref),
    })
}

/// Field names whose values differ between two audit views.
pub fn changed_fields(before: &serde_json::Value, after: &serde_json::Value) -> Vec<String> {
    match (before.as_object(), after.as_object()) {
        (Some(before), Some(after)) => after
            .iter()
            .filter(|(key, value)| before.get(*key) != Some(*value))
            .map(|(key, _)| key.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// One entry of a resource's history.
pub fn history_entry(row: HistoryRow) -> pb::HistoryEntry {
    pb::HistoryEntry {
        stamp: Some(common::ChangeStamp {
            actor: actor(&row.actor_id, &row.actor_name),
            change_time: Some(timestamp(row.at)),
            reason: row.reason,
        }),
        action: row.action,
        changed_fields: row.changed_fields,
        before_json: row.before_json.map(|v| v.to_string()).unwrap_or_default(),
        after_json: row.after_json.map(|v| v.to_string()).unwrap_or_default(),
    }
}

/// One unmasked read, as the log of such reads shows it.
pub fn sensitive_read(row: SensitiveReadRow) -> pb::SensitiveRead {
    pb::SensitiveRead {
        reader: actor(&row.reader_id, &row.reader_name),
        read_time: Some(timestamp(row.at)),
        resource: row.resource,
        reason: row.reason,
    }
}

/// One relief received, as the API shows it.
pub fn relief_received(row: &ReliefRow) -> pb::ReliefReceived {
    pb::ReliefReceived {
        entry_id: row.entry_id.to_string(),
        record_id: row.record_id.to_string(),
        year: row.year,
        relief_type: row.relief_type.to_proto() as i32,
        amount: Some(money(row.amount_fen)),
        voucher_number: row.voucher_number.clone(),
        disbursement_id: row.disbursement_id.clone(),
        received_on: Some(to_proto(row.received_on)),
        recorded_by: actor(&row.recorded_by_id, &row.recorded_by_name),
        record_time: Some(timestamp(row.recorded_at)),
    }
}

/// What the history and audit trail keep of a relief received.
pub fn relief_audit_view(row: &ReliefRow) -> serde_json::Value {
    serde_json::json!({
        "entry_id": row.entry_id.to_string(),
        "year": row.year,
        "relief_type": row.relief_type.chinese(),
        "amount_fen": row.amount_fen,
        "voucher_number": row.voucher_number,
        "disbursement_id": row.disbursement_id,
        "received_on": row.received_on.to_string(),
    })
}
