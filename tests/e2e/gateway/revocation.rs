//! An access token stops working through the gateway — gRPC and JSON alike —
//! as soon as its session ends, not when it expires: at once on the gateway
//! that ended it, within 2 s on any other (see `services/gateway/src/ended.rs`).

use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_proto::ledger::v1 as ledger;
use relief_tests::{GatewayOptions, channel};
use tonic::Code;

use super::{Door, STAFF_PASSWORD, ledger_client};

/// The documented bound on another gateway replica; on the one that ended
/// the session the refusal is immediate, which is what these tests check
/// (each asks at once, and again after the bound, so a reload never brings
/// the session back).
const BOUND: std::time::Duration = std::time::Duration::from_secs(2);

async fn login(door: &Door, name: &str) -> pb::AuthTokens {
    IdentityServiceClient::new(channel(door.gateway.addr).await)
        .login(pb::LoginRequest {
            request_id: String::new(),
            login_name: name.into(),
            password: STAFF_PASSWORD.into(),
        })
        .await
        .expect("login")
        .into_inner()
        .tokens
        .expect("tokens")
}

/// Asserts the token refused over gRPC and over JSON, now and after the bound.
async fn assert_refused(door: &Door, token: &str) {
    for _ in 0..2 {
        let status = ledger_client(&door.gateway, token)
            .await
            .list_members(ledger::ListMembersRequest::default())
            .await
            .expect_err("an ended session's token");
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        let (code, body) = door
            .post(
                "relief.ledger.v1.LedgerService/ListMembers",
                token,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(code, 401, "{body}");
        let status = door
            .identity(token)
            .await
            .who_am_i(pb::WhoAmIRequest {})
            .await
            .expect_err("the gateway's own calls too");
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        tokio::time::sleep(BOUND + std::time::Duration::from_millis(500)).await;
    }
}

async fn assert_works(door: &Door, token: &str) {
    ledger_client(&door.gateway, token)
        .await
        .list_members(ledger::ListMembersRequest::default())
        .await
        .expect("a live session's token");
}

#[tokio::test]
async fn an_access_token_is_refused_through_the_gateway_once_its_session_is_logged_out() {
    let door = Door::new(GatewayOptions::default()).await;
    let tokens = login(&door, "staff.a").await;
    assert_works(&door, &tokens.access_token).await;
    door.identity(&tokens.access_token)
        .await
        .logout(pb::LogoutRequest::default())
        .await
        .expect("logout");
    assert_refused(&door, &tokens.access_token).await;
}

#[tokio::test]
async fn an_access_token_is_refused_through_the_gateway_once_its_user_is_disabled() {
    let door = Door::new(GatewayOptions::default()).await;
    let tokens = login(&door, "staff.a").await;
    assert_works(&door, &tokens.access_token).await;
    door.identity(&door.admin_token)
        .await
        .disable_user(pb::DisableUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: door.staff_a.user_id.clone(),
            etag: door.staff_a.etag.clone(),
            reason: "离职".into(),
        })
        .await
        .expect("disable");
    assert_refused(&door, &tokens.access_token).await;
}

#[tokio::test]
async fn logging_out_of_one_session_leaves_the_others_working() {
    let door = Door::new(GatewayOptions::default()).await;
    let ended = login(&door, "staff.a").await;
    let other = login(&door, "staff.a").await;
    door.identity(&ended.access_token)
        .await
        .logout(pb::LogoutRequest::default())
        .await
        .expect("logout");
    tokio::time::sleep(BOUND + std::time::Duration::from_millis(500)).await;
    assert_works(&door, &other.access_token).await;
}

#[tokio::test]
async fn an_access_token_is_refused_once_its_refresh_token_is_reused() {
    let door = Door::new(GatewayOptions::default()).await;
    let first = login(&door, "staff.a").await;
    let mut anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    let refresh = |token: &str| pb::RefreshRequest {
        request_id: String::new(),
        refresh_token: token.to_owned(),
    };
    let second = anonymous
        .refresh(refresh(&first.refresh_token))
        .await
        .expect("refresh")
        .into_inner()
        .tokens
        .expect("tokens");
    anonymous
        .refresh(refresh(&first.refresh_token))
        .await
        .expect_err("a stolen copy comes back");
    assert_refused(&door, &second.access_token).await;
}
