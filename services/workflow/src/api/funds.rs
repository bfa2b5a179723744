//! 资金拨付与发放 (measures §四.5): the funds service reports each milestone of
//! an approved case — allocated to the unit's organisation, paid to the
//! member, the signed receipt recorded — and the case follows. Only the funds
//! service's own principal may (the gate). Events arrive at least once and
//! in order; a replayed event (same request id) answers as before, and a
//! stage the case has reached already is acknowledged without a change, so
//! funds' outbox never retries a duplicate forever.
//!
//! On the receipt the member's register row gets the relief received
//! (帮扶情况) through the ledger before the case moves: when the ledger
//! cannot be written the event is refused and funds delivers it again.

use relief_proto::common::v1::ReliefType;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Caller;
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};

use super::{WorkflowApi, flow};
use crate::domain::committee::Progress;
use crate::domain::state::{self, Act, State};
use crate::register::ReliefReceived;
use crate::store::{ApplicationRow, Store};

/// Refused because the event names another allocation than the case's.
pub const ALLOCATION_MISMATCH: &str = "ALLOCATION_MISMATCH";

/// How far along the funds path a state is: approved 0, allocated 1,
/// disbursed 2, receipted 3; `None` off the path.
fn reached(state: State) -> Option<i32> {
    match state {
        State::Approved => Some(0),
        State::FundsAllocated => Some(1),
        State::Disbursed => Some(2),
        State::Receipted => Some(3),
        _ => None,
    }
}

impl WorkflowApi {
    pub(super) async fn funds_progress(
        &self,
        request: Request<pb::RecordFundsProgressRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.rpc
            .write(
                "RecordFundsProgress",
                request,
                |caller, progress: Progress, work| self.progress(caller, progress, work),
            )
            .await
    }

    async fn progress(
        &self,
        _caller: Caller,
        progress: Progress,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        // No etag: funds reports what happened; the row lock orders it.
        let mut row = Store::lock_application(work.tx(), progress.application_id).await?;
        let current = state::from_stored(row.state)?;
        let target = progress.stage as i32;
        let Some(at) = reached(current) else {
            return Err(Error::refused(
                state::WRONG_STATE,
                format!(
                    "funds reports {} for application {}, which is {} — not approved by the committee",
                    progress.stage.as_str_name(),
                    row.application_id,
                    state::name(current)
                ),
            ));
        };
        if at >= target {
            tracing::info!(
                application_id = %row.application_id,
                stage = progress.stage.as_str_name(),
                "funds milestone already recorded; acknowledged"
            );
            let answer = self.answer(&mut work, &row).await?;
            return Ok(work.done(answer));
        }
        if !row.allocation_id.is_empty() && row.allocation_id != progress.allocation_id {
            return Err(Error::refused(
                ALLOCATION_MISMATCH,
                format!(
                    "application {} is allocated by {}, not {}",
                    row.application_id, row.allocation_id, progress.allocation_id
                ),
            ));
        }
        let settings = Store::flow_settings(work.tx()).await?;
        let now = OffsetDateTime::now_utc();
        // Events come in order; should one be missing, the later one says
        // the earlier stages happened too, and each is recorded as a step.
        for stage in at + 1..=target {
            let (act, comment) = match stage {
                1 => {
                    row.allocation_id = progress.allocation_id.clone();
                    (Act::Allocated, format!("拨付 {}", progress.allocation_id))
                }
                2 => {
                    row.disbursement_id = progress.disbursement_id.clone();
                    (Act::Disbursed, format!("发放 {}", progress.disbursement_id))
                }
                _ => {
                    self.relief_received(&mut work, &row, &progress).await?;
                    row.voucher_number = progress.voucher_number.clone();
                    (
                        Act::Receipted,
                        format!("签字回执，入帐凭证 {}", progress.voucher_number),
                    )
                }
            };
            flow::advance(&mut work, &mut row, act, &comment, &settings, now).await?;
        }
        self.saved(work, row).await
    }

    /// 帮扶情况 on the register row, from the committee's decision and the
    /// receipt.
    async fn relief_received(
        &self,
        work: &mut Work,
        row: &ApplicationRow,
        progress: &Progress,
    ) -> Result<()> {
        let around = Store::surroundings(work.tx(), row.application_id).await?;
        let decision = around.decision.ok_or_else(|| {
            Error::internal(
                "recording a receipt",
                format!(
                    "approved application {} has no decision",
                    row.application_id
                ),
            )
        })?;
        let received_on = progress
            .at
            .unwrap_or_else(OffsetDateTime::now_utc)
            .to_offset(relief_runtime::time::BEIJING)
            .date()
            .min(relief_runtime::time::today());
        self.register
            .record_relief(&ReliefReceived {
                application_id: row.application_id,
                record_id: row.register_record_id.clone(),
                year: row.year,
                relief_type: ReliefType::try_from(decision.relief_type).unwrap_or_default(),
                amount_fen: decision.amount_fen,
                voucher_number: progress.voucher_number.clone(),
                disbursement_id: progress.disbursement_id.clone(),
                received_on,
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_proto::workflow::v1::FundsStage;

    #[test]
    fn the_funds_path_in_order() {
        assert_eq!(reached(State::Approved), Some(0));
        assert_eq!(reached(State::Receipted), Some(3));
        assert_eq!(reached(State::CommitteeReview), None);
        assert_eq!(reached(State::Withdrawn), None);
        assert_eq!(FundsStage::Receipted as i32, 3);
    }
}
