//! The campaign's reminders, as the notification service will be told them
//! (the workflow's outbox, destination `notify`): the form issued, a
//! deadline approaching the department's warning days ahead, a deadline
//! missed escalated to the department — each written once, however many
//! rounds the sweep makes.

use std::time::Duration;

use relief_proto::notify::v1 as notify;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::campaign_service_client::CampaignServiceClient;
use relief_runtime::auth::Role;
use relief_tests::raw_pool;

use super::campaign::{CampaignWorld, day};

/// The notifications in the campaign's workflow's outbox, by kind, oldest first.
pub(super) async fn outbox(world: &CampaignWorld) -> Vec<(String, notify::PublishEventRequest)> {
    super::notifications(&world.workflow.service).await
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

#[tokio::test]
async fn the_units_superior_organisation_finds_the_campaign_in_its_inbox() {
    let town = crate::notify::Town::new().await;
    let workflow = super::publishing_to(&town).await;
    let mut ledger =
        crate::ledger::client(&town.ledger, &relief_tests::token(Role::Department, "/1/")).await;
    let member = crate::ledger::create_member(
        &mut ledger,
        &town.branch_a,
        "党员甲",
        &crate::ledger::id_number("19580312", 1),
    )
    .await;
    ledger
        .create_record(crate::ledger::record_request(
            &member.member_id,
            relief_proto::common::v1::HardshipCategory::MajorIllness,
            3_000_000,
        ))
        .await
        .expect("a row on the register");
    let mut department = CampaignServiceClient::with_interceptor(
        relief_tests::channel(workflow.addr).await,
        relief_tests::Bearer(relief_tests::token(Role::Department, "/1/")),
    );
    let campaign = department
        .open_campaign(pb::OpenCampaignRequest {
            request_id: super::rid(),
            campaign: Some(pb::Campaign {
                year: super::campaign::YEAR,
                title: "2026年度困难党员台账更新".into(),
                collect_by_date: day(5),
                submit_by_date: day(10),
                ..Default::default()
            }),
        })
        .await
        .expect("opened")
        .into_inner();
    department
        .issue_summary_forms(pb::IssueSummaryFormsRequest {
            request_id: super::rid(),
            campaign_id: campaign.campaign_id.clone(),
            unit_org_ids: Vec::new(),
        })
        .await
        .expect("issued");
    for _ in 0..50 {
        let inbox = town.inbox("superior").await;
        if let Some(told) = inbox
            .notifications
            .iter()
            .find(|n| n.event_kind == notify::EventKind::CampaignOpened as i32)
        {
            assert_eq!(told.title, "2026年度困难党员核查开始");
            assert!(told.body.contains("请于"), "{}", told.body);
            assert_eq!(told.org.as_ref().map(|o| o.org_id), Some(town.unit.org_id));
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deliveries: Vec<(String, i32, String)> =
        sqlx::query_as("SELECT destination, attempts, last_error FROM event_deliveries")
            .fetch_all(&raw_pool(&workflow.schema).await)
            .await
            .expect("the outbox");
    panic!(
        "the unit was not told: {:?}; the outbox: {deliveries:?}",
        town.inbox("superior").await
    );
}
