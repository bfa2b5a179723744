//! Free text sent to the identity service: a control character or an
//! over-long value is refused naming its field, before any database sees it.

use relief_proto::gateway::v1 as pb;
use relief_tests::{GatewayOptions, channel};
use tonic::Code;

use super::Door;

fn fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    relief_runtime::error::field_violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

#[tokio::test]
async fn a_nul_in_a_login_name_is_refused_naming_login_name() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut anonymous =
        pb::identity_service_client::IdentityServiceClient::new(channel(door.gateway.addr).await);
    let status = anonymous
        .login(pb::LoginRequest {
            request_id: String::new(),
            login_name: "staff.a\0".into(),
            password: "whatever-it-is".into(),
        })
        .await
        .expect_err("NUL");
    assert_eq!(fields(&status), vec!["login_name"]);
}

#[tokio::test]
async fn a_nul_in_a_user_search_is_refused_naming_query() {
    let door = Door::new(GatewayOptions::default()).await;
    let status = door
        .identity(&door.admin_token)
        .await
        .list_users(pb::ListUsersRequest {
            query: "staff\0".into(),
            ..Default::default()
        })
        .await
        .expect_err("NUL");
    assert_eq!(fields(&status), vec!["query"]);
}

#[tokio::test]
async fn a_20000_character_role_binding_reason_is_refused_and_nothing_is_granted() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut admin = door.identity(&door.admin_token).await;
    let before = admin
        .list_role_bindings(pb::ListRoleBindingsRequest {
            user_id: door.staff_a.user_id.clone(),
            ..Default::default()
        })
        .await
        .expect("bindings")
        .into_inner()
        .role_bindings;
    let status = admin
        .create_role_binding(pb::CreateRoleBindingRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            role_binding: Some(pb::RoleBinding {
                user_id: door.staff_a.user_id.clone(),
                role: pb::Role::BranchStaff as i32,
                org: Some(relief_proto::common::v1::OrgRef {
                    org_id: door.branch_b.org_id,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            reason: "负责".repeat(10_000),
        })
        .await
        .expect_err("too long");
    assert_eq!(fields(&status), vec!["reason"]);
    let after = admin
        .list_role_bindings(pb::ListRoleBindingsRequest {
            user_id: door.staff_a.user_id.clone(),
            ..Default::default()
        })
        .await
        .expect("bindings")
        .into_inner()
        .role_bindings;
    assert_eq!(before.len(), after.len());
}

#[tokio::test]
async fn a_control_character_in_a_display_name_is_refused_naming_it() {
    let door = Door::new(GatewayOptions::default()).await;
    let status = door
        .identity(&door.admin_token)
        .await
        .create_user(pb::CreateUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user: Some(pb::User {
                login_name: "staff.c".into(),
                display_name: "张\u{1b}[31m三".into(),
                ..Default::default()
            }),
            initial_password: "Branch-staff-2026".into(),
        })
        .await
        .expect_err("ESC");
    assert_eq!(fields(&status), vec!["user.display_name"]);
}
