//! Role bindings: granting a role on an organisation node, revoking it, and
//! listing who holds what where. Nobody grants to themselves; a grant confers
//! nothing the granter does not hold on that subtree
//! (`domain::roles::may_grant`); and the grantee must be a user the granter
//! administers — with authority over every binding they already hold.

use relief_proto::common::v1::OrgRef;
use relief_proto::gateway::v1 as pb;
use relief_runtime::auth::{Caller, Permission, Role};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use uuid::Uuid;

use super::{Orgs, convert, users};
use crate::domain::bindings::{BindingListing, Grant, Revocation};
use crate::domain::roles;
use crate::store::{NewBindingRow, Store};

#[derive(Clone)]
pub(super) struct Bindings {
    store: Store,
    orgs: Orgs,
    /// The committee (工委), root of the organisation tree.
    committee: OrgRef,
}

impl Bindings {
    pub(super) fn new(store: Store, orgs: Orgs, committee: OrgRef) -> Self {
        Bindings {
            store,
            orgs,
            committee,
        }
    }

    /// `CreateRoleBinding`: the organisation as the ledger knows it (the
    /// caller must see it), the caller's right to grant that role there, a
    /// user who exists — linked to the register for the member role.
    pub(super) async fn grant(
        &self,
        caller: Caller,
        grant: Grant,
        mut work: Work,
    ) -> Result<Done<pb::RoleBinding>> {
        let org = self
            .orgs
            .get(&caller, grant.org_id, "role_binding.org.org_id")
            .await?;
        if !roles::may_grant(&caller, grant.role, &org.path) {
            return Err(Error::PermissionDenied(format!(
                "you may not grant {} on {}",
                grant.role, org.name
            )));
        }
        if grant.user_id.to_string() == caller.user_id {
            return Err(Error::PermissionDenied(
                "nobody grants a role to themselves".to_owned(),
            ));
        }
        let user = Store::user(work.tx(), grant.user_id)
            .await?
            .ok_or_else(|| Error::invalid("role_binding.user_id", "no such user"))?;
        let held = Store::bindings_of(work.tx(), grant.user_id).await?;
        if !users::administers(&caller, &self.committee.path, &user, &held) {
            return Err(Error::PermissionDenied(
                "this user holds roles you could not grant; you do not administer them".to_owned(),
            ));
        }
        if grant.role == Role::Member && user.member_id.is_none() {
            return Err(Error::invalid(
                "role_binding.role",
                "the member role needs the user linked to a member of the register (user.member_id)",
            ));
        }
        let role_binding_id = Uuid::new_v4();
        Store::insert_binding(
            work.tx(),
            NewBindingRow {
                role_binding_id,
                user_id: grant.user_id,
                role: grant.role,
                org_id: org.org_id,
                org_path: &org.path,
                org_name: &org.name,
                granted_by_id: &caller.user_id,
                granted_by_name: &caller.display_name,
                reason: &grant.reason,
            },
        )
        .await?;
        let row = Store::binding(work.tx(), role_binding_id)
            .await?
            .ok_or_else(|| Error::internal("granting a role", "vanished in its own transaction"))?;
        let audit = serde_json::json!({ "role": grant.role.as_str(), "org": org.path, "reason": grant.reason });
        work.audit(
            "role_binding.created",
            &format!("users/{}", grant.user_id),
            &audit,
        )
        .await?;
        Ok(work.done(convert::binding(&row)))
    }

    /// `DeleteRoleBinding`, by whoever may grant that role there.
    pub(super) async fn revoke(
        &self,
        caller: Caller,
        revocation: Revocation,
        mut work: Work,
    ) -> Result<Done<()>> {
        let id = revocation.role_binding_id;
        let binding = Store::binding(work.tx(), id)
            .await?
            .ok_or_else(|| Error::not_found(format!("role binding {id}")))?;
        let role = binding
            .role()
            .ok_or_else(|| Error::internal("revoking a role", "the stored role is unknown"))?;
        if !roles::may_grant(&caller, role, &binding.org_path) {
            return Err(Error::PermissionDenied(
                "you may not revoke this role".to_owned(),
            ));
        }
        let user = Store::user(work.tx(), binding.user_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("user {}", binding.user_id)))?;
        let held = Store::bindings_of(work.tx(), binding.user_id).await?;
        if !users::administers(&caller, &self.committee.path, &user, &held) {
            return Err(Error::PermissionDenied(
                "this user holds roles you could not grant; you do not administer them".to_owned(),
            ));
        }
        Store::revoke_binding(work.tx(), id).await?;
        let audit = serde_json::json!({ "role": role.as_str(), "org": binding.org_path, "reason": revocation.reason });
        work.audit(
            "role_binding.revoked",
            &format!("users/{}", binding.user_id),
            &audit,
        )
        .await?;
        Ok(work.done(()))
    }

    /// `ListRoleBindings`: one's own, or those inside the subtrees one
    /// administers, narrowed to an organisation (and, if asked, the nodes
    /// above it).
    pub(super) async fn list(
        &self,
        caller: Caller,
        listing: BindingListing,
    ) -> Result<pb::ListRoleBindingsResponse> {
        let own = listing
            .user_id
            .is_some_and(|id| id.to_string() == caller.user_id);
        let (roots, ancestors_of) = if own {
            (vec![self.committee.path.clone()], None)
        } else {
            // The notification service's principal reads whom to tell
            // (`RecipientsRead`); everyone else what they administer.
            let scopes = if caller.holds(Permission::RecipientsRead) {
                caller.scopes(Permission::RecipientsRead)?
            } else {
                caller.scopes(Permission::IdentityAdmin)?
            };
            match listing.org_id {
                None => (scopes, None),
                Some(org_id) => {
                    let org = self.orgs.get(&caller, org_id, "org_id").await?;
                    if !scopes
                        .iter()
                        .any(|scope| org.path.starts_with(scope.as_str()))
                    {
                        return Err(Error::PermissionDenied(
                            "that organisation is outside the ones you administer".to_owned(),
                        ));
                    }
                    let ancestors = listing.include_ancestors.then(|| org.path.clone());
                    (vec![org.path], ancestors)
                }
            }
        };
        let mut rows = self
            .store
            .list_bindings(
                &roots,
                ancestors_of.as_deref(),
                listing.user_id,
                listing.role,
                listing.page.after,
                listing.page.fetch(),
            )
            .await?;
        let next_page_token = listing.page.next(&mut rows, |row| row.role_binding_id);
        Ok(pb::ListRoleBindingsResponse {
            role_bindings: rows.iter().map(convert::binding).collect(),
            next_page_token,
        })
    }
}
