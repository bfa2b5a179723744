//! Login, token expiry, refresh rotation, logout and lockout.

use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_tests::{GatewayOptions, channel};
use tonic::Code;

use super::{Door, Identity, STAFF_PASSWORD, ledger_client};

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
    assert!(
        first.must_change_password,
        "an administrator's initial password must be changed"
    );
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
    // Locked now: even the right password is refused, saying until when.
    let status = anonymous
        .login(login("staff.a", STAFF_PASSWORD))
        .await
        .expect_err("locked");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("locked"), "{status:?}");
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

/// The door with a second branch user, staff.b in branch B, and a user of
/// the superior organisation over both branches, `superior`.
struct Administered {
    door: Door,
    staff_b: pb::User,
}

async fn administered_door() -> Administered {
    let door = Door::new(GatewayOptions::default()).await;
    let branch_b = door.branch_b.clone();
    let staff_b = door.user("staff.b", pb::Role::BranchStaff, &branch_b).await;
    let superior_org = relief_proto::ledger::v1::Org {
        org_id: door.branch_a.parent_id,
        ..Default::default()
    };
    door.user("superior", pb::Role::SuperiorOrg, &superior_org)
        .await;
    Administered { door, staff_b }
}

impl Administered {
    /// The department's bootstrap administrator.
    async fn admin(&self) -> Identity {
        self.door.identity(&self.door.admin_token).await
    }

    /// The superior organisation's user, logged in.
    async fn superior(&self) -> Identity {
        let token = self.door.token("superior", STAFF_PASSWORD).await;
        self.door.identity(&token).await
    }

    /// staff.b given `role` on branch A as well (兼任).
    fn grant(&self, role: pb::Role) -> pb::CreateRoleBindingRequest {
        pb::CreateRoleBindingRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            role_binding: Some(pb::RoleBinding {
                user_id: self.staff_b.user_id.clone(),
                role: role as i32,
                org: Some(relief_proto::common::v1::OrgRef {
                    org_id: self.door.branch_a.org_id,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            reason: "兼任".into(),
        }
    }

    /// The superior organisation grants staff.b branch staff on branch A,
    /// then revokes it (调岗).
    async fn granted_and_revoked(&self) {
        let mut superior = self.superior().await;
        let second = superior
            .create_role_binding(self.grant(pb::Role::BranchStaff))
            .await
            .expect("branch role in the subtree")
            .into_inner();
        superior
            .delete_role_binding(pb::DeleteRoleBindingRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                role_binding_id: second.role_binding_id.clone(),
                reason: "调岗".into(),
            })
            .await
            .expect("revoke");
    }

    /// staff.b logs in, then the administrator disables them (离职).
    async fn staff_b_disabled(&self) -> DisabledUser {
        let mut admin = self.admin().await;
        let session = anonymous(&self.door)
            .await
            .login(login("staff.b", STAFF_PASSWORD))
            .await
            .expect("login")
            .into_inner()
            .tokens
            .expect("tokens");
        let before = admin
            .get_user(pb::GetUserRequest {
                user_id: self.staff_b.user_id.clone(),
            })
            .await
            .expect("get")
            .into_inner();
        let disabled = admin
            .disable_user(pb::DisableUserRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                user_id: self.staff_b.user_id.clone(),
                etag: before.etag.clone(),
                reason: "离职".into(),
            })
            .await
            .expect("disable")
            .into_inner();
        DisabledUser {
            session,
            before,
            disabled,
        }
    }

    /// The administrator enables staff.b again (返岗), on `etag`.
    fn enable(&self, etag: &str) -> pb::EnableUserRequest {
        pb::EnableUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: self.staff_b.user_id.clone(),
            etag: etag.to_owned(),
            reason: "返岗".into(),
        }
    }
}

/// A user disabled after logging in: the session they had, and the user
/// as read before and as answered by the disabling.
struct DisabledUser {
    session: pb::AuthTokens,
    before: pb::User,
    disabled: pb::User,
}

async fn anonymous(door: &Door) -> IdentityServiceClient<tonic::transport::Channel> {
    IdentityServiceClient::new(channel(door.gateway.addr).await)
}

#[tokio::test]
async fn the_department_lists_every_user() {
    let administered = administered_door().await;
    let all = administered
        .admin()
        .await
        .list_users(pb::ListUsersRequest::default())
        .await
        .expect("list")
        .into_inner()
        .users;
    let logins: Vec<&str> = all.iter().map(|u| u.login_name.as_str()).collect();
    assert_eq!(logins, vec!["admin", "staff.a", "staff.b", "superior"]);
}

