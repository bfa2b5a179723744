//! Rows of the identity store as the API shows them, in one place.

use relief_proto::common::v1 as common;
use relief_proto::gateway::v1 as pb;
use relief_runtime::auth::{Caller, Permission, Role, RoleBinding};
use relief_runtime::ids;
use relief_runtime::masking::mask_phone;
use relief_runtime::time::timestamp;
use time::OffsetDateTime;

use crate::domain::roles;
use crate::store::{BindingRow, UserRow};

pub fn user(row: &UserRow) -> pb::User {
    pb::User {
        user_id: row.user_id.to_string(),
        login_name: row.login_name.clone(),
        display_name: row.display_name.clone(),
        email: row.email.clone(),
        mobile: row.mobile.clone(),
        member_id: row.member_id.clone(),
        enabled: row.enabled,
        disabled_reason: row.disabled_reason.clone(),
        must_change_password: row.must_change_password,
        last_login_time: row.last_login_at.map(timestamp),
        password_change_time: Some(timestamp(row.password_changed_at)),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        etag: ids::etag_of(row.version),
    }
}

/// The user as `viewer` may see them: the mobile number in full only for
/// the user themself, for operations (who keep the users' contact data) and
/// for the notification service's principal (which texts them); masked for
/// everyone else (`138****5678`), as the proto says.
pub fn user_seen_by(row: &UserRow, viewer: &Caller) -> pb::User {
    let mut user = user(row);
    let own = viewer.user_id == user.user_id;
    let operations = viewer.roles.iter().any(|binding| {
        binding.role == Role::Operations || binding.role.grants(Permission::RecipientsRead)
    });
    if !own && !operations {
        user.mobile = mask_phone(&user.mobile);
    }
    user
}

pub fn binding(row: &BindingRow) -> pb::RoleBinding {
    pb::RoleBinding {
        role_binding_id: row.role_binding_id.to_string(),
        user_id: row.user_id.to_string(),
        user_display_name: row.user_display_name.clone(),
        role: row.role().map_or(pb::Role::Unspecified, roles::to_proto) as i32,
        org: Some(common::OrgRef {
            org_id: row.org_id,
            path: row.org_path.clone(),
            name: row.org_name.clone(),
        }),
        granted: Some(common::ChangeStamp {
            actor: ids::actor(&row.granted_by_id, &row.granted_by_name),
            change_time: Some(timestamp(row.granted_at)),
            reason: row.reason.clone(),
        }),
    }
}

/// A user's live bindings as the roles of their access token.
pub fn token_roles(bindings: &[BindingRow]) -> Vec<RoleBinding> {
    bindings
        .iter()
        .filter_map(|binding| {
            binding.role().map(|role| RoleBinding {
                role,
                org_path: binding.org_path.clone(),
            })
        })
        .collect()
}

/// A token expiry (seconds since the epoch) as a timestamp.
pub fn expiry(unix_seconds: u64) -> Option<prost_types::Timestamp> {
    OffsetDateTime::from_unix_timestamp(unix_seconds as i64)
        .ok()
        .map(timestamp)
}
