//! Roles on the wire and who may grant them where.

use relief_proto::gateway::v1 as pb;
use relief_runtime::auth::{Caller, Permission, Role};
use relief_runtime::error::FieldViolations;

pub fn from_proto(role: pb::Role) -> Option<Role> {
    Some(match role {
        pb::Role::Member => Role::Member,
        pb::Role::BranchStaff => Role::BranchStaff,
        pb::Role::SuperiorOrg => Role::SuperiorOrg,
        pb::Role::Department => Role::Department,
        pb::Role::Committee => Role::Committee,
        pb::Role::Finance => Role::Finance,
        pb::Role::Auditor => Role::Auditor,
        pb::Role::Operations => Role::Operations,
        pb::Role::Unspecified => return None,
    })
}

pub fn to_proto(role: Role) -> pb::Role {
    match role {
        Role::Member => pb::Role::Member,
        Role::BranchStaff => pb::Role::BranchStaff,
        Role::SuperiorOrg => pb::Role::SuperiorOrg,
        Role::Department => pb::Role::Department,
        Role::Committee => pb::Role::Committee,
        Role::Finance => pb::Role::Finance,
        Role::Auditor => pb::Role::Auditor,
        Role::Operations => pb::Role::Operations,
        // Service principals' roles are never bound to a user.
        Role::Relay | Role::Notifier | Role::Reader => pb::Role::Unspecified,
    }
}

/// Whether `caller` holds `permission` on the node at `path` — or, for a
/// member's "own" permissions, the general one they are a narrow case of
/// (submitting any application covers submitting one's own).
fn holds(caller: &Caller, permission: Permission, path: &str) -> bool {
    let general = match permission {
        Permission::ApplicationSubmitOwn => Permission::ApplicationSubmit,
        Permission::ApplicationReadOwn => Permission::ApplicationRead,
        other => other,
    };
    caller.may(general, path)
}

/// Whether `caller` may grant (or revoke) `role` on the node at `path`:
/// they administer identities there, and the role confers nothing they do
/// not hold there themselves — so no grant, to anyone, widens what the
/// granter's circle can do (the department cannot make a finance user: it
/// lacks the budget; a superior organisation cannot make branch staff: it
/// lacks unmasked ID numbers). Nobody grants to themselves: the handler
/// checks that, as it knows the grantee.
pub fn may_grant(caller: &Caller, role: Role, path: &str) -> bool {
    caller.may(Permission::IdentityAdmin, path)
        && Permission::ALL
            .into_iter()
            .filter(|permission| role.grants(*permission))
            .all(|permission| holds(caller, permission, path))
}

/// The subtree roots where `caller` may grant `role`: the nodes of the
/// caller's own bindings where [`may_grant`] holds (a deeper node is
/// grantable only if one of these lies above it).
pub fn grantable_roots(caller: &Caller, role: Role) -> Vec<String> {
    let mut roots: Vec<String> = caller
        .roles
        .iter()
        .map(|binding| binding.org_path.clone())
        .filter(|path| may_grant(caller, role, path))
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// A role filter of a List request: unspecified is any role; a number that
/// names no role is recorded as bad.
pub fn filter(value: i32, field: &str, violations: &mut FieldViolations) -> Option<Role> {
    match pb::Role::try_from(value) {
        Ok(role) => from_proto(role),
        Err(_) => {
            violations.add(field, "unknown role");
            None
        }
    }
}

/// Whether `caller` administers a user holding `bindings` (role and node
/// path each) — may reset their password, disable, enable or change them,
/// and bind or unbind their roles: only with authority over every one of
/// their bindings (the caller could grant each of them), so taking over an
/// account never gives more than the caller could grant anyway. A user with
/// no binding yet is administered by whoever created them and by the
/// administrators of the whole tree (rooted at `committee`).
pub fn may_administer<'a>(
    caller: &Caller,
    committee: &str,
    created_by: Option<&str>,
    bindings: impl IntoIterator<Item = (Role, &'a str)>,
) -> bool {
    let mut bindings = bindings.into_iter().peekable();
    if bindings.peek().is_none() {
        return caller.may(Permission::IdentityAdmin, committee)
            || (created_by == Some(caller.user_id.as_str())
                && caller.scopes(Permission::IdentityAdmin).is_ok());
    }
    bindings.all(|(role, path)| may_grant(caller, role, path))
}

#[cfg(test)]
mod tests {
    use relief_runtime::auth::{Claims, RoleBinding};

    use super::*;

    fn caller(bindings: &[(Role, &str)]) -> Caller {
        Caller::from_claims(
            Claims {
                sub: "granter".into(),
                roles: bindings
                    .iter()
                    .map(|(role, org_path)| RoleBinding {
                        role: *role,
                        org_path: (*org_path).to_owned(),
                    })
                    .collect(),
                ..Claims::default()
            },
            "token",
        )
    }

    #[test]
    fn nobody_grants_what_they_do_not_hold() {
        let department = caller(&[(Role::Department, "/1/")]);
        assert!(may_grant(&department, Role::BranchStaff, "/1/4/"));
        assert!(may_grant(&department, Role::Auditor, "/1/"));
        assert!(may_grant(&department, Role::Member, "/1/4/"));
        assert!(!may_grant(&department, Role::Finance, "/1/"));
        assert!(!may_grant(&department, Role::Committee, "/1/"));
        let superior = caller(&[(Role::SuperiorOrg, "/1/4/")]);
        assert!(may_grant(&superior, Role::SuperiorOrg, "/1/4/9/"));
        assert!(!may_grant(&superior, Role::BranchStaff, "/1/4/9/"));
        assert!(!may_grant(&superior, Role::SuperiorOrg, "/1/5/"));
        let root = caller(&[
            (Role::Department, "/1/"),
            (Role::Finance, "/1/"),
            (Role::Committee, "/1/"),
        ]);
        assert!(may_grant(&root, Role::Finance, "/1/"));
        assert_eq!(grantable_roots(&root, Role::Finance), ["/1/"]);
        assert!(grantable_roots(&department, Role::Finance).is_empty());
    }

    #[test]
    fn administering_needs_authority_over_every_binding() {
        let superior = caller(&[(Role::SuperiorOrg, "/1/4/")]);
        let own_superior = [(Role::SuperiorOrg, "/1/4/9/")];
        assert!(may_administer(&superior, "/1/", None, own_superior));
        let auditor_inside = [(Role::Auditor, "/1/4/9/")];
        assert!(!may_administer(&superior, "/1/", None, auditor_inside));
        let mixed = [(Role::SuperiorOrg, "/1/4/"), (Role::SuperiorOrg, "/1/5/")];
        assert!(!may_administer(&superior, "/1/", None, mixed));
        assert!(!may_administer(&superior, "/1/", None, []));
        assert!(may_administer(&superior, "/1/", Some("granter"), []));
        let department = caller(&[(Role::Department, "/1/")]);
        assert!(may_administer(&department, "/1/", None, []));
        assert!(!may_administer(
            &department,
            "/1/",
            None,
            [(Role::Finance, "/1/")]
        ));
    }
}
