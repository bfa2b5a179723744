//! Who may see and change what: the subtree rule of SPEC §2, per role.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{Client, World, all_members, create_member, id_number, record_request};

/// The small tree with one member in each branch: 甲 in branch A, 乙 in its
/// sibling B, 丙 in the branch directly under the committee.
struct MemberInEachBranch {
    world: World,
    in_a: pb::Member,
    in_b: pb::Member,
    direct: pb::Member,
}

async fn a_member_in_each_branch() -> MemberInEachBranch {
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
    MemberInEachBranch {
        world,
        in_a,
        in_b,
        direct,
    }
}

impl MemberInEachBranch {
    async fn staff_a(&self) -> Client {
        self.world
            .as_role(Role::BranchStaff, &self.world.branch_a)
            .await
    }
}

/// The whole committee, as an organisation to bind roles on.
fn committee_org() -> pb::Org {
    pb::Org {
        path: "/1/".into(),
        ..Default::default()
    }
}

fn get(id: &str) -> pb::GetMemberRequest {
    pb::GetMemberRequest {
        member_id: id.to_owned(),
        ..Default::default()
    }
}

fn list(org_id: i64) -> pb::ListMembersRequest {
    pb::ListMembersRequest {
        org_id,
        ..Default::default()
    }
}

/// The names `client` lists under `org_id` (0: wherever it may see), sorted.
async fn names(client: &mut Client, org_id: i64) -> Vec<String> {
    let mut names: Vec<String> = client
        .list_members(list(org_id))
        .await
        .expect("listing members")
        .into_inner()
        .members
        .into_iter()
        .map(|m| m.name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_branch_reads_its_own_member() {
    let tree = a_member_in_each_branch().await;
    tree.staff_a()
        .await
        .get_member(get(&tree.in_a.member_id))
        .await
        .expect("own branch");
}

#[tokio::test]
async fn a_branch_may_not_read_a_sibling_branchs_member() {
    let tree = a_member_in_each_branch().await;
    let denied = tree
        .staff_a()
        .await
        .get_member(get(&tree.in_b.member_id))
        .await
        .expect_err("sibling branch");
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_branch_may_not_change_a_sibling_branchs_member() {
    let tree = a_member_in_each_branch().await;
    let mut update = tree.in_b.clone();
    update.address = "改了".into();
    let denied = tree
        .staff_a()
        .await
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
}

#[tokio::test]
async fn a_branch_may_not_add_a_record_for_a_sibling_branchs_member() {
    let tree = a_member_in_each_branch().await;
    let denied = tree
        .staff_a()
        .await
        .create_record(record_request(
            &tree.in_b.member_id,
            common::HardshipCategory::Other,
            100,
        ))
        .await
        .expect_err("sibling record");
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_branch_may_not_register_into_a_sibling_branch() {
    let tree = a_member_in_each_branch().await;
    let denied = tree
        .staff_a()
        .await
        .create_member(pb::CreateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(super::member(
                &tree.world.branch_b,
                "丁",
                &id_number("19600101", 14),
            )),
        })
        .await
        .expect_err("register into a sibling");
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(all_members(&tree.world).await.len(), 3, "nobody registered");
}

#[tokio::test]
async fn a_branch_lists_its_own_members() {
    let tree = a_member_in_each_branch().await;
    assert_eq!(names(&mut tree.staff_a().await, 0).await, vec!["甲"]);
}

#[tokio::test]
async fn a_branch_may_not_list_a_sibling_branch() {
    let tree = a_member_in_each_branch().await;
    let denied = tree
        .staff_a()
        .await
        .list_members(list(tree.world.branch_b.org_id))
        .await
        .expect_err("sibling list");
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn asking_a_branch_for_the_whole_tree_narrows_to_what_it_may_see() {
    let tree = a_member_in_each_branch().await;
    assert_eq!(names(&mut tree.staff_a().await, 1).await, vec!["甲"]);
}

#[tokio::test]
async fn a_superior_organisation_lists_its_subtree() {
    let tree = a_member_in_each_branch().await;
    let mut superior = tree
        .world
        .as_role(Role::SuperiorOrg, &tree.world.superior)
        .await;
    assert_eq!(names(&mut superior, 0).await, vec!["乙", "甲"]);
}

#[tokio::test]
async fn a_superior_organisation_may_not_read_outside_its_subtree() {
    let tree = a_member_in_each_branch().await;
    let denied = tree
        .world
        .as_role(Role::SuperiorOrg, &tree.world.superior)
        .await
        .get_member(get(&tree.direct.member_id))
        .await
        .expect_err("outside subtree");
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn the_committee_lists_everyone() {
    let tree = a_member_in_each_branch().await;
    let mut committee = tree.world.as_role(Role::Committee, &committee_org()).await;
    assert_eq!(names(&mut committee, 0).await, vec!["丙", "乙", "甲"]);
}

#[tokio::test]
async fn an_id_number_outside_ones_subtree_is_not_found() {
    let tree = a_member_in_each_branch().await;
    let status = tree
        .staff_a()
        .await
        .find_member_by_id_number(pb::FindMemberByIdNumberRequest {
            id_number: id_number("19600101", 12),
        })
        .await
        .expect_err("outside");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn finance_does_not_register_members() {
    let world = World::new().await;
    let status = world
        .as_role(Role::Finance, &committee_org())
        .await
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
}

#[tokio::test]
async fn only_the_department_builds_the_tree() {
    let world = World::new().await;
    let status = world
        .as_role(Role::BranchStaff, &world.branch_a)
        .await
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
}

#[tokio::test]
async fn a_branch_adds_a_record_but_only_the_department_recognises_it() {
    let world = World::new().await;
    let member = create_member(
        &mut world.department().await,
        &world.branch_a,
        "甲",
        &id_number("19600101", 21),
    )
    .await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
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
}

#[tokio::test]
async fn the_audit_trail_is_for_auditors_and_the_department_not_branches() {
    let world = World::new().await;
    let status = world
        .as_role(Role::BranchStaff, &world.branch_a)
        .await
        .verify_audit_chain(relief_proto::common::v1::VerifyAuditChainRequest {})
        .await
        .expect_err("branch auditing");
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_call_without_a_token_is_unauthenticated() {
    let world = World::new().await;
    let mut anonymous = relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient::new(
        relief_tests::channel(world.ledger.addr).await,
    );
    let status = anonymous
        .list_members(pb::ListMembersRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_call_with_a_forged_token_is_unauthenticated() {
    let world = World::new().await;
    let mut forged = super::client(&world.ledger, "not-a-token").await;
    let status = forged
        .list_members(pb::ListMembersRequest::default())
        .await
        .expect_err("bad token");
    assert_eq!(status.code(), Code::Unauthenticated);
}
