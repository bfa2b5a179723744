//! Property: random sequences of acts on a case, against the real service
//! and a small reference model of measures §四 — every act the model calls
//! legal is accepted and lands where the model says; every other act is
//! refused with FAILED_PRECONDITION and changes nothing.

use std::time::Duration;

use proptest::prelude::*;
use relief_proto::common::v1 as common;
use relief_proto::workflow::v1::{self as pb, ApplicationState as S};
use relief_runtime::auth::Role;
use relief_tests::raw_pool;
use tonic::Code;

use super::{Applications, Workflow, application, approval, rid};

/// What somebody does to the case.
#[derive(Debug, Clone, Copy)]
enum Act {
    Update,
    Submit,
    Withdraw,
    StartReview,
    BranchApprove,
    BranchRefuse,
    BranchReturn,
    /// The notice's time runs out (its end moved into the past behind the
    /// service's back: the controlled clock); the sweep ends it.
    NoticeTimeUp,
    SuperiorApprove,
    SuperiorRefuse,
    SuperiorReturn,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        Just(Act::Update),
        Just(Act::Submit),
        Just(Act::Withdraw),
        Just(Act::StartReview),
        Just(Act::BranchApprove),
        Just(Act::BranchRefuse),
        Just(Act::BranchReturn),
        Just(Act::NoticeTimeUp),
        Just(Act::SuperiorApprove),
        Just(Act::SuperiorRefuse),
        Just(Act::SuperiorReturn),
    ]
}

/// The reference model: the state after `act`, or `None` when it is illegal.
/// `returned_from` is where a returned case goes back.
fn model(state: S, returned_from: S, act: Act) -> Option<S> {
    use Act::*;
    match (act, state) {
        (Update, S::Draft | S::ReturnedForMaterial) => Some(state),
        (Submit, S::Draft) => Some(S::Submitted),
        (Submit, S::ReturnedForMaterial) => Some(returned_from),
        (
            Withdraw,
            S::Draft
            | S::Submitted
            | S::BranchReview
            | S::ReturnedForMaterial
            | S::PublicNotice
            | S::SuperiorReview
            | S::CommitteeReview,
        ) => Some(S::Withdrawn),
        (StartReview, S::Submitted) => Some(S::BranchReview),
        (BranchApprove, S::BranchReview) => Some(S::PublicNotice),
        (BranchRefuse, S::BranchReview) => Some(S::Refused),
        (BranchReturn, S::BranchReview) => Some(S::ReturnedForMaterial),
        (NoticeTimeUp, S::PublicNotice) => Some(S::SuperiorReview),
        (SuperiorApprove, S::SuperiorReview) => Some(S::CommitteeReview),
        (SuperiorRefuse, S::SuperiorReview) => Some(S::Refused),
        (SuperiorReturn, S::SuperiorReview) => Some(S::ReturnedForMaterial),
        _ => None,
    }
}

struct Actors {
    member: Applications,
    member_id: String,
    starter: Applications,
    reviewer: Applications,
    superior: Applications,
}

fn review(decision: pb::ReviewDecision) -> pb::BranchReview {
    pb::BranchReview {
        decision: decision as i32,
        decision_reason: if decision == pb::ReviewDecision::Approve {
            String::new()
        } else {
            "材料不全".into()
        },
        ..approval()
    }
}

fn superior(decision: pb::ReviewDecision) -> pb::SuperiorReview {
    pb::SuperiorReview {
        findings: "复审意见".into(),
        decision: decision as i32,
        decision_reason: "复审未通过".into(),
        ..Default::default()
    }
}

