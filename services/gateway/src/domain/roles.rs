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
    }
}

/// Roles a superior organisation may hand out inside its own subtree; the
/// committee-wide roles are the organisation department's to grant.
const SUBTREE_GRANTABLE: [Role; 3] = [Role::Member, Role::BranchStaff, Role::SuperiorOrg];

/// Whether `caller` may grant (or revoke) `role` on the node at `path`.
pub fn may_grant(caller: &Caller, role: Role, path: &str) -> bool {
    if !caller.may(Permission::IdentityAdmin, path) {
        return false;
    }
    SUBTREE_GRANTABLE.contains(&role)
        || caller
            .roles
            .iter()
            .any(|binding| binding.role == Role::Department && path.starts_with(&binding.org_path))
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

/// Whether `caller` administers a user bound on `paths`: the department over
/// the whole tree (rooted at `committee`), or an administrator whose subtrees
/// hold every binding of the user.
pub fn may_administer<'a>(
    caller: &Caller,
    committee: &str,
    mut paths: impl ExactSizeIterator<Item = &'a str>,
) -> bool {
    caller.may(Permission::IdentityAdmin, committee)
        || (paths.len() > 0 && paths.all(|path| caller.may(Permission::IdentityAdmin, path)))
}
