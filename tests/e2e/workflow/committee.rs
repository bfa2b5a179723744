//! 工委审批 (measures §四.4): the department proposes, checked against the
//! year rules (§三, §五.1) with funds' standards; the committee meeting — a
//! record of its own — decides; whoever proposed never decides.

use relief_proto::common::v1::{HardshipCategory as Category, ReliefType as Type};
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::{ReliefRule as Rule, RuleCheckOutcome as Outcome};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::rid;
use super::stack::{Stack, YEAR, approve, both_roles, proposal};

mod meeting;

fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

fn outcome(proposal: &pb::CommitteeProposal, rule: Rule) -> Outcome {
    proposal
        .rule_checks
        .iter()
        .find(|c| c.rule == rule as i32)
        .and_then(|c| Outcome::try_from(c.outcome).ok())
        .unwrap_or_else(|| panic!("{rule:?} not checked: {proposal:?}"))
}

fn dry(mut request: pb::CreateCommitteeProposalRequest) -> pb::CreateCommitteeProposalRequest {
    request.validate_only = true;
    request
}

fn special(mut request: pb::CreateCommitteeProposalRequest) -> pb::CreateCommitteeProposalRequest {
    let p = request.proposal.as_mut().expect("a proposal");
    p.special_case = true;
    p.special_case_reason = "家中突遭变故，经会议研究按特殊情况办理".into();
    request
}

/// The proposal is checked against the standard; validate_only stores
/// nothing; a violated rule refuses the proposal naming it; a proposal
/// within the rules is stored, replaced by a newer one, and approved by the
/// meeting, whose record keeps its date and attendance.
#[tokio::test]
async fn a_proposal_within_the_standard_is_approved_by_the_meeting() {
    let stack = Stack::start(true).await;
    let app = stack.to_committee("c-1", |_| {}).await;
    let mut department = stack.department().await;
    let above = proposal(&app, Type::SpringFestivalVisit, Category::Other, 60_000);
    let checked = department
        .create_committee_proposal(dry(above.clone()))
        .await
        .expect("validate_only answers the checks")
        .into_inner();
    assert_eq!(outcome(&checked, Rule::WithinStandard), Outcome::Violated);
    assert_eq!(checked.standard_amount.map(|m| m.fen), Some(50_000));
    assert!(checked.proposal_id.is_empty(), "nothing stored");
    assert_eq!(stack.get(&app.application_id).await.etag, app.etag);
    let refused = department
        .create_committee_proposal(above)
        .await
        .expect_err("above the standard");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "RELIEF_RULE_VIOLATED");
    assert!(
        refused.message().contains("RELIEF_RULE_WITHIN_STANDARD"),
        "{}",
        refused.message()
    );
    let unchanged = stack.get(&app.application_id).await;
    assert!(unchanged.proposal.is_none() && unchanged.etag == app.etag);

    let first = department
        .create_committee_proposal(proposal(
            &app,
            Type::SpringFestivalVisit,
            Category::Other,
            40_000,
        ))
        .await
        .expect("within the standard")
        .into_inner();
    assert!(
        first
            .rule_checks
            .iter()
            .all(|c| c.outcome == Outcome::Passed as i32),
        "{first:?}"
    );
    let app = stack.get(&app.application_id).await;
    let newer = department
        .create_committee_proposal(proposal(
            &app,
            Type::SpringFestivalVisit,
            Category::Other,
            50_000,
        ))
        .await
        .expect("a newer proposal")
        .into_inner();
    let app = stack.get(&app.application_id).await;
    assert_eq!(
        app.proposal.as_ref().map(|p| p.proposal_id.clone()),
        Some(newer.proposal_id.clone()),
        "the newer proposal replaces the earlier one"
    );

    let decided = stack
        .committee()
        .await
        .record_committee_decision(approve(&app, "2026年第9次", &newer))
        .await
        .expect("the meeting approves")
        .into_inner();
    assert_eq!(decided.proposal_id, newer.proposal_id);
    assert_eq!(decided.amount.map(|m| m.fen), Some(50_000));
    let approved = stack.get(&app.application_id).await;
    assert_eq!(approved.state, pb::ApplicationState::Approved as i32);
    assert_eq!(
        approved.decision.map(|d| d.meeting_number),
        Some("2026年第9次".to_owned())
    );
    let pool = relief_tests::raw_pool(&stack.workflow.service.schema).await;
    let (date, attendance): (time::Date, String) = sqlx::query_as(
        "SELECT meeting_date, attendance FROM meetings WHERE meeting_number = '2026年第9次'",
    )
    .fetch_one(&pool)
    .await
    .expect("the meeting is recorded");
    assert_eq!(date, relief_runtime::time::today());
    assert_eq!(attendance, "张书记、李副书记、王委员");
}

