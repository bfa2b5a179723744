//! 办理时限与春节提醒 — the workflow's own timers tell people what is due: a case whose time in a
//! state runs out reminds whoever must act, then escalates once it has run out; the window
//! before the Spring Festival is announced to the department once. Each is told once, however
//! many rounds the sweep makes.

use std::time::Duration;

use relief_proto::common::v1 as common;
use relief_proto::notify::v1 as notify;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::application_service_client::ApplicationServiceClient;
use relief_proto::workflow::v1::calendar_service_client::CalendarServiceClient;
use relief_runtime::auth::Role;
use relief_runtime::time::{BEIJING, from_proto, from_timestamp, today};
use relief_tests::{Bearer, Spawned, channel, raw_pool, token};

use super::announcements::told;
use super::{Workflow, application, handed_in, notifications, rid, taken_up};
use crate::notify::Town;

/// The department changes the workflow settings: `change` applied to what they read.
async fn change_settings(
    workflow: std::net::SocketAddr,
    paths: &[&str],
    change: impl FnOnce(&mut pb::WorkflowSettings),
) {
    let mut calendar = CalendarServiceClient::with_interceptor(
        channel(workflow).await,
        Bearer(token(Role::Department, "/1/")),
    );
    let mut settings = calendar
        .get_workflow_settings(pb::GetWorkflowSettingsRequest {})
        .await
        .expect("the settings")
        .into_inner();
    change(&mut settings);
    calendar
        .update_workflow_settings(pb::UpdateWorkflowSettingsRequest {
            request_id: rid(),
            settings: Some(settings),
            update_mask: Some(prost_types::FieldMask {
                paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            }),
            reason: "提醒测试".into(),
        })
        .await
        .expect("the department changes the settings");
}

/// How many messages of `kind` are in `who`'s inbox.
async fn count(town: &Town, who: &str, kind: notify::EventKind) -> usize {
    town.inbox(who)
        .await
        .notifications
        .iter()
        .filter(|n| n.event_kind == kind as i32)
        .count()
}

/// The days pass: the case's deadline in its present state is an hour gone.
async fn deadline_passes(workflow: &Spawned, application_id: &str) {
    sqlx::query(
        "UPDATE applications SET state_deadline = now() - interval '1 hour'
         WHERE application_id = $1::uuid",
    )
    .bind(application_id)
    .execute(&raw_pool(&workflow.schema).await)
    .await
    .expect("the deadline passes");
}

#[tokio::test]
async fn a_case_left_waiting_reminds_its_branch_then_escalates_to_the_superior_once_each() {
    let town = Town::new().await;
    let workflow = super::publishing_to(&town).await;
    // A case handed in is to be taken up within one calendar day: inside the 2 warning days.
    change_settings(workflow.addr, &["state_deadlines"], |settings| {
        for rule in &mut settings.state_deadlines {
            if rule.state == pb::ApplicationState::Submitted as i32 {
                rule.days = 1;
                rule.day_kind = pb::DayKind::Calendar as i32;
            }
        }
    })
    .await;
    let mut ledger =
        crate::ledger::client(&town.ledger, &relief_tests::token(Role::Department, "/1/")).await;
    let member = crate::ledger::create_member(
        &mut ledger,
        &town.branch_a,
        "赵党员",
        &crate::ledger::id_number("19600202", 3),
    )
    .await;
    let mut staff = ApplicationServiceClient::with_interceptor(
        channel(workflow.addr).await,
        Bearer(token(Role::BranchStaff, &town.branch_a.path)),
    );
    let submitted = handed_in(
        &mut staff,
        application(
            &member.member_id,
            town.branch_a.org_id,
            common::HardshipCategory::Other,
        ),
    )
    .await;
    let last_day = from_timestamp(submitted.state_deadline_time.as_ref())
        .map(|due| (due - time::Duration::SECOND).to_offset(BEIJING).date())
        .expect("a case handed in is due");

    let near = told(
        &town,
        "staff_a",
        notify::EventKind::StateDeadlineApproaching,
    )
    .await
    .expect("the branch's staff is reminded");
    assert_eq!(near.title, "办理时限将到：赵党员的救助申请");
    assert!(
        near.body.contains(&format!("将于{last_day}到期")),
        "{}",
        near.body
    );
    assert_eq!(
        near.link,
        format!("/applications/{}", submitted.application_id)
    );
    assert_eq!(
        count(
            &town,
            "superior",
            notify::EventKind::StateDeadlineApproaching
        )
        .await,
        0,
        "the level above hears only of a miss"
    );

    deadline_passes(&workflow, &submitted.application_id).await;
    let missed = told(&town, "superior", notify::EventKind::StateDeadlineMissed)
        .await
        .expect("the miss escalates to the superior organisation");
    assert_eq!(missed.title, "办理已超期：赵党员的救助申请");
    assert!(
        told(&town, "staff_a", notify::EventKind::StateDeadlineMissed)
            .await
            .is_some(),
        "the branch's staff hears of the miss too"
    );

    // Many more rounds of the sweep: nothing is told twice, and the sibling branch hears nothing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for (who, kind, expected) in [
        ("staff_a", notify::EventKind::StateDeadlineApproaching, 1),
        ("staff_a", notify::EventKind::StateDeadlineMissed, 1),
        ("superior", notify::EventKind::StateDeadlineMissed, 1),
    ] {
        assert_eq!(count(&town, who, kind).await, expected, "{who} {kind:?}");
    }
    assert!(
        town.inbox("staff_b").await.notifications.is_empty(),
        "the sibling branch hears nothing"
    );
}

