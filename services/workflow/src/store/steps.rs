//! 办理记录 — the steps of an application, numbered from 1 in order.

use relief_proto::common::v1::Actor;
use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRow {
    pub seq: i32,
    pub action: String,
    pub from_state: i32,
    pub to_state: i32,
    pub actor_id: String,
    pub actor_name: String,
    pub at: OffsetDateTime,
    pub comment: String,
}

impl Store {
    /// Appends a step; the application's row is locked by the caller, so the
    /// numbering has no gaps and no races.
    #[allow(clippy::too_many_arguments)]
    pub async fn append_step(
        tx: &mut PgConnection,
        application_id: Uuid,
        action: &str,
        from_state: i32,
        to_state: i32,
        actor: &Actor,
        at: OffsetDateTime,
        comment: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO application_steps
                 (application_id, seq, action, from_state, to_state, actor_id, actor_name, at, comment)
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8
             FROM application_steps WHERE application_id = $1",
        )
        .bind(application_id)
        .bind(action)
        .bind(from_state)
        .bind(to_state)
        .bind(&actor.user_id)
        .bind(&actor.display_name)
        .bind(at)
        .bind(comment)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// A page of steps after `after_seq`, oldest first.
    pub async fn steps(
        &self,
        application_id: Uuid,
        after_seq: i32,
        limit: i64,
    ) -> Result<Vec<StepRow>> {
        Ok(sqlx::query_as(
            "SELECT seq, action, from_state, to_state, actor_id, actor_name, at, comment
             FROM application_steps WHERE application_id = $1 AND seq > $2
             ORDER BY seq LIMIT $3",
        )
        .bind(application_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
