//! 站内信 and 投递记录 — a user's inbox (their own; another's for
//! operations), marking read, and the delivery log for operations.

use relief_proto::notify::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};

use super::{Notify, convert};
use crate::domain::commands::{AttemptQuery, InboxQuery, MarkRead};
use crate::store::Store;

impl Notify {
    pub(super) async fn list_inbox(
        &self,
        caller: Caller,
        query: InboxQuery,
    ) -> Result<pb::ListInboxResponse> {
        let recipient = match &query.recipient {
            Some(other) if *other != caller.user_id => {
                caller.authorize(Permission::NotifyOperate, &self.committee.path)?;
                other.clone()
            }
            _ => {
                // One's own inbox needs a role that reads one.
                caller.scopes(Permission::InboxRead)?;
                caller.user_id.clone()
            }
        };
        let page = query.page;
        let mut rows = self
            .store
            .inbox_page(
                &recipient,
                query.unread_only,
                query.kind,
                page.after,
                page.fetch(),
            )
            .await?;
        let next_page_token = page.next(&mut rows, |row| row.seq);
        let mut conn = self.store.pool().acquire().await?;
        let unread_count = Store::unread_count(&mut conn, &recipient).await?;
        Ok(pb::ListInboxResponse {
            notifications: rows.iter().map(convert::notification).collect(),
            next_page_token,
            unread_count,
        })
    }

    pub(super) async fn mark_read(
        &self,
        caller: Caller,
        command: MarkRead,
        mut work: Work,
    ) -> Result<Done<pb::MarkReadResponse>> {
        caller.scopes(Permission::InboxRead)?;
        let marked_count = match &command {
            MarkRead::All => Store::mark_read(work.tx(), &caller.user_id, None).await?,
            MarkRead::These(ids) => {
                // Another's message is as absent as one that never was.
                let foreign = Store::foreign_messages(work.tx(), &caller.user_id, ids).await?;
                if let Some(first) = foreign.first() {
                    return Err(Error::not_found(format!("notification {first}")));
                }
                Store::mark_read(work.tx(), &caller.user_id, Some(ids)).await?
            }
        };
        let unread_count = Store::unread_count(work.tx(), &caller.user_id).await?;
        Ok(work.done(pb::MarkReadResponse {
            marked_count,
            unread_count,
        }))
    }

    pub(super) async fn list_attempts(
        &self,
        caller: Caller,
        query: AttemptQuery,
    ) -> Result<pb::ListDeliveryAttemptsResponse> {
        caller.authorize(Permission::NotifyOperate, &self.committee.path)?;
        let page = query.page;
        let mut rows = self
            .store
            .attempts_page(
                query.event_id,
                query.recipient.as_deref(),
                query.channel,
                query.status,
                page.after,
                page.fetch(),
            )
            .await?;
        let next_page_token = page.next(&mut rows, |row| row.seq);
        Ok(pb::ListDeliveryAttemptsResponse {
            attempts: rows.iter().map(convert::attempt).collect(),
            next_page_token,
        })
    }
}