/// Several categories: only the highest standard, on a category met.
#[tokio::test]
async fn several_categories_are_relieved_once_at_the_highest_standard() {
    let stack = Stack::start(true).await;
    let app = stack
        .to_committee("c-2", |app| {
            app.other_categories_met = vec![Category::MinimumLivingGuarantee as i32];
        })
        .await;
    let mut department = stack.department().await;
    let check = |fen, category| dry(proposal(&app, Type::SpringFestivalVisit, category, fen));
    let highest = department
        .create_committee_proposal(check(80_000, Category::MinimumLivingGuarantee))
        .await
        .expect("checked")
        .into_inner();
    assert_eq!(
        outcome(&highest, Rule::HighestCategoryOnly),
        Outcome::Passed
    );
    assert_eq!(outcome(&highest, Rule::WithinStandard), Outcome::Passed);
    let more = department
        .create_committee_proposal(check(90_000, Category::MinimumLivingGuarantee))
        .await
        .expect("checked")
        .into_inner();
    assert_eq!(outcome(&more, Rule::HighestCategoryOnly), Outcome::Violated);
    let unmet = department
        .create_committee_proposal(check(10_000, Category::MajorIllness))
        .await
        .expect("checked")
        .into_inner();
    assert_eq!(
        outcome(&unmet, Rule::HighestCategoryOnly),
        Outcome::Violated
    );
}

/// Relief from other channels this year: no one-time relief, not even as a
/// special case; a Spring Festival visit is still possible.
#[tokio::test]
async fn other_channel_relief_leaves_the_visit_only() {
    let stack = Stack::start(true).await;
    let app = stack
        .to_committee("c-3", |app| {
            let household = app.household.as_mut().expect("household");
            household.other_channel_relief_this_year = true;
            household.other_channel_relief_description = "民政临时救助".into();
        })
        .await;
    let mut department = stack.department().await;
    let one_time = proposal(&app, Type::OneTimeRelief, Category::Other, 100_000);
    let refused = department
        .create_committee_proposal(special(one_time))
        .await
        .expect_err("no one-time relief");
    assert_eq!(reason(&refused), "RELIEF_RULE_VIOLATED");
    assert!(
        refused
            .message()
            .contains("RELIEF_RULE_OTHER_CHANNEL_RELIEF")
    );
    let visit = department
        .create_committee_proposal(proposal(
            &app,
            Type::SpringFestivalVisit,
            Category::Other,
            50_000,
        ))
        .await
        .expect("a visit is still possible")
        .into_inner();
    assert_eq!(outcome(&visit, Rule::OtherChannelRelief), Outcome::Passed);
}

