//! 公示 — the notice as the unit sees it and as it ends: by itself when its
//! time is up (also across a restart of the service), held by an open
//! objection, failed by an upheld one, passed when the last is dismissed;
//! and on passing the member is on the ledger's register, the case its source.

use std::time::Duration;

use relief_proto::ledger::v1 as ledger;
use relief_proto::workflow::v1 as pb;
use relief_tests::{raw_pool, spawn_workflow_on};

use super::{Applications, Workflow, rid, to_notice_started};

mod objections;

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

    let Workflow {
        service, register, ..
    } = workflow;
    let schema = service.schema.clone();
    service.stop_and_wait().await.expect("stopped");
    let service = spawn_workflow_on(&schema, &register.service, |_| {}).await;
    let front = service.addr;
    let workflow = Workflow {
        service,
        register,
        front,
    };
    let mut staff = workflow.branch_colleague("/1/4/12/").await;
    let passed = after_the_notice(&mut staff, &noticed.application_id).await;
    assert_eq!(passed.state, pb::ApplicationState::SuperiorReview as i32);
    assert!(!passed.register_record_id.is_empty());
}