/// Sends `act` for the case as it stands; the answer's state, or the code.
async fn send(
    workflow: &Workflow,
    actors: &mut Actors,
    case: &pb::Application,
    act: Act,
) -> Result<i32, Code> {
    let (id, etag) = (case.application_id.clone(), case.etag.clone());
    let answer = match act {
        Act::Update => {
            let mut change = application(&actors.member_id, 12, common::HardshipCategory::Other);
            change.application_id = id;
            change.etag = etag;
            change.description = "补充说明".into();
            actors
                .member
                .update_application(pb::UpdateApplicationRequest {
                    request_id: rid(),
                    application: Some(change),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["description".into()],
                    }),
                })
                .await
        }
        Act::Submit => {
            actors
                .member
                .submit_application(pb::SubmitApplicationRequest {
                    request_id: rid(),
                    application_id: id,
                    etag,
                    comment: String::new(),
                })
                .await
        }
        Act::Withdraw => {
            actors
                .member
                .withdraw_application(pb::WithdrawApplicationRequest {
                    request_id: rid(),
                    application_id: id,
                    etag,
                    reason: "撤回".into(),
                })
                .await
        }
        Act::StartReview => {
            actors
                .starter
                .start_branch_review(pb::StartBranchReviewRequest {
                    request_id: rid(),
                    application_id: id,
                    etag,
                    comment: String::new(),
                })
                .await
        }
        Act::BranchApprove | Act::BranchRefuse | Act::BranchReturn => {
            let decision = match act {
                Act::BranchApprove => pb::ReviewDecision::Approve,
                Act::BranchRefuse => pb::ReviewDecision::Refuse,
                _ => pb::ReviewDecision::ReturnForMaterial,
            };
            actors
                .reviewer
                .submit_branch_review(pb::SubmitBranchReviewRequest {
                    request_id: rid(),
                    application_id: id,
                    etag,
                    review: Some(review(decision)),
                    ..Default::default()
                })
                .await
        }
        Act::SuperiorApprove | Act::SuperiorRefuse | Act::SuperiorReturn => {
            let decision = match act {
                Act::SuperiorApprove => pb::ReviewDecision::Approve,
                Act::SuperiorRefuse => pb::ReviewDecision::Refuse,
                _ => pb::ReviewDecision::ReturnForMaterial,
            };
            actors
                .superior
                .submit_superior_review(pb::SubmitSuperiorReviewRequest {
                    request_id: rid(),
                    application_id: id,
                    etag,
                    review: Some(superior(decision)),
                })
                .await
        }
        Act::NoticeTimeUp => return notice_time_up(workflow, actors, case).await,
    };
    answer
        .map(|a| a.into_inner().state)
        .map_err(|status| status.code())
}

/// Moves a running notice's end into the past and waits for the sweep;
/// for a case without a running notice nothing happens (an illegal act).
async fn notice_time_up(
    workflow: &Workflow,
    actors: &mut Actors,
    case: &pb::Application,
) -> Result<i32, Code> {
    let pool = raw_pool(&workflow.service.schema).await;
    let moved = sqlx::query(
        "UPDATE public_notices SET starts_at = now() - interval '9 days', ends_at = now() - interval '1 second'
         WHERE application_id = $1::uuid AND state = 1",
    )
    .bind(&case.application_id)
    .execute(&pool)
    .await
    .expect("moving the notice's end")
    .rows_affected();
    if moved == 0 {
        return Err(Code::FailedPrecondition);
    }
    for _ in 0..100 {
        let now = current(actors, &case.application_id).await;
        if now.state != S::PublicNotice as i32 {
            return Ok(now.state);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the notice did not end by itself within 10 s");
}

async fn current(actors: &mut Actors, application_id: &str) -> pb::Application {
    actors
        .starter
        .get_application(pb::GetApplicationRequest {
            application_id: application_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("reading the case")
        .into_inner()
}

async fn run(workflow: &Workflow, case_no: usize, acts: Vec<Act>) {
    let (member_id, member) = workflow.member(&format!("p-{case_no}"), 12).await;
    let mut actors = Actors {
        member,
        member_id: member_id.clone(),
        starter: workflow.branch_staff().await,
        reviewer: workflow.branch_colleague("/1/4/12/").await,
        superior: workflow.as_role(Role::SuperiorOrg, "/1/4/").await,
    };
    let mut case = actors
        .member
        .create_application(pb::CreateApplicationRequest {
            request_id: rid(),
            application: Some(application(&member_id, 12, common::HardshipCategory::Other)),
        })
        .await
        .expect("the member applies")
        .into_inner();
    let mut state = S::Draft;
    let mut returned_from = S::Unspecified;
    for act in acts {
        let expected = model(state, returned_from, act);
        let answer = send(workflow, &mut actors, &case, act).await;
        let after = current(&mut actors, &case.application_id).await;
        match expected {
            Some(next) => {
                assert_eq!(
                    answer,
                    Ok(next as i32),
                    "{act:?} in {state:?} is legal and lands in {next:?}"
                );
                if next == S::ReturnedForMaterial {
                    returned_from = state;
                }
                state = next;
            }
            None => {
                assert_eq!(
                    answer,
                    Err(Code::FailedPrecondition),
                    "{act:?} in {state:?} is illegal"
                );
                assert_eq!(after.etag, case.etag, "a refused {act:?} changed nothing");
            }
        }
        assert_eq!(after.state, state as i32);
        case = after;
    }
}

#[test]
fn random_acts_follow_the_measures_path() {
    use proptest::test_runner::{Config, TestRunner};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let workflow = runtime.block_on(Workflow::start());
    let cases = std::env::var("RELIEF_WORKFLOW_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24);
    let mut runner = TestRunner::new(Config {
        cases,
        // A failure prints its acts; shrinking would replay against a
        // service whose earlier cases stay in the database.
        max_shrink_iters: 0,
        ..Config::default()
    });
    let case_no = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&proptest::collection::vec(act(), 4..16), |acts| {
            let n = case_no.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            runtime.block_on(run(&workflow, n, acts));
            Ok(())
        })
        .expect("the service follows the model");
}
