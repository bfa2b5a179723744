//! 《生活困难党员救助审批表》 — the approval form of one application
//! ([`crate::export::approval_form`]), filled from the case as it stands:
//! the member as the ledger has them (masked: the form is paper that
//! travels), the household (incomes only for a caller who may read them;
//! every export is in the audit trail), each level's opinion with its date,
//! and blank blocks for the levels still to come. 填报单位 is the caller's own
//! organisation.

use relief_proto::common::v1::{HardshipCategory, ReliefType};
use relief_proto::ledger::v1 as ledger;
use relief_proto::workflow::v1::{self as pb, DecisionOutcome, PublicNoticeState, ReviewDecision};
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, FieldViolations, Result};
use relief_runtime::files::file_stream;
use relief_runtime::ids;
use relief_runtime::time::BEIJING;
use serde_json::json;
use time::{Date, OffsetDateTime};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::household_aad;
use super::{FileStream, WorkflowApi};
use crate::domain::household::Household;
use crate::domain::review::Review;
use crate::domain::rules::{category_name, relief_type_name};
use crate::export::{self, ApprovalForm, XLSX_CONTENT_TYPE};
use crate::store::{ApplicationRow, ObjectionRow, Store};

/// ExportApprovalForm, parsed.
pub struct FormRequest {
    application_id: Uuid,
}

impl TryFrom<pb::ExportApprovalFormRequest> for FormRequest {
    type Error = FieldViolations;
    fn try_from(r: pb::ExportApprovalFormRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let application_id = ids::uuid(&r.application_id, "application_id", &mut violations);
        violations.then(|| FormRequest {
            application_id: application_id.unwrap_or_default(),
        })
    }
}

fn beijing_date(at: OffsetDateTime) -> Date {
    at.to_offset(BEIJING).date()
}

fn decision_words(decision: i32) -> &'static str {
    match ReviewDecision::try_from(decision).unwrap_or_default() {
        ReviewDecision::Approve => "同意",
        ReviewDecision::Refuse => "不同意",
        ReviewDecision::ReturnForMaterial => "退回补充材料",
        ReviewDecision::Unspecified => "",
    }
}

fn opinion(review: &Review) -> export::Opinion {
    let mut findings = review.findings.clone();
    if !review.reason.is_empty() {
        findings.push_str(&format!("（{}）", review.reason));
    }
    export::Opinion {
        findings,
        decision: decision_words(review.decision).to_owned(),
        decided_on: OffsetDateTime::from_unix_timestamp(review.at)
            .map(beijing_date)
            .unwrap_or_else(|_| relief_runtime::time::today()),
    }
}

fn date_of(date: Option<&relief_proto::common::v1::Date>) -> Option<Date> {
    relief_runtime::time::from_proto(date)
}

/// The applicant block from the ledger's (masked) member.
fn applicant(row: &ApplicationRow, member: &ledger::Member) -> export::Applicant {
    let birth = member.birth_date.as_ref().filter(|d| d.year > 0).map(|d| {
        match time::Month::try_from(u8::try_from(d.month).unwrap_or(0)) {
            Ok(month) => export::Birth::YearMonth(d.year, month),
            Err(_) => export::Birth::Year(d.year),
        }
    });
    let category = HardshipCategory::try_from(row.hardship_category).unwrap_or_default();
    export::Applicant {
        name: row.member_name.clone(),
        sex: match ledger::Gender::try_from(member.gender).unwrap_or_default() {
            ledger::Gender::Male => "男",
            ledger::Gender::Female => "女",
            ledger::Gender::Unspecified => "",
        }
        .to_owned(),
        birth,
        ethnicity: None,
        party_joined_on: date_of(member.party_join_date.as_ref()),
        work_unit: member.work_unit.clone(),
        branch: row.branch_name.clone(),
        id_number: member.id_number.clone(),
        phone: member.phone.clone(),
        category: category_name(category).to_owned(),
        other_categories: row
            .other_categories
            .iter()
            .map(|c| category_name(HardshipCategory::try_from(*c).unwrap_or_default()).to_owned())
            .collect(),
        relief: match ReliefType::try_from(row.requested_relief_type).unwrap_or_default() {
            ReliefType::OneTimeRelief => Some(export::ReliefMode::OneTime),
            ReliefType::SpringFestivalVisit => Some(export::ReliefMode::SpringFestivalVisit),
            ReliefType::Unspecified => None,
        },
    }
}

/// The household block; incomes only when `reveal`.
fn household(facts: &Household, reveal: bool) -> (export::Household, Vec<export::FamilyMember>) {
    let amount = |fen: i64| reveal.then_some(fen);
    let block = export::Household {
        size: u32::try_from(facts.size).unwrap_or(0),
        annual_income_fen: amount(facts.annual_income_fen),
        monthly_per_capita_fen: amount(facts.monthly_per_capita_fen()),
        own_monthly_income_fen: amount(facts.member_monthly_income_fen),
        income_source: facts.income_source.clone(),
        minimum_living_guarantee: facts.low_income_guarantee,
        special_care: facts.special_care,
        other_relief: facts.other_channel_relief.then(|| export::OtherRelief {
            description: facts.other_channel_description.clone(),
            amount_fen: (facts.other_channel_amount_fen > 0)
                .then_some(facts.other_channel_amount_fen),
        }),
    };
    let family = facts
        .members
        .iter()
        .map(|r| export::FamilyMember {
            relation: r.relation.clone(),
            name: r.name.clone(),
            age: u32::try_from(r.age).unwrap_or(0),
            occupation: r.occupation.clone(),
            annual_income_fen: amount(r.annual_income_fen),
            health: if reveal {
                r.health.clone()
            } else {
                String::new()
            },
        })
        .collect();
    (block, family)
}

