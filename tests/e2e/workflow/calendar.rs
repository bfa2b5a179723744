//! 日历与时限 as the department keeps it and everyone reads it: the Spring
//! Festival of a year, the holiday schedule as data with its etag, and the
//! settings whose day kind changes when a later notice ends.

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::calendar_service_client::CalendarServiceClient;
use relief_runtime::auth::Role;
use relief_runtime::error::field_violations;
use relief_runtime::time::{BEIJING, from_timestamp, to_proto, today};
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
    let mut staff = calendar(&workflow, Role::BranchStaff, "/1/4/12/").await;

    // 2026 comes with the service (migration 0002): the State Council's
    // schedule, the Spring Festival week off and its two Saturdays worked.
    let seeded = staff
        .get_holiday_calendar(pb::GetHolidayCalendarRequest { year: 2026 })
        .await
        .expect("anyone reads it")
        .into_inner();
    assert_eq!(
        seeded.entries.len(),
        39,
        "33 days off (14 of them weekend days), 6 weekend days worked"
    );
    let of_kind = |kind: pb::HolidayKind| -> Vec<Option<common::Date>> {
        seeded
            .entries
            .iter()
            .filter(|e| e.kind == kind as i32 && e.name == "春节")
            .map(|e| e.date)
            .collect()
    };
    let festival_off: Vec<_> = (15..=23).map(|d| day(2026, 2, d)).collect();
    assert_eq!(of_kind(pb::HolidayKind::Holiday), festival_off);
    assert_eq!(
        of_kind(pb::HolidayKind::MakeupWorkday),
        [day(2026, 2, 14), day(2026, 2, 28)]
    );

    // A year nobody put is not found; the department puts it.
    let missing = staff
        .get_holiday_calendar(pb::GetHolidayCalendarRequest { year: 2031 })
        .await
        .expect_err("nobody put 2031");
    assert_eq!(missing.code(), Code::NotFound);
    let schedule = pb::HolidayCalendar {
        year: 2031,
        entries: vec![
            entry(day(2031, 1, 26), pb::HolidayKind::MakeupWorkday, "春节"),
            entry(day(2031, 1, 23), pb::HolidayKind::Holiday, "春节"),
            entry(day(2031, 1, 24), pb::HolidayKind::Holiday, "春节"),
        ],
        source: "国办发明电〔2030〕1号".into(),
        ..Default::default()
    };
    let request = pb::PutHolidayCalendarRequest {
        request_id: rid(),
        calendar: Some(schedule.clone()),
        reason: "国务院办公厅通知".into(),
    };
    let put = department
        .put_holiday_calendar(request.clone())
        .await
        .expect("put")
        .into_inner();
    assert_eq!(put.entries.len(), 3);
    assert_eq!(put.entries[0].date, day(2031, 1, 23), "in date order");
    let replayed = department
        .put_holiday_calendar(request)
        .await
        .expect("a replay answers again")
        .into_inner();
    assert_eq!(replayed.etag, put.etag, "and does nothing");
    let read = staff
        .get_holiday_calendar(pb::GetHolidayCalendarRequest { year: 2031 })
        .await
        .expect("anyone reads it")
        .into_inner();
    assert_eq!(read.etag, put.etag);
    assert_eq!(read.source, "国办发明电〔2030〕1号");

    // Created over nothing again, or over a stale etag: refused.
    for (year, etag) in [(2031, ""), (2031, "7"), (2026, "")] {
        let stale = department
            .put_holiday_calendar(pb::PutHolidayCalendarRequest {
                request_id: rid(),
                calendar: Some(pb::HolidayCalendar {
                    year,
                    etag: etag.into(),
                    entries: Vec::new(),
                    ..schedule.clone()
                }),
                reason: "更正".into(),
            })
            .await
            .expect_err("stale");
        assert_eq!(stale.code(), Code::Aborted, "{year} etag {etag:?}");
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

    // Only the department bound at the committee keeps the schedule: not
    // branch staff, not a member, not a department bound lower down.
    for (role, path) in [
        (Role::BranchStaff, "/1/4/12/"),
        (Role::Member, "/1/4/12/"),
        (Role::Department, "/1/4/"),
    ] {
        let refused = calendar(&workflow, role, path)
            .await
            .put_holiday_calendar(pb::PutHolidayCalendarRequest {
                request_id: rid(),
                calendar: Some(pb::HolidayCalendar {
                    etag: put.etag.clone(),
                    ..schedule.clone()
                }),
                reason: "试".into(),
            })
            .await
            .expect_err("not the committee's department");
        assert_eq!(refused.code(), Code::PermissionDenied, "{role:?} at {path}");
    }
    let after = staff
        .get_holiday_calendar(pb::GetHolidayCalendarRequest { year: 2031 })
        .await
        .expect("still there")
        .into_inner();
    assert_eq!(after.etag, put.etag, "a refused put changes nothing");
}

