//! The lines of the register's forms: each record with its member, unit
//! organisation, family, relief received and (for the year's form) the
//! branch's verification — masked, or opened when the caller asked with a
//! reason and may, and then every member and record shown is logged as read.

use std::cmp::Ordering;
use std::collections::HashMap;

use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::Result;
use uuid::Uuid;

use super::LedgerApi;
use super::convert::family_public;
use super::forms::path_ids;
use crate::domain::member::SealedFacts;
use crate::domain::record::{RecordStatus, SourceKind, household_income};
use crate::export::{FamilyLine, FormLine, ReliefLine, date};
use crate::store::{MemberRow, OrgRow, RecordRow, ReliefRow, VerificationRow};

/// An unmasked form: what it is (for the log of reads) and the caller's reason.
#[derive(Debug, Clone, Copy)]
pub struct Reveal<'a> {
    pub what: &'a str,
    pub reason: &'a str,
}

/// The tree's order: by unit, then branch, by numeric id at every level (so
/// `/1/2/` comes before `/1/15/`), then by date on the register and name.
pub fn tree_order(a: &RecordRow, b: &RecordRow) -> Ordering {
    (path_ids(&a.org_path), a.since, &a.member_name).cmp(&(
        path_ids(&b.org_path),
        b.since,
        &b.member_name,
    ))
}

/// The unit organisation of a path: the node right under the committee (a
/// branch directly under the committee is its own unit).
fn unit_id(path: &str) -> Option<i64> {
    let ids = path_ids(path);
    ids.get(1).or(ids.first()).copied()
}

impl LedgerApi {
    /// The lines of a form for `rows` (in order) of the subtrees `roots`:
    /// masked, or, when `reveal` is given, unmasked — refused unless the
    /// caller may read sensitive data in every root and row — and then each
    /// member and record shown is logged as read. `year`: the year of a
    /// new-members form, whose branch opinion and notice it shows.
    pub(super) async fn form_lines(
        &self,
        caller: &Caller,
        roots: &[String],
        rows: &[RecordRow],
        reveal: Option<Reveal<'_>>,
        year: Option<i32>,
    ) -> Result<Vec<FormLine>> {
        let member_ids: Vec<Uuid> = rows.iter().map(|row| row.member_id).collect();
        let record_ids: Vec<Uuid> = rows.iter().map(|row| row.record_id).collect();
        let members: HashMap<Uuid, MemberRow> = self
            .store
            .members_by_ids(&member_ids)
            .await?
            .into_iter()
            .map(|m| (m.member_id, m))
            .collect();
        let unit_ids: Vec<i64> = rows.iter().filter_map(|r| unit_id(&r.org_path)).collect();
        let units: HashMap<i64, OrgRow> = self
            .store
            .orgs_by_ids(&unit_ids)
            .await?
            .into_iter()
            .map(|org| (org.org_id, org))
            .collect();
        let relief = self.store.relief_received(&record_ids).await?;
        let verifications = match year {
            Some(_) => self.store.verifications(&record_ids).await?,
            None => Vec::new(),
        };
        if let Some(reveal) = reveal {
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
                        reveal.what,
                        &read,
                        &format!("{} [{}]", reveal.reason, reveal.what),
                    )
                    .await?;
            }
        }
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(member) = members.get(&row.member_id) else {
                continue;
            };
            let (facts, income) = if reveal.is_some() {
                let facts: SealedFacts = self
                    .pii
                    .open(&member.member_id.to_string(), &member.sealed)?;
                (Some(facts), Some(self.open_income(row)?))
            } else {
                (None, None)
            };
            let mut line = form_line(row, member, facts.as_ref(), income);
            line.unit_name = unit_id(&row.org_path)
                .and_then(|id| units.get(&id))
                .map(|unit| {
                    if unit.unit_name.is_empty() {
                        unit.name.clone()
                    } else {
                        unit.unit_name.clone()
                    }
                })
                .unwrap_or_default();
            line.relief = relief
                .iter()
                .filter(|entry| entry.record_id == row.record_id)
                .map(relief_line)
                .collect();
            if let Some(year) = year {
                line.branch_opinion = branch_opinion(row, &verifications, year);
                line.remark = source_remark(row);
            }
            lines.push(line);
        }
        Ok(lines)
    }
}

fn relief_line(entry: &ReliefRow) -> ReliefLine {
    ReliefLine {
        year: entry.year,
        relief_type: entry.relief_type.chinese().to_owned(),
        amount_fen: entry.amount_fen,
        voucher_number: entry.voucher_number.clone(),
        received_on: Some(entry.received_on),
    }
}

/// 支部意见/公示情况: the branch meeting and notice of the year's
/// verification, or, for a row from an application (created only once its
/// branch review and public notice passed), that it passed them.
fn branch_opinion(row: &RecordRow, verifications: &[VerificationRow], year: i32) -> String {
    if let Some(v) = verifications
        .iter()
        .find(|v| v.record_id == row.record_id && v.year == year)
    {
        return format!(
            "支部大会{}通过；公示{}至{}：{}",
            date(v.branch_meeting_date),
            date(v.notice_start),
            date(v.notice_end),
            v.notice_result
        );
    }
    match row.source_kind {
        SourceKind::Application => format!("支部初审同意，公示期满通过（申请 {}）", row.source_ref),
        _ => String::new(),
    }
}

/// 备注: where the row came from, when not an application.
fn source_remark(row: &RecordRow) -> String {
    match row.source_kind {
        SourceKind::Import => "由原纸质台账导入".to_owned(),
        SourceKind::Campaign => "年度核查纳入".to_owned(),
        SourceKind::Manual | SourceKind::Application => String::new(),
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
    let family = family_public(member)
        .into_iter()
        .enumerate()
        .map(|(i, person)| {
            let private = facts.and_then(|facts| facts.family.get(i));
            FamilyLine {
                relation: person.relation,
                name: person.name,
                age: person.age,
                occupation: person.occupation,
                health: private.map(|p| p.health.clone()),
                annual_income_fen: private.map(|p| p.annual_income_fen),
            }
        })
        .collect();
    FormLine {
        unit_name: String::new(),
        org_name: row.org_name.clone(),
        name: member.name.clone(),
        sex: member.sex.chinese().to_owned(),
        birth_date: Some(member.birth_date),
        birth_year_only: facts.is_none(),
        id_number: facts.map_or_else(|| member.id_number_masked.clone(), |f| f.id_number.clone()),
        party_join_date: Some(member.party_join_date),
        work_unit: member.work_unit.clone(),
        employment: member.employment_status.chinese().to_owned(),
        health: facts.map(|f| f.health_status.clone()),
        household_size: row.household_size,
        family,
        own_income: facts.map(|f| (f.own_annual_income_fen, f.income_source.clone())),
        annual_household_income_fen: income,
        monthly_per_capita_fen: derived
            .and_then(|d| d.monthly_per_capita_income)
            .map(|m| m.fen),
        category: row.category.chinese().to_owned(),
        cause: row.cause.clone(),
        description: row.description.clone(),
        receives_dibao: member.receives_dibao,
        recognised: row.recognised,
        active: row.status == RecordStatus::Active,
        since: Some(row.since),
        until: row.until,
        removal_reason: row.removal_reason.clone(),
        relief: Vec::new(),
        phone: facts.map_or_else(|| member.phone_masked.clone(), |f| f.phone.clone()),
        branch_opinion: String::new(),
        remark: String::new(),
    }
}
