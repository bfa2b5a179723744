//! 工委会议决定 — the committee meeting's decision on one application: the
//! meeting recorded (or checked against its record), the rules checked again
//! with the terms, date and special case the meeting recorded, the case
//! approved or refused, and an approval's allocation asked of funds through
//! the outbox in the same transaction.

use relief_proto::common::v1::{Date as ProtoDate, Money};
use relief_proto::funds::v1 as funds;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::{WorkflowApi, access, convert, flow};
use super::{
    MEETING_BEFORE_CASE, MEETING_MISMATCH, PROPOSAL_MISSING, in_committee_review, violated,
};
use crate::courier::{ALLOCATION_REQUESTED, FUNDS, allocation_key};
use crate::domain::committee::{Decision, Meeting};
use crate::domain::rules::Ask;
use crate::domain::state::Act;
use crate::store::{ApplicationRow, NewDecision, Store};

impl WorkflowApi {
    /// The meeting as recorded: created by its first decision; later ones
    /// must agree with it.
    async fn meeting(work: &mut Work, given: &Meeting) -> Result<Meeting> {
        let (mut stored, created) = Store::meeting(work.tx(), given).await?;
        if created {
            return Ok(stored);
        }
        let mismatch = |what: &str| {
            Error::refused(
                MEETING_MISMATCH,
                format!(
                    "meeting {} is recorded with another {what}; a meeting number names one meeting",
                    stored.number
                ),
            )
        };
        if stored.date != given.date {
            return Err(Error::refused(
                MEETING_MISMATCH,
                format!(
                    "meeting {} was held on {}, not {}; a meeting number names one meeting",
                    stored.number, stored.date, given.date
                ),
            ));
        }
        let mut fill = false;
        for (had, new, what) in [
            (&mut stored.attendance, &given.attendance, "attendance"),
            (&mut stored.minutes, &given.minutes, "minutes"),
        ] {
            match (had.is_empty(), new.is_empty()) {
                (_, true) => {}
                (true, false) => {
                    *had = new.clone();
                    fill = true;
                }
                (false, false) if had != new => return Err(mismatch(what)),
                _ => {}
            }
        }
        if fill {
            Store::complete_meeting(work.tx(), &stored).await?;
        }
        Ok(stored)
    }

