//! 工委审批 — the proposals, meetings and decisions tables, and what the year
//! rules read of them: the member's other approved reliefs of the year.

use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

use super::{ProposalRow, Store};
use crate::domain::committee::Meeting;

/// A decision about to be stored.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub decision_id: Uuid,
    pub application_id: Uuid,
    pub proposal_id: Uuid,
    pub meeting_number: String,
    pub outcome: i32,
    pub relief_type: i32,
    pub hardship_category: i32,
    pub amount_fen: i64,
    pub special_case: bool,
    pub special_case_reason: String,
    pub minutes_excerpt: String,
    pub member_id: Uuid,
    pub year: i32,
    pub recorded_by_id: String,
    pub recorded_by_name: String,
    pub recorded_at: time::OffsetDateTime,
}

/// Another approved decision of a member in a year.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EarlierDecision {
    pub decision_id: Uuid,
    pub relief_type: i32,
    pub meeting_date: Date,
}

impl Store {
    pub async fn insert_proposal(
        tx: &mut PgConnection,
        application_id: Uuid,
        row: &ProposalRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO proposals (proposal_id, application_id, relief_type, hardship_category,
                 amount_fen, standard_fen, rule_checks, special_case, special_case_reason, opinion,
                 proposed_by_id, proposed_by_name, proposed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(row.proposal_id)
        .bind(application_id)
        .bind(row.relief_type)
        .bind(row.hardship_category)
        .bind(row.amount_fen)
        .bind(row.standard_fen)
        .bind(&row.rule_checks)
        .bind(row.special_case)
        .bind(&row.special_case_reason)
        .bind(&row.opinion)
        .bind(&row.proposed_by_id)
        .bind(&row.proposed_by_name)
        .bind(row.proposed_at)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// The meeting numbered as `meeting` is, locked: created from it when
    /// new (so two decisions of one new meeting do not both create it).
    pub async fn meeting(tx: &mut PgConnection, meeting: &Meeting) -> Result<(Meeting, bool)> {
        let created = sqlx::query(
            "INSERT INTO meetings (meeting_number, meeting_date, attendance, minutes, created_at)
             VALUES ($1, $2, $3, $4, now()) ON CONFLICT (meeting_number) DO NOTHING",
        )
        .bind(&meeting.number)
        .bind(meeting.date)
        .bind(&meeting.attendance)
        .bind(&meeting.minutes)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let (number, date, attendance, minutes): (String, Date, String, String) = sqlx::query_as(
            "SELECT meeting_number, meeting_date, attendance, minutes FROM meetings
             WHERE meeting_number = $1 FOR UPDATE",
        )
        .bind(&meeting.number)
        .fetch_one(&mut *tx)
        .await?;
        Ok((
            Meeting {
                number,
                date,
                attendance,
                minutes,
            },
            created,
        ))
    }

    /// Fills the attendance and minutes of a meeting recorded without them.
    pub async fn complete_meeting(tx: &mut PgConnection, meeting: &Meeting) -> Result<()> {
        sqlx::query("UPDATE meetings SET attendance = $2, minutes = $3 WHERE meeting_number = $1")
            .bind(&meeting.number)
            .bind(&meeting.attendance)
            .bind(&meeting.minutes)
            .execute(tx)
            .await?;
        Ok(())
    }

    pub async fn insert_decision(tx: &mut PgConnection, d: &NewDecision) -> Result<()> {
        sqlx::query(
            "INSERT INTO decisions (decision_id, application_id, proposal_id, meeting_number,
                 outcome, relief_type, hardship_category, amount_fen, special_case,
                 special_case_reason, minutes_excerpt, member_id, year, recorded_by_id,
                 recorded_by_name, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(d.decision_id)
        .bind(d.application_id)
        .bind(d.proposal_id)
        .bind(&d.meeting_number)
        .bind(d.outcome)
        .bind(d.relief_type)
        .bind(d.hardship_category)
        .bind(d.amount_fen)
        .bind(d.special_case)
        .bind(&d.special_case_reason)
        .bind(&d.minutes_excerpt)
        .bind(d.member_id)
        .bind(d.year)
        .bind(&d.recorded_by_id)
        .bind(&d.recorded_by_name)
        .bind(d.recorded_at)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// The member's approved decisions of `year` on other applications,
    /// oldest first (`outcome` is the proto's APPROVED). The member's year
    /// is locked for the transaction first, so that two of their
    /// applications decided at once do not both pass as the first.
    pub async fn approved_in_year(
        tx: &mut PgConnection,
        member_id: Uuid,
        year: i32,
        except: Uuid,
    ) -> Result<Vec<EarlierDecision>> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("workflow.decision:{member_id}:{year}"))
            .execute(&mut *tx)
            .await?;
        Ok(sqlx::query_as(
            "SELECT d.decision_id, d.relief_type, m.meeting_date
             FROM decisions d JOIN meetings m USING (meeting_number)
             WHERE d.member_id = $1 AND d.year = $2 AND d.application_id <> $3 AND d.outcome = $4
             ORDER BY m.meeting_date, d.recorded_at",
        )
        .bind(member_id)
        .bind(year)
        .bind(except)
        .bind(relief_proto::workflow::v1::DecisionOutcome::Approved as i32)
        .fetch_all(tx)
        .await?)
    }
}
