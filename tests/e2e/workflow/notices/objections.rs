//! 异议 — objections as the unit raises them and the branch resolves them:
//! an open one holds the notice, upheld refuses the case, dismissed lets it
//! pass; who may resolve; what the unit reads and lists; bad requests.

use std::time::Duration;

use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Role;
use relief_runtime::error::field_violations;
use tonic::Code;

use super::super::{Workflow, rid, to_notice};
use super::{application, end_time_passes, notice, raise, resolution};

#[tokio::test]
async fn an_open_objection_holds_the_notice_and_its_dismissal_lets_it_pass() {
    let workflow = Workflow::start().await;
    let noticed = to_notice(&workflow, "n-o", 12, "/1/4/12/").await;
    let (_, mut neighbour) = workflow.member("n-o-neighbour", 12).await;
    let objection = raise(&mut neighbour, &noticed.public_notice_id).await;
    assert_eq!(objection.state, pb::ObjectionState::Open as i32);

    let mut staff = workflow.branch_colleague("/1/4/12/").await;
    let raised = application(&mut staff, &noticed.application_id).await;
    assert_ne!(raised.etag, noticed.etag, "the step bumps the version");

    end_time_passes(&workflow, &noticed.public_notice_id).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let held = application(&mut staff, &noticed.application_id).await;
    assert_eq!(held.state, pb::ApplicationState::PublicNotice as i32);
    let shown = notice(&mut staff, &noticed.public_notice_id).await;
    assert_eq!(shown.state, pb::PublicNoticeState::Running as i32);
    assert_eq!(shown.open_objection_count, 1);

    // Its days are over: no new objection.
    let late = neighbour
        .raise_objection(pb::RaiseObjectionRequest {
            request_id: rid(),
            public_notice_id: noticed.public_notice_id.clone(),
            content: "再次提出异议".into(),
            ..Default::default()
        })
        .await
        .expect_err("too late");
    assert_eq!(late.code(), Code::FailedPrecondition);

    let dismissed = staff
        .resolve_objection(resolution(&objection, false))
        .await
        .expect("dismissed")
        .into_inner();
    assert_eq!(dismissed.state, pb::ObjectionState::Dismissed as i32);
    // Due already and nothing open: it passes at once, not at the next round.
    let passed = application(&mut staff, &noticed.application_id).await;
    assert_eq!(passed.state, pb::ApplicationState::SuperiorReview as i32);
    let actions: Vec<String> = staff
        .list_application_steps(pb::ListApplicationStepsRequest {
            application_id: noticed.application_id.clone(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .steps
        .into_iter()
        .map(|s| s.action)
        .collect();
    assert!(
        actions.ends_with(
            &[
                "objection.raised",
                "objection.dismissed",
                "public_notice.passed"
            ]
            .map(String::from)
        )
    );
}

#[tokio::test]
async fn an_upheld_objection_refuses_the_application_and_closes_the_others_unheard() {
    let workflow = Workflow::start().await;
    let noticed = to_notice(&workflow, "n-u", 12, "/1/4/12/").await;
    let (_, mut neighbour) = workflow.member("n-u-neighbour", 12).await;
    let objection = raise(&mut neighbour, &noticed.public_notice_id).await;
    let (_, mut colleague) = workflow.member("n-u-colleague", 12).await;
    let second = raise(&mut colleague, &noticed.public_notice_id).await;
    let mut staff = workflow.branch_colleague("/1/4/12/").await;
    let request = resolution(&objection, true);
    let upheld = staff
        .resolve_objection(request.clone())
        .await
        .expect("upheld")
        .into_inner();
    assert_eq!(upheld.state, pb::ObjectionState::Upheld as i32);
    let replayed = staff
        .resolve_objection(request)
        .await
        .expect("the replay answers the first answer")
        .into_inner();
    assert_eq!(replayed, upheld);

    let refused = application(&mut staff, &noticed.application_id).await;
    assert_eq!(refused.state, pb::ApplicationState::Refused as i32);
    assert!(refused.close_reason.contains("商铺已于前年转让"));
    let shown = notice(&mut staff, &noticed.public_notice_id).await;
    assert_eq!(shown.state, pb::PublicNoticeState::Failed as i32);
    assert_eq!(shown.open_objection_count, 0);
    assert!(refused.register_record_id.is_empty());
    // The other objection is not left open on a notice that is over.
    let other = shown
        .objections
        .iter()
        .find(|o| o.objection_id == second.objection_id)
        .expect("the second objection is listed");
    assert_eq!(other.state, pb::ObjectionState::Closed as i32);
    assert!(other.resolution_note.contains("另一异议成立"), "{other:?}");
}

#[tokio::test]
async fn withdrawing_during_the_notice_closes_its_open_objections_unheard() {
    let workflow = Workflow::start().await;
    let noticed = to_notice(&workflow, "n-w", 12, "/1/4/12/").await;
    let (_, mut neighbour) = workflow.member("n-w-neighbour", 12).await;
    let objection = raise(&mut neighbour, &noticed.public_notice_id).await;
    let (_, mut applicant) = workflow.member("n-w", 12).await;
    let current = application(&mut applicant, &noticed.application_id).await;
    applicant
        .withdraw_application(pb::WithdrawApplicationRequest {
            request_id: rid(),
            application_id: current.application_id.clone(),
            etag: current.etag,
            reason: "家中情况已好转".into(),
        })
        .await
        .expect("withdrawn");
    let mut staff = workflow.branch_colleague("/1/4/12/").await;
    let shown = notice(&mut staff, &noticed.public_notice_id).await;
    assert_eq!(shown.state, pb::PublicNoticeState::Cancelled as i32);
    assert_eq!(shown.open_objection_count, 0);
    assert_eq!(
        shown.objections[0].state,
        pb::ObjectionState::Closed as i32,
        "{:?}",
        shown.objections
    );
    assert_eq!(shown.objections[0].objection_id, objection.objection_id);
    let late = staff
        .resolve_objection(resolution(&objection, false))
        .await
        .expect_err("nothing left to decide");
    assert_eq!(late.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn only_the_branchs_reviewers_resolve_and_never_the_one_who_raised_it() {
    let workflow = Workflow::start().await;
    let noticed = to_notice(&workflow, "n-s", 12, "/1/4/12/").await;
    let mut raiser = workflow.branch_colleague("/1/4/12/").await;
    let objection = raise(&mut raiser, &noticed.public_notice_id).await;

    let mut other_branch = workflow.as_role(Role::BranchStaff, "/1/4/13/").await;
    let refused = other_branch
        .resolve_objection(resolution(&objection, true))
        .await
        .expect_err("another branch's staff");
    assert_eq!(refused.code(), Code::NotFound);

    let mut superior = workflow.as_role(Role::SuperiorOrg, "/1/4/").await;
    let refused = superior
        .resolve_objection(resolution(&objection, true))
        .await
        .expect_err("the superior organisation does not resolve the branch's objections");
    assert_eq!(refused.code(), Code::PermissionDenied);

    let refused = raiser
        .resolve_objection(resolution(&objection, true))
        .await
        .expect_err("the one who raised it");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    // Nothing changed: the objection is open, the application where it was.
    let mut staff = workflow.branch_staff().await;
    let shown = notice(&mut staff, &noticed.public_notice_id).await;
    assert_eq!(shown.open_objection_count, 1);
    let app = application(&mut staff, &noticed.application_id).await;
    assert_eq!(app.state, pb::ApplicationState::PublicNotice as i32);
    staff
        .resolve_objection(resolution(&objection, false))
        .await
        .expect("another reviewer of the branch resolves it");
}

#[tokio::test]
async fn the_unit_reads_the_notice_and_the_objectors_contact_is_masked_for_a_member() {
    let workflow = Workflow::start().await;
    let noticed = to_notice(&workflow, "n-m", 12, "/1/4/12/").await;
    let (_, mut neighbour) = workflow.member("n-m-neighbour", 12).await;
    raise(&mut neighbour, &noticed.public_notice_id).await;

    let (_, mut member) = workflow.member("n-m-reader", 12).await;
    let seen = notice(&mut member, &noticed.public_notice_id).await;
    assert!(seen.notice_text.contains("党员n-m"));
    let objection = &seen.objections[0];
    assert_eq!(objection.objector_contact, "138****5678");
    assert_eq!(objection.raised_by, None, "who entered it is not shown");

    let mut staff = workflow.branch_staff().await;
    let seen = notice(&mut staff, &noticed.public_notice_id).await;
    assert_eq!(seen.objections[0].objector_contact, "13812345678");
    assert!(seen.objections[0].raised_by.is_some());

    // Outside the unit nothing is shown, not even that it exists.
    let (_, mut stranger) = workflow.member("n-m-stranger", 7).await;
    let hidden = stranger
        .get_public_notice(pb::GetPublicNoticeRequest {
            public_notice_id: noticed.public_notice_id.clone(),
        })
        .await
        .expect_err("another unit");
    assert_eq!(hidden.code(), Code::NotFound);
    let listed = stranger
        .list_public_notices(pb::ListPublicNoticesRequest::default())
        .await
        .expect("a listing")
        .into_inner();
    assert!(listed.public_notices.is_empty());
}

#[tokio::test]
async fn notices_are_listed_newest_first_by_page_and_filter() {
    let workflow = Workflow::start().await;
    let first = to_notice(&workflow, "n-l1", 12, "/1/4/12/").await;
    let second = to_notice(&workflow, "n-l2", 12, "/1/4/12/").await;
    let elsewhere = to_notice(&workflow, "n-l3", 13, "/1/4/13/").await;
    let mut superior = workflow.as_role(Role::SuperiorOrg, "/1/4/").await;
    let page = superior
        .list_public_notices(pb::ListPublicNoticesRequest {
            org_id: 12,
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("page 1")
        .into_inner();
    assert_eq!(
        page.public_notices[0].public_notice_id,
        second.public_notice_id
    );
    let next = superior
        .list_public_notices(pb::ListPublicNoticesRequest {
            org_id: 12,
            page_size: 1,
            page_token: page.next_page_token,
            ..Default::default()
        })
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(
        next.public_notices[0].public_notice_id,
        first.public_notice_id
    );
    assert!(next.next_page_token.is_empty());

    let by_application = superior
        .list_public_notices(pb::ListPublicNoticesRequest {
            application_id: elsewhere.application_id.clone(),
            state: pb::PublicNoticeState::Running as i32,
            ..Default::default()
        })
        .await
        .expect("by application")
        .into_inner();
    assert_eq!(by_application.public_notices.len(), 1);
}

#[tokio::test]
async fn bad_requests_name_every_field_and_change_nothing() {
    let workflow = Workflow::start().await;
    let noticed = to_notice(&workflow, "n-b", 12, "/1/4/12/").await;
    let mut staff = workflow.branch_staff().await;
    let bad = staff
        .raise_objection(pb::RaiseObjectionRequest {
            request_id: String::new(),
            public_notice_id: "not-a-uuid".into(),
            content: " ".into(),
            objector_name: "甲\n乙".into(),
            objector_contact: String::new(),
        })
        .await
        .expect_err("invalid");
    assert_eq!(bad.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&bad).into_iter().map(|(f, _)| f).collect();
    for field in ["request_id", "public_notice_id", "content", "objector_name"] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
    let bad = staff
        .resolve_objection(pb::ResolveObjectionRequest {
            request_id: rid(),
            objection_id: String::new(),
            resolution: 9,
            resolution_note: String::new(),
        })
        .await
        .expect_err("invalid");
    let fields: Vec<String> = field_violations(&bad).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["objection_id", "resolution", "resolution_note"]);
    let bad = staff
        .list_public_notices(pb::ListPublicNoticesRequest {
            state: 42,
            application_id: "x".into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("invalid");
    let fields: Vec<String> = field_violations(&bad).into_iter().map(|(f, _)| f).collect();
    for field in ["state", "application_id", "page_size"] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }

    let same = application(&mut staff, &noticed.application_id).await;
    assert_eq!(same.etag, noticed.etag);
    let shown = notice(&mut staff, &noticed.public_notice_id).await;
    assert!(shown.objections.is_empty());
}
