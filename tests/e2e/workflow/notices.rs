//! 公示 — the notice as the unit sees it and as it ends: by itself when its
//! time is up (also across a restart of the service), held by an open
//! objection, failed by an upheld one, passed when the last is dismissed;
//! and on passing the member is on the ledger's register, the case its source.

use std::time::Duration;

use relief_proto::ledger::v1 as ledger;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Role;
use relief_runtime::error::field_violations;
use relief_tests::{raw_pool, spawn_workflow_on};
use tonic::Code;

use super::{Applications, Workflow, rid, to_notice, to_notice_started};

/// 8 days ago: a 7-day notice started then is due already.
const DUE: Option<i64> = Some(8);

async fn application(client: &mut Applications, id: &str) -> pb::Application {
    client
        .get_application(pb::GetApplicationRequest {
            application_id: id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("the application")
        .into_inner()
}

/// Waits (a few sweep rounds at most) until the application leaves
/// PUBLIC_NOTICE; answers it.
async fn after_the_notice(client: &mut Applications, id: &str) -> pb::Application {
    for _ in 0..100 {
        let app = application(client, id).await;
        if app.state != pb::ApplicationState::PublicNotice as i32 {
            return app;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the notice of {id} did not end by itself");
}

async fn notice(client: &mut Applications, id: &str) -> pb::PublicNotice {
    client
        .get_public_notice(pb::GetPublicNoticeRequest {
            public_notice_id: id.to_owned(),
        })
        .await
        .expect("the notice")
        .into_inner()
}

async fn raise(client: &mut Applications, notice_id: &str) -> pb::Objection {
    client
        .raise_objection(pb::RaiseObjectionRequest {
            request_id: rid(),
            public_notice_id: notice_id.to_owned(),
            content: "据了解其配偶另有商铺出租收入，请核实".into(),
            objector_name: "李四".into(),
            objector_contact: "13812345678".into(),
        })
        .await
        .expect("the objection is raised")
        .into_inner()
}

fn resolution(objection: &pb::Objection, upheld: bool) -> pb::ResolveObjectionRequest {
    pb::ResolveObjectionRequest {
        request_id: rid(),
        objection_id: objection.objection_id.clone(),
        resolution: if upheld {
            pb::ObjectionResolution::Upheld
        } else {
            pb::ObjectionResolution::Dismissed
        } as i32,
        resolution_note: "经支部走访核实，商铺已于前年转让，无出租收入".into(),
    }
}

/// Time passes behind the service's back: the notice's days are over.
async fn end_time_passes(workflow: &Workflow, notice_id: &str) {
    sqlx::query(
        "UPDATE public_notices SET ends_at = now() - interval '1 minute'
         WHERE public_notice_id = $1::uuid",
    )
    .bind(notice_id)
    .execute(&raw_pool(&workflow.service.schema).await)
    .await
    .expect("moving the notice's end");
}

async fn record(workflow: &Workflow, record_id: &str) -> ledger::HardshipRecord {
    workflow
        .register
        .department()
        .await
        .get_record(ledger::GetRecordRequest {
            record_id: record_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("the register record")
        .into_inner()
}

#[tokio::test]
async fn a_notice_whose_time_is_up_passes_by_itself_and_puts_the_member_on_the_register() {
    let workflow = Workflow::start().await;
    let noticed = to_notice_started(&workflow, "n-1", 12, "/1/4/12/", DUE).await;
    let mut staff = workflow.branch_colleague("/1/4/12/").await;
    let passed = after_the_notice(&mut staff, &noticed.application_id).await;
    assert_eq!(passed.state, pb::ApplicationState::SuperiorReview as i32);
    assert_eq!(passed.superior_org.as_ref().map(|o| o.org_id), Some(4));

    let shown = notice(&mut staff, &noticed.public_notice_id).await;
    assert_eq!(shown.state, pb::PublicNoticeState::Passed as i32);
    assert!(shown.ended_time.is_some());

    let steps = staff
        .list_application_steps(pb::ListApplicationStepsRequest {
            application_id: noticed.application_id.clone(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .steps;
    let last = steps.last().expect("steps");
    assert_eq!(last.action, "public_notice.passed");
    assert_eq!(
        last.actor.as_ref().map(|a| a.user_id.as_str()),
        Some("system:workflow")
    );

    // The register: the member's record, the case its source.
    assert!(!passed.register_record_id.is_empty());
    let row = record(&workflow, &passed.register_record_id).await;
    assert_eq!(row.member_id, noticed.member_id);
    assert_eq!(
        row.source_kind,
        ledger::RecordSourceKind::Application as i32
    );
    assert_eq!(row.source_ref, noticed.application_id);
    assert_eq!(row.status, ledger::RecordStatus::Active as i32);
    assert_eq!(row.household_size, 3);
    assert_eq!(row.category, noticed.hardship_category);
}

#[tokio::test]
async fn a_member_on_the_register_already_has_their_record_adjusted_to_the_case() {
    let workflow = Workflow::start().await;
    let member = workflow.register.member("n-a", 12).await;
    let earlier = workflow
        .register
        .department()
        .await
        .create_record(crate::ledger::record_request(
            &member.member_id,
            relief_proto::common::v1::HardshipCategory::MajorIllness,
            2_400_000,
        ))
        .await
        .expect("an earlier register row")
        .into_inner();
    let noticed = to_notice_started(&workflow, "n-a", 12, "/1/4/12/", DUE).await;
    let mut staff = workflow.branch_colleague("/1/4/12/").await;
    let passed = after_the_notice(&mut staff, &noticed.application_id).await;
    assert_eq!(passed.state, pb::ApplicationState::SuperiorReview as i32);
    // One active record per member: the case links to it and adjusts it.
    assert_eq!(passed.register_record_id, earlier.record_id);
    let row = record(&workflow, &earlier.record_id).await;
    assert_eq!(row.category, noticed.hardship_category);
    assert_eq!(row.description, noticed.description);
    assert_ne!(row.etag, earlier.etag);
}

#[tokio::test]
async fn a_branch_directly_under_the_committee_goes_from_the_notice_to_the_committee() {
    let workflow = Workflow::start().await;
    let noticed = to_notice_started(&workflow, "n-7", 7, "/1/7/", DUE).await;
    let mut staff = workflow.branch_colleague("/1/7/").await;
    let passed = after_the_notice(&mut staff, &noticed.application_id).await;
    assert_eq!(passed.state, pb::ApplicationState::CommitteeReview as i32);
    assert!(!passed.register_record_id.is_empty());
}

#[tokio::test]
async fn the_notice_ends_by_itself_across_a_restart_of_the_service() {
    // A sweep that does not come round again while the service runs: the
    // notice falls due while nobody looks.
    let workflow = Workflow::start_with(|settings| {
        settings.workflow.notice_sweep_interval_ms = 3_600_000;
    })
    .await;
    let noticed = to_notice_started(&workflow, "n-r", 12, "/1/4/12/", DUE).await;
    let mut staff = workflow.branch_colleague("/1/4/12/").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let waiting = application(&mut staff, &noticed.application_id).await;
    assert_eq!(waiting.state, pb::ApplicationState::PublicNotice as i32);

    let Workflow { service, register } = workflow;
    let schema = service.schema.clone();
    service.stop_and_wait().await.expect("stopped");
    let service = spawn_workflow_on(&schema, &register.service, |_| {}).await;
    let workflow = Workflow { service, register };
    let mut staff = workflow.branch_colleague("/1/4/12/").await;
    let passed = after_the_notice(&mut staff, &noticed.application_id).await;
    assert_eq!(passed.state, pb::ApplicationState::SuperiorReview as i32);
    assert!(!passed.register_record_id.is_empty());
}

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
async fn an_upheld_objection_refuses_the_application() {
    let workflow = Workflow::start().await;
    let noticed = to_notice(&workflow, "n-u", 12, "/1/4/12/").await;
    let (_, mut neighbour) = workflow.member("n-u-neighbour", 12).await;
    let objection = raise(&mut neighbour, &noticed.public_notice_id).await;
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
