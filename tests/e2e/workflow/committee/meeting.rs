//! 工委会议 — the meeting is a record of its own: its number names one date
//! and one attendance; a case is decided only after it reached the committee;
//! a refusal gives its reason, which closes the case; only the committee
//! records decisions.

use relief_proto::common::v1::{HardshipCategory as Category, ReliefType as Type};
use relief_proto::workflow::v1 as pb;
use tonic::Code;

use super::super::rid;
use super::super::stack::{Stack, approve, proposal, today};
use super::reason;

/// The meeting is one record: its number names one date; a refusal gives
/// its reason, which closes the case.
#[tokio::test]
async fn a_meeting_number_names_one_meeting_and_a_refusal_gives_its_reason() {
    let stack = Stack::start(true).await;
    let a = stack.to_committee("c-6", |_| {}).await;
    let b = stack.to_committee("c-7", |_| {}).await;
    let mut department = stack.department().await;
    let mut committee = stack.committee().await;
    let mut terms = Vec::new();
    for app in [&a, &b] {
        terms.push(
            department
                .create_committee_proposal(proposal(
                    app,
                    Type::SpringFestivalVisit,
                    Category::Other,
                    50_000,
                ))
                .await
                .expect("proposed")
                .into_inner(),
        );
    }
    let a = stack.get(&a.application_id).await;
    committee
        .record_committee_decision(approve(&a, "2026年第12次", &terms[0]))
        .await
        .expect("decided in meeting 12");
    // A meeting cannot decide a case before it reached the committee.
    let yesterday = relief_runtime::time::today() - time::Duration::days(1);
    let b = stack.get(&b.application_id).await;
    let mut other_day = approve(&b, "2026年第12次", &terms[1]);
    other_day.decision.as_mut().expect("decision").meeting_date =
        Some(relief_runtime::time::to_proto(yesterday));
    let early = committee
        .record_committee_decision(other_day.clone())
        .await
        .expect_err("before the case reached the committee");
    assert_eq!(reason(&early), "MEETING_BEFORE_CASE");
    // Had it reached the committee three days ago, meeting 12 was still
    // held today, not yesterday.
    let pool = relief_tests::raw_pool(&stack.workflow.service.schema).await;
    sqlx::query(
        "UPDATE applications SET state_entered_at = state_entered_at - interval '3 days'
         WHERE application_id = $1::uuid",
    )
    .bind(&b.application_id)
    .execute(&pool)
    .await
    .expect("the case reached the committee earlier");
    other_day.request_id = rid();
    let mismatch = committee
        .record_committee_decision(other_day)
        .await
        .expect_err("another date under the same number");
    assert_eq!(reason(&mismatch), "MEETING_MISMATCH");
    let mut other_people = approve(&b, "2026年第12次", &terms[1]);
    other_people.meeting_attendance = "另一批人".into();
    let people = committee
        .record_committee_decision(other_people)
        .await
        .expect_err("other attendance for the same meeting");
    assert_eq!(reason(&people), "MEETING_MISMATCH");
    let refusal = pb::RecordCommitteeDecisionRequest {
        request_id: rid(),
        application_id: b.application_id.clone(),
        etag: b.etag.clone(),
        decision: Some(pb::CommitteeDecision {
            meeting_date: Some(today()),
            meeting_number: "2026年第12次".into(),
            outcome: pb::DecisionOutcome::Refused as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    let no_reason = committee
        .record_committee_decision(refusal.clone())
        .await
        .expect_err("a refusal gives its reason");
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    let mut refusal = refusal;
    refusal.decision.as_mut().expect("decision").minutes_excerpt =
        "经会议研究，家庭收入高于困难标准，不予救助".into();
    committee
        .record_committee_decision(refusal)
        .await
        .expect("refused by the meeting");
    let closed = stack.get(&b.application_id).await;
    assert_eq!(closed.state, pb::ApplicationState::Refused as i32);
    assert!(closed.close_reason.contains("不予救助"));
    // The department proposes; it does not decide.
    let gate = department
        .record_committee_decision(approve(&a, "2026年第12次", &terms[0]))
        .await
        .expect_err("the department does not decide");
    assert_eq!(gate.code(), Code::PermissionDenied);
}
