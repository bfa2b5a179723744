//! Users: created by an administrator (with an initial password to change),
//! read, listed, changed, given a new password, disabled and enabled. An
//! administrator manages the users whose every binding lies in their
//! subtrees; the organisation department, everyone.

use relief_proto::common::v1::OrgRef;
use relief_proto::gateway::v1 as pb;
use relief_runtime::auth::{Caller, Permission, Role};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use relief_runtime::scope::narrow_roots;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Orgs, convert};
use crate::domain::users::{
    Enablement, NewUser, PasswordChange, UserChange, UserListing, UserQuery,
};
use crate::domain::{password, roles};
use crate::store::{BindingRow, NewBindingRow, NewUserRow, Store, UserFilter, UserRow};

#[derive(Clone)]
pub(super) struct Users {
    store: Store,
    orgs: Orgs,
    /// The committee (工委): an administrator there manages everyone.
    committee: OrgRef,
}

/// An argon2id hash, computed off the async threads.
async fn hash_password(password_text: String) -> Result<String> {
    tokio::task::spawn_blocking(move || password::hash(&password_text))
        .await
        .map_err(|err| Error::internal("hashing a password", err))?
        .map_err(|err| Error::internal("hashing a password", err))
}

fn not_found(user_id: Uuid) -> Error {
    Error::not_found(format!("user {user_id}"))
}

impl Users {
    pub(super) fn new(store: Store, orgs: Orgs, committee: OrgRef) -> Self {
        Users {
            store,
            orgs,
            committee,
        }
    }

