//! 初审 and 复审 (measures §四.2–§四.3): branch staff take up an
//! application, check it case by case with the six-ground checklist and
//! decide — approval starts the 7-day public notice; each superior level
//! reviews in turn, nearest first, and the last passes it to the committee.

use relief_proto::common::v1::HardshipCategory;
use relief_proto::workflow::v1::{self as pb, DayKind, ReviewDecision};
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::household_aad;
use super::{WorkflowApi, access, deadlines, flow};
use crate::domain::evidence_rules::{self, EVIDENCE_MISSING};
use crate::domain::household::Household;
use crate::domain::notice_text::{NoticeFacts, default_text};
use crate::domain::review::{BranchOpinion, Opinion, Review, Step, SuperiorOpinion};
use crate::domain::settings::FlowSettings;
use crate::domain::state::{self, Act, State};
use crate::store::{ApplicationRow, NewNotice, Store};

/// The step a reviewer's refusal or return is (approval differs per level).
fn refusal_or_return(decision: ReviewDecision) -> Act {
    if decision == ReviewDecision::Refuse {
        Act::Refuse
    } else {
        Act::Return
    }
}

fn review_of(caller: &Caller, opinion: &Opinion, now: OffsetDateTime) -> Review {
    Review {
        findings: opinion.findings.clone(),
        checks: opinion.checks.clone(),
        decision: opinion.decision as i32,
        reason: opinion.reason.clone(),
        reviewer_id: caller.user_id.clone(),
        reviewer_name: caller.display_name.clone(),
        at: now.unix_timestamp(),
        org_id: 0,
        org_name: String::new(),
        org_path: String::new(),
    }
}

impl WorkflowApi {
    pub(super) async fn start_branch_review_act(
        &self,
        caller: Caller,
        step: Step,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        let mut row = Self::lock(&mut work, step.application_id, step.version).await?;
        access::reviewer(
            &caller,
            &row,
            Permission::BranchReview,
            &row.branch_path.clone(),
        )?;
        flow::check_etag(&row)?;
        access::not_the_same_person(&caller, &row, &[])?;
        let settings = Store::flow_settings(work.tx()).await?;
        let now = OffsetDateTime::now_utc();
        flow::advance(
            &mut work,
            &mut row,
            Act::StartBranchReview,
            &step.comment,
            &settings,
            now,
        )
        .await?;
        self.saved(work, row).await
    }

    pub(super) async fn branch_review(
        &self,
        caller: Caller,
        command: BranchOpinion,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        let opinion = &command.opinion;
        let mut row =
            Self::lock(&mut work, opinion.step.application_id, opinion.step.version).await?;
        access::reviewer(
            &caller,
            &row,
            Permission::BranchReview,
            &row.branch_path.clone(),
        )?;
        flow::check_etag(&row)?;
        let creator = row.created_by_id.clone();
        access::not_the_same_person(&caller, &row, &[(&creator, "entered the application")])?;
        state::require(
            state::from_stored(row.state)?,
            State::BranchReview,
            "the branch review",
        )?;
        let settings = Store::flow_settings(work.tx()).await?;
        let now = OffsetDateTime::now_utc();
        row.branch_review = Some(Json(review_of(&caller, opinion, now)));
        match opinion.decision {
            ReviewDecision::Approve => {
                if let Some(excluded) = command.excluding_ground() {
                    return Err(excluded);
                }
                row.urgent = command.urgent;
                self.check_proof(&mut work, &row).await?;
                // The notice ends by itself (the sweep); the state is due
                // when it ends, which its start announces.
                let starts_at = command.notice_start.unwrap_or(now);
                let ends_at = deadlines::notice_end(work.tx(), &settings, starts_at).await?;
                flow::advance_due(
                    &mut work,
                    &mut row,
                    Act::BranchApprove,
                    &opinion.findings,
                    &settings,
                    now,
                    Some(ends_at),
                )
                .await?;
                self.put_up_notice(&mut work, &row, &command, &settings, starts_at..ends_at)
                    .await?;
            }
            other => {
                flow::advance(
                    &mut work,
                    &mut row,
                    refusal_or_return(other),
                    &opinion.reason,
                    &settings,
                    now,
                )
                .await?;
            }
        }
        self.saved(work, row).await
    }

