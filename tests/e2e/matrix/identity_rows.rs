//! Identity's rows (relief.gateway.v1.IdentityService, on the gateway). What
//! each needs, from SPEC §1, §8 and issue 8 item 6: logging in, refreshing and
//! logging out are open (the credentials decide, not a role); anyone signed in
//! asks who they are; users and role bindings are administered by whoever
//! holds IdentityAdmin over them — a user's every binding inside the
//! administrator's subtree. The targets are users bound as operations at a
//! branch, and bindings as superior_org there: roles whose every permission a
//! superior organisation and the department hold, so the escalation rules of
//! issue 8 never decide a cell, the subtree does.

use futures::FutureExt;
use relief_proto::common::v1 as common;
use relief_proto::gateway::v1 as pb;
use relief_runtime::auth::Permission::*;
use relief_runtime::auth::Role;

use super::fixture::LOGIN_PASSWORD;
use super::rows::{IDENTITY, Need, Row, STALE_ETAG, Scope, msg, rid};

fn mask(path: &str) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: vec![path.to_owned()],
    })
}

pub fn rows() -> Vec<Row> {
    use Need::{AnyOf, Confers, Open, SignedIn};
    use Scope::{Anywhere, Committee, Target as In};
    const ADMIN: Need = AnyOf(&[IdentityAdmin]);
    vec![
        Row::new(IDENTITY, "Login", Open, Anywhere, |f, _| {
            msg(pb::LoginRequest {
                request_id: rid(),
                login_name: f.login_name.clone(),
                password: LOGIN_PASSWORD.into(),
            })
        }),
        // No provider is configured: the refusal is about that, not the caller.
        Row::new(IDENTITY, "ExchangeToken", Open, Anywhere, |_, _| {
            msg(pb::ExchangeTokenRequest {
                request_id: rid(),
                external_token: "not-a-provider-token".into(),
            })
        }),
        Row::later(IDENTITY, "Refresh", Open, Anywhere, |f, _| {
            async move {
                msg(pb::RefreshRequest {
                    request_id: rid(),
                    refresh_token: f.fresh_refresh_token().await,
                })
            }
            .boxed()
        }),
        Row::new(IDENTITY, "Logout", SignedIn, Anywhere, |_, _| {
            msg(pb::LogoutRequest {
                request_id: rid(),
                refresh_token: String::new(),
                all_sessions: true,
            })
        }),
        Row::new(IDENTITY, "WhoAmI", SignedIn, Anywhere, |_, _| {
            msg(pb::WhoAmIRequest {})
        }),
        // A new user has no binding yet: creating one needs IdentityAdmin
        // somewhere, not over any node.
        Row::new(IDENTITY, "CreateUser", ADMIN, Anywhere, |_, _| {
            let login_name = format!(
                "matrix-new-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            );
            msg(pb::CreateUserRequest {
                request_id: rid(),
                user: Some(pb::User {
                    display_name: "矩阵新用户".into(),
                    login_name,
                    ..Default::default()
                }),
                initial_password: "Matrix-created-2026".into(),
            })
        }),
        Row::new(IDENTITY, "GetUser", ADMIN, In, |f, t| {
            msg(pb::GetUserRequest {
                user_id: f.at(t).user.user_id.clone(),
            })
        }),
        Row::new(IDENTITY, "ListUsers", ADMIN, In, |f, t| {
            msg(pb::ListUsersRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        Row::new(IDENTITY, "UpdateUser", ADMIN, In, |f, t| {
            msg(pb::UpdateUserRequest {
                request_id: rid(),
                user: Some(pb::User {
                    user_id: f.at(t).user.user_id.clone(),
                    display_name: "矩阵改名".into(),
                    etag: STALE_ETAG.into(),
                    ..Default::default()
                }),
                update_mask: mask("display_name"),
            })
        }),
        // An administrator's reset: the target user logs in nowhere here.
        Row::new(IDENTITY, "SetPassword", ADMIN, In, |f, t| {
            msg(pb::SetPasswordRequest {
                request_id: rid(),
                user_id: f.at(t).user.user_id.clone(),
                current_password: String::new(),
                new_password: "Matrix-reset-2026".into(),
                require_change: true,
            })
        }),
        // Issue 8 item 6: taking over an auditor's account would give a
        // superior organisation the audit trail and unmasked data.
        Row::new(
            IDENTITY,
            "SetPassword",
            Confers(Role::Auditor),
            In,
            |f, t| {
                msg(pb::SetPasswordRequest {
                    request_id: rid(),
                    user_id: f.at(t).auditor_user.user_id.clone(),
                    current_password: String::new(),
                    new_password: "Matrix-reset-2026".into(),
                    require_change: true,
                })
            },
        )
        .variant("user bound as auditor"),
        Row::new(IDENTITY, "DisableUser", ADMIN, In, |f, t| {
            msg(pb::DisableUserRequest {
                request_id: rid(),
                user_id: f.at(t).user.user_id.clone(),
                etag: STALE_ETAG.into(),
                reason: "矩阵测试".into(),
            })
        }),
        Row::new(IDENTITY, "EnableUser", ADMIN, In, |f, t| {
            msg(pb::EnableUserRequest {
                request_id: rid(),
                user_id: f.at(t).user.user_id.clone(),
                etag: STALE_ETAG.into(),
                reason: "矩阵测试".into(),
            })
        }),
        // The binding the user holds already: allowed, refused as a duplicate.
        Row::new(IDENTITY, "CreateRoleBinding", ADMIN, In, |f, t| {
            let branch = f.at(t);
            msg(pb::CreateRoleBindingRequest {
                request_id: rid(),
                role_binding: Some(pb::RoleBinding {
                    user_id: branch.user.user_id.clone(),
                    role: pb::Role::Operations as i32,
                    org: Some(common::OrgRef {
                        org_id: branch.org.org_id,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                reason: "矩阵测试".into(),
            })
        }),
        // Issue 8 item 6: granting branch staff confers unmasked ID numbers,
        // which a superior organisation lacks. The grantee, new for the cell,
        // is bound as operations there.
        Row::later(
            IDENTITY,
            "CreateRoleBinding",
            Confers(Role::BranchStaff),
            In,
            |f, t| {
                async move {
                    let (user_id, _) = f.fresh_user_bound_as(pb::Role::Operations, t).await;
                    msg(pb::CreateRoleBindingRequest {
                        request_id: rid(),
                        role_binding: Some(pb::RoleBinding {
                            user_id,
                            role: pb::Role::BranchStaff as i32,
                            org: Some(common::OrgRef {
                                org_id: f.at(t).org.org_id,
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        reason: "矩阵测试".into(),
                    })
                }
                .boxed()
            },
        )
        .variant("grant branch_staff"),
        // Each cell revokes a binding made for it alone.
        Row::later(IDENTITY, "DeleteRoleBinding", ADMIN, In, |f, t| {
            async move {
                let (_, binding) = f.fresh_user_bound_as(pb::Role::SuperiorOrg, t).await;
                msg(pb::DeleteRoleBindingRequest {
                    request_id: rid(),
                    role_binding_id: binding,
                    reason: "矩阵测试".into(),
                })
            }
            .boxed()
        }),
        Row::new(IDENTITY, "ListRoleBindings", ADMIN, In, |f, t| {
            msg(pb::ListRoleBindingsRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        Row::new(
            IDENTITY,
            "VerifyAuditChain",
            AnyOf(&[AuditRead]),
            Committee,
            |_, _| msg(common::VerifyAuditChainRequest {}),
        ),
        Row::new(
            IDENTITY,
            "ListAuditEntries",
            AnyOf(&[AuditRead]),
            Committee,
            |_, _| msg(common::ListAuditEntriesRequest::default()),
        ),
    ]
}
