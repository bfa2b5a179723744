//! A request built to make a huge error answer: its answer stays small, it
//! never disturbs other callers' calls on the gateway's shared connection,
//! and a caller with no right to the method is refused before it is read.

use prost_types::FieldMask;
use relief_proto::gateway::v1 as pb;
use relief_proto::ledger::v1 as ledger;
use relief_runtime::error::{MAX_VIOLATIONS, field_violations};
use relief_tests::GatewayOptions;
use tonic::Code;

use super::{Door, STAFF_PASSWORD, ledger_client};

/// An UpdateMember whose mask names `paths`.
fn update_member(paths: Vec<String>) -> ledger::UpdateMemberRequest {
    ledger::UpdateMemberRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        member: Some(ledger::Member {
            member_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask { paths }),
        reason: "核对".into(),
    }
}

/// One path of 20,000 characters, and 150 bogus ones.
fn monstrous_masks() -> Vec<Vec<String>> {
    vec![
        vec!["x".repeat(20_000)],
        (0..150).map(|n| format!("bogus_path_{n:03}")).collect(),
    ]
}

#[tokio::test]
async fn an_answer_to_a_monstrous_mask_names_a_bounded_number_of_clipped_fields() {
    let door = Door::new(GatewayOptions::default()).await;
    let token = door.token("staff.a", STAFF_PASSWORD).await;
    let mut staff = ledger_client(&door.gateway, &token).await;
    for paths in monstrous_masks() {
        let status = staff
            .update_member(update_member(paths))
            .await
            .expect_err("no such paths");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        let violations = field_violations(&status);
        assert!(!violations.is_empty() && violations.len() <= MAX_VIOLATIONS);
        assert!(
            violations
                .iter()
                .all(|(_, description)| description.len() < 256),
            "descriptions are clipped"
        );
        assert!(
            status.details().len() + status.message().len() < 8 * 1024,
            "an answer of {} bytes",
            status.details().len() + status.message().len()
        );
    }
}

#[tokio::test]
async fn monstrous_requests_leave_other_callers_calls_on_the_shared_connection_alone() {
    let door = Door::new(GatewayOptions::default()).await;
    let token = door.token("staff.a", STAFF_PASSWORD).await;
    let staff = ledger_client(&door.gateway, &token).await;
    let admin = ledger_client(&door.gateway, &door.admin_token).await;

    let attacks = (0..6).map(|n| {
        let mut staff = staff.clone();
        let paths = monstrous_masks()[n % 2].clone();
        tokio::spawn(async move { staff.update_member(update_member(paths)).await.map(|_| ()) })
    });
    let listings = (0..40).map(|_| {
        let mut admin = admin.clone();
        tokio::spawn(async move {
            admin
                .list_orgs(ledger::ListOrgsRequest {
                    parent_id: 1,
                    ..Default::default()
                })
                .await
                .map(|_| ())
        })
    });
    let attacks: Vec<_> = attacks.collect();
    let listings: Vec<_> = listings.collect();
    for attack in attacks {
        let status = attack.await.expect("joined").expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    }
    let failed: Vec<_> = futures::future::join_all(listings)
        .await
        .into_iter()
        .filter_map(|listing| listing.expect("joined").err())
        .collect();
    assert!(
        failed.is_empty(),
        "other callers' listings failed: {failed:?}"
    );
}

#[tokio::test]
async fn a_caller_with_no_right_to_the_method_is_refused_before_the_request_is_read() {
    let door = Door::new(GatewayOptions::default()).await;
    let branch_a = door.branch_a.clone();
    door.user("ops.a", pb::Role::Operations, &branch_a).await;
    let token = door.token("ops.a", STAFF_PASSWORD).await;
    let mut operations = ledger_client(&door.gateway, &token).await;

    let status = operations
        .update_member(update_member(monstrous_masks()[1].clone()))
        .await
        .expect_err("operations keeps no register");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(
        field_violations(&status).is_empty(),
        "nothing of the request was read: {status:?}"
    );
}
