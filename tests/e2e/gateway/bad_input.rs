//! Bad input to an identity write, as a program and as a form see it: every
//! bad field named at once — the request id among them — under the stable
//! reason `INVALID_FIELDS`, and nothing written.

use relief_proto::gateway::v1 as pb;
use relief_tests::GatewayOptions;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

use super::Door;

/// Every field of this user is wrong, and so is the request id.
const BAD_FIELDS: [&str; 6] = [
    "request_id",
    "user.login_name",
    "user.display_name",
    "user.email",
    "user.mobile",
    "initial_password",
];

async fn login_names(door: &Door) -> Vec<String> {
    door.identity(&door.admin_token)
        .await
        .list_users(pb::ListUsersRequest::default())
        .await
        .expect("users")
        .into_inner()
        .users
        .into_iter()
        .map(|user| user.login_name)
        .collect()
}

#[tokio::test]
async fn a_write_with_several_bad_fields_names_every_one_with_the_reason() {
    let door = Door::new(GatewayOptions::default()).await;
    let before = login_names(&door).await;
    let status = door
        .identity(&door.admin_token)
        .await
        .create_user(pb::CreateUserRequest {
            request_id: "two words".into(),
            user: Some(pb::User {
                login_name: "x".into(),
                display_name: "  ".into(),
                email: "nowhere".into(),
                mobile: "12345".into(),
                ..Default::default()
            }),
            initial_password: "short".into(),
        })
        .await
        .expect_err("bad user");
    assert_eq!(status.code(), Code::InvalidArgument);
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "INVALID_FIELDS");
    assert_eq!(info.domain, "relief-ledger");
    assert_eq!(
        info.metadata.get("service").map(String::as_str),
        Some("gateway")
    );
    let fields: Vec<String> = relief_runtime::error::field_violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(fields, BAD_FIELDS);
    assert_eq!(login_names(&door).await, before, "nobody was created");
}

#[tokio::test]
async fn the_json_edge_answers_every_bad_field_with_400() {
    let door = Door::new(GatewayOptions::default()).await;
    let before = login_names(&door).await;
    let (status, body) = door
        .post(
            "relief.gateway.v1.IdentityService/CreateUser",
            &door.admin_token,
            json!({
                "requestId": "",
                "user": {
                    "loginName": "x",
                    "displayName": "",
                    "email": "nowhere",
                    "mobile": "12345"
                },
                "initialPassword": "short"
            }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "{body}");
    let violations = body["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|detail| detail["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .map(|detail| detail["fieldViolations"].clone())
        .unwrap_or(Value::Null);
    let fields: Vec<&str> = violations
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|violation| violation["field"].as_str())
        .collect();
    assert_eq!(fields, BAD_FIELDS, "{body}");
    // The service's own ErrorInfo reaches the JSON caller, for programs to
    // branch on.
    let info = body["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|detail| detail["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(info["reason"], "INVALID_FIELDS", "{body}");
    assert_eq!(info["domain"], "relief-ledger", "{body}");
    assert_eq!(info["metadata"]["service"], "gateway", "{body}");
    assert_eq!(login_names(&door).await, before, "nobody was created");
}

#[tokio::test]
async fn a_taken_login_name_or_a_role_held_twice_is_refused_with_its_reason() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut admin = door.identity(&door.admin_token).await;
    let reason = |status: &tonic::Status| {
        status
            .get_details_error_info()
            .map(|info| info.reason)
            .unwrap_or_default()
    };
    let status = admin
        .create_user(pb::CreateUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user: Some(pb::User {
                login_name: door.staff_a.login_name.clone(),
                display_name: "同名".into(),
                ..Default::default()
            }),
            initial_password: super::STAFF_PASSWORD.into(),
        })
        .await
        .expect_err("the login name is taken");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert_eq!(reason(&status), "LOGIN_NAME_TAKEN");

    let status = admin
        .create_role_binding(pb::CreateRoleBindingRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            role_binding: Some(pb::RoleBinding {
                user_id: door.staff_a.user_id.clone(),
                role: pb::Role::BranchStaff as i32,
                org: Some(relief_proto::common::v1::OrgRef {
                    org_id: door.branch_a.org_id,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            reason: "再次授予".into(),
        })
        .await
        .expect_err("the role is held already");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert_eq!(reason(&status), "ROLE_ALREADY_BOUND");
}
