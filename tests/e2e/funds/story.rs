//! The whole story, one step at a time: finance budgets the year, the
//! department allocates, the branch pays and records the member's signed
//! receipt, which becomes the voucher — every step replayed identically,
//! and refused where the rules say so without leaving a trace.

use super::*;

/// What the meeting budgets for the year.
const BUDGET: i64 = 1_000_000;
/// The relief the committee decided for the story's case.
const RELIEF: i64 = 80_000;

fn set_budget(amount: i64) -> pb::SetBudgetRequest {
    pb::SetBudgetRequest {
        request_id: rid(),
        year: year(),
        amount: money(amount),
        reason: "党委会议决定".into(),
    }
}

/// A fresh funds service whose year finance has budgeted (SetBudget).
async fn budgeted_year() -> Funds {
    let funds = Funds::spawn().await;
    funds
        .finance()
        .await
        .set_budget(set_budget(BUDGET))
        .await
        .expect("setting the budget");
    funds
}

#[tokio::test]
async fn a_budget_set_answers_it_as_budgeted_and_as_the_balance() {
    let funds = Funds::spawn().await;
    let first = funds
        .finance()
        .await
        .set_budget(set_budget(BUDGET))
        .await
        .expect("set")
        .into_inner();
    assert_eq!(fen(&first.budgeted), 1_000_000);
    assert_eq!(fen(&first.balance), 1_000_000);
}

#[tokio::test]
async fn a_replayed_budget_answers_the_first_answer_and_is_posted_once() {
    let funds = Funds::spawn().await;
    let pool = funds.pool().await;
    let mut finance = funds.finance().await;
    let set = set_budget(BUDGET);
    let first = finance
        .set_budget(set.clone())
        .await
        .expect("set")
        .into_inner();
    let replay = finance
        .set_budget(set.clone())
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(replay, first, "a replay answers the first answer");
    assert_eq!(
        count(&pool, "postings").await,
        1,
        "the budget was posted once"
    );
}

#[tokio::test]
async fn a_request_id_reused_for_another_budget_is_refused() {
    let funds = Funds::spawn().await;
    let pool = funds.pool().await;
    let mut finance = funds.finance().await;
    let set = set_budget(BUDGET);
    finance.set_budget(set.clone()).await.expect("set");
    let before = snapshot(&pool).await;
    let changed = finance
        .set_budget(pb::SetBudgetRequest {
            amount: money(2_000_000),
            ..set.clone()
        })
        .await
        .expect_err("same request_id, other amount");
    assert_eq!(changed.code(), Code::AlreadyExists);
    assert_eq!(
        count(&pool, "postings").await,
        1,
        "the budget was posted once"
    );
    assert_eq!(snapshot(&pool).await, before, "the refusal left no trace");
}

#[tokio::test]
async fn a_replayed_allocation_answers_the_identical_allocation_and_acts_once() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    let mut department = funds.department().await;
    let request = pb::CreateAllocationRequest {
        request_id: rid(),
        allocation: Some(funds.allocation("app-1", "m-1", branch(12), RELIEF).await),
    };
    let alloc = department
        .create_allocation(request.clone())
        .await
        .expect("allocation")
        .into_inner();
    assert_eq!(alloc.state, pb::AllocationState::Allocated as i32);
    let before = snapshot(&pool).await;
    let again = department
        .create_allocation(request.clone())
        .await
        .expect("replayed allocation")
        .into_inner();
    assert_eq!(again, alloc);
    assert_eq!(
        snapshot(&pool).await,
        before,
        "the replay acted no second time"
    );
    check_books(&pool).await;
}

#[tokio::test]
async fn an_allocation_request_id_reused_with_other_parameters_is_refused() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    let mut department = funds.department().await;
    let request = pb::CreateAllocationRequest {
        request_id: rid(),
        allocation: Some(funds.allocation("app-1", "m-1", branch(12), RELIEF).await),
    };
    department
        .create_allocation(request.clone())
        .await
        .expect("allocation");
    let before = snapshot(&pool).await;
    let mut other = request.clone();
    if let Some(a) = other.allocation.as_mut() {
        a.amount = money(90_000);
    }
    let refused = department
        .create_allocation(other)
        .await
        .expect_err("changed params");
    assert_eq!(refused.code(), Code::AlreadyExists);
    assert_eq!(snapshot(&pool).await, before, "the refusal left no trace");
}

#[tokio::test]
async fn an_application_is_allocated_once() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    allocated_case(&funds, RELIEF).await;
    let before = snapshot(&pool).await;
    // A second allocation for the same application, under a new request id.
    let second = allocate(
        &mut funds.department().await,
        funds.allocation("app-1", "m-1", branch(12), 80_000).await,
    )
    .await
    .expect_err("one allocation per application");
    assert_eq!(second.code(), Code::AlreadyExists);
    assert_eq!(snapshot(&pool).await, before, "the refusal left no trace");
}

#[tokio::test]
async fn a_second_relief_for_a_member_in_one_year_needs_a_special_case() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    allocated_case(&funds, RELIEF).await;
    let before = snapshot(&pool).await;
    let repeat = allocate(
        &mut funds.department().await,
        funds.allocation("app-2", "m-1", branch(12), 10_000).await,
    )
    .await
    .expect_err("once a year");
    assert_eq!(repeat.code(), Code::FailedPrecondition);
    assert_eq!(snapshot(&pool).await, before, "the refusal left no trace");
}

