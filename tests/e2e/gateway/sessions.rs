//! Login, token expiry, refresh rotation, logout and lockout.

use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_tests::{GatewayOptions, channel};
use tonic::Code;

use super::{Door, STAFF_PASSWORD, ledger_client};

fn login(name: &str, password: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        request_id: String::new(),
        login_name: name.to_owned(),
        password: password.to_owned(),
    }
}

#[tokio::test]
async fn access_tokens_expire_and_refresh_tokens_rotate_once() {
    let door = Door::new(GatewayOptions {
        access_ttl_seconds: 2,
        ..GatewayOptions::default()
    })
    .await;
    let mut anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    let first = anonymous
        .login(login("staff.a", STAFF_PASSWORD))
        .await
        .expect("login")
        .into_inner();
    // The door's users are ready to work (the administrator set their
    // password without the forced change; `forced_change.rs` covers it).
    assert!(!first.must_change_password);
    assert_eq!(first.role_bindings.len(), 1);
    let tokens = first.tokens.expect("tokens");

    // The token works on the ledger, then expires.
    let list = relief_proto::ledger::v1::ListMembersRequest::default();
    ledger_client(&door.gateway, &tokens.access_token)
        .await
        .list_members(list.clone())
        .await
        .expect("fresh token");
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let status = ledger_client(&door.gateway, &tokens.access_token)
        .await
        .list_members(list.clone())
        .await
        .expect_err("expired");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("expired"), "{status:?}");

    // Refreshing gives a new pair; the old refresh token is spent.
    let refresh = |token: &str| pb::RefreshRequest {
        request_id: String::new(),
        refresh_token: token.to_owned(),
    };
    let second = anonymous
        .refresh(refresh(&tokens.refresh_token))
        .await
        .expect("refresh")
        .into_inner()
        .tokens
        .expect("tokens");
    assert_ne!(second.refresh_token, tokens.refresh_token);
    assert_eq!(second.session_id, tokens.session_id, "same session");
    ledger_client(&door.gateway, &second.access_token)
        .await
        .list_members(list)
        .await
        .expect("the new access token works");
    let reused = anonymous
        .refresh(refresh(&tokens.refresh_token))
        .await
        .expect_err("reuse");
    assert_eq!(reused.code(), Code::Unauthenticated);
    // Reuse of a rotated token ends the whole session: the new one is dead too.
    let after_reuse = anonymous
        .refresh(refresh(&second.refresh_token))
        .await
        .expect_err("session ended");
    assert_eq!(after_reuse.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    let tokens = anonymous
        .login(login("staff.a", STAFF_PASSWORD))
        .await
        .expect("login")
        .into_inner()
        .tokens
        .expect("tokens");
    let out = anonymous
        .logout(pb::LogoutRequest {
            request_id: String::new(),
            refresh_token: tokens.refresh_token.clone(),
            all_sessions: false,
        })
        .await
        .expect("logout")
        .into_inner();
    assert_eq!(out.revoked_sessions, 1);
    let status = anonymous
        .refresh(pb::RefreshRequest {
            request_id: String::new(),
            refresh_token: tokens.refresh_token,
        })
        .await
        .expect_err("refresh after logout");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_every_attempt_is_logged() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    for _ in 0..3 {
        let status = anonymous
            .login(login("staff.a", "wrong-password-1"))
            .await
            .expect_err("wrong");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(status.message(), "login name or password is wrong");
    }
    // Locked now for this address: even the right password is refused —
    // answered exactly like a wrong one (it used to say "locked until …",
    // which told a stranger the account exists; see `lockout.rs`).
    let status = anonymous
        .login(login("staff.a", STAFF_PASSWORD))
        .await
        .expect_err("locked");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "login name or password is wrong");
    // An unknown name answers exactly like a wrong password.
    let status = anonymous
        .login(login("nobody", "whatever-123"))
        .await
        .expect_err("unknown");
    assert_eq!(status.message(), "login name or password is wrong");

    let pool = relief_tests::raw_pool(&door.gateway.schema).await;
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM login_events WHERE login_name = 'staff.a' ORDER BY event_id",
    )
    .fetch_all(&pool)
    .await
    .expect("login events");
    assert_eq!(
        kinds,
        vec!["failure", "failure", "failure", "locked", "refused_locked"]
    );

    // The administrator's reset unlocks it.
    let mut admin = door.identity(&door.admin_token).await;
    admin
        .set_password(pb::SetPasswordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: door.staff_a.user_id.clone(),
            current_password: String::new(),
            new_password: "Fresh-start-2027".to_owned(),
            require_change: true,
        })
        .await
        .expect("reset");
    anonymous
        .login(login("staff.a", "Fresh-start-2027"))
        .await
        .expect("unlocked by the reset");
}