/// No second relief for the member in the year unless the meeting records
/// a special case with a reason; the proposer never records the decision.
#[tokio::test]
async fn a_second_relief_in_the_year_needs_the_meetings_special_case() {
    let stack = Stack::start(true).await;
    let first = stack.to_committee("c-4", |_| {}).await;
    let terms = stack
        .department()
        .await
        .create_committee_proposal(proposal(
            &first,
            Type::SpringFestivalVisit,
            Category::Other,
            50_000,
        ))
        .await
        .expect("proposed")
        .into_inner();
    let first = stack.get(&first.application_id).await;
    stack
        .committee()
        .await
        .record_committee_decision(approve(&first, "2026年第10次", &terms))
        .await
        .expect("the first relief");

    let second = stack.to_committee("c-4", |_| {}).await;
    // One who is both department and committee proposes; they cannot decide.
    let mut both = stack.committee_as(both_roles()).await;
    let again = proposal(&second, Type::SpringFestivalVisit, Category::Other, 50_000);
    let repeat = both
        .create_committee_proposal(again.clone())
        .await
        .expect_err("a repeat in the year");
    assert!(repeat.message().contains("RELIEF_RULE_ONCE_A_YEAR"));
    let terms = both
        .create_committee_proposal(special(again))
        .await
        .expect("proposed as a special case")
        .into_inner();
    assert_eq!(outcome(&terms, Rule::OnceAYear), Outcome::SpecialCase);
    let second = stack.get(&second.application_id).await;
    let mut decision = approve(&second, "2026年第10次", &terms);
    let own = both
        .record_committee_decision(decision.clone())
        .await
        .expect_err("the proposer does not decide");
    assert_eq!(reason(&own), "SEPARATION_OF_DUTIES");
    let mut committee = stack.committee().await;
    let plain = committee
        .record_committee_decision(decision.clone())
        .await
        .expect_err("no special case recorded");
    assert_eq!(plain.code(), Code::FailedPrecondition);
    assert!(
        plain.message().contains("RELIEF_RULE_ONCE_A_YEAR"),
        "{plain:?}"
    );
    decision.request_id = rid();
    let d = decision.decision.as_mut().expect("decision");
    d.special_case = true;
    d.special_case_reason = "突发重大变故，会议同意再次慰问".into();
    let granted = committee
        .record_committee_decision(decision)
        .await
        .expect("approved as a special case")
        .into_inner();
    assert!(granted.special_case);
    let approved = stack.get(&second.application_id).await;
    assert_eq!(approved.state, pb::ApplicationState::Approved as i32);
}

/// After the relief year's Spring Festival only an urgent or special case
/// is decided (2026: the festival was 2026-02-17).
#[tokio::test]
async fn after_the_spring_festival_only_a_special_case() {
    let stack = Stack::start(true).await;
    let app = stack.to_committee("c-5", |app| app.year = YEAR - 1).await;
    let mut department = stack.department().await;
    let late = proposal(&app, Type::SpringFestivalVisit, Category::Other, 50_000);
    let refused = department
        .create_committee_proposal(late.clone())
        .await
        .expect_err("past the festival");
    assert!(
        refused
            .message()
            .contains("RELIEF_RULE_BEFORE_SPRING_FESTIVAL")
    );
    assert!(
        refused.message().contains("2026-02-17"),
        "{}",
        refused.message()
    );
    let terms = department
        .create_committee_proposal(special(late))
        .await
        .expect("as a special case")
        .into_inner();
    assert_eq!(
        outcome(&terms, Rule::BeforeSpringFestival),
        Outcome::SpecialCase
    );
    let app = stack.get(&app.application_id).await;
    let mut decision = approve(&app, "2026年第11次", &terms);
    let d = decision.decision.as_mut().expect("decision");
    d.special_case = true;
    d.special_case_reason = "特殊情况，工委会议同意随时慰问".into();
    stack
        .committee()
        .await
        .record_committee_decision(decision)
        .await
        .expect("decided any time as a special case");
}

/// A case the branch marked urgent (急办) is decided after the festival too,
/// without being a special case (measures §五.1).
#[tokio::test]
async fn an_urgent_case_is_decided_at_any_time() {
    let stack = Stack::start(true).await;
    let app = stack
        .to_committee_marked("c-6", |app| app.year = YEAR - 1, true)
        .await;
    assert!(app.urgent);
    let terms = stack
        .department()
        .await
        .create_committee_proposal(proposal(
            &app,
            Type::SpringFestivalVisit,
            Category::Other,
            50_000,
        ))
        .await
        .expect("an urgent case needs no special case")
        .into_inner();
    assert_eq!(outcome(&terms, Rule::BeforeSpringFestival), Outcome::Passed);
}