#[tokio::test]
async fn a_payment_waits_for_the_members_signed_receipt() {
    let funds = budgeted_year().await;
    let PaidCase { payment, .. } = paid_case(&funds, RELIEF).await;
    assert_eq!(payment.days_without_receipt, 0);
    let missing = funds
        .branch_staff()
        .await
        .list_disbursements(pb::ListDisbursementsRequest {
            receipt_missing_only: true,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(missing.disbursements.len(), 1);
}

#[tokio::test]
async fn only_the_member_signs_the_receipt() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    let PaidCase { payment, .. } = paid_case(&funds, RELIEF).await;
    let before = snapshot(&pool).await;
    let wrong_signer = funds
        .branch_clerk()
        .await
        .record_receipt(pb::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: payment.disbursement_id.clone(),
            signer_name: "别人".into(),
            signed_date: Some(today()),
            scan_sha256: scan(),
            sealed: false,
            etag: payment.etag.clone(),
        })
        .await
        .expect_err("only the member signs");
    assert_eq!(violated_fields(&wrong_signer), ["signer_name"]);
    assert_eq!(snapshot(&pool).await, before, "the refusal left no trace");
}

#[tokio::test]
async fn the_members_signed_receipt_makes_the_allocation_a_voucher() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    let PaidCase {
        allocation: alloc,
        payment,
    } = paid_case(&funds, RELIEF).await;
    let mut branch_staff = funds.branch_clerk().await;
    let voucher = receipt(&mut branch_staff, &alloc, &payment).await;
    assert_eq!(voucher.voucher_number, format!("JZ-{}-0001", year()));
    let booked = branch_staff
        .get_allocation(pb::GetAllocationRequest {
            allocation_id: alloc.allocation_id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(booked.state, pb::AllocationState::Receipted as i32);
    assert_eq!(booked.voucher_number, voucher.voucher_number);
    check_books(&pool).await;
}

#[tokio::test]
async fn a_branch_elsewhere_cannot_read_the_voucher() {
    let funds = budgeted_year().await;
    let case = vouchered_case(&funds, RELIEF).await;
    let mut stranger = funds.client(Role::BranchStaff, "/1/7/").await;
    let denied = stranger
        .get_allocation(pb::GetAllocationRequest {
            allocation_id: case.allocation.allocation_id.clone(),
        })
        .await
        .expect_err("other subtree");
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_branch_does_not_budget() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    let before = snapshot(&pool).await;
    let denied = funds
        .branch_staff()
        .await
        .top_up_budget(pb::TopUpBudgetRequest {
            request_id: rid(),
            year: year(),
            amount: money(1),
            reason: "x".into(),
        })
        .await
        .expect_err("branches do not budget");
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(snapshot(&pool).await, before, "the refusal left no trace");
}

#[tokio::test]
async fn the_budget_summary_shows_the_voucher_as_paid_and_receipted() {
    let funds = budgeted_year().await;
    vouchered_case(&funds, RELIEF).await;
    let summary = funds
        .finance()
        .await
        .get_budget_summary(pb::GetBudgetSummaryRequest { year: year() })
        .await
        .expect("summary")
        .into_inner();
    assert_eq!(fen(&summary.budgeted), 1_000_000);
    assert_eq!(fen(&summary.balance), 920_000);
    assert_eq!(fen(&summary.paid), 80_000);
    assert_eq!(fen(&summary.receipted), 80_000);
    assert_eq!(fen(&summary.committed), 0);
}

#[tokio::test]
async fn a_voucher_is_not_reversed() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    let case = vouchered_case(&funds, RELIEF).await;
    let mut finance = funds.finance().await;
    let postings = finance
        .list_postings(pb::ListPostingsRequest {
            allocation_id: case.allocation.allocation_id.clone(),
            ..Default::default()
        })
        .await
        .expect("postings")
        .into_inner()
        .postings;
    assert_eq!(postings.len(), 2);
    let receipted = reread_disbursement(&mut finance, &case.payment).await;
    assert_ne!(receipted.etag, case.payment.etag, "the receipt is a change");
    let before = snapshot(&pool).await;
    let refused = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: postings[1].posting_id.clone(),
            reason: "错发".into(),
            authorised_by: "财务负责人".into(),
            authorisation_reference: String::new(),
            etag: receipted.etag.clone(),
        })
        .await
        .expect_err("voucher");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(snapshot(&pool).await, before, "the refusal left no trace");
}

#[tokio::test]
async fn the_budget_cannot_drop_below_what_is_allocated() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    vouchered_case(&funds, RELIEF).await;
    let before = snapshot(&pool).await;
    let refused = funds
        .finance()
        .await
        .set_budget(pb::SetBudgetRequest {
            request_id: rid(),
            year: year(),
            amount: money(10_000),
            reason: "调减".into(),
        })
        .await
        .expect_err("cannot take back what is allocated");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(snapshot(&pool).await, before, "the refusal left no trace");
}

#[tokio::test]
async fn every_step_is_in_the_audit_chain_and_it_verifies() {
    let funds = budgeted_year().await;
    vouchered_case(&funds, RELIEF).await;
    let chain = funds
        .auditor()
        .await
        .verify_audit_chain(common::VerifyAuditChainRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(chain.intact);
    assert!(chain.entries_checked >= 4);
}

#[tokio::test]
async fn postings_cannot_be_edited_even_behind_the_services_back() {
    let funds = budgeted_year().await;
    let pool = funds.pool().await;
    vouchered_case(&funds, RELIEF).await;
    let edited = sqlx::query("UPDATE postings SET amount = amount + 1")
        .execute(&pool)
        .await;
    assert!(edited.is_err(), "the trigger refuses edits of postings");
    check_books(&pool).await;
}