impl WorkflowApi {
    pub(super) async fn approval_form_export(
        &self,
        request: Request<pb::ExportApprovalFormRequest>,
    ) -> Result<Response<FileStream>, Status> {
        self.rpc
            .read(request, |caller, query: FormRequest| {
                self.approval_form_file(caller, query)
            })
            .await
    }

    /// 填报单位 — the organisations where the caller holds the permission
    /// they export with, by name, as the ledger has them.
    pub(super) async fn filler(&self, caller: &Caller, permission: Permission) -> Result<String> {
        let mut names = Vec::new();
        for root in caller.scopes(permission)? {
            let Some(org_id) = root
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .and_then(|id| id.parse().ok())
            else {
                continue;
            };
            names.push(self.register.org(org_id).await?.name);
        }
        Ok(names.join("、"))
    }

    async fn approval_form_file(&self, caller: Caller, query: FormRequest) -> Result<FileStream> {
        let row = self.readable(&caller, query.application_id).await?;
        let own = caller.member_id.as_deref() == Some(row.member_id.to_string().as_str());
        let permission = if caller.may(Permission::ExportForms, &row.branch_path) {
            Permission::ExportForms
        } else if own {
            Permission::ApplicationReadOwn
        } else {
            return Err(Error::PermissionDenied(format!(
                "ExportForms is not granted on {} to this caller",
                row.branch_path
            )));
        };
        // Incomes and health go on the paper only for a caller who may read
        // them (or the applicant's own form).
        let reveal = own || caller.may(Permission::SensitiveRead, &row.branch_path);
        let member = self.register.member(row.member_id).await?.record;
        let facts: Household = self
            .sealer
            .open(&household_aad(&row), &row.household_sealed)?;
        let mut tx = self.store.pool().begin().await?;
        let around = Store::surroundings(&mut tx, row.application_id).await?;
        let notice = match around.public_notice_id {
            Some(id) => Some(Store::notice(&mut tx, id).await?),
            None => None,
        };
        let objections: Vec<ObjectionRow> = match &notice {
            Some(n) => Store::objections(&mut tx, &[n.public_notice_id]).await?,
            None => Vec::new(),
        };
        relief_runtime::audit::append(
            &mut tx,
            &caller.actor(),
            "application.form_exported",
            &format!("applications/{}", row.application_id),
            &json!({ "incomes_shown": reveal }),
        )
        .await?;
        tx.commit().await?;

        let (household, family) = household(&facts, reveal);
        let now = OffsetDateTime::now_utc();
        let form = ApprovalForm {
            filler: self.filler(&caller, permission).await?,
            year: row.year,
            reference: row.application_id.simple().to_string()[..8].to_uppercase(),
            printed_at: now,
            applied_on: row.submitted_at.map(beijing_date),
            applicant: applicant(&row, &member),
            household,
            family,
            hardship: row.description.clone(),
            branch: row.branch_review.as_ref().map(|r| opinion(&r.0)),
            notice: notice.as_ref().map(|n| export::NoticeOutcome {
                from: beijing_date(n.starts_at),
                to: beijing_date(n.ends_at - time::Duration::seconds(1)),
                result: match PublicNoticeState::try_from(n.state).unwrap_or_default() {
                    PublicNoticeState::Running => "公示中",
                    PublicNoticeState::Passed => "公示无异议，通过",
                    PublicNoticeState::Failed => "异议成立，未通过",
                    PublicNoticeState::Cancelled => "已取消",
                    PublicNoticeState::Unspecified => "",
                }
                .to_owned(),
                objections: u32::try_from(objections.len()).unwrap_or(u32::MAX),
            }),
            superior: match (&row.superior_review, row.skips_superior_review()) {
                (_, true) => export::SuperiorReview::Skipped,
                (Some(review), false) => export::SuperiorReview::Reviewed(opinion(&review.0)),
                (None, false) => export::SuperiorReview::Pending,
            },
            department: around.proposal.as_ref().map(|p| export::DepartmentOpinion {
                opinion: p.opinion.clone(),
                relief_type: relief_type_name(
                    ReliefType::try_from(p.relief_type).unwrap_or_default(),
                )
                .to_owned(),
                amount_fen: p.amount_fen,
                proposed_on: beijing_date(p.proposed_at),
            }),
            committee: around.decision.as_ref().map(|d| export::CommitteeDecision {
                meeting: d.meeting_number.clone(),
                meeting_date: d.meeting_date,
                decision: match DecisionOutcome::try_from(d.outcome).unwrap_or_default() {
                    DecisionOutcome::Approved => "同意救助",
                    DecisionOutcome::Refused => "不予救助",
                    DecisionOutcome::Unspecified => "",
                }
                .to_owned(),
                relief_type: relief_type_name(
                    ReliefType::try_from(d.relief_type).unwrap_or_default(),
                )
                .to_owned(),
                amount_fen: d.amount_fen,
            }),
        };
        let bytes = export::approval_form(&form)
            .map_err(|err| Error::internal("writing the approval form", err))?;
        Ok(file_stream(
            format!(
                "{}（{}）.xlsx",
                export::APPROVAL_FORM_TITLE,
                row.member_name
            ),
            XLSX_CONTENT_TYPE.to_owned(),
            bytes,
        ))
    }
}
