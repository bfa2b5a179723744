//! A case from application to the notice, as the member and the branch see
//! it: the branch is the member's, the stale etag and the replay, the
//! reviewer who entered the case, the exclusion grounds, the superior
//! levels and the branch directly under the committee.

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Role;
use relief_runtime::error::field_violations;
use tonic::Code;

use super::{Workflow, application, approval, rid, to_notice};

#[tokio::test]
async fn a_member_applies_to_their_branch_and_the_branch_approval_starts_the_notice() {
    let workflow = Workflow::start().await;
    let notice = to_notice(&workflow, "a-1", 12, "/1/4/12/").await;
    assert_eq!(notice.state, pb::ApplicationState::PublicNotice as i32);
    assert!(!notice.public_notice_id.is_empty());
    assert!(!notice.skips_superior_review);
    assert_eq!(notice.superior_org.as_ref().map(|o| o.org_id), Some(4));
    assert_eq!(notice.member_name, "党员a-1");
    assert!(
        notice.state_deadline_time.is_some(),
        "the notice's end is the deadline"
    );
    // The household is masked in the answer.
    let household = notice.household.expect("household");
    assert_eq!(household.members[0].health, "***");
    assert_eq!(household.annual_household_income, None);

    let mut staff = workflow.branch_staff().await;
    let steps = staff
        .list_application_steps(pb::ListApplicationStepsRequest {
            application_id: notice.application_id.clone(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .steps;
    let actions: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "created",
            "submitted",
            "branch_review.started",
            "branch_review.approved"
        ]
    );
    assert!(
        steps
            .iter()
            .all(|s| s.actor.is_some() && s.step_time.is_some())
    );
}

#[tokio::test]
async fn a_branch_directly_under_the_committee_has_no_superior_review() {
    let workflow = Workflow::start().await;
    let notice = to_notice(&workflow, "b-1", 7, "/1/7/").await;
    assert!(notice.skips_superior_review);
    assert_eq!(notice.superior_org, None);
}

#[tokio::test]
async fn an_application_is_made_to_the_members_own_branch_and_bad_fields_are_named() {
    let workflow = Workflow::start().await;
    let (member_id, _) = workflow.member("c-1", 12).await;
    let mut staff13 = workflow.as_role(Role::BranchStaff, "/1/4/13/").await;
    let refused = staff13
        .create_application(pb::CreateApplicationRequest {
            request_id: rid(),
            application: Some(application(&member_id, 13, common::HardshipCategory::Other)),
        })
        .await
        .expect_err("branch 13 staff cannot apply for a member of branch 12");
    assert_eq!(refused.code(), Code::PermissionDenied);

    let mut staff = workflow.branch_staff().await;
    let mut bad = application(&member_id, 12, common::HardshipCategory::MajorIllness);
    bad.affected_person = 0;
    bad.year = 1999;
    let invalid = staff
        .create_application(pb::CreateApplicationRequest {
            request_id: rid(),
            application: Some(bad),
        })
        .await
        .expect_err("invalid");
    assert_eq!(invalid.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&invalid)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["application.year", "application.affected_person"]);
    let listed = staff
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .expect("listing")
        .into_inner();
    assert!(
        listed.applications.is_empty(),
        "a refused request changes nothing"
    );
}

#[tokio::test]
async fn a_stale_etag_is_aborted_and_a_replay_acts_once() {
    let workflow = Workflow::start().await;
    let (member_id, mut member) = workflow.member("d-1", 12).await;
    let request = pb::CreateApplicationRequest {
        request_id: rid(),
        application: Some(application(&member_id, 12, common::HardshipCategory::Other)),
    };
    let first = member
        .create_application(request.clone())
        .await
        .expect("created")
        .into_inner();
    let again = member
        .create_application(request)
        .await
        .expect("replayed")
        .into_inner();
    assert_eq!(first.application_id, again.application_id);
    let listed = member
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .expect("own listing")
        .into_inner();
    assert_eq!(listed.applications.len(), 1);

    let submitted = member
        .submit_application(pb::SubmitApplicationRequest {
            request_id: rid(),
            application_id: first.application_id.clone(),
            etag: first.etag.clone(),
            comment: String::new(),
        })
        .await
        .expect("submitted")
        .into_inner();
    let stale = member
        .withdraw_application(pb::WithdrawApplicationRequest {
            request_id: rid(),
            application_id: first.application_id.clone(),
            etag: first.etag.clone(),
            reason: "不再需要".into(),
        })
        .await
        .expect_err("stale");
    assert_eq!(stale.code(), Code::Aborted);
    // Staff of another branch learn nothing, not even that the etag is stale.
    let mut staff13 = workflow.as_role(Role::BranchStaff, "/1/4/13/").await;
    let hidden = staff13
        .withdraw_application(pb::WithdrawApplicationRequest {
            request_id: rid(),
            application_id: first.application_id.clone(),
            etag: first.etag.clone(),
            reason: "不再需要".into(),
        })
        .await
        .expect_err("not theirs");
    assert_eq!(hidden.code(), Code::NotFound);
    let withdrawn = member
        .withdraw_application(pb::WithdrawApplicationRequest {
            request_id: rid(),
            application_id: first.application_id.clone(),
            etag: submitted.etag.clone(),
            reason: "不再需要".into(),
        })
        .await
        .expect("withdrawn")
        .into_inner();
    assert_eq!(withdrawn.state, pb::ApplicationState::Withdrawn as i32);
    assert_eq!(withdrawn.close_reason, "不再需要");
}