#[tokio::test]
async fn a_notice_in_working_days_skips_weekends_and_holidays() {
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
    let bad = department
        .update_workflow_settings(pb::UpdateWorkflowSettingsRequest {
            request_id: rid(),
            settings: Some(pb::WorkflowSettings {
                notice_days: 0,
                state_deadlines: vec![
                    rule(pb::ApplicationState::PublicNotice, 5),
                    rule(pb::ApplicationState::Submitted, 400),
                ],
                spring_festival_reminder_days: 91,
                etag: changed.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec![
                    "notice_days".into(),
                    "state_deadlines".into(),
                    "spring_festival_reminder_days".into(),
                    "colour".into(),
                ],
            }),
            reason: String::new(),
        })
        .await
        .expect_err("bad settings");
    let mut fields: Vec<String> = field_violations(&bad).into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "reason",
            "settings.notice_days",
            "settings.spring_festival_reminder_days",
            "settings.state_deadlines[0].state",
            "settings.state_deadlines[1].days",
            "update_mask",
        ]
    );

    // The week after that Friday has two days off and a Saturday worked
    // (put for every year the notice may reach; whole years replaced).
    let schedule = [
        (friday + Duration::days(4), pb::HolidayKind::Holiday),
        (friday + Duration::days(5), pb::HolidayKind::Holiday),
        (friday + Duration::days(8), pb::HolidayKind::MakeupWorkday),
    ];
    for year in friday.year()..=(friday + Duration::days(14)).year() {
        let etag = match department
            .get_holiday_calendar(pb::GetHolidayCalendarRequest { year })
            .await
        {
            Ok(existing) => existing.into_inner().etag,
            Err(status) if status.code() == Code::NotFound => String::new(),
            Err(status) => panic!("reading {year}: {status}"),
        };
        let entries = schedule
            .iter()
            .filter(|(date, _)| date.year() == year)
            .map(|&(date, kind)| entry(Some(to_proto(date)), kind, "测试"))
            .collect();
        department
            .put_holiday_calendar(pb::PutHolidayCalendarRequest {
                request_id: rid(),
                calendar: Some(pb::HolidayCalendar {
                    year,
                    entries,
                    etag,
                    ..Default::default()
                }),
                reason: "测试安排".into(),
            })
            .await
            .expect("the schedule put");
    }

    // Seven working days from that Friday: Monday, Thursday, Friday, the
    // Saturday worked, then Monday to Wednesday; to 24:00 of Wednesday.
    let working_days = to_notice_started(&workflow, "k-2", 12, "/1/4/12/", Some(days_ago)).await;
    assert_eq!(ends(&working_days).date(), friday + Duration::days(13));
    assert_eq!(ends(&working_days).hour(), 0, "at 24:00 Beijing time");
}

fn rule(state: pb::ApplicationState, days: i32) -> pb::StateDeadlineRule {
    pb::StateDeadlineRule {
        state: state as i32,
        days,
        day_kind: pb::DayKind::Calendar as i32,
    }
}
