//! The story across services: the department allocates relief in funds, the
//! funds outbox relay publishes (as funds' relay principal), and the branch
//! staff, the unit above and the unit's finance find it in their inboxes;
//! nobody in the sibling branch does.

use super::*;
use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as funds;
use relief_proto::funds::v1::funds_service_client::FundsServiceClient;
use relief_tests::{funds_reads_ledger, spawn_funds, token};

#[tokio::test]
async fn an_allocation_in_funds_reaches_the_branch_the_unit_and_its_finance_in_their_inboxes() {
    let town = Town::new().await;
    let notify_addr = town.notify.addr;
    let funds_service = spawn_funds(&unique_schema("funds"), |settings| {
        funds_reads_ledger(settings, &town.ledger);
        settings
            .runtime
            .peers
            .insert("notify", &format!("http://{notify_addr}"));
        // As configured by default: reading the ledger, publishing events.
        settings.runtime.auth.principal.roles = [Role::Reader, Role::Relay]
            .into_iter()
            .map(|role| RoleBinding {
                role,
                org_path: "/1/".into(),
            })
            .collect();
        settings.runtime.outbox.poll_interval_ms = 100;
        settings.runtime.outbox.initial_backoff_ms = 100;
    })
    .await;
    let mut ledger = crate::ledger::client(&town.ledger, &token(Role::Department, "/1/")).await;
    let member = crate::ledger::create_member(
        &mut ledger,
        &town.branch_a,
        "李建国",
        &crate::ledger::id_number("19580312", 7),
    )
    .await;
    let year = relief_runtime::time::today().year();
    let client = |role: Role| {
        let addr = funds_service.addr;
        async move {
            FundsServiceClient::with_interceptor(channel(addr).await, Bearer(token(role, "/1/")))
        }
    };
    client(Role::Finance)
        .await
        .set_budget(funds::SetBudgetRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            year,
            amount: Some(common::Money { fen: 1_000_000 }),
            reason: "党委会议决定".into(),
        })
        .await
        .expect("budgeted");
    let allocation = client(Role::Department)
        .await
        .create_allocation(funds::CreateAllocationRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            allocation: Some(funds::Allocation {
                application_id: "app-story-1".into(),
                decision: Some(funds::DecisionRef {
                    decision_id: "decision-story-1".into(),
                    meeting_number: format!("{year}年第3次"),
                    meeting_date: Some(relief_runtime::time::to_proto(
                        relief_runtime::time::today(),
                    )),
                }),
                member_id: member.member_id.clone(),
                org: Some(OrgRef {
                    org_id: town.branch_a.org_id,
                    ..Default::default()
                }),
                year,
                relief_type: common::ReliefType::SpringFestivalVisit as i32,
                hardship_category: common::HardshipCategory::MajorIllness as i32,
                amount: Some(common::Money { fen: 80_000 }),
                ..Default::default()
            }),
        })
        .await
        .expect("allocated")
        .into_inner();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut told = Vec::new();
    for key in ["staff_a", "superior", "finance"] {
        let message = loop {
            let inbox = town.inbox(key).await;
            if let Some(message) = inbox
                .notifications
                .into_iter()
                .find(|n| n.event_kind == pb::EventKind::FundsAllocated as i32)
            {
                break message;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{key} was never told"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(message.title, "救助资金已拨付");
        assert!(
            message.body.contains("¥800.00") || message.body.contains("800"),
            "{}",
            message.body
        );
        assert_eq!(
            message.link,
            format!("/funds/allocations/{}", allocation.allocation_id)
        );
        told.push(message.event_id);
    }
    told.dedup();
    assert_eq!(told.len(), 1, "one event told to all three");
    assert!(
        town.inbox("staff_b").await.notifications.is_empty(),
        "the sibling branch hears nothing"
    );
}
