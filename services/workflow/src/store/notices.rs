//! 公示 — public notices: started when the branch approves, cancelled when
//! the application is withdrawn during one.

use relief_proto::workflow::v1::PublicNoticeState;
use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;

/// A notice to start.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub public_notice_id: Uuid,
    pub application_id: Uuid,
    pub org_id: i64,
    pub org_name: String,
    pub org_path: String,
    pub notice_text: String,
    pub days: i32,
    pub day_kind: i32,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
}

impl Store {
    pub async fn start_notice(tx: &mut PgConnection, notice: &NewNotice) -> Result<()> {
        sqlx::query(
            "INSERT INTO public_notices (public_notice_id, application_id, org_id, org_name, org_path,
                 notice_text, days, day_kind, starts_at, ends_at, state, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())",
        )
        .bind(notice.public_notice_id)
        .bind(notice.application_id)
        .bind(notice.org_id)
        .bind(&notice.org_name)
        .bind(&notice.org_path)
        .bind(&notice.notice_text)
        .bind(notice.days)
        .bind(notice.day_kind)
        .bind(notice.starts_at)
        .bind(notice.ends_at)
        .bind(PublicNoticeState::Running as i32)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Cancels the application's running notice, if any (withdrawn during it).
    pub async fn cancel_running_notice(
        tx: &mut PgConnection,
        application_id: Uuid,
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE public_notices SET state = $2, ended_at = $3
             WHERE application_id = $1 AND state = $4",
        )
        .bind(application_id)
        .bind(PublicNoticeState::Cancelled as i32)
        .bind(at)
        .bind(PublicNoticeState::Running as i32)
        .execute(tx)
        .await?;
        Ok(())
    }
}
