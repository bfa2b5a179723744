//! The requests that grant, revoke and list role bindings, parsed: every bad
//! field named at once.

use relief_proto::gateway::v1 as pb;
use relief_runtime::auth::Role;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::pagination::Page;
use relief_runtime::text::MAX_REASON;
use uuid::Uuid;

use super::roles;

/// A role to grant a user on an organisation node (`CreateRoleBinding`).
pub struct Grant {
    pub user_id: Uuid,
    pub role: Role,
    pub org_id: i64,
    /// Trimmed.
    pub reason: String,
}

impl TryFrom<pb::CreateRoleBindingRequest> for Grant {
    type Error = FieldViolations;

    fn try_from(request: pb::CreateRoleBindingRequest) -> Result<Self, FieldViolations> {
        let binding = request.role_binding.unwrap_or_default();
        let mut violations = FieldViolations::new();
        let user_id = ids::uuid(&binding.user_id, "role_binding.user_id", &mut violations);
        let role = pb::Role::try_from(binding.role)
            .ok()
            .and_then(roles::from_proto);
        violations.check(
            role.is_none(),
            "role_binding.role",
            "required: one of the roles",
        );
        let org_id = binding.org.as_ref().map_or(0, |org| org.org_id);
        violations.check(
            org_id <= 0,
            "role_binding.org.org_id",
            "required: the organisation the role applies on",
        );
        violations.check_line("reason", &request.reason, MAX_REASON);
        match (user_id, role) {
            (Some(user_id), Some(role)) if violations.is_empty() => Ok(Grant {
                user_id,
                role,
                org_id,
                reason: request.reason.trim().to_owned(),
            }),
            _ => Err(violations),
        }
    }
}

/// A live binding to revoke, and why (`DeleteRoleBinding`).
pub struct Revocation {
    pub role_binding_id: Uuid,
    pub reason: String,
}

impl TryFrom<pb::DeleteRoleBindingRequest> for Revocation {
    type Error = FieldViolations;

    fn try_from(request: pb::DeleteRoleBindingRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let id = ids::uuid(&request.role_binding_id, "role_binding_id", &mut violations);
        violations.check_required_line(
            "reason",
            &request.reason,
            MAX_REASON,
            "required: why the role is revoked",
        );
        match id {
            Some(role_binding_id) if violations.is_empty() => Ok(Revocation {
                role_binding_id,
                reason: request.reason,
            }),
            _ => Err(violations),
        }
    }
}

/// A page of live bindings (`ListRoleBindings`).
pub struct BindingListing {
    /// One user's bindings; a caller may always list their own.
    pub user_id: Option<Uuid>,
    /// Only bindings inside this organisation's subtree…
    pub org_id: Option<i64>,
    /// …and, with this, those on the nodes above it.
    pub include_ancestors: bool,
    pub role: Option<Role>,
    /// After the last binding of the previous page, by id.
    pub page: Page<Uuid>,
}

impl TryFrom<pb::ListRoleBindingsRequest> for BindingListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListRoleBindingsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListRoleBindings", &request, &mut violations);
        let user_id = if request.user_id.is_empty() {
            None
        } else {
            ids::uuid(&request.user_id, "user_id", &mut violations)
        };
        let org_id = ids::optional_org_id(request.org_id, "org_id", &mut violations);
        let role = roles::filter(request.role, "role", &mut violations);
        violations.then(|| BindingListing {
            user_id,
            org_id,
            include_ancestors: request.include_ancestors,
            role,
            page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_names_every_bad_field() {
        let Err(violations) = Grant::try_from(pb::CreateRoleBindingRequest {
            role_binding: Some(pb::RoleBinding {
                user_id: "someone".into(),
                ..Default::default()
            }),
            ..Default::default()
        }) else {
            panic!("accepted a bad grant");
        };
        let fields: Vec<&str> = violations.iter().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            [
                "role_binding.user_id",
                "role_binding.role",
                "role_binding.org.org_id"
            ]
        );
    }
}
