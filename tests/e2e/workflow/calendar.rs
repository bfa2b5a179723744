//! 日历与时限 as the department keeps it and everyone reads it: the Spring
//! Festival of a year, the holiday schedule as data with its etag, and the
//! settings whose day kind changes when a later notice ends.

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::calendar_service_client::CalendarServiceClient;
use relief_runtime::auth::Role;
use relief_runtime::error::field_violations;
use relief_runtime::time::{BEIJING, from_timestamp, today};
use relief_tests::{Bearer, channel, token};
use time::{Duration, Weekday};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::{Workflow, rid, to_notice_started};

type Calendar = CalendarServiceClient<InterceptedService<Channel, Bearer>>;

async fn calendar(workflow: &Workflow, role: Role, path: &str) -> Calendar {
    CalendarServiceClient::with_interceptor(
        channel(workflow.front).await,
        Bearer(token(role, path)),
    )
}

fn day(year: i32, month: i32, day: i32) -> Option<common::Date> {
    Some(common::Date { year, month, day })
}

fn entry(d: Option<common::Date>, kind: pb::HolidayKind, name: &str) -> pb::HolidayEntry {
    pb::HolidayEntry {
        date: d,
        kind: kind as i32,
        name: name.into(),
    }
}

#[tokio::test]
async fn the_spring_festival_of_any_year_is_computed_for_anyone_signed_in() {
    let workflow = Workflow::start().await;
    let mut member = calendar(&workflow, Role::Member, "/1/4/12/").await;
    for (year, month, d) in [
        (2018, 2, 16),
        (2024, 2, 10),
        (2025, 1, 29),
        (2026, 2, 17),
        (2027, 2, 6),
        (2030, 2, 3),
    ] {
        let festival = member
            .get_spring_festival(pb::GetSpringFestivalRequest { year })
            .await
            .expect("computed")
            .into_inner();
        assert_eq!(festival.date, day(year, month, d), "{year}");
    }
    let out = member
        .get_spring_festival(pb::GetSpringFestivalRequest { year: 3000 })
        .await
        .expect_err("out of range");
    assert_eq!(out.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&out)[0].0, "year");
}

#[tokio::test]
async fn the_department_keeps_the_holiday_schedule_as_data() {
    let workflow = Workflow::start().await;
    let mut department = calendar(&workflow, Role::Department, "/1/").await;
    let schedule = pb::HolidayCalendar {
        year: 2026,
        entries: vec![
            entry(day(2026, 2, 14), pb::HolidayKind::MakeupWorkday, "春节"),
            entry(day(2026, 2, 16), pb::HolidayKind::Holiday, "春节"),
            entry(day(2026, 2, 17), pb::HolidayKind::Holiday, "春节"),
        ],
        source: "国办发明电〔2025〕7号".into(),
        ..Default::default()
    };
    let put = department
        .put_holiday_calendar(pb::PutHolidayCalendarRequest {
            request_id: rid(),
            calendar: Some(schedule.clone()),
            reason: "国务院办公厅通知".into(),
        })
        .await
        .expect("put")
        .into_inner();
    assert_eq!(put.entries.len(), 3);
    let read = calendar(&workflow, Role::BranchStaff, "/1/4/12/")
        .await
        .get_holiday_calendar(pb::GetHolidayCalendarRequest { year: 2026 })
        .await
        .expect("anyone reads it")
        .into_inner();
    assert_eq!(read.etag, put.etag);
    assert_eq!(read.source, "国办发明电〔2025〕7号");

    // Created over nothing again, or over a stale etag: refused.
    for etag in ["", "7"] {
        let stale = department
            .put_holiday_calendar(pb::PutHolidayCalendarRequest {
                request_id: rid(),
                calendar: Some(pb::HolidayCalendar {
                    etag: etag.into(),
                    ..schedule.clone()
                }),
                reason: "更正".into(),
            })
            .await
            .expect_err("stale");
        assert_eq!(stale.code(), Code::Aborted, "etag {etag:?}");
    }
    let bad = department
        .put_holiday_calendar(pb::PutHolidayCalendarRequest {
            request_id: rid(),
            calendar: Some(pb::HolidayCalendar {
                year: 2027,
                entries: vec![
                    entry(day(2026, 10, 1), pb::HolidayKind::Holiday, "国庆节"),
                    entry(day(2027, 2, 6), pb::HolidayKind::Unspecified, ""),
                ],
                ..Default::default()
            }),
            reason: String::new(),
        })
        .await
        .expect_err("bad entries");
    let fields: Vec<String> = field_violations(&bad).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "reason",
            "calendar.entries[0].date",
            "calendar.entries[1].kind",
            "calendar.entries[1].name"
        ]
    );
    let staff = calendar(&workflow, Role::BranchStaff, "/1/4/12/")
        .await
        .put_holiday_calendar(pb::PutHolidayCalendarRequest {
            request_id: rid(),
            calendar: Some(pb::HolidayCalendar {
                year: 2028,
                ..Default::default()
            }),
            reason: "试".into(),
        })
        .await
        .expect_err("not the department");
    assert_eq!(staff.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_notice_in_working_days_skips_the_weekends() {
    let workflow = Workflow::start().await;
    let mut department = calendar(&workflow, Role::Department, "/1/").await;
    let settings = department
        .get_workflow_settings(pb::GetWorkflowSettingsRequest {})
        .await
        .expect("the defaults")
        .into_inner();
    assert_eq!((settings.notice_days, settings.etag.as_str()), (7, "0"));

    // The most recent Friday at least a day back (Beijing time).
    let mut friday = today() - Duration::days(1);
    while friday.weekday() != Weekday::Friday {
        friday -= Duration::days(1);
    }
    let days_ago = (today() - friday).whole_days();
    let calendar_days = to_notice_started(&workflow, "k-1", 12, "/1/4/12/", Some(days_ago)).await;
    let ends = |app: &pb::Application| {
        from_timestamp(app.state_deadline_time.as_ref())
            .expect("the notice's end")
            .to_offset(BEIJING)
    };
    assert_eq!(ends(&calendar_days).date(), friday + Duration::days(8));

    let changed = department
        .update_workflow_settings(pb::UpdateWorkflowSettingsRequest {
            request_id: rid(),
            settings: Some(pb::WorkflowSettings {
                notice_day_kind: pb::DayKind::Working as i32,
                etag: settings.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["notice_day_kind".into()],
            }),
            reason: "公示按工作日计算".into(),
        })
        .await
        .expect("changed")
        .into_inner();
    assert_eq!(changed.notice_day_kind, pb::DayKind::Working as i32);
    assert_eq!(changed.notice_days, 7, "only the named path changes");
    let stale = department
        .update_workflow_settings(pb::UpdateWorkflowSettingsRequest {
            request_id: rid(),
            settings: Some(pb::WorkflowSettings {
                notice_days: 5,
                etag: settings.etag,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["notice_days".into()],
            }),
            reason: "改为5天".into(),
        })
        .await
        .expect_err("stale");
    assert_eq!(stale.code(), Code::Aborted);

    // Seven working days from a Friday: the next week and Monday, Tuesday.
    let working_days = to_notice_started(&workflow, "k-2", 12, "/1/4/12/", Some(days_ago)).await;
    assert_eq!(ends(&working_days).date(), friday + Duration::days(12));
    assert_eq!(ends(&working_days).hour(), 0, "at 24:00 Beijing time");
}