#[tokio::test]
async fn a_case_that_moves_on_is_reminded_of_its_new_state_not_the_one_it_left() {
    let workflow = Workflow::start().await;
    let mut staff = workflow.branch_staff().await;
    let member = workflow.register.member("钱党员", 12).await;
    let submitted = handed_in(
        &mut staff,
        application(&member.member_id, 12, common::HardshipCategory::Other),
    )
    .await;
    // Five working days to take it up: nobody is reminded yet.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        notifications(&workflow.service)
            .await
            .iter()
            .all(|(kind, _)| !kind.starts_with("application.deadline")),
        "a case with days to spare reminds nobody"
    );
    deadline_passes(&workflow.service, &submitted.application_id).await;
    let missed = until(&workflow.service, "application.deadline_missed", 1).await;
    assert_eq!(missed.kind, notify::EventKind::StateDeadlineMissed as i32);
    assert_eq!(
        roles(&missed),
        [
            notify::RecipientRole::BranchStaff,
            notify::RecipientRole::SuperiorOrg
        ]
    );
    assert_eq!(missed.org.as_ref().map(|o| o.org_id), Some(12));
    assert!(
        !missed.parameters.contains_key("reason"),
        "a reminder carries no one's comment"
    );

    // Taken up late: the branch review is a new stay with its own time, and its miss is told
    // again — to the same people, once.
    let mut colleague = workflow.branch_colleague("/1/4/12/").await;
    let taken = taken_up(&mut colleague, &submitted).await;
    assert_eq!(taken.state, pb::ApplicationState::BranchReview as i32);
    deadline_passes(&workflow.service, &submitted.application_id).await;
    until(&workflow.service, "application.deadline_missed", 2).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let misses = notifications(&workflow.service)
        .await
        .into_iter()
        .filter(|(kind, _)| kind == "application.deadline_missed")
        .count();
    assert_eq!(misses, 2, "one miss for each stay");
}

fn roles(event: &notify::PublishEventRequest) -> Vec<notify::RecipientRole> {
    event
        .recipient_roles
        .iter()
        .map(|r| notify::RecipientRole::try_from(r.role).unwrap_or_default())
        .collect()
}

/// Waits until the outbox holds `n` notifications of `kind`; the last of them.
async fn until(workflow: &Spawned, kind: &str, n: usize) -> notify::PublishEventRequest {
    for _ in 0..60 {
        let found: Vec<_> = notifications(workflow)
            .await
            .into_iter()
            .filter(|(k, _)| k == kind)
            .collect();
        if found.len() >= n {
            return found[n - 1].1.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "not {n} {kind} in the outbox: {:?}",
        notifications(workflow).await
    );
}

#[tokio::test]
async fn the_spring_festival_window_is_announced_once_to_the_department_when_it_opens() {
    let workflow = Workflow::start().await;
    let mut calendar = CalendarServiceClient::with_interceptor(
        channel(workflow.front).await,
        Bearer(token(Role::Department, "/1/")),
    );
    let today = today();
    let mut festival = None;
    for year in [today.year(), today.year() + 1] {
        let date = calendar
            .get_spring_festival(pb::GetSpringFestivalRequest { year })
            .await
            .expect("the festival")
            .into_inner()
            .date;
        let date = from_proto(date.as_ref()).expect("a date");
        if date >= today {
            festival = Some(date);
            break;
        }
    }
    let festival = festival.expect("a festival this year or next");
    let days_left = i32::try_from((festival - today).whole_days()).expect("days");
    let lead = |days: i32| {
        move |settings: &mut pb::WorkflowSettings| settings.spring_festival_reminder_days = days
    };
    let announced = || async {
        notifications(&workflow.service)
            .await
            .into_iter()
            .filter(|(kind, _)| kind == "calendar.spring_festival_window")
            .map(|(_, event)| event)
            .collect::<Vec<_>>()
    };

    // A window that has not opened yet announces nothing. The department may look at most 90
    // days ahead; further off than that, the festival cannot be announced today.
    let before = (days_left - 1).min(90);
    if before >= 1 {
        change_settings(
            workflow.front,
            &["spring_festival_reminder_days"],
            lead(before),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            announced().await.is_empty(),
            "{days_left} days is outside {before}"
        );
    }
    if days_left > 90 {
        return;
    }
    change_settings(
        workflow.front,
        &["spring_festival_reminder_days"],
        // On the festival's own day the window is still open (0 would mean never).
        lead(days_left.max(1)),
    )
    .await;
    for _ in 0..60 {
        if !announced().await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let events = announced().await;
    assert_eq!(events.len(), 1, "announced once: {events:?}");
    let event = &events[0];
    assert_eq!(event.kind, notify::EventKind::SpringFestivalWindow as i32);
    assert_eq!(
        event.parameters.get("festival_date"),
        Some(&festival.to_string())
    );
    assert_eq!(
        event.parameters.get("year"),
        Some(&festival.year().to_string())
    );
    assert_eq!(
        roles(event),
        [
            notify::RecipientRole::Department,
            notify::RecipientRole::Committee
        ]
    );
    assert_eq!(event.org.as_ref().map(|o| o.path.as_str()), Some("/1/"));
}
