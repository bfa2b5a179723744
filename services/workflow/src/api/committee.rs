//! 工委审批 (measures §四.4): the organisation department proposes a relief
//! type and amount (救助慰问意见), checked against the year rules
//! ([`crate::domain::rules`]) with the year's standards from funds; the
//! committee meeting, a record of its own, decides (工委会议决定). An approval
//! asks funds for the allocation through the outbox, in its own transaction.
//!
//! Enforcement: a proposal with a VIOLATED rule is refused (FAILED_PRECONDITION,
//! RELIEF_RULE_VIOLATED, naming every such rule) — the department sees the
//! checks first with validate_only, and marks a special case (with a reason)
//! to put a rule the measures let the committee waive before the meeting.
//! The decision checks again with the terms, date and special case the
//! meeting recorded, so a rule is never waived by the department alone.
//! Funds being down does not hold up the meeting: a decision that keeps its
//! proposal's type and category is checked against the standard the
//! proposal was (funds is asked first), and its allocation waits in the
//! outbox.

use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::committee_service_server::CommitteeService;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{self, household_aad};
use super::{WorkflowApi, access, flow};
use crate::domain::committee::{Decision, Proposal};
use crate::domain::household::Household;
use crate::domain::rules::{self, Ask, Check, Earlier, Facts, RULE_VIOLATED};
use crate::domain::state::{self, State};
use crate::store::{ApplicationRow, ProposalRow, Store};

/// Refused because the committee decides on a proposal, and there is none.
pub const PROPOSAL_MISSING: &str = "PROPOSAL_MISSING";
/// Refused because a meeting number is recorded with another date, or
/// attendance or minutes other than those given.
pub const MEETING_MISMATCH: &str = "MEETING_MISMATCH";
/// Refused because the meeting was held before the case reached the
/// committee.
pub const MEETING_BEFORE_CASE: &str = "MEETING_BEFORE_CASE";

mod decision;

#[tonic::async_trait]
impl CommitteeService for WorkflowApi {
    async fn create_committee_proposal(
        &self,
        request: Request<pb::CreateCommitteeProposalRequest>,
    ) -> Result<Response<pb::CommitteeProposal>, Status> {
        if request.get_ref().validate_only {
            // Stores nothing, not even the request id: a read.
            return self
                .rpc
                .read(request, |caller, proposal: Proposal| {
                    self.propose_dry(caller, proposal)
                })
                .await;
        }
        self.rpc
            .write(
                "CreateCommitteeProposal",
                request,
                |caller, proposal: Proposal, work| self.propose(caller, proposal, work),
            )
            .await
    }

    async fn record_committee_decision(
        &self,
        request: Request<pb::RecordCommitteeDecisionRequest>,
    ) -> Result<Response<pb::CommitteeDecision>, Status> {
        self.rpc
            .write(
                "RecordCommitteeDecision",
                request,
                |caller, decision: Decision, work| self.decide(caller, decision, work),
            )
            .await
    }
}

/// `FAILED_PRECONDITION` unless the application waits for the committee.
fn in_committee_review(row: &ApplicationRow, act: &str) -> Result<()> {
    let current = state::from_stored(row.state)?;
    if current == State::CommitteeReview {
        return Ok(());
    }
    Err(Error::refused(
        state::WRONG_STATE,
        format!(
            "{act} is for an application in COMMITTEE_REVIEW; this one is {}",
            state::name(current)
        ),
    ))
}

/// The refusal naming every rule that stops the ask.
fn violated(checks: &[Check], what: &str) -> Result<()> {
    let broken: Vec<String> = checks
        .iter()
        .filter(|c| c.outcome == pb::RuleCheckOutcome::Violated)
        .map(|c| {
            format!(
                "{} ({}): {}",
                rules::rule_name(c.rule),
                c.rule.as_str_name(),
                c.detail
            )
        })
        .collect();
    if broken.is_empty() {
        return Ok(());
    }
    Err(Error::refused(
        RULE_VIOLATED,
        format!(
            "{what} breaks the relief rules (measures §三, §五.1): {}; record a special case with a reason where the committee may waive it",
            broken.join("; ")
        ),
    ))
}

fn spring_festival(year: i32) -> Result<Date> {
    crate::calendar::spring_festival(year)
        .map_err(|err| Error::internal(format!("the Spring Festival of {year}"), err))
}

