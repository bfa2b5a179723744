//! 公示 — public notices and their objections: started when the branch
//! approves, held by an open objection, ended by the sweep when due (the
//! row itself is the durable timer), failed by an upheld objection,
//! cancelled when the application is withdrawn during one.

use relief_proto::common::v1::Actor;
use relief_proto::workflow::v1::{ObjectionState, PublicNoticeState};
use relief_runtime::error::{Error, Result};
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

/// A public notice as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRow {
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
    pub ended_at: Option<OffsetDateTime>,
    pub state: i32,
    pub created_at: OffsetDateTime,
}

/// An objection as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ObjectionRow {
    pub objection_id: Uuid,
    pub public_notice_id: Uuid,
    pub content: String,
    pub objector_name: String,
    pub objector_contact: String,
    pub raised_by_id: String,
    pub raised_by_name: String,
    pub raised_at: OffsetDateTime,
    pub state: i32,
    pub resolution_note: String,
    pub resolved_by_id: String,
    pub resolved_by_name: String,
    pub resolved_at: Option<OffsetDateTime>,
}

/// The filters of ListPublicNotices, resolved to subtree patterns.
#[derive(Debug, Clone, Default)]
pub struct NoticeListing {
    /// Subtree path patterns the caller may see (`/1/4/%`).
    pub patterns: Vec<String>,
    /// Only notices in the subtree of this organisation.
    pub org_id: Option<i64>,
    pub state: Option<i32>,
    pub application_id: Option<Uuid>,
    /// After this notice, in the listing's order (newest first).
    pub after: Option<Uuid>,
    pub limit: i64,
}

const NOTICE_COLUMNS: &str = "public_notice_id, application_id, org_id, org_name, org_path,
    notice_text, days, day_kind, starts_at, ends_at, ended_at, state, created_at";

const OBJECTION_COLUMNS: &str = "objection_id, public_notice_id, content, objector_name,
    objector_contact, raised_by_id, raised_by_name, raised_at, state, resolution_note,
    resolved_by_id, resolved_by_name, resolved_at";

