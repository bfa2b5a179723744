//! A unit's path through the campaign: the form collected, each branch's
//! meeting and notice recorded (the submission and the return are in
//! [`super::submission`]) — and the progress of every unit against the
//! deadlines.

use relief_proto::workflow::v1::{self as pb, CampaignUnitState};
use relief_runtime::auth::{Caller, Permission, in_subtree};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use relief_runtime::time::today;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::WorkflowApi;
use super::queries::{ById, ProgressQuery, UnitQuery};
use super::{access, convert};
use crate::domain::campaign::{self, MEETING_REQUIRED, ROWS_UNVERIFIED, UNIT_STATE, after_change};
use crate::domain::campaign_findings::{MeetingEntry, NoticeEntry};
use crate::domain::campaign_requests::Collection;
use crate::store::{CampaignNoticeRow, CampaignRow, MeetingRow, Stamp, Store, UnitRow};

pub(super) fn state_of(unit: &UnitRow) -> CampaignUnitState {
    CampaignUnitState::try_from(unit.state).unwrap_or_default()
}

/// `ABORTED` unless the caller read the unit's current version (checked
/// once the caller is authorised).
pub(super) fn check_etag(unit: &UnitRow, version: i64) -> Result<()> {
    if unit.version == version {
        Ok(())
    } else {
        Err(Error::EtagMismatch(format!(
            "campaign unit {}",
            unit.campaign_unit_id
        )))
    }
}

pub(super) fn stamp_now(work: &Work, at: OffsetDateTime, comment: &str) -> Stamp {
    Stamp {
        user_id: work.actor().user_id.clone(),
        display_name: work.actor().display_name.clone(),
        at: Some(at),
        comment: comment.to_owned(),
    }
}

impl WorkflowApi {
    /// The unit as the API shows it, read on `conn`.
    pub(super) async fn unit_answer(
        &self,
        conn: &mut PgConnection,
        campaign: &CampaignRow,
        unit: &UnitRow,
    ) -> Result<pb::CampaignUnit> {
        let counts = Store::row_counts(conn, &[unit.campaign_unit_id])
            .await?
            .into_iter()
            .next()
            .map(|(_, counts)| counts)
            .unwrap_or_default();
        let meetings = Store::meetings_of(conn, unit.campaign_unit_id).await?;
        let notices = Store::notices_of(conn, unit.campaign_unit_id).await?;
        Ok(convert::unit(&convert::UnitView {
            campaign,
            unit,
            counts,
            meetings: &meetings,
            notices: &notices,
            today: today(),
        }))
    }

    /// Saves the changed unit and answers with it: how every act on a unit
    /// ends.
    pub(super) async fn unit_saved(
        &self,
        mut work: Work,
        campaign: &CampaignRow,
        mut unit: UnitRow,
    ) -> Result<Done<pb::CampaignUnit>> {
        unit.version = Store::save_unit(work.tx(), &unit, unit.version).await?;
        let answer = self.unit_answer(work.tx(), campaign, &unit).await?;
        Ok(work.done(answer))
    }

    /// The unit's state after its rows, meetings or notices changed.
    async fn restate(work: &mut Work, unit: &mut UnitRow) -> Result<()> {
        let rows = Store::rows_of(work.tx(), unit.campaign_unit_id).await?;
        let meetings = Store::meetings_of(work.tx(), unit.campaign_unit_id).await?;
        let notices = Store::notices_of(work.tx(), unit.campaign_unit_id).await?;
        let facts = convert::facts(&rows, &meetings, &notices);
        unit.state = after_change(state_of(unit), &facts) as i32;
        Ok(())
    }

    /// The locked unit and its open campaign.
    pub(super) async fn unit_locked(
        work: &mut Work,
        unit_id: Uuid,
    ) -> Result<(CampaignRow, UnitRow)> {
        let unit = Store::lock_unit(work.tx(), unit_id).await?;
        let campaign = Store::campaign_in(work.tx(), unit.campaign_id).await?;
        Ok((campaign, unit))
    }

    pub(super) fn still_open(campaign: &CampaignRow) -> Result<()> {
        if campaign.state == relief_proto::workflow::v1::CampaignState::Open as i32 {
            Ok(())
        } else {
            Err(Error::refused(
                campaign::CAMPAIGN_CLOSED,
                "the campaign is closed",
            ))
        }
    }

    pub(super) async fn unit_get(&self, caller: Caller, query: ById) -> Result<pb::CampaignUnit> {
        let mut conn = self.store.pool().acquire().await?;
        let unit = Store::unit_in(&mut conn, query.0).await?;
        access::read_unit(&caller, &unit)?;
        let campaign = Store::campaign_in(&mut conn, unit.campaign_id).await?;
        self.unit_answer(&mut conn, &campaign, &unit).await
    }

