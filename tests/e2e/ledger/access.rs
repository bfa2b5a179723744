//! Who may see and change what: the subtree rule of SPEC §2, per role.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{World, create_member, id_number, record_request};

#[tokio::test]
async fn a_branch_sees_its_own_a_superior_its_subtree_and_the_committee_everything() {
    let world = World::new().await;
    let mut dept = world.department().await;
    let in_a = create_member(&mut dept, &world.branch_a, "甲", &id_number("19600101", 11)).await;
    let in_b = create_member(&mut dept, &world.branch_b, "乙", &id_number("19600101", 12)).await;
    let direct = create_member(
        &mut dept,
        &world.branch_direct,
        "丙",
        &id_number("19600101", 13),
    )
    .await;

    let mut staff_a = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let get = |id: &str| pb::GetMemberRequest {
        member_id: id.to_owned(),
        ..Default::default()
    };
    staff_a
        .get_member(get(&in_a.member_id))
        .await
        .expect("own branch");
    let denied = staff_a
        .get_member(get(&in_b.member_id))
        .await
        .expect_err("sibling branch");
    assert_eq!(denied.code(), Code::PermissionDenied);

    // Nor can it change a sibling branch's member or add a record for one.
    let mut update = in_b.clone();
    update.address = "改了".into();
    let denied = staff_a
        .update_member(pb::UpdateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(update),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["address".into()],
            }),
            reason: "越权尝试".into(),
        })
        .await
        .expect_err("sibling update");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let denied = staff_a
        .create_record(record_request(
            &in_b.member_id,
            common::HardshipCategory::Other,
            100,
        ))
        .await
        .expect_err("sibling record");
    assert_eq!(denied.code(), Code::PermissionDenied);
    // Registering into a sibling branch is refused as well.
    let denied = staff_a
        .create_member(pb::CreateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(super::member(
                &world.branch_b,
                "丁",
                &id_number("19600101", 14),
            )),
        })
        .await
        .expect_err("register into a sibling");
    assert_eq!(denied.code(), Code::PermissionDenied);

    let names = |response: pb::ListMembersResponse| {
        let mut names: Vec<String> = response.members.into_iter().map(|m| m.name).collect();
        names.sort();
        names
    };
    let list = |org_id: i64| pb::ListMembersRequest {
        org_id,
        ..Default::default()
    };
    assert_eq!(
        names(
            staff_a
                .list_members(list(0))
                .await
                .expect("own")
                .into_inner()
        ),
        vec!["甲"]
    );
    let denied = staff_a
        .list_members(list(world.branch_b.org_id))
        .await
        .expect_err("sibling list");
    assert_eq!(denied.code(), Code::PermissionDenied);
    // Asking for the whole tree narrows to what the branch may see.
    assert_eq!(
        names(
            staff_a
                .list_members(list(1))
                .await
                .expect("narrowed")
                .into_inner()
        ),
        vec!["甲"]
    );

    let mut superior = world.as_role(Role::SuperiorOrg, &world.superior).await;
    assert_eq!(
        names(
            superior
                .list_members(list(0))
                .await
                .expect("subtree")
                .into_inner()
        ),
        vec!["乙", "甲"]
    );
    let denied = superior
        .get_member(get(&direct.member_id))
        .await
        .expect_err("outside subtree");
    assert_eq!(denied.code(), Code::PermissionDenied);

    let mut committee = world
        .as_role(
            Role::Committee,
            &pb::Org {
                path: "/1/".into(),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(
        names(
            committee
                .list_members(list(0))
                .await
                .expect("all")
                .into_inner()
        ),
        vec!["丙", "乙", "甲"]
    );

    // Looking up an ID number outside one's subtree answers "not found".
    let status = staff_a
        .find_member_by_id_number(pb::FindMemberByIdNumberRequest {
            id_number: id_number("19600101", 12),
        })
        .await
        .expect_err("outside");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn roles_without_the_permission_are_refused_and_calls_without_a_token_are_unauthenticated() {
    let world = World::new().await;
    let mut dept = world.department().await;
    let member = create_member(&mut dept, &world.branch_a, "甲", &id_number("19600101", 21)).await;

    // Finance reads, but does not register.
    let mut finance = world
        .as_role(
            Role::Finance,
            &pb::Org {
                path: "/1/".into(),
                ..Default::default()
            },
        )
        .await;
    let status = finance
        .create_member(pb::CreateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(super::member(
                &world.branch_a,
                "乙",
                &id_number("19600101", 22),
            )),
        })
        .await
        .expect_err("finance registering");
    assert_eq!(status.code(), Code::PermissionDenied);
    // Only the department builds the tree.
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let status = staff
        .create_org(pb::CreateOrgRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            parent_id: world.superior.org_id,
            kind: pb::OrgKind::Branch as i32,
            name: "新支部".into(),
            unit_name: String::new(),
        })
        .await
        .expect_err("branch building the tree");
    assert_eq!(status.code(), Code::PermissionDenied);
    // Only the department recognises a row.
    let record = staff
        .create_record(record_request(
            &member.member_id,
            common::HardshipCategory::MajorIllness,
            3_000_000,
        ))
        .await
        .expect("branch adds the row")
        .into_inner();
    let status = staff
        .recognise_record(pb::RecogniseRecordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: record.record_id.clone(),
            etag: record.etag.clone(),
            comment: String::new(),
        })
        .await
        .expect_err("branch recognising");
    assert_eq!(status.code(), Code::PermissionDenied);
    // The audit trail is for auditors and the department.
    let status = staff
        .verify_audit_chain(relief_proto::common::v1::VerifyAuditChainRequest {})
        .await
        .expect_err("branch auditing");
    assert_eq!(status.code(), Code::PermissionDenied);

    let mut anonymous = relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient::new(
        relief_tests::channel(world.ledger.addr).await,
    );
    let status = anonymous
        .list_members(pb::ListMembersRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
    let mut forged = super::client(&world.ledger, "not-a-token").await;
    let status = forged
        .list_members(pb::ListMembersRequest::default())
        .await
        .expect_err("bad token");
    assert_eq!(status.code(), Code::Unauthenticated);
}
