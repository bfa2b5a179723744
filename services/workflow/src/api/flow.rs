//! Moving a case along its path: one function every act uses, so each
//! transition checks the etag, asks the state machine, sets the new state's
//! deadline, and records the step and the audit entry in the act's own
//! transaction — or refuses and changes nothing.

use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::Work;
use serde_json::json;
use time::OffsetDateTime;

use super::deadlines;
use crate::domain::settings::FlowSettings;
use crate::domain::state::{self, Act, State};
use crate::store::{ApplicationRow, Store};

/// `ABORTED` unless the caller read the version the row has now. Called
/// once the caller is authorised (never before: a stale etag must not tell
/// an unauthorised caller anything).
pub fn check_etag(row: &ApplicationRow) -> Result<()> {
    if row
        .expected_version
        .is_none_or(|version| version == row.version)
    {
        Ok(())
    } else {
        Err(Error::EtagMismatch(format!(
            "application {}",
            row.application_id
        )))
    }
}

/// Moves the locked `row` by `act` at `now`: the new state, entered now,
/// due by its deadline; the step and the audit entry recorded. The row is
/// not saved: the act changes what else it must, then saves it once.
pub async fn advance(
    work: &mut Work,
    row: &mut ApplicationRow,
    act: Act,
    comment: &str,
    settings: &FlowSettings,
    now: OffsetDateTime,
) -> Result<State> {
    let from = state::from_stored(row.state)?;
    let returned_from = State::try_from(row.returned_from_state).unwrap_or(State::Unspecified);
    let to = state::next(from, act, returned_from)?;
    row.state = to as i32;
    row.state_entered_at = now;
    row.updated_at = now;
    row.state_deadline = if state::is_final(to) {
        row.closed_at = Some(now);
        None
    } else {
        deadlines::due(work.tx(), settings, to, now).await?
    };
    if from == State::ReturnedForMaterial {
        row.returned_from_state = 0;
        row.return_note.clear();
        row.requested_evidence.clear();
    }
    // What the step means for the case beyond its state: a return waits for
    // the stage that returned it, with the note; a refusal or withdrawal
    // keeps its reason. Callers may refine the reason afterwards.
    match to {
        State::ReturnedForMaterial => {
            row.returned_from_state = from as i32;
            row.return_note = comment.to_owned();
        }
        State::Refused | State::Withdrawn => row.close_reason = comment.to_owned(),
        _ => {}
    }
    record(work, row, act.action(), from, to, comment, now).await?;
    Ok(to)
}

/// Records an act on the locked `row` that leaves its state as it is (an
/// objection raised, proof added during a review).
pub async fn note(
    work: &mut Work,
    row: &mut ApplicationRow,
    action: &str,
    comment: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let current = state::from_stored(row.state)?;
    row.updated_at = now;
    record(work, row, action, current, current, comment, now).await
}

async fn record(
    work: &mut Work,
    row: &ApplicationRow,
    action: &str,
    from: State,
    to: State,
    comment: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let actor = work.actor().clone();
    Store::append_step(
        work.tx(),
        row.application_id,
        action,
        from as i32,
        to as i32,
        &actor,
        now,
        comment,
    )
    .await?;
    work.audit(
        action,
        &format!("applications/{}", row.application_id),
        &json!({
            "from": state::name(from),
            "to": state::name(to),
            "comment": comment,
        }),
    )
    .await
}