    /// 公示 — puts up the notice of an approved case for `period`: the text
    /// generated unless the branch wrote one; the sweep ends it when its
    /// time is up.
    async fn put_up_notice(
        &self,
        work: &mut Work,
        row: &ApplicationRow,
        command: &BranchOpinion,
        settings: &FlowSettings,
        period: std::ops::Range<OffsetDateTime>,
    ) -> Result<()> {
        let std::ops::Range {
            start: starts_at,
            end: ends_at,
        } = period;
        let text = if command.notice_text.is_empty() {
            self.notice_text(row, starts_at).await?
        } else {
            command.notice_text.clone()
        };
        Store::start_notice(
            work.tx(),
            &NewNotice {
                public_notice_id: Uuid::new_v4(),
                application_id: row.application_id,
                org_id: row.branch_id,
                org_name: row.branch_name.clone(),
                org_path: row.branch_path.clone(),
                notice_text: text,
                days: settings.notice_days,
                day_kind: if settings.notice_day_kind == 0 {
                    DayKind::Calendar as i32
                } else {
                    settings.notice_day_kind
                },
                starts_at,
                ends_at,
            },
        )
        .await?;
        Ok(())
    }

    /// The proof the category needs must be there before the case leaves
    /// the branch (measures §四.1).
    async fn check_proof(&self, work: &mut Work, row: &ApplicationRow) -> Result<()> {
        let around = Store::surroundings(work.tx(), row.application_id).await?;
        let category = HardshipCategory::try_from(row.hardship_category).unwrap_or_default();
        let missing = evidence_rules::missing(category, &around.accepted_kinds);
        if missing.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = missing.iter().map(|k| evidence_rules::name(*k)).collect();
        Err(Error::refused(
            EVIDENCE_MISSING,
            format!(
                "the required proof is missing (measures §四.1): {}; return the application for material",
                names.join("、")
            ),
        ))
    }

    /// The default public line, from the ledger's member and the declared
    /// household.
    async fn notice_text(&self, row: &ApplicationRow, at: OffsetDateTime) -> Result<String> {
        let member = self.register.member(row.member_id).await?.record;
        let household: Household = self
            .sealer
            .open(&household_aad(row), &row.household_sealed)?;
        let year = at.to_offset(relief_runtime::time::BEIJING).year();
        let age = member
            .birth_date
            .as_ref()
            .filter(|d| d.year > 0)
            .map(|d| year - d.year);
        let joined = member
            .party_join_date
            .as_ref()
            .filter(|d| d.year > 0)
            .map(|d| {
                if d.month > 0 {
                    format!("{}年{}月", d.year, d.month)
                } else {
                    format!("{}年", d.year)
                }
            });
        Ok(default_text(&NoticeFacts {
            name: &row.member_name,
            age,
            joined,
            household_size: household.size,
            monthly_per_capita_fen: household.monthly_per_capita_fen(),
            category: HardshipCategory::try_from(row.hardship_category).unwrap_or_default(),
        }))
    }

    pub(super) async fn superior_review(
        &self,
        caller: Caller,
        SuperiorOpinion(opinion): SuperiorOpinion,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        let mut row =
            Self::lock(&mut work, opinion.step.application_id, opinion.step.version).await?;
        let Some(level) = row.current_level().cloned() else {
            access::read(&caller, &row)?;
            return Err(Error::refused(
                state::WRONG_STATE,
                "no superior organisation reviews this application: its branch is directly under the committee",
            ));
        };
        access::reviewer(&caller, &row, Permission::SuperiorReview, &level.path)?;
        flow::check_etag(&row)?;
        let branch_reviewer = row
            .branch_review
            .as_ref()
            .map(|r| r.0.reviewer_id.clone())
            .unwrap_or_default();
        let creator = row.created_by_id.clone();
        access::not_the_same_person(
            &caller,
            &row,
            &[
                (&branch_reviewer, "reviewed it at the branch"),
                (&creator, "entered the application"),
            ],
        )?;
        state::require(
            state::from_stored(row.state)?,
            State::SuperiorReview,
            "the superior review",
        )?;
        let settings = Store::flow_settings(work.tx()).await?;
        let now = OffsetDateTime::now_utc();
        let mut review = review_of(&caller, &opinion, now);
        review.org_id = level.org_id;
        review.org_name = level.name.clone();
        review.org_path = level.path.clone();
        row.superior_review = Some(Json(review));
        let comment = format!("{}：{}", level.name, opinion.findings);
        match opinion.decision {
            ReviewDecision::Approve => {
                let last_level = usize::try_from(row.review_level + 1).unwrap_or(usize::MAX)
                    >= row.review_levels.0.len();
                flow::advance(
                    &mut work,
                    &mut row,
                    Act::SuperiorApprove { last_level },
                    &comment,
                    &settings,
                    now,
                )
                .await?;
                if !last_level {
                    row.review_level += 1;
                }
            }
            other => {
                flow::advance(
                    &mut work,
                    &mut row,
                    refusal_or_return(other),
                    &opinion.reason,
                    &settings,
                    now,
                )
                .await?;
            }
        }
        self.saved(work, row).await
    }
}
