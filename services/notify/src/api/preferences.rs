//! 联系方式与接收设置 — a user's addresses and channels: the identity
//! record's e-mail and mobile unless the user set their own here; every
//! channel on until they choose. Users change their own; operations read
//! anyone's.

use relief_proto::notify::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use time::OffsetDateTime;

use super::{Notify, convert};
use crate::domain::commands::{PreferencesChange, PreferencesQuery};
use crate::store::{PreferencesRow, Store};

impl Notify {
    /// The stored row, or the defaults (version 0) for a user who chose
    /// nothing yet; with the addresses that apply.
    async fn effective(
        &self,
        conn: &mut sqlx::PgConnection,
        user_id: &str,
    ) -> Result<(PreferencesRow, String, String)> {
        let stored = Store::preferences(conn, user_id).await?;
        let person = self.directory.person(user_id).await?;
        let (email, mobile) = person.map(|p| (p.email, p.mobile)).unwrap_or_default();
        let row = stored.unwrap_or_else(|| PreferencesRow {
            user_id: user_id.to_owned(),
            email: None,
            mobile: None,
            channels: vec![pb::Channel::Email as i32, pb::Channel::Sms as i32],
            version: 0,
            changed_by_id: String::new(),
            changed_by_name: String::new(),
            changed_at: OffsetDateTime::UNIX_EPOCH,
        });
        let email = row.email.clone().unwrap_or(email);
        let mobile = row.mobile.clone().unwrap_or(mobile);
        Ok((row, email, mobile))
    }

    pub(super) async fn get_preferences(
        &self,
        caller: Caller,
        query: PreferencesQuery,
    ) -> Result<pb::ContactPreferences> {
        let user_id = match query.user_id {
            Some(other) if other != caller.user_id => {
                caller.authorize(Permission::NotifyOperate, &self.committee.path)?;
                other
            }
            _ => caller.user_id.clone(),
        };
        let mut conn = self.store.pool().acquire().await?;
        let (row, email, mobile) = self.effective(&mut conn, &user_id).await?;
        Ok(convert::preferences(&row, &email, &mobile, true))
    }

    pub(super) async fn update_preferences(
        &self,
        caller: Caller,
        change: PreferencesChange,
        mut work: Work,
    ) -> Result<Done<pb::ContactPreferences>> {
        if change
            .user_id
            .as_ref()
            .is_some_and(|id| *id != caller.user_id)
        {
            return Err(Error::PermissionDenied(
                "users change their own contact preferences only".to_owned(),
            ));
        }
        caller.scopes(Permission::InboxRead)?;
        let user_id = caller.user_id.clone();
        let (current, _, _) = self.effective(work.tx(), &user_id).await?;
        let mut next = current.clone();
        if let Some(email) = &change.email {
            next.email = Some(email.clone());
        }
        if let Some(mobile) = &change.mobile {
            next.mobile = Some(mobile.clone());
        }
        if let Some(channels) = &change.channels {
            next.channels = channels
                .iter()
                .filter(|c| **c != pb::Channel::Inbox)
                .map(|c| *c as i32)
                .collect();
        }
        let actor = work.actor().clone();
        let saved = Store::save_preferences(work.tx(), &next, change.version, &actor)
            .await?
            .ok_or_else(|| Error::EtagMismatch(format!("the contact preferences of {user_id}")))?;
        work.audit(
            "preferences.updated",
            &format!("preferences/{user_id}"),
            &serde_json::json!({
                "email_changed": change.email.is_some(),
                "mobile_changed": change.mobile.is_some(),
                "channels": saved.channels,
            }),
        )
        .await?;
        let (row, email, mobile) = self.effective(work.tx(), &user_id).await?;
        Ok(work.done(convert::preferences(&row, &email, &mobile, true)))
    }
}