    /// The campaign's units the caller sees, within `org_id`'s subtree.
    pub(super) async fn visible_units(
        &self,
        caller: &Caller,
        conn: &mut PgConnection,
        campaign_id: Uuid,
        org_id: Option<i64>,
    ) -> Result<Vec<UnitRow>> {
        caller.scopes(Permission::RecordRead)?;
        let within = match org_id {
            Some(org_id) => Some(self.register.org(org_id).await?.path),
            None => None,
        };
        Ok(Store::units_of(conn, campaign_id)
            .await?
            .into_iter()
            .filter(|unit| access::sees_unit(caller, &unit.unit_path))
            .filter(|unit| {
                within.as_deref().is_none_or(|path| {
                    in_subtree(&unit.unit_path, path) || in_subtree(path, &unit.unit_path)
                })
            })
            .collect())
    }

    pub(super) async fn unit_list(
        &self,
        caller: Caller,
        query: UnitQuery,
    ) -> Result<pb::ListCampaignUnitsResponse> {
        let mut conn = self.store.pool().acquire().await?;
        let campaign = Store::campaign_in(&mut conn, query.campaign_id).await?;
        let units = self
            .visible_units(&caller, &mut conn, query.campaign_id, query.org_id)
            .await?;
        let mut answers = Vec::new();
        for unit in units {
            if query.state.is_some_and(|state| state != unit.state)
                || query.page.after.is_some_and(|after| unit.seq <= after)
            {
                continue;
            }
            let answer = self.unit_answer(&mut conn, &campaign, &unit).await?;
            if query.late_only && !(answer.collect_late || answer.submit_late) {
                continue;
            }
            answers.push((unit.seq, answer));
            if answers.len() as i64 >= query.page.fetch() {
                break;
            }
        }
        let next_page_token = query.page.next(&mut answers, |(seq, _)| *seq);
        Ok(pb::ListCampaignUnitsResponse {
            units: answers.into_iter().map(|(_, unit)| unit).collect(),
            next_page_token,
        })
    }

    pub(super) async fn campaign_progress(
        &self,
        caller: Caller,
        query: ProgressQuery,
    ) -> Result<pb::CampaignProgress> {
        let mut conn = self.store.pool().acquire().await?;
        let campaign = Store::campaign_in(&mut conn, query.campaign_id).await?;
        let units = self
            .visible_units(&caller, &mut conn, query.campaign_id, query.org_id)
            .await?;
        let mut progress = pb::CampaignProgress {
            campaign: Some(convert::campaign(&campaign)),
            ..Default::default()
        };
        for unit in &units {
            let answer = self.unit_answer(&mut conn, &campaign, unit).await?;
            let state = state_of(unit);
            progress.units_issued += 1;
            progress.units_collected += i32::from(answer.collect_time.is_some());
            progress.units_submitted += i32::from(matches!(
                state,
                CampaignUnitState::Submitted | CampaignUnitState::Accepted
            ));
            progress.units_accepted += i32::from(state == CampaignUnitState::Accepted);
            progress.units_returned += i32::from(state == CampaignUnitState::Returned);
            progress.units_collect_late += i32::from(answer.collect_late);
            progress.units_submit_late += i32::from(answer.submit_late);
            progress.rows_total += answer.row_count;
            progress.rows_unverified += answer.row_count - answer.verified_count;
            progress.rows_continue += answer.continue_count;
            progress.rows_adjust += answer.adjust_count;
            progress.rows_remove += answer.remove_count;
            progress.rows_new += i32::try_from(answer.new_members.len()).unwrap_or(i32::MAX);
            if answer.collect_late || answer.submit_late {
                progress.late_units.extend(answer.unit.clone());
            }
        }
        Ok(progress)
    }

    pub(super) async fn unit_collect(
        &self,
        caller: Caller,
        command: Collection,
        mut work: Work,
    ) -> Result<Done<pb::CampaignUnit>> {
        let (campaign, mut unit) = Self::unit_locked(&mut work, command.unit_id).await?;
        access::unit(&caller, &unit)?;
        check_etag(&unit, command.version)?;
        Self::still_open(&campaign)?;
        if unit.collected_at.is_some() {
            return Err(Error::refused(UNIT_STATE, "the form is collected already"));
        }
        let at = command.at.unwrap_or_else(OffsetDateTime::now_utc);
        unit.collected_at = Some(at);
        unit.collected_by_name = command.collected_by_name.clone();
        work.audit(
            "campaign.form_collected",
            &format!("campaign-units/{}", unit.campaign_unit_id),
            &json!({ "collected_by_name": command.collected_by_name, "at": at.unix_timestamp() }),
        )
        .await?;
        self.unit_saved(work, &campaign, unit).await
    }

