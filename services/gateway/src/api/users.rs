//! Users: created by an administrator (with an initial password to change),
//! read, listed, changed, given a new password, disabled and enabled. An
//! administrator manages only the users over every one of whose bindings
//! they have authority — they could grant each of them
//! (`domain::roles::may_administer`) — and lists only those.

use std::sync::Arc;

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
use crate::ended::EndedSessions;
use crate::store::{
    Administered, BindingRow, NewBindingRow, NewUserRow, Store, UserFilter, UserRow,
};

#[derive(Clone)]
pub(super) struct Users {
    store: Store,
    orgs: Orgs,
    /// The committee (工委), root of the organisation tree.
    committee: OrgRef,
    /// Sessions ended, whose access tokens are refused at once.
    ended: Arc<EndedSessions>,
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
    pub(super) fn new(
        store: Store,
        orgs: Orgs,
        committee: OrgRef,
        ended: Arc<EndedSessions>,
    ) -> Self {
        Users {
            store,
            orgs,
            committee,
            ended,
        }
    }

    /// Creates the first administrator when no user exists yet and a password
    /// is configured: the organisation department, finance and the committee
    /// on the committee — the one account holding every permission a role
    /// can confer, so the one that can appoint the first finance and
    /// committee users (nobody grants what they do not hold). Disable it once
    /// those exist.
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
                created_by: "bootstrap",
            },
        )
        .await?;
        for role in [Role::Department, Role::Finance, Role::Committee] {
            Store::insert_binding(
                &mut tx,
                NewBindingRow {
                    role_binding_id: Uuid::new_v4(),
                    user_id,
                    role,
                    org_id: self.committee.org_id,
                    org_path: &self.committee.path,
                    org_name: &self.committee.name,
                    granted_by_id: "bootstrap",
                    granted_by_name: "bootstrap",
                    reason: "bootstrap administrator",
                },
            )
            .await?;
        }
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
                created_by: &caller.user_id,
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
        Ok(work.done(convert::user_seen_by(&row, &caller)))
    }

    /// `GetUser`: oneself, a user one manages, or — for the notification
    /// service's principal (`RecipientsRead` over the whole tree) — anyone it
    /// must tell.
    pub(super) async fn get(&self, caller: Caller, query: UserQuery) -> Result<pb::User> {
        let mut conn = self.store.pool().acquire().await?;
        let user = if caller.user_id == query.user_id.to_string()
            || caller.may(Permission::RecipientsRead, &self.committee.path)
        {
            Store::user(&mut conn, query.user_id)
                .await?
                .ok_or_else(|| not_found(query.user_id))?
        } else {
            self.managed_user(&mut conn, &caller, query.user_id)
                .await?
                .0
        };
        Ok(convert::user_seen_by(&user, &caller))
    }

    /// `ListUsers`: the users the caller administers, narrowed to those
    /// bound inside one organisation.
    pub(super) async fn list(
        &self,
        caller: Caller,
        listing: UserListing,
    ) -> Result<pb::ListUsersResponse> {
        let scopes = caller.scopes(Permission::IdentityAdmin)?;
        let mut roots = None;
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
        let administered = Administered {
            grantable: Role::ALL
                .into_iter()
                .map(|role| (role, roles::grantable_roots(&caller, role)))
                .filter(|(_, roots)| !roots.is_empty())
                .collect(),
            all_unbound: caller.may(Permission::IdentityAdmin, &self.committee.path),
            creator: caller.user_id.clone(),
        };
        let filter = UserFilter {
            roots,
            administered,
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
            users: rows
                .iter()
                .map(|row| convert::user_seen_by(row, &caller))
                .collect(),
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
        Ok(work.done(convert::user_seen_by(&updated, &caller)))
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
        if caller.must_change_password && !own {
            return Err(Error::refused(
                "PASSWORD_CHANGE_REQUIRED",
                "change your own password before anyone else's",
            ));
        }
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
            // An administrator's reset ends every session of the user and
            // forgets their failed logins.
            self.ended
                .end(Store::revoke_all_sessions(work.tx(), user_id).await?);
            Store::clear_login_failures(work.tx(), &updated.login_name, None).await?;
        }
        let audit = serde_json::json!({ "by_self": own });
        work.audit("user.password_set", &format!("users/{user_id}"), &audit)
            .await?;
        Ok(work.done(convert::user_seen_by(&updated, &caller)))
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
        if change.enabled {
            Store::clear_login_failures(work.tx(), &updated.login_name, None).await?;
        } else {
            self.ended
                .end(Store::revoke_all_sessions(work.tx(), user_id).await?);
        }
        let action = if change.enabled {
            "user.enabled"
        } else {
            "user.disabled"
        };
        let audit = serde_json::json!({ "reason": change.reason });
        work.audit(action, &format!("users/{user_id}"), &audit)
            .await?;
        Ok(work.done(convert::user_seen_by(&updated, &caller)))
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
        if !administers(caller, &self.committee.path, &user, &bindings) {
            return Err(Error::PermissionDenied(
                "this user is outside the organisations you administer".to_owned(),
            ));
        }
        Ok((user, bindings))
    }
}

/// Whether `caller` administers `user`, who holds `bindings` (a binding of a
/// role this build does not know is administered by nobody).
pub(super) fn administers(
    caller: &Caller,
    committee: &str,
    user: &UserRow,
    bindings: &[BindingRow],
) -> bool {
    let known: Option<Vec<(Role, &str)>> = bindings
        .iter()
        .map(|binding| Some((binding.role()?, binding.org_path.as_str())))
        .collect();
    known.is_some_and(|known| {
        roles::may_administer(caller, committee, user.created_by.as_deref(), known)
    })
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