    /// Creates the first administrator — the organisation department on the
    /// committee — when no user exists yet and a password is configured.
    pub(super) async fn bootstrap_admin(
        &self,
        login_name: &str,
        password_text: &str,
    ) -> anyhow::Result<()> {
        if password_text.is_empty() || self.store.user_count().await? > 0 {
            return Ok(());
        }
        let hash = hash_password(password_text.to_owned()).await?;
        let mut tx = self.store.begin().await?;
        let user_id = Uuid::new_v4();
        Store::insert_user(
            &mut tx,
            NewUserRow {
                user_id,
                login_name,
                display_name: "系统管理员（工委组织部）",
                email: "",
                mobile: "",
                member_id: None,
                password_hash: &hash,
                must_change_password: false,
            },
        )
        .await?;
        Store::insert_binding(
            &mut tx,
            NewBindingRow {
                role_binding_id: Uuid::new_v4(),
                user_id,
                role: Role::Department,
                org_id: self.committee.org_id,
                org_path: &self.committee.path,
                org_name: &self.committee.name,
                granted_by_id: "bootstrap",
                granted_by_name: "bootstrap",
                reason: "bootstrap administrator",
            },
        )
        .await?;
        let actor = relief_proto::common::v1::Actor {
            user_id: "bootstrap".into(),
            display_name: "bootstrap".into(),
        };
        relief_runtime::audit::append(
            &mut tx,
            &actor,
            "user.bootstrapped",
            &format!("users/{user_id}"),
            &serde_json::json!({ "login_name": login_name }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(login_name, "bootstrap administrator created");
        Ok(())
    }

    /// `CreateUser`, by anyone who administers some subtree.
    pub(super) async fn create(
        &self,
        caller: Caller,
        user: NewUser,
        mut work: Work,
    ) -> Result<Done<pb::User>> {
        caller.scopes(Permission::IdentityAdmin)?;
        let hash = hash_password(user.initial_password).await?;
        let user_id = Uuid::new_v4();
        Store::insert_user(
            work.tx(),
            NewUserRow {
                user_id,
                login_name: &user.login_name,
                display_name: &user.display_name,
                email: &user.email,
                mobile: &user.mobile,
                member_id: user.member_id.as_deref(),
                password_hash: &hash,
                must_change_password: true,
            },
        )
        .await?;
        let row = Store::user(work.tx(), user_id)
            .await?
            .ok_or_else(|| Error::internal("creating a user", "vanished in its own transaction"))?;
        let change =
            serde_json::json!({ "login_name": row.login_name, "display_name": row.display_name });
        work.audit("user.created", &format!("users/{user_id}"), &change)
            .await?;
        Ok(work.done(convert::user(&row)))
    }

    /// `GetUser`: oneself, or a user one manages.
    pub(super) async fn get(&self, caller: Caller, query: UserQuery) -> Result<pb::User> {
        let mut conn = self.store.pool().acquire().await?;
        let user = if caller.user_id == query.user_id.to_string() {
            Store::user(&mut conn, query.user_id)
                .await?
                .ok_or_else(|| not_found(query.user_id))?
        } else {
            self.managed_user(&mut conn, &caller, query.user_id)
                .await?
                .0
        };
        Ok(convert::user(&user))
    }

    /// `ListUsers`: the users bound inside the caller's subtrees (everyone,
    /// for the committee's administrators), narrowed to one organisation.
    pub(super) async fn list(
        &self,
        caller: Caller,
        listing: UserListing,
    ) -> Result<pb::ListUsersResponse> {
        let scopes = caller.scopes(Permission::IdentityAdmin)?;
        let mut roots = if caller.may(Permission::IdentityAdmin, &self.committee.path) {
            None
        } else {
            Some(scopes.clone())
        };
        if let Some(org_id) = listing.org_id {
            let org = self.orgs.get(&caller, org_id, "org_id").await?;
            let narrowed = narrow_roots(&scopes, &org.path);
            if narrowed.is_empty() {
                return Err(Error::PermissionDenied(
                    "that organisation is outside the ones you administer".to_owned(),
                ));
            }
            roots = Some(narrowed);
        }
        let filter = UserFilter {
            roots,
            role: listing.role,
            enabled: listing.enabled,
            query: listing.query,
            member_id: listing.member_id,
        };
        let mut rows = self
            .store
            .list_users(&filter, listing.page.after, listing.page.fetch())
            .await?;
        let next_page_token = listing.page.next(&mut rows, |row| row.user_id);
        Ok(pb::ListUsersResponse {
            users: rows.iter().map(convert::user).collect(),
            next_page_token,
        })
    }

    /// `UpdateUser`: the fields of the update mask, at the caller's etag.
    pub(super) async fn update(
        &self,
        caller: Caller,
        change: UserChange,
        mut work: Work,
    ) -> Result<Done<pb::User>> {
        let (current, _) = self
            .managed_user(work.tx(), &caller, change.user_id)
            .await?;
        let mut next = current;
        if change.changes("display_name") {
            next.display_name = change.display_name.clone();
        }
        if change.changes("email") {
            next.email = change.email.clone();
        }
        if change.changes("mobile") {
            next.mobile = change.mobile.clone();
        }
        if change.changes("member_id") {
            next.member_id = change.member_id.clone();
        }
        let updated = save(work.tx(), &next, change.version).await?;
        let audit = serde_json::json!({ "fields": change.fields });
        work.audit("user.updated", &format!("users/{}", change.user_id), &audit)
            .await?;
        Ok(work.done(convert::user(&updated)))
    }

    /// `SetPassword`: one's own (proven with the current password), or an
    /// administrator's reset, which unlocks the account and ends its sessions.
    pub(super) async fn set_password(
        &self,
        caller: Caller,
        change: PasswordChange,
        mut work: Work,
    ) -> Result<Done<pb::User>> {
        let user_id = change.user_id;
        let own = caller.user_id == user_id.to_string();
        let current = if own {
            Store::user(work.tx(), user_id)
                .await?
                .ok_or_else(|| not_found(user_id))?
        } else {
            self.managed_user(work.tx(), &caller, user_id).await?.0
        };
        if own {
            let stored = current.password_hash.clone();
            let given = change.current_password;
            let matches = tokio::task::spawn_blocking(move || password::verify(&given, &stored))
                .await
                .map_err(|err| Error::internal("verifying a password", err))?;
            if !matches {
                return Err(Error::invalid("current_password", "does not match"));
            }
        }
        if let Some(why) = password::policy_violation(&change.new_password, &current.login_name) {
            return Err(Error::invalid("new_password", why));
        }
        let version = current.version;
        let mut next = current;
        next.password_hash = hash_password(change.new_password).await?;
        next.password_changed_at = OffsetDateTime::now_utc();
        next.must_change_password = !own && change.require_change;
        next.failed_logins = 0;
        next.locked_until = None;
        let updated = save(work.tx(), &next, version).await?;
        if !own {
            // An administrator's reset ends every session of the user.
            Store::revoke_all_sessions(work.tx(), user_id).await?;
        }
        let audit = serde_json::json!({ "by_self": own });
        work.audit("user.password_set", &format!("users/{user_id}"), &audit)
            .await?;
        Ok(work.done(convert::user(&updated)))
    }

    /// `DisableUser` (ending every session) and `EnableUser` (clearing the
    /// lockout), at the caller's etag. Nobody disables themselves.
    pub(super) async fn set_enabled(
        &self,
        caller: Caller,
        change: Enablement,
        mut work: Work,
    ) -> Result<Done<pb::User>> {
        let user_id = change.user_id;
        let (current, _) = self.managed_user(work.tx(), &caller, user_id).await?;
        if current.user_id.to_string() == caller.user_id && !change.enabled {
            return Err(Error::refused(
                "CANNOT_DISABLE_SELF",
                "you cannot disable your own account",
            ));
        }
        let mut next = current;
        next.enabled = change.enabled;
        if change.enabled {
            next.disabled_reason = String::new();
            next.failed_logins = 0;
            next.locked_until = None;
        } else {
            next.disabled_reason = change.reason.clone();
        }
        let updated = save(work.tx(), &next, change.version).await?;
        if !change.enabled {
            Store::revoke_all_sessions(work.tx(), user_id).await?;
        }
        let action = if change.enabled {
            "user.enabled"
        } else {
            "user.disabled"
        };
        let audit = serde_json::json!({ "reason": change.reason });
        work.audit(action, &format!("users/{user_id}"), &audit)
            .await?;
        Ok(work.done(convert::user(&updated)))
    }

    /// The user, with their live bindings, if the caller manages them:
    /// `NOT_FOUND` or `PERMISSION_DENIED` otherwise.
    async fn managed_user(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        user_id: Uuid,
    ) -> Result<(UserRow, Vec<BindingRow>)> {
        let user = Store::user(conn, user_id)
            .await?
            .ok_or_else(|| not_found(user_id))?;
        let bindings = Store::bindings_of(conn, user_id).await?;
        let paths = bindings.iter().map(|binding| binding.org_path.as_str());
        if !roles::may_administer(caller, &self.committee.path, paths) {
            return Err(Error::PermissionDenied(
                "this user is outside the organisations you administer".to_owned(),
            ));
        }
        Ok((user, bindings))
    }
}

/// Writes `next` over the user if still at `version` (else `ABORTED`: the
/// etag is stale), and reads it back.
async fn save(tx: &mut PgConnection, next: &UserRow, version: i64) -> Result<UserRow> {
    let user_id = next.user_id;
    if !Store::update_user(tx, next, version).await? {
        return Err(Error::EtagMismatch(format!("user {user_id}")));
    }
    Store::user(tx, user_id)
        .await?
        .ok_or_else(|| Error::internal("updating a user", "vanished in its own transaction"))
}
