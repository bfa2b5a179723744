//! 公示通过 — a notice whose days are over with no objection open passes:
//! the member goes on the register (the ledger), the notice is PASSED and
//! the application moves on to the superior review, or straight to the
//! committee for a branch directly under it.
//!
//! The sweep does this by itself (the durable timer: the notice row, read
//! every round, so a restart loses nothing); a dismissal that frees a notice
//! already due does it at once. The ledger is asked first, inside the
//! transaction that passes the notice: if it does not answer, nothing is
//! committed and the notice stays due for the next round. Its calls are
//! idempotent by the notice, so a pass whose commit failed after the ledger
//! answered registers nothing twice.

use relief_proto::workflow::v1::PublicNoticeState;
use relief_runtime::error::Result;
use relief_runtime::rpc::Work;
use relief_runtime::time::BEIJING;
use time::OffsetDateTime;

use super::super::convert::household_aad;
use super::super::{WorkflowApi, flow, system_actor};
use crate::domain::household::Household;
use crate::domain::state::Act;
use crate::register::RecordEntry;
use crate::store::{ApplicationRow, NoticeRow, Store};

/// Notices passed per round at most; the rest wait for the next.
const BATCH: i64 = 100;

impl WorkflowApi {
    /// One round of the sweep: passes every due notice, each in its own
    /// transaction, so one that fails (the ledger away) holds up no other.
    /// Answers how many passed.
    pub async fn pass_due_notices(&self) -> Result<usize> {
        let now = OffsetDateTime::now_utc();
        let due = self.store.due_notices(now, BATCH).await?;
        let mut passed = 0;
        for notice in &due {
            match self.pass_due(notice, now).await {
                Ok(true) => passed += 1,
                Ok(false) => {}
                Err(err) => tracing::warn!(
                    public_notice_id = %notice.public_notice_id,
                    error = %err,
                    "a due public notice did not pass; it is tried again next round"
                ),
            }
        }
        Ok(passed)
    }

    /// Passes one due notice unless another transaction holds its
    /// application (another replica's sweep, a caller's act) or it is no
    /// longer due; answers whether it passed.
    async fn pass_due(&self, seen: &NoticeRow, now: OffsetDateTime) -> Result<bool> {
        let mut work = Work::unattended(
            self.rpc.pool(),
            format!("public-notice-{}-passed", seen.public_notice_id),
            system_actor("公示期满"),
        )
        .await?;
        // Dropping `work` unclaimed rolls back: nothing was written.
        let Some(notice) = Store::claim_due_notice(work.tx(), seen, now).await? else {
            return Ok(false);
        };
        let mut app = Store::lock_application(work.tx(), notice.application_id).await?;
        self.pass(&mut work, &mut app, &notice, now, "公示期满，无异议")
            .await?;
        Store::save_application(work.tx(), &app).await?;
        work.commit().await?;
        tracing::info!(
            public_notice_id = %notice.public_notice_id,
            application_id = %app.application_id,
            "public notice passed"
        );
        Ok(true)
    }

    /// The register's record for a caller's act that frees a due notice,
    /// asked before the act writes anything: `None` when the ledger does not
    /// answer — the act still stands and the sweep passes the notice later.
    ///
    /// Before, because the ledger's write appends to its audit chain under
    /// the same database-wide advisory lock as ours: a transaction that has
    /// audited already and then waits for the ledger would wait on itself.
    pub(in crate::api) async fn register_before_passing(
        &self,
        app: &ApplicationRow,
        notice: &NoticeRow,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let entry = self.record_entry(app, notice, now)?;
        match self.register.register_hardship(&entry).await {
            Ok(record_id) => Ok(Some(record_id)),
            Err(err) => {
                tracing::warn!(
                    public_notice_id = %notice.public_notice_id,
                    error = %err,
                    "the register did not answer; the sweep passes the notice later"
                );
                Ok(None)
            }
        }
    }

    /// Passes the locked `notice` of the locked `app` (saved by the caller):
    /// the register first — nothing is written yet, see
    /// [`WorkflowApi::register_before_passing`] — then the notice and the
    /// application.
    async fn pass(
        &self,
        work: &mut Work,
        app: &mut ApplicationRow,
        notice: &NoticeRow,
        now: OffsetDateTime,
        comment: &str,
    ) -> Result<()> {
        let entry = self.record_entry(app, notice, now)?;
        let record_id = self.register.register_hardship(&entry).await?;
        self.passed(work, app, notice, record_id, now, comment)
            .await
    }

    /// Records the pass of the locked `notice`, the member on the register
    /// as `record_id`.
    pub(in crate::api) async fn passed(
        &self,
        work: &mut Work,
        app: &mut ApplicationRow,
        notice: &NoticeRow,
        record_id: String,
        now: OffsetDateTime,
        comment: &str,
    ) -> Result<()> {
        app.register_record_id = record_id;
        let settings = Store::flow_settings(work.tx()).await?;
        let skip_superior = app.skips_superior_review();
        flow::advance(
            work,
            app,
            Act::NoticePassed { skip_superior },
            comment,
            &settings,
            now,
        )
        .await?;
        Store::end_notice(
            work.tx(),
            notice.public_notice_id,
            PublicNoticeState::Passed,
            now,
        )
        .await
    }

    /// What the register is told: the case's claim, on the register from
    /// the day the notice ended (a stable value, so a retried call is the
    /// same call).
    fn record_entry(
        &self,
        app: &ApplicationRow,
        notice: &NoticeRow,
        now: OffsetDateTime,
    ) -> Result<RecordEntry> {
        let household: Household = self
            .sealer
            .open(&household_aad(app), &app.household_sealed)?;
        Ok(RecordEntry {
            public_notice_id: notice.public_notice_id,
            application_id: app.application_id,
            member_id: app.member_id,
            category: app.hardship_category,
            description: app.description.clone(),
            household_size: household.size,
            annual_household_income_fen: household.annual_income_fen,
            since: notice.ends_at.min(now).to_offset(BEIJING).date(),
        })
    }
}