    /// The locked unit and the branch's name and path, for a branch's act:
    /// the caller authorised on the branch, the etag checked, the unit open.
    async fn branch_act(
        &self,
        caller: &Caller,
        work: &mut Work,
        unit_id: Uuid,
        version: i64,
        branch_id: i64,
    ) -> Result<(CampaignRow, UnitRow, String, String)> {
        let (campaign, unit) = Self::unit_locked(work, unit_id).await?;
        access::read_unit(caller, &unit)?;
        let rows = Store::rows_of(work.tx(), unit_id).await?;
        let Some(row) = rows.iter().find(|row| row.branch_id == branch_id) else {
            return Err(Error::invalid(
                "branch_org_id",
                "no row of the unit's form belongs to this branch",
            ));
        };
        access::branch(caller, &unit, &row.branch_path)?;
        check_etag(&unit, version)?;
        Self::still_open(&campaign)?;
        campaign::open_for_changes(state_of(&unit))?;
        let unverified = rows
            .iter()
            .filter(|r| r.branch_id == branch_id && r.outcome == 0)
            .count();
        if unverified > 0 {
            return Err(Error::refused(
                ROWS_UNVERIFIED,
                format!(
                    "{unverified} row(s) of {} have no findings yet",
                    row.branch_name
                ),
            ));
        }
        let (name, path) = (row.branch_name.clone(), row.branch_path.clone());
        Ok((campaign, unit, name, path))
    }

    pub(super) async fn unit_meeting(
        &self,
        caller: Caller,
        command: MeetingEntry,
        mut work: Work,
    ) -> Result<Done<pb::CampaignUnit>> {
        let (campaign, mut unit, branch_name, branch_path) = self
            .branch_act(
                &caller,
                &mut work,
                command.unit_id,
                command.version,
                command.branch_id,
            )
            .await?;
        let now = OffsetDateTime::now_utc();
        // A meeting held again asks for a notice again.
        Store::forget_branch_resolution(work.tx(), unit.campaign_unit_id, command.branch_id)
            .await?;
        Store::put_meeting(
            work.tx(),
            &MeetingRow {
                campaign_unit_id: unit.campaign_unit_id,
                branch_id: command.branch_id,
                branch_name,
                branch_path: branch_path.clone(),
                meeting_date: command.date,
                attendance: command.attendance,
                resolution: command.resolution.clone(),
                recorded_by_id: caller.user_id.clone(),
                recorded_by_name: caller.display_name.clone(),
                recorded_at: now,
            },
        )
        .await?;
        Store::resolve_branch_rows(work.tx(), unit.campaign_unit_id, command.branch_id).await?;
        Self::restate(&mut work, &mut unit).await?;
        work.audit(
            "campaign.branch_meeting_recorded",
            &format!("campaign-units/{}", unit.campaign_unit_id),
            &json!({
                "branch": branch_path,
                "meeting_date": command.date.to_string(),
                "attendance": command.attendance,
                "resolution": command.resolution,
            }),
        )
        .await?;
        self.unit_saved(work, &campaign, unit).await
    }

    pub(super) async fn unit_notice(
        &self,
        caller: Caller,
        command: NoticeEntry,
        mut work: Work,
    ) -> Result<Done<pb::CampaignUnit>> {
        let (campaign, mut unit, branch_name, branch_path) = self
            .branch_act(
                &caller,
                &mut work,
                command.unit_id,
                command.version,
                command.branch_id,
            )
            .await?;
        let meetings = Store::meetings_of(work.tx(), unit.campaign_unit_id).await?;
        let Some(meeting) = meetings.iter().find(|m| m.branch_id == command.branch_id) else {
            return Err(Error::refused(
                MEETING_REQUIRED,
                "the branch's general meeting is recorded before its notice",
            ));
        };
        if command.start < meeting.meeting_date {
            return Err(Error::invalid(
                "start_date",
                format!(
                    "is before the branch meeting of {}: the meeting's result is noticed",
                    meeting.meeting_date
                ),
            ));
        }
        Store::put_campaign_notice(
            work.tx(),
            &CampaignNoticeRow {
                campaign_unit_id: unit.campaign_unit_id,
                branch_id: command.branch_id,
                branch_name,
                branch_path: branch_path.clone(),
                start_date: command.start,
                end_date: command.end,
                outcome: command.outcome as i32,
                note: command.note.clone(),
                recorded_by_id: caller.user_id.clone(),
                recorded_by_name: caller.display_name.clone(),
                recorded_at: OffsetDateTime::now_utc(),
            },
        )
        .await?;
        Self::restate(&mut work, &mut unit).await?;
        work.audit(
            "campaign.notice_result_recorded",
            &format!("campaign-units/{}", unit.campaign_unit_id),
            &json!({
                "branch": branch_path,
                "start": command.start.to_string(),
                "end": command.end.to_string(),
                "outcome": command.outcome.as_str_name(),
                "note": command.note,
            }),
        )
        .await?;
        self.unit_saved(work, &campaign, unit).await
    }
}