#[tokio::test]
async fn proof_is_required_before_submitting_and_an_applying_ground_refuses_approval() {
    let workflow = Workflow::start().await;
    let (member_id, mut member) = workflow.member("e-1", 12).await;
    let draft = member
        .create_application(pb::CreateApplicationRequest {
            request_id: rid(),
            application: Some(application(
                &member_id,
                12,
                common::HardshipCategory::MajorIllness,
            )),
        })
        .await
        .expect("created")
        .into_inner();
    assert_eq!(
        draft.missing_evidence_kinds,
        [
            pb::EvidenceKind::HospitalDiagnosis as i32,
            pb::EvidenceKind::PaymentReceipts as i32
        ]
    );
    let refused = member
        .submit_application(pb::SubmitApplicationRequest {
            request_id: rid(),
            application_id: draft.application_id.clone(),
            etag: draft.etag.clone(),
            comment: String::new(),
        })
        .await
        .expect_err("no proof");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("缴费凭证"),
        "{}",
        refused.message()
    );

    // An application of another category, with ground 4 applying.
    let (member_id, mut member) = workflow.member("e-2", 12).await;
    let draft = member
        .create_application(pb::CreateApplicationRequest {
            request_id: rid(),
            application: Some(application(&member_id, 12, common::HardshipCategory::Other)),
        })
        .await
        .expect("created")
        .into_inner();
    let submitted = member
        .submit_application(pb::SubmitApplicationRequest {
            request_id: rid(),
            application_id: draft.application_id.clone(),
            etag: draft.etag,
            comment: String::new(),
        })
        .await
        .expect("submitted")
        .into_inner();
    let mut staff = workflow.branch_staff().await;
    let started = staff
        .start_branch_review(pb::StartBranchReviewRequest {
            request_id: rid(),
            application_id: submitted.application_id.clone(),
            etag: submitted.etag,
            comment: String::new(),
        })
        .await
        .expect("started")
        .into_inner();
    let mut review = approval();
    review.exclusion_checks[3].applies = true;
    let excluded = staff
        .submit_branch_review(pb::SubmitBranchReviewRequest {
            request_id: rid(),
            application_id: started.application_id.clone(),
            etag: started.etag.clone(),
            review: Some(review),
            ..Default::default()
        })
        .await
        .expect_err("ground 4 applies");
    assert_eq!(excluded.code(), Code::FailedPrecondition);
    assert!(
        excluded.message().contains("越级上访"),
        "{}",
        excluded.message()
    );

    let mut incomplete = approval();
    incomplete.exclusion_checks.truncate(5);
    let invalid = staff
        .submit_branch_review(pb::SubmitBranchReviewRequest {
            request_id: rid(),
            application_id: started.application_id.clone(),
            etag: started.etag.clone(),
            review: Some(incomplete),
            ..Default::default()
        })
        .await
        .expect_err("ground 6 unanswered");
    assert_eq!(invalid.code(), Code::InvalidArgument);
    assert!(
        invalid.message().contains("UNDER_PROCEEDINGS"),
        "{}",
        invalid.message()
    );
}

#[tokio::test]
async fn whoever_entered_a_case_does_not_review_it() {
    let workflow = Workflow::start().await;
    let (member_id, _) = workflow.member("f-1", 12).await;
    let mut staff = workflow.branch_staff().await;
    let draft = staff
        .create_application(pb::CreateApplicationRequest {
            request_id: rid(),
            application: Some(application(&member_id, 12, common::HardshipCategory::Other)),
        })
        .await
        .expect("entered on the member's behalf")
        .into_inner();
    assert!(draft.entered_on_behalf);
    let submitted = staff
        .submit_application(pb::SubmitApplicationRequest {
            request_id: rid(),
            application_id: draft.application_id.clone(),
            etag: draft.etag,
            comment: String::new(),
        })
        .await
        .expect("submitted")
        .into_inner();
    let started = staff
        .start_branch_review(pb::StartBranchReviewRequest {
            request_id: rid(),
            application_id: submitted.application_id.clone(),
            etag: submitted.etag,
            comment: String::new(),
        })
        .await
        .expect("started")
        .into_inner();
    let same = staff
        .submit_branch_review(pb::SubmitBranchReviewRequest {
            request_id: rid(),
            application_id: started.application_id.clone(),
            etag: started.etag.clone(),
            review: Some(approval()),
            ..Default::default()
        })
        .await
        .expect_err("the one who entered it");
    assert_eq!(same.code(), Code::FailedPrecondition);
    let mut colleague = workflow.branch_colleague("/1/4/12/").await;
    let approved = colleague
        .submit_branch_review(pb::SubmitBranchReviewRequest {
            request_id: rid(),
            application_id: started.application_id.clone(),
            etag: started.etag,
            review: Some(approval()),
            ..Default::default()
        })
        .await
        .expect("a colleague reviews")
        .into_inner();
    assert_eq!(approved.state, pb::ApplicationState::PublicNotice as i32);
}
