//! 站内信 — the in-app inbox: written once per event and recipient, read and
//! marked by its owner.

use relief_proto::notify::v1::EventKind;
use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;

/// One inbox message to write.
#[derive(Debug, Clone)]
pub struct NewInboxMessage<'a> {
    pub event_id: Uuid,
    pub recipient_user_id: &'a str,
    pub kind: EventKind,
    pub org_id: i64,
    pub org_path: &'a str,
    pub org_name: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub link: &'a str,
    pub visible_at: OffsetDateTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxRow {
    pub seq: i64,
    pub notification_id: Uuid,
    pub event_id: Uuid,
    pub recipient_user_id: String,
    pub kind: i32,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub visible_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

impl Store {
    /// Writes the message unless the recipient has it already.
    pub async fn deliver_to_inbox(
        tx: &mut PgConnection,
        message: &NewInboxMessage<'_>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO inbox (notification_id, event_id, recipient_user_id, kind, org_id, org_path,
                                org_name, title, body, link, visible_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (event_id, recipient_user_id) DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(message.event_id)
        .bind(message.recipient_user_id)
        .bind(message.kind as i32)
        .bind(message.org_id)
        .bind(message.org_path)
        .bind(message.org_name)
        .bind(message.title)
        .bind(message.body)
        .bind(message.link)
        .bind(message.visible_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// A page of `recipient`'s visible messages, newest first, after `before`
    /// (a sequence number).
    pub async fn inbox_page(
        &self,
        recipient: &str,
        unread_only: bool,
        kind: Option<EventKind>,
        before: Option<i64>,
        fetch: i64,
    ) -> Result<Vec<InboxRow>> {
        Ok(sqlx::query_as(
            "SELECT seq, notification_id, event_id, recipient_user_id, kind, org_id, org_path, org_name,
                    title, body, link, visible_at, read_at
             FROM inbox
             WHERE recipient_user_id = $1 AND visible_at <= now()
               AND (NOT $2 OR read_at IS NULL)
               AND ($3 = 0 OR kind = $3)
               AND ($4::bigint IS NULL OR seq < $4)
             ORDER BY seq DESC
             LIMIT $5",
        )
        .bind(recipient)
        .bind(unread_only)
        .bind(kind.map_or(0, |kind| kind as i32))
        .bind(before)
        .bind(fetch)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many visible messages `recipient` has not read.
    pub async fn unread_count(conn: &mut PgConnection, recipient: &str) -> Result<i32> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM inbox WHERE recipient_user_id = $1 AND read_at IS NULL AND visible_at <= now()",
        )
        .bind(recipient)
        .fetch_one(&mut *conn)
        .await?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// Marks `recipient`'s messages read (`None`: all of them); how many
    /// changed. Messages of others are never touched.
    pub async fn mark_read(
        tx: &mut PgConnection,
        recipient: &str,
        ids: Option<&[Uuid]>,
    ) -> Result<i32> {
        let changed = sqlx::query(
            "UPDATE inbox SET read_at = now()
             WHERE recipient_user_id = $1 AND read_at IS NULL AND visible_at <= now()
               AND ($2::uuid[] IS NULL OR notification_id = ANY($2))",
        )
        .bind(recipient)
        .bind(ids)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Ok(i32::try_from(changed).unwrap_or(i32::MAX))
    }

    /// Which of `ids` are not messages of `recipient`.
    pub async fn foreign_messages(
        tx: &mut PgConnection,
        recipient: &str,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM unnest($2::uuid[]) AS id
             WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE notification_id = id AND recipient_user_id = $1)",
        )
        .bind(recipient)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?)
    }
}
