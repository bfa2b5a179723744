//! 帮扶情况: relief a member received, recorded on their register row by the
//! workflow service's own principal — and by nobody else.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{World, create_member, id_number, record_request};

/// A member of branch A with a record, and the record's id.
async fn a_record(world: &World) -> String {
    let mut dept = world.department().await;
    let member = create_member(
        &mut dept,
        &world.branch_a,
        "张建国",
        &id_number("19580312", 71),
    )
    .await;
    dept.create_record(record_request(
        &member.member_id,
        common::HardshipCategory::MajorIllness,
        3_600_000,
    ))
    .await
    .expect("record")
    .into_inner()
    .record_id
}

pub fn relief(record_id: &str, disbursement_id: &str, fen: i64) -> pb::RecordReliefReceivedRequest {
    pb::RecordReliefReceivedRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        record_id: record_id.to_owned(),
        year: 2025,
        relief_type: common::ReliefType::OneTimeRelief as i32,
        amount: Some(common::Money { fen }),
        voucher_number: "2025-救-007".to_owned(),
        disbursement_id: disbursement_id.to_owned(),
        received_on: Some(common::Date {
            year: 2026,
            month: 1,
            day: 20,
        }),
    }
}

#[tokio::test]
async fn the_workflow_principal_records_relief_a_member_received() {
    let world = World::new().await;
    let record_id = a_record(&world).await;
    let entry = world
        .workflow()
        .await
        .record_relief_received(relief(&record_id, "disb-1", 300_000))
        .await
        .expect("the workflow records relief received")
        .into_inner();
    assert_eq!(entry.record_id, record_id);
    assert_eq!(entry.amount.map(|m| m.fen), Some(300_000));
    assert_eq!(entry.voucher_number, "2025-救-007");
    assert_eq!(
        entry.recorded_by.map(|a| a.user_id).as_deref(),
        Some("service:workflow")
    );
}

#[tokio::test]
async fn a_retried_relief_entry_with_its_request_id_records_nothing_new() {
    let world = World::new().await;
    let record_id = a_record(&world).await;
    let mut workflow = world.workflow().await;
    let request = relief(&record_id, "disb-2", 50_000);
    let first = workflow
        .record_relief_received(request.clone())
        .await
        .expect("first")
        .into_inner();
    let again = workflow
        .record_relief_received(request)
        .await
        .expect("the same request again")
        .into_inner();
    assert_eq!(first.entry_id, again.entry_id);
}

#[tokio::test]
async fn a_second_entry_for_one_disbursement_is_refused() {
    let world = World::new().await;
    let record_id = a_record(&world).await;
    let mut workflow = world.workflow().await;
    workflow
        .record_relief_received(relief(&record_id, "disb-3", 50_000))
        .await
        .expect("first");
    let status = workflow
        .record_relief_received(relief(&record_id, "disb-3", 50_000))
        .await
        .expect_err("one disbursement, one entry");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
}

#[tokio::test]
async fn relief_received_is_refused_to_every_user_even_the_department() {
    let world = World::new().await;
    let record_id = a_record(&world).await;
    for (role, org) in [
        (Role::Department, None),
        (Role::Finance, None),
        (Role::BranchStaff, Some(&world.branch_a)),
    ] {
        let mut client = match org {
            Some(org) => world.as_role(role, org).await,
            None => world.department_as(role).await,
        };
        let status = client
            .record_relief_received(relief(&record_id, "disb-4", 50_000))
            .await
            .expect_err("users may not record relief received");
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "{role:?}: {status:?}"
        );
    }
}

#[tokio::test]
async fn relief_received_is_refused_to_another_services_principal() {
    let world = World::new().await;
    let record_id = a_record(&world).await;
    let status = world
        .funds()
        .await
        .record_relief_received(relief(&record_id, "disb-5", 50_000))
        .await
        .expect_err("only the workflow's principal");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn relief_received_on_an_unknown_record_is_not_found() {
    let world = World::new().await;
    let status = world
        .workflow()
        .await
        .record_relief_received(relief(&uuid::Uuid::new_v4().to_string(), "disb-6", 50_000))
        .await
        .expect_err("no such record");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}
