//! What an application shows beside its own row: how much proof it has and
//! which required kinds it covers, its latest notice, the department's
//! latest proposal and the committee's decision.

use relief_proto::workflow::v1::{EvidenceKind, HospitalLevel};
use relief_runtime::error::Result;
use sqlx::PgConnection;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::Store;

/// The lowest hospital level (医院等级) whose diagnosis counts for a major
/// illness (measures §四.1: 县级及以上医院); a diagnosis from below it is
/// kept with the application but does not count.
pub const COUNTY_LEVEL_OR_ABOVE: i32 = HospitalLevel::County as i32;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProposalRow {
    pub proposal_id: Uuid,
    pub relief_type: i32,
    pub hardship_category: i32,
    pub amount_fen: i64,
    pub standard_fen: i64,
    pub rule_checks: Json<serde_json::Value>,
    pub special_case: bool,
    pub special_case_reason: String,
    pub opinion: String,
    pub proposed_by_id: String,
    pub proposed_by_name: String,
    pub proposed_at: OffsetDateTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DecisionRow {
    pub decision_id: Uuid,
    pub proposal_id: Uuid,
    pub meeting_number: String,
    pub meeting_date: Date,
    pub outcome: i32,
    pub relief_type: i32,
    pub hardship_category: i32,
    pub amount_fen: i64,
    pub special_case: bool,
    pub special_case_reason: String,
    pub minutes_excerpt: String,
    pub recorded_by_id: String,
    pub recorded_by_name: String,
    pub recorded_at: OffsetDateTime,
}

/// The application's surroundings, read together with it.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    pub evidence_count: i32,
    /// Kinds of the files that count toward the required proof.
    pub accepted_kinds: Vec<EvidenceKind>,
    pub public_notice_id: Option<Uuid>,
    pub proposal: Option<ProposalRow>,
    pub decision: Option<DecisionRow>,
}

impl Store {
    /// The surroundings of `application_id`, read on `conn` (a write's
    /// transaction, or a pooled connection).
    pub async fn surroundings(
        conn: &mut PgConnection,
        application_id: Uuid,
    ) -> Result<Surroundings> {
        let kinds: Vec<(i32, i32)> =
            sqlx::query_as("SELECT kind, hospital_level FROM evidence WHERE application_id = $1")
                .bind(application_id)
                .fetch_all(&mut *conn)
                .await?;
        let accepted_kinds = kinds
            .iter()
            .filter(|(kind, level)| {
                *kind != EvidenceKind::HospitalDiagnosis as i32 || *level >= COUNTY_LEVEL_OR_ABOVE
            })
            .filter_map(|(kind, _)| EvidenceKind::try_from(*kind).ok())
            .collect();
        let public_notice_id: Option<Uuid> = sqlx::query_scalar(
            "SELECT public_notice_id FROM public_notices WHERE application_id = $1
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(application_id)
        .fetch_optional(&mut *conn)
        .await?;
        let proposal: Option<ProposalRow> = sqlx::query_as(
            "SELECT proposal_id, relief_type, hardship_category, amount_fen, standard_fen, rule_checks,
                    special_case, special_case_reason, opinion, proposed_by_id, proposed_by_name, proposed_at
             FROM proposals WHERE application_id = $1 ORDER BY proposed_at DESC LIMIT 1",
        )
        .bind(application_id)
        .fetch_optional(&mut *conn)
        .await?;
        let decision: Option<DecisionRow> = sqlx::query_as(
            "SELECT d.decision_id, d.proposal_id, d.meeting_number, m.meeting_date, d.outcome,
                    d.relief_type, d.hardship_category, d.amount_fen, d.special_case,
                    d.special_case_reason, d.minutes_excerpt, d.recorded_by_id, d.recorded_by_name,
                    d.recorded_at
             FROM decisions d JOIN meetings m USING (meeting_number)
             WHERE d.application_id = $1",
        )
        .bind(application_id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(Surroundings {
            evidence_count: i32::try_from(kinds.len()).unwrap_or(i32::MAX),
            accepted_kinds,
            public_notice_id,
            proposal,
            decision,
        })
    }
}
