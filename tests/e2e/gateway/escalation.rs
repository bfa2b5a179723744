//! Nobody widens their own rights through role bindings: nobody grants a
//! role to themselves, a grant confers nothing the granter lacks on that
//! subtree, and administering a user (password, disabling, binding) needs
//! authority over every binding the user holds.

use relief_proto::common::v1::OrgRef;
use relief_proto::gateway::v1 as pb;
use relief_proto::ledger::v1 as ledger;
use relief_tests::GatewayOptions;
use tonic::Code;

use super::{Door, Identity, STAFF_PASSWORD};

/// The door with a superior organisation's user over both branches.
async fn door_with_superior() -> (Door, pb::User, Identity) {
    let door = Door::new(GatewayOptions::default()).await;
    let superior_org = ledger::Org {
        org_id: door.branch_a.parent_id,
        ..Default::default()
    };
    let superior = door
        .user("superior", pb::Role::SuperiorOrg, &superior_org)
        .await;
    let token = door.token("superior", STAFF_PASSWORD).await;
    let client = door.identity(&token).await;
    (door, superior, client)
}

fn grant(user_id: &str, role: pb::Role, org_id: i64) -> pb::CreateRoleBindingRequest {
    pb::CreateRoleBindingRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        role_binding: Some(pb::RoleBinding {
            user_id: user_id.to_owned(),
            role: role as i32,
            org: Some(OrgRef {
                org_id,
                ..Default::default()
            }),
            ..Default::default()
        }),
        reason: "兼任".into(),
    }
}

#[tokio::test]
async fn a_superior_organisation_may_not_grant_itself_branch_staff_on_its_own_organisation() {
    let (door, superior, mut client) = door_with_superior().await;
    let status = client
        .create_role_binding(grant(
            &superior.user_id,
            pb::Role::BranchStaff,
            door.branch_a.parent_id,
        ))
        .await
        .expect_err("branch staff reveal ID numbers");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn nobody_grants_a_role_to_themselves_even_one_they_hold() {
    let (door, superior, mut client) = door_with_superior().await;
    let status = client
        .create_role_binding(grant(
            &superior.user_id,
            pb::Role::SuperiorOrg,
            door.branch_a.org_id,
        ))
        .await
        .expect_err("a grant to oneself");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("themselves"), "{status:?}");
}

#[tokio::test]
async fn a_superior_organisation_may_not_grant_branch_staff_to_a_user_it_created() {
    let (door, _, mut client) = door_with_superior().await;
    let puppet = client
        .create_user(pb::CreateUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user: Some(pb::User {
                login_name: "puppet".into(),
                display_name: "傀儡".into(),
                ..Default::default()
            }),
            initial_password: STAFF_PASSWORD.into(),
        })
        .await
        .expect("creating a user")
        .into_inner();
    let status = client
        .create_role_binding(grant(
            &puppet.user_id,
            pb::Role::BranchStaff,
            door.branch_a.org_id,
        ))
        .await
        .expect_err("branch staff confer what the superior lacks");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn a_superior_organisation_may_not_reset_the_password_of_an_auditor_bound_in_its_subtree() {
    let (door, _, mut client) = door_with_superior().await;
    let branch_a = door.branch_a.clone();
    let auditor = door.user("inspector", pb::Role::Auditor, &branch_a).await;
    let status = client
        .set_password(pb::SetPasswordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: auditor.user_id.clone(),
            current_password: String::new(),
            new_password: "Taken-over-2026".into(),
            require_change: false,
        })
        .await
        .expect_err("taking the auditor's account over");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    door.token("inspector", STAFF_PASSWORD).await;
}

#[tokio::test]
async fn a_superior_organisation_may_not_disable_branch_staff_it_could_not_have_appointed() {
    let (door, _, mut client) = door_with_superior().await;
    let status = client
        .disable_user(pb::DisableUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: door.staff_a.user_id.clone(),
            etag: door.staff_a.etag.clone(),
            reason: "离职".into(),
        })
        .await
        .expect_err("branch staff hold rights the superior lacks");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn a_superior_organisation_may_not_bind_roles_to_users_it_does_not_administer() {
    let (door, _, mut client) = door_with_superior().await;
    let status = client
        .create_role_binding(grant(
            &door.staff_a.user_id,
            pb::Role::SuperiorOrg,
            door.branch_b.org_id,
        ))
        .await
        .expect_err("staff.a is not the superior's to administer");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let listed = client
        .list_users(pb::ListUsersRequest::default())
        .await
        .expect("list")
        .into_inner()
        .users;
    assert!(
        listed.iter().all(|user| user.login_name != "staff.a"),
        "{listed:?}"
    );
}

/// A department user who is not the bootstrap administrator.
async fn department_user(door: &Door) -> (pb::User, Identity) {
    let committee = ledger::Org {
        org_id: 1,
        ..Default::default()
    };
    let user = door.user("dept", pb::Role::Department, &committee).await;
    let token = door.token("dept", STAFF_PASSWORD).await;
    (user, door.identity(&token).await)
}

#[tokio::test]
async fn the_department_may_not_grant_itself_finance() {
    let door = Door::new(GatewayOptions::default()).await;
    let (dept, mut client) = department_user(&door).await;
    let status = client
        .create_role_binding(grant(&dept.user_id, pb::Role::Finance, 1))
        .await
        .expect_err("the budget is kept from the department");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn the_department_may_not_confer_the_budget_permission_it_lacks_on_anyone() {
    let door = Door::new(GatewayOptions::default()).await;
    let (_, mut client) = department_user(&door).await;
    let status = client
        .create_role_binding(grant(&door.staff_a.user_id, pb::Role::Finance, 1))
        .await
        .expect_err("finance confers FundsManage");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let status = client
        .create_role_binding(grant(&door.staff_a.user_id, pb::Role::Committee, 1))
        .await
        .expect_err("the committee decides, not the department");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn the_department_still_appoints_branch_staff_and_auditors() {
    let door = Door::new(GatewayOptions::default()).await;
    let (_, mut client) = department_user(&door).await;
    client
        .create_role_binding(grant(
            &door.staff_a.user_id,
            pb::Role::BranchStaff,
            door.branch_b.org_id,
        ))
        .await
        .expect("branch staff on another branch");
    client
        .create_role_binding(grant(&door.staff_a.user_id, pb::Role::Auditor, 1))
        .await
        .expect("an auditor");
}
