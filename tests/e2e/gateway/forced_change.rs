//! A user whose password must be changed (every new user, or after an
//! administrator's reset with `require_change`) may only change it, ask who
//! they are and log out — through the gateway and at the services directly,
//! as the token itself says so.

use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_proto::ledger::v1 as ledger;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_tests::{Bearer, GatewayOptions, channel};
use tonic::Code;
use tonic_types::StatusExt;

use super::{Door, STAFF_PASSWORD, ledger_client};

const NEW_PASSWORD: &str = "Changed-at-once-2027";

/// A door with `fresh`, a branch staff user on branch B who has not changed
/// the initial password yet, and their login's tokens.
async fn door_with_fresh_user() -> (Door, pb::User, pb::AuthTokens) {
    let door = Door::new(GatewayOptions::default()).await;
    let branch_b = door.branch_b.clone();
    let fresh = door
        .new_user("fresh", pb::Role::BranchStaff, &branch_b)
        .await;
    let answer = IdentityServiceClient::new(channel(door.gateway.addr).await)
        .login(pb::LoginRequest {
            request_id: String::new(),
            login_name: "fresh".into(),
            password: STAFF_PASSWORD.into(),
        })
        .await
        .expect("login")
        .into_inner();
    assert!(answer.must_change_password);
    (door, fresh, answer.tokens.expect("tokens"))
}

fn assert_change_required(status: &tonic::Status) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let reason = status.get_details_error_info().map(|info| info.reason);
    assert_eq!(reason.as_deref(), Some("PASSWORD_CHANGE_REQUIRED"));
}

#[tokio::test]
async fn a_user_who_must_change_their_password_is_refused_a_service_call_through_the_gateway() {
    let (door, _, tokens) = door_with_fresh_user().await;
    let status = ledger_client(&door.gateway, &tokens.access_token)
        .await
        .list_members(ledger::ListMembersRequest::default())
        .await
        .expect_err("the password first");
    assert_change_required(&status);
    let (code, body) = door
        .post(
            "relief.ledger.v1.LedgerService/ListMembers",
            &tokens.access_token,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["error"]["status"], "FAILED_PRECONDITION", "{body}");
    assert_eq!(
        body["error"]["details"][0]["reason"], "PASSWORD_CHANGE_REQUIRED",
        "{body}"
    );
}

#[tokio::test]
async fn a_user_who_must_change_their_password_is_refused_a_service_called_directly() {
    let (door, _, tokens) = door_with_fresh_user().await;
    let mut direct = LedgerServiceClient::with_interceptor(
        channel(door._ledger.addr).await,
        Bearer(tokens.access_token.clone()),
    );
    let status = direct
        .list_members(ledger::ListMembersRequest::default())
        .await
        .expect_err("the token itself says the password must change");
    assert_change_required(&status);
}

#[tokio::test]
async fn a_user_who_must_change_their_password_is_refused_other_identity_calls() {
    let (door, fresh, tokens) = door_with_fresh_user().await;
    let mut me = door.identity(&tokens.access_token).await;
    let status = me
        .get_user(pb::GetUserRequest {
            user_id: fresh.user_id.clone(),
        })
        .await
        .expect_err("not even one's own user");
    assert_change_required(&status);
    let status = me
        .list_role_bindings(pb::ListRoleBindingsRequest {
            user_id: fresh.user_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("nor one's roles");
    assert_change_required(&status);
}

#[tokio::test]
async fn a_user_who_must_change_their_password_may_ask_who_they_are_and_log_out() {
    let (door, fresh, tokens) = door_with_fresh_user().await;
    let mut me = door.identity(&tokens.access_token).await;
    let who = me
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .expect("who am I")
        .into_inner();
    assert_eq!(who.user.map(|user| user.user_id), Some(fresh.user_id));
    let out = me
        .logout(pb::LogoutRequest::default())
        .await
        .expect("logout")
        .into_inner();
    assert_eq!(out.revoked_sessions, 1);
}

#[tokio::test]
async fn a_changed_password_opens_every_call_to_the_next_token() {
    let (door, fresh, tokens) = door_with_fresh_user().await;
    door.identity(&tokens.access_token)
        .await
        .set_password(pb::SetPasswordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: fresh.user_id.clone(),
            current_password: STAFF_PASSWORD.into(),
            new_password: NEW_PASSWORD.into(),
            require_change: false,
        })
        .await
        .expect("changing one's own password");
    let renewed = IdentityServiceClient::new(channel(door.gateway.addr).await)
        .refresh(pb::RefreshRequest {
            request_id: String::new(),
            refresh_token: tokens.refresh_token.clone(),
        })
        .await
        .expect("refresh")
        .into_inner()
        .tokens
        .expect("tokens");
    ledger_client(&door.gateway, &renewed.access_token)
        .await
        .list_members(ledger::ListMembersRequest::default())
        .await
        .expect("the renewed token carries no pending change");
}

#[tokio::test]
async fn an_administrators_reset_with_require_change_closes_everything_but_the_change() {
    let door = Door::new(GatewayOptions::default()).await;
    door.identity(&door.admin_token)
        .await
        .set_password(pb::SetPasswordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: door.staff_a.user_id.clone(),
            current_password: String::new(),
            new_password: NEW_PASSWORD.into(),
            require_change: true,
        })
        .await
        .expect("reset");
    let token = door.token("staff.a", NEW_PASSWORD).await;
    let status = ledger_client(&door.gateway, &token)
        .await
        .list_members(ledger::ListMembersRequest::default())
        .await
        .expect_err("the password first");
    assert_change_required(&status);
}
