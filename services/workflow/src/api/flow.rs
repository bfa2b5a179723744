//! Moving a case along its path: one function every act uses, so each
//! transition checks the etag, asks the state machine, sets the new state's
//! deadline, and records the step and the audit entry in the act's own
//! transaction — or refuses and changes nothing.

use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::Work;
use serde_json::json;
use time::OffsetDateTime;

use std::collections::BTreeMap;

use relief_proto::common::v1::OrgRef;
use relief_proto::notify::v1 as notify;
use uuid::Uuid;

use super::deadlines;
use crate::courier::NOTIFY;
use crate::domain::announcements::{self, Announcement};
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
    advance_due(work, row, act, comment, settings, now, None).await
}

/// As [`advance`], the new state due at `due` when given rather than by the
/// settings: a public notice is due when it ends, which its start announces.
pub async fn advance_due(
    work: &mut Work,
    row: &mut ApplicationRow,
    act: Act,
    comment: &str,
    settings: &FlowSettings,
    now: OffsetDateTime,
    due: Option<OffsetDateTime>,
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
    } else if due.is_some() {
        due
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
    .await?;
    for announcement in announcements::of_step(action, from, to) {
        let event = announcement_event(row, &announcement, comment, now);
        let event_id = Uuid::parse_str(&event.event_id).unwrap_or_else(|_| Uuid::new_v4());
        work.emit(event_id, action, &event, &[NOTIFY]).await?;
    }
    Ok(())
}

/// The event `announcement` publishes about `row`. It names the member and the branch, as the
/// public notice does, and nothing private (the templates refuse such placeholders too).
pub(super) fn announcement_event(
    row: &ApplicationRow,
    announcement: &Announcement,
    comment: &str,
    now: OffsetDateTime,
) -> notify::PublishEventRequest {
    let event_id = Uuid::new_v4().to_string();
    // The applicant is told when they applied themselves; a case entered on their behalf has
    // no user of theirs the workflow knows.
    let applicant = announcement.applicant
        && !row.entered_on_behalf
        && !row.created_by_id.is_empty()
        && !row.created_by_id.starts_with("service:");
    let mut parameters = BTreeMap::from([
        ("member_name".to_owned(), row.member_name.clone()),
        ("org_name".to_owned(), row.branch_name.clone()),
        ("year".to_owned(), row.year.to_string()),
        ("application_id".to_owned(), row.application_id.to_string()),
    ]);
    if let Some(deadline) = row.state_deadline {
        parameters.insert(
            "deadline".to_owned(),
            // A deadline ends its last day at 24:00, the next day's first instant.
            (deadline - time::Duration::SECOND)
                .to_offset(relief_runtime::time::BEIJING)
                .date()
                .to_string(),
        );
    }
    if !comment.is_empty() {
        let key = match announcement.kind {
            notify::EventKind::DecisionMade | notify::EventKind::ObjectionResolved => "outcome",
            _ => "reason",
        };
        parameters.insert(key.to_owned(), comment.to_owned());
    }
    notify::PublishEventRequest {
        request_id: event_id.clone(),
        event_id,
        kind: announcement.kind as i32,
        org: Some(OrgRef {
            org_id: row.branch_id,
            path: row.branch_path.clone(),
            name: row.branch_name.clone(),
        }),
        recipient_user_ids: if applicant {
            vec![row.created_by_id.clone()]
        } else {
            Vec::new()
        },
        recipient_roles: announcement
            .roles
            .iter()
            .map(|role| notify::RoleRecipients {
                role: *role as i32,
                org_id: 0,
            })
            .collect(),
        parameters,
        link: format!("/applications/{}", row.application_id),
        occur_time: Some(relief_runtime::time::timestamp(now)),
        source: "workflow".to_owned(),
        ..Default::default()
    }
}