#[tokio::test]
async fn a_superior_organisation_lists_the_users_of_its_subtree() {
    let administered = administered_door().await;
    let mine = administered
        .superior()
        .await
        .list_users(pb::ListUsersRequest {
            role: pb::Role::BranchStaff as i32,
            ..Default::default()
        })
        .await
        .expect("subtree list")
        .into_inner()
        .users;
    assert_eq!(
        mine.iter()
            .map(|u| u.login_name.as_str())
            .collect::<Vec<_>>(),
        vec!["staff.a", "staff.b"]
    );
}

#[tokio::test]
async fn a_superior_organisation_may_not_read_a_user_outside_its_subtree() {
    let administered = administered_door().await;
    let all = administered
        .admin()
        .await
        .list_users(pb::ListUsersRequest::default())
        .await
        .expect("list")
        .into_inner()
        .users;
    assert_eq!(all[0].login_name, "admin");
    let status = administered
        .superior()
        .await
        .get_user(pb::GetUserRequest {
            user_id: all[0].user_id.clone(),
        })
        .await
        .expect_err("the department's administrator is outside");
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_superior_organisation_grants_branch_roles_in_its_subtree() {
    let administered = administered_door().await;
    let second = administered
        .superior()
        .await
        .create_role_binding(administered.grant(pb::Role::BranchStaff))
        .await
        .expect("branch role in the subtree")
        .into_inner();
    assert_eq!(
        second.org.as_ref().map(|o| o.path.clone()),
        Some(administered.door.branch_a.path.clone())
    );
}

#[tokio::test]
async fn a_superior_organisation_does_not_grant_committee_roles() {
    let administered = administered_door().await;
    let status = administered
        .superior()
        .await
        .create_role_binding(administered.grant(pb::Role::Finance))
        .await
        .expect_err("committee role");
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_revoked_binding_is_no_longer_live() {
    let administered = administered_door().await;
    administered.granted_and_revoked().await;
    let bindings = administered
        .admin()
        .await
        .list_role_bindings(pb::ListRoleBindingsRequest {
            user_id: administered.staff_b.user_id.clone(),
            ..Default::default()
        })
        .await
        .expect("bindings")
        .into_inner()
        .role_bindings;
    assert_eq!(bindings.len(), 1, "only the original binding is live");
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_refuses_their_next_login() {
    let administered = administered_door().await;
    let user = administered.staff_b_disabled().await;
    assert!(!user.disabled.enabled);
    let mut anonymous = anonymous(&administered.door).await;
    let status = anonymous
        .login(login("staff.b", STAFF_PASSWORD))
        .await
        .expect_err("disabled");
    assert!(status.message().contains("disabled"), "{status:?}");
    let status = anonymous
        .refresh(pb::RefreshRequest {
            request_id: String::new(),
            refresh_token: user.session.refresh_token,
        })
        .await
        .expect_err("sessions ended");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn enabling_a_user_on_a_stale_etag_is_refused() {
    let administered = administered_door().await;
    let user = administered.staff_b_disabled().await;
    let status = administered
        .admin()
        .await
        .enable_user(administered.enable(&user.before.etag))
        .await
        .expect_err("stale etag");
    assert_eq!(status.code(), Code::Aborted);
}

#[tokio::test]
async fn an_enabled_user_logs_in_again() {
    let administered = administered_door().await;
    let user = administered.staff_b_disabled().await;
    administered
        .admin()
        .await
        .enable_user(administered.enable(&user.disabled.etag))
        .await
        .expect("enable");
    anonymous(&administered.door)
        .await
        .login(login("staff.b", STAFF_PASSWORD))
        .await
        .expect("enabled again");
}

#[tokio::test]
async fn every_identity_change_is_in_the_gateways_audit_chain_and_it_verifies() {
    let administered = administered_door().await;
    administered.granted_and_revoked().await;
    let user = administered.staff_b_disabled().await;
    administered
        .admin()
        .await
        .enable_user(administered.enable(&user.disabled.etag))
        .await
        .expect("enable");
    let door = &administered.door;
    let auditor_org = relief_proto::ledger::v1::Org {
        org_id: 1,
        ..Default::default()
    };
    door.user("auditor", pb::Role::Auditor, &auditor_org).await;
    let auditor_token = door.token("auditor", STAFF_PASSWORD).await;
    let report = door
        .identity(&auditor_token)
        .await
        .verify_audit_chain(relief_proto::common::v1::VerifyAuditChainRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(report.intact);
    assert!(report.entries_checked >= 10, "{report:?}");
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
