//! 消息模板 and 接收设置 — the department's templates and each user's own
//! contact preferences, both versioned (etags).

use relief_proto::common::v1::Actor;
use relief_proto::notify::v1::{Channel, EventKind};
use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::Store;
use crate::domain::commands::TemplateChange;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub kind: i32,
    pub channel: i32,
    pub subject: String,
    pub body: String,
    pub sms_template_code: String,
    pub enabled: bool,
    pub version: i64,
    pub changed_by_id: String,
    pub changed_by_name: String,
    pub changed_at: OffsetDateTime,
    pub change_reason: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PreferencesRow {
    pub user_id: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub channels: Vec<i32>,
    pub version: i64,
    pub changed_by_id: String,
    pub changed_by_name: String,
    pub changed_at: OffsetDateTime,
}

const TEMPLATE_COLUMNS: &str = "kind, channel, subject, body, sms_template_code, enabled, version, changed_by_id, changed_by_name, changed_at, change_reason";

impl Store {
    pub async fn template(
        conn: &mut PgConnection,
        kind: EventKind,
        channel: Channel,
    ) -> Result<Option<TemplateRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE kind = $1 AND channel = $2"
        )))
        .bind(kind as i32)
        .bind(channel as i32)
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// The templates of one event kind, every channel.
    pub async fn templates_of(
        conn: &mut PgConnection,
        kind: EventKind,
    ) -> Result<Vec<TemplateRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE kind = $1 ORDER BY channel"
        )))
        .bind(kind as i32)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// A page of templates by kind and channel, after the key
    /// `kind * 10 + channel`.
    pub async fn templates_page(
        &self,
        kind: Option<EventKind>,
        channel: Option<Channel>,
        after: Option<i64>,
        fetch: i64,
    ) -> Result<Vec<TemplateRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates
             WHERE ($1 = 0 OR kind = $1) AND ($2 = 0 OR channel = $2) AND kind * 10 + channel > $3
             ORDER BY kind, channel LIMIT $4"
        )))
        .bind(kind.map_or(0, |k| k as i32))
        .bind(channel.map_or(0, |c| c as i32))
        .bind(after.unwrap_or(0))
        .bind(fetch)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Writes the change over the template if still at `change.version`;
    /// `None` when the etag is stale.
    pub async fn update_template(
        tx: &mut PgConnection,
        change: &TemplateChange,
        by: &Actor,
    ) -> Result<Option<TemplateRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE templates SET
                 subject = COALESCE($3, subject), body = COALESCE($4, body),
                 sms_template_code = COALESCE($5, sms_template_code), enabled = COALESCE($6, enabled),
                 version = version + 1, changed_by_id = $7, changed_by_name = $8, changed_at = now(),
                 change_reason = $9
             WHERE kind = $1 AND channel = $2 AND version = $10
             RETURNING {TEMPLATE_COLUMNS}"
        )))
        .bind(change.key.kind as i32)
        .bind(change.key.channel as i32)
        .bind(&change.subject)
        .bind(&change.body)
        .bind(&change.sms_template_code)
        .bind(change.enabled)
        .bind(&by.user_id)
        .bind(&by.display_name)
        .bind(&change.reason)
        .bind(change.version)
        .fetch_optional(&mut *tx)
        .await?)
    }

    pub async fn preferences(
        conn: &mut PgConnection,
        user_id: &str,
    ) -> Result<Option<PreferencesRow>> {
        Ok(sqlx::query_as(
            "SELECT user_id, email, mobile, channels, version, changed_by_id, changed_by_name, changed_at
             FROM preferences WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// Writes `next` if the stored row is still at `version` (0: none
    /// stored); `None` when the etag is stale.
    pub async fn save_preferences(
        tx: &mut PgConnection,
        next: &PreferencesRow,
        version: i64,
        by: &Actor,
    ) -> Result<Option<PreferencesRow>> {
        let query = if version == 0 {
            "INSERT INTO preferences (user_id, email, mobile, channels, version, changed_by_id, changed_by_name)
             VALUES ($1, $2, $3, $4, 1, $5, $6)
             ON CONFLICT (user_id) DO NOTHING
             RETURNING user_id, email, mobile, channels, version, changed_by_id, changed_by_name, changed_at"
        } else {
            "UPDATE preferences SET email = $2, mobile = $3, channels = $4, version = version + 1,
                 changed_by_id = $5, changed_by_name = $6, changed_at = now()
             WHERE user_id = $1 AND version = $7
             RETURNING user_id, email, mobile, channels, version, changed_by_id, changed_by_name, changed_at"
        };
        Ok(sqlx::query_as(query)
            .bind(&next.user_id)
            .bind(&next.email)
            .bind(&next.mobile)
            .bind(&next.channels)
            .bind(&by.user_id)
            .bind(&by.display_name)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?)
    }
}
