//! 日历与时限 — the Spring Festival of a year (computed), the State
//! Council's holiday schedule the department keeps as data, and the
//! workflow settings (notice length, per-state deadlines). Anyone signed in
//! reads them; only the department bound at the committee changes them (the
//! schedule and the deadlines are the committee's), with a reason kept in
//! the audit trail.

use relief_proto::common::v1::ChangeStamp;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::calendar_service_server::CalendarService;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::ids::etag_of;
use relief_runtime::rpc::{Done, Work};
use relief_runtime::time::{timestamp, to_proto};
use serde_json::json;
use tonic::{Request, Response, Status};

use super::WorkflowApi;
use crate::calendar::spring_festival;
use crate::domain::holidays::{HolidayPut, SettingsChange, SettingsQuery, YearQuery};
use crate::store::{HolidayRow, Store, StoredSettings};

fn holiday_calendar(row: HolidayRow) -> pb::HolidayCalendar {
    pb::HolidayCalendar {
        year: row.year,
        entries: row
            .entries
            .0
            .iter()
            .map(|e| pb::HolidayEntry {
                date: Some(to_proto(e.date)),
                kind: e.kind,
                name: e.name.clone(),
            })
            .collect(),
        source: row.source,
        last_change: Some(ChangeStamp {
            actor: relief_runtime::ids::actor(&row.changed_by_id, &row.changed_by_name),
            change_time: Some(timestamp(row.changed_at)),
            reason: String::new(),
        }),
        etag: etag_of(row.version),
    }
}

fn workflow_settings(stored: StoredSettings) -> pb::WorkflowSettings {
    let settings = stored.settings;
    pb::WorkflowSettings {
        notice_days: settings.notice_days,
        notice_day_kind: settings.notice_day_kind,
        state_deadlines: settings
            .deadlines
            .iter()
            .map(|d| pb::StateDeadlineRule {
                state: d.state,
                days: d.days,
                day_kind: d.day_kind,
            })
            .collect(),
        deadline_warning_days: settings.deadline_warning_days,
        spring_festival_reminder_days: settings.spring_festival_reminder_days,
        last_change: stored.changed_by.map(|actor| ChangeStamp {
            actor: Some(actor),
            change_time: stored.changed_at.map(timestamp),
            reason: String::new(),
        }),
        // The defaults, never written, are version 0.
        etag: stored.version.to_string(),
    }
}

impl WorkflowApi {
    /// The schedule and the deadlines are the committee's: the department
    /// bound at its root changes them.
    fn keeper(&self, caller: &Caller) -> Result<()> {
        Ok(caller.authorize(Permission::CampaignManage, &self.rpc.committee().path)?)
    }

    async fn put_holidays(
        &self,
        caller: Caller,
        put: HolidayPut,
        mut work: Work,
    ) -> Result<Done<pb::HolidayCalendar>> {
        self.keeper(&caller)?;
        let actor = work.actor().clone();
        let row = Store::put_holidays(
            work.tx(),
            put.year,
            &put.entries,
            &put.source,
            &actor,
            put.expected,
        )
        .await?;
        work.audit(
            "holiday_calendar.put",
            &format!("holiday_calendars/{}", put.year),
            &json!({ "days": put.entries.len(), "source": put.source, "reason": put.reason }),
        )
        .await?;
        let mut answer = holiday_calendar(row);
        if let Some(stamp) = answer.last_change.as_mut() {
            stamp.reason = put.reason;
        }
        Ok(work.done(answer))
    }

    async fn change_settings(
        &self,
        caller: Caller,
        change: SettingsChange,
        mut work: Work,
    ) -> Result<Done<pb::WorkflowSettings>> {
        self.keeper(&caller)?;
        let current = Store::stored_settings(work.tx()).await?;
        if current.version != change.version {
            return Err(Error::EtagMismatch("the workflow settings".into()));
        }
        let settings = change.apply(current.settings);
        let actor = work.actor().clone();
        Store::save_settings(work.tx(), &settings, &actor, change.version).await?;
        work.audit(
            "workflow_settings.changed",
            "workflow_settings",
            &json!({ "paths": change.paths, "settings": settings, "reason": change.reason }),
        )
        .await?;
        let stored = Store::stored_settings(work.tx()).await?;
        let mut answer = workflow_settings(stored);
        if let Some(stamp) = answer.last_change.as_mut() {
            stamp.reason = change.reason;
        }
        Ok(work.done(answer))
    }
}

#[tonic::async_trait]
impl CalendarService for WorkflowApi {
    async fn get_spring_festival(
        &self,
        request: Request<pb::GetSpringFestivalRequest>,
    ) -> Result<Response<pb::SpringFestival>, Status> {
        self.rpc
            .read(request, |_, YearQuery(year): YearQuery| async move {
                let date =
                    spring_festival(year).map_err(|err| Error::invalid("year", err.to_string()))?;
                Ok(pb::SpringFestival {
                    year,
                    date: Some(to_proto(date)),
                })
            })
            .await
    }

    async fn get_holiday_calendar(
        &self,
        request: Request<pb::GetHolidayCalendarRequest>,
    ) -> Result<Response<pb::HolidayCalendar>, Status> {
        self.rpc
            .read(request, |_, YearQuery(year): YearQuery| async move {
                let mut conn = self.store.pool().acquire().await?;
                Store::holidays(&mut conn, year)
                    .await?
                    .map(holiday_calendar)
                    .ok_or_else(|| Error::not_found(format!("the holiday calendar of {year}")))
            })
            .await
    }

    async fn put_holiday_calendar(
        &self,
        request: Request<pb::PutHolidayCalendarRequest>,
    ) -> Result<Response<pb::HolidayCalendar>, Status> {
        self.rpc
            .write(
                "PutHolidayCalendar",
                request,
                |caller, put: HolidayPut, work| self.put_holidays(caller, put, work),
            )
            .await
    }

    async fn get_workflow_settings(
        &self,
        request: Request<pb::GetWorkflowSettingsRequest>,
    ) -> Result<Response<pb::WorkflowSettings>, Status> {
        self.rpc
            .read(request, |_, _: SettingsQuery| async move {
                let mut conn = self.store.pool().acquire().await?;
                Ok(workflow_settings(Store::stored_settings(&mut conn).await?))
            })
            .await
    }

    async fn update_workflow_settings(
        &self,
        request: Request<pb::UpdateWorkflowSettingsRequest>,
    ) -> Result<Response<pb::WorkflowSettings>, Status> {
        self.rpc
            .write(
                "UpdateWorkflowSettings",
                request,
                |caller, change: SettingsChange, work| self.change_settings(caller, change, work),
            )
            .await
    }
}
