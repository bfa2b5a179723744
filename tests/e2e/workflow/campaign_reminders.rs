//! The campaign's reminders, as the notification service will be told them
//! (the workflow's outbox, destination `notify`): the form issued, a
//! deadline approaching the department's warning days ahead, a deadline
//! missed escalated to the department — each written once, however many
//! rounds the sweep makes.

use std::time::Duration;

use prost::Message;
use relief_proto::notify::v1 as notify;
use relief_tests::raw_pool;

use super::campaign::{CampaignWorld, day};

/// The notifications in the workflow's outbox, by kind, oldest first.
async fn outbox(world: &CampaignWorld) -> Vec<(String, notify::PublishEventRequest)> {
    let pool = raw_pool(&world.workflow.service.schema).await;
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT o.kind, o.payload FROM event_outbox o
         JOIN event_deliveries d USING (event_id)
         WHERE d.destination = 'notify' ORDER BY o.created_at, o.kind",
    )
    .fetch_all(&pool)
    .await
    .expect("the outbox");
    rows.into_iter()
        .map(|(kind, payload)| {
            let request =
                notify::PublishEventRequest::decode(payload.as_slice()).expect("a notification");
            (kind, request)
        })
        .collect()
}

/// Waits until the outbox holds a notification of `kind`.
async fn until(world: &CampaignWorld, kind: &str) {
    for _ in 0..50 {
        if outbox(world).await.iter().any(|(k, _)| k == kind) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {kind} in the outbox: {:?}", outbox(world).await);
}

fn kinds(events: &[(String, notify::PublishEventRequest)]) -> Vec<&str> {
    events.iter().map(|(kind, _)| kind.as_str()).collect()
}

#[tokio::test]
async fn a_deadline_approaching_and_then_missed_is_told_once_each_and_the_miss_escalates() {
    let world = CampaignWorld::start().await;
    world.on_register("r-1", 7).await;
    // The form is to be collected in 2 days: the department's 2 warning days.
    let campaign = world.open(2, 10).await;
    world.issue(&campaign).await;
    until(&world, "campaign.deadline_approaching").await;
    let approaching = outbox(&world).await;
    assert_eq!(
        kinds(&approaching),
        vec!["campaign.opened", "campaign.deadline_approaching"]
    );
    let (_, told) = &approaching[1];
    assert_eq!(
        told.kind,
        notify::EventKind::CampaignDeadlineApproaching as i32
    );
    let deadline = day(2).map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day));
    assert_eq!(told.parameters.get("deadline").cloned(), deadline);

    world.days_pass(5).await;
    until(&world, "campaign.deadline_missed").await;
    // More rounds pass: nothing is told twice.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let events = outbox(&world).await;
    assert_eq!(
        kinds(&events),
        vec![
            "campaign.opened",
            "campaign.deadline_approaching",
            "campaign.deadline_missed"
        ]
    );
    let (_, missed) = &events[2];
    let roles: Vec<(i32, i64)> = missed
        .recipient_roles
        .iter()
        .map(|r| (r.role, r.org_id))
        .collect();
    assert_eq!(
        roles,
        vec![
            (notify::RecipientRole::BranchStaff as i32, 0),
            (notify::RecipientRole::Department as i32, 1),
        ],
        "the branch under the committee, escalated to the department"
    );
    assert_eq!(
        missed.org.as_ref().map(|o| o.org_id),
        Some(7),
        "about the unit that missed it"
    );
}
