//! 资金拨付与发放 (measures §四.5) across the real ledger, workflow and funds:
//! the committee's approval asks funds for the allocation through the
//! workflow's outbox; funds checks the decision with the workflow; the
//! branch pays and records the member's signed receipt; funds' events move
//! the case to RECEIPTED, and the register row gets the relief received
//! (帮扶情况). With funds down during the decision the case completes once
//! funds is back, with exactly one allocation.

use relief_proto::common::v1::{HardshipCategory as Category, ReliefType as Type};
use relief_proto::funds::v1 as funds;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::{Role, RoleBinding};
use relief_tests::{raw_pool, token_for};
use std::time::Duration;

use super::rid;
use super::stack::{Stack, approve, proposal, today};

/// Proposes and approves a 500-yuan visit for a case of `label`: the
/// approved application.
async fn approved_case(stack: &Stack, label: &str) -> pb::Application {
    let app = stack.to_committee(label, |_| {}).await;
    let terms = stack
        .department()
        .await
        .create_committee_proposal(proposal(
            &app,
            Type::SpringFestivalVisit,
            Category::Other,
            50_000,
        ))
        .await
        .expect("proposed")
        .into_inner();
    let app = stack.get(&app.application_id).await;
    stack
        .committee()
        .await
        .record_committee_decision(approve(&app, "2026年第20次", &terms))
        .await
        .expect("approved by the meeting");
    stack.get(&app.application_id).await
}

/// Branch 7 pays the allocation and a colleague records the member's
/// signed receipt; the case follows funds' events to RECEIPTED.
async fn pay_and_receipt(stack: &Stack, allocated: &pb::Application) -> pb::Application {
    let mut payer = stack.funds(Role::BranchStaff, "/1/7/").await;
    let allocation = payer
        .get_allocation(funds::GetAllocationRequest {
            allocation_id: allocated.allocation_id.clone(),
        })
        .await
        .expect("the allocation")
        .into_inner();
    let disbursement = payer
        .record_disbursement(funds::RecordDisbursementRequest {
            request_id: rid(),
            disbursement: Some(funds::Disbursement {
                allocation_id: allocation.allocation_id.clone(),
                method: funds::DisbursementMethod::Cash as i32,
                paid_date: Some(today()),
                paid_by: "王经办".into(),
                amount: allocation.amount,
                ..Default::default()
            }),
            allocation_etag: allocation.etag.clone(),
        })
        .await
        .expect("paid")
        .into_inner();
    stack
        .wait_for(&allocated.application_id, pb::ApplicationState::Disbursed)
        .await;
    let clerk = token_for(
        "clerk-of-branch-7",
        vec![RoleBinding {
            role: Role::BranchStaff,
            org_path: "/1/7/".into(),
        }],
    );
    let mut clerk = stack.funds_as(clerk).await;
    clerk
        .record_receipt(funds::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: disbursement.disbursement_id.clone(),
            signer_name: allocation.member_name.clone(),
            signed_date: Some(today()),
            scan_sha256: format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
            sealed: false,
            etag: disbursement.etag.clone(),
        })
        .await
        .expect("the signed receipt");
    let receipted = stack
        .wait_for(&allocated.application_id, pb::ApplicationState::Receipted)
        .await;
    assert_eq!(receipted.disbursement_id, disbursement.disbursement_id);
    assert!(!receipted.voucher_number.is_empty());
    receipted
}

/// The register row's 帮扶情况 entries: (year, type, fen, voucher).
async fn relief_on_register(stack: &Stack, record_id: &str) -> Vec<(i32, String, i64, String)> {
    let pool = raw_pool(&stack.workflow.register.service.schema).await;
    sqlx::query_as(
        "SELECT year, relief_type, amount_fen, voucher_number FROM relief_received
         WHERE record_id = $1::uuid",
    )
    .bind(record_id)
    .fetch_all(&pool)
    .await
    .expect("reading the ledger's relief entries")
}