    pub(super) async fn decide(
        &self,
        caller: Caller,
        decision: Decision,
        mut work: Work,
    ) -> Result<Done<pb::CommitteeDecision>> {
        let mut row = Self::lock(&mut work, decision.application_id, decision.version).await?;
        access::reviewer(
            &caller,
            &row,
            Permission::CommitteeDecide,
            &self.rpc.committee().path,
        )?;
        flow::check_etag(&row)?;
        in_committee_review(&row, "a committee decision")?;
        let around = Store::surroundings(work.tx(), row.application_id).await?;
        let Some(proposal) = around.proposal else {
            return Err(Error::refused(
                PROPOSAL_MISSING,
                "the committee decides on the organisation department's proposal (救助慰问意见); there is none yet",
            ));
        };
        // SPEC §9: who proposed does not also decide.
        access::not_the_same_person(
            &caller,
            &row,
            &[
                (&proposal.proposed_by_id, "proposed it (救助慰问意见)"),
                (&row.created_by_id, "entered the application"),
            ],
        )?;
        let reached = row
            .state_entered_at
            .to_offset(relief_runtime::time::BEIJING)
            .date();
        if decision.meeting.date < reached {
            return Err(Error::refused(
                MEETING_BEFORE_CASE,
                format!(
                    "the application reached the committee on {reached}; a meeting on {} cannot have decided it",
                    decision.meeting.date
                ),
            ));
        }
        let meeting = Self::meeting(&mut work, &decision.meeting).await?;
        let decision_id = Uuid::new_v4();
        let now = OffsetDateTime::now_utc();
        let terms = decision.approved.clone();
        if let Some(ask) = &terms {
            let (checks, _) = self
                .evaluate(work.tx(), &row, ask, meeting.date, Some(&proposal))
                .await?;
            violated(&checks, "the approval")?;
        }
        let outcome = if terms.is_some() {
            pb::DecisionOutcome::Approved
        } else {
            pb::DecisionOutcome::Refused
        };
        let ask = terms.clone().unwrap_or(Ask {
            relief_type: Default::default(),
            category: Default::default(),
            amount_fen: 0,
            special_case: false,
        });
        Store::insert_decision(
            work.tx(),
            &NewDecision {
                decision_id,
                application_id: row.application_id,
                proposal_id: proposal.proposal_id,
                meeting_number: meeting.number.clone(),
                outcome: outcome as i32,
                relief_type: ask.relief_type as i32,
                hardship_category: ask.category as i32,
                amount_fen: ask.amount_fen,
                special_case: ask.special_case,
                special_case_reason: decision.special_case_reason.clone(),
                minutes_excerpt: decision.minutes_excerpt.clone(),
                member_id: row.member_id,
                year: row.year,
                recorded_by_id: caller.user_id.clone(),
                recorded_by_name: caller.display_name.clone(),
                recorded_at: now,
            },
        )
        .await?;
        let settings = Store::flow_settings(work.tx()).await?;
        let comment = format!("工委会议 {}（{}）", meeting.number, meeting.date);
        if terms.is_some() {
            flow::advance(
                &mut work,
                &mut row,
                Act::CommitteeApprove,
                &comment,
                &settings,
                now,
            )
            .await?;
            let request = allocation_request(&row, decision_id, &meeting, &ask, &decision);
            work.emit(
                allocation_key(row.application_id, decision_id),
                ALLOCATION_REQUESTED,
                &request,
                &[FUNDS],
            )
            .await?;
        } else {
            let reason = format!("{comment}不予救助：{}", decision.minutes_excerpt);
            flow::advance(&mut work, &mut row, Act::Refuse, &reason, &settings, now).await?;
            row.close_reason = decision.minutes_excerpt.clone();
        }
        work.audit(
            "committee.decided",
            &format!("applications/{}", row.application_id),
            &json!({
                "decision_id": decision_id,
                "proposal_id": proposal.proposal_id,
                "meeting_number": meeting.number,
                "meeting_date": meeting.date.to_string(),
                "outcome": outcome.as_str_name(),
                "relief_type": ask.relief_type as i32,
                "hardship_category": ask.category as i32,
                "amount_fen": ask.amount_fen,
                "special_case": ask.special_case,
                "special_case_reason": decision.special_case_reason,
            }),
        )
        .await?;
        row.version = Store::save_application(work.tx(), &row).await?;
        let around = Store::surroundings(work.tx(), row.application_id).await?;
        let stored = around.decision.ok_or_else(|| {
            Error::internal(
                "reading back a decision",
                "the decision just stored is gone",
            )
        })?;
        Ok(work.done(convert::decision(&row.application_id.to_string(), &stored)))
    }
}

/// What funds is asked to allocate for an approval: the member's branch is
/// paid the amount granted, citing the meeting.
fn allocation_request(
    row: &ApplicationRow,
    decision_id: Uuid,
    meeting: &Meeting,
    ask: &Ask,
    decision: &Decision,
) -> funds::CreateAllocationRequest {
    funds::CreateAllocationRequest {
        request_id: allocation_key(row.application_id, decision_id).to_string(),
        allocation: Some(funds::Allocation {
            application_id: row.application_id.to_string(),
            decision: Some(funds::DecisionRef {
                decision_id: decision_id.to_string(),
                meeting_number: meeting.number.clone(),
                meeting_date: Some(ProtoDate {
                    year: meeting.date.year(),
                    month: i32::from(u8::from(meeting.date.month())),
                    day: i32::from(meeting.date.day()),
                }),
            }),
            member_id: row.member_id.to_string(),
            year: row.year,
            relief_type: ask.relief_type as i32,
            hardship_category: ask.category as i32,
            amount: Some(Money {
                fen: ask.amount_fen,
            }),
            special_case: ask.special_case,
            special_case_reason: decision.special_case_reason.clone(),
            ..Default::default()
        }),
    }
}