#[tokio::test]
async fn passwords_follow_the_policy_and_a_branch_cannot_grant_committee_roles() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut admin = door.identity(&door.admin_token).await;
    let status = admin
        .create_user(pb::CreateUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user: Some(pb::User {
                login_name: "x".into(),
                display_name: String::new(),
                ..Default::default()
            }),
            initial_password: "short".into(),
        })
        .await
        .expect_err("bad user");
    let fields: Vec<String> = relief_runtime::error::field_violations(&status)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(
        fields,
        vec!["user.login_name", "user.display_name", "initial_password"]
    );

    // Branch staff administer nobody.
    let staff_token = door.token("staff.a", STAFF_PASSWORD).await;
    let mut staff = door.identity(&staff_token).await;
    let status = staff
        .create_role_binding(pb::CreateRoleBindingRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            role_binding: Some(pb::RoleBinding {
                user_id: door.staff_a.user_id.clone(),
                role: pb::Role::Department as i32,
                org: Some(relief_proto::common::v1::OrgRef {
                    org_id: door.branch_a.org_id,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            reason: "自我提权".into(),
        })
        .await
        .expect_err("escalation");
    assert_eq!(status.code(), Code::PermissionDenied);
    let me = staff
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .expect("whoami")
        .into_inner();
    assert_eq!(me.role_bindings.len(), 1);
    assert_eq!(me.role_bindings[0].role, pb::Role::BranchStaff as i32);
}

#[tokio::test]
async fn an_access_token_knows_its_session_and_can_end_it() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    let tokens = anonymous
        .login(login("staff.a", STAFF_PASSWORD))
        .await
        .expect("login")
        .into_inner()
        .tokens
        .expect("tokens");
    let mut me = door.identity(&tokens.access_token).await;
    let who = me
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .expect("whoami")
        .into_inner();
    assert_eq!(who.session_id, tokens.session_id);
    assert_eq!(
        who.access_token_expire_time,
        tokens.access_token_expire_time
    );

    // Logging out with just the access token ends that session, not others.
    let other = anonymous
        .login(login("staff.a", STAFF_PASSWORD))
        .await
        .expect("second login")
        .into_inner()
        .tokens
        .expect("tokens");
    let out = me
        .logout(pb::LogoutRequest::default())
        .await
        .expect("logout")
        .into_inner();
    assert_eq!(out.revoked_sessions, 1);
    let refresh = |token: &str| pb::RefreshRequest {
        request_id: String::new(),
        refresh_token: token.to_owned(),
    };
    let status = anonymous
        .refresh(refresh(&tokens.refresh_token))
        .await
        .expect_err("ended");
    assert_eq!(status.code(), Code::Unauthenticated);
    anonymous
        .refresh(refresh(&other.refresh_token))
        .await
        .expect("the other session lives");
}

#[tokio::test]
async fn a_refresh_retried_with_its_request_id_gets_the_same_answer_and_keeps_the_session() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    let first = anonymous
        .login(login("staff.a", STAFF_PASSWORD))
        .await
        .expect("login")
        .into_inner()
        .tokens
        .expect("tokens");
    let refresh = |request_id: &str, token: &str| pb::RefreshRequest {
        request_id: request_id.to_owned(),
        refresh_token: token.to_owned(),
    };
    let answer = anonymous
        .refresh(refresh("phone-retry-1", &first.refresh_token))
        .await
        .expect("refresh")
        .into_inner();
    // The answer was lost on a bad network; the client sends the same request again.
    let again = anonymous
        .refresh(refresh("phone-retry-1", &first.refresh_token))
        .await
        .expect("the retry is answered")
        .into_inner();
    assert_eq!(again, answer, "the same tokens, not new ones");
    let next = again.tokens.expect("tokens").refresh_token;
    anonymous
        .refresh(refresh("phone-retry-2", &next))
        .await
        .expect("the session lives on");
    // Without the same request id it is reuse of a spent token: the session ends.
    let status = anonymous
        .refresh(refresh("someone-else", &first.refresh_token))
        .await
        .expect_err("reuse");
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = anonymous
        .refresh(refresh("phone-retry-1", &first.refresh_token))
        .await
        .expect_err("the session is over, so is the replay");
    assert_eq!(status.code(), Code::Unauthenticated);
}