impl Store {
    /// One notice, unlocked; `NOT_FOUND` when there is none.
    pub async fn notice(conn: &mut PgConnection, public_notice_id: Uuid) -> Result<NoticeRow> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTICE_COLUMNS} FROM public_notices WHERE public_notice_id = $1"
        )))
        .bind(public_notice_id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found(format!("public notice {public_notice_id}")))
    }

    /// One notice, locked for this transaction. Lock its application first:
    /// every act locks an application before its notice, so two acts never
    /// wait on each other.
    pub async fn lock_notice(conn: &mut PgConnection, public_notice_id: Uuid) -> Result<NoticeRow> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTICE_COLUMNS} FROM public_notices WHERE public_notice_id = $1 FOR UPDATE"
        )))
        .bind(public_notice_id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found(format!("public notice {public_notice_id}")))
    }

    /// A page of notices, newest first.
    pub async fn notices(&self, listing: &NoticeListing) -> Result<Vec<NoticeRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTICE_COLUMNS} FROM public_notices
             WHERE org_path LIKE ANY($1)
               AND ($2::bigint IS NULL OR org_path LIKE '%/' || $2 || '/%')
               AND ($3::int IS NULL OR state = $3)
               AND ($4::uuid IS NULL OR application_id = $4)
               AND ($5::uuid IS NULL OR (created_at, public_notice_id) <
                    (SELECT created_at, public_notice_id FROM public_notices
                     WHERE public_notice_id = $5))
             ORDER BY created_at DESC, public_notice_id DESC LIMIT $6"
        )))
        .bind(&listing.patterns)
        .bind(listing.org_id)
        .bind(listing.state)
        .bind(listing.application_id)
        .bind(listing.after)
        .bind(listing.limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The objections of the notices, oldest first.
    pub async fn objections(
        conn: &mut PgConnection,
        public_notice_ids: &[Uuid],
    ) -> Result<Vec<ObjectionRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {OBJECTION_COLUMNS} FROM objections WHERE public_notice_id = ANY($1)
             ORDER BY raised_at, objection_id"
        )))
        .bind(public_notice_ids)
        .fetch_all(conn)
        .await?)
    }

    /// One objection, unlocked (its notice's application is locked next,
    /// then the objection is read again under that lock).
    pub async fn objection(conn: &mut PgConnection, objection_id: Uuid) -> Result<ObjectionRow> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {OBJECTION_COLUMNS} FROM objections WHERE objection_id = $1"
        )))
        .bind(objection_id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found(format!("objection {objection_id}")))
    }

    pub async fn insert_objection(tx: &mut PgConnection, row: &ObjectionRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO objections (objection_id, public_notice_id, content, objector_name,
                 objector_contact, raised_by_id, raised_by_name, raised_at, state)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(row.objection_id)
        .bind(row.public_notice_id)
        .bind(&row.content)
        .bind(&row.objector_name)
        .bind(&row.objector_contact)
        .bind(&row.raised_by_id)
        .bind(&row.raised_by_name)
        .bind(row.raised_at)
        .bind(row.state)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Writes the resolution of an objection (state, note, who, when).
    pub async fn save_resolution(tx: &mut PgConnection, row: &ObjectionRow) -> Result<()> {
        sqlx::query(
            "UPDATE objections SET state = $2, resolution_note = $3, resolved_by_id = $4,
                 resolved_by_name = $5, resolved_at = $6
             WHERE objection_id = $1",
        )
        .bind(row.objection_id)
        .bind(row.state)
        .bind(&row.resolution_note)
        .bind(&row.resolved_by_id)
        .bind(&row.resolved_by_name)
        .bind(row.resolved_at)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Closes, unheard, every objection still open against the application's
    /// notices — the notice ended otherwise and nothing is left to decide —
    /// with `note` saying why, in `actor`'s name. Answers how many.
    pub async fn close_open_objections(
        tx: &mut PgConnection,
        application_id: Uuid,
        note: &str,
        actor: &Actor,
        at: OffsetDateTime,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE objections SET state = $2, resolution_note = $3, resolved_by_id = $4,
                 resolved_by_name = $5, resolved_at = $6
             WHERE state = $7 AND public_notice_id IN
                 (SELECT public_notice_id FROM public_notices WHERE application_id = $1)",
        )
        .bind(application_id)
        .bind(ObjectionState::Closed as i32)
        .bind(note)
        .bind(&actor.user_id)
        .bind(&actor.display_name)
        .bind(at)
        .bind(ObjectionState::Open as i32)
        .execute(tx)
        .await?
        .rows_affected())
    }

    /// How many objections against the notice are still open.
    pub async fn open_objections(tx: &mut PgConnection, public_notice_id: Uuid) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM objections WHERE public_notice_id = $1 AND state = $2",
        )
        .bind(public_notice_id)
        .bind(ObjectionState::Open as i32)
        .fetch_one(tx)
        .await?)
    }

    /// Ends a running notice: PASSED or FAILED, at `at`.
    pub async fn end_notice(
        tx: &mut PgConnection,
        public_notice_id: Uuid,
        state: PublicNoticeState,
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE public_notices SET state = $2, ended_at = $3
             WHERE public_notice_id = $1 AND state = $4",
        )
        .bind(public_notice_id)
        .bind(state as i32)
        .bind(at)
        .bind(PublicNoticeState::Running as i32)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// The durable timer: running notices whose time is up at `now` and
    /// that no open objection holds, oldest end first, at most `limit`.
    /// Unlocked — each is locked and checked again by
    /// [`Store::claim_due_notice`] in its own transaction.
    pub async fn due_notices(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<NoticeRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTICE_COLUMNS} FROM public_notices n
             WHERE state = $1 AND ends_at <= $2
               AND NOT EXISTS (SELECT 1 FROM objections o
                               WHERE o.public_notice_id = n.public_notice_id AND o.state = $3)
             ORDER BY ends_at, public_notice_id LIMIT $4"
        )))
        .bind(PublicNoticeState::Running as i32)
        .bind(now)
        .bind(ObjectionState::Open as i32)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims a due notice for this transaction: its application is locked
    /// unless another transaction (another replica's sweep, a caller's act)
    /// holds it — then `None`, and the notice is left for the next round —
    /// and the notice is read again under that lock, `None` unless it is
    /// still running, due and free of open objections.
    pub async fn claim_due_notice(
        tx: &mut PgConnection,
        notice: &NoticeRow,
        now: OffsetDateTime,
    ) -> Result<Option<NoticeRow>> {
        let locked: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM applications WHERE application_id = $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(notice.application_id)
        .fetch_optional(&mut *tx)
        .await?;
        if locked.is_none() {
            return Ok(None);
        }
        let current = Self::lock_notice(&mut *tx, notice.public_notice_id).await?;
        let open = Self::open_objections(&mut *tx, notice.public_notice_id).await?;
        let due = current.state == PublicNoticeState::Running as i32
            && current.ends_at <= now
            && open == 0;
        Ok(due.then_some(current))
    }
}
