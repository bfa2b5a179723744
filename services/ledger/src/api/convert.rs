//! Rows to messages, masked unless the caller revealed them. The masked view
//! is the default: sensitive values appear only in a response whose reader
//! was authorised, gave a reason and was recorded.

use relief_proto::ledger::v1 as pb;
use relief_runtime::time::{timestamp, to_proto};

use crate::domain::member::{FamilyPublic, SealedFacts, Sex, money};
use crate::domain::record::{category_parse, household_income, outcome_parse, source_parse};
use crate::store::{MemberRow, RecordRow, VerificationRow, actor, date_proto, org_ref};

pub fn family_public(row: &MemberRow) -> Vec<FamilyPublic> {
    serde_json::from_value(row.family_public.clone()).unwrap_or_default()
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
        gender: Sex::parse(&row.sex).map_or(pb::Gender::Unspecified, Sex::to_proto) as i32,
        birth_date: Some(to_proto(row.birth_date)),
        id_number: facts.map_or_else(
            || row.id_number_masked.clone(),
            |facts| facts.id_number.clone(),
        ),
        party_join_date: Some(to_proto(row.party_join_date)),
        work_unit: row.work_unit.clone(),
        employment_status: row.employment_status,
        phone: facts.map_or_else(|| row.phone_masked.clone(), |facts| facts.phone.clone()),
        address: row.address.clone(),
        family_members: family,
        sensitive: facts.map(SealedFacts::sensitive_proto),
        receives_dibao: row.receives_dibao,
        receives_special_care: row.receives_special_care,
        revealed: facts.is_some(),
        etag: row.version.to_string(),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

pub fn verification(row: &VerificationRow) -> pb::Verification {
    pb::Verification {
        year: row.year,
        outcome: outcome_parse(&row.outcome) as i32,
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
        category: category_parse(&row.category) as i32,
        cause: row.cause.clone(),
        description: row.description.clone(),
        household_size: row.household_size,
        income: income_fen.map(|fen| household_income(fen, row.household_size)),
        status: if row.status == "active" {
            pb::RecordStatus::Active
        } else {
            pb::RecordStatus::Removed
        } as i32,
        recognised: row.recognised,
        since: Some(to_proto(row.since)),
        until: date_proto(row.until),
        removal_reason: row.removal_reason.clone(),
        source_kind: source_parse(&row.source_kind) as i32,
        source_ref: row.source_ref.clone(),
        verifications: verifications
            .iter()
            .filter(|v| v.record_id == row.record_id)
            .map(verification)
            .collect(),
        created_by: actor(&row.created_by_id, &row.created_by_name),
        checked_by: actor(&row.checked_by_id, &row.checked_by_name),
        etag: row.version.to_string(),
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
        "sex": row.sex,
        "id_number": row.id_number_masked,
        "party_join_date": row.party_join_date.to_string(),
        "work_unit": row.work_unit,
        "employment_status": row.employment_status,
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
        "category": row.category,
        "cause": row.cause,
        "description": row.description,
        "household_size": row.household_size,
        "status": row.status,
        "recognised": row.recognised,
        "since": row.since.to_string(),
        "until": row.until.map(|d| d.to_string()),
        "removal_reason": row.removal_reason,
        "source": format!("{}:{}", row.source_kind, row.source_ref),
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