impl WorkflowApi {
    /// The rule checks of `ask` on `row`, decided on `decided_on`, and the
    /// year's standard of its type and category (0: none set).
    ///
    /// `proposed` is the proposal a decision is taken on: when funds cannot
    /// answer and the decision keeps its type and category, the standard it
    /// was checked against stands (a meeting is not held up by funds being
    /// down; the allocation waits in the outbox instead).
    async fn evaluate(
        &self,
        conn: &mut PgConnection,
        row: &ApplicationRow,
        ask: &Ask,
        decided_on: Date,
        proposed: Option<&ProposalRow>,
    ) -> Result<(Vec<Check>, i64)> {
        let household: Household = self
            .sealer
            .open(&household_aad(row), &row.household_sealed)?;
        let standards = match self.funds.standards(row.year, ask.relief_type).await {
            Ok(standards) => standards,
            Err(Error::Upstream(status)) if status.code() == tonic::Code::Unavailable => {
                let Some(proposed) = proposed.filter(|p| {
                    p.relief_type == ask.relief_type as i32
                        && p.hardship_category == ask.category as i32
                }) else {
                    return Err(Error::Upstream(status));
                };
                tracing::warn!(
                    application_id = %row.application_id,
                    "funds unavailable: the decision is checked against the standard of its proposal"
                );
                if proposed.standard_fen > 0 {
                    vec![(ask.category, proposed.standard_fen)]
                } else {
                    Vec::new()
                }
            }
            Err(err) => return Err(err),
        };
        let earlier = Store::approved_in_year(conn, row.member_id, row.year, row.application_id)
            .await?
            .into_iter()
            .map(|e| Earlier {
                decision_id: e.decision_id,
                relief_type: relief_proto::common::v1::ReliefType::try_from(e.relief_type)
                    .unwrap_or_default(),
                meeting_date: e.meeting_date,
            })
            .collect();
        let mut categories_met = vec![
            relief_proto::common::v1::HardshipCategory::try_from(row.hardship_category)
                .unwrap_or_default(),
        ];
        categories_met.extend(
            row.other_categories
                .iter()
                .filter_map(|c| relief_proto::common::v1::HardshipCategory::try_from(*c).ok()),
        );
        let standard_fen = standards
            .iter()
            .find(|(c, _)| *c == ask.category)
            .map(|(_, fen)| *fen)
            .unwrap_or(0);
        let facts = Facts {
            year: row.year,
            categories_met,
            standards,
            other_channel_relief: household.other_channel_relief,
            earlier_in_year: earlier,
            decided_on,
            spring_festival: spring_festival(row.year)?,
            urgent: row.urgent,
        };
        Ok((rules::check(ask, &facts), standard_fen))
    }

    /// Who may propose on `row`, and that it waits for the committee.
    fn may_propose(&self, caller: &Caller, row: &ApplicationRow) -> Result<()> {
        access::reviewer(
            caller,
            row,
            Permission::CommitteePropose,
            &self.rpc.committee().path,
        )?;
        access::not_the_same_person(
            caller,
            row,
            &[(&row.created_by_id, "entered the application")],
        )?;
        in_committee_review(row, "a proposal")
    }

    fn proposal_row(
        caller: &Caller,
        proposal: &Proposal,
        checks: &[Check],
        standard_fen: i64,
        now: OffsetDateTime,
    ) -> ProposalRow {
        let triples: Vec<(i32, i32, String)> = checks.iter().map(Check::triple).collect();
        ProposalRow {
            proposal_id: Uuid::new_v4(),
            relief_type: proposal.ask.relief_type as i32,
            hardship_category: proposal.ask.category as i32,
            amount_fen: proposal.ask.amount_fen,
            standard_fen,
            rule_checks: Json(json!(triples)),
            special_case: proposal.ask.special_case,
            special_case_reason: proposal.special_case_reason.clone(),
            opinion: proposal.opinion.clone(),
            proposed_by_id: caller.user_id.clone(),
            proposed_by_name: caller.display_name.clone(),
            proposed_at: now,
        }
    }

    /// validate_only: the would-be proposal with its checks, violated or
    /// not; nothing stored.
    async fn propose_dry(
        &self,
        caller: Caller,
        proposal: Proposal,
    ) -> Result<pb::CommitteeProposal> {
        let mut row = self
            .store
            .application(proposal.application_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("application {}", proposal.application_id)))?;
        row.expected_version = Some(proposal.version);
        self.may_propose(&caller, &row)?;
        flow::check_etag(&row)?;
        let mut tx = self.store.pool().begin().await?;
        let (checks, standard) = self
            .evaluate(
                &mut tx,
                &row,
                &proposal.ask,
                relief_runtime::time::today(),
                None,
            )
            .await?;
        tx.rollback().await?;
        let now = OffsetDateTime::now_utc();
        let mut answer = convert::proposal(
            &row.application_id.to_string(),
            &Self::proposal_row(&caller, &proposal, &checks, standard, now),
        );
        answer.proposal_id.clear();
        Ok(answer)
    }

    async fn propose(
        &self,
        caller: Caller,
        proposal: Proposal,
        mut work: Work,
    ) -> Result<Done<pb::CommitteeProposal>> {
        let mut row = Self::lock(&mut work, proposal.application_id, proposal.version).await?;
        self.may_propose(&caller, &row)?;
        flow::check_etag(&row)?;
        let (checks, standard) = self
            .evaluate(
                work.tx(),
                &row,
                &proposal.ask,
                relief_runtime::time::today(),
                None,
            )
            .await?;
        violated(&checks, "the proposal")?;
        let now = OffsetDateTime::now_utc();
        let stored = Self::proposal_row(&caller, &proposal, &checks, standard, now);
        // A newer proposal replaces the earlier one: the latest counts.
        Store::insert_proposal(work.tx(), row.application_id, &stored).await?;
        let comment = format!(
            "{}，{}{}",
            rules::relief_type_name(proposal.ask.relief_type),
            rules::yuan(proposal.ask.amount_fen),
            if proposal.ask.special_case {
                format!("（特殊情况：{}）", proposal.special_case_reason)
            } else {
                String::new()
            }
        );
        flow::note(&mut work, &mut row, "committee.proposed", &comment, now).await?;
        row.version = Store::save_application(work.tx(), &row).await?;
        Ok(work.done(convert::proposal(&row.application_id.to_string(), &stored)))
    }
}