async fn allocations_of(stack: &Stack, application_id: &str) -> Vec<funds::Allocation> {
    stack
        .funds(Role::Department, "/1/")
        .await
        .list_allocations(funds::ListAllocationsRequest {
            application_id: application_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("listing allocations")
        .into_inner()
        .allocations
}

#[tokio::test]
async fn a_whole_case_from_the_committee_to_the_signed_receipt() {
    let stack = Stack::start(true).await;
    let approved = approved_case(&stack, "w-1").await;
    assert_eq!(approved.state, pb::ApplicationState::Approved as i32);
    let allocated = stack
        .wait_for(
            &approved.application_id,
            pb::ApplicationState::FundsAllocated,
        )
        .await;
    let allocations = allocations_of(&stack, &approved.application_id).await;
    assert_eq!(allocations.len(), 1);
    let allocation = &allocations[0];
    assert_eq!(allocated.allocation_id, allocation.allocation_id);
    let decision = approved.decision.clone().expect("the decision");
    assert_eq!(
        allocation.decision.as_ref().map(|d| d.decision_id.clone()),
        Some(decision.decision_id)
    );
    assert_eq!(allocation.amount.map(|m| m.fen), Some(50_000));
    assert_eq!(allocation.member_id, approved.member_id);
    assert_eq!(allocation.year, approved.year);

    let receipted = pay_and_receipt(&stack, &allocated).await;
    let entries = relief_on_register(&stack, &receipted.register_record_id).await;
    assert_eq!(
        entries,
        vec![(
            approved.year,
            "spring_festival_visit".to_owned(),
            50_000,
            receipted.voucher_number.clone()
        )],
        "the register row shows the relief received"
    );

    // Funds redelivers an event under a new id: acknowledged, nothing moves.
    let funds_principal = relief_runtime::auth::TokenSigner::from_pem(
        "funds",
        "funds",
        relief_tests::AUDIENCE,
        relief_tests::DEV_FUNDS_PRIVATE_KEY,
    )
    .expect("funds' dev key")
    .sign(
        "service:funds",
        "funds",
        None,
        vec![RoleBinding {
            role: Role::Department,
            org_path: "/1/".into(),
        }],
        Duration::from_secs(300),
    )
    .expect("funds' token");
    let again = pb::RecordFundsProgressRequest {
        request_id: rid(),
        application_id: receipted.application_id.clone(),
        stage: pb::FundsStage::Receipted as i32,
        allocation_id: receipted.allocation_id.clone(),
        disbursement_id: receipted.disbursement_id.clone(),
        voucher_number: receipted.voucher_number.clone(),
        event_time: None,
    };
    let acknowledged = stack
        .workflow
        .applications(funds_principal)
        .await
        .record_funds_progress(again.clone())
        .await
        .expect("a duplicate is acknowledged")
        .into_inner();
    assert_eq!(acknowledged.etag, receipted.etag, "nothing moved");
    assert_eq!(
        relief_on_register(&stack, &receipted.register_record_id)
            .await
            .len(),
        1
    );
    // Nobody but funds' own principal reports funds, the department neither.
    let user = stack
        .reader()
        .await
        .record_funds_progress(again)
        .await
        .expect_err("only funds reports its milestones");
    assert_eq!(user.code(), tonic::Code::PermissionDenied);
}

/// Funds refuses an allocation the committee did not decide: the decision
/// is checked with the workflow, never taken from the caller.
#[tokio::test]
async fn funds_allocates_only_what_the_committee_decided() {
    let stack = Stack::start(true).await;
    let approved = approved_case(&stack, "w-2").await;
    let allocated = stack
        .wait_for(
            &approved.application_id,
            pb::ApplicationState::FundsAllocated,
        )
        .await;
    let decision = approved.decision.clone().expect("decision");
    let forged = funds::CreateAllocationRequest {
        request_id: rid(),
        allocation: Some(funds::Allocation {
            application_id: stack.to_committee("w-3", |_| {}).await.application_id,
            decision: Some(funds::DecisionRef {
                decision_id: decision.decision_id.clone(),
                meeting_number: decision.meeting_number.clone(),
                meeting_date: decision.meeting_date,
            }),
            member_id: approved.member_id.clone(),
            year: approved.year,
            relief_type: Type::SpringFestivalVisit as i32,
            hardship_category: Category::Other as i32,
            amount: Some(relief_proto::common::v1::Money { fen: 50_000 }),
            ..Default::default()
        }),
    };
    let refused = stack
        .funds(Role::Department, "/1/")
        .await
        .create_allocation(forged)
        .await
        .expect_err("an application the committee has not approved");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("COMMITTEE_REVIEW"),
        "{refused:?}"
    );
    assert_eq!(
        allocations_of(&stack, &allocated.application_id)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn with_funds_down_at_the_decision_the_case_completes_once_funds_is_back() {
    let mut stack = Stack::start(true).await;
    let app = stack.to_committee("w-4", |_| {}).await;
    let terms = stack
        .department()
        .await
        .create_committee_proposal(proposal(
            &app,
            Type::SpringFestivalVisit,
            Category::Other,
            50_000,
        ))
        .await
        .expect("proposed while funds runs")
        .into_inner();
    stack.stop_funds().await;
    let app = stack.get(&app.application_id).await;
    stack
        .committee()
        .await
        .record_committee_decision(approve(&app, "2026年第21次", &terms))
        .await
        .expect("the meeting decides while funds is down");
    // The outbox holds the request and retries it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack.get(&app.application_id).await.state,
        pb::ApplicationState::Approved as i32,
        "no allocation while funds is down"
    );
    stack.start_funds().await;
    let allocated = stack
        .wait_for(&app.application_id, pb::ApplicationState::FundsAllocated)
        .await;
    let receipted = pay_and_receipt(&stack, &allocated).await;
    assert_eq!(receipted.state, pb::ApplicationState::Receipted as i32);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        allocations_of(&stack, &app.application_id).await.len(),
        1,
        "exactly one allocation"
    );
    let pool = raw_pool(&stack.workflow.service.schema).await;
    let undelivered: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_deliveries WHERE destination = 'funds' AND delivered_at IS NULL",
    )
    .fetch_one(&pool)
    .await
    .expect("the outbox");
    assert_eq!(undelivered, 0, "the outbox is empty");
}

/// The same case told through the gateway, as web frontends and internal
/// programs reach the services: every call of the member, the branch, the
/// department, the committee and the paying unit goes through its gRPC port.
#[tokio::test]
async fn a_whole_case_through_the_gateway() {
    let mut stack = Stack::start(true).await;
    stack.behind_gateway().await;
    let approved = approved_case(&stack, "w-9").await;
    let allocated = stack
        .wait_for(
            &approved.application_id,
            pb::ApplicationState::FundsAllocated,
        )
        .await;
    let receipted = pay_and_receipt(&stack, &allocated).await;
    assert_eq!(receipted.state, pb::ApplicationState::Receipted as i32);
    assert_eq!(
        allocations_of(&stack, &approved.application_id).await.len(),
        1
    );
    let entries = relief_on_register(&stack, &receipted.register_record_id).await;
    assert_eq!(
        entries.len(),
        1,
        "the register row shows the relief received"
    );
}
