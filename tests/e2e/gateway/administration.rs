//! User administration: who lists, reads, grants, revokes, disables and
//! enables whom.

use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_tests::{GatewayOptions, channel};
use tonic::Code;

use super::{Door, Identity, STAFF_PASSWORD};

fn login(name: &str, password: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        request_id: String::new(),
        login_name: name.to_owned(),
        password: password.to_owned(),
    }
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

    /// The department grants staff.b branch staff on branch A, then revokes
    /// it (调岗). (The superior organisation did this before; it no longer may
    /// grant branch staff, who see what it may not — see `escalation.rs`.)
    async fn granted_and_revoked(&self) {
        let mut department = self.admin().await;
        let second = department
            .create_role_binding(self.grant(pb::Role::BranchStaff))
            .await
            .expect("branch role in the subtree")
            .into_inner();
        department
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

/// It listed every user bound in its subtree (staff.a and staff.b with
/// their e-mail and mobile); now only those it administers: branch staff
/// hold rights it could not grant.
#[tokio::test]
async fn a_superior_organisation_lists_only_the_users_it_administers() {
    let administered = administered_door().await;
    let mine = administered
        .superior()
        .await
        .list_users(pb::ListUsersRequest::default())
        .await
        .expect("subtree list")
        .into_inner()
        .users;
    assert_eq!(
        mine.iter()
            .map(|u| u.login_name.as_str())
            .collect::<Vec<_>>(),
        vec!["superior"]
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

/// It granted branch staff in its subtree; branch staff see unmasked ID
/// numbers, which it may not, so now it grants only its own role there, to
/// a user it created.
#[tokio::test]
async fn a_superior_organisation_grants_its_own_role_in_its_subtree_to_a_user_it_created() {
    let administered = administered_door().await;
    let mut superior = administered.superior().await;
    let deputy = superior
        .create_user(pb::CreateUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user: Some(pb::User {
                login_name: "deputy".into(),
                display_name: "预算科党支部 书记".into(),
                ..Default::default()
            }),
            initial_password: STAFF_PASSWORD.into(),
        })
        .await
        .expect("a superior organisation creates a user")
        .into_inner();
    let mut grant = administered.grant(pb::Role::SuperiorOrg);
    if let Some(binding) = grant.role_binding.as_mut() {
        binding.user_id = deputy.user_id.clone();
    }
    let second = superior
        .create_role_binding(grant)
        .await
        .expect("its own role in its subtree")
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
